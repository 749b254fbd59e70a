package storage

import (
	"strings"
	"testing"
)

func TestCountryName(t *testing.T) {
	tests := []struct {
		code string
		want string
	}{
		{"US", "United States"},
		{"GB", "United Kingdom"},
		{"DE", "Germany"},
		{"FR", "France"},
		{"JP", "Japan"},
		{"CI", "Côte d'Ivoire"},
		{"CW", "Curaçao"},
		{"AX", "Åland Islands"},
		{"SS", "South Sudan"},
	}
	for _, tt := range tests {
		name, ok := CountryName(tt.code)
		if got, want := ok, true; got != want {
			t.Fatalf("CountryName(%q) ok=%t, want %t", tt.code, got, want)
		}
		if got, want := name, tt.want; got != want {
			t.Fatalf("CountryName(%q)=%q, want %q", tt.code, got, want)
		}
	}
}

func TestCountryNameRejects(t *testing.T) {
	for _, code := range []string{"us", "USA", "", "U", "XK", "ZZ", "EU", "UK", "AA", "QO", "1A"} {
		name, ok := CountryName(code)
		if got, want := ok, false; got != want {
			t.Fatalf("CountryName(%q) ok=%t, want %t", code, got, want)
		}
		if got, want := name, ""; got != want {
			t.Fatalf("CountryName(%q)=%q, want %q", code, got, want)
		}
	}
}

func TestCountryNamesTable(t *testing.T) {
	if got, want := len(countryNames), 249; got != want {
		t.Fatalf("len(countryNames)=%d, want %d", got, want)
	}
	for code, name := range countryNames {
		if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
			t.Fatalf("countryNames key %q is not two upper-case ASCII letters", code)
		}
		if name == "" {
			t.Fatalf("countryNames[%q] is empty", code)
		}
		if got, want := name, strings.TrimSpace(name); got != want {
			t.Fatalf("countryNames[%q]=%q, want %q", code, got, want)
		}
	}
}

package storage

import "sync"

// countryCodes maps each folded country name to its code.
var countryCodes = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(countryNames))
	for code, name := range countryNames {
		m[Fold(name)] = code
	}
	return m
})

// CountryCode returns the ISO 3166-1 alpha-2 code of a country's English
// name as CountryName writes it, ignoring case, and true; or "" and false
// (V2 addresses name their country in full).
func CountryCode(name string) (string, bool) {
	code, ok := countryCodes()[Fold(name)]
	return code, ok
}

package rest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/storefront/customers/wire"
)

// TestAppendCustomers_SameAsEncodingJSON: the hand-written encoder of the
// customer list writes exactly the bytes of json.Marshal, on random
// customers with hostile text (quotes, controls, HTML, invalid UTF-8,
// line separators), empty and absent lists, nulls and odd floats.
func TestAppendCustomers_SameAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", "a", "Ørjan", "O'Brien", `"quoted"`, `back\slash`, "<b>&amp;</b>", "tab\tnew\nline\r",
		"\x00\x01\x1f", "\u2028\u2029", "\xff\xfe", "日本語", "emoji 🎉", "é"}
	str := func() string {
		var b strings.Builder
		for range r.IntN(4) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	floats := []float64{0, 1, 43.15, 1e-7, 1e21, 123456789.125, -0.5, 1e-6, 999999999999999999999}
	values := []string{`"x"`, `12.5`, `["a","<b>"]`, `[]`, `"\u003c"`, `"<&>"`}
	for i := range 300 {
		n := r.IntN(4)
		data := make([]wire.Customer, n)
		for j := range data {
			c := wire.Customer{ID: r.IntN(1e6), Email: str(), FirstName: str(), LastName: str(), Company: str(), Phone: str(),
				RegistrationIPAddress: str(), Notes: str(), TaxExemptCategory: str(), CustomerGroupID: r.IntN(9),
				DateCreated: str(), DateModified: str(), AddressCount: r.IntN(5), AttributeCount: r.IntN(5),
				Authentication:                          wire.Authentication{ForcePasswordReset: r.IntN(2) == 0},
				AcceptsProductReviewAbandonedCartEmails: r.IntN(2) == 0, OriginChannelID: r.IntN(3)}
			if r.IntN(3) == 0 {
				c.Authentication.PasswordHash = str()
			}
			if r.IntN(2) == 0 {
				c.ChannelIDs = []int{}
				for range r.IntN(3) {
					c.ChannelIDs = append(c.ChannelIDs, r.IntN(100))
				}
			}
			if r.IntN(2) == 0 {
				c.Addresses = []wire.Address{}
				for range r.IntN(3) {
					a := wire.Address{ID: r.IntN(1e6), CustomerID: c.ID, FirstName: str(), LastName: str(), Company: str(),
						Address1: str(), Address2: str(), City: str(), StateOrProvince: str(), PostalCode: str(), Country: str(),
						CountryCode: str(), Phone: str(), AddressType: str()}
					if r.IntN(2) == 0 {
						a.FormFields = []wire.FormFieldValue{}
						for range r.IntN(3) {
							a.FormFields = append(a.FormFields, wire.FormFieldValue{Name: str(), Value: json.RawMessage(values[r.IntN(len(values))])})
						}
					}
					c.Addresses = append(c.Addresses, a)
				}
			}
			if r.IntN(2) == 0 {
				c.Attributes = []wire.AttributeValue{}
				for range r.IntN(3) {
					a := wire.AttributeValue{ID: r.IntN(1e6), CustomerID: c.ID, AttributeID: r.IntN(50), AttributeValue: str(),
						DateCreated: str(), DateModified: str()}
					if r.IntN(3) == 0 {
						v := str()
						a.Value = &v
					}
					c.Attributes = append(c.Attributes, a)
				}
			}
			if r.IntN(2) == 0 {
				c.FormFields = []wire.FormFieldValue{}
				for range r.IntN(3) {
					id := r.IntN(9)
					v := wire.FormFieldValue{Name: str(), Value: json.RawMessage(values[r.IntN(len(values))])}
					if r.IntN(3) == 0 {
						v.CustomerID = &id
					}
					c.FormFields = append(c.FormFields, v)
				}
			}
			if r.IntN(2) == 0 {
				c.StoreCreditAmounts = []wire.StoreCreditAmount{}
				for range r.IntN(3) {
					c.StoreCreditAmounts = append(c.StoreCreditAmounts, wire.StoreCreditAmount{Amount: floats[r.IntN(len(floats))]})
				}
			}
			if r.IntN(5) == 0 {
				c.Consent = &wire.Consent{Allow: []string{str()}, Deny: []string{}, UpdatedAt: str()}
			}
			data[j] = c
		}
		meta := wire.Meta{}
		if r.IntN(2) == 0 {
			meta.Pagination = &wire.Pagination{Total: r.IntN(100), Links: wire.Links{Current: "?page=1&limit=" + str()}}
		}
		want, err := json.Marshal(wire.Collection[wire.Customer]{Data: data, Meta: meta})
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendCustomers(nil, data, meta)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

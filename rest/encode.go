package rest

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/storefront/customers/wire"
)

// The customer list is the API's hot read: a page of 50 customers with
// their four includes is thousands of values, and encoding/json's
// reflection cost a tenth of the request. appendCustomers writes the same
// bytes as json.Marshal of a wire.Collection[wire.Customer] (encode_test.go
// compares them on random customers), by hand.

// buffers recycles response buffers.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// writeCustomers answers 200 with a customer list.
func writeCustomers(w http.ResponseWriter, data []wire.Customer, meta wire.Meta) error {
	bp := buffers.Get().(*[]byte)
	defer buffers.Put(bp)
	b, err := appendCustomers((*bp)[:0], data, meta)
	if err != nil {
		return err
	}
	*bp = b
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

// appendCustomers appends the JSON of a customer list response.
func appendCustomers(b []byte, data []wire.Customer, meta wire.Meta) ([]byte, error) {
	b = append(b, `{"data":[`...)
	for i := range data {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCustomer(b, &data[i])
	}
	m, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	b = append(b, `],"meta":`...)
	return append(append(b, m...), '}'), nil
}

func appendCustomer(b []byte, c *wire.Customer) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(c.ID), 10)
	b = appendField(b, "email", c.Email)
	b = appendField(b, "first_name", c.FirstName)
	b = appendField(b, "last_name", c.LastName)
	b = appendField(b, "company", c.Company)
	b = appendField(b, "phone", c.Phone)
	b = appendField(b, "registration_ip_address", c.RegistrationIPAddress)
	b = appendField(b, "notes", c.Notes)
	b = appendField(b, "tax_exempt_category", c.TaxExemptCategory)
	b = append(b, `,"customer_group_id":`...)
	b = strconv.AppendInt(b, int64(c.CustomerGroupID), 10)
	b = appendField(b, "date_created", c.DateCreated)
	b = appendField(b, "date_modified", c.DateModified)
	b = append(b, `,"address_count":`...)
	b = strconv.AppendInt(b, int64(c.AddressCount), 10)
	b = append(b, `,"attribute_count":`...)
	b = strconv.AppendInt(b, int64(c.AttributeCount), 10)
	b = append(b, `,"authentication":{"force_password_reset":`...)
	b = strconv.AppendBool(b, c.Authentication.ForcePasswordReset)
	if c.Authentication.PasswordHash != "" {
		b = appendField(b, "password_hash", c.Authentication.PasswordHash)
	}
	b = append(b, `},"accepts_product_review_abandoned_cart_emails":`...)
	b = strconv.AppendBool(b, c.AcceptsProductReviewAbandonedCartEmails)
	b = append(b, `,"channel_ids":`...)
	if c.ChannelIDs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, id := range c.ChannelIDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(id), 10)
		}
		b = append(b, ']')
	}
	if c.OriginChannelID != 0 {
		b = append(b, `,"origin_channel_id":`...)
		b = strconv.AppendInt(b, int64(c.OriginChannelID), 10)
	}
	if c.Addresses != nil {
		b = append(b, `,"addresses":[`...)
		for i := range c.Addresses {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendAddress(b, &c.Addresses[i])
		}
		b = append(b, ']')
	}
	if c.Attributes != nil {
		b = append(b, `,"attributes":[`...)
		for i, a := range c.Attributes {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = strconv.AppendInt(b, int64(a.ID), 10)
			b = append(b, `,"customer_id":`...)
			b = strconv.AppendInt(b, int64(a.CustomerID), 10)
			b = append(b, `,"attribute_id":`...)
			b = strconv.AppendInt(b, int64(a.AttributeID), 10)
			b = appendField(b, "attribute_value", a.AttributeValue)
			if a.Value != nil {
				b = appendField(b, "value", *a.Value)
			}
			b = appendField(b, "date_created", a.DateCreated)
			b = appendField(b, "date_modified", a.DateModified)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if c.FormFields != nil {
		b = append(b, `,"form_fields":`...)
		b = appendFormValues(b, c.FormFields)
	}
	if c.StoreCreditAmounts != nil {
		b = append(b, `,"store_credit_amounts":[`...)
		for i, a := range c.StoreCreditAmounts {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"amount":`...)
			b = appendFloat(b, a.Amount)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if c.Consent != nil {
		raw, _ := json.Marshal(c.Consent) // import/export only: never on the hot path
		b = append(append(b, `,"consent":`...), raw...)
	}
	return append(b, '}')
}

func appendAddress(b []byte, a *wire.Address) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(a.ID), 10)
	b = append(b, `,"customer_id":`...)
	b = strconv.AppendInt(b, int64(a.CustomerID), 10)
	b = appendField(b, "first_name", a.FirstName)
	b = appendField(b, "last_name", a.LastName)
	b = appendField(b, "company", a.Company)
	b = appendField(b, "address1", a.Address1)
	b = appendField(b, "address2", a.Address2)
	b = appendField(b, "city", a.City)
	b = appendField(b, "state_or_province", a.StateOrProvince)
	b = appendField(b, "postal_code", a.PostalCode)
	b = appendField(b, "country", a.Country)
	b = appendField(b, "country_code", a.CountryCode)
	b = appendField(b, "phone", a.Phone)
	b = appendField(b, "address_type", a.AddressType)
	if a.FormFields != nil {
		b = append(b, `,"form_fields":`...)
		b = appendFormValues(b, a.FormFields)
	}
	return append(b, '}')
}

func appendFormValues(b []byte, vs []wire.FormFieldValue) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendString(b, v.Name)
		b = append(b, `,"value":`...)
		if v.Value == nil {
			b = append(b, "null"...)
		} else {
			// A value is JSON already; encoding/json compacts it and
			// escapes HTML in it.
			var buf bytes.Buffer
			if err := json.Compact(&buf, v.Value); err != nil {
				buf.Reset()
				buf.WriteString("null")
			}
			var esc bytes.Buffer
			json.HTMLEscape(&esc, buf.Bytes())
			b = append(b, esc.Bytes()...)
		}
		if v.CustomerID != nil {
			b = append(b, `,"customer_id":`...)
			b = strconv.AppendInt(b, int64(*v.CustomerID), 10)
		}
		if v.AddressID != nil {
			b = append(b, `,"address_id":`...)
			b = strconv.AppendInt(b, int64(*v.AddressID), 10)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendField appends `,"name":"value"`.
func appendField(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as encoding/json quotes it: control characters,
// quotes and backslashes escaped, <, > and & as \u003c..., U+2028 and
// U+2029 escaped, invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendFloat appends f as encoding/json writes a float64.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

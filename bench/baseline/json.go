package baseline

import (
	"strconv"
	"unicode/utf8"
)

// appendString appends s as a JSON string, byte for byte as the GraphQL
// path writes it: gqlgen's quoting (\t \r \n \" \\ short, other control
// characters as \u00XX upper-case), then encoding/json's compaction of the
// response (which turns < > & into \u003c \u003e \u0026 and U+2028, U+2029
// into \u2028, \u2029).
func appendString[S ~string | ~[]byte](dst []byte, s S) []byte {
	const upper, lower = "0123456789ABCDEF", "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\t':
				dst = append(dst, '\\', 't')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '<', '>', '&':
				dst = append(dst, '\\', 'u', '0', '0', lower[c>>4], lower[c&0xf])
			default:
				dst = append(dst, '\\', 'u', '0', '0', upper[c>>4], upper[c&0xf])
			}
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
		if c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', lower[s[i+2]&0xf])
			i += 3
			start = i
			continue
		}
		i++
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendRaw appends a stored JSON value (a form field value, written by
// encoding/json) as the response's compaction would: with < > & and U+2028,
// U+2029 escaped. Stored values never hold them unescaped, so this is
// usually a plain copy.
func appendRaw(dst, raw []byte) []byte {
	const lower = "0123456789abcdef"
	if len(raw) == 0 {
		return append(dst, "null"...)
	}
	start := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', lower[c>>4], lower[c&0xf])
			start = i + 1
		case c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && (raw[i+2] == 0xA8 || raw[i+2] == 0xA9):
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', lower[raw[i+2]&0xf])
			i += 2
			start = i + 1
		}
	}
	return append(dst, raw[start:]...)
}

// appendEnum appends a stored enum value ("string") as its GraphQL name
// ("STRING"): upper case, `:` as `_`.
func appendEnum(dst, v []byte) []byte {
	dst = append(dst, '"')
	for _, c := range v {
		switch {
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c == ':':
			c = '_'
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

// appendAmount appends stored ten-thousandths as the GraphQL Float of the
// amount (gqlgen writes floats with %g).
func appendAmount(dst []byte, units int64) []byte {
	return strconv.AppendFloat(dst, float64(units)/10_000, 'g', -1, 64)
}

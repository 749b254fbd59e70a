package storage

import (
	"strings"
	"testing"
)

// TestInsertRowWidths checks that each row writer gives as many values as
// its column list names, and that the widths the import's statements use
// agree.
func TestInsertRowWidths(t *testing.T) {
	tests := []struct {
		name    string
		columns string
		width   int
		row     []any
	}{
		{"customers", customerInsertColumns, customerInsertWidth, customerRow(nil, &Customer{}, "")},
		{"addresses", addressInsertColumns, addressInsertWidth, addressRow(nil, &CustomerAddress{})},
		{"attribute values", attributeValueInsertColumns, attributeValueInsertWidth, attributeValueRow(nil, &CustomerAttributeValue{})},
	}
	for _, tt := range tests {
		if n := len(strings.Split(tt.columns, ",")); n != tt.width || len(tt.row) != tt.width {
			t.Errorf("%s: %d columns, width %d, %d values", tt.name, n, tt.width, len(tt.row))
		}
	}
	w := newImportWriter()
	for _, b := range []*bulkTable{&w.formFieldValues, &w.storeCredit, &w.consent} {
		cols := b.head[strings.Index(b.head, "(")+1 : strings.Index(b.head, ")")]
		if n := len(strings.Split(cols, ",")); n != b.width {
			t.Errorf("%s: %d columns, width %d", b.what, n, b.width)
		}
	}
}

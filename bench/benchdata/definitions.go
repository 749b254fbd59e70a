// Package benchdata makes the deterministic data sets of the benchmark
// suite (BENCHMARKS.md): V3 JSON lines of customers with addresses,
// attribute values, form field values and store credit, ready for
// `customers import`, and the definitions (groups, attributes, form fields)
// those lines refer to, which must exist in the database first.
//
// Every line is a pure function of the seed and the customer id, so a data
// set of n customers is the first n lines of any larger one, and the same
// seed always gives the same bytes.
package benchdata

import (
	"context"
	"fmt"

	"github.com/storefront/customers/storage"
)

// Groups are the customer groups the lines refer to; in a fresh database
// they get ids 1..len(Groups), in order.
var Groups = []string{"Retail", "Wholesale", "VIP", "Staff", "Trade Partners"}

// Attribute is one attribute definition of the data set.
type Attribute struct {
	Name string
	Type storage.CustomerAttributeType
}

// Attributes are the attribute definitions the lines refer to; in a fresh
// database they get ids 1..len(Attributes), in order.
var Attributes = []Attribute{
	{"Loyalty tier", storage.AttributeString},
	{"Lifetime orders", storage.AttributeNumber},
	{"First order", storage.AttributeDate},
	{"Preferred store", storage.AttributeString},
	{"Average basket", storage.AttributeNumber},
	{"Last visit", storage.AttributeDate},
	{"Segment", storage.AttributeString},
	{"Referral code", storage.AttributeString},
}

// FormField is one form field definition of the data set.
type FormField struct {
	Name      string
	Label     string
	Type      storage.CustomerFormFieldType
	AppliesTo storage.CustomerFormFieldScope
	Options   []string
}

// FormFields are the form field definitions the lines refer to, customer
// fields first; values refer to them by name.
var FormFields = []FormField{
	{"heard_about_us", "How did you hear about us?", storage.FormFieldPicklist, storage.FormFieldOnCustomer,
		[]string{"Search engine", "Friend", "Magazine", "Social media", "Other"}},
	{"newsletter_topics", "Newsletter topics", storage.FormFieldCheckboxes, storage.FormFieldOnCustomer,
		[]string{"Sales", "New arrivals", "Events", "Recipes"}},
	{"loyalty_number", "Loyalty card number", storage.FormFieldText, storage.FormFieldOnCustomer, nil},
	{"birthday", "Birthday", storage.FormFieldDate, storage.FormFieldOnCustomer, nil},
	{"shoe_size", "Shoe size", storage.FormFieldNumbers, storage.FormFieldOnCustomer, nil},
	{"delivery_instructions", "Delivery instructions", storage.FormFieldText, storage.FormFieldOnAddress, nil},
	{"gate_code", "Gate code", storage.FormFieldNumbers, storage.FormFieldOnAddress, nil},
	{"delivery_window", "Preferred delivery window", storage.FormFieldRadioButtons, storage.FormFieldOnAddress,
		[]string{"Morning", "Afternoon", "Evening"}},
}

// customerFields and addressFields index FormFields by scope.
var customerFields, addressFields = func() (c, a []FormField) {
	for _, f := range FormFields {
		if f.AppliesTo == storage.FormFieldOnCustomer {
			c = append(c, f)
		} else {
			a = append(a, f)
		}
	}
	return c, a
}()

// CreateDefinitions creates Groups, Attributes and FormFields in db through
// the storage API. db must be fresh (no groups or attributes yet), so that
// their ids are the 1-based positions the lines use; it checks that they are.
func CreateDefinitions(ctx context.Context, db *storage.DB) error {
	for i, name := range Groups {
		g, err := db.CreateGroup(ctx, storage.GroupInput{Name: name})
		if err != nil {
			return fmt.Errorf("create group %q: %w", name, err)
		}
		if g.ID != i+1 {
			return fmt.Errorf("group %q got id %d, not %d: the database is not fresh", name, g.ID, i+1)
		}
	}
	for start := 0; start < len(Attributes); start += 10 {
		var in []storage.AttributeInput
		for _, a := range Attributes[start:min(start+10, len(Attributes))] {
			in = append(in, storage.AttributeInput{Name: a.Name, Type: a.Type})
		}
		out, err := db.CreateAttributes(ctx, in)
		if err != nil {
			return fmt.Errorf("create attributes: %w", err)
		}
		for j, a := range out {
			if a.ID != start+j+1 {
				return fmt.Errorf("attribute %q got id %d, not %d: the database is not fresh", a.Name, a.ID, start+j+1)
			}
		}
	}
	for start := 0; start < len(FormFields); start += 10 {
		var in []storage.FormFieldInput
		for _, f := range FormFields[start:min(start+10, len(FormFields))] {
			in = append(in, storage.FormFieldInput{Name: f.Name, Label: f.Label, Type: f.Type, AppliesTo: f.AppliesTo,
				Options: f.Options})
		}
		if _, err := db.CreateFormFields(ctx, in); err != nil {
			return fmt.Errorf("create form fields: %w", err)
		}
	}
	return nil
}

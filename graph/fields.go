package graph

import (
	"github.com/storefront/customers/storage"
)

// One table per type of the compiled read path: for each field the
// compiled executor writes, the stored columns it is written from, its
// writer, and, for relations, how priming loads it ahead for a whole level.
// The coverage check (covered), the columns a plan's view reads (columnsOf)
// and priming (prime.go) are all read from these tables, so adding a field
// of a stored column to Customer is its schema line and one entry here.

// field is one field of a compiled type whose values are of Go type T.
type field[T any] struct {
	// cols are the stored columns (storage.Columns names) the field is
	// written from, of the record type of the object it belongs to; the
	// keys that relate records are always read and need not be named.
	cols []string
	// write appends the field's value (f is its plan field, whose child
	// is its subselection).
	write func(x *execution, f *planField, v T) error
	// prime, when not nil, loads what the field needs for every value of
	// a level at once (relations); f.child may be nil.
	prime func(p *primer, f *planField, vs []T) error
	// args is gqlgen's generated unmarshalling of the field's arguments,
	// for the fields with arguments (coerceArgs).
	args argsParser
}

// object is the table of one compiled type.
type object[T any] struct {
	name   string
	fields map[string]*field[T]
	// slot is where the type's columns go in storage.Columns, nil for
	// types that are not a stored record of their own (connections, and
	// parts written from their parent's record).
	slot func(*storage.Columns) *[]string
}

// compiledType is what the planner asks of any type's table.
type compiledType interface {
	// bind reports whether the compiled executor writes field f, and
	// attaches the field's table entry to it.
	bind(f *planField) bool
	columns(name string) []string
	columnSlot(c *storage.Columns) *[]string
}

func (o *object[T]) bind(f *planField) bool {
	d, ok := o.fields[f.name]
	if ok {
		f.impl = d
	}
	return ok
}

func (o *object[T]) columns(name string) []string {
	if d, ok := o.fields[name]; ok {
		return d.cols
	}
	return nil
}

func (o *object[T]) columnSlot(c *storage.Columns) *[]string {
	if o.slot == nil {
		return nil
	}
	return o.slot(c)
}

// write writes v as an object of the type: the fields n selects, each by
// its table entry (attached when the plan was checked).
func (o *object[T]) write(x *execution, n *planNode, v T) error {
	return x.object(n, func(f *planField) error {
		d, ok := f.impl.(*field[T])
		if !ok {
			return errFallback
		}
		return d.write(x, f, v)
	})
}

// prime loads ahead, for the values vs of one level, the relations n
// selects of them.
func (o *object[T]) prime(p *primer, n *planNode, vs []T) error {
	if len(vs) == 0 {
		return nil
	}
	for _, f := range n.fields {
		if d, ok := o.fields[f.name]; ok && d.prime != nil {
			if err := d.prime(p, f, vs); err != nil {
				return err
			}
		}
	}
	return nil
}

// Field constructors for the common shapes: a field written from one
// stored column, and one written from what every view reads (keys).

func col[T any](column string, write func(x *execution, v T)) *field[T] {
	return &field[T]{cols: []string{column}, write: func(x *execution, _ *planField, v T) error { write(x, v); return nil }}
}

func key[T any](write func(x *execution, v T)) *field[T] {
	return &field[T]{write: func(x *execution, _ *planField, v T) error { write(x, v); return nil }}
}

// ids returns the keys of a level's values.
func ids[T any](vs []T, id func(T) int) []int {
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = id(v)
	}
	return out
}

// The tables, set in init: their writers reach each other (a customer's
// addresses, an address's customer), which package-level initialisation
// would refuse as a cycle.
var (
	queryTable          *object[struct{}]
	connectionTable     *object[*storage.Page[*storage.Customer]]
	edgeTable           *object[customerEdge]
	pageInfoTable       *object[*storage.Page[*storage.Customer]]
	paginationTable     *object[*storage.Page[*storage.Customer]]
	customerTable       *object[*storage.Customer]
	authenticationTable *object[*storage.Customer]
	addressTable        *object[*storage.CustomerAddress]
	attributeValueTable *object[*storage.CustomerAttributeValue]
	attributeTable      *object[*storage.CustomerAttribute]
	formFieldValueTable *object[*storage.CustomerFormFieldValue]
	formFieldTable      *object[*storage.CustomerFormField]
	storeCreditTable    *object[*storage.StoreCreditAmount]
	consentTable        *object[*storage.CustomerConsent]
	groupTable          *object[*storage.CustomerGroup]
	categoryAccessTable *object[storage.CategoryAccess]
	discountRuleTable   *object[storage.DiscountRule]

	// compiledTypes are the tables by GraphQL type name.
	compiledTypes map[string]compiledType
)

// customerEdge is one edge of a customer connection.
type customerEdge struct {
	cursor string
	node   *storage.Customer
}

func init() {
	type (
		page     = *storage.Page[*storage.Customer]
		customer = *storage.Customer
		address  = *storage.CustomerAddress
		attrVal  = *storage.CustomerAttributeValue
		attr     = *storage.CustomerAttribute
		ffVal    = *storage.CustomerFormFieldValue
		ff       = *storage.CustomerFormField
		group    = *storage.CustomerGroup
	)
	customerID := func(c customer) int { return c.ID }

	queryTable = &object[struct{}]{name: "Query", fields: map[string]*field[struct{}]{
		"customers": {
			args: (*executionContext).field_Query_customers_args,
			write: func(x *execution, f *planField, _ struct{}) error {
				return connectionTable.write(x, f.child, x.pages[f])
			},
		},
		"customer": {
			args: (*executionContext).field_Query_customer_args,
			write: func(x *execution, f *planField, _ struct{}) error {
				c := x.single[f]
				if c == nil {
					x.null()
					return nil
				}
				return customerTable.write(x, f.child, c)
			},
		},
	}}

	connectionTable = &object[page]{name: "CustomerConnection", fields: map[string]*field[page]{
		"nodes": {write: func(x *execution, f *planField, pg page) error {
			return array(x, pg.Items, func(c customer) error { return customerTable.write(x, f.child, c) })
		}},
		"edges": {write: func(x *execution, f *planField, pg page) error {
			i := 0
			return array(x, pg.Items, func(c customer) error {
				e := customerEdge{cursor: pg.Cursor(i), node: c}
				i++
				return edgeTable.write(x, f.child, e)
			})
		}},
		"pageInfo":   {write: func(x *execution, f *planField, pg page) error { return pageInfoTable.write(x, f.child, pg) }},
		"pagination": {write: func(x *execution, f *planField, pg page) error { return paginationTable.write(x, f.child, pg) }},
	}}
	edgeTable = &object[customerEdge]{name: "CustomerEdge", fields: map[string]*field[customerEdge]{
		"cursor": key(func(x *execution, e customerEdge) { x.str(e.cursor) }),
		"node":   {write: func(x *execution, f *planField, e customerEdge) error { return customerTable.write(x, f.child, e.node) }},
	}}
	pageInfoTable = &object[page]{name: "PageInfo", fields: map[string]*field[page]{
		"hasNextPage":     key(func(x *execution, pg page) { x.bool(pg.HasNext) }),
		"hasPreviousPage": key(func(x *execution, pg page) { x.bool(pg.HasPrevious) }),
		"startCursor": key(func(x *execution, pg page) {
			if len(pg.Items) == 0 {
				x.null()
			} else {
				x.str(pg.Cursor(0))
			}
		}),
		"endCursor": key(func(x *execution, pg page) {
			if len(pg.Items) == 0 {
				x.null()
			} else {
				x.str(pg.Cursor(len(pg.Items) - 1))
			}
		}),
	}}
	paginationTable = &object[page]{name: "Pagination", fields: map[string]*field[page]{
		"total":   key(func(x *execution, pg page) { x.int(pg.Total) }),
		"count":   key(func(x *execution, pg page) { x.int(len(pg.Items)) }),
		"perPage": key(func(x *execution, pg page) { x.int(pg.Limit) }),
		"currentPage": key(func(x *execution, pg page) {
			if pg.Page > 0 {
				x.int(pg.Page)
			} else {
				x.null()
			}
		}),
		"totalPages": key(func(x *execution, pg page) { x.int(pg.TotalPages()) }),
	}}

	customerTable = &object[customer]{name: "Customer", slot: func(c *storage.Columns) *[]string { return &c.Customer }, fields: map[string]*field[customer]{
		"id":        key(func(x *execution, c customer) { x.int(c.ID) }),
		"email":     col("email", func(x *execution, c customer) { x.str(c.Email) }),
		"firstName": col("first_name", func(x *execution, c customer) { x.str(c.FirstName) }),
		"lastName":  col("last_name", func(x *execution, c customer) { x.str(c.LastName) }),
		"fullName": {cols: []string{"first_name", "last_name"}, write: func(x *execution, _ *planField, c customer) error {
			x.str(c.FullName())
			return nil
		}},
		"company":               col("company", func(x *execution, c customer) { x.str(c.Company) }),
		"phone":                 col("phone", func(x *execution, c customer) { x.str(c.Phone) }),
		"notes":                 col("notes", func(x *execution, c customer) { x.str(c.Notes) }),
		"taxExemptCategory":     col("tax_exempt_category", func(x *execution, c customer) { x.str(c.TaxExemptCategory) }),
		"registrationIpAddress": col("registration_ip_address", func(x *execution, c customer) { x.str(c.RegistrationIPAddress) }),
		"customerGroupId":       col("customer_group_id", func(x *execution, c customer) { x.optInt(c.CustomerGroupID) }),
		"acceptsProductReviewAbandonedCartEmails": col("accepts_product_review_abandoned_cart_emails", func(x *execution, c customer) {
			x.bool(c.AcceptsProductReviewAbandonedCartEmails)
		}),
		"originChannelId": col("origin_channel_id", func(x *execution, c customer) { x.int(c.OriginChannelID) }),
		"channelIds": col("channel_ids", func(x *execution, c customer) {
			if c.ChannelIDs == nil {
				x.null()
			} else {
				x.ints(c.ChannelIDs)
			}
		}),
		"dateCreated":  col("date_created", func(x *execution, c customer) { x.time(c.DateCreated) }),
		"dateModified": col("date_modified", func(x *execution, c customer) { x.time(c.DateModified) }),
		"addressCount": {
			write: func(x *execution, _ *planField, c customer) error {
				x.int(x.l.AddressCountByCustomerID.get(c.ID))
				return nil
			},
			prime: func(p *primer, _ *planField, cs []customer) error {
				_, err := p.l.AddressCountByCustomerID.prime(p.ctx, ids(cs, customerID))
				return err
			},
		},
		"attributeCount": {
			write: func(x *execution, _ *planField, c customer) error {
				x.int(x.l.AttributeCountByCustomerID.get(c.ID))
				return nil
			},
			prime: func(p *primer, _ *planField, cs []customer) error {
				_, err := p.l.AttributeCountByCustomerID.prime(p.ctx, ids(cs, customerID))
				return err
			},
		},
		"authentication": {cols: []string{"force_password_reset"}, write: func(x *execution, f *planField, c customer) error {
			return authenticationTable.write(x, f.child, c)
		}},
		"addresses": {
			write: func(x *execution, f *planField, c customer) error {
				return array(x, x.l.AddressesByCustomerID.get(c.ID), func(a address) error { return addressTable.write(x, f.child, a) })
			},
			prime: func(p *primer, f *planField, cs []customer) error {
				as, err := p.l.AddressesByCustomerID.prime(p.ctx, ids(cs, customerID))
				if err != nil || f.child == nil {
					return err
				}
				return addressTable.prime(p, f.child, flatten(as))
			},
		},
		"attributes": {
			write: func(x *execution, f *planField, c customer) error {
				return array(x, x.l.AttributeValuesByCustomerID.get(c.ID), func(v attrVal) error { return attributeValueTable.write(x, f.child, v) })
			},
			prime: func(p *primer, f *planField, cs []customer) error {
				vs, err := p.l.AttributeValuesByCustomerID.prime(p.ctx, ids(cs, customerID))
				if err != nil || f.child == nil {
					return err
				}
				return attributeValueTable.prime(p, f.child, flatten(vs))
			},
		},
		"formFields": {
			write: func(x *execution, f *planField, c customer) error {
				return array(x, x.l.FormFieldValuesByCustomerID.get(c.ID), func(v ffVal) error { return formFieldValueTable.write(x, f.child, v) })
			},
			prime: func(p *primer, f *planField, cs []customer) error {
				vs, err := p.l.FormFieldValuesByCustomerID.prime(p.ctx, ids(cs, customerID))
				if err != nil || f.child == nil {
					return err
				}
				return formFieldValueTable.prime(p, f.child, flatten(vs))
			},
		},
		"storeCredit": {
			write: func(x *execution, f *planField, c customer) error {
				return array(x, x.l.StoreCreditByCustomerID.get(c.ID), func(a *storage.StoreCreditAmount) error {
					return storeCreditTable.write(x, f.child, a)
				})
			},
			prime: func(p *primer, _ *planField, cs []customer) error {
				_, err := p.l.StoreCreditByCustomerID.prime(p.ctx, ids(cs, customerID))
				return err
			},
		},
		"consent": {
			write: func(x *execution, f *planField, c customer) error {
				return consentTable.write(x, f.child, x.l.ConsentByCustomerID.get(c.ID))
			},
			prime: func(p *primer, _ *planField, cs []customer) error {
				_, err := p.l.ConsentByCustomerID.prime(p.ctx, ids(cs, customerID))
				return err
			},
		},
		"group": {
			cols: []string{"customer_group_id"},
			write: func(x *execution, f *planField, c customer) error {
				if c.CustomerGroupID == nil {
					x.null()
					return nil
				}
				g := x.l.GroupByID.get(*c.CustomerGroupID)
				if g == nil {
					x.null()
					return nil
				}
				return groupTable.write(x, f.child, g)
			},
			prime: func(p *primer, f *planField, cs []customer) error {
				var groups []int
				for _, c := range cs {
					if c.CustomerGroupID != nil {
						groups = append(groups, *c.CustomerGroupID)
					}
				}
				if len(groups) == 0 {
					return nil
				}
				gs, err := p.l.GroupByID.prime(p.ctx, groups)
				if err != nil || f.child == nil {
					return err
				}
				return groupTable.prime(p, f.child, nonNil(gs))
			},
		},
	}}
	authenticationTable = &object[customer]{name: "CustomerAuthentication", fields: map[string]*field[customer]{
		"forcePasswordReset": key(func(x *execution, c customer) { x.bool(c.ForcePasswordReset) }),
	}}

	addressTable = &object[address]{name: "CustomerAddress", slot: func(c *storage.Columns) *[]string { return &c.Address }, fields: map[string]*field[address]{
		"id":              key(func(x *execution, a address) { x.int(a.ID) }),
		"customerId":      key(func(x *execution, a address) { x.int(a.CustomerID) }),
		"firstName":       col("first_name", func(x *execution, a address) { x.str(a.FirstName) }),
		"lastName":        col("last_name", func(x *execution, a address) { x.str(a.LastName) }),
		"company":         col("company", func(x *execution, a address) { x.str(a.Company) }),
		"address1":        col("address1", func(x *execution, a address) { x.str(a.Address1) }),
		"address2":        col("address2", func(x *execution, a address) { x.str(a.Address2) }),
		"city":            col("city", func(x *execution, a address) { x.str(a.City) }),
		"stateOrProvince": col("state_or_province", func(x *execution, a address) { x.str(a.StateOrProvince) }),
		"postalCode":      col("postal_code", func(x *execution, a address) { x.str(a.PostalCode) }),
		"countryCode":     col("country_code", func(x *execution, a address) { x.str(a.CountryCode) }),
		"country":         col("country_code", func(x *execution, a address) { x.str(a.Country()) }),
		"phone":           col("phone", func(x *execution, a address) { x.str(a.Phone) }),
		"addressType":     col("address_type", func(x *execution, a address) { writeEnum(x, a.AddressType) }),
		"formFields": {
			write: func(x *execution, f *planField, a address) error {
				return array(x, x.l.FormFieldValuesByAddressID.get(a.ID), func(v ffVal) error { return formFieldValueTable.write(x, f.child, v) })
			},
			prime: func(p *primer, f *planField, as []address) error {
				vs, err := p.l.FormFieldValuesByAddressID.prime(p.ctx, ids(as, func(a address) int { return a.ID }))
				if err != nil || f.child == nil {
					return err
				}
				return formFieldValueTable.prime(p, f.child, flatten(vs))
			},
		},
		"customer": {
			write: func(x *execution, f *planField, a address) error { return writeCustomerOf(x, f, a.CustomerID) },
			prime: func(p *primer, f *planField, as []address) error {
				return p.customersByID(f, ids(as, func(a address) int { return a.CustomerID }))
			},
		},
	}}

	attributeValueTable = &object[attrVal]{name: "CustomerAttributeValue", slot: func(c *storage.Columns) *[]string { return &c.AttributeValue }, fields: map[string]*field[attrVal]{
		"id":           key(func(x *execution, v attrVal) { x.int(v.ID) }),
		"customerId":   key(func(x *execution, v attrVal) { x.int(v.CustomerID) }),
		"attributeId":  key(func(x *execution, v attrVal) { x.int(v.AttributeID) }),
		"value":        col("value", func(x *execution, v attrVal) { x.str(v.Value) }),
		"dateCreated":  col("date_created", func(x *execution, v attrVal) { x.time(v.DateCreated) }),
		"dateModified": col("date_modified", func(x *execution, v attrVal) { x.time(v.DateModified) }),
		"attribute": {
			write: func(x *execution, f *planField, v attrVal) error {
				a := x.l.AttributeByID.get(v.AttributeID)
				if a == nil {
					return errFallback // non-null: gqlgen reports it
				}
				return attributeTable.write(x, f.child, a)
			},
			prime: func(p *primer, _ *planField, vs []attrVal) error {
				_, err := p.l.AttributeByID.prime(p.ctx, ids(vs, func(v attrVal) int { return v.AttributeID }))
				return err
			},
		},
		"customer": {
			write: func(x *execution, f *planField, v attrVal) error { return writeCustomerOf(x, f, v.CustomerID) },
			prime: func(p *primer, f *planField, vs []attrVal) error {
				return p.customersByID(f, ids(vs, func(v attrVal) int { return v.CustomerID }))
			},
		},
	}}
	attributeTable = &object[attr]{name: "CustomerAttribute", slot: func(c *storage.Columns) *[]string { return &c.Attribute }, fields: map[string]*field[attr]{
		"id":           key(func(x *execution, a attr) { x.int(a.ID) }),
		"name":         col("name", func(x *execution, a attr) { x.str(a.Name) }),
		"type":         col("type", func(x *execution, a attr) { writeEnum(x, a.Type) }),
		"dateCreated":  col("date_created", func(x *execution, a attr) { x.time(a.DateCreated) }),
		"dateModified": col("date_modified", func(x *execution, a attr) { x.time(a.DateModified) }),
	}}

	formFieldValueTable = &object[ffVal]{name: "CustomerFormFieldValue", slot: func(c *storage.Columns) *[]string { return &c.FormFieldValue }, fields: map[string]*field[ffVal]{
		"name": col("name", func(x *execution, v ffVal) { x.str(v.Name) }),
		"value": {cols: []string{"value"}, write: func(x *execution, _ *planField, v ffVal) error {
			b, err := v.Value.MarshalJSON()
			if err != nil {
				return err
			}
			x.b, err = appendRawJSON(x.b, b)
			return err
		}},
		"customerId": key(func(x *execution, v ffVal) { x.optInt(v.CustomerID) }),
		"addressId":  key(func(x *execution, v ffVal) { x.optInt(v.AddressID) }),
		"field": {
			write: func(x *execution, f *planField, v ffVal) error {
				d := x.l.FormFieldByID.get(v.FormFieldID)
				if d == nil {
					return errFallback
				}
				return formFieldTable.write(x, f.child, d)
			},
			prime: func(p *primer, _ *planField, vs []ffVal) error {
				_, err := p.l.FormFieldByID.prime(p.ctx, ids(vs, func(v ffVal) int { return v.FormFieldID }))
				return err
			},
		},
	}}
	formFieldTable = &object[ff]{name: "CustomerFormField", slot: func(c *storage.Columns) *[]string { return &c.FormField }, fields: map[string]*field[ff]{
		"id":        key(func(x *execution, d ff) { x.int(d.ID) }),
		"name":      col("name", func(x *execution, d ff) { x.str(d.Name) }),
		"label":     col("label", func(x *execution, d ff) { x.str(d.Label) }),
		"type":      col("type", func(x *execution, d ff) { writeEnum(x, d.Type) }),
		"appliesTo": col("applies_to", func(x *execution, d ff) { writeEnum(x, d.AppliesTo) }),
		"required":  col("required", func(x *execution, d ff) { x.bool(d.Required) }),
		"options": {cols: []string{"options"}, write: func(x *execution, _ *planField, d ff) error {
			return array(x, d.Options, func(o string) error { x.str(o); return nil })
		}},
		"dateCreated":  col("date_created", func(x *execution, d ff) { x.time(d.DateCreated) }),
		"dateModified": col("date_modified", func(x *execution, d ff) { x.time(d.DateModified) }),
	}}

	storeCreditTable = &object[*storage.StoreCreditAmount]{name: "StoreCreditAmount", fields: map[string]*field[*storage.StoreCreditAmount]{
		"amount": {write: func(x *execution, _ *planField, a *storage.StoreCreditAmount) error { return x.float(a.Amount) }},
	}}
	consentTable = &object[*storage.CustomerConsent]{name: "CustomerConsent", fields: map[string]*field[*storage.CustomerConsent]{
		"customerId": key(func(x *execution, k *storage.CustomerConsent) { x.int(k.CustomerID) }),
		"allow": {write: func(x *execution, _ *planField, k *storage.CustomerConsent) error {
			return array(x, k.Allow, func(c storage.ConsentCategory) error { writeEnum(x, c); return nil })
		}},
		"deny": {write: func(x *execution, _ *planField, k *storage.CustomerConsent) error {
			return array(x, k.Deny, func(c storage.ConsentCategory) error { writeEnum(x, c); return nil })
		}},
		"updatedAt": key(func(x *execution, k *storage.CustomerConsent) { x.optTime(k.UpdatedAt) }),
	}}

	groupTable = &object[group]{name: "CustomerGroup", slot: func(c *storage.Columns) *[]string { return &c.Group }, fields: map[string]*field[group]{
		"id":               key(func(x *execution, g group) { x.int(g.ID) }),
		"name":             col("name", func(x *execution, g group) { x.str(g.Name) }),
		"isDefault":        col("is_default", func(x *execution, g group) { x.bool(g.IsDefault) }),
		"isGroupForGuests": col("is_group_for_guests", func(x *execution, g group) { x.bool(g.IsGroupForGuests) }),
		"categoryAccess": {cols: []string{"category_access_type", "category_access_categories"}, write: func(x *execution, f *planField, g group) error {
			return categoryAccessTable.write(x, f.child, g.CategoryAccess)
		}},
		"discountRules": {cols: []string{"discount_rules"}, write: func(x *execution, f *planField, g group) error {
			return array(x, g.DiscountRules, func(r storage.DiscountRule) error { return discountRuleTable.write(x, f.child, r) })
		}},
		"dateCreated":  col("date_created", func(x *execution, g group) { x.time(g.DateCreated) }),
		"dateModified": col("date_modified", func(x *execution, g group) { x.time(g.DateModified) }),
		"customers": {
			args: (*executionContext).field_CustomerGroup_customers_args,
			write: func(x *execution, f *planField, g group) error {
				q, ok := x.groupQueries[f]
				if !ok {
					var err error
					if q, err = groupCustomersQuery(x.ctx, x.op, f); err != nil {
						return err
					}
					x.groupQueries[f] = q
				}
				pg := x.l.CustomersByGroup.get(x.l.groupCustomers(g.ID, q))
				if pg == nil {
					return errFallback
				}
				return connectionTable.write(x, f.child, pg)
			},
			prime: func(p *primer, f *planField, gs []group) error { return p.groupCustomers(f, gs) },
		},
	}}
	categoryAccessTable = &object[storage.CategoryAccess]{name: "CategoryAccess", fields: map[string]*field[storage.CategoryAccess]{
		"type":       key(func(x *execution, a storage.CategoryAccess) { writeEnum(x, a.Type) }),
		"categories": key(func(x *execution, a storage.CategoryAccess) { x.ints(a.Categories) }),
	}}
	discountRuleTable = &object[storage.DiscountRule]{name: "DiscountRule", fields: map[string]*field[storage.DiscountRule]{
		"type": key(func(x *execution, r storage.DiscountRule) { writeEnum(x, r.Type) }),
		"method": key(func(x *execution, r storage.DiscountRule) {
			if r.Method == nil {
				x.null()
			} else {
				writeEnum(x, *r.Method)
			}
		}),
		"amount": {write: func(x *execution, _ *planField, r storage.DiscountRule) error {
			if r.Amount == nil {
				x.null()
				return nil
			}
			return x.float(*r.Amount)
		}},
		"priceListId": key(func(x *execution, r storage.DiscountRule) { x.optInt(r.PriceListID) }),
		"categoryId":  key(func(x *execution, r storage.DiscountRule) { x.optInt(r.CategoryID) }),
		"productId":   key(func(x *execution, r storage.DiscountRule) { x.optInt(r.ProductID) }),
	}}

	compiledTypes = map[string]compiledType{}
	for _, t := range []interface {
		compiledType
		typeName() string
	}{queryTable, connectionTable, edgeTable, pageInfoTable, paginationTable, customerTable, authenticationTable, addressTable,
		attributeValueTable, attributeTable, formFieldValueTable, formFieldTable, storeCreditTable, consentTable, groupTable,
		categoryAccessTable, discountRuleTable} {
		compiledTypes[t.typeName()] = t
	}
}

func (o *object[T]) typeName() string { return o.name }

// writeCustomerOf writes the customer with the id, the `customer` field f
// of addresses and attribute values.
func writeCustomerOf(x *execution, f *planField, id int) error {
	c := x.l.CustomerByID.get(id)
	if c == nil {
		return errFallback // non-null: gqlgen reports it
	}
	return customerTable.write(x, f.child, c)
}

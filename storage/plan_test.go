package storage

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// largeTables are the tables that grow with the store's customers (or its
// events): a list statement must never read one of them whole to answer a
// filter. The definition tables (customer_attributes, at most
// MaxAttributes rows; customer_groups, customer_form_fields, webhooks: a
// few dozen rows an admin keeps by hand) may be scanned: reading them whole
// costs less than an index would save, and every index slows the writes
// and imports of its table.
var largeTables = []string{"customers", "customer_addresses", "customer_attribute_values",
	"customer_form_field_values", "subscribers", "customer_store_credit", "webhook_deliveries", "events"}

// planCase is one statement a list runs, and what its plan may do.
type planCase struct {
	name string
	stmt string
	args []any
	// aliases maps the statement's table aliases to table names.
	aliases map[string]string
	// walk is the one full pass over a large table the plan may make, e.g.
	// "SCAN c USING INDEX customers_date_created": the walk of the sort's
	// index (or "SCAN c", of the rowid) when nothing filters, which stops
	// at the page's end. "" allows none: the filter must be a SEARCH.
	walk string
	// sorted asks for rows in index order: no temporary b-tree for the
	// ORDER BY.
	sorted bool
	// err is set when building the case failed (so the failure is reported
	// in the case's own subtest).
	err error
}

// pageStatement returns the statement and arguments findPage runs for one
// page of list l under filter w in order o. page.go builds it inline in
// findPage (no helper builds it alone), so these lines copy it; every case
// also checks that the real list call ran this very text.
func pageStatement[T any](l listDef[T], w where, o ordering, req PageRequest) (string, []any, error) {
	p, err := planPage(l.name, o, req)
	if err != nil {
		return "", nil, err
	}
	all := w.clone()
	all.add(p.cond.and(), p.cond.args...)
	args := append(all.args, req.Limit+1, p.offset)
	stmt := `SELECT ` + l.columns + `, ` + o.keyColumns() + ` FROM ` + l.from + all.sql() +
		` ORDER BY ` + o.orderBy(p.back) + ` LIMIT ? OFFSET ?`
	return stmt, args, nil
}

// fromAliases reads the table aliases of a list's FROM clause, e.g.
// "customer_form_field_values v JOIN customer_form_fields f ON ..." gives
// v and f.
var fromAliases = regexp.MustCompile(`(?:^|JOIN )(\w+) (\w+)`)

// statementLog records the statements the store runs.
type statementLog struct {
	mu    sync.Mutex
	stmts []string
}

func (s *statementLog) observe(_ context.Context, statement string, _ time.Duration, _ error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stmts = append(s.stmts, statement)
}

// ran runs call and returns the statements it ran.
func (s *statementLog) ran(call func() error) ([]string, error) {
	s.mu.Lock()
	s.stmts = nil
	s.mu.Unlock()
	err := call()
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.stmts), err
}

// listCase builds the case of one page of list l under filter w in order o,
// and runs the list's real method (call) to check that it runs the same
// statement.
func listCase[T any](log *statementLog, name string, l listDef[T], w where, o ordering, req PageRequest, call func() error) planCase {
	c := planCase{name: name, aliases: map[string]string{}}
	for _, m := range fromAliases.FindAllStringSubmatch(l.from, -1) {
		c.aliases[m[2]] = m[1]
	}
	c.stmt, c.args, c.err = pageStatement(l, w, o, req)
	if c.err != nil {
		return c
	}
	ran, err := log.ran(call)
	if err != nil {
		c.err = err
	} else if !slices.Contains(ran, c.stmt) {
		c.err = &planDrift{built: c.stmt, ran: ran}
	}
	return c
}

// filterCases returns a builder of the cases of list l, one per filter f:
// where builds f's conditions, and find is the list's method.
func filterCases[T, F any](log *statementLog, list string, l listDef[T], o ordering, req PageRequest,
	where func(*F) where, find func(context.Context, F, PageRequest) (*Page[T], error)) func(string, F) planCase {
	return func(name string, f F) planCase {
		return listCase(log, list+"/"+name, l, where(&f), o, req, func() error {
			_, err := find(context.Background(), f, req)
			return err
		})
	}
}

// planDrift reports that the test's copy of findPage's statement is not
// the statement the list ran: page.go changed, and pageStatement must too.
type planDrift struct {
	built string
	ran   []string
}

func (e *planDrift) Error() string {
	return "the list did not run the statement built here (update pageStatement after page.go):\nbuilt:\n  " +
		e.built + "\nran:\n  " + strings.Join(e.ran, "\n  ")
}

// TestListPlans checks that every filter of every list, and every sort of
// the customer list, is served by an index: the plan of the statement the
// list runs (without ANALYZE statistics, which the store does not gather
// itself) searches its large tables instead of scanning them, and the
// customer sorts walk their index without sorting.
//
// Without statistics the planner does not look at argument values, so the
// representative values below (taken from the seeded store) matter only for
// running the real list calls.
func TestListPlans(t *testing.T) {
	ctx := context.Background()
	db := openDemo(t, 300)
	log := &statementLog{}
	db.Observer = log.observe
	cases := listPlanCases(t, db, log)

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.err != nil {
				t.Fatal(c.err)
			}
			plan, err := explain(ctx, db, c.stmt, c.args)
			if err != nil {
				t.Fatalf("EXPLAIN QUERY PLAN: %v\n%s", err, c.stmt)
			}
			show := "\nstatement:\n  " + c.stmt + "\nplan:\n  " + strings.Join(plan, "\n  ")
			for _, step := range plan {
				table, ok := scannedTable(step, c.aliases)
				if !ok || !slices.Contains(largeTables, table) {
					continue
				}
				if c.walk == "" {
					t.Errorf("%q reads all of %s: the filter should SEARCH an index%s", step, table, show)
				} else if step != c.walk {
					t.Errorf("%q reads all of %s: the only full pass allowed is %q%s", step, table, c.walk, show)
				}
			}
			if c.sorted && sortsRows(plan) {
				t.Errorf("the rows are sorted after reading them all, not read in index order%s", show)
			}
			if testing.Verbose() {
				t.Log(show)
			}
		})
	}

	// The cases above run without ANALYZE statistics, as a new store does:
	// the planner then has only the schema to go on. Close runs PRAGMA
	// optimize, which gathers them; with statistics the planner weighs how
	// many rows a filter keeps, and may rightly walk the list's order for a
	// filter that keeps many (a demo group holds a fifth of the customers).
	// The customer sorts must still read their index in order.
	if _, err := db.writer.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	analyzed, err := Open(ctx, db.Path(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { analyzed.Close() })
	var stats int
	if err := analyzed.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_stat1").Scan(&stats); err != nil || stats == 0 {
		t.Fatalf("ANALYZE left %d rows of statistics (%v)", stats, err)
	}
	for _, c := range cases {
		if !c.sorted || c.err != nil {
			continue
		}
		t.Run("analyzed/"+c.name, func(t *testing.T) {
			plan, err := explain(ctx, analyzed, c.stmt, c.args)
			if err != nil {
				t.Fatalf("EXPLAIN QUERY PLAN: %v\n%s", err, c.stmt)
			}
			if sortsRows(plan) {
				t.Errorf("with statistics, the rows are sorted after reading them all\nstatement:\n  %s\nplan:\n  %s",
					c.stmt, strings.Join(plan, "\n  "))
			}
		})
	}
}

// listPlanCases builds the plan cases of every list filter and customer
// sort on db, a store seeded with the demo (whose records give the values),
// and checks each against the statement the real list call runs (log
// must observe db).
func listPlanCases(t *testing.T, db *DB, log *statementLog) []planCase {
	t.Helper()
	ctx := context.Background()
	// Representative values, from the seeded store.
	first := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	one := PageRequest{Page: 1, Limit: 1}
	customers, err := db.FindCustomers(ctx, CustomerFilter{}, SortIDAsc, PageRequest{Page: 1, Limit: MaxLimit})
	first(err)
	addresses, err := db.FindAddresses(ctx, CustomerAddressFilter{}, one)
	first(err)
	attrValues, err := db.FindAttributeValues(ctx, CustomerAttributeValueFilter{}, one)
	first(err)
	attributes, err := db.FindAttributes(ctx, CustomerAttributeFilter{}, one)
	first(err)
	fieldValues, err := db.FindFormFieldValues(ctx, CustomerFormFieldValueFilter{}, PageRequest{Page: 1, Limit: MaxLimit})
	first(err)
	fields, err := db.FindFormFields(ctx, CustomerFormFieldFilter{}, one)
	first(err)
	groups, err := db.FindGroups(ctx, CustomerGroupFilter{}, one)
	first(err)
	subscribers, err := db.FindSubscribers(ctx, SubscriberFilter{}, one)
	first(err)
	if len(customers.Items) == 0 || len(addresses.Items) == 0 || len(attrValues.Items) == 0 || len(attributes.Items) == 0 ||
		len(fieldValues.Items) == 0 || len(fields.Items) == 0 || len(groups.Items) == 0 || len(subscribers.Items) == 0 {
		t.Fatal("the demo store lacks a kind of record")
	}
	// A customer with every filtered field set.
	i := slices.IndexFunc(customers.Items, func(c *Customer) bool {
		return c.CustomerGroupID != nil && c.Company != "" && c.Phone != "" && c.RegistrationIPAddress != ""
	})
	if i < 0 {
		t.Fatal("no demo customer has a group, a company, a phone and an IP address")
	}
	cu, ad, av, at, fd, gr, su := customers.Items[i], addresses.Items[0], attrValues.Items[0], attributes.Items[0],
		fields.Items[0], groups.Items[0], subscribers.Items[0]
	fieldCustomer, fieldAddress := 0, 0
	for _, v := range fieldValues.Items {
		if v.CustomerID != nil && fieldCustomer == 0 {
			fieldCustomer = *v.CustomerID
		}
		if v.AddressID != nil && fieldAddress == 0 {
			fieldAddress = *v.AddressID
		}
	}
	if fieldAddress == 0 {
		fieldAddress = ad.ID // the demo has no address field values: any address will do
	}
	since := func(tm time.Time) TimeRange { return TimeRange{Min: &tm} }
	until := func(tm time.Time) TimeRange { return TimeRange{Max: &tm} }
	day := func(tm time.Time) TimeRange { end := tm.Add(24 * time.Hour); return TimeRange{Min: &tm, Max: &end} }
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	yes := true
	page := PageRequest{Page: 1, Limit: DefaultLimit}

	var cases []planCase

	// Customers: every filter, in the default order (id).
	customerFilters := []struct {
		name string
		f    CustomerFilter
		// walk, when set, is a scan this filter may make, with the reason.
		walk string
	}{
		{name: "idIn", f: CustomerFilter{IDIn: []int{cu.ID, cu.ID + 1}}},
		{name: "companyIn", f: CustomerFilter{CompanyIn: []string{cu.Company}}},
		{name: "customerGroupIdIn", f: CustomerFilter{CustomerGroupIDIn: []int{*cu.CustomerGroupID}}},
		{name: "dateCreatedMin", f: CustomerFilter{DateCreated: since(cu.DateCreated)}},
		{name: "dateCreatedMax", f: CustomerFilter{DateCreated: until(cu.DateCreated)}},
		{name: "dateCreated", f: CustomerFilter{DateCreated: day(cu.DateCreated)}},
		{name: "dateModifiedMin", f: CustomerFilter{DateModified: since(cu.DateModified)}},
		{name: "dateModifiedMax", f: CustomerFilter{DateModified: until(cu.DateModified)}},
		{name: "dateModified", f: CustomerFilter{DateModified: day(cu.DateModified)}},
		{name: "emailIn", f: CustomerFilter{EmailIn: []string{cu.Email}}},
		{name: "nameIn", f: CustomerFilter{NameIn: []string{fullName(cu.FirstName, cu.LastName)}}},
		// Terms of 3 or more characters go through the trigram index (0004).
		{name: "nameLike", f: CustomerFilter{NameLike: []string{cu.LastName[:3]}}},
		{name: "nameLike/two terms", f: CustomerFilter{NameLike: []string{cu.FirstName[:3], cu.LastName[:3]}}},
		// A term of 1 or 2 characters has no trigram: a substring test
		// cannot use a b-tree index, so the list walks its order and tests
		// every row. Such terms match many names, so the walk usually stops
		// at the page's end soon.
		{name: "nameLike/short term", f: CustomerFilter{NameLike: []string{"an"}}, walk: "SCAN c"},
		{name: "phoneIn", f: CustomerFilter{PhoneIn: []string{cu.Phone}}},
		{name: "registrationIpAddressIn", f: CustomerFilter{RegistrationIPAddressIn: []string{cu.RegistrationIPAddress}}},
	}
	for _, cf := range customerFilters {
		f := cf.f
		w, err := db.customerWhere(ctx, &f)
		if err != nil {
			t.Fatal(err)
		}
		c := listCase(log, "customers/"+cf.name, customerList, w, SortIDAsc.ordering(), page, func() error {
			_, err := db.FindCustomers(ctx, cf.f, SortIDAsc, page)
			return err
		})
		c.walk = cf.walk
		cases = append(cases, c)
	}
	// A name:like term whose trigrams match more than trigramCandidates
	// names skips the index on purpose (customerWhere): the walk in the
	// page's order, which stops at the page's end, reads fewer rows. Its
	// statement is the filter without the trigram condition, built here
	// from f.where() (as customerWhere returns it then) to leave
	// trigramCandidates alone; no real call checks it.
	{
		f := CustomerFilter{NameLike: []string{"son"}}
		c := planCase{name: "customers/nameLike/common term, date_created:desc", aliases: map[string]string{"c": "customers"},
			walk: "SCAN c USING INDEX customers_date_created", sorted: true}
		c.stmt, c.args, c.err = pageStatement(customerList, f.where(), SortDateCreatedDesc.ordering(), page)
		cases = append(cases, c)
	}

	// A date range that matches rangeCandidates rows or more is left
	// unmarked (narrowRanges, for customers, subscribers and attribute
	// values): the walk in the page's order, which stops at the page's end,
	// reads fewer rows. The count that decides it must search the date's
	// index.
	for _, rc := range []struct{ from, alias, table, col string }{
		{"customers c", "c", "customers", "c.date_created"},
		{"customers c", "c", "customers", "c.date_modified"},
		{"subscribers s", "s", "subscribers", "s.date_created"},
		{"subscribers s", "s", "subscribers", "s.date_modified"},
		{"customer_attribute_values v", "v", "customer_attribute_values", "v.date_created"},
		{"customer_attribute_values v", "v", "customer_attribute_values", "v.date_modified"},
	} {
		c := planCase{name: rc.table + "/" + rc.col + " range count", aliases: map[string]string{rc.alias: rc.table}}
		c.stmt, c.args = rangeCount(rc.from, rc.col, since(cu.DateCreated))
		cases = append(cases, c)
	}
	{
		f := CustomerFilter{DateCreated: since(cu.DateCreated)}
		c := planCase{name: "customers/dateCreatedMin/broad", aliases: map[string]string{"c": "customers"}, walk: "SCAN c", sorted: true}
		c.stmt, c.args, c.err = pageStatement(customerList, f.conditions(false, false), SortIDAsc.ordering(), page)
		cases = append(cases, c)
	}

	// Customers: every sort, on its own (page by number, then by cursor
	// after and before a row), and under a filter.
	sortWalks := map[CustomerSort]string{
		SortIDAsc:            "SCAN c",
		SortIDDesc:           "SCAN c",
		SortDateCreatedAsc:   "SCAN c USING INDEX customers_date_created",
		SortDateCreatedDesc:  "SCAN c USING INDEX customers_date_created",
		SortDateModifiedAsc:  "SCAN c USING INDEX customers_date_modified",
		SortDateModifiedDesc: "SCAN c USING INDEX customers_date_modified",
		SortLastNameAsc:      "SCAN c USING INDEX customers_last_name",
		SortLastNameDesc:     "SCAN c USING INDEX customers_last_name",
	}
	for _, s := range customerSorts {
		o := s.ordering()
		// A page by number walks the sort's index from its start: the
		// rows come in order, and the walk stops after offset + limit rows.
		c := listCase(log, "customers/sort "+string(s), customerList, where{}, o, page, func() error {
			_, err := db.FindCustomers(ctx, CustomerFilter{}, s, page)
			return err
		})
		c.walk, c.sorted = sortWalks[s], true
		cases = append(cases, c)

		// A page by cursor should start at the cursor (a SEARCH on the
		// sort's index by the keyset condition); a walk from the index's
		// start that skips the rows before the cursor is also allowed, as
		// it still stops at the page's end, but then deep pages cost more.
		pg, err := db.FindCustomers(ctx, CustomerFilter{}, s, PageRequest{Page: 2, Limit: DefaultLimit})
		if err != nil || len(pg.Items) == 0 {
			t.Fatalf("sort %s: page 2: %v", s, err)
		}
		cursor := pg.Cursor(len(pg.Items) / 2)
		for _, side := range []struct {
			name string
			req  PageRequest
		}{
			{"after", PageRequest{Limit: DefaultLimit, After: cursor}},
			{"before", PageRequest{Limit: DefaultLimit, Before: cursor}},
		} {
			c := listCase(log, "customers/sort "+string(s)+"/"+side.name+" cursor", customerList, where{}, o, side.req, func() error {
				_, err := db.FindCustomers(ctx, CustomerFilter{}, s, side.req)
				return err
			})
			c.walk, c.sorted = sortWalks[s], true
			cases = append(cases, c)
		}

		// Under a selective filter the filter's index must find the rows
		// (they are then sorted, few as they are): walking the sort's index
		// would read every row the filter rejects.
		for _, cf := range []struct {
			name string
			f    CustomerFilter
		}{
			{"customerGroupIdIn", CustomerFilter{CustomerGroupIDIn: []int{*cu.CustomerGroupID}}},
			{"companyIn", CustomerFilter{CompanyIn: []string{cu.Company}}},
			{"emailIn", CustomerFilter{EmailIn: []string{cu.Email}}},
			{"nameLike", CustomerFilter{NameLike: []string{cu.LastName[:3]}}},
		} {
			f := cf.f
			w, err := db.customerWhere(ctx, &f)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, listCase(log, "customers/sort "+string(s)+"/"+cf.name, customerList, w, o, page, func() error {
				_, err := db.FindCustomers(ctx, cf.f, s, page)
				return err
			}))
		}
	}

	// The other lists, by id. Filters of the small definition tables may
	// scan them (see largeTables); they are checked all the same, so that a
	// large table they reach (as attribute values' name does) is searched.
	addressCase := filterCases(log, "addresses", addressList, idOrder("a.id"), page, (*CustomerAddressFilter).where, db.FindAddresses)
	attributeCase := filterCases(log, "attributes", attributeList, idOrder("t.id"), page, (*CustomerAttributeFilter).where, db.FindAttributes)
	attributeValueCase := filterCases(log, "attributeValues", attributeValueList, idOrder("v.id"), page,
		(*CustomerAttributeValueFilter).where, db.FindAttributeValues)
	formFieldCase := filterCases(log, "formFields", formFieldList, idOrder("f.id"), page, (*CustomerFormFieldFilter).where, db.FindFormFields)
	formFieldValueCase := filterCases(log, "formFieldValues", formFieldValueList, idOrder("v.id"), page,
		(*CustomerFormFieldValueFilter).where, db.FindFormFieldValues)
	groupCase := filterCases(log, "groups", groupList, idOrder("g.id"), page, (*CustomerGroupFilter).where, db.FindGroups)
	subscriberCase := filterCases(log, "subscribers", subscriberList, idOrder("s.id"), page, (*SubscriberFilter).where, db.FindSubscribers)
	webhookCase := filterCases(log, "webhooks", webhookList, idOrder("w.id"), page, (*WebhookFilter).where, db.FindWebhooks)
	// FindDeliveries' order, newest first, is written inline in webhook.go.
	deliveryOrder := ordering{name: "id:desc", keys: []sortKey{{col: "d.id"}}, desc: true}
	deliveryCase := filterCases(log, "deliveries", deliveryList, deliveryOrder, page, (*WebhookDeliveryFilter).where, db.FindDeliveries)
	attrType, fieldType, fieldScope, pending := at.Type, fd.Type, fd.AppliesTo, DeliveryPending
	cases = append(cases,
		addressCase("idIn", CustomerAddressFilter{IDIn: []int{ad.ID}}),
		addressCase("customerIdIn", CustomerAddressFilter{CustomerIDIn: []int{ad.CustomerID}}),
		addressCase("companyIn", CustomerAddressFilter{CompanyIn: []string{ad.Company}}),
		addressCase("nameIn", CustomerAddressFilter{NameIn: []string{fullName(ad.FirstName, ad.LastName)}}),

		// Small table: may scan, even for nameLike (a substring test).
		attributeCase("idIn", CustomerAttributeFilter{IDIn: []int{at.ID}}),
		attributeCase("name", CustomerAttributeFilter{Name: &at.Name}),
		attributeCase("nameLike", CustomerAttributeFilter{NameLike: str(at.Name[:2])}),
		attributeCase("type", CustomerAttributeFilter{Type: &attrType}),
		attributeCase("dateCreated", CustomerAttributeFilter{DateCreated: day(at.DateCreated)}),
		attributeCase("dateModified", CustomerAttributeFilter{DateModified: day(at.DateModified)}),

		attributeValueCase("idIn", CustomerAttributeValueFilter{IDIn: []int{av.ID}}),
		attributeValueCase("customerIdIn", CustomerAttributeValueFilter{CustomerIDIn: []int{av.CustomerID}}),
		attributeValueCase("attributeIdIn", CustomerAttributeValueFilter{AttributeIDIn: []int{av.AttributeID}}),
		attributeValueCase("name", CustomerAttributeValueFilter{Name: &at.Name}),
		attributeValueCase("dateCreatedMin", CustomerAttributeValueFilter{DateCreated: since(av.DateCreated)}),
		attributeValueCase("dateCreated", CustomerAttributeValueFilter{DateCreated: day(av.DateCreated)}),
		attributeValueCase("dateModifiedMin", CustomerAttributeValueFilter{DateModified: since(av.DateModified)}),
		attributeValueCase("dateModified", CustomerAttributeValueFilter{DateModified: day(av.DateModified)}),

		// Small table: may scan.
		formFieldCase("idIn", CustomerFormFieldFilter{IDIn: []int{fd.ID}}),
		formFieldCase("name", CustomerFormFieldFilter{Name: &fd.Name}),
		formFieldCase("type", CustomerFormFieldFilter{Type: &fieldType}),
		formFieldCase("appliesTo", CustomerFormFieldFilter{AppliesTo: &fieldScope}),

		formFieldValueCase("customerId", CustomerFormFieldValueFilter{CustomerID: num(fieldCustomer)}),
		formFieldValueCase("addressId", CustomerFormFieldValueFilter{AddressID: num(fieldAddress)}),
		formFieldValueCase("fieldName", CustomerFormFieldValueFilter{FieldName: &fd.Name}),
		formFieldValueCase("fieldType", CustomerFormFieldValueFilter{FieldType: &fieldType}),

		// Small table: may scan, even for nameLike (a substring test).
		groupCase("idIn", CustomerGroupFilter{IDIn: []int{gr.ID}}),
		groupCase("name", CustomerGroupFilter{Name: &gr.Name}),
		groupCase("nameLike", CustomerGroupFilter{NameLike: str(gr.Name[:2])}),
		groupCase("isDefault", CustomerGroupFilter{IsDefault: &yes}),
		groupCase("isGroupForGuests", CustomerGroupFilter{IsGroupForGuests: &yes}),

		subscriberCase("id", SubscriberFilter{ID: &su.ID}),
		subscriberCase("email", SubscriberFilter{Email: &su.Email}),
		subscriberCase("firstName", SubscriberFilter{FirstName: &su.FirstName}),
		subscriberCase("lastName", SubscriberFilter{LastName: &su.LastName}),
		subscriberCase("source", SubscriberFilter{Source: &su.Source}),
		subscriberCase("orderId", SubscriberFilter{OrderID: num(1)}),
		subscriberCase("dateCreatedMin", SubscriberFilter{DateCreated: since(su.DateCreated)}),
		subscriberCase("dateCreated", SubscriberFilter{DateCreated: day(su.DateCreated)}),
		subscriberCase("dateModifiedMin", SubscriberFilter{DateModified: since(su.DateModified)}),
		subscriberCase("dateModified", SubscriberFilter{DateModified: day(su.DateModified)}),

		// Small table: may scan.
		webhookCase("idIn", WebhookFilter{IDIn: []int{1}}),
		webhookCase("scope", WebhookFilter{Scope: str("store/customer/*")}),
		webhookCase("isActive", WebhookFilter{IsActive: &yes}),

		deliveryCase("idIn", WebhookDeliveryFilter{IDIn: []int{1}}),
		deliveryCase("webhookIdIn", WebhookDeliveryFilter{WebhookIDIn: []int{1}}),
		deliveryCase("eventIdIn", WebhookDeliveryFilter{EventIDIn: []int{1}}),
		deliveryCase("status", WebhookDeliveryFilter{Status: &pending}),
	)
	return cases
}

// sortsRows reports whether a plan sorts its rows for the ORDER BY, in
// whole or in part, rather than reading them in order.
func sortsRows(plan []string) bool {
	return slices.ContainsFunc(plan, func(step string) bool {
		return strings.Contains(step, "TEMP B-TREE") && strings.Contains(step, "ORDER BY")
	})
}

// explain returns the steps of the statement's query plan.
func explain(ctx context.Context, db *DB, stmt string, args []any) ([]string, error) {
	rows, err := db.reader.QueryContext(ctx, "EXPLAIN QUERY PLAN "+stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			return nil, err
		}
		plan = append(plan, detail)
	}
	return plan, rows.Err()
}

// scannedTable returns the table a plan step reads whole ("SCAN c",
// "SCAN c USING INDEX x", "SCAN c USING COVERING INDEX x"), resolving
// the statement's aliases; a search, a virtual table (json_each, the
// trigram index) and every other step give false.
func scannedTable(step string, aliases map[string]string) (string, bool) {
	f := strings.Fields(step)
	if len(f) < 2 || f[0] != "SCAN" || strings.Contains(step, "VIRTUAL TABLE") {
		return "", false
	}
	if table, ok := aliases[f[1]]; ok {
		return table, true
	}
	return f[1], true
}

package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// DemoCustomers is how many customers SeedDemo writes by default.
const DemoCustomers = 1200

// demoEnd is the newest creation date of the demo store, fixed so that the
// seed is the same on every machine and every day.
var demoEnd = time.Date(2026, 6, 30, 18, 0, 0, 0, time.UTC)

// IsEmpty reports whether the store holds no customers, groups, attributes,
// form fields or subscribers.
func (db *DB) IsEmpty(ctx context.Context) (bool, error) {
	rows, err := db.query(ctx, db.reader, `SELECT
		(SELECT COUNT(*) FROM (SELECT 1 FROM customers LIMIT 1) AS n) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM customer_groups LIMIT 1) AS n) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM customer_attributes LIMIT 1) AS n) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM customer_form_fields LIMIT 1) AS n) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM subscribers LIMIT 1) AS n)`)
	if err != nil {
		return false, fmt.Errorf("check empty: %w", err)
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return false, fmt.Errorf("check empty: %w", err)
		}
	}
	return n == 0, rows.Err()
}

// SeedDemo writes a deterministic demo store into an empty database: groups
// with discount rules, attribute and form field definitions, n customers
// (addresses, attribute values, form field values, store credit, consent),
// subscribers and channel settings, so every field shows something real.
// The same n gives the same store, byte for byte. It returns ECONFLICT when
// the store is not empty.
func (db *DB) SeedDemo(ctx context.Context, n int) error {
	empty, err := db.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		return Errorf(ECONFLICT, "The store is not empty; the demo seeds only an empty store.")
	}
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := (&demoSeeder{tx: tx, rnd: rand.New(rand.NewPCG(2019, 2026))}).seed(ctx, n); err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	return tx.Commit()
}

type demoSeeder struct {
	tx  *Tx
	rnd *rand.Rand

	groups     []*CustomerGroup
	attributes []*CustomerAttribute
	fields     []*CustomerFormField
}

var (
	demoFirstNames = []string{"Sherlock", "James", "John", "Irene", "Mary", "Åsa", "Zoë", "José", "Björn", "Ørjan",
		"Łukasz", "Jürgen", "Anaïs", "Chloé", "Siobhán", "Mateo", "Amara", "Kenji", "Priya", "Olivia",
		"Liam", "Noah", "Emma", "Ava", "Sofia", "Lucas", "Mia", "Ethan", "Isabella", "Amelia",
		"Hana", "Yusuf", "Fatima", "Ingrid", "Nikolai", "Aroha", "Thandiwe", "Dmitri", "Elif", "Santiago"}
	demoLastNames = []string{"Holmes", "Moriarty", "Watson", "Adler", "Hudson", "Lestrade", "Lindqvist", "Müller",
		"García", "Nakamura", "Okafor", "Kowalski", "O'Brien", "Dubois", "Rossi", "Andersen", "Novak", "Silva",
		"Patel", "Kim", "Nguyen", "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Martin", "Anderson",
		"Thompson", "de la Cruz", "van Dijk", "Ødegaard", "Østergaard", "Şahin", "Zhang", "Haddad"}
	demoCompanies = []string{"", "", "", "BigCommerce", "Commongood", "Baker Street Consulting", "Acme Corp",
		"Globex", "Initech", "Umbrella Retail", "Stark Supplies", "Wayne Outfitters", "Nordic Trail AB"}
	demoCities = []struct{ country, state, city, postal, street string }{
		{"US", "Texas", "Austin", "78701", "Congress Avenue"}, {"US", "California", "San Francisco", "94107", "Market Street"},
		{"US", "New York", "New York", "10001", "Fifth Avenue"}, {"US", "Illinois", "Chicago", "60601", "Michigan Avenue"},
		{"GB", "Greater London", "London", "NW1 6XE", "Baker Street"}, {"GB", "Scotland", "Edinburgh", "EH1 1YZ", "Royal Mile"},
		{"SE", "Stockholm", "Stockholm", "111 22", "Drottninggatan"}, {"DE", "Berlin", "Berlin", "10115", "Unter den Linden"},
		{"FR", "Île-de-France", "Paris", "75001", "Rue de Rivoli"}, {"JP", "Tokyo", "Tokyo", "100-0001", "Chuo-dori"},
		{"AU", "New South Wales", "Sydney", "2000", "George Street"}, {"CA", "Ontario", "Toronto", "M5H 2N2", "Queen Street West"},
		{"NO", "Oslo", "Oslo", "0150", "Karl Johans gate"}, {"BR", "São Paulo", "São Paulo", "01000-000", "Avenida Paulista"},
	}
	demoColors = []string{"Blue", "Green", "Crimson", "Teal", "Amber", "Violet"}
)

func (s *demoSeeder) pick(list []string) string { return list[s.rnd.IntN(len(list))] }

// at returns a time days before the demo's end, at a seeded time of day.
func (s *demoSeeder) at(daysBefore int) time.Time {
	return demoEnd.AddDate(0, 0, -daysBefore).Add(-time.Duration(s.rnd.IntN(86400)) * time.Second)
}

func (s *demoSeeder) seed(ctx context.Context, n int) error {
	for _, step := range []func(context.Context) error{s.seedGroups, s.seedAttributes, s.seedFormFields, s.seedSettings} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	for i := 1; i <= n; i++ {
		if err := s.seedCustomer(ctx, i); err != nil {
			return err
		}
	}
	return s.seedSubscribers(ctx, n/4)
}

func (s *demoSeeder) seedGroups(ctx context.Context) error {
	percent, fixed, price := DiscountPercent, DiscountFixed, DiscountPrice
	amount := func(f float64) *float64 { return &f }
	id := func(n int) *int { return &n }
	created := demoEnd.AddDate(-3, 0, 0)
	s.groups = []*CustomerGroup{
		{Name: "Retail", IsDefault: true, CategoryAccess: CategoryAccess{Type: CategoryAccessAll, Categories: []int{}}},
		{Name: "Wholesale", CategoryAccess: CategoryAccess{Type: CategoryAccessAll, Categories: []int{}},
			DiscountRules: []DiscountRule{
				{Type: DiscountAll, Method: &percent, Amount: amount(15)},
				{Type: DiscountCategory, Method: &fixed, Amount: amount(2.5), CategoryID: id(23)},
				{Type: DiscountPriceList, PriceListID: id(3)},
			}},
		{Name: "VIP", CategoryAccess: CategoryAccess{Type: CategoryAccessSpecific, Categories: []int{18, 19, 23}},
			DiscountRules: []DiscountRule{
				{Type: DiscountAll, Method: &percent, Amount: amount(10)},
				{Type: DiscountProduct, Method: &price, Amount: amount(99.95), ProductID: id(77)},
			}},
		{Name: "Guests", IsGroupForGuests: true, CategoryAccess: CategoryAccess{Type: CategoryAccessSpecific, Categories: []int{18}}},
		{Name: "Staff", CategoryAccess: CategoryAccess{Type: CategoryAccessNone, Categories: []int{}}},
	}
	for i, g := range s.groups {
		g.DateCreated = created.AddDate(0, 0, i)
		g.DateModified = g.DateCreated
		if err := s.tx.insertGroup(ctx, g); err != nil {
			return err
		}
	}
	return nil
}

func (s *demoSeeder) seedAttributes(ctx context.Context) error {
	created := demoEnd.AddDate(-3, 0, 0)
	for i, a := range []struct {
		name string
		typ  CustomerAttributeType
	}{
		{"Date Joined", AttributeDate}, {"Loyalty Points", AttributeNumber}, {"Favorite Color", AttributeString},
		{"Shoe Size", AttributeNumber}, {"Birthday", AttributeDate}, {"Preferred Store", AttributeString},
	} {
		attr := &CustomerAttribute{Name: a.name, Type: a.typ, DateCreated: created.AddDate(0, 0, i), DateModified: created.AddDate(0, 0, i)}
		if err := s.tx.insertAttribute(ctx, attr); err != nil {
			return err
		}
		s.attributes = append(s.attributes, attr)
	}
	return nil
}

func (s *demoSeeder) seedFormFields(ctx context.Context) error {
	created := demoEnd.AddDate(-3, 0, 0)
	for _, f := range []*CustomerFormField{
		{Name: "referral_source", Label: "How did you hear about us?", Type: FormFieldPicklist, AppliesTo: FormFieldOnCustomer,
			Options: []string{"Search", "Friend", "Podcast", "Newspaper"}},
		{Name: "interests", Label: "Interests", Type: FormFieldCheckboxes, AppliesTo: FormFieldOnCustomer,
			Options: []string{"Running", "Hiking", "Cycling", "Climbing"}},
		{Name: "household_size", Label: "Household size", Type: FormFieldNumbers, AppliesTo: FormFieldOnCustomer},
		{Name: "nickname", Label: "Nickname", Type: FormFieldText, AppliesTo: FormFieldOnCustomer},
		{Name: "delivery_instructions", Label: "Delivery instructions", Type: FormFieldMultiline, AppliesTo: FormFieldOnAddress},
		{Name: "gate_code", Label: "Gate code", Type: FormFieldText, AppliesTo: FormFieldOnAddress},
	} {
		f.DateCreated, f.DateModified = created, created
		if err := s.tx.insertFormField(ctx, f); err != nil {
			return err
		}
		s.fields = append(s.fields, f)
	}
	return nil
}

func (s *demoSeeder) seedSettings(ctx context.Context) error {
	if _, err := s.tx.exec(ctx, `UPDATE customer_settings SET ask_shopper_for_tracking_consent = 1,
		policy_url = 'https://shop.example.com/privacy' WHERE id = 1`); err != nil {
		return err
	}
	_, err := s.tx.exec(ctx, `INSERT INTO channel_customer_settings (channel_id, allow_global_logins, policy_url,
		default_customer_group_id) VALUES (2, 0, 'https://eu.shop.example.com/privacy', ?)`, s.groups[1].ID)
	return err
}

func (s *demoSeeder) seedCustomer(ctx context.Context, i int) error {
	r := s.rnd
	first, last := s.pick(demoFirstNames), s.pick(demoLastNames)
	created := s.at(r.IntN(3 * 365))
	modified := created
	if r.IntN(3) > 0 {
		modified = created.Add(time.Duration(r.IntN(int(demoEnd.Sub(created)/time.Second)+1)) * time.Second)
	}
	c := &Customer{
		Email:                                   fmt.Sprintf("%s.%s.%d@example.com", asciiSlug(first), asciiSlug(last), i),
		FirstName:                               first,
		LastName:                                last,
		Company:                                 s.pick(demoCompanies),
		Phone:                                   fmt.Sprintf("+1 512 555 %04d", r.IntN(10000)),
		OriginChannelID:                         1 + r.IntN(10)/9,
		DateCreated:                             created,
		DateModified:                            modified,
		AcceptsProductReviewAbandonedCartEmails: r.IntN(2) == 0,
	}
	if r.IntN(5) == 0 {
		c.Notes = "Prefers delivery after 5pm."
	}
	if r.IntN(10) == 0 {
		c.TaxExemptCategory = "WHOLESALE"
	}
	if r.IntN(3) == 0 {
		c.RegistrationIPAddress = fmt.Sprintf("203.0.113.%d", r.IntN(254)+1)
	}
	if g := r.IntN(10); g < 8 {
		id := s.groups[[]int{0, 0, 0, 0, 0, 1, 1, 2}[g]].ID
		c.CustomerGroupID = &id
	}
	if c.OriginChannelID == 2 {
		c.ChannelIDs = []int{2}
	}
	c.ForcePasswordReset = r.IntN(25) == 0
	if err := s.tx.insertCustomer(ctx, c, ""); err != nil {
		return err
	}

	for a := range r.IntN(4) {
		place := demoCities[r.IntN(len(demoCities))]
		addr := &CustomerAddress{
			CustomerID: c.ID, FirstName: first, LastName: last, Company: c.Company,
			Address1: fmt.Sprintf("%d %s", 1+r.IntN(300), place.street),
			City:     place.city, StateOrProvince: place.state, PostalCode: place.postal, CountryCode: place.country,
			Phone: c.Phone, AddressType: AddressResidential,
		}
		if a == 1 {
			addr.AddressType = AddressCommercial
			addr.Address2 = fmt.Sprintf("Suite %d", 100+r.IntN(900))
		}
		if err := s.tx.insertAddress(ctx, addr); err != nil {
			return err
		}
		if r.IntN(2) == 0 {
			if err := s.tx.upsertFormFieldValue(ctx, &CustomerFormFieldValue{FormFieldID: s.fields[4].ID, AddressID: &addr.ID,
				Value: StringValue("Leave with the concierge.\nRing twice.")}); err != nil {
				return err
			}
		}
		if r.IntN(4) == 0 {
			if err := s.tx.upsertFormFieldValue(ctx, &CustomerFormFieldValue{FormFieldID: s.fields[5].ID, AddressID: &addr.ID,
				Value: StringValue(fmt.Sprintf("#%04d", r.IntN(10000)))}); err != nil {
				return err
			}
		}
	}

	values := []string{
		created.Format("2006-01-02"),
		fmt.Sprint(r.IntN(5000)),
		s.pick(demoColors),
		fmt.Sprint(36 + r.IntN(12)),
		time.Date(1950+r.IntN(55), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC).Format("2006-01-02"),
		s.pick([]string{"Austin", "London", "Stockholm", "Online"}),
	}
	for k, attr := range s.attributes {
		if k > 0 && r.IntN(3) == 0 {
			continue
		}
		v := &CustomerAttributeValue{CustomerID: c.ID, AttributeID: attr.ID, Value: values[k], DateCreated: created, DateModified: modified}
		if err := s.tx.insertAttributeValue(ctx, v); err != nil {
			return err
		}
	}

	custValues := []FormValue{
		StringValue(s.pick(s.fields[0].Options)),
		StringsValue(s.fields[1].Options[:1+r.IntN(len(s.fields[1].Options))]),
		NumberValue(float64(1 + r.IntN(6))),
		StringValue(strings.ToLower(string([]rune(first)[:1])) + "." + asciiSlug(last)),
	}
	for k, v := range custValues {
		if r.IntN(2) == 0 {
			continue
		}
		if err := s.tx.upsertFormFieldValue(ctx, &CustomerFormFieldValue{FormFieldID: s.fields[k].ID, CustomerID: &c.ID, Value: v}); err != nil {
			return err
		}
	}

	if r.IntN(3) == 0 {
		credit := []*StoreCreditAmount{{Amount: float64(r.IntN(20000)) / 100}}
		if r.IntN(4) == 0 {
			credit = append(credit, &StoreCreditAmount{Amount: 43.15})
		}
		if err := s.tx.replaceStoreCredit(ctx, c.ID, credit); err != nil {
			return err
		}
	}

	if r.IntN(5) < 3 {
		consent := &CustomerConsent{CustomerID: c.ID, Allow: []ConsentCategory{ConsentEssential}, Deny: []ConsentCategory{}, UpdatedAt: &modified}
		for _, cat := range consentCategories[1:] {
			if r.IntN(2) == 0 {
				consent.Allow = append(consent.Allow, cat)
			} else {
				consent.Deny = append(consent.Deny, cat)
			}
		}
		if err := s.tx.setConsent(ctx, consent); err != nil {
			return err
		}
	}
	return nil
}

func (s *demoSeeder) seedSubscribers(ctx context.Context, n int) error {
	sources := []string{"storefront", "order", "custom"}
	for i := 1; i <= n; i++ {
		first, last := s.pick(demoFirstNames), s.pick(demoLastNames)
		created := s.at(s.rnd.IntN(2 * 365))
		sub := &Subscriber{
			Email:     fmt.Sprintf("%s.%s.news%d@example.net", asciiSlug(first), asciiSlug(last), i),
			FirstName: first, LastName: last, Source: sources[s.rnd.IntN(len(sources))], ChannelID: 1,
			DateCreated: created, DateModified: created,
		}
		if sub.Source == "order" {
			order := 100 + s.rnd.IntN(9000)
			sub.OrderID = &order
		}
		if err := s.tx.insertSubscriber(ctx, sub); err != nil {
			return err
		}
	}
	return nil
}

// asciiSlug lower-cases a name and keeps its ASCII letters, for demo emails.
func asciiSlug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r == 'å' || r == 'ä' || r == 'à' || r == 'á' || r == 'ã':
			b.WriteByte('a')
		case r == 'ø' || r == 'ö' || r == 'ó':
			b.WriteByte('o')
		case r == 'é' || r == 'ë' || r == 'è':
			b.WriteByte('e')
		case r == 'ï' || r == 'í':
			b.WriteByte('i')
		case r == 'ü':
			b.WriteByte('u')
		case r == 'ł':
			b.WriteByte('l')
		case r == 'ş':
			b.WriteByte('s')
		}
	}
	return b.String()
}

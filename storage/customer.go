package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Customer is a shopper's account (V3 customer_Full, domain/customers-spec.md
// §4.1). The password hash never leaves the store.
type Customer struct {
	ID                    int
	Email                 string
	FirstName             string
	LastName              string
	Company               string
	Phone                 string
	Notes                 string
	TaxExemptCategory     string
	RegistrationIPAddress string
	// CustomerGroupID is nil when the customer is in no group.
	CustomerGroupID                         *int
	AcceptsProductReviewAbandonedCartEmails bool
	OriginChannelID                         int
	// ChannelIDs is nil for global access, else the channels the customer
	// may sign in to.
	ChannelIDs         []int
	ForcePasswordReset bool
	DateCreated        time.Time
	DateModified       time.Time
}

// CustomerAuthentication is the password state shown in responses: only the
// reset flag (V3 `authentication`).
type CustomerAuthentication struct {
	ForcePasswordReset bool
}

// FullName is first_name + " " + last_name, the name V3's name:in and
// name:like filters match.
func (c *Customer) FullName() string { return c.FirstName + " " + c.LastName }

// Authentication returns the customer's password state.
func (c *Customer) Authentication() CustomerAuthentication {
	return CustomerAuthentication{ForcePasswordReset: c.ForcePasswordReset}
}

// StoreCreditAmount is one store credit entry of a customer.
type StoreCreditAmount struct {
	Amount float64
}

// CustomerFilter holds the V3 filters of the customer list
// (domain/customers-spec.md §2.1 and Appendix A). A nil slice does not
// filter; an empty one matches nothing. Fields combine with AND and the
// values of one slice are ORed (../API.md decision 6).
type CustomerFilter struct {
	IDIn                    []int
	CompanyIn               []string
	CustomerGroupIDIn       []int
	DateCreated             TimeRange
	DateModified            TimeRange
	EmailIn                 []string
	NameIn                  []string
	NameLike                []string
	PhoneIn                 []string
	RegistrationIPAddressIn []string

	// V2's filters (domain/customers-spec.md §2.7): exact first and last
	// name and tax exempt category, and an id range (min_id, max_id).
	FirstName, LastName, TaxExemptCategory *string
	IDMin, IDMax                           *int
}

// where builds the filter's conditions on customers aliased c, its date
// ranges marked as narrow.
func (f *CustomerFilter) where() where { return f.conditions(true, true) }

// conditions builds the filter's conditions on customers aliased c, marking
// the date ranges as narrow or not (see addDateRange).
func (f *CustomerFilter) conditions(createdNarrow, modifiedNarrow bool) where {
	var w where
	in(&w, "c.id", f.IDIn)
	in(&w, "c.company", f.CompanyIn)
	in(&w, "c.customer_group_id", f.CustomerGroupIDIn)
	addDateRange(&w, "c.date_created", f.DateCreated, createdNarrow)
	addDateRange(&w, "c.date_modified", f.DateModified, modifiedNarrow)
	// ../API.md decision 4: emails match ignoring case.
	in(&w, "c.email_fold", foldAll(f.EmailIn))
	// ../API.md decision 3: name:in is a case-insensitive match of the full
	// name, name:like a case-insensitive substring of it.
	in(&w, "c.name_fold", foldAll(f.NameIn))
	anyContains(&w, "c.name_fold", f.NameLike)
	in(&w, "c.phone", f.PhoneIn)
	in(&w, "c.registration_ip_address", f.RegistrationIPAddressIn)
	if f.FirstName != nil {
		w.add("c.first_name = ?", *f.FirstName)
	}
	if f.LastName != nil {
		w.add("c.last_name = ?", *f.LastName)
	}
	if f.TaxExemptCategory != nil {
		w.add("c.tax_exempt_category = ?", *f.TaxExemptCategory)
	}
	if f.IDMin != nil {
		w.add("c.id >= ?", *f.IDMin)
	}
	if f.IDMax != nil {
		w.add("c.id <= ?", *f.IDMax)
	}
	return w
}

// fullName is how V3 joins a name for name:in and name:like
// (domain/customers-spec.md §9.5-6, settled by ../API.md decision 3).
func fullName(first, last string) string { return first + " " + last }

const customerColumns = `c.id, c.email, c.first_name, c.last_name, c.company, c.phone, c.notes,
	c.tax_exempt_category, c.registration_ip_address, c.customer_group_id,
	c.accepts_product_review_abandoned_cart_emails, c.origin_channel_id, c.channel_ids,
	c.force_password_reset, c.date_created, c.date_modified`

func scanCustomer(s rowScanner, extra ...any) (*Customer, error) {
	var (
		c                     Customer
		group                 sql.NullInt64
		channels              sql.NullString
		created, modified     string
		accepts, forceRefresh bool
	)
	dest := append([]any{&c.ID, &c.Email, &c.FirstName, &c.LastName, &c.Company, &c.Phone, &c.Notes,
		&c.TaxExemptCategory, &c.RegistrationIPAddress, &group,
		&accepts, &c.OriginChannelID, &channels,
		&forceRefresh, &created, &modified}, extra...)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	c.AcceptsProductReviewAbandonedCartEmails, c.ForcePasswordReset = accepts, forceRefresh
	if group.Valid {
		id := int(group.Int64)
		c.CustomerGroupID = &id
	}
	if err := c.setChannelIDs(channels); err != nil {
		return nil, err
	}
	var err error
	if c.DateCreated, err = parseTime(created); err != nil {
		return nil, err
	}
	if c.DateModified, err = parseTime(modified); err != nil {
		return nil, err
	}
	return &c, nil
}

// setChannelIDs decodes the stored channel ids: NULL is global access.
func (c *Customer) setChannelIDs(stored sql.NullString) error {
	if !stored.Valid {
		c.ChannelIDs = nil
		return nil
	}
	if err := json.Unmarshal([]byte(stored.String), &c.ChannelIDs); err != nil {
		return fmt.Errorf("customer %d channel_ids: %w", c.ID, err)
	}
	if c.ChannelIDs == nil {
		c.ChannelIDs = []int{}
	}
	return nil
}

var customerList = listDef[*Customer]{
	name:    "customers",
	from:    "customers c",
	columns: customerColumns,
	scan:    scanCustomer,
}

// FindCustomers returns one page of the customers that match f, in the
// order s. It returns EINVALID for a bad page, limit or cursor.
func (db *DB) FindCustomers(ctx context.Context, f CustomerFilter, s CustomerSort, req PageRequest) (*Page[*Customer], error) {
	return db.all.FindCustomers(ctx, f, s, req)
}

// trigramCandidates is how many trigram matches a name:like search may have
// for the trigram index to serve it. Past it, the terms are common, and a
// scan in the page's order, which stops at the page's end, reads fewer
// rows than the matches would.
var trigramCandidates = 5000 // a variable for the tests

// rangeCandidates is how many rows a date range may match for its index
// to serve a list in another order. Past it, a walk in the list's order,
// which stops at the page's end, reads fewer rows than sorting the matches
// would.
var rangeCandidates = 5000 // a variable for the tests

// rangeCount returns the statement that counts, up to rangeCandidates, the
// rows of from (a table and its alias, a constant) whose date column col
// lies in r, in col's index.
func rangeCount(from, col string, r TimeRange) (string, []any) {
	var w where
	addDateRange(&w, col, r, false)
	return `SELECT COUNT(*) FROM (SELECT 1 FROM ` + from + w.sql() + ` LIMIT ?) AS n`, append(w.args, rangeCandidates)
}

// narrowRanges tells, for a list's two date ranges, whether each matches
// fewer than rangeCandidates rows of from (see addDateRange); an unset
// range is narrow.
func (db *DB) narrowRanges(ctx context.Context, from, createdCol string, created TimeRange, modifiedCol string,
	modified TimeRange) (createdNarrow, modifiedNarrow bool, err error) {
	narrow := func(col string, r TimeRange) (bool, error) {
		if r.Min == nil && r.Max == nil {
			return true, nil
		}
		stmt, args := rangeCount(from, col, r)
		n, err := queryOne(ctx, db, db.reader, "", scanInt, stmt, args...)
		if err != nil {
			return false, fmt.Errorf("count date range: %w", err)
		}
		return n < rangeCandidates, nil
	}
	if createdNarrow, err = narrow(createdCol, created); err != nil {
		return false, false, err
	}
	modifiedNarrow, err = narrow(modifiedCol, modified)
	return createdNarrow, modifiedNarrow, err
}

// customerWhere builds f's conditions: its date ranges marked narrow when
// they are, and for a name:like search whose terms are rare enough narrowed
// to the trigram index's candidates.
func (db *DB) customerWhere(ctx context.Context, f *CustomerFilter) (where, error) {
	created, modified, err := db.narrowRanges(ctx, "customers c", "c.date_created", f.DateCreated, "c.date_modified", f.DateModified)
	if err != nil {
		return where{}, fmt.Errorf("find customers: %w", err)
	}
	w := f.conditions(created, modified)
	match := trigramQuery(f.NameLike)
	if match == "" || db.pg {
		// PostgreSQL's trigram index (pg_trgm) serves the substring
		// test itself (dialect.go, contains).
		return w, nil
	}
	n, err := queryOne(ctx, db, db.reader, "", scanInt, `SELECT COUNT(*) FROM (SELECT rowid FROM customers_name_trigrams
		WHERE customers_name_trigrams MATCH ? LIMIT ?)`, match, trigramCandidates)
	if err != nil {
		return w, fmt.Errorf("find customers: %w", err)
	}
	if n < trigramCandidates {
		w.add(`c.id IN (SELECT rowid FROM customers_name_trigrams WHERE customers_name_trigrams MATCH ?)`, match)
	}
	return w, nil
}

// trigramQuery returns the FTS5 query for rows whose folded name may
// contain one of terms: for each term, all of its trigrams. It returns ""
// when a term is shorter than a trigram, which the index cannot serve, or
// holds a NUL.
func trigramQuery(terms []string) string {
	if len(terms) == 0 {
		return ""
	}
	var ors []string
	for _, t := range terms {
		rs := []rune(Fold(t))
		if len(rs) < 3 || strings.ContainsRune(t, 0) { // FTS5 queries end at NUL
			return ""
		}
		var ands []string
		seen := map[string]bool{}
		for i := 0; i+3 <= len(rs); i++ {
			g := string(rs[i : i+3])
			if !seen[g] {
				seen[g] = true
				ands = append(ands, `"`+strings.ReplaceAll(g, `"`, `""`)+`"`)
			}
		}
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return strings.Join(ors, " OR ")
}

// FindCustomersByGroupIDs returns, for each group id, one page of its
// customers that match f, in the order s: the nested `customers` of many
// groups in one statement. It returns EINVALID for a bad page, limit or
// cursor.
func (db *DB) FindCustomersByGroupIDs(ctx context.Context, groupIDs []int, f CustomerFilter, s CustomerSort, req PageRequest) (map[int]*Page[*Customer], error) {
	return db.all.FindCustomersByGroupIDs(ctx, groupIDs, f, s, req)
}

// FindCustomerByID returns the customer with the id, or ENOTFOUND.
func (db *DB) FindCustomerByID(ctx context.Context, id int) (*Customer, error) {
	return db.all.FindCustomerByID(ctx, id)
}

// FindCustomersByIDs returns the customers with the ids that exist, by id.
func (db *DB) FindCustomersByIDs(ctx context.Context, ids []int) (map[int]*Customer, error) {
	return db.all.FindCustomersByIDs(ctx, ids)
}

// CountAddressesByCustomerIDs returns how many addresses each customer has;
// customers without any are absent from the map.
func (db *DB) CountAddressesByCustomerIDs(ctx context.Context, ids []int) (map[int]int, error) {
	return db.countByParent(ctx, `SELECT customer_id, COUNT(*) FROM customer_addresses
		WHERE `+inList("customer_id")+` GROUP BY customer_id`, ids)
}

// CountAttributeValuesByCustomerIDs returns how many attribute values each
// customer has; customers without any are absent from the map.
func (db *DB) CountAttributeValuesByCustomerIDs(ctx context.Context, ids []int) (map[int]int, error) {
	return db.countByParent(ctx, `SELECT customer_id, COUNT(*) FROM customer_attribute_values
		WHERE `+inList("customer_id")+` GROUP BY customer_id`, ids)
}

func (db *DB) countByParent(ctx context.Context, stmt string, ids []int) (map[int]int, error) {
	ctx, err := keyLookup(ctx)
	if err != nil {
		return nil, err
	}
	pairs, err := queryAll(ctx, db, db.reader, func(s rowScanner) ([2]int, error) {
		var p [2]int
		return p, s.Scan(&p[0], &p[1])
	}, stmt, listArg(ids))
	if err != nil {
		return nil, fmt.Errorf("count by customer: %w", err)
	}
	out := make(map[int]int, len(pairs))
	for _, p := range pairs {
		out[p[0]] = p[1]
	}
	return out, nil
}

// FindStoreCreditByCustomerIDs returns the store credit entries of each
// customer, in entry order.
func (db *DB) FindStoreCreditByCustomerIDs(ctx context.Context, ids []int) (map[int][]*StoreCreditAmount, error) {
	ctx, err := keyLookup(ctx)
	if err != nil {
		return nil, err
	}
	type row struct {
		customer int
		amount   int64
	}
	rows, err := queryAll(ctx, db, db.reader, func(s rowScanner) (row, error) {
		var r row
		return r, s.Scan(&r.customer, &r.amount)
	}, `SELECT customer_id, amount FROM customer_store_credit
		WHERE `+inList("customer_id")+` ORDER BY customer_id, id`, listArg(ids))
	if err != nil {
		return nil, fmt.Errorf("find store credit: %w", err)
	}
	out := make(map[int][]*StoreCreditAmount)
	for _, r := range rows {
		out[r.customer] = append(out[r.customer], &StoreCreditAmount{Amount: amountFromUnits(r.amount)})
	}
	return out, nil
}

// moneyScale is how many stored units make one currency unit.
const moneyScale = 10_000

// amountFromUnits converts stored ten-thousandths to an amount.
func amountFromUnits(u int64) float64 { return float64(u) / moneyScale }

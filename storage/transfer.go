package storage

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/storefront/customers/wire"
)

// Import and export move customers as V3 JSON lines: one customer a line,
// as V3 returns it with include=addresses,storecredit,attributes,formfields
// (../API.md, Command line), in the shapes of package wire (wire.Customer).
// Import keeps what a create would assign: ids, dates and the registration
// IP come from the file. Two keys extend V3 so that export then import
// reproduces a store: `consent`, and, only when asked for,
// `authentication.password_hash`.

// ImportBatch is how many lines one import transaction writes. Large
// transactions write each index page they touch once per commit, which is
// most of an import's cost as the indexes outgrow the cache.
const ImportBatch = 4000

// importCacheKiB is the writer's page cache during an import (the store's
// default is 16 MB): the growing indexes' pages stay cached.
const importCacheKiB = 256 << 10

// ImportProblem is one rejected line of an import.
type ImportProblem struct {
	Line int
	Err  error
}

// Error implements error: "line 12: input.email: ... (CONFLICT)".
func (p ImportProblem) Error() string { return fmt.Sprintf("line %d: %v", p.Line, p.Err) }

// ImportStats counts an import's lines.
type ImportStats struct {
	Lines, Imported, Rejected int
}

// importChunk is a batch of lines read, decoded and checked on their own,
// ready for the checks against the store and the write.
type importChunk struct {
	batch    []CustomerInput
	lines    []int
	news     []*newCustomer
	c        checker
	problems []ImportProblem // lines that did not decode
	read     int             // lines read, up to the chunk's end
}

// Import reads V3 JSON lines from r and creates their customers, in
// transactions of ImportBatch lines. A line with any problem (bad JSON, a
// rule of the create, an id or email already taken, a group, attribute or
// form field that does not exist) writes nothing of itself and goes to
// problem with its line number; the other lines are imported. progress,
// when set, is called after each batch. Import records no events: it is a
// migration, not a change of the store's customers.
//
// One goroutine reads, decodes and checks lines while another writes the
// batch before: the two take about the same time.
func (db *DB) Import(ctx context.Context, r io.Reader, problem func(ImportProblem), progress func(ImportStats)) (ImportStats, error) {
	var st ImportStats
	if err := db.writerCache(ctx, importCacheKiB); err != nil {
		return st, fmt.Errorf("import: %w", formatError(err))
	}
	defer db.writerCache(context.WithoutCancel(ctx), writerCacheKiB)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan *importChunk, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(chunks)
		readErr <- readImport(ctx, r, chunks)
	}()
	for ch := range chunks {
		st.Lines = ch.read
		st.Rejected += len(ch.problems)
		n, problems, err := db.importBatch(ctx, ch)
		if err != nil {
			cancel()
			for range chunks { // let the reader end
			}
			return st, err
		}
		// Lines that did not decode and lines the store refused, in line
		// order.
		problems = append(problems, ch.problems...)
		slices.SortStableFunc(problems, func(a, b ImportProblem) int { return cmp.Compare(a.Line, b.Line) })
		for _, p := range problems {
			problem(p)
		}
		st.Imported += n
		st.Rejected += len(ch.batch) - n
		if progress != nil {
			progress(st)
		}
	}
	return st, <-readErr
}

// check runs the checks of the chunk's lines that need no store.
func (ch *importChunk) check() {
	for i := range ch.batch {
		ic := ch.c.item("input", i)
		n := ic.customerInput(&ch.batch[i])
		n.hash = ch.batch[i].passwordHash
		if k := ch.batch[i].consent; k != nil {
			ic.consent(k.Allow, k.Deny)
		}
		ch.news = append(ch.news, n)
	}
}

// readImport reads r into chunks of up to ImportBatch decoded lines, each
// checked on its own; the last chunk may be empty, so that the writer
// reports progress at the end.
func readImport(ctx context.Context, r io.Reader, chunks chan<- *importChunk) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	ch := &importChunk{}
	send := func() bool {
		if ctx.Err() != nil { // the writer has stopped: stop reading now
			return false
		}
		ch.check()
		select {
		case chunks <- ch:
			ch = &importChunk{read: ch.read}
			return true
		case <-ctx.Done():
			return false
		}
	}
	for sc.Scan() {
		if ch.read%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ch.read++
		// A copy: decoded JSON values may keep slices of it, and the scanner
		// reuses its buffer.
		text := bytes.Clone(bytes.TrimSpace(sc.Bytes()))
		if len(text) == 0 {
			continue
		}
		in, err := parseV3Line(text)
		if err != nil {
			ch.problems = append(ch.problems, ImportProblem{Line: ch.read, Err: err})
			continue
		}
		ch.batch, ch.lines = append(ch.batch, in), append(ch.lines, ch.read)
		if len(ch.batch) == ImportBatch && !send() {
			return ctx.Err()
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read import: line %d: %w", ch.read+1, err)
	}
	if !send() {
		return ctx.Err()
	}
	return nil
}

// v3Ignored are keys that V3 sends with other include= values and that
// import accepts and drops.
var v3Ignored = map[string]bool{"shopper_profile_id": true, "segment_ids": true}

// parseV3Line decodes one line into a create input.
func parseV3Line(line []byte) (CustomerInput, error) {
	var c wire.Customer
	if err := decodeLine(line, &c, v3Ignored); err != nil {
		return CustomerInput{}, err
	}
	var in CustomerInput
	var errs Errors
	fail := func(code, field, format string, args ...any) {
		errs = append(errs, &Error{Code: code, Field: field, Index: -1, Message: fmt.Sprintf(format, args...)})
	}
	if c.ID < 1 {
		fail(EREQUIRED, "id", "Each line keeps its customer's id, 1 or more.")
	}
	in = CustomerInput{
		ID: c.ID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company, Phone: c.Phone,
		Notes: c.Notes, TaxExemptCategory: c.TaxExemptCategory, RegistrationIPAddress: c.RegistrationIPAddress,
		AcceptsProductReviewAbandonedCartEmails: c.AcceptsProductReviewAbandonedCartEmails,
		ChannelIDs:                              c.ChannelIDs, ForcePasswordReset: c.Authentication.ForcePasswordReset,
		CustomerGroupID: Optional[*int]{Set: true},
	}
	if c.CustomerGroupID != 0 {
		g := c.CustomerGroupID
		in.CustomerGroupID.Value = &g
	}
	if c.OriginChannelID != 0 {
		o := c.OriginChannelID
		in.OriginChannelID = &o
	}
	// Import keeps dates: a missing one is REQUIRED, a malformed one INVALID.
	date := func(field, v string, dst *time.Time) {
		if v == "" {
			fail(EREQUIRED, field, "Each line keeps its dates; this one is missing.")
			return
		}
		t, err := parseTime(v)
		if err != nil {
			fail(EINVALID, field, "%q is not a date; dates are RFC 3339 UTC in whole seconds, like 2019-02-19T18:34:16Z.",
				truncate(v, 40))
			return
		}
		*dst = t
	}
	// An embedded form field value is {name, value}: the owner keys of the
	// listed form (customer_id, address_id) are not part of it.
	formValues := func(field string, vs []wire.FormFieldValue) []FormFieldValueInput {
		var out []FormFieldValueInput
		for j, fv := range vs {
			at := fmt.Sprintf("%s.%d", field, j)
			if fv.CustomerID != nil {
				fail(EINVALID, at+".customer_id", "Unknown key.")
			}
			if fv.AddressID != nil {
				fail(EINVALID, at+".address_id", "Unknown key.")
			}
			var v FormValue
			if fv.Value != nil {
				if err := v.UnmarshalJSON(fv.Value); err != nil {
					fail(EINVALID, at+".value", "A form field value is a string, a number or a list of strings.")
				}
			}
			out = append(out, FormFieldValueInput{Name: fv.Name, Value: v})
		}
		return out
	}
	date("date_created", c.DateCreated, &in.DateCreated)
	date("date_modified", c.DateModified, &in.DateModified)
	if h := c.Authentication.PasswordHash; h != "" {
		if !strings.HasPrefix(h, "$argon2id$") {
			fail(EINVALID, "authentication.password_hash", "Only argon2id hashes in PHC form are kept.")
		}
		in.passwordHash = h
	}
	for j, a := range c.Addresses {
		ai := AddressInput{ID: a.ID, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company, Address1: a.Address1,
			Address2: a.Address2, City: a.City, StateOrProvince: a.StateOrProvince, PostalCode: a.PostalCode,
			CountryCode: a.CountryCode, Phone: a.Phone, AddressType: CustomerAddressType(a.AddressType),
			FormFields: formValues(fmt.Sprintf("addresses.%d.form_fields", j), a.FormFields)}
		if a.ID < 1 {
			fail(EREQUIRED, fmt.Sprintf("addresses.%d.id", j), "Each address keeps its id, 1 or more.")
		}
		in.Addresses = append(in.Addresses, ai)
	}
	for j, a := range c.Attributes {
		v := AttributeValueInput{ID: a.ID, AttributeID: a.AttributeID, Value: a.AttributeValue}
		if a.Value != nil {
			v.Value = *a.Value
		}
		if a.ID < 1 {
			fail(EREQUIRED, fmt.Sprintf("attributes.%d.id", j), "Each attribute value keeps its id, 1 or more.")
		}
		date(fmt.Sprintf("attributes.%d.date_created", j), a.DateCreated, &v.DateCreated)
		date(fmt.Sprintf("attributes.%d.date_modified", j), a.DateModified, &v.DateModified)
		in.Attributes = append(in.Attributes, v)
	}
	in.FormFields = formValues("form_fields", c.FormFields)
	for _, a := range c.StoreCreditAmounts {
		in.StoreCreditAmounts = append(in.StoreCreditAmounts, &StoreCreditAmount{Amount: a.Amount})
	}
	if k := c.Consent; k != nil {
		var at time.Time
		date("consent.updated_at", k.UpdatedAt, &at)
		in.consent = &CustomerConsent{Allow: enumsOf[ConsentCategory](k.Allow), Deny: enumsOf[ConsentCategory](k.Deny), UpdatedAt: &at}
	}
	if len(errs) > 0 {
		return CustomerInput{}, errs
	}
	return in, nil
}

// enumsOf converts wire strings to enum values; nil stays nil.
func enumsOf[T ~string](ss []string) []T {
	if ss == nil {
		return nil
	}
	out := make([]T, len(ss))
	for i, s := range ss {
		out[i] = T(s)
	}
	return out
}

// stringsOf converts enum values to wire strings; nil stays nil.
func stringsOf[T ~string](vs []T) []string {
	if vs == nil {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// wireValue is a form value in the wire shape: its JSON.
func wireValue(v FormValue) json.RawMessage {
	b, _ := v.MarshalJSON() // never fails
	return b
}

// importBatch checks a chunk against the store and writes it in one
// transaction, skipping the lines with problems; it returns how many it
// wrote, and the problems of the others.
func (db *DB) importBatch(ctx context.Context, ch *importChunk) (int, []ImportProblem, error) {
	if len(ch.batch) == 0 {
		return 0, nil, nil
	}
	tx, err := db.beginImport(ctx)
	if err != nil {
		return 0, nil, err
	}
	if tx.conn != nil {
		defer tx.conn.Close() // after the rollback
	}
	defer tx.Rollback()
	written, problems, err := tx.importChunk(ctx, ch)
	if err != nil {
		return 0, nil, err
	}
	if err := tx.Commit(); err != nil {
		return 0, nil, err
	}
	return written, problems, nil
}

// importChunk checks a chunk against the store and writes its good lines
// in tx; it returns how many it wrote, and the problems of the others.
func (tx *Tx) importChunk(ctx context.Context, ch *importChunk) (int, []ImportProblem, error) {
	batch, lines, news, c := ch.batch, ch.lines, ch.news, &ch.c
	c.itemName = func(i int) string { return "line " + strconv.Itoa(lines[i]) }
	if err := tx.checkNewCustomers(ctx, c, batch, news); err != nil {
		return 0, nil, err
	}
	if err := tx.checkImportIDs(ctx, c, batch); err != nil {
		return 0, nil, err
	}
	bad := map[int]Errors{}
	for _, e := range c.errs {
		// Name fields as in the line, not as in a batch: "addresses.0.city".
		e.Field = v3Field(strings.TrimPrefix(strings.TrimPrefix(e.Field, fmt.Sprintf("input.%d", e.Index)), "."))
		bad[e.Index] = append(bad[e.Index], e)
	}
	var problems []ImportProblem
	written := 0
	w := newImportWriter()
	for i, n := range news {
		if es := bad[i]; es != nil {
			problems = append(problems, ImportProblem{Line: lines[i], Err: es})
			continue
		}
		if err := w.add(n, batch[i].consent, tx.now); err != nil {
			return 0, nil, err
		}
		written++
	}
	if err := w.write(ctx, tx); err != nil {
		return 0, nil, err
	}
	return written, problems, nil
}

// v3Field spells a problem's field path (the GraphQL input's camelCase:
// addresses.0.countryCode) as the key path of a V3 line
// (addresses.0.country_code).
func v3Field(path string) string {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		switch {
		case p == "forcePasswordReset":
			p = "authentication.force_password_reset"
		case p == "value" && i == 2 && parts[0] == "attributes":
			p = "attribute_value" // the embedded form's key
		default:
			p = snakeCase(p)
		}
		parts[i] = p
	}
	return strings.Join(parts, ".")
}

// snakeCase turns a camelCase name into snake_case: registrationIpAddress
// becomes registration_ip_address, address1 stays.
func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if 'A' <= r && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// checkImportIDs reports ids of the batch's customers, addresses and
// attribute values that the store or an earlier line of the batch holds.
func (tx *Tx) checkImportIDs(ctx context.Context, c *checker, batch []CustomerInput) error {
	var customers, addresses, values []int
	for _, in := range batch {
		customers = append(customers, in.ID)
		for _, a := range in.Addresses {
			addresses = append(addresses, a.ID)
		}
		for _, v := range in.Attributes {
			values = append(values, v.ID)
		}
	}
	taken := map[string]map[int]bool{}
	for table, ids := range map[string][]int{"customers": customers, "customer_addresses": addresses,
		"customer_attribute_values": values} {
		found, err := tx.existing(ctx, table, ids)
		if err != nil {
			return err
		}
		taken[table] = found
	}
	// claimedBy records which item first gave each id.
	claimedBy := map[string]map[int]int{}
	claim := func(ic *itemChecker, table, what string, id, i int) {
		if taken[table][id] {
			ic.fail(ECONFLICT, "id", "The store already has %s with the id %d.", what, id)
			return
		}
		if claimedBy[table] == nil {
			claimedBy[table] = map[int]int{}
		}
		if j, ok := claimedBy[table][id]; ok {
			ic.fail(ECONFLICT, "id", "The id %d of %s is also given to %s.", id, what, c.other(j))
			return
		}
		claimedBy[table][id] = i
	}
	for i, in := range batch {
		ic := c.item("input", i)
		claim(ic, "customers", "a customer", in.ID, i)
		for j, a := range in.Addresses {
			claim(ic.at("addresses", j), "customer_addresses", "an address", a.ID, i)
		}
		for j, v := range in.Attributes {
			claim(ic.at("attributes", j), "customer_attribute_values", "an attribute value", v.ID, i)
		}
	}
	return nil
}

// Export writes every customer as a V3 JSON line, by id, in pages read
// from one snapshot; withHashes adds the password hashes.
func (db *DB) Export(ctx context.Context, w io.Writer, withHashes bool) (int, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := 0
	if err := tx.eachV3Customer(ctx, withHashes, func(c *wire.Customer) error {
		n++
		return enc.Encode(c)
	}); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// eachV3Customer calls f with every customer in V3 form, by id, reading
// pages of 1,000 in tx; withHashes adds the password hashes.
func (tx *Tx) eachV3Customer(ctx context.Context, withHashes bool, f func(*wire.Customer) error) error {
	after := 0
	for {
		cs, err := queryTx(ctx, tx, customerList.scanRow,
			`SELECT `+customerColumns+` FROM customers c WHERE c.id > ? ORDER BY c.id LIMIT 1000`, after)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return nil
		}
		lines, err := tx.v3Customers(ctx, cs, withHashes)
		if err != nil {
			return err
		}
		for _, l := range lines {
			if err := f(l); err != nil {
				return err
			}
		}
		after = cs[len(cs)-1].ID
	}
}

// v3Customers builds the V3 form of customers with all their relations,
// one statement per relation.
func (tx *Tx) v3Customers(ctx context.Context, cs []*Customer, withHashes bool) ([]*wire.Customer, error) {
	ids := make([]int, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	q := tx.tx
	addrs, err := findByParents(ctx, tx.db, q, addressList, "a.customer_id", ids, func(a *CustomerAddress) int { return a.CustomerID }, addressOrder)
	if err != nil {
		return nil, err
	}
	var addrIDs []int
	for _, as := range addrs {
		for _, a := range as {
			addrIDs = append(addrIDs, a.ID)
		}
	}
	addrValues, err := findByParents(ctx, tx.db, q, formFieldValueList, "v.address_id", addrIDs,
		func(v *CustomerFormFieldValue) int { return *v.AddressID }, formFieldValueOrder)
	if err != nil {
		return nil, err
	}
	values, err := findByParents(ctx, tx.db, q, formFieldValueList, "v.customer_id", ids,
		func(v *CustomerFormFieldValue) int { return *v.CustomerID }, formFieldValueOrder)
	if err != nil {
		return nil, err
	}
	attrs, err := findByParents(ctx, tx.db, q, attributeValueList, "v.customer_id", ids,
		func(v *CustomerAttributeValue) int { return v.CustomerID }, attributeValueOrder)
	if err != nil {
		return nil, err
	}
	credit, err := tx.storeCreditOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	consent, err := queryTx(ctx, tx, scanConsent, `SELECT customer_id, allow, deny, updated_at FROM customer_consent
		WHERE `+inList("customer_id"), listArg(ids))
	if err != nil {
		return nil, err
	}
	consentOf := map[int]*CustomerConsent{}
	for _, k := range consent {
		consentOf[k.CustomerID] = k
	}
	hashes := map[int]string{}
	if withHashes {
		type pair struct {
			id   int
			hash string
		}
		ps, err := queryTx(ctx, tx, func(s rowScanner) (pair, error) {
			var p pair
			return p, s.Scan(&p.id, &p.hash)
		}, `SELECT id, password_hash FROM customers WHERE password_hash IS NOT NULL AND `+inList("id"), listArg(ids))
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			hashes[p.id] = p.hash
		}
	}
	out := make([]*wire.Customer, len(cs))
	for i, c := range cs {
		v := &wire.Customer{
			ID: c.ID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company, Phone: c.Phone,
			RegistrationIPAddress: c.RegistrationIPAddress, Notes: c.Notes, TaxExemptCategory: c.TaxExemptCategory,
			DateCreated: formatTime(c.DateCreated), DateModified: formatTime(c.DateModified),
			Authentication:                          wire.Authentication{ForcePasswordReset: c.ForcePasswordReset, PasswordHash: hashes[c.ID]},
			AcceptsProductReviewAbandonedCartEmails: c.AcceptsProductReviewAbandonedCartEmails,
			ChannelIDs:                              c.ChannelIDs, OriginChannelID: c.OriginChannelID,
			// Every relation is included: empty lists, never left out.
			Addresses: []wire.Address{}, Attributes: []wire.AttributeValue{}, FormFields: []wire.FormFieldValue{},
			StoreCreditAmounts: []wire.StoreCreditAmount{},
		}
		if c.CustomerGroupID != nil {
			v.CustomerGroupID = *c.CustomerGroupID
		}
		for _, a := range addrs[c.ID] {
			va := wire.Address{ID: a.ID, CustomerID: a.CustomerID, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company,
				Address1: a.Address1, Address2: a.Address2, City: a.City, StateOrProvince: a.StateOrProvince,
				PostalCode: a.PostalCode, Country: a.Country(), CountryCode: a.CountryCode, Phone: a.Phone,
				AddressType: string(a.AddressType), FormFields: []wire.FormFieldValue{}}
			for _, fv := range addrValues[a.ID] {
				va.FormFields = append(va.FormFields, wire.FormFieldValue{Name: fv.Name, Value: wireValue(fv.Value)})
			}
			v.Addresses = append(v.Addresses, va)
		}
		for _, a := range attrs[c.ID] {
			v.Attributes = append(v.Attributes, wire.AttributeValue{ID: a.ID, CustomerID: a.CustomerID, AttributeID: a.AttributeID,
				AttributeValue: a.Value, DateCreated: formatTime(a.DateCreated), DateModified: formatTime(a.DateModified)})
		}
		for _, fv := range values[c.ID] {
			v.FormFields = append(v.FormFields, wire.FormFieldValue{Name: fv.Name, Value: wireValue(fv.Value)})
		}
		for _, a := range credit[c.ID] {
			v.StoreCreditAmounts = append(v.StoreCreditAmounts, wire.StoreCreditAmount{Amount: a.Amount})
		}
		if k := consentOf[c.ID]; k != nil {
			v.Consent = &wire.Consent{Allow: stringsOf(k.Allow), Deny: stringsOf(k.Deny), UpdatedAt: formatTime(*k.UpdatedAt)}
		}
		v.AddressCount, v.AttributeCount = len(v.Addresses), len(v.Attributes)
		out[i] = v
	}
	return out, nil
}

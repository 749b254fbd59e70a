package storage

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/storefront/customers/wire"
)

// A dump is the whole store as JSON lines, each {"type": T, "data": {...}}
// with the record's V2/V3 snake_case fields (wire's V3 shapes for
// customers, attributes and subscribers), in this order:
//
//	dump                        {"format": 2}, always the first line
//	settings                    the store-wide settings, once
//	token                       API tokens, revoked ones too, by id: name,
//	                            scopes, cost budget, dates and the token's
//	                            SHA-256, never the token
//	group                       customer groups, with discount rules, by id
//	channel_settings            each channel's overrides, by channel
//	attribute                   attribute definitions, by id
//	form_field                  form field definitions, by id
//	customer                    customers as export writes them (V3 with
//	                            includes), by id
//	metafield                   customer metafields, with their owner token,
//	                            by id
//	subscriber                  subscribers, with their consents, by id
//	webhook                     webhooks, with their format and owner token,
//	                            without their signing secrets, by id
//	webhook_notification_email  the addresses told when a token's webhook
//	                            is turned off, by token and address
//	sequences                   the last id each table gave, so that ids of
//	                            deleted records (and event ids, which
//	                            webhook receivers use to spot repeats) are
//	                            never given again
//	end                         {"lines": N}, the lines before it: a dump
//	                            cut short is refused
//
// Every id and date is kept. Restore reads it into an empty store, all or
// nothing; a dump of the restored store is the same bytes. Tokens come
// before the records that name them (metafields, REST webhooks and their
// notification emails), which are refused when their token is not in the
// dump.
//
// API tokens are kept as the store keeps them: the SHA-256 of a 256-bit
// random token. That cannot be turned back into the token, nor presented
// in its place, so the restored store accepts the same tokens while the
// dump holds no credential that signs in. Apps are not dumped: their
// client secrets are kept in clear (they sign and check JWTs), and a dump
// should hold no usable secret; register them again after a restore (the
// webhooks and metafields of tokens survive, since they belong to tokens,
// not to apps). Not in a dump either: webhook signing secrets (restore
// makes new ones), shopper sessions, the token signing key, events and
// webhook deliveries; password hashes only when asked for.
//
// Format 1, written before tokens, metafields, webhook formats and owners,
// subscriber consents and notification emails were dumped, is still
// restored: what it lacks is left at its defaults.

// dumpFormat is the version of the dump's layout; restore also reads
// dumps from oldestDumpFormat on.
const (
	dumpFormat       = 2
	oldestDumpFormat = 1
)

// Dump line types, in the order a dump holds them.
var dumpSections = []string{"dump", "settings", "token", "group", "channel_settings", "attribute", "form_field", "customer",
	"metafield", "subscriber", "webhook", "webhook_notification_email", "sequences", "end"}

// dumpLine is one line of a dump.
type dumpLine struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

type dumpHeader struct {
	Format int `json:"format"`
}

type dumpEnd struct {
	Lines int `json:"lines"`
}

type dumpSettings struct {
	PrivacySettings dumpPrivacy `json:"privacy_settings"`
}

type dumpPrivacy struct {
	AskShopperForTrackingConsent bool   `json:"ask_shopper_for_tracking_consent"`
	PolicyURL                    string `json:"policy_url"`
}

type dumpChannelSettings struct {
	ChannelID             int                      `json:"channel_id"`
	AllowGlobalLogins     *bool                    `json:"allow_global_logins"`
	PrivacySettings       dumpChannelPrivacy       `json:"privacy_settings"`
	CustomerGroupSettings dumpChannelGroupSettings `json:"customer_group_settings"`
}

type dumpChannelPrivacy struct {
	AskShopperForTrackingConsent *bool   `json:"ask_shopper_for_tracking_consent"`
	PolicyURL                    *string `json:"policy_url"`
}

type dumpChannelGroupSettings struct {
	GuestCustomerGroupID   *int `json:"guest_customer_group_id"`
	DefaultCustomerGroupID *int `json:"default_customer_group_id"`
}

type dumpGroup struct {
	ID               int                `json:"id"`
	Name             string             `json:"name"`
	IsDefault        bool               `json:"is_default"`
	IsGroupForGuests bool               `json:"is_group_for_guests"`
	CategoryAccess   dumpCategoryAccess `json:"category_access"`
	DiscountRules    []storedRule       `json:"discount_rules"`
	DateCreated      string             `json:"date_created"`
	DateModified     string             `json:"date_modified"`
}

type dumpCategoryAccess struct {
	Type       CategoryAccessType `json:"type"`
	Categories []int              `json:"categories"`
}

type dumpFormField struct {
	ID           int                    `json:"id"`
	Name         string                 `json:"name"`
	Label        string                 `json:"label"`
	Type         CustomerFormFieldType  `json:"type"`
	AppliesTo    CustomerFormFieldScope `json:"applies_to"`
	Required     bool                   `json:"required"`
	Options      []string               `json:"options"`
	DateCreated  string                 `json:"date_created"`
	DateModified string                 `json:"date_modified"`
}

type dumpWebhook struct {
	ID                int               `json:"id"`
	Scope             string            `json:"scope"`
	Destination       string            `json:"destination"`
	IsActive          bool              `json:"is_active"`
	Headers           map[string]string `json:"headers"`
	DeactivatedReason string            `json:"deactivated_reason"`
	Format            WebhookFormat     `json:"format"`
	OwnerTokenID      *int              `json:"owner_token_id"`
	DateCreated       string            `json:"date_created"`
	DateModified      string            `json:"date_modified"`
}

// dumpToken is an API token; TokenHash is the SHA-256 (hex) the store
// keeps, never the token.
type dumpToken struct {
	ID          int      `json:"id"`
	Name        string   `json:"name"`
	Scopes      []string `json:"scopes"`
	TokenHash   string   `json:"token_hash"`
	CostBudget  *int     `json:"cost_budget"`
	CostRestore *int     `json:"cost_restore"`
	DateCreated string   `json:"date_created"`
	LastUsed    *string  `json:"last_used"`
	RevokedAt   *string  `json:"revoked_at"`
}

type dumpMetafield struct {
	ID            int                    `json:"id"`
	CustomerID    int                    `json:"customer_id"`
	OwnerTokenID  int                    `json:"owner_token_id"`
	Namespace     string                 `json:"namespace"`
	Key           string                 `json:"key"`
	Value         string                 `json:"value"`
	Description   string                 `json:"description"`
	PermissionSet MetafieldPermissionSet `json:"permission_set"`
	DateCreated   string                 `json:"date_created"`
	DateModified  string                 `json:"date_modified"`
}

type dumpNotificationEmail struct {
	OwnerTokenID int    `json:"owner_token_id"`
	Email        string `json:"email"`
}

// DumpOptions tune Dump.
type DumpOptions struct {
	// PasswordHashes adds customers' password hashes (argon2id), so that a
	// restored store keeps sign-in working; the dump is then a secret.
	PasswordHashes bool
}

// TransferStats counts the records of a dump or a restore, by type.
type TransferStats struct {
	Tokens, ChannelSettings, Groups, Attributes, FormFields, Customers, Metafields int
	Subscribers, Webhooks, NotificationEmails                                      int
}

// String implements fmt.Stringer: "5 groups, 3 attributes, ...".
func (s TransferStats) String() string {
	parts := []string{}
	for _, p := range []struct {
		n    int
		what string
	}{{s.Tokens, "API tokens"}, {s.Groups, "groups"}, {s.ChannelSettings, "channel settings"}, {s.Attributes, "attributes"},
		{s.FormFields, "form fields"}, {s.Customers, "customers"}, {s.Metafields, "metafields"}, {s.Subscribers, "subscribers"},
		{s.Webhooks, "webhooks"}, {s.NotificationEmails, "webhook notification emails"}} {
		parts = append(parts, strconv.Itoa(p.n)+" "+p.what)
	}
	return strings.Join(parts, ", ")
}

// Dump writes the whole store to w as JSON lines (see the layout above),
// from one snapshot.
func (db *DB) Dump(ctx context.Context, w io.Writer, opts DumpOptions) (TransferStats, error) {
	var st TransferStats
	tx, err := db.beginRead(ctx)
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	bw := bufio.NewWriterSize(w, 1<<20)
	d := &dumper{enc: json.NewEncoder(bw)}
	d.enc.SetEscapeHTML(false)
	if err := tx.dump(ctx, d, opts, &st); err != nil {
		return st, fmt.Errorf("dump: %w", err)
	}
	if err := d.write("end", dumpEnd{Lines: d.lines}); err != nil {
		return st, fmt.Errorf("dump: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("dump: %w", err)
	}
	return st, nil
}

// dumper writes the lines of a dump and counts them.
type dumper struct {
	enc   *json.Encoder
	lines int
}

func (d *dumper) write(typ string, data any) error {
	d.lines++
	return d.enc.Encode(struct {
		Type string `json:"type"`
		Data any    `json:"data"`
	}{typ, data})
}

// dump writes every section but the end line.
func (tx *Tx) dump(ctx context.Context, d *dumper, opts DumpOptions, st *TransferStats) error {
	if err := d.write("dump", dumpHeader{Format: dumpFormat}); err != nil {
		return err
	}
	settings, err := queryTx(ctx, tx, func(s rowScanner) (dumpSettings, error) {
		var v dumpSettings
		return v, s.Scan(&v.PrivacySettings.AskShopperForTrackingConsent, &v.PrivacySettings.PolicyURL)
	}, `SELECT ask_shopper_for_tracking_consent, policy_url FROM customer_settings WHERE id = 1`)
	if err != nil {
		return err
	}
	for _, s := range settings {
		if err := d.write("settings", s); err != nil {
			return err
		}
	}
	if err := tx.dumpTokens(ctx, d, st); err != nil {
		return err
	}
	groups, err := queryTx(ctx, tx, groupList.scanRow, `SELECT `+groupColumns+` FROM customer_groups g ORDER BY g.id`)
	if err != nil {
		return err
	}
	for _, g := range groups {
		rules, err := storedRules(g.DiscountRules)
		if err != nil {
			return err
		}
		if err := d.write("group", dumpGroup{ID: g.ID, Name: g.Name, IsDefault: g.IsDefault, IsGroupForGuests: g.IsGroupForGuests,
			CategoryAccess: dumpCategoryAccess{Type: g.CategoryAccess.Type, Categories: g.CategoryAccess.Categories},
			DiscountRules:  rules, DateCreated: formatTime(g.DateCreated), DateModified: formatTime(g.DateModified)}); err != nil {
			return err
		}
		st.Groups++
	}
	channels, err := queryTx(ctx, tx, scanChannelSettings, `SELECT channel_id, allow_global_logins, ask_shopper_for_tracking_consent,
		policy_url, guest_customer_group_id, default_customer_group_id FROM channel_customer_settings ORDER BY channel_id`)
	if err != nil {
		return err
	}
	for _, c := range channels {
		if err := d.write("channel_settings", dumpChannelSettings{ChannelID: c.ChannelID, AllowGlobalLogins: c.AllowGlobalLogins,
			PrivacySettings: dumpChannelPrivacy{AskShopperForTrackingConsent: c.PrivacySettings.AskShopperForTrackingConsent,
				PolicyURL: c.PrivacySettings.PolicyURL},
			CustomerGroupSettings: dumpChannelGroupSettings{GuestCustomerGroupID: c.CustomerGroupSettings.GuestCustomerGroupID,
				DefaultCustomerGroupID: c.CustomerGroupSettings.DefaultCustomerGroupID}}); err != nil {
			return err
		}
		st.ChannelSettings++
	}
	attrs, err := queryTx(ctx, tx, attributeList.scanRow, `SELECT `+attributeList.columns+` FROM `+attributeList.from+` ORDER BY t.id`)
	if err != nil {
		return err
	}
	for _, a := range attrs {
		if err := d.write("attribute", wire.Attribute{ID: a.ID, Name: a.Name, Type: string(a.Type),
			DateCreated: formatTime(a.DateCreated), DateModified: formatTime(a.DateModified)}); err != nil {
			return err
		}
		st.Attributes++
	}
	fields, err := queryTx(ctx, tx, formFieldList.scanRow, `SELECT `+formFieldList.columns+` FROM `+formFieldList.from+` ORDER BY f.id`)
	if err != nil {
		return err
	}
	for _, f := range fields {
		options := f.Options
		if options == nil {
			options = []string{}
		}
		if err := d.write("form_field", dumpFormField{ID: f.ID, Name: f.Name, Label: f.Label, Type: f.Type, AppliesTo: f.AppliesTo,
			Required: f.Required, Options: options, DateCreated: formatTime(f.DateCreated), DateModified: formatTime(f.DateModified)}); err != nil {
			return err
		}
		st.FormFields++
	}
	if err := tx.eachV3Customer(ctx, opts.PasswordHashes, func(c *wire.Customer) error {
		st.Customers++
		return d.write("customer", c)
	}); err != nil {
		return err
	}
	if err := eachByID(ctx, tx, metafieldList, "m.id", func(m *CustomerMetafield) int { return m.ID }, func(m *CustomerMetafield) error {
		st.Metafields++
		return d.write("metafield", dumpMetafield{ID: m.ID, CustomerID: m.CustomerID, OwnerTokenID: m.OwnerTokenID,
			Namespace: m.Namespace, Key: m.Key, Value: m.Value, Description: m.Description, PermissionSet: m.PermissionSet,
			DateCreated: formatTime(m.DateCreated), DateModified: formatTime(m.DateModified)})
	}); err != nil {
		return err
	}
	if err := eachByID(ctx, tx, subscriberList, "s.id", func(s *Subscriber) int { return s.ID }, func(s *Subscriber) error {
		st.Subscribers++
		return d.write("subscriber", wire.Subscriber{ID: s.ID, Email: s.Email, FirstName: s.FirstName, LastName: s.LastName,
			Source: s.Source, OrderID: s.OrderID, ChannelID: s.ChannelID, Consents: stringsOf(s.Consents),
			DateCreated: formatTime(s.DateCreated), DateModified: formatTime(s.DateModified)})
	}); err != nil {
		return err
	}
	hooks, err := queryTx(ctx, tx, webhookList.scanRow, `SELECT `+webhookColumns+` FROM webhooks w ORDER BY w.id`)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if err := d.write("webhook", dumpWebhook{ID: h.ID, Scope: h.Scope, Destination: h.Destination, IsActive: h.IsActive,
			Headers: h.Headers, DeactivatedReason: h.DeactivatedReason, Format: h.Format, OwnerTokenID: h.OwnerTokenID,
			DateCreated: formatTime(h.DateCreated), DateModified: formatTime(h.DateModified)}); err != nil {
			return err
		}
		st.Webhooks++
	}
	emails, err := queryTx(ctx, tx, func(s rowScanner) (dumpNotificationEmail, error) {
		var e dumpNotificationEmail
		return e, s.Scan(&e.OwnerTokenID, &e.Email)
	}, `SELECT owner_token_id, email FROM webhook_notification_emails ORDER BY owner_token_id, email`)
	if err != nil {
		return err
	}
	for _, e := range emails {
		if err := d.write("webhook_notification_email", e); err != nil {
			return err
		}
		st.NotificationEmails++
	}
	type seq struct {
		name string
		seq  int
	}
	seqs, err := queryTx(ctx, tx, func(s rowScanner) (seq, error) {
		var v seq
		return v, s.Scan(&v.name, &v.seq)
	}, `SELECT name, seq FROM `+tx.db.sequenceTable()+` ORDER BY name`)
	if err != nil {
		return err
	}
	m := map[string]int{}
	for _, s := range seqs {
		m[s.name] = s.seq
	}
	return d.write("sequences", m)
}

// dumpTokens writes the API tokens, with their hashes.
func (tx *Tx) dumpTokens(ctx context.Context, d *dumper, st *TransferStats) error {
	type row struct {
		t    *APIToken
		hash string
	}
	rows, err := queryTx(ctx, tx, func(s rowScanner) (row, error) {
		var r row
		var err error
		r.t, err = scanToken(scanAlso{s, []any{&r.hash}})
		return r, err
	}, `SELECT `+tokenColumns+`, token_hash FROM api_tokens ORDER BY id`)
	if err != nil {
		return err
	}
	for _, r := range rows {
		t := r.t
		if err := d.write("token", dumpToken{ID: t.ID, Name: t.Name, Scopes: t.Scopes, TokenHash: r.hash, CostBudget: t.CostBudget,
			CostRestore: t.CostRestore, DateCreated: formatTime(t.DateCreated), LastUsed: formatOptTime(t.LastUsed),
			RevokedAt: formatOptTime(t.RevokedAt)}); err != nil {
			return err
		}
		st.Tokens++
	}
	return nil
}

// scanAlso is a row whose trailing columns go to more, after the ones a
// scan function reads.
type scanAlso struct {
	s    rowScanner
	more []any
}

func (s scanAlso) Scan(dest ...any) error { return s.s.Scan(append(dest, s.more...)...) }

// formatOptTime formats a time that may be missing.
func formatOptTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

// eachByID calls f with every row of list, by id, reading pages of 1,000
// in tx.
func eachByID[T any](ctx context.Context, tx *Tx, list listDef[T], idColumn string, id func(T) int, f func(T) error) error {
	after := 0
	for {
		rows, err := queryTx(ctx, tx, list.scanRow, `SELECT `+list.columns+` FROM `+list.from+` WHERE `+idColumn+` > ? ORDER BY `+
			idColumn+` LIMIT 1000`, after)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		for _, r := range rows {
			if err := f(r); err != nil {
				return err
			}
		}
		after = id(rows[len(rows)-1])
	}
}

// RestoreStats is what a restore wrote.
type RestoreStats struct {
	TransferStats
	// Secrets are the restored webhooks' new signing secrets, by id: a dump
	// holds none, so each receiver needs its new one.
	Secrets []RestoredWebhook
}

// RestoredWebhook is a restored webhook's new signing secret.
type RestoredWebhook struct {
	ID          int
	Destination string
	Secret      string
}

// Restore reads a dump (see Dump) into the store, all or nothing: the
// first line with a problem stops it, returned as an ImportProblem with its
// line number, and nothing is written. The store must be empty of API
// tokens, customers, groups, definitions, subscribers, webhooks and channel
// settings (ECONFLICT otherwise). Each record is checked as a create would
// check it, keeping its id and dates; a metafield, webhook or notification
// email whose owner token the dump does not hold before it is refused.
// Webhooks get new signing secrets, returned in the stats. Restore records
// no events.
func (db *DB) Restore(ctx context.Context, r io.Reader) (RestoreStats, error) {
	var st RestoreStats
	if err := db.writerCache(ctx, importCacheKiB); err != nil {
		return st, fmt.Errorf("restore: %w", formatError(err))
	}
	defer db.writerCache(context.WithoutCancel(ctx), writerCacheKiB)
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	if err := tx.checkEmptyForRestore(ctx); err != nil {
		return st, err
	}
	rs := &restorer{tx: tx, st: &st, section: -1, tokens: map[int]bool{}, tokenHashes: map[string]bool{},
		emails: map[int]map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		if line%256 == 0 && ctx.Err() != nil {
			return RestoreStats{}, ctx.Err()
		}
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if err := rs.line(ctx, line, bytes.Clone(text)); err != nil {
			if p, ok := err.(ImportProblem); ok {
				return RestoreStats{}, p
			}
			return RestoreStats{}, fmt.Errorf("restore: line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return RestoreStats{}, fmt.Errorf("restore: line %d: %w", line+1, err)
	}
	if !rs.ended {
		return RestoreStats{}, ImportProblem{Line: line, Err: Errorf(EINVALID,
			"The dump ends before its end line: it was cut short, or is not a dump.")}
	}
	if err := tx.Commit(); err != nil {
		return RestoreStats{}, err
	}
	return st, nil
}

// checkEmptyForRestore refuses a store that holds any record a dump would
// bring.
func (tx *Tx) checkEmptyForRestore(ctx context.Context) error {
	n, err := tx.count(ctx, `SELECT
		(SELECT COUNT(*) FROM (SELECT 1 FROM api_tokens LIMIT 1) AS n) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM customers LIMIT 1) AS n) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM customer_groups LIMIT 1) AS n) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM customer_attributes LIMIT 1) AS n) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM customer_form_fields LIMIT 1) AS n) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM subscribers LIMIT 1) AS n) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM webhooks LIMIT 1) AS n) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM channel_customer_settings LIMIT 1) AS n)`)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if n > 0 {
		return Errorf(ECONFLICT, "The store is not empty: restore fills an empty store (a new file).")
	}
	return nil
}

// restorer reads the lines of one restore.
type restorer struct {
	tx      *Tx
	st      *RestoreStats
	section int // index in dumpSections of the last line's type
	lines   int // non-blank lines read
	ended   bool
	// customers gathers customer lines, written ImportBatch at a time with
	// the import's checks and writer.
	customers *importChunk
	// tokens and tokenHashes are the API tokens restored so far, which
	// later records may name; emails the notification emails by token.
	tokens      map[int]bool
	tokenHashes map[string]bool
	emails      map[int]map[string]bool
}

// line restores one line.
func (rs *restorer) line(ctx context.Context, n int, text []byte) error {
	problem := func(err error) error { return ImportProblem{Line: n, Err: err} }
	if rs.ended {
		return problem(Errorf(EINVALID, "A dump ends with its end line; this line comes after it."))
	}
	var l dumpLine
	if err := decodeLine(text, &l, nil); err != nil {
		return problem(err)
	}
	section := -1
	for i, s := range dumpSections {
		if s == l.Type {
			section = i
		}
	}
	switch {
	case section < 0:
		return problem(FieldErrorf(EINVALID, "type", "%q is not a line type of a dump; they are %s.", truncate(l.Type, 40),
			strings.Join(dumpSections, ", ")))
	case rs.section < 0 && l.Type != "dump":
		return problem(Errorf(EINVALID, "A dump begins with its dump line; this is not a dump."))
	case section < rs.section:
		return problem(FieldErrorf(EINVALID, "type", "A %s line comes before the %s lines; a dump lists %s.", l.Type,
			dumpSections[rs.section], strings.Join(dumpSections, ", ")))
	case section == rs.section && (l.Type == "dump" || l.Type == "settings" || l.Type == "sequences"):
		return problem(FieldErrorf(EINVALID, "type", "A dump has one %s line.", l.Type))
	case len(l.Data) == 0 || string(l.Data) == "null":
		return problem(FieldErrorf(EREQUIRED, "data", "Each line carries its record in data."))
	}
	if rs.section == sectionIndex("customer") && l.Type != "customer" {
		if err := rs.flushCustomers(ctx); err != nil {
			return err
		}
	}
	rs.section = section
	defer func() { rs.lines++ }()
	if err := rs.record(ctx, n, l); err != nil {
		if _, ok := err.(ImportProblem); ok {
			return err
		}
		if es := AsErrors(err); es != nil {
			for _, e := range es {
				e.Field = joinPath("data", v3Field(e.Field))
			}
			return problem(es)
		}
		return err
	}
	return nil
}

func sectionIndex(typ string) int {
	for i, s := range dumpSections {
		if s == typ {
			return i
		}
	}
	return -1
}

// record checks and writes one line's record.
func (rs *restorer) record(ctx context.Context, n int, l dumpLine) error {
	tx := rs.tx
	var c checker
	ic := c.root("")
	// Fields of the record, relative to data.
	decode := func(v any) error { return decodeLine(l.Data, v, nil) }
	date := func(field, v string) time.Time {
		if t := restoreDate(ic, field, &v, false); t != nil {
			return *t
		}
		return time.Time{}
	}
	id := func(v int) {
		if v < 1 {
			ic.fail(EREQUIRED, "id", "Each record keeps its id, 1 or more.")
		}
	}
	switch l.Type {
	case "dump":
		var h dumpHeader
		if err := decode(&h); err != nil {
			return err
		}
		if h.Format < oldestDumpFormat || h.Format > dumpFormat {
			formats := []string{}
			for f := oldestDumpFormat; f <= dumpFormat; f++ {
				formats = append(formats, strconv.Itoa(f))
			}
			return FieldErrorf(EINVALID, "format", "This binary restores dumps of format %s or %s, not %d.",
				strings.Join(formats[:len(formats)-1], ", "), formats[len(formats)-1], h.Format)
		}
		return nil
	case "settings":
		var s dumpSettings
		if err := decode(&s); err != nil {
			return err
		}
		ic.policyURL("privacy_settings.policy_url", s.PrivacySettings.PolicyURL)
		if c.err() != nil {
			return c.err()
		}
		_, err := tx.exec(ctx, `UPDATE customer_settings SET ask_shopper_for_tracking_consent = ?, policy_url = ? WHERE id = 1`,
			s.PrivacySettings.AskShopperForTrackingConsent, s.PrivacySettings.PolicyURL)
		return err
	case "token":
		return rs.token(ctx, l.Data)
	case "group":
		var d dumpGroup
		if err := decode(&d); err != nil {
			return err
		}
		id(d.ID)
		created, modified := date("date_created", d.DateCreated), date("date_modified", d.DateModified)
		g := &CustomerGroup{ID: d.ID, Name: d.Name, IsDefault: d.IsDefault, IsGroupForGuests: d.IsGroupForGuests,
			CategoryAccess: CategoryAccess{Type: d.CategoryAccess.Type, Categories: d.CategoryAccess.Categories},
			DateCreated:    created, DateModified: modified}
		if g.CategoryAccess.Categories == nil {
			g.CategoryAccess.Categories = []int{}
		}
		for j, r := range d.DiscountRules {
			rule := DiscountRule{Type: r.Type, Method: r.Method, PriceListID: r.PriceListID, CategoryID: r.CategoryID, ProductID: r.ProductID}
			if r.Amount != nil {
				f, err := strconv.ParseFloat(*r.Amount, 64)
				if err != nil {
					ic.at("discount_rules", j).fail(EINVALID, "amount", "%q is not an amount.", truncate(*r.Amount, 40))
					continue
				}
				rule.Amount = &f
			}
			g.DiscountRules = append(g.DiscountRules, rule)
		}
		if g.DiscountRules == nil {
			g.DiscountRules = []DiscountRule{}
		}
		ic.group(g)
		if c.err() != nil {
			return c.err()
		}
		rs.st.Groups++
		return tx.insertGroup(ctx, g)
	case "channel_settings":
		var d dumpChannelSettings
		if err := decode(&d); err != nil {
			return err
		}
		ic.positive("channel_id", d.ChannelID)
		if p := d.PrivacySettings.PolicyURL; p != nil {
			ic.policyURL("privacy_settings.policy_url", *p)
		}
		if c.err() != nil {
			return c.err()
		}
		gs := d.CustomerGroupSettings
		if err := tx.checkGroups(ctx, ic, map[string]Optional[*int]{
			"customer_group_settings.guest_customer_group_id":   Some(gs.GuestCustomerGroupID),
			"customer_group_settings.default_customer_group_id": Some(gs.DefaultCustomerGroupID),
		}); err != nil {
			return err
		}
		if c.err() != nil {
			return c.err()
		}
		rs.st.ChannelSettings++
		_, err := tx.exec(ctx, `INSERT INTO channel_customer_settings (channel_id, allow_global_logins, ask_shopper_for_tracking_consent,
			policy_url, guest_customer_group_id, default_customer_group_id) VALUES (?, ?, ?, ?, ?, ?)`,
			d.ChannelID, d.AllowGlobalLogins, d.PrivacySettings.AskShopperForTrackingConsent, d.PrivacySettings.PolicyURL,
			gs.GuestCustomerGroupID, gs.DefaultCustomerGroupID)
		return err
	case "attribute":
		var d wire.Attribute
		if err := decode(&d); err != nil {
			return err
		}
		id(d.ID)
		ic.text("name", d.Name, 1, 255, false)
		if !valid(CustomerAttributeType(d.Type), attributeTypes) {
			ic.fail(EINVALID, "type", "Must be string, number or date.")
		}
		if rs.st.Attributes >= MaxAttributes {
			ic.fail(ELIMITEXCEEDED, "", "A store has at most %d attributes.", MaxAttributes)
		}
		created, modified := date("date_created", d.DateCreated), date("date_modified", d.DateModified)
		if c.err() != nil {
			return c.err()
		}
		rs.st.Attributes++
		return tx.insertAttribute(ctx, &CustomerAttribute{ID: d.ID, Name: d.Name, Type: CustomerAttributeType(d.Type),
			DateCreated: created, DateModified: modified})
	case "form_field":
		var d dumpFormField
		if err := decode(&d); err != nil {
			return err
		}
		id(d.ID)
		created, modified := date("date_created", d.DateCreated), date("date_modified", d.DateModified)
		f := &CustomerFormField{ID: d.ID, Name: d.Name, Label: d.Label, Type: d.Type, AppliesTo: d.AppliesTo, Required: d.Required,
			Options: d.Options, DateCreated: created, DateModified: modified}
		ic.formField(f)
		if c.err() != nil {
			return c.err()
		}
		rs.st.FormFields++
		return tx.insertFormField(ctx, f)
	case "customer":
		return rs.customer(ctx, n, l.Data)
	case "metafield":
		return rs.metafield(ctx, l.Data)
	case "subscriber":
		var d wire.Subscriber
		if err := decode(&d); err != nil {
			return err
		}
		id(d.ID)
		created, modified := date("date_created", d.DateCreated), date("date_modified", d.DateModified)
		s := &Subscriber{ID: d.ID, Email: d.Email, FirstName: d.FirstName, LastName: d.LastName, Source: d.Source, OrderID: d.OrderID,
			ChannelID: d.ChannelID, Consents: enumsOf[SubscriberConsent](d.Consents), DateCreated: created, DateModified: modified}
		if s.Consents == nil { // a dump of format 1
			s.Consents = []SubscriberConsent{}
		}
		ic.subscriberFields(s)
		if c.err() != nil {
			return c.err()
		}
		rs.st.Subscribers++
		return tx.insertSubscriber(ctx, s)
	case "webhook":
		var d dumpWebhook
		if err := decode(&d); err != nil {
			return err
		}
		id(d.ID)
		created, modified := date("date_created", d.DateCreated), date("date_modified", d.DateModified)
		w := &Webhook{ID: d.ID, Scope: d.Scope, Destination: d.Destination, IsActive: d.IsActive, Headers: d.Headers,
			DeactivatedReason: d.DeactivatedReason, Format: d.Format, OwnerTokenID: d.OwnerTokenID,
			DateCreated: created, DateModified: modified}
		if w.Headers == nil {
			w.Headers = map[string]string{}
		}
		if w.Format == "" { // a dump of format 1
			w.Format = WebhookStandard
		}
		ic.webhook(w)
		if !valid(w.Format, webhookFormats) {
			ic.fail(EINVALID, "format", "Must be standard_webhooks or bigcommerce.")
		}
		if o := w.OwnerTokenID; o != nil && !rs.tokens[*o] {
			ic.fail(ENOTFOUND, "owner_token_id", "No API token %d comes before this line; a webhook's owner token is dumped before it.", *o)
		}
		if c.err() != nil {
			return c.err()
		}
		secret, err := tx.insertWebhook(ctx, w)
		if err != nil {
			return err
		}
		rs.st.Webhooks++
		rs.st.Secrets = append(rs.st.Secrets, RestoredWebhook{ID: w.ID, Destination: w.Destination, Secret: secret})
		return nil
	case "webhook_notification_email":
		var d dumpNotificationEmail
		if err := decode(&d); err != nil {
			return err
		}
		ic.email("email", d.Email)
		emails := rs.emails[d.OwnerTokenID]
		switch {
		case !rs.tokens[d.OwnerTokenID]:
			ic.fail(ENOTFOUND, "owner_token_id", "No API token %d comes before this line; a notification email's token is dumped before it.",
				d.OwnerTokenID)
		case emails[d.Email]:
			ic.fail(ECONFLICT, "email", "Token %d is given this email twice.", d.OwnerTokenID)
		case len(emails) >= maxNotificationEmails:
			ic.fail(ETOOMANYITEMS, "", "A token has at most %d notification emails.", maxNotificationEmails)
		}
		if c.err() != nil {
			return c.err()
		}
		if emails == nil {
			emails = map[string]bool{}
			rs.emails[d.OwnerTokenID] = emails
		}
		emails[d.Email] = true
		rs.st.NotificationEmails++
		_, err := tx.exec(ctx, `INSERT INTO webhook_notification_emails (owner_token_id, email) VALUES (?, ?)`, d.OwnerTokenID, d.Email)
		return err
	case "sequences":
		var seqs map[string]int
		if err := decode(&seqs); err != nil {
			return err
		}
		return tx.restoreSequences(ctx, seqs)
	case "end":
		var e dumpEnd
		if err := decode(&e); err != nil {
			return err
		}
		if e.Lines != rs.lines {
			return FieldErrorf(EINVALID, "lines", "The dump says it has %d lines before its end; %d were read: lines are missing or added.",
				e.Lines, rs.lines)
		}
		rs.ended = true
		return nil
	}
	return nil
}

// restoreDate reads a dump's date, recording a problem when it is missing
// (and not optional) or malformed.
func restoreDate(ic *itemChecker, field string, v *string, optional bool) *time.Time {
	if v == nil || *v == "" {
		if !optional {
			ic.fail(EREQUIRED, field, "Each record keeps its dates; this one is missing.")
		}
		return nil
	}
	t, err := parseTime(*v)
	if err != nil {
		ic.fail(EINVALID, field, "%q is not a date; dates are RFC 3339 UTC in whole seconds.", truncate(*v, 40))
		return nil
	}
	return &t
}

// token restores an API token, with its hash: the token it stands for
// signs in to the restored store.
func (rs *restorer) token(ctx context.Context, data []byte) error {
	var d dumpToken
	if err := decodeLine(data, &d, nil); err != nil {
		return err
	}
	var c checker
	ic := c.root("")
	if d.ID < 1 {
		ic.fail(EREQUIRED, "id", "Each record keeps its id, 1 or more.")
	} else if rs.tokens[d.ID] {
		ic.fail(ECONFLICT, "id", "An earlier token has the id %d.", d.ID)
	}
	for _, e := range AsErrors(TokenInput{Name: d.Name, Scopes: d.Scopes, CostBudget: d.CostBudget, CostRestore: d.CostRestore}.Validate()) {
		ic.fail(e.Code, e.Field, "%s", e.Message)
	}
	switch {
	case !isTokenHash(d.TokenHash):
		ic.fail(EINVALID, "token_hash", "Must be the token's SHA-256: 64 lower-case hexadecimal digits.")
	case rs.tokenHashes[d.TokenHash]:
		ic.fail(ECONFLICT, "token_hash", "An earlier token has this hash.")
	}
	created := restoreDate(ic, "date_created", &d.DateCreated, false)
	lastUsed := restoreDate(ic, "last_used", d.LastUsed, true)
	revoked := restoreDate(ic, "revoked_at", d.RevokedAt, true)
	if c.err() != nil {
		return c.err()
	}
	if _, err := rs.tx.exec(ctx, `INSERT INTO api_tokens (id, name, token_hash, scopes, date_created, last_used, revoked_at,
		cost_budget, cost_restore) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.Name, d.TokenHash, strings.Join(d.Scopes, ","),
		formatTime(*created), formatOptTime(lastUsed), formatOptTime(revoked), d.CostBudget, d.CostRestore); err != nil {
		return fmt.Errorf("restore token: %w", err)
	}
	rs.tokens[d.ID], rs.tokenHashes[d.TokenHash] = true, true
	rs.st.Tokens++
	return nil
}

// isTokenHash reports whether s is a SHA-256 as the store writes it.
func isTokenHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// metafield restores a customer metafield: its owner token comes earlier
// in the dump, its customer is restored, and a create's rules hold.
func (rs *restorer) metafield(ctx context.Context, data []byte) error {
	var d dumpMetafield
	if err := decodeLine(data, &d, nil); err != nil {
		return err
	}
	var c checker
	ic := c.root("")
	if d.ID < 1 {
		ic.fail(EREQUIRED, "id", "Each record keeps its id, 1 or more.")
	}
	created := restoreDate(ic, "date_created", &d.DateCreated, false)
	modified := restoreDate(ic, "date_modified", &d.DateModified, false)
	m := &CustomerMetafield{ID: d.ID, CustomerID: d.CustomerID, OwnerTokenID: d.OwnerTokenID, Namespace: d.Namespace, Key: d.Key,
		Value: d.Value, Description: d.Description, PermissionSet: d.PermissionSet}
	ic.metafield(m)
	if !rs.tokens[d.OwnerTokenID] {
		ic.fail(ENOTFOUND, "owner_token_id", "No API token %d comes before this line; a metafield's owner token is dumped before it.",
			d.OwnerTokenID)
	}
	if c.err() != nil {
		return c.err()
	}
	type found struct{ ids, customers, keys, owned int }
	f, err := queryTx(ctx, rs.tx, func(s rowScanner) (found, error) {
		var f found
		return f, s.Scan(&f.ids, &f.customers, &f.keys, &f.owned)
	}, `SELECT (SELECT COUNT(*) FROM customer_metafields WHERE id = ?), (SELECT COUNT(*) FROM customers WHERE id = ?),
		(SELECT COUNT(*) FROM customer_metafields WHERE customer_id = ? AND owner_token_id = ? AND namespace = ? AND key = ?),
		(SELECT COUNT(*) FROM customer_metafields WHERE customer_id = ? AND owner_token_id = ?)`,
		m.ID, m.CustomerID, m.CustomerID, m.OwnerTokenID, m.Namespace, m.Key, m.CustomerID, m.OwnerTokenID)
	if err != nil {
		return fmt.Errorf("restore metafield: %w", err)
	}
	switch {
	case f[0].ids > 0:
		ic.fail(ECONFLICT, "id", "An earlier metafield has the id %d.", m.ID)
	case f[0].customers == 0:
		ic.fail(ENOTFOUND, "customer_id", "There is no customer %d in the dump.", m.CustomerID)
	case f[0].keys > 0:
		ic.fail(ECONFLICT, "key", "Token %d already keeps the key %q in the namespace %q on customer %d.", m.OwnerTokenID,
			truncate(m.Key, 40), truncate(m.Namespace, 40), m.CustomerID)
	case f[0].owned >= MaxMetafieldsPerOwner:
		ic.fail(ELIMITEXCEEDED, "customer_id", "A token keeps at most %d metafields on a customer.", MaxMetafieldsPerOwner)
	}
	if c.err() != nil {
		return c.err()
	}
	if _, err := rs.tx.exec(ctx, `INSERT INTO customer_metafields (id, customer_id, owner_token_id, namespace, key, value, description,
		permission_set, date_created, date_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, m.CustomerID, m.OwnerTokenID,
		m.Namespace, m.Key, m.Value, m.Description, string(m.PermissionSet), formatTime(*created), formatTime(*modified)); err != nil {
		return fmt.Errorf("restore metafield: %w", err)
	}
	rs.st.Metafields++
	return nil
}

// customer gathers a customer line for the next batch.
func (rs *restorer) customer(ctx context.Context, n int, data []byte) error {
	in, err := parseV3Line(data)
	if err != nil {
		return err
	}
	if rs.customers == nil {
		rs.customers = &importChunk{}
	}
	ch := rs.customers
	ch.batch, ch.lines = append(ch.batch, in), append(ch.lines, n)
	if len(ch.batch) == ImportBatch {
		return rs.flushCustomers(ctx)
	}
	return nil
}

// flushCustomers checks and writes the gathered customers; a line with a
// problem stops the restore.
func (rs *restorer) flushCustomers(ctx context.Context) error {
	ch := rs.customers
	if ch == nil || len(ch.batch) == 0 {
		return nil
	}
	rs.customers = nil
	ch.check()
	written, problems, err := rs.tx.importChunk(ctx, ch)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		p := problems[0]
		for _, e := range AsErrors(p.Err) {
			e.Field = joinPath("data", e.Field)
		}
		return p
	}
	rs.st.Customers += written
	return nil
}

// insertWebhook writes a restored webhook, with its id, and a new signing
// secret, which it returns.
func (tx *Tx) insertWebhook(ctx context.Context, w *Webhook) (string, error) {
	secret, err := newSecret()
	if err != nil {
		return "", fmt.Errorf("restore webhook: %w", err)
	}
	headers, _ := json.Marshal(w.Headers)
	if _, err := tx.exec(ctx, `INSERT INTO webhooks (id, scope, destination, is_active, headers, secret, deactivated_reason,
		format, owner_token_id, date_created, date_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, w.ID, w.Scope, w.Destination,
		w.IsActive, string(headers), secret, w.DeactivatedReason, string(w.Format), w.OwnerTokenID, formatTime(w.DateCreated),
		formatTime(w.DateModified)); err != nil {
		return "", fmt.Errorf("restore webhook: %w", err)
	}
	return secret, nil
}

// restoreSequences sets each table's last given id to the dump's, unless
// the restored rows went further. Only tables of the store are named.
func (tx *Tx) restoreSequences(ctx context.Context, seqs map[string]int) error {
	var c checker
	ic := c.root("")
	for name, seq := range seqs {
		stmt := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ? AND sql LIKE '%AUTOINCREMENT%'`
		if tx.db.pg { // the tables whose ids come from autoincrement_id (migration_pg/0001_init.sql)
			stmt = `SELECT COUNT(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
				WHERE c.relname = ? AND c.relnamespace = current_schema()::regnamespace AND p.proname = 'autoincrement_id'`
		}
		n, err := tx.count(ctx, stmt, name)
		if err != nil {
			return err
		}
		if n == 0 {
			ic.fail(EINVALID, name, "%q is not a table that gives ids.", truncate(name, 40))
			continue
		}
		if seq < 0 {
			ic.fail(EINVALID, name, "A last id is 0 or more.")
			continue
		}
		if tx.db.pg {
			if _, err := tx.exec(ctx, `INSERT INTO id_sequences (name, seq) VALUES (?, ?)
				ON CONFLICT (name) DO UPDATE SET seq = GREATEST(id_sequences.seq, excluded.seq)`, name, seq); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.exec(ctx, `UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?`, seq, name); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? WHERE NOT EXISTS
			(SELECT 1 FROM sqlite_sequence WHERE name = ?)`, name, seq, name); err != nil {
			return err
		}
	}
	return c.err()
}

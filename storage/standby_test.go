package storage

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/storefront/customers/storage/pgtest"
)

// TestStandby_Reads runs the store on a primary with a real hot standby
// (pg_basebackup): plain reads are served by the standby; a caller that
// wrote reads its write back from the primary while the standby's replay
// is paused (and another caller, on the standby, does not see it yet: the
// proof of where each read ran), then from the standby once it has
// replayed; with the standby killed reads still answer, from the primary,
// and go back to it once it is up again.
func TestStandby_Reads(t *testing.T) {
	old := standbyRetry
	standbyRetry = 200 * time.Millisecond
	t.Cleanup(func() { standbyRetry = old })
	cl := pgtest.NewReplicated(t)
	ctx := context.Background()
	db, err := Open(ctx, cl.PrimaryURL, Options{ReadURL: cl.StandbyURL})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !db.HasStandby() {
		t.Fatal("no standby")
	}
	cl.WaitReplayed(ctx) // the migrations

	writer, reader := WithCaller(ctx, "writer"), WithCaller(ctx, "reader")
	find := func(ctx context.Context, email string) int {
		t.Helper()
		p, err := db.FindCustomers(ctx, CustomerFilter{EmailIn: []string{email}}, CustomerSort(""), PageRequest{Page: 1, Limit: 10})
		if err != nil {
			t.Fatalf("find %s: %v", email, err)
		}
		return len(p.Items)
	}
	routes := func() ReadRoutes { return db.ReadRoutes() }

	// Before any write every read may use the standby.
	before := routes()
	if n := find(reader, "nobody@example.com"); n != 0 {
		t.Fatalf("found %d", n)
	}
	if got := routes(); got.Standby <= before.Standby || got.Primary != before.Primary {
		t.Fatalf("a read with nothing to wait for: routes %+v then %+v, want it on the standby", before, got)
	}

	// Replay paused: the writer's reads go to the primary and see its
	// write; the other caller's go to the standby and do not, yet.
	cl.PauseReplay(ctx)
	if _, err := db.CreateCustomers(writer, []CustomerInput{{Email: "ryw@example.com", FirstName: "Read", LastName: "Yourwrites"}}); err != nil {
		t.Fatal(err)
	}
	before = routes()
	if n := find(writer, "ryw@example.com"); n != 1 {
		t.Fatalf("the writer reads back %d customers during the replay pause, want 1 (routes %+v then %+v)", n, before, routes())
	}
	after := routes()
	if after.Primary <= before.Primary {
		t.Fatalf("the writer's read during the pause: routes %+v then %+v, want it on the primary", before, after)
	}
	if n := find(reader, "ryw@example.com"); n != 0 {
		t.Fatalf("another caller reads %d customers from the paused standby, want 0 (its read should run there)", n)
	}
	if n := find(ctx, "ryw@example.com"); n != 1 {
		t.Fatalf("a read with no caller sees %d customers, want 1: it waits for the process's last write", n)
	}
	// A snapshot (several reads) follows the same rule.
	sctx, end, err := db.Snapshot(writer)
	if err != nil {
		t.Fatal(err)
	}
	if n := find(sctx, "ryw@example.com"); n != 1 {
		t.Fatalf("the writer's snapshot sees %d customers, want 1", n)
	}
	end()

	// Replay resumed: once the standby has the write, the writer's reads
	// go back to it.
	cl.ResumeReplay(ctx)
	cl.WaitReplayed(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		before = routes()
		n := find(writer, "ryw@example.com")
		after = routes()
		if n != 1 {
			t.Fatalf("the writer reads back %d customers after the replay, want 1", n)
		}
		if after.Standby > before.Standby {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the writer's reads never went back to the standby: %+v", after)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := find(reader, "ryw@example.com"); n != 1 {
		t.Fatalf("the other caller reads %d customers after the replay, want 1", n)
	}

	// The standby killed: reads still answer, from the primary.
	cl.StopStandby()
	for i := range 5 {
		if n := find(reader, "ryw@example.com"); n != 1 {
			t.Fatalf("read %d with the standby down found %d customers, want 1", i, n)
		}
		sctx, end, err := db.Snapshot(reader)
		if err != nil {
			t.Fatalf("snapshot %d with the standby down: %v", i, err)
		}
		if n := find(sctx, "ryw@example.com"); n != 1 {
			t.Fatalf("snapshot %d with the standby down found %d customers, want 1", i, n)
		}
		end()
	}
	if got := routes(); got.Fallback == 0 {
		t.Fatalf("routes %+v: no read fell back to the primary", got)
	}
	// Back up: reads return to the standby.
	cl.StartStandby()
	cl.WaitReplayed(ctx)
	deadline = time.Now().Add(20 * time.Second)
	for {
		before = routes()
		if n := find(reader, "ryw@example.com"); n != 1 {
			t.Fatalf("found %d customers, want 1", n)
		}
		if routes().Standby > before.Standby {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reads never went back to the restarted standby: %+v", routes())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStandby_Refused: SQLite has no standby, and a standby URL that is
// not PostgreSQL's is refused, each with a message that says so.
func TestStandby_Refused(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), Options{ReadURL: "postgres://postgres@127.0.0.1:1/test"})
	if err == nil || !strings.Contains(err.Error(), "needs PostgreSQL") {
		t.Fatalf("SQLite with a read standby: %v, want a refusal", err)
	}
	pgtest.Require(t)
	_, err = Open(ctx, pgtest.NewDatabase(t), Options{ReadURL: "standby.db"})
	if err == nil || !strings.Contains(err.Error(), "postgres:// URL") {
		t.Fatalf("a standby URL that is not PostgreSQL's: %v, want a refusal", err)
	}
	// The primary named as its own standby is not in recovery.
	u := pgtest.NewDatabase(t)
	_, err = Open(ctx, u, Options{ReadURL: u})
	if err == nil || !strings.Contains(err.Error(), "not a hot standby") {
		t.Fatalf("a primary as the standby: %v, want a refusal", err)
	}
}

// TestParseWritePosition: a token parses back to its position; anything
// else (garbage, another version, upper case, too short or long, the
// PostgreSQL LSN text) is refused.
func TestParseWritePosition(t *testing.T) {
	for _, p := range []WritePosition{0, 1, 0x16B3748, 1<<63 - 1, ^WritePosition(0)} {
		got, err := ParseWritePosition(p.String())
		if err != nil || got != p {
			t.Errorf("ParseWritePosition(%q) = %d, %v; want %d", p.String(), got, err, p)
		}
	}
	if s := WritePosition(0x16B3748).String(); s != "1-00000000016b3748" {
		t.Errorf("the token of 0x16B3748 is %q: its format is a promise to clients", s)
	}
	for _, bad := range []string{"", "garbage", "1-", "1-16b3748", "1-00000000016B3748", "2-00000000016b3748",
		"1-00000000016b3748 ", " 1-00000000016b3748", "1-00000000016b374g", "1-00000000016b37480", "0/16B3748",
		"1-+0000000016b3748", "1--000000016b3748", "1-" + strings.Repeat("0", 1<<16), "1_00000000016b3748"} {
		if p, err := ParseWritePosition(bad); err == nil {
			t.Errorf("ParseWritePosition(%q) = %d, want an error", bad, p)
		}
	}
}

// FuzzParseWritePosition: whatever parses prints back as itself.
func FuzzParseWritePosition(f *testing.F) {
	f.Add("1-00000000016b3748")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseWritePosition(s)
		if err == nil && p.String() != s {
			t.Fatalf("%q parses to %d, which prints as %q", s, p, p.String())
		}
	})
}

// TestStandby_SnapshotLost: a snapshot begun on the standby whose standby
// dies mid-way fails its next read with an error StandbyLost recognises
// (not a bare driver error), and the same read under OnPrimary answers.
func TestStandby_SnapshotLost(t *testing.T) {
	cl := pgtest.NewReplicated(t)
	ctx := context.Background()
	db, err := Open(ctx, cl.PrimaryURL, Options{ReadURL: cl.StandbyURL})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateCustomers(ctx, []CustomerInput{{Email: "lost@example.com", FirstName: "L", LastName: "Ost"}}); err != nil {
		t.Fatal(err)
	}
	cl.WaitReplayed(ctx)
	reader := WithCaller(ctx, "reader")
	find := func(ctx context.Context) (int, error) {
		p, err := db.FindCustomers(ctx, CustomerFilter{EmailIn: []string{"lost@example.com"}}, CustomerSort(""), PageRequest{Page: 1, Limit: 10})
		if err != nil {
			return 0, err
		}
		return len(p.Items), nil
	}
	before := db.ReadRoutes()
	sctx, end, err := db.Snapshot(reader)
	if err != nil {
		t.Fatal(err)
	}
	defer end()
	if got := db.ReadRoutes(); got.Standby <= before.Standby {
		t.Fatalf("the snapshot did not begin on the standby: routes %+v then %+v", before, got)
	}
	if n, err := find(sctx); n != 1 || err != nil {
		t.Fatalf("the snapshot's first read: %d, %v", n, err)
	}
	cl.StopStandby()
	n, err := find(sctx)
	if err == nil || !StandbyLost(err) {
		t.Fatalf("the snapshot's read after the standby died: %d, %v; want an error StandbyLost recognises", n, err)
	}
	if n, err := find(OnPrimary(reader)); n != 1 || err != nil {
		t.Fatalf("the read again on the primary: %d, %v", n, err)
	}
	if StandbyLost(errors.New("x")) || StandbyLost(nil) {
		t.Fatal("StandbyLost of another error")
	}
}

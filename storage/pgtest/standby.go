package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BinDir holds the PostgreSQL server binaries Cluster runs.
var BinDir = "/usr/lib/postgresql/15/bin"

// Replicated is a primary and its hot standby, made for one test: a
// cluster of its own (initdb in a temporary directory, a free port), and a
// standby of it made by pg_basebackup -R -X stream, streaming from it on
// another port. The shared server cannot serve: its pg_hba has no
// replication line.
type Replicated struct {
	// PrimaryURL and StandbyURL are the URLs of the database test on each.
	PrimaryURL, StandbyURL string

	tb                     testing.TB
	dir                    string
	primaryDir, standbyDir string
	standbyPort            int
}

// NewReplicated starts a primary and a hot standby for tb, both stopped
// and removed when tb ends. It skips tb when the server binaries are
// missing, unless CUSTOMERS_REQUIRE_POSTGRES=1.
func NewReplicated(tb testing.TB) *Replicated {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(BinDir, "pg_basebackup")); err != nil {
		if os.Getenv("CUSTOMERS_REQUIRE_POSTGRES") == "1" {
			tb.Fatalf("the PostgreSQL server binaries are required (CUSTOMERS_REQUIRE_POSTGRES=1): %v", err)
		}
		tb.Skipf("no PostgreSQL server binaries in %s, skipping the standby cases: %v", BinDir, err)
	}
	// Not t.TempDir: the server runs as postgres when we are root, and
	// must reach its directory.
	dir, err := os.MkdirTemp("", "customers-standby-")
	if err != nil {
		tb.Fatal(err)
	}
	r := &Replicated{tb: tb, dir: dir, primaryDir: filepath.Join(dir, "primary"), standbyDir: filepath.Join(dir, "standby")}
	tb.Cleanup(func() {
		r.stop(r.standbyDir)
		r.stop(r.primaryDir)
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	r.chown(dir)

	primaryPort, standbyPort := freePort(tb), freePort(tb)
	for standbyPort == primaryPort {
		standbyPort = freePort(tb)
	}
	r.standbyPort = standbyPort
	r.run("initdb", "-D", r.primaryDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C")
	conf := strings.Join([]string{
		"listen_addresses = '127.0.0.1'",
		"unix_socket_directories = '" + dir + "'",
		"wal_level = replica",
		"max_wal_senders = 4",
		"fsync = off", // a test's cluster: speed over durability
		"synchronous_commit = off",
		"full_page_writes = off",
		"shared_buffers = 16MB",
		"max_connections = 40",
		"hot_standby = on",
		"hot_standby_feedback = on",
		"wal_receiver_status_interval = 1s",
		"",
	}, "\n")
	appendFile(tb, filepath.Join(r.primaryDir, "postgresql.conf"), conf)
	appendFile(tb, filepath.Join(r.primaryDir, "pg_hba.conf"), "host replication all 127.0.0.1/32 trust\n")
	r.start(r.primaryDir, primaryPort)
	r.run("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(primaryPort), "-U", "postgres",
		"-D", r.standbyDir, "-R", "-X", "stream", "--no-sync")
	r.start(r.standbyDir, standbyPort)

	r.PrimaryURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=3", primaryPort)
	admin, err := sql.Open("pgx", r.PrimaryURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE test`); err != nil {
		tb.Fatalf("create database test on the primary: %v", err)
	}
	r.PrimaryURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test?sslmode=disable&connect_timeout=3", primaryPort)
	r.StandbyURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test?sslmode=disable&connect_timeout=3", standbyPort)
	// The standby has the database once it has replayed its creation.
	r.WaitReplayed(context.Background())
	return r
}

// WaitReplayed waits until the standby has replayed everything the
// primary has written so far: up to its WAL insert position, which a
// committed transaction's commit record is always behind (the write
// position, pg_current_wal_lsn, may still be short of it, so waiting for
// that alone let TestCLI_Standby read the standby before the write).
func (r *Replicated) WaitReplayed(ctx context.Context) {
	r.tb.Helper()
	p, err := sql.Open("pgx", r.PrimaryURL)
	if err != nil {
		r.tb.Fatal(err)
	}
	defer p.Close()
	var lsn string
	if err := p.QueryRowContext(ctx, `SELECT pg_current_wal_insert_lsn()::text`).Scan(&lsn); err != nil {
		r.tb.Fatal(err)
	}
	s := r.standbyAdmin()
	defer s.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var ok bool
		err := s.QueryRowContext(ctx, `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn).Scan(&ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			r.tb.Fatalf("the standby has not replayed %s after 30s (last error %v)", lsn, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PauseReplay pauses the standby's replay of the primary's WAL and waits
// until it has stopped: from then on the standby shows the state it had,
// whatever the primary writes.
func (r *Replicated) PauseReplay(ctx context.Context) {
	r.tb.Helper()
	s := r.standbyAdmin()
	defer s.Close()
	if _, err := s.ExecContext(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		r.tb.Fatal(err)
	}
	for state := ""; state != "paused"; time.Sleep(10 * time.Millisecond) {
		if err := s.QueryRowContext(ctx, `SELECT pg_get_wal_replay_pause_state()`).Scan(&state); err != nil {
			r.tb.Fatal(err)
		}
	}
}

// ResumeReplay resumes the standby's replay after PauseReplay.
func (r *Replicated) ResumeReplay(ctx context.Context) {
	r.tb.Helper()
	s := r.standbyAdmin()
	defer s.Close()
	if _, err := s.ExecContext(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
		r.tb.Fatal(err)
	}
}

// standbyAdmin opens the standby's postgres database (not the tests').
func (r *Replicated) standbyAdmin() *sql.DB {
	r.tb.Helper()
	s, err := sql.Open("pgx", strings.Replace(r.StandbyURL, "/test?", "/postgres?", 1))
	if err != nil {
		r.tb.Fatal(err)
	}
	return s
}

// StopStandby stops the standby at once (as a crash would).
func (r *Replicated) StopStandby() {
	r.tb.Helper()
	r.stop(r.standbyDir)
}

// StartStandby starts the standby again after StopStandby.
func (r *Replicated) StartStandby() {
	r.tb.Helper()
	r.start(r.standbyDir, r.standbyPort)
}

func (r *Replicated) start(dir string, port int) {
	r.tb.Helper()
	r.run("pg_ctl", "-D", dir, "-l", filepath.Join(r.dir, filepath.Base(dir)+".log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-p %d -k %s", port, r.dir), "start")
}

func (r *Replicated) stop(dir string) {
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err != nil {
		return
	}
	cmd := r.command("pg_ctl", "-D", dir, "-m", "immediate", "-w", "stop")
	if out, err := cmd.CombinedOutput(); err != nil {
		r.tb.Logf("pg_ctl stop %s: %v\n%s", dir, err, out)
	}
}

// command returns the command that runs the server binary name as the
// postgres user when we are root (the server refuses root).
func (r *Replicated) command(name string, args ...string) *exec.Cmd {
	bin := filepath.Join(BinDir, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

func (r *Replicated) run(name string, args ...string) {
	r.tb.Helper()
	cmd := r.command(name, args...)
	cmd.Dir = r.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		logs, _ := filepath.Glob(filepath.Join(r.dir, "*.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			r.tb.Logf("%s:\n%s", l, b)
		}
		r.tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// chown gives path to the postgres user when we are root.
func (r *Replicated) chown(path string) {
	if os.Geteuid() != 0 {
		return
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		r.tb.Fatalf("running as root needs the postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		r.tb.Fatal(err)
	}
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func appendFile(tb testing.TB, path, text string) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		tb.Fatal(err)
	}
}

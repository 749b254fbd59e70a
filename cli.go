package main

// The command line: one binary serves (the default command) and
// administers its store. It is built on github.com/urfave/cli/v3, which
// parses single-dash long flags (-db x.db) as the standard flag package
// did, so every invocation that worked before still does, and gives help
// at every level, suggestions and shell completion.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/storefront/customers/storage"
	"github.com/urfave/cli/v3"
)

func init() {
	cli.FlagStringer = flagHelp
}

// placeholders name what a flag's value is, in help.
var placeholders = map[string]string{
	"addr": "HOST:PORT", "db": "FILE", "cors-origins": "ORIGIN[,ORIGIN]", "scopes": "SCOPE[,SCOPE]", "name": "NAME",
	"log-format": "json|text", "log-level": "LEVEL", "store-id": "ID", "store-hash": "HASH",
}

// flagHelp is a flag's line in help: every flag spelt with one dash, as
// README and scripts do (two dashes work too), its default and its
// environment variable.
func flagHelp(f cli.Flag) string {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return ""
	}
	names := f.Names()
	var spelt []string
	for _, n := range names {
		spelt = append(spelt, "-"+n)
	}
	head := strings.Join(spelt, ", ")
	if df.TakesValue() {
		p := placeholders[names[0]]
		if p == "" {
			switch df.TypeName() {
			case "int":
				p = "N"
			case "duration":
				p = "DURATION"
			default:
				p = "VALUE"
			}
		}
		head += " " + p
	}
	var notes []string
	if v := flagDefault(df); v != "" && (df.TakesValue() || v == "true") {
		notes = append(notes, "default "+v)
	}
	if env := df.GetEnvVars(); len(env) > 0 {
		notes = append(notes, "env "+strings.Join(env, ", "))
	}
	usage := df.GetUsage()
	if len(notes) > 0 {
		usage += " (" + strings.Join(notes, "; ") + ")"
	}
	// The usage goes under the name, wrapped; help indents its lines.
	return head + "\n" + wrapWords(usage, 88)
}

// flagDefault is a flag's default as help shows it, or "" when it has none
// to show.
func flagDefault(df cli.DocGenerationFlag) string {
	if !df.IsDefaultVisible() {
		return ""
	}
	v := strings.Trim(df.GetValue(), `"`)
	if d, err := time.ParseDuration(v); err == nil && df.TypeName() == "duration" {
		v = shortDuration(d)
	}
	if !df.TakesValue() && v == "" {
		v = "false"
	}
	return v
}

// shortDuration spells a duration without its zero units: 1h, not 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// wrapWords breaks text into lines of at most width characters.
func wrapWords(text string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return strings.Join(append(lines, line), "\n")
}

// errRejected reports that an import rejected some lines; the others were
// imported.
var errRejected = errors.New("some lines were rejected")

// usageError is a command line that could not run: an unknown command or
// flag, a bad value (from a flag or the environment), a missing argument.
// Nothing was touched.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // the command ran and failed (or an import rejected lines)
	exitUsage  = 2 // the command line is wrong; nothing was done
)

// programName is the command's name in help and messages.
const programName = "customers"

// exitCode reports err on stderr and returns the process's exit status.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errRejected):
		return exitFailed // each line was reported already
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "error: %v\n", err)
	return exitFailed
}

// run runs the command line args (without the program name). log, when
// set, replaces the logger that -log-format and -log-level describe
// (tests).
func run(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	return runWith(ctx, args, os.Stdin, stdout, os.Stderr, log, nil)
}

// runWith is run with every stream given; ready, when set, receives the
// address the server listens on.
func runWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, log *slog.Logger, ready chan<- string) error {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, log: log, ready: ready, args: args}
	err := a.command().Run(ctx, append([]string{programName}, args...))
	if err != nil && !a.acting {
		// Before a command's action runs, every error is about the command
		// line (or its environment): nothing has been touched.
		return usageError{plainValueError(err)}
	}
	return err
}

// The library's words for a value that does not parse, from a flag or from
// an environment variable.
var (
	envValueError  = regexp.MustCompile(`^could not parse (".*") as \S+ value from environment variable "([^"]+)" for flag ([^:]+): (.*)$`)
	flagValueError = regexp.MustCompile(`^invalid value (".*") for flag (-[^:]+): (.*?)( \(see '.*'\))?$`)
)

// plainValueError says what a refused value should have been, and for an
// environment variable names the variable first: "MAX_DEPTH="0": want 1 or
// more (the variable of -max-depth)".
func plainValueError(err error) error {
	msg := err.Error()
	if m := envValueError.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s=%s: %s (the environment variable of -%s)", m[2], m[1], valueReason(m[4]), m[3])
	}
	if m := flagValueError.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s %s: %s%s", m[2], m[1], valueReason(m[3]), m[4])
	}
	return err
}

// valueReason turns a parser's complaint into what was wanted.
func valueReason(reason string) string {
	switch {
	case reason == "parse error" || strings.HasPrefix(reason, "strconv.ParseBool"):
		return "want true or false"
	case strings.HasPrefix(reason, "strconv.ParseInt"):
		return "want a whole number"
	case strings.HasPrefix(reason, "time: "):
		return "want a duration, like 30s or 1h"
	}
	return reason
}

// serve runs the serve command with args (tests call it): ready, when set,
// receives the address the server listens on.
func serve(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger, ready chan<- string) error {
	return runWith(ctx, append([]string{"serve"}, args...), os.Stdin, stdout, os.Stderr, log, ready)
}

// importCmd runs the import command with args (tests call it).
func importCmd(ctx context.Context, args []string, stdin io.Reader, stderr io.Writer) error {
	return runWith(ctx, append([]string{"import"}, args...), stdin, io.Discard, stderr, nil, nil)
}

// exportCmd runs the export command with args (tests call it).
func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runWith(ctx, append([]string{"export"}, args...), nil, stdout, stderr, nil, nil)
}

// app is one run of the command line.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
	ready          chan<- string
	// args is the command line, without the program name.
	args []string
	// acting is set once a command's action starts.
	acting bool
}

// action marks that a command's own work begins, then does it.
func (a *app) action(f cli.ActionFunc) cli.ActionFunc {
	return func(ctx context.Context, c *cli.Command) error {
		a.acting = true
		return f(ctx, c)
	}
}

// command builds the command tree; a tree serves one run.
func (a *app) command() *cli.Command {
	root := &cli.Command{
		Name:  programName,
		Usage: "a GraphQL API over BigCommerce-style store customer data, and the commands that administer its store",
		UsageText: programName + " [serve] [options]            serve the API (serve is the default command)\n" +
			programName + " command [options] [arguments]",
		Description: "Without a command, " + programName + " serves: '" + programName + " -demo' is '" + programName + " serve -demo'.\n" +
			"Flags take one dash or two (-db x.db, --db=x.db). Every flag of serve also reads an environment\n" +
			"variable, its name in capitals (-cost-budget: COST_BUDGET); a flag given wins. '" + programName + " help COMMAND'\n" +
			"shows a command's flags and examples.\n\n" +
			"Examples:\n" +
			"  " + programName + " -demo                        serve a demo store at http://127.0.0.1:8080/\n" +
			"  " + programName + " token create -db customers.db -scopes store_v2_customers -name dashboard\n" +
			"  " + programName + " dump -db customers.db > store.jsonl\n" +
			"  " + programName + " restore -db copy.db store.jsonl\n\n" +
			"Exit status: 0 done (or help shown), 1 failed (or an import rejected lines), 2 a wrong command line\n" +
			"(nothing was done).",
		DefaultCommand:        "serve",
		EnableShellCompletion: true,
		ConfigureShellCompletionCommand: func(c *cli.Command) {
			c.Hidden = false
			c.Usage = "print a shell completion script: bash, zsh, fish or pwsh"
			c.Description = "Examples:\n" +
				"  source <(" + programName + " completion bash)                   in ~/.bashrc\n" +
				"  " + programName + " completion fish > ~/.config/fish/completions/" + programName + ".fish"
		},
		Suggest:         true,
		HideHelpCommand: true, // replaced by helpCommand, which knows nested commands
		Reader:          a.stdin,
		Writer:          a.stdout,
		ErrWriter:       a.stderr,
		Commands: []*cli.Command{
			a.serveCommand(),
			a.tokenCommand(),
			a.appCommand(),
			a.importCommand(),
			a.exportCommand(),
			a.dumpCommand(),
			a.restoreCommand(),
			a.migrateCommand(),
			a.helpCommand(),
		},
	}
	quietUsageErrors(root)
	return root
}

// helpCommand shows the help of the root or of any command, nested ones
// too (help token create): it runs the command line COMMAND... -h.
func (a *app) helpCommand() *cli.Command {
	return &cli.Command{
		Name:        "help",
		Aliases:     []string{"h"},
		Usage:       "show the commands, or a command's options and examples",
		UsageText:   programName + " help [command [subcommand]]",
		Description: "Examples:\n  " + programName + " help serve\n  " + programName + " help token create",
		Action: a.action(func(ctx context.Context, c *cli.Command) error {
			path := c.Args().Slice()
			cmds := c.Root().Commands
			for _, name := range path {
				var found *cli.Command
				for _, sub := range cmds {
					if sub.HasName(name) {
						found = sub
					}
				}
				if found == nil {
					if s := cli.SuggestCommand(cmds, name); s != "" {
						return usageError{fmt.Errorf("no help for %q; did you mean %q?", strings.Join(path, " "), s)}
					}
					return usageError{fmt.Errorf("no help for %q: there is no such command", strings.Join(path, " "))}
				}
				cmds = found.Commands
			}
			// A new tree, on a context without this one's commands in it
			// (the library keeps them there); help only prints.
			h := &app{stdin: a.stdin, stdout: a.stdout, stderr: a.stderr}
			return h.command().Run(context.Background(), append(append([]string{programName}, path...), "-h"))
		}),
	}
}

// quietUsageErrors makes a wrong command line print one line (and where to
// find help) rather than the whole help text.
func quietUsageErrors(c *cli.Command) {
	c.OnUsageError = func(_ context.Context, c *cli.Command, err error, _ bool) error {
		return fmt.Errorf("%w (see '%s -h')", err, c.FullName())
	}
	for _, sub := range c.Commands {
		quietUsageErrors(sub)
	}
}

// unexpectedArgs refuses positional arguments a command does not take.
// Serving by default (no command named), a word is taken for a mistyped
// command, and the nearest is suggested.
func (a *app) unexpectedArgs(c *cli.Command) error {
	arg := c.Args().First()
	if c.Name == "serve" && c.Root() != c && !slices.Contains(a.args, "serve") {
		if s := cli.SuggestCommand(c.Root().Commands, arg); s != "" && s != arg {
			return usageError{fmt.Errorf("unknown command %q; did you mean %q? (see '%s -h')", arg, s, programName)}
		}
		if !strings.HasPrefix(arg, "-") {
			return usageError{fmt.Errorf("unknown command %q (see '%s -h')", arg, programName)}
		}
	}
	return usageError{fmt.Errorf("unexpected argument %q (see '%s -h')", arg, c.FullName())}
}

func (a *app) serveCommand() *cli.Command {
	var cfg config
	return &cli.Command{
		Name:      "serve",
		Usage:     "serve the GraphQL API, the playground, health checks and metrics (the default command)",
		UsageText: programName + " [serve] [-addr HOST:PORT] [-db FILE] [-demo] [options]",
		Description: "Opens (or creates) the store, applies pending migrations and serves until SIGINT or SIGTERM, then\n" +
			"lets running requests finish. Each option also reads the environment variable shown beside it.\n\n" +
			"Examples:\n" +
			"  " + programName + " -demo                                  a demo store on 127.0.0.1:8080, with an admin token\n" +
			"  " + programName + " -db /var/lib/customers.db -addr :8080 -introspection=false -playground=false\n" +
			"  COST_BUDGET=0 LOG_FORMAT=text " + programName + " serve         no cost budget; readable logs",
		Flags: serveFlags(&cfg),
		Action: a.action(func(ctx context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return a.unexpectedArgs(c)
			}
			log := a.log
			if log == nil {
				log = cfg.logger(a.stderr)
			}
			return serveConfig(ctx, cfg, a.stdout, log, a.ready)
		}),
	}
}

// openStore opens the store at path. Commands that only read or change
// what exists refuse a missing file rather than create an empty store.
func openStore(ctx context.Context, path string, create bool) (*storage.DB, error) {
	if !create && !storage.IsPostgresURL(path) {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("there is no store at %s (give -db or DB_PATH)", path)
		}
	}
	return storage.Open(ctx, path, storage.Options{})
}

func (a *app) tokenCommand() *cli.Command {
	var db, name, scopes string
	var budget, restore int
	return &cli.Command{
		Name:      "token",
		Usage:     "create, list and revoke admin API tokens",
		UsageText: programName + " token create|list|revoke [options]",
		Description: "API tokens authenticate admin tools (X-Auth-Token or Authorization: Bearer). A token is shown once,\n" +
			"when created; the store keeps only its hash.\n\n" +
			"Examples:\n" +
			"  " + programName + " token create -db customers.db -scopes " + storage.ScopeWrite + " -name dashboard\n" +
			"  " + programName + " token list -db customers.db\n" +
			"  " + programName + " token revoke -db customers.db 3",
		Commands: []*cli.Command{
			{
				Name:      "create",
				Usage:     "create an API token and print it, and nothing else, on stdout",
				UsageText: programName + " token create -scopes SCOPE[,SCOPE] [-name NAME] [-cost-budget N] [-cost-restore N] [-db FILE]",
				Description: "Scopes: " + storage.ScopeRead + " (every read) and " + storage.ScopeWrite + " (reads and writes).\n" +
					"A token's own -cost-budget and -cost-restore replace the server's for its requests: a trusted\n" +
					"back-office job can have more than a storefront (0 is unlimited).\n\n" +
					"Examples:\n" +
					"  " + programName + " token create -db customers.db -scopes " + storage.ScopeRead + " -name storefront\n" +
					"  " + programName + " token create -db customers.db -scopes " + storage.ScopeWrite + " -name nightly-sync -cost-budget 2000000 -cost-restore 200000",
				Flags: []cli.Flag{
					dbFlag(&db),
					&cli.StringFlag{Name: "scopes", Usage: "comma-separated scopes: " + strings.Join(storage.Scopes, ", "), Destination: &scopes},
					&cli.StringFlag{Name: "name", Usage: "a name to tell the token by in the token list", Destination: &name},
					&cli.IntFlag{Name: "cost-budget", Usage: "the token's own cost budget (0: unlimited); without it, the server's -cost-budget",
						Destination: &budget, HideDefault: true},
					&cli.IntFlag{Name: "cost-restore", Usage: "how much of the token's budget refills a second; without it, the server's -cost-restore",
						Destination: &restore, HideDefault: true},
				},
				Action: a.action(func(ctx context.Context, c *cli.Command) error {
					if c.NArg() > 0 {
						return a.unexpectedArgs(c)
					}
					in := storage.TokenInput{Name: name, Scopes: splitList(scopes)}
					if c.IsSet("cost-budget") {
						in.CostBudget = &budget
					}
					if c.IsSet("cost-restore") {
						in.CostRestore = &restore
					}
					// Checked before the store is opened: a mistake creates no file.
					if err := in.Validate(); err != nil {
						return usageError{flagError(err)}
					}
					store, err := openStore(ctx, db, true)
					if err != nil {
						return err
					}
					defer store.Close()
					token, _, err := store.CreateTokenWith(ctx, in)
					if err != nil {
						return err
					}
					fmt.Fprintln(a.stdout, token)
					return nil
				}),
			},
			{
				Name:        "list",
				Usage:       "list the API tokens, revoked ones too",
				UsageText:   programName + " token list [-db FILE]",
				Description: "Example:\n  " + programName + " token list -db customers.db",
				Flags:       []cli.Flag{dbFlag(&db)},
				Action: a.action(func(ctx context.Context, c *cli.Command) error {
					if c.NArg() > 0 {
						return a.unexpectedArgs(c)
					}
					store, err := openStore(ctx, db, false)
					if err != nil {
						return err
					}
					defer store.Close()
					tokens, err := store.ListTokens(ctx)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "ID\tNAME\tSCOPES\tCOST BUDGET\tCREATED\tLAST USED\tREVOKED")
					for _, t := range tokens {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, ","), budgetText(t),
							storage.FormatTime(t.DateCreated), orDash(t.LastUsed), orDash(t.RevokedAt))
					}
					return w.Flush()
				}),
			},
			{
				Name:        "revoke",
				Usage:       "revoke an API token for good",
				UsageText:   programName + " token revoke [-db FILE] ID",
				Description: "ID is the token's id in the token list. A server in another process stops taking it within 2 seconds.\n\nExample:\n  " + programName + " token revoke -db customers.db 3",
				Flags:       []cli.Flag{dbFlag(&db)},
				Action: a.action(func(ctx context.Context, c *cli.Command) error {
					if c.NArg() != 1 {
						return usageError{fmt.Errorf("give one token id (see '%s -h')", c.FullName())}
					}
					id, err := strconv.Atoi(c.Args().First())
					if err != nil || id < 1 {
						return usageError{fmt.Errorf("%q is not a token id", c.Args().First())}
					}
					store, err := openStore(ctx, db, false)
					if err != nil {
						return err
					}
					defer store.Close()
					if err := store.RevokeToken(ctx, id); err != nil {
						return err
					}
					fmt.Fprintf(a.stderr, "token %d revoked\n", id)
					return nil
				}),
			},
		},
	}
}

// flagError names a storage input error by its flag: "scopes: ..." becomes
// "-scopes: ...".
func flagError(err error) error {
	var parts []string
	for _, e := range storage.AsErrors(err) {
		field := e.Field
		switch field {
		case "costBudget":
			field = "cost-budget"
		case "costRestore":
			field = "cost-restore"
		}
		parts = append(parts, "-"+field+": "+e.Message)
	}
	if parts == nil {
		return err
	}
	return errors.New(strings.Join(parts, "; "))
}

// budgetText shows a token's cost budget in the token list.
func budgetText(t *storage.APIToken) string {
	if t.CostBudget == nil && t.CostRestore == nil {
		return "server's"
	}
	b, r := "server's", "server's"
	if t.CostBudget != nil {
		b = strconv.Itoa(*t.CostBudget)
		if *t.CostBudget == 0 {
			return "unlimited"
		}
	}
	if t.CostRestore != nil {
		r = strconv.Itoa(*t.CostRestore)
	}
	return b + " (+" + r + "/s)"
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func orDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return storage.FormatTime(*t)
}

// inputFile opens the one optional file argument of c, or returns stdin.
func (a *app) inputFile(c *cli.Command) (io.Reader, string, func(), error) {
	switch c.NArg() {
	case 0:
		return a.stdin, "stdin", func() {}, nil
	case 1:
		f, err := os.Open(c.Args().First())
		if err != nil {
			return nil, "", nil, err
		}
		return f, c.Args().First(), func() { f.Close() }, nil
	}
	return nil, "", nil, usageError{fmt.Errorf("%s takes one file, not %d (see '%s -h')", c.Name, c.NArg(), c.FullName())}
}

func (a *app) importCommand() *cli.Command {
	var db string
	return &cli.Command{
		Name:      "import",
		Usage:     "load customers from V3 JSON lines (a file, or stdin), keeping their ids and dates",
		UsageText: programName + " import [-db FILE] [FILE.jsonl]",
		Description: "One V3 customer a line, as V3 returns it with include=addresses,storecredit,attributes,formfields\n" +
			"(what export writes). The groups, attribute definitions and form field definitions the lines name\n" +
			"must exist. A bad line is reported on stderr as FILE:LINE: problem, and nothing of it is written;\n" +
			"the others are imported, and the exit status is 1. To move a whole store, use dump and restore.\n\n" +
			"Examples:\n" +
			"  " + programName + " import -db customers.db customers.jsonl\n" +
			"  gunzip -c customers.jsonl.gz | " + programName + " import -db customers.db",
		Flags: []cli.Flag{dbFlag(&db)},
		Action: a.action(func(ctx context.Context, c *cli.Command) error {
			in, name, done, err := a.inputFile(c)
			if err != nil {
				return err
			}
			defer done()
			store, err := openStore(ctx, db, true)
			if err != nil {
				return err
			}
			defer store.Close()
			start := time.Now()
			last := start
			st, err := store.Import(ctx, in,
				func(p storage.ImportProblem) { fmt.Fprintf(a.stderr, "%s:%d: %v\n", name, p.Line, p.Err) },
				func(st storage.ImportStats) {
					if time.Since(last) >= time.Second {
						last = time.Now()
						fmt.Fprintf(a.stderr, "import: %d lines, %d imported, %d rejected, %.0f lines/s\n",
							st.Lines, st.Imported, st.Rejected, float64(st.Lines)/time.Since(start).Seconds())
					}
				})
			fmt.Fprintf(a.stderr, "import: done in %s: %d lines, %d imported, %d rejected\n",
				time.Since(start).Round(time.Millisecond), st.Lines, st.Imported, st.Rejected)
			if err != nil {
				return err
			}
			if st.Rejected > 0 {
				return errRejected
			}
			return nil
		}),
	}
}

// hashesFlag asks export and dump for password hashes.
func hashesFlag(dst *bool) cli.Flag {
	return &cli.BoolFlag{Name: "include-password-hashes", Destination: dst,
		Usage: "also write each customer's password hash (argon2id), so that sign-in keeps working; treat the output as a secret"}
}

func (a *app) exportCommand() *cli.Command {
	var db string
	var hashes bool
	return &cli.Command{
		Name:      "export",
		Usage:     "write every customer as a V3 JSON line on stdout",
		UsageText: programName + " export [-db FILE] [-include-password-hashes] > FILE.jsonl",
		Description: "Each line is a customer as V3 returns it with include=addresses,storecredit,attributes,formfields,\n" +
			"plus its consent. Import reads it back. To move a whole store, use dump and restore.\n\n" +
			"Example:\n  " + programName + " export -db customers.db > customers.jsonl",
		Flags: []cli.Flag{dbFlag(&db), hashesFlag(&hashes)},
		Action: a.action(func(ctx context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return a.unexpectedArgs(c)
			}
			store, err := openStore(ctx, db, false)
			if err != nil {
				return err
			}
			defer store.Close()
			n, err := store.Export(ctx, a.stdout, hashes)
			fmt.Fprintf(a.stderr, "export: %d customers\n", n)
			return err
		}),
	}
}

func (a *app) dumpCommand() *cli.Command {
	var db string
	var hashes bool
	return &cli.Command{
		Name:      "dump",
		Usage:     "write the whole store as JSON lines on stdout",
		UsageText: programName + " dump [-db FILE] [-include-password-hashes] > FILE.jsonl",
		Description: "Settings, API tokens (as the SHA-256 the store keeps, never the token), channel settings, groups,\n" +
			"attribute and form field definitions, customers (as export writes them), metafields, subscribers,\n" +
			"webhooks and their notification emails, with their ids and dates, from one snapshot. Restored tokens\n" +
			"keep working. Not dumped: apps (their secrets are kept in clear; register them again), webhook\n" +
			"signing secrets, sessions, events and deliveries. Restore reads it back into an empty store; a dump\n" +
			"of the restored store is the same bytes.\n\n" +
			"Examples:\n" +
			"  " + programName + " dump -db customers.db > store.jsonl\n" +
			"  " + programName + " dump -db customers.db | gzip > store.jsonl.gz",
		Flags: []cli.Flag{dbFlag(&db), hashesFlag(&hashes)},
		Action: a.action(func(ctx context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return a.unexpectedArgs(c)
			}
			store, err := openStore(ctx, db, false)
			if err != nil {
				return err
			}
			defer store.Close()
			st, err := store.Dump(ctx, a.stdout, storage.DumpOptions{PasswordHashes: hashes})
			fmt.Fprintf(a.stderr, "dump: %s\n", st)
			return err
		}),
	}
}

func (a *app) restoreCommand() *cli.Command {
	var db string
	return &cli.Command{
		Name:      "restore",
		Usage:     "load a dump (a file, or stdin) into an empty store",
		UsageText: programName + " restore [-db FILE] [FILE.jsonl]",
		Description: "Everything or nothing: the first bad line stops the restore with its number and reason, and the\n" +
			"store is left as it was. The store must be empty, of API tokens too (a new file is). Dumps hold no\n" +
			"webhook signing secrets: each restored webhook gets a new one, printed on stdout with its id, to give\n" +
			"its receiver. Apps are not in a dump: register them again (app create).\n\n" +
			"Examples:\n" +
			"  " + programName + " restore -db copy.db store.jsonl\n" +
			"  gunzip -c store.jsonl.gz | " + programName + " restore -db copy.db",
		Flags: []cli.Flag{dbFlag(&db)},
		Action: a.action(func(ctx context.Context, c *cli.Command) error {
			in, name, done, err := a.inputFile(c)
			if err != nil {
				return err
			}
			defer done()
			store, err := openStore(ctx, db, true)
			if err != nil {
				return err
			}
			defer store.Close()
			st, err := store.Restore(ctx, in)
			if p, ok := errors.AsType[storage.ImportProblem](err); ok {
				return fmt.Errorf("%s:%d: %v; nothing was restored", name, p.Line, p.Err)
			}
			if err != nil {
				return err
			}
			for _, w := range st.Secrets {
				fmt.Fprintf(a.stdout, "webhook %d %s secret %s\n", w.ID, w.Destination, w.Secret)
			}
			fmt.Fprintf(a.stderr, "restore: %s\n", st)
			return nil
		}),
	}
}

func (a *app) migrateCommand() *cli.Command {
	var db string
	return &cli.Command{
		Name:      "migrate",
		Usage:     "show the store's schema migrations",
		UsageText: programName + " migrate status [-db FILE]",
		Description: "The server applies pending migrations when it opens a store; status shows which are applied, when,\n" +
			"and which are pending, without changing the file.\n\n" +
			"Example:\n  " + programName + " migrate status -db customers.db",
		Commands: []*cli.Command{{
			Name:        "status",
			Usage:       "list the migrations: applied (with the time) or pending",
			UsageText:   programName + " migrate status [-db FILE]",
			Description: "Example:\n  " + programName + " migrate status -db customers.db",
			Flags:       []cli.Flag{dbFlag(&db)},
			Action: a.action(func(ctx context.Context, c *cli.Command) error {
				if c.NArg() > 0 {
					return a.unexpectedArgs(c)
				}
				if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) && !storage.IsPostgresURL(db) {
					return fmt.Errorf("there is no store at %s (give -db or DB_PATH)", db)
				}
				ms, err := storage.MigrationStatus(ctx, db)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "MIGRATION\tSTATUS")
				pending := 0
				for _, m := range ms {
					status := "pending"
					switch {
					case m.AppliedAt != nil && !m.Known:
						status = "applied " + storage.FormatTime(*m.AppliedAt) + " (unknown to this binary: a newer one applied it)"
					case m.AppliedAt != nil:
						status = "applied " + storage.FormatTime(*m.AppliedAt)
					default:
						pending++
					}
					fmt.Fprintf(w, "%s\t%s\n", m.Name, status)
				}
				if err := w.Flush(); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "migrate: %d applied, %d pending (serving applies them)\n", len(ms)-pending, pending)
				return nil
			}),
		}},
	}
}

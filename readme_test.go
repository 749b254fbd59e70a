package main

import (
	"context"
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
)

// README's command table and flag table are generated from the command
// tree that help prints, so they cannot drift from it:
//
//	go test -run TestREADME -update .
//
// rewrites them after a command or flag changes.

var update = flag.Bool("update", false, "rewrite README.md's generated tables")

// readmeBlocks are README's generated blocks, by marker name.
func readmeBlocks() map[string]string {
	// Running help sets the tree up as a run does (it adds completion).
	a := &app{stdout: io.Discard, stderr: io.Discard}
	root := a.command()
	if err := root.Run(context.Background(), []string{programName, "-h"}); err != nil {
		panic(err)
	}
	var cmds strings.Builder
	cmds.WriteString("| command | what |\n|---|---|\n")
	var walk func(c *cli.Command)
	walk = func(c *cli.Command) {
		if c.Hidden {
			return
		}
		if len(c.Commands) > 0 && c.Name != "completion" {
			for _, sub := range c.Commands {
				walk(sub)
			}
			return
		}
		usage := strings.Split(c.UsageText, "\n")[0]
		if usage == "" {
			usage = programName + " " + c.Name + " bash|zsh|fish|pwsh"
		}
		cmds.WriteString("| `" + cell(usage) + "` | " + cell(c.Usage) + " |\n")
	}
	for _, c := range root.Commands {
		walk(c)
	}

	var flags strings.Builder
	flags.WriteString("| flag | env | default | what |\n|---|---|---|---|\n")
	for _, f := range serveFlags(&config{}) {
		df := f.(cli.DocGenerationFlag)
		env := strings.Join(df.GetEnvVars(), ", ")
		if env != "" {
			env = "`" + env + "`"
		}
		def := flagDefault(df)
		if def != "" {
			def = "`" + def + "`"
		}
		flags.WriteString("| `-" + f.Names()[0] + "` | " + env + " | " + def + " | " + cell(df.GetUsage()) + " |\n")
	}
	return map[string]string{"commands": cmds.String(), "serve flags": flags.String()}
}

// cell escapes a table cell's pipes (also inside code spans, as GitHub's
// tables need).
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// TestREADME_GeneratedTables: README's command and flag tables are those
// of the command line's own help.
func TestREADME_GeneratedTables(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for name, want := range readmeBlocks() {
		begin := "<!-- " + name + ": generated from the help by `go test -run TestREADME -update .` -->\n"
		end := "<!-- end of " + name + " -->"
		re := regexp.MustCompile(`(?s)` + regexp.QuoteMeta(begin) + `(.*?)` + regexp.QuoteMeta(end))
		m := re.FindStringSubmatchIndex(readme)
		if m == nil {
			t.Fatalf("README.md has no %q block (markers %q ... %q)", name, begin, end)
		}
		if got := readme[m[2]:m[3]]; got != want {
			if !*update {
				t.Errorf("README.md's %s table is stale; run go test -run TestREADME -update .\ngot:\n%s\nwant:\n%s", name, got, want)
				continue
			}
			readme = readme[:m[2]] + want + readme[m[3]:]
		}
	}
	if *update {
		if err := os.WriteFile("README.md", []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/storefront/customers/storage"
	"github.com/storefront/customers/storage/storagetest"
)

// requireBrowserEnv, set to 1 (as .ci/run does), makes a missing Chromium
// a failure instead of a skip.
const requireBrowserEnv = "CUSTOMERS_REQUIRE_BROWSER"

// findChromium returns the Chromium binary to use: $CUSTOMERS_CHROMIUM, or
// the first of Debian's chromium and its usual other names on PATH.
func findChromium() (string, error) {
	if p := os.Getenv("CUSTOMERS_CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser or google-chrome on PATH (Debian: apt-get install chromium)")
}

// TestPlayground_Browser loads the playground of a real demo server in
// headless Chromium, presses the execute button and checks that the result
// pane shows the example query's customers; it saves a screenshot to
// $ARTIFACTS_DIR (or a temporary directory, logged).
func TestPlayground_Browser(t *testing.T) {
	t.Parallel()
	chromium, err := findChromium()
	if err != nil {
		if os.Getenv(requireBrowserEnv) == "1" {
			t.Fatalf("%s=1 but: %v", requireBrowserEnv, err)
		}
		t.Skipf("skipping the browser test: %v", err)
	}
	s := startTelServer(t, "-db", storagetest.DemoFile(t, storage.DemoCustomers), "-demo")

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(chromium),
			chromedp.Headless,
			chromedp.NoSandbox, // CI runs as root
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(t.TempDir()),
			chromedp.WindowSize(1400, 1000),
		)...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancel()
	// Start the browser with a context without a deadline (a deadline on
	// the first run would bound the browser's life), then bound the steps.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	stepCtx, cancelSteps := context.WithTimeout(ctx, 90*time.Second)
	defer cancelSteps()

	var screenshot []byte
	defer func() {
		// Whatever happened, keep a picture of it.
		if len(screenshot) == 0 {
			shotCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			screenshot, _ = chromedp.Run(shotCtx, chromedp.CaptureScreenshot())
		}
		saveArtifact(t, "playground.png", screenshot)
	}()

	if err := chromedp.Do(stepCtx,
		chromedp.Navigate(s.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")),
	); err != nil {
		t.Fatalf("loading the playground: %v", err)
	}
	// The editor holds the example query before anything runs.
	query, err := chromedp.Run(stepCtx, chromedp.Poll[string](
		`(() => { const e = document.querySelector('.graphiql-query-editor .CodeMirror'); return e && e.CodeMirror && e.CodeMirror.getValue(); })()`,
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil || !strings.Contains(query, "query NewestCustomers") {
		t.Fatalf("query editor: %q %v", query, err)
	}
	if err := chromedp.Do(stepCtx, chromedp.Click(chromedp.CSS(".graphiql-execute-button"))); err != nil {
		t.Fatalf("pressing execute: %v", err)
	}
	// The result pane is a CodeMirror editor too; read its whole text, not
	// only the lines it has rendered.
	result, err := chromedp.Run(stepCtx, chromedp.Poll[string](
		`(() => { const e = document.querySelector('.result-window .CodeMirror'); const v = e && e.CodeMirror && e.CodeMirror.getValue(); return v && v.includes('"customers"') ? v : false; })()`,
		chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil {
		t.Fatalf("no result in the result pane: %v", err)
	}
	screenshot, err = chromedp.Run(stepCtx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot: %v", err)
	}

	emails := regexp.MustCompile(`"email": "[^"@]+@[^"]+"`).FindAllString(result, -1)
	if strings.Contains(result, `"errors"`) || len(emails) != 5 || !strings.Contains(result, `"nodes"`) {
		t.Fatalf("result pane:\n%s", result)
	}
	t.Logf("the result pane shows %d customers, the first %s", len(emails), emails[0])

	// The query reached the real server as the named operation.
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.logs.String(), `"msg":"graphql operation","operation":"NewestCustomers"`) {
		t.Fatal("the server logged no NewestCustomers operation")
	}
}

// saveArtifact writes data to name in $ARTIFACTS_DIR, or in a new temporary
// directory that outlives the test, and logs where.
func saveArtifact(t *testing.T, name string, data []byte) {
	t.Helper()
	if len(data) == 0 {
		return
	}
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "customers-artifacts-"); err != nil {
			t.Errorf("artifact %s: %v", name, err)
			return
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("artifact %s: %v", name, err)
		return
	}
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err == nil {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		t.Errorf("artifact %s: %v", name, err)
		return
	}
	t.Logf("screenshot saved to %s", path)
}

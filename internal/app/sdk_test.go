package app_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The TypeScript SDK (sdk/typescript) type-checks and drives a live server:
// create, get, list two pages, patch, delete, typed 400 and 409 problems.
func TestTypeScriptSDK(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm is not installed")
		}
		t.Skip("npm is not installed")
	}
	dir := filepath.Join(repoRoot, "sdk", "typescript")
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	run("npx", "tsc", "-p", ".") // type-checks the client and the script against the generated types
	s := startServer(t, nil)
	if out := run("node", "dist/test/smoke.js", s.URL); !strings.Contains(out, "typescript sdk smoke: ok") {
		t.Errorf("the TypeScript smoke script said:\n%s", out)
	}
}

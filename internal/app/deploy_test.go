package app_test

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/posts-api/posts/internal/app"
	"github.com/posts-api/posts/internal/database/databasetest"
)

const repoRoot = "../.."

// stacktapeConfigs are the deployable configurations: the default, and the
// scaled-out one that README's "Scaling" describes.
var stacktapeConfigs = []string{"stacktape.yml", "stacktape.aurora.yml"}

// stacktapeSchema compiles Stacktape's published config schema, from
// STACKTAPE_SCHEMA or ../shared/stacktape beside the repository. CI always
// has it; elsewhere the test is skipped without it.
func stacktapeSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := os.Getenv("STACKTAPE_SCHEMA")
	if path == "" {
		path = filepath.Join(repoRoot, "..", "shared", "stacktape", "config-schema.json")
	}
	f, err := os.Open(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Stacktape's schema: %v", err)
		}
		t.Skipf("Stacktape's schema is not at %s (set STACKTAPE_SCHEMA): %v", path, err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource("stacktape.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("stacktape.json")
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

// readConfig reads a YAML file as JSON-shaped values.
func readConfig(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	asJSON, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(asJSON))
	if err != nil {
		t.Fatal(err)
	}
	return inst.(map[string]any)
}

// at walks a path of keys and indexes through decoded YAML.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, step := range path {
		switch s := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %q is not under an object", path, s)
			}
			v = m[s]
		case int:
			l, ok := v.([]any)
			if !ok || s >= len(l) {
				t.Fatalf("at %v: no item %d", path, s)
			}
			v = l[s]
		}
	}
	return v
}

func TestStacktapeConfigsMatchTheSchema(t *testing.T) {
	schema := stacktapeSchema(t)
	for _, name := range stacktapeConfigs {
		if err := schema.Validate(readConfig(t, name)); err != nil {
			t.Errorf("%s does not match Stacktape's schema:\n%v", name, err)
		}
	}
}

// The checks the schema cannot make: names that refer to each other, the
// port, the timeouts, and the commands that Stacktape will run.
func TestStacktapeConfigsHangTogether(t *testing.T) {
	dockerfile, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	entrypoint := regexp.MustCompile(`(?m)^ENTRYPOINT \["([^"]+)"\]`).FindSubmatch(dockerfile)
	expose := regexp.MustCompile(`(?m)^EXPOSE (\d+)`).FindSubmatch(dockerfile)
	if entrypoint == nil || expose == nil {
		t.Fatalf("Dockerfile: no ENTRYPOINT [\"…\"] or EXPOSE")
	}

	for _, name := range stacktapeConfigs {
		t.Run(name, func(t *testing.T) {
			cfg := readConfig(t, name)
			resources := at(t, cfg, "resources").(map[string]any)
			exists := func(what, ref string) {
				if _, ok := resources[ref]; !ok {
					t.Errorf("%s refers to resource %q, which is not defined", what, ref)
				}
			}
			raw, _ := os.ReadFile(filepath.Join(repoRoot, name))
			for _, m := range regexp.MustCompile(`\$ResourceParam\('([^']+)'`).FindAllSubmatch(raw, -1) {
				exists("$ResourceParam", string(m[1]))
			}
			if secrets := regexp.MustCompile(`masterUserPassword: (.*)`).FindSubmatch(raw); secrets == nil || !strings.HasPrefix(string(secrets[1]), "$Secret(") {
				t.Errorf("the database password is not a $Secret")
			}

			workload := at(t, resources, "postsApi", "properties")
			for _, ref := range at(t, workload, "connectTo").([]any) {
				exists("postsApi.connectTo", ref.(string))
			}
			container := at(t, workload, "containers", 0)
			env := map[string]string{}
			for _, e := range at(t, container, "environment").([]any) {
				env[at(t, e, "name").(string)] = at(t, e, "value").(string)
			}
			event := at(t, container, "events", 0, "properties")
			exists("the gateway event", at(t, event, "httpApiGatewayName").(string))
			port := at(t, event, "containerPort").(json.Number).String()
			if port != env["PORT"] || port != string(expose[1]) {
				t.Errorf("containerPort %s, PORT %q, EXPOSE %s; want all the same", port, env["PORT"], expose[1])
			}
			if at(t, event, "path") != "/{proxy+}" || at(t, event, "method") != "*" {
				t.Errorf("gateway event %v; want every method on /{proxy+}", event)
			}
			shutdown, err := time.ParseDuration(env["SHUTDOWN_TIMEOUT"])
			if err != nil {
				t.Fatalf("SHUTDOWN_TIMEOUT %q: %v", env["SHUTDOWN_TIMEOUT"], err)
			}
			stopSeconds, _ := at(t, container, "stopTimeout").(json.Number).Float64()
			if stop := time.Duration(stopSeconds * float64(time.Second)); stop <= shutdown {
				t.Errorf("stopTimeout %v is not longer than SHUTDOWN_TIMEOUT %v: ECS would kill in-flight requests", stop, shutdown)
			}
			if !strings.HasPrefix(env["DB_CONNECTION_STRING"], "$ResourceParam('mainDatabase','connectionString')") {
				t.Errorf("DB_CONNECTION_STRING %q; want the database's connectionString", env["DB_CONNECTION_STRING"])
			}

			// The health check runs the binary the Dockerfile installs, with a
			// real subcommand: run it against a real server.
			check := at(t, container, "internalHealthCheck", "healthCheckCommand").([]any)
			if len(check) < 3 || check[0] != "CMD" || check[1] != string(entrypoint[1]) {
				t.Fatalf("healthCheckCommand %v; want [CMD, %s, …]", check, entrypoint[1])
			}
			s := startServer(t, nil)
			serverPort := strings.TrimPrefix(s.URL, "http://127.0.0.1:")
			if err := app.Run(context.Background(), toStrings(check[2:]), mapEnv(map[string]string{"PORT": serverPort}), io.Discard, io.Discard); err != nil {
				t.Errorf("health check %v against a ready server: %v", check[2:], err)
			}

			// Every hook names a script; migrateDb runs `posts migrate up`.
			scripts := at(t, cfg, "scripts").(map[string]any)
			for _, hook := range at(t, cfg, "hooks", "afterDeploy").([]any) {
				if _, ok := scripts[at(t, hook, "scriptName").(string)]; !ok {
					t.Errorf("afterDeploy names script %v, which is not defined", hook)
				}
			}
			migrate := at(t, scripts, "migrateDb", "properties")
			command := strings.Fields(at(t, migrate, "executeCommand").(string))
			if len(command) < 4 || strings.Join(command[:3], " ") != "go run ./cmd/posts" {
				t.Fatalf("migrateDb runs %v; want go run ./cmd/posts …", command)
			}
			for _, ref := range at(t, migrate, "connectTo").([]any) {
				exists("migrateDb.connectTo", ref.(string))
			}
			var out bytes.Buffer
			dbURL := databasetest.NewEmpty(t)
			if err := app.Run(context.Background(), command[3:], mapEnv(map[string]string{"DB_CONNECTION_STRING": dbURL}), &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "schema version: ") {
				t.Errorf("migrateDb's command %v on an empty database: %v %q; want it migrated", command[3:], err, out.String())
			}
		})
	}
}

func toStrings(items []any) []string {
	s := make([]string, len(items))
	for i, item := range items {
		s[i] = item.(string)
	}
	return s
}

// The Dockerfile runs `make build`: its binary must be static, and must
// migrate, serve and answer its own health check.
func TestReleaseBinary(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "posts")
	if out, err := exec.Command("make", "-s", "-C", repoRoot, "build", "BIN="+bin).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a %v program header; want a static binary", p.Type)
		}
	}
	if f.Section(".dynamic") != nil {
		t.Error("the binary has a .dynamic section; want a static binary")
	}
	if f.Section(".debug_info") != nil || f.Section(".symtab") != nil {
		t.Error("the binary has debug information or a symbol table; want it stripped")
	}
	f.Close()

	dbURL := databasetest.NewEmpty(t)
	run := func(env map[string]string, args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = os.Environ()
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(map[string]string{"DB_CONNECTION_STRING": dbURL}, "migrate", "up"); err != nil {
		t.Fatalf("posts migrate up: %v\n%s", err, out)
	}

	proc, base, _ := startBinary(t, bin, map[string]string{"DB_CONNECTION_STRING": dbURL})
	port := strings.TrimPrefix(base, "http://127.0.0.1:")

	if out, err := run(map[string]string{"PORT": port}, "healthcheck"); err != nil {
		t.Errorf("posts healthcheck: %v\n%s", err, out)
	}
	resp, err := http.Post("http://127.0.0.1:"+port+"/posts", "application/json", strings.NewReader(`{"title": "from the release binary", "authorEmail": "ada@example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("POST /posts to the release binary: %d; want 201", resp.StatusCode)
	}
	proc.cmd.Process.Signal(syscall.SIGTERM)
	if err := proc.waitExit(t, 10*time.Second); err != nil {
		t.Errorf("after SIGTERM: %v; want exit code 0", err)
	}
}

package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/posts-api/posts/internal/app"
)

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, body := get(t, s.URL+path)
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
			t.Errorf("GET %s: got %d %s; want 200 {\"status\":\"ok\"}", path, resp.StatusCode, body)
		}
	}
}

func TestServesWhileDatabaseIsDown(t *testing.T) {
	t.Parallel()
	// Nothing listens on this port: the database is "down".
	down := "postgres://postgres:s3cret-pw@127.0.0.1:" + strconv.Itoa(freePort(t)) + "/posts?sslmode=disable&connect_timeout=1"
	s := startServer(t, map[string]string{"DB_CONNECTION_STRING": down, "DATABASE_DOWN": "yes"})

	if resp, body := get(t, s.URL+"/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz with the database down: got %d %s; want 200", resp.StatusCode, body)
	}
	resp, body := get(t, s.URL+"/readyz")
	assertProblem(t, "GET /readyz with the database down", resp, body, http.StatusServiceUnavailable)
	if resp.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	resp, body = get(t, s.URL+"/posts")
	assertProblem(t, "GET /posts with the database down", resp, body, http.StatusServiceUnavailable)
	if strings.Contains(s.Logs.String(), "s3cret-pw") {
		t.Errorf("the logs show the database password:\n%s", s.Logs)
	}
}

func TestSpecAndDocs(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)

	resp, body := get(t, s.URL+"/openapi.yaml")
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("openapi: 3.0.3")) {
		t.Errorf("GET /openapi.yaml: got %d %.40q; want 200 and the spec", resp.StatusCode, body)
	}
	resp, body = get(t, s.URL+"/openapi.json")
	var spec struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &spec); err != nil || resp.StatusCode != http.StatusOK || spec.OpenAPI != "3.0.3" || len(spec.Paths) != 5 {
		t.Errorf("GET /openapi.json: got %d, openapi %q, %d paths (%v); want 200, 3.0.3, 5 paths", resp.StatusCode, spec.OpenAPI, len(spec.Paths), err)
	}

	for _, path := range []string{"/docs", "/docs/"} {
		resp, body = get(t, s.URL+path)
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != path {
			t.Errorf("GET %s: got %d at %s; want 200 without a redirect", path, resp.StatusCode, resp.Request.URL.Path)
		}
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("/openapi.json")) || !bytes.Contains(body, []byte("swagger-ui")) {
		t.Fatalf("GET /docs: got %d %.200s; want the Swagger UI page pointing at /openapi.json", resp.StatusCode, body)
	}
	if bytes.Contains(body, []byte("https://")) && bytes.Contains(body, []byte("<script src=\"https://")) {
		t.Errorf("GET /docs loads scripts from another host; want embedded assets only")
	}
	resp, body = get(t, s.URL+"/docs/swagger-ui-bundle.js")
	if resp.StatusCode != http.StatusOK || len(body) < 100_000 {
		t.Errorf("GET /docs/swagger-ui-bundle.js: got %d, %d bytes; want 200 and the embedded bundle", resp.StatusCode, len(body))
	}
}

func TestRequestLogsAndHeaders(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/posts?limit=5", nil)
	req.Header.Set("X-Request-Id", "trace-me-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got != "trace-me-123" {
		t.Errorf("X-Request-Id %q; want the one sent echoed back", got)
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options %q; want nosniff", got)
	}
	if got := resp.Header.Get("Server"); got != "" {
		t.Errorf("Server header %q; want none", got)
	}

	// Request lines are written out in batches, at least every 100 ms.
	var line map[string]any
	for deadline := time.Now().Add(2 * time.Second); line == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, l := range strings.Split(s.Logs.String(), "\n") {
			if strings.Contains(l, "trace-me-123") {
				if err := json.Unmarshal([]byte(l), &line); err != nil {
					t.Fatalf("log line %q is not JSON: %v", l, err)
				}
			}
		}
	}
	if line == nil {
		t.Fatalf("no log line with the request id within 2s; logs:\n%s", s.Logs)
	}
	for key, want := range map[string]any{"msg": "request", "method": "GET", "route": "/posts", "status": float64(200)} {
		if line[key] != want {
			t.Errorf("log line %v: %s = %v; want %v", line, key, line[key], want)
		}
	}
	if _, ok := line["duration"]; !ok {
		t.Errorf("log line %v has no duration", line)
	}
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	env := func(key string) string { return "" }
	var out bytes.Buffer
	if err := app.Run(context.Background(), []string{"help"}, env, &out, io.Discard); err != nil || !strings.Contains(out.String(), "migrate up") {
		t.Errorf("posts help: err %v, output %q; want the usage", err, out.String())
	}
	for _, args := range [][]string{{"frobnicate"}, {"serve", "extra"}, {"migrate"}, {"migrate", "sideways"}, {"migrate", "down", "x"}, {"migrate", "force"}} {
		if err := app.Run(context.Background(), args, func(k string) string {
			if k == "DB_CONNECTION_STRING" {
				return "postgres://postgres@127.0.0.1:1/none?connect_timeout=1"
			}
			return ""
		}, io.Discard, io.Discard); err == nil {
			t.Errorf("posts %v: no error; want a usage error", args)
		}
	}
	if err := app.Run(context.Background(), nil, func(k string) string {
		return map[string]string{"PORT": "seventy"}[k]
	}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "PORT") {
		t.Errorf("PORT=seventy: got %v; want an error naming PORT", err)
	}
}

func TestHealthcheckCommand(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	port := strings.TrimPrefix(s.URL, "http://127.0.0.1:")
	if err := app.Run(context.Background(), []string{"healthcheck"}, mapEnv(map[string]string{"PORT": port}), io.Discard, io.Discard); err != nil {
		t.Errorf("posts healthcheck against a ready server: %v; want nil", err)
	}
	closed := strconv.Itoa(freePort(t))
	if err := app.Run(context.Background(), []string{"healthcheck"}, mapEnv(map[string]string{"PORT": closed}), io.Discard, io.Discard); err == nil {
		t.Error("posts healthcheck with no server: nil; want an error")
	}
}

// HEAD works wherever GET does, with GET's headers and no body.
func TestHEAD(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	post := mustCreate(t, s.Client, newPost("Headed", "ada@example.com", nil))
	for path, want := range map[string]int{"/posts": 200, "/posts/" + post.Id.String(): 200, "/posts/not-a-uuid": 400, "/healthz": 200} {
		resp, err := http.Head(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || len(body) != 0 {
			t.Errorf("HEAD %s: %d with %d body bytes; want %d and no body", path, resp.StatusCode, len(body), want)
		}
	}
	resp, err := http.Head(s.URL + "/posts/" + post.Id.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("ETag") == "" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("HEAD of a post: headers %v; want GET's, ETag included", resp.Header)
	}
}

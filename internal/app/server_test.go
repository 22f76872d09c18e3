package app_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/posts-api/posts/gen/client"
	"github.com/posts-api/posts/internal/app"
	"github.com/posts-api/posts/internal/database/databasetest"
)

// testServer is the real posts program serving on a random port, on a
// database of its own.
type testServer struct {
	URL    string
	DBURL  string
	Client *client.ClientWithResponses
	Logs   *syncBuffer
}

// startServer runs `posts serve` with env on top of the defaults (a fresh
// database and a free port) until the test ends, and waits until it is
// ready (/readyz) or, when the test's database is down, up (/healthz).
func startServer(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	s := &testServer{Logs: &syncBuffer{}}
	vars := map[string]string{"PORT": strconv.Itoa(freePort(t)), "LOG_LEVEL": "debug"}
	if _, ok := env["DB_CONNECTION_STRING"]; !ok {
		vars["DB_CONNECTION_STRING"] = databasetest.New(t)
	}
	for k, v := range env {
		vars[k] = v
	}
	s.DBURL = vars["DB_CONNECTION_STRING"]
	s.URL = "http://127.0.0.1:" + vars["PORT"]

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, []string{"serve"}, mapEnv(vars), s.Logs, s.Logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("posts serve returned %v; want nil after shutdown", err)
		}
	})
	probe := "/readyz"
	if env["DATABASE_DOWN"] != "" {
		probe = "/healthz"
	}
	waitUntilOK(t, s.URL+probe, done, s.Logs)

	c, err := client.NewClientWithResponses(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	s.Client = c
	return s
}

func mapEnv(vars map[string]string) func(string) string {
	return func(key string) string { return vars[key] }
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitUntilOK(t *testing.T, url string, done <-chan error, logs *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("posts serve stopped before it was up: %v\nlogs:\n%s", err, logs)
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within 30s\nlogs:\n%s", url, logs)
}

// syncBuffer collects the server's logs; the server writes while tests read.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// reachableTempDir is a temporary folder other users can reach: PostgreSQL
// runs as an unprivileged user when the tests run as root, and t.TempDir's
// parent folder is private to root.
func reachableTempDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

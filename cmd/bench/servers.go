package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/posts-api/posts/internal/database"
)

// server is a server process under test.
type server struct {
	name    string
	cmd     *exec.Cmd
	baseURL string
	dbURL   string
	startup time.Duration // from exec to the first answer of readyPath
}

// startServer runs bin with env on a free port and waits until readyPath answers 200.
func startServer(name, bin string, args []string, env []string, readyPath, dbURL string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), env...), "PORT="+port)
	logFile, err := os.CreateTemp("", "bench-"+name+"-*.log")
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{name: name, cmd: cmd, baseURL: "http://127.0.0.1:" + port, dbURL: dbURL}
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		resp, err := client.Get(s.baseURL + readyPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.startup = time.Since(start)
				return s, nil
			}
		}
	}
	s.stop()
	return nil, fmt.Errorf("%s did not become ready in 30s; its log is %s", name, logFile.Name())
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
	}
}

// peakRSS is the process's resident-set high-water mark (VmHWM).
func (s *server) peakRSS() (mib float64) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kib, _ := strconv.Atoi(strings.Fields(line)[1])
			return float64(kib) / 1024
		}
	}
	return 0
}

// buildOurs builds the service with `make build`, as the Dockerfile does.
func buildOurs(dir string) (string, error) {
	bin := filepath.Join(dir, "posts")
	out, err := exec.Command("make", "-s", "build", "BIN="+bin).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("make build: %v\n%s", err, out)
	}
	return bin, nil
}

// buildBaseline builds the bare net/http + pgx reference server.
func buildBaseline(src, dir string) (string, error) {
	bin := filepath.Join(dir, "baseline-server")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the baseline in %s: %v\n%s", src, err, out)
	}
	return bin, nil
}

// createDatabase makes a fresh database on the server at adminURL, dropping
// one left by an earlier run.
func createDatabase(ctx context.Context, adminURL, name string) (string, error) {
	if err := database.DropDatabase(ctx, adminURL, name); err != nil {
		return "", err
	}
	return database.EnsureDatabase(ctx, adminURL, name)
}

// seed fills a posts table with n rows, one millisecond apart, newest now.
// ours has a uuid id, the baseline a bigint identity.
func seed(ctx context.Context, dbURL string, n int, ours bool) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	insert := `INSERT INTO posts (title, content, author_email, created_at)
		SELECT 'seed ' || i, repeat('x', 200), 'seed' || (i % 100) || '@example.com', now() - i * interval '1 millisecond'
		FROM generate_series(1, $1) AS i`
	if ours {
		insert = `INSERT INTO posts (id, title, content, author_email, created_at, updated_at)
			SELECT gen_random_uuid(), 'seed ' || i, repeat('x', 200), 'seed' || (i % 100) || '@example.com',
			       now() - i * interval '1 millisecond', now() - i * interval '1 millisecond'
			FROM generate_series(1, $1) AS i`
	}
	if _, err := conn.Exec(ctx, insert, n); err != nil {
		return fmt.Errorf("seed %d rows: %w", n, err)
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE posts"); err != nil {
		return err
	}
	// Write the seeded pages out now, so that the checkpoint does not land in a measurement.
	_, err = conn.Exec(ctx, "CHECKPOINT")
	return err
}

// settle vacuums the server's table and checkpoints, so that every run
// starts from the same state: no autovacuum of the previous run's rows and
// no checkpoint (with the full-page WAL writes that follow one) lands in
// the middle of one server's run and not the other's.
func settle(ctx context.Context, dbURL string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "VACUUM posts"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "CHECKPOINT")
	return err
}

var errRunFailed = errors.New("a run had errors")

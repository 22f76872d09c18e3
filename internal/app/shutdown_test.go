package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/posts-api/posts/internal/database/databasetest"
)

// buildBinary builds cmd/posts once for the tests that need a real process.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "posts-bin-") // kept for the whole test binary
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "posts")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/posts-api/posts/cmd/posts").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// startProcess runs the posts binary as its own process until the test ends.
func startProcess(t *testing.T, env map[string]string) (*process, string, *syncBuffer) {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return startBinary(t, bin, env)
}

// startBinary runs `bin serve` on a free port until the test ends, and waits
// until it is ready.
func startBinary(t *testing.T, bin string, env map[string]string) (*process, string, *syncBuffer) {
	t.Helper()
	port := strconv.Itoa(freePort(t))
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "PORT="+port)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	base := "http://127.0.0.1:" + port
	waitUntilOK(t, base+"/readyz", exited, logs)
	return &process{cmd: cmd, exited: exited}, base, logs
}

// process is a running posts binary.
type process struct {
	cmd    *exec.Cmd
	exited chan error
}

func (p *process) waitExit(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case err := <-p.exited:
		return err
	case <-time.After(within):
		t.Fatalf("the process did not exit within %v", within)
		return nil
	}
}

func TestSIGTERMLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	dbURL := databasetest.New(t)
	proc, base, logs := startProcess(t, map[string]string{"DB_CONNECTION_STRING": dbURL, "SHUTDOWN_TIMEOUT": "10s"})

	var (
		mu        sync.Mutex
		acked     []string // ids of posts answered 201
		cutShort  atomic.Int32
		sent      atomic.Int32
		stop      = make(chan struct{})
		wg        sync.WaitGroup
		transport = &http.Transport{MaxIdleConnsPerHost: 32}
	)
	client := &http.Client{Transport: transport, Timeout: 15 * time.Second}
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sent.Add(1)
				body := fmt.Sprintf(`{"title": "writer %d post %d", "authorEmail": "w%d@example.com"}`, w, i, w)
				resp, err := client.Post(base+"/posts", "application/json", strings.NewReader(body))
				if err != nil {
					// No response at all: not acknowledged. Once the listener is
					// closed this is what every new request gets.
					time.Sleep(5 * time.Millisecond)
					continue
				}
				raw, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					cutShort.Add(1) // a response cut mid-body
					continue
				}
				if resp.StatusCode == http.StatusCreated {
					var post struct{ ID string }
					if err := json.Unmarshal(raw, &post); err != nil {
						cutShort.Add(1)
						continue
					}
					mu.Lock()
					acked = append(acked, post.ID)
					mu.Unlock()
				}
			}
		})
	}

	time.Sleep(700 * time.Millisecond) // sustained writes
	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exitErr := proc.waitExit(t, 15*time.Second)
	close(stop)
	wg.Wait()

	if exitErr != nil {
		t.Errorf("after SIGTERM the process exited with %v; want exit code 0\nlogs:\n%s", exitErr, logs)
	}
	if n := cutShort.Load(); n > 0 {
		t.Errorf("%d responses were cut mid-body; want none", n)
	}
	if len(acked) < 50 {
		t.Fatalf("only %d of %d writes were acknowledged before the shutdown; the test did not load the server", len(acked), sent.Load())
	}

	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var missing int
	if err := conn.QueryRow(context.Background(),
		"SELECT count(*) FROM unnest($1::uuid[]) AS acked(id) WHERE NOT EXISTS (SELECT 1 FROM posts WHERE posts.id = acked.id)", acked).Scan(&missing); err != nil {
		t.Fatal(err)
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged writes are missing after the shutdown; want none", missing, len(acked))
	}
	t.Logf("%d requests sent, %d acknowledged, all present after SIGTERM", sent.Load(), len(acked))
}

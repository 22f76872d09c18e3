package app_test

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posts-api/posts/internal/database/databasetest"
)

// TestSoak drives the real binary with mixed traffic at 32 connections for
// SOAK_DURATION (make soak: 60s) and checks that nothing fails and that
// goroutines and memory stay flat after warm-up. Skipped unless
// SOAK_DURATION is set.
func TestSoak(t *testing.T) {
	duration, err := time.ParseDuration(os.Getenv("SOAK_DURATION"))
	if err != nil {
		t.Skip("set SOAK_DURATION (e.g. 60s) to run the soak test; `make soak` does")
	}
	debugAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	proc, base, logs := startProcess(t, map[string]string{"DB_CONNECTION_STRING": databasetest.New(t), "DEBUG_ADDR": debugAddr, "LOG_LEVEL": "warn"})

	var requests, failures, serverErrors atomic.Int64
	var ids sync.Map
	var nextTitle atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}, Timeout: 10 * time.Second}
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		requests.Add(1)
		if err != nil {
			failures.Add(1)
			return 0, ""
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			serverErrors.Add(1)
		}
		return resp.StatusCode, string(raw)
	}
	randomID := func() string {
		var id string
		ids.Range(func(k, _ any) bool { id = k.(string); return rand.IntN(4) != 0 })
		return id
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				switch r := rand.IntN(10); {
				case r < 3:
					n := nextTitle.Add(1)
					status, body := do("POST", "/posts", fmt.Sprintf(`{"title": "soak %d", "authorEmail": "u%d@example.com", "content": "%s"}`, n, n%50, strings.Repeat("x", int(n%500))))
					if status == http.StatusCreated {
						ids.Store(body[strings.Index(body, `"id":"`)+6:][:36], true)
					}
				case r < 7:
					do("GET", "/posts?limit=20", "")
				case r < 9:
					if id := randomID(); id != "" {
						do("GET", "/posts/"+id, "")
					}
				default:
					if id := randomID(); id != "" {
						do("PATCH", "/posts/"+id, fmt.Sprintf(`{"content": "patched %d"}`, rand.Int()))
					}
				}
			}
		})
	}

	type sample struct {
		at         time.Duration
		goroutines int
		rssKiB     int
	}
	var samples []sample
	start := time.Now()
	for time.Since(start) < duration {
		time.Sleep(5 * time.Second)
		samples = append(samples, sample{time.Since(start).Round(time.Second), goroutines(t, debugAddr), rssKiB(t, proc.cmd.Process.Pid)})
	}
	close(stop)
	wg.Wait()

	for _, s := range samples {
		t.Logf("t=%v goroutines=%d rss=%.1f MiB", s.at, s.goroutines, float64(s.rssKiB)/1024)
	}
	t.Logf("%d requests (%.0f/s), %d 5xx, %d transport failures", requests.Load(), float64(requests.Load())/duration.Seconds(), serverErrors.Load(), failures.Load())
	if serverErrors.Load() > 0 || failures.Load() > 0 {
		t.Errorf("%d 5xx and %d transport failures; want none\nlogs:\n%s", serverErrors.Load(), failures.Load(), logs)
	}
	// Flat after warm-up: compare the second sample with the last.
	if len(samples) >= 3 {
		warm, last := samples[1], samples[len(samples)-1]
		if last.goroutines > warm.goroutines+16 {
			t.Errorf("goroutines grew from %d to %d after warm-up; want flat", warm.goroutines, last.goroutines)
		}
		if last.rssKiB > warm.rssKiB+warm.rssKiB/4+4096 {
			t.Errorf("RSS grew from %d KiB to %d KiB after warm-up; want flat", warm.rssKiB, last.rssKiB)
		}
	}
}

// goroutines reads the server's goroutine count from pprof.
func goroutines(t *testing.T, debugAddr string) int {
	resp, err := http.Get("http://" + debugAddr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, _ := bufio.NewReader(resp.Body).ReadString('\n') // "goroutine profile: total N"
	n, _ := strconv.Atoi(strings.TrimSpace(line[strings.LastIndex(line, " ")+1:]))
	return n
}

// rssKiB reads a process's resident set size from /proc.
func rssKiB(t *testing.T, pid int) int {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			return n
		}
	}
	return 0
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// driveWrk runs the same closed-loop load with wrk (Debian's package), which
// takes less CPU than the Go generator from the servers it measures on a
// small machine. script is a Lua request function, or "" for a plain GET.
func driveWrk(baseURL, path string, conns int, d time.Duration, script string) (result, error) {
	args := []string{"-t2", fmt.Sprintf("-c%d", conns), "-d" + d.String(), "--latency"}
	if script != "" {
		f, err := os.CreateTemp("", "bench-*.lua")
		if err != nil {
			return result{}, err
		}
		defer os.Remove(f.Name())
		if _, err := f.WriteString(script); err != nil {
			return result{}, err
		}
		f.Close()
		args = append(args, "-s", f.Name())
	}
	out, err := exec.Command("wrk", append(args, baseURL+path)...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return parseWrk(out)
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in ([\d.]+)(us|ms|s|m),`)
	wrkPercent  = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)$`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func parseWrk(out []byte) (result, error) {
	var r result
	m := wrkRequests.FindSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk printed no request count:\n%s", out)
	}
	r.requests, _ = strconv.Atoi(string(m[1]))
	r.elapsed = wrkDuration(string(m[2]), string(m[3]))
	for _, p := range wrkPercent.FindAllSubmatch(out, -1) {
		d := wrkDuration(string(p[2]), string(p[3]))
		if string(p[1]) == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		n, _ := strconv.Atoi(string(m[1]))
		r.errors += n
	}
	if m := wrkSocket.FindSubmatch(out); m != nil {
		for _, field := range m[1:] {
			n, _ := strconv.Atoi(string(field))
			r.errors += n
		}
	}
	if bytes.Contains(out, []byte("PANIC")) {
		return r, fmt.Errorf("wrk's script failed:\n%s", out)
	}
	return r, nil
}

func wrkDuration(value, unit string) time.Duration {
	f, _ := strconv.ParseFloat(value, 64)
	scale := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[unit]
	return time.Duration(f * float64(scale))
}

// createScript makes wrk POST posts whose titles are unique across threads
// and runs: token is new for every run.
func createScript(token string) string {
	return strings.ReplaceAll(`
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  n = 0
end
function request()
  n = n + 1
  return wrk.format("POST", "/posts", {["Content-Type"] = "application/json"},
    '{"title": "bench TOKEN-' .. tid .. '-' .. n .. '", "content": "A post written by the benchmark.", "authorEmail": "bench@example.com"}')
end
`, "TOKEN", token)
}

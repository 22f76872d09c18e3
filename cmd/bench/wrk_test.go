package main

import (
	"strings"
	"testing"
	"time"
)

// wrk's own output (4.1.0, Debian's package), from real runs.
const wrkClean = `Running 1s test @ http://127.0.0.1:18081/posts?limit=20
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.33ms    2.78ms  42.23ms   97.23%
    Req/Sec     4.26k   456.48     5.24k    70.00%
  Latency Distribution
     50%  825.00us
     75%    1.34ms
     90%    2.08ms
     99%   15.33ms
  8495 requests in 1.00s, 33.30MB read
Requests/sec:   8476.15
Transfer/sec:     33.23MB
`

const wrkRefused = `Running 1s test @ http://127.0.0.1:18081/posts?limit=0
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   755.67us    1.33ms  12.12ms   87.99%
    Req/Sec    13.63k     2.71k   22.83k    90.48%
  Latency Distribution
     50%  218.00us
     75%  589.00us
     90%    2.50ms
     99%    6.45ms
  28447 requests in 1.10s, 10.80MB read
  Non-2xx or 3xx responses: 28447
Requests/sec:  25871.47
Transfer/sec:      9.82MB
`

// A run is failed by any error wrk reports, so parseWrk must find them all.
func TestParseWrk(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    result
		wantErr bool
	}{
		{name: "clean run", out: wrkClean,
			want: result{requests: 8495, elapsed: time.Second, p50: 825 * time.Microsecond, p99: 15330 * time.Microsecond}},
		{name: "non-2xx answers", out: wrkRefused,
			want: result{requests: 28447, errors: 28447, elapsed: 1100 * time.Millisecond, p50: 218 * time.Microsecond, p99: 6450 * time.Microsecond}},
		{name: "socket errors", out: strings.Replace(wrkClean, "  8495 requests", "  Socket errors: connect 1, read 2, write 3, timeout 4\n  8495 requests", 1),
			want: result{requests: 8495, errors: 10, elapsed: time.Second, p50: 825 * time.Microsecond, p99: 15330 * time.Microsecond}},
		{name: "a failing script", out: wrkClean + "PANIC: unprotected error in call to Lua API\n", wantErr: true},
		{name: "no request count", out: "unable to connect to 127.0.0.1:18081 Connection refused\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseWrk([]byte(tc.out))
			if tc.wantErr {
				if err == nil {
					t.Errorf("parseWrk: no error; want one")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("parseWrk = %+v; want %+v", got, tc.want)
			}
		})
	}
}

func TestMedianIsTheMiddleRunByThroughput(t *testing.T) {
	runs := []result{
		{requests: 300, elapsed: time.Second, p99: 3 * time.Millisecond},
		{requests: 100, elapsed: time.Second, p99: 1 * time.Millisecond},
		{requests: 200, elapsed: time.Second, p99: 2 * time.Millisecond},
	}
	if got := median(runs); got.requests != 200 || got.p99 != 2*time.Millisecond {
		t.Errorf("median = %+v; want the 200-request run with its own p99 (2ms)", got)
	}
	if runs[0].requests != 300 {
		t.Error("median reordered its argument")
	}
}

// The targets compare the two runs of each round, not each server's median:
// a round where the whole machine ran at half speed moves both servers.
func TestRoundRatiosPairTheRunsOfEachRound(t *testing.T) {
	run := func(requests int, p99 time.Duration) result {
		return result{requests: requests, elapsed: time.Second, p99: p99}
	}
	ours := []result{run(500, 4*time.Millisecond), run(1000, 2*time.Millisecond), run(900, 3*time.Millisecond)}
	baseline := []result{run(1000, 4*time.Millisecond), run(1100, 2*time.Millisecond), run(500, 2*time.Millisecond)}
	// Round ratios: throughput 0.5, 0.91, 1.8; p99 1.0, 1.0, 1.5.
	tp, p99 := roundRatios(ours, baseline)
	if want := 1000.0 / 1100; tp != want {
		t.Errorf("throughput ratio = %.3f; want the middle round's, %.3f", tp, want)
	}
	if p99 != 1 {
		t.Errorf("p99 ratio = %.3f; want 1 (the median of 1, 1 and 1.5)", p99)
	}
	// Each server's median run would give 900/1000 = 0.9: another answer.
}

func TestMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo(t *testing.T) {
	if got := medianOf([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("medianOf(4, 1, 3, 2) = %v; want 2.5", got)
	}
	if got := medianOf(nil); got != 0 {
		t.Errorf("medianOf() = %v; want 0", got)
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// result is one load run against one server.
type result struct {
	requests int
	errors   int
	elapsed  time.Duration
	p50, p99 time.Duration
}

func (r result) throughput() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// request builds the next request of a run.
type request func() (method, path string, body []byte)

// drive keeps conns requests in flight (closed loop) for d and measures
// every response. A response that is not 2xx, or no response, is an error.
func drive(ctx context.Context, baseURL string, conns int, d time.Duration, next request) result {
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true,
	}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()

	latencies := make([][]time.Duration, conns)
	errs := make([]int, conns)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conns {
		latencies[w] = make([]time.Duration, 0, 1<<14)
		wg.Go(func() {
			for ctx.Err() == nil {
				method, path, body := next()
				req, _ := http.NewRequest(method, baseURL+path, bytes.NewReader(body))
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode/100 != 2 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					errs[w]++
					continue
				}
				latencies[w] = append(latencies[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	r := result{elapsed: time.Since(start)}
	var all []time.Duration
	for w := range conns {
		all = append(all, latencies[w]...)
		r.errors += errs[w]
	}
	r.requests = len(all) + r.errors
	slices.Sort(all)
	if len(all) > 0 {
		r.p50 = all[len(all)*50/100]
		r.p99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return r
}

// latency is the p50 and p99 of one kind of request.
type latency struct{ p50, p99 time.Duration }

// sequential sends n rounds of GET requests to urls, one after the other
// (one connection per server), interleaved so that whatever else the
// machine does touches them alike, and returns each URL's p50 and p99.
func sequential(n int, urls ...string) ([]latency, error) {
	client := &http.Client{}
	defer client.CloseIdleConnections()
	lat := make([][]time.Duration, len(urls))
	for range n {
		for i, url := range urls {
			t0 := time.Now()
			resp, err := client.Get(url)
			if err != nil {
				return nil, err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
			}
			lat[i] = append(lat[i], time.Since(t0))
		}
	}
	out := make([]latency, len(urls))
	for i := range urls {
		slices.Sort(lat[i])
		out[i] = latency{lat[i][n*50/100], lat[i][min(n-1, n*99/100)]}
	}
	return out, nil
}

// Command bench measures the service side by side with a bare net/http +
// pgx server (make bench), and its list latency as the table grows
// (make bench-scale). See BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/posts-api/posts/internal/config"
	"github.com/posts-api/posts/internal/database"
	"github.com/posts-api/posts/internal/posts"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	mode     string
	duration time.Duration
	rounds   int
	conns    int
	rows     int
	baseline string
	load     string
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.mode, "mode", "ab", "ab: side by side with the baseline; scale: list latency at 1k, 100k and 1M rows")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of one run")
	fs.IntVar(&o.rounds, "rounds", 6, "A/B rounds (the order alternates, so an even count gives each order as many; the targets are checked on the median of the rounds' ratios)")
	fs.IntVar(&o.conns, "conns", 32, "connections kept busy")
	fs.IntVar(&o.rows, "rows", 100_000, "rows in the table for the list runs")
	fs.StringVar(&o.baseline, "baseline", "../shared/bench/baseline-server", "source of the baseline server")
	fs.StringVar(&o.load, "load", "auto", "load generator: wrk (Debian's package), go (built in), or auto (wrk when installed, else go)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	adminURL := os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		dev, err := database.FindOrStartDevServer(ctx, ".data", io.Discard)
		if err != nil {
			return err
		}
		defer dev.Stop()
		adminURL = dev.AdminURL
	}
	dir, err := os.MkdirTemp("", "posts-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ours, err := buildOurs(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "machine: %s\n\n", machine())
	switch o.mode {
	case "ab":
		baseline, err := buildBaseline(o.baseline, dir)
		if err != nil {
			return err
		}
		return sideBySide(ctx, o, adminURL, ours, baseline, out)
	case "scale":
		return scale(ctx, adminURL, ours, out)
	}
	return fmt.Errorf("unknown -mode %q", o.mode)
}

const cursorSecret = "bench"

// baselinePoolSize is the baseline's pool_max_conns, as its README runs it.
const baselinePoolSize = 16

// startOurs migrates a fresh database, seeds it and starts the service on it.
func startOurs(ctx context.Context, bin, adminURL, dbName string, rows int) (*server, error) {
	dbURL, err := createDatabase(ctx, adminURL, dbName)
	if err != nil {
		return nil, err
	}
	if err := database.MigrateUp(dbURL); err != nil {
		return nil, err
	}
	if err := seed(ctx, dbURL, rows, true); err != nil {
		return nil, err
	}
	return startServer("posts", bin, []string{"serve"},
		[]string{"DB_CONNECTION_STRING=" + dbURL, "CURSOR_SECRET=" + cursorSecret, "LOG_FORMAT=json", "DB_MAX_CONNS=" + poolSize()}, "/readyz", dbURL)
}

// poolSize is the service's DB_MAX_CONNS in the benchmark: the environment's
// when set, else the service's own default. The baseline runs as its README
// runs it, and the service as it ships: lists gain from fewer connections on
// a machine shared with PostgreSQL, and its default is sized for that
// (README, BENCHMARKS.md). DB_MAX_CONNS=16 gives both as many.
func poolSize() string {
	if v := os.Getenv("DB_MAX_CONNS"); v != "" {
		return v
	}
	return strconv.Itoa(config.DefaultDBMaxConns)
}

func sideBySide(ctx context.Context, o options, adminURL, oursBin, baselineBin string, out io.Writer) error {
	ours, err := startOurs(ctx, oursBin, adminURL, "bench_posts", o.rows)
	if err != nil {
		return err
	}
	defer database.DropDatabase(ctx, adminURL, "bench_posts")
	defer ours.stop()

	baseURL, err := createDatabase(ctx, adminURL, "bench_baseline")
	if err != nil {
		return err
	}
	defer database.DropDatabase(ctx, adminURL, "bench_baseline")
	sep := "?"
	if strings.Contains(baseURL, "?") {
		sep = "&"
	}
	baseline, err := startServer("baseline", baselineBin, nil, []string{"DB_CONNECTION_STRING=" + baseURL + sep + "pool_max_conns=" + strconv.Itoa(baselinePoolSize)}, "/posts", baseURL)
	if err != nil {
		return err
	}
	defer baseline.stop()
	if err := seed(ctx, baseURL, o.rows, false); err != nil {
		return err
	}

	run := time.Now().UnixNano()
	var created atomic.Int64 // titles are unique across every run
	var runs atomic.Int64
	useWrk := o.load == "wrk"
	if o.load == "auto" {
		_, err := exec.LookPath("wrk")
		useWrk = err == nil
	}
	generator := "cmd/bench's closed-loop Go generator"
	if useWrk {
		generator = "wrk (2 threads)"
	}
	workloads := []struct {
		name string
		req  request
		path string
		lua  func() string
	}{
		{"create", func() (string, string, []byte) {
			return "POST", "/posts", fmt.Appendf(nil, `{"title": "bench %d-%d", "content": "A post written by the benchmark.", "authorEmail": "bench@example.com"}`, run, created.Add(1))
		}, "/posts", func() string { return createScript(fmt.Sprintf("%d-%d", run, runs.Add(1))) }},
		{"list", func() (string, string, []byte) { return "GET", "/posts?limit=20", nil }, "/posts?limit=20", func() string { return "" }},
	}
	load := func(s *server, w int, d time.Duration) (result, error) {
		if useWrk {
			return driveWrk(s.baseURL, workloads[w].path, o.conns, d, workloads[w].lua())
		}
		return drive(ctx, s.baseURL, o.conns, d, workloads[w].req), nil
	}
	servers := []*server{ours, baseline}
	results := map[string]map[string][]result{}
	for i, w := range workloads {
		results[w.name] = map[string][]result{}
		for _, s := range servers { // warm-up, not counted
			if _, err := load(s, i, time.Second); err != nil {
				return err
			}
		}
	}
	failed := false
	for round := range o.rounds {
		order := servers
		if round%2 == 1 {
			order = []*server{baseline, ours}
		}
		for i, w := range workloads {
			for _, s := range order {
				if err := settle(ctx, s.dbURL); err != nil {
					return err
				}
				r, err := load(s, i, o.duration)
				if err != nil {
					return err
				}
				results[w.name][s.name] = append(results[w.name][s.name], r)
				fmt.Fprintf(out, "round %d %-6s %-8s %7.0f req/s  p50 %-9v p99 %-9v errors %d\n",
					round+1, w.name, s.name, r.throughput(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.errors)
				failed = failed || r.errors > 0
			}
			ours, base := results[w.name]["posts"][round], results[w.name]["baseline"][round]
			fmt.Fprintf(out, "round %d %-6s ratio    %6.2f×       p99 %.2f×\n",
				round+1, w.name, ours.throughput()/base.throughput(), float64(ours.p99)/float64(base.p99))
		}
	}

	fmt.Fprintf(out, "\n%s, %d connections, %d runs of %v per server and workload (medians), %d rows listed from; database pool: posts %s, baseline %d\n",
		generator, o.conns, o.rounds, o.duration, o.rows, poolSize(), baselinePoolSize)
	fmt.Fprintln(out, "ratios: the service's over the baseline's in each round, whose two runs follow each other; the median of those")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| workload | server | req/s | p50 | p99 | errors |")
	fmt.Fprintln(out, "| --- | --- | ---: | ---: | ---: | ---: |")
	var checks []string
	for _, w := range workloads {
		for _, s := range servers {
			r := median(results[w.name][s.name])
			fmt.Fprintf(out, "| %s | %s | %.0f | %v | %v | %d |\n", w.name, s.name, r.throughput(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), total(results[w.name][s.name]))
		}
		tp, p99 := roundRatios(results[w.name]["posts"], results[w.name]["baseline"])
		checks = append(checks,
			verdict(fmt.Sprintf("%s throughput %.2f× the baseline's (target ≥ 0.90×)", w.name, tp), tp >= 0.9),
			verdict(fmt.Sprintf("%s p99 %.2f× the baseline's (target ≤ 1.20×)", w.name, p99), p99 <= 1.2))
	}
	checks = append(checks,
		verdict(fmt.Sprintf("peak RSS %.1f MiB (baseline %.1f MiB; target ≤ 64 MiB)", ours.peakRSS(), baseline.peakRSS()), ours.peakRSS() <= 64),
		verdict(fmt.Sprintf("start-up to ready %v (baseline %v; target ≤ 200ms)", ours.startup.Round(time.Millisecond), baseline.startup.Round(time.Millisecond)), ours.startup <= 200*time.Millisecond))
	fmt.Fprintln(out)
	for _, c := range checks {
		fmt.Fprintln(out, c)
	}
	if failed {
		return errRunFailed
	}
	return nil
}

func verdict(what string, ok bool) string {
	if ok {
		return "PASS " + what
	}
	return "MISS " + what
}

// roundRatios is the median, over the rounds, of ours' throughput and p99
// over the baseline's in the same round. The two runs of a round follow
// each other, so a change in the machine's speed between rounds (on a
// shared VM, as large as the difference measured) touches both alike; the
// ratio of each server's median run would compare runs minutes apart.
func roundRatios(ours, baseline []result) (throughput, p99 float64) {
	var tps, p99s []float64
	for i := range min(len(ours), len(baseline)) {
		tps = append(tps, ours[i].throughput()/baseline[i].throughput())
		p99s = append(p99s, float64(ours[i].p99)/float64(baseline[i].p99))
	}
	return medianOf(tps), medianOf(p99s)
}

func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	if n := len(sorted); n%2 == 0 {
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return sorted[len(sorted)/2]
}

// median picks the run with the median throughput.
func median(rs []result) result {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b result) int {
		switch {
		case a.throughput() < b.throughput():
			return -1
		case a.throughput() > b.throughput():
			return 1
		}
		return 0
	})
	return sorted[len(sorted)/2]
}

func total(rs []result) (errors int) {
	for _, r := range rs {
		errors += r.errors
	}
	return errors
}

// scale measures the first page and a page 90% deep at 1k, 100k and 1M
// rows. Every table size has its own database and server, all running at
// once, and the requests go round all six pages in turn: the machine's
// speed drifts by more than the differences measured here (a run that
// measured one size after the other saw the 1k table's pages take 16%
// longer than the 1M table's in one run and 17% shorter in the next), and
// interleaving spreads that drift over every size alike.
func scale(ctx context.Context, adminURL, oursBin string, out io.Writer) error {
	sizes := []int{1_000, 100_000, 1_000_000}
	var urls []string // first and deep page of each size, in sizes' order
	for _, rows := range sizes {
		name := fmt.Sprintf("bench_scale_%d", rows)
		fmt.Fprintf(out, "seeding %d rows…\n", rows)
		s, err := startOurs(ctx, oursBin, adminURL, name, rows)
		if err != nil {
			return err
		}
		defer database.DropDatabase(ctx, adminURL, name)
		defer s.stop()
		cursor, err := deepCursor(ctx, s.dbURL, rows*9/10)
		if err != nil {
			return err
		}
		urls = append(urls, s.baseURL+"/posts?limit=20", s.baseURL+"/posts?limit=20&cursor="+cursor)
	}
	if _, err := sequential(200, urls...); err != nil { // warm-up
		return err
	}
	lat, err := sequential(2000, urls...)
	if err != nil {
		return err
	}

	fmt.Fprintln(out, "\nGET /posts?limit=20, one connection per server, 2,000 requests each, every size's first and deep pages interleaved")
	fmt.Fprintln(out, "\n| rows | first page p50 | p99 | 90% deep page p50 | p99 |")
	fmt.Fprintln(out, "| ---: | ---: | ---: | ---: | ---: |")
	for i, rows := range sizes {
		first, deep := lat[2*i], lat[2*i+1]
		fmt.Fprintf(out, "| %d | %v | %v | %v | %v |\n", rows, first.p50.Round(time.Microsecond), first.p99.Round(time.Microsecond), deep.p50.Round(time.Microsecond), deep.p99.Round(time.Microsecond))
	}
	smallFirst, bigFirst, bigDeep := lat[0], lat[len(lat)-2], lat[len(lat)-1]
	deep := float64(bigDeep.p50) / float64(bigFirst.p50)
	growth := float64(bigFirst.p50) / float64(smallFirst.p50)
	fmt.Fprintln(out)
	fmt.Fprintln(out, verdict(fmt.Sprintf("deep page at 1M rows %.2f× the first page (p50; target ≤ 1.20×)", deep), deep <= 1.2))
	fmt.Fprintln(out, verdict(fmt.Sprintf("first page at 1M rows %.2f× the first page at 1k (p50; target ≤ 1.20×)", growth), growth <= 1.2))
	return nil
}

// deepCursor is the cursor after the post at offset, newest first.
func deepCursor(ctx context.Context, dbURL string, offset int) (string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var createdAt time.Time
	var id [16]byte
	err = conn.QueryRow(ctx, "SELECT created_at, id FROM posts ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1", offset).Scan(&createdAt, &id)
	if err != nil {
		return "", err
	}
	return posts.CursorAfter(cursorSecret, createdAt, id), nil
}

func machine() string {
	cpu := "unknown CPU"
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(info), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	out, _ := exec.Command("nproc").Output()
	return fmt.Sprintf("%s, %s cores", cpu, strings.TrimSpace(string(out)))
}

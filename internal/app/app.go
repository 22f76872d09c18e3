// Package app is the posts program: its subcommands, and the wiring of the
// HTTP server that main and the end-to-end tests share.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/posts-api/posts/internal/config"
	"github.com/posts-api/posts/internal/database"
	"github.com/posts-api/posts/internal/httpapi"
	"github.com/posts-api/posts/internal/posts"
)

const usage = `usage: posts [command]

commands:
  serve                 run the HTTP API (the default)
  migrate up            apply every pending migration
  migrate down N        roll back N migrations
  migrate version       print the schema version
  migrate force N       mark the schema as clean at version N, after a manual repair
  healthcheck           exit 0 when the local server is ready (for container health checks)

Configuration comes from the environment: DB_CONNECTION_STRING, PORT, LOG_LEVEL,
LOG_FORMAT, MIGRATE_ON_START, SHUTDOWN_TIMEOUT, CURSOR_SECRET (see README.md).`

// Run runs the posts program with its arguments (without the program name)
// and environment. It returns when the command is done or, for serve, when
// ctx is cancelled and the server has shut down.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	command := "serve"
	if len(args) > 0 {
		command, args = args[0], args[1:]
	}
	switch command {
	case "serve":
		if len(args) > 0 {
			return errors.New(usage)
		}
		if getenv("GOGC") == "" && getenv("GOMEMLIMIT") == "" {
			// A quarter of the garbage collections for a few MiB of heap: the
			// service peaks near 48 MiB under load, and the soft limit keeps a
			// burst well inside a 512 MB container (see BENCHMARKS.md).
			debug.SetGCPercent(400)
			debug.SetMemoryLimit(128 << 20)
		}
		out := newLogOutput(stdout)
		defer out.Close()
		return serve(ctx, cfg, slog.New(flushingHandler{newLogger(cfg, out).Handler(), out}))
	case "migrate":
		connString, stop, err := connectionString(ctx, cfg, stderr)
		if err != nil {
			return err
		}
		defer stop()
		report, err := database.Migrate(connString, args)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, report)
		return nil
	case "healthcheck":
		return healthcheck(ctx, cfg.Port)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", command, usage)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// connectionString returns DB_CONNECTION_STRING or, when it is unset, a
// development database: the local server's "posts" database, or an embedded
// server's. stop stops an embedded server.
func connectionString(ctx context.Context, cfg config.Config, logOutput io.Writer) (string, func(), error) {
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL, func() {}, nil
	}
	server, err := database.FindOrStartDevServer(ctx, cfg.DataDir, logOutput)
	if err != nil {
		return "", nil, fmt.Errorf("DB_CONNECTION_STRING is unset and no development database could be had: %w", err)
	}
	stop := func() { _ = server.Stop() }
	connString, err := database.EnsureDatabase(ctx, server.AdminURL, "posts")
	if err != nil {
		stop()
		return "", nil, err
	}
	return connString, stop, nil
}

// newHandler wires the service's HTTP handler onto a database pool; ready
// answers /readyz. The end-to-end tests run the whole program (Run), so
// they go through this wiring too.
func newHandler(logger *slog.Logger, pool *pgxpool.Pool, ready posts.Pinger, cfg config.Config) (http.Handler, *posts.Server, error) {
	server := posts.NewServer(pool, ready, cfg.CursorSecret)
	handler, err := httpapi.New(logger, server, httpapi.Options{
		RequestTimeout:     cfg.RequestTimeout,
		CORSAllowedOrigins: cfg.CORSAllowedOrigins,
	})
	return handler, server, err
}

func serve(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
	start := time.Now()
	connString, stopDev, err := connectionString(ctx, cfg, io.Discard)
	if err != nil {
		return err
	}
	defer stopDev()
	if cfg.DatabaseURL == "" {
		logger.Info("using the development database", "database", database.Redact(connString))
	}
	pool, err := database.NewPool(ctx, connString, database.PoolOptions{
		MaxConns: cfg.DBMaxConns, MinConns: cfg.DBMinConns, ConnectTimeout: cfg.DBConnectTimeout,
		PlanCacheMode: cfg.DBPlanCacheMode,
	})
	if err != nil {
		return err
	}
	defer pool.Close()

	ready := &readiness{pool: pool}
	handler, postsServer, err := newHandler(logger, pool, ready, cfg)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on port %d: %w", cfg.Port, err)
	}
	server := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	listener = httpapi.CoalesceWrites(server, listener)
	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Serve(listener) }()
	if cfg.DebugAddr != "" {
		debug := &http.Server{Addr: cfg.DebugAddr, Handler: debugHandler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = debug.ListenAndServe() }()
		defer debug.Close()
		logger.Info("serving pprof", "addr", cfg.DebugAddr)
	}
	logger.Info("listening", "addr", listener.Addr().String(), "startup", time.Since(start).Round(time.Millisecond).String())

	// The server is up even while the database is not: /healthz answers,
	// /readyz says 503 and requests fail fast until it is back.
	background, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	base := "http://localhost:" + strconv.Itoa(listener.Addr().(*net.TCPAddr).Port)
	wg.Go(func() {
		if prepareDatabase(background, logger, ready, connString, cfg.MigrateOnStart) {
			logger.Info("ready", "api", base+"/posts", "docs", base+"/docs")
		}
	})
	wg.Go(func() { deleteExpiredKeys(background, logger, postsServer, 15*time.Minute) })
	defer func() { stopBackground(); wg.Wait() }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Stop accepting, let in-flight requests finish, then close the pool
	// (deferred): a write that was answered 2xx has been committed.
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancelShutdown := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancelShutdown()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// debugHandler serves net/http/pprof, kept off the API's handler.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// readiness is what /readyz reports: ready once the schema is in place
// (when the service migrates it) and while the database answers.
type readiness struct {
	pool     *pgxpool.Pool
	prepared atomic.Bool
}

var errNotPrepared = errors.New("the database has not been reached (or migrated) yet")

func (r *readiness) Ping(ctx context.Context) error {
	if !r.prepared.Load() {
		return errNotPrepared
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return r.pool.Ping(ctx)
}

// prepareDatabase waits for the database, retrying with backoff, applies
// migrations when asked to, and then marks the service ready. It returns
// false when ctx ends first.
func prepareDatabase(ctx context.Context, logger *slog.Logger, ready *readiness, connString string, migrate bool) bool {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := ready.pool.Ping(ctx)
		if err == nil && migrate {
			var report string
			if report, err = database.Migrate(connString, []string{"up"}); err == nil {
				logger.Info("migrated", "result", report)
			}
		}
		if err == nil {
			ready.prepared.Store(true)
			if attempt > 1 {
				logger.Info("database available", "attempts", attempt)
			}
			return true
		}
		logger.Warn("database not ready; retrying", "attempt", attempt, "retry_in", backoff.String(), "error", err.Error())
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// deleteExpiredKeys removes expired idempotency keys now and then.
func deleteExpiredKeys(ctx context.Context, logger *slog.Logger, server *posts.Server, every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		if n, err := server.DeleteExpiredIdempotencyKeys(ctx); err != nil {
			logger.Debug("could not delete expired idempotency keys", "error", err.Error())
		} else if n > 0 {
			logger.Info("deleted expired idempotency keys", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// healthcheck asks the local server's /readyz; for containers without curl.
func healthcheck(ctx context.Context, port int) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/readyz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	return nil
}

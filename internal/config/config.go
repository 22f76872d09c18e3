// Package config reads the service's settings from its environment.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is everything the service can be told from outside. The defaults
// suit a 0.25 vCPU / 512 MB container behind an API gateway.
type Config struct {
	// DatabaseURL is DB_CONNECTION_STRING; empty means "find or start a
	// development database".
	DatabaseURL string
	// Port is the TCP port the HTTP server listens on.
	Port int
	// LogLevel and LogFormat shape the structured logs.
	LogLevel  slog.Level
	LogFormat string
	// MigrateOnStart applies pending migrations before the service reports
	// ready. Off by default: deploys migrate explicitly with `posts migrate up`.
	MigrateOnStart bool
	// CursorSecret keys the integrity check of pagination cursors. Instances
	// behind one gateway must share it.
	CursorSecret string
	// ShutdownTimeout bounds how long in-flight requests may finish after
	// SIGTERM.
	ShutdownTimeout time.Duration
	// RequestTimeout bounds each request's database work; past it the
	// request fails with 503.
	RequestTimeout time.Duration
	// DBMaxConns and DBMinConns size the connection pool; DBConnectTimeout
	// bounds one connection attempt. Eight connections keep a 0.25 vCPU
	// container busy: more only add contention in PostgreSQL, fewer slow
	// down commits, which share WAL flushes (BENCHMARKS.md).
	DBMaxConns       int32
	DBMinConns       int32
	DBConnectTimeout time.Duration
	// DBPlanCacheMode is PostgreSQL's plan_cache_mode for the service's
	// sessions (sent at connect). Its default, force_generic_plan, plans
	// each prepared query once: every query here is an index lookup whose
	// generic plan is the right one, while the default mode (auto) would
	// re-plan the page query on every call, because a LIMIT parameter makes
	// the generic plan look expensive. DB_PLAN_CACHE_MODE=auto gives "":
	// nothing is sent, and the server's own setting stands.
	DBPlanCacheMode string
	// HTTP server timeouts: against slow clients (slowloris) and idle
	// connections.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// CORSAllowedOrigins lists the origins browsers may call the API from;
	// "*" allows any. Empty: no CORS headers.
	CORSAllowedOrigins []string
	// DataDir holds the embedded development PostgreSQL.
	DataDir string
	// DebugAddr, when set, serves net/http/pprof there (e.g. 127.0.0.1:6060),
	// apart from the API, for profiling and soak tests.
	DebugAddr string
}

// defaultCursorSecret only guards against edited cursors, not forged ones:
// a cursor names a position in a public ordering, so forging one reveals
// nothing. Set CURSOR_SECRET to make them unforgeable all the same.
const defaultCursorSecret = "posts-api cursor v1"

// DefaultDBMaxConns is the pool size without DB_MAX_CONNS: sized for a
// 0.25 vCPU container and a db.t3.micro's max_connections (README).
const DefaultDBMaxConns = 8

// FromEnv reads the configuration through getenv (os.Getenv in main, a map
// in tests). Every problem is reported, not just the first.
func FromEnv(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	cfg := Config{
		DatabaseURL:        strings.TrimSpace(getenv("DB_CONNECTION_STRING")),
		Port:               r.int("PORT", 3000, 0, 65535),
		LogLevel:           r.level("LOG_LEVEL", slog.LevelInfo),
		LogFormat:          r.oneOf("LOG_FORMAT", "json", "json", "text"),
		MigrateOnStart:     r.bool("MIGRATE_ON_START", false),
		CursorSecret:       r.string("CURSOR_SECRET", defaultCursorSecret),
		ShutdownTimeout:    r.duration("SHUTDOWN_TIMEOUT", 20*time.Second),
		RequestTimeout:     r.duration("REQUEST_TIMEOUT", 5*time.Second),
		DBMaxConns:         int32(r.int("DB_MAX_CONNS", DefaultDBMaxConns, 1, 1000)),
		DBMinConns:         int32(r.int("DB_MIN_CONNS", 1, 0, 1000)),
		DBConnectTimeout:   r.duration("DB_CONNECT_TIMEOUT", 3*time.Second),
		DBPlanCacheMode:    r.oneOf("DB_PLAN_CACHE_MODE", "force_generic_plan", "force_generic_plan", "force_custom_plan", "auto"),
		ReadHeaderTimeout:  r.duration("HTTP_READ_HEADER_TIMEOUT", 5*time.Second),
		ReadTimeout:        r.duration("HTTP_READ_TIMEOUT", 15*time.Second),
		WriteTimeout:       r.duration("HTTP_WRITE_TIMEOUT", 30*time.Second),
		IdleTimeout:        r.duration("HTTP_IDLE_TIMEOUT", 75*time.Second),
		CORSAllowedOrigins: r.list("CORS_ALLOWED_ORIGINS"),
		DataDir:            r.string("DATA_DIR", ".data"),
		DebugAddr:          r.string("DEBUG_ADDR", ""),
	}
	if cfg.DBPlanCacheMode == "auto" {
		cfg.DBPlanCacheMode = ""
	}
	if cfg.DBMinConns > cfg.DBMaxConns {
		r.errs = append(r.errs, fmt.Errorf("DB_MIN_CONNS=%d is more than DB_MAX_CONNS=%d", cfg.DBMinConns, cfg.DBMaxConns))
	}
	return cfg, errors.Join(r.errs...)
}

// reader reads typed variables, collecting an error for each bad one.
type reader struct {
	getenv func(string) string
	errs   []error
}

func (r *reader) fail(name, value, want string) {
	r.errs = append(r.errs, fmt.Errorf("%s=%q: want %s", name, value, want))
}

func (r *reader) string(name, def string) string {
	if v := r.getenv(name); v != "" {
		return v
	}
	return def
}

// read returns def when name is unset, and otherwise what parse makes of
// its value; a value parse refuses is reported as not being want.
func read[T any](r *reader, name string, def T, want string, parse func(string) (T, bool)) T {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	x, ok := parse(v)
	if !ok {
		r.fail(name, v, want)
		return def
	}
	return x
}

func (r *reader) int(name string, def, min, max int) int {
	return read(r, name, def, fmt.Sprintf("a whole number from %d to %d", min, max), func(v string) (int, bool) {
		n, err := strconv.Atoi(v)
		return n, err == nil && n >= min && n <= max
	})
}

func (r *reader) bool(name string, def bool) bool {
	return read(r, name, def, "true or false", func(v string) (bool, bool) {
		b, err := strconv.ParseBool(v)
		return b, err == nil
	})
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	return read(r, name, def, "a positive duration such as 5s or 250ms", func(v string) (time.Duration, bool) {
		d, err := time.ParseDuration(v)
		return d, err == nil && d > 0
	})
}

func (r *reader) level(name string, def slog.Level) slog.Level {
	return read(r, name, def, "debug, info, warn or error", func(v string) (slog.Level, bool) {
		var level slog.Level
		return level, level.UnmarshalText([]byte(v)) == nil
	})
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	return read(r, name, def, strings.Join(allowed, " or "), func(v string) (string, bool) {
		v = strings.ToLower(v)
		return v, slices.Contains(allowed, v)
	})
}

func (r *reader) list(name string) []string {
	var items []string
	for _, item := range strings.Split(r.getenv(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

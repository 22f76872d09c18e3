// Package config reads the service's settings from its environment.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Config is everything the service can be told from outside.
type Config struct {
	// DatabaseURL is DB_CONNECTION_STRING; empty means "find or start a
	// development database" (see database.Dev).
	DatabaseURL string
	// Port is the TCP port the HTTP server listens on.
	Port int
	// LogLevel and LogFormat shape the structured logs.
	LogLevel  slog.Level
	LogFormat string
	// MigrateOnStart applies pending migrations before serving. Off by
	// default: deploys migrate explicitly with `posts migrate up`.
	MigrateOnStart bool
	// CursorSecret keys the integrity check of pagination cursors. Instances
	// behind one gateway must share it.
	CursorSecret string
	// ShutdownTimeout bounds how long in-flight requests may finish after
	// SIGTERM.
	ShutdownTimeout time.Duration
	// DataDir holds the embedded development PostgreSQL.
	DataDir string
}

// defaultCursorSecret only guards against edited cursors, not forged ones:
// a cursor names a position in a public ordering, so forging one reveals
// nothing. Set CURSOR_SECRET to make them unforgeable all the same.
const defaultCursorSecret = "posts-api cursor v1"

// FromEnv reads the configuration through getenv (os.Getenv in main, a map
// in tests). Every problem is reported, not just the first.
func FromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		DatabaseURL:     strings.TrimSpace(getenv("DB_CONNECTION_STRING")),
		Port:            3000,
		LogLevel:        slog.LevelInfo,
		LogFormat:       "json",
		CursorSecret:    defaultCursorSecret,
		ShutdownTimeout: 20 * time.Second,
		DataDir:         ".data",
	}
	var errs []error
	if v := getenv("PORT"); v != "" {
		port, err := strconv.Atoi(v)
		if err != nil || port < 0 || port > 65535 {
			errs = append(errs, fmt.Errorf("PORT=%q: want a port number from 0 to 65535", v))
		}
		cfg.Port = port
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", v))
		}
	}
	if v := strings.ToLower(getenv("LOG_FORMAT")); v != "" {
		if v != "json" && v != "text" {
			errs = append(errs, fmt.Errorf("LOG_FORMAT=%q: want json or text", v))
		}
		cfg.LogFormat = v
	}
	if v := getenv("MIGRATE_ON_START"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("MIGRATE_ON_START=%q: want true or false", v))
		}
		cfg.MigrateOnStart = b
	}
	if v := getenv("CURSOR_SECRET"); v != "" {
		cfg.CursorSecret = v
	}
	if v := getenv("SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("SHUTDOWN_TIMEOUT=%q: want a duration such as 20s", v))
		}
		cfg.ShutdownTimeout = d
	}
	if v := getenv("DATA_DIR"); v != "" {
		cfg.DataDir = v
	}
	return cfg, errors.Join(errs...)
}

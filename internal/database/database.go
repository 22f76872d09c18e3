// Package database connects to PostgreSQL, migrates its schema and, for
// development, finds or starts a server when none is configured.
package database

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ParseURL parses a postgres:// or postgresql:// connection string.
//
// Stacktape builds its connection string by pasting the password in without
// URL-encoding it, so a password holding a reserved character (@ : / ? # %)
// makes the URL unparsable or, worse, parsable with the wrong host. A
// string that does not parse, or that holds more than one '@', is read as
// scheme://user:password@host… with the password re-encoded.
func ParseURL(connString string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if fixed, ok := escapePassword(connString); ok && (strings.Count(connString, "@") > 1 || err != nil) {
		if fixedCfg, fixedErr := pgxpool.ParseConfig(fixed); fixedErr == nil {
			connString, cfg, err = fixed, fixedCfg, nil
		}
	}
	if err != nil {
		// pgx already hides the password in its parse errors.
		return nil, fmt.Errorf("DB_CONNECTION_STRING is not a valid PostgreSQL URL: %w", err)
	}
	// pgx's default, sslmode=prefer, quietly falls back to plain text. Off
	// this machine, insist on TLS unless the connection string chose.
	if !strings.Contains(connString, "sslmode=") && !isLocal(cfg.ConnConfig.Host) {
		sep := "?"
		if strings.Contains(connString, "?") {
			sep = "&"
		}
		return pgxpool.ParseConfig(connString + sep + "sslmode=require")
	}
	return cfg, nil
}

func isLocal(host string) bool {
	if host == "localhost" || strings.HasPrefix(host, "/") { // a Unix socket
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// PoolOptions size and tune the connection pool.
type PoolOptions struct {
	MaxConns, MinConns int32
	ConnectTimeout     time.Duration
	// PlanCacheMode is PostgreSQL's plan_cache_mode for the pool's
	// sessions; "" leaves the server's setting.
	PlanCacheMode string
}

// NewPool returns a pool for connString. It does not wait for the
// database: connections are made as requests need them, so the service can
// start, and recover, while the database is away.
func NewPool(ctx context.Context, connString string, opts PoolOptions) (*pgxpool.Pool, error) {
	cfg, err := ParseURL(connString)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns, cfg.MinConns = opts.MaxConns, opts.MinConns
	cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	if _, set := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !set && opts.PlanCacheMode != "" {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = opts.PlanCacheMode
	}
	pool, err := pgxpool.NewWithConfig(context.WithoutCancel(ctx), cfg)
	if err != nil {
		return nil, fmt.Errorf("database pool for %s: %w", Redact(connString), err)
	}
	return pool, nil
}

// escapePassword re-encodes the password of scheme://user:password@host/…,
// taking everything between the first ':' after the user and the last '@'
// before the path as the password.
func escapePassword(connString string) (string, bool) {
	scheme, rest, ok := strings.Cut(connString, "://")
	if !ok || (scheme != "postgres" && scheme != "postgresql") {
		return "", false
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return "", false
	}
	user, password, ok := strings.Cut(rest[:at], ":")
	if !ok {
		return "", false
	}
	return scheme + "://" + user + ":" + url.QueryEscape(password) + rest[at:], true
}

// Redact hides the password of a connection string, for logs and errors.
func Redact(connString string) string {
	cfg, err := ParseURL(connString)
	if err != nil {
		return "(unparsable connection string)"
	}
	u := url.URL{Scheme: "postgres", Host: fmt.Sprintf("%s:%d", cfg.ConnConfig.Host, cfg.ConnConfig.Port), Path: "/" + cfg.ConnConfig.Database}
	if cfg.ConnConfig.Password != "" {
		u.User = url.UserPassword(cfg.ConnConfig.User, "xxxxx")
	} else {
		u.User = url.User(cfg.ConnConfig.User)
	}
	return u.String()
}

// Package database connects to PostgreSQL, migrates its schema and, for
// development, finds or starts a server when none is configured.
package database

import (
	"context"
	"errors"
	"fmt"
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
	if fixed, ok := escapePassword(connString); ok && (strings.Count(connString, "@") > 1 || !parses(connString)) {
		if cfg, err := pgxpool.ParseConfig(fixed); err == nil {
			return cfg, nil
		}
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx already hides the password in its parse errors.
		return nil, fmt.Errorf("DB_CONNECTION_STRING is not a valid PostgreSQL URL: %w", err)
	}
	return cfg, nil
}

func parses(connString string) bool {
	_, err := pgxpool.ParseConfig(connString)
	return err == nil
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

// Connect opens a pool and checks that the database answers.
func Connect(ctx context.Context, connString string) (*pgxpool.Pool, error) {
	cfg, err := ParseURL(connString)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", Redact(connString), err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", Redact(connString), errors.Unwrap(err))
	}
	return pool, nil
}

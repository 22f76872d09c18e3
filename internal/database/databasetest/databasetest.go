// Package databasetest gives tests fresh, migrated databases on a real
// PostgreSQL: TEST_DATABASE_URL when set, else the server at
// 127.0.0.1:5432, else an embedded server started for the test binary.
//
// A test package calls Main from TestMain; each test calls New for a
// database of its own, dropped when the test ends.
package databasetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/posts-api/posts/internal/database"
)

var (
	setupOnce sync.Once
	setupErr  error
	adminURL  string
	template  string // a migrated database that New copies
	stopAll   = func() {}
)

// Main runs the package's tests and then drops the template database and
// stops the embedded server, if one was started. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(databasetest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	stopAll()
	return code
}

func setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	adminURL = os.Getenv("TEST_DATABASE_URL")
	stopServer := func() {}
	if adminURL == "" {
		dir, err := os.MkdirTemp("", "posts-test-pg-")
		if err != nil {
			return err
		}
		server, err := database.FindOrStartDevServer(ctx, dir, os.Stderr)
		if err != nil {
			return err
		}
		adminURL = server.AdminURL
		stopServer = func() { _ = server.Stop(); _ = os.RemoveAll(dir) }
	}
	template = "test_template_" + randomSuffix()
	url, err := database.EnsureDatabase(ctx, adminURL, template)
	if err != nil {
		stopServer()
		return err
	}
	stopAll = func() { _ = database.DropDatabase(context.Background(), adminURL, template); stopServer() }
	if err := database.MigrateUp(url); err != nil {
		stopAll()
		return fmt.Errorf("migrate the template database: %w", err)
	}
	return nil
}

// New returns the connection string of a fresh database holding the
// migrated schema and no rows. It is dropped when the test ends.
func New(t testing.TB) string {
	t.Helper()
	AdminURL(t) // sets template up on first use
	return create(t, template)
}

// NewEmpty returns the connection string of a fresh database with no
// schema at all, for tests of migrations. It is dropped when the test ends.
func NewEmpty(t testing.TB) string {
	t.Helper()
	return create(t, "template0")
}

func create(t testing.TB, from string) string {
	t.Helper()
	admin := AdminURL(t)
	ctx := context.Background()
	name := "test_" + randomSuffix()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("test database: connect: %v", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{from}.Sanitize()))
	if err != nil {
		t.Fatalf("test database: create %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := database.DropDatabase(context.Background(), admin, name); err != nil {
			t.Errorf("test database: drop %s: %v", name, err)
		}
	})
	url, err := database.WithDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// AdminURL returns the connection string of the test server's maintenance
// database, for tests that create databases of their own.
func AdminURL(t testing.TB) string {
	t.Helper()
	setupOnce.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("test database: %v", setupErr)
	}
	return adminURL
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/posts-api/posts/db"
	"github.com/posts-api/posts/internal/app"
	"github.com/posts-api/posts/internal/database/databasetest"
)

func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	dbURL := databasetest.NewEmpty(t)
	migrate := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := app.Run(context.Background(), append([]string{"migrate"}, args...),
			mapEnv(map[string]string{"DB_CONNECTION_STRING": dbURL}), &out, io.Discard)
		return strings.TrimSpace(out.String()), err
	}
	ups, err := fs.Glob(db.Migrations, "migrations/*.up.sql")
	if err != nil || len(ups) < 2 {
		t.Fatalf("embedded migrations: %v, %v; want at least two", ups, err)
	}
	latest := fmt.Sprintf("schema version: %d", len(ups))
	steps := []struct {
		args []string
		want string
	}{
		{args: []string{"version"}, want: "schema version: none (no migrations applied)"},
		{args: []string{"up"}, want: latest},
		{args: []string{"up"}, want: latest}, // nothing left to do is not an error
		{args: []string{"down", "1"}, want: fmt.Sprintf("schema version: %d", len(ups)-1)},
		{args: []string{"down", strconv.Itoa(len(ups) - 1)}, want: "schema version: none (no migrations applied)"},
		{args: []string{"up"}, want: latest},
	}
	for _, step := range steps {
		got, err := migrate(step.args...)
		if err != nil || got != step.want {
			t.Fatalf("posts migrate %v: got %q, %v; want %q", step.args, got, err, step.want)
		}
	}

	// A migration that failed half-way leaves the schema dirty: migrate
	// must refuse to go on and say how to recover.
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "UPDATE schema_migrations SET dirty = true"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"up"}, {"down", "1"}} {
		force := fmt.Sprintf("migrate force %d", len(ups))
		if _, err := migrate(args...); err == nil || !strings.Contains(err.Error(), "dirty") || !strings.Contains(err.Error(), force) {
			t.Errorf("posts migrate %v on a dirty schema: got %v; want a refusal naming `posts %s`", args, err, force)
		}
	}
	if got, err := migrate("version"); err != nil || got != latest+" (dirty)" {
		t.Errorf("posts migrate version on a dirty schema: got %q, %v; want %q", got, err, latest+" (dirty)")
	}
	if got, err := migrate("force", strconv.Itoa(len(ups))); err != nil || got != latest {
		t.Errorf("posts migrate force: got %q, %v; want %q", got, err, latest)
	}
	if got, err := migrate("up"); err != nil || got != latest {
		t.Errorf("posts migrate up after force: got %q, %v; want %q", got, err, latest)
	}
}

func TestMigrateOnStart(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DB_CONNECTION_STRING": databasetest.NewEmpty(t), "MIGRATE_ON_START": "true"})
	mustCreate(t, s.Client, newPost("after migrate on start", "ada@example.com", nil))
}

package app_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

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
	steps := []struct {
		args    []string
		want    string
		wantErr string
	}{
		{args: []string{"version"}, want: "schema version: none (no migrations applied)"},
		{args: []string{"up"}, want: "schema version: 1"},
		{args: []string{"up"}, want: "schema version: 1"}, // nothing left to do is not an error
		{args: []string{"down", "1"}, want: "schema version: none (no migrations applied)"},
		{args: []string{"up"}, want: "schema version: 1"},
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
		if _, err := migrate(args...); err == nil || !strings.Contains(err.Error(), "dirty") || !strings.Contains(err.Error(), "migrate force 1") {
			t.Errorf("posts migrate %v on a dirty schema: got %v; want a refusal naming `posts migrate force 1`", args, err)
		}
	}
	if got, err := migrate("version"); err != nil || got != "schema version: 1 (dirty)" {
		t.Errorf("posts migrate version on a dirty schema: got %q, %v; want %q", got, err, "schema version: 1 (dirty)")
	}
	if got, err := migrate("force", "1"); err != nil || got != "schema version: 1" {
		t.Errorf("posts migrate force 1: got %q, %v; want %q", got, err, "schema version: 1")
	}
	if got, err := migrate("up"); err != nil || got != "schema version: 1" {
		t.Errorf("posts migrate up after force: got %q, %v; want %q", got, err, "schema version: 1")
	}
}

func TestMigrateOnStart(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DB_CONNECTION_STRING": databasetest.NewEmpty(t), "MIGRATE_ON_START": "true"})
	mustCreate(t, s.Client, newPost("after migrate on start", "ada@example.com", nil))
}

package database_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/posts-api/posts/internal/database/databasetest"
)

// The API validates lengths first; the schema keeps the table honest for any
// other writer, with the same limits.
func TestSchemaRefusesWhatTheAPIRefuses(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, databasetest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	long := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name               string
		title, author      string
		content            *string
		wantCheckViolation bool
	}{
		{name: "valid", title: "ok", author: "a@b.c"},
		{name: "longest valid", title: long(200), author: long(250) + "@b.c", content: ptr(long(20000))},
		{name: "empty title", title: "", author: "a@b.c", wantCheckViolation: true},
		{name: "title too long", title: long(201), author: "a@b.c", wantCheckViolation: true},
		{name: "content too long", title: "content", author: "a@b.c", content: ptr(long(20001)), wantCheckViolation: true},
		{name: "author too short", title: "author short", author: "ab", wantCheckViolation: true},
		{name: "author too long", title: "author long", author: long(251) + "@b.c", wantCheckViolation: true},
	} {
		_, err := conn.Exec(ctx, "INSERT INTO posts (id, title, content, author_email) VALUES (gen_random_uuid(), $1, $2, $3)", tc.title, tc.content, tc.author)
		var pgErr *pgconn.PgError
		gotCheckViolation := errors.As(err, &pgErr) && pgErr.Code == "23514"
		if gotCheckViolation != tc.wantCheckViolation || (err != nil && !gotCheckViolation) {
			t.Errorf("%s: insert error %v; want a check violation: %v", tc.name, err, tc.wantCheckViolation)
		}
		// An update is held to the same limits.
		if !tc.wantCheckViolation {
			_, err := conn.Exec(ctx, "UPDATE posts SET title = $1 WHERE title = $2", long(201), tc.title)
			if !errors.As(err, &pgErr) || pgErr.Code != "23514" {
				t.Errorf("%s: update to a 201-character title: error %v; want a check violation", tc.name, err)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

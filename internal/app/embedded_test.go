package app_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/posts-api/posts/internal/database"
)

// The development fallback when no PostgreSQL answers: an embedded server
// starts, the service migrates it and serves a create/list round trip.
func TestEmbeddedPostgresFallback(t *testing.T) {
	t.Parallel()
	dir := reachableTempDir(t, "posts-embedded-")
	logs := &syncBuffer{}
	ctx := context.Background()
	server, err := database.StartEmbedded(ctx, dir, logs)
	if err != nil {
		t.Fatalf("start embedded PostgreSQL: %v\nits log:\n%s", err, logs)
	}
	t.Cleanup(func() {
		if err := server.Stop(); err != nil {
			t.Errorf("stop embedded PostgreSQL: %v", err)
		}
	})
	if !server.Embedded {
		t.Fatal("StartEmbedded returned a server it did not start")
	}
	dbURL, err := database.EnsureDatabase(ctx, server.AdminURL, "posts")
	if err != nil {
		t.Fatal(err)
	}

	s := startServer(t, map[string]string{"DB_CONNECTION_STRING": dbURL, "MIGRATE_ON_START": "true"})
	created := mustCreate(t, s.Client, newPost("Embedded", "ada@example.com", nil))
	list, err := s.Client.ListPostsWithResponse(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if list.StatusCode() != http.StatusOK || len(list.JSON200.Items) != 1 || list.JSON200.Items[0].Id != created.Id {
		t.Errorf("list on the embedded server: got %d %s; want the post just created", list.StatusCode(), list.Body)
	}
}

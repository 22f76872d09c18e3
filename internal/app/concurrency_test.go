package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/posts-api/posts/gen/client"
)

// send makes one raw request and returns status, headers and body.
func send(t *testing.T, method, url string, headers map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func countPosts(t *testing.T, dbURL string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM posts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	body := `{"title": "Once", "authorEmail": "ada@example.com", "content": "only once"}`
	key := map[string]string{"Idempotency-Key": "key-1"}

	status, h1, first := send(t, "POST", s.URL+"/posts", key, body)
	if status != http.StatusCreated {
		t.Fatalf("first request: got %d %s; want 201", status, first)
	}
	// The same request again, spelled differently, and on the original path: a replay.
	respelled := `{"content":"only once","authorEmail":"ada@example.com","title":"Once"}`
	for _, path := range []string{"/posts", "/post"} {
		status, h2, again := send(t, "POST", s.URL+path, key, respelled)
		if status != http.StatusCreated || again != first || h2.Get("Location") != h1.Get("Location") || h2.Get("ETag") != h1.Get("ETag") {
			t.Errorf("retry on %s: got %d %s (Location %q); want 201 %s (Location %q)", path, status, again, h2.Get("Location"), first, h1.Get("Location"))
		}
	}
	// The same key with another body.
	status, _, other := send(t, "POST", s.URL+"/posts", key, `{"title": "Twice", "authorEmail": "ada@example.com"}`)
	assertProblem(t, "same key, other body", &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/problem+json"}}}, []byte(other), http.StatusUnprocessableEntity)
	if n := countPosts(t, s.DBURL); n != 1 {
		t.Errorf("after retries: %d posts; want 1", n)
	}

	// Keys survive a restart: they live in the database.
	restarted := startServer(t, map[string]string{"DB_CONNECTION_STRING": s.DBURL})
	if status, _, again := send(t, "POST", restarted.URL+"/posts", key, body); status != http.StatusCreated || again != first {
		t.Errorf("retry after a restart: got %d %s; want the original 201 %s", status, again, first)
	}

	// An expired key is forgotten: the request runs again (and finds the title taken).
	conn, err := pgx.Connect(context.Background(), s.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "UPDATE idempotency_keys SET expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	if status, _, again := send(t, "POST", s.URL+"/posts", key, body); status != http.StatusConflict {
		t.Errorf("retry after expiry: got %d %s; want 409 (the request runs again, the title is taken)", status, again)
	}
	// Expired keys are deleted: a server deletes them when it starts, then every 15 minutes.
	startServer(t, map[string]string{"DB_CONNECTION_STRING": s.DBURL})
	var keys int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM idempotency_keys").Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if keys == 0 || time.Now().After(deadline) {
			break
		}
	}
	if keys != 0 {
		t.Errorf("5s after a start with an expired key: %d keys; want it deleted", keys)
	}

	// A bad key is a 400 naming the header.
	status, _, bad := send(t, "POST", s.URL+"/posts", map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}, body)
	if status != http.StatusBadRequest || !strings.Contains(bad, `"parameter":"Idempotency-Key"`) {
		t.Errorf("256-character key: got %d %s; want 400 naming Idempotency-Key", status, bad)
	}
}

func TestConcurrentRetriesWithOneKeyCreateOnePost(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	const n = 20
	body := `{"title": "Concurrent", "authorEmail": "ada@example.com"}`
	statuses := make([]int, n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i], _, bodies[i] = send(t, "POST", s.URL+"/posts", map[string]string{"Idempotency-Key": "same"}, body)
		})
	}
	wg.Wait()
	var created string
	for i, status := range statuses {
		switch status {
		case http.StatusCreated:
			if created == "" {
				created = bodies[i]
			} else if bodies[i] != created {
				t.Errorf("two different 201 bodies for one key:\n%s\n%s", created, bodies[i])
			}
		case http.StatusConflict: // the original was still in flight
			if !strings.Contains(bodies[i], "still being processed") {
				t.Errorf("409 %s; want the in-flight problem", bodies[i])
			}
		default:
			t.Errorf("request %d: got %d %s; want 201 or 409", i, status, bodies[i])
		}
	}
	if created == "" {
		t.Error("no request got 201")
	}
	if got := countPosts(t, s.DBURL); got != 1 {
		t.Errorf("%d concurrent requests with one key made %d posts; want 1", n, got)
	}
}

func TestConcurrentDuplicateTitles(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i], _, _ = send(t, "POST", s.URL+"/posts", nil, fmt.Sprintf(`{"title": "Race", "authorEmail": "u%d@example.com"}`, i))
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, status := range statuses {
		counts[status]++
	}
	if counts[http.StatusCreated] != 1 || counts[http.StatusConflict] != n-1 {
		t.Errorf("%d concurrent creates of one title: statuses %v; want one 201 and %d 409", n, counts, n-1)
	}
}

// Concurrent creates are inserted in batches (internal/posts/batch.go):
// each must still get its own post back, with and without content, and
// every acknowledged post must be there to read.
func TestConcurrentCreatesEachGetTheirOwnPost(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	const n = 64
	created := make([]client.Post, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var content *string
			if i%2 == 0 {
				content = ptr(fmt.Sprintf("Content %d", i))
			}
			created[i] = mustCreate(t, s.Client, newPost(fmt.Sprintf("Post %d", i), fmt.Sprintf("u%d@example.com", i), content))
		})
	}
	wg.Wait()

	ids := map[uuid.UUID]bool{}
	for i, post := range created {
		wantContent := "<null>"
		if i%2 == 0 {
			wantContent = fmt.Sprintf("Content %d", i)
		}
		gotContent := "<null>"
		if c := contentOf(post); c != nil {
			gotContent = *c
		}
		if post.Title != fmt.Sprintf("Post %d", i) || string(post.AuthorEmail) != fmt.Sprintf("u%d@example.com", i) || gotContent != wantContent {
			t.Errorf("create %d answered with post (%q, %q, %q); want (%q, %q, %q)", i,
				post.Title, post.AuthorEmail, gotContent, fmt.Sprintf("Post %d", i), fmt.Sprintf("u%d@example.com", i), wantContent)
		}
		ids[post.Id] = true
		got, err := s.Client.GetPostWithResponse(context.Background(), post.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.JSON200 == nil || got.JSON200.Title != post.Title {
			t.Errorf("get %s after its create: %d %s; want the post %q", post.Id, got.StatusCode(), got.Body, post.Title)
		}
	}
	if len(ids) != n {
		t.Errorf("%d creates answered with %d distinct ids; want %d", n, len(ids), n)
	}
}

func TestETags(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	status, h, _ := send(t, "POST", s.URL+"/posts", nil, `{"title": "Versioned", "authorEmail": "ada@example.com"}`)
	if status != http.StatusCreated || h.Get("ETag") == "" {
		t.Fatalf("create: got %d, ETag %q; want 201 with an ETag", status, h.Get("ETag"))
	}
	url := s.URL + h.Get("Location")
	v1 := h.Get("ETag")

	if status, h, _ := send(t, "GET", url, nil, ""); status != 200 || h.Get("ETag") != v1 {
		t.Errorf("get: got %d, ETag %q; want 200, %q", status, h.Get("ETag"), v1)
	}
	for _, inm := range []string{v1, "W/" + v1, `"999", ` + v1, "*"} {
		if status, h, body := send(t, "GET", url, map[string]string{"If-None-Match": inm}, ""); status != http.StatusNotModified || body != "" || h.Get("ETag") != v1 {
			t.Errorf("get with If-None-Match %s: got %d %q, ETag %q; want 304, no body, ETag %q", inm, status, body, h.Get("ETag"), v1)
		}
	}
	if status, _, _ := send(t, "GET", url, map[string]string{"If-None-Match": `"999"`}, ""); status != 200 {
		t.Errorf("get with a stale If-None-Match: got %d; want 200", status)
	}

	// A no-op patch keeps the ETag; a change moves it.
	if status, h, _ := send(t, "PATCH", url, map[string]string{"If-Match": v1}, `{"title": "Versioned"}`); status != 200 || h.Get("ETag") != v1 {
		t.Errorf("no-op patch: got %d, ETag %q; want 200, %q", status, h.Get("ETag"), v1)
	}
	status, h, _ = send(t, "PATCH", url, map[string]string{"If-Match": v1}, `{"content": "new"}`)
	v2 := h.Get("ETag")
	if status != 200 || v2 == "" || v2 == v1 {
		t.Fatalf("patch with the current ETag: got %d, ETag %q; want 200 and a new ETag", status, v2)
	}
	for _, stale := range []string{v1, "W/" + v2, `"nonsense"`} {
		status, _, body := send(t, "PATCH", url, map[string]string{"If-Match": stale}, `{"content": "lost update"}`)
		assertProblem(t, "patch with If-Match "+stale, &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/problem+json"}}}, []byte(body), http.StatusPreconditionFailed)
		status, _, body = send(t, "DELETE", url, map[string]string{"If-Match": stale}, "")
		assertProblem(t, "delete with If-Match "+stale, &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/problem+json"}}}, []byte(body), http.StatusPreconditionFailed)
	}
	if _, _, body := send(t, "GET", url, nil, ""); !strings.Contains(body, `"content":"new"`) {
		t.Errorf("after refused writes: %s; want content \"new\" kept", body)
	}
	missing := s.URL + "/posts/01939c7e-0000-7000-8000-000000000000"
	if status, _, _ := send(t, "PATCH", missing, map[string]string{"If-Match": v2}, `{"content": "x"}`); status != 404 {
		t.Errorf("conditional patch of a missing post: got %d; want 404", status)
	}
	if status, _, _ := send(t, "DELETE", url, map[string]string{"If-Match": `"1", ` + v2}, ""); status != http.StatusNoContent {
		t.Errorf("delete with a list holding the current ETag: got %d; want 204", status)
	}
}

func TestConcurrentPatchesWithOneETag(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	post := mustCreate(t, s.Client, newPost("Contended", "ada@example.com", nil))
	got, err := s.Client.GetPostWithResponse(context.Background(), post.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	etag := got.HTTPResponse.Header.Get("ETag")
	const n = 16
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := s.Client.UpdatePostWithResponse(context.Background(), post.Id, &client.UpdatePostParams{IfMatch: &etag},
				client.PostPatch{Content: nullableString(fmt.Sprintf("writer %d", i))})
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = resp.StatusCode()
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, status := range statuses {
		counts[status]++
	}
	if counts[http.StatusOK] != 1 || counts[http.StatusPreconditionFailed] != n-1 {
		t.Errorf("%d concurrent PATCHes with one ETag: statuses %v; want one 200 and %d 412", n, counts, n-1)
	}
}

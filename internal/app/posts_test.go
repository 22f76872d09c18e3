package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/posts-api/posts/gen/client"
)

func ptr[T any](v T) *T { return &v }

func newPost(title, email string, content *string) client.NewPost {
	p := client.NewPost{Title: title, AuthorEmail: client.AuthorEmail(email)}
	if content != nil {
		p.Content = nullable.NewNullableWithValue(*content)
	}
	return p
}

// mustCreate creates a post and fails the test unless the server says 201.
func mustCreate(t *testing.T, c *client.ClientWithResponses, p client.NewPost) client.Post {
	t.Helper()
	resp, err := c.CreatePostWithResponse(context.Background(), nil, p)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusCreated || resp.JSON201 == nil {
		t.Fatalf("create %q: got %d %s; want 201", p.Title, resp.StatusCode(), resp.Body)
	}
	return *resp.JSON201
}

func contentOf(p client.Post) *string {
	if v, err := p.Content.Get(); err == nil {
		return &v
	}
	return nil
}

func TestPostLifecycle(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	ctx := context.Background()

	created, err := s.Client.CreatePostWithResponse(ctx, nil, newPost("Hello, world", "ada@example.com", ptr("My first post.")))
	if err != nil {
		t.Fatal(err)
	}
	if got := created.StatusCode(); got != http.StatusCreated {
		t.Fatalf("create: got status %d, body %s; want 201", got, created.Body)
	}
	post := *created.JSON201
	if got, want := created.HTTPResponse.Header.Get("Location"), "/posts/"+post.Id.String(); got != want {
		t.Errorf("create: Location = %q; want %q", got, want)
	}
	if post.Id.Version() != 7 {
		t.Errorf("create: id %s is UUID version %d; want 7", post.Id, post.Id.Version())
	}
	if post.Title != "Hello, world" || post.AuthorEmail != "ada@example.com" || ptrValue(contentOf(post)) != "My first post." {
		t.Errorf("create: got %+v; want the fields sent", post)
	}
	if !post.CreatedAt.Equal(post.UpdatedAt) || time.Since(post.CreatedAt) > time.Minute || post.CreatedAt.Location() != time.UTC {
		t.Errorf("create: createdAt %v, updatedAt %v; want equal, recent, UTC", post.CreatedAt, post.UpdatedAt)
	}

	got, err := s.Client.GetPostWithResponse(ctx, post.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.StatusCode() != http.StatusOK || !samePost(*got.JSON200, post) {
		t.Fatalf("get: got %d %s; want 200 with %+v", got.StatusCode(), got.Body, post)
	}

	// An empty patch changes nothing, not even updatedAt.
	unchanged, err := s.Client.UpdatePostWithResponse(ctx, post.Id, nil, client.PostPatch{})
	if err != nil {
		t.Fatal(err)
	}
	if unchanged.StatusCode() != http.StatusOK || !samePost(*unchanged.JSON200, post) {
		t.Fatalf("empty patch: got %d %s; want 200 with the post unchanged", unchanged.StatusCode(), unchanged.Body)
	}

	retitled, err := s.Client.UpdatePostWithResponse(ctx, post.Id, nil, client.PostPatch{Title: ptr("Hello again")})
	if err != nil {
		t.Fatal(err)
	}
	if retitled.StatusCode() != http.StatusOK {
		t.Fatalf("patch title: got %d %s; want 200", retitled.StatusCode(), retitled.Body)
	}
	if p := *retitled.JSON200; p.Title != "Hello again" || ptrValue(contentOf(p)) != "My first post." || p.AuthorEmail != post.AuthorEmail ||
		!p.UpdatedAt.After(post.UpdatedAt) || !p.CreatedAt.Equal(post.CreatedAt) {
		t.Errorf("patch title: got %+v; want only the title and updatedAt changed", p)
	}

	cleared, err := s.Client.UpdatePostWithBodyWithResponse(ctx, post.Id, nil, "application/json", strings.NewReader(`{"content": null, "authorEmail": "grace@example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	if cleared.StatusCode() != http.StatusOK {
		t.Fatalf("patch content null: got %d %s; want 200", cleared.StatusCode(), cleared.Body)
	}
	if p := *cleared.JSON200; contentOf(p) != nil || p.AuthorEmail != "grace@example.com" || p.Title != "Hello again" {
		t.Errorf("patch content null: got %+v; want content null, new email, title kept", p)
	}
	if !strings.Contains(string(cleared.Body), `"content":null`) {
		t.Errorf("patch content null: body %s; want \"content\":null present", cleared.Body)
	}

	deleted, err := s.Client.DeletePostWithResponse(ctx, post.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if deleted.StatusCode() != http.StatusNoContent || len(deleted.Body) != 0 {
		t.Fatalf("delete: got %d %q; want 204 with no body", deleted.StatusCode(), deleted.Body)
	}
	for name, status := range map[string]func() (int, error){
		"get": func() (int, error) { r, err := s.Client.GetPostWithResponse(ctx, post.Id, nil); return code(r, err) },
		"patch": func() (int, error) {
			r, err := s.Client.UpdatePostWithResponse(ctx, post.Id, nil, client.PostPatch{Title: ptr("x")})
			return code(r, err)
		},
		"delete": func() (int, error) { r, err := s.Client.DeletePostWithResponse(ctx, post.Id, nil); return code(r, err) },
	} {
		got, err := status()
		if err != nil {
			t.Fatal(err)
		}
		if got != http.StatusNotFound {
			t.Errorf("%s after delete: got %d; want 404", name, got)
		}
	}
}

func code(r interface{ StatusCode() int }, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	return r.StatusCode(), nil
}

func ptrValue(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func samePost(a, b client.Post) bool {
	return a.Id == b.Id && a.Title == b.Title && ptrValue(contentOf(a)) == ptrValue(contentOf(b)) &&
		a.AuthorEmail == b.AuthorEmail && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func TestCreateContentIsOptional(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	for _, body := range []string{
		`{"title": "omitted", "authorEmail": "ada@example.com"}`,
		`{"title": "null", "authorEmail": "ada@example.com", "content": null}`,
	} {
		resp, err := s.Client.CreatePostWithBodyWithResponse(context.Background(), nil, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != http.StatusCreated || contentOf(*resp.JSON201) != nil {
			t.Errorf("POST %s: got %d %s; want 201 with content null", body, resp.StatusCode(), resp.Body)
		}
	}
}

func TestStoresTextExactly(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	title := "'; DROP TABLE posts; -- שלום 👋🏽 e\u0301"
	content := strings.Repeat("Ünïcödé ✓ ", 1000) + "\n\t\"quoted\" \\ back"
	post := mustCreate(t, s.Client, newPost(title, "o'hara+tag@example.co.uk", &content))
	got, err := s.Client.GetPostWithResponse(context.Background(), post.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.JSON200 == nil || got.JSON200.Title != title || ptrValue(contentOf(*got.JSON200)) != content {
		t.Errorf("get: got %s; want title and content byte-exact", got.Body)
	}
}

func TestDuplicateTitle(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	ctx := context.Background()
	first := mustCreate(t, s.Client, newPost("Taken", "ada@example.com", nil))
	other := mustCreate(t, s.Client, newPost("Free", "ada@example.com", nil))

	dup, err := s.Client.CreatePostWithResponse(ctx, nil, newPost("Taken", "grace@example.com", ptr("again")))
	if err != nil {
		t.Fatal(err)
	}
	assertProblem(t, "create duplicate", dup.HTTPResponse, dup.Body, http.StatusConflict)

	legacyDup, err := s.Client.CreatePostLegacyWithResponse(ctx, nil, newPost("Taken", "grace@example.com", nil))
	if err != nil {
		t.Fatal(err)
	}
	assertProblem(t, "create duplicate on /post", legacyDup.HTTPResponse, legacyDup.Body, http.StatusConflict)

	patchDup, err := s.Client.UpdatePostWithResponse(ctx, other.Id, nil, client.PostPatch{Title: ptr("Taken"), Content: nullable.NewNullableWithValue("lost?")})
	if err != nil {
		t.Fatal(err)
	}
	assertProblem(t, "patch to a taken title", patchDup.HTTPResponse, patchDup.Body, http.StatusConflict)

	// Nothing was stored half-way: two posts, the second unchanged.
	page := listAll(t, s, nil)
	if len(page) != 2 {
		t.Fatalf("after conflicts: %d posts; want 2", len(page))
	}
	got, _ := s.Client.GetPostWithResponse(ctx, other.Id, nil)
	if got.JSON200 == nil || !samePost(*got.JSON200, other) {
		t.Errorf("after the failed patch: got %s; want the post unchanged", got.Body)
	}
	// Renaming a post to its own title is not a conflict.
	same, _ := s.Client.UpdatePostWithResponse(ctx, first.Id, nil, client.PostPatch{Title: ptr("Taken")})
	if same.StatusCode() != http.StatusOK {
		t.Errorf("patch to its own title: got %d %s; want 200", same.StatusCode(), same.Body)
	}
}

func TestLegacyCreatePath(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	// The original starter's README example, as its users send it.
	resp, err := http.Post(s.URL+"/post", "application/json",
		strings.NewReader(`{"title": "My first post", "content": "Hello world", "authorEmail": "info@stacktape.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(resp.Header.Get("Location"), "/posts/") {
		t.Fatalf("POST /post: got %d, Location %q; want 201 and /posts/{id}", resp.StatusCode, resp.Header.Get("Location"))
	}
	posts := listAll(t, s, nil)
	if len(posts) != 1 || posts[0].Title != "My first post" || posts[0].AuthorEmail != "info@stacktape.com" {
		t.Errorf("GET /posts after POST /post: got %+v; want the one post", posts)
	}
}

// listAll walks every page of GET /posts (limit 10) and returns the posts
// in the order served, checking the page invariants on the way.
func listAll(t *testing.T, s *testServer, author *string) []client.Post {
	t.Helper()
	var all []client.Post
	params := &client.ListPostsParams{Limit: ptr(10)}
	if author != nil {
		params.AuthorEmail = (*client.AuthorEmailFilter)(author)
	}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("more than 1000 pages: the cursor does not advance")
		}
		resp, err := s.Client.ListPostsWithResponse(context.Background(), params)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != http.StatusOK {
			t.Fatalf("list page %d: got %d %s; want 200", pages+1, resp.StatusCode(), resp.Body)
		}
		all = append(all, resp.JSON200.Items...)
		next, err := resp.JSON200.NextCursor.Get()
		link := resp.HTTPResponse.Header.Get("Link")
		if err != nil { // null: the last page
			if link != "" {
				t.Errorf("last page: Link %q; want none", link)
			}
			return all
		}
		if len(resp.JSON200.Items) != 10 {
			t.Errorf("page %d has %d items and a next cursor; want 10", pages+1, len(resp.JSON200.Items))
		}
		if !strings.Contains(link, "cursor="+url.QueryEscape(next)) || !strings.HasSuffix(link, `>; rel="next"`) {
			t.Errorf("page %d: Link %q; want the next page's URL with rel=\"next\"", pages+1, link)
		}
		params.Cursor = &next
	}
}

func TestPaginationReturnsEveryPostOnceNewestFirst(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	want := make(map[uuid.UUID]bool)
	for i := range 45 {
		want[mustCreate(t, s.Client, newPost(fmt.Sprintf("post %02d", i), "ada@example.com", nil)).Id] = true
	}

	// Posts created while the walk goes on are newer than every cursor:
	// they must not push older posts off a page or make them repeat.
	var got []client.Post
	params := &client.ListPostsParams{Limit: ptr(10)}
	pageSizes := []int{}
	for {
		resp, err := s.Client.ListPostsWithResponse(context.Background(), params)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != http.StatusOK {
			t.Fatalf("list: got %d %s", resp.StatusCode(), resp.Body)
		}
		got = append(got, resp.JSON200.Items...)
		pageSizes = append(pageSizes, len(resp.JSON200.Items))
		mustCreate(t, s.Client, newPost(fmt.Sprintf("during walk %d", len(pageSizes)), "bob@example.com", nil))
		next, err := resp.JSON200.NextCursor.Get()
		if err != nil {
			break
		}
		params.Cursor = &next
	}
	if fmt.Sprint(pageSizes) != "[10 10 10 10 5]" {
		t.Errorf("page sizes %v; want [10 10 10 10 5]", pageSizes)
	}
	seen := make(map[uuid.UUID]bool)
	for i, p := range got {
		if seen[p.Id] {
			t.Errorf("post %s served twice", p.Id)
		}
		seen[p.Id] = true
		if !want[p.Id] {
			t.Errorf("post %s (%q) served; want only the 45 created before the walk", p.Id, p.Title)
		}
		if i > 0 {
			prev := got[i-1]
			if p.CreatedAt.After(prev.CreatedAt) || (p.CreatedAt.Equal(prev.CreatedAt) && p.Id.String() > prev.Id.String()) {
				t.Errorf("item %d (%s, %s) comes after (%s, %s); want createdAt desc, id desc", i, p.CreatedAt, p.Id, prev.CreatedAt, prev.Id)
			}
		}
	}
	if len(seen) != len(want) {
		t.Errorf("served %d distinct posts; want all %d", len(seen), len(want))
	}
}

func TestListDefaultsAndLimits(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	empty, err := s.Client.ListPostsWithResponse(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if empty.StatusCode() != http.StatusOK || string(empty.Body) != "{\"items\":[],\"nextCursor\":null}\n" {
		t.Errorf("empty list: got %d %q; want 200 {\"items\":[],\"nextCursor\":null}", empty.StatusCode(), empty.Body)
	}
	for i := range 25 {
		mustCreate(t, s.Client, newPost(fmt.Sprintf("p%d", i), "ada@example.com", nil))
	}
	for _, tc := range []struct {
		limit    *int
		wantSize int
	}{{nil, 20}, {ptr(1), 1}, {ptr(100), 25}, {ptr(25), 25}} {
		resp, err := s.Client.ListPostsWithResponse(context.Background(), &client.ListPostsParams{Limit: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != http.StatusOK || len(resp.JSON200.Items) != tc.wantSize {
			t.Errorf("limit %v: got %d with %s; want 200 with %d items", ptrValueInt(tc.limit), resp.StatusCode(), resp.Body, tc.wantSize)
		}
	}
}

func ptrValueInt(p *int) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

func TestListFilterByAuthor(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	for i := range 13 {
		mustCreate(t, s.Client, newPost(fmt.Sprintf("ada %d", i), "ada@example.com", nil))
		if i%2 == 0 {
			mustCreate(t, s.Client, newPost(fmt.Sprintf("grace %d", i), "grace@example.com", nil))
		}
	}
	for author, want := range map[string]int{"ada@example.com": 13, "grace@example.com": 7, "nobody@example.com": 0} {
		got := listAll(t, s, ptr(author))
		if len(got) != want {
			t.Errorf("authorEmail=%s: %d posts; want %d", author, len(got), want)
		}
		for _, p := range got {
			if string(p.AuthorEmail) != author {
				t.Errorf("authorEmail=%s: got a post by %s", author, p.AuthorEmail)
			}
		}
	}
	// The Link header keeps the filter.
	resp, err := s.Client.ListPostsWithResponse(context.Background(), &client.ListPostsParams{Limit: ptr(5), AuthorEmail: ptr(client.AuthorEmailFilter("grace@example.com"))})
	if err != nil {
		t.Fatal(err)
	}
	if link := resp.HTTPResponse.Header.Get("Link"); !strings.Contains(link, "authorEmail=grace%40example.com") {
		t.Errorf("Link %q; want it to keep authorEmail", link)
	}
}

func TestTamperedCursor(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	for i := range 3 {
		mustCreate(t, s.Client, newPost(fmt.Sprintf("p%d", i), "ada@example.com", nil))
	}
	first, err := s.Client.ListPostsWithResponse(context.Background(), &client.ListPostsParams{Limit: ptr(1)})
	if err != nil {
		t.Fatal(err)
	}
	cursor, err := first.JSON200.NextCursor.Get()
	if err != nil {
		t.Fatalf("first page of 3 with limit 1: no next cursor (%s)", first.Body)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for name, bad := range map[string]string{
		"first character changed":  flip(cursor, 0),
		"middle character changed": flip(cursor, len(cursor)/2),
		"last character changed":   flip(cursor, len(cursor)-1),
		"truncated":                cursor[:len(cursor)-2],
		"extended":                 cursor + "AA",
		"not base64":               "!!!!",
		"a post id":                uuid.NewString(),
	} {
		resp, err := s.Client.ListPostsWithResponse(context.Background(), &client.ListPostsParams{Cursor: ptr(bad)})
		if err != nil {
			t.Fatal(err)
		}
		assertProblem(t, "cursor "+name, resp.HTTPResponse, resp.Body, http.StatusBadRequest)
	}
}

func nullableString(s string) nullable.Nullable[string] { return nullable.NewNullableWithValue(s) }

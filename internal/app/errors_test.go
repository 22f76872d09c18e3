package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

type problemBody struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
	Errors   []struct {
		Pointer   string `json:"pointer"`
		Parameter string `json:"parameter"`
		Detail    string `json:"detail"`
	} `json:"errors"`
}

// leaks are fragments that must never reach a client: SQL, driver and Go
// internals, stack traces.
var leaks = []string{"SQLSTATE", "pgx", "pgconn", "postgres", "SELECT", "INSERT", "goroutine", ".go:", "runtime.", "*errors.", "kin-openapi", "Schema:", "panic", "echo"}

// assertProblem checks that a response is an RFC 9457 problem with status
// want, and leaks nothing; it returns the problem for further checks.
func assertProblem(t *testing.T, what string, resp *http.Response, body []byte, want int) problemBody {
	t.Helper()
	if resp.StatusCode != want {
		t.Errorf("%s: got status %d, body %s; want %d", what, resp.StatusCode, body, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q; want application/problem+json", what, ct)
	}
	var p problemBody
	if err := json.Unmarshal(body, &p); err != nil {
		t.Errorf("%s: body %q is not JSON: %v", what, body, err)
		return p
	}
	if p.Type == "" || p.Title != http.StatusText(want) || p.Status != want || p.Detail == "" {
		t.Errorf("%s: problem %+v; want type, title %q, status %d and a detail", what, p, http.StatusText(want), want)
	}
	for _, leak := range leaks {
		if strings.Contains(strings.ToLower(string(body)), strings.ToLower(leak)) {
			t.Errorf("%s: body %s leaks %q", what, body, leak)
		}
	}
	return p
}

func TestErrorResponses(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	post := mustCreate(t, s.Client, newPost("Existing", "ada@example.com", nil))
	postURL := "/posts/" + post.Id.String()
	huge := `{"title": "big", "authorEmail": "ada@example.com", "content": "` + strings.Repeat("x", 1<<20) + `"}`

	tests := []struct {
		name, method, path, contentType, body string
		headers                               map[string]string
		want                                  int
		wantErrors                            map[string]string // pointer or parameter → detail
	}{
		{name: "unknown route", method: "GET", path: "/nope", want: 404},
		{name: "missing post", method: "GET", path: "/posts/01939c7e-0000-7000-8000-000000000000", want: 404},
		{name: "wrong method", method: "PUT", path: "/posts", want: 405},
		{name: "wrong method on a post", method: "POST", path: postURL, want: 405},
		{name: "malformed JSON", method: "POST", path: "/posts", contentType: "application/json", body: `{"title": "x",`, want: 400},
		{name: "two JSON values", method: "POST", path: "/posts", contentType: "application/json", body: `{} {}`, want: 400},
		{name: "empty body", method: "POST", path: "/posts", contentType: "application/json", body: ``, want: 400},
		{name: "invalid UTF-8", method: "POST", path: "/posts", contentType: "application/json", body: "{\"title\": \"\xff\xfe\", \"authorEmail\": \"ada@example.com\"}", want: 400},
		{name: "not an object", method: "POST", path: "/posts", contentType: "application/json", body: `["title"]`, want: 400,
			wantErrors: map[string]string{"#": "must be an object"}},
		{name: "wrong content type", method: "POST", path: "/posts", contentType: "text/plain", body: `{"title": "x", "authorEmail": "ada@example.com"}`, want: 415},
		{name: "no content type", method: "POST", path: "/posts", body: `{"title": "x", "authorEmail": "ada@example.com"}`, want: 415},
		{name: "form body", method: "POST", path: "/post", contentType: "application/x-www-form-urlencoded", body: `title=x`, want: 415},
		{name: "patch with wrong content type", method: "PATCH", path: postURL, contentType: "text/plain", body: `{}`, want: 415},
		{name: "body too large", method: "POST", path: "/posts", contentType: "application/json", body: huge, want: 413},
		{name: "missing fields", method: "POST", path: "/posts", contentType: "application/json", body: `{}`, want: 400,
			wantErrors: map[string]string{"#/title": "is required", "#/authorEmail": "is required"}},
		{name: "unknown field", method: "POST", path: "/posts", contentType: "application/json", body: `{"title": "x", "authorEmail": "ada@example.com", "color": "red"}`, want: 400,
			wantErrors: map[string]string{"#/color": `unknown field "color"`}},
		{name: "invalid fields", method: "POST", path: "/post", contentType: "application/json",
			body: `{"title": "` + strings.Repeat("t", 201) + `", "authorEmail": "not an email", "content": 7}`, want: 400,
			wantErrors: map[string]string{"#/title": "must be at most 200 characters", "#/authorEmail": "must be an email address", "#/content": "must be a string"}},
		{name: "blank title", method: "POST", path: "/posts", contentType: "application/json", body: `{"title": "  ", "authorEmail": "ada@example.com"}`, want: 400,
			wantErrors: map[string]string{"#/title": "must not be blank"}},
		{name: "email with a display name", method: "POST", path: "/posts", contentType: "application/json", body: `{"title": "x", "authorEmail": "Ada <ada@example.com>"}`, want: 400,
			wantErrors: map[string]string{"#/authorEmail": "must be an email address"}},
		{name: "content too long", method: "POST", path: "/posts", contentType: "application/json",
			body: `{"title": "x", "authorEmail": "ada@example.com", "content": "` + strings.Repeat("é", 20001) + `"}`, want: 400,
			wantErrors: map[string]string{"#/content": "must be at most 20000 characters"}},
		{name: "NUL character", method: "POST", path: "/posts", contentType: "application/json", body: `{"title": "a\u0000b", "authorEmail": "ada@example.com"}`, want: 400,
			wantErrors: map[string]string{"#/title": "must not contain the NUL character (U+0000)"}},
		{name: "null title in patch", method: "PATCH", path: postURL, contentType: "application/json", body: `{"title": null}`, want: 400,
			wantErrors: map[string]string{"#/title": "must not be null"}},
		{name: "unknown field in patch", method: "PATCH", path: postURL, contentType: "application/json", body: `{"id": "x"}`, want: 400,
			wantErrors: map[string]string{"#/id": `unknown field "id"`}},
		{name: "post id not a UUID", method: "GET", path: "/posts/42", want: 400,
			wantErrors: map[string]string{"postId": "must be a UUID"}},
		{name: "delete id not a UUID", method: "DELETE", path: "/posts/not-a-uuid", want: 400,
			wantErrors: map[string]string{"postId": "must be a UUID"}},
		{name: "limit zero", method: "GET", path: "/posts?limit=0", want: 400, wantErrors: map[string]string{"limit": "must be at least 1"}},
		{name: "limit too big", method: "GET", path: "/posts?limit=101", want: 400, wantErrors: map[string]string{"limit": "must be at most 100"}},
		{name: "limit not a number", method: "GET", path: "/posts?limit=ten", want: 400, wantErrors: map[string]string{"limit": "must be an integer"}},
		{name: "limit given twice", method: "GET", path: "/posts?limit=20&limit=30", want: 400, wantErrors: map[string]string{"limit": "must be given only once"}},
		{name: "two parameters given twice", method: "GET", path: "/posts?limit=2&cursor=a&limit=200&cursor=b", want: 400,
			wantErrors: map[string]string{"limit": "must be given only once", "cursor": "must be given only once"}},
		{name: "author filter not an email", method: "GET", path: "/posts?authorEmail=nobody", want: 400, wantErrors: map[string]string{"authorEmail": "must be an email address"}},
		{name: "malformed cursor", method: "GET", path: "/posts?cursor=abc", want: 400},
		{name: "idempotency key too long", method: "POST", path: "/posts", contentType: "application/json", body: `{"title": "k", "authorEmail": "ada@example.com"}`,
			headers: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}, want: 400, wantErrors: map[string]string{"Idempotency-Key": "must be at most 255 characters"}},
		{name: "idempotency key with a space", method: "POST", path: "/posts", contentType: "application/json", body: `{"title": "k", "authorEmail": "ada@example.com"}`,
			headers: map[string]string{"Idempotency-Key": "two words"}, want: 400},
		{name: "If-None-Match too long", method: "GET", path: "/posts/" + post.Id.String(),
			headers: map[string]string{"If-None-Match": strings.Repeat("x", 1025)}, want: 400, wantErrors: map[string]string{"If-None-Match": "must be at most 1024 characters"}},
		{name: "duplicate title", method: "POST", path: "/posts", contentType: "application/json", body: `{"title": "Existing", "authorEmail": "x@example.com"}`, want: 409},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, s.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			p := assertProblem(t, tc.method+" "+tc.path, resp, body, tc.want)
			if p.Instance != strings.Split(tc.path, "?")[0] {
				t.Errorf("instance %q; want the request path", p.Instance)
			}
			if tc.want == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
			got := make(map[string]string)
			for _, e := range p.Errors {
				got[e.Pointer+e.Parameter] = e.Detail
			}
			for where, detail := range tc.wantErrors {
				if got[where] != detail {
					t.Errorf("errors[%s] = %q; want %q (all errors: %v)", where, got[where], detail, got)
				}
			}
		})
	}

	// None of the rejected writes stored anything.
	if posts := listAll(t, s, nil); len(posts) != 1 {
		t.Errorf("after the rejected requests: %d posts; want only the 1 created", len(posts))
	}
}

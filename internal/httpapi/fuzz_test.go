package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/posts-api/posts/gen/api"
)

// echoHandlers accepts whatever the validator let through, so that the
// fuzz target sees what reaches a handler.
type echoHandlers struct {
	api.StrictServerInterface
}

func (echoHandlers) CreatePost(_ context.Context, req api.CreatePostRequestObject) (api.CreatePostResponseObject, error) {
	if req.Body == nil || req.Body.Title == "" || req.Body.AuthorEmail == "" || strings.ContainsRune(req.Body.Title, 0) {
		panic("the validator let an invalid body through")
	}
	return api.CreatePost201JSONResponse{CreatedJSONResponse: api.CreatedJSONResponse{
		Body: api.Post{Id: uuid.Nil, Title: req.Body.Title, AuthorEmail: req.Body.AuthorEmail, Content: req.Body.Content},
	}}, nil
}

// FuzzRequestBody: whatever the body, POST /posts answers 201 or a 4xx
// problem: never a 5xx, never a panic.
func FuzzRequestBody(f *testing.F) {
	handler, err := New(slog.New(slog.NewTextHandler(io.Discard, nil)), echoHandlers{}, Options{})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		`{"title": "t", "authorEmail": "a@b.co"}`,
		`{"title": "t", "authorEmail": "a@b.co", "content": null}`,
		`{"title": "a\u0000b", "authorEmail": "a@b.co"}`,
		"{\"title\": \"\xff\", \"authorEmail\": \"a@b.co\"}",
		`{"title": [[[[[[[[]]]]]]]], "authorEmail": "a@b.co"}`,
		`{"title": "t", "authorEmail": "a@b.co", "x": 1}`,
		`{"title": 1e400, "authorEmail": "a@b.co"}`,
		`{} {}`, `[]`, `null`, `"`, ``,
		`{"title": "t", "authorEmail": "Ada <a@b.co>"}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/posts", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusCreated:
		case rec.Code >= 400 && rec.Code < 500:
			var p struct {
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			if rec.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Status != rec.Code || p.Detail == "" {
				t.Fatalf("body %q: %d %q %s; want a problem", body, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
		default:
			t.Fatalf("body %q: got %d %s; want 201 or 4xx", body, rec.Code, rec.Body)
		}
	})
}

package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/posts-api/posts/gen/api"
)

// failingHandlers fails the way a bug would: an unexpected error carrying
// internal detail, and a panic.
type failingHandlers struct {
	api.StrictServerInterface // the operations these tests do not call
}

func (failingHandlers) GetPost(context.Context, api.GetPostRequestObject) (api.GetPostResponseObject, error) {
	return nil, errors.New(`ERROR: relation "posts" does not exist (SQLSTATE 42P01) at pgx.(*Conn).Query`)
}

func (failingHandlers) ListPosts(context.Context, api.ListPostsRequestObject) (api.ListPostsResponseObject, error) {
	var m map[string]int
	m["boom"]++ // a nil-map panic
	return nil, nil
}

func TestUnexpectedErrorsAreGeneric(t *testing.T) {
	var logs bytes.Buffer
	handler, err := New(slog.New(slog.NewJSONHandler(&logs, nil)), failingHandlers{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(handler)
	defer server.Close()

	for _, tc := range []struct{ path, wantLogged string }{
		{"/posts/01939c7e-0000-7000-8000-000000000000", "SQLSTATE 42P01"},
		{"/posts", "assignment to entry in nil map"},
	} {
		logs.Reset()
		resp, err := http.Get(server.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := `{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"An unexpected error occurred.","instance":"` + tc.path + `"}`
		if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/problem+json" || string(body) != want {
			t.Errorf("GET %s: got %d %q %s; want 500 application/problem+json %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
		}
		if !strings.Contains(logs.String(), tc.wantLogged) || !strings.Contains(logs.String(), `"request_id"`) {
			t.Errorf("GET %s: logs %s; want the cause (%q) logged with the request id", tc.path, logs.String(), tc.wantLogged)
		}
	}
}

package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	specfile "github.com/posts-api/posts/api"
)

func TestDecodeJSONSaysWhatIsWrong(t *testing.T) {
	for _, tc := range []struct{ body, wantErr string }{
		{`{"title": "a"}`, ""},
		{`  [1, 2] `, ""},
		{`{"title": "a"} {"title": "b"}`, "The body is not valid JSON: it holds more than one value."},
		{`{"title": "a"}}`, "The body is not valid JSON: it holds more than one value."},
		{`{"title": "a"`, "The body is not valid JSON: unexpected end of input."},
		{`{"title": "a",`, "The body is not valid JSON: unexpected end of input."},
		{`{"title" "a"}`, "The body is not valid JSON: syntax error at byte 10."},
		{`{'title': 'a'}`, "The body is not valid JSON: syntax error at byte 2."},
	} {
		_, err := decodeJSON([]byte(tc.body))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.wantErr {
			t.Errorf("decodeJSON(%s): error %q; want %q", tc.body, got, tc.wantErr)
		}
	}
}

// A request that sends no parameters skips kin-openapi's parameter check
// only where the spec has nothing it could find wrong with that.
func TestWhichOperationsSkipTheParameterCheckWithoutParameters(t *testing.T) {
	spec, err := openapi3.NewLoader().LoadFromData(specfile.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	v := newRequestValidator(spec)
	want := map[string]bool{
		"listPosts": true, "createPost": true, "createPostLegacy": true, "getHealth": true, "getReadiness": true,
		"getPost": false, "updatePost": false, "deletePost": false, // a path parameter is always sent
	}
	for key, op := range v.routes {
		id := op.route.Operation.OperationID
		if got, ok := want[id]; !ok {
			t.Errorf("%s (%s): not in this test; say whether it may skip the check", key, id)
		} else if op.onlyOptionalParams != got {
			t.Errorf("%s (%s): may skip the parameter check = %v; want %v", key, id, op.onlyOptionalParams, got)
		}
	}
}

// listPostsOperation is GET /posts as the validator knows it, and a
// function that runs kin-openapi's full parameter check on a request.
func listPostsOperation(t testing.TB) (*operation, func(*http.Request) error) {
	t.Helper()
	spec, err := openapi3.NewLoader().LoadFromData(specfile.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	v := newRequestValidator(spec)
	op := v.routes["GET /posts"]
	return op, func(req *http.Request) error {
		return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{Request: req, Route: op.route, Options: v.options})
	}
}

// The quick check lets a request skip kin-openapi only where kin-openapi
// would have accepted it, and does let the usual pages skip it.
func TestQuickParameterCheckAcceptsOnlyWhatKinOpenAPIAccepts(t *testing.T) {
	op, fullCheck := listPostsOperation(t)
	long := strings.Repeat("a", 200)
	for _, tc := range []struct {
		query string
		quick bool // skips kin-openapi
	}{
		{"", true},
		{"limit=20", true},
		{"limit=1", true},
		{"limit=100", true},
		{"cursor=AQAGYcpFnYtd5EkNDXZFQy6LRKpgy3MJ9kcGsyi4Xc48", true},
		{"cursor=AQAGYcpF&limit=20", true},
		{"limit=20&cursor=" + long, true},
		// Invalid: kin-openapi says why.
		{"limit=0", false},
		{"limit=101", false},
		{"limit=-1", false},
		{"limit=abc", false},
		{"limit=1.5", false},
		{"limit=", false},
		{"limit=99999999999999999999", false},
		{"cursor=", false},
		{"cursor=" + long + "a", false},
		// Valid, or not, but not plain: kin-openapi decides.
		{"limit=020", false},
		{"limit=-0", false},
		{"limit=%32%30", false},
		{"limit=+20", false},
		{"limit=20&limit=30", false},
		{"limit=20&", true}, // net/url ignores the empty pair too
		{"&limit=20", false},
		{"limit", false},
		{"limit=20;cursor=a", false},
		{"cursor=a,b", false},
		{"authorEmail=ada@example.com", false}, // a format: kin-openapi's
		{"other=1", false},
	} {
		req := httptest.NewRequest(http.MethodGet, "/posts", nil)
		req.URL.RawQuery = tc.query
		got := op.sendsNothingToCheck(req)
		if got != tc.quick {
			t.Errorf("GET /posts?%s: skips kin-openapi = %v; want %v", tc.query, got, tc.quick)
		}
		if err := fullCheck(req); got && err != nil {
			t.Errorf("GET /posts?%s skips kin-openapi, which refuses it: %v", tc.query, err)
		}
	}
}

func TestQuickParameterCheckWaitsForHeaderParameters(t *testing.T) {
	spec, err := openapi3.NewLoader().LoadFromData(specfile.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	op := newRequestValidator(spec).routes["POST /posts"]
	req := httptest.NewRequest(http.MethodPost, "/posts", nil)
	if !op.sendsNothingToCheck(req) {
		t.Errorf("POST /posts without Idempotency-Key: goes to kin-openapi; want skipped")
	}
	req.Header.Set("Idempotency-Key", "k1")
	if op.sendsNothingToCheck(req) {
		t.Errorf("POST /posts with Idempotency-Key: skips kin-openapi; want it checked")
	}
}

// FuzzQuickParameterCheck: whatever the query, a request that skips
// kin-openapi is one kin-openapi accepts.
func FuzzQuickParameterCheck(f *testing.F) {
	op, fullCheck := listPostsOperation(f)
	for _, seed := range []string{"limit=20", "limit=100&cursor=abc", "limit=0", "limit=-5", "limit=1e2", "cursor=", "limit=20&limit=21", "limit=9223372036854775808"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/posts", nil)
		req.URL.RawQuery = query
		if !op.sendsNothingToCheck(req) {
			return
		}
		if err := fullCheck(req); err != nil {
			t.Fatalf("GET /posts?%s skips kin-openapi, which refuses it: %v", query, err)
		}
	})
}

// BenchmarkParameterCheck compares the quick check of GET /posts?limit=20
// with kin-openapi's, which it spares.
func BenchmarkParameterCheck(b *testing.B) {
	op, fullCheck := listPostsOperation(b)
	req := httptest.NewRequest(http.MethodGet, "/posts?limit=20", nil)
	b.Run("quick", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !op.sendsNothingToCheck(req) {
				b.Fatal("not quick")
			}
		}
	})
	b.Run("kin-openapi", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := fullCheck(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

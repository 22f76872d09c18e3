package httpapi

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

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

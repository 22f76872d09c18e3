package httpapi

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	specfile "github.com/posts-api/posts/api"
)

// The spec is the product's contract: every operation is documented,
// has examples, and answers errors with the shared Problem schema.
func TestSpecDocumentsEveryOperation(t *testing.T) {
	spec, err := openapi3.NewLoader().LoadFromData(specfile.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(t.Context()); err != nil {
		t.Fatalf("the spec is not valid OpenAPI: %v", err)
	}
	problem := spec.Components.Schemas["Problem"].Value
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.OperationID == "" || op.Summary == "" || op.Description == "" || len(op.Tags) == 0 {
				t.Errorf("%s: operationId %q, summary %q, description %q, tags %v; want all four", name, op.OperationID, op.Summary, op.Description, op.Tags)
			}
			if rb := op.RequestBody; rb != nil {
				for mediaType, content := range rb.Value.Content {
					if len(content.Examples) == 0 && content.Example == nil {
						t.Errorf("%s: the %s request body has no example", name, mediaType)
					}
				}
			}
			for status, ref := range op.Responses.Map() {
				response := ref.Value
				for mediaType, content := range response.Content {
					if len(content.Examples) == 0 && content.Example == nil {
						t.Errorf("%s %s: the %s response has no example", name, status, mediaType)
					}
				}
				if status[0] == '4' || status[0] == '5' {
					content := response.Content.Get("application/problem+json")
					if content == nil || content.Schema == nil || content.Schema.Value != problem || len(response.Content) != 1 {
						t.Errorf("%s %s: want only application/problem+json with the Problem schema", name, status)
					}
				}
			}
		}
	}
}

// make api-breaking fails on a breaking change unless info.version's major
// number was raised: shown here on a copy of the spec.
func TestBreakingChangeGate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds oasdiff")
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base.yaml")
	if err := os.WriteFile(base, specfile.OpenAPIYAML, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := string(specfile.OpenAPIYAML)
	narrowed := strings.Replace(spec, "        maximum: 100\n", "        maximum: 50\n", 1) // limit may no longer be 100
	if narrowed == spec {
		t.Fatal("the spec no longer has `maximum: 100` for the limit: update this test")
	}
	for _, tc := range []struct {
		name     string
		revision string
		wantFail bool
	}{
		{"unchanged", spec, false},
		{"breaking, same major version", narrowed, true},
		{"breaking, major version raised", strings.Replace(narrowed, "  version: 1.0.0\n", "  version: 2.0.0\n", 1), false},
	} {
		revision := filepath.Join(dir, "revision.yaml")
		if err := os.WriteFile(revision, []byte(tc.revision), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("go", "tool", "oasdiff", "breaking", base, revision, "--fail-on", "MISSING-VERSION-BUMP")
		cmd.Dir = filepath.Join("..", "..")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("%s: oasdiff did not run: %v\n%s", tc.name, err, out)
		}
		if failed := err != nil; failed != tc.wantFail {
			t.Errorf("%s: the gate failed=%v; want %v\n%s", tc.name, failed, tc.wantFail, out)
		}
	}
}

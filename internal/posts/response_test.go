package posts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/posts-api/posts/gen/api"
	"github.com/posts-api/posts/gen/db"
)

// The hand-written wire types must encode exactly as the generated models.
func TestPostJSONMatchesTheModel(t *testing.T) {
	content := "<b>bold</b> & \"quoted\" \\ \u2028 👋🏽 שלום \x01"
	created := time.Date(2026, 12, 3, 16, 21, 23, 123456000, time.FixedZone("CET", 3600))
	for _, row := range []db.Post{
		{ID: pgUUID(uuid.Must(uuid.NewV7())), Title: "Plain", AuthorEmail: "ada@example.com", CreatedAt: created, UpdatedAt: created, Version: 1},
		{ID: pgUUID(uuid.Must(uuid.NewV7())), Title: content, Content: &content, AuthorEmail: "o'hara+tag@example.co.uk", CreatedAt: created, UpdatedAt: created.Add(time.Second), Version: 7},
	} {
		model := api.Post{
			Id: row.ID.Bytes, Title: row.Title, AuthorEmail: openapi_types.Email(row.AuthorEmail),
			Content:   nullable.NewNullNullable[string](),
			CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(),
		}
		if row.Content != nil {
			model.Content.Set(*row.Content)
		}
		want := encode(t, model)
		if got := appendPost(nil, toJSON(&row)); !bytes.Equal(got, want) {
			t.Errorf("post:\n got %s\nwant %s", got, want)
		}

		next := "cursor"
		wantPage := encode(t, api.PostPage{Items: []api.Post{model, model}, NextCursor: nullable.NewNullableWithValue(next)})
		if got := appendPage(nil, []*db.Post{&row, &row}, &next); !bytes.Equal(got, wantPage) {
			t.Errorf("page:\n got %s\nwant %s", got, wantPage)
		}
	}
	emptyWant := encode(t, api.PostPage{Items: []api.Post{}, NextCursor: nullable.NewNullNullable[string]()})
	if got := appendPage(nil, []*db.Post{}, nil); !bytes.Equal(got, emptyWant) {
		t.Errorf("empty page:\n got %s\nwant %s", got, emptyWant)
	}
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzAppendString: appendString writes what encoding/json writes.
func FuzzAppendString(f *testing.F) {
	for _, seed := range []string{"", "plain", "<a href=\"x\">&amp;</a>", "\x00\x1f\x7f\b\f\n\r\t", "\u2028\u2029", "\xff\xfe", "👋🏽 שלום e\u0301", "\\\""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s; encoding/json writes %s", s, got, want)
		}
	})
}

// BenchmarkAppendPage: a page of 20 posts with 200-character contents, as
// make bench lists them.
func BenchmarkAppendPage(b *testing.B) {
	content := strings.Repeat("x", 200)
	rows := make([]*db.Post, 20)
	for i := range rows {
		rows[i] = &db.Post{Title: fmt.Sprintf("seed %d", i), Content: &content, AuthorEmail: "seed1@example.com", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	}
	next := "AQAGYce9_3Msc36b1gntRWmBZbopgFrvWJ5r0SaWrqp3"
	buf := make([]byte, 0, 16<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendPage(buf[:0], rows, &next)
	}
}

package posts

import (
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

func TestCursorRoundTrip(t *testing.T) {
	codec := newCursorCodec("secret")
	for _, p := range []position{
		{createdAt: time.Date(2026, 12, 3, 16, 21, 23, 123456000, time.UTC), id: uuid.Must(uuid.NewV7())},
		{createdAt: time.Unix(0, 0).UTC(), id: uuid.Nil},
		{createdAt: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), id: uuid.Max},
	} {
		got, err := codec.decode(codec.encode(p))
		if err != nil || !got.createdAt.Equal(p.createdAt) || got.id != p.id {
			t.Errorf("decode(encode(%v)) = %v, %v; want the same position", p, got, err)
		}
	}
}

func TestCursorRejectsTampering(t *testing.T) {
	codec := newCursorCodec("secret")
	valid := codec.encode(position{createdAt: time.Now().UTC(), id: uuid.Must(uuid.NewV7())})
	other := newCursorCodec("another secret").encode(position{createdAt: time.Now().UTC(), id: uuid.Must(uuid.NewV7())})
	for i := range valid {
		b := []byte(valid)
		b[i] ^= 0x01
		if _, err := codec.decode(string(b)); err == nil {
			t.Errorf("decode accepted the cursor with character %d changed (%q)", i, b)
		}
	}
	for _, bad := range []string{"", "a", valid[:len(valid)-1], valid + "A", valid + "=", "!" + valid[1:], other} {
		if _, err := codec.decode(bad); err == nil {
			t.Errorf("decode(%q) accepted; want an error", bad)
		}
	}
}

// FuzzCursorDecode: no input panics, and whatever decodes re-encodes to itself.
func FuzzCursorDecode(f *testing.F) {
	codec := newCursorCodec("secret")
	f.Add(codec.encode(position{createdAt: time.Now().UTC(), id: uuid.Max}))
	f.Add(codec.encode(position{createdAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), id: uuid.Nil}))
	f.Add("")
	f.Add("AQAGKKbD5hG0AZOlsHwefSqfPluMHS4_QA7XYvYAjEsW")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := codec.decode(s)
		if err != nil {
			return
		}
		if again := codec.encode(p); again != s {
			t.Errorf("decode(%q) succeeded but encodes back to %q", s, again)
		}
	})
}

// The Link header's query must read as url.Values would write it.
func TestNextPageLinkEncodesItsQuery(t *testing.T) {
	cursor := newCursorCodec("secret").encode(position{createdAt: time.Now().UTC(), id: uuid.Max})
	for _, email := range []string{"", "ada@example.com", "o'hara+tag@example.co.uk", "a&b=c@example.com"} {
		q := url.Values{"limit": {"20"}, "cursor": {cursor}}
		var authorEmail *openapi_types.Email
		if email != "" {
			q.Set("authorEmail", email)
			authorEmail = (*openapi_types.Email)(&email)
		}
		want := "</posts?" + q.Encode() + `>; rel="next"`
		if got := nextPageLink(20, cursor, authorEmail); got != want {
			t.Errorf("nextPageLink(20, cursor, %q):\n got %s\nwant %s", email, got, want)
		}
	}
}

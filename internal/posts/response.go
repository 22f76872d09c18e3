package posts

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/posts-api/posts/gen/db"
)

// postJSON is api.Post with plain field types, in the same order. The
// generated model's fields (nullable.Nullable, openapi_types.Email, UUID)
// each have a MarshalJSON whose output encoding/json re-validates: that made
// encoding the largest cost of GET /posts. TestPostJSONMatchesTheModel keeps
// the two identical on the wire.
type postJSON struct {
	AuthorEmail string    `json:"authorEmail"`
	Content     *string   `json:"content"`
	CreatedAt   time.Time `json:"createdAt"`
	ID          uuid.UUID `json:"id"`
	Title       string    `json:"title"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

func toJSON(p *db.Post) postJSON {
	return postJSON{
		AuthorEmail: p.AuthorEmail,
		Content:     p.Content,
		CreatedAt:   p.CreatedAt.UTC(),
		ID:          p.ID.Bytes,
		Title:       p.Title,
		UpdatedAt:   p.UpdatedAt.UTC(),
	}
}

// postResponse is a response holding one post: it implements the generated
// response interfaces of every operation that answers with a post.
type postResponse struct {
	status   int
	etag     string
	location string
	post     postJSON
	raw      []byte // the body already encoded (as stored for, or replayed from, an Idempotency-Key)
}

func (r postResponse) VisitGetPostResponse(w http.ResponseWriter) error    { return r.write(w) }
func (r postResponse) VisitUpdatePostResponse(w http.ResponseWriter) error { return r.write(w) }
func (r postResponse) VisitCreatePostResponse(w http.ResponseWriter) error { return r.write(w) }
func (r postResponse) VisitCreatePostLegacyResponse(w http.ResponseWriter) error {
	return r.write(w)
}

func (r postResponse) write(w http.ResponseWriter) error {
	h := w.Header()
	h["ETag"] = []string{r.etag} // as the spec spells it; Set would write "Etag"
	if r.location != "" {
		h.Set("Location", r.location)
	}
	if r.raw != nil {
		return writeBody(w, r.status, r.raw)
	}
	buf := getBuffer()
	defer putBuffer(buf)
	*buf = appendPost(*buf, r.post)
	return writeBody(w, r.status, *buf)
}

func withETag(row *db.Post) postResponse {
	return postResponse{status: http.StatusOK, etag: etag(row.Version), post: toJSON(row)}
}

func created(row *db.Post) postResponse {
	return postResponse{status: http.StatusCreated, etag: etag(row.Version), location: "/posts/" + uuid.UUID(row.ID.Bytes).String(), post: toJSON(row)}
}

// pageResponse is the answer to GET /posts.
type pageResponse struct {
	link       string
	rows       []*db.Post // written as api.PostPage's items
	nextCursor *string
}

func (r pageResponse) VisitListPostsResponse(w http.ResponseWriter) error {
	if r.link != "" {
		w.Header().Set("Link", r.link)
	}
	buf := getBuffer()
	defer putBuffer(buf)
	*buf = appendPage(*buf, r.rows, r.nextCursor)
	return writeBody(w, http.StatusOK, *buf)
}

// Response bodies are built in pooled buffers, so that a response carries a
// Content-Length and costs no allocation of its own.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func getBuffer() *[]byte { return buffers.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) <= 1<<20 { // do not keep huge buffers alive
		*b = (*b)[:0]
		buffers.Put(b)
	}
}

func writeBody(w http.ResponseWriter, status int, body []byte) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// encodePost is the body of a created post, as stored for idempotent replays.
func encodePost(p postJSON) []byte {
	return appendPost(nil, p)
}

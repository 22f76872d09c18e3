// Package posts implements the Posts API: the handlers of the generated
// strict server interface, on top of the sqlc queries.
package posts

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/posts-api/posts/gen/api"
	"github.com/posts-api/posts/gen/db"
)

// Pinger tells whether the service can serve: whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Database is what the handlers need of PostgreSQL (a *pgxpool.Pool):
// statements, and transactions for writes that must land together.
type Database interface {
	db.DBTX
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Server implements api.StrictServerInterface. Request validation against
// the spec happens before it is called, so the handlers only translate
// between the API's models and the queries.
type Server struct {
	database Database
	queries  *db.Queries
	ready    Pinger
	cursors  cursorCodec
	creates  *createBatcher
}

var _ api.StrictServerInterface = (*Server)(nil)

// idempotencyKeyTTL is how long a create response is kept for retries.
const idempotencyKeyTTL = 24 * time.Hour

// NewServer returns the handlers on database. ready answers /readyz;
// cursorSecret keys the pagination cursors.
func NewServer(database Database, ready Pinger, cursorSecret string) *Server {
	queries := db.New(database)
	return &Server{
		database: database,
		queries:  queries,
		ready:    ready,
		cursors:  newCursorCodec(cursorSecret),
		creates:  newCreateBatcher(queries, createBatchesAtOnce, createBatchSize),
	}
}

// Creates are batched (batch.go). One and two batches at once served the
// most creates on BENCHMARKS.md's machine, four and eight fewer; two, so
// that a batch waiting on a lock or a slow commit does not hold up every
// create. The rest of the pool (8 connections by default) stays for reads.
const (
	createBatchesAtOnce = 2
	createBatchSize     = 64
)

const defaultPageSize = 20 // the spec's default for limit

func (s *Server) ListPosts(ctx context.Context, req api.ListPostsRequestObject) (api.ListPostsResponseObject, error) {
	limit := defaultPageSize
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	var after *position // nil: the first page
	if req.Params.Cursor != nil {
		p, err := s.cursors.decode(*req.Params.Cursor)
		if err != nil {
			return nil, err
		}
		after = &p
	}
	// One row more than the page tells whether there is a next page.
	rows, err := s.listRows(ctx, req.Params.AuthorEmail, after, int32(limit+1))
	if err != nil {
		return nil, fromDatabase(err, "list posts")
	}

	resp := pageResponse{rows: rows}
	if len(rows) > limit {
		resp.rows = rows[:limit]
		last := resp.rows[limit-1]
		next := s.cursors.encode(position{createdAt: last.CreatedAt, id: last.ID.Bytes})
		resp.nextCursor = &next
		resp.link = nextPageLink(limit, next, req.Params.AuthorEmail)
	}
	return resp, nil
}

// listRows runs the query for the page asked for: the first page needs no
// position to start after.
func (s *Server) listRows(ctx context.Context, authorEmail *openapi_types.Email, after *position, rowLimit int32) ([]*db.Post, error) {
	switch {
	case after == nil && authorEmail == nil:
		return s.queries.ListFirstPosts(ctx, rowLimit)
	case after == nil:
		return s.queries.ListFirstPostsByAuthor(ctx, db.ListFirstPostsByAuthorParams{AuthorEmail: string(*authorEmail), RowLimit: rowLimit})
	case authorEmail == nil:
		return s.queries.ListPosts(ctx, db.ListPostsParams{AfterCreatedAt: after.createdAt, AfterID: pgUUID(after.id), RowLimit: rowLimit})
	}
	return s.queries.ListPostsByAuthor(ctx, db.ListPostsByAuthorParams{
		AuthorEmail: string(*authorEmail), AfterCreatedAt: after.createdAt, AfterID: pgUUID(after.id), RowLimit: rowLimit,
	})
}

// nextPageLink is the Link header of a page that has a next one. Its query
// is what url.Values.Encode writes (keys sorted), without building a map
// per page; a cursor is base64url, which needs no escaping.
func nextPageLink(limit int, cursor string, authorEmail *openapi_types.Email) string {
	link := "</posts?"
	if authorEmail != nil {
		link += "authorEmail=" + url.QueryEscape(string(*authorEmail)) + "&"
	}
	return link + "cursor=" + cursor + "&limit=" + strconv.Itoa(limit) + `>; rel="next"`
}

func (s *Server) CreatePost(ctx context.Context, req api.CreatePostRequestObject) (api.CreatePostResponseObject, error) {
	return s.create(ctx, req.Params.IdempotencyKey, req.Body)
}

// CreatePostLegacy serves POST /post, the original starter's path, for its existing clients.
func (s *Server) CreatePostLegacy(ctx context.Context, req api.CreatePostLegacyRequestObject) (api.CreatePostLegacyResponseObject, error) {
	return s.create(ctx, req.Params.IdempotencyKey, req.Body)
}

func (s *Server) create(ctx context.Context, idempotencyKey *string, in *api.NewPost) (postResponse, error) {
	params, err := newPostParams(in)
	if err != nil {
		return postResponse{}, err
	}
	if idempotencyKey != nil {
		return s.createIdempotently(ctx, *idempotencyKey, params)
	}
	row, err := s.creates.create(ctx, params)
	if err != nil {
		return postResponse{}, err
	}
	return created(row), nil
}

func newPostParams(in *api.NewPost) (db.CreatePostParams, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return db.CreatePostParams{}, unexpected(err)
	}
	return db.CreatePostParams{
		ID:          pgUUID(id),
		Title:       in.Title,
		Content:     valueOrNil(in.Content),
		AuthorEmail: string(in.AuthorEmail),
	}, nil
}

func (s *Server) GetPost(ctx context.Context, req api.GetPostRequestObject) (api.GetPostResponseObject, error) {
	row, err := s.queries.GetPost(ctx, pgUUID(req.PostId))
	if err != nil {
		return nil, fromDatabase(err, "get post")
	}
	if noneMatch(req.Params.IfNoneMatch, row.Version) {
		return api.GetPost304Response{Headers: api.GetPost304ResponseHeaders{ETag: etag(row.Version)}}, nil
	}
	return withETag(row), nil
}

func (s *Server) UpdatePost(ctx context.Context, req api.UpdatePostRequestObject) (api.UpdatePostResponseObject, error) {
	params := db.UpdatePostParams{ID: pgUUID(req.PostId), Title: req.Body.Title, SetContent: req.Body.Content.IsSpecified()}
	params.CheckVersion, params.Versions = ifMatch(req.Params.IfMatch)
	if req.Body.AuthorEmail != nil {
		email := string(*req.Body.AuthorEmail)
		params.AuthorEmail = &email
	}
	if params.SetContent {
		params.Content = valueOrNil(req.Body.Content)
	}
	row, err := s.queries.UpdatePost(ctx, params)
	if err != nil {
		return nil, s.goneOrChanged(ctx, req.PostId, fromDatabase(err, "update post"))
	}
	return withETag(row), nil
}

func (s *Server) DeletePost(ctx context.Context, req api.DeletePostRequestObject) (api.DeletePostResponseObject, error) {
	params := db.DeletePostParams{ID: pgUUID(req.PostId)}
	params.CheckVersion, params.Versions = ifMatch(req.Params.IfMatch)
	n, err := s.queries.DeletePost(ctx, params)
	if err != nil {
		return nil, fromDatabase(err, "delete post")
	}
	if n == 0 {
		return nil, s.goneOrChanged(ctx, req.PostId, errPostNotFound)
	}
	return api.DeletePost204Response{}, nil
}

// goneOrChanged tells apart the two reasons a conditional write touched no
// row: the post does not exist (404), or its version did not match (412).
func (s *Server) goneOrChanged(ctx context.Context, id uuid.UUID, err error) error {
	if ErrorCode(err) != NotFound {
		return err
	}
	if _, getErr := s.queries.GetPost(ctx, pgUUID(id)); getErr == nil {
		return errChanged
	}
	return err
}

func (s *Server) GetHealth(context.Context, api.GetHealthRequestObject) (api.GetHealthResponseObject, error) {
	return api.GetHealth200JSONResponse{HealthyJSONResponse: api.HealthyJSONResponse{Status: "ok"}}, nil
}

func (s *Server) GetReadiness(ctx context.Context, _ api.GetReadinessRequestObject) (api.GetReadinessResponseObject, error) {
	if err := s.ready.Ping(ctx); err != nil {
		return nil, unavailable(err)
	}
	return api.GetReadiness200JSONResponse{HealthyJSONResponse: api.HealthyJSONResponse{Status: "ok"}}, nil
}

func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

// valueOrNil maps an absent or null field to SQL NULL.
func valueOrNil(v nullable.Nullable[string]) *string {
	if s, err := v.Get(); err == nil {
		return &s
	}
	return nil
}

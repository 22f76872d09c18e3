// Package posts implements the Posts API: the handlers of the generated
// strict server interface, on top of the sqlc queries.
package posts

import (
	"context"
	"net/url"
	"strconv"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/posts-api/posts/gen/api"
	"github.com/posts-api/posts/gen/db"
)

// Pinger tells whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server implements api.StrictServerInterface. Request validation against
// the spec happens before it is called, so the handlers only translate
// between the API's models and the queries.
type Server struct {
	queries db.Querier
	pinger  Pinger
	cursors cursorCodec
}

var _ api.StrictServerInterface = (*Server)(nil)

// NewServer returns the handlers. cursorSecret keys the pagination cursors.
func NewServer(queries db.Querier, pinger Pinger, cursorSecret string) *Server {
	return &Server{queries: queries, pinger: pinger, cursors: newCursorCodec(cursorSecret)}
}

const defaultPageSize = 20 // the spec's default for limit

func (s *Server) ListPosts(ctx context.Context, req api.ListPostsRequestObject) (api.ListPostsResponseObject, error) {
	limit := defaultPageSize
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	after := firstPage
	if req.Params.Cursor != nil {
		var err error
		if after, err = s.cursors.decode(*req.Params.Cursor); err != nil {
			return nil, err
		}
	}
	// One row more than the page tells whether there is a next page.
	var rows []db.Post
	var err error
	if req.Params.AuthorEmail != nil {
		rows, err = s.queries.ListPostsByAuthor(ctx, db.ListPostsByAuthorParams{
			AuthorEmail: string(*req.Params.AuthorEmail), AfterCreatedAt: after.createdAt, AfterID: after.id, RowLimit: int32(limit + 1),
		})
	} else {
		rows, err = s.queries.ListPosts(ctx, db.ListPostsParams{
			AfterCreatedAt: after.createdAt, AfterID: after.id, RowLimit: int32(limit + 1),
		})
	}
	if err != nil {
		return nil, fromDatabase(err, "list posts")
	}

	var resp api.ListPosts200JSONResponse
	resp.Body.NextCursor = nullable.NewNullNullable[string]()
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next := s.cursors.encode(position{createdAt: last.CreatedAt, id: last.ID})
		resp.Body.NextCursor.Set(next)
		link := nextPageLink(limit, next, req.Params.AuthorEmail)
		resp.Headers.Link = &link
	}
	resp.Body.Items = make([]api.Post, len(rows))
	for i, row := range rows {
		resp.Body.Items[i] = toAPI(row)
	}
	return resp, nil
}

func nextPageLink(limit int, cursor string, authorEmail *openapi_types.Email) string {
	q := url.Values{"limit": {strconv.Itoa(limit)}, "cursor": {cursor}}
	if authorEmail != nil {
		q.Set("authorEmail", string(*authorEmail))
	}
	return "</posts?" + q.Encode() + `>; rel="next"`
}

func (s *Server) CreatePost(ctx context.Context, req api.CreatePostRequestObject) (api.CreatePostResponseObject, error) {
	post, err := s.create(ctx, req.Body)
	if err != nil {
		return nil, err
	}
	return api.CreatePost201JSONResponse{CreatedJSONResponse: post}, nil
}

// CreatePostLegacy serves POST /post, the original starter's path, for its existing clients.
func (s *Server) CreatePostLegacy(ctx context.Context, req api.CreatePostLegacyRequestObject) (api.CreatePostLegacyResponseObject, error) {
	post, err := s.create(ctx, req.Body)
	if err != nil {
		return nil, err
	}
	return api.CreatePostLegacy201JSONResponse{CreatedJSONResponse: post}, nil
}

func (s *Server) create(ctx context.Context, in *api.NewPost) (api.CreatedJSONResponse, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return api.CreatedJSONResponse{}, &Error{Code: Internal, Message: "An unexpected error occurred.", Err: err}
	}
	row, err := s.queries.CreatePost(ctx, db.CreatePostParams{
		ID:          id,
		Title:       in.Title,
		Content:     valueOrNil(in.Content),
		AuthorEmail: string(in.AuthorEmail),
	})
	if err != nil {
		return api.CreatedJSONResponse{}, fromDatabase(err, "create post")
	}
	return api.CreatedJSONResponse{
		Body:    toAPI(row),
		Headers: api.CreatedResponseHeaders{Location: "/posts/" + row.ID.String()},
	}, nil
}

func (s *Server) GetPost(ctx context.Context, req api.GetPostRequestObject) (api.GetPostResponseObject, error) {
	row, err := s.queries.GetPost(ctx, req.PostId)
	if err != nil {
		return nil, fromDatabase(err, "get post")
	}
	return api.GetPost200JSONResponse(toAPI(row)), nil
}

func (s *Server) UpdatePost(ctx context.Context, req api.UpdatePostRequestObject) (api.UpdatePostResponseObject, error) {
	params := db.UpdatePostParams{ID: req.PostId, Title: req.Body.Title, SetContent: req.Body.Content.IsSpecified()}
	if req.Body.AuthorEmail != nil {
		email := string(*req.Body.AuthorEmail)
		params.AuthorEmail = &email
	}
	if params.SetContent {
		params.Content = valueOrNil(req.Body.Content)
	}
	row, err := s.queries.UpdatePost(ctx, params)
	if err != nil {
		return nil, fromDatabase(err, "update post")
	}
	return api.UpdatePost200JSONResponse(toAPI(row)), nil
}

func (s *Server) DeletePost(ctx context.Context, req api.DeletePostRequestObject) (api.DeletePostResponseObject, error) {
	n, err := s.queries.DeletePost(ctx, req.PostId)
	if err != nil {
		return nil, fromDatabase(err, "delete post")
	}
	if n == 0 {
		return nil, errPostNotFound
	}
	return api.DeletePost204Response{}, nil
}

func (s *Server) GetHealth(context.Context, api.GetHealthRequestObject) (api.GetHealthResponseObject, error) {
	return api.GetHealth200JSONResponse{HealthyJSONResponse: api.HealthyJSONResponse{Status: "ok"}}, nil
}

func (s *Server) GetReadiness(ctx context.Context, _ api.GetReadinessRequestObject) (api.GetReadinessResponseObject, error) {
	if err := s.pinger.Ping(ctx); err != nil {
		return nil, &Error{Code: Unavailable, Message: "The database is unavailable; try again later.", Err: err}
	}
	return api.GetReadiness200JSONResponse{HealthyJSONResponse: api.HealthyJSONResponse{Status: "ok"}}, nil
}

func toAPI(p db.Post) api.Post {
	content := nullable.NewNullNullable[string]()
	if p.Content != nil {
		content.Set(*p.Content)
	}
	return api.Post{
		Id:          p.ID,
		Title:       p.Title,
		Content:     content,
		AuthorEmail: openapi_types.Email(p.AuthorEmail),
		CreatedAt:   p.CreatedAt.UTC(),
		UpdatedAt:   p.UpdatedAt.UTC(),
	}
}

// valueOrNil maps an absent or null field to SQL NULL.
func valueOrNil(v nullable.Nullable[string]) *string {
	if s, err := v.Get(); err == nil {
		return &s
	}
	return nil
}

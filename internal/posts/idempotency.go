package posts

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/posts-api/posts/gen/api"
	"github.com/posts-api/posts/gen/db"
)

// createIdempotently creates a post once per Idempotency-Key
// (draft-ietf-httpapi-idempotency-key-header). In one transaction it takes
// a lock on the key (a second request with the key while this one is in
// flight gets 409), replays the stored response if the key was used with
// the same body (422 if with another), and otherwise creates the post and
// stores the response with it: both land, or neither does.
func (s *Server) createIdempotently(ctx context.Context, key string, params db.CreatePostParams) (_ api.CreatedJSONResponse, err error) {
	fingerprint := requestFingerprint(params)
	tx, err := s.database.Begin(ctx)
	if err != nil {
		return api.CreatedJSONResponse{}, fromDatabase(err, "begin create with idempotency key")
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	q := s.queries.WithTx(tx)

	locked, err := q.TryLockIdempotencyKey(ctx, key)
	if err != nil {
		return api.CreatedJSONResponse{}, fromDatabase(err, "lock idempotency key")
	}
	if !locked {
		return api.CreatedJSONResponse{}, errKeyInFlight
	}
	stored, err := q.GetIdempotencyKey(ctx, key)
	switch {
	case err == nil:
		if string(stored.Fingerprint) != string(fingerprint) {
			return api.CreatedJSONResponse{}, errKeyReused
		}
		var post api.Post
		if err := json.Unmarshal(stored.Response, &post); err != nil {
			return api.CreatedJSONResponse{}, &Error{Code: Internal, Message: "An unexpected error occurred.", Err: err}
		}
		_ = tx.Rollback(ctx) // nothing was written
		return created(post, 1), nil
	case !errors.Is(err, pgx.ErrNoRows):
		return api.CreatedJSONResponse{}, fromDatabase(err, "read idempotency key")
	}

	row, err := q.CreatePost(ctx, params)
	if err != nil {
		return api.CreatedJSONResponse{}, fromDatabase(err, "create post")
	}
	response := created(toAPI(row), row.Version)
	body, err := json.Marshal(response.Body)
	if err != nil {
		return api.CreatedJSONResponse{}, &Error{Code: Internal, Message: "An unexpected error occurred.", Err: err}
	}
	err = q.SaveIdempotencyKey(ctx, db.SaveIdempotencyKeyParams{
		Key: key, Fingerprint: fingerprint, StatusCode: http.StatusCreated, Response: body, TtlSeconds: s.idempotencyTTL.Seconds(),
	})
	if err != nil {
		return api.CreatedJSONResponse{}, fromDatabase(err, "save idempotency key")
	}
	if err := tx.Commit(ctx); err != nil {
		return api.CreatedJSONResponse{}, fromDatabase(err, "commit create with idempotency key")
	}
	return response, nil
}

// requestFingerprint identifies a create request by what it asks for, so
// that a retry matches whatever its JSON spacing, key order, or whether it
// spells an absent content as null.
func requestFingerprint(p db.CreatePostParams) []byte {
	canonical, _ := json.Marshal(struct {
		Title       string  `json:"title"`
		Content     *string `json:"content"`
		AuthorEmail string  `json:"authorEmail"`
	}{p.Title, p.Content, p.AuthorEmail})
	sum := sha256.Sum256(canonical)
	return sum[:]
}

// DeleteExpiredIdempotencyKeys removes the keys past their 24 hours and
// says how many there were.
func (s *Server) DeleteExpiredIdempotencyKeys(ctx context.Context) (int64, error) {
	n, err := s.queries.DeleteExpiredIdempotencyKeys(ctx)
	if err != nil {
		return 0, fromDatabase(err, "delete expired idempotency keys")
	}
	return n, nil
}

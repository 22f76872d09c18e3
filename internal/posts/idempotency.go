package posts

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/posts-api/posts/gen/db"
)

// createIdempotently creates a post once per Idempotency-Key
// (draft-ietf-httpapi-idempotency-key-header). In one transaction it takes
// a lock on the key (a second request with the key while this one is in
// flight gets 409), replays the stored response if the key was used with
// the same body (422 if with another), and otherwise creates the post and
// stores the response with it: both land, or neither does.
func (s *Server) createIdempotently(ctx context.Context, key string, params db.CreatePostParams) (_ postResponse, err error) {
	fingerprint := requestFingerprint(params)
	tx, err := s.database.Begin(ctx)
	if err != nil {
		return postResponse{}, fromDatabase(err, "begin create with idempotency key")
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	q := s.queries.WithTx(tx)

	locked, err := q.TryLockIdempotencyKey(ctx, key)
	if err != nil {
		return postResponse{}, fromDatabase(err, "lock idempotency key")
	}
	if !locked {
		return postResponse{}, errKeyInFlight
	}
	stored, err := q.GetIdempotencyKey(ctx, key)
	switch {
	case err == nil:
		if string(stored.Fingerprint) != string(fingerprint) {
			return postResponse{}, errKeyReused
		}
		_ = tx.Rollback(ctx) // nothing was written
		return replay(stored)

	case !errors.Is(err, pgx.ErrNoRows):
		return postResponse{}, fromDatabase(err, "read idempotency key")
	}

	row, err := q.CreatePost(ctx, params)
	if err != nil {
		return postResponse{}, fromDatabase(err, "create post")
	}
	response := created(row)
	response.raw = encodePost(response.post) // stored, and sent as it is: encoded once
	err = q.SaveIdempotencyKey(ctx, db.SaveIdempotencyKeyParams{
		Key: key, Fingerprint: fingerprint, StatusCode: int32(response.status), Response: response.raw, TtlSeconds: idempotencyKeyTTL.Seconds(),
	})
	if err != nil {
		return postResponse{}, fromDatabase(err, "save idempotency key")
	}
	if err := tx.Commit(ctx); err != nil {
		return postResponse{}, fromDatabase(err, "commit create with idempotency key")
	}
	return response, nil
}

// replay rebuilds the original response from what was stored: the same
// status and body, and the Location and ETag that the original carried.
func replay(stored *db.IdempotencyKey) (postResponse, error) {
	var post postJSON
	if err := json.Unmarshal(stored.Response, &post); err != nil {
		return postResponse{}, unexpected(err)
	}
	return postResponse{
		status:   int(stored.StatusCode),
		etag:     etag(1), // a post is created at version 1
		location: "/posts/" + post.ID.String(),
		raw:      stored.Response,
	}, nil
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

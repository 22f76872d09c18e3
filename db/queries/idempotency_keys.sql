-- name: TryLockIdempotencyKey :one
-- Held until the transaction ends: a second request with the same key finds
-- it taken while the first is in flight, instead of waiting for it.
SELECT pg_try_advisory_xact_lock(hashtextextended(@key::text, 0))::boolean AS locked;

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys
WHERE key = @key AND expires_at > now();

-- name: SaveIdempotencyKey :exec
-- An expired row with the same key may still be there: it is replaced.
INSERT INTO idempotency_keys (key, fingerprint, status_code, response, expires_at)
VALUES (@key, @fingerprint, @status_code, @response, now() + make_interval(secs => @ttl_seconds::double precision))
ON CONFLICT (key) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint,
    status_code = EXCLUDED.status_code,
    response    = EXCLUDED.response,
    created_at  = now(),
    expires_at  = EXCLUDED.expires_at;

-- name: DeleteExpiredIdempotencyKeys :execrows
DELETE FROM idempotency_keys
WHERE expires_at <= now();

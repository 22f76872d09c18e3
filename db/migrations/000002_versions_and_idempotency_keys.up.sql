-- version is the post's ETag: it grows by one with every change.
ALTER TABLE posts ADD COLUMN version bigint NOT NULL DEFAULT 1;

-- Responses to create requests sent with an Idempotency-Key, so that a retry
-- replays the original response, also after a restart. A key is written in
-- the same transaction as the post it created.
CREATE TABLE idempotency_keys (
    key         text        PRIMARY KEY,
    fingerprint bytea       NOT NULL, -- SHA-256 of the request body, canonicalised
    status_code integer     NOT NULL,
    response    bytea       NOT NULL, -- the response body, byte for byte
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);

-- name: CreatePost :one
INSERT INTO posts (id, title, content, author_email)
VALUES (@id, @title, @content, @author_email)
RETURNING *;

-- name: CreatePosts :many
-- Several posts in one statement and one commit (internal/posts/batch.go),
-- the rows given as parallel arrays. A row whose title is taken, by a post
-- or by an earlier row of the same statement, is skipped: it returns no row.
-- has_content tells a NULL content from an empty one, as sqlc's text[]
-- parameter cannot hold NULL elements.
INSERT INTO posts (id, title, content, author_email)
SELECT new.id, new.title, CASE WHEN new.has_content THEN new.content END, new.author_email
FROM (
    SELECT unnest(@ids::uuid[])            AS id,
           unnest(@titles::text[])         AS title,
           unnest(@contents::text[])       AS content,
           unnest(@has_content::boolean[]) AS has_content,
           unnest(@author_emails::text[])  AS author_email
) AS new
ON CONFLICT (title) DO NOTHING
RETURNING *;

-- name: GetPost :one
SELECT * FROM posts
WHERE id = @id;

-- name: ListFirstPosts :many
-- The newest posts: the first page, one range scan of posts_created_at_id_idx.
SELECT * FROM posts
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

-- name: ListPosts :many
-- Keyset pagination: the page strictly after (after_created_at, after_id),
-- newest first; one range scan of posts_created_at_id_idx, however deep.
SELECT * FROM posts
WHERE (created_at, id) < (@after_created_at::timestamptz, @after_id::uuid)
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

-- name: ListFirstPostsByAuthor :many
-- As ListFirstPosts, for one author: one range scan of posts_author_email_created_at_id_idx.
SELECT * FROM posts
WHERE author_email = @author_email
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

-- name: ListPostsByAuthor :many
-- As ListPosts, for one author.
SELECT * FROM posts
WHERE author_email = @author_email
  AND (created_at, id) < (@after_created_at::timestamptz, @after_id::uuid)
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

-- name: UpdatePost :one
-- Absent fields keep their value; set_content distinguishes "clear content"
-- from "leave content alone". updated_at and version move only when
-- something changes. With check_version, only a post whose version is one
-- of versions is updated (If-Match); no row then means "gone or changed".
-- Every new value is computed from the row being updated (not from a
-- snapshot), so that concurrent updates of different fields both survive.
UPDATE posts AS p
SET title        = coalesce(sqlc.narg(title), p.title),
    content      = CASE WHEN @set_content::boolean THEN sqlc.narg(content) ELSE p.content END,
    author_email = coalesce(sqlc.narg(author_email), p.author_email),
    updated_at   = CASE WHEN (coalesce(sqlc.narg(title), p.title),
                         CASE WHEN @set_content::boolean THEN sqlc.narg(content) ELSE p.content END,
                         coalesce(sqlc.narg(author_email), p.author_email))
                        IS DISTINCT FROM (p.title, p.content, p.author_email)
                   THEN now() ELSE p.updated_at END,
    version      = CASE WHEN (coalesce(sqlc.narg(title), p.title),
                         CASE WHEN @set_content::boolean THEN sqlc.narg(content) ELSE p.content END,
                         coalesce(sqlc.narg(author_email), p.author_email))
                        IS DISTINCT FROM (p.title, p.content, p.author_email)
                   THEN p.version + 1 ELSE p.version END
WHERE p.id = @id
  AND (NOT @check_version::boolean OR p.version = ANY(@versions::bigint[]))
RETURNING *;

-- name: DeletePost :execrows
-- With check_version, only a post whose version is one of versions (If-Match).
DELETE FROM posts
WHERE id = @id
  AND (NOT @check_version::boolean OR version = ANY(@versions::bigint[]));

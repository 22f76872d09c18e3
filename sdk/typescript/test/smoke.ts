// Drives a live server through the typed client: create, get, list two
// pages, patch, delete, and typed 400 and 409 problems.
// Usage: node dist/test/smoke.js http://127.0.0.1:3000
import assert from "node:assert/strict";
import { createPostsClient, type Post, type Problem } from "../src/index.js";

const baseUrl = process.argv[2];
if (!baseUrl) {
  throw new Error("usage: smoke.js <base URL>");
}
const api = createPostsClient(baseUrl);
const run = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
const author = `ts-${run}@example.com`;

async function create(title: string): Promise<Post> {
  const { data, error, response } = await api.POST("/posts", {
    body: { title, authorEmail: author, content: "from the TypeScript SDK" },
  });
  assert.equal(response.status, 201, JSON.stringify(error));
  assert.ok(data);
  assert.equal(response.headers.get("Location"), `/posts/${data.id}`);
  return data;
}

const created: Post[] = [];
for (let i = 0; i < 3; i++) {
  created.push(await create(`TypeScript ${run} #${i}`));
}
const first = created[0]!;

// Get, and its ETag.
const got = await api.GET("/posts/{postId}", { params: { path: { postId: first.id } } });
assert.equal(got.response.status, 200);
assert.deepEqual(got.data, first);
const etag = got.response.headers.get("ETag");
assert.ok(etag);

// Two pages of two, newest first.
const page1 = await api.GET("/posts", { params: { query: { limit: 2, authorEmail: author } } });
assert.equal(page1.response.status, 200);
assert.deepEqual(page1.data?.items.map((p) => p.id), [created[2]!.id, created[1]!.id]);
assert.ok(page1.data?.nextCursor);
const page2 = await api.GET("/posts", { params: { query: { limit: 2, authorEmail: author, cursor: page1.data.nextCursor } } });
assert.deepEqual(page2.data?.items.map((p) => p.id), [first.id]);
assert.equal(page2.data?.nextCursor, null);

// Patch with If-Match; content: null clears.
const patched = await api.PATCH("/posts/{postId}", {
  params: { path: { postId: first.id }, header: { "If-Match": etag } },
  body: { title: `TypeScript ${run} renamed`, content: null },
});
assert.equal(patched.response.status, 200, JSON.stringify(patched.error));
assert.equal(patched.data?.title, `TypeScript ${run} renamed`);
assert.equal(patched.data?.content, null);

// Typed problems: 400 with field errors, 409 for a taken title.
const invalid = await api.POST("/posts", { body: { title: "", authorEmail: "not an email" } });
assert.equal(invalid.response.status, 400);
const problem: Problem | undefined = invalid.error;
assert.equal(problem?.status, 400);
assert.deepEqual(problem?.errors?.map((e) => e.pointer).sort(), ["#/authorEmail", "#/title"]);

const taken = await api.POST("/posts", { body: { title: created[1]!.title, authorEmail: author } });
assert.equal(taken.response.status, 409);
assert.equal(taken.error?.title, "Conflict");

// Delete, then it is gone.
for (const post of created) {
  const deleted = await api.DELETE("/posts/{postId}", { params: { path: { postId: post.id } } });
  assert.equal(deleted.response.status, 204);
}
const gone = await api.GET("/posts/{postId}", { params: { path: { postId: first.id } } });
assert.equal(gone.response.status, 404);
assert.equal(gone.error?.status, 404);

console.log("typescript sdk smoke: ok");

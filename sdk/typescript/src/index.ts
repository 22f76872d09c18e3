// Typed client for the Posts API. The types come from src/schema.d.ts,
// which `make sdk` generates from api/openapi.yaml; nothing here is written
// by hand but this thin wrapper.
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
export type Post = components["schemas"]["Post"];
export type NewPost = components["schemas"]["NewPost"];
export type PostPatch = components["schemas"]["PostPatch"];
export type PostPage = components["schemas"]["PostPage"];
export type Problem = components["schemas"]["Problem"];
export type PostsClient = Client<paths>;

/** Creates a client for the Posts API at baseUrl (e.g. the gateway URL). */
export function createPostsClient(baseUrl: string, options: Omit<ClientOptions, "baseUrl"> = {}): PostsClient {
  return createClient<paths>({ ...options, baseUrl });
}

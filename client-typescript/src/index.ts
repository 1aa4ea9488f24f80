/**
 * A typed client for the contact-channels API (Stack Auth's contact-channel API).
 *
 * The types come from the committed spec, `openapi/contact-channels.json`, through
 * openapi-typescript (`src/schema.d.ts`); the calls are openapi-fetch's.
 *
 * @packageDocumentation
 */

import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths };

/** The body of every error response: a stable `code`, a message, and sometimes `details`. */
export type ApiError = components["schemas"]["Error"];

/** Which of the project's keys the caller holds, sent as `x-stack-access-type`. */
export type AccessType = "client" | "server" | "admin";

/** Where the API is and how to authenticate; each request carries them as Stack Auth's headers. */
export interface ContactChannelsClientOptions {
  /** The server's URL, without `/api/v1` (for example `http://127.0.0.1:8102`). */
  baseUrl: string;
  /** The project's id, sent as `x-stack-project-id`. */
  projectId: string;
  /**
   * `client`: a browser or app acting for one signed-in user (publishable client key and access
   * token); `server`: a trusted backend (secret server key); `admin`: the project's administrator
   * (super secret admin key).
   */
  accessType: AccessType;
  /** Sent as `x-stack-publishable-client-key`; for client access. */
  publishableClientKey?: string;
  /** Sent as `x-stack-secret-server-key`; for server access. */
  secretServerKey?: string;
  /** Sent as `x-stack-super-secret-admin-key`; for admin access. */
  superSecretAdminKey?: string;
  /** A signed-in user's access token, sent as `x-stack-access-token`. */
  accessToken?: string;
  /** A session's refresh token, sent as `x-stack-refresh-token` (for the session refresh). */
  refreshToken?: string;
}

/** The typed client: one method per HTTP method, taking the spec's paths. */
export type ContactChannelsClient = Client<paths>;

/**
 * A client whose every request carries Stack Auth's headers for `options`. Calls answer
 * `{ data, error, response }`: `data` typed by the operation's success response, `error` by its
 * error responses (an {@link ApiError}).
 *
 * @example
 * ```ts
 * const api = createContactChannelsClient({
 *   baseUrl: "http://127.0.0.1:8102",
 *   projectId,
 *   accessType: "server",
 *   secretServerKey,
 * });
 * const { data, error } = await api.PATCH(
 *   "/api/v1/contact-channels/{user_id}/{contact_channel_id}",
 *   {
 *     params: { path: { user_id: userId, contact_channel_id: channelId } },
 *     body: { is_primary: true },
 *   },
 * );
 * ```
 */
export function createContactChannelsClient(
  options: ContactChannelsClientOptions,
): ContactChannelsClient {
  const headers: Record<string, string | undefined> = {
    "x-stack-project-id": options.projectId,
    "x-stack-access-type": options.accessType,
    "x-stack-publishable-client-key": options.publishableClientKey,
    "x-stack-secret-server-key": options.secretServerKey,
    "x-stack-super-secret-admin-key": options.superSecretAdminKey,
    "x-stack-access-token": options.accessToken,
    "x-stack-refresh-token": options.refreshToken,
  };
  // openapi-fetch leaves out headers whose value is undefined.
  return createClient<paths>({ baseUrl: options.baseUrl, headers });
}

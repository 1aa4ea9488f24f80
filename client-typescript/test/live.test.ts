// The client against a real server: typed bodies, Stack Auth's headers, typed errors.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import {
  createContactChannelsClient,
  type ApiError,
  type components,
  type ContactChannelsClient,
} from "contact-channels-client";
import { startServer, type Server } from "./server.js";

type ContactChannel = components["schemas"]["ContactChannel"];

let server: Server;
/** Server access: the secret server key. */
let api: ContactChannelsClient;

before(
  async () => {
    server = await startServer();
    api = createContactChannelsClient({
      baseUrl: server.url,
      projectId: server.project_id,
      accessType: "server",
      secretServerKey: server.secret_server_key,
    });
  },
  { timeout: 30_000 },
);

after(() => server?.stop());

/** A new user with one email channel, created with server access. */
async function userWithChannel(
  value: string,
): Promise<{ userId: string; channel: ContactChannel }> {
  const user = await api.POST("/api/v1/users", { body: { display_name: "Ada" } });
  assert.equal(user.response.status, 201, JSON.stringify(user.error));
  assert.ok(user.data);
  const channel = await api.POST("/api/v1/contact-channels", {
    body: { user_id: user.data.id, value, type: "email", used_for_auth: false },
  });
  assert.equal(channel.response.status, 201, JSON.stringify(channel.error));
  assert.ok(channel.data);
  return { userId: user.data.id, channel: channel.data };
}

test("server access creates a user and a channel, and updates the channel", async () => {
  const { userId, channel } = await userWithChannel("ada@example.com");
  assert.deepEqual(channel, {
    id: channel.id,
    user_id: userId,
    value: "ada@example.com",
    type: "email",
    used_for_auth: false,
    is_verified: false,
    is_primary: false,
  });

  const { data, error } = await api.PATCH(
    "/api/v1/contact-channels/{user_id}/{contact_channel_id}",
    {
      params: { path: { user_id: userId, contact_channel_id: channel.id } },
      body: { value: "ada.lovelace@example.com", used_for_auth: true, is_primary: true },
    },
  );
  assert.equal(error, undefined);
  assert.deepEqual(data, {
    ...channel,
    value: "ada.lovelace@example.com",
    used_for_auth: true,
    is_primary: true,
  });
});

test("client access lists the signed-in user's channels with user_id=me", async () => {
  const { userId, channel } = await userWithChannel("grace@example.com");
  const session = await api.POST("/api/v1/auth/sessions", { body: { user_id: userId } });
  assert.ok(session.data, JSON.stringify(session.error));

  const client = createContactChannelsClient({
    baseUrl: server.url,
    projectId: server.project_id,
    accessType: "client",
    publishableClientKey: server.publishable_client_key,
    accessToken: session.data.access_token,
  });
  const { data, error } = await client.GET("/api/v1/contact-channels", {
    params: { query: { user_id: "me" } },
  });
  assert.equal(error, undefined);
  assert.deepEqual(data, { is_paginated: false, items: [channel] });
});

test("errors come back as the spec's Error", async () => {
  const { userId } = await userWithChannel("edsger@example.com");

  const missing = await api.GET("/api/v1/contact-channels/{user_id}/{contact_channel_id}", {
    params: { path: { user_id: userId, contact_channel_id: randomUUID() } },
  });
  assert.equal(missing.response.status, 404);
  assert.equal(missing.data, undefined);
  const notFound: ApiError | undefined = missing.error;
  assert.equal(notFound?.code, "CONTACT_CHANNEL_NOT_FOUND");
  assert.equal(typeof notFound.error, "string");

  const invalid = await api.POST("/api/v1/contact-channels", {
    body: { user_id: userId, value: "not an address", type: "email", used_for_auth: false },
  });
  assert.equal(invalid.response.status, 400);
  assert.equal(invalid.error?.code, "SCHEMA_ERROR");
});

// Stack Auth's own SDK interfaces (@stackframe/stack-shared, MIT) against the real server, once
// per header dialect: server access, client access as `me`, token refresh, sign-out and typed
// errors, each through the SDK's code rather than requests of our own.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DIALECTS, load } from "./dialects.js";
import { startServer } from "./server.js";

let server;
before(async () => {
  server = await startServer();
});
after(() => server?.stop());

/** Every request the SDK makes, with what the server answered before the SDK read it. */
let sent = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  // The SDK probes public hosts when a request fails (runNetworkDiagnostics): refused here so
  // that a failure reports at once and the test reaches nothing but the server under test.
  if (url.origin !== new URL(server.url).origin) {
    throw new TypeError(`sdk-compat: a request outside the server under test: ${url}`);
  }
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : {}));
  const response = await realFetch(input, init);
  sent.push({
    method: (init.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase(),
    path: url.pathname + url.search,
    headers,
    status: response.status,
    responseHeaders: response.headers,
  });
  return response;
};

const TOKEN_PATH = "/api/v1/auth/oauth/token";
const HOUR = 60 * 60 * 1000;

/** The payload of a JWT, unverified. */
function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
}

/** The error `promise` rejects with; fails if it resolves. */
async function rejection(promise) {
  try {
    const value = await promise;
    assert.fail(`expected an error, got ${JSON.stringify(value)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    return e;
  }
}

for (const dialect of DIALECTS) {
  const p = dialect.prefix;
  const other = DIALECTS.find((d) => d !== dialect).prefix;

  describe(`${p} dialect (@stackframe/stack-shared ${dialect.version})`, () => {
    let sdk;
    /** Server access: the secret server key. */
    let api;
    /** Client access: the publishable client key, signed in through sessions. */
    let client;
    const requests = [];

    before(async () => {
      sdk = await load(dialect);
      const options = {
        clientVersion: "contact-channels-sdk-compat",
        getBaseUrl: () => server.url,
        getApiUrls: () => [server.url],
        extraRequestHeaders: {},
        projectId: server.project_id,
        publishableClientKey: server.publishable_client_key,
      };
      api = new sdk.ServerInterface({ ...options, secretServerKey: server.secret_server_key });
      client = new sdk.ClientInterface(options);
    });

    // Each step starts with an empty log and keeps its requests for the dialect's header check.
    const step = (name, fn) =>
      test(`${p}: ${name}`, { timeout: 60_000 }, async () => {
        sent = [];
        try {
          await fn();
        } finally {
          requests.push(...sent);
        }
      });

    const newUser = async (name) => (await api.createServerUser({ display_name: name })).id;
    const newChannel = (userId, value, usedForAuth = false) =>
      api.createServerContactChannel({
        user_id: userId,
        value,
        type: "email",
        used_for_auth: usedForAuth,
      });
    /** A session as the SDK keeps one: the server interface's tokens, refreshed by the client. */
    const signIn = async (userId) => {
      const tokens = await api.createServerUserSession(userId, HOUR);
      const session = client.createSession(tokens);
      assert.ok(session instanceof sdk.InternalSession);
      return { ...tokens, session };
    };

    step("server access: a user, then channels created, updated, listed, deleted", async () => {
      const userId = await newUser("Ada");
      const channel = await newChannel(userId, `ada-${p}@example.com`);
      assert.deepEqual(channel, {
        id: channel.id,
        user_id: userId,
        value: `ada-${p}@example.com`,
        type: "email",
        used_for_auth: false,
        is_verified: false,
        is_primary: false,
      });
      const updated = await api.updateServerContactChannel(userId, channel.id, {
        value: `ada.lovelace-${p}@example.com`,
        is_primary: true,
      });
      assert.deepEqual(updated, {
        ...channel,
        value: `ada.lovelace-${p}@example.com`,
        is_primary: true,
      });
      const second = await newChannel(userId, `countess-${p}@example.com`);
      assert.deepEqual(await api.listServerContactChannels(userId), [updated, second]);
      await api.deleteServerContactChannel(userId, channel.id);
      assert.deepEqual(await api.listServerContactChannels(userId), [second]);
    });

    step("client access as me creates, updates, lists and deletes channels", async () => {
      const userId = await newUser("Grace");
      const { session } = await signIn(userId);
      const channel = await client.createClientContactChannel(
        { user_id: "me", value: `grace-${p}@example.com`, type: "email", used_for_auth: false },
        session,
      );
      assert.equal(channel.user_id, userId);
      const updated = await client.updateClientContactChannel(
        channel.id,
        { value: `grace.hopper-${p}@example.com`, used_for_auth: true },
        session,
      );
      assert.deepEqual(updated, {
        ...channel,
        value: `grace.hopper-${p}@example.com`,
        used_for_auth: true,
      });
      assert.deepEqual(await client.listClientContactChannels(session), [updated]);
      await client.deleteClientContactChannel(channel.id, session);
      assert.deepEqual(await client.listClientContactChannels(session), []);
      // The SDK took the server's access token as valid: it never had to refresh it.
      assert.deepEqual(
        sent.filter((r) => r.path === TOKEN_PATH),
        [],
        "the SDK refreshed a freshly minted access token: it rejects its claims",
      );
    });

    step("user.createSession()'s body (is_impersonation: false) makes a session", async () => {
      // What the SDK's server app sends for `user.createSession()`: a year, not an impersonation.
      const userId = await newUser("Barbara");
      const tokens = await api.createServerUserSession(userId, 365 * 24 * HOUR, false);
      assert.equal(claims(tokens.accessToken).sub, userId);
      assert.equal(typeof tokens.refreshToken, "string");
    });

    step("fetchNewAccessToken mints an access token for the refresh token's user", async () => {
      const userId = await newUser("Edsger");
      const channel = await newChannel(userId, `edsger-${p}@example.com`);
      const { refreshToken } = await signIn(userId);
      const fresh = await client.fetchNewAccessToken(new sdk.RefreshToken(refreshToken));
      assert.ok(fresh, "fetchNewAccessToken answered null: the server refused the refresh token");
      assert.equal(fresh.payload.sub, userId);
      assert.equal(fresh.payload.project_id, server.project_id);
      assert.ok(!fresh.isExpired());
      const token = sent.find((r) => r.path === TOKEN_PATH);
      assert.equal(token?.method, "POST");
      assert.match(token.headers.get("content-type"), /^application\/x-www-form-urlencoded/);
      // The new token works on its own.
      const session = client.createSession({ accessToken: fresh.token, refreshToken: null });
      assert.deepEqual(await client.listClientContactChannels(session), [channel]);
    });

    step("a session without an access token refreshes itself on its next request", async () => {
      const userId = await newUser("Alan");
      const channel = await newChannel(userId, `alan-${p}@example.com`);
      const { refreshToken } = await signIn(userId);
      const from = sent.length;
      const session = client.createSession({ accessToken: null, refreshToken });
      assert.deepEqual(await client.listClientContactChannels(session), [channel]);
      assert.deepEqual(
        sent.slice(from).map((r) => `${r.method} ${r.path}`),
        [`POST ${TOKEN_PATH}`, "GET /api/v1/contact-channels?user_id=me"],
      );
      assert.equal(claims(sent[from + 1].headers.get(`${p}-access-token`)).sub, userId);
    });

    step("an access token the server rejects is refreshed and the request repeated", async () => {
      const userId = await newUser("Hedy");
      const channel = await newChannel(userId, `hedy-${p}@example.com`);
      const { accessToken, refreshToken } = await signIn(userId);
      // Claims the SDK accepts, a signature the server does not: the SDK learns the token is
      // bad only from the server's answer, as with one that expired or was revoked.
      const parts = accessToken.split(".");
      const signature = `${parts[2].startsWith("A") ? "B" : "A"}${parts[2].slice(1)}`;
      const forged = `${parts[0]}.${parts[1]}.${signature}`;
      const from = sent.length;
      const session = client.createSession({ accessToken: forged, refreshToken });
      assert.deepEqual(await client.listClientContactChannels(session), [channel]);
      assert.deepEqual(
        sent.slice(from).map((r) => `${r.method} ${r.path}`),
        [
          "GET /api/v1/contact-channels?user_id=me",
          `POST ${TOKEN_PATH}`,
          "GET /api/v1/contact-channels?user_id=me",
        ],
      );
      assert.equal(sent[from].headers.get(`${p}-access-token`), forged);
      assert.equal(sent[from].responseHeaders.get(`${p}-known-error`), "UNPARSABLE_ACCESS_TOKEN");
      assert.equal(claims(sent[from + 2].headers.get(`${p}-access-token`)).sub, userId);
    });

    step("signOut ends the session: its refresh token then mints nothing", async () => {
      const userId = await newUser("Radia");
      const { refreshToken, session } = await signIn(userId);
      // Before: the refresh token works, so null afterwards means signed out.
      assert.ok(await client.fetchNewAccessToken(new sdk.RefreshToken(refreshToken)));
      const from = sent.length;
      await client.signOut(session);
      assert.ok(session.isKnownToBeInvalid());
      // signOut ignores a refresh-token error: the server must have answered a success.
      const signOut = sent.slice(from).find((r) => r.method === "DELETE");
      assert.equal(signOut?.path, "/api/v1/auth/sessions/current");
      assert.equal(signOut.headers.get(`${p}-refresh-token`), refreshToken);
      assert.equal(signOut.status, 200, `DELETE answered ${signOut.status}`);
      assert.equal(signOut.responseHeaders.get(`${p}-known-error`), null);
      assert.equal(await client.fetchNewAccessToken(new sdk.RefreshToken(refreshToken)), null);
    });

    step("a value another user signs in with is the SDK's KnownError", async () => {
      const value = `shared-${p}@example.com`;
      await newChannel(await newUser("First"), value, true);
      const second = await newUser("Second");
      const { session } = await signIn(second);
      const expectKnown = (e) => {
        const type = sdk.KnownErrors.ContactChannelAlreadyUsedForAuthBySomeoneElse;
        assert.ok(type.isInstance(e), String(e));
        assert.ok(e instanceof sdk.KnownError);
        assert.equal(e.errorCode, "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE");
        assert.equal(e.statusCode, 409);
        assert.deepEqual(e.details, {
          type: "email",
          contact_channel_value: value,
          would_work_if_email_was_verified: false,
        });
      };
      expectKnown(await rejection(newChannel(second, value, true)));
      expectKnown(
        await rejection(
          client.createClientContactChannel(
            { user_id: "me", value, type: "email", used_for_auth: true },
            session,
          ),
        ),
      );
      assert.deepEqual(await api.listServerContactChannels(second), []);
    });

    step("an error the SDK does not know throws with its status, not as a success", async () => {
      const userId = await newUser("Donald");
      await newChannel(userId, `donald-${p}@example.com`);
      const e = await rejection(newChannel(userId, `donald-${p}@example.com`));
      assert.ok(!(e instanceof sdk.KnownError), String(e));
      assert.match(e.message, /: 409 \{.*"code":"CONTACT_CHANNEL_ALREADY_EXISTS"/s);
    });

    step(`errors answer 200 with ${p}-actual-status, as the SDK asks`, async () => {
      const userId = await newUser("Frances");
      await newChannel(userId, `frances-${p}@example.com`);
      await rejection(newChannel(userId, `frances-${p}@example.com`));
      const answer = sent.at(-1);
      assert.equal(answer.headers.get(`${p}-override-error-status`), "true");
      assert.equal(answer.status, 200);
      assert.equal(answer.responseHeaders.get(`${p}-actual-status`), "409");
    });

    step(`every request carried the ${p}-* headers and none of ${other}-*`, () => {
      // Not the token endpoint (oauth4webapi's form post) nor the SDK's /health diagnostics.
      const calls = requests.filter((r) => r.path.startsWith("/api/v1/") && r.path !== TOKEN_PATH);
      assert.ok(calls.length > 20, `only ${calls.length} requests recorded`);
      for (const r of calls) {
        const what = `${r.method} ${r.path}`;
        for (const name of ["project-id", "access-type", "client-version", "random-nonce"]) {
          assert.ok(r.headers.get(`${p}-${name}`), `${what} lacks ${p}-${name}`);
        }
        assert.equal(r.headers.get(`${p}-override-error-status`), "true", what);
        const key = r.headers.get(`${p}-publishable-client-key`);
        assert.equal(key, server.publishable_client_key, what);
        const foreign = [...r.headers.keys()].filter((h) => h.startsWith(`${other}-`));
        assert.deepEqual(foreign, [], what);
      }
      const access = (r) => r.headers.get(`${p}-access-type`);
      assert.ok(calls.some((r) => r.headers.get(`${p}-secret-server-key`) === server.secret_server_key));
      assert.ok(calls.some((r) => access(r) === "client" && r.headers.get(`${p}-access-token`)));
    });
  });
}

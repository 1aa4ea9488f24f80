//! What a browser app and Stack Auth's SDK need beyond the operations themselves: CORS on every
//! route, errors as 200 when the SDK asks, the OAuth refresh-token grant, and sign-out. Both
//! header dialects (`x-stack-`, `x-hexclave-`) wherever a header is read.

use contact_channels_tests::{raw_err, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const ORIGIN: &str = "http://127.0.0.1:9";

/// The headers the SDK sends on every request, which a preflight must allow.
const SDK_HEADERS: &str = "content-type, ngrok-skip-browser-warning, x-stack-project-id, \
    x-stack-access-type, x-stack-publishable-client-key, x-stack-access-token, \
    x-stack-refresh-token, x-stack-override-error-status, x-stack-client-version, \
    x-stack-random-nonce, x-stack-allow-anonymous-user";

#[tokio::test]
async fn every_route_answers_a_preflight_for_the_sdk_headers() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "a@example.com", false, false).await;
    let hexclave = SDK_HEADERS.replace("x-stack-", "x-hexclave-");
    let channel_path = format!("/api/v1/contact-channels/me/{}", channel.id);
    for (path, methods) in [
        ("/api/v1/contact-channels", "GET, POST"),
        (channel_path.as_str(), "DELETE, GET, PATCH"),
        ("/api/v1/contact-channels/verify", "POST"),
        ("/api/v1/auth/oauth/token", "POST"),
        ("/api/v1/auth/sessions/current", "DELETE"),
        ("/api/v1/users/me", "DELETE, GET"),
    ] {
        for requested in [SDK_HEADERS, hexclave.as_str()] {
            let response = reqwest::Client::new()
                .request(Method::OPTIONS, format!("{}{path}", t.url()))
                .header("origin", ORIGIN)
                .header("access-control-request-method", "PATCH")
                .header("access-control-request-headers", requested)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NO_CONTENT, "{path}");
            let h = response.headers();
            assert_eq!(h["access-control-allow-origin"], "*", "{path}");
            assert_eq!(h["access-control-allow-methods"], methods, "{path}");
            assert_eq!(h["access-control-allow-headers"], requested, "{path}");
            assert!(!h.contains_key("access-control-allow-credentials"));
        }
    }
}

#[tokio::test]
async fn responses_carry_allow_origin_and_expose_what_clients_read() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let cases = [
        (
            Method::GET,
            format!("/api/v1/contact-channels?user_id={user}"),
            200,
        ),
        (
            Method::GET,
            "/api/v1/contact-channels?user_id=nope".into(),
            400,
        ),
        (Method::PUT, "/api/v1/users".into(), 405),
        (Method::GET, "/healthz".into(), 200),
        (Method::GET, "/openapi.json".into(), 200),
    ];
    for (method, path, status) in cases {
        let response = t
            .raw(method, &path)
            .header("origin", ORIGIN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{path}");
        let h = response.headers();
        assert_eq!(h["access-control-allow-origin"], "*", "{path}");
        let exposed = h["access-control-expose-headers"].to_str().unwrap();
        for name in [
            "x-stack-known-error",
            "x-hexclave-known-error",
            "x-stack-actual-status",
            "x-hexclave-actual-status",
            "retry-after",
            "x-request-id",
        ] {
            assert!(exposed.contains(name), "{path}: {name} not in {exposed}");
        }
    }
}

#[tokio::test]
async fn errors_answer_200_with_the_real_status_only_when_asked() {
    let t = TestServer::start().await;
    for prefix in ["x-stack-", "x-hexclave-"] {
        let response = t
            .raw(Method::GET, "/api/v1/contact-channels?user_id=nope")
            .header(format!("{prefix}override-error-status"), "true")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{prefix}");
        let h = response.headers();
        assert_eq!(h["x-stack-actual-status"], "400", "{prefix}");
        assert_eq!(h["x-hexclave-actual-status"], "400", "{prefix}");
        assert_eq!(h["x-stack-known-error"], "SCHEMA_ERROR", "{prefix}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "SCHEMA_ERROR", "{prefix}");
    }
    // Successes, and requests that do not ask, keep their status.
    let user = t.user().await;
    let ok = t
        .raw(
            Method::GET,
            &format!("/api/v1/contact-channels?user_id={user}"),
        )
        .header("x-stack-override-error-status", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(!ok.headers().contains_key("x-stack-actual-status"));
    raw_err(t.raw(Method::GET, "/api/v1/contact-channels?user_id=nope"))
        .await
        .assert(400, "SCHEMA_ERROR");
}

/// Sends the OAuth refresh-token grant as the SDK does (form-encoded, client in the body).
async fn grant(t: &TestServer, form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/auth/oauth/token", t.url()))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A new session of a new user: the user id, and the refresh token.
async fn session(t: &TestServer) -> (String, String) {
    let user = t.user().await;
    let response = t
        .raw(Method::POST, "/api/v1/auth/sessions")
        .json(&serde_json::json!({ "user_id": user }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    (user, body["refresh_token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_refresh_token_grant_mints_an_access_token_for_the_session_user() {
    let t = TestServer::start().await;
    let (user, refresh) = session(&t).await;
    let keys = &t.keys;
    let response = grant(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &keys.project_id),
            ("client_secret", &keys.publishable_client_key),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(contact_channels_tests::jwt_claims(token)["sub"], user);
    // The token works as the user's.
    let me = t.with_token(token);
    let listed = me
        .list_contact_channels()
        .user_id("me")
        .send()
        .await
        .unwrap();
    assert!(listed.items.is_empty());
}

/// A table row: the case, the form sent, the status and OAuth error expected.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str);

#[tokio::test]
async fn oauth_errors_follow_rfc_6749_and_an_ended_session_is_stack_auths_error() {
    let t = TestServer::start().await;
    let (_, refresh) = session(&t).await;
    let (project, key) = (
        t.keys.project_id.as_str(),
        t.keys.publishable_client_key.as_str(),
    );
    let server_key = t.keys.secret_server_key.as_str();
    let cases: [Case; 6] = [
        (
            "no grant type",
            vec![("client_id", project), ("client_secret", key)],
            400,
            "invalid_request",
        ),
        (
            "no client",
            vec![("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            400,
            "invalid_request",
        ),
        (
            "a wrong key",
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", project),
                ("client_secret", server_key),
            ],
            401,
            "invalid_client",
        ),
        (
            "an unknown project",
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", "nope"),
                ("client_secret", key),
            ],
            401,
            "invalid_client",
        ),
        (
            "another grant",
            vec![
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("client_id", project),
                ("client_secret", key),
            ],
            400,
            "unsupported_grant_type",
        ),
        (
            "no refresh token",
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", project),
                ("client_secret", key),
            ],
            400,
            "invalid_request",
        ),
    ];
    for (case, form, status, error) in cases {
        let response = grant(&t, &form).await;
        assert_eq!(response.status(), status, "{case}");
        assert!(
            !response.headers().contains_key("x-stack-known-error"),
            "{case}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error, "{case}");
        assert!(body["error_description"].is_string(), "{case}");
    }
    let unknown = grant(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt_unknown"),
            ("client_id", project),
            ("client_secret", key),
        ],
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown.headers()["x-stack-known-error"],
        "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"
    );
    assert_eq!(unknown.headers()["cache-control"], "no-store");
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["code"], "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    assert_eq!(
        body["error"], "invalid_grant",
        "what any OAuth client reads"
    );
}

/// The token request exactly as oauth4webapi sends it, from a page on another origin.
#[tokio::test]
async fn the_token_endpoint_takes_oauth4webapis_request_and_answers_cross_origin() {
    let t = TestServer::start().await;
    let (_, refresh) = session(&t).await;
    let form = format!(
        "grant_type=refresh_token&refresh_token={refresh}&client_id={}&client_secret={}",
        t.keys.project_id, t.keys.publishable_client_key
    );
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/oauth/token", t.url()))
        .header(
            "content-type",
            "application/x-www-form-urlencoded;charset=UTF-8",
        )
        .header("accept", "application/json")
        .header("origin", ORIGIN)
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let body: Value = response.json().await.unwrap();
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn after_sign_out_the_refresh_token_mints_nothing() {
    let t = TestServer::start().await;
    for prefix in ["x-stack-", "x-hexclave-"] {
        let (user, refresh) = session(&t).await;
        let access = t.access_token(&user).await;
        let sign_out = || {
            reqwest::Client::new()
                .delete(format!("{}/api/v1/auth/sessions/current", t.url()))
                .header(format!("{prefix}project-id"), &t.keys.project_id)
                .header(format!("{prefix}access-type"), "client")
                .header(
                    format!("{prefix}publishable-client-key"),
                    &t.keys.publishable_client_key,
                )
                .header(format!("{prefix}access-token"), &access)
                .header(format!("{prefix}refresh-token"), &refresh)
                .json(&serde_json::json!({}))
        };
        let ended = sign_out().send().await.unwrap();
        assert_eq!(ended.status(), StatusCode::OK, "{prefix}");
        assert_eq!(ended.json::<Value>().await.unwrap()["success"], true);
        let keys = &t.keys;
        let refreshed = grant(
            &t,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", &keys.project_id),
                ("client_secret", &keys.publishable_client_key),
            ],
        )
        .await;
        assert_eq!(refreshed.status(), StatusCode::UNAUTHORIZED, "{prefix}");
        assert_eq!(
            refreshed.headers()["x-stack-known-error"],
            "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"
        );
        raw_err(sign_out())
            .await
            .assert(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    }
}

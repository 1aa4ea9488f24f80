//! What the router answers for requests no operation serves: the API's error body, 405 with
//! `Allow` on the spec's paths, 404 elsewhere; and nothing stored changes.

use contact_channels_tests::{raw_err, TestServer};
use reqwest::Method;

#[tokio::test]
async fn a_method_the_path_lacks_is_405_with_allow() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "kept@example.com", false, false).await;
    let before = t.stored().await;
    let channel_path = format!("/api/v1/contact-channels/{user}/{}", channel.id);
    let cases = [
        (
            Method::PUT,
            "/api/v1/contact-channels".to_owned(),
            "GET, POST",
        ),
        (
            Method::DELETE,
            "/api/v1/contact-channels".to_owned(),
            "GET, POST",
        ),
        // Beside the check-code route, which dropshot routes by the same node.
        (Method::POST, channel_path.clone(), "DELETE, GET, PATCH"),
        (Method::PUT, channel_path.clone(), "DELETE, GET, PATCH"),
        (Method::HEAD, channel_path.clone(), "DELETE, GET, PATCH"),
        (
            Method::GET,
            "/api/v1/contact-channels/verify/check-code".into(),
            "POST",
        ),
        (
            Method::DELETE,
            "/api/v1/contact-channels/verify/check-code".into(),
            "POST",
        ),
        (
            Method::PATCH,
            "/api/v1/contact-channels/verify/check-code".into(),
            "POST",
        ),
        (
            Method::GET,
            "/api/v1/contact-channels/verify".into(),
            "POST",
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{user}"),
            "DELETE, GET",
        ),
        (Method::GET, "/api/v1/auth/sessions".into(), "POST"),
        (Method::PUT, "/api/v1/users".into(), "POST"),
        (
            Method::GET,
            "/api/v1/auth/sessions/current".into(),
            "DELETE",
        ),
        (Method::GET, "/api/v1/auth/oauth/token".into(), "POST"),
        // The server's own documents, outside the spec.
        (Method::POST, "/openapi.json".into(), "GET"),
        (Method::HEAD, "/docs".into(), "GET"),
    ];
    for (method, path, allow) in cases {
        let response = t.raw(method.clone(), &path).send().await.unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        if method != Method::HEAD {
            let e = raw_err(t.raw(method.clone(), &path)).await;
            e.assert(405, "METHOD_NOT_ALLOWED");
            assert_eq!(
                e.details()["allowed"],
                serde_json::json!(allow.split(", ").collect::<Vec<_>>())
            );
        }
    }
    assert_eq!(t.stored().await, before);
}

#[tokio::test]
async fn a_path_outside_the_spec_is_404_in_the_api_error_body() {
    let t = TestServer::start().await;
    let user = t.user().await;
    for (method, path) in [
        (Method::GET, "/".to_owned()),
        (Method::GET, "/api/v1".to_owned()),
        (Method::POST, "/api/v1/auth".to_owned()),
        (Method::GET, "/api/v1/auth/oauth".to_owned()),
        // The verify route's node: only `verify` is a path of the spec there.
        (
            Method::POST,
            "/api/v1/contact-channels/not-verify".to_owned(),
        ),
        (Method::GET, format!("/api/v1/contact-channels/{user}")),
    ] {
        raw_err(t.raw(method, &path)).await.assert(404, "NOT_FOUND");
    }
}

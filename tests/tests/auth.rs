//! Who may do what: request headers, keys, access tokens and `me`, end to end.

use contact_channels_client::types::{ContactChannelCreate, ContactChannelUpdate, UserCreate};
use contact_channels_client::AccessType;
use contact_channels_tests::{err, jwt_claims, new_channel, raw_err, TestServer};
use reqwest::Method;
use std::time::Duration;

/// A request to list a user's channels with exactly these headers.
fn with_headers(t: &TestServer, headers: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let mut request =
        reqwest::Client::new().get(format!("{}/api/v1/contact-channels?user_id=me", t.url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
}

#[tokio::test]
async fn header_errors_come_in_stack_auths_order_with_their_details() {
    let t = TestServer::start().await;
    let project = t.keys.project_id.as_str();
    let server_key = t.keys.secret_server_key.as_str();

    raw_err(with_headers(
        &t,
        &[
            ("x-stack-project-id", project),
            ("x-stack-secret-server-key", server_key),
        ],
    ))
    .await
    .assert(400, "PROJECT_KEY_WITHOUT_ACCESS_TYPE");
    raw_err(with_headers(&t, &[("x-stack-project-id", project)]))
        .await
        .assert(400, "ACCESS_TYPE_REQUIRED");
    raw_err(with_headers(&t, &[]))
        .await
        .assert(400, "ACCESS_TYPE_REQUIRED");

    let e = raw_err(with_headers(
        &t,
        &[
            ("x-stack-project-id", project),
            ("x-stack-access-type", "root"),
        ],
    ))
    .await;
    e.assert(400, "INVALID_ACCESS_TYPE");
    assert_eq!(e.details(), &serde_json::json!({ "accessType": "root" }));

    let e = raw_err(with_headers(
        &t,
        &[
            ("x-stack-access-type", "server"),
            ("x-stack-secret-server-key", server_key),
        ],
    ))
    .await;
    e.assert(400, "ACCESS_TYPE_WITHOUT_PROJECT_ID");
    assert_eq!(
        e.details(),
        &serde_json::json!({ "request_type": "server" })
    );

    let unknown = uuid::Uuid::new_v4().to_string();
    let e = raw_err(with_headers(
        &t,
        &[
            ("x-stack-project-id", &unknown),
            ("x-stack-access-type", "server"),
            ("x-stack-secret-server-key", server_key),
        ],
    ))
    .await;
    e.assert(400, "CURRENT_PROJECT_NOT_FOUND");
    assert_eq!(e.details(), &serde_json::json!({ "project_id": unknown }));

    let e = raw_err(with_headers(
        &t,
        &[
            ("x-stack-project-id", project),
            ("x-stack-access-type", "client"),
        ],
    ))
    .await;
    e.assert(401, "PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT");
    assert_eq!(e.details(), &serde_json::json!({ "project_id": project }));
    raw_err(with_headers(
        &t,
        &[
            ("x-stack-project-id", project),
            ("x-stack-access-type", "server"),
        ],
    ))
    .await
    .assert(401, "SERVER_AUTHENTICATION_REQUIRED");
    raw_err(with_headers(
        &t,
        &[
            ("x-stack-project-id", project),
            ("x-stack-access-type", "admin"),
        ],
    ))
    .await
    .assert(401, "ADMIN_AUTHENTICATION_REQUIRED");

    for (access, header, code) in [
        (
            "client",
            "x-stack-publishable-client-key",
            "INVALID_PUBLISHABLE_CLIENT_KEY",
        ),
        (
            "server",
            "x-stack-secret-server-key",
            "INVALID_SECRET_SERVER_KEY",
        ),
        (
            "admin",
            "x-stack-super-secret-admin-key",
            "INVALID_SUPER_SECRET_ADMIN_KEY",
        ),
    ] {
        let e = raw_err(with_headers(
            &t,
            &[
                ("x-stack-project-id", project),
                ("x-stack-access-type", access),
                (header, "wrong"),
            ],
        ))
        .await;
        e.assert(401, code);
        assert_eq!(e.details(), &serde_json::json!({ "project_id": project }));
    }
    // A key of another access type is not this one's key.
    raw_err(with_headers(
        &t,
        &[
            ("x-stack-project-id", project),
            ("x-stack-access-type", "admin"),
            ("x-stack-super-secret-admin-key", server_key),
        ],
    ))
    .await
    .assert(401, "INVALID_SUPER_SECRET_ADMIN_KEY");
}

#[tokio::test]
async fn both_header_prefixes_are_accepted() {
    let t = TestServer::start().await;
    let user = t.user().await;
    t.channel(&user, "p@example.com", false, false).await;
    let response = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/contact-channels?user_id={user}",
            t.url()
        ))
        .header("x-hexclave-project-id", &t.keys.project_id)
        .header("x-hexclave-access-type", "server")
        .header("x-hexclave-secret-server-key", &t.keys.secret_server_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["items"][0]["value"], "p@example.com");
}

#[tokio::test]
async fn bad_access_tokens_are_refused() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let token = t.access_token(&user).await;
    let client = |token: &str| {
        t.config()
            .access(AccessType::Client, &t.keys.publishable_client_key)
            .access_token(token)
            .build()
            .unwrap()
    };

    err(client("not-a-jwt")
        .list_contact_channels()
        .user_id("me")
        .send()
        .await)
    .assert(401, "UNPARSABLE_ACCESS_TOKEN");

    // A token whose signature does not verify (payload of one token, signature of another).
    let other = t.access_token(&t.user().await).await;
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        other.split('.').nth(1).unwrap(),
        parts[2]
    );
    err(client(&forged)
        .list_contact_channels()
        .user_id("me")
        .send()
        .await)
    .assert(401, "UNPARSABLE_ACCESS_TOKEN");

    // A token of another project.
    let elsewhere = TestServer::start().await;
    let foreign_user = elsewhere.user().await;
    let foreign = elsewhere.access_token(&foreign_user).await;
    let e = err(client(&foreign)
        .list_contact_channels()
        .user_id("me")
        .send()
        .await);
    e.assert(401, "INVALID_PROJECT_FOR_ACCESS_TOKEN");
    assert_eq!(
        e.details(),
        &serde_json::json!({ "expected_project_id": t.keys.project_id, "actual_project_id": elsewhere.keys.project_id })
    );

    // The token works until it expires.
    client(&token)
        .list_contact_channels()
        .user_id("me")
        .send()
        .await
        .unwrap();
    t.clock.advance(Duration::from_secs(2 * 60 * 60));
    err(client(&token)
        .list_contact_channels()
        .user_id("me")
        .send()
        .await)
    .assert(401, "ACCESS_TOKEN_EXPIRED");
}

#[tokio::test]
async fn access_tokens_carry_stack_auths_claim_set() {
    let t = TestServer::start().await;
    let user = t.user().await;
    t.channel(&user, "claims@example.com", true, true).await;
    let claims = jwt_claims(&t.access_token(&user).await);
    assert_eq!(claims["sub"], user.as_str());
    assert_eq!(claims["aud"], t.keys.project_id.as_str());
    assert_eq!(claims["project_id"], t.keys.project_id.as_str());
    assert_eq!(claims["branch_id"], "main");
    assert_eq!(claims["role"], "authenticated");
    assert_eq!(claims["email"], "claims@example.com");
    for string in ["iss", "refresh_token_id", "name"] {
        assert!(claims[string].is_string(), "{string} in {claims}");
    }
    for number in ["iat", "exp", "signed_up_at"] {
        assert!(claims[number].is_i64(), "{number} in {claims}");
    }
    for boolean in [
        "email_verified",
        "is_anonymous",
        "is_restricted",
        "requires_totp_mfa",
    ] {
        assert!(claims[boolean].is_boolean(), "{boolean} in {claims}");
    }
    for nullable in ["selected_team_id", "restricted_reason"] {
        assert!(
            claims.as_object().unwrap().contains_key(nullable) && claims[nullable].is_null(),
            "{nullable} in {claims}"
        );
    }
}

#[tokio::test]
async fn clients_act_only_on_their_own_user() {
    let t = TestServer::start().await;
    let (me, other) = (t.user().await, t.user().await);
    let theirs = t.channel(&other, "theirs@example.com", false, false).await;
    let client = t.signed_in(&me).await;

    // `me`, and the user's own id, both work.
    let mine = client
        .create_contact_channel()
        .body(ContactChannelCreate {
            used_for_auth: true,
            is_primary: Some(true),
            ..new_channel("me", "mine@example.com")
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.user_id, me);
    client
        .get_contact_channel()
        .user_id(&me)
        .contact_channel_id(&mine.id)
        .send()
        .await
        .unwrap();
    let listed = client
        .list_contact_channels()
        .user_id("me")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(
        client
            .get_user()
            .user_id("me")
            .send()
            .await
            .unwrap()
            .into_inner()
            .id,
        me
    );

    let before = t.stored().await;
    let forbidden = |e: contact_channels_tests::SeenError| {
        e.assert(403, "CLIENT_CANNOT_ACCESS_OTHER_USER");
    };
    forbidden(err(client
        .get_contact_channel()
        .user_id(&other)
        .contact_channel_id(&theirs.id)
        .send()
        .await));
    forbidden(err(client
        .update_contact_channel()
        .user_id(&other)
        .contact_channel_id(&theirs.id)
        .body(ContactChannelUpdate {
            is_primary: Some(true),
            ..Default::default()
        })
        .send()
        .await));
    forbidden(err(client
        .delete_contact_channel()
        .user_id(&other)
        .contact_channel_id(&theirs.id)
        .send()
        .await));
    forbidden(err(client
        .list_contact_channels()
        .user_id(&other)
        .send()
        .await));
    forbidden(err(client.list_contact_channels().send().await));
    forbidden(err(client.get_user().user_id(&other).send().await));
    forbidden(err(client
        .create_contact_channel()
        .body(new_channel(&other, "sneaky@example.com"))
        .send()
        .await));

    // A client may not set is_verified.
    err(client
        .update_contact_channel()
        .user_id("me")
        .contact_channel_id(&mine.id)
        .body(ContactChannelUpdate {
            is_verified: Some(true),
            ..Default::default()
        })
        .send()
        .await)
    .assert(400, "SCHEMA_ERROR");

    // Nor manage users or sessions.
    let e = err(client
        .create_user()
        .body(UserCreate { display_name: None })
        .send()
        .await);
    e.assert(401, "INSUFFICIENT_ACCESS_TYPE");
    assert_eq!(
        e.details(),
        &serde_json::json!({ "actual_access_type": "client", "allowed_access_types": ["server", "admin"] })
    );
    err(client.delete_user().user_id("me").send().await).assert(401, "INSUFFICIENT_ACCESS_TYPE");
    assert_eq!(t.stored().await, before);
}

#[tokio::test]
async fn me_needs_a_user() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "x@example.com", false, false).await;
    let anonymous = t.anonymous_client();
    let needs_user = |e: contact_channels_tests::SeenError| {
        e.assert(400, "CANNOT_GET_OWN_USER_WITHOUT_USER");
    };
    // A client without a token can do nothing with contact channels, whatever id it names.
    needs_user(err(anonymous
        .list_contact_channels()
        .user_id("me")
        .send()
        .await));
    needs_user(err(anonymous.list_contact_channels().send().await));
    needs_user(err(anonymous
        .get_contact_channel()
        .user_id(&user)
        .contact_channel_id(&channel.id)
        .send()
        .await));
    needs_user(err(anonymous
        .delete_contact_channel()
        .user_id("me")
        .contact_channel_id(&channel.id)
        .send()
        .await));
    // The server with `me` but no token, too.
    needs_user(err(t
        .server()
        .get_contact_channel()
        .user_id("me")
        .contact_channel_id(&channel.id)
        .send()
        .await));
    needs_user(err(t.server().get_user().user_id("me").send().await));

    // With a token, `me` works for the server as well.
    let token = t.access_token(&user).await;
    let server_as_user = t
        .config()
        .access(AccessType::Server, &t.keys.secret_server_key)
        .access_token(token)
        .build()
        .unwrap();
    let read = server_as_user
        .get_contact_channel()
        .user_id("me")
        .contact_channel_id(&channel.id)
        .send()
        .await
        .unwrap();
    assert_eq!(read.into_inner(), channel);
    assert_eq!(t.stored().await.len(), 1);
}

#[tokio::test]
async fn admin_access_works_like_server_access() {
    let t = TestServer::start().await;
    let user = t
        .admin()
        .create_user()
        .body(UserCreate {
            display_name: Some("Ada".into()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(user.display_name.as_deref(), Some("Ada"));
    t.channel(&user.id, "ada@example.com", true, true).await;
    let listed = t
        .admin()
        .list_contact_channels()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.items.len(), 1);
    // Without headers, nothing is answered.
    raw_err(
        reqwest::Client::new()
            .request(Method::GET, format!("{}/api/v1/users/{}", t.url(), user.id)),
    )
    .await
    .assert(400, "ACCESS_TYPE_REQUIRED");
}

#[tokio::test]
async fn a_refresh_token_mints_new_access_tokens_until_it_expires() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let session = t
        .server()
        .create_session()
        .body(contact_channels_client::types::SessionCreate {
            user_id: user.clone(),
            expires_in_millis: std::num::NonZeroU64::new(24 * 60 * 60 * 1000),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let refresher = |token: &str| {
        t.config()
            .access(AccessType::Client, &t.keys.publishable_client_key)
            .refresh_token(token)
            .build()
            .unwrap()
    };

    // The access token expires; the refresh token gets a new one that works.
    t.clock.advance(Duration::from_secs(2 * 60 * 60));
    let refreshed = refresher(&session.refresh_token)
        .refresh_session()
        .send()
        .await
        .unwrap()
        .into_inner();
    let claims = jwt_claims(&refreshed.access_token);
    assert_eq!(claims["sub"], user.as_str());
    assert_eq!(
        claims["refresh_token_id"],
        jwt_claims(&session.access_token)["refresh_token_id"]
    );
    let client = t
        .config()
        .access(AccessType::Client, &t.keys.publishable_client_key)
        .access_token(refreshed.access_token)
        .build()
        .unwrap();
    assert_eq!(
        client
            .get_user()
            .user_id("me")
            .send()
            .await
            .unwrap()
            .into_inner()
            .id,
        user
    );

    err(refresher("rt_wrong").refresh_session().send().await)
        .assert(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    err(t.anonymous_client().refresh_session().send().await)
        .assert(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    // Another project does not know it.
    let elsewhere = TestServer::start().await;
    let foreign = elsewhere
        .config()
        .access(AccessType::Client, &elsewhere.keys.publishable_client_key)
        .refresh_token(&session.refresh_token)
        .build()
        .unwrap();
    err(foreign.refresh_session().send().await).assert(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
    // After its lifetime, the session is over.
    t.clock.advance(Duration::from_secs(24 * 60 * 60));
    err(refresher(&session.refresh_token)
        .refresh_session()
        .send()
        .await)
    .assert(401, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED");
}

#[tokio::test]
async fn an_absurd_token_expiry_is_refused_cleanly() {
    use base64::Engine;
    let t = TestServer::start().await;
    let encode = |json: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
    };
    let forged = format!(
        "{}.{}.{}",
        encode(serde_json::json!({ "alg": "ES256", "typ": "JWT" })),
        encode(
            serde_json::json!({ "sub": uuid::Uuid::new_v4(), "project_id": t.keys.project_id, "exp": i64::MAX })
        ),
        "c2lnbmF0dXJl"
    );
    let client = t
        .config()
        .access(AccessType::Client, &t.keys.publishable_client_key)
        .access_token(forged)
        .build()
        .unwrap();
    err(client.list_contact_channels().user_id("me").send().await)
        .assert(401, "UNPARSABLE_ACCESS_TOKEN");
}

#[tokio::test]
async fn projects_on_one_database_are_isolated() {
    let t = TestServer::start().await;
    let other = t
        .running
        .service
        .create_project("Other", false)
        .await
        .unwrap();
    let other_server = contact_channels_client::ClientConfig::new(t.url(), &other.project_id)
        .access(AccessType::Server, &other.secret_server_key)
        .build()
        .unwrap();
    let user = t.user().await;
    let channel = t.channel(&user, "shared@example.com", true, true).await;

    // This project's user does not exist in the other project.
    let e = err(other_server
        .get_contact_channel()
        .user_id(&user)
        .contact_channel_id(&channel.id)
        .send()
        .await);
    e.assert(400, "USER_ID_DOES_NOT_EXIST");
    let listed = other_server
        .list_contact_channels()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        listed.items.is_empty(),
        "the other project lists none of this project's channels"
    );
    err(other_server
        .list_contact_channels()
        .user_id(&user)
        .send()
        .await)
    .assert(400, "USER_ID_DOES_NOT_EXIST");
    // One project's keys are not another's.
    raw_err(
        reqwest::Client::new()
            .get(format!("{}/api/v1/contact-channels", t.url()))
            .header("x-stack-project-id", &other.project_id)
            .header("x-stack-access-type", "server")
            .header("x-stack-secret-server-key", &t.keys.secret_server_key),
    )
    .await
    .assert(401, "INVALID_SECRET_SERVER_KEY");

    // The same auth email may be used in each project.
    let theirs = other_server
        .create_user()
        .body(UserCreate { display_name: None })
        .send()
        .await
        .unwrap()
        .into_inner();
    let claimed = other_server
        .create_contact_channel()
        .body(ContactChannelCreate {
            used_for_auth: true,
            ..new_channel(&theirs.id, "shared@example.com")
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(claimed.used_for_auth);
}

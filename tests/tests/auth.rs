//! Who may do what: request headers, keys, access tokens and `me`, end to end.

use contact_channels_client::types::{
    ContactChannelCreate, ContactChannelUpdate, SessionCreate, UserCreate,
};
use contact_channels_client::{AccessType, ClientConfig};
use contact_channels_tests::{
    err, jwt_claims, new_channel, raw_err, ErrorTable, Redactions, TestServer,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

/// Where the header table sends its requests: a client's list of its own channels.
const LIST_MINE: &str = "/api/v1/contact-channels?user_id=me";

/// A GET of `path` with exactly these headers.
fn with_headers(t: &TestServer, path: &str, headers: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let mut request = reqwest::Client::new().get(format!("{}{path}", t.url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
}

/// A row of a header table: a case name, the headers sent, the status and code expected.
type HeaderCase<'a> = (&'a str, &'a [(&'a str, &'a str)], u16, &'a str);

const PROJECT: &str = "x-stack-project-id";
const ACCESS: &str = "x-stack-access-type";
const CLIENT_KEY: &str = "x-stack-publishable-client-key";
const SERVER_KEY: &str = "x-stack-secret-server-key";
const ADMIN_KEY: &str = "x-stack-super-secret-admin-key";

#[tokio::test]
async fn header_errors_come_in_stack_auths_order_with_their_details() {
    let t = TestServer::start().await;
    let project = t.keys.project_id.as_str();
    let server_key = t.keys.secret_server_key.as_str();
    let unknown = uuid::Uuid::new_v4().to_string();
    // Rows follow the order in which Stack Auth checks the headers: each error wins over the
    // ones checked after it.
    #[rustfmt::skip]
    let rows: &[HeaderCase] = &[
        ("a key without an access type", &[(PROJECT, project), (SERVER_KEY, server_key)], 400, "PROJECT_KEY_WITHOUT_ACCESS_TYPE"),
        ("a project without an access type", &[(PROJECT, project)], 400, "ACCESS_TYPE_REQUIRED"),
        ("no headers", &[], 400, "ACCESS_TYPE_REQUIRED"),
        ("an unknown access type", &[(PROJECT, project), (ACCESS, "root")], 400, "INVALID_ACCESS_TYPE"),
        ("an access type without a project", &[(ACCESS, "server"), (SERVER_KEY, server_key)], 400, "ACCESS_TYPE_WITHOUT_PROJECT_ID"),
        ("an unknown project", &[(PROJECT, &unknown), (ACCESS, "server"), (SERVER_KEY, server_key)], 400, "CURRENT_PROJECT_NOT_FOUND"),
        ("client access without its key", &[(PROJECT, project), (ACCESS, "client")], 401, "PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT"),
        ("server access without its key", &[(PROJECT, project), (ACCESS, "server")], 401, "SERVER_AUTHENTICATION_REQUIRED"),
        ("admin access without its key", &[(PROJECT, project), (ACCESS, "admin")], 401, "ADMIN_AUTHENTICATION_REQUIRED"),
        ("a wrong client key", &[(PROJECT, project), (ACCESS, "client"), (CLIENT_KEY, "wrong")], 401, "INVALID_PUBLISHABLE_CLIENT_KEY"),
        ("a wrong server key", &[(PROJECT, project), (ACCESS, "server"), (SERVER_KEY, "wrong")], 401, "INVALID_SECRET_SERVER_KEY"),
        ("a wrong admin key", &[(PROJECT, project), (ACCESS, "admin"), (ADMIN_KEY, "wrong")], 401, "INVALID_SUPER_SECRET_ADMIN_KEY"),
        // A key of another access type is not this one's key.
        ("the server key as the admin key", &[(PROJECT, project), (ACCESS, "admin"), (ADMIN_KEY, server_key)], 401, "INVALID_SUPER_SECRET_ADMIN_KEY"),
    ];
    let mut table = ErrorTable::new(Redactions::project(&t).with(&unknown, "<unknown_project_id>"));
    for (case, headers, status, code) in rows {
        let seen = raw_err(with_headers(&t, LIST_MINE, headers)).await;
        let sent: BTreeMap<&str, &str> = headers.iter().copied().collect();
        let case = json!({ "case": case, "headers": sent });
        table.check(case, seen, *status, code);
    }
    // The details (which project, which access type) are in the snapshot.
    insta::assert_json_snapshot!(table.snapshot());
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

/// A header under both prefixes with different values is refused, on every operation that
/// reads the headers, before anything is read or written; the same value twice is fine.
#[tokio::test]
async fn conflicting_header_prefixes_are_refused() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let list = format!("/api/v1/contact-channels?user_id={user}");
    let same = t
        .raw(reqwest::Method::GET, &list)
        .header("x-hexclave-project-id", &t.keys.project_id)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 200);
    let other_project = uuid::Uuid::new_v4().to_string();
    let requests = [
        (reqwest::Method::GET, list.clone(), None),
        (
            reqwest::Method::POST,
            "/api/v1/contact-channels".to_owned(),
            Some(
                json!({"user_id": user, "value": "c@example.com", "type": "email", "used_for_auth": false}),
            ),
        ),
        (
            reqwest::Method::POST,
            "/api/v1/users".to_owned(),
            Some(json!({})),
        ),
        (
            reqwest::Method::POST,
            "/api/v1/auth/sessions/current/refresh".to_owned(),
            None,
        ),
    ];
    for (method, path, body) in requests {
        let mut request = t
            .raw(method.clone(), &path)
            .header("x-hexclave-project-id", &other_project);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let seen = raw_err(request).await;
        assert_eq!(seen.status, 400, "{method} {path}");
        assert_eq!(seen.code(), "CONFLICTING_HEADERS", "{method} {path}");
        assert!(seen.known.is_none(), "the SDK does not know the code");
    }
    // Nothing was created by the refused requests.
    let channels = t
        .server()
        .list_contact_channels()
        .user_id(user.as_str())
        .send()
        .await
        .unwrap();
    assert!(channels.items.is_empty());
}

#[tokio::test]
async fn bad_access_tokens_are_refused() {
    let t = TestServer::start().await;
    let token = t.access_token(&t.user().await).await;
    let list_mine = |token: &str| {
        let client = t.with_token(token);
        async move { client.list_contact_channels().user_id("me").send().await }
    };
    // A token whose signature does not verify (payload of one token, signature of another).
    let other = t.access_token(&t.user().await).await;
    let parts: Vec<&str> = token.split('.').collect();
    let payload = other.split('.').nth(1).unwrap();
    let forged = format!("{}.{payload}.{}", parts[0], parts[2]);
    let elsewhere = TestServer::start().await;
    let foreign = elsewhere.access_token(&elsewhere.user().await).await;

    let other_project = elsewhere.keys.project_id.as_str();
    let redactions = Redactions::project(&t).with(other_project, "<other_project_id>");
    let mut table = ErrorTable::new(redactions);
    for (case, bad, code) in [
        ("not a JWT", "not-a-jwt", "UNPARSABLE_ACCESS_TOKEN"),
        ("a forged signature", &forged, "UNPARSABLE_ACCESS_TOKEN"),
        (
            "another project's token",
            &foreign,
            "INVALID_PROJECT_FOR_ACCESS_TOKEN",
        ),
    ] {
        table.check(case, err(list_mine(bad).await), 401, code);
    }
    // The token works until it expires.
    list_mine(&token).await.unwrap();
    t.clock.advance(Duration::from_secs(2 * 60 * 60));
    let expired = err(list_mine(&token).await);
    table.check("an expired token", expired, 401, "ACCESS_TOKEN_EXPIRED");
    // The details (expected and actual project) are in the snapshot.
    insta::assert_json_snapshot!(table.snapshot());
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
async fn a_client_names_its_own_user_by_me_or_by_id() {
    let t = TestServer::start().await;
    let me = t.user().await;
    let client = t.signed_in(&me).await;
    let mine = client.create_contact_channel().body(ContactChannelCreate {
        used_for_auth: true,
        is_primary: Some(true),
        ..new_channel("me", "mine@example.com")
    });
    let mine = mine.send().await.unwrap().into_inner();
    assert_eq!(mine.user_id, me);
    let read = client.get_contact_channel().user_id(&me);
    read.contact_channel_id(&mine.id).send().await.unwrap();
    let listed = client.list_contact_channels().user_id("me").send().await;
    assert_eq!(listed.unwrap().into_inner().items.len(), 1);
    let own = client.get_user().user_id("me").send().await.unwrap();
    assert_eq!(own.into_inner().id, me);
}

#[tokio::test]
async fn clients_act_only_on_their_own_user() {
    let t = TestServer::start().await;
    let (me, other) = (t.user().await, t.user().await);
    let mine = t.channel(&me, "mine@example.com", true, true).await;
    let theirs = t.channel(&other, "theirs@example.com", false, false).await;
    let client = t.signed_in(&me).await;
    let before = t.stored().await;

    let (other, theirs) = (other.as_str(), theirs.id.as_str());
    let primary = ContactChannelUpdate {
        is_primary: Some(true),
        ..Default::default()
    };
    let verified = ContactChannelUpdate {
        is_verified: Some(true),
        ..Default::default()
    };
    let nobody = UserCreate { display_name: None };
    let forbidden = (403, "CLIENT_CANNOT_ACCESS_OTHER_USER");
    let not_for_clients = (401, "INSUFFICIENT_ACCESS_TYPE");
    #[rustfmt::skip]
    let rows = [
        ("get another user's channel", forbidden, err(client.get_contact_channel().user_id(other).contact_channel_id(theirs).send().await)),
        ("update another user's channel", forbidden, err(client.update_contact_channel().user_id(other).contact_channel_id(theirs).body(primary).send().await)),
        ("delete another user's channel", forbidden, err(client.delete_contact_channel().user_id(other).contact_channel_id(theirs).send().await)),
        ("list another user's channels", forbidden, err(client.list_contact_channels().user_id(other).send().await)),
        ("list the whole project", forbidden, err(client.list_contact_channels().send().await)),
        ("get another user", forbidden, err(client.get_user().user_id(other).send().await)),
        ("create a channel for another user", forbidden, err(client.create_contact_channel().body(new_channel(other, "sneaky@example.com")).send().await)),
        // A client may not set is_verified, nor manage users or sessions.
        ("set is_verified", (400, "SCHEMA_ERROR"), err(client.update_contact_channel().user_id("me").contact_channel_id(&mine.id).body(verified).send().await)),
        ("create a user", not_for_clients, err(client.create_user().body(nobody).send().await)),
        ("delete its own user", not_for_clients, err(client.delete_user().user_id("me").send().await)),
    ];
    let redactions = Redactions::project(&t)
        .with(&me, "<user_id>")
        .with(&mine.id, "<channel_id>")
        .with(other, "<other_user_id>")
        .with(theirs, "<other_channel_id>");
    let mut table = ErrorTable::new(redactions);
    for (case, (status, code), seen) in rows {
        table.check(case, seen, status, code);
    }
    // The details (actual and allowed access types) are in the snapshot.
    insta::assert_json_snapshot!(table.snapshot());
    assert_eq!(t.stored().await, before);
}

#[tokio::test]
async fn me_needs_a_user() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "x@example.com", false, false).await;
    let (anonymous, server, id) = (t.anonymous_client(), t.server(), channel.id.as_str());
    let before = t.stored().await;
    // A client without a token can do nothing with contact channels, whatever id it names; nor
    // can the server with `me` but no token.
    #[rustfmt::skip]
    let rows = [
        ("a client lists `me`", err(anonymous.list_contact_channels().user_id("me").send().await)),
        ("a client lists the project", err(anonymous.list_contact_channels().send().await)),
        ("a client gets a user's channel", err(anonymous.get_contact_channel().user_id(&user).contact_channel_id(id).send().await)),
        ("a client deletes `me`'s channel", err(anonymous.delete_contact_channel().user_id("me").contact_channel_id(id).send().await)),
        ("the server gets `me`'s channel", err(server.get_contact_channel().user_id("me").contact_channel_id(id).send().await)),
        ("the server gets `me`", err(server.get_user().user_id("me").send().await)),
    ];
    let redactions = Redactions::project(&t)
        .with(&user, "<user_id>")
        .with(id, "<channel_id>");
    let mut table = ErrorTable::new(redactions);
    for (case, seen) in rows {
        table.check(case, seen, 400, "CANNOT_GET_OWN_USER_WITHOUT_USER");
    }
    insta::assert_json_snapshot!(table.snapshot());
    assert_eq!(t.stored().await, before);
}

#[tokio::test]
async fn with_a_token_the_server_may_name_me_too() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "x@example.com", false, false).await;
    let server_as_user = t
        .config()
        .access(AccessType::Server, &t.keys.secret_server_key)
        .access_token(t.access_token(&user).await)
        .build()
        .unwrap();
    let read = server_as_user.get_contact_channel().user_id("me");
    let read = read.contact_channel_id(&channel.id).send().await.unwrap();
    assert_eq!(read.into_inner(), channel);
}

#[tokio::test]
async fn admin_access_works_like_server_access() {
    let t = TestServer::start().await;
    let admin = t.admin();
    let ada = UserCreate {
        display_name: Some("Ada".into()),
    };
    let user = admin.create_user().body(ada).send().await;
    let user = user.unwrap().into_inner();
    assert_eq!(user.display_name.as_deref(), Some("Ada"));
    t.channel(&user.id, "ada@example.com", true, true).await;
    let listed = admin.list_contact_channels().send().await.unwrap();
    assert_eq!(listed.into_inner().items.len(), 1);
    // Without headers, nothing is answered.
    let path = format!("/api/v1/users/{}", user.id);
    raw_err(with_headers(&t, &path, &[]))
        .await
        .assert(400, "ACCESS_TYPE_REQUIRED");
}

#[tokio::test]
async fn a_refresh_token_mints_new_access_tokens_until_it_expires() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let day = SessionCreate {
        user_id: user.clone(),
        expires_in_millis: std::num::NonZeroU64::new(24 * 60 * 60 * 1000),
        // As Stack Auth's SDK sends it.
        is_impersonation: Some(false),
    };
    let session = t.server().create_session().body(day).send().await;
    let session = session.unwrap().into_inner();
    let refresher = |config: ClientConfig, token: &str| {
        let client = config.refresh_token(token).build().unwrap();
        async move { client.refresh_session().send().await }
    };
    let here = t.config();
    let here = here.access(AccessType::Client, &t.keys.publishable_client_key);
    let mine = session.refresh_token.as_str();

    // The access token expires; the refresh token gets a new one that works.
    t.clock.advance(Duration::from_secs(2 * 60 * 60));
    let refreshed = refresher(here.clone(), mine).await.unwrap().into_inner();
    let claims = jwt_claims(&refreshed.access_token);
    assert_eq!(claims["sub"], user.as_str());
    let first = jwt_claims(&session.access_token);
    assert_eq!(claims["refresh_token_id"], first["refresh_token_id"]);
    let client = t.with_token(refreshed.access_token);
    let me = client.get_user().user_id("me").send().await.unwrap();
    assert_eq!(me.into_inner().id, user);

    // A wrong token, none, another project's, and one past its lifetime are all refused.
    let elsewhere = TestServer::start().await;
    let there = elsewhere
        .config()
        .access(AccessType::Client, &elsewhere.keys.publishable_client_key);
    let refused = "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED";
    let other_project = elsewhere.keys.project_id.as_str();
    let redactions = Redactions::project(&t).with(other_project, "<other_project_id>");
    let mut table = ErrorTable::new(redactions);
    #[rustfmt::skip]
    let rows = [
        ("a wrong refresh token", err(refresher(here.clone(), "rt_wrong").await)),
        ("no refresh token", err(t.anonymous_client().refresh_session().send().await)),
        ("another project's refresh token", err(refresher(there, mine).await)),
    ];
    for (case, seen) in rows {
        table.check(case, seen, 401, refused);
    }
    t.clock.advance(Duration::from_secs(24 * 60 * 60));
    let expired = err(refresher(here, mine).await);
    table.check("an expired refresh token", expired, 401, refused);
    insta::assert_json_snapshot!(table.snapshot());
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
    let client = t.with_token(forged);
    err(client.list_contact_channels().user_id("me").send().await)
        .assert(401, "UNPARSABLE_ACCESS_TOKEN");
}

#[tokio::test]
async fn projects_on_one_database_are_isolated() {
    let t = TestServer::start().await;
    let other = t.running.service.create_project("Other", false).await;
    let other = other.unwrap();
    let other_server = ClientConfig::new(t.url(), &other.project_id)
        .access(AccessType::Server, &other.secret_server_key)
        .build()
        .unwrap();
    let user = t.user().await;
    let channel = t.channel(&user, "shared@example.com", true, true).await;

    // This project's user does not exist in the other project, which lists none of its channels.
    let get = other_server.get_contact_channel().user_id(&user);
    let get = get.contact_channel_id(&channel.id).send().await;
    err(get).assert(400, "USER_ID_DOES_NOT_EXIST");
    let listed = other_server.list_contact_channels().send().await.unwrap();
    assert!(
        listed.into_inner().items.is_empty(),
        "the other project lists none of this project's channels"
    );
    let by_user = other_server.list_contact_channels().user_id(&user);
    err(by_user.send().await).assert(400, "USER_ID_DOES_NOT_EXIST");
    // One project's keys are not another's.
    let server_key = t.keys.secret_server_key.as_str();
    let headers = [
        (PROJECT, other.project_id.as_str()),
        (ACCESS, "server"),
        (SERVER_KEY, server_key),
    ];
    raw_err(with_headers(&t, "/api/v1/contact-channels", &headers))
        .await
        .assert(401, "INVALID_SECRET_SERVER_KEY");

    // The same auth email may be used in each project.
    let nobody = UserCreate { display_name: None };
    let theirs = other_server.create_user().body(nobody).send().await;
    let theirs = theirs.unwrap().into_inner();
    let claimed = other_server
        .create_contact_channel()
        .body(ContactChannelCreate {
            used_for_auth: true,
            ..new_channel(&theirs.id, "shared@example.com")
        });
    assert!(claimed.send().await.unwrap().into_inner().used_for_auth);
}

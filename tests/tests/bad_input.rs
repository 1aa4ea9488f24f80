//! Bad input, end to end: each gets a clear error with the right status and code, in Stack
//! Auth's error shape, and leaves stored data unchanged.

use contact_channels_client::types::ContactChannelUpdate;
use contact_channels_tests::{err, new_channel, raw_err, SeenError, TestServer};
use reqwest::Method;

/// A server with one user and one channel, and the path of that channel.
async fn setup() -> (TestServer, String, String) {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "keep@example.com", true, true).await;
    let path = format!("/api/v1/contact-channels/{user}/{}", channel.id);
    (t, user, path)
}

fn message(e: &SeenError) -> String {
    e.details()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_bad_email_is_a_schema_error() {
    let (t, user, _) = setup().await;
    let before = t.stored().await;
    for value in [
        "not-an-email",
        "",
        "   ",
        "a@",
        "@example.com",
        "two@@example.com",
    ] {
        let e = err(t
            .server()
            .create_contact_channel()
            .body(new_channel(&user, value))
            .send()
            .await);
        e.assert(400, "SCHEMA_ERROR");
        assert!(message(&e).starts_with("value:"), "{e:?}");

        let channel = &before[0];
        err(t
            .server()
            .update_contact_channel()
            .user_id(&user)
            .contact_channel_id(channel.id.to_string())
            .body(ContactChannelUpdate {
                value: Some(value.into()),
                ..Default::default()
            })
            .send()
            .await)
        .assert(400, "SCHEMA_ERROR");
    }
    assert_eq!(t.stored().await, before);
}

#[tokio::test]
async fn a_bad_uuid_is_a_schema_error() {
    let (t, user, _) = setup().await;
    let before = t.stored().await;
    let e = err(t
        .server()
        .get_contact_channel()
        .user_id(&user)
        .contact_channel_id("not-a-uuid")
        .send()
        .await);
    e.assert(400, "SCHEMA_ERROR");
    assert!(message(&e).contains("contact_channel_id"), "{e:?}");
    let e = err(t
        .server()
        .update_contact_channel()
        .user_id("12345")
        .contact_channel_id(before[0].id.to_string())
        .body(ContactChannelUpdate {
            is_primary: Some(false),
            ..Default::default()
        })
        .send()
        .await);
    e.assert(400, "SCHEMA_ERROR");
    assert!(message(&e).contains("user_id"), "{e:?}");
    err(t
        .server()
        .delete_contact_channel()
        .user_id(&user)
        .contact_channel_id("zzz")
        .send()
        .await)
    .assert(400, "SCHEMA_ERROR");
    err(t
        .server()
        .list_contact_channels()
        .contact_channel_id("zzz")
        .send()
        .await)
    .assert(400, "SCHEMA_ERROR");
    err(t.server().get_user().user_id("zzz").send().await).assert(400, "SCHEMA_ERROR");
    assert_eq!(t.stored().await, before);
}

#[tokio::test]
async fn malformed_bodies_are_refused_with_the_right_code() {
    let (t, user, path) = setup().await;
    let before = t.stored().await;
    let patch = |body: &str| {
        t.raw(Method::PATCH, &path)
            .header("content-type", "application/json")
            .body(body.to_owned())
    };

    // Not JSON at all.
    for body in ["{", "{\"value\": }", "", "nonsense"] {
        let e = raw_err(patch(body)).await;
        e.assert(400, "BODY_PARSING_ERROR");
        assert!(!message(&e).is_empty());
    }
    // JSON, but not a valid update.
    for (body, field) in [
        (r#"{"colour": "red"}"#, "colour"),
        (r#"{"is_primary": "yes"}"#, "is_primary"),
        (r#"{"used_for_auth": 1}"#, "used_for_auth"),
        (r#"{"type": "phone"}"#, "type"),
        (r#"{"value": 42}"#, "value"),
        // Optional fields are absent or a value; the spec makes none of them nullable.
        (r#"{"is_primary": null}"#, "is_primary"),
        (r#"{"value": null}"#, "value"),
        (r#"{"is_verified": null}"#, "is_verified"),
        ("[null, null]", "object"),
        ("\"a string\"", "object"),
        ("null", "object"),
    ] {
        let e = raw_err(patch(body)).await;
        e.assert(400, "SCHEMA_ERROR");
        assert!(message(&e).contains(field), "{body}: {e:?}");
    }
    // Create: a missing required field, an unknown one.
    let create =
        |body: serde_json::Value| t.raw(Method::POST, "/api/v1/contact-channels").json(&body);
    let e = raw_err(create(
        serde_json::json!({ "user_id": user, "value": "n@example.com", "type": "email" }),
    ))
    .await;
    e.assert(400, "SCHEMA_ERROR");
    assert!(message(&e).contains("used_for_auth"), "{e:?}");
    let e = raw_err(create(serde_json::json!({
        "user_id": user, "value": "n@example.com", "type": "email", "used_for_auth": false, "extra": 1
    })))
    .await;
    e.assert(400, "SCHEMA_ERROR");
    assert!(message(&e).contains("extra"), "{e:?}");

    // Too large.
    let huge = format!(r#"{{"value": "{}@example.com"}}"#, "a".repeat(64 * 1024));
    raw_err(patch(&huge))
        .await
        .assert(413, "REQUEST_BODY_TOO_LARGE");

    assert_eq!(t.stored().await, before);
}

#[tokio::test]
async fn errors_have_exactly_the_stack_auth_body() {
    let (t, _, path) = setup().await;
    let e = raw_err(t.raw(Method::PATCH, &path).body("{")).await;
    let keys: Vec<&String> = e.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["code", "details", "error"]);
    let e = raw_err(t.raw(Method::GET, &format!("{path}0"))).await;
    e.assert(400, "SCHEMA_ERROR");
    // A code without details has no `details` key.
    let missing = path.replace(&path[path.len() - 36..], &uuid::Uuid::new_v4().to_string());
    let e = raw_err(t.raw(Method::GET, &missing)).await;
    e.assert(404, "CONTACT_CHANNEL_NOT_FOUND");
    let keys: Vec<&String> = e.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["code", "error"]);
}

#[tokio::test]
async fn ids_only_in_the_hyphenated_form_the_spec_states() {
    let (t, user, _) = setup().await;
    let before = t.stored().await;
    let id = before[0].id;
    // The uuid crate also reads simple, braced and URN forms; the spec's pattern does not.
    for other_form in [
        id.simple().to_string(),
        id.braced().to_string(),
        id.urn().to_string(),
    ] {
        let e = err(t
            .server()
            .get_contact_channel()
            .user_id(&user)
            .contact_channel_id(&other_form)
            .send()
            .await);
        e.assert(400, "SCHEMA_ERROR");
        assert!(message(&e).contains("contact_channel_id"), "{e:?}");
    }
    // Either case is the same id.
    let upper = t
        .server()
        .get_contact_channel()
        .user_id(user.to_uppercase())
        .contact_channel_id(id.to_string().to_uppercase())
        .send()
        .await
        .unwrap();
    assert_eq!(upper.into_inner().id, id.to_string());
    assert_eq!(t.stored().await, before);
}

#[tokio::test]
async fn cursors_and_session_lengths_outside_the_spec_are_schema_errors() {
    let (t, user, _) = setup().await;
    for cursor in ["c2VxOjQy", "000000000000002A", "2a", ""] {
        let e = err(t
            .server()
            .list_contact_channels()
            .cursor(cursor)
            .send()
            .await);
        e.assert(400, "SCHEMA_ERROR");
        assert!(message(&e).starts_with("cursor:"), "{cursor:?}: {e:?}");
    }
    // Any cursor of the stated shape reads: past the last row, an empty last page.
    let page = t
        .server()
        .list_contact_channels()
        .cursor("7fffffffffffffff")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(page.items.is_empty() && page.pagination.unwrap().next_cursor.is_none());

    const YEAR: u64 = 365 * 24 * 60 * 60 * 1000;
    let session = |ms: u64| {
        t.raw(Method::POST, "/api/v1/auth/sessions")
            .json(&serde_json::json!({ "user_id": user, "expires_in_millis": ms }))
    };
    for ms in [YEAR + 1, u64::MAX] {
        let e = raw_err(session(ms)).await;
        e.assert(400, "SCHEMA_ERROR");
        assert!(message(&e).contains("expires_in_millis"), "{e:?}");
    }
    assert_eq!(session(YEAR).send().await.unwrap().status(), 200);
}

//! Bad input, end to end: each gets a clear error with the right status and code, in Stack
//! Auth's error shape, and leaves stored data unchanged.

use contact_channels_client::types::ContactChannelUpdate;
use contact_channels_tests::{
    err, new_channel, raw_err, ErrorTable, Redactions, SeenError, TestServer,
};
use reqwest::Method;
use serde_json::json;

/// A server with one user and one channel, the path of that channel, and a table that shows the
/// project, the user and the channel by name.
async fn setup() -> (TestServer, String, String, ErrorTable) {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "keep@example.com", true, true).await;
    let path = format!("/api/v1/contact-channels/{user}/{}", channel.id);
    let redactions = Redactions::project(&t)
        .with(&user, "<user_id>")
        .with(&channel.id, "<channel_id>");
    (t, user, path, ErrorTable::new(redactions))
}

fn message(e: &SeenError) -> String {
    e.details()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_bad_email_is_a_schema_error() {
    let (t, user, _, mut table) = setup().await;
    let before = t.stored().await;
    let (id, server) = (before[0].id.to_string(), t.server());
    for value in [
        "not-an-email",
        "",
        "   ",
        "a@",
        "@example.com",
        "two@@example.com",
    ] {
        let create = server
            .create_contact_channel()
            .body(new_channel(&user, value));
        let seen = err(create.send().await);
        let case = json!({ "case": "create", "value": value });
        let e = table.check(case, seen, 400, "SCHEMA_ERROR");
        assert!(message(&e).starts_with("value:"), "{e:?}");

        let update = ContactChannelUpdate {
            value: Some(value.into()),
            ..Default::default()
        };
        let seen = err(t.update_channel(&user, &id, update).await);
        let case = json!({ "case": "update", "value": value });
        table.check(case, seen, 400, "SCHEMA_ERROR");
    }
    assert_eq!(t.stored().await, before);
    insta::assert_json_snapshot!(table.snapshot());
}

#[tokio::test]
async fn a_bad_uuid_is_a_schema_error() {
    let (t, user, _, mut table) = setup().await;
    let before = t.stored().await;
    let id = before[0].id.to_string();
    let not_primary = ContactChannelUpdate {
        is_primary: Some(false),
        ..Default::default()
    };
    let server = t.server();
    // Each message names the parameter at fault.
    #[rustfmt::skip]
    let rows = [
        ("get a channel by a bad id", "contact_channel_id", err(t.get_channel(&user, "not-a-uuid").await)),
        ("update a channel of a bad user id", "user_id", err(t.update_channel("12345", &id, not_primary).await)),
        ("delete a channel by a bad id", "contact_channel_id", err(t.delete_channel(&user, "zzz").await)),
        ("list channels by a bad id", "contact_channel_id", err(server.list_contact_channels().contact_channel_id("zzz").send().await)),
        ("get a user by a bad id", "user_id", err(server.get_user().user_id("zzz").send().await)),
    ];
    for (case, parameter, seen) in rows {
        let e = table.check(case, seen, 400, "SCHEMA_ERROR");
        assert!(message(&e).contains(parameter), "{case}: {e:?}");
    }
    assert_eq!(t.stored().await, before);
    insta::assert_json_snapshot!(table.snapshot());
}

#[tokio::test]
async fn malformed_bodies_are_refused_with_the_right_code() {
    let (t, user, path, mut table) = setup().await;
    let before = t.stored().await;
    let patch = |body: &str| {
        t.raw(Method::PATCH, &path)
            .header("content-type", "application/json")
            .body(body.to_owned())
    };

    // Not JSON at all.
    for body in ["{", "{\"value\": }", "", "nonsense"] {
        let case = json!({ "case": "PATCH, not JSON", "sent": body });
        let e = table.check(case, raw_err(patch(body)).await, 400, "BODY_PARSING_ERROR");
        assert!(!message(&e).is_empty());
    }
    // JSON, but not a valid update; the message names the field at fault.
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
        let case = json!({ "case": "PATCH, not an update", "sent": body });
        let e = table.check(case, raw_err(patch(body)).await, 400, "SCHEMA_ERROR");
        assert!(message(&e).contains(field), "{body}: {e:?}");
    }
    // Create: a missing required field, an unknown one.
    let missing = json!({ "user_id": user, "value": "n@example.com", "type": "email" });
    let unknown = json!({
        "user_id": user, "value": "n@example.com", "type": "email", "used_for_auth": false,
        "extra": 1,
    });
    for (body, field) in [(missing, "used_for_auth"), (unknown, "extra")] {
        let create = t.raw(Method::POST, "/api/v1/contact-channels").json(&body);
        let case = json!({ "case": "create, not a valid channel", "sent": body });
        let e = table.check(case, raw_err(create).await, 400, "SCHEMA_ERROR");
        assert!(message(&e).contains(field), "{e:?}");
    }

    // Too large.
    let huge = format!(r#"{{"value": "{}@example.com"}}"#, "a".repeat(64 * 1024));
    let seen = raw_err(patch(&huge)).await;
    table.check("PATCH, a 64 KiB value", seen, 413, "REQUEST_BODY_TOO_LARGE");

    assert_eq!(t.stored().await, before);
    insta::assert_json_snapshot!(table.snapshot());
}

#[tokio::test]
async fn errors_have_exactly_the_stack_auth_body() {
    let (t, _, path, mut table) = setup().await;
    let missing = path.replace(&path[path.len() - 36..], &uuid::Uuid::new_v4().to_string());
    #[rustfmt::skip]
    let rows = [
        ("PATCH `{` without a content type", Method::PATCH, &path, Some("{"), 400, "BODY_PARSING_ERROR", &["code", "details", "error"][..]),
        ("GET a malformed id", Method::GET, &format!("{path}0"), None, 400, "SCHEMA_ERROR", &["code", "details", "error"][..]),
        // A code without details has no `details` key.
        ("GET a missing channel", Method::GET, &missing, None, 404, "CONTACT_CHANNEL_NOT_FOUND", &["code", "error"][..]),
    ];
    for (case, method, path, body, status, code, keys) in rows {
        let mut request = t.raw(method, path);
        if let Some(body) = body {
            request = request.body(body);
        }
        let e = table.check(case, raw_err(request).await, status, code);
        let seen: Vec<&String> = e.body.as_object().unwrap().keys().collect();
        assert_eq!(seen, keys, "{case}");
    }
    insta::assert_json_snapshot!(table.snapshot());
}

#[tokio::test]
async fn ids_only_in_the_hyphenated_form_the_spec_states() {
    let (t, user, _, _) = setup().await;
    let before = t.stored().await;
    let id = before[0].id;
    let redactions = Redactions::project(&t)
        .with(&user, "<user_id>")
        .with(id.to_string(), "<channel_id>")
        .with(id.simple().to_string(), "<channel_id, simple>");
    let mut table = ErrorTable::new(redactions);
    // The uuid crate also reads simple, braced and URN forms; the spec's pattern does not.
    for other_form in [
        id.simple().to_string(),
        id.braced().to_string(),
        id.urn().to_string(),
    ] {
        let seen = err(t.get_channel(&user, &other_form).await);
        let case = json!({ "case": "get a channel", "contact_channel_id": other_form });
        let e = table.check(case, seen, 400, "SCHEMA_ERROR");
        assert!(message(&e).contains("contact_channel_id"), "{e:?}");
    }
    // Either case is the same id.
    let (user, upper) = (user.to_uppercase(), id.to_string().to_uppercase());
    let read = t.get_channel(&user, &upper).await.unwrap();
    assert_eq!(read.into_inner().id, id.to_string());
    assert_eq!(t.stored().await, before);
    insta::assert_json_snapshot!(table.snapshot());
}

#[tokio::test]
async fn cursors_and_session_lengths_outside_the_spec_are_schema_errors() {
    let (t, user, _, mut table) = setup().await;
    for cursor in ["c2VxOjQy", "000000000000002A", "2a", ""] {
        let seen = err(t
            .server()
            .list_contact_channels()
            .cursor(cursor)
            .send()
            .await);
        let case = json!({ "case": "list with a cursor", "cursor": cursor });
        let e = table.check(case, seen, 400, "SCHEMA_ERROR");
        assert!(message(&e).starts_with("cursor:"), "{cursor:?}: {e:?}");
    }
    // Any cursor of the stated shape reads: past the last row, an empty last page.
    let server = t.server();
    let page = server.list_contact_channels().cursor("7fffffffffffffff");
    let page = page.send().await.unwrap().into_inner();
    assert!(page.items.is_empty() && page.pagination.unwrap().next_cursor.is_none());

    const YEAR: u64 = 365 * 24 * 60 * 60 * 1000;
    let session = |ms: u64| {
        t.raw(Method::POST, "/api/v1/auth/sessions")
            .json(&json!({ "user_id": user, "expires_in_millis": ms }))
    };
    for ms in [YEAR + 1, u64::MAX] {
        let case = json!({ "case": "a session longer than a year", "expires_in_millis": ms });
        let e = table.check(case, raw_err(session(ms)).await, 400, "SCHEMA_ERROR");
        assert!(message(&e).contains("expires_in_millis"), "{e:?}");
    }
    assert_eq!(session(YEAR).send().await.unwrap().status(), 200);
    insta::assert_json_snapshot!(table.snapshot());
}

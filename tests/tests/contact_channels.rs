//! The contact-channel rules, end to end: the real server driven through the generated client.

use contact_channels_client::types::{
    ContactChannel, ContactChannelCreate, ContactChannelType, ContactChannelUpdate,
};
use contact_channels_tests::{err, new_channel, raw_err, SeenError, TestServer};
use reqwest::Method;
use serde_json::json;

fn update() -> ContactChannelUpdate {
    ContactChannelUpdate::default()
}

/// An update that sets only `is_primary`.
fn primary(is_primary: bool) -> ContactChannelUpdate {
    ContactChannelUpdate {
        is_primary: Some(is_primary),
        ..update()
    }
}

/// The values of a user's primary channels.
async fn primaries(t: &TestServer, user: &str) -> Vec<String> {
    let channels = t.channels_of(user).await.into_iter();
    channels.filter(|c| c.is_primary).map(|c| c.value).collect()
}

fn ids(items: &[ContactChannel]) -> Vec<String> {
    items.iter().map(|c| c.id.clone()).collect()
}

#[tokio::test]
async fn patch_answers_the_seed_shape_with_normalised_value() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "old@example.com", false, false).await;
    let body = ContactChannelUpdate {
        value: Some("  JohnDoe@Example.COM ".into()),
        type_: Some(ContactChannelType::Email),
        used_for_auth: Some(true),
        is_primary: Some(true),
        is_verified: None,
    };
    let updated = t.update_channel(&user, &channel.id, body).await.unwrap();
    assert_eq!(updated.status(), 200);
    let body = serde_json::to_value(updated.into_inner()).unwrap();
    assert_eq!(
        body,
        json!({
            "user_id": user,
            "id": channel.id,
            "value": "johndoe@example.com",
            "type": "email",
            "used_for_auth": true,
            "is_verified": false,
            "is_primary": true,
        })
    );
    // What was answered is what is stored.
    let read = t.get_channel(&user, &channel.id).await.unwrap();
    assert_eq!(serde_json::to_value(read.into_inner()).unwrap(), body);
}

#[tokio::test]
async fn create_defaults_get_and_delete() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let created = t.create_channel(new_channel(&user, "A@Example.com")).await;
    let created = created.unwrap();
    assert_eq!(created.status(), 201);
    let created = created.into_inner();
    assert_eq!(created.value, "a@example.com");
    assert!(!created.is_primary && !created.is_verified && !created.used_for_auth);
    uuid::Uuid::parse_str(&created.id).expect("ids are UUIDs");

    let id = created.id.as_str();
    let deleted = t.delete_channel(&user, id).await.unwrap();
    assert!(deleted.into_inner().success);
    // Gone for reading, deleting again and updating.
    for gone in [
        err(t.get_channel(&user, id).await),
        err(t.delete_channel(&user, id).await),
        err(t.update_channel(&user, id, update()).await),
    ] {
        gone.assert(404, "CONTACT_CHANNEL_NOT_FOUND");
    }
}

#[tokio::test]
async fn channel_of_another_user_is_not_found_under_this_user() {
    let t = TestServer::start().await;
    let (a, b) = (t.user().await, t.user().await);
    let channel = t.channel(&a, "a@example.com", false, false).await;
    err(t.get_channel(&b, &channel.id).await).assert(404, "CONTACT_CHANNEL_NOT_FOUND");
    t.rejected(t.delete_channel(&b, &channel.id))
        .await
        .assert(404, "CONTACT_CHANNEL_NOT_FOUND");
}

#[tokio::test]
async fn making_a_channel_primary_demotes_the_other_and_unsetting_promotes_none() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let first = t.channel(&user, "first@example.com", false, true).await;
    assert!(first.is_primary);
    let second = t.channel(&user, "second@example.com", false, true).await;
    assert!(second.is_primary);
    assert_eq!(primaries(&t, &user).await, ["second@example.com"]);
    let me = t.read_user(&user).await;
    assert_eq!(me.primary_email.as_deref(), Some("second@example.com"));

    // PATCH first back to primary: second is demoted in the same operation.
    t.update_channel(&user, &first.id, primary(true))
        .await
        .unwrap();
    assert_eq!(primaries(&t, &user).await, ["first@example.com"]);

    // Un-setting primary promotes none.
    t.update_channel(&user, &first.id, primary(false))
        .await
        .unwrap();
    assert!(primaries(&t, &user).await.is_empty());
    let me = t.read_user(&user).await;
    assert_eq!((me.primary_email, me.primary_email_verified), (None, false));

    // Deleting the primary promotes none either.
    t.update_channel(&user, &second.id, primary(true))
        .await
        .unwrap();
    t.delete_channel(&user, &second.id).await.unwrap();
    assert!(primaries(&t, &user).await.is_empty());
}

#[tokio::test]
async fn primary_is_per_user() {
    let t = TestServer::start().await;
    let (a, b) = (t.user().await, t.user().await);
    t.channel(&a, "a@example.com", false, true).await;
    t.channel(&b, "b@example.com", false, true).await;
    let all = t.stored().await;
    assert_eq!(all.iter().filter(|c| c.is_primary).count(), 2);
}

#[tokio::test]
async fn a_user_cannot_hold_the_same_value_twice() {
    let t = TestServer::start().await;
    let user = t.user().await;
    t.channel(&user, "same@example.com", false, false).await;
    let other = t.channel(&user, "other@example.com", false, false).await;

    let dup = ContactChannelCreate {
        is_primary: Some(true),
        ..new_channel(&user, " SAME@example.com")
    };
    let onto_same = ContactChannelUpdate {
        value: Some("Same@Example.com".into()),
        is_primary: Some(true),
        ..update()
    };
    for refused in [
        t.rejected(t.create_channel(dup)).await,
        t.rejected(t.update_channel(&user, &other.id, onto_same))
            .await,
    ] {
        refused.assert(409, "CONTACT_CHANNEL_ALREADY_EXISTS");
    }

    // Another user may hold the same value when neither uses it for auth.
    let someone = t.user().await;
    t.channel(&someone, "same@example.com", false, false).await;
}

/// Asserts `e` refuses an auth value already taken: `taken@example.com`, by someone else.
fn assert_taken(e: SeenError) {
    e.assert(409, "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE");
    let details = json!({
        "type": "email",
        "contact_channel_value": "taken@example.com",
        "would_work_if_email_was_verified": false,
    });
    assert_eq!(e.details(), &details);
}

#[tokio::test]
async fn an_auth_value_belongs_to_one_channel_per_project() {
    let t = TestServer::start().await;
    let (a, b, c) = (t.user().await, t.user().await, t.user().await);
    t.channel(&a, "taken@example.com", true, false).await;
    let on_create = ContactChannelCreate {
        used_for_auth: true,
        is_primary: Some(true),
        ..new_channel(&b, "Taken@Example.com")
    };
    assert_taken(t.rejected(t.create_channel(on_create)).await);

    // Not for auth: allowed. Then switching it to auth: refused, with the value filled in.
    let shared = t.channel(&b, "taken@example.com", false, false).await;
    let to_auth = ContactChannelUpdate {
        used_for_auth: Some(true),
        ..primary(true)
    };
    assert_taken(t.rejected(t.update_channel(&b, &shared.id, to_auth)).await);

    // Changing an auth channel's value onto the taken value is refused the same way.
    let elsewhere = t.channel(&c, "elsewhere@example.com", true, false).await;
    let onto_taken = ContactChannelUpdate {
        value: Some("TAKEN@example.com ".into()),
        ..update()
    };
    let on_value = t.rejected(t.update_channel(&c, &elsewhere.id, onto_taken));
    assert_taken(on_value.await);
}

#[tokio::test]
async fn breaking_both_uniqueness_rules_reports_the_per_user_one() {
    let t = TestServer::start().await;
    let (a, b) = (t.user().await, t.user().await);
    t.channel(&a, "both@example.com", true, false).await;
    t.channel(&b, "both@example.com", false, false).await;
    let both = ContactChannelCreate {
        used_for_auth: true,
        ..new_channel(&b, "both@example.com")
    };
    t.rejected(t.create_channel(both))
        .await
        .assert(409, "CONTACT_CHANNEL_ALREADY_EXISTS");
}

#[tokio::test]
async fn changing_the_value_resets_verification_unless_the_server_sets_it() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.create_channel(ContactChannelCreate {
        used_for_auth: true,
        is_primary: Some(true),
        is_verified: Some(true),
        ..new_channel(&user, "v@example.com")
    });
    let mut channel = channel.await.unwrap().into_inner();
    assert!(channel.is_verified);
    let me = t.read_user(&user).await;
    assert!(me.primary_email_verified, "it follows the primary channel");
    // PATCHed in turn: each body, and whether the channel is verified after it.
    #[rustfmt::skip]
    let rows = [
        ("not touching the value keeps it", json!({ "used_for_auth": true }), true),
        ("`type` is accepted and changes nothing", json!({ "type": "email" }), true),
        ("carrying a value resets it", json!({ "value": "w@example.com" }), false),
        ("unless the server sets it too", json!({ "value": "x@example.com", "is_verified": true }), true),
        ("`{}` is a valid no-op", json!({}), true),
    ];
    for (case, body, is_verified) in rows {
        let body: ContactChannelUpdate = serde_json::from_value(body).unwrap();
        let expected = ContactChannel {
            value: body.value.clone().unwrap_or(channel.value),
            used_for_auth: body.used_for_auth.unwrap_or(channel.used_for_auth),
            is_verified,
            ..channel
        };
        let updated = t.update_channel(&user, &expected.id, body).await;
        channel = updated.unwrap().into_inner();
        assert_eq!(channel, expected, "{case}");
    }
}

/// Two users with five channels each, created in turn; the first user and their channels' ids,
/// oldest first.
async fn five_each(t: &TestServer) -> (String, Vec<String>) {
    let (a, b) = (t.user().await, t.user().await);
    let mut ids = Vec::new();
    for i in 0..5 {
        let (mine, theirs) = (format!("a{i}@example.com"), format!("b{i}@example.com"));
        ids.push(t.channel(&a, &mine, false, false).await.id);
        t.channel(&b, &theirs, false, false).await;
    }
    (a, ids)
}

#[tokio::test]
async fn listing_is_oldest_first_and_paginates_with_a_cursor() {
    let t = TestServer::start().await;
    let (a, expected) = five_each(&t).await;
    let server = t.server();
    let all = server.list_contact_channels().user_id(&a).send().await;
    let all = all.unwrap().into_inner();
    assert!(!all.is_paginated && all.pagination.is_none());
    assert_eq!(ids(&all.items), expected);

    // With a limit, a per-user list is paginated.
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let mut request = server.list_contact_channels().user_id(&a).limit(2u32);
        if let Some(c) = &cursor {
            request = request.cursor(c);
        }
        let page = request.send().await.unwrap().into_inner();
        assert!(page.is_paginated && page.items.len() <= 2);
        seen.extend(ids(&page.items));
        cursor = page.pagination.unwrap().next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, expected);

    // A cursor alone paginates too: what follows it is one page, not "all of them".
    let first = server.list_contact_channels().user_id(&a).limit(2u32);
    let first = first.send().await.unwrap().into_inner();
    let cursor = first.pagination.unwrap().next_cursor.unwrap();
    let rest = server.list_contact_channels().user_id(&a).cursor(&cursor);
    let rest = rest.send().await.unwrap().into_inner();
    assert!(rest.is_paginated);
    assert_eq!(ids(&rest.items), expected[2..]);
}

#[tokio::test]
async fn the_server_lists_the_whole_project_or_one_channel_by_id() {
    let t = TestServer::start().await;
    let (a, expected) = five_each(&t).await;
    let server = t.server();
    // The whole project, for the server: paginated, both users.
    let project = server.list_contact_channels().send().await;
    let project = project.unwrap().into_inner();
    assert!(project.is_paginated);
    assert_eq!(project.items.len(), 10);
    assert_eq!(project.pagination.unwrap().next_cursor, None);

    // One channel by id.
    let one = server.list_contact_channels().user_id(&a);
    let one = one.contact_channel_id(&expected[3]).send().await.unwrap();
    assert_eq!(ids(&one.into_inner().items), [expected[3].clone()]);
}

#[tokio::test]
async fn limits_and_cursors_the_client_refuses_are_refused_by_the_server_too() {
    let t = TestServer::start().await;
    five_each(&t).await;
    // The typed client refuses these itself; the server must too.
    for limit in ["0", "1001", "-1", "many"] {
        let path = format!("/api/v1/contact-channels?limit={limit}");
        raw_err(t.raw(Method::GET, &path))
            .await
            .assert(400, "SCHEMA_ERROR");
    }
    let server = t.server();
    let bad_cursor = server.list_contact_channels().cursor("not-a-cursor");
    err(bad_cursor.send().await).assert(400, "SCHEMA_ERROR");
}

#[tokio::test]
async fn deleting_a_user_deletes_its_channels_and_frees_its_auth_values() {
    let t = TestServer::start().await;
    let (a, b) = (t.user().await, t.user().await);
    t.channel(&a, "mine@example.com", true, true).await;
    t.channel(&a, "second@example.com", false, false).await;
    let deleted = t.server().delete_user().user_id(&a).send().await;
    assert!(deleted.unwrap().into_inner().success);
    assert!(t.stored().await.is_empty());
    err(t.server().get_user().user_id(&a).send().await).assert(404, "USER_NOT_FOUND");
    err(t.server().delete_user().user_id(&a).send().await).assert(404, "USER_NOT_FOUND");
    let claimed = t.channel(&b, "mine@example.com", true, false).await;
    assert!(claimed.used_for_auth);
}

#[tokio::test]
async fn an_unknown_user_is_reported_before_any_not_found() {
    let t = TestServer::start().await;
    let ghost = uuid::Uuid::new_v4().to_string();
    let channel = uuid::Uuid::new_v4().to_string();
    let (server, admin) = (t.server(), t.admin());
    let ghostly = new_channel(&ghost, "ghost@example.com");
    let session = contact_channels_client::types::SessionCreate {
        user_id: ghost.clone(),
        expires_in_millis: None,
        is_impersonation: None,
    };
    for unknown in [
        err(t.get_channel(&ghost, &channel).await),
        err(t.delete_channel(&ghost, &channel).await),
        err(t.update_channel(&ghost, &channel, update()).await),
        err(server.list_contact_channels().user_id(&ghost).send().await),
        err(admin.create_contact_channel().body(ghostly).send().await),
        err(server.create_session().body(session).send().await),
    ] {
        unknown.assert(400, "USER_ID_DOES_NOT_EXIST");
        assert_eq!(unknown.details(), &json!({ "user_id": ghost }));
    }
    assert!(t.stored().await.is_empty());
}

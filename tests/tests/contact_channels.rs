//! The contact-channel rules, end to end: the real server driven through the generated client.

use contact_channels_client::types::{
    ContactChannelCreate, ContactChannelType, ContactChannelUpdate,
};
use contact_channels_tests::{err, new_channel, raw_err, TestServer};
use reqwest::Method;

fn update() -> ContactChannelUpdate {
    ContactChannelUpdate::default()
}

#[tokio::test]
async fn patch_answers_the_seed_shape_with_normalised_value() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "old@example.com", false, false).await;

    let updated = t
        .server()
        .update_contact_channel()
        .user_id(&user)
        .contact_channel_id(&channel.id)
        .body(ContactChannelUpdate {
            value: Some("  JohnDoe@Example.COM ".into()),
            type_: Some(ContactChannelType::Email),
            used_for_auth: Some(true),
            is_primary: Some(true),
            is_verified: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let body = serde_json::to_value(updated.into_inner()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
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
    let read = t
        .server()
        .get_contact_channel()
        .user_id(&user)
        .contact_channel_id(&channel.id)
        .send()
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(read.into_inner()).unwrap(), body);
}

#[tokio::test]
async fn create_defaults_get_and_delete() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let created = t
        .server()
        .create_contact_channel()
        .body(new_channel(&user, "A@Example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created = created.into_inner();
    assert_eq!(created.value, "a@example.com");
    assert!(!created.is_primary && !created.is_verified && !created.used_for_auth);
    uuid::Uuid::parse_str(&created.id).expect("ids are UUIDs");

    let deleted = t
        .server()
        .delete_contact_channel()
        .user_id(&user)
        .contact_channel_id(&created.id)
        .send()
        .await
        .unwrap();
    assert!(deleted.into_inner().success);
    err(t
        .server()
        .get_contact_channel()
        .user_id(&user)
        .contact_channel_id(&created.id)
        .send()
        .await)
    .assert(404, "CONTACT_CHANNEL_NOT_FOUND");
    err(t
        .server()
        .delete_contact_channel()
        .user_id(&user)
        .contact_channel_id(&created.id)
        .send()
        .await)
    .assert(404, "CONTACT_CHANNEL_NOT_FOUND");
    err(t
        .server()
        .update_contact_channel()
        .user_id(&user)
        .contact_channel_id(&created.id)
        .body(update())
        .send()
        .await)
    .assert(404, "CONTACT_CHANNEL_NOT_FOUND");
}

#[tokio::test]
async fn channel_of_another_user_is_not_found_under_this_user() {
    let t = TestServer::start().await;
    let (a, b) = (t.user().await, t.user().await);
    let channel = t.channel(&a, "a@example.com", false, false).await;
    err(t
        .server()
        .get_contact_channel()
        .user_id(&b)
        .contact_channel_id(&channel.id)
        .send()
        .await)
    .assert(404, "CONTACT_CHANNEL_NOT_FOUND");
    let before = t.stored().await;
    err(t
        .server()
        .delete_contact_channel()
        .user_id(&b)
        .contact_channel_id(&channel.id)
        .send()
        .await)
    .assert(404, "CONTACT_CHANNEL_NOT_FOUND");
    assert_eq!(t.stored().await, before);
}

#[tokio::test]
async fn making_a_channel_primary_demotes_the_other_and_unsetting_promotes_none() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let first = t.channel(&user, "first@example.com", false, true).await;
    assert!(first.is_primary);
    let second = t.channel(&user, "second@example.com", false, true).await;
    assert!(second.is_primary);

    let primaries = |items: &[contact_channels_client::types::ContactChannel]| {
        items
            .iter()
            .filter(|c| c.is_primary)
            .map(|c| c.value.clone())
            .collect::<Vec<_>>()
    };
    let list = |t: &TestServer| {
        let client = t.server();
        let user = user.clone();
        async move {
            client
                .list_contact_channels()
                .user_id(user)
                .send()
                .await
                .unwrap()
                .into_inner()
                .items
        }
    };
    assert_eq!(primaries(&list(&t).await), ["second@example.com"]);
    let me = t
        .server()
        .get_user()
        .user_id(&user)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.primary_email.as_deref(), Some("second@example.com"));

    // PATCH first back to primary: second is demoted in the same operation.
    t.server()
        .update_contact_channel()
        .user_id(&user)
        .contact_channel_id(&first.id)
        .body(ContactChannelUpdate {
            is_primary: Some(true),
            ..update()
        })
        .send()
        .await
        .unwrap();
    assert_eq!(primaries(&list(&t).await), ["first@example.com"]);

    // Un-setting primary promotes none.
    t.server()
        .update_contact_channel()
        .user_id(&user)
        .contact_channel_id(&first.id)
        .body(ContactChannelUpdate {
            is_primary: Some(false),
            ..update()
        })
        .send()
        .await
        .unwrap();
    assert!(primaries(&list(&t).await).is_empty());
    let me = t
        .server()
        .get_user()
        .user_id(&user)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((me.primary_email, me.primary_email_verified), (None, false));

    // Deleting the primary promotes none either.
    t.server()
        .update_contact_channel()
        .user_id(&user)
        .contact_channel_id(&second.id)
        .body(ContactChannelUpdate {
            is_primary: Some(true),
            ..update()
        })
        .send()
        .await
        .unwrap();
    t.server()
        .delete_contact_channel()
        .user_id(&user)
        .contact_channel_id(&second.id)
        .send()
        .await
        .unwrap();
    assert!(primaries(&list(&t).await).is_empty());
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
    let before = t.stored().await;

    let dup = err(t
        .server()
        .create_contact_channel()
        .body(ContactChannelCreate {
            is_primary: Some(true),
            ..new_channel(&user, " SAME@example.com")
        })
        .send()
        .await);
    dup.assert(409, "CONTACT_CHANNEL_ALREADY_EXISTS");

    err(t
        .server()
        .update_contact_channel()
        .user_id(&user)
        .contact_channel_id(&other.id)
        .body(ContactChannelUpdate {
            value: Some("Same@Example.com".into()),
            is_primary: Some(true),
            ..update()
        })
        .send()
        .await)
    .assert(409, "CONTACT_CHANNEL_ALREADY_EXISTS");
    assert_eq!(
        t.stored().await,
        before,
        "a rejected request changes nothing"
    );

    // Another user may hold the same value when neither uses it for auth.
    let someone = t.user().await;
    t.channel(&someone, "same@example.com", false, false).await;
}

#[tokio::test]
async fn an_auth_value_belongs_to_one_channel_per_project() {
    let t = TestServer::start().await;
    let (a, b) = (t.user().await, t.user().await);
    t.channel(&a, "taken@example.com", true, false).await;
    let before = t.stored().await;

    let on_create = err(t
        .server()
        .create_contact_channel()
        .body(ContactChannelCreate {
            used_for_auth: true,
            is_primary: Some(true),
            ..new_channel(&b, "Taken@Example.com")
        })
        .send()
        .await);
    on_create.assert(409, "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE");
    let details = serde_json::json!({
        "type": "email",
        "contact_channel_value": "taken@example.com",
        "would_work_if_email_was_verified": false,
    });
    assert_eq!(on_create.details(), &details);
    assert_eq!(t.stored().await, before);

    // Not for auth: allowed. Then switching it to auth: refused, with the value filled in.
    let shared = t.channel(&b, "taken@example.com", false, false).await;
    let before = t.stored().await;
    let on_update = err(t
        .server()
        .update_contact_channel()
        .user_id(&b)
        .contact_channel_id(&shared.id)
        .body(ContactChannelUpdate {
            used_for_auth: Some(true),
            is_primary: Some(true),
            ..update()
        })
        .send()
        .await);
    on_update.assert(409, "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE");
    assert_eq!(on_update.details(), &details);
    assert_eq!(t.stored().await, before);

    // Changing an auth channel's value onto the taken value is refused the same way.
    let c = t.user().await;
    let elsewhere = t.channel(&c, "elsewhere@example.com", true, false).await;
    let before = t.stored().await;
    let on_value = err(t
        .server()
        .update_contact_channel()
        .user_id(&c)
        .contact_channel_id(&elsewhere.id)
        .body(ContactChannelUpdate {
            value: Some("TAKEN@example.com ".into()),
            ..update()
        })
        .send()
        .await);
    on_value.assert(409, "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE");
    assert_eq!(on_value.details(), &details);
    assert_eq!(t.stored().await, before);
}

#[tokio::test]
async fn breaking_both_uniqueness_rules_reports_the_per_user_one() {
    let t = TestServer::start().await;
    let (a, b) = (t.user().await, t.user().await);
    t.channel(&a, "both@example.com", true, false).await;
    t.channel(&b, "both@example.com", false, false).await;
    let before = t.stored().await;
    err(t
        .server()
        .create_contact_channel()
        .body(ContactChannelCreate {
            used_for_auth: true,
            ..new_channel(&b, "both@example.com")
        })
        .send()
        .await)
    .assert(409, "CONTACT_CHANNEL_ALREADY_EXISTS");
    assert_eq!(t.stored().await, before);
}

#[tokio::test]
async fn changing_the_value_resets_verification_unless_the_server_sets_it() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let verified = t
        .server()
        .create_contact_channel()
        .body(ContactChannelCreate {
            used_for_auth: true,
            is_primary: Some(true),
            is_verified: Some(true),
            ..new_channel(&user, "v@example.com")
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(verified.is_verified);
    let me = t
        .server()
        .get_user()
        .user_id(&user)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        me.primary_email_verified,
        "primary_email_verified follows the primary channel"
    );

    let patch = |body: ContactChannelUpdate| {
        let client = t.server();
        let (user, id) = (user.clone(), verified.id.clone());
        async move {
            client
                .update_contact_channel()
                .user_id(user)
                .contact_channel_id(id)
                .body(body)
                .send()
                .await
                .unwrap()
                .into_inner()
        }
    };
    // Not touching the value keeps verification.
    assert!(
        patch(ContactChannelUpdate {
            used_for_auth: Some(true),
            ..update()
        })
        .await
        .is_verified
    );
    // `type` is accepted and changes nothing.
    assert!(
        patch(ContactChannelUpdate {
            type_: Some(ContactChannelType::Email),
            ..update()
        })
        .await
        .is_verified
    );
    // Carrying a value resets it.
    let reset = patch(ContactChannelUpdate {
        value: Some("w@example.com".into()),
        ..update()
    })
    .await;
    assert!(!reset.is_verified);
    assert_eq!(reset.value, "w@example.com");
    // ...unless the server says otherwise in the same body.
    let kept = patch(ContactChannelUpdate {
        value: Some("x@example.com".into()),
        is_verified: Some(true),
        ..update()
    })
    .await;
    assert!(kept.is_verified);
    // `{}` is a valid no-op.
    assert_eq!(patch(update()).await, kept);
}

#[tokio::test]
async fn listing_is_oldest_first_and_paginates_with_a_cursor() {
    let t = TestServer::start().await;
    let (a, b) = (t.user().await, t.user().await);
    let mut expected = Vec::new();
    for i in 0..5 {
        expected.push(
            t.channel(&a, &format!("a{i}@example.com"), false, false)
                .await
                .id,
        );
        t.channel(&b, &format!("b{i}@example.com"), false, false)
            .await;
    }

    let all = t
        .server()
        .list_contact_channels()
        .user_id(&a)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!all.is_paginated && all.pagination.is_none());
    assert_eq!(
        all.items.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        expected
    );

    // With a limit, a per-user list is paginated.
    let server = t.server();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = server.list_contact_channels().user_id(&a).limit(2u32);
        if let Some(c) = &cursor {
            request = request.cursor(c);
        }
        let page = request.send().await.unwrap().into_inner();
        assert!(page.is_paginated);
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|c| c.id.clone()));
        cursor = page.pagination.unwrap().next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, expected);

    // A cursor alone paginates too: what follows it is one page, not "all of them".
    let first = t
        .server()
        .list_contact_channels()
        .user_id(&a)
        .limit(2u32)
        .send()
        .await
        .unwrap()
        .into_inner();
    let cursor = first.pagination.unwrap().next_cursor.unwrap();
    let rest = t
        .server()
        .list_contact_channels()
        .user_id(&a)
        .cursor(&cursor)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(rest.is_paginated);
    assert_eq!(
        rest.items.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        expected[2..]
    );

    // The whole project, for the server: paginated, both users.
    let project = t
        .server()
        .list_contact_channels()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(project.is_paginated);
    assert_eq!(project.items.len(), 10);
    assert_eq!(project.pagination.unwrap().next_cursor, None);

    // One channel by id.
    let one = t
        .server()
        .list_contact_channels()
        .user_id(&a)
        .contact_channel_id(&expected[3])
        .send()
        .await
        .unwrap();
    assert_eq!(one.into_inner().items.len(), 1);

    // The typed client refuses these itself; the server must too.
    for limit in ["0", "1001", "-1", "many"] {
        raw_err(t.raw(
            Method::GET,
            &format!("/api/v1/contact-channels?limit={limit}"),
        ))
        .await
        .assert(400, "SCHEMA_ERROR");
    }
    err(t
        .server()
        .list_contact_channels()
        .cursor("not-a-cursor")
        .send()
        .await)
    .assert(400, "SCHEMA_ERROR");
}

#[tokio::test]
async fn deleting_a_user_deletes_its_channels_and_frees_its_auth_values() {
    let t = TestServer::start().await;
    let (a, b) = (t.user().await, t.user().await);
    t.channel(&a, "mine@example.com", true, true).await;
    t.channel(&a, "second@example.com", false, false).await;
    assert!(
        t.server()
            .delete_user()
            .user_id(&a)
            .send()
            .await
            .unwrap()
            .into_inner()
            .success
    );
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
    let check = |e: contact_channels_tests::SeenError| {
        e.assert(400, "USER_ID_DOES_NOT_EXIST");
        assert_eq!(e.details(), &serde_json::json!({ "user_id": ghost }));
    };
    check(err(t
        .server()
        .get_contact_channel()
        .user_id(&ghost)
        .contact_channel_id(&channel)
        .send()
        .await));
    check(err(t
        .server()
        .delete_contact_channel()
        .user_id(&ghost)
        .contact_channel_id(&channel)
        .send()
        .await));
    check(err(t
        .server()
        .update_contact_channel()
        .user_id(&ghost)
        .contact_channel_id(&channel)
        .body(update())
        .send()
        .await));
    check(err(t
        .server()
        .list_contact_channels()
        .user_id(&ghost)
        .send()
        .await));
    check(err(t
        .admin()
        .create_contact_channel()
        .body(new_channel(&ghost, "ghost@example.com"))
        .send()
        .await));
    check(err(t
        .server()
        .create_session()
        .body(contact_channels_client::types::SessionCreate {
            user_id: ghost.clone(),
            expires_in_millis: None,
        })
        .send()
        .await));
    assert!(t.stored().await.is_empty());
}

//! One behaviour suite for every [`Store`] implementation, so engines cannot drift apart.
//! Each check takes a fresh, empty store.

use super::*;
use std::num::NonZeroU32;

async fn project(store: &dyn Store) -> String {
    let (record, _) = crate::service::auth::new_project("Suite", false, 1);
    store.create_project(&record).await.unwrap();
    let loaded = store.get_project(&record.id).await.unwrap().unwrap();
    assert_eq!(loaded.secret_server_key_hash, record.secret_server_key_hash);
    assert_eq!(loaded.signing_key, record.signing_key);
    record.id
}

async fn user(store: &dyn Store, project: &str) -> Uuid {
    store
        .create_user(project, Uuid::new_v4(), Some("u"), 1)
        .await
        .unwrap()
        .id
}

fn channel(user_id: Uuid, value: &str, used_for_auth: bool, is_primary: bool) -> NewChannel {
    NewChannel {
        id: Uuid::new_v4(),
        user_id,
        value: value.into(),
        used_for_auth,
        is_verified: false,
        is_primary,
        cap: u32::MAX,
    }
}

/// A store, and what must live as long as it (a temporary file, a scratch schema).
pub struct Kept<S, G> {
    pub store: S,
    pub _guard: G,
}

impl<S, G> std::ops::Deref for Kept<S, G> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.store
    }
}

/// A store error as a caller sees it: the typed error with its details. The engine's own cause,
/// which differs by engine, is left out of the comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    NotFound(Entity),
    Conflict(Conflict),
    LimitReached(SendLimit, std::time::Duration),
    Unavailable,
    Backend,
}

/// A whole answer, comparable across engines.
pub fn answer<T>(result: Result<T, StoreError>) -> Result<T, Failure> {
    result.map_err(|e| match e {
        StoreError::NotFound(entity) => Failure::NotFound(entity),
        StoreError::Conflict(conflict) => Failure::Conflict(conflict),
        StoreError::LimitReached { limit, retry_after } => {
            Failure::LimitReached(limit, retry_after)
        }
        StoreError::Unavailable(_) => Failure::Unavailable,
        StoreError::Backend(_) => Failure::Backend,
    })
}

/// Asserts that `result` failed because `entity` does not exist.
#[track_caller]
fn not_found<T: std::fmt::Debug + PartialEq>(result: Result<T, StoreError>, entity: Entity) {
    assert_eq!(answer(result), Err(Failure::NotFound(entity)));
}

/// An answer, its success shown as text: the table of [`errors`] holds answers of every type.
fn shown<T: std::fmt::Debug>(result: Result<T, StoreError>) -> Result<String, Failure> {
    answer(result).map(|ok| format!("{ok:?}"))
}

fn auth_taken(value: &str) -> Failure {
    Failure::Conflict(Conflict::ValueUsedForAuth {
        value: value.into(),
    })
}

const TAKEN_BY_USER: Failure = Failure::Conflict(Conflict::ValueTakenByUser);

/// Making a channel primary, on create or update, demotes the other in the same write.
pub async fn one_primary_per_user(store: &dyn Store) {
    let p = project(store).await;
    let u = user(store, &p).await;
    let a = store
        .create_channel(&p, &channel(u, "a@x.io", false, true))
        .await
        .unwrap();
    let b = store
        .create_channel(&p, &channel(u, "b@x.io", false, true))
        .await
        .unwrap();
    let primaries = |items: Vec<ChannelRecord>| {
        items
            .into_iter()
            .filter(|c| c.is_primary)
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    let filter = ChannelFilter {
        user_id: Some(u),
        ..Default::default()
    };
    let all = || store.list_channels(&p, &filter);
    assert_eq!(primaries(all().await.unwrap()), [b.id]);
    let changes = ChannelChanges {
        is_primary: Some(true),
        ..Default::default()
    };
    store.update_channel(&p, u, a.id, &changes).await.unwrap();
    assert_eq!(primaries(all().await.unwrap()), [a.id]);
    let user = store.get_user(&p, u).await.unwrap().unwrap();
    assert_eq!(user.primary_email.as_deref(), Some("a@x.io"));
}

/// A user at the cap gets `ChannelLimit` with the cap and nothing is written; other users are
/// not counted, and a deleted channel frees its place.
pub async fn channel_cap(store: &dyn Store) {
    let p = project(store).await;
    let (u, other) = (user(store, &p).await, user(store, &p).await);
    let capped = |user: Uuid, value: &str| NewChannel {
        cap: 2,
        ..channel(user, value, false, false)
    };
    let first = store
        .create_channel(&p, &capped(u, "a@x.io"))
        .await
        .unwrap();
    store
        .create_channel(&p, &capped(u, "b@x.io"))
        .await
        .unwrap();
    let refused = store.create_channel(&p, &capped(u, "c@x.io")).await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Conflict(Conflict::ChannelLimit { cap: 2 }))
        ),
        "{refused:?}"
    );
    let filter = ChannelFilter {
        user_id: Some(u),
        ..Default::default()
    };
    assert_eq!(store.list_channels(&p, &filter).await.unwrap().len(), 2);
    store
        .create_channel(&p, &capped(other, "c@x.io"))
        .await
        .unwrap();
    store.delete_channel(&p, u, first.id).await.unwrap();
    store
        .create_channel(&p, &capped(u, "c@x.io"))
        .await
        .unwrap();
}

/// Every typed error the store answers, whole (the entity, the value), through each operation
/// that can answer it; the failed writes leave every row as it was. A new rule of a write is a
/// new row in the table.
pub async fn errors(store: &dyn Store) {
    let p = project(store).await;
    let p = p.as_str();
    let (u, v, w) = (
        user(store, p).await,
        user(store, p).await,
        user(store, p).await,
    );
    let (ghost, missing) = (Uuid::new_v4(), Uuid::new_v4());
    let create = |c: NewChannel| async move { store.create_channel(p, &c).await };
    let update = |user_id: Uuid, id: Uuid, changes: ChannelChanges| async move {
        store.update_channel(p, user_id, id, &changes).await
    };
    let u_auth = create(channel(u, "auth@x.io", true, true)).await.unwrap();
    // v holds u's auth value, not for auth (which is allowed), and a primary channel.
    let v_plain = create(channel(v, "auth@x.io", false, false)).await.unwrap();
    let v_primary = create(channel(v, "v@x.io", false, true)).await.unwrap();
    let w_auth = create(channel(w, "w@x.io", true, false)).await.unwrap();
    let everything = ChannelFilter::default();
    let before = store.list_channels(p, &everything).await.unwrap();
    let of = |user_id: Uuid, limit: Option<u32>| ChannelFilter {
        user_id: Some(user_id),
        limit,
        ..Default::default()
    };
    let code_of = |user_id: Uuid, channel_id: Uuid| NewVerificationCode {
        prefix: "errorcode0".into(),
        hash: vec![1; 32],
        user_id,
        channel_id,
        value: "g@x.io".into(),
        created_at_millis: 1,
        expires_at_millis: 100,
    };
    let unknown_project = TrustChange::default();
    let user_missing = Failure::NotFound(Entity::User(ghost));

    let cases: Vec<(&str, Result<String, Failure>, Failure)> = vec![
        (
            "create for a missing user",
            shown(create(channel(ghost, "g@x.io", false, false)).await),
            user_missing.clone(),
        ),
        (
            "create a value the user holds",
            shown(create(channel(u, "auth@x.io", false, false)).await),
            TAKEN_BY_USER,
        ),
        (
            "create a value the user holds that another uses for auth: the user's rule first",
            shown(create(channel(v, "auth@x.io", true, true)).await),
            TAKEN_BY_USER,
        ),
        (
            "create for auth a value another uses for auth",
            shown(create(channel(w, "auth@x.io", true, true)).await),
            auth_taken("auth@x.io"),
        ),
        (
            "update for a missing user",
            shown(update(ghost, u_auth.id, ChannelChanges::default()).await),
            user_missing.clone(),
        ),
        (
            "update a missing channel",
            shown(update(u, missing, ChannelChanges::default()).await),
            Failure::NotFound(Entity::Channel(missing)),
        ),
        (
            "update another user's channel",
            shown(update(u, v_plain.id, ChannelChanges::default()).await),
            Failure::NotFound(Entity::Channel(v_plain.id)),
        ),
        (
            "update to a value the user holds",
            shown(
                update(
                    v,
                    v_primary.id,
                    ChannelChanges {
                        value: Some("auth@x.io".into()),
                        ..Default::default()
                    },
                )
                .await,
            ),
            TAKEN_BY_USER,
        ),
        (
            "use for auth, and make primary, a value another uses for auth (the value unchanged)",
            shown(
                update(
                    v,
                    v_plain.id,
                    ChannelChanges {
                        used_for_auth: Some(true),
                        is_primary: Some(true),
                        ..Default::default()
                    },
                )
                .await,
            ),
            auth_taken("auth@x.io"),
        ),
        (
            "give an auth channel a value another uses for auth",
            shown(
                update(
                    w,
                    w_auth.id,
                    ChannelChanges {
                        value: Some("auth@x.io".into()),
                        ..Default::default()
                    },
                )
                .await,
            ),
            auth_taken("auth@x.io"),
        ),
        (
            "delete for a missing user",
            shown(store.delete_channel(p, ghost, u_auth.id).await),
            user_missing.clone(),
        ),
        (
            "delete a missing channel",
            shown(store.delete_channel(p, u, missing).await),
            Failure::NotFound(Entity::Channel(missing)),
        ),
        (
            "delete another user's channel",
            shown(store.delete_channel(p, u, v_plain.id).await),
            Failure::NotFound(Entity::Channel(v_plain.id)),
        ),
        (
            "read a channel of a missing user",
            shown(store.get_channel(p, ghost, u_auth.id).await),
            user_missing.clone(),
        ),
        (
            "list a missing user's channels",
            shown(store.list_channels(p, &of(ghost, None)).await),
            user_missing.clone(),
        ),
        (
            "a page of a missing user's channels",
            shown(store.list_channels(p, &of(ghost, Some(10))).await),
            user_missing.clone(),
        ),
        (
            "delete a missing user",
            shown(store.delete_user(p, ghost).await),
            user_missing.clone(),
        ),
        (
            "change the trust of a missing project",
            shown(store.change_project_trust("nope", &unknown_project).await),
            Failure::NotFound(Entity::Project("nope".into())),
        ),
        (
            "a code for a missing user",
            shown(
                store
                    .create_verification_code(p, &code_of(ghost, missing), &SendLimits::default())
                    .await,
            ),
            user_missing.clone(),
        ),
        (
            "a session for a missing user",
            shown(store.create_refresh_token(p, ghost, b"errors", 10).await),
            user_missing.clone(),
        ),
    ];
    for (case, answered, expected) in cases {
        assert_eq!(answered, Err(expected), "{case}");
    }
    assert_eq!(
        store.list_channels(p, &everything).await.unwrap(),
        before,
        "failed writes change nothing"
    );

    // Consuming a code whose channel was deleted verifies nothing and leaves the code unused.
    let gone = create(channel(w, "gone@x.io", false, false)).await.unwrap();
    let code = code_of(w, gone.id);
    store
        .create_verification_code(p, &code, &SendLimits::default())
        .await
        .unwrap();
    store.delete_channel(p, w, gone.id).await.unwrap();
    let consume: CodeDecision = std::sync::Arc::new(|_, _| CodeAction::Consume);
    assert_eq!(
        shown(
            store
                .use_verification_code(p, &code.prefix, 5, consume)
                .await
        ),
        Err(Failure::NotFound(Entity::Channel(gone.id)))
    );
    let nothing: CodeDecision = std::sync::Arc::new(|_, _| CodeAction::Nothing);
    let (after, _, _) = store
        .use_verification_code(p, &code.prefix, 6, nothing)
        .await
        .unwrap()
        .unwrap();
    assert!(!after.used, "{after:?}");
}

/// Missing rows and users are reported as such; deleting a user deletes its channels.
pub async fn missing_rows_and_cascade(store: &dyn Store) {
    let p = project(store).await;
    let u = user(store, &p).await;
    let ghost = Uuid::new_v4();
    not_found(
        store
            .create_channel(&p, &channel(ghost, "g@x.io", false, false))
            .await,
        Entity::User(ghost),
    );
    let missing = Uuid::new_v4();
    let changes = ChannelChanges::default();
    not_found(
        store.update_channel(&p, u, missing, &changes).await,
        Entity::Channel(missing),
    );
    not_found(
        store.delete_channel(&p, u, missing).await,
        Entity::Channel(missing),
    );
    assert_eq!(
        store.get_channel(&p, u, Uuid::new_v4()).await.unwrap(),
        None
    );
    // Every operation on one user's channels tells a missing user from a missing channel, so
    // the service needs no separate existence check.
    let ghost_owned = store
        .create_channel(&p, &channel(u, "owned@x.io", true, false))
        .await
        .unwrap();
    not_found(
        store
            .create_channel(&p, &channel(ghost, "owned@x.io", true, false))
            .await,
        Entity::User(ghost),
    );
    not_found(
        store
            .update_channel(&p, ghost, ghost_owned.id, &ChannelChanges::default())
            .await,
        Entity::User(ghost),
    );
    not_found(
        store.delete_channel(&p, ghost, ghost_owned.id).await,
        Entity::User(ghost),
    );
    not_found(
        store.get_channel(&p, ghost, ghost_owned.id).await,
        Entity::User(ghost),
    );
    let of_ghost = ChannelFilter {
        user_id: Some(ghost),
        ..Default::default()
    };
    not_found(
        store.list_channels(&p, &of_ghost).await,
        Entity::User(ghost),
    );
    let other = project(store).await;
    // A user of another project.
    not_found(
        store.get_channel(&other, u, ghost_owned.id).await,
        Entity::User(u),
    );
    let of_u = ChannelFilter {
        user_id: Some(u),
        channel_id: Some(Uuid::new_v4()),
        ..Default::default()
    };
    assert!(store.list_channels(&p, &of_u).await.unwrap().is_empty());
    store
        .create_channel(&p, &channel(u, "c@x.io", true, true))
        .await
        .unwrap();
    store
        .create_refresh_token(&p, u, b"hash", 10)
        .await
        .unwrap();
    store.delete_user(&p, u).await.unwrap();
    assert!(store
        .list_channels(&p, &ChannelFilter::default())
        .await
        .unwrap()
        .is_empty());
    not_found(store.delete_user(&p, u).await, Entity::User(u));
}

/// Lists are oldest first and continue after a position.
pub async fn listing(store: &dyn Store) {
    let p = project(store).await;
    let u = user(store, &p).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            store
                .create_channel(&p, &channel(u, &format!("{i}@x.io"), false, false))
                .await
                .unwrap(),
        );
    }
    let page = store
        .list_channels(
            &p,
            &ChannelFilter {
                user_id: Some(u),
                after_seq: Some(ids[1].seq),
                limit: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page, ids[2..4]);
    let one = store
        .list_channels(
            &p,
            &ChannelFilter {
                channel_id: Some(ids[4].id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(one, ids[4..]);
}

/// Sends are counted per channel, user and project over the window, inside the insert: a send
/// over a limit stores nothing, a removed code stops counting, a used one does not.
pub async fn send_limits(store: &dyn Store) {
    let limits = SendLimits {
        window_millis: 1000,
        per_channel: NonZeroU32::new(2).unwrap(),
        per_user: NonZeroU32::new(3).unwrap(),
        per_project: NonZeroU32::new(4).unwrap(),
    };
    let p = project(store).await;
    let (u, v) = (user(store, &p).await, user(store, &p).await);
    let mut channels = Vec::new();
    for (owner, value) in [(u, "a@x.io"), (u, "b@x.io"), (v, "c@x.io")] {
        let c = store
            .create_channel(&p, &channel(owner, value, false, false))
            .await
            .unwrap();
        channels.push(c);
    }
    let [a, b, c] = &channels[..] else {
        unreachable!()
    };
    let mut sent = 0;
    let mut send = |channel: &ChannelRecord, at: i64| {
        sent += 1;
        NewVerificationCode {
            prefix: format!("limit{sent:05}"),
            hash: vec![1; 32],
            user_id: channel.user_id,
            channel_id: channel.id,
            value: channel.value.clone(),
            created_at_millis: at,
            expires_at_millis: at + 10_000,
        }
    };
    let limited = |limit, millis| {
        Err(Failure::LimitReached(
            limit,
            std::time::Duration::from_millis(millis),
        ))
    };
    let nothing: CodeDecision = std::sync::Arc::new(|_, _| CodeAction::Nothing);
    let consume: CodeDecision = std::sync::Arc::new(|_, _| CodeAction::Consume);

    let first = send(a, 100);
    store
        .create_verification_code(&p, &first, &limits)
        .await
        .unwrap();
    // A used code still counts.
    store
        .use_verification_code(&p, &first.prefix, 150, consume)
        .await
        .unwrap()
        .unwrap();
    store
        .create_verification_code(&p, &send(a, 200), &limits)
        .await
        .unwrap();
    // The channel's second send leaves the window last: the first one's leaving frees a place.
    let refused = send(a, 300);
    assert_eq!(
        answer(store.create_verification_code(&p, &refused, &limits).await),
        limited(SendLimit::Channel, 800)
    );
    assert!(
        store
            .use_verification_code(&p, &refused.prefix, 300, nothing.clone())
            .await
            .unwrap()
            .is_none(),
        "a refused send stores nothing"
    );
    store
        .create_verification_code(&p, &send(b, 300), &limits)
        .await
        .unwrap();
    assert_eq!(
        answer(
            store
                .create_verification_code(&p, &send(b, 310), &limits)
                .await
        ),
        limited(SendLimit::User, 790)
    );
    let undelivered = send(c, 320);
    store
        .create_verification_code(&p, &undelivered, &limits)
        .await
        .unwrap();
    assert_eq!(
        answer(
            store
                .create_verification_code(&p, &send(c, 330), &limits)
                .await
        ),
        limited(SendLimit::Project, 770)
    );
    // Another project counts its own.
    let other = project(store).await;
    let w = user(store, &other).await;
    let d = store
        .create_channel(&other, &channel(w, "a@x.io", false, false))
        .await
        .unwrap();
    store
        .create_verification_code(&other, &send(&d, 330), &limits)
        .await
        .unwrap();
    // A code removed (its email was not delivered) no longer counts.
    store
        .delete_verification_code(&p, &undelivered.prefix)
        .await
        .unwrap();
    store
        .create_verification_code(&p, &send(c, 340), &limits)
        .await
        .unwrap();
    // At the end of the window the first send has left it: the channel has one place again.
    assert_eq!(
        answer(
            store
                .create_verification_code(&p, &send(a, 1099), &limits)
                .await
        ),
        limited(SendLimit::Channel, 1)
    );
    store
        .create_verification_code(&p, &send(a, 1100), &limits)
        .await
        .unwrap();
}

/// A code is found by prefix, and what the decision says is applied in one transaction.
pub async fn verification_codes(store: &dyn Store) {
    let p = project(store).await;
    let u = user(store, &p).await;
    let c = store
        .create_channel(&p, &channel(u, "v@x.io", false, false))
        .await
        .unwrap();
    let code = NewVerificationCode {
        prefix: "abcdefghjk".into(),
        hash: vec![7; 32],
        user_id: u,
        channel_id: c.id,
        value: c.value.clone(),
        created_at_millis: 1,
        expires_at_millis: 100,
    };
    store
        .create_verification_code(&p, &code, &SendLimits::default())
        .await
        .unwrap();
    let nothing: CodeDecision = std::sync::Arc::new(|_, _| CodeAction::Nothing);
    assert!(store
        .use_verification_code(&p, "zzzzzzzzzz", 5, nothing.clone())
        .await
        .unwrap()
        .is_none());
    let other = project(store).await;
    assert!(store
        .use_verification_code(&other, &code.prefix, 5, nothing.clone())
        .await
        .unwrap()
        .is_none());

    let fail: CodeDecision = std::sync::Arc::new(|_, _| CodeAction::CountFailure);
    store
        .use_verification_code(&p, &code.prefix, 5, fail.clone())
        .await
        .unwrap();
    store
        .use_verification_code(&p, &code.prefix, 5, fail.clone())
        .await
        .unwrap();
    let consume: CodeDecision = std::sync::Arc::new(|_, _| CodeAction::Consume);
    // Whole answers: the code and its channel as they were before the action.
    let stored = CodeRecord {
        prefix: code.prefix.clone(),
        hash: code.hash.clone(),
        user_id: u,
        channel_id: c.id,
        value: c.value.clone(),
        expires_at_millis: 100,
        used: false,
        failed_attempts: 2,
    };
    assert_eq!(
        answer(
            store
                .use_verification_code(&p, &code.prefix, 5, consume.clone())
                .await
        ),
        Ok(Some((stored.clone(), Some(c.clone()), CodeAction::Consume)))
    );
    let verified = ChannelRecord {
        is_verified: true,
        ..c.clone()
    };
    assert_eq!(
        answer(
            store
                .use_verification_code(&p, &code.prefix, 6, nothing.clone())
                .await
        ),
        Ok(Some((
            CodeRecord {
                used: true,
                ..stored
            },
            Some(verified),
            CodeAction::Nothing
        )))
    );

    store
        .delete_verification_code(&p, &code.prefix)
        .await
        .unwrap();
    assert!(store
        .use_verification_code(&p, &code.prefix, 7, nothing.clone())
        .await
        .unwrap()
        .is_none());
    // A deleted channel leaves its codes, which then see no channel.
    let second = NewVerificationCode {
        prefix: "0123456789".into(),
        ..code.clone()
    };
    store
        .create_verification_code(&p, &second, &SendLimits::default())
        .await
        .unwrap();
    store.delete_channel(&p, u, c.id).await.unwrap();
    let (_, gone, _) = store
        .use_verification_code(&p, &second.prefix, 8, nothing.clone())
        .await
        .unwrap()
        .unwrap();
    assert!(gone.is_none());
}

/// A trust change applies to the project as stored and answers the result; concurrent changes
/// all hold: two admins adding different domains at once both keep theirs.
pub async fn trust_changes(store: &dyn Store) {
    let p = project(store).await;
    let p = p.as_str();
    let adding = |domain: String| TrustChange {
        add: vec![domain],
        ..Default::default()
    };
    let change = TrustChange {
        add: vec!["https://a.example".into(), "https://b.example".into()],
        allow_localhost: Some(true),
        ..Default::default()
    };
    let answered = store.change_project_trust(p, &change).await.unwrap();
    let loaded = store.get_project(p).await.unwrap().unwrap();
    assert_eq!(answered, (loaded.trusted_domains, loaded.allow_localhost));
    assert_eq!(
        answered,
        (
            vec![
                "https://a.example".to_owned(),
                "https://b.example".to_owned()
            ],
            true
        )
    );
    let removing = TrustChange {
        remove: vec!["https://a.example".into()],
        ..Default::default()
    };
    assert_eq!(
        store.change_project_trust(p, &removing).await.unwrap(),
        (vec!["https://b.example".to_owned()], true),
        "the setting is kept when the change leaves it"
    );

    for round in 0..20 {
        let (first, second) = (
            format!("https://first{round}.example"),
            format!("https://second{round}.example"),
        );
        let (to_first, to_second) = (adding(first.clone()), adding(second.clone()));
        let (a, b) = tokio::join!(
            store.change_project_trust(p, &to_first),
            store.change_project_trust(p, &to_second),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a.0.contains(&first) && b.0.contains(&second));
        let kept = store.get_project(p).await.unwrap().unwrap().trusted_domains;
        assert!(
            kept.contains(&first) && kept.contains(&second),
            "round {round}: both admins keep their domain: {kept:?}"
        );
    }
    not_found(
        store.change_project_trust("nope", &removing).await,
        Entity::Project("nope".into()),
    );
}

/// Only the first project is created by `create_first_project`.
pub async fn first_project(store: &dyn Store) {
    let (first, _) = crate::service::auth::new_project("First", true, 1);
    let (second, _) = crate::service::auth::new_project("Second", true, 2);
    assert!(store.create_first_project(&first).await.unwrap());
    assert!(!store.create_first_project(&second).await.unwrap());
    let all = store.list_projects().await.unwrap();
    assert_eq!(
        all.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        [first.id]
    );
}

/// An update writes what [`ChannelChanges::apply`] decides, on the row of that user in that
/// project, and answers the channel as stored.
pub async fn updates(store: &dyn Store) {
    let p = project(store).await;
    let p = p.as_str();
    let u = user(store, p).await;
    let a = store
        .create_channel(p, &channel(u, "a@x.io", true, true))
        .await
        .unwrap();
    let b = store
        .create_channel(p, &channel(u, "b@x.io", false, false))
        .await
        .unwrap();
    let stored = |id: Uuid| async move { store.get_channel(p, u, id).await.unwrap().unwrap() };
    let update = |id: Uuid, changes: ChannelChanges| async move {
        store.update_channel(p, u, id, &changes).await
    };

    // Nothing to change: the channel as it is, both channels untouched.
    assert_eq!(update(a.id, ChannelChanges::default()).await.unwrap(), a);
    let again = ChannelChanges {
        is_primary: Some(true),
        value: Some("a@x.io".into()),
        ..Default::default()
    };
    assert_eq!(
        update(a.id, again).await.unwrap(),
        a,
        "primary again, same value"
    );
    assert_eq!(
        (stored(a.id).await, stored(b.id).await),
        (a.clone(), b.clone())
    );

    // Several fields at once, answered as stored, in the same list position.
    let changes = ChannelChanges {
        value: Some("b2@x.io".into()),
        used_for_auth: Some(true),
        is_verified: Some(true),
        is_primary: Some(true),
    };
    let answered = update(b.id, changes.clone()).await.unwrap();
    assert_eq!(answered, changes.apply(&b).next);
    assert_eq!(stored(b.id).await, answered);
    assert!(!stored(a.id).await.is_primary, "the old primary is demoted");

    // A value the user holds elsewhere conflicts, and changes nothing.
    let taken = ChannelChanges {
        value: Some("a@x.io".into()),
        is_primary: Some(false),
        ..Default::default()
    };
    assert_eq!(answer(update(b.id, taken).await), Err(TAKEN_BY_USER));
    assert_eq!(stored(b.id).await, answered);

    // Another user's channel is not found through this user.
    let v = user(store, p).await;
    let err = store
        .update_channel(p, v, a.id, &ChannelChanges::default())
        .await;
    not_found(err, Entity::Channel(a.id));
    let listed = store
        .list_channels(p, &ChannelFilter::default())
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [a.seq, b.seq]
    );
}

/// A session ends once: its refresh token is gone afterwards, and an expired one cannot be
/// ended (it is over already).
pub async fn sessions(store: &dyn Store) {
    let p = project(store).await;
    let u = user(store, &p).await;
    store
        .create_refresh_token(&p, u, b"live", 100)
        .await
        .unwrap();
    store.create_refresh_token(&p, u, b"old", 10).await.unwrap();
    assert_eq!(
        store.get_refresh_token(&p, b"live").await.unwrap(),
        Some((u, 100))
    );
    let other = project(store).await;
    assert!(
        !store
            .delete_refresh_token(&other, b"live", 50)
            .await
            .unwrap(),
        "another project's"
    );
    assert!(store.delete_refresh_token(&p, b"live", 50).await.unwrap());
    assert_eq!(store.get_refresh_token(&p, b"live").await.unwrap(), None);
    assert!(
        !store.delete_refresh_token(&p, b"live", 50).await.unwrap(),
        "ended already"
    );
    assert!(
        !store.delete_refresh_token(&p, b"old", 50).await.unwrap(),
        "expired"
    );
}

/// Signing keys are replaced all at once, each only if still as read; one that changed
/// meanwhile leaves every key as it was.
pub async fn signing_keys(store: &dyn Store) {
    let (a, b) = (project(store).await, project(store).await);
    let key =
        |id: String| async move { store.get_project(&id).await.unwrap().unwrap().signing_key };
    let (key_a, key_b) = (key(a.clone()).await, key(b.clone()).await);
    let change = |project_id: &str, stored: &[u8], next: &[u8]| SigningKeyChange {
        project_id: project_id.into(),
        stored: stored.to_vec(),
        next: next.to_vec(),
    };
    store
        .replace_signing_keys(&[change(&a, &key_a, b"a2"), change(&b, &key_b, b"b2")])
        .await
        .unwrap();
    assert_eq!(key(a.clone()).await, b"a2");
    assert_eq!(key(b.clone()).await, b"b2");

    // The second was read before it changed: neither is replaced.
    let stale = [change(&a, b"a2", b"a3"), change(&b, &key_b, b"b3")];
    not_found(
        store.replace_signing_keys(&stale).await,
        Entity::Project(b.clone()),
    );
    assert_eq!(key(a.clone()).await, b"a2");
    assert_eq!(key(b.clone()).await, b"b2");
    let gone = [change("no-such-project", b"x", b"y")];
    not_found(
        store.replace_signing_keys(&gone).await,
        Entity::Project("no-such-project".into()),
    );
}

/// The sweep removes what expired, a batch of each kind at a time, and nothing else.
pub async fn sweeping(store: &dyn Store) {
    let p = project(store).await;
    let u = user(store, &p).await;
    for (n, expires_at_millis) in [10, 20, 30, 100].into_iter().enumerate() {
        let code = NewVerificationCode {
            prefix: format!("code{n}"),
            hash: vec![n as u8; 32],
            user_id: u,
            channel_id: Uuid::new_v4(),
            value: format!("{n}@x.io"),
            created_at_millis: 1,
            expires_at_millis,
        };
        store
            .create_verification_code(&p, &code, &SendLimits::default())
            .await
            .unwrap();
    }
    for (token, expires_at_millis) in [(b"old1", 10), (b"old2", 50), (b"live", 51)] {
        store
            .create_refresh_token(&p, u, token, expires_at_millis)
            .await
            .unwrap();
    }
    let swept = |verification_codes, refresh_tokens| Swept {
        verification_codes,
        refresh_tokens,
    };
    assert_eq!(store.sweep_expired(50, 2).await.unwrap(), swept(2, 2));
    assert_eq!(store.sweep_expired(50, 2).await.unwrap(), swept(1, 0));
    assert_eq!(store.sweep_expired(50, 2).await.unwrap(), swept(0, 0));

    let p = p.as_str();
    let code = |prefix: &'static str| async move {
        let nothing: CodeDecision = std::sync::Arc::new(|_, _| CodeAction::Nothing);
        store
            .use_verification_code(p, prefix, 50, nothing)
            .await
            .unwrap()
            .is_some()
    };
    assert!(code("code3").await, "a live code stays");
    assert!(!code("code0").await && !code("code2").await);
    assert!(store.get_refresh_token(p, b"live").await.unwrap().is_some());
    assert_eq!(store.get_refresh_token(p, b"old2").await.unwrap(), None);
}

/// Declares, in a module named `$module`, one `#[tokio::test]` per check, each on a fresh store
/// from `$fixture`: an async function in the calling module returning
/// `Option<impl Deref<Target = impl Store>>`, where `None` skips (no database to run on). A
/// failure names the engine's module, the fixture's module and the check.
macro_rules! tests {
    ($module:ident, $fixture:ident) => {
        $crate::store::conformance::tests!(@checks $module, $fixture;
            one_primary_per_user,
            channel_cap,
            errors,
            updates,
            missing_rows_and_cascade,
            listing,
            verification_codes,
            send_limits,
            first_project,
            sessions,
            trust_changes,
            signing_keys,
            sweeping,
        );
    };
    (@checks $module:ident, $fixture:ident; $($check:ident,)*) => {
        mod $module {
            $(
                #[tokio::test]
                async fn $check() {
                    let Some(store) = super::$fixture().await else { return };
                    $crate::store::conformance::$check(&*store).await;
                }
            )*
        }
    };
}
pub(crate) use tests;

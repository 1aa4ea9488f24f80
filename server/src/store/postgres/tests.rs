//! The PostgreSQL store's own tests; the behaviour shared with SQLite is in
//! [`crate::store::conformance`]. Each runs in a scratch schema of the database
//! [`scratch::TEST_URL_VAR`] names.

use super::scratch::ScratchSchema;
use super::*;
use crate::store::conformance::Kept;

/// A migrated store in a scratch schema, kept as long as the schema; `None` when no test
/// database is configured (the skip is said on stderr).
pub(super) async fn fixture() -> Option<Kept<PgStore, ScratchSchema>> {
    let schema = ScratchSchema::for_test().await?;
    let store = schema.open().await.unwrap();
    Some(Kept {
        store,
        _guard: schema,
    })
}

crate::store::conformance::tests!(conformance, fixture);

#[tokio::test]
async fn concurrent_make_primary_leaves_exactly_one_primary() {
    let Some(store) = fixture().await else { return };
    let store = store.store.clone();
    let (project, _) = crate::service::auth::new_project("p", false, 1);
    store.create_project(&project).await.unwrap();
    let user = store
        .create_user(&project.id, Uuid::new_v4(), None, 1)
        .await
        .unwrap()
        .id;
    let mut ids = Vec::new();
    for i in 0..8 {
        let c = NewChannel {
            id: Uuid::new_v4(),
            user_id: user,
            value: format!("{i}@x.io"),
            used_for_auth: false,
            is_verified: false,
            is_primary: false,
            cap: u32::MAX,
        };
        ids.push(store.create_channel(&project.id, &c).await.unwrap().id);
    }
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (store, project, id) = (store.clone(), project.id.clone(), ids[i % ids.len()]);
            tokio::spawn(async move {
                let changes = ChannelChanges {
                    is_primary: Some(true),
                    ..Default::default()
                };
                store.update_channel(&project, user, id, &changes).await
            })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap()
            .expect("make-primary never conflicts: writes of one user are serialized");
    }
    let all = store
        .list_channels(&project.id, &ChannelFilter::default())
        .await
        .unwrap();
    assert_eq!(all.iter().filter(|c| c.is_primary).count(), 1);
}

fn new_channel(user_id: Uuid, value: &str) -> NewChannel {
    NewChannel {
        id: Uuid::new_v4(),
        user_id,
        value: value.into(),
        used_for_auth: false,
        is_verified: false,
        is_primary: false,
        cap: u32::MAX,
    }
}

/// `cc_update_channel` answers and writes what [`ChannelChanges::apply`] decides, for every
/// combination of changes on every kind of channel, and demotes exactly when `apply` says so.
#[tokio::test]
async fn update_function_follows_the_rule() {
    let Some(store) = fixture().await else { return };
    let (project, _) = crate::service::auth::new_project("p", false, 1);
    store.create_project(&project).await.unwrap();
    let p = project.id.as_str();
    let flags = [None, Some(false), Some(true)];
    let mut case = 0;
    for (is_primary, is_verified, used_for_auth) in
        product([false, true], [false, true], [false, true])
    {
        for value in ["none", "same", "new"] {
            for (a, b, c) in product(flags, flags, flags) {
                case += 1;
                let u = store
                    .create_user(p, Uuid::new_v4(), None, 1)
                    .await
                    .unwrap()
                    .id;
                let other = NewChannel {
                    is_primary: !is_primary,
                    ..new_channel(u, &format!("other{case}@x.io"))
                };
                let other = store.create_channel(p, &other).await.unwrap();
                let before = NewChannel {
                    is_primary,
                    is_verified,
                    used_for_auth,
                    ..new_channel(u, &format!("c{case}@x.io"))
                };
                let before = store.create_channel(p, &before).await.unwrap();
                let changes = ChannelChanges {
                    value: match value {
                        "none" => None,
                        "same" => Some(before.value.clone()),
                        _ => Some(format!("n{case}@x.io")),
                    },
                    used_for_auth: a,
                    is_verified: b,
                    is_primary: c,
                };
                let rule = changes.apply(&before);
                let answered = store
                    .update_channel(p, u, before.id, &changes)
                    .await
                    .unwrap();
                let what = format!("{before:?} with {changes:?}");
                assert_eq!(answered, rule.next, "{what}");
                let stored = store.get_channel(p, u, before.id).await.unwrap().unwrap();
                assert_eq!(stored, rule.next, "{what}");
                let other_now = store.get_channel(p, u, other.id).await.unwrap().unwrap();
                assert_eq!(
                    other_now.is_primary,
                    other.is_primary && !rule.demotes(),
                    "{what}"
                );
            }
        }
    }
}

/// Every combination of one value from each of three lists.
fn product<A: Copy, B: Copy, C: Copy, const N: usize, const M: usize, const K: usize>(
    a: [A; N],
    b: [B; M],
    c: [C; K],
) -> Vec<(A, B, C)> {
    let mut all = Vec::new();
    for x in a {
        for y in b {
            for z in c {
                all.push((x, y, z));
            }
        }
    }
    all
}

/// seq is taken at insert, and transactions commit in any order. Transaction A inserts (a lower
/// seq) and stays open while B inserts after it and commits; a reader paging past both must
/// still see A's row: its page waits for A rather than end past A's seq.
#[tokio::test]
async fn pages_see_inserts_that_commit_out_of_order() {
    let Some(kept) = fixture().await else { return };
    let store = kept.store.clone();
    let (project, _) = crate::service::auth::new_project("p", false, 1);
    store.create_project(&project).await.unwrap();
    let p = project.id.clone();
    let (u, v) = (Uuid::new_v4(), Uuid::new_v4());
    for id in [u, v] {
        store.create_user(&p, id, None, 1).await.unwrap();
    }
    let first = store
        .create_channel(&p, &new_channel(u, "first@x.io"))
        .await
        .unwrap();
    let page = |store: PgStore, p: String, after_seq: Option<i64>| async move {
        let filter = ChannelFilter {
            after_seq,
            limit: Some(1),
            ..Default::default()
        };
        store.list_channels(&p, &filter).await.unwrap()
    };
    let mut seen: Vec<_> = page(store.clone(), p.clone(), None).await;
    assert_eq!(seen, std::slice::from_ref(&first));

    // A, through the function the store calls, left open; B, on another user, committed.
    let late = new_channel(u, "late@x.io");
    let mut a = store.pool.begin().await.unwrap();
    let late_seq: i64 = sqlx::query_scalar(
        "SELECT seq FROM cc_create_channel($1, $2, $3, $4, FALSE, FALSE, FALSE, 2147483647)",
    )
    .bind(&p)
    .bind(u)
    .bind(late.id)
    .bind(&late.value)
    .fetch_one(&mut *a)
    .await
    .unwrap();
    let early = store
        .create_channel(&p, &new_channel(v, "early@x.io"))
        .await
        .unwrap();
    assert!(late_seq < early.seq, "A took the lower seq");

    // The reader pages on from its cursor, one row a page.
    let reader = tokio::spawn({
        let (store, p, mut cursor) = (store.clone(), p.clone(), first.seq);
        async move {
            let mut rows = Vec::new();
            loop {
                let next = page(store.clone(), p.clone(), Some(cursor)).await;
                let Some(last) = next.last() else { return rows };
                cursor = last.seq;
                rows.extend(next);
            }
        }
    });
    // A commits once the reader waits for it, or once the reader is done without waiting.
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
               AND classid = 1 AND objid = cc_insert_lock($1)::oid AND objsubid = 2",
        )
        .bind(&p)
        .fetch_one(&store.pool)
        .await
        .unwrap();
        if waiting > 0 || reader.is_finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    a.commit().await.unwrap();
    seen.extend(reader.await.unwrap());
    let ids: Vec<_> = seen.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        [first.id, late.id, early.id],
        "every row, in seq order"
    );
}

/// After each kind of failed write (and a transaction that ends without writing), another
/// connection can at once (`NOWAIT`) lock what the write locked: every transaction ended before
/// its answer, rather than being left for sqlx to roll back when the pool takes the connection
/// back. The store runs on a runtime of its own that is driven only while a write runs, so such
/// a background rollback could not run before the check. A failed single statement's implicit
/// transaction ends when PostgreSQL reads the Sync after it, which can be just after the client
/// read the error; `PgStore::call` waits for that before answering.
#[test]
fn failed_writes_leave_nothing_locked() {
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let check_rt = runtime();
    let Some(schema) = check_rt.block_on(ScratchSchema::for_test()) else {
        return;
    };
    // Declared after the schema, so dropped before it, also when a check fails: the store's
    // connections close with its runtime, and with them any transaction left open, before
    // the schema is dropped.
    let store_rt = runtime();
    let store = &store_rt.block_on(schema.open()).unwrap();
    let mut checker: sqlx::PgConnection = check_rt
        .block_on(sqlx::Connection::connect(schema.url()))
        .unwrap();

    let (project, _) = crate::service::auth::new_project("p", false, 1);
    let p = project.id.as_str();
    // u uses a@x.io for auth and holds b@x.io; v holds a@x.io, not for auth; w holds nothing.
    // u's code names a channel deleted since. The broken project's domains cannot be read.
    let (u, v, w) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let (broken, _) = crate::service::auth::new_project("broken", false, 2);
    let (b, v_channel, code) = store_rt.block_on(async {
        store.create_project(&project).await.unwrap();
        for id in [u, v, w] {
            store.create_user(p, id, None, 1).await.unwrap();
        }
        let auth = NewChannel {
            used_for_auth: true,
            ..new_channel(u, "a@x.io")
        };
        store.create_channel(p, &auth).await.unwrap();
        let b = store
            .create_channel(p, &new_channel(u, "b@x.io"))
            .await
            .unwrap();
        let gone = store
            .create_channel(p, &new_channel(u, "gone@x.io"))
            .await
            .unwrap();
        let code = NewVerificationCode {
            prefix: "lockcode00".into(),
            hash: vec![2; 32],
            user_id: u,
            channel_id: gone.id,
            value: gone.value.clone(),
            created_at_millis: 1,
            expires_at_millis: 100,
        };
        store
            .create_verification_code(p, &code, &SendLimits::default())
            .await
            .unwrap();
        store.delete_channel(p, u, gone.id).await.unwrap();
        let v_channel = store
            .create_channel(p, &new_channel(v, "a@x.io"))
            .await
            .unwrap();
        store.create_project(&broken).await.unwrap();
        sqlx::query("UPDATE projects SET trusted_domains = 'not json' WHERE id = $1")
            .bind(&broken.id)
            .execute(&store.pool)
            .await
            .unwrap();
        (b.id, v_channel.id, code)
    });

    // Checks each write as soon as it has answered.
    let mut check = |case: &str, locked_user: Uuid, result: Result<(), StoreError>| {
        assert!(result.is_err(), "{case}: the write failed");
        check_rt
            .block_on(
                sqlx::query(
                    "SELECT 1 FROM users WHERE project_id = $1 AND id = $2 FOR UPDATE NOWAIT",
                )
                .bind(p)
                .bind(locked_user)
                .fetch_one(&mut checker),
            )
            .unwrap_or_else(|e| panic!("{case}: the user's row is still locked: {e}"));
    };
    let taken = |user_id: Uuid, value: &str, used_for_auth: bool| NewChannel {
        used_for_auth,
        ..new_channel(user_id, value)
    };
    let missing = Uuid::new_v4();
    let to_auth = ChannelChanges {
        used_for_auth: Some(true),
        is_primary: Some(true),
        ..Default::default()
    };
    let to_value = ChannelChanges {
        value: Some("a@x.io".into()),
        ..Default::default()
    };
    check(
        "create: a value the user holds",
        u,
        store_rt
            .block_on(store.create_channel(p, &taken(u, "b@x.io", false)))
            .map(drop),
    );
    check(
        "create: a value another uses for auth",
        w,
        store_rt
            .block_on(store.create_channel(p, &taken(w, "a@x.io", true)))
            .map(drop),
    );
    check(
        "update: no such channel",
        u,
        store_rt
            .block_on(store.update_channel(p, u, missing, &to_auth))
            .map(drop),
    );
    check(
        "update: used for auth by another",
        v,
        store_rt
            .block_on(store.update_channel(p, v, v_channel, &to_auth))
            .map(drop),
    );
    check(
        "update: a value the user holds",
        u,
        store_rt
            .block_on(store.update_channel(p, u, b, &to_value))
            .map(drop),
    );
    check(
        "delete: no such channel",
        u,
        store_rt.block_on(store.delete_channel(p, u, missing)),
    );
    check(
        "use a code: its channel is gone",
        u,
        store_rt
            .block_on(store.use_verification_code(
                p,
                &code.prefix,
                5,
                std::sync::Arc::new(|_, _| CodeAction::Consume),
            ))
            .map(drop),
    );

    // A trust change that fails after locking its project's row.
    let failed = store_rt.block_on(store.change_project_trust(&broken.id, &TrustChange::default()));
    assert!(matches!(failed, Err(StoreError::Backend(_))), "{failed:?}");
    check_rt
        .block_on(
            sqlx::query("SELECT 1 FROM projects WHERE id = $1 FOR UPDATE NOWAIT")
                .bind(&broken.id)
                .fetch_one(&mut checker),
        )
        .expect("the project's row is unlocked");

    // create_first_project ends without writing when a project exists. Its advisory lock is
    // database-wide, so tests in other schemas may hold it for a moment: wait a little, where
    // a lock left behind would be held for good.
    let (late, _) = crate::service::auth::new_project("late", true, 3);
    assert!(!store_rt
        .block_on(store.create_first_project(&late))
        .unwrap());
    check_rt
        .block_on(async {
            sqlx::query("SET lock_timeout = '5s'")
                .execute(&mut checker)
                .await?;
            sqlx::query("SELECT pg_advisory_xact_lock(7262013526)")
                .execute(&mut checker)
                .await
        })
        .expect("the first-project lock is free");
}

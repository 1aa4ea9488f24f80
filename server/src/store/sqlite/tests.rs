//! The SQLite store's own tests; the behaviour shared with PostgreSQL is in
//! [`crate::store::conformance`].

use super::checkpoint::CHECKPOINT_INTERVAL;
use super::*;
use crate::store::conformance::Kept;
use rusqlite::params;

/// A fresh file database in its own folder, removed on drop.
pub(super) struct TempDb(PathBuf);

impl TempDb {
    pub(super) fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("cc-sqlite-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDb(dir)
    }

    pub(super) fn path(&self) -> String {
        self.0.join("db.sqlite").to_str().unwrap().to_owned()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A store on a fresh file, holding one project.
async fn file_store() -> (TempDb, SqliteStore, ProjectRecord) {
    let db = TempDb::new();
    let store = SqliteStore::open(&db.path()).await.unwrap();
    let (project, _) = crate::service::auth::new_project("p", false, 1);
    store.create_project(&project).await.unwrap();
    (db, store, project)
}

async fn count_users(store: &SqliteStore) -> i64 {
    store
        .read(|conn| Ok(conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?))
        .await
        .unwrap()
}

async fn in_memory() -> Option<Box<SqliteStore>> {
    Some(Box::new(SqliteStore::open_in_memory().await.unwrap()))
}

/// A store on a fresh file, kept as long as the file. On a file, reads take the in-place path
/// rather than the writer's connection.
async fn on_file() -> Option<Kept<SqliteStore, TempDb>> {
    let db = TempDb::new();
    let store = SqliteStore::open(&db.path()).await.unwrap();
    Some(Kept { store, _guard: db })
}

crate::store::conformance::tests!(conformance_in_memory, in_memory);
crate::store::conformance::tests!(conformance_on_file, on_file);

#[tokio::test]
async fn the_schema_itself_refuses_a_second_primary_and_a_second_auth_owner() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let (project, _) = crate::service::auth::new_project("p", false, 1);
    store.create_project(&project).await.unwrap();
    let user = store
        .create_user(&project.id, Uuid::new_v4(), None, 1)
        .await
        .unwrap()
        .id;
    let other = store
        .create_user(&project.id, Uuid::new_v4(), None, 1)
        .await
        .unwrap()
        .id;
    // Raw inserts, bypassing every check of the application.
    let insert = |user: Uuid, value: &'static str, auth: bool, primary: bool| {
        let project = project.id.clone();
        store.write(move |conn| {
            conn.execute(
                "INSERT INTO contact_channels (project_id, user_id, id, type, value,
                    used_for_auth, is_verified, is_primary)
                 VALUES (?, ?, ?, 'email', ?, ?, 0, ?)",
                params![
                    project,
                    user.to_string(),
                    Uuid::new_v4().to_string(),
                    value,
                    auth,
                    primary
                ],
            )?;
            Ok(())
        })
    };
    insert(user, "a@x.io", true, true).await.unwrap();
    assert!(
        insert(user, "b@x.io", false, true).await.is_err(),
        "two primaries"
    );
    assert!(
        insert(other, "a@x.io", true, false).await.is_err(),
        "two auth owners"
    );
    assert!(
        insert(user, "a@x.io", false, false).await.is_err(),
        "same value twice"
    );
    insert(other, "a@x.io", false, true).await.unwrap();
}

#[tokio::test]
async fn a_file_database_keeps_data_across_reopening() {
    let db = TempDb::new();
    let (project, _) = crate::service::auth::new_project("p", false, 1);
    {
        let store = SqliteStore::open(&db.path()).await.unwrap();
        store.create_project(&project).await.unwrap();
    }
    let reopened = SqliteStore::open(&db.path()).await.unwrap();
    assert!(reopened.get_project(&project.id).await.unwrap().is_some());
}

/// Writes queued together share a transaction; one that fails must undo only itself.
#[tokio::test]
async fn a_failing_write_in_a_batch_leaves_the_others_committed() {
    let (db, store, project) = file_store().await;
    let user = store
        .create_user(&project.id, Uuid::new_v4(), None, 1)
        .await
        .unwrap()
        .id;
    let new = |value: &str| NewChannel {
        id: Uuid::new_v4(),
        user_id: user,
        value: value.into(),
        used_for_auth: false,
        is_verified: false,
        is_primary: false,
        cap: u32::MAX,
    };
    // The fourth write inserts a row and then fails: its row must not survive.
    let half_done = store.write({
        let project = project.id.clone();
        move |conn| {
            conn.execute(
                "INSERT INTO users (project_id, id, signed_up_at_millis) VALUES (?, ?, 1)",
                params![project, Uuid::new_v4().to_string()],
            )?;
            Err::<(), _>(StoreError::NotFound(Entity::User(Uuid::nil())))
        }
    });
    // Holds the writer until the other five writes are queued, so that they run as one batch;
    // it waits on the queue itself, not on a guess of how long queueing takes.
    let (started, running) = std::sync::mpsc::channel();
    let gauges = store.gauges.clone();
    let blocker = store.write(move |_| {
        started.send(()).expect("the test waits for the blocker");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while gauges.queued.load(Ordering::Relaxed) < 5 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    });
    let [a, b, dup, c] = ["a@x.io", "b@x.io", "a@x.io", "c@x.io"].map(new);
    let rest = async {
        tokio::task::spawn_blocking(move || running.recv())
            .await
            .unwrap()
            .expect("the blocker runs");
        tokio::join!(
            store.create_channel(&project.id, &a),
            store.create_channel(&project.id, &b),
            store.create_channel(&project.id, &dup),
            half_done,
            store.create_channel(&project.id, &c),
        )
    };
    let (blocked, (a, b, dup, failed, c)) = tokio::join!(blocker, rest);
    blocked.unwrap();
    assert_eq!(
        store.stats().last_batch,
        Some(5),
        "the five writes ran as one transaction"
    );
    assert!(matches!(
        dup,
        Err(StoreError::Conflict(Conflict::ValueTakenByUser))
    ));
    assert!(matches!(failed, Err(StoreError::NotFound(_))));
    let reopened = SqliteStore::open(&db.path()).await.unwrap();
    let stored = reopened
        .list_channels(&project.id, &ChannelFilter::default())
        .await
        .unwrap();
    let ids: Vec<Uuid> = stored.iter().map(|c| c.id).collect();
    assert_eq!(ids, [a.unwrap().id, b.unwrap().id, c.unwrap().id]);
    assert_eq!(count_users(&reopened).await, 1);
}

/// Another process holding the write lock past the busy timeout makes writes fail as
/// retryable (503), with nothing written; the store works again once the lock is gone.
#[tokio::test]
async fn writes_blocked_by_another_process_fail_as_unavailable() {
    let (db, store, project) = file_store().await;
    let other = Connection::open(db.path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let user = |n: i64| store.create_user(&project.id, Uuid::new_v4(), None, n);
    let (a, b, c) = tokio::join!(user(1), user(2), user(3));
    for result in [a, b, c] {
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "{result:?}"
        );
    }
    other.execute_batch("ROLLBACK").unwrap();
    user(4).await.unwrap();
    assert_eq!(count_users(&store).await, 1);
}

/// However long writes go on, the WAL file is cut back to its limit once a checkpoint has
/// started it over.
#[tokio::test]
async fn the_wal_file_stays_bounded() {
    let (db, store, project) = file_store().await;
    let wal = PathBuf::from(format!("{}-wal", db.path()));
    let wal_size = || std::fs::metadata(&wal).map_or(0, |m| m.len() as i64);
    let long = "x".repeat(2000);
    let mut largest = 0;
    let mut n = 0;
    while largest <= WAL_SIZE_LIMIT_BYTES {
        let writes = (0..32).map(|_| {
            n += 1;
            let display_name = format!("{n}{long}");
            let (store, project) = (store.clone(), project.id.clone());
            async move {
                store
                    .create_user(&project, Uuid::new_v4(), Some(&display_name), 1)
                    .await
                    .unwrap()
            }
        });
        futures::future::join_all(writes).await;
        largest = largest.max(wal_size());
    }
    // Let the checkpointer catch up, then one more write starts the WAL over.
    for _ in 0..100 {
        tokio::time::sleep(CHECKPOINT_INTERVAL).await;
        store
            .create_user(&project.id, Uuid::new_v4(), None, 1)
            .await
            .unwrap();
        if wal_size() <= WAL_SIZE_LIMIT_BYTES {
            return;
        }
    }
    panic!("the WAL file is still {} bytes", wal_size());
}

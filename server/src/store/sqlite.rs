//! The embedded default store: SQLite, called in process through rusqlite, in WAL mode (or in
//! memory for tests).
//!
//! SQLite is a library, so the cheapest call is one made in place; a hand-off to another thread
//! and back costs more than most of these queries (measured in README → Performance).
//!
//! - Reads run on the calling thread, on a connection from a small pool. With WAL they run
//!   beside the writer and see the last committed state.
//! - Writes go to one writer thread, which owns the only connection that writes. It takes the
//!   writes waiting (and those arriving meanwhile, up to [`MAX_BATCH`]), runs each in a savepoint
//!   of its own inside one `BEGIN IMMEDIATE` transaction (a failing write undoes only itself),
//!   commits once, and answers the callers only after the commit. Under load, one commit and one thread hand-off serve many requests (group
//!   commit), and no write is acknowledged before it is in the WAL. `BEGIN IMMEDIATE` makes
//!   another process on the same file (the CLI) wait for the lock rather than fail half-way.

use super::*;
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};
use rusqlite_migration::{Migrations, M};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::oneshot;

/// How long the writer waits for a lock another process holds before giving up (503).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The same for a read, which waits on a thread of the async runtime. With WAL, reads wait only
/// in rare cases (another process recovering the WAL after a crash).
const READ_BUSY_TIMEOUT: Duration = Duration::from_millis(250);
/// The most writes one transaction commits, which bounds what a batch adds to latency.
const MAX_BATCH: usize = 128;
/// The most idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;
/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(200);
/// The WAL's length, in frames (pages), past which the checkpointer holds writes back briefly to
/// start the WAL over.
const WAL_RESTART_FRAMES: i64 = 4096;
/// What the WAL file is cut back to when it starts over (`journal_size_limit`).
const WAL_SIZE_LIMIT_BYTES: i64 = 16 << 20;

/// SQLite implementation of [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    writer: mpsc::Sender<Box<dyn Job>>,
    /// `None` in memory, where the writer's connection is the database: reads go to it too.
    readers: Option<Arc<Readers>>,
    /// Dropping the last clone stops the checkpointer thread (files only); sending on it asks
    /// for a last, truncating checkpoint, answered when done.
    _checkpointer: Option<mpsc::Sender<oneshot::Sender<()>>>,
    /// What the writer reports to `/metrics`.
    gauges: Arc<WriterGauges>,
}

/// The writer's queue and batch sizes, shared with its thread.
#[derive(Default)]
struct WriterGauges {
    queued: AtomicU64,
    last_batch: AtomicU64,
}

/// The columns [`channel_from_row`] reads, in its order.
macro_rules! channel_columns {
    () => {
        "seq, id, user_id, value, used_for_auth, is_verified, is_primary"
    };
}

/// The columns [`project_from_row`] reads, in its order.
macro_rules! project_columns {
    () => {
        "id, display_name, publishable_client_key_hash, secret_server_key_hash,
         super_secret_admin_key_hash, signing_key, allow_localhost, created_at_millis,
         trusted_domains"
    };
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, or an in-memory one for `:memory:`,
    /// and applies the migrations.
    pub async fn open(path: &str) -> Result<Self, StoreError> {
        if path == ":memory:" {
            return Self::open_in_memory().await;
        }
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(
                format!("SQLite kept {path} in journal mode {mode}, not WAL").into(),
            ));
        }
        // In WAL mode, NORMAL keeps every committed transaction across a crash of the process;
        // only a power loss can drop the last transactions.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Checkpoints, and the fsyncs they make, happen on a thread of their own, so that they
        // never hold up the writes waiting behind the writer.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT_BYTES)?;
        migrate(&mut conn)?;
        let checkpointer = Connection::open(path)?;
        configure(&checkpointer)?;
        let (stop, stopped) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-checkpointer".into())
            .spawn(move || checkpoint_loop(&checkpointer, &stopped))
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        let readers = Readers {
            path: PathBuf::from(path),
            idle: Mutex::new(Vec::new()),
        };
        let mut store = Self::start(conn, Some(Arc::new(readers)))?;
        store._checkpointer = Some(stop);
        Ok(store)
    }

    /// A fresh in-memory database, gone when the store is dropped.
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrate(&mut conn)?;
        Self::start(conn, None)
    }

    fn start(conn: Connection, readers: Option<Arc<Readers>>) -> Result<Self, StoreError> {
        let (writer, jobs) = mpsc::channel();
        let gauges = Arc::new(WriterGauges::default());
        let thread_gauges = gauges.clone();
        // The thread ends when the last clone of the store, and so of `writer`, is dropped.
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(&conn, &jobs, &thread_gauges))
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        Ok(SqliteStore {
            writer,
            readers,
            _checkpointer: None,
            gauges,
        })
    }

    /// Runs `work` in a write transaction on the writer thread; its result once committed.
    async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.gauges.queued.fetch_add(1, Ordering::Relaxed);
        self.writer
            .send(Box::new(Write { work, reply }))
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }

    /// Runs `work` on a read connection, in place.
    async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.readers {
            Some(readers) => readers.run(work),
            None => self.write(work).await,
        }
    }
}

fn writer_gone() -> StoreError {
    StoreError::Unavailable("the SQLite writer thread has stopped".into())
}

/// Settings every connection needs.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // Room for every statement this store prepares, so none is parsed twice.
    conn.set_prepared_statement_cache_capacity(64);
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)
}

/// The versioned migrations in `migrations/sqlite`, embedded at build time; the database's
/// `user_version` says how many are applied.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/sqlite/0001_init.sql")),
        M::up(include_str!(
            "../../migrations/sqlite/0002_verification.sql"
        )),
        M::up(include_str!("../../migrations/sqlite/0003_list_order.sql")),
    ])
}

/// Brings the schema up to date.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    adopt_sqlx_history(conn)?;
    migrations()
        .to_latest(conn)
        .map_err(|e| StoreError::Backend(Box::new(e)))
}

/// Databases created by earlier versions of this server were migrated by sqlx, which records
/// applied migrations in a table of its own; carry that count over to `user_version` once.
fn adopt_sqlx_history(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let recorded_by_sqlx = conn
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")?
        .exists([])?;
    if version == 0 && recorded_by_sqlx {
        let applied: i64 = conn.query_row(
            "SELECT count(*) FROM _sqlx_migrations WHERE success",
            [],
            |row| row.get(0),
        )?;
        conn.pragma_update(None, "user_version", applied)?;
    }
    Ok(())
}

impl From<rusqlite::Error> for StoreError {
    /// A lock held too long by another process, a full disk or an I/O failure may pass; anything
    /// else is a fault.
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(
                ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure
                | ErrorCode::CannotOpen,
            ) => StoreError::Unavailable(Box::new(e)),
            _ => StoreError::Backend(Box::new(e)),
        }
    }
}

/// Maps SQLite's constraint failures to what they mean for the API.
fn map_err(e: rusqlite::Error, user_id: Uuid, value: &str) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, Some(message)) = &e {
        if failure.code == ErrorCode::ConstraintViolation {
            if message.starts_with("FOREIGN KEY constraint failed") {
                return StoreError::UserMissing(user_id);
            }
            // SQLite names the columns of the violated index, not the index.
            if message.starts_with("UNIQUE constraint failed") && message.contains(".value") {
                return StoreError::Conflict(if message.contains(".user_id") {
                    Conflict::ValueTakenByUser
                } else {
                    Conflict::ValueUsedForAuth {
                        value: value.to_owned(),
                    }
                });
            }
        }
    }
    StoreError::from(e)
}

/// Idle read connections to one database file.
struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Runs `work` on an idle connection, or a new one. A connection is held only for one
    /// synchronous call, so there are never more busy ones than threads, and none waits for the
    /// pool (SQLite's own locks may still make it wait, up to [`READ_BUSY_TIMEOUT`]).
    fn run<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(&self.path)?,
        };
        let result = work(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    configure(&conn)?;
    conn.busy_timeout(READ_BUSY_TIMEOUT)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// A write queued for the writer thread.
trait Job: Send {
    /// Runs the write inside the open transaction. What comes back answers the caller once the
    /// transaction's fate is known.
    fn run(self: Box<Self>, conn: &Connection) -> Box<dyn Answer>;
    /// Answers without running: no transaction could be opened.
    fn refuse(self: Box<Self>, why: String);
}

/// A write that has run, waiting for its transaction to end.
trait Answer: Send {
    fn succeeded(&self) -> bool;
    /// Answers the caller: the write's own result, or why its transaction was lost.
    fn send(self: Box<Self>, lost: Option<&str>);
}

struct Write<T, F> {
    work: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

struct Ran<T> {
    result: Result<T, StoreError>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Write<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> Box<dyn Answer> {
        let Write { work, reply } = *self;
        if reply.is_closed() {
            // Nobody waits for the answer any more (the request was dropped): skip the write.
            let result = Err(StoreError::Unavailable("the caller stopped waiting".into()));
            return Box::new(Ran { result, reply });
        }
        // A panicking write must not take the writer thread, and every later write, with it.
        let result = catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(StoreError::Backend("the write panicked".into())));
        Box::new(Ran { result, reply })
    }

    fn refuse(self: Box<Self>, why: String) {
        // A caller that stopped waiting no longer needs its answer.
        let _ = self.reply.send(Err(StoreError::Unavailable(why.into())));
    }
}

impl<T: Send + 'static> Answer for Ran<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn send(self: Box<Self>, lost: Option<&str>) {
        let result = match (self.result, lost) {
            (Ok(_), Some(why)) => Err(StoreError::Unavailable(why.to_owned().into())),
            (result, _) => result,
        };
        let _ = self.reply.send(result);
    }
}

/// The writer thread: runs the writes waiting at each wake-up as one transaction.
fn write_loop(conn: &Connection, jobs: &mpsc::Receiver<Box<dyn Job>>, gauges: &WriterGauges) {
    while let Ok(first) = jobs.recv() {
        let batch: Vec<_> = std::iter::once(first)
            .chain(jobs.try_iter().take(MAX_BATCH - 1))
            .collect();
        let size = batch.len() as u64;
        gauges.queued.fetch_sub(size, Ordering::Relaxed);
        gauges.last_batch.store(size, Ordering::Relaxed);
        run_batch(conn, batch.into_iter());
    }
}

fn run_batch(conn: &Connection, batch: impl Iterator<Item = Box<dyn Job>>) {
    let mut ran: Vec<Box<dyn Answer>> = Vec::new();
    let mut batch = batch.into_iter();
    while let Some(job) = batch.next() {
        if conn.is_autocommit() {
            if let Err(e) = run_cached(conn, "BEGIN IMMEDIATE") {
                // Typically another process held the lock for the whole busy timeout: the rest
                // of the batch would wait as long again, each, so it is refused too.
                let why = format!("cannot start a write transaction: {e}");
                for job in std::iter::once(job).chain(batch) {
                    job.refuse(why.clone());
                }
                return;
            }
        }
        let answer = match run_cached(conn, "SAVEPOINT write") {
            Ok(()) => job.run(conn),
            Err(e) => {
                job.refuse(format!("cannot start a savepoint: {e}"));
                continue;
            }
        };
        let ended = if answer.succeeded() {
            run_cached(conn, "RELEASE write")
        } else {
            run_cached(conn, "ROLLBACK TO write").and_then(|()| run_cached(conn, "RELEASE write"))
        };
        // After some errors (a full disk, an I/O error) SQLite rolls the whole transaction
        // back, taking the writes before this one with it.
        if let Err(e) =
            ended
                .as_ref()
                .map_err(ToString::to_string)
                .and_then(|()| match conn.is_autocommit() {
                    true => Err("SQLite rolled the transaction back".to_owned()),
                    false => Ok(()),
                })
        {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            let why = format!("the write transaction was lost: {e}");
            for answer in ran.drain(..).chain([answer]) {
                answer.send(Some(&why));
            }
            continue;
        }
        ran.push(answer);
    }
    if conn.is_autocommit() {
        return;
    }
    let lost = run_cached(conn, "COMMIT").err().map(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        format!("the write transaction could not commit: {e}")
    });
    for answer in ran {
        answer.send(lost.as_deref());
    }
}

/// Runs a statement without parameters or rows, prepared once per connection.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// Checkpoints every [`CHECKPOINT_INTERVAL`] until `stop` hangs up, or asks for a last one:
/// then copies all of the WAL, starts it over empty, and answers.
fn checkpoint_loop(conn: &Connection, stop: &mpsc::Receiver<oneshot::Sender<()>>) {
    loop {
        match stop.recv_timeout(CHECKPOINT_INTERVAL) {
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(e) = checkpoint(conn) {
                    tracing::warn!(error = %e, "SQLite WAL checkpoint failed");
                }
            }
            Ok(done) => {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "the last SQLite WAL checkpoint failed");
                }
                let _ = done.send(());
                return;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Copies the WAL into the database file. A passive checkpoint never waits for, or holds up,
/// the writer or a reader. But the writer starts the WAL over only once a checkpoint has copied
/// all of it, which under a steady stream of writes never happens: the WAL would grow without
/// end. Past [`WAL_RESTART_FRAMES`], a restarting checkpoint holds writes back while it copies
/// the rest (little, after the passive ones), so the next write starts the WAL over.
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    let run = |mode: &str| {
        conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
            Ok((row.get::<_, i64>(0)? != 0, row.get::<_, i64>(1)?))
        })
    };
    let (_, frames) = run("PASSIVE")?;
    if frames >= WAL_RESTART_FRAMES {
        let (busy, frames) = run("RESTART")?;
        if busy {
            tracing::warn!(frames, "SQLite WAL could not be started over: still in use");
        }
    }
    Ok(())
}

/// A UUID stored as text.
fn uuid_at(row: &Row, index: usize) -> rusqlite::Result<Uuid> {
    let text = row.get_ref(index)?.as_str()?;
    Uuid::parse_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn channel_from_row(row: &Row) -> rusqlite::Result<ChannelRecord> {
    Ok(ChannelRecord {
        seq: row.get(0)?,
        id: uuid_at(row, 1)?,
        user_id: uuid_at(row, 2)?,
        value: row.get(3)?,
        used_for_auth: row.get(4)?,
        is_verified: row.get(5)?,
        is_primary: row.get(6)?,
    })
}

fn project_from_row(row: &Row) -> Result<ProjectRecord, StoreError> {
    Ok(ProjectRecord {
        id: row.get(0)?,
        display_name: row.get(1)?,
        publishable_client_key_hash: row.get(2)?,
        secret_server_key_hash: row.get(3)?,
        super_secret_admin_key_hash: row.get(4)?,
        signing_key: row.get(5)?,
        allow_localhost: row.get(6)?,
        created_at_millis: row.get(7)?,
        trusted_domains: decode_domains(row.get(8)?)?,
    })
}

fn insert_project(conn: &Connection, p: &ProjectRecord) -> Result<(), StoreError> {
    conn.prepare_cached(concat!(
        "INSERT INTO projects (",
        project_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))?
    .execute(params![
        p.id,
        p.display_name,
        p.publishable_client_key_hash,
        p.secret_server_key_hash,
        p.super_secret_admin_key_hash,
        p.signing_key,
        p.allow_localhost,
        p.created_at_millis,
        encode_domains(&p.trusted_domains),
    ])?;
    Ok(())
}

/// One channel of one user.
fn fetch_channel(
    conn: &Connection,
    project_id: &str,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<ChannelRecord>, StoreError> {
    Ok(conn
        .prepare_cached(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM contact_channels WHERE project_id = ? AND user_id = ? AND id = ?"
        ))?
        .query_row(
            params![project_id, user_id.to_string(), id.to_string()],
            channel_from_row,
        )
        .optional()?)
}

/// [`StoreError::UserMissing`] unless the user exists.
fn check_user(conn: &Connection, project_id: &str, user_id: Uuid) -> Result<(), StoreError> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM users WHERE project_id = ? AND id = ?")?
        .exists(params![project_id, user_id.to_string()])?;
    exists.then_some(()).ok_or(StoreError::UserMissing(user_id))
}

/// Whether `user_id` already holds `value` on a channel other than `except`.
fn user_holds_value(
    conn: &Connection,
    project_id: &str,
    user_id: Uuid,
    value: &str,
    except: Option<Uuid>,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM contact_channels
             WHERE project_id = ? AND user_id = ? AND type = 'email' AND value = ? AND id IS NOT ?",
        )?
        .exists(params![
            project_id,
            user_id.to_string(),
            value,
            except.map(|id| id.to_string())
        ])?)
}

/// Demotes the user's primary channel, unless it is `keep`.
fn demote_primary(
    conn: &Connection,
    project_id: &str,
    user_id: Uuid,
    keep: Uuid,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE contact_channels SET is_primary = 0
         WHERE project_id = ? AND user_id = ? AND is_primary = 1 AND id <> ?",
    )?
    .execute(params![project_id, user_id.to_string(), keep.to_string()])?;
    Ok(())
}

/// Runs a statement that must change a row; [`StoreError::NotFound`] if none changed.
fn change_one(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<(), StoreError> {
    match conn.prepare_cached(sql)?.execute(params)? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    async fn close(&self) {
        // Every request was answered, so every write is committed: only the WAL is left to copy.
        if let Some(stop) = &self._checkpointer {
            let (done, finished) = oneshot::channel();
            if stop.send(done).is_ok() {
                let _ = finished.await;
            }
        }
    }

    fn stats(&self) -> StoreStats {
        StoreStats {
            writer_queue: Some(self.gauges.queued.load(Ordering::Relaxed)),
            last_batch: Some(self.gauges.last_batch.load(Ordering::Relaxed)),
            pool_connections: None,
        }
    }

    async fn create_project(&self, p: &ProjectRecord) -> Result<(), StoreError> {
        let p = p.clone();
        self.write(move |conn| insert_project(conn, &p)).await
    }

    async fn create_first_project(&self, p: &ProjectRecord) -> Result<bool, StoreError> {
        let p = p.clone();
        self.write(move |conn| {
            if conn
                .prepare_cached("SELECT 1 FROM projects LIMIT 1")?
                .exists([])?
            {
                return Ok(false);
            }
            insert_project(conn, &p)?;
            Ok(true)
        })
        .await
    }

    async fn get_project(&self, id: &str) -> Result<Option<ProjectRecord>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(concat!(
                "SELECT ",
                project_columns!(),
                " FROM projects WHERE id = ?"
            ))?;
            let mut rows = statement.query([id])?;
            rows.next()?.map(project_from_row).transpose()
        })
        .await
    }

    async fn list_projects(&self) -> Result<Vec<ProjectRecord>, StoreError> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(concat!(
                "SELECT ",
                project_columns!(),
                " FROM projects ORDER BY created_at_millis, id"
            ))?;
            let mut rows = statement.query([])?;
            let mut projects = Vec::new();
            while let Some(row) = rows.next()? {
                projects.push(project_from_row(row)?);
            }
            Ok(projects)
        })
        .await
    }

    async fn create_user(
        &self,
        project_id: &str,
        id: Uuid,
        display_name: Option<&str>,
        signed_up_at_millis: i64,
    ) -> Result<UserRecord, StoreError> {
        let user = UserRecord {
            id,
            display_name: display_name.map(str::to_owned),
            signed_up_at_millis,
            primary_email: None,
            primary_email_verified: false,
        };
        let project_id = project_id.to_owned();
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO users (project_id, id, display_name, signed_up_at_millis)
                 VALUES (?, ?, ?, ?)",
            )?
            .execute(params![
                project_id,
                user.id.to_string(),
                user.display_name,
                user.signed_up_at_millis
            ])?;
            Ok(user)
        })
        .await
    }

    async fn get_user(&self, project_id: &str, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
        let project_id = project_id.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT u.id, u.display_name, u.signed_up_at_millis,
                            c.value, COALESCE(c.is_verified, 0)
                     FROM users u
                     LEFT JOIN contact_channels c
                       ON c.project_id = u.project_id AND c.user_id = u.id AND c.is_primary = 1
                     WHERE u.project_id = ? AND u.id = ?",
                )?
                .query_row(params![project_id, id.to_string()], |row| {
                    Ok(UserRecord {
                        id: uuid_at(row, 0)?,
                        display_name: row.get(1)?,
                        signed_up_at_millis: row.get(2)?,
                        primary_email: row.get(3)?,
                        primary_email_verified: row.get(4)?,
                    })
                })
                .optional()?)
        })
        .await
    }

    async fn delete_user(&self, project_id: &str, id: Uuid) -> Result<(), StoreError> {
        let project_id = project_id.to_owned();
        self.write(move |conn| {
            change_one(
                conn,
                "DELETE FROM users WHERE project_id = ? AND id = ?",
                params![project_id, id.to_string()],
            )
        })
        .await
    }

    async fn list_channels(
        &self,
        project_id: &str,
        filter: &ChannelFilter,
    ) -> Result<Vec<ChannelRecord>, StoreError> {
        // One user's list joins the user, so that one statement (one read transaction) tells
        // a missing user (no row) from a user without channels (one row of NULLs).
        const OF_USER: &str =
            "SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified, c.is_primary
             FROM users u
             LEFT JOIN contact_channels c
               ON c.project_id = u.project_id AND c.user_id = u.id
                  AND (?3 IS NULL OR c.id = ?3) AND c.seq > ?4
             WHERE u.project_id = ?1 AND u.id = ?2
             ORDER BY c.seq
             LIMIT ?5";
        // A filter written `(?3 IS NULL OR id = ?3)` hides the index from SQLite's planner,
        // which would then read every channel of the project; a set one is an equality.
        const OF_PROJECT: &str = concat!(
            "SELECT ",
            channel_columns!(),
            " FROM contact_channels WHERE project_id = ?1 AND ?2 IS NULL AND ?3 IS NULL
              AND seq > ?4 ORDER BY seq LIMIT ?5"
        );
        const ONE_OF_PROJECT: &str = concat!(
            "SELECT ",
            channel_columns!(),
            " FROM contact_channels WHERE project_id = ?1 AND ?2 IS NULL AND id = ?3
              AND seq > ?4 ORDER BY seq LIMIT ?5"
        );
        let sql = match (filter.user_id, filter.channel_id) {
            (Some(_), _) => OF_USER,
            (None, None) => OF_PROJECT,
            (None, Some(_)) => ONE_OF_PROJECT,
        };
        let project_id = project_id.to_owned();
        let filter = filter.clone();
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(sql)?;
            let mut rows = statement.query(params![
                project_id,
                filter.user_id.map(|id| id.to_string()),
                filter.channel_id.map(|id| id.to_string()),
                filter.after_seq.unwrap_or(0),
                filter.limit.map_or(-1, i64::from),
            ])?;
            let mut channels = Vec::new();
            let mut any_row = false;
            while let Some(row) = rows.next()? {
                any_row = true;
                // The user's row without a channel is all NULLs.
                if row.get_ref(0)? != rusqlite::types::ValueRef::Null {
                    channels.push(channel_from_row(row)?);
                }
            }
            if let (Some(user_id), false) = (filter.user_id, any_row) {
                return Err(StoreError::UserMissing(user_id));
            }
            Ok(channels)
        })
        .await
    }

    async fn get_channel(
        &self,
        project_id: &str,
        user_id: Uuid,
        id: Uuid,
    ) -> Result<Option<ChannelRecord>, StoreError> {
        let project_id = project_id.to_owned();
        self.read(move |conn| {
            // One statement, so one read transaction: the user, and its channel if any.
            let mut statement = conn.prepare_cached(
                "SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified,
                        c.is_primary
                 FROM users u
                 LEFT JOIN contact_channels c
                   ON c.project_id = u.project_id AND c.user_id = u.id AND c.id = ?3
                 WHERE u.project_id = ?1 AND u.id = ?2",
            )?;
            let mut rows =
                statement.query(params![project_id, user_id.to_string(), id.to_string()])?;
            let row = rows.next()?.ok_or(StoreError::UserMissing(user_id))?;
            match row.get_ref(0)? {
                rusqlite::types::ValueRef::Null => Ok(None),
                _ => Ok(Some(channel_from_row(row)?)),
            }
        })
        .await
    }

    async fn create_channel(
        &self,
        project_id: &str,
        c: &NewChannel,
    ) -> Result<ChannelRecord, StoreError> {
        let project_id = project_id.to_owned();
        let c = c.clone();
        self.write(move |conn| {
            // Before the insert, whose unique indexes SQLite checks before its foreign key.
            check_user(conn, &project_id, c.user_id)?;
            // Checked first so that breaking both uniqueness rules reports the per-user one.
            if user_holds_value(conn, &project_id, c.user_id, &c.value, None)? {
                return Err(StoreError::Conflict(Conflict::ValueTakenByUser));
            }
            if c.is_primary {
                demote_primary(conn, &project_id, c.user_id, c.id)?;
            }
            conn.prepare_cached(concat!(
                "INSERT INTO contact_channels
                    (project_id, user_id, id, type, value, used_for_auth, is_verified, is_primary)
                 VALUES (?, ?, ?, 'email', ?, ?, ?, ?)
                 RETURNING ",
                channel_columns!()
            ))?
            .query_row(
                params![
                    project_id,
                    c.user_id.to_string(),
                    c.id.to_string(),
                    c.value,
                    c.used_for_auth,
                    c.is_verified,
                    c.is_primary
                ],
                channel_from_row,
            )
            .map_err(|e| map_err(e, c.user_id, &c.value))
        })
        .await
    }

    async fn update_channel(
        &self,
        project_id: &str,
        user_id: Uuid,
        id: Uuid,
        changes: &ChannelChanges,
    ) -> Result<ChannelRecord, StoreError> {
        let project_id = project_id.to_owned();
        let changes = changes.clone();
        self.write(move |conn| {
            let Some(current) = fetch_channel(conn, &project_id, user_id, id)? else {
                check_user(conn, &project_id, user_id)?;
                return Err(StoreError::NotFound);
            };
            let next = ChannelRecord {
                value: changes
                    .value
                    .clone()
                    .unwrap_or_else(|| current.value.clone()),
                used_for_auth: changes.used_for_auth.unwrap_or(current.used_for_auth),
                is_verified: changes.is_verified.unwrap_or(current.is_verified),
                is_primary: changes.is_primary.unwrap_or(current.is_primary),
                ..current.clone()
            };
            if next.value != current.value
                && user_holds_value(conn, &project_id, user_id, &next.value, Some(id))?
            {
                return Err(StoreError::Conflict(Conflict::ValueTakenByUser));
            }
            if next.is_primary && !current.is_primary {
                demote_primary(conn, &project_id, user_id, id)?;
            }
            // Only the columns that change are set: SQLite rewrites every index over a column
            // in the SET list, changed or not, and each rewritten page is written to the WAL.
            let mut sets: Vec<&str> = Vec::new();
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::new();
            if next.value != current.value {
                sets.push("value = ?");
                values.push(&next.value);
            }
            if next.used_for_auth != current.used_for_auth {
                sets.push("used_for_auth = ?");
                values.push(&next.used_for_auth);
            }
            if next.is_verified != current.is_verified {
                sets.push("is_verified = ?");
                values.push(&next.is_verified);
            }
            if next.is_primary != current.is_primary {
                sets.push("is_primary = ?");
                values.push(&next.is_primary);
            }
            if sets.is_empty() {
                return Ok(current);
            }
            let sql = format!(
                "UPDATE contact_channels SET {} WHERE seq = ?",
                sets.join(", ")
            );
            values.push(&next.seq);
            conn.prepare_cached(&sql)?
                .execute(rusqlite::params_from_iter(values))
                .map_err(|e| map_err(e, user_id, &next.value))?;
            Ok(next)
        })
        .await
    }

    async fn delete_channel(
        &self,
        project_id: &str,
        user_id: Uuid,
        id: Uuid,
    ) -> Result<(), StoreError> {
        let project_id = project_id.to_owned();
        self.write(move |conn| {
            change_one(
                conn,
                "DELETE FROM contact_channels WHERE project_id = ? AND user_id = ? AND id = ?",
                params![project_id, user_id.to_string(), id.to_string()],
            )
            .or_else(|e| match e {
                StoreError::NotFound => check_user(conn, &project_id, user_id).and(Err(e)),
                e => Err(e),
            })
        })
        .await
    }

    async fn set_project_trust(
        &self,
        id: &str,
        trusted_domains: &[String],
        allow_localhost: bool,
    ) -> Result<(), StoreError> {
        let id = id.to_owned();
        let domains = encode_domains(trusted_domains);
        self.write(move |conn| {
            change_one(
                conn,
                "UPDATE projects SET trusted_domains = ?, allow_localhost = ? WHERE id = ?",
                params![domains, allow_localhost, id],
            )
        })
        .await
    }

    async fn create_verification_code(
        &self,
        project_id: &str,
        code: &NewVerificationCode,
    ) -> Result<(), StoreError> {
        let project_id = project_id.to_owned();
        let code = code.clone();
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO verification_codes (code_prefix, code_hash, project_id, user_id,
                    channel_id, value, created_at_millis, expires_at_millis)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )?
            .execute(params![
                code.prefix,
                code.hash,
                project_id,
                code.user_id.to_string(),
                code.channel_id.to_string(),
                code.value,
                code.created_at_millis,
                code.expires_at_millis
            ])
            .map_err(|e| map_err(e, code.user_id, &code.value))?;
            Ok(())
        })
        .await
    }

    async fn delete_verification_code(
        &self,
        project_id: &str,
        prefix: &str,
    ) -> Result<(), StoreError> {
        let project_id = project_id.to_owned();
        let prefix = prefix.to_owned();
        self.write(move |conn| {
            conn.prepare_cached(
                "DELETE FROM verification_codes WHERE project_id = ? AND code_prefix = ?",
            )?
            .execute(params![project_id, prefix])?;
            Ok(())
        })
        .await
    }

    async fn use_verification_code(
        &self,
        project_id: &str,
        prefix: &str,
        now_millis: i64,
        decide: CodeDecision,
    ) -> Result<Option<(CodeRecord, Option<ChannelRecord>, CodeAction)>, StoreError> {
        let project_id = project_id.to_owned();
        let prefix = prefix.to_owned();
        self.write(move |conn| {
            let code = conn
                .prepare_cached(
                    "SELECT code_prefix, code_hash, user_id, channel_id, value, expires_at_millis,
                            used_at_millis IS NOT NULL, failed_attempts
                     FROM verification_codes WHERE project_id = ? AND code_prefix = ?",
                )?
                .query_row(params![project_id, prefix], |row| {
                    Ok(CodeRecord {
                        prefix: row.get(0)?,
                        hash: row.get(1)?,
                        user_id: uuid_at(row, 2)?,
                        channel_id: uuid_at(row, 3)?,
                        value: row.get(4)?,
                        expires_at_millis: row.get(5)?,
                        used: row.get(6)?,
                        failed_attempts: row.get(7)?,
                    })
                })
                .optional()?;
            let Some(code) = code else { return Ok(None) };
            let channel = fetch_channel(conn, &project_id, code.user_id, code.channel_id)?;
            let action = decide(&code, channel.as_ref());
            match action {
                CodeAction::Nothing => {}
                CodeAction::CountFailure => change_one(
                    conn,
                    "UPDATE verification_codes SET failed_attempts = failed_attempts + 1
                     WHERE project_id = ? AND code_prefix = ?",
                    params![project_id, prefix],
                )?,
                CodeAction::Consume => {
                    change_one(
                        conn,
                        "UPDATE verification_codes SET used_at_millis = ?
                         WHERE project_id = ? AND code_prefix = ?",
                        params![now_millis, project_id, prefix],
                    )?;
                    // Never mark a code used without verifying its channel; a NotFound here
                    // undoes both.
                    change_one(
                        conn,
                        "UPDATE contact_channels SET is_verified = 1 WHERE id = ?",
                        [code.channel_id.to_string()],
                    )?;
                }
            }
            Ok(Some((code, channel, action)))
        })
        .await
    }

    async fn get_refresh_token(
        &self,
        project_id: &str,
        token_hash: &[u8],
    ) -> Result<Option<(Uuid, i64)>, StoreError> {
        let project_id = project_id.to_owned();
        let token_hash = token_hash.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT user_id, expires_at_millis FROM refresh_tokens
                     WHERE project_id = ? AND token_hash = ?",
                )?
                .query_row(params![project_id, token_hash], |row| {
                    Ok((uuid_at(row, 0)?, row.get(1)?))
                })
                .optional()?)
        })
        .await
    }

    async fn create_refresh_token(
        &self,
        project_id: &str,
        user_id: Uuid,
        token_hash: &[u8],
        expires_at_millis: i64,
    ) -> Result<(), StoreError> {
        let project_id = project_id.to_owned();
        let token_hash = token_hash.to_owned();
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO refresh_tokens (token_hash, project_id, user_id, expires_at_millis)
                 VALUES (?, ?, ?, ?)",
            )?
            .execute(params![
                token_hash,
                project_id,
                user_id.to_string(),
                expires_at_millis
            ])
            .map_err(|e| map_err(e, user_id, ""))?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh file database in its own folder, removed on drop.
    struct TempDb(PathBuf);

    impl TempDb {
        fn new() -> Self {
            let dir = std::env::temp_dir().join(format!("cc-sqlite-{}", Uuid::new_v4()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDb(dir)
        }

        fn path(&self) -> String {
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

    #[tokio::test]
    async fn conformance_suite_in_memory() {
        crate::store::conformance::run(|| async { SqliteStore::open_in_memory().await.unwrap() })
            .await;
    }

    /// On a file, reads take the in-place path rather than the writer's connection.
    #[tokio::test]
    async fn conformance_suite_on_a_file() {
        let dirs = Mutex::new(Vec::new());
        crate::store::conformance::run(|| {
            let db = TempDb::new();
            let path = db.path();
            dirs.lock().unwrap().push(db);
            async move { SqliteStore::open(&path).await.unwrap() }
        })
        .await;
    }

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
        };
        // The fourth write inserts a row and then fails: its row must not survive.
        let half_done = store.write({
            let project = project.id.clone();
            move |conn| {
                conn.execute(
                    "INSERT INTO users (project_id, id, signed_up_at_millis) VALUES (?, ?, 1)",
                    params![project, Uuid::new_v4().to_string()],
                )?;
                Err::<(), _>(StoreError::NotFound)
            }
        });
        // Keeps the writer busy while the others queue, so they run as one batch.
        let blocker = store.write(|_| {
            std::thread::sleep(Duration::from_millis(200));
            Ok(())
        });
        let [a, b, dup, c] = ["a@x.io", "b@x.io", "a@x.io", "c@x.io"].map(new);
        let (_, a, b, dup, failed, c) = tokio::join!(
            blocker,
            store.create_channel(&project.id, &a),
            store.create_channel(&project.id, &b),
            store.create_channel(&project.id, &dup),
            half_done,
            store.create_channel(&project.id, &c),
        );
        assert!(matches!(
            dup,
            Err(StoreError::Conflict(Conflict::ValueTakenByUser))
        ));
        assert!(matches!(failed, Err(StoreError::NotFound)));
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

    /// A migration file added to the folder but not to [`migrations`] would never run.
    #[test]
    fn every_migration_file_is_applied_in_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let source = include_str!("sqlite.rs");
        let body = source
            .split_once("fn migrations()")
            .and_then(|(_, rest)| rest.split_once("\n}\n"))
            .unwrap()
            .0;
        let listed: Vec<&str> = body
            .split("migrations/sqlite/")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap())
            .collect();
        assert_eq!(listed, files);
        migrations().validate().unwrap();
    }

    #[tokio::test]
    async fn a_database_migrated_by_sqlx_is_adopted_not_migrated_twice() {
        let db = TempDb::new();
        {
            let conn = Connection::open(db.path()).unwrap();
            conn.execute_batch(include_str!("../../migrations/sqlite/0001_init.sql"))
                .unwrap();
            conn.execute_batch(
                "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, success BOOLEAN);
                 INSERT INTO _sqlx_migrations VALUES (1, TRUE);",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&db.path()).await.unwrap();
        let (project, _) = crate::service::auth::new_project("p", false, 1);
        store.create_project(&project).await.unwrap();
        let loaded = store.get_project(&project.id).await.unwrap().unwrap();
        assert_eq!(loaded.trusted_domains, project.trusted_domains);
    }
}

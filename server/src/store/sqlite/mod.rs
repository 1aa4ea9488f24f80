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
//!   commits once, and answers the callers only after the commit. Under load, one commit and
//!   one thread hand-off serve many requests (group commit), and no write is acknowledged before it is in the WAL. `BEGIN IMMEDIATE` makes
//!   another process on the same file (the CLI) wait for the lock rather than fail half-way.
//!
//! Where things are: `schema` (migrations), `readers` (the read pool), `writer` (the
//! group-commit writer thread), `checkpoint` (the WAL checkpointer thread), `rows` (row and
//! error mapping), `queries` (statements several operations share) and `operations` (the
//! [`Store`] implementation).

#[macro_use]
mod rows;
mod checkpoint;
mod operations;
mod queries;
mod readers;
mod schema;
#[cfg(test)]
mod tests;
mod writer;

use super::*;
use checkpoint::checkpoint_loop;
use readers::Readers;
use rusqlite::Connection;
use schema::migrate;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use writer::{write_loop, writer_gone, Job, Write};

/// How long the writer waits for a lock another process holds before giving up (503).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, or an in-memory one for `:memory:`,
    /// and applies the migrations.
    pub async fn open(path: &str) -> Result<Self, StoreError> {
        if path == ":memory:" {
            return Self::open_in_memory().await;
        }
        // A `file:` URI is SQLite's to interpret; a plain path is the usual case.
        if !path.starts_with("file:") {
            for suffix in ["", "-wal", "-shm"] {
                crate::files::warn_if_exposed(std::path::Path::new(&format!("{path}{suffix}")));
            }
            crate::files::create_private_file(std::path::Path::new(path))
                .map_err(|e| StoreError::Backend(Box::new(e)))?;
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
        let readers = Readers::new(PathBuf::from(path));
        let mut store = Self::start(conn, Some(Arc::new(readers)))?;
        store._checkpointer = Some(stop);
        Ok(store)
    }

    /// Brings the schema of the database file at `path` up to date, and nothing else: what
    /// `contact-channels migrate` runs.
    pub fn migrate_file(path: &str) -> Result<Migrated, StoreError> {
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        migrate(&mut conn)
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

/// Settings every connection needs.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // Room for every statement this store prepares, so none is parsed twice.
    conn.set_prepared_statement_cache_capacity(64);
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)
}

//! The read pool: idle connections to the database file, used in place on the caller's thread.

use super::*;
use std::path::Path;
use std::sync::PoisonError;

/// The same for a read, which waits on a thread of the async runtime. With WAL, reads wait only
/// in rare cases (another process recovering the WAL after a crash).
pub(super) const READ_BUSY_TIMEOUT: Duration = Duration::from_millis(250);

/// The most idle read connections kept open.
pub(super) const MAX_IDLE_READERS: usize = 8;

/// Idle read connections to one database file.
pub(super) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(super) fn new(path: PathBuf) -> Self {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `work` on an idle connection, or a new one. A connection is held only for one
    /// synchronous call, so there are never more busy ones than threads, and none waits for the
    /// pool (SQLite's own locks may still make it wait, up to [`READ_BUSY_TIMEOUT`]).
    pub(super) fn run<T>(
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

pub(super) fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    configure(&conn)?;
    conn.busy_timeout(READ_BUSY_TIMEOUT)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

//! The checkpointer thread: copies the WAL into the database file, off the writer's path.

use super::*;

/// How often the checkpointer copies the WAL into the database file.
pub(super) const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(200);
/// The WAL's length, in frames (pages), past which the checkpointer holds writes back briefly to
/// start the WAL over.
pub(super) const WAL_RESTART_FRAMES: i64 = 4096;

/// Checkpoints every [`CHECKPOINT_INTERVAL`] until `stop` hangs up, or asks for a last one:
/// then copies all of the WAL, starts it over empty, and answers.
pub(super) fn checkpoint_loop(conn: &Connection, stop: &mpsc::Receiver<oneshot::Sender<()>>) {
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
pub(super) fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
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

//! The writer thread: group commit of every write waiting, each in a savepoint of its own.

use super::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The most writes one transaction commits, which bounds what a batch adds to latency.
pub(super) const MAX_BATCH: usize = 128;

pub(super) fn writer_gone() -> StoreError {
    StoreError::Unavailable("the SQLite writer thread has stopped".into())
}

/// A write queued for the writer thread.
pub(super) trait Job: Send {
    /// Runs the write inside the open transaction. What comes back answers the caller once the
    /// transaction's fate is known.
    fn run(self: Box<Self>, conn: &Connection) -> Box<dyn Answer>;
    /// Answers without running: no transaction could be opened.
    fn refuse(self: Box<Self>, why: String);
}

/// A write that has run, waiting for its transaction to end.
pub(super) trait Answer: Send {
    fn succeeded(&self) -> bool;
    /// Answers the caller: the write's own result, or why its transaction was lost.
    fn send(self: Box<Self>, lost: Option<&str>);
}

pub(super) struct Write<T, F> {
    pub(super) work: F,
    pub(super) reply: oneshot::Sender<Result<T, StoreError>>,
}

pub(super) struct Ran<T> {
    result: Result<T, StoreError>,
    pub(super) reply: oneshot::Sender<Result<T, StoreError>>,
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
pub(super) fn write_loop(
    conn: &Connection,
    jobs: &mpsc::Receiver<Box<dyn Job>>,
    gauges: &WriterGauges,
) {
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

pub(super) fn run_batch(conn: &Connection, batch: impl Iterator<Item = Box<dyn Job>>) {
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
pub(super) fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

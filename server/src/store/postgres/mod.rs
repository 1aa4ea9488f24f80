//! PostgreSQL store, for several server instances sharing one database.
//!
//! Every write that touches a user's channels or codes (create, update, delete, use a code) first
//! locks that user's row (`SELECT … FOR UPDATE`, or, to make a channel primary, the `UPDATE` of
//! that row, which names the user's primary channel: migration 0010), so concurrent writes for
//! one user run one after the other on any number of instances: make-primary and its demotion, the per-user duplicate
//! check, and verifying a channel while it is deleted cannot interleave. Creating, changing and
//! deleting a channel are each one call of a PL/pgSQL function (migration 0004), so a request is
//! one round trip to the database however many statements it runs; a page of a list waits for
//! the project's inserts in flight, so that no cursor can pass a row that commits later. Locks are always taken
//! user first, so they cannot deadlock with each other; deleting a user locks its row first too.
//! Writes for different users meet only at the project-wide auth index, where the loser's insert
//! waits for the winner's commit and then fails with a unique violation, reported as
//! [`Conflict::ValueUsedForAuth`].
//!
//! Where things are: `rows` (row mapping), `queries` (statements several operations share),
//! `operations` (the [`Store`] implementation) and `scratch` (throwaway schemas for tests and
//! benchmarks).

mod operations;
mod queries;
mod rows;
pub mod scratch;
#[cfg(test)]
mod tests;

use super::*;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Settings of the PostgreSQL connection pool.
#[derive(Clone, Debug)]
pub struct PgSettings {
    /// Most connections this instance opens.
    pub pool_size: u32,
    /// How long to wait for a connection (also bounds how long a request waits while the
    /// database is down).
    pub connect_timeout: Duration,
    /// Longest a statement may run (`statement_timeout`).
    pub statement_timeout: Duration,
}

impl Default for PgSettings {
    fn default() -> Self {
        PgSettings {
            pool_size: 10,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// PostgreSQL implementation of [`Store`].
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (a `postgres://` URL; `?options=-c search_path=…` selects a schema)
    /// and applies the migrations.
    pub async fn open(url: &str, settings: &PgSettings) -> Result<Self, StoreError> {
        let store = Self::connect(url, settings).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects to `url`, leaving the schema as it is.
    pub async fn connect(url: &str, settings: &PgSettings) -> Result<Self, StoreError> {
        let timeout_ms = settings.statement_timeout.as_millis().to_string();
        let options = PgConnectOptions::from_str(url)
            .map_err(backend)?
            .options([("statement_timeout", timeout_ms.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.pool_size)
            // Testing a connection before handing it out is a round trip of its own per request;
            // a broken connection fails its one query instead (503, retryable) and is dropped.
            .test_before_acquire(false)
            .acquire_timeout(settings.connect_timeout)
            .connect_with(options)
            .await
            .map_err(backend)?;
        Ok(PgStore { pool })
    }

    /// Applies the versioned migrations in `migrations/postgres` (embedded at build time).
    /// sqlx takes an advisory lock, so instances starting together migrate once.
    pub async fn migrate(&self) -> Result<Migrated, StoreError> {
        let migrator = sqlx::migrate!("migrations/postgres");
        // sqlx's own record of what it applied; absent before the first migration.
        let recorded: bool =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
        let before: i64 = if recorded {
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?
        } else {
            0
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        // Migration numbers have gaps: the version is the highest, not the count.
        let count = migrator.iter().count();
        let version = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        Ok(Migrated {
            applied: count.saturating_sub(before as usize),
            version: usize::try_from(version).unwrap_or(0),
        })
    }

    pub(super) async fn begin(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.map_err(backend)
    }

    /// Runs one statement in a transaction of its own (a call of a channel function) and
    /// answers its one row. PostgreSQL sends a failed statement's error before it rolls the
    /// statement's transaction back, which it does on the Sync that follows, and sqlx returns
    /// at the error. On an error this waits for the connection to be ready again (one round
    /// trip, on error paths only), so that the error is answered only once the transaction has
    /// ended and its locks are released.
    pub(super) async fn call(
        &self,
        query: sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<sqlx::postgres::PgRow, sqlx::Error> {
        let mut connection = self.pool.acquire().await?;
        let answer = query.fetch_one(&mut *connection).await;
        if answer.is_err() {
            // The statement's error is the answer; a connection that cannot answer the ping is
            // broken, and the pool drops it.
            let _ = sqlx::Connection::ping(&mut *connection).await;
        }
        answer
    }
}

/// Ends `tx` as `result` says: commit on success, rollback on failure. Every transaction of the
/// store ends here, on every path, before its answer is returned. A transaction dropped without
/// either is only rolled back when sqlx next uses its connection (in a task that nothing awaits,
/// when the pool takes the connection back), and holds its locks until then.
pub(super) async fn finish<T>(
    tx: Transaction<'static, Postgres>,
    result: Result<T, StoreError>,
) -> Result<T, StoreError> {
    match result {
        Ok(value) => tx.commit().await.map(|()| value).map_err(backend),
        Err(e) => {
            // The write's own error is the answer. A rollback that fails has lost its
            // connection, and the database ends the transaction with the session.
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "a failed transaction could not be rolled back");
            }
            Err(e)
        }
    }
}

pub(super) fn backend(e: sqlx::Error) -> StoreError {
    StoreError::from(e)
}

impl From<sqlx::Error> for StoreError {
    /// Connection-level failures mean the database is down or overloaded, which a client may
    /// retry; anything else is a fault.
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolClosed => StoreError::Unavailable(Box::new(e)),
            // Deadlock, serialization failure and statement timeout: the database is contended.
            sqlx::Error::Database(ref db)
                if matches!(db.code().as_deref(), Some("40P01" | "40001" | "57014")) =>
            {
                StoreError::Unavailable(Box::new(e))
            }
            e => StoreError::Backend(Box::new(e)),
        }
    }
}

/// What a channel function of migration 0004 answered in its `status` column.
pub(super) fn outcome(
    row: &sqlx::postgres::PgRow,
    user_id: Uuid,
    id: Uuid,
) -> Result<(), StoreError> {
    use sqlx::Row;
    match row.try_get::<&str, _>("status").map_err(backend)? {
        "ok" => Ok(()),
        "user" => Err(StoreError::NotFound(Entity::User(user_id))),
        "channel" => Err(StoreError::NotFound(Entity::Channel(id))),
        "value_taken" => Err(StoreError::Conflict(Conflict::ValueTakenByUser)),
        other => Err(StoreError::Backend(
            format!("unknown status {other:?} from a channel function").into(),
        )),
    }
}

/// Maps PostgreSQL's constraint failures to what they mean for the API.
pub(super) fn map_err(e: sqlx::Error, user_id: Uuid, value: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_foreign_key_violation() {
            return StoreError::NotFound(Entity::User(user_id));
        }
        match db.constraint() {
            Some("contact_channels_user_value") => {
                return StoreError::Conflict(Conflict::ValueTakenByUser)
            }
            Some("contact_channels_auth_value") => {
                return StoreError::Conflict(Conflict::ValueUsedForAuth {
                    value: value.to_owned(),
                })
            }
            _ => {}
        }
    }
    StoreError::from(e)
}

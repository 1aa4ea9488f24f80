//! The embedded default store: SQLite in WAL mode, or in memory for tests.
//!
//! Writes go through a pool of one connection, so this process's writers queue in memory instead
//! of fighting over SQLite's lock; each write transaction starts with `BEGIN IMMEDIATE` so that a
//! second process on the same file waits (busy timeout) rather than failing half-way. Reads use
//! their own pool and see the last committed state (WAL).

use super::*;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// SQLite implementation of [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
}

const CHANNEL_COLUMNS: &str = "seq, id, user_id, value, used_for_auth, is_verified, is_primary";

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, or an in-memory one for `:memory:`,
    /// and applies the migrations.
    pub async fn open(path: &str) -> Result<Self, StoreError> {
        if path == ":memory:" {
            return Self::open_in_memory().await;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // In WAL mode, NORMAL keeps every committed transaction across a crash of the
            // process; only a power loss can drop the last transactions.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        // A connection to a local file cannot go stale the way a network connection can, so
        // the pool skips its ping before each use: a round trip to the connection's worker
        // thread that costs more than many of the queries.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(backend)?;
        migrate(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(backend)?;
        Ok(SqliteStore { read, write })
    }

    /// A fresh in-memory database, gone when the store is dropped.
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(backend)?
            .foreign_keys(true);
        // One connection is one in-memory database: readers and writers must share it, and it
        // must never be closed.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(backend)?;
        migrate(&pool).await?;
        Ok(SqliteStore {
            read: pool.clone(),
            write: pool,
        })
    }

    async fn begin(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.write
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::from)
    }
}

/// Applies the versioned migrations in `migrations/sqlite` (embedded at build time).
async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    sqlx::migrate!("migrations/sqlite")
        .run(pool)
        .await
        .map_err(|e| StoreError::Backend(e.into()))
}

/// Maps SQLite's constraint failures to what they mean for the API.
fn map_err(e: sqlx::Error, value: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        let message = db.message();
        if message.starts_with("FOREIGN KEY constraint failed") {
            return StoreError::UserMissing;
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
    StoreError::from(e)
}

fn backend(e: sqlx::Error) -> StoreError {
    StoreError::from(e)
}

fn uuid_column(row: &SqliteRow, column: &str) -> Result<Uuid, StoreError> {
    let text: String = row.try_get(column).map_err(backend)?;
    Uuid::parse_str(&text).map_err(|e| StoreError::Backend(sqlx::Error::Decode(Box::new(e))))
}

fn channel_from_row(row: &SqliteRow) -> Result<ChannelRecord, StoreError> {
    Ok(ChannelRecord {
        seq: row.try_get("seq").map_err(backend)?,
        id: uuid_column(row, "id")?,
        user_id: uuid_column(row, "user_id")?,
        value: row.try_get("value").map_err(backend)?,
        used_for_auth: row.try_get("used_for_auth").map_err(backend)?,
        is_verified: row.try_get("is_verified").map_err(backend)?,
        is_primary: row.try_get("is_primary").map_err(backend)?,
    })
}

fn project_from_row(row: &SqliteRow) -> Result<ProjectRecord, StoreError> {
    Ok(ProjectRecord {
        id: row.try_get("id").map_err(backend)?,
        display_name: row.try_get("display_name").map_err(backend)?,
        publishable_client_key_hash: row
            .try_get("publishable_client_key_hash")
            .map_err(backend)?,
        secret_server_key_hash: row.try_get("secret_server_key_hash").map_err(backend)?,
        super_secret_admin_key_hash: row
            .try_get("super_secret_admin_key_hash")
            .map_err(backend)?,
        signing_key: row.try_get("signing_key").map_err(backend)?,
        allow_localhost: row.try_get("allow_localhost").map_err(backend)?,
        created_at_millis: row.try_get("created_at_millis").map_err(backend)?,
        trusted_domains: decode_domains(row.try_get("trusted_domains").map_err(backend)?)?,
    })
}

/// Inserts a project through `executor` (the pool, or a transaction).
async fn insert_project<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    executor: E,
    p: &ProjectRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO projects (id, display_name, publishable_client_key_hash,
                secret_server_key_hash, super_secret_admin_key_hash, signing_key,
                allow_localhost, created_at_millis, trusted_domains)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&p.id)
    .bind(&p.display_name)
    .bind(&p.publishable_client_key_hash)
    .bind(&p.secret_server_key_hash)
    .bind(&p.super_secret_admin_key_hash)
    .bind(&p.signing_key)
    .bind(p.allow_localhost)
    .bind(p.created_at_millis)
    .bind(encode_domains(&p.trusted_domains))
    .execute(executor)
    .await
    .map_err(backend)?;
    Ok(())
}

/// One channel of one user, read through `executor` (the pool, or a transaction).
async fn fetch_channel<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    executor: E,
    project_id: &str,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<ChannelRecord>, StoreError> {
    let sql = format!(
        "SELECT {CHANNEL_COLUMNS} FROM contact_channels
         WHERE project_id = ? AND user_id = ? AND id = ?"
    );
    let row = sqlx::query(&sql)
        .bind(project_id)
        .bind(user_id.to_string())
        .bind(id.to_string())
        .fetch_optional(executor)
        .await
        .map_err(backend)?;
    row.as_ref().map(channel_from_row).transpose()
}

/// Whether `user_id` already holds `value` on a channel other than `except`.
async fn user_holds_value(
    tx: &mut Transaction<'static, Sqlite>,
    project_id: &str,
    user_id: Uuid,
    value: &str,
    except: Option<Uuid>,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT 1 FROM contact_channels
         WHERE project_id = ? AND user_id = ? AND type = 'email' AND value = ? AND id IS NOT ?",
    )
    .bind(project_id)
    .bind(user_id.to_string())
    .bind(value)
    .bind(except.map(|id| id.to_string()))
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(row.is_some())
}

/// Demotes the user's primary channel, unless it is `keep`.
async fn demote_primary(
    tx: &mut Transaction<'static, Sqlite>,
    project_id: &str,
    user_id: Uuid,
    keep: Uuid,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE contact_channels SET is_primary = 0
         WHERE project_id = ? AND user_id = ? AND is_primary = 1 AND id <> ?",
    )
    .bind(project_id)
    .bind(user_id.to_string())
    .bind(keep.to_string())
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_project(&self, p: &ProjectRecord) -> Result<(), StoreError> {
        insert_project(&self.write, p).await
    }

    async fn create_first_project(&self, p: &ProjectRecord) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let any: Option<i32> = sqlx::query_scalar("SELECT 1 FROM projects LIMIT 1")
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        if any.is_some() {
            return Ok(false);
        }
        insert_project(&mut *tx, p).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn get_project(&self, id: &str) -> Result<Option<ProjectRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM projects WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        row.as_ref().map(project_from_row).transpose()
    }

    async fn list_projects(&self) -> Result<Vec<ProjectRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM projects ORDER BY created_at_millis, id")
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rows.iter().map(project_from_row).collect()
    }

    async fn create_user(
        &self,
        project_id: &str,
        id: Uuid,
        display_name: Option<&str>,
        signed_up_at_millis: i64,
    ) -> Result<UserRecord, StoreError> {
        sqlx::query(
            "INSERT INTO users (project_id, id, display_name, signed_up_at_millis) VALUES (?, ?, ?, ?)",
        )
        .bind(project_id)
        .bind(id.to_string())
        .bind(display_name)
        .bind(signed_up_at_millis)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(UserRecord {
            id,
            display_name: display_name.map(str::to_owned),
            signed_up_at_millis,
            primary_email: None,
            primary_email_verified: false,
        })
    }

    async fn get_user(&self, project_id: &str, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.display_name, u.signed_up_at_millis,
                    c.value AS primary_email, COALESCE(c.is_verified, 0) AS primary_email_verified
             FROM users u
             LEFT JOIN contact_channels c
               ON c.project_id = u.project_id AND c.user_id = u.id AND c.is_primary = 1
             WHERE u.project_id = ? AND u.id = ?",
        )
        .bind(project_id)
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(UserRecord {
            id: uuid_column(&row, "id")?,
            display_name: row.try_get("display_name").map_err(backend)?,
            signed_up_at_millis: row.try_get("signed_up_at_millis").map_err(backend)?,
            primary_email: row.try_get("primary_email").map_err(backend)?,
            primary_email_verified: row.try_get("primary_email_verified").map_err(backend)?,
        }))
    }

    async fn delete_user(&self, project_id: &str, id: Uuid) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM users WHERE project_id = ? AND id = ?")
            .bind(project_id)
            .bind(id.to_string())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_channels(
        &self,
        project_id: &str,
        filter: &ChannelFilter,
    ) -> Result<Vec<ChannelRecord>, StoreError> {
        // A filter written `(?2 IS NULL OR user_id = ?2)` hides the indexes from SQLite's
        // planner, which then reads every channel of the project for one user's list; a filter
        // that is set is written as a plain equality instead.
        let user = if filter.user_id.is_some() {
            "user_id = ?2"
        } else {
            "?2 IS NULL"
        };
        let id = if filter.channel_id.is_some() {
            "id = ?3"
        } else {
            "?3 IS NULL"
        };
        let sql = format!(
            "SELECT {CHANNEL_COLUMNS} FROM contact_channels
             WHERE project_id = ?1 AND {user} AND {id} AND seq > ?4
             ORDER BY seq
             LIMIT ?5"
        );
        let rows = sqlx::query(&sql)
            .bind(project_id)
            .bind(filter.user_id.map(|id| id.to_string()))
            .bind(filter.channel_id.map(|id| id.to_string()))
            .bind(filter.after_seq.unwrap_or(0))
            .bind(filter.limit.map_or(-1, i64::from))
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rows.iter().map(channel_from_row).collect()
    }

    async fn get_channel(
        &self,
        project_id: &str,
        user_id: Uuid,
        id: Uuid,
    ) -> Result<Option<ChannelRecord>, StoreError> {
        fetch_channel(&self.read, project_id, user_id, id).await
    }

    async fn create_channel(
        &self,
        project_id: &str,
        c: &NewChannel,
    ) -> Result<ChannelRecord, StoreError> {
        let mut tx = self.begin().await?;
        // Checked first so that breaking both uniqueness rules reports the per-user one.
        if user_holds_value(&mut tx, project_id, c.user_id, &c.value, None).await? {
            return Err(StoreError::Conflict(Conflict::ValueTakenByUser));
        }
        if c.is_primary {
            demote_primary(&mut tx, project_id, c.user_id, c.id).await?;
        }
        let sql = format!(
            "INSERT INTO contact_channels
                (project_id, user_id, id, type, value, used_for_auth, is_verified, is_primary)
             VALUES (?, ?, ?, 'email', ?, ?, ?, ?)
             RETURNING {CHANNEL_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(project_id)
            .bind(c.user_id.to_string())
            .bind(c.id.to_string())
            .bind(&c.value)
            .bind(c.used_for_auth)
            .bind(c.is_verified)
            .bind(c.is_primary)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| map_err(e, &c.value))?;
        let channel = channel_from_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(channel)
    }

    async fn update_channel(
        &self,
        project_id: &str,
        user_id: Uuid,
        id: Uuid,
        changes: &ChannelChanges,
    ) -> Result<ChannelRecord, StoreError> {
        let mut tx = self.begin().await?;
        let current = fetch_channel(&mut *tx, project_id, user_id, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let value = changes.value.as_deref().unwrap_or(&current.value);
        if changes.value.is_some()
            && user_holds_value(&mut tx, project_id, user_id, value, Some(id)).await?
        {
            return Err(StoreError::Conflict(Conflict::ValueTakenByUser));
        }
        if changes.is_primary == Some(true) {
            demote_primary(&mut tx, project_id, user_id, id).await?;
        }
        let sql = format!(
            "UPDATE contact_channels
             SET value = ?, used_for_auth = ?, is_verified = ?, is_primary = ?
             WHERE id = ?
             RETURNING {CHANNEL_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(value)
            .bind(changes.used_for_auth.unwrap_or(current.used_for_auth))
            .bind(changes.is_verified.unwrap_or(current.is_verified))
            .bind(changes.is_primary.unwrap_or(current.is_primary))
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| map_err(e, value))?;
        let channel = channel_from_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(channel)
    }

    async fn delete_channel(
        &self,
        project_id: &str,
        user_id: Uuid,
        id: Uuid,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "DELETE FROM contact_channels WHERE project_id = ? AND user_id = ? AND id = ?",
        )
        .bind(project_id)
        .bind(user_id.to_string())
        .bind(id.to_string())
        .execute(&self.write)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_project_trust(
        &self,
        id: &str,
        trusted_domains: &[String],
        allow_localhost: bool,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE projects SET trusted_domains = ?, allow_localhost = ? WHERE id = ?",
        )
        .bind(encode_domains(trusted_domains))
        .bind(allow_localhost)
        .bind(id)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn create_verification_code(
        &self,
        project_id: &str,
        code: &NewVerificationCode,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO verification_codes (code_prefix, code_hash, project_id, user_id, channel_id,
                value, created_at_millis, expires_at_millis)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&code.prefix)
        .bind(&code.hash)
        .bind(project_id)
        .bind(code.user_id.to_string())
        .bind(code.channel_id.to_string())
        .bind(&code.value)
        .bind(code.created_at_millis)
        .bind(code.expires_at_millis)
        .execute(&self.write)
        .await
        .map_err(|e| map_err(e, &code.value))?;
        Ok(())
    }

    async fn delete_verification_code(
        &self,
        project_id: &str,
        prefix: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM verification_codes WHERE project_id = ? AND code_prefix = ?")
            .bind(project_id)
            .bind(prefix)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn use_verification_code(
        &self,
        project_id: &str,
        prefix: &str,
        now_millis: i64,
        decide: CodeDecision<'_>,
    ) -> Result<Option<(CodeRecord, Option<ChannelRecord>, CodeAction)>, StoreError> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "SELECT code_prefix, code_hash, user_id, channel_id, value, expires_at_millis,
                    used_at_millis IS NOT NULL AS used, failed_attempts
             FROM verification_codes WHERE project_id = ? AND code_prefix = ?",
        )
        .bind(project_id)
        .bind(prefix)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let code = CodeRecord {
            prefix: row.try_get("code_prefix").map_err(backend)?,
            hash: row.try_get("code_hash").map_err(backend)?,
            user_id: uuid_column(&row, "user_id")?,
            channel_id: uuid_column(&row, "channel_id")?,
            value: row.try_get("value").map_err(backend)?,
            expires_at_millis: row.try_get("expires_at_millis").map_err(backend)?,
            used: row.try_get("used").map_err(backend)?,
            failed_attempts: row.try_get("failed_attempts").map_err(backend)?,
        };
        let channel = fetch_channel(&mut *tx, project_id, code.user_id, code.channel_id).await?;
        let action = decide(&code, channel.as_ref());
        match action {
            CodeAction::Nothing => return Ok(Some((code, channel, action))),
            CodeAction::CountFailure => {
                sqlx::query(
                    "UPDATE verification_codes SET failed_attempts = failed_attempts + 1
                     WHERE project_id = ? AND code_prefix = ?",
                )
                .bind(project_id)
                .bind(prefix)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            }
            CodeAction::Consume => {
                sqlx::query(
                    "UPDATE verification_codes SET used_at_millis = ?
                     WHERE project_id = ? AND code_prefix = ?",
                )
                .bind(now_millis)
                .bind(project_id)
                .bind(prefix)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                let verified =
                    sqlx::query("UPDATE contact_channels SET is_verified = 1 WHERE id = ?")
                        .bind(code.channel_id.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                // Never mark a code used without verifying its channel.
                if verified.rows_affected() != 1 {
                    return Err(StoreError::NotFound);
                }
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(Some((code, channel, action)))
    }

    async fn get_refresh_token(
        &self,
        project_id: &str,
        token_hash: &[u8],
    ) -> Result<Option<(Uuid, i64)>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, expires_at_millis FROM refresh_tokens
             WHERE project_id = ? AND token_hash = ?",
        )
        .bind(project_id)
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let user_id = uuid_column(&row, "user_id")?;
        Ok(Some((
            user_id,
            row.try_get("expires_at_millis").map_err(backend)?,
        )))
    }

    async fn create_refresh_token(
        &self,
        project_id: &str,
        user_id: Uuid,
        token_hash: &[u8],
        expires_at_millis: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, project_id, user_id, expires_at_millis)
             VALUES (?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(project_id)
        .bind(user_id.to_string())
        .bind(expires_at_millis)
        .execute(&self.write)
        .await
        .map_err(|e| map_err(e, ""))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conformance_suite() {
        crate::store::conformance::run(|| async { SqliteStore::open_in_memory().await.unwrap() })
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
            let pool = store.write.clone();
            let project = project.id.clone();
            async move {
                sqlx::query(
                    "INSERT INTO contact_channels (project_id, user_id, id, type, value, used_for_auth, is_verified, is_primary)
                     VALUES (?, ?, ?, 'email', ?, ?, 0, ?)",
                )
                .bind(project)
                .bind(user.to_string())
                .bind(Uuid::new_v4().to_string())
                .bind(value)
                .bind(auth)
                .bind(primary)
                .execute(&pool)
                .await
            }
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
        let dir = std::env::temp_dir().join(format!("cc-sqlite-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let path = path.to_str().unwrap();
        let (project, _) = crate::service::auth::new_project("p", false, 1);
        {
            let store = SqliteStore::open(path).await.unwrap();
            store.create_project(&project).await.unwrap();
        }
        let reopened = SqliteStore::open(path).await.unwrap();
        assert!(reopened.get_project(&project.id).await.unwrap().is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

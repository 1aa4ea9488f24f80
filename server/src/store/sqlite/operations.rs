//! [`Store`] for [`SqliteStore`]: each operation as reads in place or one write on the writer.

use super::queries::*;
use super::rows::*;
use super::*;
use rusqlite::{params, OptionalExtension};

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
                Entity::User(id),
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
        // a missing user (no row) from a user without channels (one row of NULLs). A page needs
        // no wait for inserts in flight here, unlike on PostgreSQL: the one writer takes each
        // seq and commits in that order, so no row can appear behind a cursor already handed out.
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
                return Err(StoreError::NotFound(Entity::User(user_id)));
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
            let row = rows
                .next()?
                .ok_or(StoreError::NotFound(Entity::User(user_id)))?;
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
            // The writer runs one write at a time, so the count cannot change before the insert.
            let held: u32 = conn
                .prepare_cached(
                    "SELECT count(*) FROM contact_channels WHERE project_id = ? AND user_id = ?",
                )?
                .query_row(params![project_id, c.user_id.to_string()], |row| row.get(0))?;
            if held >= c.cap {
                return Err(StoreError::Conflict(Conflict::ChannelLimit { cap: c.cap }));
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
                return Err(StoreError::NotFound(Entity::Channel(id)));
            };
            let update = changes.apply(&current);
            if let Some(value) = update.new_value() {
                if user_holds_value(conn, &project_id, user_id, value, Some(id))? {
                    return Err(StoreError::Conflict(Conflict::ValueTakenByUser));
                }
            }
            if update.demotes() {
                demote_primary(conn, &project_id, user_id, id)?;
            }
            if update.is_empty() {
                return Ok(current);
            }
            // Only the columns that change are set: SQLite rewrites every index over a column
            // in the SET list, changed or not, and each rewritten page is written to the WAL.
            let (next, changed) = (&update.next, update.changed);
            let mut sets: Vec<&str> = Vec::new();
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::new();
            for (changed, set, value) in [
                (
                    changed.value,
                    "value = ?",
                    &next.value as &dyn rusqlite::ToSql,
                ),
                (
                    changed.used_for_auth,
                    "used_for_auth = ?",
                    &next.used_for_auth,
                ),
                (changed.is_verified, "is_verified = ?", &next.is_verified),
                (changed.is_primary, "is_primary = ?", &next.is_primary),
            ] {
                if changed {
                    sets.push(set);
                    values.push(value);
                }
            }
            let sql = format!(
                "UPDATE contact_channels SET {} WHERE seq = ?",
                sets.join(", ")
            );
            values.push(&next.seq);
            conn.prepare_cached(&sql)?
                .execute(rusqlite::params_from_iter(values))
                .map_err(|e| map_err(e, user_id, &next.value))?;
            Ok(update.next)
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
                Entity::Channel(id),
                "DELETE FROM contact_channels WHERE project_id = ? AND user_id = ? AND id = ?",
                params![project_id, user_id.to_string(), id.to_string()],
            )
            .or_else(|e| match e {
                StoreError::NotFound(_) => check_user(conn, &project_id, user_id).and(Err(e)),
                e => Err(e),
            })
        })
        .await
    }

    async fn change_project_trust(
        &self,
        id: &str,
        change: &TrustChange,
    ) -> Result<(Vec<String>, bool), StoreError> {
        let id = id.to_owned();
        let change = change.clone();
        // The one writer runs this read and write with no other write between them.
        self.write(move |conn| {
            let stored: Option<(String, bool)> = conn
                .prepare_cached(
                    "SELECT trusted_domains, allow_localhost FROM projects WHERE id = ?",
                )?
                .query_row([&id], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?;
            let Some((domains, allow_localhost)) = stored else {
                return Err(StoreError::NotFound(Entity::Project(id)));
            };
            let (domains, allow_localhost) =
                change.apply(&decode_domains(domains)?, allow_localhost);
            conn.prepare_cached(
                "UPDATE projects SET trusted_domains = ?, allow_localhost = ? WHERE id = ?",
            )?
            .execute(params![encode_domains(&domains), allow_localhost, id])?;
            Ok((domains, allow_localhost))
        })
        .await
    }

    async fn sweep_expired(&self, now_millis: i64, batch: u32) -> Result<Swept, StoreError> {
        // Two writes, each a small savepoint in the writer's batch: requests' writes wait for
        // one batch of deletes at most.
        let delete = |table: &'static str| {
            move |conn: &Connection| -> Result<u64, StoreError> {
                let sql = format!(
                    "DELETE FROM {table} WHERE rowid IN
                     (SELECT rowid FROM {table} WHERE expires_at_millis <= ? LIMIT ?)"
                );
                Ok(conn
                    .prepare_cached(&sql)?
                    .execute(params![now_millis, batch])? as u64)
            }
        };
        Ok(Swept {
            verification_codes: self.write(delete("verification_codes")).await?,
            refresh_tokens: self.write(delete("refresh_tokens")).await?,
        })
    }

    async fn replace_signing_keys(&self, changes: &[SigningKeyChange]) -> Result<(), StoreError> {
        let changes = changes.to_vec();
        // One write: its savepoint is undone whole when a key is no longer as read.
        self.write(move |conn| {
            let mut update = conn.prepare_cached(
                "UPDATE projects SET signing_key = ? WHERE id = ? AND signing_key = ?",
            )?;
            for change in changes {
                if update.execute(params![change.next, change.project_id, change.stored])? == 0 {
                    return Err(StoreError::NotFound(Entity::Project(change.project_id)));
                }
            }
            Ok(())
        })
        .await
    }

    async fn create_verification_code(
        &self,
        project_id: &str,
        code: &NewVerificationCode,
        limits: &SendLimits,
    ) -> Result<(), StoreError> {
        let project_id = project_id.to_owned();
        let code = code.clone();
        let limits = *limits;
        // The one writer runs writes one after the other, so the count and the insert see
        // every earlier send and no later one.
        self.write(move |conn| {
            let (channel_id, user_id) = (code.channel_id.to_string(), code.user_id.to_string());
            // For each limit, the `limit`-th most recent send in the window, if there are that
            // many.
            let (channel, user, project) = conn
                .prepare_cached(
                    "SELECT
                        (SELECT created_at_millis FROM verification_codes
                         WHERE project_id = ?1 AND channel_id = ?2 AND created_at_millis > ?4
                         ORDER BY created_at_millis DESC LIMIT 1 OFFSET ?5),
                        (SELECT created_at_millis FROM verification_codes
                         WHERE project_id = ?1 AND user_id = ?3 AND created_at_millis > ?4
                         ORDER BY created_at_millis DESC LIMIT 1 OFFSET ?6),
                        (SELECT created_at_millis FROM verification_codes
                         WHERE project_id = ?1 AND created_at_millis > ?4
                         ORDER BY created_at_millis DESC LIMIT 1 OFFSET ?7)",
                )?
                .query_row(
                    params![
                        project_id,
                        channel_id,
                        user_id,
                        limits.window_start(code.created_at_millis),
                        i64::from(limits.per_channel.get()) - 1,
                        i64::from(limits.per_user.get()) - 1,
                        i64::from(limits.per_project.get()) - 1,
                    ],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )?;
            limits.judge(code.created_at_millis, channel, user, project)?;
            conn.prepare_cached(
                "INSERT INTO verification_codes (code_prefix, code_hash, project_id, user_id,
                    channel_id, value, created_at_millis, expires_at_millis)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )?
            .execute(params![
                code.prefix,
                code.hash,
                project_id,
                user_id,
                channel_id,
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
                    Entity::Code(prefix.clone()),
                    "UPDATE verification_codes SET failed_attempts = failed_attempts + 1
                     WHERE project_id = ? AND code_prefix = ?",
                    params![project_id, prefix],
                )?,
                CodeAction::Consume => {
                    change_one(
                        conn,
                        Entity::Code(prefix.clone()),
                        "UPDATE verification_codes SET used_at_millis = ?
                         WHERE project_id = ? AND code_prefix = ?",
                        params![now_millis, project_id, prefix],
                    )?;
                    // Never mark a code used without verifying its channel; a channel not found
                    // here undoes both.
                    change_one(
                        conn,
                        Entity::Channel(code.channel_id),
                        "UPDATE contact_channels SET is_verified = 1
                         WHERE project_id = ? AND user_id = ? AND id = ?",
                        params![
                            project_id,
                            code.user_id.to_string(),
                            code.channel_id.to_string()
                        ],
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

    async fn delete_refresh_token(
        &self,
        project_id: &str,
        token_hash: &[u8],
        now_millis: i64,
    ) -> Result<bool, StoreError> {
        let project_id = project_id.to_owned();
        let token_hash = token_hash.to_owned();
        self.write(move |conn| {
            let deleted = conn
                .prepare_cached(
                    "DELETE FROM refresh_tokens
                     WHERE project_id = ? AND token_hash = ? AND expires_at_millis > ?",
                )?
                .execute(params![project_id, token_hash, now_millis])?;
            Ok(deleted > 0)
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

//! [`Store`] for [`PgStore`]: each operation as one query (a channel write is one function
//! call), or one transaction that [`finish`] ends, whichever way its body returns.

use super::queries::*;
use super::rows::*;
use super::*;
use sqlx::Row;

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(backend)
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn stats(&self) -> StoreStats {
        let (size, idle) = (self.pool.size(), self.pool.num_idle());
        StoreStats {
            pool_connections: Some((u64::from(size), idle as u64)),
            ..StoreStats::default()
        }
    }

    async fn create_project(&self, p: &ProjectRecord) -> Result<(), StoreError> {
        insert_project(&self.pool, p).await
    }

    async fn create_first_project(&self, p: &ProjectRecord) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let result = create_if_first(&mut tx, p).await;
        finish(tx, result).await
    }

    async fn get_project(&self, id: &str) -> Result<Option<ProjectRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM projects WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(project_from_row).transpose()
    }

    async fn list_projects(&self) -> Result<Vec<ProjectRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM projects ORDER BY created_at_millis, id")
            .fetch_all(&self.pool)
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
            "INSERT INTO users (project_id, id, display_name, signed_up_at_millis) VALUES ($1, $2, $3, $4)",
        )
        .bind(project_id)
        .bind(id)
        .bind(display_name)
        .bind(signed_up_at_millis)
        .execute(&self.pool)
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
                    c.value AS primary_email, COALESCE(c.is_verified, FALSE) AS primary_email_verified
             FROM users u
             LEFT JOIN contact_channels c
               ON c.project_id = u.project_id AND c.user_id = u.id AND c.id = u.primary_channel
             WHERE u.project_id = $1 AND u.id = $2",
        )
        .bind(project_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(UserRecord {
            id: row.try_get("id").map_err(backend)?,
            display_name: row.try_get("display_name").map_err(backend)?,
            signed_up_at_millis: row.try_get("signed_up_at_millis").map_err(backend)?,
            primary_email: row.try_get("primary_email").map_err(backend)?,
            primary_email_verified: row.try_get("primary_email_verified").map_err(backend)?,
        }))
    }

    async fn delete_user(&self, project_id: &str, id: Uuid) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM users WHERE project_id = $1 AND id = $2")
            .bind(project_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(Entity::User(id)));
        }
        Ok(())
    }

    async fn list_channels(
        &self,
        project_id: &str,
        filter: &ChannelFilter,
    ) -> Result<Vec<ChannelRecord>, StoreError> {
        // As in the SQLite store: one user's list joins the user, so one query tells a missing
        // user (no row) from a user without channels (one row of NULLs); a set filter is a
        // plain equality, so the planner can use the indexes even with a generic plan. A page
        // (a list with a limit, which may end in a cursor) goes through `cc_list_page`, which
        // first waits for the project's inserts in flight (migration 0004). A channel is primary
        // when its user's row names it (migration 0010), so every list joins the users.
        let sql = match (filter.limit, filter.user_id, filter.channel_id) {
            (Some(_), _, _) => "SELECT * FROM cc_list_page($1, $2, $3, $4, $5)",
            (None, Some(_), _) => {
                "SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified,
                        COALESCE(c.id = u.primary_channel, FALSE) AS is_primary
                 FROM users u
                 LEFT JOIN contact_channels c
                   ON c.project_id = u.project_id AND c.user_id = u.id
                      AND ($3::uuid IS NULL OR c.id = $3) AND c.seq > $4
                 WHERE u.project_id = $1 AND u.id = $2
                 ORDER BY c.seq
                 LIMIT $5"
            }
            (None, None, None) => {
                "SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified,
                        COALESCE(c.id = u.primary_channel, FALSE) AS is_primary
                 FROM contact_channels c
                 JOIN users u ON u.project_id = c.project_id AND u.id = c.user_id
                 WHERE c.project_id = $1 AND $2::uuid IS NULL AND $3::uuid IS NULL
                   AND c.seq > $4
                 ORDER BY c.seq
                 LIMIT $5"
            }
            (None, None, Some(_)) => {
                "SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified,
                        COALESCE(c.id = u.primary_channel, FALSE) AS is_primary
                 FROM contact_channels c
                 JOIN users u ON u.project_id = c.project_id AND u.id = c.user_id
                 WHERE c.project_id = $1 AND $2::uuid IS NULL AND c.id = $3 AND c.seq > $4
                 ORDER BY c.seq
                 LIMIT $5"
            }
        };
        let rows = sqlx::query(sql)
            .bind(project_id)
            .bind(filter.user_id)
            .bind(filter.channel_id)
            .bind(filter.after_seq.unwrap_or(0))
            .bind(filter.limit.map(i64::from))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        if let (Some(user_id), true) = (filter.user_id, rows.is_empty()) {
            return Err(StoreError::NotFound(Entity::User(user_id)));
        }
        let mut channels = Vec::with_capacity(rows.len());
        for row in &rows {
            // The user's row without a channel is all NULLs.
            if row
                .try_get::<Option<i64>, _>("seq")
                .map_err(backend)?
                .is_some()
            {
                channels.push(channel_from_row(row)?);
            }
        }
        Ok(channels)
    }

    async fn get_channel(
        &self,
        project_id: &str,
        user_id: Uuid,
        id: Uuid,
    ) -> Result<Option<ChannelRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified,
                    COALESCE(c.id = u.primary_channel, FALSE) AS is_primary
             FROM users u
             LEFT JOIN contact_channels c
               ON c.project_id = u.project_id AND c.user_id = u.id AND c.id = $3
             WHERE u.project_id = $1 AND u.id = $2",
        )
        .bind(project_id)
        .bind(user_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound(Entity::User(user_id)))?;
        match row.try_get::<Option<i64>, _>("seq").map_err(backend)? {
            Some(_) => channel_from_row(&row).map(Some),
            None => Ok(None),
        }
    }

    async fn create_channel(
        &self,
        project_id: &str,
        c: &NewChannel,
    ) -> Result<ChannelRecord, StoreError> {
        let call = sqlx::query(
            "SELECT status, seq FROM cc_create_channel($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(project_id)
        .bind(c.user_id)
        .bind(c.id)
        .bind(&c.value)
        .bind(c.used_for_auth)
        .bind(c.is_verified)
        .bind(c.is_primary)
        .bind(i32::try_from(c.cap).unwrap_or(i32::MAX));
        let row = self
            .call(call)
            .await
            .map_err(|e| map_err(e, c.user_id, &c.value))?;
        // Only this function has a cap to report (migration 0006).
        if row.try_get::<&str, _>("status").map_err(backend)? == "limit" {
            return Err(StoreError::Conflict(Conflict::ChannelLimit { cap: c.cap }));
        }
        outcome(&row, c.user_id, c.id)?;
        Ok(ChannelRecord {
            id: c.id,
            user_id: c.user_id,
            value: c.value.clone(),
            used_for_auth: c.used_for_auth,
            is_verified: c.is_verified,
            is_primary: c.is_primary,
            seq: row.try_get("seq").map_err(backend)?,
        })
    }

    async fn update_channel(
        &self,
        project_id: &str,
        user_id: Uuid,
        id: Uuid,
        changes: &ChannelChanges,
    ) -> Result<ChannelRecord, StoreError> {
        // `cc_update_channel` is `ChannelChanges::apply` inside the database (migrations 0004
        // and 0010).
        let call = sqlx::query("SELECT * FROM cc_update_channel($1, $2, $3, $4, $5, $6, $7)")
            .bind(project_id)
            .bind(user_id)
            .bind(id)
            .bind(changes.value.as_deref())
            .bind(changes.used_for_auth)
            .bind(changes.is_verified)
            .bind(changes.is_primary);
        let row = self
            .call(call)
            .await
            .map_err(|e| map_err(e, user_id, changes.value.as_deref().unwrap_or_default()));
        let row = match row {
            // The channel's own value conflicted (it became used for auth): the error names that
            // value, which only the row holds. This costs a read on this error path only.
            Err(StoreError::Conflict(Conflict::ValueUsedForAuth { .. }))
                if changes.value.is_none() =>
            {
                return Err(
                    match fetch_channel(&self.pool, project_id, user_id, id).await? {
                        Some(channel) => StoreError::Conflict(Conflict::ValueUsedForAuth {
                            value: channel.value,
                        }),
                        None => StoreError::NotFound(Entity::Channel(id)),
                    },
                );
            }
            row => row?,
        };
        outcome(&row, user_id, id)?;
        channel_from_row(&row)
    }

    async fn delete_channel(
        &self,
        project_id: &str,
        user_id: Uuid,
        id: Uuid,
    ) -> Result<(), StoreError> {
        let call = sqlx::query("SELECT cc_delete_channel($1, $2, $3) AS status")
            .bind(project_id)
            .bind(user_id)
            .bind(id);
        let row = self.call(call).await.map_err(backend)?;
        outcome(&row, user_id, id)
    }

    async fn change_project_trust(
        &self,
        id: &str,
        change: &TrustChange,
    ) -> Result<(Vec<String>, bool), StoreError> {
        let mut tx = self.begin().await?;
        let result = change_trust(&mut tx, id, change).await;
        finish(tx, result).await
    }

    async fn sweep_expired(&self, now_millis: i64, batch: u32) -> Result<Swept, StoreError> {
        // Each statement is a transaction of its own; rows a request holds locked are skipped
        // (the next sweep takes them), so the sweep never waits for, or holds up, a request.
        let delete = |table: &'static str| {
            let sql = format!(
                "DELETE FROM {table} WHERE ctid IN
                 (SELECT ctid FROM {table} WHERE expires_at_millis <= $1
                  LIMIT $2 FOR UPDATE SKIP LOCKED)"
            );
            async move {
                let deleted = sqlx::query(&sql)
                    .bind(now_millis)
                    .bind(i64::from(batch))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok::<_, StoreError>(deleted.rows_affected())
            }
        };
        Ok(Swept {
            verification_codes: delete("verification_codes").await?,
            refresh_tokens: delete("refresh_tokens").await?,
        })
    }

    async fn replace_signing_keys(&self, changes: &[SigningKeyChange]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let result = replace_keys(&mut tx, changes).await;
        finish(tx, result).await
    }

    async fn create_verification_code(
        &self,
        project_id: &str,
        code: &NewVerificationCode,
        limits: &SendLimits,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let result = insert_code_within_limits(&mut tx, project_id, code, limits).await;
        finish(tx, result).await
    }

    async fn delete_verification_code(
        &self,
        project_id: &str,
        prefix: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM verification_codes WHERE project_id = $1 AND code_prefix = $2")
            .bind(project_id)
            .bind(prefix)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn use_verification_code(
        &self,
        project_id: &str,
        prefix: &str,
        now_millis: i64,
        decide: CodeDecision,
    ) -> Result<Option<(CodeRecord, Option<ChannelRecord>, CodeAction)>, StoreError> {
        let mut tx = self.begin().await?;
        let result = use_code(&mut tx, project_id, prefix, now_millis, decide).await;
        finish(tx, result).await
    }

    async fn get_refresh_token(
        &self,
        project_id: &str,
        token_hash: &[u8],
    ) -> Result<Option<(Uuid, i64)>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, expires_at_millis FROM refresh_tokens
             WHERE project_id = $1 AND token_hash = $2",
        )
        .bind(project_id)
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let user_id = row.try_get("user_id").map_err(backend)?;
        Ok(Some((
            user_id,
            row.try_get("expires_at_millis").map_err(backend)?,
        )))
    }

    async fn delete_refresh_token(
        &self,
        project_id: &str,
        token_hash: &[u8],
        now_millis: i64,
    ) -> Result<bool, StoreError> {
        let deleted = sqlx::query(
            "DELETE FROM refresh_tokens
             WHERE project_id = $1 AND token_hash = $2 AND expires_at_millis > $3",
        )
        .bind(project_id)
        .bind(token_hash)
        .bind(now_millis)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(deleted.rows_affected() > 0)
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
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(project_id)
        .bind(user_id)
        .bind(expires_at_millis)
        .execute(&self.pool)
        .await
        .map_err(|e| map_err(e, user_id, ""))?;
        Ok(())
    }
}

// The transactions' bodies: each runs inside a transaction that `finish` ends, whichever way
// the body returns, so a body may leave by `?` anywhere.

/// Creates `p` if there is no project yet; whether it did.
async fn create_if_first(tx: &mut PgConnection, p: &ProjectRecord) -> Result<bool, StoreError> {
    // Instances starting together serialize here, so only one creates the first project.
    sqlx::query("SELECT pg_advisory_xact_lock(7262013526)")
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    let any: Option<i32> = sqlx::query_scalar("SELECT 1 FROM projects LIMIT 1")
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
    if any.is_some() {
        return Ok(false);
    }
    insert_project(&mut *tx, p).await?;
    Ok(true)
}

/// Applies `change` to the project as stored.
async fn change_trust(
    tx: &mut PgConnection,
    id: &str,
    change: &TrustChange,
) -> Result<(Vec<String>, bool), StoreError> {
    // The row stays locked until the commit, so concurrent changes apply one after another.
    let row = sqlx::query(
        "SELECT trusted_domains, allow_localhost FROM projects WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(backend)?
    .ok_or_else(|| StoreError::NotFound(Entity::Project(id.to_owned())))?;
    let (domains, allow_localhost) = change.apply(
        &decode_domains(row.try_get("trusted_domains").map_err(backend)?)?,
        row.try_get("allow_localhost").map_err(backend)?,
    );
    sqlx::query("UPDATE projects SET trusted_domains = $1, allow_localhost = $2 WHERE id = $3")
        .bind(encode_domains(&domains))
        .bind(allow_localhost)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    Ok((domains, allow_localhost))
}

/// Counts the recent sends each limit covers and, if one more fits, inserts the code.
async fn insert_code_within_limits(
    tx: &mut PgConnection,
    project_id: &str,
    code: &NewVerificationCode,
    limits: &SendLimits,
) -> Result<(), StoreError> {
    // The project's send lock (an advisory lock, apart from the insert lock's class 1) makes
    // every send in the project, on any instance, count and insert one after the other. It is
    // a statement of its own: a statement's snapshot is taken when it starts, so the count that
    // follows sees every send committed while this one waited. Sends are few (the project's own
    // limit is 1,000 an hour) and this transaction is short, so serialising them costs little.
    sqlx::query("SELECT pg_advisory_xact_lock(2, hashtext($1))")
        .bind(project_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    // For each limit, the `limit`-th most recent send in the window, if there are that many.
    let row = sqlx::query(
        "SELECT
            (SELECT created_at_millis FROM verification_codes
             WHERE project_id = $1 AND channel_id = $2 AND created_at_millis > $4
             ORDER BY created_at_millis DESC OFFSET $5 LIMIT 1) AS channel_sent,
            (SELECT created_at_millis FROM verification_codes
             WHERE project_id = $1 AND user_id = $3 AND created_at_millis > $4
             ORDER BY created_at_millis DESC OFFSET $6 LIMIT 1) AS user_sent,
            (SELECT created_at_millis FROM verification_codes
             WHERE project_id = $1 AND created_at_millis > $4
             ORDER BY created_at_millis DESC OFFSET $7 LIMIT 1) AS project_sent",
    )
    .bind(project_id)
    .bind(code.channel_id)
    .bind(code.user_id)
    .bind(limits.window_start(code.created_at_millis))
    .bind(i64::from(limits.per_channel.get()) - 1)
    .bind(i64::from(limits.per_user.get()) - 1)
    .bind(i64::from(limits.per_project.get()) - 1)
    .fetch_one(&mut *tx)
    .await
    .map_err(backend)?;
    limits.judge(
        code.created_at_millis,
        row.try_get("channel_sent").map_err(backend)?,
        row.try_get("user_sent").map_err(backend)?,
        row.try_get("project_sent").map_err(backend)?,
    )?;
    sqlx::query(
        "INSERT INTO verification_codes (code_prefix, code_hash, project_id, user_id, channel_id,
            value, created_at_millis, expires_at_millis)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&code.prefix)
    .bind(&code.hash)
    .bind(project_id)
    .bind(code.user_id)
    .bind(code.channel_id)
    .bind(&code.value)
    .bind(code.created_at_millis)
    .bind(code.expires_at_millis)
    .execute(&mut *tx)
    .await
    .map_err(|e| map_err(e, code.user_id, &code.value))?;
    Ok(())
}

/// Replaces each signing key still as it was read; the first that is not fails the whole.
async fn replace_keys(
    tx: &mut PgConnection,
    changes: &[SigningKeyChange],
) -> Result<(), StoreError> {
    for change in changes {
        let updated =
            sqlx::query("UPDATE projects SET signing_key = $1 WHERE id = $2 AND signing_key = $3")
                .bind(&change.next)
                .bind(&change.project_id)
                .bind(&change.stored)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound(Entity::Project(
                change.project_id.clone(),
            )));
        }
    }
    Ok(())
}

/// Finds a code and its channel, asks `decide`, and does what it says.
async fn use_code(
    tx: &mut PgConnection,
    project_id: &str,
    prefix: &str,
    now_millis: i64,
    decide: CodeDecision,
) -> Result<Option<(CodeRecord, Option<ChannelRecord>, CodeAction)>, StoreError> {
    // Locks in the order every write takes them, user first, then the code: a code's owner is
    // found without a lock, then both are locked and the code read again.
    let owner: Option<Uuid> = sqlx::query_scalar(
        "SELECT user_id FROM verification_codes WHERE project_id = $1 AND code_prefix = $2",
    )
    .bind(project_id)
    .bind(prefix)
    .fetch_optional(&mut *tx)
    .await
    .map_err(backend)?;
    let Some(owner) = owner else { return Ok(None) };
    match lock_user(&mut *tx, project_id, owner).await {
        // The user (and with it the code) was deleted meanwhile.
        Err(StoreError::NotFound(Entity::User(_))) => return Ok(None),
        locked => locked?,
    }
    let row = sqlx::query(
        "SELECT code_prefix, code_hash, user_id, channel_id, value, expires_at_millis,
                used_at_millis IS NOT NULL AS used, failed_attempts
         FROM verification_codes WHERE project_id = $1 AND code_prefix = $2 FOR UPDATE",
    )
    .bind(project_id)
    .bind(prefix)
    .fetch_optional(&mut *tx)
    .await
    .map_err(backend)?;
    let Some(row) = row else { return Ok(None) };
    let failed_attempts: i32 = row.try_get("failed_attempts").map_err(backend)?;
    let code = CodeRecord {
        prefix: row.try_get("code_prefix").map_err(backend)?,
        hash: row.try_get("code_hash").map_err(backend)?,
        user_id: row.try_get("user_id").map_err(backend)?,
        channel_id: row.try_get("channel_id").map_err(backend)?,
        value: row.try_get("value").map_err(backend)?,
        expires_at_millis: row.try_get("expires_at_millis").map_err(backend)?,
        used: row.try_get("used").map_err(backend)?,
        failed_attempts: failed_attempts.max(0) as u32,
    };
    let channel = fetch_channel(&mut *tx, project_id, code.user_id, code.channel_id).await?;
    let action = decide(&code, channel.as_ref());
    match action {
        CodeAction::Nothing => {}
        CodeAction::CountFailure => {
            sqlx::query(
                "UPDATE verification_codes SET failed_attempts = failed_attempts + 1
                 WHERE project_id = $1 AND code_prefix = $2",
            )
            .bind(project_id)
            .bind(prefix)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        CodeAction::Consume => {
            sqlx::query(
                "UPDATE verification_codes SET used_at_millis = $1
                 WHERE project_id = $2 AND code_prefix = $3",
            )
            .bind(now_millis)
            .bind(project_id)
            .bind(prefix)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            let verified = sqlx::query(
                "UPDATE contact_channels SET is_verified = TRUE
                 WHERE project_id = $1 AND user_id = $2 AND id = $3",
            )
            .bind(project_id)
            .bind(code.user_id)
            .bind(code.channel_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            // Never mark a code used without verifying its channel: the error rolls both back.
            if verified.rows_affected() != 1 {
                return Err(StoreError::NotFound(Entity::Channel(code.channel_id)));
            }
        }
    }
    Ok(Some((code, channel, action)))
}

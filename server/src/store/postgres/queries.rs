//! Statements that several operations run, most inside their transactions.

use super::rows::*;
use super::*;

/// Inserts a project through `executor` (the pool, or a transaction).
pub(super) async fn insert_project<'e, E: sqlx::Executor<'e, Database = Postgres>>(
    executor: E,
    p: &ProjectRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO projects (id, display_name, publishable_client_key_hash,
                secret_server_key_hash, super_secret_admin_key_hash, signing_key,
                allow_localhost, created_at_millis, trusted_domains)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
pub(super) async fn fetch_channel<'e, E: sqlx::Executor<'e, Database = Postgres>>(
    executor: E,
    project_id: &str,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<ChannelRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified,
                COALESCE(c.id = u.primary_channel, FALSE) AS is_primary
         FROM contact_channels c
         JOIN users u ON u.project_id = c.project_id AND u.id = c.user_id
         WHERE c.project_id = $1 AND c.user_id = $2 AND c.id = $3",
    )
    .bind(project_id)
    .bind(user_id)
    .bind(id)
    .fetch_optional(executor)
    .await
    .map_err(backend)?;
    row.as_ref().map(channel_from_row).transpose()
}

/// Locks the user's row for the rest of the transaction: writes for one user are serialized.
pub(super) async fn lock_user(
    tx: &mut PgConnection,
    project_id: &str,
    user_id: Uuid,
) -> Result<(), StoreError> {
    let row = sqlx::query("SELECT 1 FROM users WHERE project_id = $1 AND id = $2 FOR UPDATE")
        .bind(project_id)
        .bind(user_id)
        .fetch_optional(tx)
        .await
        .map_err(backend)?;
    row.map(|_| ())
        .ok_or(StoreError::NotFound(Entity::User(user_id)))
}

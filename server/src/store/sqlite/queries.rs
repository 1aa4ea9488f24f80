//! Statements that several operations run inside their transactions.

use super::rows::channel_from_row;
use super::*;
use rusqlite::{params, OptionalExtension};

pub(super) fn insert_project(conn: &Connection, p: &ProjectRecord) -> Result<(), StoreError> {
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
pub(super) fn fetch_channel(
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

/// [`Entity::User`] not found unless the user exists.
pub(super) fn check_user(
    conn: &Connection,
    project_id: &str,
    user_id: Uuid,
) -> Result<(), StoreError> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM users WHERE project_id = ? AND id = ?")?
        .exists(params![project_id, user_id.to_string()])?;
    exists
        .then_some(())
        .ok_or(StoreError::NotFound(Entity::User(user_id)))
}

/// Whether `user_id` already holds `value` on a channel other than `except`.
pub(super) fn user_holds_value(
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
pub(super) fn demote_primary(
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

/// Runs a statement that must change a row of `entity`; not found if none changed.
pub(super) fn change_one(
    conn: &Connection,
    entity: Entity,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<(), StoreError> {
    match conn.prepare_cached(sql)?.execute(params)? {
        0 => Err(StoreError::NotFound(entity)),
        _ => Ok(()),
    }
}

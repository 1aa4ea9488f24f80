//! From PostgreSQL's rows to the store's records.

use super::*;
use sqlx::postgres::PgRow;
use sqlx::Row;

pub(super) fn channel_from_row(row: &PgRow) -> Result<ChannelRecord, StoreError> {
    Ok(ChannelRecord {
        seq: row.try_get("seq").map_err(backend)?,
        id: row.try_get("id").map_err(backend)?,
        user_id: row.try_get("user_id").map_err(backend)?,
        value: row.try_get("value").map_err(backend)?,
        used_for_auth: row.try_get("used_for_auth").map_err(backend)?,
        is_verified: row.try_get("is_verified").map_err(backend)?,
        is_primary: row.try_get("is_primary").map_err(backend)?,
    })
}

pub(super) fn project_from_row(row: &PgRow) -> Result<ProjectRecord, StoreError> {
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

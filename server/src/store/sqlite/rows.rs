//! From SQLite's rows and errors to the store's records and errors.

use super::*;
use rusqlite::{ErrorCode, Row};

/// The columns [`channel_from_row`] reads, in its order.
macro_rules! channel_columns {
    () => {
        "seq, id, user_id, value, used_for_auth, is_verified, is_primary"
    };
}

/// The columns [`project_from_row`] reads, in its order.
macro_rules! project_columns {
    () => {
        "id, display_name, publishable_client_key_hash, secret_server_key_hash,
         super_secret_admin_key_hash, signing_key, allow_localhost, created_at_millis,
         trusted_domains"
    };
}

impl From<rusqlite::Error> for StoreError {
    /// A lock held too long by another process, a full disk or an I/O failure may pass; anything
    /// else is a fault.
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(
                ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure
                | ErrorCode::CannotOpen,
            ) => StoreError::Unavailable(Box::new(e)),
            _ => StoreError::Backend(Box::new(e)),
        }
    }
}

/// Maps SQLite's constraint failures to what they mean for the API.
pub(super) fn map_err(e: rusqlite::Error, user_id: Uuid, value: &str) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, Some(message)) = &e {
        if failure.code == ErrorCode::ConstraintViolation {
            if message.starts_with("FOREIGN KEY constraint failed") {
                return StoreError::NotFound(Entity::User(user_id));
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
    }
    StoreError::from(e)
}

/// A UUID stored as text.
pub(super) fn uuid_at(row: &Row, index: usize) -> rusqlite::Result<Uuid> {
    let text = row.get_ref(index)?.as_str()?;
    Uuid::parse_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(super) fn channel_from_row(row: &Row) -> rusqlite::Result<ChannelRecord> {
    Ok(ChannelRecord {
        seq: row.get(0)?,
        id: uuid_at(row, 1)?,
        user_id: uuid_at(row, 2)?,
        value: row.get(3)?,
        used_for_auth: row.get(4)?,
        is_verified: row.get(5)?,
        is_primary: row.get(6)?,
    })
}

pub(super) fn project_from_row(row: &Row) -> Result<ProjectRecord, StoreError> {
    Ok(ProjectRecord {
        id: row.get(0)?,
        display_name: row.get(1)?,
        publishable_client_key_hash: row.get(2)?,
        secret_server_key_hash: row.get(3)?,
        super_secret_admin_key_hash: row.get(4)?,
        signing_key: row.get(5)?,
        allow_localhost: row.get(6)?,
        created_at_millis: row.get(7)?,
        trusted_domains: decode_domains(row.get(8)?)?,
    })
}

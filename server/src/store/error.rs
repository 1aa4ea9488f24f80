//! How a store operation fails: typed, with the engine's own error kept as the cause.

use uuid::Uuid;

/// Which uniqueness rule a write broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// The user already holds this value.
    ValueTakenByUser,
    /// Another channel in the project already uses this value for auth.
    ValueUsedForAuth { value: String },
    /// The user has as many channels as [`crate::store::NewChannel::cap`] allows.
    ChannelLimit { cap: u32 },
}

/// What a write or a lookup named that does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entity {
    Project(String),
    User(Uuid),
    /// A channel of an existing user.
    Channel(Uuid),
    /// A verification code, by its prefix.
    Code(String),
}

/// An engine's own error, kept as the cause.
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0:?} does not exist")]
    NotFound(Entity),
    #[error("uniqueness conflict: {0:?}")]
    Conflict(Conflict),
    /// A send limit is reached; one more is possible after `retry_after`.
    #[error("{} reached", limit.name())]
    LimitReached {
        limit: super::SendLimit,
        retry_after: std::time::Duration,
    },
    /// The database is down, overloaded or contended: the request may be retried.
    #[error("the database cannot be reached")]
    Unavailable(#[source] BackendError),
    /// Anything else: a fault.
    #[error("database error")]
    Backend(#[source] BackendError),
}

//! [`ServiceError`]: every reason an operation is refused, and how store errors become one.
//!
//! The HTTP adapter maps each variant to its API error code (`http/error.rs`); the service only
//! says what went wrong.

use super::Access;
use crate::store::{Conflict, StoreError};

/// Why an operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("a project key was sent without an access type")]
    ProjectKeyWithoutAccessType,
    #[error("no access type")]
    AccessTypeRequired,
    #[error("invalid access type {0:?}")]
    InvalidAccessType(String),
    #[error("access type {0:?} without a project id")]
    AccessTypeWithoutProjectId(Access),
    #[error("access type {actual:?} may not do this")]
    InsufficientAccessType {
        actual: Access,
        allowed: &'static [Access],
    },
    #[error("the access token cannot be parsed or verified")]
    UnparsableAccessToken,
    #[error("the access token has expired")]
    AccessTokenExpired,
    #[error("the access token is for project {actual}, not {expected}")]
    InvalidProjectForAccessToken { expected: String, actual: String },
    #[error("no project {0}")]
    CurrentProjectNotFound(String),
    #[error("{0:?} access needs its key")]
    KeyRequired(Access, String),
    #[error("wrong {0:?} key")]
    InvalidKey(Access, String),
    #[error("`me` needs an access token")]
    CannotGetOwnUserWithoutUser,
    #[error("a client may only act on its own user")]
    ClientCannotAccessOtherUser,
    #[error("user {0} does not exist")]
    UserIdDoesNotExist(String),
    #[error("user {0} not found")]
    UserNotFound(String),
    #[error("contact channel not found")]
    ContactChannelNotFound,
    #[error("the user already has this contact channel")]
    ContactChannelAlreadyExists,
    #[error("{0} is already used for auth by another contact channel")]
    ContactChannelAlreadyUsedForAuth(String),
    #[error("no valid refresh token")]
    RefreshTokenNotFoundOrExpired,
    #[error("the callback URL is not on the project's trusted domains")]
    RedirectUrlNotWhitelisted,
    #[error("the contact channel is verified already")]
    EmailAlreadyVerified,
    #[error("no such verification code")]
    VerificationCodeNotFound,
    #[error("the verification code has expired")]
    VerificationCodeExpired,
    #[error("the verification code was used already")]
    VerificationCodeAlreadyUsed,
    #[error("the verification code is locked after too many wrong attempts")]
    VerificationCodeMaxAttemptsReached,
    #[error("the contact channel changed after the code was sent")]
    VerificationCodeOutdated,
    #[error("the email could not be delivered: {0}")]
    EmailDeliveryFailed(String),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::ContactChannelNotFound,
            StoreError::Conflict(Conflict::ValueTakenByUser) => {
                ServiceError::ContactChannelAlreadyExists
            }
            StoreError::Conflict(Conflict::ValueUsedForAuth { value }) => {
                ServiceError::ContactChannelAlreadyUsedForAuth(value)
            }
            StoreError::UserMissing(id) => ServiceError::UserIdDoesNotExist(id.to_string()),
            StoreError::Unavailable(e) => ServiceError::Unavailable(error_chain(&*e)),
            StoreError::Backend(e) => ServiceError::Internal(error_chain(&*e)),
        }
    }
}

/// An error and its causes, for the log.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

//! [`ServiceError`]: every reason an operation is refused, and how store errors become one.
//!
//! The HTTP adapter maps each variant to its API error code (`http/error.rs`); the service only
//! says what went wrong. Failures of the database, the mailer or the server itself keep their
//! cause as the error's source, so the log shows the whole chain.

use super::Access;
use crate::mail::MailError;
use crate::store::{BackendError, Conflict, Entity, StoreError};

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
    #[error("the user has {0} contact channels, the most the server allows")]
    ContactChannelLimitReached(u32),
    /// Too many requests of one kind; the client may retry after `retry_after`.
    #[error("rate limited ({limit}); retry after {retry_after:?}")]
    RateLimited {
        /// Which limit, as `details.limit` names it (`email_per_channel`, …).
        limit: &'static str,
        retry_after: std::time::Duration,
    },
    #[error("no valid refresh token")]
    RefreshTokenNotFoundOrExpired,
    #[error("OAuth invalid_request: {0}")]
    OAuthInvalidRequest(String),
    #[error("OAuth invalid_client: the project or its publishable client key is wrong")]
    OAuthInvalidClient,
    #[error("OAuth unsupported_grant_type {0:?}")]
    OAuthUnsupportedGrantType(String),
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
    /// The mailer did not take the verification email; its code was removed again.
    #[error("the email could not be delivered")]
    EmailDeliveryFailed(#[source] MailError),
    /// The database is down, overloaded or contended: the request may be retried.
    #[error("the database is unavailable")]
    Unavailable(#[source] BackendError),
    /// A fault of the server or its database; no input is meant to cause it.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ServiceError {
    /// An internal error: `what` failed because of `cause`, which is kept as the source.
    pub(super) fn internal(
        what: &'static str,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        ServiceError::Internal(Box::new(Failed {
            what,
            cause: Box::new(cause),
        }))
    }
}

/// What failed inside the server, and why.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
struct Failed {
    what: &'static str,
    #[source]
    cause: Box<dyn std::error::Error + Send + Sync>,
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(Entity::Channel(_)) => ServiceError::ContactChannelNotFound,
            StoreError::NotFound(Entity::User(id)) => {
                ServiceError::UserIdDoesNotExist(id.to_string())
            }
            StoreError::NotFound(Entity::Project(id)) => ServiceError::CurrentProjectNotFound(id),
            StoreError::NotFound(Entity::Code(_)) => ServiceError::VerificationCodeNotFound,
            StoreError::Conflict(Conflict::ValueTakenByUser) => {
                ServiceError::ContactChannelAlreadyExists
            }
            StoreError::Conflict(Conflict::ValueUsedForAuth { value }) => {
                ServiceError::ContactChannelAlreadyUsedForAuth(value)
            }
            StoreError::Conflict(Conflict::ChannelLimit { cap }) => {
                ServiceError::ContactChannelLimitReached(cap)
            }
            StoreError::LimitReached { limit, retry_after } => ServiceError::RateLimited {
                limit: limit.name(),
                retry_after,
            },
            StoreError::Unavailable(e) => ServiceError::Unavailable(e),
            StoreError::Backend(e) => ServiceError::Internal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct Refused;

    #[test]
    fn faults_keep_their_cause() {
        let unavailable = ServiceError::from(StoreError::Unavailable(Box::new(Refused)));
        assert!(matches!(unavailable, ServiceError::Unavailable(_)));
        assert_eq!(
            unavailable.source().unwrap().to_string(),
            "connection refused"
        );

        let backend = ServiceError::from(StoreError::Backend(Box::new(Refused)));
        assert!(matches!(backend, ServiceError::Internal(_)));
        assert_eq!(backend.source().unwrap().to_string(), "connection refused");

        let internal = ServiceError::internal("signing an access token", Refused);
        let failed = internal.source().unwrap();
        assert_eq!(failed.to_string(), "signing an access token");
        assert_eq!(failed.source().unwrap().to_string(), "connection refused");

        let mail = ServiceError::EmailDeliveryFailed(MailError::new("SMTP delivery failed"));
        assert_eq!(mail.source().unwrap().to_string(), "SMTP delivery failed");
    }
}

//! The one mapping from [`ServiceError`] to [`ApiError`]: each variant's code, message and
//! details, and the log line of the errors that are the server's fault.

use crate::service::{Access, ServiceError};
use contact_channels_api::{ApiError, ErrorCode};
use serde_json::json;

/// Maps every service error to its code, message and details; the only such mapping.
fn api_error(e: ServiceError) -> ApiError {
    use ErrorCode as C;
    use ServiceError as E;
    let with = ApiError::with_details;
    match e {
        E::InvalidInput(message) => ApiError::schema(message),
        E::ProjectKeyWithoutAccessType => ApiError::new(
            C::ProjectKeyWithoutAccessType,
            "A project key was sent without the x-stack-access-type header.",
        ),
        E::AccessTypeRequired => ApiError::new(
            C::AccessTypeRequired,
            "You must specify an access level for this Stack project. Make sure project API keys \
             are provided (eg. x-stack-publishable-client-key) and you set the \
             x-stack-access-type header to 'client', 'server', or 'admin'.",
        ),
        E::InvalidAccessType(access_type) => with(
            C::InvalidAccessType,
            format!("The x-stack-access-type header must be 'client', 'server', or 'admin', but was '{access_type}'."),
            json!({ "accessType": access_type }),
        ),
        E::AccessTypeWithoutProjectId(access) => with(
            C::AccessTypeWithoutProjectId,
            format!("The x-stack-access-type header was '{}', but the x-stack-project-id header was not provided.", access.as_str()),
            json!({ "request_type": access.as_str() }),
        ),
        E::InsufficientAccessType { actual, allowed } => {
            let names: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
            let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            with(
                C::InsufficientAccessType,
                format!(
                    "The x-stack-access-type header must be {}, but was '{}'.",
                    quoted.join(" or "),
                    actual.as_str()
                ),
                json!({ "actual_access_type": actual.as_str(), "allowed_access_types": names }),
            )
        }
        E::UnparsableAccessToken => ApiError::new(C::UnparsableAccessToken, "Access token is not valid JWT."),
        E::AccessTokenExpired => ApiError::new(C::AccessTokenExpired, "Access token has expired. Please refresh it and try again."),
        E::InvalidProjectForAccessToken { expected, actual } => with(
            C::InvalidProjectForAccessToken,
            format!("Access token not valid for this project. Expected project ID {expected:?}, but the token is for project ID {actual:?}."),
            json!({ "expected_project_id": expected, "actual_project_id": actual }),
        ),
        E::CurrentProjectNotFound(project_id) => with(
            C::CurrentProjectNotFound,
            format!("The current project with ID {project_id} was not found."),
            json!({ "project_id": project_id }),
        ),
        E::KeyRequired(Access::Client, project_id) => with(
            C::PublishableClientKeyRequiredForProject,
            format!("Publishable client key must be provided for project {project_id}."),
            json!({ "project_id": project_id }),
        ),
        E::KeyRequired(Access::Server, _) => ApiError::new(
            C::ServerAuthenticationRequired,
            "The secret server key must be provided.",
        ),
        E::KeyRequired(Access::Admin, _) => ApiError::new(
            C::AdminAuthenticationRequired,
            "The super secret admin key must be provided.",
        ),
        E::InvalidKey(access, project_id) => {
            let (code, what) = match access {
                Access::Client => (C::InvalidPublishableClientKey, "publishable client key"),
                Access::Server => (C::InvalidSecretServerKey, "secret server key"),
                Access::Admin => (C::InvalidSuperSecretAdminKey, "super secret admin key"),
            };
            with(
                code,
                format!("The {what} is not valid for the project {project_id:?}."),
                json!({ "project_id": project_id }),
            )
        }
        E::CannotGetOwnUserWithoutUser => ApiError::new(
            C::CannotGetOwnUserWithoutUser,
            "You have specified 'me' as a userId, but did not provide authentication for a user.",
        ),
        E::ClientCannotAccessOtherUser => ApiError::new(
            C::ClientCannotAccessOtherUser,
            "Client access can only act on the user of its access token.",
        ),
        E::UserIdDoesNotExist(user_id) => with(
            C::UserIdDoesNotExist,
            format!("The given user with the ID {user_id} does not exist."),
            json!({ "user_id": user_id }),
        ),
        E::UserNotFound(_) => ApiError::new(C::UserNotFound, "User not found."),
        E::ContactChannelNotFound => ApiError::new(C::ContactChannelNotFound, "Contact channel not found."),
        E::ContactChannelAlreadyExists => ApiError::new(
            C::ContactChannelAlreadyExists,
            "This user already has a contact channel with this value.",
        ),
        E::ContactChannelAlreadyUsedForAuth(value) => with(
            C::ContactChannelAlreadyUsedForAuthBySomeoneElse,
            format!("This email ({value}) is already used for authentication by another account."),
            json!({
                "type": "email",
                "contact_channel_value": value,
                "would_work_if_email_was_verified": false,
            }),
        ),
        E::ContactChannelLimitReached(max) => with(
            C::ContactChannelLimitReached,
            format!("This user already has {max} contact channels, the most this server allows."),
            json!({ "max_contact_channels_per_user": max }),
        ),
        // Rounded up: a client that waits the whole number of seconds is let through.
        E::RateLimited { limit, retry_after } => {
            ApiError::rate_limited(limit, retry_after.as_secs_f64().ceil().max(1.0) as u64)
        }
        E::RefreshTokenNotFoundOrExpired => ApiError::new(
            C::RefreshTokenNotFoundOrExpired,
            "Refresh token not found for this project, or the session has expired/been revoked.",
        ),
        E::OAuthInvalidRequest(message) => ApiError::new(C::OAuthInvalidRequest, message),
        E::OAuthInvalidClient => ApiError::new(
            C::OAuthInvalidClient,
            "The client_id is not a project, or the client_secret is not its publishable client key.",
        ),
        E::OAuthUnsupportedGrantType(grant_type) => ApiError::new(
            C::OAuthUnsupportedGrantType,
            format!("The grant type {grant_type:?} is not supported; use refresh_token."),
        ),
        E::RedirectUrlNotWhitelisted => ApiError::new(
            C::RedirectUrlNotWhitelisted,
            "Redirect URL not whitelisted. Did you forget to add this domain to the trusted domains list on the Stack Auth dashboard?",
        ),
        E::EmailAlreadyVerified => ApiError::new(C::EmailAlreadyVerified, "The email is already verified."),
        E::VerificationCodeNotFound => ApiError::new(
            C::VerificationCodeNotFound,
            "The verification code does not exist for this project.",
        ),
        E::VerificationCodeExpired => ApiError::new(C::VerificationCodeExpired, "The verification code has expired."),
        E::VerificationCodeAlreadyUsed => ApiError::new(
            C::VerificationCodeAlreadyUsed,
            "The verification link has already been used.",
        ),
        E::VerificationCodeMaxAttemptsReached => ApiError::new(
            C::VerificationCodeMaxAttemptsReached,
            "The verification code nonce has reached the maximum number of attempts. Please try requesting a new code.",
        ),
        E::VerificationCodeOutdated => ApiError::new(
            C::VerificationCodeOutdated,
            "The contact channel changed after this code was sent; send a new code.",
        ),
        E::EmailDeliveryFailed(_) => ApiError::new(
            C::EmailDeliveryFailed,
            "The verification email could not be delivered; no code was kept. Try again later.",
        ),
        E::Unavailable(_) => ApiError::new(
            C::DatabaseUnavailable,
            "The database is unavailable; retry the request later.",
        ),
        E::Internal(_) => ApiError::new(C::InternalError, "An internal error occurred."),
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match &e {
            ServiceError::Internal(cause) => {
                tracing::error!(detail = %error_chain(&**cause), "request failed inside the server")
            }
            ServiceError::Unavailable(cause) => {
                tracing::warn!(detail = %error_chain(&**cause), "database unavailable")
            }
            _ => {}
        }
        api_error(e)
    }
}

/// An error and its causes, for the log: `message: cause: cause…`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;
    use std::sync::{Arc, Mutex};

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct Refused;

    #[derive(Debug, thiserror::Error)]
    #[error("pool timed out")]
    struct TimedOut(#[source] Refused);

    /// What `f` returns, and the log lines written while it runs.
    fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = {
            let buffer = buffer.clone();
            move || Log(buffer.clone())
        };
        let subscriber = tracing_subscriber::fmt()
            .with_writer(writer)
            .with_ansi(false)
            .finish();
        let value = tracing::subscriber::with_default(subscriber, f);
        let bytes = buffer.lock().unwrap().clone();
        (value, String::from_utf8(bytes).unwrap())
    }

    struct Log(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Log {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn faults_are_answered_plainly_and_logged_with_their_causes() {
        let (answer, log) = logged(|| {
            ApiError::from(ServiceError::from(StoreError::Unavailable(Box::new(
                TimedOut(Refused),
            ))))
        });
        assert_eq!(answer.code, ErrorCode::DatabaseUnavailable);
        assert_eq!(
            answer.message,
            "The database is unavailable; retry the request later."
        );
        assert!(log.contains("WARN"), "{log}");
        assert!(log.contains("database unavailable"), "{log}");
        assert!(
            log.contains("detail=pool timed out: connection refused"),
            "{log}"
        );

        let (answer, log) = logged(|| {
            ApiError::from(ServiceError::from(StoreError::Backend(Box::new(TimedOut(
                Refused,
            )))))
        });
        assert_eq!(answer.code, ErrorCode::InternalError);
        assert_eq!(answer.message, "An internal error occurred.");
        assert!(log.contains("ERROR"), "{log}");
        assert!(log.contains("request failed inside the server"), "{log}");
        assert!(
            log.contains("detail=pool timed out: connection refused"),
            "{log}"
        );
        // The answer says nothing of the cause.
        assert!(!format!("{answer:?}").contains("refused"));
    }
}

//! The error half of the wire contract: every code the API answers, its status, whether Stack
//! Auth's SDK knows it, and how an [`ApiError`] becomes a response.
//!
//! This is the only place that knows statuses, codes and the known-error headers. The server maps
//! its service errors into [`ApiError`] once; extractor failures arrive through
//! `From<HttpError>` and the extractors in [`crate::extract`].

use dropshot::{ApiEndpointResponse, Body, ErrorStatusCode, HttpError, HttpResponse};
use http::{header, HeaderName, HeaderValue, Response, StatusCode};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::LazyLock;

/// The header that tells Stack Auth's SDK which known error a response carries, under every
/// prefix; built once, as errors are answered on the request path.
static KNOWN_ERROR_HEADERS: LazyLock<[HeaderName; 2]> =
    LazyLock::new(|| crate::prefixed_header("known-error"));

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = ($code:literal, $status:ident, $known:literal, $summary:literal), )*) => {
        /// Every error code the API answers.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( #[doc = $summary] $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// All codes, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears in the body's `code` field.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status the code is answered with.
            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }

            /// What the code means, in a few words; the spec's error descriptions are built
            /// from these.
            pub fn summary(self) -> &'static str {
                match self { $(ErrorCode::$variant => $summary,)* }
            }

            /// Whether Stack Auth's SDK knows the code, so that the response carries the
            /// known-error headers (the SDK rejects unknown codes in that header).
            pub fn is_known_to_sdk(self) -> bool {
                match self { $(ErrorCode::$variant => $known,)* }
            }
        }
    };
}

error_codes! {
    SchemaError = ("SCHEMA_ERROR", BAD_REQUEST, true, "invalid input: a bad, unknown or mistyped field"),
    BodyParsingError = ("BODY_PARSING_ERROR", BAD_REQUEST, true, "the body is not JSON"),
    RequestBodyTooLarge = ("REQUEST_BODY_TOO_LARGE", PAYLOAD_TOO_LARGE, false, "the body is larger than the server accepts"),
    ProjectKeyWithoutAccessType = ("PROJECT_KEY_WITHOUT_ACCESS_TYPE", BAD_REQUEST, true, "a key without `x-stack-access-type`"),
    AccessTypeRequired = ("ACCESS_TYPE_REQUIRED", BAD_REQUEST, true, "no `x-stack-access-type`"),
    InvalidAccessType = ("INVALID_ACCESS_TYPE", BAD_REQUEST, true, "an access type other than `client`, `server` or `admin`"),
    AccessTypeWithoutProjectId = ("ACCESS_TYPE_WITHOUT_PROJECT_ID", BAD_REQUEST, true, "an access type without `x-stack-project-id`"),
    InsufficientAccessType = ("INSUFFICIENT_ACCESS_TYPE", UNAUTHORIZED, true, "the access type may not call this operation"),
    UnparsableAccessToken = ("UNPARSABLE_ACCESS_TOKEN", UNAUTHORIZED, true, "the access token is not a valid token"),
    AccessTokenExpired = ("ACCESS_TOKEN_EXPIRED", UNAUTHORIZED, true, "the access token has expired"),
    InvalidProjectForAccessToken = ("INVALID_PROJECT_FOR_ACCESS_TOKEN", UNAUTHORIZED, true, "the access token is for another project"),
    CurrentProjectNotFound = ("CURRENT_PROJECT_NOT_FOUND", BAD_REQUEST, true, "no such project"),
    PublishableClientKeyRequiredForProject =
        ("PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT", UNAUTHORIZED, true, "client access without its key"),
    InvalidPublishableClientKey = ("INVALID_PUBLISHABLE_CLIENT_KEY", UNAUTHORIZED, true, "a wrong publishable client key"),
    ServerAuthenticationRequired = ("SERVER_AUTHENTICATION_REQUIRED", UNAUTHORIZED, true, "server access without its key"),
    InvalidSecretServerKey = ("INVALID_SECRET_SERVER_KEY", UNAUTHORIZED, true, "a wrong secret server key"),
    AdminAuthenticationRequired = ("ADMIN_AUTHENTICATION_REQUIRED", UNAUTHORIZED, true, "admin access without its key"),
    InvalidSuperSecretAdminKey = ("INVALID_SUPER_SECRET_ADMIN_KEY", UNAUTHORIZED, true, "a wrong super secret admin key"),
    CannotGetOwnUserWithoutUser = ("CANNOT_GET_OWN_USER_WITHOUT_USER", BAD_REQUEST, true, "`me` without an access token"),
    UserIdDoesNotExist = ("USER_ID_DOES_NOT_EXIST", BAD_REQUEST, true, "the body's `user_id` names no user"),
    UserNotFound = ("USER_NOT_FOUND", NOT_FOUND, true, "no such user"),
    ContactChannelAlreadyUsedForAuthBySomeoneElse =
        ("CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE", CONFLICT, true, "another user already uses this value for auth"),
    /// Our code: Stack Auth answers plain text here.
    ContactChannelNotFound = ("CONTACT_CHANNEL_NOT_FOUND", NOT_FOUND, false, "no such contact channel"),
    /// Our code: Stack Auth answers plain text here.
    ContactChannelAlreadyExists = ("CONTACT_CHANNEL_ALREADY_EXISTS", CONFLICT, false, "the user already has this value"),
    /// Our code: Stack Auth answers plain text here.
    ClientCannotAccessOtherUser = ("CLIENT_CANNOT_ACCESS_OTHER_USER", FORBIDDEN, false, "a client acting on another user"),
    DatabaseUnavailable = ("DATABASE_UNAVAILABLE", SERVICE_UNAVAILABLE, false, "the database could not be reached; retry later"),
    RefreshTokenNotFoundOrExpired = ("REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED", UNAUTHORIZED, true, "no valid refresh token: the session has ended"),
    RedirectUrlNotWhitelisted = ("REDIRECT_URL_NOT_WHITELISTED", BAD_REQUEST, true, "the callback URL is not on the project's trusted domains"),
    EmailAlreadyVerified = ("EMAIL_ALREADY_VERIFIED", CONFLICT, true, "the channel is verified already"),
    VerificationCodeNotFound = ("VERIFICATION_CODE_NOT_FOUND", NOT_FOUND, true, "no such code"),
    VerificationCodeExpired = ("VERIFICATION_CODE_EXPIRED", BAD_REQUEST, true, "the code has expired"),
    VerificationCodeAlreadyUsed = ("VERIFICATION_CODE_ALREADY_USED", CONFLICT, true, "the code was used"),
    VerificationCodeMaxAttemptsReached = ("VERIFICATION_CODE_MAX_ATTEMPTS_REACHED", BAD_REQUEST, true, "too many wrong guesses of this code"),
    /// Our code: the channel's value changed after the code was sent.
    VerificationCodeOutdated = ("VERIFICATION_CODE_OUTDATED", CONFLICT, false, "the channel's value changed since the code was sent"),
    /// Our code: the mail server refused or could not be reached.
    EmailDeliveryFailed = ("EMAIL_DELIVERY_FAILED", BAD_GATEWAY, false, "the email could not be delivered; no code was kept"),
    /// Our code: Stack Auth's SDK sends each header under one prefix; two different values
    /// are refused rather than one silently winning.
    ConflictingHeaders = ("CONFLICTING_HEADERS", BAD_REQUEST, false, "one header with different values under the `x-stack-` and `x-hexclave-` prefixes"),
    /// Our code: the server's cap on a user's channels (`serve --max-channels-per-user`).
    ContactChannelLimitReached = ("CONTACT_CHANNEL_LIMIT_REACHED", CONFLICT, false, "the user has as many contact channels as the server allows"),
    /// Our code: `details.limit` names the limit, `Retry-After` says when to try again. Not
    /// known to the SDK, so it carries no known-error headers.
    RateLimited = ("RATE_LIMITED", TOO_MANY_REQUESTS, false, "too many requests of this kind; retry after `Retry-After` seconds"),
    /// Our code: no operation has this path (Stack Auth answers plain text).
    NotFound = ("NOT_FOUND", NOT_FOUND, false, "no operation has this path"),
    /// Our code: the path has no operation for this method; `Allow` and `details.allowed`
    /// name those it has.
    MethodNotAllowed = ("METHOD_NOT_ALLOWED", METHOD_NOT_ALLOWED, false, "the path has no operation for this method"),
    InternalError = ("INTERNAL_ERROR", INTERNAL_SERVER_ERROR, false, "something failed inside the server"),
    /// OAuth 2.0 (RFC 6749 §5.2), on the token endpoint only: a missing or malformed parameter.
    OAuthInvalidRequest = ("invalid_request", BAD_REQUEST, false, "a missing or malformed parameter"),
    /// OAuth: the client (project id and publishable client key) is unknown or wrong.
    OAuthInvalidClient = ("invalid_client", UNAUTHORIZED, false, "an unknown project or a wrong publishable client key"),
    /// OAuth: a grant other than `refresh_token`.
    OAuthUnsupportedGrantType = ("unsupported_grant_type", BAD_REQUEST, false, "a grant other than `refresh_token`"),
}

impl ErrorCode {
    /// Whether the code is one of OAuth's, answered in OAuth's error body.
    pub fn is_oauth(self) -> bool {
        matches!(
            self,
            ErrorCode::OAuthInvalidRequest
                | ErrorCode::OAuthInvalidClient
                | ErrorCode::OAuthUnsupportedGrantType
        )
    }
}

/// An error as the API answers it: a code, a message and optional details.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// What went wrong, which also fixes the status.
    pub code: ErrorCode,
    /// The human message (`error` in the body).
    pub message: String,
    /// The `details` object, for codes that have one.
    pub details: Option<Map<String, Value>>,
    /// OAuth's error code, when the body is OAuth's (`{error, error_description}`, RFC 6749
    /// §5.2): OAuth's own codes, and an API error answered by the token endpoint.
    pub oauth_error: Option<&'static str>,
}

impl ApiError {
    /// An error without details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: None,
            oauth_error: code.is_oauth().then(|| code.as_str()),
        }
    }

    /// An error with a details object.
    pub fn with_details(code: ErrorCode, message: impl Into<String>, details: Value) -> Self {
        let details = match details {
            Value::Object(map) => Some(map),
            _ => None,
        };
        ApiError {
            code,
            message: message.into(),
            details,
            oauth_error: code.is_oauth().then(|| code.as_str()),
        }
    }

    /// As the OAuth token endpoint answers it: an ended session is also OAuth's `invalid_grant`,
    /// so that any OAuth client understands it; the API's `code` (which the SDK reads) stays.
    pub fn on_token_endpoint(mut self) -> Self {
        if self.code == ErrorCode::RefreshTokenNotFoundOrExpired {
            self.oauth_error = Some("invalid_grant");
        }
        self
    }

    /// Invalid input; `message` names the field and why.
    pub fn schema(message: impl Into<String>) -> Self {
        let message = message.into();
        let details = serde_json::json!({ "message": message });
        Self::with_details(
            ErrorCode::SchemaError,
            format!("Request validation failed: {message}"),
            details,
        )
    }

    /// Malformed JSON.
    pub fn body_parsing(message: impl Into<String>) -> Self {
        let message = message.into();
        let details = serde_json::json!({ "message": message });
        Self::with_details(
            ErrorCode::BodyParsingError,
            format!("Could not parse the request body: {message}"),
            details,
        )
    }

    /// No operation of the path has `method`; `allowed` are the methods it has.
    pub fn method_not_allowed(method: &str, allowed: Vec<String>) -> Self {
        Self::with_details(
            ErrorCode::MethodNotAllowed,
            format!("{method} is not allowed here; use {}", allowed.join(", ")),
            serde_json::json!({ "allowed": allowed }),
        )
    }

    /// Too many requests of one kind: `limit` names the limit (`details.limit`), and the client
    /// may try again after `retry_after_secs` (`Retry-After`, and `details.retry_after_seconds`).
    pub fn rate_limited(limit: &str, retry_after_secs: u64) -> Self {
        Self::with_details(
            ErrorCode::RateLimited,
            format!("Too many requests ({limit}); retry after {retry_after_secs} seconds."),
            serde_json::json!({ "limit": limit, "retry_after_seconds": retry_after_secs }),
        )
    }

    /// The `Retry-After` header of a 429, in seconds: `details.retry_after_seconds`.
    pub fn retry_after(&self) -> Option<u64> {
        if self.code != ErrorCode::RateLimited {
            return None;
        }
        self.details.as_ref()?.get("retry_after_seconds")?.as_u64()
    }

    /// The `Allow` header of a 405: the methods in `details.allowed`.
    pub fn allow(&self) -> Option<String> {
        if self.code != ErrorCode::MethodNotAllowed {
            return None;
        }
        let allowed = self.details.as_ref()?.get("allowed")?.as_array()?;
        let methods: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
        Some(methods.join(", "))
    }

    /// The wire body.
    pub fn body(&self) -> crate::types::Error {
        crate::types::Error {
            code: self.code.as_str().to_owned(),
            error: self.message.clone(),
            details: self.details.clone(),
        }
    }

    /// The full response: status, JSON body and, for codes the SDK knows, the known-error headers.
    /// OAuth errors have OAuth's body instead (with the API's `code` too, if it has one), and are
    /// not cached.
    pub fn to_response(&self) -> Response<Body> {
        let mut builder = Response::builder()
            .status(self.code.status())
            .header(header::CONTENT_TYPE, dropshot::CONTENT_TYPE_JSON);
        let body = match self.oauth_error {
            Some(error) => {
                builder = builder.header(header::CACHE_CONTROL, "no-store");
                serde_json::to_vec(&crate::types::OAuthError {
                    error: error.to_owned(),
                    error_description: Some(self.message.clone()),
                    code: (!self.code.is_oauth()).then(|| self.code.as_str().to_owned()),
                    details: self.details.clone(),
                })
            }
            None => serde_json::to_vec(&self.body()),
        }
        .expect("an error body always serializes");
        if let Some(allow) = self.allow().and_then(|a| HeaderValue::try_from(a).ok()) {
            builder = builder.header(header::ALLOW, allow);
        }
        if let Some(seconds) = self.retry_after() {
            builder = builder.header(header::RETRY_AFTER, seconds);
        }
        if self.code.is_known_to_sdk() {
            let code = HeaderValue::from_static(self.code.as_str());
            for name in KNOWN_ERROR_HEADERS.iter() {
                builder = builder.header(name, code.clone());
            }
        }
        builder
            .body(body.into())
            .expect("status and headers are valid")
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

/// Errors dropshot raises itself before a handler runs (a path that does not parse, a query
/// string of the wrong shape) are invalid input.
impl From<HttpError> for ApiError {
    fn from(e: HttpError) -> Self {
        if e.status_code.as_status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(ErrorCode::RequestBodyTooLarge, e.external_message);
        }
        if e.status_code.is_server_error() {
            // The client gets no detail of a fault; the operator gets all of it.
            tracing::error!(
                status = e.status_code.as_u16(),
                internal_message = %e.internal_message,
                "dropshot failed a request"
            );
            return ApiError::new(ErrorCode::InternalError, "internal error");
        }
        ApiError::schema(e.external_message)
    }
}

// The spec documents the error body through this type; responses are built by `to_response`.
impl Serialize for ApiError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body().serialize(serializer)
    }
}

impl JsonSchema for ApiError {
    fn schema_name() -> String {
        crate::types::Error::schema_name()
    }
    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        crate::types::Error::json_schema(gen)
    }
}

impl dropshot::HttpResponseError for ApiError {
    fn status_code(&self) -> ErrorStatusCode {
        ErrorStatusCode::try_from(self.code.status()).expect("every error code has an error status")
    }
}

/// What every operation returns: its success response, or an [`ApiError`].
///
/// Dropshot builds error responses from a serializable body alone, with no way to add headers,
/// and Stack Auth's SDK needs `x-stack-known-error`. So operations answer errors through this
/// success-side wrapper, which writes the full response; `ApiError` stays the operation's error
/// type so the spec documents the error body.
///
/// The [`crate::Finish`] adds what every response carries (CORS, the error-status override).
pub struct Reply<R>(pub Result<R, ApiError>, pub crate::Finish);

/// The return type of every operation.
pub type ApiResult<R> = Result<Reply<R>, ApiError>;

impl<R: HttpResponse> HttpResponse for Reply<R> {
    fn to_result(self) -> Result<Response<Body>, HttpError> {
        let response = match self.0 {
            Ok(response) => response.to_result()?,
            Err(error) => error.to_response(),
        };
        Ok(self.1.finish(response))
    }

    fn response_metadata() -> ApiEndpointResponse {
        R::response_metadata()
    }

    fn status_code(&self) -> StatusCode {
        match &self.0 {
            Ok(response) => response.status_code(),
            Err(error) => error.code.status(),
        }
    }
}

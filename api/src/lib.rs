//! The contact-channel API as a dropshot trait: the Rust face of `openapi/contact-channels.json`.
//!
//! This crate holds the trait, its wire types and the error contract, and nothing of the
//! server: the server implements [`ContactChannelsApi`], and [`openapi_document`] renders the
//! spec from [`contact_channels_api_mod::stub_api_description`] without running anything. The
//! committed spec is the source of truth; `cargo xtask check` (and a test) fail when this
//! rendering differs from it.
//!
//! Operation names are the spec's `operationId`s, type names its schema names, field names its
//! property names.

pub mod error;
pub mod extract;
pub mod operations;
pub mod respond;
pub mod routes;
mod spec;
pub mod types;

pub use error::{ApiError, ApiResult, ErrorCode, Reply};
pub use extract::{Checked, FormBody, JsonBody};
pub use respond::{ApiContext, Cors, Finish};
pub use spec::{openapi_document, openapi_text};

use dropshot::{
    Body, HttpResponseCreated, HttpResponseHeaders, HttpResponseOk, Path, Query, RequestContext,
};
use http::Response;
use types::*;

/// The contact-channel resource of Stack Auth, with the identity operations needed to use it.
///
/// Every operation authenticates with Stack Auth's request headers (see the spec's security
/// schemes) and answers errors as [`types::Error`].
#[dropshot::api_description]
pub trait ContactChannelsApi {
    /// Shared state of the implementation.
    type Context;

    /// List contact channels
    ///
    /// Lists the contact channels of one user (`user_id`, or `me`), oldest first. Server and
    /// admin callers may omit `user_id` to list the whole project, paginated.
    /// `me` stands for the user of the access token; without one it answers 400
    /// `CANNOT_GET_OWN_USER_WITHOUT_USER`.
    #[endpoint { method = GET, path = "/api/v1/contact-channels", tags = ["contact-channels"] }]
    async fn list_contact_channels(
        rqctx: RequestContext<Self::Context>,
        query: Checked<Query<ContactChannelListQuery>>,
    ) -> ApiResult<HttpResponseOk<ContactChannelList>>;

    /// Create a contact channel
    ///
    /// `user_id` may be `me`, which stands for the user of the access token; without one it
    /// answers 400 `CANNOT_GET_OWN_USER_WITHOUT_USER`.
    /// Only server and admin access may set `is_verified`; client access that sends it
    /// answers 400 `SCHEMA_ERROR`.
    #[endpoint { method = POST, path = "/api/v1/contact-channels", tags = ["contact-channels"] }]
    async fn create_contact_channel(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<ContactChannelCreate>,
    ) -> ApiResult<HttpResponseCreated<ContactChannel>>;

    /// Get a contact channel
    ///
    /// `me` stands for the user of the access token; without one it answers 400
    /// `CANNOT_GET_OWN_USER_WITHOUT_USER`.
    #[endpoint {
        method = GET,
        path = "/api/v1/contact-channels/{user_id}/{contact_channel_id}",
        tags = ["contact-channels"],
    }]
    async fn get_contact_channel(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<ContactChannelPath>>,
    ) -> ApiResult<HttpResponseOk<ContactChannel>>;

    /// Update a contact channel
    ///
    /// `me` stands for the user of the access token; without one it answers 400
    /// `CANNOT_GET_OWN_USER_WITHOUT_USER`.
    /// Only server and admin access may set `is_verified`; client access that sends it
    /// answers 400 `SCHEMA_ERROR`.
    #[endpoint {
        method = PATCH,
        path = "/api/v1/contact-channels/{user_id}/{contact_channel_id}",
        tags = ["contact-channels"],
    }]
    async fn update_contact_channel(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<ContactChannelPath>>,
        body: JsonBody<ContactChannelUpdate>,
    ) -> ApiResult<HttpResponseOk<ContactChannel>>;

    /// Delete a contact channel
    ///
    /// `me` stands for the user of the access token; without one it answers 400
    /// `CANNOT_GET_OWN_USER_WITHOUT_USER`.
    #[endpoint {
        method = DELETE,
        path = "/api/v1/contact-channels/{user_id}/{contact_channel_id}",
        tags = ["contact-channels"],
    }]
    async fn delete_contact_channel(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<ContactChannelPath>>,
    ) -> ApiResult<HttpResponseOk<Success>>;

    /// Send a verification code
    ///
    /// Emails the channel a link to `callback_url` with `code=<code>` appended. The code is
    /// single use and expires after 7 days.
    /// `me` stands for the user of the access token; without one it answers 400
    /// `CANNOT_GET_OWN_USER_WITHOUT_USER`.
    #[endpoint {
        method = POST,
        path = "/api/v1/contact-channels/{user_id}/{contact_channel_id}/send-verification-code",
        tags = ["contact-channels"],
    }]
    async fn send_contact_channel_verification_code(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<ContactChannelPath>>,
        body: JsonBody<VerificationCodeSend>,
    ) -> ApiResult<HttpResponseOk<Success>>;

    /// Verify an email
    ///
    /// Consumes the code from the emailed link and marks its channel verified. Needs no user:
    /// whoever clicks the link is usually not signed in.
    #[endpoint { method = POST, path = "/api/v1/contact-channels/{user_id}", tags = ["contact-channels"] }]
    async fn verify_contact_channel(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<VerifyPath>>,
        body: JsonBody<VerificationCode>,
    ) -> ApiResult<HttpResponseOk<Success>>;

    /// Check a verification code
    ///
    /// Tells whether a code would verify, without consuming it.
    #[endpoint {
        method = POST,
        path = "/api/v1/contact-channels/{user_id}/{contact_channel_id}",
        tags = ["contact-channels"],
    }]
    async fn check_contact_channel_verification_code(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<CheckCodePath>>,
        body: JsonBody<VerificationCode>,
    ) -> ApiResult<HttpResponseOk<VerificationCodeCheck>>;

    /// Create a user
    ///
    /// Server or admin access.
    #[endpoint { method = POST, path = "/api/v1/users", tags = ["users"] }]
    async fn create_user(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<UserCreate>,
    ) -> ApiResult<HttpResponseCreated<User>>;

    /// Get a user
    ///
    /// Client callers may only read themselves (`me`).
    /// `me` stands for the user of the access token; without one it answers 400
    /// `CANNOT_GET_OWN_USER_WITHOUT_USER`.
    #[endpoint { method = GET, path = "/api/v1/users/{user_id}", tags = ["users"] }]
    async fn get_user(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<UserPath>>,
    ) -> ApiResult<HttpResponseOk<User>>;

    /// Delete a user
    ///
    /// Server or admin access. Deletes the user's contact channels too.
    /// `me` stands for the user of the access token; without one it answers 400
    /// `CANNOT_GET_OWN_USER_WITHOUT_USER`.
    #[endpoint { method = DELETE, path = "/api/v1/users/{user_id}", tags = ["users"] }]
    async fn delete_user(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<UserPath>>,
    ) -> ApiResult<HttpResponseOk<Success>>;

    /// Create a session
    ///
    /// Server or admin access: signs a user in and mints an access token and a refresh token.
    #[endpoint { method = POST, path = "/api/v1/auth/sessions", tags = ["sessions"] }]
    async fn create_session(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<SessionCreate>,
    ) -> ApiResult<HttpResponseOk<Session>>;

    /// Refresh an access token
    ///
    /// Mints a new access token for the session of the refresh token sent as
    /// `x-stack-refresh-token`, with any access type.
    #[endpoint { method = POST, path = "/api/v1/auth/sessions/current/refresh", tags = ["sessions"] }]
    async fn refresh_session(
        rqctx: RequestContext<Self::Context>,
    ) -> ApiResult<HttpResponseOk<SessionRefresh>>;

    /// Exchange a refresh token for an access token (OAuth 2.0)
    ///
    /// OAuth 2.0's refresh-token grant, as Stack Auth's SDK refreshes its sessions: a
    /// form-encoded body with `grant_type=refresh_token`, the `refresh_token`, and the client
    /// (`client_id`, the project id; `client_secret`, its publishable client key). No headers
    /// are needed.
    #[endpoint {
        method = POST,
        path = "/api/v1/auth/oauth/token",
        tags = ["sessions"],
        content_type = "application/x-www-form-urlencoded",
    }]
    async fn create_oauth_token(
        rqctx: RequestContext<Self::Context>,
        body: FormBody<OAuthTokenRequest>,
    ) -> ApiResult<HttpResponseHeaders<HttpResponseOk<OAuthTokenResponse>>>;

    /// Sign out
    ///
    /// Ends the session of the refresh token sent as `x-stack-refresh-token`, with any access
    /// type: that refresh token mints nothing afterwards. Access tokens already minted stay
    /// valid until they expire (at most an hour); a request body, such as the SDK's `{}`, is
    /// ignored.
    #[endpoint { method = DELETE, path = "/api/v1/auth/sessions/current", tags = ["sessions"] }]
    async fn delete_current_session(
        rqctx: RequestContext<Self::Context>,
    ) -> ApiResult<HttpResponseOk<Success>>;

    /// The committed spec, with an `ETag`; outside the spec itself.
    #[endpoint { method = GET, path = "/openapi.json", unpublished = true }]
    async fn openapi_json(rqctx: RequestContext<Self::Context>)
        -> Result<Response<Body>, ApiError>;

    /// A reference page rendered from the spec; outside the spec itself.
    #[endpoint { method = GET, path = "/docs", unpublished = true }]
    async fn docs(rqctx: RequestContext<Self::Context>) -> Result<Response<Body>, ApiError>;

    /// Liveness: 200 while the process serves. For operators; outside the spec.
    #[endpoint { method = GET, path = "/healthz", unpublished = true }]
    async fn healthz(rqctx: RequestContext<Self::Context>) -> Result<Response<Body>, ApiError>;

    /// Readiness: 200 when the database answers and the instance is not draining, else 503.
    /// For load balancers; outside the spec.
    #[endpoint { method = GET, path = "/readyz", unpublished = true }]
    async fn readyz(rqctx: RequestContext<Self::Context>) -> Result<Response<Body>, ApiError>;

    /// Prometheus metrics, in the text format. For monitoring; outside the spec.
    #[endpoint { method = GET, path = "/metrics", unpublished = true }]
    async fn metrics(rqctx: RequestContext<Self::Context>) -> Result<Response<Body>, ApiError>;
}

/// Title of the spec.
pub const TITLE: &str = "Contact channels";
/// `info.version` of the spec; the generated client sends it as `api-version`.
pub const VERSION: semver::Version = semver::Version::new(3, 0, 0);

/// Header prefixes the server accepts and answers under; the spec documents the first.
pub const HEADER_PREFIXES: [&str; 2] = ["x-stack-", "x-hexclave-"];

/// A Stack Auth header (`project-id`, `known-error`, …) under every prefix of
/// [`HEADER_PREFIXES`]: the one place header names are built.
pub fn prefixed_header(name: &str) -> [http::HeaderName; HEADER_PREFIXES.len()] {
    HEADER_PREFIXES.map(|prefix| {
        http::HeaderName::try_from(format!("{prefix}{name}")).expect("a valid header name")
    })
}

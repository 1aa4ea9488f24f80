//! Authentication for the generated client: Stack Auth's request headers on every call.
//!
//! progenitor ignores the spec's security schemes, so the headers go on the `reqwest::Client` the
//! generated [`crate::Client`] is built with.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, InvalidHeaderValue};
use std::time::Duration;

/// Which of the project's keys the caller holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessType {
    /// A browser or app acting for one signed-in user (publishable client key + access token).
    Client,
    /// A trusted backend (secret server key).
    Server,
    /// The project's administrator (super secret admin key).
    Admin,
}

impl AccessType {
    /// The value of `x-stack-access-type`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessType::Client => "client",
            AccessType::Server => "server",
            AccessType::Admin => "admin",
        }
    }

    fn key_header(self) -> &'static str {
        match self {
            AccessType::Client => "x-stack-publishable-client-key",
            AccessType::Server => "x-stack-secret-server-key",
            AccessType::Admin => "x-stack-super-secret-admin-key",
        }
    }
}

/// Builds a [`crate::Client`] that authenticates every request.
///
/// ```no_run
/// use contact_channels_client::{AccessType, ClientConfig};
/// let client = ClientConfig::new("http://127.0.0.1:8102", "project-id")
///     .access(AccessType::Server, "ssk_...")
///     .build()
///     .unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct ClientConfig {
    base_url: String,
    project_id: String,
    access: Option<(AccessType, String)>,
    access_token: Option<String>,
    refresh_token: Option<String>,
    timeout: Duration,
}

impl ClientConfig {
    /// A configuration for `base_url` (without `/api/v1`) and a project.
    pub fn new(base_url: impl Into<String>, project_id: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            project_id: project_id.into(),
            access: None,
            access_token: None,
            refresh_token: None,
            timeout: Duration::from_secs(15),
        }
    }

    /// The access type and its key.
    pub fn access(mut self, access_type: AccessType, key: impl Into<String>) -> Self {
        self.access = Some((access_type, key.into()));
        self
    }

    /// A user's access token, sent as `x-stack-access-token`.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    /// A session's refresh token, sent as `x-stack-refresh-token` (for `refresh_session`).
    pub fn refresh_token(mut self, token: impl Into<String>) -> Self {
        self.refresh_token = Some(token.into());
        self
    }

    /// Timeout of each request (default 15 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The headers every request carries.
    pub fn headers(&self) -> Result<HeaderMap, InvalidHeaderValue> {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-stack-project-id"),
            HeaderValue::from_str(&self.project_id)?,
        );
        if let Some((access_type, key)) = &self.access {
            headers.insert(
                HeaderName::from_static("x-stack-access-type"),
                HeaderValue::from_static(access_type.as_str()),
            );
            let mut key = HeaderValue::from_str(key)?;
            key.set_sensitive(true);
            headers.insert(HeaderName::from_static(access_type.key_header()), key);
        }
        for (name, token) in [
            ("x-stack-access-token", &self.access_token),
            ("x-stack-refresh-token", &self.refresh_token),
        ] {
            if let Some(token) = token {
                let mut token = HeaderValue::from_str(token)?;
                token.set_sensitive(true);
                headers.insert(HeaderName::from_static(name), token);
            }
        }
        Ok(headers)
    }

    /// The client.
    pub fn build(&self) -> Result<crate::Client, BuildError> {
        let http = reqwest::Client::builder()
            .default_headers(self.headers()?)
            .connect_timeout(self.timeout)
            .timeout(self.timeout)
            .build()?;
        Ok(crate::Client::new_with_client(&self.base_url, http))
    }
}

/// Why a client could not be built.
#[derive(Debug)]
pub enum BuildError {
    /// An id, key or token is not a valid header value.
    Header(InvalidHeaderValue),
    /// reqwest could not build its client.
    Http(reqwest::Error),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Header(e) => write!(f, "invalid header value: {e}"),
            BuildError::Http(e) => write!(f, "could not build the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

impl From<InvalidHeaderValue> for BuildError {
    fn from(e: InvalidHeaderValue) -> Self {
        BuildError::Header(e)
    }
}

impl From<reqwest::Error> for BuildError {
    fn from(e: reqwest::Error) -> Self {
        BuildError::Http(e)
    }
}

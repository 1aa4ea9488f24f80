//! Settings and limits of the service, and the [`Clock`] it reads the time from.

use super::sealing::MasterKey;
use super::GuessLimits;
use crate::store::SendLimits;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The time, in milliseconds since the Unix epoch; tests move it by hand.
pub trait Clock: Send + Sync + 'static {
    fn now_millis(&self) -> i64;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
}

/// Settings of the service.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// How long a minted access token is valid.
    pub access_token_ttl: Duration,
    /// How long a refresh token is valid when the request does not say.
    pub refresh_token_ttl: Duration,
    /// How long a loaded project is reused before it is read again.
    pub project_cache_ttl: Duration,
    /// Base URL of this server, for the tokens' `iss` claim.
    pub issuer_base_url: String,
    /// The most contact channels one user may have.
    pub max_channels_per_user: u32,
    /// How many verification emails may be sent, per channel, user and project; counted in
    /// the database, so shared by every instance.
    pub email_limits: SendLimits,
    /// How many failed verification guesses a minute, per client address and project; kept in
    /// each instance's memory.
    pub guess_limits: GuessLimits,
    /// Seals new projects' signing keys and opens sealed ones; without it keys are stored in
    /// the clear.
    pub master_key: Option<MasterKey>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            access_token_ttl: Duration::from_secs(60 * 60),
            refresh_token_ttl: Duration::from_millis(MAX_SESSION_MILLIS),
            project_cache_ttl: Duration::from_secs(30),
            issuer_base_url: "http://localhost".into(),
            max_channels_per_user: DEFAULT_MAX_CHANNELS_PER_USER,
            email_limits: SendLimits::default(),
            guess_limits: GuessLimits::default(),
            master_key: None,
        }
    }
}

/// The default of [`ServiceConfig::max_channels_per_user`] (`serve --max-channels-per-user`).
pub const DEFAULT_MAX_CHANNELS_PER_USER: u32 = 50;

/// The input limits the spec states, from their one home in the API crate.
pub use contact_channels_api::types::rules::{
    CURSOR_DIGITS, DEFAULT_PAGE_SIZE, MAX_EMAIL_LENGTH, MAX_PAGE_SIZE, MAX_SESSION_MILLIS,
};

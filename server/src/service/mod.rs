//! Business rules and authorization, with no HTTP in sight.
//!
//! Every operation takes an authenticated [`Caller`] and plain inputs, applies the rules of the
//! contact-channel API (normalisation, `me`, who may touch which user, verification reset) and
//! calls the [`Store`], whose constraints hold the invariants.

pub mod auth;
pub mod verification;

pub use auth::{Access, Caller, ProjectKeys, RequestHeaders};

use crate::mail::Mailer;
use crate::store::{
    ChannelChanges, ChannelFilter, ChannelRecord, Conflict, Entity, NewChannel, Store, StoreError,
    UserRecord,
};
use auth::{AccessTokenClaims, Project};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

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
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            access_token_ttl: Duration::from_secs(60 * 60),
            refresh_token_ttl: Duration::from_millis(MAX_SESSION_MILLIS),
            project_cache_ttl: Duration::from_secs(30),
            issuer_base_url: "http://localhost".into(),
        }
    }
}

/// Input of [`Service::create_channel`].
#[derive(Clone, Debug)]
pub struct CreateChannel {
    pub user_id: String,
    pub value: String,
    pub used_for_auth: bool,
    pub is_primary: bool,
    pub is_verified: Option<bool>,
}

/// Input of [`Service::update_channel`]; `None` leaves a field alone.
#[derive(Clone, Debug, Default)]
pub struct UpdateChannel {
    pub value: Option<String>,
    pub used_for_auth: Option<bool>,
    pub is_primary: Option<bool>,
    pub is_verified: Option<bool>,
}

/// Input of [`Service::list_channels`].
#[derive(Clone, Debug, Default)]
pub struct ListChannels {
    pub user_id: Option<String>,
    pub contact_channel_id: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A list of channels; `next_cursor` is `Some` when it is paginated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelPage {
    pub items: Vec<ChannelRecord>,
    pub paginated: bool,
    pub next_cursor: Option<String>,
}

/// A new session's tokens.
#[derive(Clone, Debug)]
pub struct SessionTokens {
    pub access_token: String,
    pub refresh_token: String,
}

/// The default page size of paginated lists, and the largest one.
pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;
/// Longest email address accepted (RFC 5321's path limit).
pub const MAX_EMAIL_LENGTH: usize = 254;
/// Longest a session may last: one year, in milliseconds.
pub const MAX_SESSION_MILLIS: u64 = 365 * 24 * 60 * 60 * 1000;

/// The rules of the API over a store.
pub struct Service {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    config: ServiceConfig,
    projects: RwLock<HashMap<String, (Arc<Project>, Instant)>>,
}

impl Service {
    /// A service over `store`, sending email through `mailer`.
    pub fn new(
        store: Arc<dyn Store>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        config: ServiceConfig,
    ) -> Self {
        Service {
            store,
            mailer,
            clock,
            config,
            projects: RwLock::new(HashMap::new()),
        }
    }

    /// The store, for administrative commands.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Creates a project and returns its keys (shown once).
    pub async fn create_project(
        &self,
        display_name: &str,
        allow_localhost: bool,
    ) -> Result<ProjectKeys, ServiceError> {
        let (record, keys) =
            auth::new_project(display_name, allow_localhost, self.clock.now_millis());
        self.store.create_project(&record).await?;
        Ok(keys)
    }

    /// Creates a project only if the database has none, atomically; its keys if it did.
    pub async fn create_first_project(
        &self,
        display_name: &str,
        allow_localhost: bool,
    ) -> Result<Option<ProjectKeys>, ServiceError> {
        let (record, keys) =
            auth::new_project(display_name, allow_localhost, self.clock.now_millis());
        Ok(self
            .store
            .create_first_project(&record)
            .await?
            .then_some(keys))
    }

    /// Sets where a project's verification links may point.
    pub async fn set_project_trust(
        &self,
        project_id: &str,
        trusted_domains: &[String],
        allow_localhost: bool,
    ) -> Result<(), ServiceError> {
        for domain in trusted_domains {
            let parsed = url::Url::parse(&domain.replace("*.", "wildcard."));
            if !parsed.is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.path() == "/") {
                return Err(ServiceError::InvalidInput(format!(
                    "trusted domain {domain:?}: expected an origin such as https://app.example.com or https://*.example.com"
                )));
            }
        }
        Ok(self
            .store
            .set_project_trust(project_id, trusted_domains, allow_localhost)
            .await?)
    }

    /// Authenticates a request from its headers.
    pub async fn authenticate(&self, headers: &RequestHeaders) -> Result<Caller, ServiceError> {
        let claimed = auth::check_headers(headers, self.clock.as_ref())?;
        let project = self.project(&claimed.project_id).await?;
        auth::check_project(project, claimed)
    }

    /// A project, from the cache while it is fresh. Unknown ids are not cached, so a project
    /// created by another process is found at once.
    async fn project(&self, id: &str) -> Result<Arc<Project>, ServiceError> {
        if let Some((project, loaded)) = self.projects.read().expect("cache lock").get(id) {
            if loaded.elapsed() < self.config.project_cache_ttl {
                return Ok(project.clone());
            }
        }
        let record = self
            .store
            .get_project(id)
            .await?
            .ok_or_else(|| ServiceError::CurrentProjectNotFound(id.to_owned()))?;
        let project = Arc::new(Project::from_record(&record)?);
        self.projects
            .write()
            .expect("cache lock")
            .insert(id.to_owned(), (project.clone(), Instant::now()));
        Ok(project)
    }

    /// Resolves a `user_id` parameter (`me` or a UUID) to a user the caller may act on. Whether
    /// the user exists is the store's answer to the operation itself
    /// ([`Entity::User`] not found), so it costs no query of its own.
    fn resolve_user_id(&self, caller: &Caller, user_id: &str) -> Result<Uuid, ServiceError> {
        if caller.access == Access::Client && caller.user_id.is_none() {
            return Err(ServiceError::CannotGetOwnUserWithoutUser);
        }
        let id = if user_id == "me" {
            caller
                .user_id
                .ok_or(ServiceError::CannotGetOwnUserWithoutUser)?
        } else {
            parse_uuid("user_id", user_id)?
        };
        if caller.access == Access::Client && caller.user_id != Some(id) {
            return Err(ServiceError::ClientCannotAccessOtherUser);
        }
        Ok(id)
    }

    fn require_server(caller: &Caller) -> Result<(), ServiceError> {
        const ALLOWED: &[Access] = &[Access::Server, Access::Admin];
        if caller.access == Access::Client {
            return Err(ServiceError::InsufficientAccessType {
                actual: caller.access,
                allowed: ALLOWED,
            });
        }
        Ok(())
    }

    /// Lists channels: one user's (all of them unless `limit` is given), or, for server and
    /// admin callers, the whole project's, paginated.
    pub async fn list_channels(
        &self,
        caller: &Caller,
        input: ListChannels,
    ) -> Result<ChannelPage, ServiceError> {
        let user_id = match &input.user_id {
            Some(user_id) => Some(self.resolve_user_id(caller, user_id)?),
            None if caller.access == Access::Client => {
                return Err(if caller.user_id.is_none() {
                    ServiceError::CannotGetOwnUserWithoutUser
                } else {
                    ServiceError::ClientCannotAccessOtherUser
                });
            }
            None => None,
        };
        let channel_id = input
            .contact_channel_id
            .as_deref()
            .map(|id| parse_uuid("contact_channel_id", id))
            .transpose()?;
        if let Some(limit) = input.limit {
            if !(1..=MAX_LIMIT).contains(&limit) {
                return Err(ServiceError::InvalidInput(format!(
                    "limit: must be between 1 and {MAX_LIMIT}, got {limit}"
                )));
            }
        }
        let after_seq = input.cursor.as_deref().map(decode_cursor).transpose()?;
        let paginated = user_id.is_none() || input.limit.is_some() || after_seq.is_some();
        let limit = paginated.then(|| input.limit.unwrap_or(DEFAULT_LIMIT));
        let filter = ChannelFilter {
            user_id,
            channel_id,
            after_seq,
            // One more than asked tells whether there is a next page.
            limit: limit.map(|l| l + 1),
        };
        let mut items = self
            .store
            .list_channels(&caller.project.id, &filter)
            .await?;
        let mut next_cursor = None;
        if let Some(limit) = limit {
            if items.len() > limit as usize {
                items.truncate(limit as usize);
                next_cursor = items.last().map(|c| encode_cursor(c.seq));
            }
        }
        Ok(ChannelPage {
            items,
            paginated,
            next_cursor,
        })
    }

    /// Creates a channel.
    pub async fn create_channel(
        &self,
        caller: &Caller,
        input: CreateChannel,
    ) -> Result<ChannelRecord, ServiceError> {
        if input.is_verified.is_some() && caller.access == Access::Client {
            return Err(client_sets_verified());
        }
        let value = normalize_email(&input.value)?;
        let user_id = self.resolve_user_id(caller, &input.user_id)?;
        let channel = NewChannel {
            id: Uuid::new_v4(),
            user_id,
            value,
            used_for_auth: input.used_for_auth,
            is_verified: input.is_verified.unwrap_or(false),
            is_primary: input.is_primary,
        };
        self.store
            .create_channel(&caller.project.id, &channel)
            .await
            .map_err(ServiceError::from)
    }

    /// Reads a channel.
    pub async fn get_channel(
        &self,
        caller: &Caller,
        user_id: &str,
        channel_id: &str,
    ) -> Result<ChannelRecord, ServiceError> {
        let channel_id = parse_uuid("contact_channel_id", channel_id)?;
        let user_id = self.resolve_user_id(caller, user_id)?;
        self.store
            .get_channel(&caller.project.id, user_id, channel_id)
            .await?
            .ok_or(ServiceError::ContactChannelNotFound)
    }

    /// Updates a channel. Changing `value` resets verification unless a server or admin caller
    /// sets `is_verified` in the same request.
    pub async fn update_channel(
        &self,
        caller: &Caller,
        user_id: &str,
        channel_id: &str,
        input: UpdateChannel,
    ) -> Result<ChannelRecord, ServiceError> {
        if input.is_verified.is_some() && caller.access == Access::Client {
            return Err(client_sets_verified());
        }
        let channel_id = parse_uuid("contact_channel_id", channel_id)?;
        let value = input.value.as_deref().map(normalize_email).transpose()?;
        let user_id = self.resolve_user_id(caller, user_id)?;
        let is_verified = match (&value, input.is_verified) {
            (_, Some(set)) => Some(set),
            (Some(_), None) => Some(false),
            (None, None) => None,
        };
        let changes = ChannelChanges {
            value,
            used_for_auth: input.used_for_auth,
            is_verified,
            is_primary: input.is_primary,
        };
        self.store
            .update_channel(&caller.project.id, user_id, channel_id, &changes)
            .await
            .map_err(ServiceError::from)
    }

    /// Deletes a channel. Deleting the primary channel promotes none.
    pub async fn delete_channel(
        &self,
        caller: &Caller,
        user_id: &str,
        channel_id: &str,
    ) -> Result<(), ServiceError> {
        let channel_id = parse_uuid("contact_channel_id", channel_id)?;
        let user_id = self.resolve_user_id(caller, user_id)?;
        self.store
            .delete_channel(&caller.project.id, user_id, channel_id)
            .await
            .map_err(ServiceError::from)
    }

    /// Creates a user (server and admin only).
    pub async fn create_user(
        &self,
        caller: &Caller,
        display_name: Option<&str>,
    ) -> Result<UserRecord, ServiceError> {
        Self::require_server(caller)?;
        let user = self
            .store
            .create_user(
                &caller.project.id,
                Uuid::new_v4(),
                display_name,
                self.clock.now_millis(),
            )
            .await?;
        Ok(user)
    }

    /// Reads a user; clients only themselves.
    pub async fn get_user(
        &self,
        caller: &Caller,
        user_id: &str,
    ) -> Result<UserRecord, ServiceError> {
        let id = self.resolve_user_id(caller, user_id)?;
        self.store
            .get_user(&caller.project.id, id)
            .await?
            .ok_or_else(|| ServiceError::UserNotFound(id.to_string()))
    }

    /// Deletes a user and its channels (server and admin only).
    pub async fn delete_user(&self, caller: &Caller, user_id: &str) -> Result<(), ServiceError> {
        Self::require_server(caller)?;
        let id = self.resolve_user_id(caller, user_id)?;
        self.store
            .delete_user(&caller.project.id, id)
            .await
            .map_err(|e| match e {
                // The user is the resource here, not a reference: 404, as Stack Auth answers.
                StoreError::NotFound(Entity::User(id)) => {
                    ServiceError::UserNotFound(id.to_string())
                }
                e => e.into(),
            })
    }

    /// Signs a user in (server and admin only): a refresh token, stored hashed, and an access
    /// token signed with the project's key.
    pub async fn create_session(
        &self,
        caller: &Caller,
        user_id: &str,
        expires_in_millis: Option<u64>,
    ) -> Result<SessionTokens, ServiceError> {
        Self::require_server(caller)?;
        let id = parse_uuid("user_id", user_id)?;
        let user = self
            .store
            .get_user(&caller.project.id, id)
            .await?
            .ok_or_else(|| ServiceError::UserIdDoesNotExist(id.to_string()))?;
        let now = self.clock.now_millis();
        let refresh_ttl = match expires_in_millis {
            None => self.config.refresh_token_ttl.as_millis() as i64,
            Some(ms @ 1..=MAX_SESSION_MILLIS) => ms as i64,
            Some(ms) => {
                return Err(ServiceError::InvalidInput(format!(
                    "expires_in_millis: must be between 1 and {MAX_SESSION_MILLIS} (one year), got {ms}"
                )))
            }
        };
        let refresh_token = auth::new_secret("rt_");
        let refresh_hash = auth::hash_secret(&refresh_token);
        self.store
            .create_refresh_token(
                &caller.project.id,
                id,
                &refresh_hash,
                now.saturating_add(refresh_ttl),
            )
            .await?;
        let access_token = self.mint_access_token(&caller.project, &user, &refresh_hash, now)?;
        Ok(SessionTokens {
            access_token,
            refresh_token,
        })
    }

    /// A new access token for the session of `refresh_token`, with any access type.
    pub async fn refresh_session(
        &self,
        caller: &Caller,
        refresh_token: Option<&str>,
    ) -> Result<String, ServiceError> {
        let refresh_token = refresh_token.ok_or(ServiceError::RefreshTokenNotFoundOrExpired)?;
        let hash = auth::hash_secret(refresh_token);
        let now = self.clock.now_millis();
        let (user_id, _) = self
            .store
            .get_refresh_token(&caller.project.id, &hash)
            .await?
            .filter(|(_, expires_at)| *expires_at > now)
            .ok_or(ServiceError::RefreshTokenNotFoundOrExpired)?;
        let user = self
            .store
            .get_user(&caller.project.id, user_id)
            .await?
            .ok_or(ServiceError::RefreshTokenNotFoundOrExpired)?;
        self.mint_access_token(&caller.project, &user, &hash, now)
    }

    /// Signs an access token for `user`, in the session of the refresh token with `refresh_hash`.
    fn mint_access_token(
        &self,
        project: &Project,
        user: &UserRecord,
        refresh_hash: &[u8],
        now: i64,
    ) -> Result<String, ServiceError> {
        let id = user.id;
        let claims = AccessTokenClaims {
            sub: id.to_string(),
            iss: format!(
                "{}/api/v1/projects/{}",
                self.config.issuer_base_url, project.id
            ),
            aud: project.id.clone(),
            project_id: project.id.clone(),
            branch_id: "main".into(),
            refresh_token_id: auth::refresh_token_id(refresh_hash),
            iat: now / 1000,
            exp: (now + self.config.access_token_ttl.as_millis() as i64) / 1000,
            signed_up_at: user.signed_up_at_millis / 1000,
            role: "authenticated".into(),
            name: user.display_name.clone(),
            email: user.primary_email.clone(),
            selected_team_id: None,
            email_verified: user.primary_email_verified,
            is_anonymous: false,
            is_restricted: false,
            requires_totp_mfa: false,
            restricted_reason: None,
        };
        auth::sign_access_token(project, &claims)
    }
}

fn client_sets_verified() -> ServiceError {
    ServiceError::InvalidInput("is_verified: only server and admin access may set it".into())
}

/// Parses an id in the one form the spec allows: hyphenated, either case (the `uuid` crate also
/// takes simple, braced and URN forms).
fn parse_uuid(field: &str, value: &str) -> Result<Uuid, ServiceError> {
    Some(value)
        .filter(|v| v.len() == 36)
        .and_then(|v| Uuid::try_parse(v).ok())
        .ok_or_else(|| {
            ServiceError::InvalidInput(format!("{field}: {value:?} is not a valid UUID"))
        })
}

/// Trims, validates and lowercases an email address: the form that is stored and compared.
pub fn normalize_email(value: &str) -> Result<String, ServiceError> {
    let trimmed = value.trim();
    // Quoted local parts and address literals are valid RFC 5322 but not accepted by Stack Auth.
    let exotic = trimmed.contains(['"', '[', ']', ' ', '\t']);
    if trimmed.chars().count() > MAX_EMAIL_LENGTH
        || exotic
        || !email_address::EmailAddress::is_valid(trimmed)
    {
        return Err(ServiceError::InvalidInput(format!(
            "value: {value:?} is not a valid email address"
        )));
    }
    Ok(trimmed.to_lowercase())
}

/// A cursor is the position of the last row of a page as 16 lowercase hex digits: a shape the
/// spec states exactly, so any cursor of that shape is valid (one past every row reads nothing).
fn encode_cursor(seq: i64) -> String {
    format!("{seq:016x}")
}

fn decode_cursor(cursor: &str) -> Result<i64, ServiceError> {
    let valid = cursor.len() == 16
        && cursor
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    valid
        .then(|| u64::from_str_radix(cursor, 16).ok())
        .flatten()
        .map(|seq| seq.min(i64::MAX as u64) as i64)
        .ok_or_else(|| {
            ServiceError::InvalidInput(
                "cursor: must be 16 lowercase hex digits, a next_cursor".into(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;
    use std::sync::atomic::{AtomicI64, Ordering};

    struct TestClock(AtomicI64);

    impl Clock for TestClock {
        fn now_millis(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    async fn service() -> (Service, ProjectKeys, Arc<TestClock>) {
        let store = Arc::new(SqliteStore::open_in_memory().await.unwrap());
        let clock = Arc::new(TestClock(AtomicI64::new(1_800_000_000_000)));
        let outbox = std::env::temp_dir().join(format!("cc-service-outbox-{}", Uuid::new_v4()));
        let mailer = Arc::new(crate::mail::OutboxMailer::new(outbox));
        let service = Service::new(store, mailer, clock.clone(), ServiceConfig::default());
        let keys = service.create_project("Test", true).await.unwrap();
        (service, keys, clock)
    }

    fn headers(keys: &ProjectKeys, access: &str) -> RequestHeaders {
        RequestHeaders {
            project_id: Some(keys.project_id.clone()),
            access_type: Some(access.into()),
            publishable_client_key: Some(keys.publishable_client_key.clone()),
            secret_server_key: Some(keys.secret_server_key.clone()),
            super_secret_admin_key: Some(keys.super_secret_admin_key.clone()),
            ..Default::default()
        }
    }

    #[test]
    fn emails_are_trimmed_validated_and_lowercased() {
        assert_eq!(
            normalize_email("  John.Doe@Example.COM\t").unwrap(),
            "john.doe@example.com"
        );
        for bad in [
            "",
            "   ",
            "plain",
            "a@",
            "@b.c",
            "a b@c.d",
            "\"a b\"@x.com",
            "a@[127.0.0.1]",
        ] {
            assert!(
                matches!(normalize_email(bad), Err(ServiceError::InvalidInput(_))),
                "{bad:?}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(normalize_email(&long).is_err());
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)).unwrap(), 42);
        assert_eq!(decode_cursor("ffffffffffffffff").unwrap(), i64::MAX);
        for bad in [
            "",
            "42",
            "c2VxOng",
            "!!",
            "000000000000002A",
            "000000000000002a0",
        ] {
            assert!(decode_cursor(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn clients_act_only_on_their_token_user() {
        let (service, keys, _) = service().await;
        let server = service
            .authenticate(&headers(&keys, "server"))
            .await
            .unwrap();
        let me = service.create_user(&server, None).await.unwrap().id;
        let other = service.create_user(&server, None).await.unwrap().id;
        let anonymous = service
            .authenticate(&headers(&keys, "client"))
            .await
            .unwrap();
        assert!(matches!(
            service.resolve_user_id(&anonymous, &me.to_string()),
            Err(ServiceError::CannotGetOwnUserWithoutUser)
        ));

        let token = service
            .create_session(&server, &me.to_string(), None)
            .await
            .unwrap()
            .access_token;
        let client = service
            .authenticate(&RequestHeaders {
                access_token: Some(token),
                ..headers(&keys, "client")
            })
            .await
            .unwrap();
        assert_eq!(service.resolve_user_id(&client, "me").unwrap(), me);
        assert_eq!(
            service.resolve_user_id(&client, &me.to_string()).unwrap(),
            me
        );
        assert!(matches!(
            service.resolve_user_id(&client, &other.to_string()),
            Err(ServiceError::ClientCannotAccessOtherUser)
        ));
        assert!(matches!(
            service.resolve_user_id(&server, "me"),
            Err(ServiceError::CannotGetOwnUserWithoutUser)
        ));
        assert!(matches!(
            service.create_user(&client, None).await,
            Err(ServiceError::InsufficientAccessType { .. })
        ));
    }

    #[tokio::test]
    async fn tokens_expire_by_the_service_clock() {
        let (service, keys, clock) = service().await;
        let server = service
            .authenticate(&headers(&keys, "server"))
            .await
            .unwrap();
        let user = service.create_user(&server, None).await.unwrap().id;
        let token = service
            .create_session(&server, &user.to_string(), None)
            .await
            .unwrap()
            .access_token;
        let with_token = RequestHeaders {
            access_token: Some(token),
            ..headers(&keys, "client")
        };
        assert_eq!(
            service.authenticate(&with_token).await.unwrap().user_id,
            Some(user)
        );
        clock.0.fetch_add(
            ServiceConfig::default().access_token_ttl.as_millis() as i64,
            Ordering::SeqCst,
        );
        assert!(matches!(
            service.authenticate(&with_token).await,
            Err(ServiceError::AccessTokenExpired)
        ));
    }

    #[tokio::test]
    async fn header_checks_come_before_the_project_is_loaded() {
        let (service, keys, _) = service().await;
        let service = &service;
        let check = |h: RequestHeaders| async move { service.authenticate(&h).await.unwrap_err() };
        let no_type = RequestHeaders {
            access_type: None,
            ..headers(&keys, "server")
        };
        assert!(matches!(
            check(no_type).await,
            ServiceError::ProjectKeyWithoutAccessType
        ));
        let unknown = RequestHeaders {
            project_id: Some("nope".into()),
            ..headers(&keys, "server")
        };
        assert!(matches!(
            check(unknown).await,
            ServiceError::CurrentProjectNotFound(_)
        ));
        let bad_token = RequestHeaders {
            project_id: Some("nope".into()),
            access_token: Some("x.y.z".into()),
            ..headers(&keys, "server")
        };
        assert!(matches!(
            check(bad_token).await,
            ServiceError::UnparsableAccessToken
        ));
    }

    #[tokio::test]
    async fn an_update_carrying_a_value_resets_verification() {
        let (service, keys, _) = service().await;
        let server = service
            .authenticate(&headers(&keys, "server"))
            .await
            .unwrap();
        let user = service
            .create_user(&server, None)
            .await
            .unwrap()
            .id
            .to_string();
        let create = CreateChannel {
            user_id: user.clone(),
            value: "a@example.com".into(),
            used_for_auth: false,
            is_primary: false,
            is_verified: Some(true),
        };
        let channel = service.create_channel(&server, create).await.unwrap();
        let id = channel.id.to_string();
        let same = UpdateChannel {
            value: Some("A@example.com".into()),
            ..Default::default()
        };
        assert!(
            !service
                .update_channel(&server, &user, &id, same)
                .await
                .unwrap()
                .is_verified
        );
        let keep = UpdateChannel {
            value: Some("b@example.com".into()),
            is_verified: Some(true),
            ..Default::default()
        };
        assert!(
            service
                .update_channel(&server, &user, &id, keep)
                .await
                .unwrap()
                .is_verified
        );
    }
}

//! Storage: one [`Store`] trait, implemented for SQLite ([`sqlite::SqliteStore`], the embedded
//! default) and PostgreSQL ([`postgres::PgStore`], for several server instances).
//!
//! The store knows rows and constraints, not wire types or callers. The API's invariants (one
//! primary channel per user, a value held once per user, one auth channel per value in a
//! project) are unique indexes, and every write that touches several rows is one transaction,
//! so they hold however many server processes share the database. Constraint violations come
//! back as [`StoreError::Conflict`], never as a backend error.
//!
//! What a write changes, and whether it demotes a primary channel, is decided once, here
//! ([`ChannelChanges::apply`]), for both engines; the engines only say how to do it.

pub mod postgres;
pub mod sqlite;

#[cfg(test)]
mod conformance;
mod error;

pub use error::{BackendError, Conflict, Entity, StoreError};

use async_trait::async_trait;
use std::num::NonZeroU32;
use uuid::Uuid;

/// A project: its keys (hashed) and the key that signs its access tokens.
#[derive(Clone, Debug)]
pub struct ProjectRecord {
    pub id: String,
    pub display_name: String,
    pub publishable_client_key_hash: Vec<u8>,
    pub secret_server_key_hash: Vec<u8>,
    pub super_secret_admin_key_hash: Vec<u8>,
    /// The project's ES256 signing key: PKCS#8 DER, or sealed under the master key
    /// (`service::sealing`).
    pub signing_key: Vec<u8>,
    pub allow_localhost: bool,
    pub created_at_millis: i64,
    /// Origins callback URLs may point to, such as `https://app.example.com` or
    /// `https://*.example.com`.
    pub trusted_domains: Vec<String>,
}

/// A project's signing key as read, and what replaces it.
#[derive(Clone, Debug)]
pub struct SigningKeyChange {
    pub project_id: String,
    /// The key as stored when it was read: replaced only if still so.
    pub stored: Vec<u8>,
    pub next: Vec<u8>,
}

/// What a sweep of expired rows removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub verification_codes: u64,
    pub refresh_tokens: u64,
}

/// A user, with what its primary contact channel says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: Uuid,
    pub display_name: Option<String>,
    pub signed_up_at_millis: i64,
    pub primary_email: Option<String>,
    pub primary_email_verified: bool,
}

/// A contact channel (always of type email).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub value: String,
    pub used_for_auth: bool,
    pub is_verified: bool,
    pub is_primary: bool,
    /// Position in insertion order; the list cursor.
    pub seq: i64,
}

/// A channel to insert.
#[derive(Clone, Debug)]
pub struct NewChannel {
    pub id: Uuid,
    pub user_id: Uuid,
    pub value: String,
    pub used_for_auth: bool,
    pub is_verified: bool,
    pub is_primary: bool,
    /// The most channels the user may have: a user who has this many already gets
    /// [`Conflict::ChannelLimit`], checked under the same lock as the insert.
    pub cap: u32,
}

/// Fields to change on a channel; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ChannelChanges {
    pub value: Option<String>,
    pub used_for_auth: Option<bool>,
    pub is_verified: Option<bool>,
    pub is_primary: Option<bool>,
}

impl ChannelChanges {
    /// What these changes do to `current`: the one rule both engines apply, inside the
    /// transaction that holds the user's lock, to the channel as it is there.
    pub fn apply(&self, current: &ChannelRecord) -> ChannelUpdate {
        let next = ChannelRecord {
            value: self.value.clone().unwrap_or_else(|| current.value.clone()),
            used_for_auth: self.used_for_auth.unwrap_or(current.used_for_auth),
            is_verified: self.is_verified.unwrap_or(current.is_verified),
            is_primary: self.is_primary.unwrap_or(current.is_primary),
            ..current.clone()
        };
        let changed = Changed {
            value: next.value != current.value,
            used_for_auth: next.used_for_auth != current.used_for_auth,
            is_verified: next.is_verified != current.is_verified,
            is_primary: next.is_primary != current.is_primary,
        };
        ChannelUpdate { next, changed }
    }
}

/// The outcome of [`ChannelChanges::apply`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelUpdate {
    /// The channel as the update leaves it.
    pub next: ChannelRecord,
    /// Which fields differ from the channel as it was.
    pub changed: Changed,
}

/// Which fields of a channel an update changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changed {
    pub value: bool,
    pub used_for_auth: bool,
    pub is_verified: bool,
    pub is_primary: bool,
}

impl ChannelUpdate {
    /// The new value, when it changes: the user must not hold it on another channel
    /// ([`Conflict::ValueTakenByUser`], checked before the project-wide auth index).
    pub fn new_value(&self) -> Option<&str> {
        self.changed.value.then_some(self.next.value.as_str())
    }

    /// Whether the user's primary channel must be demoted first: only when this channel
    /// becomes primary (an already primary one has no other to demote).
    pub fn demotes(&self) -> bool {
        self.changed.is_primary && self.next.is_primary
    }

    /// Whether nothing changes, so nothing is written.
    pub fn is_empty(&self) -> bool {
        self.changed == Changed::default()
    }
}

/// A change to a project's trusted domains and localhost setting. It is applied to the project
/// as stored, inside the write, rather than written back from an earlier read: two admins adding
/// different domains at once both keep theirs.
#[derive(Clone, Debug, Default)]
pub struct TrustChange {
    pub add: Vec<String>,
    pub remove: Vec<String>,
    /// `None` keeps the setting.
    pub allow_localhost: Option<bool>,
}

impl TrustChange {
    /// The domains and setting after this change: removed domains dropped, added ones appended
    /// in order unless already there (so a domain both removed and added stays, at the end).
    pub fn apply(&self, domains: &[String], allow_localhost: bool) -> (Vec<String>, bool) {
        let mut domains: Vec<String> = domains
            .iter()
            .filter(|d| !self.remove.contains(d))
            .cloned()
            .collect();
        for domain in &self.add {
            if !domains.contains(domain) {
                domains.push(domain.clone());
            }
        }
        (domains, self.allow_localhost.unwrap_or(allow_localhost))
    }
}

/// Which channels to list, oldest first.
#[derive(Clone, Debug, Default)]
pub struct ChannelFilter {
    pub user_id: Option<Uuid>,
    pub channel_id: Option<Uuid>,
    /// Only channels after this position.
    pub after_seq: Option<i64>,
    /// At most this many; at least 1.
    pub limit: Option<u32>,
}

/// A verification code to store (its hash, never the code).
#[derive(Clone, Debug)]
pub struct NewVerificationCode {
    pub prefix: String,
    pub hash: Vec<u8>,
    pub user_id: Uuid,
    pub channel_id: Uuid,
    pub value: String,
    pub created_at_millis: i64,
    pub expires_at_millis: i64,
}

/// Limits on verification emails, each over the last `window_millis`, counted by the store from
/// the codes it holds inside the write that stores the next one, so they hold across instances
/// and restarts. A code counts from its `created_at_millis` whether it was used or not; a code
/// removed again because its email was not delivered no longer counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendLimits {
    pub window_millis: i64,
    /// Codes sent for one channel.
    pub per_channel: NonZeroU32,
    /// Codes sent for all channels of one user.
    pub per_user: NonZeroU32,
    /// Codes sent in one project.
    pub per_project: NonZeroU32,
}

impl Default for SendLimits {
    fn default() -> Self {
        SendLimits {
            window_millis: 60 * 60 * 1000,
            per_channel: NonZeroU32::new(5).expect("not zero"),
            per_user: NonZeroU32::new(10).expect("not zero"),
            per_project: NonZeroU32::new(1000).expect("not zero"),
        }
    }
}

/// One of the [`SendLimits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendLimit {
    Channel,
    User,
    Project,
}

impl SendLimit {
    /// The limit's name, as the API's `details.limit` spells it.
    pub fn name(self) -> &'static str {
        match self {
            SendLimit::Channel => "email_per_channel",
            SendLimit::User => "email_per_user",
            SendLimit::Project => "email_per_project",
        }
    }
}

impl SendLimits {
    /// Whether one more send at `now_millis` is within the limits, given for each limit the
    /// time of the `limit`-th most recent send inside the window, if there are that many
    /// (`channel`, `user`, `project`). When one or more limits are reached, the refusal names
    /// the one that frees up last, with the time until it does: when that send leaves the
    /// window, every older one has too.
    pub fn judge(
        &self,
        now_millis: i64,
        channel: Option<i64>,
        user: Option<i64>,
        project: Option<i64>,
    ) -> Result<(), StoreError> {
        let reached = [
            (SendLimit::Channel, channel),
            (SendLimit::User, user),
            (SendLimit::Project, project),
        ]
        .into_iter()
        .filter_map(|(limit, sent)| Some((limit, sent? + self.window_millis - now_millis)))
        // The first of equals wins: the narrowest limit.
        .reduce(|a, b| if b.1 > a.1 { b } else { a });
        match reached {
            None => Ok(()),
            Some((limit, wait)) => Err(StoreError::LimitReached {
                limit,
                retry_after: std::time::Duration::from_millis(wait.max(0) as u64),
            }),
        }
    }

    /// Where the window of a send at `now_millis` starts: sends after it count.
    pub fn window_start(&self, now_millis: i64) -> i64 {
        now_millis - self.window_millis
    }
}

/// A stored verification code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRecord {
    pub prefix: String,
    pub hash: Vec<u8>,
    pub user_id: Uuid,
    pub channel_id: Uuid,
    /// The channel's value when the code was sent.
    pub value: String,
    pub expires_at_millis: i64,
    pub used: bool,
    pub failed_attempts: u32,
}

/// What to do with a code, decided from the code and its channel as they are inside the
/// transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeAction {
    /// Leave everything as it is.
    Nothing,
    /// Count a wrong guess against the code.
    CountFailure,
    /// Mark the code used and its channel verified.
    Consume,
}

/// The decision function [`Store::use_verification_code`] applies. Owned, because a store may
/// run it on a thread of its own.
pub type CodeDecision =
    std::sync::Arc<dyn Fn(&CodeRecord, Option<&ChannelRecord>) -> CodeAction + Send + Sync>;

/// A project's trusted domains as stored: a JSON array.
fn encode_domains(domains: &[String]) -> String {
    serde_json::to_string(domains).expect("strings serialize")
}

fn decode_domains(text: String) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(&text).map_err(|e| StoreError::Backend(Box::new(e)))
}

/// What a migration run did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migrated {
    /// Migrations this run applied.
    pub applied: usize,
    /// The schema's version now: the number of its newest migration.
    pub version: usize,
}

/// What a store reports to `/metrics`; each engine fills what it has.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreStats {
    /// SQLite: writes waiting for the writer thread.
    pub writer_queue: Option<u64>,
    /// SQLite: writes in the last transaction the writer committed.
    pub last_batch: Option<u64>,
    /// PostgreSQL: connections open, and of those idle.
    pub pool_connections: Option<(u64, u64)>,
}

/// Storage of projects, users, contact channels and refresh tokens.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers a trivial query: whether the database is reachable now (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;
    /// Finishes for a clean exit, once no request is left: SQLite copies the WAL into the
    /// database file, PostgreSQL closes its pool.
    async fn close(&self);
    /// Gauges for `/metrics`.
    fn stats(&self) -> StoreStats;
    /// Adds a project.
    async fn create_project(&self, project: &ProjectRecord) -> Result<(), StoreError>;
    /// Adds a project if there is none yet, atomically across instances; whether it did.
    async fn create_first_project(&self, project: &ProjectRecord) -> Result<bool, StoreError>;
    /// A project by id.
    async fn get_project(&self, id: &str) -> Result<Option<ProjectRecord>, StoreError>;
    /// All projects, oldest first.
    async fn list_projects(&self) -> Result<Vec<ProjectRecord>, StoreError>;

    /// Adds a user.
    async fn create_user(
        &self,
        project_id: &str,
        id: Uuid,
        display_name: Option<&str>,
        signed_up_at_millis: i64,
    ) -> Result<UserRecord, StoreError>;
    /// A user by id.
    async fn get_user(&self, project_id: &str, id: Uuid) -> Result<Option<UserRecord>, StoreError>;
    /// Deletes a user and everything it owns; [`Entity::User`] not found if there is none.
    async fn delete_user(&self, project_id: &str, id: Uuid) -> Result<(), StoreError>;

    /// Channels matching `filter`, oldest first; [`Entity::User`] not found if the filter names
    /// a user that does not exist.
    async fn list_channels(
        &self,
        project_id: &str,
        filter: &ChannelFilter,
    ) -> Result<Vec<ChannelRecord>, StoreError>;
    /// One channel of one user; [`Entity::User`] not found if there is no such user.
    async fn get_channel(
        &self,
        project_id: &str,
        user_id: Uuid,
        id: Uuid,
    ) -> Result<Option<ChannelRecord>, StoreError>;
    /// Inserts a channel; if it is primary, the user's other primary channel is demoted in the
    /// same transaction. [`Entity::User`] not found if there is no such user.
    async fn create_channel(
        &self,
        project_id: &str,
        channel: &NewChannel,
    ) -> Result<ChannelRecord, StoreError>;
    /// Changes a channel, demoting the user's other primary channel when it becomes primary, in
    /// one transaction. [`Entity::User`] not found if there is no such user,
    /// [`Entity::Channel`] not found if the user has no such channel.
    async fn update_channel(
        &self,
        project_id: &str,
        user_id: Uuid,
        id: Uuid,
        changes: &ChannelChanges,
    ) -> Result<ChannelRecord, StoreError>;
    /// Deletes a channel; [`Entity::User`] not found if there is no such user,
    /// [`Entity::Channel`] not found if the user has no such channel.
    async fn delete_channel(
        &self,
        project_id: &str,
        user_id: Uuid,
        id: Uuid,
    ) -> Result<(), StoreError>;

    /// Applies `change` to a project's trusted domains and localhost setting as they are stored,
    /// atomically, so concurrent changes all hold; answers the result. [`Entity::Project`] not
    /// found if there is no such project.
    async fn change_project_trust(
        &self,
        id: &str,
        change: &TrustChange,
    ) -> Result<(Vec<String>, bool), StoreError>;

    /// Deletes at most `batch` verification codes and at most `batch` refresh tokens that
    /// expired by `now_millis`, each kind in a short transaction of its own, so that a sweep
    /// never holds a lock for long; what it deleted. A caller repeats it until less than a
    /// batch is left.
    async fn sweep_expired(&self, now_millis: i64, batch: u32) -> Result<Swept, StoreError>;

    /// Replaces the signing keys of `changes`, each only if it is still as it was read, in one
    /// transaction: if one is not ([`Entity::Project`] not found, naming it), nothing changes.
    async fn replace_signing_keys(&self, changes: &[SigningKeyChange]) -> Result<(), StoreError>;

    /// Stores a verification code, unless one more code would exceed `limits` at the code's
    /// `created_at_millis`: then [`StoreError::LimitReached`] and nothing is stored. The count
    /// and the insert are one transaction, serialised with every other send in the project
    /// (on any number of instances), so concurrent sends cannot overshoot a limit.
    async fn create_verification_code(
        &self,
        project_id: &str,
        code: &NewVerificationCode,
        limits: &SendLimits,
    ) -> Result<(), StoreError>;
    /// Removes a verification code (one whose email could not be sent).
    async fn delete_verification_code(
        &self,
        project_id: &str,
        prefix: &str,
    ) -> Result<(), StoreError>;
    /// In one transaction: finds the code by prefix and its channel, asks `decide` what to do,
    /// and does it (a consumed code is marked used at `now_millis`). Returns the code and channel
    /// as they were before, and the action taken; `None` if no code has this prefix. Concurrent
    /// calls for one code run one after the other.
    async fn use_verification_code(
        &self,
        project_id: &str,
        prefix: &str,
        now_millis: i64,
        decide: CodeDecision,
    ) -> Result<Option<(CodeRecord, Option<ChannelRecord>, CodeAction)>, StoreError>;

    /// The user and expiry of a refresh token, by its hash.
    async fn get_refresh_token(
        &self,
        project_id: &str,
        token_hash: &[u8],
    ) -> Result<Option<(Uuid, i64)>, StoreError>;

    /// Ends a session: removes its refresh token unless it has expired by `now_millis`. Whether
    /// there was a live one.
    async fn delete_refresh_token(
        &self,
        project_id: &str,
        token_hash: &[u8],
        now_millis: i64,
    ) -> Result<bool, StoreError>;

    /// Stores a refresh token's hash.
    async fn create_refresh_token(
        &self,
        project_id: &str,
        user_id: Uuid,
        token_hash: &[u8],
        expires_at_millis: i64,
    ) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(value: &str, is_verified: bool, is_primary: bool) -> ChannelRecord {
        ChannelRecord {
            id: Uuid::nil(),
            user_id: Uuid::nil(),
            value: value.into(),
            used_for_auth: false,
            is_verified,
            is_primary,
            seq: 1,
        }
    }

    /// The refusal names the limit that frees up last; of equals, the narrowest.
    #[test]
    fn judge_names_the_limit_that_frees_up_last() {
        let limits = SendLimits {
            window_millis: 100,
            ..SendLimits::default()
        };
        let refused =
            |limit, millis| Err::<(), _>((limit, std::time::Duration::from_millis(millis)));
        let judge = |c, u, p| {
            limits.judge(1000, c, u, p).map_err(|e| match e {
                StoreError::LimitReached { limit, retry_after } => (limit, retry_after),
                other => panic!("{other}"),
            })
        };
        assert_eq!(judge(None, None, None), Ok(()));
        assert_eq!(
            judge(Some(950), None, None),
            refused(SendLimit::Channel, 50)
        );
        assert_eq!(
            judge(Some(950), Some(960), None),
            refused(SendLimit::User, 60)
        );
        assert_eq!(
            judge(Some(970), Some(960), Some(910)),
            refused(SendLimit::Channel, 70)
        );
        assert_eq!(
            judge(Some(960), Some(960), Some(960)),
            refused(SendLimit::Channel, 60)
        );
        assert_eq!(
            judge(None, Some(960), Some(990)),
            refused(SendLimit::Project, 90)
        );
    }

    /// Each row: the changes, the channel before, and what the update must do.
    #[test]
    fn apply_decides_what_changes_and_whether_it_demotes() {
        let none = ChannelChanges::default();
        let primary = ChannelChanges {
            is_primary: Some(true),
            ..Default::default()
        };
        let same_value = ChannelChanges {
            value: Some("a@x.io".into()),
            ..Default::default()
        };
        let new_value = ChannelChanges {
            value: Some("b@x.io".into()),
            is_verified: Some(false),
            ..Default::default()
        };
        let demote_self = ChannelChanges {
            is_primary: Some(false),
            ..Default::default()
        };
        // (case, changes, before, new value to check, demotes, writes nothing)
        let cases = [
            (
                "nothing",
                &none,
                channel("a@x.io", true, true),
                None,
                false,
                true,
            ),
            (
                "becomes primary",
                &primary,
                channel("a@x.io", false, false),
                None,
                true,
                false,
            ),
            (
                "primary again",
                &primary,
                channel("a@x.io", false, true),
                None,
                false,
                true,
            ),
            (
                "stops being primary",
                &demote_self,
                channel("a@x.io", false, true),
                None,
                false,
                false,
            ),
            (
                "the value it has",
                &same_value,
                channel("a@x.io", true, false),
                None,
                false,
                true,
            ),
            (
                "a new value",
                &new_value,
                channel("a@x.io", true, false),
                Some("b@x.io"),
                false,
                false,
            ),
        ];
        for (case, changes, before, value, demotes, empty) in cases {
            let update = changes.apply(&before);
            assert_eq!(update.new_value(), value, "{case}");
            assert_eq!(update.demotes(), demotes, "{case}");
            assert_eq!(update.is_empty(), empty, "{case}");
            assert_eq!(update.next.seq, before.seq, "{case}: the same row");
        }
        let update = new_value.apply(&channel("a@x.io", true, true));
        assert_eq!(
            update.next,
            ChannelRecord {
                value: "b@x.io".into(),
                ..channel("a@x.io", false, true)
            }
        );
    }
}

//! Business rules and authorization, with no HTTP in sight.
//!
//! Every operation takes an authenticated [`Caller`] and plain inputs, applies the rules of the
//! contact-channel API (normalisation, `me`, who may touch which user, verification reset) and
//! calls the [`Store`], whose constraints hold the invariants.
//!
//! [`Service`] is defined here with what every operation shares; its operations live in one
//! module per concern: `projects` (and authenticating a request), `channels`, `users`,
//! `sessions` and `verification`. `auth` checks keys and tokens, `sealing` encrypts signing keys
//! at rest, `input` checks plain inputs, `config` holds settings and limits, `guesses` the
//! failed-guess limits, `error` the reasons an operation is refused.

pub mod auth;
mod channels;
mod config;
mod error;
mod guesses;
mod input;
mod projects;
pub mod sealing;
mod sessions;
#[cfg(test)]
mod testing;
mod users;
pub mod verification;

pub use auth::{Access, Caller, ProjectKeys, RequestHeaders};
pub use channels::{ChannelPage, CreateChannel, ListChannels, UpdateChannel};
pub use config::{
    Clock, ServiceConfig, SystemClock, CURSOR_DIGITS, DEFAULT_MAX_CHANNELS_PER_USER,
    DEFAULT_PAGE_SIZE, MAX_EMAIL_LENGTH, MAX_PAGE_SIZE, MAX_SESSION_MILLIS,
};
pub use error::ServiceError;
pub use guesses::GuessLimits;
pub use input::normalize_email;
pub use projects::ProjectSummary;
pub use sessions::{OAuthGrant, OAuthToken, SessionTokens};

use crate::mail::Mailer;
use crate::store::Store;
use auth::Project;
use input::parse_uuid;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;
use uuid::Uuid;

/// The rules of the API over a store.
pub struct Service {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    config: ServiceConfig,
    guesses: guesses::Guesses,
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
            guesses: guesses::Guesses::new(config.guess_limits, clock.clone()),
            clock,
            config,
            projects: RwLock::new(HashMap::new()),
        }
    }

    /// The store, for administrative commands.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Resolves a `user_id` parameter (`me` or a UUID) to a user the caller may act on. Whether
    /// the user exists is the store's answer to the operation itself
    /// ([`crate::store::Entity::User`] not found), so it costs no query of its own.
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

    /// Refuses client callers: the operation is for server and admin access only.
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
}

#[cfg(test)]
mod tests {
    use super::testing::{headers, service};
    use super::*;

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
}

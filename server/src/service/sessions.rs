//! Sessions: signing a user in (a refresh token and an access token) and refreshing the access
//! token.

use super::auth::{self, AccessTokenClaims, Project};
use super::input::parse_uuid;
use super::{Caller, Service, ServiceError, MAX_SESSION_MILLIS};
use crate::store::UserRecord;

/// A new session's tokens.
#[derive(Clone, Debug)]
pub struct SessionTokens {
    pub access_token: String,
    pub refresh_token: String,
}

impl Service {
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

#[cfg(test)]
mod tests {
    use crate::service::testing::{headers, service};
    use crate::service::{RequestHeaders, ServiceConfig, ServiceError};
    use std::sync::atomic::Ordering;

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
}

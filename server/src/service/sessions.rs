//! Sessions: signing a user in (a refresh token and an access token), refreshing the access
//! token (also through OAuth 2.0's refresh-token grant), and signing out.

use super::auth::{self, AccessTokenClaims, Project};
use super::input::parse_uuid;
use super::{Access, Caller, RequestHeaders, Service, ServiceError, MAX_SESSION_MILLIS};
use crate::store::UserRecord;

/// A new session's tokens.
#[derive(Clone, Debug)]
pub struct SessionTokens {
    pub access_token: String,
    pub refresh_token: String,
}

/// An OAuth 2.0 token request (RFC 6749 §6), as sent.
#[derive(Clone, Copy, Debug)]
pub struct OAuthGrant<'a> {
    pub grant_type: &'a str,
    pub refresh_token: Option<&'a str>,
    /// The project id.
    pub client_id: &'a str,
    /// The project's publishable client key.
    pub client_secret: &'a str,
}

/// What the OAuth token endpoint mints.
#[derive(Clone, Debug)]
pub struct OAuthToken {
    pub access_token: String,
    pub expires_in_seconds: u64,
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

    /// OAuth 2.0's refresh-token grant: the client is the project, authenticated by its
    /// publishable client key, and the refresh token mints an access token as
    /// [`Service::refresh_session`] does. The client is checked first, so that nothing about
    /// grants or tokens is answered to a caller that is not one.
    pub async fn refresh_by_oauth_grant(
        &self,
        grant: OAuthGrant<'_>,
    ) -> Result<OAuthToken, ServiceError> {
        let headers = RequestHeaders {
            project_id: Some(grant.client_id.to_owned()),
            access_type: Some(Access::Client.as_str().to_owned()),
            publishable_client_key: Some(grant.client_secret.to_owned()),
            ..RequestHeaders::default()
        };
        let caller = self.authenticate(&headers).await.map_err(|e| match e {
            ServiceError::CurrentProjectNotFound(_)
            | ServiceError::KeyRequired(..)
            | ServiceError::InvalidKey(..) => ServiceError::OAuthInvalidClient,
            e => e,
        })?;
        if grant.grant_type != "refresh_token" {
            return Err(ServiceError::OAuthUnsupportedGrantType(
                grant.grant_type.to_owned(),
            ));
        }
        let refresh_token = grant
            .refresh_token
            .ok_or_else(|| ServiceError::OAuthInvalidRequest("refresh_token is required".into()))?;
        let access_token = self.refresh_session(&caller, Some(refresh_token)).await?;
        Ok(OAuthToken {
            access_token,
            expires_in_seconds: self.config.access_token_ttl.as_secs(),
        })
    }

    /// Ends the session of `refresh_token`, with any access type: it mints nothing afterwards.
    /// Access tokens already minted stay valid until they expire, as verifying one needs no
    /// database read.
    pub async fn sign_out(
        &self,
        caller: &Caller,
        refresh_token: Option<&str>,
    ) -> Result<(), ServiceError> {
        let refresh_token = refresh_token.ok_or(ServiceError::RefreshTokenNotFoundOrExpired)?;
        let hash = auth::hash_secret(refresh_token);
        let now = self.clock.now_millis();
        let ended = self
            .store
            .delete_refresh_token(&caller.project.id, &hash, now)
            .await?;
        ended
            .then_some(())
            .ok_or(ServiceError::RefreshTokenNotFoundOrExpired)
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
            iss: project.issuer.clone(),
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

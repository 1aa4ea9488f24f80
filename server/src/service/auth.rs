//! Who is calling: Stack Auth's request headers checked against the project, its keys and its
//! access tokens.
//!
//! Keys are 256-bit random values, so a stored SHA-256 is as strong as a password hash and costs
//! a microsecond per request; they are compared in constant time. Access tokens are ES256 JWTs
//! carrying Stack Auth's claim set, signed with the project's own key. Checking an ES256
//! signature costs far more than the rest of a request, so each project remembers the tokens it
//! has verified (by SHA-256, until they expire, a bounded number of them).

use super::sealing::{self, SealingError};
use super::{Clock, ServiceConfig, ServiceError};
use crate::store::ProjectRecord;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::ecdsa::SigningKey;
use p256::pkcs8::EncodePrivateKey;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// The access type of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Client,
    Server,
    Admin,
}

impl Access {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Client => "client",
            Access::Server => "server",
            Access::Admin => "admin",
        }
    }

    fn parse(value: &str) -> Option<Access> {
        match value {
            "client" => Some(Access::Client),
            "server" => Some(Access::Server),
            "admin" => Some(Access::Admin),
            _ => None,
        }
    }
}

/// The authentication headers of a request, as sent (either prefix). `branch-id` is not read:
/// every project has the one branch `main`.
#[derive(Clone, Debug, Default)]
pub struct RequestHeaders {
    pub project_id: Option<String>,
    pub access_type: Option<String>,
    pub publishable_client_key: Option<String>,
    pub secret_server_key: Option<String>,
    pub super_secret_admin_key: Option<String>,
    pub access_token: Option<String>,
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub project: std::sync::Arc<Project>,
    pub access: Access,
    /// The user of the access token, if one was sent.
    pub user_id: Option<Uuid>,
}

/// A project as requests need it, cached in memory.
pub struct Project {
    pub id: String,
    /// The `iss` claim of the project's access tokens: the configured issuer's URL of it.
    pub issuer: String,
    publishable_client_key_hash: Vec<u8>,
    secret_server_key_hash: Vec<u8>,
    super_secret_admin_key_hash: Vec<u8>,
    encoding_key: EncodingKey,
    decoding_key: DecodingKey,
    /// Tokens whose signature checked out against `decoding_key`: SHA-256 of the token → its
    /// user and expiry (seconds). The same bytes would verify the same way again, and this cache
    /// lives and dies with the key it was checked against.
    verified_tokens: Mutex<HashMap<[u8; 32], (Uuid, i64)>>,
}

/// Most verified tokens a project remembers: a few hundred kilobytes. When full, expired ones are
/// dropped, and if none has expired, all of them (they will be verified again).
const VERIFIED_TOKENS_MAX: usize = 4096;

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Project {
    /// Loads the keys of a stored project, for a service with `config`.
    pub fn from_record(
        record: &ProjectRecord,
        config: &ServiceConfig,
    ) -> Result<Project, ServiceError> {
        use p256::pkcs8::DecodePrivateKey;
        let der = if sealing::is_sealed(&record.signing_key) {
            let master = config.master_key.as_ref().ok_or_else(|| {
                ServiceError::internal(
                    "project signing key",
                    SealingError::NoMasterKey {
                        project_id: record.id.clone(),
                    },
                )
            })?;
            master
                .open(&record.id, &record.signing_key)
                .map_err(|e| ServiceError::internal("project signing key", e))?
        } else {
            record.signing_key.clone()
        };
        let signing = SigningKey::from_pkcs8_der(&der)
            .map_err(|e| ServiceError::internal("project signing key", e))?;
        let public = signing.verifying_key().to_encoded_point(false);
        Ok(Project {
            id: record.id.clone(),
            issuer: format!(
                "{}/api/v1/projects/{}",
                config.issuer_base_url.trim_end_matches('/'),
                record.id
            ),
            publishable_client_key_hash: record.publishable_client_key_hash.clone(),
            secret_server_key_hash: record.secret_server_key_hash.clone(),
            super_secret_admin_key_hash: record.super_secret_admin_key_hash.clone(),
            encoding_key: EncodingKey::from_ec_der(&der),
            decoding_key: DecodingKey::from_ec_der(public.as_bytes()),
            verified_tokens: Mutex::new(HashMap::new()),
        })
    }

    /// The user of an access token whose expiry and audience were already checked: from the
    /// cache, or by checking its signature, its audience and issuer, and that it carries every
    /// claim of [`AccessTokenClaims`] (`exp`, `iat`, `sub`, `aud` and `iss` among them). Any
    /// failure is [`ServiceError::UnparsableAccessToken`], as in Stack Auth.
    fn token_user(&self, token: &str, now_millis: i64) -> Result<Uuid, ServiceError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(&(user, _)) = self.verified_tokens().get(&digest) {
            return Ok(user);
        }
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&[&self.id]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
        // Expiry was checked against the service clock already. `iat` is required by the
        // claims' type, as jsonwebtoken cannot require it.
        validation.validate_exp = false;
        let data =
            jsonwebtoken::decode::<AccessTokenClaims>(token, &self.decoding_key, &validation)
                .map_err(|_| ServiceError::UnparsableAccessToken)?;
        let user =
            Uuid::parse_str(&data.claims.sub).map_err(|_| ServiceError::UnparsableAccessToken)?;
        let mut cache = self.verified_tokens();
        if cache.len() >= VERIFIED_TOKENS_MAX {
            cache.retain(|_, &mut (_, exp)| exp.saturating_mul(1000) > now_millis);
            if cache.len() >= VERIFIED_TOKENS_MAX {
                cache.clear();
            }
        }
        cache.insert(digest, (user, data.claims.exp));
        Ok(user)
    }

    fn verified_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (Uuid, i64)>> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.verified_tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn key_hash(&self, access: Access) -> &[u8] {
        match access {
            Access::Client => &self.publishable_client_key_hash,
            Access::Server => &self.secret_server_key_hash,
            Access::Admin => &self.super_secret_admin_key_hash,
        }
    }
}

/// The keys of a new project, in clear: shown once, stored only as hashes.
#[derive(Clone, Debug)]
pub struct ProjectKeys {
    pub project_id: String,
    pub publishable_client_key: String,
    pub secret_server_key: String,
    pub super_secret_admin_key: String,
}

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a key or token.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A new random secret (refresh tokens).
pub fn new_secret(prefix: &str) -> String {
    random_token(prefix)
}

/// A new project record and its keys.
pub fn new_project(
    display_name: &str,
    allow_localhost: bool,
    now_millis: i64,
) -> (ProjectRecord, ProjectKeys) {
    let keys = ProjectKeys {
        project_id: Uuid::new_v4().to_string(),
        publishable_client_key: random_token("pck_"),
        secret_server_key: random_token("ssk_"),
        super_secret_admin_key: random_token("sak_"),
    };
    let signing = SigningKey::random(&mut rand::rngs::OsRng);
    let der = signing
        .to_pkcs8_der()
        .expect("a P-256 key encodes as PKCS#8");
    let record = ProjectRecord {
        id: keys.project_id.clone(),
        display_name: display_name.to_owned(),
        publishable_client_key_hash: hash_secret(&keys.publishable_client_key),
        secret_server_key_hash: hash_secret(&keys.secret_server_key),
        super_secret_admin_key_hash: hash_secret(&keys.super_secret_admin_key),
        signing_key: der.as_bytes().to_vec(),
        allow_localhost,
        created_at_millis: now_millis,
        trusted_domains: Vec::new(),
    };
    (record, keys)
}

/// Stack Auth's access-token claims; the official SDK drops tokens that lack any of them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub project_id: String,
    pub branch_id: String,
    pub refresh_token_id: String,
    pub iat: i64,
    pub exp: i64,
    pub signed_up_at: i64,
    pub role: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub selected_team_id: Option<String>,
    pub email_verified: bool,
    pub is_anonymous: bool,
    pub is_restricted: bool,
    pub requires_totp_mfa: bool,
    pub restricted_reason: Option<serde_json::Value>,
}

/// Signs an access token.
pub fn sign_access_token(
    project: &Project,
    claims: &AccessTokenClaims,
) -> Result<String, ServiceError> {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(project.id.clone());
    jsonwebtoken::encode(&header, claims, &project.encoding_key)
        .map_err(|e| ServiceError::internal("signing an access token", e))
}

/// The part of a token read before the project is known. A token lacking any of these is
/// unparsable.
#[derive(Deserialize)]
struct UnverifiedClaims {
    /// The project the token is for.
    aud: String,
    project_id: String,
    exp: i64,
}

/// What the headers say, checked in Stack Auth's order up to the point where the project must be
/// loaded.
pub(super) struct Claimed {
    pub project_id: String,
    pub access: Access,
    pub key: Option<String>,
    pub token: Option<String>,
    /// When the headers were checked (the token's expiry among them).
    pub checked_at_millis: i64,
}

/// Checks the headers that need no database: presence, access type, token shape and expiry.
pub(super) fn check_headers(
    headers: &RequestHeaders,
    clock: &dyn Clock,
) -> Result<Claimed, ServiceError> {
    let any_key = headers.publishable_client_key.is_some()
        || headers.secret_server_key.is_some()
        || headers.super_secret_admin_key.is_some();
    let Some(access_type) = &headers.access_type else {
        return Err(if any_key {
            ServiceError::ProjectKeyWithoutAccessType
        } else {
            ServiceError::AccessTypeRequired
        });
    };
    let access = Access::parse(access_type)
        .ok_or_else(|| ServiceError::InvalidAccessType(access_type.clone()))?;
    let project_id = headers
        .project_id
        .clone()
        .ok_or(ServiceError::AccessTypeWithoutProjectId(access))?;
    let now_millis = clock.now_millis();
    if let Some(token) = &headers.access_token {
        let claims: UnverifiedClaims = jsonwebtoken::dangerous::insecure_decode_claims(token)
            .map_err(|_| ServiceError::UnparsableAccessToken)?;
        // Unverified input: saturate rather than overflow on an absurd `exp`.
        if claims.exp.saturating_mul(1000) <= now_millis {
            return Err(ServiceError::AccessTokenExpired);
        }
        // The audience names the project; a `project_id` claim that disagrees makes no sense.
        if claims.project_id != claims.aud {
            return Err(ServiceError::UnparsableAccessToken);
        }
        if claims.aud != project_id {
            return Err(ServiceError::InvalidProjectForAccessToken {
                expected: project_id,
                actual: claims.aud,
            });
        }
    }
    let key = match access {
        Access::Client => headers.publishable_client_key.clone(),
        Access::Server => headers.secret_server_key.clone(),
        Access::Admin => headers.super_secret_admin_key.clone(),
    };
    Ok(Claimed {
        project_id,
        access,
        key,
        token: headers.access_token.clone(),
        checked_at_millis: now_millis,
    })
}

/// Checks the key and the token's signature against the loaded project.
pub(super) fn check_project(
    project: std::sync::Arc<Project>,
    claimed: Claimed,
) -> Result<Caller, ServiceError> {
    let Some(key) = &claimed.key else {
        return Err(ServiceError::KeyRequired(
            claimed.access,
            project.id.clone(),
        ));
    };
    let matches: bool = hash_secret(key)
        .ct_eq(project.key_hash(claimed.access))
        .into();
    if !matches {
        return Err(ServiceError::InvalidKey(claimed.access, project.id.clone()));
    }
    let user_id = claimed
        .token
        .as_deref()
        .map(|token| project.token_user(token, claimed.checked_at_millis))
        .transpose()?;
    Ok(Caller {
        project,
        access: claimed.access,
        user_id,
    })
}

/// The token id in a refresh token's claims: its hash, so the token itself is never stored.
pub fn refresh_token_id(token_hash: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(&token_hash[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        project_and_keys().0
    }

    fn project_and_keys() -> (Project, ProjectKeys) {
        let (record, keys) = new_project("p", false, 1);
        let project = Project::from_record(&record, &ServiceConfig::default()).unwrap();
        (project, keys)
    }

    fn token(project: &Project, user: Uuid) -> String {
        sign_access_token(project, &claims(project, user)).unwrap()
    }

    fn claims(project: &Project, user: Uuid) -> AccessTokenClaims {
        AccessTokenClaims {
            sub: user.to_string(),
            iss: project.issuer.clone(),
            aud: project.id.clone(),
            project_id: project.id.clone(),
            branch_id: "main".into(),
            refresh_token_id: "r".into(),
            iat: 0,
            exp: 4_000_000_000,
            signed_up_at: 0,
            role: "authenticated".into(),
            name: None,
            email: None,
            selected_team_id: None,
            email_verified: false,
            is_anonymous: false,
            is_restricted: false,
            requires_totp_mfa: false,
            restricted_reason: None,
        }
    }

    /// A clock stopped at one instant.
    struct Stopped(i64);

    impl Clock for Stopped {
        fn now_millis(&self) -> i64 {
            self.0
        }
    }

    /// Authenticates client access to `project` with `token`, as a request would.
    fn authenticate(
        project: &std::sync::Arc<Project>,
        keys: &ProjectKeys,
        token: &str,
    ) -> Result<Caller, ServiceError> {
        let headers = RequestHeaders {
            project_id: Some(keys.project_id.clone()),
            access_type: Some("client".into()),
            publishable_client_key: Some(keys.publishable_client_key.clone()),
            access_token: Some(token.to_owned()),
            ..Default::default()
        };
        let claimed = check_headers(&headers, &Stopped(1_000_000))?;
        check_project(project.clone(), claimed)
    }

    #[test]
    fn a_token_needs_every_claim_and_this_server_as_its_issuer() {
        let (project, keys) = project_and_keys();
        let project = std::sync::Arc::new(project);
        let user = Uuid::new_v4();
        let sign = |claims: &serde_json::Value| {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some(project.id.clone());
            jsonwebtoken::encode(&header, claims, &project.encoding_key).unwrap()
        };
        let valid = serde_json::to_value(claims(&project, user)).unwrap();
        let caller = authenticate(&project, &keys, &sign(&valid)).unwrap();
        assert_eq!(caller.user_id, Some(user));

        let unparsable = |case: &str, claims: serde_json::Value| {
            let refused = authenticate(&project, &keys, &sign(&claims));
            assert!(
                matches!(refused, Err(ServiceError::UnparsableAccessToken)),
                "{case}: {refused:?}"
            );
        };
        for claim in ["exp", "iat", "sub", "aud", "iss", "project_id"] {
            let mut without = valid.clone();
            without.as_object_mut().unwrap().remove(claim);
            unparsable(&format!("without {claim}"), without);
        }
        let changed = |claim: &str, value: serde_json::Value| {
            let mut claims = valid.clone();
            claims[claim] = value;
            claims
        };
        // Signed with the project's key, but by a server with another issuer URL.
        let other_issuer = ServiceConfig {
            issuer_base_url: "https://auth.example.com".into(),
            ..ServiceConfig::default()
        };
        let (record, _) = new_project("q", false, 1);
        let elsewhere = Project::from_record(&record, &other_issuer).unwrap().issuer;
        let foreign_issuer = elsewhere.replace(&record.id, &project.id);
        unparsable("another issuer", changed("iss", foreign_issuer.into()));
        unparsable("a subject that is no user id", changed("sub", "x".into()));
        unparsable("a text iat", changed("iat", "0".into()));
        let other_project = Uuid::new_v4().to_string();
        let mut elsewhere = changed("aud", other_project.clone().into());
        unparsable("an audience that is not the project_id", elsewhere.clone());
        elsewhere["project_id"] = other_project.into();
        assert!(matches!(
            authenticate(&project, &keys, &sign(&elsewhere)),
            Err(ServiceError::InvalidProjectForAccessToken { .. })
        ));
    }

    #[test]
    fn the_issuer_is_the_configured_base_url_of_the_project() {
        let (record, _) = new_project("p", false, 1);
        let config = ServiceConfig {
            issuer_base_url: "https://auth.example.com/".into(),
            ..ServiceConfig::default()
        };
        let project = Project::from_record(&record, &config).unwrap();
        assert_eq!(
            project.issuer,
            format!("https://auth.example.com/api/v1/projects/{}", record.id)
        );
    }

    #[test]
    fn a_verified_token_is_remembered_and_only_its_exact_bytes_match() {
        let project = project();
        let user = Uuid::new_v4();
        let token = token(&project, user);
        assert_eq!(project.token_user(&token, 0).unwrap(), user);
        assert_eq!(project.verified_tokens().len(), 1);
        assert_eq!(project.token_user(&token, 0).unwrap(), user);
        assert_eq!(project.verified_tokens().len(), 1);

        // A changed signature is checked, and refused, rather than found.
        let mut tampered = token.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(project.token_user(&tampered, 0).is_err());
        // Another project's token does not verify with this project's key.
        let other = self::project();
        assert!(project.token_user(&self::token(&other, user), 0).is_err());
        assert_eq!(project.verified_tokens().len(), 1);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let project = project();
        let user = Uuid::new_v4();
        {
            let mut cache = project.verified_tokens();
            for i in 0..VERIFIED_TOKENS_MAX {
                let mut digest = [0u8; 32];
                digest[..8].copy_from_slice(&(i as u64).to_le_bytes());
                // Half of them expired long before now (1 000 s).
                cache.insert(digest, (user, if i % 2 == 0 { 1 } else { 4_000_000_000 }));
            }
        }
        project
            .token_user(&token(&project, user), 1_000_000)
            .unwrap();
        assert_eq!(project.verified_tokens().len(), VERIFIED_TOKENS_MAX / 2 + 1);
    }
}

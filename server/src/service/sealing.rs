//! Signing keys sealed at rest. Whoever holds a project's ES256 signing key can mint an access
//! token for any of its users, so with a master key ([`MASTER_KEY_ENV`]) each key is stored
//! encrypted with XChaCha20-Poly1305, the project's id as associated data: a sealed key copied
//! onto another project's row does not open.
//!
//! A sealed value is [`SEALED_PREFIX`], a random 24-byte nonce, then the ciphertext and its tag.
//! A key in the clear is PKCS#8 DER, which starts with a SEQUENCE tag (0x30), never with the
//! prefix, so both can be told apart row by row.

use crate::store::{SigningKeyChange, Store, StoreError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use subtle::ConstantTimeEq;

/// The environment variable that holds the master key: 32 random bytes in standard base64
/// (`contact-channels keygen` prints one).
pub const MASTER_KEY_ENV: &str = "CONTACT_CHANNELS_MASTER_KEY";

/// What every sealed signing key starts with; the `1` is the format's version.
pub const SEALED_PREFIX: &[u8] = b"cc-sealed-1:";

const NONCE_LEN: usize = 24;

/// The key that seals the projects' signing keys.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

impl PartialEq for MasterKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// Why a text is not a master key.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error("not standard base64 (contact-channels keygen prints a master key)")]
    NotBase64(#[source] base64::DecodeError),
    #[error("{0} bytes, not 32 (contact-channels keygen prints a master key)")]
    Length(usize),
}

/// A sealed key that does not open with this master key (or was altered).
#[derive(Debug, thiserror::Error)]
#[error("the sealed signing key does not open with this master key")]
pub struct WrongMasterKey;

impl MasterKey {
    /// A fresh random master key.
    pub fn generate() -> MasterKey {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        MasterKey(bytes)
    }

    /// Reads a master key written as [`MasterKey::to_base64`] writes it (surrounding whitespace
    /// ignored).
    pub fn parse(text: &str) -> Result<MasterKey, MasterKeyError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(MasterKeyError::NotBase64)?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|bytes: Vec<u8>| MasterKeyError::Length(bytes.len()))?;
        Ok(MasterKey(bytes))
    }

    /// The key in standard base64, as [`MASTER_KEY_ENV`] takes it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }

    /// Seals project `project_id`'s signing key.
    pub fn seal(&self, project_id: &str, key: &[u8]) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut rand::rngs::OsRng);
        let sealed = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: key,
                    aad: project_id.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 seals any key");
        [SEALED_PREFIX, &nonce[..], &sealed].concat()
    }

    /// Opens a key [`MasterKey::seal`] sealed for project `project_id`.
    pub fn open(&self, project_id: &str, stored: &[u8]) -> Result<Vec<u8>, WrongMasterKey> {
        let body = stored.strip_prefix(SEALED_PREFIX).ok_or(WrongMasterKey)?;
        let (nonce, sealed) = body.split_at_checked(NONCE_LEN).ok_or(WrongMasterKey)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| WrongMasterKey)?;
        self.cipher()
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: project_id.as_bytes(),
                },
            )
            .map_err(|_| WrongMasterKey)
    }
}

/// Whether a stored signing key is sealed (else it is in the clear).
pub fn is_sealed(stored: &[u8]) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// Why the signing keys could not be sealed or re-sealed. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum SealingError {
    #[error(
        "{MASTER_KEY_ENV} does not open the signing key of project {project_id}: it was sealed \
         under another master key (nothing was changed)"
    )]
    WrongMasterKey { project_id: String },
    #[error(
        "the signing key of project {project_id} is sealed, and {MASTER_KEY_ENV} is not set \
         (nothing was changed)"
    )]
    NoMasterKey { project_id: String },
    #[error("the signing keys could not be written")]
    Store(#[from] StoreError),
}

/// Rewrites every project's signing key sealed under `new` (or in the clear for `None`), opening
/// each with `current` (a key in the clear needs none), all in one transaction: if any key does
/// not open, nothing is written. Keys already sealed under `new` are only checked. Answers how
/// many keys it rewrote.
///
/// With `current` and `new` the same, this is what `serve` does at startup: seal the keys still
/// in the clear, and fail on a wrong master key. Different, it is `project rekey`.
pub async fn reseal_signing_keys(
    store: &dyn Store,
    current: Option<&MasterKey>,
    new: Option<&MasterKey>,
) -> Result<usize, SealingError> {
    // A project created, or a key sealed, by another instance between the read and the write
    // makes the write refuse (the key is no longer as read); read again then.
    let mut attempts = 0;
    loop {
        let changes = reseal_changes(store, current, new).await?;
        if changes.is_empty() {
            return Ok(0);
        }
        match store.replace_signing_keys(&changes).await {
            Ok(()) => return Ok(changes.len()),
            Err(StoreError::NotFound(_)) if attempts < 3 => attempts += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// What [`reseal_signing_keys`] writes, from the keys as they are now.
async fn reseal_changes(
    store: &dyn Store,
    current: Option<&MasterKey>,
    new: Option<&MasterKey>,
) -> Result<Vec<SigningKeyChange>, SealingError> {
    let mut changes = Vec::new();
    for project in store.list_projects().await? {
        let stored = project.signing_key;
        let sealed = is_sealed(&stored);
        let key = if sealed {
            let current = current.ok_or_else(|| SealingError::NoMasterKey {
                project_id: project.id.clone(),
            })?;
            current
                .open(&project.id, &stored)
                .map_err(|WrongMasterKey| SealingError::WrongMasterKey {
                    project_id: project.id.clone(),
                })?
        } else {
            stored.clone()
        };
        let next = match new {
            Some(new) if sealed && current == Some(new) => continue,
            Some(new) => new.seal(&project.id, &key),
            None if sealed => key,
            None => continue,
        };
        changes.push(SigningKeyChange {
            project_id: project.id,
            stored,
            next,
        });
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::postgres::scratch::ScratchSchema;
    use crate::store::sqlite::SqliteStore;

    #[test]
    fn a_sealed_key_opens_only_with_its_master_key_and_project() {
        let master = MasterKey::generate();
        let key = b"0\x81\x87 a PKCS#8 key".to_vec();
        let sealed = master.seal("p1", &key);
        assert!(is_sealed(&sealed) && !is_sealed(&key));
        assert!(!sealed.windows(key.len()).any(|w| w == key), "encrypted");
        assert_ne!(master.seal("p1", &key), sealed, "a fresh nonce each time");
        assert_eq!(master.open("p1", &sealed).unwrap(), key);
        assert!(master.open("p2", &sealed).is_err(), "another project's row");
        assert!(MasterKey::generate().open("p1", &sealed).is_err());
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(master.open("p1", &altered).is_err());
        assert!(master.open("p1", SEALED_PREFIX).is_err(), "too short");
    }

    #[test]
    fn a_master_key_is_32_bytes_of_base64() {
        let master = MasterKey::generate();
        let text = master.to_base64();
        assert_eq!(text.len(), 44);
        assert_eq!(MasterKey::parse(&format!(" {text}\n")).unwrap(), master);
        assert!(matches!(
            MasterKey::parse("c2hvcnQ="),
            Err(MasterKeyError::Length(5))
        ));
        assert!(matches!(
            MasterKey::parse("not base64!"),
            Err(MasterKeyError::NotBase64(_))
        ));
        assert_eq!(format!("{master:?}"), "MasterKey(…)");
    }

    #[tokio::test]
    async fn a_service_with_a_master_key_seals_new_keys_and_signs_with_them() {
        use crate::service::testing::headers;
        use crate::service::{RequestHeaders, Service, ServiceConfig, SystemClock};
        use std::sync::Arc;
        let store = Arc::new(SqliteStore::open_in_memory().await.unwrap());
        let config = ServiceConfig {
            master_key: Some(MasterKey::generate()),
            ..ServiceConfig::default()
        };
        let outbox = std::env::temp_dir().join(format!("cc-sealing-{}", uuid::Uuid::new_v4()));
        let mailer = Arc::new(crate::mail::OutboxMailer::new(outbox));
        let service = Service::new(store.clone(), mailer, Arc::new(SystemClock), config);
        let keys = service.create_project("p", false).await.unwrap();
        let stored = store.get_project(&keys.project_id).await.unwrap().unwrap();
        assert!(is_sealed(&stored.signing_key));

        let server = service
            .authenticate(&headers(&keys, "server"))
            .await
            .unwrap();
        let user = service.create_user(&server, None).await.unwrap().id;
        let session = service
            .create_session(&server, &user.to_string(), None)
            .await
            .unwrap();
        let client = RequestHeaders {
            access_token: Some(session.access_token),
            ..headers(&keys, "client")
        };
        assert_eq!(
            service.authenticate(&client).await.unwrap().user_id,
            Some(user)
        );
    }

    #[tokio::test]
    async fn resealing_on_sqlite() {
        resealing_seals_checks_rotates_and_refuses_a_wrong_key(
            &SqliteStore::open_in_memory().await.unwrap(),
        )
        .await;
    }

    #[tokio::test]
    async fn resealing_on_postgres() {
        let Some(schema) = ScratchSchema::for_test().await else {
            return;
        };
        let store = schema.open().await.unwrap();
        resealing_seals_checks_rotates_and_refuses_a_wrong_key(&store).await;
    }

    async fn resealing_seals_checks_rotates_and_refuses_a_wrong_key(store: &dyn Store) {
        let (clear, _) = super::super::auth::new_project("clear", false, 1);
        store.create_project(&clear).await.unwrap();
        let stored =
            |id: String| async move { store.get_project(&id).await.unwrap().unwrap().signing_key };
        assert_eq!(reseal_signing_keys(store, None, None).await.unwrap(), 0);

        let first = MasterKey::generate();
        let once = Some(&first);
        assert_eq!(reseal_signing_keys(store, once, once).await.unwrap(), 1);
        let sealed = stored(clear.id.clone()).await;
        use p256::pkcs8::DecodePrivateKey;
        assert!(p256::ecdsa::SigningKey::from_pkcs8_der(&clear.signing_key).is_ok());
        assert!(
            p256::ecdsa::SigningKey::from_pkcs8_der(&sealed).is_err(),
            "what the database holds is no key without the master key"
        );
        assert_eq!(first.open(&clear.id, &sealed).unwrap(), clear.signing_key);
        assert_eq!(reseal_signing_keys(store, once, once).await.unwrap(), 0);
        assert_eq!(
            stored(clear.id.clone()).await,
            sealed,
            "checked, not rewritten"
        );

        let wrong = MasterKey::generate();
        let refused = reseal_signing_keys(store, Some(&wrong), Some(&wrong)).await;
        assert!(matches!(refused, Err(SealingError::WrongMasterKey { .. })));
        let refused = reseal_signing_keys(store, None, None).await;
        assert!(matches!(refused, Err(SealingError::NoMasterKey { .. })));
        assert_eq!(stored(clear.id.clone()).await, sealed, "nothing changed");

        let second = MasterKey::generate();
        assert_eq!(
            reseal_signing_keys(store, once, Some(&second))
                .await
                .unwrap(),
            1
        );
        let rotated = stored(clear.id.clone()).await;
        assert_eq!(second.open(&clear.id, &rotated).unwrap(), clear.signing_key);
        assert!(first.open(&clear.id, &rotated).is_err());
    }
}

//! Email verification: codes, trusted callback URLs, and the rules for using a code.
//!
//! A code is 45 random characters of Crockford's base32 alphabet, lowercase. Its first
//! [`PREFIX_LEN`] characters find the stored row; only the SHA-256 of the whole code is stored,
//! so a leaked database leaks no usable code. A guess that matches a prefix but not the hash
//! counts against that code, which locks after [`MAX_FAILED_ATTEMPTS`].

use super::auth::{hash_secret, Caller};
use super::{Service, ServiceError};
use crate::mail::Email;
use crate::store::{ChannelRecord, CodeAction, CodeRecord, NewVerificationCode};
use rand::RngCore;
use std::net::IpAddr;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use url::Url;

/// Characters of a code.
pub const CODE_LEN: usize = 45;
/// Characters that identify a code's row.
pub const PREFIX_LEN: usize = 10;
/// Wrong guesses after which a code is locked.
pub const MAX_FAILED_ATTEMPTS: u32 = 20;
/// How long a code is valid.
pub const CODE_TTL_MILLIS: i64 = 7 * 24 * 60 * 60 * 1000;
/// Crockford's base32 alphabet, lowercase (no i, l, o, u).
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A new random code.
fn new_code() -> String {
    let mut bytes = [0u8; CODE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    // 256 is a multiple of 32, so every character is equally likely.
    bytes
        .iter()
        .map(|b| ALPHABET[(b % 32) as usize] as char)
        .collect()
}

/// Checks the shape of a code a client sent, and lowercases it (Crockford's base32 is
/// case-insensitive).
fn parse_code(code: &str) -> Result<String, ServiceError> {
    let code = code.to_ascii_lowercase();
    if code.len() != CODE_LEN || !code.bytes().all(|b| ALPHABET.contains(&b)) {
        return Err(ServiceError::InvalidInput(format!(
            "code: must be {CODE_LEN} characters of Crockford's base32 alphabet"
        )));
    }
    Ok(code)
}

/// Whether `url` may receive a verification link for a project.
fn is_trusted(url: &Url, trusted_domains: &[String], allow_localhost: bool) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if allow_localhost && matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
        return true;
    }
    trusted_domains.iter().any(|domain| {
        let Ok(trusted) = Url::parse(&domain.replace("*.", "wildcard.")) else {
            return false;
        };
        let Some(trusted_host) = trusted.host_str() else {
            return false;
        };
        let host_matches = match domain.contains("*.") {
            true => trusted_host
                .strip_prefix("wildcard")
                .is_some_and(|suffix| host.ends_with(suffix) && host.len() > suffix.len()),
            false => host == trusted_host,
        };
        host_matches
            && url.scheme() == trusted.scheme()
            && url.port_or_known_default() == trusted.port_or_known_default()
    })
}

/// The link in the email: the callback URL with `code=<code>` added to its query.
fn verification_link(callback: &Url, code: &str) -> String {
    let mut link = callback.clone();
    // A `code` already in the callback would be read instead of ours by most frameworks.
    let kept: Vec<(String, String)> = callback
        .query_pairs()
        .filter(|(k, _)| k != "code")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    link.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("code", code);
    link.to_string()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The verification email.
fn verification_email(to: &str, project_name: &str, link: &str) -> Email {
    let subject = format!("Verify your email at {project_name}");
    let text = format!(
        "Hi,\n\nPlease verify your email address for {project_name} by opening this link:\n\n{link}\n\n\
         The link is valid for 7 days. If you did not ask for it, ignore this email.\n"
    );
    let (name, href) = (html_escape(project_name), html_escape(link));
    let html = format!(
        "<p>Hi,</p><p>Please verify your email address for {name} by opening this link:</p>\
         <p><a href=\"{href}\">{href}</a></p>\
         <p>The link is valid for 7 days. If you did not ask for it, ignore this email.</p>"
    );
    Email {
        to: to.to_owned(),
        subject,
        text,
        html,
    }
}

/// What a code is worth, from the code and its channel as stored.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Locked,
    WrongCode,
    Used,
    Expired,
    ChannelGone,
    Outdated,
    AlreadyVerified,
    Valid,
}

fn judge(
    code: &CodeRecord,
    channel: Option<&ChannelRecord>,
    hash: &[u8],
    now_millis: i64,
) -> Verdict {
    if code.failed_attempts >= MAX_FAILED_ATTEMPTS {
        return Verdict::Locked;
    }
    if !bool::from(code.hash.as_slice().ct_eq(hash)) {
        return Verdict::WrongCode;
    }
    if code.used {
        return Verdict::Used;
    }
    if now_millis >= code.expires_at_millis {
        return Verdict::Expired;
    }
    let Some(channel) = channel else {
        return Verdict::ChannelGone;
    };
    if channel.value != code.value {
        return Verdict::Outdated;
    }
    if channel.is_verified {
        return Verdict::AlreadyVerified;
    }
    Verdict::Valid
}

impl Verdict {
    fn action(&self, consume: bool) -> CodeAction {
        match self {
            Verdict::WrongCode => CodeAction::CountFailure,
            Verdict::Valid if consume => CodeAction::Consume,
            _ => CodeAction::Nothing,
        }
    }

    fn into_result(self) -> Result<(), ServiceError> {
        match self {
            Verdict::Valid => Ok(()),
            Verdict::Locked => Err(ServiceError::VerificationCodeMaxAttemptsReached),
            // A wrong guess looks exactly like an unknown code.
            Verdict::WrongCode => Err(ServiceError::VerificationCodeNotFound),
            Verdict::Used => Err(ServiceError::VerificationCodeAlreadyUsed),
            Verdict::Expired => Err(ServiceError::VerificationCodeExpired),
            Verdict::ChannelGone => Err(ServiceError::ContactChannelNotFound),
            Verdict::Outdated => Err(ServiceError::VerificationCodeOutdated),
            Verdict::AlreadyVerified => Err(ServiceError::EmailAlreadyVerified),
        }
    }
}

impl Service {
    /// Emails a verification link for a channel, within the configured send limits. The code
    /// is stored before the email is sent, and removed again if sending fails (so an email that
    /// never left does not count against the limits).
    pub async fn send_verification_code(
        &self,
        caller: &Caller,
        user_id: &str,
        channel_id: &str,
        callback_url: &str,
    ) -> Result<(), ServiceError> {
        let callback = Url::parse(callback_url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
            .ok_or_else(|| {
                ServiceError::InvalidInput(format!(
                    "callback_url: {callback_url:?} is not an http(s) URL"
                ))
            })?;
        let channel = self.get_channel(caller, user_id, channel_id).await?;
        let project = self
            .store
            .get_project(&caller.project.id)
            .await?
            .ok_or_else(|| ServiceError::CurrentProjectNotFound(caller.project.id.clone()))?;
        if !is_trusted(&callback, &project.trusted_domains, project.allow_localhost) {
            return Err(ServiceError::RedirectUrlNotWhitelisted);
        }
        if channel.is_verified {
            return Err(ServiceError::EmailAlreadyVerified);
        }
        let code = new_code();
        let now = self.clock.now_millis();
        let record = NewVerificationCode {
            prefix: code[..PREFIX_LEN].to_owned(),
            hash: hash_secret(&code),
            user_id: channel.user_id,
            channel_id: channel.id,
            value: channel.value.clone(),
            created_at_millis: now,
            expires_at_millis: now + CODE_TTL_MILLIS,
        };
        // Over a limit, nothing is stored and no email goes out.
        self.store
            .create_verification_code(&project.id, &record, &self.config.email_limits)
            .await?;
        let email = verification_email(
            &channel.value,
            &project.display_name,
            &verification_link(&callback, &code),
        );
        if let Err(e) = self.mailer.send(&email).await {
            tracing::warn!(error = %e, channel = %channel.id, "verification email not delivered");
            self.store
                .delete_verification_code(&project.id, &record.prefix)
                .await?;
            return Err(ServiceError::EmailDeliveryFailed(e));
        }
        Ok(())
    }

    /// Verifies the channel a code was sent to, consuming the code. `client` is the address
    /// the request came from, for the failed-guess limits.
    pub async fn verify_code(
        &self,
        caller: &Caller,
        code: &str,
        client: IpAddr,
    ) -> Result<(), ServiceError> {
        self.use_code(caller, code, true, client).await
    }

    /// Whether a code would verify, without consuming it (wrong guesses still count, against
    /// the code and against the failed-guess limits).
    pub async fn check_code(
        &self,
        caller: &Caller,
        code: &str,
        client: IpAddr,
    ) -> Result<(), ServiceError> {
        self.use_code(caller, code, false, client).await
    }

    async fn use_code(
        &self,
        caller: &Caller,
        code: &str,
        consume: bool,
        client: IpAddr,
    ) -> Result<(), ServiceError> {
        let project_id = &caller.project.id;
        self.guesses.admit(client, project_id)?;
        let result = self.try_code(project_id, code, consume).await;
        if let Err(
            ServiceError::VerificationCodeNotFound
            | ServiceError::VerificationCodeMaxAttemptsReached,
        ) = result
        {
            self.guesses.fail(client, project_id)?;
        }
        result
    }

    async fn try_code(
        &self,
        project_id: &str,
        code: &str,
        consume: bool,
    ) -> Result<(), ServiceError> {
        let code = parse_code(code)?;
        let hash = hash_secret(&code);
        let now = self.clock.now_millis();
        let decide = {
            let hash = hash.clone();
            Arc::new(
                move |record: &CodeRecord, channel: Option<&ChannelRecord>| {
                    judge(record, channel, &hash, now).action(consume)
                },
            )
        };
        let found = self
            .store
            .use_verification_code(project_id, &code[..PREFIX_LEN], now, decide)
            .await?;
        let (record, channel, _) = found.ok_or(ServiceError::VerificationCodeNotFound)?;
        judge(&record, channel.as_ref(), &hash, now).into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_45_crockford_characters() {
        let code = new_code();
        assert_eq!(code.len(), CODE_LEN);
        assert_eq!(parse_code(&code).unwrap(), code);
        assert_eq!(parse_code(&code.to_uppercase()).unwrap(), code);
        assert_ne!(new_code(), code);
        assert!(parse_code(&code[1..]).is_err());
        assert!(
            parse_code(&format!("{}u", &code[1..])).is_err(),
            "u is not in the alphabet"
        );
    }

    #[test]
    fn callback_urls_must_be_trusted() {
        let trusted = vec![
            "https://app.example.com".to_owned(),
            "https://*.example.org".to_owned(),
        ];
        let ok =
            |url: &str, localhost: bool| is_trusted(&Url::parse(url).unwrap(), &trusted, localhost);
        assert!(ok("https://app.example.com/verify?x=1", false));
        assert!(
            !ok("http://app.example.com/verify", false),
            "scheme must match"
        );
        assert!(
            !ok("https://app.example.com:8443/verify", false),
            "port must match"
        );
        assert!(!ok("https://evil.com/?https://app.example.com", false));
        assert!(!ok("https://app.example.com.evil.com/", false));
        assert!(ok("https://a.example.org/", false));
        assert!(ok("https://a.b.example.org/", false));
        assert!(
            !ok("https://example.org/", false),
            "a wildcard needs a subdomain"
        );
        assert!(!ok("https://badexample.org/", false));
        assert!(!ok("http://localhost:3000/cb", false));
        assert!(ok("http://localhost:3000/cb", true));
    }

    #[test]
    fn the_link_replaces_a_code_already_in_the_callback() {
        let url = Url::parse("https://app.example.com/v?code=evil&x=1&code=worse").unwrap();
        assert_eq!(
            verification_link(&url, "abc"),
            "https://app.example.com/v?x=1&code=abc"
        );
    }

    #[test]
    fn the_link_keeps_the_callback_query() {
        let url = Url::parse("https://app.example.com/verify?next=%2Fhome#top").unwrap();
        assert_eq!(
            verification_link(&url, "abc"),
            "https://app.example.com/verify?next=%2Fhome&code=abc#top"
        );
    }
}

//! The contact-channel server: HTTP adapter ([`http`]) → rules ([`service`]) → storage
//! ([`store`]). See ARCHITECTURE.md for the map.

pub mod docs;
pub mod http;
pub mod mail;
pub mod ops;
pub mod server;
pub mod service;
pub mod store;

/// A URL with its password replaced by `***`, for messages and logs.
pub(crate) fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

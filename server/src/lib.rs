//! The contact-channel server: HTTP adapter ([`http`]) → rules ([`service`]) → storage
//! ([`store`]). See ARCHITECTURE.md for the map.

pub mod docs;
pub mod files;
pub mod http;
pub mod mail;
pub mod ops;
pub mod server;
pub mod service;
pub mod store;
pub mod sweep;

/// Says that a test did not run, and why, as one line `skipped: <why>` on stderr past the test
/// harness's capture: a skipped test shows in the output, and `.ci/run` counts these lines as
/// skipped rather than passed.
#[doc(hidden)]
pub fn report_skipped_test(why: &str) {
    use std::io::Write;
    // One write, so that lines of tests running in parallel do not interleave.
    let _ = std::io::stderr().write_all(format!("skipped: {why}\n").as_bytes());
}

/// A URL with its password replaced by `***`, for messages and logs.
pub fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

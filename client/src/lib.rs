//! Typed Rust client for the contact-channel API.
//!
//! [`generated`] is progenitor's output for `openapi/contact-channels.json`, checked in and never
//! edited by hand (`cargo xtask generate` rewrites it, `cargo xtask check` proves it fresh).
//! [`config`] adds what the spec cannot carry: Stack Auth's authentication headers. With the
//! `mock` feature, `mock` has progenitor's typed [httpmock](https://docs.rs/httpmock) helpers, one
//! `When`/`Then` pair per operation, generated and checked the same way, for testing code that
//! calls the API without a server.

pub mod config;
mod generated;
#[cfg(feature = "mock")]
pub mod mock;

pub use config::{AccessType, ClientConfig};
pub use generated::*;

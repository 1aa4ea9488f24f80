//! Typed Rust client for the contact-channel API.
//!
//! [`generated`] is progenitor's output for `openapi/contact-channels.json`, checked in and never
//! edited by hand (`cargo xtask generate` rewrites it, `cargo xtask check` proves it fresh).
//! [`config`] adds what the spec cannot carry: Stack Auth's authentication headers.

pub mod config;
mod generated;

pub use config::{AccessType, ClientConfig};
pub use generated::*;

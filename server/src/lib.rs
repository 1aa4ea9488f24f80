//! The contact-channel server: HTTP adapter ([`http`]) → rules ([`service`]) → storage
//! ([`store`]). See ARCHITECTURE.md for the map.

pub mod http;
pub mod mail;
pub mod server;
pub mod service;
pub mod store;

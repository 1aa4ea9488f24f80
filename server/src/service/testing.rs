//! What the service's unit tests share: a service over in-memory SQLite with a clock moved by
//! hand, and the headers of its project.

use super::{Clock, ProjectKeys, RequestHeaders, Service, ServiceConfig};
use crate::store::sqlite::SqliteStore;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// A clock the test sets.
pub(super) struct TestClock(pub(super) AtomicI64);

impl Clock for TestClock {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A service with one project, its keys, and its clock.
pub(super) async fn service() -> (Service, ProjectKeys, Arc<TestClock>) {
    let store = Arc::new(SqliteStore::open_in_memory().await.unwrap());
    let clock = Arc::new(TestClock(AtomicI64::new(1_800_000_000_000)));
    let outbox = std::env::temp_dir().join(format!("cc-service-outbox-{}", Uuid::new_v4()));
    let mailer = Arc::new(crate::mail::OutboxMailer::new(outbox));
    let service = Service::new(store, mailer, clock.clone(), ServiceConfig::default());
    let keys = service.create_project("Test", true).await.unwrap();
    (service, keys, clock)
}

/// Headers with every key of the project and the access type `access`.
pub(super) fn headers(keys: &ProjectKeys, access: &str) -> RequestHeaders {
    RequestHeaders {
        project_id: Some(keys.project_id.clone()),
        access_type: Some(access.into()),
        publishable_client_key: Some(keys.publishable_client_key.clone()),
        secret_server_key: Some(keys.secret_server_key.clone()),
        super_secret_admin_key: Some(keys.super_secret_admin_key.clone()),
        ..Default::default()
    }
}

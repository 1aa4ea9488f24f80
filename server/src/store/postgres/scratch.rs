//! Throwaway schemas: a database of its own, inside a shared one, for each test or benchmark run.

use super::*;

/// The variable that names the PostgreSQL database tests use; `.ci/run` sets it.
pub const TEST_URL_VAR: &str = "CONTACT_CHANNELS_TEST_POSTGRES_URL";

/// A schema with a fresh name, removed with everything in it when dropped.
pub struct ScratchSchema {
    base: String,
    name: String,
    url: String,
}

impl ScratchSchema {
    /// Creates a schema in the database at `base` (a `postgres://` URL).
    pub async fn create(base: &str) -> Result<Self, StoreError> {
        let name = format!("cc_scratch_{}", Uuid::new_v4().simple());
        let admin = PgPool::connect(base).await.map_err(backend)?;
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&admin)
            .await
            .map_err(backend)?;
        admin.close().await;
        let mut url = url::Url::parse(base).map_err(|e| StoreError::Backend(Box::new(e)))?;
        url.query_pairs_mut()
            .append_pair("options", &format!("-c search_path={name}"));
        Ok(ScratchSchema {
            base: base.to_owned(),
            name,
            url: url.into(),
        })
    }

    /// A schema in the database [`TEST_URL_VAR`] names; `None`, said on stderr past cargo's
    /// capture, when the variable is unset, so that a skipped test is visible.
    pub async fn for_test() -> Option<Self> {
        let Ok(base) = std::env::var(TEST_URL_VAR) else {
            crate::report_skipped_test(&format!("set {TEST_URL_VAR} to run the PostgreSQL tests"));
            return None;
        };
        Some(Self::create(&base).await.expect("create a scratch schema"))
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of the schema: the base URL, with the schema as its search path.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A store on the schema, migrated.
    pub async fn open(&self) -> Result<PgStore, StoreError> {
        PgStore::open(&self.url, &PgSettings::default()).await
    }
}

impl Drop for ScratchSchema {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // Dropping runs inside a caller's async runtime, which cannot block on itself: the
        // schema is removed from a thread and a runtime of its own.
        let removed = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = PgPool::connect(&base).await?;
                sqlx::query(&format!("DROP SCHEMA {name} CASCADE"))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if !matches!(removed, Ok(Ok(()))) {
            tracing::warn!(schema = %self.name, "a scratch schema could not be removed");
        }
    }
}

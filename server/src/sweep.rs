//! The sweep: a periodic task that deletes expired verification codes and refresh tokens, a
//! small batch at a time, and counts what it removed for `/metrics`.
//!
//! The send limits count recent codes from the table; a code expires a week after it was sent,
//! long after the limits' window (an hour) has passed it, so the sweep never changes a count.

use crate::ops::Ops;
use crate::service::Clock;
use crate::store::{Store, StoreError, Swept};
use std::sync::Arc;
use std::time::Duration;

/// Most rows of each kind one batch deletes: a transaction short enough that requests' writes
/// barely wait for it.
pub const BATCH: u32 = 500;

/// Deletes what has expired, by the service's clock.
pub struct Sweeper {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub ops: Arc<Ops>,
    /// Most rows of each kind per batch ([`BATCH`] when serving).
    pub batch: u32,
}

impl Sweeper {
    /// Deletes every row that has expired by now, batch after batch, counting each; what it
    /// deleted in all.
    pub async fn sweep(&self) -> Result<Swept, StoreError> {
        let now = self.clock.now_millis();
        let mut total = Swept::default();
        loop {
            let swept = self.store.sweep_expired(now, self.batch).await?;
            self.ops.count_swept(swept);
            total.verification_codes += swept.verification_codes;
            total.refresh_tokens += swept.refresh_tokens;
            let batch = u64::from(self.batch);
            if swept.verification_codes < batch && swept.refresh_tokens < batch {
                return Ok(total);
            }
            // Between batches, let the requests waiting for the database go first.
            tokio::task::yield_now().await;
        }
    }

    /// Sweeps every `interval`, the first time at once, until the task is aborted. A failed
    /// sweep (the database down) is logged and tried again at the next interval.
    pub fn spawn(self, interval: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(e) = self.sweep().await {
                    tracing::warn!(error = %e, "sweeping expired codes and refresh tokens failed");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::OpsConfig;
    use crate::store::postgres::scratch::ScratchSchema;
    use crate::store::sqlite::SqliteStore;
    use std::sync::atomic::{AtomicI64, Ordering};

    /// A clock the test moves.
    struct ManualClock(AtomicI64);

    impl Clock for ManualClock {
        fn now_millis(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// Five refresh tokens and three codes expire an hour from now, one token and one code a
    /// day from now; a sweep of batches of 2 deletes them only once the clock passes them, all
    /// of them in one sweep, and `/metrics` counts them.
    async fn sweeps_what_expired_by_the_clock(store: Arc<dyn Store>) {
        const HOUR: i64 = 60 * 60 * 1000;
        let start = 1_800_000_000_000;
        let clock = Arc::new(ManualClock(AtomicI64::new(start)));
        let (project, _) = crate::service::auth::new_project("p", false, start);
        store.create_project(&project).await.unwrap();
        let user = uuid::Uuid::new_v4();
        store
            .create_user(&project.id, user, None, start)
            .await
            .unwrap();
        for n in 0u8..6 {
            let expires = start + if n < 5 { HOUR } else { 24 * HOUR };
            store
                .create_refresh_token(&project.id, user, &[n; 32], expires)
                .await
                .unwrap();
        }
        for n in 0u8..4 {
            let code = crate::store::NewVerificationCode {
                prefix: format!("c{n}"),
                hash: vec![n; 32],
                user_id: user,
                channel_id: uuid::Uuid::new_v4(),
                value: "a@x.io".into(),
                created_at_millis: start,
                expires_at_millis: start + if n < 3 { HOUR } else { 24 * HOUR },
            };
            store
                .create_verification_code(&project.id, &code, &Default::default())
                .await
                .unwrap();
        }
        let ops = Arc::new(Ops::new(store.clone(), OpsConfig::default()));
        let sweeper = Sweeper {
            store: store.clone(),
            clock: clock.clone(),
            ops: ops.clone(),
            batch: 2,
        };
        assert_eq!(sweeper.sweep().await.unwrap(), Swept::default());

        clock.0.store(start + HOUR, Ordering::SeqCst);
        let swept = Swept {
            verification_codes: 3,
            refresh_tokens: 5,
        };
        assert_eq!(sweeper.sweep().await.unwrap(), swept);
        assert_eq!(sweeper.sweep().await.unwrap(), Swept::default());
        let metrics = ops.render();
        for line in [
            "contact_channels_swept_rows_total{kind=\"verification_code\"} 3",
            "contact_channels_swept_rows_total{kind=\"refresh_token\"} 5",
        ] {
            assert!(metrics.contains(line), "{line} in {metrics}");
        }
        let live = store
            .get_refresh_token(&project.id, &[5; 32])
            .await
            .unwrap();
        assert!(live.is_some(), "the token that lives a day stays");
    }

    /// What the module's doc relies on: a swept code is outside every send limit's window.
    #[test]
    fn codes_expire_after_the_send_limits_window() {
        let window = crate::store::SendLimits::default().window_millis;
        assert!(window < crate::service::verification::CODE_TTL_MILLIS);
    }

    #[tokio::test]
    async fn sweeps_on_sqlite() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        sweeps_what_expired_by_the_clock(Arc::new(store)).await;
    }

    #[tokio::test]
    async fn sweeps_on_postgres() {
        let Some(schema) = ScratchSchema::for_test().await else {
            return;
        };
        let store = schema.open().await.unwrap();
        sweeps_what_expired_by_the_clock(Arc::new(store)).await;
    }
}

//! Failed guesses at verification codes (`verify` and `check-code` with a wrong or unknown
//! code), limited per client address and per project.
//!
//! The limits are GCRA rate limiters (`governor`) in this instance's memory: cheap on the
//! request path, but each instance counts its own, so N instances allow N times as many, and a
//! restart forgets. That is enough to slow a guesser down: a code has 45 random characters, and
//! each code also locks itself after 20 wrong guesses, in the database.
//!
//! An attempt first looks whether the client and the project have a guess left, without using
//! one; only a failed attempt then uses one. So correct codes never count, and a client that is
//! out of guesses gets 429 even for a correct code: a guesser learns nothing while limited.

use super::config::Clock;
use super::ServiceError;
use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::{NotKeyed, StateStore};
use governor::{NotUntil, Quota, RateLimiter};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How many failed guesses a minute each client address, and each project, may make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuessLimits {
    pub per_address: NonZeroU32,
    pub per_project: NonZeroU32,
}

impl Default for GuessLimits {
    fn default() -> Self {
        GuessLimits {
            per_address: NonZeroU32::new(30).expect("not zero"),
            per_project: NonZeroU32::new(300).expect("not zero"),
        }
    }
}

/// The failed-guess limiters of one instance.
pub(super) struct Guesses {
    per_address: Limiter<IpAddr>,
    per_project: Limiter<String>,
    clock: ServiceClock,
}

impl Guesses {
    pub(super) fn new(limits: GuessLimits, clock: Arc<dyn Clock>) -> Self {
        let clock = ServiceClock(clock);
        Guesses {
            per_address: Limiter::new(limits.per_address, clock.clone()),
            per_project: Limiter::new(limits.per_project, clock.clone()),
            clock,
        }
    }

    /// Refuses an attempt when the client or the project has no failed guess left.
    pub(super) fn admit(&self, client: IpAddr, project_id: &str) -> Result<(), ServiceError> {
        self.per_address
            .look(&address_key(client))
            .map_err(|until| self.refusal("failed_guesses_per_address", &until))?;
        self.per_project
            .look(project_id)
            .map_err(|until| self.refusal("failed_guesses_per_project", &until))
    }

    /// Counts a failed guess against the client and the project. Refused when concurrent
    /// guesses, all admitted, used the last one first.
    pub(super) fn fail(&self, client: IpAddr, project_id: &str) -> Result<(), ServiceError> {
        let address = self.per_address.take(address_key(client));
        let project = self.per_project.take(project_id.to_owned());
        address.map_err(|until| self.refusal("failed_guesses_per_address", &until))?;
        project.map_err(|until| self.refusal("failed_guesses_per_project", &until))
    }

    fn refusal(&self, limit: &'static str, until: &NotUntil<Duration>) -> ServiceError {
        ServiceError::RateLimited {
            limit,
            retry_after: until.wait_time_from(self.clock.now()),
        }
    }
}

/// The key of a client address: IPv6 clients by their /64, which one host usually has whole.
fn address_key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
        v4 => v4,
    }
}

/// One keyed limiter: each key's state is read (`Look`) or used (`Take`) through one
/// `governor` rate limiter, so both see the same clock origin and the same state.
struct Limiter<K: Hash + Eq + Clone> {
    limiter: RateLimiter<(Use, K), Ledger<K>, ServiceClock, NoOpMiddleware<Duration>>,
    /// Failed guesses counted, to drop idle keys now and then.
    taken: AtomicU64,
}

/// Every this many failed guesses, keys whose state is back to fresh are dropped, so the map
/// holds only addresses that guessed lately.
const SWEEP_EVERY: u64 = 1024;

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(per_minute: NonZeroU32, clock: ServiceClock) -> Self {
        Limiter {
            limiter: RateLimiter::new(Quota::per_minute(per_minute), Ledger::default(), clock),
            taken: AtomicU64::new(0),
        }
    }

    /// Whether the key has a guess left, using none.
    fn look<Q>(&self, key: &Q) -> Result<(), NotUntil<Duration>>
    where
        Q: ToOwned<Owned = K> + ?Sized,
    {
        self.limiter.check_key(&(Use::Look, key.to_owned()))
    }

    /// Uses one guess of the key.
    fn take(&self, key: K) -> Result<(), NotUntil<Duration>> {
        if self.taken.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&(Use::Take, key))
    }
}

/// Whether a check only reads a key's state or updates it.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum Use {
    Look,
    Take,
}

/// `governor`'s in-memory keyed state, where a `Look` decides on the key's state as it is and
/// leaves it unchanged (and adds no key), and a `Take` updates it as `governor` says.
struct Ledger<K: Hash + Eq + Clone>(DashMapStateStore<K>);

impl<K: Hash + Eq + Clone> Default for Ledger<K> {
    fn default() -> Self {
        Ledger(DashMapStateStore::default())
    }
}

impl<K: Hash + Eq + Clone> StateStore for Ledger<K> {
    type Key = (Use, K);

    fn measure_and_replace<T, F, E>(&self, (use_, key): &(Use, K), f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        match use_ {
            Use::Take => self.0.measure_and_replace(key, f),
            Use::Look => match self.0.get(key) {
                // A stored 0 reads back as no state, as an absent key does.
                Some(state) => state.measure_and_replace(&NotKeyed::NonKey, |tat| {
                    f(tat).map(|(outcome, _)| (outcome, tat.unwrap_or_else(|| 0.into())))
                }),
                None => f(None).map(|(outcome, _)| outcome),
            },
        }
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<(Use, K)> for Ledger<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        self.0.retain_recent(drop_below);
    }

    fn len(&self) -> usize {
        ShrinkableKeyedStateStore::len(&self.0)
    }

    fn is_empty(&self) -> bool {
        ShrinkableKeyedStateStore::is_empty(&self.0)
    }
}

/// The service's clock as `governor` reads it, so tests move both at once.
#[derive(Clone)]
struct ServiceClock(Arc<dyn Clock>);

impl governor::clock::Clock for ServiceClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Duration::from_millis(self.0.now_millis().max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicI64;

    struct Manual(AtomicI64);

    impl Clock for Manual {
        fn now_millis(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn limits(per_address: u32, per_project: u32) -> GuessLimits {
        GuessLimits {
            per_address: NonZeroU32::new(per_address).unwrap(),
            per_project: NonZeroU32::new(per_project).unwrap(),
        }
    }

    fn limit_of(result: Result<(), ServiceError>) -> Option<(&'static str, Duration)> {
        match result {
            Ok(()) => None,
            Err(ServiceError::RateLimited { limit, retry_after }) => Some((limit, retry_after)),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn looking_uses_no_guess_and_failures_use_one_each() {
        let clock = Arc::new(Manual(AtomicI64::new(1_000_000)));
        let guesses = Guesses::new(limits(3, 100), clock.clone());
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..10 {
            guesses.admit(client, "p").unwrap();
        }
        for _ in 0..3 {
            guesses.admit(client, "p").unwrap();
            guesses.fail(client, "p").unwrap();
        }
        // 3 a minute: one more every 20 s.
        assert_eq!(
            limit_of(guesses.admit(client, "p")),
            Some(("failed_guesses_per_address", Duration::from_secs(20)))
        );
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        guesses.admit(other, "p").unwrap();
        clock.0.fetch_add(20_000, Ordering::SeqCst);
        guesses.admit(client, "p").unwrap();
        guesses.fail(client, "p").unwrap();
        assert!(limit_of(guesses.fail(client, "p")).is_some(), "raced past");
    }

    #[test]
    fn a_project_counts_every_address() {
        let clock = Arc::new(Manual(AtomicI64::new(1_000_000)));
        let guesses = Guesses::new(limits(100, 2), clock);
        for host in 1..=2 {
            let client = IpAddr::from([192, 0, 2, host]);
            guesses.fail(client, "p").unwrap();
        }
        let fresh = IpAddr::from([192, 0, 2, 3]);
        assert_eq!(
            limit_of(guesses.admit(fresh, "p")),
            Some(("failed_guesses_per_project", Duration::from_secs(30)))
        );
        guesses.admit(fresh, "another project").unwrap();
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let key = |text: &str| address_key(text.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::2"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
    }
}

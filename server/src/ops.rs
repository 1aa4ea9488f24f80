//! What operators and load balancers see: liveness, readiness (draining, database reachable) and
//! Prometheus metrics. Outside the API and its spec.

use crate::store::{Store, Swept};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long `/readyz` waits for the database's answer.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SweptLabels {
    kind: &'static str,
}

/// The `tracing` target of the access log.
pub const ACCESS_LOG: &str = "contact_channels::access";

/// What an instance tells operators.
#[derive(Clone, Copy, Debug)]
pub struct OpsConfig {
    /// Count requests for `/metrics`.
    pub metrics: bool,
    /// Log one request in this many to the access log (0: none).
    pub access_log_every: u64,
}

impl Default for OpsConfig {
    fn default() -> Self {
        OpsConfig {
            metrics: true,
            access_log_every: 0,
        }
    }
}

/// The instance's operational state, shared by every request.
pub struct Ops {
    store: Arc<dyn Store>,
    config: OpsConfig,
    /// Requests seen, for sampling the access log.
    seen: AtomicU64,
    draining: AtomicBool,
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<OperationLabels, Histogram>,
    in_flight: Gauge,
    writer_queue: Gauge,
    writer_batch: Gauge,
    pool_connections: Gauge,
    pool_idle: Gauge,
    swept: Family<SweptLabels, Counter>,
}

/// Whether the instance should get traffic, and why not.
#[derive(Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    Draining,
    DatabaseUnavailable,
}

impl Ops {
    /// Fresh state and metrics for an instance on `store`.
    pub fn new(store: Arc<dyn Store>, config: OpsConfig) -> Ops {
        let mut registry = Registry::with_prefix("contact_channels");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by operation and status",
            requests.clone(),
        );
        // 100 µs to about 13 s.
        let latency = Family::<OperationLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                0.0001, 2.0, 18,
            ))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from handler start to the answer, by operation",
            latency.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "Requests being handled",
            in_flight.clone(),
        );
        let stats = store.stats();
        let [writer_queue, writer_batch] = gauges(
            &mut registry,
            stats.writer_queue.is_some(),
            [
                (
                    "sqlite_writer_queue",
                    "Writes waiting for the SQLite writer",
                ),
                (
                    "sqlite_writer_batch",
                    "Writes in the SQLite writer's last transaction",
                ),
            ],
        );
        let [pool_connections, pool_idle] = gauges(
            &mut registry,
            stats.pool_connections.is_some(),
            [
                ("pg_pool_connections", "PostgreSQL connections open"),
                (
                    "pg_pool_idle_connections",
                    "PostgreSQL connections open and idle",
                ),
            ],
        );
        let swept = Family::<SweptLabels, Counter>::default();
        registry.register(
            "swept_rows",
            "Expired rows the sweep deleted, by kind (verification_code, refresh_token)",
            swept.clone(),
        );
        Ops {
            swept,
            store,
            config,
            seen: AtomicU64::new(0),
            draining: AtomicBool::new(false),
            registry,
            requests,
            latency,
            in_flight,
            writer_queue,
            writer_batch,
            pool_connections,
            pool_idle,
        }
    }

    /// Counts a request as started; the guard records it when it ends. `None` when neither
    /// metrics nor the access log want it.
    pub fn start(&self, operation: &'static str) -> Option<InFlight<'_>> {
        let every = self.config.access_log_every;
        let logged = every > 0
            && self
                .seen
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(every);
        if !self.config.metrics && !logged {
            return None;
        }
        if self.config.metrics {
            self.in_flight.inc();
        }
        Some(InFlight {
            ops: self,
            operation,
            started: std::time::Instant::now(),
            logged,
        })
    }

    /// Whether `/metrics` is served.
    pub fn metrics_enabled(&self) -> bool {
        self.config.metrics
    }

    /// From now on `/readyz` answers 503, so that balancers stop sending requests.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Ready unless draining or the database does not answer a trivial query in time.
    pub async fn readiness(&self) -> Readiness {
        if self.draining.load(Ordering::SeqCst) {
            return Readiness::Draining;
        }
        match tokio::time::timeout(READY_TIMEOUT, self.store.ping()).await {
            Ok(Ok(())) => Readiness::Ready,
            _ => Readiness::DatabaseUnavailable,
        }
    }

    /// Counts what a sweep batch deleted.
    pub fn count_swept(&self, swept: Swept) {
        for (kind, rows) in [
            ("verification_code", swept.verification_codes),
            ("refresh_token", swept.refresh_tokens),
        ] {
            self.swept.get_or_create(&SweptLabels { kind }).inc_by(rows);
        }
    }

    /// The metrics in Prometheus' text format.
    pub fn render(&self) -> String {
        let stats = self.store.stats();
        let set = |gauge: &Gauge, value: Option<u64>| {
            gauge.set(value.map_or(0, |v| i64::try_from(v).unwrap_or(i64::MAX)));
        };
        set(&self.writer_queue, stats.writer_queue);
        set(&self.writer_batch, stats.last_batch);
        set(&self.pool_connections, stats.pool_connections.map(|p| p.0));
        set(&self.pool_idle, stats.pool_connections.map(|p| p.1));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

/// Gauges of one engine: registered when the store has them, unregistered (never exported)
/// otherwise.
fn gauges<const N: usize>(
    registry: &mut Registry,
    present: bool,
    names: [(&str, &str); N],
) -> [Gauge; N] {
    names.map(|(name, help)| {
        let gauge = Gauge::default();
        if present {
            registry.register(name, help, gauge.clone());
        }
        gauge
    })
}

/// A request being handled; [`InFlight::finish`] records its status and duration.
pub struct InFlight<'a> {
    ops: &'a Ops,
    operation: &'static str,
    started: std::time::Instant,
    /// Whether this request goes to the access log.
    logged: bool,
}

impl InFlight<'_> {
    /// Records the answer's status; `method` and `request_id` are for the access log.
    pub fn finish(self, status: u16, method: &str, request_id: &str) {
        let ops = self.ops;
        if self.logged {
            // The route's name, not its path: paths carry ids.
            tracing::info!(
                target: ACCESS_LOG,
                request_id,
                method,
                operation = self.operation,
                status,
                latency_us = self.started.elapsed().as_micros() as u64,
            );
        }
        if !ops.config.metrics {
            return;
        }
        ops.requests
            .get_or_create(&RequestLabels {
                operation: self.operation,
                status,
            })
            .inc();
        ops.latency
            .get_or_create(&OperationLabels {
                operation: self.operation,
            })
            .observe(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for InFlight<'_> {
    /// A request that ends, answered or cancelled, is no longer in flight.
    fn drop(&mut self) {
        if self.ops.config.metrics {
            self.ops.in_flight.dec();
        }
    }
}

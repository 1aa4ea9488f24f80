//! The results: a table on stdout and a JSON document, every figure also as a ratio to the
//! reference measured in the same run.

use crate::anchors::Anchors;
use crate::load::Outcome;
use serde_json::{json, Value};

/// One measured workload.
pub struct Measurement {
    /// The workload's name (`reference` for the reference).
    pub name: String,
    pub outcome: Outcome,
    /// Server CPU time (user + system) during the measured window.
    pub cpu_seconds: f64,
    /// Peak resident memory of the server during the workload (warm-up included), KiB.
    pub peak_rss_kib: u64,
}

impl Measurement {
    fn percentile_ms(&self, q: f64) -> f64 {
        self.outcome.latency_us.value_at_quantile(q) as f64 / 1000.0
    }

    fn max_ms(&self) -> f64 {
        self.outcome.latency_us.max() as f64 / 1000.0
    }

    /// Server CPU per answered request, in microseconds.
    fn cpu_us_per_request(&self) -> f64 {
        if self.outcome.requests == 0 {
            return 0.0;
        }
        self.cpu_seconds * 1e6 / self.outcome.requests as f64
    }

    fn json(&self, reference: &Measurement) -> Value {
        json!({
            "name": self.name,
            "requests": self.outcome.requests,
            "errors": self.outcome.errors,
            "first_error": self.outcome.first_error,
            "seconds": self.outcome.elapsed.as_secs_f64(),
            "requests_per_second": self.outcome.rate(),
            "requests_per_second_ratio": self.outcome.rate() / reference.outcome.rate(),
            "latency_ms": {
                "p50": self.percentile_ms(0.5),
                "p90": self.percentile_ms(0.9),
                "p99": self.percentile_ms(0.99),
                "max": self.max_ms(),
            },
            "p99_ratio": self.percentile_ms(0.99) / reference.percentile_ms(0.99),
            "server_cpu_seconds": self.cpu_seconds,
            "server_cpu_us_per_request": self.cpu_us_per_request(),
            "server_cpu_per_request_ratio": self.cpu_us_per_request() / reference.cpu_us_per_request(),
            "server_peak_rss_kib": self.peak_rss_kib,
        })
    }
}

/// Prints the table.
pub fn print_table(reference: &Measurement, workloads: &[Measurement]) {
    println!(
        "{:<14} {:>9} {:>6} {:>7} {:>7} {:>7} {:>7} {:>6} {:>6} {:>6} {:>8} {:>6} {:>8}",
        "workload",
        "req/s",
        "×ref",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "×ref",
        "errors",
        "CPU s",
        "CPU µs/r",
        "×ref",
        "RSS MiB"
    );
    for m in std::iter::once(reference).chain(workloads) {
        println!(
            "{:<14} {:>9.0} {:>6.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>6.2} {:>6} {:>6.2} {:>8.1} {:>6.2} {:>8.1}",
            m.name,
            m.outcome.rate(),
            m.outcome.rate() / reference.outcome.rate(),
            m.percentile_ms(0.5),
            m.percentile_ms(0.9),
            m.percentile_ms(0.99),
            m.max_ms(),
            m.percentile_ms(0.99) / reference.percentile_ms(0.99),
            m.outcome.errors,
            m.cpu_seconds,
            m.cpu_us_per_request(),
            m.cpu_us_per_request() / reference.cpu_us_per_request(),
            m.peak_rss_kib as f64 / 1024.0,
        );
    }
    for m in workloads {
        if let Some(error) = &m.outcome.first_error {
            println!("first error of {}: {error}", m.name);
        }
    }
}

/// The pgbench anchors a workload compares with: a list (paged or not) is a read; a PATCH compares with the
/// store's function it calls, then with the one-row UPDATE; everything else writes.
fn anchors_of<'a>(anchors: &'a Anchors, workload: &Measurement) -> Vec<&'a Measurement> {
    match workload.name.as_str() {
        "list" | "list-paged" => vec![&anchors.select],
        "patch-server" | "patch-client" => vec![&anchors.function, &anchors.update],
        _ => vec![&anchors.update],
    }
}

/// Prints each workload's rate and p99 as ratios to each of its anchors.
pub fn print_anchored(anchors: &Anchors, workloads: &[Measurement]) {
    println!();
    println!(
        "{:<14} {:>9} {:>7} {:<16} {:>9} {:>7} {:>7} {:>7}",
        "workload", "req/s", "p99 ms", "anchor", "tps", "p99 ms", "×rate", "×p99"
    );
    for m in workloads {
        for anchor in anchors_of(anchors, m) {
            println!(
                "{:<14} {:>9.0} {:>7.2} {:<16} {:>9.0} {:>7.2} {:>7.2} {:>7.2}",
                m.name,
                m.outcome.rate(),
                m.percentile_ms(0.99),
                anchor.name,
                anchor.outcome.rate(),
                anchor.percentile_ms(0.99),
                m.outcome.rate() / anchor.outcome.rate(),
                m.percentile_ms(0.99) / anchor.percentile_ms(0.99),
            );
        }
    }
}

/// The JSON document: the settings of the run, the reference, each workload, and on PostgreSQL
/// the pgbench anchors with each workload's ratios to its anchor.
pub fn json(
    settings: Value,
    reference: &Measurement,
    workloads: &[Measurement],
    anchors: Option<&Anchors>,
) -> Value {
    let anchored = anchors.map(|anchors| {
        json!({
            "pgbench_update": anchor_json(&anchors.update),
            "pgbench_select": anchor_json(&anchors.select),
            "pgbench_function": anchor_json(&anchors.function),
            "workloads": workloads.iter().flat_map(|m| {
                anchors_of(anchors, m).into_iter().map(|anchor| json!({
                    "name": m.name,
                    "anchor": anchor.name,
                    "rate_ratio": m.outcome.rate() / anchor.outcome.rate(),
                    "p99_ratio": m.percentile_ms(0.99) / anchor.percentile_ms(0.99),
                }))
            }).collect::<Vec<_>>(),
        })
    });
    json!({
        "settings": settings,
        "reference": reference.json(reference),
        "workloads": workloads.iter().map(|m| m.json(reference)).collect::<Vec<_>>(),
        "anchors": anchored,
    })
}

fn anchor_json(anchor: &Measurement) -> Value {
    json!({
        "transactions": anchor.outcome.requests,
        "seconds": anchor.outcome.elapsed.as_secs_f64(),
        "transactions_per_second": anchor.outcome.rate(),
        "latency_ms": {
            "p50": anchor.percentile_ms(0.5),
            "p90": anchor.percentile_ms(0.9),
            "p99": anchor.percentile_ms(0.99),
            "max": anchor.max_ms(),
        },
    })
}

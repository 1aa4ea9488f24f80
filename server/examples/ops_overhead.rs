//! What the operational layer adds to each request, in nanoseconds: counting it for `/metrics`
//! and sampling it for the access log (written, as JSON, to nowhere). Compare with the CPU time
//! per request that `cargo xtask bench` reports.
//!
//! `cargo run --release -p contact-channels-server --example ops_overhead`

use contact_channels_server::ops::{Ops, OpsConfig};
use contact_channels_server::store::sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Instant;

const REQUESTS: u32 = 2_000_000;
const OPERATIONS: [&str; 4] = [
    "update_contact_channel",
    "list_contact_channels",
    "get_contact_channel",
    "create_contact_channel",
];

#[tokio::main(flavor = "current_thread")]
async fn main() {
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::sink)
        .init();
    let store = Arc::new(SqliteStore::open_in_memory().await.unwrap());
    let configs = [
        ("nothing (--metrics false)", false, 0),
        ("metrics (the default)", true, 0),
        ("metrics, access log 1%", true, 100),
        ("metrics, access log 100%", true, 1),
    ];
    for (name, metrics, access_log_every) in configs {
        let ops = Ops::new(
            store.clone(),
            OpsConfig {
                metrics,
                access_log_every,
            },
        );
        let mut best = f64::MAX;
        // The fastest of five rounds: the least disturbed by the rest of the machine.
        for _ in 0..5 {
            let started = Instant::now();
            for i in 0..REQUESTS {
                if let Some(request) = ops.start(OPERATIONS[i as usize % OPERATIONS.len()]) {
                    request.finish(200, "PATCH", "9c0e5a2e-43a5-4a8d-a4f5-0f4b3f4c2a17");
                }
            }
            best = best.min(started.elapsed().as_nanos() as f64 / f64::from(REQUESTS));
        }
        println!("{name:<28} {best:>8.1} ns per request");
    }
}

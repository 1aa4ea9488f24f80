//! pgbench on the same database, in the same run: what PostgreSQL itself does with a one-row
//! `UPDATE` and a one-row `SELECT` by random id, with as many clients as the workloads have
//! connections. The server's figures on PostgreSQL are given as ratios to these, since on a
//! shared machine the database's own speed moves from run to run.
//!
//! pgbench runs pinned to the load generator's core, as the load generator is, with prepared
//! statements (`-M prepared`, as sqlx prepares) and one thread. Its latency is read from its
//! per-transaction log (`-l`: one line per transaction, the third field the latency in µs), so
//! the percentiles are computed the same way as the workloads'.

use crate::load::Outcome;
use crate::report::Measurement;
use anyhow::{bail, Context, Result};
use hdrhistogram::Histogram;
use sqlx::{Connection, Executor, PgConnection};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The pgbench anchors of one run.
pub struct Anchors {
    /// `UPDATE anchor SET n = n + 1 WHERE id = :id`, one transaction each.
    pub update: Measurement,
    /// `SELECT n FROM anchor WHERE id = :id`.
    pub select: Measurement,
}

/// How pgbench runs.
pub struct Settings<'a> {
    /// The database, as given to `--database`.
    pub url: &'a str,
    /// The benchmark's schema, where the anchor table goes.
    pub schema: &'a str,
    /// Rows of the table (one per channel the workloads touch).
    pub rows: usize,
    pub clients: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub core: usize,
}

/// Creates the table, then runs each anchor for a warm-up and a logged measured window.
pub async fn measure(settings: &Settings<'_>) -> Result<Anchors> {
    let table = format!("{}.anchor", settings.schema);
    let mut connection = PgConnection::connect(settings.url).await?;
    connection
        .execute(
            format!(
                "CREATE TABLE {table} (id INTEGER PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0);
                 INSERT INTO {table} (id) SELECT generate_series(1, {});
                 ANALYZE {table};",
                settings.rows
            )
            .as_str(),
        )
        .await?;
    connection.close().await?;
    let dir = std::env::temp_dir().join(format!("contact-channels-pgbench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let run = |name: &str, statement: String| -> Result<Measurement> {
        eprintln!(
            "  {name}: pgbench, {} clients, {:?}",
            settings.clients, settings.duration
        );
        let script = dir.join(format!("{name}.sql"));
        let text = format!("\\set id random(1, {})\n{statement};\n", settings.rows);
        std::fs::write(&script, text)?;
        pgbench(settings, &script, settings.warmup, None)?;
        let prefix = dir.join(name);
        pgbench(settings, &script, settings.duration, Some(&prefix))?;
        let outcome = read_log(&dir, name, settings.duration)?;
        Ok(Measurement {
            name: name.to_owned(),
            outcome,
            cpu_seconds: 0.0,
            peak_rss_kib: 0,
        })
    };
    let anchors = Anchors {
        update: run(
            "pgbench-update",
            format!("UPDATE {table} SET n = n + 1 WHERE id = :id"),
        )?,
        select: run(
            "pgbench-select",
            format!("SELECT n FROM {table} WHERE id = :id"),
        )?,
    };
    std::fs::remove_dir_all(&dir)?;
    Ok(anchors)
}

/// Runs pgbench for `duration` (whole seconds, at least one), logging each transaction to
/// files starting with `log_prefix` when given.
fn pgbench(
    settings: &Settings,
    script: &Path,
    duration: Duration,
    log_prefix: Option<&Path>,
) -> Result<()> {
    let seconds = duration.as_secs_f64().ceil().max(1.0) as u64;
    let mut command = Command::new("taskset");
    command
        .args([
            "-c",
            &settings.core.to_string(),
            "pgbench",
            "-n",
            "-M",
            "prepared",
        ])
        .args(["-j", "1", "-c", &settings.clients.to_string()])
        .args(["-T", &seconds.to_string(), "-f"])
        .arg(script);
    if let Some(prefix) = log_prefix {
        command.arg("-l").arg("--log-prefix").arg(prefix);
    }
    let output = command
        .arg(settings.url)
        .output()
        .context("running pgbench (PostgreSQL's client tools) under taskset")?;
    if !output.status.success() {
        bail!(
            "pgbench failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Counts the transactions in pgbench's log files for `name` and collects their latencies.
fn read_log(dir: &Path, name: &str, duration: Duration) -> Result<Outcome> {
    let mut latency_us = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut requests = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let file = path.file_name().unwrap_or_default().to_string_lossy();
        if !file.starts_with(&format!("{name}.")) || file.ends_with(".sql") {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            let latency: u64 = line
                .split_whitespace()
                .nth(2)
                .and_then(|field| field.parse().ok())
                .with_context(|| format!("a pgbench log line: {line:?}"))?;
            latency_us.saturating_record(latency.max(1));
            requests += 1;
        }
    }
    if requests == 0 {
        bail!("pgbench logged no transaction for {name}");
    }
    Ok(Outcome {
        requests,
        errors: 0,
        latency_us,
        elapsed: Duration::from_secs(duration.as_secs_f64().ceil().max(1.0) as u64),
        first_error: None,
    })
}

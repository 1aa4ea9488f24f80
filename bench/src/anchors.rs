//! pgbench on the same database, in the same run: what PostgreSQL itself does with a one-row
//! `UPDATE` and a one-row `SELECT` by random id, and with the store's own make-primary call
//! (`cc_update_channel`) on the seeded channels in the order `patch-server` sends them, with as
//! many clients as the workloads have connections. The server's figures on PostgreSQL are given
//! as ratios to these, since on a shared machine the database's own speed moves from run to run:
//! against the function, what the server adds to the database's work (HTTP, JSON, keys, driver,
//! pool); against the plain `UPDATE`, how much work a PATCH asks of the database.
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
    /// The store's `cc_update_channel(project, user, channel, NULL, NULL, NULL, TRUE)`, client
    /// `i` on user `i % users`, making each of its channels primary in turn, as `patch-server`.
    pub function: Measurement,
}

/// How pgbench runs.
pub struct Settings<'a> {
    /// The database, as given to `--database`.
    pub url: &'a str,
    /// The benchmark's schema, where the anchor table goes.
    pub schema: &'a str,
    /// The seeded users' ids, each with its channels' ids, in seeding order.
    pub users: &'a [(String, Vec<String>)],
    pub clients: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub core: usize,
}

/// Creates the tables, then runs each anchor for a warm-up and a logged measured window.
pub async fn measure(settings: &Settings<'_>) -> Result<Anchors> {
    let schema = settings.schema;
    let table = format!("{schema}.anchor");
    let calls = format!("{schema}.anchor_patch");
    let per_user = settings
        .users
        .first()
        .map_or(0, |(_, channels)| channels.len());
    let rows = settings.users.len() * per_user;
    let mut connection = PgConnection::connect(settings.url).await?;
    connection
        .execute(
            format!(
                "CREATE TABLE {table} (id INTEGER PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0);
                 INSERT INTO {table} (id) SELECT generate_series(1, {rows});
                 ANALYZE {table};
                 CREATE TABLE {calls} (n INTEGER PRIMARY KEY, project_id TEXT NOT NULL,
                     user_id UUID NOT NULL, id UUID NOT NULL);"
            )
            .as_str(),
        )
        .await?;
    // Row n = u * per_user + c + 1 holds user u's channel c: the arguments of one PATCH.
    let (mut users, mut channels) = (Vec::new(), Vec::new());
    for (user, ids) in settings.users {
        for id in ids {
            users.push(uuid::Uuid::parse_str(user)?);
            channels.push(uuid::Uuid::parse_str(id)?);
        }
    }
    sqlx::query(&format!(
        "INSERT INTO {calls} (n, project_id, user_id, id)
         SELECT ordinality, (SELECT id FROM {schema}.projects), u, c
         FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS t (u, c, ordinality)"
    ))
    .bind(&users)
    .bind(&channels)
    .execute(&mut connection)
    .await?;
    connection
        .execute(format!("ANALYZE {calls}").as_str())
        .await?;
    connection.close().await?;
    let dir = std::env::temp_dir().join(format!("contact-channels-pgbench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let run = |name: &str, script_text: String| -> Result<Measurement> {
        eprintln!(
            "  {name}: pgbench, {} clients, {:?}",
            settings.clients, settings.duration
        );
        let script = dir.join(format!("{name}.sql"));
        std::fs::write(&script, script_text)?;
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
    let random = format!("\\set id random(1, {rows})\n");
    let anchors = Anchors {
        update: run(
            "pgbench-update",
            format!("{random}UPDATE {table} SET n = n + 1 WHERE id = :id;\n"),
        )?,
        select: run(
            "pgbench-select",
            format!("{random}SELECT n FROM {table} WHERE id = :id;\n"),
        )?,
        // `k` (from -D k=0) lives as long as the client: the channel it makes primary next.
        // The lookup of the arguments by primary key is the only work the server does not do.
        function: run(
            "pgbench-function",
            format!(
                "\\set n (:client_id % {users}) * {per_user} + :k + 1\n\\set k (:k + 1) % {per_user}\n\
                 SELECT s.status FROM {calls} a,\n  \
                 {schema}.cc_update_channel(a.project_id, a.user_id, a.id, NULL, NULL, NULL, TRUE) s\n\
                 WHERE a.n = :n;\n",
                users = settings.users.len(),
            ),
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
            "-D",
            "k=0",
        ])
        .args(["-j", "1", "-c", &settings.clients.to_string()])
        .args(["-T", &seconds.to_string(), "-f"])
        .arg(script);
    if let Some(prefix) = log_prefix {
        command.arg("-l").arg("--log-prefix").arg(prefix);
    }
    // The store's functions name their tables unqualified: they run in the benchmark's schema.
    let output = command
        .env("PGOPTIONS", format!("-c search_path={}", settings.schema))
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

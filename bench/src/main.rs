//! `contact-channels-bench`: measures the real `contact-channels` binary under load, next to a
//! minimal dropshot reference measured in the same run.
//!
//! Both servers run as child processes pinned to one core (`--server-core`, 0 by default); this
//! process, the load generator, pins itself to another (`--client-core`, 1), so the two do not
//! compete for CPU. The real server starts on a fresh SQLite file (or a fresh PostgreSQL schema
//! with `--database postgres://…`) with the settings it ships with, is seeded over its API, and
//! runs each workload after an unrecorded warm-up. `cargo xtask bench` builds and runs this in
//! release mode. The numbers are for comparing, on one machine, against the reference: nothing
//! here asserts a speed.

mod anchors;
mod load;
mod process;
mod reference;
mod report;
mod workloads;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use process::Server;
use report::Measurement;
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use workloads::{Seed, Workload};

#[derive(Parser)]
#[command(about = "Benchmark the contact-channel server against a minimal dropshot reference")]
struct Cli {
    #[command(subcommand)]
    internal: Option<Internal>,
    /// Keep-alive connections held open by the load generator.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Measured time of each workload (`10s`, `500ms`, or seconds).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Unrecorded time before each workload's measurement.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    warmup: Duration,
    /// A `postgres://` URL to benchmark on PostgreSQL (in a fresh schema, dropped afterwards);
    /// by default a fresh SQLite file in the temporary directory.
    #[arg(long)]
    database: Option<String>,
    /// Users to seed, 5 channels each; connection `i` works on user `i % users`.
    #[arg(long, default_value_t = 64)]
    users: usize,
    /// Workloads to run, comma-separated. create-delete may leave one channel per connection
    /// behind (a POST answered at the deadline), so it runs last by default; list-paged's
    /// inserting connection may leave one of user 0's.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "patch-server,patch-client,list,list-paged,mixed,create-delete"
    )]
    workloads: Vec<Workload>,
    /// The server binary; by default `contact-channels` next to this one.
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Where to write the results; by default `bench-results.json` in the target directory.
    #[arg(long)]
    output: Option<PathBuf>,
    /// The core both servers are pinned to.
    #[arg(long, default_value_t = 0)]
    server_core: usize,
    /// The core the load generator is pinned to.
    #[arg(long, default_value_t = 1)]
    client_core: usize,
}

#[derive(Subcommand)]
enum Internal {
    /// Serve the reference (the benchmark starts it itself).
    #[command(hide = true)]
    ReferenceServer {
        #[arg(long)]
        bind: SocketAddr,
        #[arg(long)]
        users: usize,
    },
}

/// Parses `10s`, `500ms` or a plain number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let number = |n: &str| {
        n.trim()
            .parse::<f64>()
            .map_err(|e| format!("{text:?}: {e}"))
    };
    let duration = if let Some(ms) = text.strip_suffix("ms") {
        Duration::from_secs_f64(number(ms)? / 1000.0)
    } else {
        Duration::from_secs_f64(number(text.strip_suffix('s').unwrap_or(text))?)
    };
    if duration.is_zero() {
        return Err(format!("{text:?}: must be longer than zero"));
    }
    Ok(duration)
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(Internal::ReferenceServer { bind, users }) = cli.internal {
        // The runtime `#[tokio::main]` gives the real server: one worker per core it may use.
        return tokio::runtime::Runtime::new()?.block_on(reference::serve(bind, users));
    }
    if cli.connections == 0 || cli.users == 0 {
        bail!("--connections and --users must be at least 1");
    }
    process::pin_self(cli.client_core)?;
    // One thread is plenty for the client side and keeps it on its one core.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    let this = std::env::current_exe().context("locating this binary")?;
    let bin_dir = this.parent().context("this binary's directory")?;
    let server_bin = cli
        .server_bin
        .clone()
        .unwrap_or_else(|| bin_dir.join("contact-channels"));
    if !server_bin.exists() {
        bail!(
            "{} does not exist: build it with `cargo build --release -p contact-channels-server` \
             (or run `cargo xtask bench`)",
            server_bin.display()
        );
    }
    let output = cli.output.clone().unwrap_or_else(|| {
        bin_dir
            .parent()
            .unwrap_or(bin_dir)
            .join("bench-results.json")
    });

    eprintln!("reference: minimal dropshot PATCH over an in-memory map");
    let reference = {
        let server = Server::start(
            cli.server_core,
            this.to_str().context("a UTF-8 binary path")?,
            &[
                "reference-server".into(),
                "--bind".into(),
                "127.0.0.1:0".into(),
                "--users".into(),
                cli.users.to_string(),
            ],
            "reference listening on",
            &[],
        )?;
        let seed = Arc::new(Seed::reference(cli.users));
        measure(&cli, &server, &seed, Workload::PatchServer, "reference").await?
    };

    let database = Database::create(cli.database.as_deref()).await?;
    eprintln!("contact-channels on {}", database.describe());
    let mut measurements = Vec::new();
    // The anchors run after the workloads, with the server stopped, on the same database.
    let result = async {
        let server = Server::start(
            cli.server_core,
            server_bin.to_str().context("a UTF-8 binary path")?,
            &[
                "--database".into(),
                database.url.clone(),
                "serve".into(),
                "--bind".into(),
                "127.0.0.1:0".into(),
            ],
            "contact-channels listening on",
            &workloads::PROJECT_KEYS,
        )?;
        eprintln!("seeding {} users with 5 channels each", cli.users);
        let seed = Arc::new(Seed::create(server.addr, &server.env, cli.users).await?);
        for &workload in &cli.workloads {
            measurements.push(measure(&cli, &server, &seed, workload, workload.name()).await?);
        }
        drop(server);
        let DatabaseKind::Postgres { admin_url, schema } = &database.kind else {
            return anyhow::Ok(None);
        };
        let users: Vec<_> = seed
            .users
            .iter()
            .map(|user| (user.id.clone(), user.channels.clone()))
            .collect();
        eprintln!("anchors: pgbench on the same database");
        let settings = anchors::Settings {
            url: admin_url,
            schema,
            users: &users,
            clients: cli.connections,
            warmup: cli.warmup,
            duration: cli.duration,
            core: cli.client_core,
        };
        anyhow::Ok(Some(anchors::measure(&settings).await?))
    }
    .await;
    database.drop().await?;
    let anchors = result?;

    report::print_table(&reference, &measurements);
    if let Some(anchors) = &anchors {
        report::print_anchored(anchors, &measurements);
    }
    let settings = json!({
        "connections": cli.connections,
        "duration_seconds": cli.duration.as_secs_f64(),
        "warmup_seconds": cli.warmup.as_secs_f64(),
        "users": cli.users,
        "database": database.describe(),
        "server_core": cli.server_core,
        "client_core": cli.client_core,
    });
    let document = report::json(settings, &reference, &measurements, anchors.as_ref());
    std::fs::write(&output, serde_json::to_string_pretty(&document)? + "\n")
        .with_context(|| format!("writing {}", output.display()))?;
    println!("results written to {}", output.display());
    Ok(())
}

/// Runs one workload on `server`: warm-up, then the measured window, with the server's CPU time
/// over the window and its peak memory over the workload.
async fn measure(
    cli: &Cli,
    server: &Server,
    seed: &Arc<Seed>,
    workload: Workload,
    name: &str,
) -> Result<Measurement> {
    eprintln!(
        "  {name}: {} connections, {:?}",
        cli.connections, cli.duration
    );
    server.reset_peak_rss();
    let script = |i| seed.script(workload, i);
    // Paged lists run beside one more connection that creates and deletes channels, so that
    // pages meet inserts in flight.
    let inserter = |i| seed.script(Workload::CreateDelete, i);
    let inserting = workload == Workload::ListPaged;
    let inserts = |window| async move {
        if !inserting {
            return anyhow::Ok(None);
        }
        Ok(Some(
            load::drive(server.addr, 1, window, &|_| inserter(cli.connections)).await?,
        ))
    };
    tokio::try_join!(
        load::drive(server.addr, cli.connections, cli.warmup, &script),
        inserts(cli.warmup)
    )?;
    let cpu_before = server.cpu_seconds()?;
    let (mut outcome, inserted) = tokio::try_join!(
        load::drive(server.addr, cli.connections, cli.duration, &script),
        inserts(cli.duration)
    )?;
    let cpu_seconds = server.cpu_seconds()? - cpu_before;
    if let Some(inserted) = inserted {
        eprintln!(
            "  {name}: the inserting connection sent {:.0} req/s, {} errors",
            inserted.rate(),
            inserted.errors
        );
        outcome.errors += inserted.errors;
        if outcome.first_error.is_none() {
            outcome.first_error = inserted.first_error;
        }
    }
    Ok(Measurement {
        name: name.to_owned(),
        outcome,
        cpu_seconds,
        peak_rss_kib: server.peak_rss_kib()?,
    })
}

/// The database the real server runs on: a fresh SQLite file, or a fresh PostgreSQL schema.
struct Database {
    /// The `--database` value given to the server.
    url: String,
    kind: DatabaseKind,
}

enum DatabaseKind {
    Sqlite { dir: PathBuf },
    Postgres { admin_url: String, schema: String },
}

impl Database {
    async fn create(postgres: Option<&str>) -> Result<Database> {
        let unique = format!(
            "{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_millis()
        );
        match postgres {
            None => {
                let dir = std::env::temp_dir().join(format!("contact-channels-bench-{unique}"));
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let url = dir.join("bench.db").to_string_lossy().into_owned();
                Ok(Database {
                    url,
                    kind: DatabaseKind::Sqlite { dir },
                })
            }
            Some(admin_url) => {
                if !admin_url.starts_with("postgres://") && !admin_url.starts_with("postgresql://")
                {
                    bail!("--database takes a postgres:// URL (SQLite is the default)");
                }
                let schema = format!("bench_{unique}");
                let mut connection = PgConnection::connect(admin_url)
                    .await
                    .context("connecting to PostgreSQL")?;
                connection
                    .execute(format!("CREATE SCHEMA {schema}").as_str())
                    .await?;
                let separator = if admin_url.contains('?') { '&' } else { '?' };
                Ok(Database {
                    url: format!("{admin_url}{separator}options=-c%20search_path%3D{schema}"),
                    kind: DatabaseKind::Postgres {
                        admin_url: admin_url.to_owned(),
                        schema,
                    },
                })
            }
        }
    }

    fn describe(&self) -> String {
        match &self.kind {
            DatabaseKind::Sqlite { .. } => "SQLite (fresh file, shipped settings)".into(),
            DatabaseKind::Postgres { schema, .. } => format!("PostgreSQL (fresh schema {schema})"),
        }
    }

    /// Removes what [`Database::create`] made.
    async fn drop(&self) -> Result<()> {
        match &self.kind {
            DatabaseKind::Sqlite { dir } => {
                std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))
            }
            DatabaseKind::Postgres { admin_url, schema } => {
                let mut connection = PgConnection::connect(admin_url).await?;
                connection
                    .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
                    .await?;
                Ok(())
            }
        }
    }
}

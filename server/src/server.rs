//! Starting the server: open the store, build the service, serve the API with dropshot.

use crate::http::{HandlerContext, ServerImpl};
use crate::mail::{Mailer, OutboxMailer, SmtpMailer};
use crate::ops::{Ops, OpsConfig};
use crate::service::{Clock, ProjectKeys, Service, ServiceConfig, SystemClock};
use crate::store::postgres::{PgSettings, PgStore};
use crate::store::sqlite::SqliteStore;
use crate::store::{Migrated, Store, StoreError};
use crate::sweep::Sweeper;
use anyhow::{Context, Result};
use contact_channels_api::{contact_channels_api_mod, Cors};
use dropshot::{ConfigDropshot, ConfigLogging, ConfigLoggingLevel, HttpServer, ServerBuilder};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest request body accepted. The API's bodies are a few hundred bytes; dropshot's default
/// of 1 KiB would refuse a long but valid display name.
pub const REQUEST_BODY_MAX_BYTES: usize = 16 * 1024;

/// How to run the server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free one.
    pub bind: SocketAddr,
    /// Level of dropshot's own log (`info` logs every request).
    pub log_level: ConfigLoggingLevel,
    /// Rules and token settings.
    pub service: ServiceConfig,
    /// What the instance tells operators: metrics, the access log.
    pub ops: OpsConfig,
    /// Which origins browser apps may call from (any, by default).
    pub cors: Cors,
    /// How often expired codes and refresh tokens are deleted; `None`, never (the default, so
    /// that tests decide when).
    pub sweep_interval: Option<Duration>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8102".parse().expect("a valid address"),
            log_level: ConfigLoggingLevel::Warn,
            service: ServiceConfig::default(),
            ops: OpsConfig::default(),
            cors: Cors::default(),
            sweep_interval: None,
        }
    }
}

/// Whether a `--database` value names a PostgreSQL database.
pub fn is_postgres_url(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

/// Opens the store a `--database` value names: a `postgres://` URL, or a SQLite file path (or
/// `:memory:`). PostgreSQL is retried until `startup_wait` has passed, so the server can start
/// before its database does.
pub async fn open_store(
    database: &str,
    pg: &PgSettings,
    startup_wait: Duration,
) -> Result<Arc<dyn Store>> {
    if !is_postgres_url(database) {
        let store = SqliteStore::open(database)
            .await
            .with_context(|| format!("opening the SQLite database {database}"))?;
        return Ok(Arc::new(store));
    }
    let store = connect_postgres(database, pg, startup_wait).await?;
    store
        .migrate()
        .await
        .with_context(|| format!("migrating {}", crate::redact_password(database)))?;
    Ok(Arc::new(store))
}

/// Brings the schema of the database a `--database` value names up to date, and does nothing
/// else: `contact-channels migrate`.
pub async fn migrate(database: &str, pg: &PgSettings, startup_wait: Duration) -> Result<Migrated> {
    let migrated = if is_postgres_url(database) {
        let store = connect_postgres(database, pg, startup_wait).await?;
        let migrated = store.migrate().await;
        store.close().await;
        migrated
    } else {
        SqliteStore::migrate_file(database)
    };
    migrated.with_context(|| format!("migrating {}", crate::redact_password(database)))
}

/// Connects to PostgreSQL, retrying until `startup_wait` has passed, so the server can start
/// before its database does.
async fn connect_postgres(
    database: &str,
    pg: &PgSettings,
    startup_wait: Duration,
) -> Result<PgStore> {
    let deadline = Instant::now() + startup_wait;
    loop {
        match PgStore::connect(database, pg).await {
            Ok(store) => return Ok(store),
            Err(StoreError::Unavailable(e)) if Instant::now() < deadline => {
                tracing::warn!("PostgreSQL is unreachable ({e}); retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "opening the PostgreSQL database {}",
                    crate::redact_password(database)
                )))
            }
        }
    }
}

/// The mailer: SMTP when a URL is given, else the outbox folder.
pub fn open_mailer(
    smtp_url: Option<&str>,
    from: &str,
    outbox: &std::path::Path,
) -> Result<Arc<dyn Mailer>> {
    Ok(match smtp_url {
        Some(url) => Arc::new(SmtpMailer::new(url, from)?),
        None => Arc::new(OutboxMailer::new(outbox)),
    })
}

/// Creates the development project if the database has none, returning its keys. Instances
/// starting together on one empty database create one project between them.
pub async fn ensure_development_project(service: &Service) -> Result<Option<ProjectKeys>> {
    Ok(service
        .create_first_project("Development project", true)
        .await?)
}

/// A running server.
pub struct RunningServer {
    /// Where it listens.
    pub local_addr: SocketAddr,
    /// The service behind it, for setup in tests and commands.
    pub service: Arc<Service>,
    /// Its operational state: readiness and metrics.
    pub ops: Arc<Ops>,
    store: Arc<dyn Store>,
    server: HttpServer<HandlerContext>,
    /// The sweep task, stopped when the server is dropped or shuts down.
    sweeper: Option<AbortOnDrop>,
}

/// A task aborted when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl RunningServer {
    /// Its base URL, `http://ip:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Stops accepting requests, finishes the ones in flight, and returns.
    pub async fn close(self) -> Result<()> {
        self.server.close().await.map_err(|e| anyhow::anyhow!(e))
    }

    /// Shuts down without dropping a request: `/readyz` answers 503 at once, requests are still
    /// served for `drain_delay` (while balancers notice), then the listener closes and the
    /// requests in flight finish, for at most `timeout`; last, the store finishes (SQLite copies
    /// the WAL into the database file, PostgreSQL closes its pool).
    pub async fn shutdown(mut self, drain_delay: Duration, timeout: Duration) -> Result<()> {
        self.ops.start_draining();
        drop(self.sweeper.take());
        tokio::time::sleep(drain_delay).await;
        let store = self.store.clone();
        match tokio::time::timeout(timeout, self.close()).await {
            Ok(closed) => closed?,
            Err(_) => anyhow::bail!("requests still in flight after {timeout:?}"),
        }
        store.close().await;
        Ok(())
    }
}

/// What the service runs on.
pub struct Backends {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    /// The system clock, unless a test moves time by hand.
    pub clock: Arc<dyn Clock>,
}

impl Backends {
    /// A store and a mailer, on the system clock.
    pub fn new(store: Arc<dyn Store>, mailer: Arc<dyn Mailer>) -> Self {
        Backends {
            store,
            mailer,
            clock: Arc::new(SystemClock),
        }
    }
}

/// Starts serving the API.
pub async fn start(config: ServerConfig, backends: Backends) -> Result<RunningServer> {
    let log = ConfigLogging::StderrTerminal {
        level: config.log_level.clone(),
    }
    .to_logger("contact-channels")
    .context("setting up the log")?;
    let mut api = contact_channels_api_mod::api_description::<ServerImpl>()
        .map_err(|e| anyhow::anyhow!("the API description is invalid: {e}"))?;
    contact_channels_api::routes::register_fallbacks(&mut api);
    let ops = Arc::new(Ops::new(backends.store.clone(), config.ops));
    let store = backends.store.clone();
    let sweeper = config.sweep_interval.map(|interval| {
        let sweeper = Sweeper {
            store: store.clone(),
            clock: backends.clock.clone(),
            ops: ops.clone(),
            batch: crate::sweep::BATCH,
        };
        AbortOnDrop(sweeper.spawn(interval))
    });
    let service = Arc::new(Service::new(
        backends.store,
        backends.mailer,
        backends.clock,
        config.service.clone(),
    ));
    let dropshot_config = ConfigDropshot {
        bind_address: config.bind,
        default_request_body_max_bytes: REQUEST_BODY_MAX_BYTES,
        ..Default::default()
    };
    let context = HandlerContext {
        service: service.clone(),
        ops: ops.clone(),
        cors: config.cors.clone(),
    };
    let server = ServerBuilder::new(api, context, log)
        .config(dropshot_config)
        .start()
        .with_context(|| format!("listening on {}", config.bind))?;
    Ok(RunningServer {
        local_addr: server.local_addr(),
        service,
        ops,
        store,
        server,
        sweeper,
    })
}

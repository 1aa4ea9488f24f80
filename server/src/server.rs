//! Starting the server: open the store, build the service, serve the API with dropshot.

use crate::http::ServerImpl;
use crate::service::{Clock, ProjectKeys, Service, ServiceConfig, SystemClock};
use crate::store::sqlite::SqliteStore;
use crate::store::Store;
use anyhow::{Context, Result};
use contact_channels_api::contact_channels_api_mod;
use dropshot::{ConfigDropshot, ConfigLogging, ConfigLoggingLevel, HttpServer, ServerBuilder};
use std::net::SocketAddr;
use std::sync::Arc;

/// Largest request body accepted. The API's bodies are a few hundred bytes; dropshot's default
/// of 1 KiB would refuse a long but valid display name.
pub const REQUEST_BODY_MAX_BYTES: usize = 16 * 1024;

/// How to run the server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free one.
    pub bind: SocketAddr,
    /// A SQLite file path, or `:memory:`.
    pub database: String,
    /// Level of dropshot's own log (`info` logs every request).
    pub log_level: ConfigLoggingLevel,
    /// Rules and token settings.
    pub service: ServiceConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8102".parse().expect("a valid address"),
            database: "contact-channels.db".into(),
            log_level: ConfigLoggingLevel::Warn,
            service: ServiceConfig::default(),
        }
    }
}

/// Opens the store a `--database` value names.
pub async fn open_store(database: &str) -> Result<Arc<dyn Store>> {
    let store = SqliteStore::open(database)
        .await
        .with_context(|| format!("opening the SQLite database {database}"))?;
    Ok(Arc::new(store))
}

/// Creates the development project if the database has none, returning its keys.
pub async fn ensure_development_project(service: &Service) -> Result<Option<ProjectKeys>> {
    if !service.store().list_projects().await?.is_empty() {
        return Ok(None);
    }
    let keys = service.create_project("Development project", true).await?;
    Ok(Some(keys))
}

/// A running server.
pub struct RunningServer {
    /// Where it listens.
    pub local_addr: SocketAddr,
    /// The service behind it, for setup in tests and commands.
    pub service: Arc<Service>,
    server: HttpServer<Arc<Service>>,
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
}

/// Starts serving the API over `store` with the system clock.
pub async fn start(config: ServerConfig, store: Arc<dyn Store>) -> Result<RunningServer> {
    start_with_clock(config, store, Arc::new(SystemClock)).await
}

/// Starts serving the API with a given clock (tests move time by hand).
pub async fn start_with_clock(
    config: ServerConfig,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<RunningServer> {
    let log = ConfigLogging::StderrTerminal {
        level: config.log_level.clone(),
    }
    .to_logger("contact-channels")
    .context("setting up the log")?;
    let api = contact_channels_api_mod::api_description::<ServerImpl>()
        .map_err(|e| anyhow::anyhow!("the API description is invalid: {e}"))?;
    let service = Arc::new(Service::new(store, clock, config.service.clone()));
    let dropshot_config = ConfigDropshot {
        bind_address: config.bind,
        default_request_body_max_bytes: REQUEST_BODY_MAX_BYTES,
        ..Default::default()
    };
    let server = ServerBuilder::new(api, service.clone(), log)
        .config(dropshot_config)
        .start()
        .with_context(|| format!("listening on {}", config.bind))?;
    Ok(RunningServer {
        local_addr: server.local_addr(),
        service,
        server,
    })
}

//! `contact-channels`: run the server, manage projects.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use contact_channels_api::Cors;
use contact_channels_server::mail::read_outbox;
use contact_channels_server::ops::{OpsConfig, ACCESS_LOG};
use contact_channels_server::server::{self, Backends, ServerConfig};
use contact_channels_server::service::sealing::{reseal_signing_keys, MasterKey, MASTER_KEY_ENV};
use contact_channels_server::service::{
    GuessLimits, ProjectKeys, Service, ServiceConfig, SystemClock, DEFAULT_MAX_CHANNELS_PER_USER,
};
use contact_channels_server::store::postgres::PgSettings;
use contact_channels_server::store::{SendLimits, Store, TrustChange};
use dropshot::ConfigLoggingLevel;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

#[derive(Parser)]
#[command(version, about = "Stack Auth-compatible contact-channel API server")]
struct Cli {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Folder of the outbox, where email goes when no SMTP server is configured.
    #[arg(
        long,
        global = true,
        env = "CONTACT_CHANNELS_OUTBOX",
        default_value = "contact-channels-outbox"
    )]
    outbox: PathBuf,
    /// Log level; `info` also logs every request, which costs throughput.
    #[arg(long, global = true, value_enum, default_value_t = LogLevel::Warn)]
    log_level: LogLevel,
    #[command(subcommand)]
    command: Command,
}

/// Which database to open, and how to treat PostgreSQL.
#[derive(Args)]
struct DatabaseArgs {
    /// SQLite database file (created if missing), `:memory:`, or a `postgres://` URL.
    #[arg(
        long,
        global = true,
        env = "CONTACT_CHANNELS_DATABASE",
        default_value = "contact-channels.db"
    )]
    database: String,
    /// PostgreSQL: most connections this instance opens.
    #[arg(
        long,
        global = true,
        env = "CONTACT_CHANNELS_PG_POOL_SIZE",
        default_value_t = 10
    )]
    pg_pool_size: u32,
    /// PostgreSQL: seconds to wait for a connection before a request fails with 503.
    #[arg(
        long,
        global = true,
        env = "CONTACT_CHANNELS_PG_CONNECT_TIMEOUT",
        default_value_t = 5
    )]
    pg_connect_timeout: u64,
    /// PostgreSQL: longest a statement may run, in seconds.
    #[arg(
        long,
        global = true,
        env = "CONTACT_CHANNELS_PG_STATEMENT_TIMEOUT",
        default_value_t = 10
    )]
    pg_statement_timeout: u64,
    /// PostgreSQL: seconds to keep retrying at startup while the database is unreachable.
    #[arg(
        long,
        global = true,
        env = "CONTACT_CHANNELS_PG_STARTUP_WAIT",
        default_value_t = 30
    )]
    pg_startup_wait: u64,
}

impl DatabaseArgs {
    fn pg_settings(&self) -> PgSettings {
        PgSettings {
            pool_size: self.pg_pool_size,
            connect_timeout: Duration::from_secs(self.pg_connect_timeout),
            statement_timeout: Duration::from_secs(self.pg_statement_timeout),
        }
    }

    /// Opens the store at `database` (migrated), or at `--database`.
    async fn open_at(&self, database: &str) -> Result<Arc<dyn Store>> {
        let wait = Duration::from_secs(self.pg_startup_wait);
        server::open_store(database, &self.pg_settings(), wait).await
    }

    async fn open(&self) -> Result<Arc<dyn Store>> {
        self.open_at(&self.database).await
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API. On an empty database, first creates a development project and prints its
    /// id and keys as `STACK_...=` lines. With CONTACT_CHANNELS_MASTER_KEY set (see `keygen`),
    /// the projects' signing keys are stored sealed under it.
    Serve(ServeArgs),
    /// Manage projects.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Print the email in the outbox, oldest first (the default mailer of `serve`).
    Outbox {
        /// Only the newest message.
        #[arg(long)]
        last: bool,
    },
    /// Apply the database migrations and exit (`serve` also applies them on start).
    Migrate,
    /// Print a fresh master key for CONTACT_CHANNELS_MASTER_KEY (32 random bytes, base64), which
    /// seals the projects' signing keys in the database.
    Keygen,
}

/// The options of `serve`.
#[derive(Args)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "CONTACT_CHANNELS_BIND", default_value = "127.0.0.1:8102")]
    bind: SocketAddr,
    /// Send email through this SMTP server: `smtp://host:port` (add `?tls=required` for
    /// STARTTLS) or `smtps://user:password@host:465`. Without it, email goes to the outbox.
    #[arg(long, env = "CONTACT_CHANNELS_SMTP_URL")]
    smtp_url: Option<String>,
    /// The From address of the email sent.
    #[arg(
        long,
        env = "CONTACT_CHANNELS_MAIL_FROM",
        default_value = "Contact channels <noreply@localhost>"
    )]
    mail_from: String,
    /// A throwaway server for tests: an in-memory database (whatever --database says) and an
    /// outbox in a temporary folder, removed at exit. Prints one JSON line on stdout: the
    /// base URL, the development project's id and keys, and the outbox folder.
    #[arg(long)]
    ephemeral: bool,
    /// On SIGTERM or Ctrl-C: seconds to keep serving while `/readyz` answers 503, so that
    /// load balancers stop sending requests before the listener closes.
    #[arg(long, env = "CONTACT_CHANNELS_DRAIN_DELAY", default_value_t = 0.0, value_parser = seconds)]
    drain_delay: f64,
    /// Count requests for `/metrics` (`--metrics false` turns both off).
    #[arg(
        long,
        env = "CONTACT_CHANNELS_METRICS",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    metrics: bool,
    /// Log this fraction of requests (0 to 1) as JSON lines on stderr: request id, method,
    /// operation, status, latency. 0.01 logs one in a hundred.
    #[arg(
        long,
        env = "CONTACT_CHANNELS_ACCESS_LOG_SAMPLE",
        default_value_t = 0.0,
        value_parser = fraction
    )]
    access_log_sample: f64,
    /// Browser apps may call the API only from these origins (comma-separated, such as
    /// `https://app.example.com`); without it, from any origin (README → Using it from a
    /// browser app).
    #[arg(long, env = "CONTACT_CHANNELS_CORS_ORIGINS", value_delimiter = ',', value_parser = origin)]
    cors_origins: Option<Vec<String>>,
    /// This server's base URL as clients reach it, such as `https://auth.example.com`: access
    /// tokens name it in their `iss` claim, and a token naming another is refused. Instances
    /// sharing a database need the same one. Defaults to `http://` and the bind address.
    #[arg(long, env = "CONTACT_CHANNELS_ISSUER_BASE_URL", value_parser = base_url)]
    issuer_base_url: Option<String>,
    /// The most contact channels one user may have; creating one more answers 409
    /// `CONTACT_CHANNEL_LIMIT_REACHED`. Shared by every instance on one database.
    #[arg(
        long,
        env = "CONTACT_CHANNELS_MAX_CHANNELS_PER_USER",
        default_value_t = DEFAULT_MAX_CHANNELS_PER_USER,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    max_channels_per_user: u32,
    /// Seconds between sweeps that delete expired verification codes and refresh tokens, in
    /// small batches (0: never).
    #[arg(long, env = "CONTACT_CHANNELS_SWEEP_INTERVAL", default_value_t = 60.0, value_parser = seconds)]
    sweep_interval: f64,
    /// Then: seconds the requests in flight get to finish before the server exits anyway.
    #[arg(long, env = "CONTACT_CHANNELS_SHUTDOWN_TIMEOUT", default_value_t = 25.0, value_parser = seconds)]
    shutdown_timeout: f64,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The rate limits of `serve` (README → Security → Limits).
#[derive(Args)]
struct LimitArgs {
    /// Verification emails one channel may be sent per hour (counted in the database: shared by
    /// every instance).
    #[arg(
        long,
        env = "CONTACT_CHANNELS_EMAIL_LIMIT_PER_CHANNEL",
        default_value_t = SendLimits::default().per_channel
    )]
    email_limit_per_channel: NonZeroU32,
    /// Verification emails one user's channels may be sent per hour, together (shared).
    #[arg(
        long,
        env = "CONTACT_CHANNELS_EMAIL_LIMIT_PER_USER",
        default_value_t = SendLimits::default().per_user
    )]
    email_limit_per_user: NonZeroU32,
    /// Verification emails one project may send per hour (shared).
    #[arg(
        long,
        env = "CONTACT_CHANNELS_EMAIL_LIMIT_PER_PROJECT",
        default_value_t = SendLimits::default().per_project
    )]
    email_limit_per_project: NonZeroU32,
    /// Failed verification guesses (verify and check-code with a wrong or unknown code) one
    /// client address may make per minute (IPv6: per /64). Counted in each instance's memory.
    #[arg(
        long,
        env = "CONTACT_CHANNELS_FAILED_GUESS_LIMIT_PER_ADDRESS",
        default_value_t = GuessLimits::default().per_address
    )]
    failed_guess_limit_per_address: NonZeroU32,
    /// Failed verification guesses one project may see per minute, from all addresses
    /// (counted in each instance's memory).
    #[arg(
        long,
        env = "CONTACT_CHANNELS_FAILED_GUESS_LIMIT_PER_PROJECT",
        default_value_t = GuessLimits::default().per_project
    )]
    failed_guess_limit_per_project: NonZeroU32,
}

impl LimitArgs {
    /// The service's settings with these limits.
    fn apply(&self, config: ServiceConfig) -> ServiceConfig {
        ServiceConfig {
            email_limits: SendLimits {
                per_channel: self.email_limit_per_channel,
                per_user: self.email_limit_per_user,
                per_project: self.email_limit_per_project,
                ..config.email_limits
            },
            guess_limits: GuessLimits {
                per_address: self.failed_guess_limit_per_address,
                per_project: self.failed_guess_limit_per_project,
            },
            ..config
        }
    }
}

#[derive(Subcommand)]
enum ProjectCommand {
    /// Create a project and print its id and keys (shown only this once).
    Create {
        /// The project's name.
        #[arg(long)]
        display_name: String,
        /// Trust http://localhost callback URLs.
        #[arg(long)]
        allow_localhost: bool,
    },
    /// List the projects.
    List,
    /// Re-seal every project's signing key under the master key in
    /// CONTACT_CHANNELS_NEW_MASTER_KEY, in one transaction, opening them with
    /// CONTACT_CHANNELS_MASTER_KEY (unset when they are in the clear). Stop the servers first,
    /// and start them again with the new key.
    Rekey,
    /// Change where a project's verification links may point.
    Update {
        /// The project's id.
        project_id: String,
        /// Add a trusted origin, such as https://app.example.com or https://*.example.com.
        #[arg(long = "add-trusted-domain")]
        add: Vec<String>,
        /// Remove a trusted origin.
        #[arg(long = "remove-trusted-domain")]
        remove: Vec<String>,
        /// Trust (true) or stop trusting (false) http://localhost callback URLs.
        #[arg(long)]
        allow_localhost: Option<bool>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    fn dropshot(self) -> ConfigLoggingLevel {
        match self {
            LogLevel::Trace => ConfigLoggingLevel::Trace,
            LogLevel::Debug => ConfigLoggingLevel::Debug,
            LogLevel::Info => ConfigLoggingLevel::Info,
            LogLevel::Warn => ConfigLoggingLevel::Warn,
            LogLevel::Error => ConfigLoggingLevel::Error,
        }
    }

    fn tracing(self) -> tracing::Level {
        match self {
            LogLevel::Trace => tracing::Level::TRACE,
            LogLevel::Debug => tracing::Level::DEBUG,
            LogLevel::Info => tracing::Level::INFO,
            LogLevel::Warn => tracing::Level::WARN,
            LogLevel::Error => tracing::Level::ERROR,
        }
    }
}

/// A fraction from 0 to 1, such as `0.01`.
fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("{text:?} is not a fraction from 0 to 1")),
    }
}

/// A browser origin as it appears in `Origin`: a scheme, a host and an optional port.
fn origin(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not an origin: {e}"))?;
    let origin = url.origin().ascii_serialization();
    if origin != text.trim_end_matches('/') {
        return Err(format!(
            "{text:?} is not an origin: give the scheme, host and port only, such as {origin}"
        ));
    }
    Ok(origin)
}

/// An http(s) URL with no query or fragment, such as `https://auth.example.com`, without a
/// trailing slash.
fn base_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(format!(
            "{text:?} is not a base URL: give http(s)://host[:port][/path], such as https://auth.example.com"
        ));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// A duration in seconds, such as `2` or `0.5`.
fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => Ok(s),
        _ => Err(format!(
            "{text:?} is not a number of seconds from 0 to 86400"
        )),
    }
}

/// Waits for Ctrl-C or SIGTERM (how test harnesses and orchestrators stop a server).
async fn wait_for_shutdown() -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("listening for SIGTERM")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("waiting for Ctrl-C"),
        _ = term.recv() => Ok(()),
    }
}

/// A service for administrative commands, which send no email.
fn admin_service(store: Arc<dyn Store>, outbox: &Path) -> Result<Service> {
    let mailer = server::open_mailer(None, "noreply@localhost", outbox)?;
    let config = ServiceConfig {
        master_key: master_key_from_env(MASTER_KEY_ENV)?,
        ..ServiceConfig::default()
    };
    Ok(Service::new(store, mailer, Arc::new(SystemClock), config))
}

/// The environment variable that holds the master key `project rekey` seals under.
const NEW_MASTER_KEY_ENV: &str = "CONTACT_CHANNELS_NEW_MASTER_KEY";

/// The master key in the environment variable `name`, if it is set. Read from the environment
/// only, never from the command line, where other accounts could see it.
fn master_key_from_env(name: &str) -> Result<Option<MasterKey>> {
    match std::env::var(name) {
        Ok(text) => Ok(Some(
            MasterKey::parse(&text).with_context(|| name.to_owned())?,
        )),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context(name.to_owned())),
    }
}

fn print_keys(keys: &ProjectKeys) {
    println!("STACK_PROJECT_ID={}", keys.project_id);
    println!(
        "STACK_PUBLISHABLE_CLIENT_KEY={}",
        keys.publishable_client_key
    );
    println!("STACK_SECRET_SERVER_KEY={}", keys.secret_server_key);
    println!(
        "STACK_SUPER_SECRET_ADMIN_KEY={}",
        keys.super_secret_admin_key
    );
}

/// The log at `level` on stderr, and the access log, when sampled, as JSON lines of its own.
fn init_logging(level: LogLevel) {
    let level = tracing_subscriber::filter::LevelFilter::from_level(level.tracing());
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(tracing_subscriber::filter::filter_fn(move |meta| {
                    meta.target() != ACCESS_LOG && *meta.level() <= level
                })),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(false)
                .with_writer(std::io::stderr)
                .with_filter(
                    tracing_subscriber::filter::Targets::new()
                        .with_target(ACCESS_LOG, tracing::Level::INFO),
                ),
        )
        .init();
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_level);
    match cli.command {
        Command::Serve(args) => serve(&cli.database, &cli.outbox, cli.log_level, args).await,
        Command::Project(command) => project(&cli.database, &cli.outbox, command).await,
        Command::Outbox { last } => print_outbox(&cli.outbox, last),
        Command::Migrate => migrate(&cli.database).await,
        Command::Keygen => keygen(),
    }
}

/// `serve`: the API until SIGTERM or Ctrl-C, then a drain.
async fn serve(
    database: &DatabaseArgs,
    outbox: &Path,
    log_level: LogLevel,
    args: ServeArgs,
) -> Result<()> {
    let (store, outbox) = if args.ephemeral {
        let outbox =
            std::env::temp_dir().join(format!("contact-channels-outbox-{}", std::process::id()));
        (database.open_at(":memory:").await?, outbox)
    } else {
        (database.open().await?, outbox.to_owned())
    };
    let master_key = master_key_from_env(MASTER_KEY_ENV)?;
    // Before serving: seal the keys still in the clear, in one transaction, and stop here if
    // the master key does not open the sealed ones.
    let sealed = reseal_signing_keys(store.as_ref(), master_key.as_ref(), master_key.as_ref())
        .await
        .context("sealing the projects' signing keys")?;
    if sealed > 0 {
        eprintln!("sealed {sealed} signing key(s) under {MASTER_KEY_ENV}");
    }
    if master_key.is_none() && !args.ephemeral {
        tracing::warn!(
            "{MASTER_KEY_ENV} is not set: the projects' token-signing keys are stored in the \
             clear (README → Security; `contact-channels keygen` makes a master key)"
        );
    }
    let mailer = server::open_mailer(args.smtp_url.as_deref(), &args.mail_from, &outbox)?;
    let config = ServerConfig {
        bind: args.bind,
        log_level: log_level.dropshot(),
        service: args.limits.apply(ServiceConfig {
            issuer_base_url: args
                .issuer_base_url
                .unwrap_or_else(|| format!("http://{}", args.bind)),
            max_channels_per_user: args.max_channels_per_user,
            master_key,
            ..ServiceConfig::default()
        }),
        ops: OpsConfig {
            metrics: args.metrics,
            access_log_every: if args.access_log_sample > 0.0 {
                (1.0 / args.access_log_sample).round().max(1.0) as u64
            } else {
                0
            },
        },
        cors: args.cors_origins.map_or(Cors::Any, Cors::Only),
        sweep_interval: (args.sweep_interval > 0.0)
            .then(|| Duration::from_secs_f64(args.sweep_interval)),
    };
    let running = server::start(config, Backends::new(store, mailer)).await?;
    let keys = server::ensure_development_project(&running.service).await?;
    if args.ephemeral {
        let keys = keys.context("an in-memory database starts empty")?;
        println!(
            "{}",
            serde_json::json!({
                "url": running.url(),
                "project_id": keys.project_id,
                "publishable_client_key": keys.publishable_client_key,
                "secret_server_key": keys.secret_server_key,
                "super_secret_admin_key": keys.super_secret_admin_key,
                "outbox": outbox,
            })
        );
    } else if let Some(keys) = keys {
        eprintln!("Created a development project; its keys are shown only now:");
        print_keys(&keys);
    }
    eprintln!("contact-channels listening on {}", running.url());
    wait_for_shutdown().await?;
    eprintln!("shutting down: draining, then finishing requests in flight");
    running
        .shutdown(
            Duration::from_secs_f64(args.drain_delay),
            Duration::from_secs_f64(args.shutdown_timeout),
        )
        .await?;
    if args.ephemeral {
        // Best effort: the folder exists only once an email was written.
        let _ = std::fs::remove_dir_all(&outbox);
    }
    Ok(())
}

/// `project …`: create, list and change projects, through the service; re-seal their keys.
async fn project(database: &DatabaseArgs, outbox: &Path, command: ProjectCommand) -> Result<()> {
    let service = || async { admin_service(database.open().await?, outbox) };
    match command {
        ProjectCommand::Create {
            display_name,
            allow_localhost,
        } => {
            let keys = service()
                .await?
                .create_project(&display_name, allow_localhost)
                .await?;
            print_keys(&keys);
        }
        ProjectCommand::List => {
            for project in service().await?.list_projects().await? {
                println!("{}\t{}", project.id, project.display_name);
            }
        }
        ProjectCommand::Update {
            project_id,
            add,
            remove,
            allow_localhost,
        } => {
            let change = TrustChange {
                add,
                remove,
                allow_localhost,
            };
            let (domains, allow_localhost) = service()
                .await?
                .change_project_trust(&project_id, &change)
                .await
                .with_context(|| format!("project {project_id}"))?;
            println!(
                "trusted domains: {}",
                if domains.is_empty() {
                    "(none)".into()
                } else {
                    domains.join(" ")
                }
            );
            println!("allow localhost: {allow_localhost}");
        }
        ProjectCommand::Rekey => rekey(database).await?,
    }
    Ok(())
}

/// `keygen`: a fresh master key; needs no database.
fn keygen() -> Result<()> {
    println!("{}", MasterKey::generate().to_base64());
    Ok(())
}

/// `project rekey`: every signing key re-sealed under a new master key, in one transaction; the
/// store only, no service.
async fn rekey(database: &DatabaseArgs) -> Result<()> {
    let new = master_key_from_env(NEW_MASTER_KEY_ENV)?.with_context(|| {
        format!("set {NEW_MASTER_KEY_ENV} to the new master key (`contact-channels keygen`)")
    })?;
    let current = master_key_from_env(MASTER_KEY_ENV)?;
    let store = database.open().await?;
    let resealed = reseal_signing_keys(store.as_ref(), current.as_ref(), Some(&new)).await;
    store.close().await;
    let resealed = resealed.context("re-sealing the projects' signing keys")?;
    println!(
        "re-sealed {resealed} signing key(s) under {NEW_MASTER_KEY_ENV}; start every server \
         with {MASTER_KEY_ENV} set to it"
    );
    Ok(())
}

/// `outbox`: the email in the outbox folder; needs no database.
fn print_outbox(outbox: &Path, last: bool) -> Result<()> {
    let messages =
        read_outbox(outbox).with_context(|| format!("reading the outbox {}", outbox.display()))?;
    let shown = if last {
        &messages[messages.len().saturating_sub(1)..]
    } else {
        &messages[..]
    };
    for message in shown {
        println!(
            "To: {}\nSubject: {}\n\n{}",
            message.to, message.subject, message.text
        );
    }
    Ok(())
}

/// `migrate`: brings the database's schema up to date, and says what it did.
async fn migrate(database: &DatabaseArgs) -> Result<()> {
    let migrated = server::migrate(
        &database.database,
        &database.pg_settings(),
        Duration::from_secs(database.pg_startup_wait),
    )
    .await?;
    eprintln!(
        "{}: applied {} migration(s); the schema is at version {}",
        contact_channels_server::redact_password(&database.database),
        migrated.applied,
        migrated.version
    );
    Ok(())
}

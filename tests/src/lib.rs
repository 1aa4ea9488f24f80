//! Test harness: a real server on 127.0.0.1 (a free port, an in-memory SQLite store, a clock the
//! test moves), and clients generated from the committed spec to drive it.

use contact_channels_client::types::{
    self, ContactChannel, ContactChannelCreate, ContactChannelType, ContactChannelUpdate,
};
use contact_channels_client::{AccessType, Client, ClientConfig, Error, ResponseValue};
use contact_channels_server::mail::{read_outbox, Email, Mailer, OutboxMailer};
use contact_channels_server::server::{self, Backends, RunningServer, ServerConfig};
use contact_channels_server::service::{Clock, GuessLimits, ProjectKeys, ServiceConfig};
use contact_channels_server::store::postgres::scratch::ScratchSchema;
use contact_channels_server::store::sqlite::SqliteStore;
use contact_channels_server::store::{ChannelFilter, SendLimits, Store};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A clock that only moves when told to.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// Starts at the current time.
    pub fn new() -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        ManualClock(AtomicI64::new(now))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The service's default settings, with rate limits no test reaches unless it is about them.
/// Tests of the limits start with [`ServiceConfig::default`] (the limits `serve` has) or with
/// limits of their own.
pub fn generous() -> ServiceConfig {
    ServiceConfig {
        email_limits: SendLimits {
            per_channel: NonZeroU32::MAX,
            per_user: NonZeroU32::MAX,
            per_project: NonZeroU32::MAX,
            ..SendLimits::default()
        },
        guess_limits: GuessLimits {
            per_address: NonZeroU32::MAX,
            per_project: NonZeroU32::MAX,
        },
        ..ServiceConfig::default()
    }
}

/// A server with one project, started for one test.
pub struct TestServer {
    pub running: RunningServer,
    pub keys: ProjectKeys,
    pub clock: Arc<ManualClock>,
    pub store: Arc<dyn Store>,
    /// Where the server's email goes.
    pub outbox: PathBuf,
    /// The PostgreSQL schema the store lives in, dropped with the server.
    _schema: Option<ScratchSchema>,
}

impl TestServer {
    /// Starts a server on a fresh in-memory database with a development project, sending email
    /// to a fresh outbox folder, with the rate limits of [`generous`].
    pub async fn start() -> TestServer {
        let outbox = std::env::temp_dir().join(format!("cc-test-outbox-{}", uuid::Uuid::new_v4()));
        Self::start_with_mailer(Arc::new(OutboxMailer::new(&outbox)), outbox).await
    }

    /// Starts a server that sends email with `mailer` (`outbox` is where tests look for it),
    /// with the rate limits of [`generous`].
    pub async fn start_with_mailer(mailer: Arc<dyn Mailer>, outbox: PathBuf) -> TestServer {
        Self::start_on_sqlite(mailer, outbox, generous()).await
    }

    /// Starts a server on in-memory SQLite that sends email with `mailer`, with the service
    /// settings `service`.
    pub async fn start_on_sqlite(
        mailer: Arc<dyn Mailer>,
        outbox: PathBuf,
        service: ServiceConfig,
    ) -> TestServer {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().await.unwrap());
        Self::start_with(store, None, mailer, outbox, service).await
    }

    /// A server with the service settings `service` on each engine this machine has: in-memory
    /// SQLite, and PostgreSQL (a fresh schema) when `CONTACT_CHANNELS_TEST_POSTGRES_URL` is set,
    /// else reported as skipped.
    pub async fn on_each_engine(service: ServiceConfig) -> Vec<TestServer> {
        let outbox =
            || std::env::temp_dir().join(format!("cc-test-outbox-{}", uuid::Uuid::new_v4()));
        let mut servers = Vec::new();
        let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().await.unwrap());
        let dir = outbox();
        let mailer = Arc::new(OutboxMailer::new(&dir));
        servers.push(Self::start_with(sqlite, None, mailer, dir, service.clone()).await);
        if let Some(schema) = ScratchSchema::for_test().await {
            let postgres: Arc<dyn Store> = Arc::new(schema.open().await.unwrap());
            let dir = outbox();
            let mailer = Arc::new(OutboxMailer::new(&dir));
            servers.push(Self::start_with(postgres, Some(schema), mailer, dir, service).await);
        }
        servers
    }

    async fn start_with(
        store: Arc<dyn Store>,
        schema: Option<ScratchSchema>,
        mailer: Arc<dyn Mailer>,
        outbox: PathBuf,
        service: ServiceConfig,
    ) -> TestServer {
        let clock = Arc::new(ManualClock::new());
        let config = ServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            service,
            ..ServerConfig::default()
        };
        let backends = Backends {
            store: store.clone(),
            mailer,
            clock: clock.clone(),
        };
        let running = server::start(config, backends).await.unwrap();
        let keys = server::ensure_development_project(&running.service)
            .await
            .unwrap()
            .unwrap();
        TestServer {
            running,
            keys,
            clock,
            store,
            outbox,
            _schema: schema,
        }
    }

    /// The email sent so far, oldest first.
    pub fn sent(&self) -> Vec<Email> {
        match read_outbox(&self.outbox) {
            Ok(messages) => messages,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => panic!("reading the outbox: {e}"),
        }
    }

    /// Base URL.
    pub fn url(&self) -> String {
        self.running.url()
    }

    /// Configuration for this server's project, with no access type yet.
    pub fn config(&self) -> ClientConfig {
        ClientConfig::new(self.url(), &self.keys.project_id)
    }

    /// A client with server access.
    pub fn server(&self) -> Client {
        self.config()
            .access(AccessType::Server, &self.keys.secret_server_key)
            .build()
            .unwrap()
    }

    /// A client with admin access.
    pub fn admin(&self) -> Client {
        self.config()
            .access(AccessType::Admin, &self.keys.super_secret_admin_key)
            .build()
            .unwrap()
    }

    /// A client with client access and no user.
    pub fn anonymous_client(&self) -> Client {
        self.config()
            .access(AccessType::Client, &self.keys.publishable_client_key)
            .build()
            .unwrap()
    }

    /// A client with client access signed in as `user_id`.
    pub async fn signed_in(&self, user_id: &str) -> Client {
        self.with_token(self.access_token(user_id).await)
    }

    /// A client with client access sending `token` as its access token.
    pub fn with_token(&self, token: impl Into<String>) -> Client {
        self.config()
            .access(AccessType::Client, &self.keys.publishable_client_key)
            .access_token(token)
            .build()
            .unwrap()
    }

    /// An access token for `user_id`.
    pub async fn access_token(&self, user_id: &str) -> String {
        let session = self
            .server()
            .create_session()
            .body(types::SessionCreate {
                user_id: user_id.into(),
                expires_in_millis: None,
                is_impersonation: None,
            })
            .send()
            .await
            .unwrap();
        session.into_inner().access_token
    }

    /// Creates a user and returns its id.
    pub async fn user(&self) -> String {
        let user = self
            .server()
            .create_user()
            .body(types::UserCreate {
                display_name: Some("Test user".into()),
            })
            .send()
            .await
            .unwrap();
        user.into_inner().id
    }

    /// Creates a channel through the API with server access.
    pub async fn channel(
        &self,
        user_id: &str,
        value: &str,
        used_for_auth: bool,
        is_primary: bool,
    ) -> ContactChannel {
        self.server()
            .create_contact_channel()
            .body(ContactChannelCreate {
                used_for_auth,
                is_primary: Some(is_primary),
                ..new_channel(user_id, value)
            })
            .send()
            .await
            .unwrap()
            .into_inner()
    }

    /// Creates a channel with server access.
    pub async fn create_channel(&self, body: ContactChannelCreate) -> Answer<ContactChannel> {
        self.server()
            .create_contact_channel()
            .body(body)
            .send()
            .await
    }

    /// One channel, read with server access.
    pub async fn get_channel(&self, user_id: &str, id: &str) -> Answer<ContactChannel> {
        self.server()
            .get_contact_channel()
            .user_id(user_id)
            .contact_channel_id(id)
            .send()
            .await
    }

    /// PATCHes one channel with server access.
    pub async fn update_channel(
        &self,
        user_id: &str,
        id: &str,
        body: ContactChannelUpdate,
    ) -> Answer<ContactChannel> {
        self.server()
            .update_contact_channel()
            .user_id(user_id)
            .contact_channel_id(id)
            .body(body)
            .send()
            .await
    }

    /// Deletes one channel with server access.
    pub async fn delete_channel(&self, user_id: &str, id: &str) -> Answer<types::Success> {
        self.server()
            .delete_contact_channel()
            .user_id(user_id)
            .contact_channel_id(id)
            .send()
            .await
    }

    /// A user's channels, listed with server access (unpaginated, oldest first).
    pub async fn channels_of(&self, user_id: &str) -> Vec<ContactChannel> {
        self.server()
            .list_contact_channels()
            .user_id(user_id)
            .send()
            .await
            .unwrap()
            .into_inner()
            .items
    }

    /// A user, read with server access.
    pub async fn read_user(&self, user_id: &str) -> types::User {
        self.server()
            .get_user()
            .user_id(user_id)
            .send()
            .await
            .unwrap()
            .into_inner()
    }

    /// Every channel of the project, read from the store: what a rejected request must leave alone.
    pub async fn stored(&self) -> Vec<contact_channels_server::store::ChannelRecord> {
        self.store
            .list_channels(&self.keys.project_id, &ChannelFilter::default())
            .await
            .unwrap()
    }

    /// Sends `request`, which must be refused, and asserts that it left the stored channels
    /// unchanged. Returns the error. Pass the call not yet awaited: it is sent only once the
    /// stored channels have been read.
    pub async fn rejected<T: std::fmt::Debug>(
        &self,
        request: impl std::future::Future<Output = Answer<T>>,
    ) -> SeenError {
        let before = self.stored().await;
        let seen = err(request.await);
        assert_eq!(
            self.stored().await,
            before,
            "a rejected request changes nothing"
        );
        seen
    }

    /// A plain HTTP request to this server, with the server key, for what the typed client
    /// cannot send (malformed JSON, unknown fields, bad ids).
    pub fn raw(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.with_server_key(
            reqwest::Client::new().request(method, format!("{}{path}", self.url())),
        )
    }

    /// A request as [`TestServer::raw`] makes, sent from the local address `from` (on Linux,
    /// every 127.x.y.z is this machine), so the server sees another client address.
    pub fn raw_from(
        &self,
        from: std::net::IpAddr,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let client = reqwest::Client::builder()
            .local_address(from)
            .build()
            .unwrap();
        self.with_server_key(client.request(method, format!("{}{path}", self.url())))
    }

    fn with_server_key(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request
            .header("x-stack-project-id", &self.keys.project_id)
            .header("x-stack-access-type", "server")
            .header("x-stack-secret-server-key", &self.keys.secret_server_key)
    }
}

/// Flags of every headless chromium the tests run: nothing from outside 127.0.0.1, no
/// background traffic, no sandbox (CI runs as root).
pub const HEADLESS_CHROMIUM: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

/// What a typed client call answers.
pub type Answer<T> = Result<ResponseValue<T>, Error<types::Error>>;

/// A create body for `value` on `user_id`, not for auth, not primary, verification unset.
pub fn new_channel(user_id: &str, value: &str) -> ContactChannelCreate {
    ContactChannelCreate {
        user_id: user_id.into(),
        value: value.into(),
        type_: ContactChannelType::Email,
        used_for_auth: false,
        is_primary: None,
        is_verified: None,
    }
}

/// An error response as a test sees it.
#[derive(Debug)]
pub struct SeenError {
    pub status: u16,
    pub body: serde_json::Value,
    /// The `x-stack-known-error` header, if any.
    pub known: Option<String>,
    /// The `x-hexclave-known-error` header, if any.
    pub known_hexclave: Option<String>,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
}

impl SeenError {
    /// The body's `code`.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    /// Asserts status and code, and that the known-error headers are present exactly for codes
    /// Stack Auth's SDK knows.
    pub fn assert(&self, status: u16, code: &str) -> &Self {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "unexpected error: {self:#?}"
        );
        let known = contact_channels_api::ErrorCode::ALL
            .iter()
            .find(|c| c.as_str() == code)
            .unwrap_or_else(|| panic!("{code} is not an API error code"))
            .is_known_to_sdk();
        let expected = known.then(|| code.to_owned());
        assert_eq!(self.known, expected, "x-stack-known-error of {self:#?}");
        assert_eq!(
            self.known_hexclave, expected,
            "x-hexclave-known-error of {self:#?}"
        );
        assert!(
            self.body["error"].is_string(),
            "error message missing: {self:#?}"
        );
        self
    }

    /// The body's `details`.
    pub fn details(&self) -> &serde_json::Value {
        &self.body["details"]
    }
}

/// The error a typed client call answered; panics if it succeeded.
pub fn err<T: std::fmt::Debug>(result: Answer<T>) -> SeenError {
    match result {
        Ok(value) => panic!("expected an error, got {:?}", value.into_inner()),
        Err(Error::ErrorResponse(response)) => {
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_owned())
            };
            SeenError {
                status: response.status().as_u16(),
                known: header("x-stack-known-error"),
                known_hexclave: header("x-hexclave-known-error"),
                retry_after: header("retry-after"),
                body: serde_json::to_value(response.into_inner()).unwrap(),
            }
        }
        Err(other) => panic!("expected an API error response, got {other:?}"),
    }
}

/// The error a raw request answered.
pub async fn raw_err(request: reqwest::RequestBuilder) -> SeenError {
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let known = header("x-stack-known-error");
    let known_hexclave = header("x-hexclave-known-error");
    let retry_after = header("retry-after");
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(status >= 400, "expected an error, got {status}: {body}");
    SeenError {
        status,
        body,
        known,
        known_hexclave,
        retry_after,
    }
}

/// The claims of a JWT, decoded without verification (the SDK does the same client-side).
pub fn jwt_claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The code in a verification email's link (`…?code=<code>`).
pub fn code_in(email: &Email) -> String {
    let start = email
        .text
        .find("code=")
        .expect("the email has a link with a code")
        + "code=".len();
    email.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// Values that change from run to run (ids, keys), and the placeholders a snapshot shows instead.
#[derive(Debug, Clone, Default)]
pub struct Redactions(Vec<(String, String)>);

impl Redactions {
    /// The project's id and keys, as `<project_id>`, `<client_key>`, `<server_key>`, `<admin_key>`.
    pub fn project(t: &TestServer) -> Self {
        Redactions::default()
            .with(&t.keys.project_id, "<project_id>")
            .with(&t.keys.publishable_client_key, "<client_key>")
            .with(&t.keys.secret_server_key, "<server_key>")
            .with(&t.keys.super_secret_admin_key, "<admin_key>")
    }

    /// Also shows `value` as `placeholder`.
    pub fn with(mut self, value: impl Into<String>, placeholder: &str) -> Self {
        let value = value.into();
        assert!(
            !value.is_empty(),
            "redacting an empty value for {placeholder}"
        );
        self.0.push((value, placeholder.to_owned()));
        self.0
            .sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        self
    }

    /// `value` with every listed value replaced by its placeholder wherever a string holds it,
    /// and any other hyphenated UUID by `<uuid>`.
    pub fn apply(&self, value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::String(text) => {
                let text = self
                    .0
                    .iter()
                    .fold(text, |text, (value, shown)| text.replace(value, shown));
                Value::String(redact_uuids(&text))
            }
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.apply(v)).collect()),
            Value::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .map(|(k, v)| (k, self.apply(v)))
                    .collect(),
            ),
            other => other,
        }
    }
}

/// `text` with every hyphenated UUID replaced by `<uuid>`.
fn redact_uuids(text: &str) -> String {
    const LEN: usize = 36;
    let is_uuid = |window: &[u8]| {
        window.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
    };
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if i + LEN <= bytes.len() && is_uuid(&bytes[i..i + LEN]) {
            out.extend_from_slice(b"<uuid>");
            i += LEN;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII was replaced")
}

/// A table of error responses: each row is checked as it is added, and the whole table, redacted,
/// is what a test hands to `insta::assert_json_snapshot!`.
#[derive(Debug)]
pub struct ErrorTable {
    redactions: Redactions,
    rows: Vec<serde_json::Value>,
}

impl ErrorTable {
    /// An empty table whose snapshot hides what `redactions` lists.
    pub fn new(redactions: Redactions) -> Self {
        ErrorTable {
            redactions,
            rows: Vec::new(),
        }
    }

    /// Asserts `seen` is `status` `code` (with [`SeenError::assert`]) and adds it as the row
    /// `case`: a name, or an object whose fields say what was sent (a `case` name among them, and
    /// not `status`, `known_error_header` or `body`, which are the answer's).
    /// Returns `seen` for further checks.
    pub fn check(
        &mut self,
        case: impl Into<serde_json::Value>,
        seen: SeenError,
        status: u16,
        code: &str,
    ) -> SeenError {
        let mut row = match case.into() {
            serde_json::Value::Object(fields) => fields,
            name => [("case".to_owned(), name)].into_iter().collect(),
        };
        assert!(row.contains_key("case"), "a row has a case name: {row:?}");
        for answered in ["status", "known_error_header", "body"] {
            assert!(
                !row.contains_key(answered),
                "{answered} is the answer's: {row:?}"
            );
        }
        assert_eq!(
            (seen.status, seen.code()),
            (status, code),
            "case {}: unexpected error: {seen:#?}",
            row["case"]
        );
        seen.assert(status, code);
        row.insert("status".into(), seen.status.into());
        row.insert("known_error_header".into(), seen.known.clone().into());
        row.insert("body".into(), seen.body.clone());
        self.rows.push(row.into());
        seen
    }

    /// The rows so far, in order, redacted.
    pub fn snapshot(&self) -> serde_json::Value {
        self.redactions
            .apply(serde_json::Value::Array(self.rows.clone()))
    }
}

//! The `contact-channels` binary as a user runs it: `serve` on an empty database prints the
//! development project's keys once, serves the API with them, keeps data across restarts and
//! shuts down cleanly on Ctrl-C (SIGINT), and keeps its files private to its user.

mod common;

use common::{create_user, serve_with, server_access};
use std::path::PathBuf;
use std::process::{Child, Command};

/// A fresh database path `name` for one test. Only that name's files are removed: tests run at
/// once, and removing another test's `-wal` under its running server breaks that test.
fn temp_database(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("contact-channels-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

/// Sends SIGINT (what Ctrl-C sends) and waits for the exit.
fn interrupt(child: &mut Child) -> std::process::ExitStatus {
    common::signal(child, "INT");
    child.wait().unwrap()
}

#[tokio::test]
async fn serve_prints_keys_once_serves_with_them_and_keeps_data() {
    let database = temp_database("test.db");
    let mut first = serve_with(database.to_str().unwrap(), &[]);
    let env = first.env.clone();
    let keys: Vec<&str> = {
        let mut k: Vec<&str> = env.keys().map(String::as_str).collect();
        k.sort();
        k
    };
    assert_eq!(
        keys,
        [
            "STACK_PROJECT_ID",
            "STACK_PUBLISHABLE_CLIENT_KEY",
            "STACK_SECRET_SERVER_KEY",
            "STACK_SUPER_SECRET_ADMIN_KEY"
        ]
    );

    let http = reqwest::Client::new();
    let server = server_access(&env);
    let user_id = create_user(&http, &server, &first.url).await;
    let channel: serde_json::Value = common::json(server(
        http.post(format!("{}/api/v1/contact-channels", first.url)),
    )
    .json(&serde_json::json!({
        "user_id": user_id, "value": "johndoe@example.com", "type": "email", "used_for_auth": false
    }))).await;
    let path = format!(
        "/api/v1/contact-channels/{user_id}/{}",
        channel["id"].as_str().unwrap()
    );
    let patched = server(http.patch(format!("{}{path}", first.url)))
        .json(&serde_json::json!({
            "value": "johndoe@example.com", "type": "email", "used_for_auth": true, "is_primary": true
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let patched: serde_json::Value = patched.json().await.unwrap();
    let mut fields: Vec<&str> = patched
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "id",
            "is_primary",
            "is_verified",
            "type",
            "used_for_auth",
            "user_id",
            "value"
        ]
    );

    let status = interrupt(&mut first.child);
    assert!(
        status.success(),
        "Ctrl-C shuts the server down cleanly: {status}"
    );

    // Restarted on the same database: no new keys, the old ones work, the data is there.
    let second = serve_with(database.to_str().unwrap(), &[]);
    assert!(
        second.env.is_empty(),
        "keys are printed only when the database is empty"
    );
    let read: serde_json::Value =
        common::json(server(http.get(format!("{}{path}", second.url)))).await;
    assert_eq!(read, patched);
}

#[test]
fn project_create_prints_new_keys() {
    let database = temp_database("projects.db");
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_contact-channels"))
            .args(["--database", database.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let created = run(&["project", "create", "--display-name", "Acme"]);
    let id = created
        .lines()
        .find_map(|l| l.strip_prefix("STACK_PROJECT_ID="))
        .expect("the new project's id");
    assert_eq!(
        created.lines().filter(|l| l.starts_with("STACK_")).count(),
        4
    );
    assert_eq!(run(&["project", "list"]).trim(), format!("{id}\tAcme"));
}

/// Runs the binary with `args`; its exit status, stdout and stderr.
fn run(args: &[&str]) -> (std::process::ExitStatus, String, String) {
    run_with_env(args, &[])
}

/// [`run`], with environment variables set.
fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> (std::process::ExitStatus, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_contact-channels"))
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status, text(output.stdout), text(output.stderr))
}

#[test]
fn migrate_says_what_it_applied_and_outbox_needs_no_database() {
    let database = temp_database("migrated.db");
    let db = database.to_str().unwrap();
    let (status, _, said) = run(&["--database", db, "migrate"]);
    assert!(status.success(), "{said}");
    let applied = |said: &str| -> (usize, usize) {
        let line = said.lines().last().unwrap();
        let numbers: Vec<usize> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        (numbers[numbers.len() - 2], numbers[numbers.len() - 1])
    };
    let (first, version) = applied(&said);
    assert!(first > 0 && first == version, "{said}");
    let (status, _, said) = run(&["--database", db, "migrate"]);
    assert!(status.success(), "{said}");
    assert_eq!(applied(&said), (0, version), "{said}");

    // The outbox is read without opening the database, even one that cannot exist.
    let outbox = temp_database("no-outbox-yet");
    let (status, printed, said) = run(&[
        "--database",
        "/nonexistent/folder/x.db",
        "--outbox",
        outbox.to_str().unwrap(),
        "outbox",
    ]);
    assert!(status.success(), "{said}");
    assert_eq!(printed, "");
}

/// A write is acknowledged only once committed: killing the server (SIGKILL, no chance to
/// flush anything) in the middle of concurrent writes loses none that were answered.
#[tokio::test]
async fn every_acknowledged_write_survives_sigkill() {
    let database = temp_database("killed.db");
    let mut first =
        common::serve_with_env(database.to_str().unwrap(), &[], &[common::NO_CHANNEL_CAP]);
    let http = reqwest::Client::new();
    let server = server_access(&first.env);
    let user_id = create_user(&http, &server, &first.url).await;

    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let writers = common::spawn_writers(&http, &server, &first.url, &user_id, &acknowledged, false);
    let enough = async {
        while acknowledged.lock().unwrap().len() < 400 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(120), enough)
        .await
        .expect("400 creates acknowledged");
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let count = acknowledged.len();
    let stored = common::Drained::new(first.env.clone(), user_id, acknowledged)
        .assert_stored(database.to_str().unwrap())
        .await;
    // Commits whose answers died with the process may be stored too, but no more than one
    // per writer in flight.
    assert!(stored <= count + 16);
}

/// `serve --ephemeral` as another language's test harness uses it: read one JSON line, call the
/// API, stop it with SIGTERM; nothing is left on disk.
#[tokio::test]
async fn ephemeral_prints_one_json_line_and_leaves_nothing_behind() {
    let cwd = std::env::temp_dir().join(format!("contact-channels-eph-{}", std::process::id()));
    std::fs::create_dir_all(&cwd).unwrap();
    let (mut child, started) = common::ephemeral(&[], &cwd, std::process::Stdio::piped());
    let url = started["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );
    let env = common::ephemeral_env(&started);
    for key in ["publishable_client_key", "super_secret_admin_key", "outbox"] {
        assert!(started[key].is_string(), "{key} missing: {started}");
    }
    let user = create_user(&reqwest::Client::new(), &server_access(&env), url).await;
    assert_eq!(user.len(), 36);

    common::signal(&child, "TERM");
    assert!(child.wait().unwrap().success(), "SIGTERM is a clean exit");
    let mut said = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut said).unwrap();
    assert!(
        !said.contains("stored in the clear"),
        "a throwaway server does not warn about its keys: {said}"
    );
    let left: Vec<_> = std::fs::read_dir(&cwd).unwrap().collect();
    assert!(
        left.is_empty(),
        "an ephemeral server writes nothing: {left:?}"
    );
    let outbox = started["outbox"].as_str().unwrap();
    assert!(!std::path::Path::new(outbox).exists(), "{outbox} removed");
    std::fs::remove_dir_all(&cwd).unwrap();
}

/// A rolling deploy's SIGTERM under load, on SQLite: nothing lost, and the last checkpoint
/// leaves no WAL behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_answers_and_loses_nothing() {
    let database = temp_database("drained.db");
    let database = database.to_str().unwrap();
    let drained = common::drain_under_load(database).await;
    // The last checkpoint copied the WAL into the database file and emptied it.
    let wal = std::fs::metadata(format!("{database}-wal"));
    assert!(wal.map_or(true, |m| m.len() == 0), "the WAL is left over");
    drained.assert_stored(database).await;
}

/// `--access-log-sample 0.5` logs every second request as one JSON line on stderr, with the
/// route's name rather than its path; `--metrics false` turns `/metrics` off.
#[tokio::test]
async fn the_access_log_samples_requests_as_json_lines() {
    use std::io::{BufRead, BufReader};
    let (mut child, started) = common::ephemeral(
        &["--access-log-sample", "0.5", "--metrics", "false"],
        &std::env::temp_dir(),
        std::process::Stdio::piped(),
    );
    let url = started["url"].as_str().unwrap().to_owned();
    let env = common::ephemeral_env(&started);
    let http = reqwest::Client::new();
    let user = create_user(&http, &server_access(&env), &url).await;
    for _ in 0..9 {
        let response = server_access(&env)(http.get(format!("{url}/api/v1/users/{user}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let metrics = http.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 404);

    common::signal(&child, "TERM");
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let logged: Vec<serde_json::Value> = stderr
        .lines()
        .map(Result::unwrap)
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(&l).expect("JSON lines"))
        .collect();
    assert!(child.wait().unwrap().success());
    assert_eq!(logged.len(), 5, "one request in two of ten: {logged:#?}");
    for entry in &logged {
        assert_eq!(entry["target"], "contact_channels::access");
        let fields = &entry["fields"];
        assert!(fields["request_id"].is_string() && fields["latency_us"].is_u64());
        assert!(fields["operation"] == "create_user" || fields["operation"] == "get_user");
        assert!(!entry.to_string().contains(&user), "no ids from the path");
    }
}

/// `--cors-origins` lets browsers call only from the listed origins; a value that is not an
/// origin stops `serve` with a message that says what to give.
#[tokio::test]
async fn cors_origins_restrict_browser_callers() {
    let cwd = std::env::temp_dir().join(format!("contact-channels-cors-{}", std::process::id()));
    std::fs::create_dir_all(&cwd).unwrap();
    let args = [
        "--cors-origins",
        "https://app.example,http://127.0.0.1:3000",
    ];
    let (mut child, started) = common::ephemeral(&args, &cwd, std::process::Stdio::null());
    let url = started["url"].as_str().unwrap();
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(
                reqwest::Method::OPTIONS,
                format!("{url}/api/v1/contact-channels"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "x-stack-project-id")
            .send()
    };
    for origin in ["https://app.example", "http://127.0.0.1:3000"] {
        let response = preflight(origin).await.unwrap();
        assert_eq!(response.status(), 204);
        assert_eq!(response.headers()["access-control-allow-origin"], origin);
    }
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(!refused
        .headers()
        .contains_key("access-control-allow-origin"));
    assert!(!refused
        .headers()
        .contains_key("access-control-allow-headers"));
    common::signal(&child, "TERM");
    assert!(child.wait().unwrap().success());
    std::fs::remove_dir_all(&cwd).unwrap();

    let bad = Command::new(env!("CARGO_BIN_EXE_contact-channels"))
        .args([
            "serve",
            "--ephemeral",
            "--cors-origins",
            "https://app.example/path",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("such as https://app.example"), "{stderr}");
}

/// The mode bits of a file or folder.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    metadata.permissions().mode() & 0o777
}

/// Under umask 022, which leaves new files readable by every account, the database, the files
/// SQLite creates beside it (also after a restart re-creates them) and the outbox are private to
/// the server's user; a database others can read is named in a warning at startup.
#[tokio::test]
async fn files_are_private_whatever_the_umask() {
    let dir = std::env::temp_dir().join(format!("contact-channels-private-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let database = dir.join("private.db");
    let db = database.to_str().unwrap();
    let outbox = dir.join("outbox");
    let options = ["--outbox", outbox.to_str().unwrap()];
    let http = reqwest::Client::new();
    let warned = |lines: &[String]| {
        lines
            .iter()
            .any(|line| line.contains("readable by other accounts"))
    };
    let sqlite_files = [
        database.clone(),
        dir.join("private.db-wal"),
        dir.join("private.db-shm"),
    ];

    let mut first = common::serve_under_umask_022(db, &options, &[]);
    assert!(!warned(&first.startup), "no warning: {:?}", first.startup);
    let server = server_access(&first.env);
    let user_id = create_user(&http, &server, &first.url).await;
    let channel = common::json(
        server(http.post(format!("{}/api/v1/contact-channels", first.url))).json(
            &serde_json::json!({
                "user_id": user_id, "value": "a@example.com", "type": "email", "used_for_auth": false
            }),
        ),
    )
    .await;
    let sent = server(http.post(format!(
        "{}/api/v1/contact-channels/{user_id}/{}/send-verification-code",
        first.url,
        channel["id"].as_str().unwrap()
    )))
    .json(&serde_json::json!({"callback_url": "http://localhost:3000/verify"}))
    .send()
    .await
    .unwrap();
    assert_eq!(sent.status(), 200);
    for file in &sqlite_files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&outbox), 0o700, "the outbox folder");
    let messages: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(mode(&messages[0]), 0o600, "{}", messages[0].display());
    assert!(interrupt(&mut first.child).success());

    // A restart re-creates the WAL and shared-memory files, private as before.
    let mut second = common::serve_under_umask_022(db, &options, &[]);
    assert!(!warned(&second.startup), "no warning: {:?}", second.startup);
    create_user(&http, &server, &second.url).await;
    for file in &sqlite_files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    assert!(interrupt(&mut second.child).success());

    // A database made readable by others (as earlier versions left it) is named at startup.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).unwrap();
    let third = common::serve_under_umask_022(db, &options, &[]);
    assert!(
        third
            .startup
            .iter()
            .any(|line| line.contains(db) && line.contains("readable by other accounts")),
        "a warning names {db}: {:?}",
        third.startup
    );
    drop(third);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Access tokens carry the configured issuer (`--issuer-base-url`) with `exp`, `iat`, `sub` and
/// `aud`; an instance configured with another issuer refuses them as unparsable, as the SDK knows.
#[tokio::test]
async fn tokens_name_the_configured_issuer_and_another_refuses_them() {
    use base64::Engine;
    let database = temp_database("issuers.db");
    let db = database.to_str().unwrap();
    let issuer = |url: &'static str| [("CONTACT_CHANNELS_ISSUER_BASE_URL", url)];
    let a = common::serve_with_env(db, &[], &issuer("https://a.example.com/"));
    let b = common::serve_with_env(db, &[], &issuer("https://b.example.com"));
    let http = reqwest::Client::new();
    let server = server_access(&a.env);
    let user_id = create_user(&http, &server, &a.url).await;
    let session = common::json(
        server(http.post(format!("{}/api/v1/auth/sessions", a.url)))
            .json(&serde_json::json!({ "user_id": user_id })),
    )
    .await;
    let token = session["access_token"].as_str().unwrap();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.split('.').nth(1).unwrap())
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let project_id = &a.env["STACK_PROJECT_ID"];
    assert_eq!(
        claims["iss"],
        format!("https://a.example.com/api/v1/projects/{project_id}")
    );
    assert_eq!(claims["aud"], project_id.as_str());
    assert_eq!(claims["sub"], user_id.as_str());
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(iat > 1_600_000_000 && exp > iat, "{claims}");

    let list_mine = |url: &str| {
        http.get(format!("{url}/api/v1/contact-channels?user_id=me"))
            .header("x-stack-project-id", project_id)
            .header("x-stack-access-type", "client")
            .header(
                "x-stack-publishable-client-key",
                &a.env["STACK_PUBLISHABLE_CLIENT_KEY"],
            )
            .header("x-stack-access-token", token)
            .send()
    };
    assert_eq!(list_mine(&a.url).await.unwrap().status(), 200);
    let refused = list_mine(&b.url).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["x-stack-known-error"],
        "UNPARSABLE_ACCESS_TOKEN"
    );
}

/// The signing key of the only project in the SQLite database at `db`, as stored.
fn stored_signing_key(db: &str) -> Vec<u8> {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT signing_key FROM projects", [], |row| row.get(0))
        .unwrap()
}

/// Whether `stored` is a P-256 private key as it is (PKCS#8 DER), usable to sign tokens.
fn is_usable_key(stored: &[u8]) -> bool {
    use p256::pkcs8::DecodePrivateKey;
    p256::ecdsa::SigningKey::from_pkcs8_der(stored).is_ok()
}

/// With `CONTACT_CHANNELS_MASTER_KEY` the signing keys are sealed: a key stored in the clear is
/// sealed at the next start with a master key, and then what the database holds is no key
/// without it; a wrong master key stops the start with a message and changes nothing; `project
/// rekey` moves every key to a new master key. Tokens signed before stay valid throughout.
#[tokio::test]
async fn signing_keys_are_sealed_under_the_master_key() {
    const MASTER: &str = "CONTACT_CHANNELS_MASTER_KEY";
    let database = temp_database("sealed.db");
    let db = database.to_str().unwrap();
    let keygen = || {
        let (status, key, said) = run(&["keygen"]);
        assert!(status.success(), "{said}");
        key.trim().to_owned()
    };
    let (first_key, second_key) = (keygen(), keygen());
    assert_ne!(first_key, second_key);
    let in_the_clear = |lines: &[String]| lines.iter().any(|l| l.contains("stored in the clear"));

    // No master key: the key is stored as it is, and the server says so.
    let mut clear = serve_with(db, &[]);
    assert!(in_the_clear(&clear.startup), "{:?}", clear.startup);
    let env = clear.env.clone();
    let http = reqwest::Client::new();
    let user_id = create_user(&http, &server_access(&env), &clear.url).await;
    let session = common::json(
        server_access(&env)(http.post(format!("{}/api/v1/auth/sessions", clear.url)))
            .json(&serde_json::json!({ "user_id": user_id })),
    )
    .await;
    let token = session["access_token"].as_str().unwrap().to_owned();
    let list_mine = |url: &str| {
        http.get(format!("{url}/api/v1/contact-channels?user_id=me"))
            .header("x-stack-project-id", &env["STACK_PROJECT_ID"])
            .header("x-stack-access-type", "client")
            .header(
                "x-stack-publishable-client-key",
                &env["STACK_PUBLISHABLE_CLIENT_KEY"],
            )
            .header("x-stack-access-token", &token)
            .send()
    };
    assert!(interrupt(&mut clear.child).success());
    assert!(is_usable_key(&stored_signing_key(db)), "in the clear");

    // The first start with a master key seals it; the token it signed still verifies.
    let mut sealed = common::serve_with_env(db, &[], &[(MASTER, &first_key)]);
    assert!(!in_the_clear(&sealed.startup), "{:?}", sealed.startup);
    assert!(
        sealed
            .startup
            .iter()
            .any(|l| l.contains("sealed 1 signing key")),
        "{:?}",
        sealed.startup
    );
    assert_eq!(list_mine(&sealed.url).await.unwrap().status(), 200);
    assert!(interrupt(&mut sealed.child).success());
    let stored = stored_signing_key(db);
    assert!(!is_usable_key(&stored), "what the database holds is no key");
    assert!(stored.starts_with(b"cc-sealed-1:"));

    // A wrong master key: no start, a message naming the cause, and the database as it was.
    let serve = ["--database", db, "serve", "--bind", "127.0.0.1:0"];
    let (status, _, said) = run_with_env(&serve, &[(MASTER, &second_key)]);
    assert!(!status.success(), "{said}");
    assert!(
        said.contains("CONTACT_CHANNELS_MASTER_KEY does not open the signing key of project"),
        "{said}"
    );
    assert_eq!(stored_signing_key(db), stored, "unchanged");
    let (status, _, said) = run_with_env(&serve, &[]);
    assert!(!status.success(), "{said}");
    assert!(
        said.contains("is sealed, and CONTACT_CHANNELS_MASTER_KEY is not set"),
        "{said}"
    );

    // Rotation: every key re-sealed under the new master key, which then serves the token.
    let (status, printed, said) = run_with_env(
        &["--database", db, "project", "rekey"],
        &[
            (MASTER, &first_key),
            ("CONTACT_CHANNELS_NEW_MASTER_KEY", &second_key),
        ],
    );
    assert!(status.success(), "{said}");
    assert!(printed.contains("re-sealed 1 signing key"), "{printed}");
    assert_ne!(stored_signing_key(db), stored);
    let (status, _, said) = run_with_env(&serve, &[(MASTER, &first_key)]);
    assert!(
        !status.success(),
        "the old master key opens nothing: {said}"
    );
    let rotated = common::serve_with_env(db, &[], &[(MASTER, &second_key)]);
    assert_eq!(list_mine(&rotated.url).await.unwrap().status(), 200);
}

/// `serve` sweeps expired refresh tokens on its own (`--sweep-interval`), and `/metrics`
/// counts what it removed.
#[tokio::test]
async fn serve_sweeps_expired_refresh_tokens() {
    let database = temp_database("swept.db");
    let served = common::serve_with_env(
        database.to_str().unwrap(),
        &[],
        &[("CONTACT_CHANNELS_SWEEP_INTERVAL", "0.1")],
    );
    let http = reqwest::Client::new();
    let server = server_access(&served.env);
    let user_id = create_user(&http, &server, &served.url).await;
    let session = server(http.post(format!("{}/api/v1/auth/sessions", served.url)))
        .json(&serde_json::json!({ "user_id": user_id, "expires_in_millis": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200);
    let swept = "contact_channels_swept_rows_total{kind=\"refresh_token\"} 1";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let metrics = http
            .get(format!("{}/metrics", served.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.contains(swept) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no sweep counted: {metrics}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let conn = rusqlite::Connection::open(&database).unwrap();
    let left: i64 = conn
        .query_row("SELECT count(*) FROM refresh_tokens", [], |row| row.get(0))
        .unwrap();
    assert_eq!(left, 0, "the expired token is gone");
}

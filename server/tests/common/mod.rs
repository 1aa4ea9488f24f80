//! Running the real `contact-channels` binary from integration tests.

// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `contact-channels serve`.
pub struct Served {
    pub child: Child,
    /// Its base URL.
    pub url: String,
    /// The `STACK_...` lines it printed (empty unless the database was empty).
    pub env: HashMap<String, String>,
    /// The other lines it printed before it listened (warnings, on stderr).
    pub startup: Vec<String>,
}

impl Drop for Served {
    /// A test that fails half-way must not leave its server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// For a server under [`spawn_writers`], which gives one user hundreds of channels: a cap on
/// each user's channels far above what they reach.
pub const NO_CHANNEL_CAP: (&str, &str) = ("CONTACT_CHANNELS_MAX_CHANNELS_PER_USER", "1000000");

/// Sends `signal` (`TERM`, `INT`) to a server process.
pub fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal}");
}

/// Sends a request and reads its JSON body.
pub async fn json(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// Starts `serve` on a free port with `--database database` and more global `options` (such as
/// `--outbox DIR`), and waits for it to say where it listens.
pub fn serve_with(database: &str, options: &[&str]) -> Served {
    serve_with_env(database, options, &[])
}

/// [`serve_with`], with environment variables set for the server (its `CONTACT_CHANNELS_…`
/// settings).
pub fn serve_with_env(database: &str, options: &[&str], env: &[(&str, &str)]) -> Served {
    serve_command(
        Command::new(env!("CARGO_BIN_EXE_contact-channels")),
        database,
        options,
        env,
    )
}

/// [`serve_with_env`] under umask 022, the usual default, with which new files are readable by
/// every account unless the server says otherwise.
pub fn serve_under_umask_022(database: &str, options: &[&str], env: &[(&str, &str)]) -> Served {
    let mut shell = Command::new("sh");
    // `exec` keeps the process id, so signals reach the server itself.
    shell.args([
        "-c",
        "umask 022 && exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_contact-channels"),
    ]);
    serve_command(shell, database, options, env)
}

/// Runs `command` (the binary, or something that execs it) with `serve`'s arguments.
fn serve_command(
    mut command: Command,
    database: &str,
    options: &[&str],
    env: &[(&str, &str)],
) -> Served {
    // stdout and stderr share one pipe, so their lines arrive in the order the server wrote
    // them: the keys (stdout) come before the listening line (stderr), and nothing has to guess
    // how long to wait for them.
    let (output, writer) = std::io::pipe().unwrap();
    let child = command
        .envs(env.iter().copied())
        .args(["--database", database])
        .args(options)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut env = HashMap::new();
        let mut startup = Vec::new();
        let mut lines = BufReader::new(output).lines();
        for line in lines.by_ref() {
            let Ok(line) = line else { return };
            if let Some(url) = line.strip_prefix("contact-channels listening on ") {
                let _ = tx.send((
                    url.to_owned(),
                    std::mem::take(&mut env),
                    std::mem::take(&mut startup),
                ));
                break;
            }
            match line.split_once('=') {
                Some((key, value)) if key.starts_with("STACK_") => {
                    env.insert(key.to_owned(), value.to_owned());
                }
                _ => {
                    eprintln!("[server] {line}");
                    startup.push(line);
                }
            }
        }
        for line in lines.map_while(Result::ok) {
            eprintln!("[server] {line}");
        }
    });
    let (url, env, startup) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server says where it listens");
    Served {
        child,
        url,
        env,
        startup,
    }
}

/// Adds the development project's server-access headers (from `serve`'s output) to a request.
pub fn server_access(
    env: &HashMap<String, String>,
) -> impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder + Clone + Send + 'static {
    let env = env.clone();
    move |request| {
        request
            .header("x-stack-project-id", &env["STACK_PROJECT_ID"])
            .header("x-stack-access-type", "server")
            .header("x-stack-secret-server-key", &env["STACK_SECRET_SERVER_KEY"])
    }
}

/// Creates a user through `server` at `url`; its id.
pub async fn create_user(
    http: &reqwest::Client,
    server: &impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    url: &str,
) -> String {
    let user: serde_json::Value =
        json(server(http.post(format!("{url}/api/v1/users"))).json(&serde_json::json!({}))).await;
    user["id"].as_str().unwrap().to_owned()
}

/// Starts 16 writers creating channels for `user_id` at `url` until the server is gone (start it
/// with [`NO_CHANNEL_CAP`]); each
/// create answered 201 lands in `acknowledged`. With `whole_answers`, an answer cut off after
/// it began fails the test (a drain must not do that; a SIGKILL may).
pub fn spawn_writers(
    http: &reqwest::Client,
    server: &(impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder + Clone + Send + 'static),
    url: &str,
    user_id: &str,
    acknowledged: &std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    whole_answers: bool,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..16)
        .map(|writer| {
            let (http, server, url, user_id, acknowledged) = (
                http.clone(),
                server.clone(),
                url.to_owned(),
                user_id.to_owned(),
                acknowledged.clone(),
            );
            tokio::spawn(async move {
                for n in 0.. {
                    let sent = server(http.post(format!("{url}/api/v1/contact-channels")))
                        .json(&serde_json::json!({
                            "user_id": user_id, "value": format!("w{writer}-{n}@example.com"),
                            "type": "email", "used_for_auth": false
                        }))
                        .send()
                        .await;
                    // Refused, or closed before an answer began: the server is gone.
                    let Ok(response) = sent else { break };
                    assert_eq!(response.status(), 201, "every answered create succeeds");
                    let body = match response.json::<serde_json::Value>().await {
                        Ok(body) => body,
                        Err(e) if whole_answers => panic!("an answer was cut off: {e}"),
                        Err(_) => break,
                    };
                    acknowledged
                        .lock()
                        .unwrap()
                        .push(body["id"].as_str().unwrap().to_owned());
                }
            })
        })
        .collect()
}

/// Starts `serve --ephemeral` with more `args` in `cwd`, and reads its one JSON line.
pub fn ephemeral(
    args: &[&str],
    cwd: &std::path::Path,
    stderr: Stdio,
) -> (Child, serde_json::Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_contact-channels"))
        .args(["serve", "--ephemeral", "--bind", "127.0.0.1:0"])
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let started = serde_json::from_str(&line).expect("one JSON line");
    (child, started)
}

/// The `STACK_…` settings of an ephemeral server's JSON line, as `serve` prints them.
pub fn ephemeral_env(started: &serde_json::Value) -> HashMap<String, String> {
    [
        ("STACK_PROJECT_ID", "project_id"),
        ("STACK_SECRET_SERVER_KEY", "secret_server_key"),
    ]
    .into_iter()
    .map(|(name, key)| (name.to_owned(), started[key].as_str().unwrap().to_owned()))
    .collect()
}

/// What a drained server answered: the creates it acknowledged, for whom.
pub struct Drained {
    env: HashMap<String, String>,
    user_id: String,
    acknowledged: Vec<String>,
}

/// A rolling deploy's SIGTERM to a server on `database` (empty) under 16 concurrent writers:
/// `/readyz` turns 503 at once while requests are still answered (drain delay 2 s), every
/// request gets a whole answer or none, and the process exits 0 within 30 s.
pub async fn drain_under_load(database: &str) -> Drained {
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    let mut first = serve_with_env(
        database,
        &[],
        &[("CONTACT_CHANNELS_DRAIN_DELAY", "2"), NO_CHANNEL_CAP],
    );
    let http = reqwest::Client::new();
    let server = server_access(&first.env);
    let user_id = create_user(&http, &server, &first.url).await;

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let writers = spawn_writers(&http, &server, &first.url, &user_id, &acknowledged, true);
    // A generous deadline: writers that stop succeeding fail the test instead of hanging it.
    let deadline = Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().unwrap().len() < 200 {
        assert!(
            Instant::now() < deadline && writers.iter().any(|w| !w.is_finished()),
            "the writers stopped before 200 creates were acknowledged"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    signal(&first.child, "TERM");
    // Draining: no longer ready at once, while requests are still answered (the deadline is
    // generous for a loaded machine; the writes below show that the API served the drain).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let ready = http.get(format!("{}/readyz", first.url)).send().await;
        seen.push(ready.map_or(0, |r| r.status().as_u16()));
        if seen.last() == Some(&503) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen.last(), Some(&503), "readyz while draining: {seen:?}");
    let answered_when_draining = acknowledged.lock().unwrap().len();

    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = first.child.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no exit");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exit.success(), "SIGTERM is a clean exit: {exit:?}");
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    // Writes kept coming after readiness went, during the drain delay, and were answered.
    assert!(
        acknowledged.len() > answered_when_draining,
        "{} answered in all, {answered_when_draining} when draining began",
        acknowledged.len()
    );
    Drained::new(first.env.clone(), user_id, acknowledged)
}

impl Drained {
    /// The creates a server acknowledged for `user_id`, with the keys it printed.
    pub fn new(env: HashMap<String, String>, user_id: String, acknowledged: Vec<String>) -> Self {
        Drained {
            env,
            user_id,
            acknowledged,
        }
    }

    /// Asserts, through a new server on `database`, that every acknowledged create is stored;
    /// how many channels the user has.
    pub async fn assert_stored(&self, database: &str) -> usize {
        let second = serve_with(database, &[]);
        let server = server_access(&self.env);
        let list: serde_json::Value = json(server(reqwest::Client::new().get(format!(
            "{}/api/v1/contact-channels?user_id={}",
            second.url, self.user_id
        ))))
        .await;
        let stored: std::collections::HashSet<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        let lost: Vec<&String> = self
            .acknowledged
            .iter()
            .filter(|id| !stored.contains(id.as_str()))
            .collect();
        assert!(lost.is_empty(), "answered but not stored: {lost:?}");
        stored.len()
    }
}

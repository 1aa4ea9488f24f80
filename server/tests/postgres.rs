//! Several server processes (the real binary) on one PostgreSQL database: the invariants hold
//! when requests for the same user or the same value race on different instances, the email
//! limits hold across instances and restarts, and an instance killed mid-burst loses nothing it
//! acknowledged.
//!
//! Needs `CONTACT_CHANNELS_TEST_POSTGRES_URL` (`.ci/run` sets it); each run uses a fresh schema.

mod common;

use common::{serve_with, serve_with_env, Served};
use contact_channels_server::store::postgres::scratch::ScratchSchema;
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Requests in flight at once during a burst.
const CONCURRENCY: usize = 16;

/// Server-key requests to any instance.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    project_id: String,
    key: String,
}

impl Api {
    async fn send(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), reqwest::Error> {
        let mut request = self
            .http
            .request(method, format!("{base}/api/v1{path}"))
            .header("x-stack-project-id", &self.project_id)
            .header("x-stack-access-type", "server")
            .header("x-stack-secret-server-key", &self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    async fn ok(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let (status, body) = self.send(base, method, path, body).await.unwrap();
        assert!(status < 300, "{status}: {body}");
        body
    }

    async fn user(&self, base: &str) -> String {
        self.ok(base, reqwest::Method::POST, "/users", Some(json!({})))
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn channel(&self, base: &str, user: &str, value: &str, auth: bool) -> Value {
        let body =
            json!({ "user_id": user, "value": value, "type": "email", "used_for_auth": auth });
        self.ok(base, reqwest::Method::POST, "/contact-channels", Some(body))
            .await
    }

    async fn channels(&self, base: &str, user: &str) -> Vec<Value> {
        let list = self
            .ok(
                base,
                reqwest::Method::GET,
                &format!("/contact-channels?user_id={user}"),
                None,
            )
            .await;
        list["items"].as_array().unwrap().clone()
    }
}

fn count_statuses(results: &[(u16, Value)]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (status, body) in results {
        let key = match body["code"].as_str() {
            Some(code) => format!("{status} {code}"),
            None => status.to_string(),
        };
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// Two instances on one database, sharing an outbox folder.
fn start_pair(schema: &ScratchSchema) -> (Served, Served, Api) {
    let outbox = outbox_dir(schema);
    let options = ["--outbox", outbox.to_str().unwrap()];
    // One after the other: only the first finds the database empty and creates the project.
    // The bursts give one user hundreds of channels.
    let a = serve_with_env(schema.url(), &options, &[common::NO_CHANNEL_CAP]);
    let b = serve_with_env(schema.url(), &options, &[common::NO_CHANNEL_CAP]);
    assert!(b.env.is_empty());
    let api = Api {
        http: reqwest::Client::new(),
        project_id: a.env["STACK_PROJECT_ID"].clone(),
        key: a.env["STACK_SECRET_SERVER_KEY"].clone(),
    };
    (a, b, api)
}

fn outbox_dir(schema: &ScratchSchema) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("{}-outbox", schema.name()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_verifies_once_across_instances() {
    let Some(schema) = ScratchSchema::for_test().await else {
        return;
    };
    let (mut a, mut b, api) = start_pair(&schema);
    let instances = [a.url.clone(), b.url.clone()];
    let user = api.user(&instances[0]).await;
    let channel = api
        .channel(&instances[1], &user, "verify-me@example.com", true)
        .await;
    let path = format!(
        "/contact-channels/{user}/{}/send-verification-code",
        channel["id"].as_str().unwrap()
    );
    api.ok(
        &instances[0],
        reqwest::Method::POST,
        &path,
        Some(json!({ "callback_url": "http://localhost/verify" })),
    )
    .await;
    let sent = contact_channels_server::mail::read_outbox(&outbox_dir(&schema)).unwrap();
    let link = &sent[0].text;
    let start = link.find("code=").unwrap() + 5;
    let code: String = link[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();

    let results: Vec<(u16, Value)> = stream::iter(0..20)
        .map(|i| {
            let (api, instance, code) = (api.clone(), instances[i % 2].clone(), code.clone());
            async move {
                api.send(
                    &instance,
                    reqwest::Method::POST,
                    "/contact-channels/verify",
                    Some(json!({ "code": code })),
                )
                .await
                .unwrap()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    eprintln!("verify: {:?}", count_statuses(&results));
    assert_eq!(results.iter().filter(|(s, _)| *s == 200).count(), 1);
    assert!(results
        .iter()
        .filter(|(s, _)| *s != 200)
        .all(|(s, b)| *s == 409 && b["code"] == "VERIFICATION_CODE_ALREADY_USED"));
    let stored = api.channels(&instances[1], &user).await;
    assert_eq!(stored[0]["is_verified"], true);

    for served in [&mut a, &mut b] {
        served.child.kill().unwrap();
        served.child.wait().unwrap();
    }
    let _ = std::fs::remove_dir_all(outbox_dir(&schema));
}

/// The per-channel email limit (5 an hour, the default) is counted in the database: sends racing
/// on two instances get exactly five emails out between them, and an instance started after
/// both have stopped still refuses the sixth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_email_limit_holds_across_instances_and_a_restart() {
    let Some(schema) = ScratchSchema::for_test().await else {
        return;
    };
    let (mut a, mut b, api) = start_pair(&schema);
    let instances = [a.url.clone(), b.url.clone()];
    let user = api.user(&instances[0]).await;
    let channel = api
        .channel(&instances[1], &user, "often@example.com", false)
        .await;
    let path = format!(
        "/contact-channels/{user}/{}/send-verification-code",
        channel["id"].as_str().unwrap()
    );
    let send = |instance: String| {
        let (api, path) = (api.clone(), path.clone());
        async move {
            let body = json!({ "callback_url": "http://localhost/verify" });
            api.send(&instance, reqwest::Method::POST, &path, Some(body))
                .await
                .unwrap()
        }
    };

    let results: Vec<(u16, Value)> = stream::iter(0..20)
        .map(|i| send(instances[i % 2].clone()))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    eprintln!("send: {:?}", count_statuses(&results));
    assert_eq!(results.iter().filter(|(s, _)| *s == 200).count(), 5);
    for (status, body) in results.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(*status, 429, "{body}");
        assert_eq!(body["code"], "RATE_LIMITED");
        assert_eq!(body["details"]["limit"], "email_per_channel");
    }
    let sent = || contact_channels_server::mail::read_outbox(&outbox_dir(&schema)).unwrap();
    assert_eq!(
        sent().len(),
        5,
        "an email for each send answered 200, no more"
    );

    for served in [&mut a, &mut b] {
        served.child.kill().unwrap();
        served.child.wait().unwrap();
    }
    let outbox = outbox_dir(&schema);
    let mut restarted = serve_with(schema.url(), &["--outbox", outbox.to_str().unwrap()]);
    let (status, body) = send(restarted.url.clone()).await;
    assert_eq!(
        (status, &body["details"]["limit"]),
        (429, &json!("email_per_channel")),
        "{body}"
    );
    assert!(
        body["details"]["retry_after_seconds"].as_u64().unwrap() > 3000,
        "{body}"
    );
    assert_eq!(sent().len(), 5);

    restarted.child.kill().unwrap();
    restarted.child.wait().unwrap();
    let _ = std::fs::remove_dir_all(outbox);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invariants_hold_across_instances_under_a_burst() {
    let Some(schema) = ScratchSchema::for_test().await else {
        return;
    };
    let (mut a, mut b, api) = start_pair(&schema);
    let instances = [a.url.clone(), b.url.clone()];

    // Setup: one user with six channels, twenty claimants, one channel to rewrite.
    let owner = api.user(&instances[0]).await;
    let mut owned = Vec::new();
    for i in 0..6 {
        owned.push(
            api.channel(
                &instances[i % 2],
                &owner,
                &format!("own{i}@example.com"),
                false,
            )
            .await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut claimants = Vec::new();
    for i in 0..20 {
        claimants.push(api.user(&instances[i % 2]).await);
    }
    let writer = api.user(&instances[1]).await;
    let rewritten = api
        .channel(&instances[0], &writer, "start@example.com", true)
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The burst: three kinds of racing requests, spread over both instances, interleaved.
    enum Op {
        MakePrimary(String),
        Claim(String),
        Rewrite(String),
    }
    let mut ops = Vec::new();
    for i in 0..60 {
        ops.push(Op::MakePrimary(owned[i % owned.len()].clone()));
        if i < claimants.len() {
            ops.push(Op::Claim(claimants[i].clone()));
        }
        if i < 30 {
            ops.push(Op::Rewrite(format!("rewrite{i}@example.com")));
        }
    }
    let results: Vec<(&'static str, String, u16, Value)> = stream::iter(ops.into_iter().enumerate())
        .map(|(i, op)| {
            let (api, instance) = (api.clone(), instances[i % 2].clone());
            let (owner, writer, rewritten) = (owner.clone(), writer.clone(), rewritten.clone());
            async move {
                let (kind, key, path, method, body) = match op {
                    Op::MakePrimary(id) => ("primary", id.clone(), format!("/contact-channels/{owner}/{id}"), reqwest::Method::PATCH, json!({ "is_primary": true })),
                    Op::Claim(user) => ("claim", user.clone(), "/contact-channels".to_owned(), reqwest::Method::POST, json!({ "user_id": user, "value": "shared@example.com", "type": "email", "used_for_auth": true })),
                    Op::Rewrite(value) => ("rewrite", value.clone(), format!("/contact-channels/{writer}/{rewritten}"), reqwest::Method::PATCH, json!({ "value": value })),
                };
                let (status, body) = api.send(&instance, method, &path, Some(body)).await.unwrap();
                (kind, key, status, body)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;

    let of = |kind: &str| {
        results
            .iter()
            .filter(|r| r.0 == kind)
            .map(|r| (r.2, r.3.clone()))
            .collect::<Vec<_>>()
    };
    for kind in ["primary", "claim", "rewrite"] {
        eprintln!("{kind}: {:?}", count_statuses(&of(kind)));
    }
    assert!(
        results.iter().all(|r| r.2 < 500),
        "no 5xx: {:?}",
        count_statuses(
            &results
                .iter()
                .map(|r| (r.2, r.3.clone()))
                .collect::<Vec<_>>()
        )
    );

    // Make-primary on one user's channels: every call succeeds, exactly one primary remains, and
    // it is one the calls made primary.
    let primary = of("primary");
    assert!(primary.iter().all(|(s, _)| *s == 200));
    let final_owned = api.channels(&instances[1], &owner).await;
    let primaries: Vec<&Value> = final_owned
        .iter()
        .filter(|c| c["is_primary"] == true)
        .collect();
    assert_eq!(primaries.len(), 1, "exactly one primary: {final_owned:?}");

    // Twenty users claim one auth value: one wins, every loser gets the documented 409, and the
    // stored owner is the winner.
    let claims = of("claim");
    let winners: Vec<&Value> = claims
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(winners.len(), 1, "{:?}", count_statuses(&claims));
    for (status, body) in claims.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(*status, 409);
        assert_eq!(
            body["code"],
            "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE"
        );
        assert_eq!(
            body["details"]["contact_channel_value"],
            "shared@example.com"
        );
    }
    let mut owners = Vec::new();
    for claimant in &claimants {
        owners.extend(
            api.channels(&instances[0], claimant)
                .await
                .into_iter()
                .filter(|c| c["value"] == "shared@example.com" && c["used_for_auth"] == true),
        );
    }
    assert_eq!(owners.len(), 1);
    assert_eq!(&owners[0], winners[0]);

    // Thirty rewrites of one channel: all succeed, and the stored value is one of theirs.
    let rewrites = of("rewrite");
    assert!(rewrites.iter().all(|(s, _)| *s == 200));
    let answered: HashSet<String> = rewrites
        .iter()
        .map(|(_, b)| b["value"].as_str().unwrap().to_owned())
        .collect();
    let stored = api
        .ok(
            &instances[0],
            reqwest::Method::GET,
            &format!("/contact-channels/{writer}/{rewritten}"),
            None,
        )
        .await;
    assert!(
        answered.contains(stored["value"].as_str().unwrap()),
        "{stored}"
    );
    eprintln!(
        "final: {} primary of {} channels; {} auth owner of shared@example.com; rewritten value {}",
        primaries.len(),
        final_owned.len(),
        owners.len(),
        stored["value"]
    );

    a.child.kill().unwrap();
    b.child.kill().unwrap();
    a.child.wait().unwrap();
    b.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_instance_loses_nothing_it_acknowledged() {
    let Some(schema) = ScratchSchema::for_test().await else {
        return;
    };
    let (a, mut b, api) = start_pair(&schema);
    let instances = [a.url.clone(), b.url.clone()];
    let user = api.user(&instances[1]).await;
    let a = Arc::new(std::sync::Mutex::new(a));
    let done = Arc::new(AtomicUsize::new(0));

    // 200 creates spread over both instances; instance A is killed (SIGKILL) after 60 complete.
    let results: Vec<(usize, Option<(u16, Value)>)> = stream::iter(0..200)
        .map(|i| {
            let (api, user, done, a) = (api.clone(), user.clone(), done.clone(), a.clone());
            let instance = instances[i % 2].clone();
            async move {
                let body = json!({ "user_id": user, "value": format!("k{i}@example.com"), "type": "email", "used_for_auth": false });
                let result = api.send(&instance, reqwest::Method::POST, "/contact-channels", Some(body)).await.ok();
                if done.fetch_add(1, Ordering::SeqCst) + 1 == 60 {
                    a.lock().unwrap().child.kill().unwrap();
                }
                (i, result)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;

    let acknowledged: Vec<&Value> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref())
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b)
        .collect();
    let on_b_after = results
        .iter()
        .filter(|(i, r)| i % 2 == 1 && r.as_ref().is_some_and(|(s, _)| *s == 201))
        .count();
    let failed_on_a = results
        .iter()
        .filter(|(i, r)| i % 2 == 0 && r.is_none())
        .count();
    assert!(
        results
            .iter()
            .all(|(_, r)| r.as_ref().is_none_or(|(s, _)| *s == 201)),
        "only successes or dropped connections"
    );
    assert_eq!(
        on_b_after, 100,
        "the surviving instance served every request sent to it"
    );
    assert!(failed_on_a > 0, "instance A was killed mid-burst");

    // Everything acknowledged is stored, on the surviving instance.
    let stored = api.channels(&instances[1], &user).await;
    let stored_ids: HashSet<&str> = stored.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for channel in &acknowledged {
        assert!(
            stored_ids.contains(channel["id"].as_str().unwrap()),
            "lost {channel}"
        );
    }
    eprintln!(
        "kill: {} acknowledged, {} stored, {} requests to the killed instance failed",
        acknowledged.len(),
        stored.len(),
        failed_on_a
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    let _ = a.lock().unwrap().child.wait();
    b.child.kill().unwrap();
    b.child.wait().unwrap();
}

/// A rolling deploy's SIGTERM under load, on PostgreSQL: every answered write is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_answers_and_loses_nothing() {
    let Some(schema) = ScratchSchema::for_test().await else {
        return;
    };
    let drained = common::drain_under_load(schema.url()).await;
    drained.assert_stored(schema.url()).await;
}

/// A TCP proxy to PostgreSQL that the test can cut, to make the database unreachable.
struct Proxy {
    port: u16,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    /// Forwards connections on a free port (or `port`) to `target`, until [`Proxy::cut`].
    async fn start(target: std::net::SocketAddr, port: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            loop {
                let mut stopped = stopped.clone();
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((mut client, _)) = accepted else { break };
                        tokio::spawn(async move {
                            let Ok(mut server) = tokio::net::TcpStream::connect(target).await else { return };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                _ = stopped.changed() => {}
                            }
                        });
                    }
                    _ = stopped.changed() => break,
                }
            }
        });
        Proxy { port, stop }
    }

    /// Closes the listener and every forwarded connection.
    fn cut(self) {
        let _ = self.stop.send(true);
    }
}

/// A server whose database connections go through a [`Proxy`]: the server, the proxy, and what
/// a new proxy on the same port needs to put the database back.
async fn serve_through_proxy(schema: &ScratchSchema) -> (Served, Proxy, std::net::SocketAddr) {
    let mut through_proxy = url::Url::parse(schema.url()).unwrap();
    let target = (
        through_proxy.host_str().unwrap().to_owned(),
        through_proxy.port().unwrap_or(5432),
    );
    let target = tokio::net::lookup_host(target)
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = Proxy::start(target, 0).await;
    through_proxy.set_port(Some(proxy.port)).unwrap();
    let served = serve_with(
        through_proxy.as_str(),
        &[
            "--pg-connect-timeout",
            "1",
            "--outbox",
            outbox_dir(schema).to_str().unwrap(),
        ],
    );
    (served, proxy, target)
}

/// `/readyz` answers 503 while the database is unreachable and 200 once it is back; `/healthz`
/// stays 200 throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_the_database() {
    let Some(schema) = ScratchSchema::for_test().await else {
        return;
    };
    let (served, proxy, target) = serve_through_proxy(&schema).await;
    let port = proxy.port;
    let http = reqwest::Client::new();
    let status = |path: &'static str| {
        let (http, url) = (http.clone(), served.url.clone());
        async move {
            http.get(format!("{url}{path}"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status("/readyz").await, 200);

    proxy.cut();
    let readyz_until = |want: u16, tries: usize| async move {
        let mut seen = Vec::new();
        for _ in 0..tries {
            seen.push(status("/readyz").await);
            if seen.last() == Some(&want) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        seen
    };
    let seen = readyz_until(503, 50).await;
    assert_eq!(
        seen.last(),
        Some(&503),
        "readyz with the database cut off: {seen:?}"
    );
    assert_eq!(status("/healthz").await, 200);

    let _back = Proxy::start(target, port).await;
    let seen = readyz_until(200, 100).await;
    assert_eq!(
        seen.last(),
        Some(&200),
        "readyz once the database is back: {seen:?}"
    );
    drop(served);
}

/// While the database is away, every API request answers 503 `DATABASE_UNAVAILABLE` (the
/// connections the pool held are broken, new ones are refused); once it is back, the same
/// server process answers normally again, with the data from before the outage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_answers_503_while_the_database_is_away_and_recovers() {
    let Some(schema) = ScratchSchema::for_test().await else {
        return;
    };
    let (served, proxy, target) = serve_through_proxy(&schema).await;
    let port = proxy.port;
    let api = Api {
        http: reqwest::Client::new(),
        project_id: served.env["STACK_PROJECT_ID"].clone(),
        key: served.env["STACK_SECRET_SERVER_KEY"].clone(),
    };
    let base = served.url.clone();
    let user = api.user(&base).await;
    let channel = api.channel(&base, &user, "before@example.com", false).await;
    let patch = format!(
        "/contact-channels/{user}/{}",
        channel["id"].as_str().unwrap()
    );
    let requests = || {
        let (api, base, user, patch) = (api.clone(), base.clone(), user.clone(), patch.clone());
        async move {
            let list = format!("/contact-channels?user_id={user}");
            let created = json!({ "user_id": user, "value": "during@example.com", "type": "email", "used_for_auth": false });
            vec![
                api.send(&base, reqwest::Method::GET, &list, None)
                    .await
                    .unwrap(),
                api.send(
                    &base,
                    reqwest::Method::PATCH,
                    &patch,
                    Some(json!({ "is_primary": true })),
                )
                .await
                .unwrap(),
                api.send(
                    &base,
                    reqwest::Method::POST,
                    "/contact-channels",
                    Some(created),
                )
                .await
                .unwrap(),
            ]
        }
    };

    proxy.cut();
    for _ in 0..3 {
        for (status, body) in requests().await {
            assert_eq!(
                (status, body["code"].as_str()),
                (503, Some("DATABASE_UNAVAILABLE")),
                "{body}"
            );
        }
    }

    let _back = Proxy::start(target, port).await;
    // Connections broken by the cut fail once each and are dropped; then every answer is normal.
    let mut recovered = false;
    for _ in 0..50 {
        let (status, _) = api
            .send(
                &base,
                reqwest::Method::GET,
                &format!("/contact-channels?user_id={user}"),
                None,
            )
            .await
            .unwrap();
        if status == 200 {
            recovered = true;
            break;
        }
        assert_eq!(status, 503);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "the server answers again once the database is back"
    );
    for _ in 0..20 {
        api.channels(&base, &user).await;
    }
    let statuses: Vec<u16> = requests()
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert_eq!(
        statuses,
        [200, 200, 201],
        "list, PATCH and create after the outage"
    );
    let values: Vec<_> = api
        .channels(&base, &user)
        .await
        .iter()
        .map(|c| c["value"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(values, ["before@example.com", "during@example.com"]);
    drop(served);
}

/// `migrate` on PostgreSQL applies every migration to an empty schema, then nothing, and says so.
#[tokio::test]
async fn migrate_applies_each_migration_once_and_says_so() {
    let Some(schema) = ScratchSchema::for_test().await else {
        return;
    };
    let migrate = || {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_contact-channels"))
            .args(["--database", schema.url(), "migrate"])
            .output()
            .unwrap();
        let said = String::from_utf8(output.stderr).unwrap();
        assert!(output.status.success(), "{said}");
        said
    };
    let first = migrate();
    let version = first
        .trim_end()
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("no schema version in {first:?}"));
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    let newest = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .filter_map(|e| {
            e.unwrap()
                .file_name()
                .to_str()?
                .get(..4)?
                .parse::<usize>()
                .ok()
        })
        .max()
        .unwrap();
    assert_eq!(version, newest, "{first}");
    assert!(
        first.contains(&format!("applied {migrations} migration(s)")),
        "{first}"
    );
    let second = migrate();
    assert!(
        second.contains(&format!(
            "applied 0 migration(s); the schema is at version {version}"
        )),
        "{second}"
    );
}

/// Creates for one user racing on two instances never take the user past the cap: the
/// database counts under the user's row lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_channel_cap_holds_across_instances() {
    let Some(schema) = ScratchSchema::for_test().await else {
        return;
    };
    let cap = [("CONTACT_CHANNELS_MAX_CHANNELS_PER_USER", "5")];
    let a = serve_with_env(schema.url(), &[], &cap);
    let b = serve_with_env(schema.url(), &[], &cap);
    let api = Api {
        http: reqwest::Client::new(),
        project_id: a.env["STACK_PROJECT_ID"].clone(),
        key: a.env["STACK_SECRET_SERVER_KEY"].clone(),
    };
    let instances = [a.url.clone(), b.url.clone()];
    let user = api.user(&instances[0]).await;
    let results: Vec<(u16, Value)> = stream::iter(0..20)
        .map(|n| {
            let (api, base, user) = (api.clone(), instances[n % 2].clone(), user.clone());
            async move {
                let body = json!({
                    "user_id": user, "value": format!("{n}@example.com"),
                    "type": "email", "used_for_auth": false
                });
                api.send(
                    &base,
                    reqwest::Method::POST,
                    "/contact-channels",
                    Some(body),
                )
                .await
                .unwrap()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    eprintln!("creates: {:?}", count_statuses(&results));
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 5);
    assert!(results
        .iter()
        .filter(|(s, _)| *s != 201)
        .all(|(s, b)| *s == 409 && b["code"] == "CONTACT_CHANNEL_LIMIT_REACHED"));
    assert_eq!(api.channels(&instances[1], &user).await.len(), 5);
}

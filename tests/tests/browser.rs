//! A browser app on another origin uses the API as the SDK does: a page served from a second port
//! of 127.0.0.1 creates, updates, lists and deletes the signed-in user's channels with the SDK's
//! headers and reads a typed error, in Debian's chromium. Every step needs CORS: without it each
//! fetch fails with "Failed to fetch", so the test asserts the values the page read.

use contact_channels_tests::TestServer;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The page's script: each call's status, readable headers and body go into `#results` as JSON.
const SCRIPT: &str = r#"
function headers(family) {
  const h = (name) => `X-${family}-${name}`;
  return {
    "Content-Type": "application/json",
    [h("Project-Id")]: config.project_id,
    [h("Access-Type")]: "client",
    [h("Publishable-Client-Key")]: config.publishable_client_key,
    [h("Access-Token")]: config.access_token,
    [h("Override-Error-Status")]: "true",
    [h("Client-Version")]: "contact-channels-browser-test",
    [h("Random-Nonce")]: crypto.randomUUID(),
    [h("Allow-Anonymous-User")]: "true",
    "ngrok-skip-browser-warning": "true",
  };
}
async function call(method, path, body, family = "Stack") {
  const response = await fetch(config.api + path, {
    method,
    headers: headers(family),
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  const read = (name) => response.headers.get(name);
  return {
    status: response.status,
    request_id: read("x-request-id"),
    actual_status: read(`x-${family.toLowerCase()}-actual-status`),
    known_error: read(`x-${family.toLowerCase()}-known-error`),
    body: await response.json(),
  };
}
(async () => {
  const results = {};
  try {
    const channel = (value, used_for_auth) =>
      ({ user_id: "me", value, type: "email", used_for_auth });
    results.create = await call("POST", "/api/v1/contact-channels", channel("page@example.com", false));
    results.second = await call("POST", "/api/v1/contact-channels", channel("other@example.com", false));
    results.update = await call("PATCH", `/api/v1/contact-channels/me/${results.create.body.id}`,
      { value: "page.updated@example.com", is_primary: true });
    results.list = await call("GET", "/api/v1/contact-channels?user_id=me");
    results.delete = await call("DELETE", `/api/v1/contact-channels/me/${results.second.body.id}`);
    results.taken = await call("POST", "/api/v1/contact-channels", channel(config.taken, true));
    results.taken_hexclave = await call("POST", "/api/v1/contact-channels",
      channel(config.taken, true), "Hexclave");
  } catch (e) {
    results.failure = String(e);
  }
  document.getElementById("results").textContent = JSON.stringify(results);
})();
"#;

/// Serves `page` at `/` (and 404 elsewhere) on a free port of 127.0.0.1; returns its origin.
async fn serve_page(page: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let page = page.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let (status, body) = if request.starts_with(b"GET / ") {
                    ("200 OK", page)
                } else {
                    ("404 Not Found", String::new())
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    origin
}

/// The text of `<pre id="results">` in a DOM chromium dumped.
fn results(dom: &str) -> Value {
    let text = dom
        .split("<pre id=\"results\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("no results element in the page: {dom}"));
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("the page wrote no results: {text}"))
}

#[tokio::test]
async fn a_page_on_another_origin_manages_its_users_channels_with_the_sdk_headers() {
    let Ok(chromium) = std::env::var("CONTACT_CHANNELS_TEST_CHROMIUM") else {
        contact_channels_server::report_skipped_test(
            "set CONTACT_CHANNELS_TEST_CHROMIUM to a chromium binary",
        );
        return;
    };
    let t = TestServer::start().await;
    let user_id = t.user().await;
    // Someone else signs in with this address: the page's typed error.
    let taken = "taken@example.com";
    t.channel(&t.user().await, taken, true, false).await;
    let config = json!({
        "api": t.url(),
        "project_id": t.keys.project_id,
        "publishable_client_key": t.keys.publishable_client_key,
        "access_token": t.access_token(&user_id).await,
        "taken": taken,
    });
    let page = format!(
        "<!doctype html><html><body><pre id=\"results\">not run</pre>\
         <script>const config = {config};{SCRIPT}</script></body></html>"
    );
    let origin = serve_page(page).await;
    assert_ne!(origin, t.url(), "the page is on an origin of its own");

    let dir = std::env::temp_dir().join(format!("contact-channels-cors-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = tokio::process::Command::new(&chromium)
        .args(contact_channels_tests::HEADLESS_CHROMIUM)
        .args([
            // Virtual time waits for the page's fetches, so the dump follows the last of them.
            "--virtual-time-budget=30000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("{origin}/"))
        .kill_on_drop(true)
        .output();
    // A bound on a hung browser, not on how fast it is.
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("chromium did not finish within 120 s")
        .unwrap_or_else(|e| panic!("{chromium} does not start: {e}"));
    assert!(output.status.success(), "chromium failed: {output:?}");
    let dom = String::from_utf8(output.stdout).unwrap();
    let r = results(&dom);

    let created = &r["create"];
    assert_eq!(created["status"], 201, "{r:#}");
    assert_eq!(created["body"]["user_id"], user_id.as_str(), "{r:#}");
    assert_eq!(created["body"]["value"], "page@example.com", "{r:#}");
    // Read cross-origin only if the server exposes it.
    assert!(created["request_id"].is_string(), "x-request-id: {r:#}");
    let updated = &r["update"];
    assert_eq!(updated["status"], 200, "{r:#}");
    assert_eq!(
        updated["body"],
        json!({
            "id": created["body"]["id"],
            "user_id": user_id,
            "value": "page.updated@example.com",
            "type": "email",
            "used_for_auth": false,
            "is_verified": false,
            "is_primary": true,
        }),
        "{r:#}"
    );
    assert_eq!(r["list"]["status"], 200, "{r:#}");
    assert_eq!(
        r["list"]["body"]["items"],
        json!([updated["body"], r["second"]["body"]]),
        "{r:#}"
    );
    assert_eq!(r["delete"]["status"], 200, "{r:#}");
    assert_eq!(r["delete"]["body"], json!({ "success": true }), "{r:#}");

    // The error as the SDK reads it: 200 under the override, the real status and the code in
    // exposed headers, in either header family.
    for (key, family) in [("taken", "stack"), ("taken_hexclave", "hexclave")] {
        let error = &r[key];
        assert_eq!(error["status"], 200, "{family}: {r:#}");
        assert_eq!(error["actual_status"], "409", "{family}: {r:#}");
        assert_eq!(
            error["known_error"], "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE",
            "{family}: {r:#}"
        );
        assert_eq!(
            error["body"]["code"], error["known_error"],
            "{family}: {r:#}"
        );
    }

    // What the page did is what the server kept.
    let kept: Vec<Value> = t
        .channels_of(&user_id)
        .await
        .into_iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect();
    assert_eq!(kept, vec![updated["body"].clone()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

//! The server publishes its contract: `GET /openapi.json` is exactly the committed spec, and
//! `GET /docs` a reference page rendered from it, which works offline in a real browser.

use contact_channels_tests::TestServer;
use reqwest::{header, Method, StatusCode};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const COMMITTED: &str = include_str!("../../openapi/contact-channels.json");

#[tokio::test]
async fn the_spec_is_served_byte_for_byte_with_an_etag() {
    let t = TestServer::start().await;
    let response = t.raw(Method::GET, "/openapi.json").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let etag = response.headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    assert_eq!(response.text().await.unwrap(), COMMITTED);

    let again = t
        .raw(Method::GET, "/openapi.json")
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.text().await.unwrap().is_empty());
    let stale = t
        .raw(Method::GET, "/openapi.json")
        .header(header::IF_NONE_MATCH, "\"something else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_reference_page_needs_no_keys() {
    let t = TestServer::start().await;
    let response = reqwest::get(format!("{}/docs", t.url())).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    assert!(response.headers().contains_key(header::ETAG));
    let page = response.text().await.unwrap();
    assert!(page.contains("Update a contact channel"));
}

/// Runs Debian's chromium (`CONTACT_CHANNELS_TEST_CHROMIUM`, which `.ci/run` sets) on the page,
/// with every host but 127.0.0.1 unresolvable, and reads the rendered DOM and the network log.
#[tokio::test]
async fn the_reference_page_renders_in_a_browser_with_nothing_from_outside() {
    let Ok(chromium) = std::env::var("CONTACT_CHANNELS_TEST_CHROMIUM") else {
        contact_channels_server::report_skipped_test(
            "set CONTACT_CHANNELS_TEST_CHROMIUM to a chromium binary",
        );
        return;
    };
    let t = TestServer::start().await;
    let dir = std::env::temp_dir().join(format!("contact-channels-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let net_log = dir.join("net.json");
    let mut child = Command::new(&chromium)
        .args(contact_channels_tests::HEADLESS_CHROMIUM)
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .arg("--dump-dom")
        .arg(format!("{}/docs", t.url()))
        // A file, not a pipe: the page is larger than a pipe holds while nobody reads it.
        .stdout(std::fs::File::create(dir.join("dom.html")).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{chromium} does not start: {e}"));
    // The server runs on this test's runtime: wait for the browser without blocking it.
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "chromium did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "chromium failed: {status:?}");
    let dom = std::fs::read_to_string(dir.join("dom.html")).unwrap();

    // The PATCH operation with its parameters, body fields and responses, and the error codes.
    assert!(dom.contains("<span class=\"method\">PATCH</span>"), "{dom}");
    let patch = dom
        .split("<article id=\"update_contact_channel\">")
        .nth(1)
        .and_then(|rest| rest.split("</article>").next())
        .expect("the PATCH operation is on the page");
    for shown in [
        "Update a contact channel",
        "<code>user_id</code>",
        "<code>contact_channel_id</code>",
        "<code>value</code>",
        "<code>used_for_auth</code>",
        "<code>is_primary</code>",
        "<code>is_verified</code>",
        "johndoe@example.com",
        "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE",
    ] {
        assert!(patch.contains(shown), "the PATCH section lacks {shown}");
    }
    for code in contact_channels_api::ErrorCode::ALL {
        assert!(
            dom.contains(code.as_str()),
            "{} not on the page",
            code.as_str()
        );
    }

    // Every request the page made (the browser's own are keyed to no site) went to 127.0.0.1.
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&net_log).unwrap()).unwrap();
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    let page_requests: Vec<String> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == start_job)
        .filter(|e| {
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("http://127.0.0.1"))
        })
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_owned))
        .collect();
    assert!(
        page_requests.iter().any(|u| u.ends_with("/docs")),
        "the page load is in the log: {page_requests:?}"
    );
    for url in &page_requests {
        assert!(
            url.starts_with(&t.url()),
            "the page fetched {url} from outside"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

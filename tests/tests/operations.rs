//! What operators and load balancers use: `/healthz`, `/readyz` (draining, database reachable)
//! and `/metrics`, none of which needs keys or is part of the spec.

use contact_channels_client::types::ContactChannelUpdate;
use contact_channels_tests::TestServer;
use reqwest::StatusCode;

async fn get(t: &TestServer, path: &str) -> (StatusCode, String) {
    let response = reqwest::get(format!("{}{path}", t.url())).await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn alive_and_ready_until_draining() {
    let t = TestServer::start().await;
    assert_eq!(
        get(&t, "/healthz").await,
        (StatusCode::OK, r#"{"status":"alive"}"#.into())
    );
    assert_eq!(
        get(&t, "/readyz").await,
        (StatusCode::OK, r#"{"status":"ready"}"#.into())
    );

    t.running.ops.start_draining();
    assert_eq!(
        get(&t, "/readyz").await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"status":"draining"}"#.into()
        )
    );
    // Still alive, and still serving the API while balancers catch up.
    assert_eq!(get(&t, "/healthz").await.0, StatusCode::OK);
    t.user().await;
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_status() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "m@example.com", false, false).await;
    for _ in 0..3 {
        t.server()
            .update_contact_channel()
            .user_id(&user)
            .contact_channel_id(&channel.id)
            .body(ContactChannelUpdate {
                is_primary: Some(true),
                ..Default::default()
            })
            .send()
            .await
            .unwrap();
    }
    let _ = t
        .server()
        .get_contact_channel()
        .user_id(&user)
        .contact_channel_id(uuid::Uuid::new_v4().to_string())
        .send()
        .await;

    let (status, text) = get(&t, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .to_owned()
    };
    let count = |prefix: &str| -> f64 { line(prefix).rsplit(' ').next().unwrap().parse().unwrap() };
    assert_eq!(
        count(
            r#"contact_channels_http_requests_total{operation="update_contact_channel",status="200"}"#
        ),
        3.0
    );
    assert_eq!(
        count(
            r#"contact_channels_http_requests_total{operation="get_contact_channel",status="404"}"#
        ),
        1.0
    );
    assert_eq!(
        count(
            r#"contact_channels_http_request_duration_seconds_count{operation="update_contact_channel"}"#
        ),
        3.0
    );
    // The only request in flight is none: /metrics is not an API operation.
    assert_eq!(count("contact_channels_http_requests_in_flight "), 0.0);
    assert_eq!(count("contact_channels_sqlite_writer_queue "), 0.0);
    assert!(count("contact_channels_sqlite_writer_batch ") >= 1.0);
}

//! The limits on what a caller may send and store, and how often, tried as an attacker would,
//! end to end on each engine: display names, look-alike email spellings, the channels of one
//! user, and verification emails per channel, user and project.

use contact_channels_client::types::{
    ContactChannelCreate, UserCreate, VerificationCode, VerificationCodeSend,
};
use contact_channels_client::Client;
use contact_channels_server::mail::{Email, MailError, Mailer, OutboxMailer};
use contact_channels_server::service::{GuessLimits, ServiceConfig};
use contact_channels_server::store::SendLimits;
use contact_channels_tests::{code_in, err, new_channel, SeenError, TestServer};
use reqwest::Method;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn display_names_are_limited_to_256_visible_characters() {
    for t in TestServer::on_each_engine(ServiceConfig::default()).await {
        let server = t.server();
        let create = |name: String| {
            server
                .create_user()
                .body(UserCreate {
                    display_name: Some(name),
                })
                .send()
        };
        for bad in ["a\u{0}b".to_owned(), "a\u{200b}b".into(), "x".repeat(5000)] {
            err(create(bad.clone()).await).assert(400, "SCHEMA_ERROR");
        }
        let longest = "é".repeat(256);
        let user = create(longest.clone()).await.unwrap().into_inner();
        assert_eq!(user.display_name.as_deref(), Some(longest.as_str()));
    }
}

#[tokio::test]
async fn look_alike_email_spellings_are_refused_or_one_address() {
    for t in TestServer::on_each_engine(ServiceConfig::default()).await {
        let (victim, attacker) = (t.user().await, t.user().await);
        let server = t.server();
        let create = |user: &str, value: &str| {
            server
                .create_contact_channel()
                .body(ContactChannelCreate {
                    used_for_auth: true,
                    ..new_channel(user, value)
                })
                .send()
        };
        for hidden in [
            "vic\u{200b}tim@corp.example",
            "vic\u{202e}tim@corp.example",
            "vic\u{a0}tim@corp.example",
        ] {
            err(create(&attacker, hidden).await).assert(400, "SCHEMA_ERROR");
        }
        assert!(t.channels_of(&attacker).await.is_empty());

        let claimed = create(&victim, "victim@bücher.example")
            .await
            .unwrap()
            .into_inner();
        assert_eq!(claimed.value, "victim@xn--bcher-kva.example");
        let taken = err(create(&attacker, "victim@xn--bcher-kva.example").await);
        taken.assert(409, "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE");
        assert_eq!(
            taken.body["details"]["contact_channel_value"],
            "victim@xn--bcher-kva.example"
        );
        assert!(t.channels_of(&attacker).await.is_empty());
    }
}

#[tokio::test]
async fn a_user_has_at_most_the_servers_cap_of_channels() {
    let config = ServiceConfig {
        max_channels_per_user: 3,
        ..ServiceConfig::default()
    };
    for t in TestServer::on_each_engine(config).await {
        let (user, other) = (t.user().await, t.user().await);
        for n in 0..3 {
            t.channel(&user, &format!("{n}@example.com"), false, false)
                .await;
        }
        let server = t.server();
        let over = server
            .create_contact_channel()
            .body(new_channel(&user, "3@example.com"))
            .send()
            .await;
        let seen = err(over);
        seen.assert(409, "CONTACT_CHANNEL_LIMIT_REACHED");
        assert_eq!(seen.body["details"]["max_contact_channels_per_user"], 3);
        assert_eq!(t.channels_of(&user).await.len(), 3);
        // The cap is per user.
        t.channel(&other, "3@example.com", false, false).await;
    }
}

const CALLBACK: &str = "http://localhost:3000/verify";
const MINUTE: Duration = Duration::from_secs(60);

async fn send(client: &Client, user: &str, channel: &str) -> Result<(), SeenError> {
    client
        .send_contact_channel_verification_code()
        .user_id(user)
        .contact_channel_id(channel)
        .body(VerificationCodeSend {
            callback_url: CALLBACK.into(),
        })
        .send()
        .await
        .map(|_| ())
        .map_err(|e| err::<()>(Err(e)))
}

/// Asserts a 429 naming `limit`, with `Retry-After` and `details` saying `seconds`.
fn assert_limited(seen: &SeenError, limit: &str, seconds: u64) {
    seen.assert(429, "RATE_LIMITED");
    assert_eq!(seen.details()["limit"], limit, "{seen:#?}");
    assert_eq!(seen.details()["retry_after_seconds"], seconds, "{seen:#?}");
    assert_eq!(seen.retry_after, Some(seconds.to_string()), "{seen:#?}");
}

/// A signed-in user asking for email after email to one address gets five an hour (the
/// default), then 429 until the oldest leaves the hour; the refused sends store no code.
#[tokio::test]
async fn one_channel_gets_five_emails_an_hour() {
    for t in TestServer::on_each_engine(ServiceConfig::default()).await {
        let user = t.user().await;
        let channel = t.channel(&user, "victim@example.com", false, false).await;
        let client = t.signed_in(&user).await;
        for _ in 0..5 {
            send(&client, "me", &channel.id).await.unwrap();
            t.clock.advance(MINUTE);
        }
        // The first send, five minutes ago, leaves the hour in 55 minutes.
        let refused = send(&client, "me", &channel.id).await.unwrap_err();
        assert_limited(&refused, "email_per_channel", 55 * 60);
        t.clock.advance(54 * MINUTE);
        let refused = send(&client, "me", &channel.id).await.unwrap_err();
        assert_limited(&refused, "email_per_channel", 60);
        assert_eq!(t.sent().len(), 5, "no email for a refused send");

        t.clock.advance(MINUTE);
        // Access tokens live an hour too: sign in again.
        let client = t.signed_in(&user).await;
        send(&client, "me", &channel.id).await.unwrap();
        let refused = send(&client, "me", &channel.id).await.unwrap_err();
        assert_limited(&refused, "email_per_channel", 60);
        assert_eq!(t.sent().len(), 6);
    }
}

/// Ten emails an hour for all of a user's channels together; other users are not affected.
#[tokio::test]
async fn one_user_gets_ten_emails_an_hour() {
    for t in TestServer::on_each_engine(ServiceConfig::default()).await {
        let server = t.server();
        let user = t.user().await;
        let mut channels = Vec::new();
        for value in ["a@example.com", "b@example.com", "c@example.com"] {
            channels.push(t.channel(&user, value, false, false).await.id);
        }
        for channel in &channels[..2] {
            for _ in 0..5 {
                send(&server, &user, channel).await.unwrap();
            }
        }
        t.clock.advance(MINUTE);
        let refused = send(&server, &user, &channels[2]).await.unwrap_err();
        assert_limited(&refused, "email_per_user", 59 * 60);

        let other = t.user().await;
        let theirs = t.channel(&other, "a@example.com", false, false).await;
        send(&server, &other, &theirs.id).await.unwrap();
        assert_eq!(t.sent().len(), 11);
    }
}

/// A project's own limit counts every user's sends.
#[tokio::test]
async fn one_project_sends_its_limit_an_hour() {
    let config = ServiceConfig {
        email_limits: SendLimits {
            per_project: NonZeroU32::new(3).unwrap(),
            ..SendLimits::default()
        },
        ..ServiceConfig::default()
    };
    for t in TestServer::on_each_engine(config).await {
        let server = t.server();
        let mut targets = Vec::new();
        for i in 0..4 {
            let user = t.user().await;
            let channel = t
                .channel(&user, &format!("u{i}@example.com"), false, false)
                .await;
            targets.push((user, channel.id));
        }
        for (user, channel) in &targets[..3] {
            send(&server, user, channel).await.unwrap();
            t.clock.advance(MINUTE);
        }
        let (user, channel) = &targets[3];
        let refused = send(&server, user, channel).await.unwrap_err();
        assert_limited(&refused, "email_per_project", 57 * 60);
        t.clock.advance(57 * MINUTE);
        send(&server, user, channel).await.unwrap();
    }
}

/// Sends into the outbox, or fails while told to.
struct Flaky {
    failing: AtomicBool,
    outbox: OutboxMailer,
}

#[async_trait::async_trait]
impl Mailer for Flaky {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(MailError::new("connection refused"));
        }
        self.outbox.send(email).await
    }
}

/// An email that was never delivered does not count: its code is removed again (on SQLite
/// here; the store's conformance suite checks both engines).
#[tokio::test]
async fn undelivered_email_does_not_count() {
    let outbox = std::env::temp_dir().join(format!("cc-test-outbox-{}", uuid::Uuid::new_v4()));
    let mailer = Arc::new(Flaky {
        failing: AtomicBool::new(true),
        outbox: OutboxMailer::new(&outbox),
    });
    let t = TestServer::start_on_sqlite(mailer.clone(), outbox, ServiceConfig::default()).await;
    let user = t.user().await;
    let channel = t.channel(&user, "x@example.com", false, false).await;
    let server = t.server();
    for _ in 0..5 {
        send(&server, &user, &channel.id)
            .await
            .unwrap_err()
            .assert(502, "EMAIL_DELIVERY_FAILED");
    }
    mailer.failing.store(false, Ordering::SeqCst);
    for _ in 0..5 {
        send(&server, &user, &channel.id).await.unwrap();
    }
    let refused = send(&server, &user, &channel.id).await.unwrap_err();
    assert_limited(&refused, "email_per_channel", 60 * 60);
    assert_eq!(t.sent().len(), 5);
}

async fn guess(client: &Client, code: &str, consume: bool) -> Result<(), SeenError> {
    let body = VerificationCode { code: code.into() };
    let sent = match consume {
        true => client
            .verify_contact_channel()
            .body(body)
            .send()
            .await
            .map(drop),
        false => client
            .check_contact_channel_verification_code()
            .body(body)
            .send()
            .await
            .map(drop),
    };
    sent.map_err(|e| err::<()>(Err(e)))
}

/// check-code from another client address, as a raw request.
async fn check_from(t: &TestServer, from: [u8; 4], code: &str) -> Result<(), SeenError> {
    let path = "/api/v1/contact-channels/verify/check-code";
    let response = t
        .raw_from(from.into(), Method::POST, path)
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .unwrap();
    if response.status() == 200 {
        return Ok(());
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    Err(SeenError {
        status: response.status().as_u16(),
        known: header("x-stack-known-error"),
        known_hexclave: header("x-hexclave-known-error"),
        retry_after: header("retry-after"),
        body: response.json().await.unwrap(),
    })
}

/// Failed guesses (wrong or unknown codes, at verify and at check-code) are limited per client
/// address and per project; right codes do not count, and are refused too while a limit holds,
/// so a limited guesser learns nothing.
#[tokio::test]
async fn failed_guesses_are_limited_per_address_and_project() {
    let config = ServiceConfig {
        guess_limits: GuessLimits {
            per_address: NonZeroU32::new(2).unwrap(),
            per_project: NonZeroU32::new(3).unwrap(),
        },
        ..ServiceConfig::default()
    };
    for t in TestServer::on_each_engine(config).await {
        let user = t.user().await;
        let channel = t.channel(&user, "x@example.com", false, false).await;
        let server = t.server();
        send(&server, &user, &channel.id).await.unwrap();
        let code = code_in(&t.sent()[0]);
        // The right prefix with a wrong tail, and an unknown code.
        let wrong = format!("{}{}", &code[..10], "0".repeat(35));
        let unknown = "z".repeat(45);

        for _ in 0..3 {
            guess(&server, &code, false).await.unwrap();
        }
        guess(&server, &wrong, true)
            .await
            .unwrap_err()
            .assert(404, "VERIFICATION_CODE_NOT_FOUND");
        guess(&server, &unknown, false)
            .await
            .unwrap_err()
            .assert(404, "VERIFICATION_CODE_NOT_FOUND");
        // 2 a minute: the next in 30 s, for this address.
        let limited = guess(&server, &code, false).await.unwrap_err();
        assert_limited(&limited, "failed_guesses_per_address", 30);

        // Another address has its own, but the project's third failure is its last.
        check_from(&t, [127, 0, 0, 2], &unknown)
            .await
            .unwrap_err()
            .assert(404, "VERIFICATION_CODE_NOT_FOUND");
        // 3 a minute: the next in 20 s, for any address.
        let limited = check_from(&t, [127, 0, 0, 3], &code).await.unwrap_err();
        assert_limited(&limited, "failed_guesses_per_project", 20);

        t.clock.advance(Duration::from_secs(20));
        for _ in 0..3 {
            check_from(&t, [127, 0, 0, 3], &code).await.unwrap();
        }
        let limited = guess(&server, &code, true).await.unwrap_err();
        assert_limited(&limited, "failed_guesses_per_address", 10);
        t.clock.advance(Duration::from_secs(10));
        guess(&server, &code, true).await.unwrap();
        assert!(t.channels_of(&user).await[0].is_verified);
    }
}

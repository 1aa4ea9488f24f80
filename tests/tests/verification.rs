//! Email verification, end to end: send a code, read the email, check and verify the code.

use contact_channels_client::types::{
    ContactChannelUpdate, VerificationCode, VerificationCodeSend,
};
use contact_channels_client::{AccessType, Client, ClientConfig};
use contact_channels_server::mail::{Email, MailError, Mailer, SmtpMailer};
use contact_channels_server::store::TrustChange;
use contact_channels_tests::{code_in, err, TestServer};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const CALLBACK: &str = "http://localhost:3000/handler/email-verification?after=%2Fhome";

async fn send(
    client: &Client,
    user: &str,
    channel: &str,
    callback: &str,
) -> Result<(), contact_channels_tests::SeenError> {
    client
        .send_contact_channel_verification_code()
        .user_id(user)
        .contact_channel_id(channel)
        .body(VerificationCodeSend {
            callback_url: callback.into(),
        })
        .send()
        .await
        .map(|_| ())
        .map_err(|e| err::<()>(Err(e)))
}

async fn verify(client: &Client, code: &str) -> Result<(), contact_channels_tests::SeenError> {
    client
        .verify_contact_channel()
        .body(VerificationCode { code: code.into() })
        .send()
        .await
        .map(|_| ())
        .map_err(|e| err::<()>(Err(e)))
}

async fn check(client: &Client, code: &str) -> Result<bool, contact_channels_tests::SeenError> {
    client
        .check_contact_channel_verification_code()
        .body(VerificationCode { code: code.into() })
        .send()
        .await
        .map(|r| r.into_inner().is_code_valid)
        .map_err(|e| err::<()>(Err(e)))
}

#[tokio::test]
async fn send_read_check_verify_then_reuse() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "Jane@Example.com", true, true).await;
    let client = t.signed_in(&user).await;

    send(&client, "me", &channel.id, CALLBACK).await.unwrap();
    let sent = t.sent();
    assert_eq!(sent.len(), 1);
    let email = &sent[0];
    assert_eq!(email.to, "jane@example.com");
    assert_eq!(email.subject, "Verify your email at Development project");
    let code = code_in(email);
    assert_eq!(code.len(), 45);
    assert!(
        code.chars()
            .all(|c| "0123456789abcdefghjkmnpqrstvwxyz".contains(c)),
        "{code}"
    );
    let link =
        format!("http://localhost:3000/handler/email-verification?after=%2Fhome&code={code}");
    assert!(email.text.contains(&link), "{}", email.text);
    assert!(
        email.html.contains(&link.replace('&', "&amp;")),
        "{}",
        email.html
    );

    // Whoever clicks the link is usually signed out: a client without a user may check and verify.
    let anonymous = t.anonymous_client();
    assert!(check(&anonymous, &code).await.unwrap());
    assert!(
        check(&anonymous, &code).await.unwrap(),
        "checking does not consume the code"
    );
    let before = t
        .server()
        .get_contact_channel()
        .user_id(&user)
        .contact_channel_id(&channel.id)
        .send()
        .await
        .unwrap();
    assert!(!before.into_inner().is_verified);

    verify(&anonymous, &code).await.unwrap();
    let after = t
        .server()
        .get_contact_channel()
        .user_id(&user)
        .contact_channel_id(&channel.id)
        .send()
        .await
        .unwrap();
    assert!(after.into_inner().is_verified);
    let me = t
        .server()
        .get_user()
        .user_id(&user)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        me.primary_email_verified,
        "primary_email_verified follows the primary channel"
    );

    verify(&anonymous, &code)
        .await
        .unwrap_err()
        .assert(409, "VERIFICATION_CODE_ALREADY_USED");
    check(&anonymous, &code)
        .await
        .unwrap_err()
        .assert(409, "VERIFICATION_CODE_ALREADY_USED");
    send(&client, "me", &channel.id, CALLBACK)
        .await
        .unwrap_err()
        .assert(409, "EMAIL_ALREADY_VERIFIED");
    assert_eq!(t.sent().len(), 1);
}

#[tokio::test]
async fn unknown_expired_and_foreign_codes_are_refused() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "x@example.com", false, false).await;
    let server = t.server();

    let unknown = "0".repeat(45);
    verify(&server, &unknown)
        .await
        .unwrap_err()
        .assert(404, "VERIFICATION_CODE_NOT_FOUND");
    check(&server, &unknown)
        .await
        .unwrap_err()
        .assert(404, "VERIFICATION_CODE_NOT_FOUND");
    for bad in ["short", &"0".repeat(46), &"u".repeat(45), ""] {
        verify(&server, bad)
            .await
            .unwrap_err()
            .assert(400, "SCHEMA_ERROR");
        check(&server, bad)
            .await
            .unwrap_err()
            .assert(400, "SCHEMA_ERROR");
    }

    send(&server, &user, &channel.id, CALLBACK).await.unwrap();
    let code = code_in(&t.sent()[0]);
    // Another project on the same database does not know this project's codes.
    let other = t
        .running
        .service
        .create_project("Other", true)
        .await
        .unwrap();
    let other_server = ClientConfig::new(t.url(), &other.project_id)
        .access(AccessType::Server, &other.secret_server_key)
        .build()
        .unwrap();
    verify(&other_server, &code)
        .await
        .unwrap_err()
        .assert(404, "VERIFICATION_CODE_NOT_FOUND");
    check(&other_server, &code)
        .await
        .unwrap_err()
        .assert(404, "VERIFICATION_CODE_NOT_FOUND");

    // Valid for seven days, to the second.
    t.clock.advance(Duration::from_secs(7 * 24 * 60 * 60 - 1));
    assert!(check(&server, &code).await.unwrap());
    t.clock.advance(Duration::from_secs(1));
    check(&server, &code)
        .await
        .unwrap_err()
        .assert(400, "VERIFICATION_CODE_EXPIRED");
    verify(&server, &code)
        .await
        .unwrap_err()
        .assert(400, "VERIFICATION_CODE_EXPIRED");
    assert!(!t.stored().await[0].is_verified);
}

#[tokio::test]
async fn twenty_wrong_guesses_lock_the_code() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "x@example.com", false, false).await;
    let server = t.server();
    send(&server, &user, &channel.id, CALLBACK).await.unwrap();
    let code = code_in(&t.sent()[0]);
    let wrong = |i: usize| {
        let mut guess: Vec<char> = code.chars().collect();
        let last = guess.len() - 1;
        guess[last] = if guess[last] == '0' { '1' } else { '0' };
        guess[last - 1] = "0123456789abcdefghjk".chars().nth(i % 20).unwrap();
        guess.into_iter().collect::<String>()
    };
    for i in 0..20 {
        let guess = wrong(i);
        assert_ne!(guess, code);
        let e = if i % 2 == 0 {
            verify(&server, &guess).await
        } else {
            check(&server, &guess).await.map(|_| ())
        };
        e.unwrap_err().assert(404, "VERIFICATION_CODE_NOT_FOUND");
    }
    verify(&server, &code)
        .await
        .unwrap_err()
        .assert(400, "VERIFICATION_CODE_MAX_ATTEMPTS_REACHED");
    assert!(!t.stored().await[0].is_verified);
}

#[tokio::test]
async fn a_code_verifies_once_under_concurrency() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "race@example.com", false, false).await;
    send(&t.server(), &user, &channel.id, CALLBACK)
        .await
        .unwrap();
    let code = code_in(&t.sent()[0]);
    let tasks: Vec<_> = (0..24)
        .map(|_| {
            let (client, code) = (t.server(), code.clone());
            tokio::spawn(async move { verify(&client, &code).await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => ok += 1,
            Err(e) => {
                e.assert(409, "VERIFICATION_CODE_ALREADY_USED");
            }
        }
    }
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn a_code_for_a_changed_or_deleted_channel_verifies_nothing() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let server = t.server();
    let changed = t.channel(&user, "before@example.com", false, false).await;
    send(&server, &user, &changed.id, CALLBACK).await.unwrap();
    let code = code_in(&t.sent()[0]);
    server
        .update_contact_channel()
        .user_id(&user)
        .contact_channel_id(&changed.id)
        .body(ContactChannelUpdate {
            value: Some("after@example.com".into()),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    verify(&server, &code)
        .await
        .unwrap_err()
        .assert(409, "VERIFICATION_CODE_OUTDATED");

    let deleted = t.channel(&user, "gone@example.com", false, false).await;
    send(&server, &user, &deleted.id, CALLBACK).await.unwrap();
    let code = code_in(&t.sent()[1]);
    server
        .delete_contact_channel()
        .user_id(&user)
        .contact_channel_id(&deleted.id)
        .send()
        .await
        .unwrap();
    verify(&server, &code)
        .await
        .unwrap_err()
        .assert(404, "CONTACT_CHANNEL_NOT_FOUND");
    assert!(t.stored().await.iter().all(|c| !c.is_verified));
}

#[tokio::test]
async fn callback_urls_must_be_well_formed_and_trusted() {
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "x@example.com", false, false).await;
    let server = t.server();
    for bad in [
        "not a url",
        "/relative/path",
        "ftp://localhost/x",
        "javascript:alert(1)",
    ] {
        let e = send(&server, &user, &channel.id, bad).await.unwrap_err();
        e.assert(400, "SCHEMA_ERROR");
        assert!(
            e.details()["message"]
                .as_str()
                .unwrap()
                .contains("callback_url"),
            "{e:?}"
        );
    }
    send(
        &server,
        &user,
        &channel.id,
        "https://app.example.com/verify",
    )
    .await
    .unwrap_err()
    .assert(400, "REDIRECT_URL_NOT_WHITELISTED");

    t.running
        .service
        .change_project_trust(
            &t.keys.project_id,
            &TrustChange {
                add: vec!["https://app.example.com".into()],
                allow_localhost: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    send(
        &server,
        &user,
        &channel.id,
        "https://app.example.com/verify",
    )
    .await
    .unwrap();
    send(&server, &user, &channel.id, CALLBACK)
        .await
        .unwrap_err()
        .assert(400, "REDIRECT_URL_NOT_WHITELISTED");
    assert_eq!(t.sent().len(), 1);
}

#[tokio::test]
async fn clients_send_codes_only_for_themselves() {
    let t = TestServer::start().await;
    let (me, other) = (t.user().await, t.user().await);
    let theirs = t.channel(&other, "theirs@example.com", false, false).await;
    let client = t.signed_in(&me).await;
    send(&client, &other, &theirs.id, CALLBACK)
        .await
        .unwrap_err()
        .assert(403, "CLIENT_CANNOT_ACCESS_OTHER_USER");
    send(&t.anonymous_client(), "me", &theirs.id, CALLBACK)
        .await
        .unwrap_err()
        .assert(400, "CANNOT_GET_OWN_USER_WITHOUT_USER");
    let missing = uuid::Uuid::new_v4().to_string();
    send(&client, "me", &missing, CALLBACK)
        .await
        .unwrap_err()
        .assert(404, "CONTACT_CHANNEL_NOT_FOUND");
    assert!(t.sent().is_empty());
}

/// A mailer that fails, keeping what it was asked to send.
struct FailingMailer(Mutex<Vec<Email>>);

#[async_trait::async_trait]
impl Mailer for FailingMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        self.0.lock().unwrap().push(email.clone());
        Err(MailError::new("connection refused"))
    }
}

#[tokio::test]
async fn a_failed_delivery_is_reported_and_leaves_no_usable_code() {
    let mailer = Arc::new(FailingMailer(Mutex::new(Vec::new())));
    let t =
        TestServer::start_with_mailer(mailer.clone(), std::env::temp_dir().join("unused")).await;
    let user = t.user().await;
    let channel = t.channel(&user, "x@example.com", false, false).await;
    send(&t.server(), &user, &channel.id, CALLBACK)
        .await
        .unwrap_err()
        .assert(502, "EMAIL_DELIVERY_FAILED");
    let attempted = mailer.0.lock().unwrap().clone();
    let code = code_in(&attempted[0]);
    verify(&t.server(), &code)
        .await
        .unwrap_err()
        .assert(404, "VERIFICATION_CODE_NOT_FOUND");
}

/// A minimal SMTP server on 127.0.0.1 that accepts every message and hands over its data.
async fn smtp_sink() -> (u16, tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read);
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            write.write_all(b"354 go ahead\r\n").await.unwrap();
                            let mut data = Vec::new();
                            loop {
                                line.clear();
                                lines.read_line(&mut line).await.unwrap();
                                if line == ".\r\n" {
                                    break;
                                }
                                data.extend_from_slice(line.as_bytes());
                            }
                            tx.send(data).unwrap();
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(answer).await.unwrap();
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test]
async fn delivers_through_a_real_smtp_server() {
    let (port, mut received) = smtp_sink().await;
    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Acme <noreply@acme.test>",
    )
    .unwrap();
    let t =
        TestServer::start_with_mailer(Arc::new(mailer), std::env::temp_dir().join("unused")).await;
    let user = t.user().await;
    let channel = t.channel(&user, "smtp@example.com", false, false).await;
    send(&t.server(), &user, &channel.id, CALLBACK)
        .await
        .unwrap();

    let data = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .unwrap()
        .unwrap();
    let message = mail_parser::MessageParser::default()
        .parse(&data)
        .expect("a parsable message");
    assert_eq!(
        message.subject(),
        Some("Verify your email at Development project")
    );
    assert_eq!(
        message.to().unwrap().first().unwrap().address(),
        Some("smtp@example.com")
    );
    assert_eq!(
        message.from().unwrap().first().unwrap().address(),
        Some("noreply@acme.test")
    );
    let text = message
        .body_text(0)
        .expect("a plain-text part")
        .into_owned();
    let html = message.body_html(0).expect("an HTML part").into_owned();
    let email = Email {
        to: String::new(),
        subject: String::new(),
        text,
        html,
    };
    let code = code_in(&email);
    assert!(email.html.contains(&code));
    verify(&t.server(), &code).await.unwrap();
    assert!(t.stored().await[0].is_verified);
}

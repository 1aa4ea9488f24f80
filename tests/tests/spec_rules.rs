//! The spec's patterns against what the server accepts: a string the spec allows is never
//! refused as invalid input.

use contact_channels_api::types::rules::CALLBACK_URL_PATTERN;
use contact_channels_client::types::VerificationCodeSend;
use contact_channels_tests::{err, TestServer};

/// Edge cases of host names, IPv4 addresses, ports and paths.
const CALLBACKS: &[&str] = &[
    "http://localhost:3000/handler/email-verification",
    "HTTPS://App.Example.COM/verify?x=1#top",
    "http://a-.b/",
    "http://a.b1/",
    "http://1.2.3.4:65535/",
    "http://255.255.255.255",
    "http://x:0",
    "http://ab-c.example/%zz\\[]{}",
    // Refused by the pattern: each would fail to parse, or parses as something else.
    "http://xn--a.com/",
    "http://a.123/",
    "http://x:65536/",
    "http://256.1.1.1/",
    "ftp://example.com/",
    "http://exa mple.com/",
    // Refused by the pattern, taken by the server: a regex cannot tell valid punycode, so the
    // spec allows no `??--` label at all; the server takes internationalized domains.
    "http://xn--bcher-kva.example/",
    "http://ab--c.example/",
    "http:///path",
];

/// The samples the server takes though the spec does not (the spec may be stricter, never
/// looser).
const STRICTER_SPEC: &[&str] = &[
    "http://xn--bcher-kva.example/",
    "http://ab--c.example/",
    // The URL standard reads it as http://path/.
    "http:///path",
];

#[tokio::test]
async fn every_callback_url_the_spec_allows_is_a_url_the_server_takes() {
    let pattern = regex::Regex::new(CALLBACK_URL_PATTERN).unwrap();
    let t = TestServer::start().await;
    let user = t.user().await;
    let channel = t.channel(&user, "cb@example.com", false, false).await;
    let mut allowed = 0;
    for callback in CALLBACKS {
        let answer = t
            .server()
            .send_contact_channel_verification_code()
            .user_id(&user)
            .contact_channel_id(&channel.id)
            .body(VerificationCodeSend {
                callback_url: (*callback).to_owned(),
            })
            .send()
            .await;
        let refused_as_invalid = match answer {
            Ok(_) => false,
            Err(e) => err::<()>(Err(e)).code() == "SCHEMA_ERROR",
        };
        if pattern.is_match(callback) {
            allowed += 1;
            assert!(
                !refused_as_invalid,
                "the spec allows {callback}, the server refused it"
            );
        } else {
            assert_eq!(
                refused_as_invalid,
                !STRICTER_SPEC.contains(callback),
                "the spec refuses {callback}; does the server?"
            );
        }
    }
    assert_eq!(allowed, 8, "the samples cover both sides");
}

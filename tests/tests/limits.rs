//! The limits on what a caller may send and store, tried as an attacker would, end to end on
//! each engine: display names, look-alike email spellings and the channels of one user.

use contact_channels_client::types::{ContactChannelCreate, UserCreate};
use contact_channels_server::service::ServiceConfig;
use contact_channels_tests::{err, new_channel, TestServer};

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

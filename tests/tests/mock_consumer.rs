//! How a consumer of the Rust client tests its own code without our server: the client's `mock`
//! feature gives typed httpmock helpers generated from the spec (`MockServerExt`, one method per
//! operation, with that operation's `When` and `Then`).

use contact_channels_client::mock::MockServerExt;
use contact_channels_client::{types, AccessType, Client, ClientConfig, Error};
use httpmock::MockServer;

/// What the consumer's app wants to know.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// The signed-in user's primary email, if any.
    Primary(Option<String>),
    /// The API refused, with a code the app can act on.
    Refused { code: String, known_to_sdk: bool },
}

/// The consumer's own function under test: the primary email of the signed-in user.
async fn primary_email(client: &Client) -> Result<Outcome, Error<types::Error>> {
    match client
        .list_contact_channels()
        .user_id("me".to_owned())
        .send()
        .await
    {
        Ok(list) => Ok(Outcome::Primary(
            list.into_inner()
                .items
                .into_iter()
                .find(|c| c.is_primary)
                .map(|c| c.value),
        )),
        Err(Error::ErrorResponse(response)) => Ok(Outcome::Refused {
            known_to_sdk: response.headers().contains_key("x-stack-known-error"),
            code: response.into_inner().code,
        }),
        Err(other) => Err(other),
    }
}

fn client(server: &MockServer) -> Client {
    ClientConfig::new(server.base_url(), "a-project")
        .access(AccessType::Client, "pck_test")
        .access_token("an-access-token")
        .build()
        .unwrap()
}

fn channel(value: &str, is_primary: bool) -> types::ContactChannel {
    types::ContactChannel {
        id: "b3d396b8-c574-4c80-97b3-50031675ceb2".into(),
        user_id: "3241a285-8329-4d69-8f3d-316e08cf140c".into(),
        value: value.into(),
        type_: types::ContactChannelType::Email,
        used_for_auth: true,
        is_verified: true,
        is_primary,
    }
}

#[tokio::test]
async fn the_primary_email_comes_from_the_list() {
    let server = MockServer::start_async().await;
    let mock = server.list_contact_channels(|when, then| {
        // The consumer must ask for `me`, with the client's credentials.
        let when = when.user_id(&"me".to_owned());
        when.into_inner()
            .header("x-stack-access-type", "client")
            .header("x-stack-access-token", "an-access-token");
        then.ok(&types::ContactChannelList {
            items: vec![
                channel("old@example.com", false),
                channel("main@example.com", true),
            ],
            is_paginated: false,
            pagination: None,
        });
    });
    let outcome = primary_email(&client(&server)).await.unwrap();
    assert_eq!(outcome, Outcome::Primary(Some("main@example.com".into())));
    mock.assert_async().await;
}

#[tokio::test]
async fn a_known_error_reaches_the_consumer_with_its_code() {
    let server = MockServer::start_async().await;
    server.list_contact_channels(|when, then| {
        when.user_id(&"me".to_owned());
        then.unauthorized(&types::Error {
            code: "ACCESS_TOKEN_EXPIRED".into(),
            error: "Access token has expired. Please refresh it and try again.".into(),
            details: None,
        })
        .into_inner()
        .header("x-stack-known-error", "ACCESS_TOKEN_EXPIRED");
    });
    let outcome = primary_email(&client(&server)).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Refused {
            code: "ACCESS_TOKEN_EXPIRED".into(),
            known_to_sdk: true,
        }
    );
}

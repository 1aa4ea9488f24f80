//! Wire types: the JSON bodies, path parameters and query strings of the API.
//!
//! Names match the schema and property names of `openapi/contact-channels.json`; the drift check
//! fails when they do not. Descriptions and examples of the contact-channel fields are the ones on
//! Stack Auth's documentation page for `PATCH /contact-channels/{user_id}/{contact_channel_id}`.

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A string schema carrying an OpenAPI `example`, which dropshot copies from the `example`
/// extension (schemars' own `examples` keyword is dropped).
fn string_with_example(example: &str) -> Schema {
    let mut schema = SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        ..Default::default()
    };
    schema.extensions.insert("example".into(), example.into());
    schema.into()
}

fn bool_with_example(example: bool) -> Schema {
    let mut schema = SchemaObject {
        instance_type: Some(InstanceType::Boolean.into()),
        ..Default::default()
    };
    schema.extensions.insert("example".into(), example.into());
    schema.into()
}

/// Example values from the seed page, one function per example (schemars takes a path).
mod example {
    use super::*;

    pub const USER_ID: &str = "3241a285-8329-4d69-8f3d-316e08cf140c";
    pub const CONTACT_CHANNEL_ID: &str = "b3d396b8-c574-4c80-97b3-50031675ceb2";
    pub const VALUE: &str = "johndoe@example.com";

    pub fn user_id(_: &mut SchemaGenerator) -> Schema {
        string_with_example(USER_ID)
    }
    pub fn user_id_or_me(_: &mut SchemaGenerator) -> Schema {
        string_with_example("me")
    }
    pub fn contact_channel_id(_: &mut SchemaGenerator) -> Schema {
        string_with_example(CONTACT_CHANNEL_ID)
    }
    pub fn value(_: &mut SchemaGenerator) -> Schema {
        string_with_example(VALUE)
    }
    pub fn contact_channel_type(gen: &mut SchemaGenerator) -> Schema {
        let mut schema = gen
            .subschema_for::<super::ContactChannelType>()
            .into_object();
        // A `$ref` cannot carry siblings in OpenAPI 3.0, so wrap it.
        let mut wrapped = SchemaObject::default();
        wrapped.subschemas().all_of = Some(vec![std::mem::take(&mut schema).into()]);
        wrapped.extensions.insert("example".into(), "email".into());
        wrapped.into()
    }
    pub fn yes(_: &mut SchemaGenerator) -> Schema {
        bool_with_example(true)
    }
}

/// The type of a contact channel. Currently only `email` exists.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ContactChannelType {
    Email,
}

/// A contact channel of a user.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub struct ContactChannel {
    /// The unique identifier of the user
    #[schemars(schema_with = "example::user_id")]
    pub user_id: String,
    /// The unique identifier of the contact channel
    #[schemars(schema_with = "example::contact_channel_id")]
    pub id: String,
    /// The value of the contact channel. For email, this should be a valid email address.
    #[schemars(schema_with = "example::value")]
    pub value: String,
    /// The type of the contact channel. Currently only "email" is supported.
    #[schemars(schema_with = "example::contact_channel_type")]
    #[serde(rename = "type")]
    pub type_: ContactChannelType,
    /// Whether the contact channel is used for authentication. If this is set to true, the user
    /// will be able to sign in with the contact channel with password or OTP.
    #[schemars(schema_with = "example::yes")]
    pub used_for_auth: bool,
    /// Whether the contact channel has been verified. If this is set to true, the contact channel
    /// has been verified to belong to the user.
    #[schemars(schema_with = "example::yes")]
    pub is_verified: bool,
    /// Whether the contact channel is the primary contact channel. If this is set to true, it
    /// will be used for authentication and notifications by default.
    #[schemars(schema_with = "example::yes")]
    pub is_primary: bool,
}

/// Body of `create_contact_channel`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChannelCreate {
    /// The ID of the user, or the special value `me` for the currently authenticated user
    #[schemars(schema_with = "example::user_id")]
    pub user_id: String,
    /// The value of the contact channel. For email, this should be a valid email address.
    #[schemars(schema_with = "example::value")]
    pub value: String,
    /// The type of the contact channel. Currently only "email" is supported.
    #[schemars(schema_with = "example::contact_channel_type")]
    #[serde(rename = "type")]
    pub type_: ContactChannelType,
    /// Whether the contact channel is used for authentication. If this is set to true, the user
    /// will be able to sign in with the contact channel with password or OTP.
    #[schemars(schema_with = "example::yes")]
    pub used_for_auth: bool,
    /// Whether the contact channel is the primary contact channel. If this is set to true, it
    /// will be used for authentication and notifications by default. Defaults to false.
    #[schemars(schema_with = "example::yes")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_primary: Option<bool>,
    /// Whether the contact channel has been verified. Only server and admin callers may set it;
    /// defaults to false.
    #[schemars(schema_with = "example::yes")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_verified: Option<bool>,
}

/// Body of `update_contact_channel`. Every field is optional; `{}` changes nothing.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChannelUpdate {
    /// The value of the contact channel. For email, this should be a valid email address.
    #[schemars(schema_with = "example::value")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The type of the contact channel. Currently only "email" is supported.
    #[schemars(schema_with = "example::contact_channel_type")]
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<ContactChannelType>,
    /// Whether the contact channel is used for authentication. If this is set to true, the user
    /// will be able to sign in with the contact channel with password or OTP.
    #[schemars(schema_with = "example::yes")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_for_auth: Option<bool>,
    /// Whether the contact channel is the primary contact channel. If this is set to true, it
    /// will be used for authentication and notifications by default.
    #[schemars(schema_with = "example::yes")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_primary: Option<bool>,
    /// Whether the contact channel has been verified. Only server and admin callers may set it.
    /// An update that changes `value` without it resets verification to false.
    #[schemars(schema_with = "example::yes")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_verified: Option<bool>,
}

/// Path of one contact channel.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct ContactChannelPath {
    /// the user that the contact channel belongs to
    #[schemars(schema_with = "example::user_id_or_me")]
    pub user_id: String,
    /// the target contact channel
    #[schemars(schema_with = "example::contact_channel_id")]
    pub contact_channel_id: String,
}

/// Query of `list_contact_channels`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChannelListQuery {
    /// Only the channels of this user (`me` for the token's user). Required for client access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Only the channel with this id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_channel_id: Option<String>,
    /// Page size, 1 to 1000 (default 100). Giving it paginates a per-user list too.
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Where the next page starts.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub struct Pagination {
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A list of contact channels, oldest first.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub struct ContactChannelList {
    /// The contact channels.
    pub items: Vec<ContactChannel>,
    /// Whether the list is paginated (a project-wide list, or any list with `limit`).
    pub is_paginated: bool,
    /// Present when `is_paginated` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
}

/// The answer of an operation that returns nothing else.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub struct Success {
    /// Always true.
    pub success: bool,
}

/// A user of a project (the small part of Stack Auth's user object this service keeps).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub struct User {
    /// The unique identifier of the user
    #[schemars(schema_with = "example::user_id")]
    pub id: String,
    /// The user's display name.
    pub display_name: Option<String>,
    /// The value of the user's primary contact channel, if any.
    pub primary_email: Option<String>,
    /// Whether the primary contact channel is verified; false when there is none.
    pub primary_email_verified: bool,
    /// When the user signed up, in milliseconds since the Unix epoch.
    pub signed_up_at_millis: i64,
}

/// Body of `create_user`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    /// The user's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// Path of one user.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct UserPath {
    /// The ID of the user, or the special value `me` for the currently authenticated user
    #[schemars(schema_with = "example::user_id_or_me")]
    pub user_id: String,
}

/// Body of `create_session`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionCreate {
    /// The user to sign in.
    #[schemars(schema_with = "example::user_id")]
    pub user_id: String,
    /// How long the refresh token lives, in milliseconds (default one year).
    #[schemars(range(min = 1))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_millis: Option<u64>,
}

/// A new session: an access token (an ES256 JWT) and a refresh token.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct Session {
    /// Send it as `x-stack-access-token`.
    pub access_token: String,
    /// Exchange it for a new access token.
    pub refresh_token: String,
}

/// A new access token for the session of a refresh token.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct SessionRefresh {
    /// Send it as `x-stack-access-token`.
    pub access_token: String,
}

/// Error body: every error an API operation answers has this shape.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
pub struct Error {
    /// A stable upper-case code, such as `SCHEMA_ERROR`.
    pub code: String,
    /// A message for people.
    pub error: String,
    /// Structured details; present only for codes that have some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Body of `send_contact_channel_verification_code`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationCodeSend {
    /// Where the emailed link points; `code=<code>` is appended to its query. Must be on one of
    /// the project's trusted domains (or localhost, when the project allows it).
    pub callback_url: String,
}

/// Body of `verify_contact_channel` and `check_contact_channel_verification_code`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationCode {
    /// The code from the emailed link: 45 lowercase characters.
    pub code: String,
}

/// Answer of `check_contact_channel_verification_code`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub struct VerificationCodeCheck {
    /// Always true: an unusable code is answered with an error.
    pub is_code_valid: bool,
}

/// A path segment that can only be the literal `verify`.
///
/// Dropshot cannot route a literal segment beside a variable one (`/contact-channels/verify`
/// beside `/contact-channels/{user_id}`), so the verification routes are declared with the
/// variable names of their siblings and a single-value enum; [`crate::openapi_document`] renders
/// such parameters as the literal path Stack Auth documents.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum VerifySegment {
    #[serde(rename = "verify")]
    Verify,
}

/// A path segment that can only be the literal `check-code`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum CheckCodeSegment {
    #[serde(rename = "check-code")]
    CheckCode,
}

/// Path of `verify_contact_channel`: `/api/v1/contact-channels/verify`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct VerifyPath {
    /// Always `verify`.
    pub user_id: VerifySegment,
}

/// Path of `check_contact_channel_verification_code`:
/// `/api/v1/contact-channels/verify/check-code`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct CheckCodePath {
    /// Always `verify`.
    pub user_id: VerifySegment,
    /// Always `check-code`.
    pub contact_channel_id: CheckCodeSegment,
}

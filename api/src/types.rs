//! Wire types: the JSON bodies, path parameters and query strings of the API.
//!
//! Names match the schema and property names of `openapi/contact-channels.json`; the drift check
//! fails when they do not. Descriptions and examples of the contact-channel fields are the ones on
//! Stack Auth's documentation page for `PATCH /contact-channels/{user_id}/{contact_channel_id}`.

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// Input rules the server enforces: the spec states them as patterns and limits, so clients and
/// contract tests know every string the server accepts.
pub mod rules {
    /// A UUID in its hyphenated form, either case: the only form the server accepts for an id.
    pub const UUID_PATTERN: &str =
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
    /// A user id, or `me` for the user of the access token.
    pub const USER_ID_OR_ME_PATTERN: &str =
        "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$";
    /// A verification code: 45 characters of Crockford's base32 alphabet, either case.
    pub const CODE_PATTERN: &str = "^[0-9a-hjkmnp-tv-zA-HJKMNP-TV-Z]{45}$";
    /// An http(s) URL with a host name or an IPv4 address, an optional port, and printable
    /// ASCII after it: every string it matches is a URL the server can parse. So a host name's
    /// labels have no `--` in third and fourth place (`xn--` labels must be valid punycode),
    /// its last label starts with a letter (one of digits would be read as an IPv4 part), and
    /// the port is at most 65535.
    pub const CALLBACK_URL_PATTERN: &str = "^[hH][tT][tT][pP][sS]?://\
        (([A-Za-z0-9]([A-Za-z0-9-]([A-Za-z0-9][A-Za-z0-9-]*|-([A-Za-z0-9][A-Za-z0-9-]*)?)?)?\\.)*\
        [A-Za-z]([A-Za-z0-9-]([A-Za-z0-9][A-Za-z0-9-]*|-([A-Za-z0-9][A-Za-z0-9-]*)?)?)?\
        |((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]))\
        (:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?\
        ([/?#][!-~]*)?$";
    /// A list cursor: [`CURSOR_DIGITS`] lowercase hex digits, as `next_cursor` gives them.
    pub const CURSOR_PATTERN: &str = "^[0-9a-f]{16}$";
    /// How many hex digits a cursor has.
    pub const CURSOR_DIGITS: usize = 16;
    /// The page size of a paginated list that names none.
    pub const DEFAULT_PAGE_SIZE: u32 = 100;
    /// The largest page size.
    pub const MAX_PAGE_SIZE: u32 = 1000;
    /// Longest email address (RFC 5321's path limit).
    pub const MAX_EMAIL_LENGTH: u32 = 254;
    /// Longest a session may last: one year, in milliseconds (also the default).
    pub const MAX_SESSION_MILLIS: u64 = 365 * 24 * 60 * 60 * 1000;
    /// Longest display name, in characters (code points).
    pub const MAX_DISPLAY_NAME_CHARS: u32 = 256;

    /// Characters no display name or email address may hold, as inclusive ranges: controls
    /// (Unicode category Cc) and format characters (Cf, which include the bidi controls and the
    /// zero-width characters), as of Unicode 15.1.
    pub const INVISIBLE: &[(char, char)] = &[
        ('\u{0}', '\u{1f}'),
        ('\u{7f}', '\u{9f}'),
        ('\u{ad}', '\u{ad}'),
        ('\u{600}', '\u{605}'),
        ('\u{61c}', '\u{61c}'),
        ('\u{6dd}', '\u{6dd}'),
        ('\u{70f}', '\u{70f}'),
        ('\u{890}', '\u{891}'),
        ('\u{8e2}', '\u{8e2}'),
        ('\u{180e}', '\u{180e}'),
        ('\u{200b}', '\u{200f}'),
        ('\u{202a}', '\u{202e}'),
        ('\u{2060}', '\u{2064}'),
        ('\u{2066}', '\u{206f}'),
        ('\u{feff}', '\u{feff}'),
        ('\u{fff9}', '\u{fffb}'),
        ('\u{110bd}', '\u{110bd}'),
        ('\u{110cd}', '\u{110cd}'),
        ('\u{13430}', '\u{1343f}'),
        ('\u{1bca0}', '\u{1bca3}'),
        ('\u{1d173}', '\u{1d17a}'),
        ('\u{e0001}', '\u{e0001}'),
        ('\u{e0020}', '\u{e007f}'),
    ];
    /// White space (Unicode White_Space) beyond the controls: no email address holds it.
    pub const SPACES: &[(char, char)] = &[
        ('\u{20}', '\u{20}'),
        ('\u{a0}', '\u{a0}'),
        ('\u{1680}', '\u{1680}'),
        ('\u{2000}', '\u{200a}'),
        ('\u{2028}', '\u{2029}'),
        ('\u{202f}', '\u{202f}'),
        ('\u{205f}', '\u{205f}'),
        ('\u{3000}', '\u{3000}'),
    ];

    /// Whether `c` lies in one of `ranges`.
    pub fn is_in(ranges: &[(char, char)], c: char) -> bool {
        ranges.iter().any(|&(low, high)| (low..=high).contains(&c))
    }

    /// A pattern that matches strings with none of the characters of `sets`. Written with
    /// `\uXXXX` escapes, which both ECMAScript (without the `u` flag) and Python read, so only
    /// characters of the Basic Multilingual Plane can be named: the server also refuses those
    /// beyond it, which are rare format characters (tags, musical symbol formatting).
    pub fn pattern_without(sets: &[&[(char, char)]]) -> String {
        let mut class = String::new();
        for &(low, high) in sets.iter().flat_map(|set| set.iter()) {
            if u32::from(low) > 0xffff {
                continue;
            }
            class.push_str(&format!("\\u{:04x}", u32::from(low)));
            if high != low {
                let high = u32::from(high).min(0xffff);
                class.push_str(&format!("-\\u{high:04x}"));
            }
        }
        format!("^[^{class}]*$")
    }

    /// The pattern of a display name: no invisible character.
    pub static DISPLAY_NAME_PATTERN: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| pattern_without(&[INVISIBLE]));
    /// The pattern of an email address: no invisible character and no white space.
    pub static EMAIL_PATTERN: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| pattern_without(&[INVISIBLE, SPACES]));
}

/// Declares schema-only types for the API's constrained strings: each becomes a named schema
/// (so generated clients get one type per kind of string, not one per field) with its pattern,
/// limits and an OpenAPI `example` (dropshot copies the `example` extension; schemars' own
/// `examples` keyword is dropped). The wire types keep `String` fields that point at them.
macro_rules! string_schemas {
    ($( $(#[doc = $doc:literal])+ $name:ident {
        example: $example:expr, pattern: $pattern:expr, format: $format:expr, max_length: $max:expr $(,)?
    } )*) => {$(
        $(#[doc = $doc])+
        pub enum $name {}

        impl $name {
            /// The example the spec gives.
            pub const EXAMPLE: &str = $example;
        }

        impl JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                let mut schema = SchemaObject {
                    instance_type: Some(InstanceType::String.into()),
                    format: $format.map(str::to_owned),
                    ..Default::default()
                };
                schema.metadata().description = Some(concat!($($doc, "\n"),+).trim().replace("\n ", "\n"));
                schema.string().pattern = $pattern.map(str::to_owned);
                schema.string().max_length = $max;
                schema.extensions.insert("example".into(), $example.into());
                schema.into()
            }
        }
    )*};
}

string_schemas! {
    /// A user's id: a UUID, hyphenated.
    UserId { example: "3241a285-8329-4d69-8f3d-316e08cf140c", pattern: Some(rules::UUID_PATTERN), format: None::<&str>, max_length: None }
    /// A user's id, or `me` for the user signed in with the access token.
    UserIdOrMe { example: "me", pattern: Some(rules::USER_ID_OR_ME_PATTERN), format: None::<&str>, max_length: None }
    /// A contact channel's id: a UUID, hyphenated.
    ContactChannelId { example: "b3d396b8-c574-4c80-97b3-50031675ceb2", pattern: Some(rules::UUID_PATTERN), format: None::<&str>, max_length: None }
    /// An email address: a plain address (no quoted local part, no address literal, no white
    /// space, control or format character), at most 254 characters. Stored and compared in
    /// lower case, with an internationalized domain in its ASCII form (`bücher.example` is
    /// stored as `xn--bcher-kva.example`), so both spellings are one address.
    EmailAddress { example: "johndoe@example.com", pattern: Some(rules::EMAIL_PATTERN.as_str()), format: Some("email"), max_length: Some(rules::MAX_EMAIL_LENGTH) }
    /// A user's display name: at most 256 characters, none of them a control or format
    /// character.
    DisplayName { example: "John Doe", pattern: Some(rules::DISPLAY_NAME_PATTERN.as_str()), format: None::<&str>, max_length: Some(rules::MAX_DISPLAY_NAME_CHARS) }
    /// A verification code from an emailed link: 45 characters of Crockford's base32 alphabet
    /// (the link has them in lower case; either case is accepted).
    VerificationCodeText { example: "m9s346q3d25vt4f5v37e3s3e28jt97kb6cq643dzvmxxq", pattern: Some(rules::CODE_PATTERN), format: None::<&str>, max_length: None }
    /// An http(s) URL with a host name or an IPv4 address.
    CallbackUrl { example: "http://localhost:3000/handler/email-verification", pattern: Some(rules::CALLBACK_URL_PATTERN), format: None::<&str>, max_length: None }
    /// Where a page of a list starts: the `next_cursor` of the page before.
    Cursor { example: "000000000000002a", pattern: Some(rules::CURSOR_PATTERN), format: None::<&str>, max_length: None }
}

/// An optional field that, when present, is not null: the spec does not make these fields
/// nullable, and Stack Auth refuses null there too. Absent is `None`.
fn non_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn bool_with_example(example: bool) -> Schema {
    let mut schema = SchemaObject {
        instance_type: Some(InstanceType::Boolean.into()),
        ..Default::default()
    };
    schema.extensions.insert("example".into(), example.into());
    schema.into()
}

/// A reference to `T`'s named schema, with `example` beside it (a `$ref` cannot carry
/// siblings in OpenAPI 3.0, so it is wrapped in `allOf`).
fn named_with_example<T: JsonSchema>(
    gen: &mut SchemaGenerator,
    example: serde_json::Value,
) -> Schema {
    let reference = gen.subschema_for::<T>();
    let mut wrapped = SchemaObject::default();
    wrapped.subschemas().all_of = Some(vec![reference]);
    wrapped.extensions.insert("example".into(), example);
    wrapped.into()
}

/// Schemas of the fields that carry rules or examples, one function per field shape (schemars
/// takes a path). Examples are those of the seed page.
mod field {
    use super::*;

    pub fn user_id(gen: &mut SchemaGenerator) -> Schema {
        named_with_example::<UserId>(gen, UserId::EXAMPLE.into())
    }
    pub fn user_id_or_me(gen: &mut SchemaGenerator) -> Schema {
        named_with_example::<UserIdOrMe>(gen, UserIdOrMe::EXAMPLE.into())
    }
    /// A user id or `me` in a body, where the seed page's example is an id.
    pub fn owner(gen: &mut SchemaGenerator) -> Schema {
        named_with_example::<UserIdOrMe>(gen, UserId::EXAMPLE.into())
    }
    pub fn contact_channel_id(gen: &mut SchemaGenerator) -> Schema {
        named_with_example::<ContactChannelId>(gen, ContactChannelId::EXAMPLE.into())
    }
    pub fn value(gen: &mut SchemaGenerator) -> Schema {
        named_with_example::<EmailAddress>(gen, EmailAddress::EXAMPLE.into())
    }
    /// Null stays accepted (no name), as before the rules were stated. OpenAPI 3.0 wants a
    /// `type` beside `nullable`.
    pub fn display_name(gen: &mut SchemaGenerator) -> Schema {
        let mut wrapped = SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            ..Default::default()
        };
        wrapped.subschemas().all_of = Some(vec![gen.subschema_for::<DisplayName>()]);
        wrapped.extensions.insert("nullable".into(), true.into());
        wrapped.into()
    }
    pub fn code(gen: &mut SchemaGenerator) -> Schema {
        gen.subschema_for::<VerificationCodeText>()
    }
    pub fn callback_url(gen: &mut SchemaGenerator) -> Schema {
        gen.subschema_for::<CallbackUrl>()
    }
    pub fn cursor(gen: &mut SchemaGenerator) -> Schema {
        gen.subschema_for::<Cursor>()
    }
    pub fn contact_channel_type(gen: &mut SchemaGenerator) -> Schema {
        named_with_example::<super::ContactChannelType>(gen, "email".into())
    }
    /// Absent rather than null: a plain reference.
    pub fn pagination(gen: &mut SchemaGenerator) -> Schema {
        gen.subschema_for::<super::Pagination>()
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
    #[schemars(schema_with = "field::user_id")]
    pub user_id: String,
    /// The unique identifier of the contact channel
    #[schemars(schema_with = "field::contact_channel_id")]
    pub id: String,
    /// The value of the contact channel. For email, this should be a valid email address.
    #[schemars(schema_with = "field::value")]
    pub value: String,
    /// The type of the contact channel. Currently only "email" is supported.
    #[schemars(schema_with = "field::contact_channel_type")]
    #[serde(rename = "type")]
    pub type_: ContactChannelType,
    /// Whether the contact channel is used for authentication. If this is set to true, the user
    /// will be able to sign in with the contact channel with password or OTP.
    #[schemars(schema_with = "field::yes")]
    pub used_for_auth: bool,
    /// Whether the contact channel has been verified. If this is set to true, the contact channel
    /// has been verified to belong to the user.
    #[schemars(schema_with = "field::yes")]
    pub is_verified: bool,
    /// Whether the contact channel is the primary contact channel. If this is set to true, it
    /// will be used for authentication and notifications by default.
    #[schemars(schema_with = "field::yes")]
    pub is_primary: bool,
}

/// Body of `create_contact_channel`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChannelCreate {
    /// The ID of the user, or the special value `me` for the currently authenticated user
    #[schemars(schema_with = "field::owner")]
    pub user_id: String,
    /// The value of the contact channel. For email, this should be a valid email address.
    #[schemars(schema_with = "field::value")]
    pub value: String,
    /// The type of the contact channel. Currently only "email" is supported.
    #[schemars(schema_with = "field::contact_channel_type")]
    #[serde(rename = "type")]
    pub type_: ContactChannelType,
    /// Whether the contact channel is used for authentication. If this is set to true, the user
    /// will be able to sign in with the contact channel with password or OTP.
    #[schemars(schema_with = "field::yes")]
    pub used_for_auth: bool,
    /// Whether the contact channel is the primary contact channel. If this is set to true, it
    /// will be used for authentication and notifications by default. Defaults to false.
    #[schemars(schema_with = "field::yes")]
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_primary: Option<bool>,
    /// Whether the contact channel has been verified. Only server and admin callers may set it;
    /// defaults to false.
    #[schemars(schema_with = "field::yes")]
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_verified: Option<bool>,
}

/// Body of `update_contact_channel`. Every field is optional; `{}` changes nothing.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChannelUpdate {
    /// The value of the contact channel. For email, this should be a valid email address.
    #[schemars(schema_with = "field::value")]
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
    /// The type of the contact channel. Currently only "email" is supported.
    #[schemars(schema_with = "field::contact_channel_type")]
    #[serde(
        default,
        rename = "type",
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub type_: Option<ContactChannelType>,
    /// Whether the contact channel is used for authentication. If this is set to true, the user
    /// will be able to sign in with the contact channel with password or OTP.
    #[schemars(schema_with = "field::yes")]
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub used_for_auth: Option<bool>,
    /// Whether the contact channel is the primary contact channel. If this is set to true, it
    /// will be used for authentication and notifications by default.
    #[schemars(schema_with = "field::yes")]
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_primary: Option<bool>,
    /// Whether the contact channel has been verified. Only server and admin callers may set it.
    /// An update that changes `value` without it resets verification to false.
    #[schemars(schema_with = "field::yes")]
    #[serde(
        default,
        deserialize_with = "non_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_verified: Option<bool>,
}

/// Path of one contact channel.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct ContactChannelPath {
    /// the user that the contact channel belongs to
    #[schemars(schema_with = "field::user_id_or_me")]
    pub user_id: String,
    /// the target contact channel
    #[schemars(schema_with = "field::contact_channel_id")]
    pub contact_channel_id: String,
}

/// Query of `list_contact_channels`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChannelListQuery {
    /// Only the channels of this user (`me` for the token's user). Required for client access.
    #[schemars(schema_with = "field::user_id_or_me")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Only the channel with this id.
    #[schemars(schema_with = "field::contact_channel_id")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_channel_id: Option<String>,
    /// Page size, 1 to 1000 (default 100). Giving it paginates a per-user list too.
    #[schemars(range(min = 1, max = "rules::MAX_PAGE_SIZE"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[schemars(schema_with = "field::cursor")]
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
    /// Present when `is_paginated` is true (never null).
    #[schemars(schema_with = "field::pagination")]
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
    #[schemars(schema_with = "field::user_id")]
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
    #[schemars(schema_with = "field::display_name")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// Path of one user.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct UserPath {
    /// The ID of the user, or the special value `me` for the currently authenticated user
    #[schemars(schema_with = "field::user_id_or_me")]
    pub user_id: String,
}

/// Body of `create_session`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionCreate {
    /// The user to sign in.
    #[schemars(schema_with = "field::user_id")]
    pub user_id: String,
    /// How long the refresh token lives, in milliseconds: at most one year, the default.
    #[schemars(range(min = 1, max = "rules::MAX_SESSION_MILLIS"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_millis: Option<u64>,
    /// Whether an admin signs in as the user. Stack Auth's SDK always sends it; this server
    /// keeps no impersonation flag, so either value makes the same session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_impersonation: Option<bool>,
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

/// Body of `create_oauth_token`: OAuth 2.0's refresh-token grant (RFC 6749 §6), form-encoded,
/// with the client authenticated by `client_id` and `client_secret` (§2.3.1). Parameters it does
/// not know are ignored, as OAuth requires.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct OAuthTokenRequest {
    /// Only `refresh_token` is supported.
    pub grant_type: String,
    /// The session's refresh token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The project id.
    pub client_id: String,
    /// The project's publishable client key (in the body: HTTP Basic client authentication is
    /// not supported).
    pub client_secret: String,
}

/// An OAuth 2.0 token response (RFC 6749 §5.1): a new access token for the refresh token's
/// session. The refresh token itself stays valid, so none is returned.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct OAuthTokenResponse {
    /// Send it as `x-stack-access-token`.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Error body of `create_oauth_token`. Errors of the OAuth exchange itself have OAuth 2.0's
/// body (RFC 6749 §5.2): `error` (`invalid_request`, `invalid_client` or
/// `unsupported_grant_type`) and `error_description`. The others have the API's body (`code`,
/// `error`, `details`): an unknown, expired or signed-out refresh token is
/// `REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED`, which the SDK reads as "signed out".
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
pub struct OAuthError {
    /// OAuth's error code (`invalid_grant` for an ended session), or the API's message.
    pub error: String,
    /// OAuth's message for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// The API's code, such as `REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The API's structured details, for codes that have some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Map<String, serde_json::Value>>,
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
    #[schemars(schema_with = "field::callback_url")]
    pub callback_url: String,
}

/// Body of `verify_contact_channel` and `check_contact_channel_verification_code`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationCode {
    /// The code from the emailed link: 45 characters of Crockford's base32 alphabet (the
    /// link has them in lower case; either case is accepted).
    #[schemars(schema_with = "field::code")]
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

#[cfg(test)]
mod tests {
    use super::rules::*;
    use serde_json::Value;

    #[test]
    fn the_cursor_pattern_has_the_cursor_digits() {
        assert_eq!(CURSOR_PATTERN, format!("^[0-9a-f]{{{CURSOR_DIGITS}}}$"));
    }

    /// Doc comments cannot name a constant, so the prose is held to the limits here.
    #[test]
    fn the_page_size_prose_states_the_limits() {
        let doc = crate::openapi_document();
        let parameters = doc["paths"]["/api/v1/contact-channels"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let limit = parameters.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(limit["schema"]["maximum"], Value::from(MAX_PAGE_SIZE));
        let prose = limit["description"].as_str().unwrap();
        assert!(
            prose.contains(&format!(
                "1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})"
            )),
            "{prose}"
        );
    }
}

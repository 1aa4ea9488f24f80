//! One row per operation of the spec: the error codes it can answer and how it authenticates.
//!
//! The spec's error responses are rendered from these rows, with each code's status and summary
//! taken from [`ErrorCode`]; the server labels its metrics with the row's id. A spec operation
//! without a row fails the spec's rendering, and so `cargo test` and `cargo xtask check`.

use crate::ErrorCode::{self, *};
use std::collections::BTreeMap;

/// How an operation's caller proves who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// The project id, the access type and its key; client access adds a user's access token.
    Keys,
    /// As [`Security::Keys`], with a session's refresh token instead of an access token.
    RefreshToken,
    /// Nothing in headers: the OAuth client authenticates in the form body.
    InBody,
}

/// The shape of an operation's error bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorBody {
    /// The API's `{code, error, details}`.
    Api,
    /// OAuth's `{error, error_description}` (RFC 6749 §5.2), with the API's `code` when it has one.
    OAuth,
}

/// What the spec says of one operation beyond what dropshot renders.
#[derive(Debug)]
pub struct Operation {
    /// The `operationId`, as the trait method is named.
    pub id: &'static str,
    pub security: Security,
    pub error_body: ErrorBody,
    /// The codes it can answer, in groups shared between operations.
    errors: &'static [&'static [ErrorCode]],
}

/// Malformed or missing authentication headers.
const HEADERS: &[ErrorCode] = &[
    ConflictingHeaders,
    ProjectKeyWithoutAccessType,
    AccessTypeRequired,
    InvalidAccessType,
    AccessTypeWithoutProjectId,
    CurrentProjectNotFound,
];
/// A missing or wrong key, or a bad access token.
const KEYS: &[ErrorCode] = &[
    PublishableClientKeyRequiredForProject,
    InvalidPublishableClientKey,
    ServerAuthenticationRequired,
    InvalidSecretServerKey,
    AdminAuthenticationRequired,
    InvalidSuperSecretAdminKey,
    InsufficientAccessType,
    UnparsableAccessToken,
    AccessTokenExpired,
    InvalidProjectForAccessToken,
];
/// A query string or path that is not valid.
const PARAMETERS: &[ErrorCode] = &[SchemaError];
/// A body that is not valid.
const BODY: &[ErrorCode] = &[SchemaError, BodyParsingError, RequestBodyTooLarge];
/// A user named in the path (or `me`), which a client may only use for itself.
const PATH_USER: &[ErrorCode] = &[CannotGetOwnUserWithoutUser, ClientCannotAccessOtherUser];
/// A user named in the body.
const BODY_USER: &[ErrorCode] = &[CannotGetOwnUserWithoutUser, UserIdDoesNotExist];
/// A channel's value that another channel holds.
const VALUE_TAKEN: &[ErrorCode] = &[
    ContactChannelAlreadyExists,
    ContactChannelAlreadyUsedForAuthBySomeoneElse,
];
/// A verification code as sent back from the emailed link.
const CODE: &[ErrorCode] = &[
    VerificationCodeNotFound,
    VerificationCodeExpired,
    VerificationCodeAlreadyUsed,
    VerificationCodeMaxAttemptsReached,
    VerificationCodeOutdated,
    EmailAlreadyVerified,
    ContactChannelNotFound,
];

const fn keyed(id: &'static str, errors: &'static [&'static [ErrorCode]]) -> Operation {
    Operation {
        id,
        security: Security::Keys,
        error_body: ErrorBody::Api,
        errors,
    }
}

/// Every operation of the spec.
pub const OPERATIONS: &[Operation] = &[
    keyed(
        "list_contact_channels",
        &[HEADERS, KEYS, PARAMETERS, PATH_USER],
    ),
    keyed(
        "create_contact_channel",
        &[
            HEADERS,
            KEYS,
            BODY,
            BODY_USER,
            &[ClientCannotAccessOtherUser],
            VALUE_TAKEN,
            &[ContactChannelLimitReached],
        ],
    ),
    keyed(
        "get_contact_channel",
        &[
            HEADERS,
            KEYS,
            PARAMETERS,
            PATH_USER,
            &[ContactChannelNotFound],
        ],
    ),
    keyed(
        "update_contact_channel",
        &[
            HEADERS,
            KEYS,
            PARAMETERS,
            BODY,
            PATH_USER,
            &[ContactChannelNotFound],
            VALUE_TAKEN,
        ],
    ),
    keyed(
        "delete_contact_channel",
        &[
            HEADERS,
            KEYS,
            PARAMETERS,
            PATH_USER,
            &[ContactChannelNotFound],
        ],
    ),
    keyed(
        "send_contact_channel_verification_code",
        &[
            HEADERS,
            KEYS,
            PARAMETERS,
            BODY,
            PATH_USER,
            &[
                ContactChannelNotFound,
                RedirectUrlNotWhitelisted,
                EmailAlreadyVerified,
            ],
            &[RateLimited, EmailDeliveryFailed],
        ],
    ),
    keyed(
        "verify_contact_channel",
        &[HEADERS, KEYS, BODY, CODE, &[RateLimited]],
    ),
    keyed(
        "check_contact_channel_verification_code",
        &[HEADERS, KEYS, BODY, CODE, &[RateLimited]],
    ),
    keyed("create_user", &[HEADERS, KEYS, BODY]),
    keyed(
        "get_user",
        &[HEADERS, KEYS, PARAMETERS, PATH_USER, &[UserNotFound]],
    ),
    keyed(
        "delete_user",
        &[
            HEADERS,
            KEYS,
            PARAMETERS,
            &[CannotGetOwnUserWithoutUser, UserNotFound],
        ],
    ),
    keyed(
        "create_session",
        &[HEADERS, KEYS, BODY, &[UserIdDoesNotExist]],
    ),
    Operation {
        security: Security::RefreshToken,
        ..keyed(
            "refresh_session",
            &[HEADERS, KEYS, &[RefreshTokenNotFoundOrExpired]],
        )
    },
    Operation {
        id: "create_oauth_token",
        security: Security::InBody,
        error_body: ErrorBody::OAuth,
        errors: &[
            &[
                OAuthInvalidRequest,
                OAuthUnsupportedGrantType,
                OAuthInvalidClient,
            ],
            &[RefreshTokenNotFoundOrExpired, RequestBodyTooLarge],
        ],
    },
    Operation {
        security: Security::RefreshToken,
        ..keyed(
            "delete_current_session",
            &[HEADERS, KEYS, &[RefreshTokenNotFoundOrExpired]],
        )
    },
];

/// The row of the operation `id`.
pub fn operation(id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.id == id)
}

impl Operation {
    /// Every code it can answer, each once, in the table's order.
    pub fn error_codes(&self) -> Vec<ErrorCode> {
        let mut codes: Vec<ErrorCode> = Vec::new();
        for code in self.errors.iter().flat_map(|group| group.iter()) {
            if !codes.contains(code) {
                codes.push(*code);
            }
        }
        codes
    }

    /// Its error statuses, each with the codes answered with it.
    pub fn error_statuses(&self) -> BTreeMap<u16, Vec<ErrorCode>> {
        let mut statuses: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
        for code in self.error_codes() {
            statuses
                .entry(code.status().as_u16())
                .or_default()
                .push(code);
        }
        statuses
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_row_has_errors() {
        for (i, op) in OPERATIONS.iter().enumerate() {
            assert!(
                OPERATIONS[..i].iter().all(|other| other.id != op.id),
                "{} has two rows",
                op.id
            );
            assert!(!op.error_codes().is_empty(), "{} answers no error", op.id);
        }
    }

    /// Every published operation of the trait, by its `operationId`.
    fn trait_operation_ids() -> Vec<String> {
        let description = crate::contact_channels_api_mod::stub_api_description().unwrap();
        let doc = description
            .openapi(crate::TITLE, crate::VERSION)
            .json()
            .unwrap();
        let paths = doc["paths"].as_object().unwrap();
        paths
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .map(|operation| operation["operationId"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn every_operation_has_a_row_and_every_row_an_operation() {
        let ids = trait_operation_ids();
        for id in &ids {
            assert!(
                operation(id).is_some(),
                "the operation {id} has no row: add one to OPERATIONS in api/src/operations.rs, \
                 with the error codes it answers and its security"
            );
        }
        for op in OPERATIONS {
            assert!(
                ids.iter().any(|id| id == op.id),
                "OPERATIONS has a row for {}, which the API trait does not publish",
                op.id
            );
        }
    }

    #[test]
    fn statuses_come_from_the_error_table() {
        let update = operation("update_contact_channel").unwrap();
        let statuses = update.error_statuses();
        assert_eq!(
            statuses.keys().copied().collect::<Vec<_>>(),
            [400, 401, 403, 404, 409, 413]
        );
        assert_eq!(
            statuses[&409],
            [
                ContactChannelAlreadyExists,
                ContactChannelAlreadyUsedForAuthBySomeoneElse
            ]
        );
        // SCHEMA_ERROR is in two groups of the row, and listed once.
        assert_eq!(
            statuses[&400].iter().filter(|c| **c == SchemaError).count(),
            1
        );
    }
}

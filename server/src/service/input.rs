//! Checks and normal forms of the plain inputs operations take: ids and email addresses.

use super::{ServiceError, MAX_EMAIL_LENGTH};
use uuid::Uuid;

/// The error for a client that tries to set `is_verified`.
pub(super) fn client_sets_verified() -> ServiceError {
    ServiceError::InvalidInput("is_verified: only server and admin access may set it".into())
}

/// Parses an id in the one form the spec allows: hyphenated, either case (the `uuid` crate also
/// takes simple, braced and URN forms).
pub(super) fn parse_uuid(field: &str, value: &str) -> Result<Uuid, ServiceError> {
    Some(value)
        .filter(|v| v.len() == 36)
        .and_then(|v| Uuid::try_parse(v).ok())
        .ok_or_else(|| {
            ServiceError::InvalidInput(format!("{field}: {value:?} is not a valid UUID"))
        })
}

/// Trims, validates and lowercases an email address: the form that is stored and compared.
pub fn normalize_email(value: &str) -> Result<String, ServiceError> {
    let trimmed = value.trim();
    // Quoted local parts and address literals are valid RFC 5322 but not accepted by Stack Auth.
    let exotic = trimmed.contains(['"', '[', ']', ' ', '\t']);
    if trimmed.chars().count() > MAX_EMAIL_LENGTH as usize
        || exotic
        || !email_address::EmailAddress::is_valid(trimmed)
    {
        return Err(ServiceError::InvalidInput(format!(
            "value: {value:?} is not a valid email address"
        )));
    }
    Ok(trimmed.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_pattern_and_the_parser_take_the_same_ids() {
        let pattern = regex::Regex::new(contact_channels_api::types::rules::UUID_PATTERN).unwrap();
        for id in [
            "3241a285-8329-4d69-8f3d-316e08cf140c",
            "3241A285-8329-4D69-8F3D-316E08CF140C",
            "3241a2858329-4d69-8f3d-316e08cf140c",
            "3241a28583294d698f3d316e08cf140c",
            "{3241a285-8329-4d69-8f3d-316e08cf140c}",
            "urn:uuid:3241a285-8329-4d69-8f3d-316e08cf140c",
            "3241a285-8329-4d69-8f3d-316e08cf140g",
            "3241a285-8329-4d69-8f3d-316e08cf140c ",
            "",
        ] {
            assert_eq!(pattern.is_match(id), parse_uuid("id", id).is_ok(), "{id:?}");
        }
    }

    #[test]
    fn emails_are_trimmed_validated_and_lowercased() {
        assert_eq!(
            normalize_email("  John.Doe@Example.COM\t").unwrap(),
            "john.doe@example.com"
        );
        for bad in [
            "",
            "   ",
            "plain",
            "a@",
            "@b.c",
            "a b@c.d",
            "\"a b\"@x.com",
            "a@[127.0.0.1]",
        ] {
            assert!(
                matches!(normalize_email(bad), Err(ServiceError::InvalidInput(_))),
                "{bad:?}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(normalize_email(&long).is_err());
    }
}

//! Checks and normal forms of the plain inputs operations take: ids and email addresses.

use super::{ServiceError, MAX_EMAIL_LENGTH};
use contact_channels_api::types::rules::{is_in, INVISIBLE, MAX_DISPLAY_NAME_CHARS, SPACES};
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

/// Checks a user's display name: at most [`MAX_DISPLAY_NAME_CHARS`] characters, none of them
/// invisible (a control or format character), which could hide what the name says.
pub(super) fn check_display_name(name: &str) -> Result<(), ServiceError> {
    if name.chars().count() > MAX_DISPLAY_NAME_CHARS as usize {
        return Err(ServiceError::InvalidInput(format!(
            "display_name: at most {MAX_DISPLAY_NAME_CHARS} characters"
        )));
    }
    if let Some(c) = name.chars().find(|&c| is_in(INVISIBLE, c)) {
        return Err(ServiceError::InvalidInput(format!(
            "display_name: holds the invisible character U+{:04X}",
            u32::from(c)
        )));
    }
    Ok(())
}

/// Trims, validates and normalises an email address to the form that is stored and compared:
/// lower case, and an internationalized domain in its ASCII (IDNA) form, so that
/// `a@bücher.example` and `a@xn--bcher-kva.example` are one address.
pub fn normalize_email(value: &str) -> Result<String, ServiceError> {
    let invalid =
        || ServiceError::InvalidInput(format!("value: {value:?} is not a valid email address"));
    let trimmed = value.trim();
    // Quoted local parts and address literals are valid RFC 5322 but not accepted by Stack Auth;
    // white space, controls and format characters (zero-width, bidi) would make two addresses
    // look alike.
    let refused = |c: char| matches!(c, '"' | '[' | ']') || is_in(INVISIBLE, c) || is_in(SPACES, c);
    if trimmed.chars().count() > MAX_EMAIL_LENGTH as usize || trimmed.chars().any(refused) {
        return Err(invalid());
    }
    let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
    let domain = idna::domain_to_ascii(domain).map_err(|_| invalid())?;
    let normal = format!("{}@{domain}", local.to_lowercase());
    if normal.len() > MAX_EMAIL_LENGTH as usize || !email_address::EmailAddress::is_valid(&normal) {
        return Err(invalid());
    }
    Ok(normal)
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

    #[test]
    fn look_alike_addresses_are_refused_or_made_one() {
        for bad in [
            "vic\u{200b}tim@corp.example",
            "victim@corp\u{200b}.example",
            "vic\u{202e}tim@corp.example",
            "vic\u{a0}tim@corp.example",
            "vic\u{2028}tim@corp.example",
            "vic\u{0}tim@corp.example",
            "vic\u{e0041}tim@corp.example",
        ] {
            assert!(
                matches!(normalize_email(bad), Err(ServiceError::InvalidInput(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            normalize_email("Victim@Bücher.example").unwrap(),
            "victim@xn--bcher-kva.example"
        );
        assert_eq!(
            normalize_email("victim@xn--bcher-kva.example").unwrap(),
            "victim@xn--bcher-kva.example"
        );
    }

    #[test]
    fn display_names_are_limited_and_visible() {
        assert!(check_display_name(&"é".repeat(256)).is_ok());
        assert!(check_display_name("John \u{1F600} Doe").is_ok());
        for bad in [
            "é".repeat(257),
            "a\u{0}b".into(),
            "a\u{200b}b".into(),
            "a\u{202e}b".into(),
            "line\nbreak".into(),
        ] {
            assert!(
                matches!(check_display_name(&bad), Err(ServiceError::InvalidInput(_))),
                "{bad:?}"
            );
        }
    }

    /// The spec's patterns state the same character rules as the checks (for the characters a
    /// pattern can name).
    #[test]
    fn the_spec_patterns_refuse_what_the_checks_refuse() {
        use contact_channels_api::types::rules::{DISPLAY_NAME_PATTERN, EMAIL_PATTERN};
        let name = regex::Regex::new(&DISPLAY_NAME_PATTERN).unwrap();
        let email = regex::Regex::new(&EMAIL_PATTERN).unwrap();
        for c in (0..=0xffff_u32).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            assert_eq!(
                name.is_match(&text),
                check_display_name(&text).is_ok(),
                "display name with U+{:04X}",
                u32::from(c)
            );
            let address = format!("a{c}b@example.com");
            if !email.is_match(&address) {
                assert!(normalize_email(&address).is_err(), "U+{:04X}", u32::from(c));
            }
        }
    }
}

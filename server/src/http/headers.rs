//! Stack Auth's request headers, each accepted under every prefix of
//! [`contact_channels_api::HEADER_PREFIXES`].

use super::HandlerContext;
use crate::service::RequestHeaders;
use contact_channels_api::prefixed_header;
use contact_channels_api::{ApiError, ErrorCode};
use dropshot::RequestContext;
use http::HeaderName;
use serde_json::json;
use std::sync::LazyLock;

/// Stack Auth's authentication headers, in [`RequestHeaders`]' order. Built once: every
/// request looks all of them up.
static AUTH_HEADERS: LazyLock<[[HeaderName; 2]; 6]> = LazyLock::new(|| {
    [
        "project-id",
        "access-type",
        "publishable-client-key",
        "secret-server-key",
        "super-secret-admin-key",
        "access-token",
    ]
    .map(prefixed_header)
});

/// The refresh token, which `refresh_session` reads.
static REFRESH_TOKEN: LazyLock<[HeaderName; 2]> =
    LazyLock::new(|| prefixed_header("refresh-token"));

/// A header under whichever of its names it was sent. The same header with two different
/// values (under two prefixes, or twice under one) is refused: one of them silently winning
/// would let a proxy and the server read different requests.
fn header(
    rqctx: &RequestContext<HandlerContext>,
    names: &[HeaderName],
) -> Result<Option<String>, ApiError> {
    let headers = rqctx.request.headers();
    let mut found: Option<(&HeaderName, &[u8])> = None;
    for name in names {
        for value in headers.get_all(name) {
            match found {
                None => found = Some((name, value.as_bytes())),
                Some((_, seen)) if seen == value.as_bytes() => {}
                Some((first, _)) => {
                    return Err(ApiError::with_details(
                        ErrorCode::ConflictingHeaders,
                        format!("The headers {first} and {name} have different values; send one."),
                        json!({ "headers": [first.as_str(), name.as_str()] }),
                    ))
                }
            }
        }
    }
    Ok(found.and_then(|(_, value)| std::str::from_utf8(value).ok().map(str::to_owned)))
}

/// Stack Auth's authentication headers.
pub(super) fn request_headers(
    rqctx: &RequestContext<HandlerContext>,
) -> Result<RequestHeaders, ApiError> {
    let [project_id, access_type, publishable_client_key, secret_server_key, super_secret_admin_key, access_token] =
        AUTH_HEADERS.each_ref().map(|names| header(rqctx, names));
    Ok(RequestHeaders {
        project_id: project_id?,
        access_type: access_type?,
        publishable_client_key: publishable_client_key?,
        secret_server_key: secret_server_key?,
        super_secret_admin_key: super_secret_admin_key?,
        access_token: access_token?,
    })
}

/// The refresh-token header, for refreshing a session.
pub(super) fn refresh_token(
    rqctx: &RequestContext<HandlerContext>,
) -> Result<Option<String>, ApiError> {
    header(rqctx, &*REFRESH_TOKEN)
}

//! Stack Auth's request headers, each accepted under every prefix of
//! [`contact_channels_api::HEADER_PREFIXES`].

use super::HandlerContext;
use crate::service::RequestHeaders;
use contact_channels_api::prefixed_header;
use dropshot::RequestContext;
use http::HeaderName;
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

/// A header under the first of its names present.
fn header(rqctx: &RequestContext<HandlerContext>, names: &[HeaderName]) -> Option<String> {
    let headers = rqctx.request.headers();
    names.iter().find_map(|name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    })
}

/// Stack Auth's authentication headers.
pub(super) fn request_headers(rqctx: &RequestContext<HandlerContext>) -> RequestHeaders {
    let [project_id, access_type, publishable_client_key, secret_server_key, super_secret_admin_key, access_token] =
        AUTH_HEADERS.each_ref().map(|names| header(rqctx, names));
    RequestHeaders {
        project_id,
        access_type,
        publishable_client_key,
        secret_server_key,
        super_secret_admin_key,
        access_token,
    }
}

/// The refresh-token header, for refreshing a session.
pub(super) fn refresh_token(rqctx: &RequestContext<HandlerContext>) -> Option<String> {
    header(rqctx, &*REFRESH_TOKEN)
}

//! What every response carries, whichever handler answers it: CORS headers for browser apps, and
//! the error-status override of Stack Auth's SDK.
//!
//! Dropshot has no middleware, so each way out applies a [`Finish`]: [`crate::Reply`] for the
//! operations, the server's unpublished routes (but `/metrics`, which is for the scraper), and
//! the fallbacks in [`crate::routes`], which also answer CORS preflights ([`Cors::preflight`]).
//! What dropshot answers itself never reaches them: its 404 for a path segment the router has
//! never seen, and a response that fails to serialize.
//!
//! **Decision:** any origin is allowed by default. The API authenticates by headers only, never by
//! cookie, and no response carries `Access-Control-Allow-Credentials`, so a page on another
//! origin can do nothing a script outside a browser could not: it must hold the keys or the
//! access token itself. An operator can still restrict origins ([`Cors::Only`]).

use crate::prefixed_header;
use dropshot::{Body, RequestContext, ServerContext};
use http::{header, HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use std::sync::LazyLock;

/// `override-error-status` and `actual-status` under every prefix, built once: every request
/// looks them up.
static OVERRIDE_HEADERS: LazyLock<[HeaderName; 2]> =
    LazyLock::new(|| prefixed_header("override-error-status"));
static ACTUAL_STATUS_HEADERS: LazyLock<[HeaderName; 2]> =
    LazyLock::new(|| prefixed_header("actual-status"));

/// Response headers a browser app must read: known errors, the real status of an overridden
/// error, rate limits, and the request id to quote in a report.
static EXPOSED: LazyLock<HeaderValue> = LazyLock::new(|| {
    let names: Vec<String> = ["known-error", "actual-status"]
        .into_iter()
        .flat_map(prefixed_header)
        .map(|name| name.as_str().to_owned())
        .chain(["retry-after".into(), "x-request-id".into()])
        .collect();
    HeaderValue::try_from(names.join(", ")).expect("header names are a valid value")
});
/// How long a browser may reuse a preflight, in seconds (Chromium caps it at two hours).
const PREFLIGHT_MAX_AGE: &str = "7200";

/// Which origins may call the API from a browser.
#[derive(Clone, Debug, Default)]
pub enum Cors {
    /// Any origin: the default.
    #[default]
    Any,
    /// Only these origins (`https://app.example.com`), compared exactly.
    Only(Vec<String>),
}

/// A server context that has a CORS policy; the fallbacks of [`crate::routes`] need it.
pub trait ApiContext: ServerContext {
    fn cors(&self) -> &Cors;
}

impl Cors {
    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if it is allowed.
    fn allow_origin(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        match self {
            Cors::Any => Some(HeaderValue::from_static("*")),
            Cors::Only(list) => {
                let origin = origin?;
                let listed = list.iter().any(|o| o.as_bytes() == origin.as_bytes());
                listed.then(|| origin.clone())
            }
        }
    }

    /// The CORS headers of an actual (not preflight) response to a request with `request`'s
    /// headers.
    fn response_headers(&self, request: &HeaderMap, into: &mut HeaderMap) {
        if let Cors::Only(_) = self {
            into.append(header::VARY, HeaderValue::from_static("origin"));
        }
        if let Some(origin) = self.allow_origin(request.get(header::ORIGIN)) {
            into.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            into.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED.clone());
        }
    }

    /// The answer to an `OPTIONS` request on a path whose operations have `methods`: 204 with
    /// `Allow`, and, for an allowed origin, the methods and those of the requested headers the
    /// API reads (`content-type`, every `x-stack-*` and `x-hexclave-*` header).
    pub fn preflight(&self, request: &HeaderMap, methods: &[String]) -> Response<Body> {
        let methods = HeaderValue::try_from(methods.join(", ")).expect("method names are ASCII");
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        headers.insert(header::ALLOW, methods.clone());
        headers.insert(
            header::VARY,
            HeaderValue::from_static("origin, access-control-request-headers"),
        );
        if let Some(origin) = self.allow_origin(request.get(header::ORIGIN)) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
            let requested = request
                .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|name| name.trim().to_ascii_lowercase())
                .filter(|name| allowed_request_header(name))
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(requested) = HeaderValue::try_from(requested) {
                headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested);
            }
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(PREFLIGHT_MAX_AGE),
            );
        }
        response
    }
}

/// Whether a browser may send this request header: the ones the API and the SDK use.
fn allowed_request_header(name: &str) -> bool {
    // The SDK also sends `ngrok-skip-browser-warning` on every request, for apps served
    // through ngrok; refusing it would fail every SDK preflight.
    name == "content-type"
        || name == "ngrok-skip-browser-warning"
        || crate::HEADER_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// How one response leaves: the CORS headers for its request, and whether an error is answered
/// as 200 with its real status in `x-stack-actual-status` (the SDK asks for that with
/// `x-stack-override-error-status: true`, because some hosts replace non-2xx responses).
#[derive(Clone, Debug, Default)]
pub struct Finish {
    headers: HeaderMap,
    override_error_status: bool,
}

impl Finish {
    /// The finish for a request with `request`'s headers, under `cors`.
    pub fn new(cors: &Cors, request: &HeaderMap) -> Self {
        let mut headers = HeaderMap::new();
        cors.response_headers(request, &mut headers);
        let override_error_status = OVERRIDE_HEADERS.iter().any(|name| {
            request
                .get(name)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"))
        });
        Finish {
            headers,
            override_error_status,
        }
    }

    /// The finish for the request of `rqctx`.
    pub fn of<C: ApiContext>(rqctx: &RequestContext<C>) -> Self {
        Self::new(rqctx.context().cors(), rqctx.request.headers())
    }

    /// `response`, finished.
    pub fn finish(self, mut response: Response<Body>) -> Response<Body> {
        let status = response.status();
        if self.override_error_status && (status.is_client_error() || status.is_server_error()) {
            let actual = HeaderValue::from(status.as_u16());
            for name in ACTUAL_STATUS_HEADERS.iter() {
                response.headers_mut().insert(name, actual.clone());
            }
            *response.status_mut() = StatusCode::OK;
        }
        response.headers_mut().extend(self.headers);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> HeaderMap {
        headers
            .iter()
            .map(|(n, v)| (HeaderName::try_from(*n).unwrap(), v.parse().unwrap()))
            .collect()
    }

    fn error(status: StatusCode) -> Response<Body> {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = status;
        response
    }

    #[test]
    fn errors_are_200_with_their_status_only_when_asked() {
        for (asked, prefix) in [
            ("x-stack-override-error-status", "x-stack-"),
            ("x-hexclave-override-error-status", "x-hexclave-"),
        ] {
            let finish = Finish::new(&Cors::Any, &request(&[(asked, "true")]));
            let response = finish.finish(error(StatusCode::CONFLICT));
            assert_eq!(response.status(), StatusCode::OK, "{prefix}");
            assert_eq!(response.headers()["x-stack-actual-status"], "409");
            assert_eq!(response.headers()["x-hexclave-actual-status"], "409");
        }
        let not_asked = Finish::new(&Cors::Any, &request(&[]));
        assert_eq!(not_asked.finish(error(StatusCode::CONFLICT)).status(), 409);
        let success = Finish::new(
            &Cors::Any,
            &request(&[("x-stack-override-error-status", "true")]),
        );
        let response = success.finish(error(StatusCode::CREATED));
        assert_eq!(response.status(), StatusCode::CREATED);
        assert!(!response.headers().contains_key("x-stack-actual-status"));
    }

    #[test]
    fn a_listed_origin_is_echoed_and_others_get_no_allow_origin() {
        let cors = Cors::Only(vec!["https://app.example".into()]);
        let allowed = Finish::new(&cors, &request(&[("origin", "https://app.example")]));
        let response = allowed.finish(error(StatusCode::OK));
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "https://app.example"
        );
        assert_eq!(response.headers()["vary"], "origin");
        let other = Finish::new(&cors, &request(&[("origin", "https://evil.example")]));
        let response = other.finish(error(StatusCode::OK));
        assert!(!response
            .headers()
            .contains_key("access-control-allow-origin"));
        assert!(!response
            .headers()
            .contains_key("access-control-allow-credentials"));
    }

    #[test]
    fn a_preflight_allows_the_api_headers_and_nothing_else() {
        let headers = request(&[
            ("origin", "http://127.0.0.1:9"),
            ("access-control-request-method", "PATCH"),
            ("access-control-request-headers", "X-Stack-Project-Id,content-type, x-hexclave-access-token,x-evil,ngrok-skip-browser-warning"),
        ]);
        let response = Cors::Any.preflight(&headers, &["GET".into(), "PATCH".into()]);
        let h = response.headers();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(h["access-control-allow-origin"], "*");
        assert_eq!(h["access-control-allow-methods"], "GET, PATCH");
        assert_eq!(
            h["access-control-allow-headers"],
            "x-stack-project-id, content-type, x-hexclave-access-token, ngrok-skip-browser-warning"
        );
        assert!(!h.contains_key("access-control-allow-credentials"));
    }
}

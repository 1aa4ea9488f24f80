//! What the API answers for a request that no operation serves: a CORS preflight for `OPTIONS`
//! on a path of the spec ([`crate::Cors::preflight`]), 405 with `Allow` when the path is the
//! spec's but the method is not, 404 otherwise, both with the error body of every other error.
//!
//! Dropshot's router answers these itself, with a body of its own, and has no hook to change it.
//! So [`register_fallbacks`] gives every route node the methods it lacks, with a handler that
//! answers from the spec's route table ([`Routes`]). The verification routes share their nodes
//! with the channel routes (see [`crate::types::VerifySegment`]), so their handlers ask
//! [`Routes::misrouted`] too when the segments are not theirs.
//!
//! Known limit: a path with a literal segment the API does not have (`/api/v2`, `/api/v1/x`)
//! ends where dropshot's router has no node, and still gets dropshot's own 404 body: a node
//! cannot hold literal and variable edges at once, so no catch-all can sit beside `/api`.

use crate::error::{ApiError, ErrorCode};
use crate::extract::Checked;
use crate::respond::{ApiContext, Finish};
use crate::types::{ContactChannelPath, UserPath};
use dropshot::{ApiDescription, ApiEndpoint, ApiEndpointVersions, Body, HttpError, RequestContext};
use dropshot::{Path, CONTENT_TYPE_JSON};
use http::{Method, Response};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// The methods a fallback handler is registered for, where no operation has them.
const METHODS: [Method; 8] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::OPTIONS,
    Method::TRACE,
];

/// Routes of the trait that the spec leaves out (`unpublished`): the server's own documents and
/// its operational routes.
const UNPUBLISHED: [(&str, &str); 5] = [
    ("/openapi.json", "GET"),
    ("/docs", "GET"),
    ("/healthz", "GET"),
    ("/readyz", "GET"),
    ("/metrics", "GET"),
];

/// The spec's paths as segment templates, with the methods each serves, and the unpublished
/// routes.
pub struct Routes {
    templates: Vec<(Vec<Segment>, BTreeSet<String>)>,
}

enum Segment {
    Literal(String),
    Variable,
}

impl Routes {
    /// The routes of the committed spec's rendering ([`crate::openapi_document`]).
    pub fn of_spec() -> &'static Routes {
        static ROUTES: LazyLock<Routes> =
            LazyLock::new(|| Routes::from_paths(&crate::openapi_document()["paths"]));
        &ROUTES
    }

    fn from_paths(paths: &serde_json::Value) -> Routes {
        let unpublished = UNPUBLISHED.iter().map(|(path, method)| {
            let segments = segments(path)
                .map(|s| Segment::Literal(s.to_owned()))
                .collect();
            (segments, BTreeSet::from([(*method).to_owned()]))
        });
        let templates = paths
            .as_object()
            .into_iter()
            .flatten()
            .map(|(path, item)| {
                let segments = segments(path)
                    .map(|s| match s.starts_with('{') {
                        true => Segment::Variable,
                        false => Segment::Literal(s.to_owned()),
                    })
                    .collect();
                let methods = http_methods(item).collect();
                (segments, methods)
            })
            .chain(unpublished)
            .collect();
        Routes { templates }
    }

    /// The error for `method` on `path` when no operation of the spec serves it: 405 naming the
    /// methods of the path, or 404 when the spec has no such path. `None` when one serves it.
    pub fn misrouted(&self, method: &Method, path: &str) -> Option<ApiError> {
        let allowed = self.allowed(path);
        if allowed.contains(method.as_str()) {
            return None;
        }
        Some(if allowed.is_empty() {
            ApiError::new(ErrorCode::NotFound, format!("No API path matches {path}"))
        } else {
            ApiError::method_not_allowed(method.as_str(), allowed.into_iter().collect())
        })
    }

    /// The methods the operations of `path` have; none when the spec has no such path.
    pub fn allowed(&self, path: &str) -> BTreeSet<String> {
        let request: Vec<&str> = segments(path).collect();
        // As in OpenAPI, a literal segment is more specific than a template: of the paths that
        // match, only those with the most literal segments count.
        let mut allowed = BTreeSet::new();
        let mut best = None;
        for (template, methods) in &self.templates {
            let matches = template.len() == request.len()
                && template.iter().zip(&request).all(|(t, r)| match t {
                    Segment::Variable => true,
                    Segment::Literal(literal) => literal == r,
                });
            if !matches {
                continue;
            }
            let literals = template
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count();
            if best.is_some_and(|b| b > literals) {
                continue;
            }
            if best.is_some_and(|b| b < literals) {
                allowed.clear();
            }
            best = Some(literals);
            allowed.extend(methods.iter().cloned());
        }
        allowed
    }
}

/// The methods of a path item, upper-case (its other keys, such as `parameters`, are not).
fn http_methods(item: &serde_json::Value) -> impl Iterator<Item = String> + '_ {
    item.as_object()
        .into_iter()
        .flatten()
        .map(|(key, _)| key.to_uppercase())
        .filter(|key| METHODS.iter().any(|m| m.as_str() == key))
}

/// A path's segments, as dropshot's router splits them (empty segments are skipped).
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// Registers, on every node of `api`'s routes, a hidden handler for each method no operation
/// there has. It answers [`Routes::misrouted`] for the request.
pub fn register_fallbacks<C: ApiContext>(api: &mut ApiDescription<C>) {
    // Dropshot's own paths (verification routes under their siblings' variable names) and
    // their methods, from the description the server runs.
    let rendered = crate::contact_channels_api_mod::stub_api_description()
        .expect("the API description is valid")
        .openapi(crate::TITLE, crate::VERSION)
        .json()
        .expect("the spec serializes");
    let mut nodes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, item) in rendered["paths"].as_object().into_iter().flatten() {
        let mut prefix = String::new();
        nodes.entry("/".into()).or_default();
        for segment in segments(path) {
            prefix.push('/');
            prefix.push_str(segment);
            nodes.entry(prefix.clone()).or_default();
        }
        nodes.entry(prefix).or_default().extend(http_methods(item));
    }
    for (path, method) in UNPUBLISHED {
        nodes.entry(path.into()).or_default().insert(method.into());
    }
    for (path, served) in nodes {
        let variables: Vec<&str> = segments(&path)
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for method in METHODS.iter().filter(|m| !served.contains(m.as_str())) {
            let id = format!("fallback_{}_{path}", method.as_str().to_lowercase());
            let (method, path) = (method.clone(), path.as_str());
            let all = ApiEndpointVersions::All;
            // Dropshot wants every path variable consumed by an extractor; these are the
            // variable sets the API's routes have.
            let endpoint = match variables.as_slice() {
                [] => ApiEndpoint::new(id, fallback::<C>, method, CONTENT_TYPE_JSON, path, all),
                ["user_id"] => {
                    ApiEndpoint::new(id, fallback_user::<C>, method, CONTENT_TYPE_JSON, path, all)
                }
                ["user_id", "contact_channel_id"] => ApiEndpoint::new(
                    id,
                    fallback_channel::<C>,
                    method,
                    CONTENT_TYPE_JSON,
                    path,
                    all,
                ),
                other => panic!("no fallback handler takes the path variables {other:?}"),
            };
            api.register(endpoint.visible(false))
                .expect("a fallback route fits the router");
        }
    }
}

async fn fallback<C: ApiContext>(rqctx: RequestContext<C>) -> Result<Response<Body>, HttpError> {
    let request = &rqctx.request;
    let path = request.uri().path();
    if request.method() == Method::OPTIONS {
        let allowed: Vec<String> = Routes::of_spec().allowed(path).into_iter().collect();
        if !allowed.is_empty() {
            return Ok(rqctx
                .context()
                .cors()
                .preflight(request.headers(), &allowed));
        }
    }
    let error = Routes::of_spec()
        .misrouted(request.method(), path)
        // A fallback only runs where the spec has no operation for the method.
        .unwrap_or_else(|| ApiError::new(ErrorCode::InternalError, "unrouted operation"));
    Ok(Finish::of(&rqctx).finish(error.to_response()))
}

async fn fallback_user<C: ApiContext>(
    rqctx: RequestContext<C>,
    _: Checked<Path<UserPath>>,
) -> Result<Response<Body>, HttpError> {
    fallback(rqctx).await
}

async fn fallback_channel<C: ApiContext>(
    rqctx: RequestContext<C>,
    _: Checked<Path<ContactChannelPath>>,
) -> Result<Response<Body>, HttpError> {
    fallback(rqctx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(method: Method, path: &str) -> Option<(ErrorCode, Option<String>)> {
        Routes::of_spec()
            .misrouted(&method, path)
            .map(|e| (e.code, e.allow()))
    }

    #[test]
    fn spec_operations_are_not_misrouted() {
        let channel = "/api/v1/contact-channels/me/b3d396b8-c574-4c80-97b3-50031675ceb2";
        assert_eq!(answer(Method::PATCH, channel), None);
        assert_eq!(
            answer(Method::POST, "/api/v1/contact-channels/verify"),
            None
        );
        assert_eq!(
            answer(Method::POST, "/api/v1/contact-channels/verify/check-code"),
            None
        );
    }

    #[test]
    fn other_methods_on_a_spec_path_are_405_with_allow() {
        let channel = "/api/v1/contact-channels/me/b3d396b8-c574-4c80-97b3-50031675ceb2";
        assert_eq!(
            answer(Method::POST, channel),
            Some((
                ErrorCode::MethodNotAllowed,
                Some("DELETE, GET, PATCH".into())
            ))
        );
        assert_eq!(
            answer(Method::GET, "/api/v1/contact-channels/verify/check-code"),
            Some((ErrorCode::MethodNotAllowed, Some("POST".into())))
        );
        assert_eq!(
            answer(Method::PUT, "/api/v1/contact-channels"),
            Some((ErrorCode::MethodNotAllowed, Some("GET, POST".into())))
        );
    }

    #[test]
    fn paths_outside_the_spec_are_404() {
        for path in [
            "/",
            "/api/v1",
            "/api/v1/contact-channels/abc",
            "/api/v1/auth",
        ] {
            assert_eq!(
                answer(Method::GET, path),
                Some((ErrorCode::NotFound, None)),
                "{path}"
            );
        }
    }
}

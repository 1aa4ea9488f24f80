//! The HTTP adapter: dropshot handlers that read the request, call one service operation and
//! map the answer to wire types.
//!
//! Every handler authenticates the caller from the request's headers (`headers.rs`) with
//! [`Service::authenticate`], then calls one service operation; records become wire types in
//! `convert.rs`, and service errors become API errors in `error.rs`, the only place that maps
//! them.

mod convert;
mod error;
mod headers;

use crate::docs;
use crate::ops::{Ops, Readiness};
use crate::service::{CreateChannel, ListChannels, OAuthGrant, Service, UpdateChannel};
use contact_channels_api::operations;
use contact_channels_api::routes::Routes;
use contact_channels_api::types::*;
use contact_channels_api::{
    ApiContext, ApiError, ApiResult, Checked, ContactChannelsApi, Cors, ErrorCode, Finish,
    FormBody, JsonBody, Reply,
};
use dropshot::{
    Body, HttpResponse, HttpResponseCreated, HttpResponseHeaders, HttpResponseOk, Path, Query,
    RequestContext,
};
use headers::{refresh_token, request_headers};
use http::{header, Response, StatusCode};
use serde_json::json;
use std::sync::Arc;

/// The implementation of [`ContactChannelsApi`].
pub enum ServerImpl {}

/// What every handler shares: the rules, and the instance's operational state.
pub struct HandlerContext {
    pub service: Arc<Service>,
    pub ops: Arc<Ops>,
    /// Which origins browser apps may call from.
    pub cors: Cors,
}

impl ApiContext for HandlerContext {
    fn cors(&self) -> &Cors {
        &self.cors
    }
}

fn success() -> Success {
    Success { success: true }
}

/// `{"status": …}` with `status`, for the operational routes.
fn status_json(status: StatusCode, what: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from(json!({ "status": what }).to_string()))
        .expect("status and headers are valid")
}

/// A document that never changes while the server runs: 304 when the client has it already.
fn static_document(
    rqctx: &RequestContext<HandlerContext>,
    text: &'static str,
    etag: &str,
    content_type: &'static str,
) -> Response<Body> {
    let cached = rqctx
        .request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let builder = Response::builder()
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, "no-cache");
    let response = if cached {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else {
        builder
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(text))
    };
    response.expect("status and headers are valid")
}

/// The routing error for a request that dropshot sent to a handler of another spec path: the
/// verification routes share router nodes with the channel routes (see [`VerifySegment`]).
fn misrouted(rqctx: &RequestContext<HandlerContext>) -> ApiError {
    let request = &rqctx.request;
    Routes::of_spec()
        .misrouted(request.method(), request.uri().path())
        .unwrap_or_else(|| ApiError::new(ErrorCode::InternalError, "the router chose no operation"))
}

/// Whether a channel route's request is on `/contact-channels/verify/check-code`, a spec path
/// of its own that only `check_contact_channel_verification_code` serves. Compares segments as
/// dropshot's router does (empty ones skipped), so `…/verify/check-code/` counts too.
fn on_check_code_path(rqctx: &RequestContext<HandlerContext>) -> bool {
    let mut segments = rqctx
        .request
        .uri()
        .path()
        .rsplit('/')
        .filter(|s| !s.is_empty());
    segments.next() == Some("check-code") && segments.next() == Some("verify")
}

/// The address a request came from: the peer of the connection, so behind a proxy the
/// proxy's (README → Security → Limits).
fn client_address(rqctx: &RequestContext<HandlerContext>) -> std::net::IpAddr {
    rqctx.request.remote_addr().ip()
}

impl ContactChannelsApi for ServerImpl {
    type Context = HandlerContext;

    async fn list_contact_channels(
        rqctx: RequestContext<Self::Context>,
        query: Checked<Query<ContactChannelListQuery>>,
    ) -> ApiResult<HttpResponseOk<ContactChannelList>> {
        reply(&rqctx, async {
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            let query = query.into_result()?.into_inner();
            let input = ListChannels {
                user_id: query.user_id,
                contact_channel_id: query.contact_channel_id,
                limit: query.limit,
                cursor: query.cursor,
            };
            let page = service.list_channels(&caller, input).await?;
            Ok(HttpResponseOk(ContactChannelList {
                items: page.items.into_iter().map(Into::into).collect(),
                is_paginated: page.paginated,
                pagination: page.paginated.then_some(Pagination {
                    next_cursor: page.next_cursor,
                }),
            }))
        })
        .await
    }

    async fn create_contact_channel(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<ContactChannelCreate>,
    ) -> ApiResult<HttpResponseCreated<ContactChannel>> {
        reply(&rqctx, async {
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            let body = body.into_result()?;
            let input = CreateChannel {
                user_id: body.user_id,
                value: body.value,
                used_for_auth: body.used_for_auth,
                is_primary: body.is_primary.unwrap_or(false),
                is_verified: body.is_verified,
            };
            Ok(HttpResponseCreated(
                service.create_channel(&caller, input).await?.into(),
            ))
        })
        .await
    }

    async fn get_contact_channel(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<ContactChannelPath>>,
    ) -> ApiResult<HttpResponseOk<ContactChannel>> {
        reply(&rqctx, async {
            if on_check_code_path(&rqctx) {
                return Err(misrouted(&rqctx));
            }
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            let path = path.into_result()?.into_inner();
            let channel = service
                .get_channel(&caller, &path.user_id, &path.contact_channel_id)
                .await?;
            Ok(HttpResponseOk(channel.into()))
        })
        .await
    }

    async fn update_contact_channel(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<ContactChannelPath>>,
        body: JsonBody<ContactChannelUpdate>,
    ) -> ApiResult<HttpResponseOk<ContactChannel>> {
        reply(&rqctx, async {
            if on_check_code_path(&rqctx) {
                return Err(misrouted(&rqctx));
            }
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            let path = path.into_result()?.into_inner();
            // `type` is accepted and can only be "email": nothing changes because of it.
            let body = body.into_result()?;
            let input = UpdateChannel {
                value: body.value,
                used_for_auth: body.used_for_auth,
                is_primary: body.is_primary,
                is_verified: body.is_verified,
            };
            let channel = service
                .update_channel(&caller, &path.user_id, &path.contact_channel_id, input)
                .await?;
            Ok(HttpResponseOk(channel.into()))
        })
        .await
    }

    async fn delete_contact_channel(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<ContactChannelPath>>,
    ) -> ApiResult<HttpResponseOk<Success>> {
        reply(&rqctx, async {
            if on_check_code_path(&rqctx) {
                return Err(misrouted(&rqctx));
            }
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            let path = path.into_result()?.into_inner();
            service
                .delete_channel(&caller, &path.user_id, &path.contact_channel_id)
                .await?;
            Ok(HttpResponseOk(success()))
        })
        .await
    }

    async fn send_contact_channel_verification_code(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<ContactChannelPath>>,
        body: JsonBody<VerificationCodeSend>,
    ) -> ApiResult<HttpResponseOk<Success>> {
        reply(&rqctx, async {
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            let path = path.into_result()?.into_inner();
            let body = body.into_result()?;
            service
                .send_verification_code(
                    &caller,
                    &path.user_id,
                    &path.contact_channel_id,
                    &body.callback_url,
                )
                .await?;
            Ok(HttpResponseOk(success()))
        })
        .await
    }

    async fn verify_contact_channel(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<VerifyPath>>,
        body: JsonBody<VerificationCode>,
    ) -> ApiResult<HttpResponseOk<Success>> {
        reply(&rqctx, async {
            if path.into_result().is_err() {
                return Err(misrouted(&rqctx));
            }
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            service
                .verify_code(&caller, &body.into_result()?.code, client_address(&rqctx))
                .await?;
            Ok(HttpResponseOk(success()))
        })
        .await
    }

    async fn check_contact_channel_verification_code(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<CheckCodePath>>,
        body: JsonBody<VerificationCode>,
    ) -> ApiResult<HttpResponseOk<VerificationCodeCheck>> {
        reply(&rqctx, async {
            if path.into_result().is_err() {
                return Err(misrouted(&rqctx));
            }
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            service
                .check_code(&caller, &body.into_result()?.code, client_address(&rqctx))
                .await?;
            Ok(HttpResponseOk(VerificationCodeCheck {
                is_code_valid: true,
            }))
        })
        .await
    }

    async fn openapi_json(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<Response<Body>, ApiError> {
        let document = static_document(&rqctx, docs::SPEC, &docs::SPEC_ETAG, "application/json");
        Ok(Finish::of(&rqctx).finish(document))
    }

    async fn docs(rqctx: RequestContext<Self::Context>) -> Result<Response<Body>, ApiError> {
        let page = static_document(
            &rqctx,
            &docs::PAGE,
            &docs::PAGE_ETAG,
            "text/html; charset=utf-8",
        );
        Ok(Finish::of(&rqctx).finish(page))
    }

    async fn healthz(rqctx: RequestContext<Self::Context>) -> Result<Response<Body>, ApiError> {
        Ok(Finish::of(&rqctx).finish(status_json(StatusCode::OK, "alive")))
    }

    async fn readyz(rqctx: RequestContext<Self::Context>) -> Result<Response<Body>, ApiError> {
        let response = match rqctx.context().ops.readiness().await {
            Readiness::Ready => status_json(StatusCode::OK, "ready"),
            Readiness::Draining => status_json(StatusCode::SERVICE_UNAVAILABLE, "draining"),
            Readiness::DatabaseUnavailable => {
                status_json(StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
            }
        };
        Ok(Finish::of(&rqctx).finish(response))
    }

    async fn metrics(rqctx: RequestContext<Self::Context>) -> Result<Response<Body>, ApiError> {
        // No CORS: metrics are for the scraper, not for pages of other origins.
        if !rqctx.context().ops.metrics_enabled() {
            let off = ApiError::new(ErrorCode::NotFound, "metrics are off (--metrics false)");
            return Ok(off.to_response());
        }
        let metrics = Response::builder()
            .header(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )
            .body(Body::from(rqctx.context().ops.render()))
            .expect("status and headers are valid");
        Ok(metrics)
    }

    async fn refresh_session(
        rqctx: RequestContext<Self::Context>,
    ) -> ApiResult<HttpResponseOk<SessionRefresh>> {
        reply(&rqctx, async {
            Ok(HttpResponseOk(Self::refresh(&rqctx).await?))
        })
        .await
    }

    async fn create_oauth_token(
        rqctx: RequestContext<Self::Context>,
        body: FormBody<OAuthTokenRequest>,
    ) -> ApiResult<HttpResponseHeaders<HttpResponseOk<OAuthTokenResponse>>> {
        reply(&rqctx, async {
            let body = body.into_result()?;
            let token = rqctx
                .context()
                .service
                .refresh_by_oauth_grant(OAuthGrant {
                    grant_type: &body.grant_type,
                    refresh_token: body.refresh_token.as_deref(),
                    client_id: &body.client_id,
                    client_secret: &body.client_secret,
                })
                .await
                .map_err(|e| ApiError::from(e).on_token_endpoint())?;
            let mut response =
                HttpResponseHeaders::new_unnamed(HttpResponseOk(OAuthTokenResponse {
                    access_token: token.access_token,
                    token_type: "bearer".into(),
                    expires_in: token.expires_in_seconds,
                }));
            // RFC 6749 §5.1: a token response must not be cached.
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, "no-store".parse().expect("valid"));
            headers.insert(header::PRAGMA, "no-cache".parse().expect("valid"));
            Ok(response)
        })
        .await
    }

    async fn delete_current_session(
        rqctx: RequestContext<Self::Context>,
    ) -> ApiResult<HttpResponseOk<Success>> {
        reply(&rqctx, async {
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            let token = refresh_token(&rqctx)?;
            service.sign_out(&caller, token.as_deref()).await?;
            Ok(HttpResponseOk(success()))
        })
        .await
    }

    async fn create_user(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<UserCreate>,
    ) -> ApiResult<HttpResponseCreated<User>> {
        reply(&rqctx, async {
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            let body = body.into_result()?;
            let user = service
                .create_user(&caller, body.display_name.as_deref())
                .await?;
            Ok(HttpResponseCreated(user.into()))
        })
        .await
    }

    async fn get_user(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<UserPath>>,
    ) -> ApiResult<HttpResponseOk<User>> {
        reply(&rqctx, async {
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            let path = path.into_result()?.into_inner();
            Ok(HttpResponseOk(
                service.get_user(&caller, &path.user_id).await?.into(),
            ))
        })
        .await
    }

    async fn delete_user(
        rqctx: RequestContext<Self::Context>,
        path: Checked<Path<UserPath>>,
    ) -> ApiResult<HttpResponseOk<Success>> {
        reply(&rqctx, async {
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            let path = path.into_result()?.into_inner();
            service.delete_user(&caller, &path.user_id).await?;
            Ok(HttpResponseOk(success()))
        })
        .await
    }

    async fn create_session(
        rqctx: RequestContext<Self::Context>,
        body: JsonBody<SessionCreate>,
    ) -> ApiResult<HttpResponseOk<Session>> {
        reply(&rqctx, async {
            let service = &rqctx.context().service;
            let caller = service.authenticate(&request_headers(&rqctx)?).await?;
            let body = body.into_result()?;
            let tokens = service
                .create_session(&caller, &body.user_id, body.expires_in_millis)
                .await?;
            Ok(HttpResponseOk(Session {
                access_token: tokens.access_token,
                refresh_token: tokens.refresh_token,
            }))
        })
        .await
    }
}

impl ServerImpl {
    async fn refresh(rqctx: &RequestContext<HandlerContext>) -> Result<SessionRefresh, ApiError> {
        let service = &rqctx.context().service;
        let caller = service.authenticate(&request_headers(rqctx)?).await?;
        let token = refresh_token(rqctx)?;
        let access_token = service.refresh_session(&caller, token.as_deref()).await?;
        Ok(SessionRefresh { access_token })
    }
}

/// Runs a handler's body and answers through [`Reply`], counting the request in the metrics
/// under its operation's id.
async fn reply<R: HttpResponse>(
    rqctx: &RequestContext<HandlerContext>,
    body: impl std::future::Future<Output = Result<R, ApiError>>,
) -> ApiResult<R> {
    // The table's copy of the id is `'static`, as metric labels need; every operation has a row.
    let operation = operations::operation(&rqctx.endpoint.operation_id)
        .map_or("unlisted", |operation| operation.id);
    let request = rqctx.context().ops.start(operation);
    let reply = Reply(body.await, Finish::of(rqctx));
    if let Some(request) = request {
        let method = rqctx.request.method();
        request.finish(
            reply.status_code().as_u16(),
            method.as_str(),
            &rqctx.request_id,
        );
    }
    Ok(reply)
}

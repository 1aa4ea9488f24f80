//! Extractors that never fail the request themselves.
//!
//! A failing dropshot extractor answers before the handler runs, in a body shape without the
//! known-error headers. These wrappers keep the failure as an [`ApiError`] instead, so the
//! handler answers it through [`crate::Reply`] like any other error. They describe themselves to
//! the spec exactly as the extractor they wrap.

use crate::error::ApiError;
use async_trait::async_trait;
use bytes::Bytes;
use dropshot::{
    ApiEndpointBodyContentType, ExclusiveExtractor, ExtractorMetadata, RequestContext,
    ServerContext, SharedExtractor, TypedBody,
};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

/// A shared extractor (path, query) whose failure is kept for the handler.
pub struct Checked<X>(Result<X, ApiError>);

impl<X> Checked<X> {
    /// The extracted value, or the invalid-input error.
    pub fn into_result(self) -> Result<X, ApiError> {
        self.0
    }
}

#[async_trait]
impl<X: SharedExtractor> SharedExtractor for Checked<X> {
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
    ) -> Result<Self, dropshot::HttpError> {
        Ok(Checked(
            X::from_request(rqctx).await.map_err(ApiError::from),
        ))
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        X::metadata(content_type)
    }
}

/// A JSON request body of type `T`, parsed so that each failure gets the right code:
/// not JSON → `BODY_PARSING_ERROR`; JSON that is not an object, or not a valid `T` →
/// `SCHEMA_ERROR` naming the field.
pub struct JsonBody<T>(Result<T, ApiError>);

impl<T> JsonBody<T> {
    /// The parsed body, or the error explaining why it was rejected.
    pub fn into_result(self) -> Result<T, ApiError> {
        self.0
    }
}

/// Parses a request body as the API does.
pub fn parse_json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::body_parsing(e.to_string()))?;
    // serde accepts a JSON array for a struct; the API takes objects only.
    if !value.is_object() {
        return Err(ApiError::schema("the request body must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ApiError::schema(inner.to_string())
        } else {
            ApiError::schema(format!("body.{path}: {inner}"))
        }
    })
}

/// The request body, within the server's size limit: past it `REQUEST_BODY_TOO_LARGE`; a body
/// that breaks off (a client that hung up, a malformed chunk) is `BODY_PARSING_ERROR`.
async fn read_body<Context: ServerContext>(
    rqctx: &RequestContext<Context>,
    request: hyper::Request<dropshot::Body>,
) -> Result<Bytes, ApiError> {
    let cap = rqctx.request_body_max_bytes();
    match Limited::new(request.into_body(), cap).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(ApiError::new(
            crate::ErrorCode::RequestBodyTooLarge,
            format!("request body exceeded maximum size of {cap} bytes"),
        )),
        Err(e) => Err(ApiError::body_parsing(format!(
            "the request body could not be read: {e}"
        ))),
    }
}

#[async_trait]
impl<T> ExclusiveExtractor for JsonBody<T>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
        request: hyper::Request<dropshot::Body>,
    ) -> Result<Self, dropshot::HttpError> {
        let body = read_body(rqctx, request).await;
        Ok(JsonBody(body.and_then(|body| parse_json_body(&body))))
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <TypedBody<T> as ExclusiveExtractor>::metadata(content_type)
    }
}

/// A form-encoded (`application/x-www-form-urlencoded`) request body of type `T`, for the OAuth
/// token endpoint: a body that is not a valid `T` is OAuth's `invalid_request`.
pub struct FormBody<T>(Result<T, ApiError>);

impl<T> FormBody<T> {
    /// The parsed body, or the error explaining why it was rejected.
    pub fn into_result(self) -> Result<T, ApiError> {
        self.0
    }
}

#[async_trait]
impl<T> ExclusiveExtractor for FormBody<T>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
        request: hyper::Request<dropshot::Body>,
    ) -> Result<Self, dropshot::HttpError> {
        let parsed = read_body(rqctx, request).await.and_then(|body| {
            serde_urlencoded::from_bytes(&body)
                .map_err(|e| ApiError::new(crate::ErrorCode::OAuthInvalidRequest, e.to_string()))
        });
        Ok(FormBody(parsed))
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <TypedBody<T> as ExclusiveExtractor>::metadata(content_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ContactChannelUpdate;
    use crate::ErrorCode;

    fn reject(body: &str) -> ApiError {
        parse_json_body::<ContactChannelUpdate>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn malformed_json_is_a_parsing_error() {
        assert_eq!(reject("{\"value\":").code, ErrorCode::BodyParsingError);
        assert_eq!(reject("").code, ErrorCode::BodyParsingError);
    }

    #[test]
    fn non_objects_and_bad_fields_are_schema_errors() {
        assert_eq!(reject("[null]").code, ErrorCode::SchemaError);
        let unknown = reject(r#"{"colour": "red"}"#);
        assert_eq!(unknown.code, ErrorCode::SchemaError);
        assert!(unknown.message.contains("colour"), "{}", unknown.message);
        let wrong_type = reject(r#"{"is_primary": "yes"}"#);
        assert!(
            wrong_type.message.contains("body.is_primary"),
            "{}",
            wrong_type.message
        );
        assert_eq!(reject(r#"{"type": "phone"}"#).code, ErrorCode::SchemaError);
    }

    #[test]
    fn empty_object_is_a_valid_update() {
        let update: ContactChannelUpdate = parse_json_body(b"{}").unwrap();
        assert!(update.value.is_none() && update.is_primary.is_none());
    }
}

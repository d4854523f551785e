//! The HTTP boundary's one error type, and the one place where errors become status codes.
//!
//! Every error answer has the same JSON shape:
//! `{"error": {"status": 400, "code": "sparql_syntax", "message": "..."}}`.
//! Messages of bad-input errors say what is wrong and where; failures of ours are logged once
//! here and answered with a generic message, never with internal detail.

use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// From the store: 400 for bad input, 403 refused, 404 missing graph, 422 result too large,
    /// 502 remote failure, 503 deadline or lock, 500 storage.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// 406: none of the formats the client accepts can carry this answer.
    #[error("none of the accepted media types ({accept}) can be produced; available: {available}")]
    NotAcceptable { accept: String, available: String },
    /// 415: the body's media type is not one this route reads.
    #[error("unsupported Content-Type {got:?}; this route accepts {expected}")]
    UnsupportedMediaType { got: String, expected: String },
    /// 413: the body is over the configured limit.
    #[error("the request body is larger than the limit of {limit} bytes")]
    BodyTooLarge { limit: usize },
    /// 400: the request is malformed at the protocol level (missing or repeated parameter...).
    #[error("{0}")]
    BadRequest(String),
    /// 401: a write without a valid bearer token.
    #[error("this write needs a valid token: send `Authorization: Bearer <token>`")]
    Unauthorized,
    /// 403: the service is read-only because no write token is configured.
    #[error("this service is read-only: no write token is configured (--write-token)")]
    ReadOnly,
    /// 404: nothing at this address.
    #[error("{0}")]
    NotFound(String),
    /// 405: the route exists but not with this method.
    #[error("method not allowed here; allowed: {0}")]
    MethodNotAllowed(&'static str),
    /// 503: too many requests are being served; retry shortly.
    #[error("the server is busy: {0}")]
    Busy(String),
    /// 500: a failure of ours; the detail is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<crate::views::ViewError> for ApiError {
    fn from(e: crate::views::ViewError) -> Self {
        match e {
            crate::views::ViewError::NotFound(m) => Self::NotFound(m),
            crate::views::ViewError::BadRequest(m) => Self::BadRequest(m),
            crate::views::ViewError::Store(e) => Self::Store(e),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Store(e) => match e {
                StoreError::SparqlSyntax(_)
                | StoreError::RdfSyntax { .. }
                | StoreError::TooDeep { .. }
                | StoreError::BadRequest(_)
                | StoreError::UpdateFailed(_) => StatusCode::BAD_REQUEST,
                StoreError::Refused(_) => StatusCode::FORBIDDEN,
                StoreError::GraphNotFound(_) => StatusCode::NOT_FOUND,
                StoreError::ResultTooLarge(_) | StoreError::Invalid(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                StoreError::Remote(_) => StatusCode::BAD_GATEWAY,
                StoreError::Deadline(_) | StoreError::Cancelled | StoreError::Locked { .. } => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                StoreError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::NotAcceptable { .. } => StatusCode::NOT_ACCEPTABLE,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::ReadOnly => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable machine-readable code, documented in the README.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Store(e) => match e {
                StoreError::SparqlSyntax(_) => "sparql_syntax",
                StoreError::RdfSyntax { .. } => "rdf_syntax",
                StoreError::TooDeep { .. } => "too_deep",
                StoreError::BadRequest(_) => "bad_request",
                StoreError::UpdateFailed(_) => "update_failed",
                StoreError::Refused(_) => "refused",
                StoreError::GraphNotFound(_) => "graph_not_found",
                StoreError::ResultTooLarge(_) => "result_too_large",
                StoreError::Invalid(_) => "shacl_violation",
                StoreError::Remote(_) => "remote_failed",
                StoreError::Deadline(_) => "query_timeout",
                StoreError::Cancelled => "cancelled",
                StoreError::Locked { .. } => "store_locked",
                StoreError::Storage(_) => "internal",
            },
            Self::NotAcceptable { .. } => "not_acceptable",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::ReadOnly => "read_only",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Busy(_) => "busy",
            Self::Internal(_) => "internal",
        }
    }

    /// The message sent to the client: the error itself for bad input, a generic sentence for
    /// failures of ours.
    pub fn public_message(&self) -> String {
        if self.status().is_server_error() && self.code() == "internal" {
            "an internal error occurred; it has been logged".to_owned()
        } else {
            self.to_string()
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The one place a 5xx is logged, inside the request's span.
            tracing::error!(code = self.code(), "{self}");
        }
        let mut body = serde_json::json!({
            "error": {
                "status": status.as_u16(),
                "code": self.code(),
                "message": self.public_message(),
            }
        });
        if let Self::Store(StoreError::Invalid(report)) = &self {
            // Each violation with its focus node, path and rule, for clients to act on.
            body["error"]["violations"] = report
                .results
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "focusNode": r.focus.to_string(),
                        "path": r.path.as_ref().map(|p| if r.inverse { format!("^{p}") } else { p.to_string() }),
                        "value": r.value.as_ref().map(ToString::to_string),
                        "constraint": r.component.as_str(),
                        "shape": r.shape.to_string(),
                        "message": r.message,
                    })
                })
                .collect();
        }
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        match self {
            Self::Unauthorized => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"dealgraph\""),
                );
            }
            Self::MethodNotAllowed(allowed) => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allowed));
            }
            Self::Busy(_) | Self::Store(StoreError::Deadline(_)) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

//! Okta's error object, `{errorCode, errorSummary, errorLink, errorId,
//! errorCauses}`, for every failure of the Management API: the official SDKs
//! need `errorCode` to raise a typed error, and the codes are Okta's own.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use app::error::AppError;

/// One failure, as Okta reports it.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub summary: String,
    pub causes: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    error_code: &'a str,
    error_summary: &'a str,
    error_link: &'a str,
    error_id: String,
    error_causes: Vec<Cause<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Cause<'a> {
    error_summary: &'a str,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, summary: impl Into<String>) -> Self {
        Self {
            status,
            code,
            summary: summary.into(),
            causes: Vec::new(),
        }
    }

    /// 401 `E0000011`: no token, or one that does not work (which of the two
    /// is not said).
    pub fn invalid_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "E0000011",
            "Invalid token provided",
        )
    }

    /// 404 `E0000007`: unknown, or outside what the token may read.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: {what}"),
        )
    }

    /// 400 `E0000003`: a body that is not the JSON the endpoint takes.
    pub fn malformed(detail: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "E0000003",
            "The request body was not well-formed.",
        );
        e.causes.push(detail.into());
        e
    }

    /// 400 `E0000001` naming the fields at fault.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::validation(field, message).into()
    }

    /// 400 `E0000028`: a required parameter is missing.
    pub fn missing(parameter: &str) -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "E0000028",
            "The request is missing a required parameter.",
        );
        e.causes.push(format!("{parameter}: required."));
        e
    }

    /// 405 `E0000022`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        )
    }

    /// 429 `E0000047`.
    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        )
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unauthenticated => Self::invalid_token(),
            AppError::Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                "E0000006",
                "You do not have permission to perform the requested action",
            ),
            AppError::NotFound => Self::not_found("the requested object"),
            AppError::Validation { fields, .. } => {
                let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                Self {
                    status: StatusCode::BAD_REQUEST,
                    code: "E0000001",
                    summary: format!("Api validation failed: {}", names.join(", ")),
                    causes: fields
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect(),
                }
            }
            // Okta reports a state that forbids the change (a name taken, a
            // limit reached, a user in the wrong status) as a failed validation.
            AppError::Conflict { message } => Self {
                status: StatusCode::BAD_REQUEST,
                code: "E0000001",
                summary: format!("Api validation failed: {message}"),
                causes: vec![message],
            },
            AppError::RateLimited => Self::rate_limited(),
            AppError::Internal { ref_id } => {
                let mut e = Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "E0000009",
                    "Internal Server Error",
                );
                e.causes
                    .push(format!("Reference {ref_id} in the server log."));
                e
            }
            AppError::Transport { message } => Self::new(
                StatusCode::BAD_GATEWAY,
                "E0000009",
                format!("Internal Server Error: {message}"),
            ),
        }
    }
}

impl From<app::store::StoreError> for ApiError {
    fn from(e: app::store::StoreError) -> Self {
        AppError::from(e).into()
    }
}

/// Okta's error ids: `oae` and 22 random characters.
fn error_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("oae{}", &id[..22])
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error_code: self.code,
            error_summary: &self.summary,
            error_link: self.code,
            error_id: error_id(),
            error_causes: self
                .causes
                .iter()
                .map(|c| Cause { error_summary: c })
                .collect(),
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("SSWS realm=\"Partner Portal\""),
            );
        }
        response
    }
}

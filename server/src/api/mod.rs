//! The Okta-compatible Management API under `/api/v1`: Okta's paths, wire
//! shapes, success codes, error objects, cursor paging and rate-limit headers,
//! so that the official Okta SDKs and the tools built on them work unmodified.
//!
//! Every handler is an adapter: it parses the request, calls one operation
//! (`app::ops`) with a context built from the API token (the token's admin
//! with the rights it holds now, the token named in every event), and writes
//! the answer in Okta's shape. Authorization happens in the operations,
//! through the kernel, exactly as for the pages; anything outside the token's
//! reach is 404 `E0000007`.
//!
//! Layers (this router only): the token check and the rate limits
//! ([`edge`]), then `X-Okta-Request-Id` and the rate-limit headers on every
//! answer. No session, no cookies, no cross-site check: a token is not
//! ambient authority.

mod apps;
mod error;
mod filter;
mod groups;
mod iam;
mod limits;
mod logs;
mod openapi;
mod paging;
mod provisioning;
mod realms;
mod rules;
mod tokens;
mod users;
mod wire;

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::de::DeserializeOwned;

use app::ctx::Ctx;

use crate::state::AppState;
pub use error::ApiError;
pub use limits::RateLimits;
pub use paging::{Cursor, PageParams, Paged};

/// Every endpoint, from each resource's table.
pub fn endpoints() -> Vec<openapi::Endpoint> {
    [
        tokens::endpoints(),
        realms::endpoints(),
        users::endpoints(),
        groups::endpoints(),
        apps::endpoints(),
        provisioning::endpoints(),
        iam::endpoints(),
        rules::endpoints(),
        logs::endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The API's routes, to be nested at `/api/v1`: the endpoint table behind
/// the token check, and the OpenAPI document of the same table (public: it
/// describes the open-source product, nothing of the org).
pub fn router(state: &AppState) -> Router<AppState> {
    let limits = RateLimits::new(
        state.config.api_rate_limit_per_token_per_minute,
        state.config.api_rate_limit_per_org_per_minute,
    );
    let limits = Arc::new(if state.config.rate_limit_shared {
        limits.shared(state.store.clone())
    } else {
        limits
    });
    let endpoints = endpoints();
    let document = Arc::new(openapi::document(&endpoints, &state.config.public_url));
    let mut api = Router::new();
    for endpoint in endpoints {
        api = api.route(endpoint.path, endpoint.route);
    }
    let api = api
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(axum::middleware::from_fn_with_state(
            Edge {
                state: state.clone(),
                limits,
            },
            edge,
        ));
    Router::new()
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move { axum::Json(document.as_ref().clone()) }
            }),
        )
        .merge(api)
}

#[derive(Clone)]
struct Edge {
    state: AppState,
    limits: Arc<RateLimits>,
}

/// The token of `Authorization: SSWS <token>` (also with no space, as the
/// Python SDK sends it).
fn presented_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let rest = value.strip_prefix("SSWS")?;
    let token = rest.trim_start();
    (!token.is_empty() && !token.contains(char::is_whitespace)).then_some(token)
}

/// The caller of an API request: the context its token built.
#[derive(Clone)]
pub struct Api(pub Ctx);

impl<S: Send + Sync> FromRequestParts<S> for Api {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Api>()
            .cloned()
            .ok_or_else(ApiError::invalid_token)
    }
}

/// Authenticates the token, counts the request against its limits and the
/// org's, and stamps every answer with Okta's headers.
async fn edge(State(edge): State<Edge>, mut request: Request, next: Next) -> Response {
    let state = &edge.state;
    let request_id = request.headers().get("x-request-id").cloned();
    let client = app::ctx::client_of(request.headers());
    let cx = match presented_token(request.headers()) {
        Some(token) => {
            Ctx::from_api_token(&state.store, &state.org, &state.settings, token, client).await
        }
        None => Err(app::error::AppError::Unauthenticated),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let token_id = cx
        .as_ref()
        .ok()
        .and_then(|cx| cx.principal.client().api_token_id.clone());
    let standing = edge.limits.take_now(token_id.as_deref(), now).await;
    let mut response = if !standing.allowed {
        ApiError::rate_limited().into_response()
    } else {
        match cx {
            Ok(cx) => {
                request.extensions_mut().insert(Api(cx));
                next.run(request).await
            }
            Err(e) => ApiError::from(e).into_response(),
        }
    };
    let headers = response.headers_mut();
    let number = |n: i64| HeaderValue::from_str(&n.to_string()).ok();
    for (name, value) in [
        ("x-rate-limit-limit", number(standing.limit.into())),
        ("x-rate-limit-remaining", number(standing.remaining.into())),
        ("x-rate-limit-reset", number(standing.reset)),
    ] {
        if let Some(value) = value {
            headers.insert(name, value);
        }
    }
    if let Some(id) = request_id {
        headers.insert("x-okta-request-id", id);
    }
    response
}

/// A JSON body in the endpoint's shape; anything else is 400 `E0000003`.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::malformed(e.body_text()))?;
        let text = if bytes.is_empty() {
            &b"{}"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(text)
            .map(Body)
            .map_err(|e| ApiError::malformed(e.to_string()))
    }
}

/// Query parameters in the endpoint's shape; a malformed one is 400
/// `E0000001` naming it.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Params)
            .map_err(|e| ApiError::invalid("query", e.to_string()))
    }
}

/// An id from the path, in the kind the endpoint takes; a malformed one is
/// as unknown as a missing one (404).
pub fn id<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, ApiError> {
    raw.parse::<T>()
        .map_err(|_| ApiError::not_found(&format!("{raw} ({what})")))
}

/// 204 No Content.
pub fn no_content() -> Response {
    axum::http::StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
#[path = "tests/api.rs"]
mod tests;

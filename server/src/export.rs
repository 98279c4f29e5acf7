//! `GET /users/export.csv`: the users table's current filter as CSV, streamed a
//! page at a time so that a large directory never sits in memory. The rows are
//! those of the caller's read scope, as on the page (one chokepoint: the
//! principal's scope compiled into the store's query).

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use tower_sessions::Session;

use crate::http::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    q: Option<String>,
    status: Option<String>,
    realm: Option<String>,
    group: Option<String>,
}

fn refused(e: &app::error::AppError) -> Response {
    crate::auth::plain_page(
        StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::BAD_REQUEST),
        "Export not possible",
        &e.to_string(),
        ("/users", "Back to users"),
    )
}

pub async fn users_csv(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<ExportQuery>,
) -> Response {
    let client = crate::auth::client_of(&headers);
    let principal = match app::ctx::principal(&state.store, &state.org, &session, client).await {
        Ok(p) => p,
        Err(e) => return refused(&e),
    };
    let filter =
        match app::serverfns::users::user_filter(query.q, query.status, query.realm, query.group) {
            Ok(f) => f,
            Err(e) => return refused(&e),
        };
    let store = state.store.clone();
    let (first, next) =
        match app::serverfns::users::export_chunk(&store, &principal, &filter, None).await {
            Ok(chunk) => chunk,
            Err(e) => return refused(&e),
        };
    let rest = futures_util::stream::try_unfold(next, move |after| {
        let (store, principal, filter) = (store.clone(), principal.clone(), filter.clone());
        async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let (bytes, next) =
                app::serverfns::users::export_chunk(&store, &principal, &filter, Some(&after))
                    .await?;
            Ok::<_, app::error::AppError>(Some((bytes, next)))
        }
    });
    let body = futures_util::stream::once(async move { Ok(first) }).chain(rest);
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"users.csv\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    #[serde(rename = "type")]
    event_type: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

/// `GET /activity/export.jsonl`: the System Log events the caller may read
/// (its log scope, the same filters as the Activity page), newest first, one
/// Okta LogEvent JSON object per line, streamed 200 at a time.
pub async fn activity_jsonl(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<LogQuery>,
) -> Response {
    let client = crate::auth::client_of(&headers);
    let principal = match app::ctx::principal(&state.store, &state.org, &session, client).await {
        Ok(p) => p,
        Err(e) => return refused(&e),
    };
    let filter = match app::serverfns::activity::log_filter(
        query.event_type,
        query.actor,
        query.target,
        query.since,
        query.until,
    ) {
        Ok(f) => f,
        Err(e) => return refused(&e),
    };
    let scope = app::authz::log_scope(&principal);
    // Partner admins see what happened, not where other admins sit: the IP
    // address and user agent of events someone else made are left out.
    let redact_others = !principal.is_org_admin();
    let me = principal.actor().id.clone();
    let store = state.store.clone();
    // `Some(cursor)`: a page to read ("" for the first); `None`: done.
    let pages = futures_util::stream::try_unfold(Some(String::new()), move |cursor| {
        let (store, scope, filter, me) = (store.clone(), scope.clone(), filter.clone(), me.clone());
        async move {
            let Some(cursor) = cursor else {
                return Ok(None);
            };
            let before = (!cursor.is_empty()).then_some(cursor.as_str());
            let page = store
                .list_events(&scope, &filter, before, app::store::users::MAX_PAGE)
                .await
                .map_err(app::error::AppError::from)?;
            let mut lines = Vec::new();
            for entry in &page.items {
                let mut event = entry.event.clone();
                if redact_others && event["actor"]["id"].as_str() != Some(me.as_str()) {
                    if let Some(client) = event
                        .get_mut("client")
                        .and_then(serde_json::Value::as_object_mut)
                    {
                        client.remove("ipAddress");
                        client.remove("userAgent");
                        client.remove("geographicalContext");
                    }
                }
                lines.extend_from_slice(event.to_string().as_bytes());
                lines.push(b'\n');
            }
            Ok::<_, app::error::AppError>(Some((lines, page.next)))
        }
    });
    let mut response = Body::from_stream(pages).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"system-log.jsonl\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /admin/realms/report.csv`: the realm report (org admins).
pub async fn realm_report_csv(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Response {
    let client = crate::auth::client_of(&headers);
    let principal = match app::ctx::principal(&state.store, &state.org, &session, client).await {
        Ok(p) => p,
        Err(e) => return refused(&e),
    };
    let csv = match app::serverfns::admin::realm_report(&state.store, &principal).await {
        Ok(rows) => app::serverfns::admin::realm_report_csv(&rows),
        Err(e) => Err(e),
    };
    match csv {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"realms.csv\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => refused(&e),
    }
}

//! `GET /users/export.csv`: the users table's current filter as CSV, streamed a
//! page at a time so that a large directory never sits in memory. The rows are
//! those of the caller's read scope, as on the page (one chokepoint: the
//! principal's scope compiled into the store's query).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Query;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;

use app::error::AppError;
use app::ops;

use crate::state::{Caller, NoCaller};

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    q: Option<String>,
    status: Option<String>,
    realm: Option<String>,
    group: Option<String>,
}

fn refused(e: &AppError) -> Response {
    crate::auth::plain_page(
        StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::BAD_REQUEST),
        "Export not possible",
        &e.to_string(),
        ("/users", "Back to users"),
    )
}

pub async fn users_csv(
    caller: Result<Caller, NoCaller>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let cx = match caller {
        Ok(Caller(cx)) => Arc::new(cx),
        Err(NoCaller(e)) => return refused(&e),
    };
    let filter = match ops::users::parse_filter(query.q, query.status, query.realm, query.group) {
        Ok(f) => f,
        Err(e) => return refused(&e),
    };
    let (first, next) = match ops::users::export_chunk(&cx, &filter, None).await {
        Ok(chunk) => chunk,
        Err(e) => return refused(&e),
    };
    let rest = futures_util::stream::try_unfold(next, move |after| {
        let (cx, filter) = (cx.clone(), filter.clone());
        async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let (bytes, next) = ops::users::export_chunk(&cx, &filter, Some(&after)).await?;
            Ok::<_, AppError>(Some((bytes, next)))
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
    caller: Result<Caller, NoCaller>,
    Query(query): Query<LogQuery>,
) -> Response {
    let cx = match caller {
        Ok(Caller(cx)) => Arc::new(cx),
        Err(NoCaller(e)) => return refused(&e),
    };
    let filter = match ops::log::parse_filter(
        query.event_type,
        query.actor,
        query.target,
        query.since,
        query.until,
    ) {
        Ok(f) => f,
        Err(e) => return refused(&e),
    };
    // `Some(cursor)`: a page to read ("" for the first); `None`: done.
    let pages = futures_util::stream::try_unfold(Some(String::new()), move |cursor| {
        let (cx, filter) = (cx.clone(), filter.clone());
        async move {
            let Some(cursor) = cursor else {
                return Ok(None);
            };
            let before = (!cursor.is_empty()).then_some(cursor.as_str());
            let (lines, next) = ops::log::export_page(&cx, &filter, before).await?;
            Ok::<_, AppError>(Some((lines, next)))
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
pub async fn realm_report_csv(caller: Result<Caller, NoCaller>) -> Response {
    let csv = match caller {
        Ok(Caller(cx)) => ops::realms::report_csv(&cx).await,
        Err(NoCaller(e)) => Err(e),
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

/// `GET /users/import/{id}/results.csv`: an import's result report (its
/// uploader's only; anyone else gets "not found").
pub async fn import_results_csv(
    caller: Result<Caller, NoCaller>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let csv = match (caller, id.parse::<app::ids::ImportId>()) {
        (Ok(Caller(cx)), Ok(id)) => ops::imports::results_csv(&cx, &id).await,
        (Err(NoCaller(e)), _) => Err(e),
        (_, Err(_)) => Err(AppError::NotFound),
    };
    match csv {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"import-results.csv\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => refused(&e),
    }
}

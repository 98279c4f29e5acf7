//! Prometheus metrics at `/metrics` (`metrics` facade +
//! `metrics-exporter-prometheus`, rendered by our own route: no second
//! listener). Counted where things happen:
//!
//! - `portal_http_requests_total` and `portal_http_request_duration_seconds`
//!   (histogram) by method, route (the matched route pattern, never the raw
//!   path: `/users/{id}`, not one series per user) and status — [`track`];
//! - `portal_signins_total` by outcome — at the System Log chokepoint
//!   (`store::audit`), from each `user.session.start` event;
//! - `portal_provisioning_failures_total` by outcome (`retry`, `failed`) —
//!   where a delivery attempt is recorded (`store::provisioning`);
//!
//! and read at scrape time: database pool connections (`portal_db_pool_*`),
//! the background queues' depth and age (`portal_work_*`).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

const DURATION: &str = "portal_http_request_duration_seconds";

/// Installs the process-wide recorder; `None` if one is installed already
/// (a second server in one process: only the first one's are exported).
pub fn install() -> Option<PrometheusHandle> {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(DURATION.to_string()),
            &[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ],
        )
        .ok()?
        .set_buckets_for_metric(
            Matcher::Full("portal_write_batch_size".to_string()),
            &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
        )
        .ok()?;
    let handle = builder.install_recorder().ok()?;
    metrics::describe_histogram!(
        "portal_write_batch_size",
        "Writes per group-committed transaction (profile edits)"
    );
    metrics::describe_counter!(
        "portal_http_requests_total",
        "HTTP requests answered, by method, route and status"
    );
    metrics::describe_histogram!(
        DURATION,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request (until the response head), by method, route and status"
    );
    metrics::describe_counter!(
        "portal_signins_total",
        "Sign-ins (user.session.start events), by outcome"
    );
    metrics::describe_counter!(
        "portal_provisioning_failures_total",
        "Failed provisioning delivery attempts: retried later, or given up (FAILED)"
    );
    // Series exist from the start (a rate over a missing series is empty).
    for outcome in ["success", "failure", "deny"] {
        metrics::counter!("portal_signins_total", "outcome" => outcome).absolute(0);
    }
    for outcome in ["retry", "failed"] {
        metrics::counter!("portal_provisioning_failures_total", "outcome" => outcome).absolute(0);
    }
    Some(handle)
}

/// Counts and times every request by its route pattern. Requests no route
/// matched (static files, unknown paths) share one label, so a scan of
/// random paths cannot make series without end.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| {
            if request.uri().path().starts_with("/pkg/") {
                "/pkg/*".to_string()
            } else {
                "unmatched".to_string()
            }
        });
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("portal_http_requests_total", &labels).increment(1);
    metrics::histogram!(DURATION, &labels).record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: the Prometheus text format. With `metrics_token` set, only
/// for `Authorization: Bearer <token>` (compared in constant time).
pub async fn endpoint(State(state): State<AppState>, request: Request) -> Response {
    let Some(handle) = state.metrics.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let token = state.config.metrics_token.expose();
    if !token.is_empty() {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let stored = app::credentials::token_hash(token);
        if !app::oidc::secret_matches(given, &stored) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "a metrics token is required",
            )
                .into_response();
        }
    }
    record_gauges(&state).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// What is read at scrape time: pools and queues.
async fn record_gauges(state: &AppState) {
    for pool in state.store.pool_stats() {
        let idle = u32::try_from(pool.idle).unwrap_or(u32::MAX);
        metrics::gauge!("portal_db_pool_connections", "pool" => pool.pool, "state" => "idle")
            .set(f64::from(idle));
        metrics::gauge!("portal_db_pool_connections", "pool" => pool.pool, "state" => "in_use")
            .set(f64::from(pool.size.saturating_sub(idle)));
        metrics::gauge!("portal_db_pool_max_connections", "pool" => pool.pool)
            .set(f64::from(pool.max));
    }
    match state.store.work_stats().await {
        Ok(work) => {
            for status in ["QUEUED", "RUNNING", "FAILED"] {
                let n = work
                    .provisioning
                    .iter()
                    .find(|(s, _)| s == status)
                    .map(|(_, n)| *n)
                    .unwrap_or(0);
                metrics::gauge!("portal_work_items", "queue" => "provisioning", "status" => status)
                    .set(n as f64);
            }
            metrics::gauge!("portal_work_oldest_queued_seconds", "queue" => "provisioning")
                .set(work.provisioning_oldest_seconds);
            metrics::gauge!("portal_work_items", "queue" => "realm_assignment", "status" => "RUNNING")
                .set(work.operations_running as f64);
            metrics::gauge!("portal_work_items", "queue" => "csv_import", "status" => "RUNNING")
                .set(work.imports_running as f64);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the work queues"),
    }
}

//! The axum router: health probes, sign-in, exports, the Leptos app and its
//! server functions (under `/_fn/`), and the layers every request passes:
//! request id, tracing, client address, rate limits, session, surface gate,
//! no-JavaScript notices, security headers; and the Management API under
//! `/api/v1` (`crate::api`), which shares only the outermost of them.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use app::store::Store;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::Config;
use crate::error::RunError;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Result<Router, RunError> {
    let routes = generate_route_list(app::App);
    let shell_options = state.leptos_options.clone();
    let context_state = state.clone();
    let context = move || {
        provide_context(context_state.store.clone());
        provide_context(context_state.org.clone());
        provide_context(context_state.settings.clone());
        // The request's head: the gate's principal and a form's notice ride in
        // its extensions.
        let parts = use_context::<axum::http::request::Parts>();
        let extensions = parts.as_ref().map(|parts| &parts.extensions);
        // One principal per request: the gate's when it built one.
        provide_context(
            extensions
                .and_then(|e| e.get::<app::ctx::RequestPrincipal>().cloned())
                .unwrap_or_default(),
        );
        // What a form posted without JavaScript said (see `notice`).
        if let Some(notice) = extensions.and_then(|e| e.get::<app::components::ui::Notice>()) {
            provide_context(notice.clone());
        }
        // A page render reads each thing once (see `RequestReads`).
        if parts
            .as_ref()
            .is_some_and(|parts| parts.method == axum::http::Method::GET)
        {
            provide_context(app::ctx::RequestReads::default());
        }
        // Pages carry a CSP naming this response's nonce (Leptos puts it on
        // its hydration script).
        if let (Some(nonce), Some(response)) = (
            leptos::nonce::use_nonce(),
            use_context::<leptos_axum::ResponseOptions>(),
        ) {
            if let Ok(value) = HeaderValue::from_str(&crate::guard::page_csp(&nonce)) {
                response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
            }
        }
    };
    let limits = |what: &str| RunError(format!("{what} must be at least 1"));
    let signin =
        crate::guard::signin_layer(state.config.rate_limit_signin_per_minute).ok_or_else(|| {
            limits("rate_limit_signin_per_minute (PORTAL_RATE_LIMIT_SIGNIN_PER_MINUTE)")
        })?;
    let mutations = crate::guard::session_limiter(
        state.config.rate_limit_mutations_per_minute,
        session_key(&state.config),
        &crate::guard::MUTATIONS,
    )
    .ok_or_else(|| {
        limits("rate_limit_mutations_per_minute (PORTAL_RATE_LIMIT_MUTATIONS_PER_MINUTE)")
    })?;
    let reads = crate::guard::session_limiter(
        state.config.rate_limit_reads_per_minute,
        session_key(&state.config),
        &crate::guard::READS,
    )
    .ok_or_else(|| limits("rate_limit_reads_per_minute (PORTAL_RATE_LIMIT_READS_PER_MINUTE)"))?;
    signin.spawn_sweeper();
    mutations.spawn_sweeper();
    reads.spawn_sweeper();
    let proxies: Arc<[ipnet::IpNet]> = state
        .config
        .trusted_proxy_nets()
        .map_err(|e| RunError(e.0))?
        .into();
    let public_origin: Arc<str> = crate::guard::origin_of(&state.config.public_url).into();
    let site = Router::new()
        .route("/users/export.csv", get(crate::export::users_csv))
        .route(
            "/users/import/{id}/results.csv",
            get(crate::export::import_results_csv),
        )
        .route("/activity/export.jsonl", get(crate::export::activity_jsonl))
        .route(
            "/admin/realms/report.csv",
            get(crate::export::realm_report_csv),
        )
        .merge(crate::auth::routes().layer(signin.layer()))
        .merge(crate::hosted::routes().layer(signin.layer()))
        .merge(crate::oauth::browser_routes().layer(signin.layer()))
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            app::shell(shell_options.clone())
        })
        // Pages, exports and searches (GET) are rate limited too; files
        // (the fallback) and health checks are not.
        .route_layer(reads.layer())
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell))
        .layer(axum::middleware::from_fn(crate::guard::server_fn_status))
        .layer(axum::middleware::from_fn(crate::guard::multipart_only))
        .layer(axum::middleware::from_fn_with_state(
            crate::notice::ErrorSeal::new(state.config.session_secret.expose()),
            crate::notice::carry,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::gate::surface_gate,
        ))
        .layer(session_layer(&state))
        .layer(mutations.layer())
        .layer(axum::middleware::from_fn_with_state(
            public_origin,
            crate::guard::refuse_cross_site,
        ));
    // The Management API has layers of its own (token, Okta's rate limits):
    // none of the site's (no session, no cookie-based forgery check).
    let api = crate::api::router(&state);
    Ok(Router::new()
        .merge(site)
        .nest("/api/v1", api)
        // The OpenID Provider's app-facing endpoints: called by apps, not
        // browsers' sessions (no cookie, no cross-site check).
        .merge(crate::oauth::protocol_routes())
        // Prometheus scrapes: no session, no rate limit (token-protected
        // when `metrics_token` is set).
        .route("/metrics", get(crate::metrics::endpoint))
        .layer(axum::middleware::from_fn_with_state(
            state.config.public_url.starts_with("https://"),
            crate::guard::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            proxies,
            crate::guard::client_ip,
        ))
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(
                    |request: &axum::http::Request<axum::body::Body>| {
                        let request_id = request
                            .headers()
                            .get(REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("");
                        tracing::info_span!(
                            "request",
                            method = %request.method(),
                            path = %request.uri().path(),
                            request_id,
                        )
                    },
                ))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
        )
        // Outermost: counts and times every request (by its route pattern).
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .with_state(state))
}

/// Server-side sessions in the database: signed cookie, `HttpOnly`, `SameSite=Lax`
/// (the IdP's redirect back is a cross-site navigation), `Secure` with the
/// `__Host-` prefix unless plain-http development is configured, idle timeout.
fn session_layer(
    state: &AppState,
) -> SessionManagerLayer<Store, tower_sessions::service::SignedCookie> {
    let secure = state.config.secure_cookies;
    SessionManagerLayer::new(state.store.clone())
        .with_name(if secure {
            "__Host-portal_session"
        } else {
            "portal_session"
        })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_path("/")
        // The idle timeout slides with every request (the store rewrites an
        // unchanged record only when its expiry lags by a minute).
        .with_always_save(true)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
            state.config.session_idle_timeout_minutes as i64,
        )))
        .with_signed(session_key(&state.config))
}

/// The key that signs session cookies, derived from `session_secret`.
fn session_key(config: &Config) -> tower_sessions::cookie::Key {
    use sha2::Digest;
    let key = sha2::Sha512::digest(config.session_secret.expose().as_bytes());
    tower_sessions::cookie::Key::from(key.as_slice())
}

async fn livez() -> &'static str {
    "ok"
}

/// Ready when the database answers and every known migration is applied.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let check = tokio::time::timeout(Duration::from_secs(2), async {
        state.store.ping().await?;
        state.store.is_migrated().await
    })
    .await;
    match check {
        Ok(Ok(true)) => (StatusCode::OK, "ready"),
        Ok(Ok(false)) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database timed out"),
    }
}

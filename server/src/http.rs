//! The axum router: health probes, the Leptos app and its server functions, and
//! the layers every request passes (request id, tracing).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use app::store::Store;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::cli::RunError;
use crate::config::Config;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub org: app::authz::OrgContext,
    pub org_idp: app::authn::OrgIdp,
    /// Partner IdPs met so far, by id, with the `last_updated` they were built
    /// from: an edited IdP is built afresh (discovery is cached per provider).
    pub partner_idps:
        Arc<tokio::sync::RwLock<std::collections::HashMap<app::ids::IdpId, CachedIdp>>>,
    pub secrets: app::store::idps::SecretBox,
    /// Where fetches to admin-configured IdPs may go.
    pub outbound: app::authn::outbound::OutboundPolicy,
    pub config: Arc<Config>,
}

impl AppState {
    /// How old an ID token may be.
    pub fn max_token_age(&self) -> std::time::Duration {
        std::time::Duration::from_secs(60 * self.config.id_token_max_age_minutes)
    }
}

/// A built partner provider and the IdP version it was built from.
pub type CachedIdp = (String, app::authn::OidcProvider);

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub async fn serve(
    config: Config,
    store: Store,
    org: app::authz::OrgContext,
) -> Result<(), RunError> {
    let leptos_options = leptos_options(&config)?;
    let addr = config.listen_addr;
    let org_idp = app::authn::OrgIdp::new(
        &config.org_idp_issuer,
        &config.org_idp_client_id,
        config.org_idp_client_secret.expose(),
        &config.public_url,
    )
    .map_err(|e| RunError(format!("org_idp_issuer (PORTAL_ORG_IDP_ISSUER): {e}")))?
    .with_max_token_age(std::time::Duration::from_secs(
        60 * config.id_token_max_age_minutes,
    ));
    let state = AppState {
        outbound: app::authn::outbound::OutboundPolicy::admin_configured(
            config.dev_allow_loopback_idps,
        ),
        leptos_options,
        store,
        org,
        org_idp,
        partner_idps: Arc::default(),
        secrets: app::store::idps::SecretBox::new(config.secrets_key.expose()),
        config: Arc::new(config),
    };
    resume_operations(&state.store).await;
    let router = router(state.clone())?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        RunError(format!(
            "listen_addr (PORTAL_LISTEN_ADDR): cannot listen on {addr}: {e}"
        ))
    })?;
    // Pages stream (the shell, then each suspense as it resolves): with Nagle's
    // algorithm on, each small write after the first waits for the client's
    // delayed ACK, up to 40 ms a page.
    let listener = listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY on a connection");
        }
    });
    tracing::info!(%addr, public_url = %state.config.public_url, "Partner Portal is listening");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| RunError(format!("server stopped: {e}")))?;
    state.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Realm-assignment operations a stopped server left running go on where they
/// stopped (each item is applied once; the rest is still PENDING), under the
/// system principal.
async fn resume_operations(store: &Store) {
    use app::authz::{check, Permission, Principal, Target};
    let unfinished = match store.unfinished_operations().await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = %e, "cannot list unfinished realm assignment operations");
            return;
        }
    };
    let Ok(grant) = check(&Principal::system(), Permission::RealmsManage, &Target::Org) else {
        return;
    };
    for id in unfinished {
        tracing::info!(operation = %id, "resuming a realm assignment operation");
        tokio::spawn(app::store::rules::run_operation(
            store.clone(),
            grant.clone(),
            id,
        ));
    }
}

fn leptos_options(config: &Config) -> Result<LeptosOptions, RunError> {
    let conf = get_configuration(None)
        .map_err(|e| RunError(format!("Leptos site settings (LEPTOS_*): {e}")))?;
    let mut options = conf.leptos_options;
    options.site_addr = config.listen_addr;
    Ok(options)
}

pub fn router(state: AppState) -> Result<Router, RunError> {
    let routes = generate_route_list(app::App);
    let shell_options = state.leptos_options.clone();
    let context_state = state.clone();
    let context = move || {
        provide_context(context_state.store.clone());
        provide_context(context_state.org.clone());
        provide_context(context_state.secrets.clone());
        provide_context(context_state.outbound);
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
        provide_context(app::serverfns::admin::PublicUrl(
            context_state.config.public_url.clone(),
        ));
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
    Ok(Router::new()
        .route("/users/export.csv", get(crate::export::users_csv))
        .route("/activity/export.jsonl", get(crate::export::activity_jsonl))
        .route(
            "/admin/realms/report.csv",
            get(crate::export::realm_report_csv),
        )
        .merge(crate::auth::routes().layer(signin.layer()))
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
        ))
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

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

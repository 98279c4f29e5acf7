//! Starting the server: the state from the configuration, operations a
//! stopped server left running, the listener, and a graceful shutdown.

use std::sync::Arc;

use axum::serve::ListenerExt;
use leptos::prelude::*;

use app::store::Store;

use crate::config::Config;
use crate::error::RunError;
use crate::state::AppState;

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
    let credentials = app::credentials::Credentials::new(&config.public_url, &config.credentials())
        .map_err(|e| RunError(format!("credentials: {e}")))?;
    let state = AppState {
        settings: app::ctx::Settings {
            public_url: config.public_url.clone(),
            outbound: app::outbound::OutboundPolicy::admin_configured(
                config.dev_allow_loopback_idps,
            ),
            secrets: app::store::idps::SecretBox::new(config.secrets_key.expose()),
            credentials,
        },
        leptos_options,
        store,
        org,
        org_idp,
        partner_idps: Arc::default(),
        keyring: Arc::default(),
        metrics: if config.metrics {
            crate::metrics::install()
        } else {
            None
        },
        config: Arc::new(config),
    };
    take_over_abandoned_work(&state);
    start_provisioning(&state)?;
    let router = crate::http::router(state.clone())?;
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

/// The provisioning worker: delivers the outbox's tasks (and, after a
/// restart, those a stopped server left: their leases run out).
fn start_provisioning(state: &AppState) -> Result<(), RunError> {
    let http = state
        .settings
        .outbound
        .client()
        .map_err(|e| RunError(format!("provisioning HTTP client: {e}")))?;
    let worker = app::provisioning::worker::Worker::new(
        state.store.clone(),
        http,
        state.settings.secrets.clone(),
        std::time::Duration::from_secs(u64::from(state.config.provisioning_lease_seconds)),
    );
    tokio::spawn(worker.run());
    // Scheduled imports: looked for every 30 seconds.
    let cx = app::ctx::Ctx::new(
        state.store.clone(),
        state.org.clone(),
        state.settings.clone(),
        app::authz::Principal::system(),
    );
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            match app::ops::provisioning::scheduled_imports(&cx).await {
                Ok(done) => {
                    for summary in done {
                        tracing::info!(%summary, "scheduled import");
                    }
                }
                Err(e) => tracing::error!(error = %e, "scheduled imports"),
            }
        }
    });
    Ok(())
}

/// Realm-assignment operations and CSV imports whose instance stopped (killed,
/// cut off, or this one before a restart) go on here where they stopped, once
/// their lease has run out: looked for at start and then every third of a
/// lease. Each item is applied once (what is done is no longer PENDING).
/// Operations run as the system; imports as the admin who started them.
fn take_over_abandoned_work(state: &AppState) {
    use app::authz::{check, Permission, Principal, Target};
    let Ok(grant) = check(&Principal::system(), Permission::RealmsManage, &Target::Org) else {
        return;
    };
    let cx = app::ctx::Ctx::new(
        state.store.clone(),
        state.org.clone(),
        state.settings.clone(),
        Principal::system(),
    );
    let every = (state.store.lease().length() / 3).max(std::time::Duration::from_millis(500));
    tokio::spawn(async move {
        loop {
            if let Err(e) = app::store::rules::take_over_operations(&cx.store, &grant).await {
                tracing::error!(error = %e, "cannot take over realm assignment operations");
            }
            if let Err(e) = app::ops::imports::resume(&cx).await {
                tracing::error!(error = %e, "cannot take over CSV imports");
            }
            tokio::time::sleep(every).await;
        }
    });
}

fn leptos_options(config: &Config) -> Result<LeptosOptions, RunError> {
    let conf = get_configuration(None)
        .map_err(|e| RunError(format!("Leptos site settings (LEPTOS_*): {e}")))?;
    let mut options = conf.leptos_options;
    options.site_addr = config.listen_addr;
    Ok(options)
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

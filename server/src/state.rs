//! The server's state, shared by every route, and the request context
//! (`app::ctx::Ctx`) as an extractor for routes outside Leptos.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use leptos::prelude::LeptosOptions;
use tower_sessions::Session;

use app::ctx::Ctx;
use app::error::AppError;
use app::store::Store;

use crate::config::Config;

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
    /// What operations need from the server: the public URL, where fetches
    /// to admin-configured IdPs may go, the key sealing IdP secrets.
    pub settings: app::ctx::Settings,
    pub config: Arc<Config>,
    /// The OpenID Provider's signing key, parsed once per key.
    pub keyring: Arc<crate::oauth::Keyring>,
    /// Renders `/metrics` (none when metrics are off).
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
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

/// The caller's request context, built the same way as for server functions:
/// from the session, with the client as the trusted proxies let it be seen.
pub struct Caller(pub Ctx);

/// Why there is no request context (not signed in, or a failure), as an
/// answer: its status and message.
#[derive(Debug)]
pub struct NoCaller(pub AppError);

impl axum::response::IntoResponse for NoCaller {
    fn into_response(self) -> axum::response::Response {
        let status = axum::http::StatusCode::from_u16(self.0.status_code())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        (status, self.0.to_string()).into_response()
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = NoCaller;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, NoCaller> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| NoCaller(app::ctx::missing_context()))?;
        let client = app::ctx::client_of(&parts.headers);
        Ctx::from_session(&state.store, &state.org, &state.settings, &session, client)
            .await
            .map(Caller)
            .map_err(NoCaller)
    }
}

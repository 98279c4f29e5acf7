//! The OpenID Provider of the apps the portal shares (Okta's org
//! authorization server paths):
//!
//! - `/.well-known/openid-configuration` and `/oauth2/v1/keys` (JWKS);
//! - `/oauth2/v1/authorize`: the signed-in user (or, first, a sign-in the
//!   way the user signs in to the portal) gets a single-use code — only if
//!   the app is assigned to them, directly or through a group; anyone else
//!   sees a page saying so and the refusal is logged;
//! - `/oauth2/v1/token`: codes (PKCE S256, exact redirect URI), rotating
//!   refresh tokens (a reused one revokes its family), client credentials;
//!   clients authenticate with a secret (Basic or POST), a `private_key_jwt`
//!   assertion or, public ones, not at all;
//! - `/oauth2/v1/userinfo`, `/revoke`, `/introspect`, and `/logout`
//!   (RP-initiated: ends the portal session);
//! - `/home/apps/{id}`: a dashboard tile, starting the app's own sign-in.
//!
//! Every use of a grant re-checks that the user is active and still has the
//! app; the admin changes that end an assignment also delete the refresh
//! tokens at once (`app::store::oauth::revoke_lapsed_grants_in`).

mod authorize;
mod resource;
mod token;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use app::oidc::tokens::{self, Signer};
use app::oidc::{self, AuthMethod, OAuthError};

use crate::state::AppState;

use authorize::{authorize, launch, logout};
use resource::{introspect, revoke, userinfo};
use token::token;

pub fn browser_routes() -> Router<AppState> {
    Router::new()
        .route("/oauth2/v1/authorize", get(authorize))
        .route("/oauth2/v1/logout", get(logout))
        .route("/home/apps/{id}", get(launch))
}

/// Routes called by apps (server to server, or a browser app's fetch): no
/// session, no cookie.
pub fn protocol_routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth2/v1/keys", get(jwks))
        .route("/oauth2/v1/token", axum::routing::post(token))
        .route("/oauth2/v1/userinfo", get(userinfo).post(userinfo))
        .route("/oauth2/v1/revoke", axum::routing::post(revoke))
        .route("/oauth2/v1/introspect", axum::routing::post(introspect))
}

pub(super) fn issuer(state: &AppState) -> String {
    state.config.public_url.trim_end_matches('/').to_string()
}

/// The signing key in use, parsed once per key; a new one is made on first
/// need and when the current one is older than `oidc_key_rotation_days`.
#[derive(Default)]
pub struct Keyring {
    current: tokio::sync::RwLock<Option<Signer>>,
    making: tokio::sync::Mutex<()>,
}

impl Keyring {
    pub(super) async fn signer(&self, state: &AppState) -> Result<Signer, OAuthError> {
        if let Some(signer) = self.usable(state).await? {
            return Ok(signer);
        }
        // One instance of this process makes the key; the others wait and
        // then find it.
        let _making = self.making.lock().await;
        if let Some(signer) = self.usable(state).await? {
            return Ok(signer);
        }
        let generated = tokio::task::spawn_blocking(oidc::keys::generate)
            .await
            .map_err(|_| OAuthError::server_error())?
            .map_err(|e| internal("signing key generation", &e))?;
        let sealed = state
            .settings
            .secrets
            .seal(&generated.private_pem)
            .map_err(|e| internal("sealing the signing key", &e.to_string()))?;
        state
            .store
            .system_add_signing_key(&generated.kid, &sealed, &generated.public_jwk)
            .await
            .map_err(|e| internal("storing the signing key", &e.to_string()))?;
        let signer = Signer::from_pem(&generated.kid, &generated.private_pem)
            .map_err(|e| internal("the new signing key", &e))?;
        *self.current.write().await = Some(signer.clone());
        Ok(signer)
    }

    /// The stored current key, when it is not due for rotation.
    async fn usable(&self, state: &AppState) -> Result<Option<Signer>, OAuthError> {
        let Some((kid, sealed, created)) = state
            .store
            .system_signing_key()
            .await
            .map_err(|e| internal("reading the signing key", &e.to_string()))?
        else {
            return Ok(None);
        };
        let age_days = tokens::parse_time(&created)
            .map(|t| (time::OffsetDateTime::now_utc().unix_timestamp() - t) / 86_400)
            .unwrap_or(i64::MAX);
        if age_days >= i64::from(state.config.oidc_key_rotation_days) {
            return Ok(None);
        }
        if let Some(signer) = self.current.read().await.as_ref() {
            if signer.kid == kid {
                return Ok(Some(signer.clone()));
            }
        }
        let pem = state
            .settings
            .secrets
            .open(&sealed)
            .map_err(|e| internal("opening the signing key", &e.to_string()))?;
        let signer =
            Signer::from_pem(&kid, &pem).map_err(|e| internal("the stored signing key", &e))?;
        *self.current.write().await = Some(signer.clone());
        Ok(Some(signer))
    }
}

pub(super) fn internal(what: &str, detail: &str) -> OAuthError {
    tracing::error!(%detail, "OpenID Provider: {what} failed");
    OAuthError::server_error()
}

pub(super) fn store_failed(e: app::store::StoreError) -> OAuthError {
    internal("the store", &e.to_string())
}

// ---------------------------------------------------------------- discovery

async fn discovery(State(state): State<AppState>) -> Response {
    let iss = issuer(&state);
    let doc = json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oauth2/v1/authorize"),
        "token_endpoint": format!("{iss}/oauth2/v1/token"),
        "userinfo_endpoint": format!("{iss}/oauth2/v1/userinfo"),
        "jwks_uri": format!("{iss}/oauth2/v1/keys"),
        "end_session_endpoint": format!("{iss}/oauth2/v1/logout"),
        "revocation_endpoint": format!("{iss}/oauth2/v1/revoke"),
        "introspection_endpoint": format!("{iss}/oauth2/v1/introspect"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": oidc::GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": oidc::SCOPES,
        "token_endpoint_auth_methods_supported": AuthMethod::ALL.map(AuthMethod::as_str),
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512", "PS256"],
        "revocation_endpoint_auth_methods_supported": AuthMethod::ALL.map(AuthMethod::as_str),
        "introspection_endpoint_auth_methods_supported": AuthMethod::ALL.map(AuthMethod::as_str),
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
            "name", "given_name", "family_name", "preferred_username", "updated_at",
            "email", "groups", "realm", "realm_id"],
        "request_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    });
    cached(Json(doc).into_response(), 300)
}

async fn jwks(State(state): State<AppState>) -> Response {
    // Make the first key before anyone needs to verify with it.
    if let Err(e) = state.keyring.signer(&state).await {
        return token_error(e);
    }
    match state.store.system_published_keys().await {
        Ok(keys) => cached(Json(json!({ "keys": keys })).into_response(), 300),
        Err(e) => token_error(store_failed(e)),
    }
}

fn cached(mut response: Response, seconds: u32) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={seconds}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    response
}

// ---------------------------------------------------------------- token

/// An OAuth error as the token, revocation and introspection endpoints
/// answer it (RFC 6749 §5.2).
pub(super) fn token_error(e: OAuthError) -> Response {
    let status = match e.code {
        "invalid_client" => StatusCode::UNAUTHORIZED,
        "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = (
        status,
        Json(json!({ "error": e.code, "error_description": e.description })),
    )
        .into_response();
    no_store(&mut response);
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"oauth2\""),
        );
    }
    response
}

pub(super) fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

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

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use base64::Engine;
use serde_json::{json, Map, Value};
use tower_sessions::Session;

use app::credentials::token_hash;
use app::ids::{AppId, UserId};
use app::model::{User, UserStatus};
use app::oidc::tokens::{self, Signer, UserClaims};
use app::oidc::{self, AuthMethod, Client, OAuthError};
use app::store::audit::Client as EventClient;
use app::store::oauth::{CodeRequest, Issued, Redeemed};

use crate::auth::plain_page;
use crate::state::AppState;

/// Routes that need the browser's portal session.
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

fn issuer(state: &AppState) -> String {
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
    async fn signer(&self, state: &AppState) -> Result<Signer, OAuthError> {
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

fn internal(what: &str, detail: &str) -> OAuthError {
    tracing::error!(%detail, "OpenID Provider: {what} failed");
    OAuthError::server_error()
}

fn store_failed(e: app::store::StoreError) -> OAuthError {
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
            "email", "email_verified", "groups", "realm", "realm_id"],
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

// ---------------------------------------------------------------- authorize

/// A page for a request that cannot go back to the app: the client or the
/// redirect URI is not one the provider knows.
fn bad_request_page(message: &str) -> Response {
    plain_page(
        StatusCode::BAD_REQUEST,
        "This sign-in request is not valid",
        message,
        ("/me", "Your apps"),
    )
}

/// An error sent back to the app's redirect URI (RFC 6749 §4.1.2.1, with
/// RFC 9207's `iss`).
fn redirect_error(
    state: &AppState,
    redirect_uri: &str,
    app_state: Option<&str>,
    error: &str,
    description: &str,
) -> Response {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return bad_request_page(description),
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("error", error);
        q.append_pair("error_description", description);
        if let Some(s) = app_state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &issuer(state));
    }
    Redirect::to(url.as_str()).into_response()
}

async fn authorize(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client_id) = get("client_id") else {
        return bad_request_page("The app sent no client_id.");
    };
    let client = match state.store.system_oauth_client(client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return bad_request_page("No app is registered with this client_id."),
        Err(e) => return token_error(store_failed(e)),
    };
    // Until the redirect URI is known to be the app's, nothing goes back to it.
    let Some(redirect_uri) = get("redirect_uri") else {
        return bad_request_page("The app sent no redirect_uri.");
    };
    if !client.redirect_registered(redirect_uri) {
        return bad_request_page(
            "The redirect_uri is not one registered for this app (they must match exactly).",
        );
    }
    let app_state = get("state");
    let back = |error: &str, description: &str| {
        redirect_error(&state, redirect_uri, app_state, error, description)
    };
    if get("response_type") != Some("code") {
        return back(
            "unsupported_response_type",
            "Only the authorization code flow (response_type=code) is supported.",
        );
    }
    if !client.settings.allows("authorization_code") {
        return back(
            "unauthorized_client",
            "This app may not use the authorization code grant.",
        );
    }
    let scopes = oidc::granted_scopes(
        get("scope").unwrap_or_default(),
        client.settings.allows("refresh_token"),
    );
    if !scopes.iter().any(|s| s == "openid") {
        return back("invalid_scope", "The openid scope is required.");
    }
    let challenge = get("code_challenge");
    match (challenge, get("code_challenge_method")) {
        (None, _) if client.app_type.is_public() => {
            return back(
                "invalid_request",
                "PKCE is required: send code_challenge with code_challenge_method=S256.",
            )
        }
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => {}
        (Some(_), _) => {
            return back(
                "invalid_request",
                "code_challenge_method must be S256 and code_challenge 43 to 128 characters.",
            )
        }
        (None, _) => {}
    }
    if get("request").is_some() || get("request_uri").is_some() {
        return back(
            "request_not_supported",
            "Request objects are not supported.",
        );
    }
    let prompt = get("prompt").unwrap_or_default();
    let user = match app::ctx::session_user(&state.store, &session).await {
        Ok(u) => u,
        Err(e) => return token_error(internal("the session", &e.to_string())),
    };
    let signed_in_at = session
        .get::<i64>(app::ctx::SIGNED_IN_AT)
        .await
        .ok()
        .flatten()
        .unwrap_or(0)
        / 1000;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let too_old = get("max_age")
        .and_then(|m| m.parse::<i64>().ok())
        .is_some_and(|max| now - signed_in_at > max);
    let user = match user {
        Some(user) if !prompt.split(' ').any(|p| p == "login") && !too_old => user,
        Some(_) | None if prompt.split(' ').any(|p| p == "none") => {
            return back("login_required", "The user is not signed in.");
        }
        existing => {
            // Sign in (again, for prompt=login or max_age), then come back
            // here without the prompt that sent us.
            if existing.is_some() {
                let _ = session.flush().await;
            }
            let again = without_params(&uri, &["prompt", "max_age"]);
            let to = format!(
                "/login?return_to={}",
                url::form_urlencoded::byte_serialize(again.as_bytes()).collect::<String>()
            );
            return Redirect::to(&to).into_response();
        }
    };
    let from = app::ctx::client_of(&headers);
    let access = user.status == UserStatus::Active
        && client.app_active
        && state
            .store
            .system_app_access(&user.id, &client.app_id)
            .await
            .unwrap_or(false);
    if !access {
        return no_access(&state, &user, &client, &from).await;
    }
    let code = oidc::random_token();
    let request = CodeRequest {
        redirect_uri: redirect_uri.to_string(),
        scopes,
        nonce: get("nonce").map(str::to_string),
        code_challenge: challenge.map(str::to_string),
        auth_time: signed_in_at,
    };
    if let Err(e) = state
        .store
        .system_issue_code(&token_hash(&code), &user, &client, &request, &from)
        .await
    {
        return token_error(store_failed(e));
    }
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return bad_request_page("The redirect_uri is not a URL."),
    };
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("code", &code);
        if let Some(s) = app_state {
            pairs.append_pair("state", s);
        }
        pairs.append_pair("iss", &issuer(&state));
    }
    Redirect::to(url.as_str()).into_response()
}

/// The path and query of `uri` without the named parameters.
fn without_params(uri: &axum::http::Uri, drop: &[&str]) -> String {
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .filter(|(k, _)| !drop.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    format!("{}?{query}", uri.path())
}

/// "You don't have access to this app": the page, and the refusal logged.
async fn no_access(state: &AppState, user: &User, client: &Client, from: &EventClient) -> Response {
    let reason = if client.app_active {
        "The app is not assigned to the user"
    } else {
        "The app is inactive"
    };
    if let Err(e) = state
        .store
        .system_app_access_denied(user, client, from, reason)
        .await
    {
        tracing::error!(error = %e, "could not record a refused app sign-in");
    }
    plain_page(
        StatusCode::FORBIDDEN,
        &format!("No access to {}", client.app_label),
        "You don't have access to this app — ask your partner admin.",
        ("/me", "Your apps"),
    )
}

/// A dashboard tile: the app's own sign-in starts at its initiate-login URI
/// (OpenID Connect third-party initiated login, `iss` added).
async fn launch(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let user = match app::ctx::session_user(&state.store, &session).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            let back = format!("/home/apps/{id}");
            return Redirect::to(&format!(
                "/login?return_to={}",
                url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
            ))
            .into_response();
        }
        Err(e) => return token_error(internal("the session", &e.to_string())),
    };
    let not_found = || {
        plain_page(
            StatusCode::NOT_FOUND,
            "App not found",
            "There is no such app among yours.",
            ("/me", "Your apps"),
        )
    };
    let Ok(app_id) = AppId::parse(&id) else {
        return not_found();
    };
    let client = match state.store.oauth_client_of_app(&app_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return not_found(),
        Err(e) => return token_error(store_failed(e)),
    };
    let from = app::ctx::client_of(&headers);
    let access = client.app_active
        && state
            .store
            .system_app_access(&user.id, &client.app_id)
            .await
            .unwrap_or(false);
    if !access {
        return no_access(&state, &user, &client, &from).await;
    }
    match client
        .settings
        .initiate_login_uri
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
    {
        Some(mut url) => {
            url.query_pairs_mut().append_pair("iss", &issuer(&state));
            Redirect::to(url.as_str()).into_response()
        }
        None => plain_page(
            StatusCode::CONFLICT,
            &client.app_label,
            "This app cannot be started from the portal: open it directly and choose to sign in there.",
            ("/me", "Your apps"),
        ),
    }
}

// ---------------------------------------------------------------- logout

async fn logout(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(hint) = get("id_token_hint") else {
        return bad_request_page("The app sent no id_token_hint: sign out from the portal instead.");
    };
    let published = match state.store.system_published_keys().await {
        Ok(k) => k,
        Err(e) => return token_error(store_failed(e)),
    };
    // An expired ID token still names who and which app.
    let claims = match tokens::verify_own(hint, &published, &issuer(&state), None, false) {
        Ok(c) => c,
        Err(_) => return bad_request_page("The id_token_hint is not an ID token this portal issued."),
    };
    let aud = claims.get("aud").and_then(Value::as_str).unwrap_or_default();
    let client = match state.store.system_oauth_client(aud).await {
        Ok(Some(c)) => c,
        _ => return bad_request_page("The id_token_hint names no registered app."),
    };
    let target = match get("post_logout_redirect_uri") {
        Some(uri) if client.settings.post_logout_redirect_uris.iter().any(|u| u == uri) => {
            Some(uri.to_string())
        }
        Some(_) => {
            return bad_request_page(
                "The post_logout_redirect_uri is not one registered for this app.",
            )
        }
        None => None,
    };
    // End the portal session if it is the hinted user's.
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or_default();
    if let Ok(Some(user)) = app::ctx::session_user(&state.store, &session).await {
        if user.id.as_str() == sub {
            let event = app::store::credentials::user_event(
                "user.session.end",
                "User logout from Partner Portal",
                &user,
                &app::ctx::client_of(&headers),
            )
            .debug("initiatedBy", client.client_id.clone());
            if let Err(e) = state.store.append_event(&event).await {
                tracing::error!(error = %e, "could not record the sign-out");
            }
            let _ = session.flush().await;
        }
    }
    match target {
        Some(uri) => {
            let mut url = match url::Url::parse(&uri) {
                Ok(u) => u,
                Err(_) => return bad_request_page("The post_logout_redirect_uri is not a URL."),
            };
            if let Some(s) = get("state") {
                url.query_pairs_mut().append_pair("state", s);
            }
            Redirect::to(url.as_str()).into_response()
        }
        None => plain_page(
            StatusCode::OK,
            "Signed out",
            &format!("You are signed out of Partner Portal and {}.", client.app_label),
            ("/login", "Sign in again"),
        ),
    }
}

// ---------------------------------------------------------------- token

/// An OAuth error as the token, revocation and introspection endpoints
/// answer it (RFC 6749 §5.2).
fn token_error(e: OAuthError) -> Response {
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

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Authenticates the client of a token, revocation or introspection request
/// by the one method it is registered with.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Client, OAuthError> {
    let bad = || OAuthError::invalid_client("Client authentication failed.");
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|b64| -> Result<(String, String), OAuthError> {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| bad())?;
            let text = String::from_utf8(raw).map_err(|_| bad())?;
            let (id, secret) = text.split_once(':').ok_or_else(bad)?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Ok((decode(id), decode(secret)))
        })
        .transpose()?;
    let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let assertion = match (field("client_assertion_type"), field("client_assertion")) {
        (Some(ASSERTION_TYPE), Some(a)) => Some(a),
        (Some(_), _) | (None, Some(_)) => {
            return Err(OAuthError::invalid_client(
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
            ))
        }
        _ => None,
    };
    let (method, client_id) = match (&basic, field("client_secret"), assertion) {
        (Some((id, _)), None, None) => (AuthMethod::ClientSecretBasic, id.clone()),
        (None, Some(_), None) => (
            AuthMethod::ClientSecretPost,
            field("client_id").ok_or_else(bad)?.to_string(),
        ),
        (None, None, Some(a)) => {
            // The assertion's issuer is the client; a client_id, if sent, must agree.
            let unverified = tokens::unverified_issuer(a).ok_or_else(bad)?;
            if field("client_id").is_some_and(|c| c != unverified) {
                return Err(bad());
            }
            (AuthMethod::PrivateKeyJwt, unverified)
        }
        (None, None, None) => (
            AuthMethod::None,
            field("client_id")
                .ok_or_else(|| OAuthError::invalid_client("No client authentication."))?
                .to_string(),
        ),
        _ => {
            return Err(OAuthError::invalid_request(
                "Use exactly one client authentication method.",
            ))
        }
    };
    let client = state
        .store
        .system_oauth_client(&client_id)
        .await
        .map_err(store_failed)?
        .ok_or_else(bad)?;
    if client.auth_method != method {
        return Err(OAuthError::invalid_client(format!(
            "This client authenticates with {}.",
            client.auth_method.as_str()
        )));
    }
    match method {
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost => {
            let presented = match &basic {
                Some((_, s)) => s.as_str(),
                None => field("client_secret").unwrap_or_default(),
            };
            let stored = client.secret_hash.as_deref().ok_or_else(bad)?;
            if !oidc::secret_matches(presented, stored) {
                return Err(bad());
            }
        }
        AuthMethod::PrivateKeyJwt => {
            let jwks = client.settings.jwks.as_ref().ok_or_else(bad)?;
            let iss = issuer(state);
            let endpoint = format!("{iss}/oauth2/v1/token");
            let (jti, exp) = tokens::verify_client_assertion(
                assertion.unwrap_or_default(),
                jwks,
                &client.client_id,
                &[endpoint.as_str(), iss.as_str()],
            )?;
            if !state
                .store
                .system_first_use_of_assertion(&client.client_id, &jti, exp)
                .await
                .map_err(store_failed)?
            {
                return Err(OAuthError::invalid_client(
                    "This client assertion was used before.",
                ));
            }
        }
        AuthMethod::None => {}
    }
    Ok(client)
}

async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    match exchange(&state, &headers, &form).await {
        Ok(body) => {
            let mut response = Json(body).into_response();
            no_store(&mut response);
            response
        }
        Err(e) => token_error(e),
    }
}

async fn exchange(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Value, OAuthError> {
    let client = authenticate(state, headers, form).await?;
    let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let from = app::ctx::client_of(headers);
    let grant_type = field("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required."))?;
    if !oidc::GRANT_TYPES.contains(&grant_type) {
        return Err(OAuthError::new(
            "unsupported_grant_type",
            format!("{grant_type} is not supported."),
        ));
    }
    if !client.settings.allows(grant_type) {
        return Err(OAuthError::new(
            "unauthorized_client",
            format!("This client may not use the {grant_type} grant."),
        ));
    }
    match grant_type {
        "authorization_code" => {
            let code = field("code").ok_or_else(|| OAuthError::invalid_request("code is required."))?;
            let code_hash = token_hash(code);
            let grant = match state
                .store
                .system_redeem_code(&code_hash, &client, &from)
                .await
                .map_err(store_failed)?
            {
                Redeemed::Fresh(g) => g,
                Redeemed::Unknown => {
                    return Err(OAuthError::invalid_grant(
                        "The authorization code is invalid or was issued to another client.",
                    ))
                }
                Redeemed::Replayed => {
                    return Err(OAuthError::invalid_grant(
                        "The authorization code was already used: the tokens it issued are revoked.",
                    ))
                }
            };
            if grant.expired {
                return Err(OAuthError::invalid_grant("The authorization code has expired."));
            }
            if field("redirect_uri") != Some(grant.request.redirect_uri.as_str()) {
                return Err(OAuthError::invalid_grant(
                    "redirect_uri does not match the authorization request.",
                ));
            }
            match (&grant.request.code_challenge, field("code_verifier")) {
                (Some(challenge), Some(verifier)) if oidc::pkce_matches(verifier, challenge) => {}
                (Some(_), _) => {
                    return Err(OAuthError::invalid_grant(
                        "The PKCE code_verifier does not match the code_challenge.",
                    ))
                }
                (None, Some(_)) => {
                    return Err(OAuthError::invalid_grant(
                        "A code_verifier was sent but the authorization request had no code_challenge.",
                    ))
                }
                (None, None) => {}
            }
            let user = active_assigned_user(state, &client, &grant.user_id).await?;
            issue(
                state,
                &client,
                &user,
                &grant.request.scopes,
                grant.request.auth_time,
                grant.request.nonce.as_deref(),
                None,
                Some(&code_hash),
                &from,
            )
            .await
        }
        "refresh_token" => {
            let presented = field("refresh_token")
                .ok_or_else(|| OAuthError::invalid_request("refresh_token is required."))?;
            let grant = match state
                .store
                .system_take_refresh(&token_hash(presented), &client, &from)
                .await
                .map_err(store_failed)?
            {
                Redeemed::Fresh(g) => g,
                Redeemed::Unknown => {
                    return Err(OAuthError::invalid_grant(
                        "The refresh token is invalid, expired or revoked.",
                    ))
                }
                Redeemed::Replayed => {
                    return Err(OAuthError::invalid_grant(
                        "The refresh token was already used: every token of its family is revoked.",
                    ))
                }
            };
            let user = match active_assigned_user(state, &client, &grant.user_id).await {
                Ok(u) => u,
                Err(e) => {
                    let _ = state
                        .store
                        .system_revoke(&client, Some(&token_hash(presented)), None, &from)
                        .await;
                    return Err(e);
                }
            };
            // A narrower scope may be asked for, never a wider one.
            let scopes = match field("scope") {
                Some(asked) => {
                    let asked: Vec<String> = asked.split_whitespace().map(str::to_string).collect();
                    if asked.iter().any(|s| !grant.scopes.contains(s)) {
                        return Err(OAuthError::new(
                            "invalid_scope",
                            "The requested scope exceeds the one originally granted.",
                        ));
                    }
                    asked
                }
                None => grant.scopes.clone(),
            };
            issue(
                state,
                &client,
                &user,
                &scopes,
                grant.auth_time,
                None,
                Some(&grant.family_id),
                None,
                &from,
            )
            .await
        }
        _ => client_credentials(state, &client, field("scope"), &from).await,
    }
}

/// The user of a grant, if still active and still assigned the app.
async fn active_assigned_user(
    state: &AppState,
    client: &Client,
    user_id: &UserId,
) -> Result<User, OAuthError> {
    let user = state
        .store
        .system_user_by_id(user_id)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| OAuthError::invalid_grant("The user no longer exists."))?;
    if user.status != UserStatus::Active {
        return Err(OAuthError::invalid_grant("The user is not active."));
    }
    let assigned = client.app_active
        && state
            .store
            .system_app_access(&user.id, &client.app_id)
            .await
            .map_err(store_failed)?;
    if !assigned {
        return Err(OAuthError::invalid_grant(
            "The user no longer has access to this app.",
        ));
    }
    Ok(user)
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Signs and records the tokens of an exchange: an access token, an ID
/// token, and — with `offline_access` — a refresh token (of `family`, or a
/// new family).
#[allow(clippy::too_many_arguments)]
async fn issue(
    state: &AppState,
    client: &Client,
    user: &User,
    scopes: &[String],
    auth_time: i64,
    nonce: Option<&str>,
    family: Option<&str>,
    code_hash: Option<&str>,
    from: &EventClient,
) -> Result<Value, OAuthError> {
    let signer = state.keyring.signer(state).await?;
    let iss = issuer(state);
    let now = unix_now();
    let s = &client.settings;
    let access_exp = now + 60 * i64::from(s.access_token_minutes);
    let jti = format!("AT.{}", oidc::random_token());
    let access_claims = json!({
        "ver": 1,
        "jti": jti,
        "iss": iss,
        "aud": iss,
        "iat": now,
        "exp": access_exp,
        "cid": client.client_id,
        "uid": user.id.as_str(),
        "scp": scopes,
        "auth_time": auth_time,
        "sub": user.profile.login,
    });
    let access_token = signer
        .sign("application/okta-internal-at+jwt", &access_claims)
        .map_err(|e| internal("signing an access token", &e))?;
    let (realm, groups) = state
        .store
        .system_claim_facts(user)
        .await
        .map_err(store_failed)?;
    let facts = UserClaims {
        user,
        realm_name: &realm,
        groups: &groups,
    };
    let mut id_claims: Map<String, Value> = tokens::user_claims(&facts, scopes, s);
    id_claims.insert("ver".into(), json!(1));
    id_claims.insert("jti".into(), json!(format!("ID.{}", oidc::random_token())));
    id_claims.insert("iss".into(), json!(iss));
    id_claims.insert("aud".into(), json!(client.client_id));
    id_claims.insert("iat".into(), json!(now));
    id_claims.insert(
        "exp".into(),
        json!(now + 60 * i64::from(s.id_token_minutes)),
    );
    id_claims.insert("auth_time".into(), json!(auth_time));
    id_claims.insert("at_hash".into(), json!(tokens::at_hash(&access_token)));
    if let Some(nonce) = nonce {
        id_claims.insert("nonce".into(), json!(nonce));
    }
    let id_token = signer
        .sign("JWT", &Value::Object(id_claims))
        .map_err(|e| internal("signing an ID token", &e))?;
    let offline = scopes.iter().any(|x| x == "offline_access") && s.allows("refresh_token");
    let refresh = offline.then(|| {
        let token = oidc::random_token();
        let expires = oidc::stored_time(
            time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(s.refresh_token_days)),
        );
        let family = family
            .map(str::to_string)
            .unwrap_or_else(|| format!("RF.{}", oidc::random_token()));
        (token, family, expires)
    });
    let issued = Issued {
        access_jti: jti,
        access_expires: oidc::stored_time(
            time::OffsetDateTime::from_unix_timestamp(access_exp)
                .unwrap_or_else(|_| time::OffsetDateTime::now_utc()),
        ),
        id_token: true,
        refresh: refresh
            .as_ref()
            .map(|(t, f, e)| (token_hash(t), f.clone(), e.clone())),
        scopes: scopes.to_vec(),
        auth_time,
    };
    state
        .store
        .system_record_issue(client, Some(user), code_hash, &issued, from)
        .await
        .map_err(store_failed)?;
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": access_exp - now,
        "access_token": access_token,
        "scope": scopes.join(" "),
        "id_token": id_token,
    });
    if let Some((token, _, _)) = refresh {
        body["refresh_token"] = json!(token);
    }
    Ok(body)
}

/// Client credentials: an access token for the client itself (no user, no
/// ID token), with the non-OpenID scopes it asked for.
async fn client_credentials(
    state: &AppState,
    client: &Client,
    scope: Option<&str>,
    from: &EventClient,
) -> Result<Value, OAuthError> {
    if client.app_type.is_public() {
        return Err(OAuthError::new(
            "unauthorized_client",
            "A public client cannot use client credentials.",
        ));
    }
    if !client.app_active {
        return Err(OAuthError::invalid_client("The app is inactive."));
    }
    let scopes: Vec<String> = scope
        .unwrap_or_default()
        .split_whitespace()
        .filter(|s| !oidc::SCOPES.contains(s))
        .map(str::to_string)
        .collect();
    let signer = state.keyring.signer(state).await?;
    let iss = issuer(state);
    let now = unix_now();
    let exp = now + 60 * i64::from(client.settings.access_token_minutes);
    let jti = format!("AT.{}", oidc::random_token());
    let claims = json!({
        "ver": 1, "jti": jti, "iss": iss, "aud": iss, "iat": now, "exp": exp,
        "cid": client.client_id, "scp": scopes, "sub": client.client_id,
    });
    let access_token = signer
        .sign("application/okta-internal-at+jwt", &claims)
        .map_err(|e| internal("signing an access token", &e))?;
    let issued = Issued {
        access_jti: jti,
        access_expires: String::new(),
        id_token: false,
        refresh: None,
        scopes: scopes.clone(),
        auth_time: now,
    };
    state
        .store
        .system_record_issue(client, None, None, &issued, from)
        .await
        .map_err(store_failed)?;
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": exp - now,
        "access_token": access_token,
        "scope": scopes.join(" "),
    }))
}

// ---------------------------------------------------------------- userinfo, revoke, introspect

/// A live access token's claims: signed by a published key, unexpired, not
/// revoked, its client still registered and — for a user's token — the user
/// active and still assigned the app.
async fn live_access_token(
    state: &AppState,
    token: &str,
) -> Result<(Map<String, Value>, Client, Option<User>), OAuthError> {
    let published = state
        .store
        .system_published_keys()
        .await
        .map_err(store_failed)?;
    let iss = issuer(state);
    let claims = tokens::verify_own(token, &published, &iss, Some(&iss), true)?;
    let jti = claims.get("jti").and_then(Value::as_str).unwrap_or_default();
    if !jti.starts_with("AT.") {
        return Err(OAuthError::invalid_token("This is not an access token."));
    }
    if state
        .store
        .system_jti_revoked(jti)
        .await
        .map_err(store_failed)?
    {
        return Err(OAuthError::invalid_token("The access token was revoked."));
    }
    let cid = claims.get("cid").and_then(Value::as_str).unwrap_or_default();
    let client = state
        .store
        .system_oauth_client(cid)
        .await
        .map_err(store_failed)?
        .ok_or_else(|| OAuthError::invalid_token("The token's app is gone."))?;
    let user = match claims.get("uid").and_then(Value::as_str) {
        None => None,
        Some(uid) => {
            let id = UserId::parse(uid).map_err(|_| OAuthError::invalid_token("Bad token."))?;
            let user = active_assigned_user(state, &client, &id)
                .await
                .map_err(|e| OAuthError::invalid_token(e.description))?;
            Some(user)
        }
    };
    Ok((claims, client, user))
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let unauthorized = |e: OAuthError| {
        let value = format!(
            "Bearer error=\"{}\", error_description=\"{}\"",
            e.code,
            e.description.replace('"', "'")
        );
        let mut response = (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": e.code, "error_description": e.description })),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        response
    };
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return unauthorized(OAuthError::invalid_token("No bearer token."));
    };
    let (claims, client, user) = match live_access_token(&state, token.trim()).await {
        Ok(x) => x,
        Err(e) => return unauthorized(e),
    };
    let Some(user) = user else {
        return unauthorized(OAuthError::invalid_token("This token has no user."));
    };
    let scopes: Vec<String> = claims
        .get("scp")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    if !scopes.iter().any(|s| s == "openid") {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "error": "insufficient_scope", "error_description": "The token lacks the openid scope." })),
        )
            .into_response();
    }
    let (realm, groups) = match state.store.system_claim_facts(&user).await {
        Ok(x) => x,
        Err(e) => return token_error(store_failed(e)),
    };
    let facts = UserClaims {
        user: &user,
        realm_name: &realm,
        groups: &groups,
    };
    let mut response = Json(Value::Object(tokens::user_claims(
        &facts,
        &scopes,
        &client.settings,
    )))
    .into_response();
    no_store(&mut response);
    response
}

async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let client = match authenticate(&state, &headers, &form).await {
        Ok(c) => c,
        Err(e) => return token_error(e),
    };
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return token_error(OAuthError::invalid_request("token is required."));
    };
    let from = app::ctx::client_of(&headers);
    // An access token (a JWT of this client) or a refresh token; anything
    // else is already as good as revoked (RFC 7009: 200 all the same).
    let access = match state.store.system_published_keys().await {
        Ok(published) => {
            let iss = issuer(&state);
            tokens::verify_own(token, &published, &iss, Some(&iss), false)
                .ok()
                .filter(|c| c.get("cid").and_then(Value::as_str) == Some(client.client_id.as_str()))
                .and_then(|c| {
                    Some((
                        c.get("jti")?.as_str()?.to_string(),
                        c.get("exp")?.as_i64()?,
                    ))
                })
        }
        Err(e) => return token_error(store_failed(e)),
    };
    let result = match &access {
        Some((jti, exp)) => {
            state
                .store
                .system_revoke(&client, None, Some((jti, *exp)), &from)
                .await
        }
        None => {
            state
                .store
                .system_revoke(&client, Some(&token_hash(token)), None, &from)
                .await
        }
    };
    match result {
        Ok(_) => {
            let mut response = StatusCode::OK.into_response();
            no_store(&mut response);
            response
        }
        Err(e) => token_error(store_failed(e)),
    }
}

async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let client = match authenticate(&state, &headers, &form).await {
        Ok(c) => c,
        Err(e) => return token_error(e),
    };
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return token_error(OAuthError::invalid_request("token is required."));
    };
    let inactive = || {
        let mut r = Json(json!({ "active": false })).into_response();
        no_store(&mut r);
        r
    };
    if token.contains('.') {
        return match live_access_token(&state, token).await {
            Ok((claims, owner, user)) if owner.client_id == client.client_id => {
                let mut body = json!({
                    "active": true,
                    "token_type": "Bearer",
                    "scope": claims.get("scp").and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ")),
                    "client_id": owner.client_id,
                    "exp": claims.get("exp"),
                    "iat": claims.get("iat"),
                    "sub": claims.get("sub"),
                    "aud": claims.get("aud"),
                    "iss": claims.get("iss"),
                    "jti": claims.get("jti"),
                });
                if let Some(u) = user {
                    body["uid"] = json!(u.id.as_str());
                    body["username"] = json!(u.profile.login);
                }
                let mut r = Json(body).into_response();
                no_store(&mut r);
                r
            }
            _ => inactive(),
        };
    }
    match state
        .store
        .system_refresh_token_info(&token_hash(token), &client.app_id)
        .await
    {
        Ok(Some((user_id, scope, expires))) => {
            match active_assigned_user(&state, &client, &user_id).await {
                Ok(user) => {
                    let mut r = Json(json!({
                        "active": true,
                        "token_type": "refresh_token",
                        "scope": scope,
                        "client_id": client.client_id,
                        "exp": tokens::parse_time(&expires),
                        "sub": user.profile.login,
                        "uid": user.id.as_str(),
                        "username": user.profile.login,
                    }))
                    .into_response();
                    no_store(&mut r);
                    r
                }
                Err(_) => inactive(),
            }
        }
        Ok(None) => inactive(),
        Err(e) => token_error(store_failed(e)),
    }
}

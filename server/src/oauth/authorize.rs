//! The browser's side: `/oauth2/v1/authorize` (a code for a signed-in,
//! assigned user; sign-in first otherwise; the no-access page), the dashboard
//! tiles' launcher `/home/apps/{id}`, and RP-initiated `/oauth2/v1/logout`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;
use tower_sessions::Session;

use app::credentials::token_hash;
use app::ids::AppId;
use app::model::User;
use app::oidc::{self, tokens, Client};
use app::store::audit::Client as EventClient;
use app::store::oauth::CodeRequest;

use super::{internal, issuer, store_failed, token_error};
use crate::auth::plain_page;
use crate::gate::sign_in_first;
use crate::state::AppState;

// ---------------------------------------------------------------- authorize

/// A page for a request that cannot go back to the app: the client or the
/// redirect URI is not one the provider knows.
pub(super) fn bad_request_page(message: &str) -> Response {
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

pub(super) async fn authorize(
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
        _ => {
            // Sign in (again, for prompt=login or max_age), then come back
            // here without the prompt that sent us.
            return sign_in_first(&without_params(&uri, &["prompt", "max_age"]));
        }
    };
    let from = app::ctx::client_of(&headers);
    if let Some(refused) = refuse_unless_assigned(&state, &user, &client, &from).await {
        // prompt=none shows nothing: the app hears it instead.
        if prompt.split(' ').any(|p| p == "none") {
            return back("access_denied", "The app is not assigned to the user.");
        }
        return refused;
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
    let kept: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .filter(|(k, _)| !drop.contains(&k.as_ref()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    format!("{}?{query}", uri.path())
}

/// `None` when `user` may sign in to `client`'s app (`system_app_access`);
/// else the answer refusing it.
async fn refuse_unless_assigned(
    state: &AppState,
    user: &User,
    client: &Client,
    from: &EventClient,
) -> Option<Response> {
    let assigned = match state
        .store
        .system_app_access(&user.id, &client.app_id)
        .await
    {
        Ok(assigned) => assigned,
        Err(e) => return Some(token_error(store_failed(e))),
    };
    if assigned {
        None
    } else {
        Some(no_access(state, user, client, from).await)
    }
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
pub(super) async fn launch(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let user = match app::ctx::session_user(&state.store, &session).await {
        Ok(Some(u)) => u,
        Ok(None) => return sign_in_first(&format!("/home/apps/{id}")),
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
    if let Some(refused) = refuse_unless_assigned(&state, &user, &client, &from).await {
        return refused;
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

pub(super) async fn logout(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(hint) = get("id_token_hint") else {
        return bad_request_page(
            "The app sent no id_token_hint: sign out from the portal instead.",
        );
    };
    let published = match state.store.system_published_keys().await {
        Ok(k) => k,
        Err(e) => return token_error(store_failed(e)),
    };
    // An expired ID token still names who and which app.
    let claims = match tokens::verify_own(hint, &published, &issuer(&state), None, false) {
        Ok(c) => c,
        Err(_) => {
            return bad_request_page("The id_token_hint is not an ID token this portal issued.")
        }
    };
    let aud = claims
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let client = match state.store.system_oauth_client(aud).await {
        Ok(Some(c)) => c,
        _ => return bad_request_page("The id_token_hint names no registered app."),
    };
    let target = match get("post_logout_redirect_uri") {
        Some(uri)
            if client
                .settings
                .post_logout_redirect_uris
                .iter()
                .any(|u| u == uri) =>
        {
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
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default();
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
            &format!(
                "You are signed out of Partner Portal and {}.",
                client.app_label
            ),
            ("/login", "Sign in again"),
        ),
    }
}

//! What apps ask about tokens: `/oauth2/v1/userinfo` (for a live access
//! token), `/oauth2/v1/revoke` and `/oauth2/v1/introspect` (authenticated
//! clients, their own tokens only).

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use app::credentials::token_hash;
use app::ids::UserId;
use app::model::User;
use app::oidc::tokens::{self, UserClaims};
use app::oidc::{Client, OAuthError};

use super::token::{active_assigned_user, authenticate, form_of, OAuthForm};
use super::{issuer, no_store, store_failed, token_error};
use crate::state::AppState;

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
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .unwrap_or_default();
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
    let cid = claims
        .get("cid")
        .and_then(Value::as_str)
        .unwrap_or_default();
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

pub(super) async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
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
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
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

/// The authenticated client of a revocation or introspection request and the
/// token it names; else the OAuth error answer.
async fn client_and_token(
    state: &AppState,
    headers: &HeaderMap,
    form: OAuthForm,
) -> Result<(Client, String), OAuthError> {
    let form = form_of(form)?;
    let client = authenticate(state, headers, &form).await?;
    match form.get("token").filter(|t| !t.is_empty()) {
        Some(token) => Ok((client, token.clone())),
        None => Err(OAuthError::invalid_request("token is required.")),
    }
}

pub(super) async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: OAuthForm,
) -> Response {
    let (client, token) = match client_and_token(&state, &headers, form).await {
        Ok(x) => x,
        Err(e) => return token_error(e),
    };
    let token = token.as_str();
    let from = app::ctx::client_of(&headers);
    // An access token (a JWT of this client) or a refresh token; anything
    // else is already as good as revoked (RFC 7009: 200 all the same).
    let access = match state.store.system_published_keys().await {
        Ok(published) => {
            let iss = issuer(&state);
            tokens::verify_own(token, &published, &iss, Some(&iss), false)
                .ok()
                .filter(|c| c.get("cid").and_then(Value::as_str) == Some(client.client_id.as_str()))
                .and_then(|c| Some((c.get("jti")?.as_str()?.to_string(), c.get("exp")?.as_i64()?)))
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

pub(super) async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: OAuthForm,
) -> Response {
    let (client, token) = match client_and_token(&state, &headers, form).await {
        Ok(x) => x,
        Err(e) => return token_error(e),
    };
    let token = token.as_str();
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

//! `/oauth2/v1/token`: client authentication by the registered method, then
//! the authorization code, refresh token and client credentials grants; the
//! tokens an exchange issues are signed here and recorded with their events.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use serde_json::{json, Map, Value};

use app::credentials::token_hash;
use app::ids::UserId;
use app::model::User;
use app::oidc::tokens::{self, UserClaims};
use app::oidc::{self, AuthMethod, Client, OAuthError};
use app::store::audit::Client as EventClient;
use app::store::oauth::{Issued, Redeemed, Source};

use super::{internal, issuer, no_store, store_failed, token_error};
use crate::state::AppState;

/// The body of a token, revocation or introspection request.
pub(super) type OAuthForm = Result<Form<HashMap<String, String>>, FormRejection>;

/// The request's parameters; a body that is not a form is `invalid_request`.
pub(super) fn form_of(form: OAuthForm) -> Result<HashMap<String, String>, OAuthError> {
    form.map(|Form(f)| f).map_err(|_| {
        OAuthError::invalid_request("Send the parameters as application/x-www-form-urlencoded.")
    })
}

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Authenticates the client of a token, revocation or introspection request
/// by the one method it is registered with.
pub(super) async fn authenticate(
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
        (Some(_), _) | (None, Some(_)) => return Err(OAuthError::invalid_client(
            "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
        )),
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
    // The same answer as a wrong secret: nothing about the registration.
    if client.auth_method != method {
        return Err(bad());
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

pub(super) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: OAuthForm,
) -> Response {
    let form = match form_of(form) {
        Ok(f) => f,
        Err(e) => return token_error(e),
    };
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
            let code =
                field("code").ok_or_else(|| OAuthError::invalid_request("code is required."))?;
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
                Redeemed::Replayed => return Err(OAuthError::invalid_grant(
                    "The authorization code was already used: the tokens it issued are revoked.",
                )),
            };
            if grant.expired {
                return Err(OAuthError::invalid_grant(
                    "The authorization code has expired.",
                ));
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
                (None, Some(_)) => return Err(OAuthError::invalid_grant(
                    "A code_verifier was sent but the authorization request had no code_challenge.",
                )),
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
                Spend::Code(&code_hash),
                &from,
            )
            .await
        }
        "refresh_token" => {
            let presented = field("refresh_token")
                .ok_or_else(|| OAuthError::invalid_request("refresh_token is required."))?;
            let presented_hash = token_hash(presented);
            let grant =
                match state
                    .store
                    .system_refresh_grant(&presented_hash, &client, &from)
                    .await
                    .map_err(store_failed)?
                {
                    Redeemed::Fresh(g) => g,
                    Redeemed::Unknown => {
                        return Err(OAuthError::invalid_grant(
                            "The refresh token is invalid, expired or revoked.",
                        ))
                    }
                    Redeemed::Replayed => return Err(OAuthError::invalid_grant(
                        "The refresh token was already used: every token of its family is revoked.",
                    )),
                };
            let user = match active_assigned_user(state, &client, &grant.user_id).await {
                Ok(u) => u,
                Err(e) => {
                    if let Err(err) = state
                        .store
                        .system_revoke(&client, Some(&presented_hash), None, &from)
                        .await
                    {
                        tracing::error!(error = %err, "could not revoke a lapsed refresh token");
                    }
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
                Spend::Refresh {
                    token_hash: &presented_hash,
                    family: &grant.family_id,
                    expires_at: &grant.expires_at,
                },
                &from,
            )
            .await
        }
        _ => client_credentials(state, &client, field("scope"), &from).await,
    }
}

/// What a user's token exchange spends: a code (taken already), or a
/// refresh token rotated in the transaction that records the new ones.
#[derive(Clone, Copy)]
enum Spend<'a> {
    Code(&'a str),
    Refresh {
        token_hash: &'a str,
        family: &'a str,
        expires_at: &'a str,
    },
}

impl<'a> Spend<'a> {
    fn source(self) -> Source<'a> {
        match self {
            Spend::Code(hash) => Source::Code(hash),
            Spend::Refresh { token_hash, .. } => Source::Refresh(token_hash),
        }
    }
}

/// The user of a grant, if still active and still assigned the app.
pub(super) async fn active_assigned_user(
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
    let allowed = state
        .store
        .system_app_access(&user.id, &client.app_id)
        .await
        .map_err(store_failed)?;
    if !allowed {
        return Err(OAuthError::invalid_grant(
            "The user is not active or no longer has access to this app.",
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
    spend: Spend<'_>,
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
    // A refresh token's family keeps the end it got at its first issue.
    let refresh = offline.then(|| {
        let token = oidc::random_token();
        let (family, expires) = match spend {
            Spend::Refresh {
                family, expires_at, ..
            } => (family.to_string(), expires_at.to_string()),
            Spend::Code(_) => (
                format!("RF.{}", oidc::random_token()),
                oidc::stored_time(
                    time::OffsetDateTime::now_utc()
                        + time::Duration::days(i64::from(s.refresh_token_days)),
                ),
            ),
        };
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
        .system_record_issue(client, Some(user), spend.source(), &issued, from)
        .await
        .map_err(store_failed)?
        .then_some(())
        .ok_or_else(|| {
            OAuthError::invalid_grant(
                "The grant was used again meanwhile: every token it issued is revoked.",
            )
        })?;
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
    // Only the scopes registered for it; none asked: all of them.
    let asked: Vec<String> = scope
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if let Some(unknown) = asked.iter().find(|s| !client.settings.scopes.contains(s)) {
        return Err(OAuthError::new(
            "invalid_scope",
            format!("{unknown} is not a scope this app may ask for."),
        ));
    }
    let scopes = if asked.is_empty() {
        client.settings.scopes.clone()
    } else {
        asked
    };
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
        .system_record_issue(client, None, Source::Credentials, &issued, from)
        .await
        .map_err(store_failed)?;
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": exp - now,
        "access_token": access_token,
        "scope": scopes.join(" "),
    }))
}

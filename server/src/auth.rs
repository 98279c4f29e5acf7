//! `/auth/*`: start a sign-in at the org identity provider, finish it on the
//! callback (new session id, user id in the session), and sign out.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tower_sessions::Session;

use app::authn::{self, SignInError};
use app::ctx;
use app::store::audit::{Actor, Client, Event, Target};
// Session key: the partner IdP the user signed in with (`None`: the org IdP).
use app::store::idps::SIGNED_IN_WITH;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    login_hint: Option<String>,
    return_to: Option<String>,
}

/// Identifier-first: the typed email decides the identity provider (see
/// `Store::route_sign_in`); without one, the org IdP.
async fn login(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    let hint = q
        .login_hint
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty());
    // A user whose credentials the portal holds signs in here, whatever
    // its domain routes to.
    if let Some(email) = hint {
        if let Ok(Some(user)) = state.store.system_user_by_login(email).await {
            if matches!(
                app::authn::hosted::signs_in_here(&state.store, &user).await,
                Ok(true)
            ) {
                let mut to = format!(
                    "/signin/password?login={}",
                    url::form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>()
                );
                if let Some(r) = q.return_to.as_deref().filter(|r| !r.is_empty()) {
                    to.push_str("&return_to=");
                    to.extend(url::form_urlencoded::byte_serialize(r.as_bytes()));
                }
                return Redirect::to(&to).into_response();
            }
        }
    }
    let provider = match hint {
        Some(email) => match state.store.route_sign_in(email).await {
            Ok(Some(idp)) => match partner_provider(&state, &idp).await {
                Ok(p) => p,
                Err(e) => return refused(&e),
            },
            Ok(None) => state.org_idp.clone(),
            Err(e) => {
                return refused(&SignInError::Internal(
                    app::error::AppError::from(e).to_string(),
                ))
            }
        },
        None => state.org_idp.clone(),
    };
    match provider.start(&state.store, hint, q.return_to).await {
        Ok((url, flow_state)) => {
            let mut response = Redirect::to(&url).into_response();
            set_cookie(&mut response, &binding_cookie(&state, flow_state, false));
            response
        }
        Err(e) => refused(&e),
    }
}

/// The cookie binding a started sign-in to this browser: the callback must come
/// back with the same `state` in it, so a sign-in started elsewhere (login CSRF:
/// an attacker's code and state planted in a victim's browser) is refused.
fn binding_cookie(
    state: &AppState,
    value: String,
    clear: bool,
) -> tower_sessions::cookie::Cookie<'static> {
    let secure = state.config.secure_cookies;
    let name = if secure {
        "__Host-portal_signin"
    } else {
        "portal_signin"
    };
    let max_age = if clear {
        time::Duration::ZERO
    } else {
        authn::FLOW_TTL
    };
    tower_sessions::cookie::Cookie::build((name, value))
        .path("/")
        .secure(secure)
        .http_only(true)
        .same_site(tower_sessions::cookie::SameSite::Lax)
        .max_age(max_age)
        .build()
}

fn set_cookie(response: &mut Response, cookie: &tower_sessions::cookie::Cookie<'static>) {
    if let Ok(value) = axum::http::HeaderValue::from_str(&cookie.to_string()) {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, value);
    }
}

/// The value of the browser's sign-in binding cookie, if it sent one.
fn bound_state(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = binding_cookie(state, String::new(), true)
        .name()
        .to_string();
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The provider of a stored partner IdP, built once per version of it (its
/// secret opened then): an edit takes effect at the next sign-in.
async fn partner_provider(
    state: &AppState,
    idp: &app::store::idps::Idp,
) -> Result<app::authn::OidcProvider, SignInError> {
    if let Some((version, p)) = state.partner_idps.read().await.get(&idp.id) {
        if *version == idp.last_updated {
            return Ok(p.clone());
        }
    }
    let sealed = idp.client_secret_sealed.as_deref().unwrap_or_default();
    let secret = state.settings.secrets.open(sealed).map_err(|e| {
        tracing::error!(error = %e, idp = %idp.id, "cannot open a partner IdP's client secret");
        SignInError::ProviderUnavailable
    })?;
    let provider = app::authn::OidcProvider::for_partner(
        idp,
        &secret,
        &state.config.public_url,
        state.settings.outbound,
    )
    .map_err(|e| {
        tracing::warn!(error = %e, idp = %idp.id, "a partner IdP's issuer is refused");
        SignInError::ProviderUnavailable
    })?
    .with_max_token_age(state.max_token_age());
    state
        .partner_idps
        .write()
        .await
        .insert(idp.id.clone(), (idp.last_updated.clone(), provider.clone()));
    Ok(provider)
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// RFC 9207: the issuer of the authorization response, when it says.
    iss: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let mut response = finish_sign_in(&state, &session, &headers, q).await;
    // The binding is single-use like the flow it guards.
    set_cookie(&mut response, &binding_cookie(&state, String::new(), true));
    response
}

async fn finish_sign_in(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    q: CallbackQuery,
) -> Response {
    // Refusals before a user is known are logged here; `admit*` log their own.
    let fail = |e: SignInError| async move {
        let event = failure_event(&e, app::ctx::client_of(headers));
        if let Err(err) = state.store.append_event(&event).await {
            tracing::error!(error = %err, "could not record the sign-in failure");
        }
        refused(&e)
    };
    let bound = bound_state(state, headers);
    let flow = match &q.state {
        Some(s) => state.store.take_auth_flow(s).await,
        None => Ok(None),
    };
    if let Some(error) = q.error {
        // Anyone can call this address: the log keeps only a registered
        // OAuth error code, never the caller's text.
        return fail(SignInError::ProviderError(oauth_error_code(&error).into())).await;
    }
    let flow = match flow {
        Ok(Some(flow)) if bound.as_deref() == Some(flow.state.as_str()) => flow,
        Ok(_) => return fail(SignInError::UnknownState).await,
        Err(e) => {
            return fail(SignInError::Internal(
                app::error::AppError::from(e).to_string(),
            ))
            .await
        }
    };
    let Some(code) = q.code else {
        return fail(SignInError::UnknownState).await;
    };
    let partner = match &flow.idp_id {
        None => None,
        Some(id) => match state.store.system_idp_by_id(id).await {
            Ok(Some(idp)) if idp.status == "ACTIVE" => Some(idp),
            Ok(Some(_)) => {
                return fail(SignInError::Partner(
                    "This identity provider has been deactivated: it signs nobody in.".into(),
                ))
                .await
            }
            _ => return fail(SignInError::UnknownState).await,
        },
    };
    let provider = match &partner {
        None => state.org_idp.clone(),
        Some(idp) => match partner_provider(state, idp).await {
            Ok(p) => p,
            Err(e) => return fail(e).await,
        },
    };
    // RFC 9207: an authorization response naming its issuer must come from
    // the IdP this sign-in was sent to (IdP mix-up).
    if let Some(iss) = q.iss.as_deref() {
        // Simple string comparison (RFC 9207 §2.4).
        if iss != provider.issuer() {
            return fail(SignInError::InvalidToken(
                "the authorization response came from another issuer (iss)".into(),
            ))
            .await;
        }
    }
    let (identity, return_to) = match provider.finish(&code, flow).await {
        Ok(ok) => ok,
        Err(e) => return fail(e).await,
    };
    let admitted = match &partner {
        None => {
            authn::admit(
                &state.store,
                state.org_idp.issuer(),
                &identity,
                app::ctx::client_of(headers),
            )
            .await
        }
        Some(idp) => {
            authn::admit_partner(&state.store, idp, &identity, app::ctx::client_of(headers)).await
        }
    };
    let user = match admitted {
        Ok(user) => user,
        Err(e) => return refused(&e),
    };
    // A new session id at sign-in (no fixation), then the user in it.
    let idp = partner.as_ref().map(|p| p.id.to_string());
    if start_session(state, session, &user, SignedIn::Idp(idp))
        .await
        .is_err()
    {
        return refused(&SignInError::Internal("session".into()));
    }
    let home = if partner.is_some() { "/me" } else { "/" };
    Redirect::to(return_to.as_deref().unwrap_or(home)).into_response()
}

/// How a session was signed in: through an identity provider (the partner
/// IdP's id, `None` for the org IdP) or with the portal's own credentials.
pub(crate) enum SignedIn {
    Idp(Option<String>),
    Hosted,
}

/// A signed-in session for `user`: a new session id (no fixation), then the
/// user, the absolute end, how it signed in and when — every sign-in path
/// ends here.
pub(crate) async fn start_session(
    state: &AppState,
    session: &Session,
    user: &app::model::User,
    how: SignedIn,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(ctx::USER_ID, user.id.to_string()).await?;
    session
        .insert(
            ctx::ENDS_AT,
            time::OffsetDateTime::now_utc().unix_timestamp()
                + 3600 * state.config.session_absolute_timeout_hours as i64,
        )
        .await?;
    let (idp, hosted) = match how {
        SignedIn::Idp(idp) => (idp, false),
        SignedIn::Hosted => (None, true),
    };
    session.insert(SIGNED_IN_WITH, idp).await?;
    if hosted {
        session.insert(crate::hosted::HOSTED, true).await?;
    }
    session
        .insert(ctx::SIGNED_IN_AT, app::store::clock_now_millis())
        .await
}

/// The OAuth 2.0 / OpenID Connect error code a callback names, if it is a
/// registered one; anything else is "unknown_error".
fn oauth_error_code(error: &str) -> &'static str {
    const CODES: &[&str] = &[
        "invalid_request",
        "unauthorized_client",
        "access_denied",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "interaction_required",
        "login_required",
        "account_selection_required",
        "consent_required",
        "invalid_request_uri",
        "invalid_request_object",
        "request_not_supported",
        "request_uri_not_supported",
        "registration_not_supported",
    ];
    CODES
        .iter()
        .find(|c| **c == error)
        .copied()
        .unwrap_or("unknown_error")
}

fn failure_event(e: &SignInError, client: Client) -> Event {
    let mut event = Event::success(
        "user.session.start",
        "User login to Partner Portal",
        Actor {
            id: "unknown".into(),
            actor_type: "User".into(),
            alternate_id: "unknown".into(),
            display_name: "unknown".into(),
        },
    )
    .client(client);
    event.outcome = app::store::audit::OutcomeResult::Failure;
    event.severity = app::store::audit::Severity::Warn;
    event.reason = Some(e.reason());
    event
}

async fn logout(State(state): State<AppState>, session: Session, headers: HeaderMap) -> Response {
    if let Ok(Some(user)) = ctx::session_user(&state.store, &session).await {
        let event = Event::success(
            "user.session.end",
            "User logout from Partner Portal",
            Actor {
                id: user.id.to_string(),
                actor_type: "User".into(),
                alternate_id: user.profile.login.clone(),
                display_name: format!("{} {}", user.profile.first_name, user.profile.last_name),
            },
        )
        .client(app::ctx::client_of(&headers))
        .target(Target {
            id: user.id.to_string(),
            target_type: "User".into(),
            alternate_id: user.profile.login.clone(),
            display_name: user.profile.login.clone(),
            realm_id: Some(user.realm_id.to_string()),
        });
        let _ = state.store.append_event(&event).await;
    }
    let hosted = session
        .get::<bool>(crate::hosted::HOSTED)
        .await
        .ok()
        .flatten()
        .unwrap_or(false);
    let partner = session
        .get::<Option<String>>(SIGNED_IN_WITH)
        .await
        .ok()
        .flatten()
        .flatten()
        .and_then(|id| app::ids::IdpId::parse(&id).ok());
    let _ = session.flush().await;
    // Signed in here: no identity provider to sign out of.
    if hosted {
        return Redirect::to("/signin/password?notice=signed-out").into_response();
    }
    let provider = match partner {
        None => Some(state.org_idp.clone()),
        Some(id) => match state.store.system_idp_by_id(&id).await {
            Ok(Some(idp)) => partner_provider(&state, &idp).await.ok(),
            _ => None,
        },
    };
    let logout_url = match provider {
        Some(p) => p.logout_url().await,
        None => None,
    };
    match logout_url {
        Some(url) => Redirect::to(&url).into_response(),
        None => Redirect::to("/").into_response(),
    }
}

/// A plain page saying why the sign-in did not happen (no JavaScript needed).
fn refused(e: &SignInError) -> Response {
    let status = match e {
        SignInError::ProviderUnavailable => axum::http::StatusCode::BAD_GATEWAY,
        SignInError::Internal(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        _ => axum::http::StatusCode::FORBIDDEN,
    };
    if let SignInError::InvalidToken(detail) | SignInError::Internal(detail) = e {
        tracing::warn!(%detail, "sign-in refused");
    }
    plain_page(
        status,
        "Sign-in refused",
        &e.to_string(),
        ("/login", "Try again"),
    )
}

/// A small self-contained page (heading, message as an alert, one link) for
/// answers given outside the Leptos app: refused sign-ins, closed surfaces.
pub(crate) fn plain_page(
    status: axum::http::StatusCode,
    title: &str,
    message: &str,
    (href, link): (&str, &str),
) -> Response {
    let (title, message, href, link) = (
        html_escape(title),
        html_escape(message),
        html_escape(href),
        html_escape(link),
    );
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · Partner Portal</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"stylesheet\" href=\"/pkg/partner-portal.css\"></head>\
         <body class=\"min-h-screen bg-slate-50 text-slate-900\"><main class=\"mx-auto max-w-xl px-4 py-16 space-y-4\">\
         <h1 class=\"text-2xl font-bold\">{title}</h1><p role=\"alert\">{message}</p>\
         <p><a class=\"text-indigo-700 underline\" href=\"{href}\">{link}</a></p></main></body></html>"
    );
    (status, Html(body)).into_response()
}

fn html_escape(s: &str) -> String {
    app::credentials::mail::escape(s)
}

//! The portal's own sign-in pages, for users whose credentials it holds
//! (`app::authn::hosted` decides; this module speaks HTTP): the password
//! page identifier-first sign-in sends them to, the second factor, a new
//! password after expiry, enrolment of authenticators, activation and reset
//! links, and "forgot password". Plain HTML forms, so everything but
//! passkeys works without JavaScript; `/credentials.js` adds the passkey
//! buttons where the browser has WebAuthn.
//!
//! Between the password and a complete sign-in the session holds a
//! *pending* sign-in (the user, the step it is at, ten minutes); the user
//! id goes into the session only when every step is done, with a new
//! session id (no fixation).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use app::authn::hosted::{self, HostedError, Next};
use app::credentials::mail::escape as esc;
use app::credentials::passkeys::{
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
};
use app::credentials::LinkPurpose;
use app::ctx;
use app::model::User;
use app::store::credentials::AuthenticatorKind;

use crate::state::AppState;

/// Session key: the sign-in in progress.
const PENDING: &str = "hosted.pending";
/// Session key: the TOTP secret being enrolled.
const TOTP_SECRET: &str = "hosted.totp";
/// Session keys: WebAuthn ceremony states (single use).
const PASSKEY_REGISTRATION: &str = "hosted.passkey_registration";
const PASSKEY_AUTHENTICATION: &str = "hosted.passkey_authentication";
/// Session key: the session was signed in here (sign-out has no IdP to visit).
pub const HOSTED: &str = "hosted";
/// How long a pending sign-in lasts.
const PENDING_SECONDS: i64 = 600;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signin/password", get(password_page).post(password_submit))
        .route("/signin/verify", get(verify_page).post(verify_submit))
        .route("/signin/passkey/options", post(passkey_options))
        .route("/signin/passkey", post(passkey_finish))
        .route(
            "/signin/change-password",
            get(change_page).post(change_submit),
        )
        .route("/signin/enroll", get(enroll_page).post(enroll_totp))
        .route("/signin/enroll/continue", post(enroll_continue))
        .route("/signin/enroll/passkey/options", post(register_options))
        .route("/signin/enroll/passkey", post(register_finish))
        .route("/signin/forgot", get(forgot_page).post(forgot_submit))
        .route("/activate", get(activate_page).post(activate_submit))
        .route("/reset-password", get(reset_page).post(reset_submit))
        .route(
            "/me/authenticators",
            get(my_authenticators).post(enroll_totp),
        )
        .route("/me/authenticators/remove", post(remove_authenticator))
}

/// A sign-in between its steps.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    user_id: String,
    next: Next,
    /// The second factor used so far, if any.
    factor: Option<String>,
    return_to: Option<String>,
    started: i64,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn pending(state: &AppState, session: &Session) -> Option<(Pending, User)> {
    let p: Pending = session.get(PENDING).await.ok().flatten()?;
    if now() - p.started > PENDING_SECONDS {
        let _ = session.remove::<Pending>(PENDING).await;
        return None;
    }
    let id = app::ids::UserId::parse(&p.user_id).ok()?;
    let user = state.store.system_user_by_id(&id).await.ok().flatten()?;
    Some((p, user))
}

async fn set_pending(session: &Session, p: &Pending) -> Result<(), Response> {
    session
        .insert(PENDING, p)
        .await
        .map_err(|_| error_page(&HostedError::Internal("session".into())))
}

/// The user signed in with this session, if any (for `/me/authenticators`).
async fn signed_in_user(state: &AppState, session: &Session) -> Option<User> {
    ctx::session_user(&state.store, session)
        .await
        .ok()
        .flatten()
}

/// Where the pending sign-in goes next, as a redirect; `Done` completes it.
async fn advance(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    p: Pending,
    user: &User,
) -> Response {
    let path = match p.next {
        Next::Done => return complete(state, session, headers, user, &p).await,
        Next::Verify => "/signin/verify",
        Next::ChangePassword => "/signin/change-password",
        Next::Enroll => "/signin/enroll",
    };
    if let Err(r) = set_pending(session, &p).await {
        return r;
    }
    Redirect::to(path).into_response()
}

/// Every step done: a new session id, the user in the session, logged.
async fn complete(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    user: &User,
    p: &Pending,
) -> Response {
    let factor = match p.factor.as_deref() {
        Some("TOTP") => Some(AuthenticatorKind::Totp),
        Some("WEBAUTHN") => Some(AuthenticatorKind::WebAuthn),
        _ => None,
    };
    if let Err(e) = hosted::signed_in(&state.store, user, factor, &ctx::client_of(headers)).await {
        return error_page(&e);
    }
    let _ = session.remove::<Pending>(PENDING).await;
    let ok = crate::auth::start_session(state, session, user, crate::auth::SignedIn::Hosted)
        .await
        .is_ok();
    if !ok {
        return error_page(&HostedError::Internal("session".into()));
    }
    Redirect::to(p.return_to.as_deref().unwrap_or("/me")).into_response()
}

// ---------------------------------------------------------------- password

#[derive(Debug, Deserialize)]
struct PasswordQuery {
    login: Option<String>,
    return_to: Option<String>,
    notice: Option<String>,
}

async fn password_page(Query(q): Query<PasswordQuery>) -> Response {
    let login = q.login.unwrap_or_default();
    let notice = match q.notice.as_deref() {
        Some("changed") => Some("Your password was changed. Sign in with it."),
        Some("signed-out") => Some("You are signed out."),
        _ => None,
    };
    password_form(&login, q.return_to.as_deref(), None, notice, StatusCode::OK)
}

fn password_form(
    login: &str,
    return_to: Option<&str>,
    error: Option<&str>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let body = format!(
        "{notice}{error}<form method=\"post\" action=\"/signin/password\" class=\"space-y-4\">\
         <input type=\"hidden\" name=\"return_to\" value=\"{return_to}\">\
         <div class=\"space-y-1\"><label for=\"login\" class=\"block text-sm font-medium\">Email</label>\
         <input id=\"login\" name=\"login\" type=\"email\" autocomplete=\"username webauthn\" required value=\"{login}\" class=\"{INPUT}\"></div>\
         <div class=\"space-y-1\"><label for=\"password\" class=\"block text-sm font-medium\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required class=\"{INPUT}\" {invalid}></div>\
         <button type=\"submit\" class=\"{BUTTON}\">Sign in</button></form>\
         <div class=\"space-y-2\" data-passkey-only hidden><p>Or, without a password:</p>\
         <button type=\"button\" class=\"{SECONDARY}\" data-passkey-signin data-login-field=\"login\">Sign in with a passkey</button>\
         <p role=\"status\" data-passkey-status></p></div>\
         <p><a class=\"{LINK}\" href=\"/signin/forgot\">Forgot password?</a></p>",
        notice = notice.map(status_line).unwrap_or_default(),
        error = error.map(alert).unwrap_or_default(),
        return_to = esc(return_to.unwrap_or_default()),
        login = esc(login),
        invalid = if error.is_some() {
            "aria-invalid=\"true\" aria-describedby=\"form-error\""
        } else {
            ""
        },
    );
    page(status, "Enter your password", &body, true)
}

#[derive(Deserialize)]
struct PasswordForm {
    login: String,
    password: String,
    return_to: Option<String>,
}

async fn password_submit(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let client = ctx::client_of(&headers);
    let return_to = return_to(&state, form.return_to.as_deref());
    match hosted::check_password(
        &state.store,
        &state.settings,
        &form.login,
        &form.password,
        &client,
    )
    .await
    {
        Ok((user, next)) => {
            let p = Pending {
                user_id: user.id.to_string(),
                next,
                factor: None,
                return_to,
                started: now(),
            };
            // A new id once the password is right (the pending step is
            // worth something).
            if session.cycle_id().await.is_err() {
                return error_page(&HostedError::Internal("session".into()));
            }
            advance(&state, &session, &headers, p, &user).await
        }
        Err(e @ HostedError::Internal(_)) => error_page(&e),
        Err(e) => password_form(
            &form.login,
            return_to.as_deref(),
            Some(&e.to_string()),
            None,
            StatusCode::UNAUTHORIZED,
        ),
    }
}

fn return_to(state: &AppState, raw: Option<&str>) -> Option<String> {
    raw.filter(|r| !r.is_empty())
        .and_then(|r| app::authn::local_return_to(&state.config.public_url, r))
}

// ---------------------------------------------------------------- verify

async fn verify_page(State(state): State<AppState>, session: Session) -> Response {
    let Some((p, user)) = pending(&state, &session).await else {
        return expired();
    };
    if p.next != Next::Verify {
        return expired();
    }
    verify_form(&state, &user, None, StatusCode::OK).await
}

async fn verify_form(
    state: &AppState,
    user: &User,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let kinds: Vec<AuthenticatorKind> = state
        .store
        .system_authenticators(&user.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.kind)
        .collect();
    let mut body = error.map(alert).unwrap_or_default();
    body.push_str(&format!(
        "<p>Signing in as <strong>{}</strong>.</p>",
        esc(&user.profile.login)
    ));
    if kinds.contains(&AuthenticatorKind::Totp) {
        body.push_str(&format!(
            "<form method=\"post\" action=\"/signin/verify\" class=\"space-y-4\">\
             <div class=\"space-y-1\"><label for=\"code\" class=\"block text-sm font-medium\">Code from your authenticator app</label>\
             <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9 ]*\" required class=\"{INPUT}\"></div>\
             <button type=\"submit\" class=\"{BUTTON}\">Verify</button></form>"
        ));
    }
    if kinds.contains(&AuthenticatorKind::WebAuthn) {
        body.push_str(&format!(
            "<div class=\"space-y-2\" data-passkey-only hidden>\
             <button type=\"button\" class=\"{SECONDARY}\" data-passkey-signin>Use a passkey</button>\
             <p role=\"status\" data-passkey-status></p></div>"
        ));
        if !kinds.contains(&AuthenticatorKind::Totp) {
            body.push_str(
                "<noscript><p>Your passkey needs JavaScript in this browser.</p></noscript>",
            );
        }
    }
    page(status, "Verify it's you", &body, true)
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
}

async fn verify_submit(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some((mut p, user)) = pending(&state, &session).await else {
        return expired();
    };
    if p.next != Next::Verify {
        return expired();
    }
    match hosted::verify_totp(&state.store, &state.settings, &user, &form.code).await {
        Ok(()) => {
            p.factor = Some("TOTP".into());
            p.next = Next::Done;
            advance(&state, &session, &headers, p, &user).await
        }
        Err(e @ HostedError::Internal(_)) => error_page(&e),
        Err(e) => {
            hosted::refused(
                &state.store,
                &user,
                "INVALID_FACTOR",
                &ctx::client_of(&headers),
            )
            .await;
            verify_form(
                &state,
                &user,
                Some(&e.to_string()),
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
    }
}

// ---------------------------------------------------------------- passkey sign-in

#[derive(Deserialize, Default)]
struct PasskeyStart {
    login: Option<String>,
}

/// Options for a passkey assertion: for the pending sign-in's user (second
/// step), or for the user `login` names (passkey instead of a password).
async fn passkey_options(
    State(state): State<AppState>,
    session: Session,
    Json(start): Json<PasskeyStart>,
) -> Response {
    let user = match pending(&state, &session).await {
        Some((p, user)) if p.next == Next::Verify => Some(user),
        _ => match start
            .login
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            Some(login) => state.store.system_user_by_login(login).await.ok().flatten(),
            None => None,
        },
    };
    // A passkey signs in here only users whose credentials the portal holds.
    let user = match user {
        Some(user) if hosted_user(&state, &user).await => Some(user),
        _ => None,
    };
    let Some(user) = user else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "There is no passkey for this sign-in.",
        );
    };
    match hosted::start_passkey_authentication(&state.store, &state.settings, &user).await {
        Ok((options, ceremony)) => {
            if session
                .insert(PASSKEY_AUTHENTICATION, (user.id.to_string(), ceremony))
                .await
                .is_err()
            {
                return json_error(StatusCode::INTERNAL_SERVER_ERROR, "session");
            }
            Json(options).into_response()
        }
        Err(_) => json_error(
            StatusCode::BAD_REQUEST,
            "There is no passkey for this sign-in.",
        ),
    }
}

async fn passkey_finish(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Json(credential): Json<PublicKeyCredential>,
) -> Response {
    let taken: Option<(String, PasskeyAuthentication)> =
        session.remove(PASSKEY_AUTHENTICATION).await.ok().flatten();
    let Some((user_id, ceremony)) = taken else {
        return json_error(StatusCode::BAD_REQUEST, &HostedError::Expired.to_string());
    };
    let user = match app::ids::UserId::parse(&user_id) {
        Ok(id) => state.store.system_user_by_id(&id).await.ok().flatten(),
        Err(_) => None,
    };
    let Some(user) = user else {
        return json_error(StatusCode::BAD_REQUEST, &HostedError::Expired.to_string());
    };
    let client = ctx::client_of(&headers);
    if let Err(e) = hosted::finish_passkey_authentication(
        &state.store,
        &state.settings,
        &user,
        &credential,
        &ceremony,
    )
    .await
    {
        hosted::refused(&state.store, &user, "INVALID_FACTOR", &client).await;
        return json_error(StatusCode::UNAUTHORIZED, &e.to_string());
    }
    // A passkey with user verification is two factors in one: after a
    // password, or instead of it for an active account.
    let p = match pending(&state, &session).await {
        Some((p, pending_user)) if p.next == Next::Verify && pending_user.id == user.id => p,
        _ => {
            if user.status != app::model::UserStatus::Active {
                return json_error(
                    StatusCode::FORBIDDEN,
                    &HostedError::NotActive(user.status).to_string(),
                );
            }
            Pending {
                user_id: user.id.to_string(),
                next: Next::Done,
                factor: None,
                return_to: None,
                started: now(),
            }
        }
    };
    let p = Pending {
        next: Next::Done,
        factor: Some("WEBAUTHN".into()),
        ..p
    };
    let response = complete(&state, &session, &headers, &user, &p).await;
    redirect_as_json(response)
}

/// A redirect answer, as JSON for the script that asked.
fn redirect_as_json(response: Response) -> Response {
    match response
        .headers()
        .get(axum::http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
    {
        Some(location) => Json(serde_json::json!({ "redirect": location })).into_response(),
        None => json_error(StatusCode::INTERNAL_SERVER_ERROR, "sign-in failed"),
    }
}

// ---------------------------------------------------------------- expired password

async fn change_page(State(state): State<AppState>, session: Session) -> Response {
    match pending(&state, &session).await {
        Some((p, _)) if p.next == Next::ChangePassword => new_password_form(
            "/signin/change-password",
            "Your password has expired",
            "Choose a new password to continue.",
            None,
            None,
            StatusCode::OK,
        ),
        _ => expired(),
    }
}

#[derive(Deserialize)]
struct NewPasswordForm {
    #[serde(default)]
    token: String,
    password: String,
    repeat: String,
}

async fn change_submit(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<NewPasswordForm>,
) -> Response {
    let Some((mut p, user)) = pending(&state, &session).await else {
        return expired();
    };
    if p.next != Next::ChangePassword {
        return expired();
    }
    let client = ctx::client_of(&headers);
    match hosted::change_expired_password(
        &state.store,
        &state.settings,
        &user,
        &form.password,
        &form.repeat,
        &client,
    )
    .await
    {
        Ok(user) => {
            let policy = match state.store.realm_policy(&user.realm_id).await {
                Ok(policy) => policy,
                Err(e) => return error_page(&e.into()),
            };
            p.next = match hosted::after_password(&state.store, &user, &policy).await {
                Ok(next) => next,
                Err(e) => return error_page(&e),
            };
            advance(&state, &session, &headers, p, &user).await
        }
        Err(e) => new_password_error(
            "/signin/change-password",
            "Your password has expired",
            "Choose a new password to continue.",
            None,
            e,
        ),
    }
}

fn new_password_form(
    action: &str,
    title: &str,
    intro: &str,
    token: Option<&str>,
    error: Option<(&str, &str)>,
    status: StatusCode,
) -> Response {
    let field_error = |field: &str| match error {
        Some((f, message)) if f == field => format!(
            "<p id=\"{field}-error\" class=\"text-sm text-red-700 dark:text-red-300\">{}</p>",
            esc(message)
        ),
        _ => String::new(),
    };
    let invalid = |field: &str| match error {
        Some((f, _)) if f == field => {
            format!("aria-invalid=\"true\" aria-describedby=\"{field}-error\"")
        }
        _ => String::new(),
    };
    let body = format!(
        "{alert}<p>{intro}</p><form method=\"post\" action=\"{action}\" class=\"space-y-4\">{token}\
         <div class=\"space-y-1\"><label for=\"password\" class=\"block text-sm font-medium\">New password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required class=\"{INPUT}\" {inv_password}>{err_password}</div>\
         <div class=\"space-y-1\"><label for=\"repeat\" class=\"block text-sm font-medium\">Repeat the new password</label>\
         <input id=\"repeat\" name=\"repeat\" type=\"password\" autocomplete=\"new-password\" required class=\"{INPUT}\" {inv_repeat}>{err_repeat}</div>\
         <button type=\"submit\" class=\"{BUTTON}\">{button}</button></form>",
        alert = error
            .map(|(_, m)| alert(&format!("The password was not changed: {m}")))
            .unwrap_or_default(),
        intro = esc(intro),
        token = token
            .map(|t| format!("<input type=\"hidden\" name=\"token\" value=\"{}\">", esc(t)))
            .unwrap_or_default(),
        inv_password = invalid("password"),
        err_password = field_error("password"),
        inv_repeat = invalid("repeat"),
        err_repeat = field_error("repeat"),
        button = if action == "/signin/change-password" {
            "Change password"
        } else {
            "Set password"
        },
    );
    page(status, title, &body, false)
}

fn new_password_error(
    action: &str,
    title: &str,
    intro: &str,
    token: Option<&str>,
    e: HostedError,
) -> Response {
    match e {
        HostedError::Field(field, message) => new_password_form(
            action,
            title,
            intro,
            token,
            Some((field, &message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        HostedError::Link(_) => link_gone(),
        other => error_page(&other),
    }
}

// ---------------------------------------------------------------- links

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn activate_page(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    link_page(&state, q.token, LinkPurpose::Activation).await
}

async fn reset_page(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    link_page(&state, q.token, LinkPurpose::Recovery).await
}

fn link_texts(purpose: LinkPurpose) -> (&'static str, &'static str, &'static str) {
    match purpose {
        LinkPurpose::Activation => (
            "/activate",
            "Activate your account",
            "Choose the password you will sign in with.",
        ),
        LinkPurpose::Recovery => (
            "/reset-password",
            "Choose a new password",
            "Choose a new password for your account.",
        ),
    }
}

async fn link_page(state: &AppState, token: Option<String>, purpose: LinkPurpose) -> Response {
    let token = token.unwrap_or_default();
    match hosted::link_user(&state.store, &token, purpose).await {
        Ok(user) => {
            let (action, title, intro) = link_texts(purpose);
            let intro = format!("{intro} Account: {}.", user.profile.login);
            new_password_form(action, title, &intro, Some(&token), None, StatusCode::OK)
        }
        Err(HostedError::Link(_)) => link_gone(),
        Err(e) => error_page(&e),
    }
}

async fn activate_submit(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<NewPasswordForm>,
) -> Response {
    link_submit(&state, &session, &headers, form, LinkPurpose::Activation).await
}

async fn reset_submit(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<NewPasswordForm>,
) -> Response {
    link_submit(&state, &session, &headers, form, LinkPurpose::Recovery).await
}

async fn link_submit(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    form: NewPasswordForm,
    purpose: LinkPurpose,
) -> Response {
    let client = ctx::client_of(headers);
    let set = hosted::set_password_by_link(
        &state.store,
        &state.settings,
        &form.token,
        purpose,
        &form.password,
        &form.repeat,
        &client,
    )
    .await;
    match set {
        // Activation goes on to the authenticators (required or offered),
        // then signs the new user in.
        Ok(user) if purpose == LinkPurpose::Activation => {
            let p = Pending {
                user_id: user.id.to_string(),
                next: Next::Enroll,
                factor: None,
                return_to: None,
                started: now(),
            };
            if session.cycle_id().await.is_err() {
                return error_page(&HostedError::Internal("session".into()));
            }
            advance(state, session, headers, p, &user).await
        }
        // A reset ends there: the user signs in with the new password.
        Ok(user) => Redirect::to(&format!(
            "/signin/password?notice=changed&login={}",
            urlencode(&user.profile.login)
        ))
        .into_response(),
        Err(e) => {
            let (action, title, intro) = link_texts(purpose);
            new_password_error(action, title, intro, Some(&form.token), e)
        }
    }
}

fn link_gone() -> Response {
    page(
        StatusCode::GONE,
        "This link no longer works",
        &format!(
            "<p>It was used already, it expired, or a newer one was sent. \
             <a class=\"{LINK}\" href=\"/signin/forgot\">Ask for a new password-reset link</a>, \
             or ask your administrator to send a new activation email.</p>"
        ),
        false,
    )
}

// ---------------------------------------------------------------- forgot

async fn forgot_page() -> Response {
    page(
        StatusCode::OK,
        "Reset your password",
        &format!(
            "<p>Enter the email you sign in with. If the portal holds your password, we send you a link to choose a new one.</p>\
             <form method=\"post\" action=\"/signin/forgot\" class=\"space-y-4\">\
             <div class=\"space-y-1\"><label for=\"email\" class=\"block text-sm font-medium\">Email</label>\
             <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required class=\"{INPUT}\"></div>\
             <button type=\"submit\" class=\"{BUTTON}\">Send reset link</button></form>"
        ),
        false,
    )
}

#[derive(Deserialize)]
struct ForgotForm {
    email: String,
}

async fn forgot_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> Response {
    if let Err(e) = hosted::request_recovery(
        &state.store,
        &state.settings,
        &form.email,
        &ctx::client_of(&headers),
    )
    .await
    {
        // The answer stays the same; the failure is for the operators.
        tracing::error!(error = %e, "a password-reset request failed");
    }
    page(
        StatusCode::OK,
        "Check your email",
        &format!(
            "<p>If an account with this email signs in with a password held here, a link to choose a new password is on its way. \
             It works once, for a limited time.</p><p><a class=\"{LINK}\" href=\"/login\">Back to sign-in</a></p>"
        ),
        false,
    )
}

// ---------------------------------------------------------------- enrolment

/// Who is enrolling: the pending sign-in's user at its enrol step, or the
/// signed-in user (`/me/authenticators`).
async fn enrolling(state: &AppState, session: &Session) -> Option<(User, Option<Pending>)> {
    if let Some((p, user)) = pending(state, session).await {
        if p.next == Next::Enroll {
            return Some((user, Some(p)));
        }
    }
    // Only users whose credentials the portal holds enrol authenticators
    // here: a federated user's sign-in (and its factors) is its IdP's.
    let user = signed_in_user(state, session).await?;
    hosted_user(state, &user).await.then_some((user, None))
}

/// Whether `user`'s credentials are the portal's (false on any doubt).
async fn hosted_user(state: &AppState, user: &User) -> bool {
    matches!(hosted::signs_in_here(&state.store, user).await, Ok(true))
}

#[derive(Deserialize)]
struct AddedQuery {
    added: Option<String>,
}

fn added_notice(q: &AddedQuery) -> Option<&'static str> {
    (q.added.as_deref() == Some("passkey")).then_some("Passkey added.")
}

async fn enroll_page(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<AddedQuery>,
) -> Response {
    match enrolling(&state, &session).await {
        Some((user, Some(_))) => {
            enroll_view(&state, &session, &user, true, None, added_notice(&q)).await
        }
        Some((_, None)) => Redirect::to("/me/authenticators").into_response(),
        None => expired(),
    }
}

async fn my_authenticators(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<AddedQuery>,
) -> Response {
    match signed_in_user(&state, &session).await {
        Some(user) if hosted_user(&state, &user).await => {
            enroll_view(&state, &session, &user, false, None, added_notice(&q)).await
        }
        Some(_) => page(
            StatusCode::OK,
            "Your authenticators",
            &format!(
                "<p>You sign in through your organization's identity provider: your password and \
                 authenticators are managed there, not here.</p>\
                 <p><a class=\"{LINK}\" href=\"/me\">Back to your account</a></p>"
            ),
            false,
        ),
        None => Redirect::to("/login?return_to=/me/authenticators").into_response(),
    }
}

async fn enroll_view(
    state: &AppState,
    session: &Session,
    user: &User,
    signing_in: bool,
    error: Option<&str>,
    notice: Option<&str>,
) -> Response {
    let enrolled = match state.store.system_authenticators(&user.id).await {
        Ok(list) => list,
        Err(e) => return error_page(&e.into()),
    };
    let required = match state.store.realm_policy(&user.realm_id).await {
        Ok(p) => p.require_mfa,
        Err(e) => return error_page(&e.into()),
    };
    let action = if signing_in {
        "/signin/enroll"
    } else {
        "/me/authenticators"
    };
    let mut body = String::new();
    body.push_str(&notice.map(status_line).unwrap_or_default());
    body.push_str(&error.map(alert).unwrap_or_default());
    if required {
        body.push_str("<p>Your organization requires a second factor: set up at least one.</p>");
    }
    if enrolled.is_empty() {
        body.push_str("<p>No authenticators yet.</p>");
    } else {
        body.push_str("<table class=\"w-full text-left text-sm\"><caption class=\"sr-only\">Enrolled authenticators</caption><thead><tr><th scope=\"col\" class=\"py-1\">Name</th><th scope=\"col\">Kind</th><th scope=\"col\">Added</th>");
        if !signing_in {
            body.push_str("<th scope=\"col\"><span class=\"sr-only\">Actions</span></th>");
        }
        body.push_str("</tr></thead><tbody>");
        for a in &enrolled {
            body.push_str(&format!(
                "<tr class=\"border-t border-slate-200 dark:border-slate-800\"><td class=\"py-1\">{}</td><td>{}</td><td>{}</td>",
                esc(&a.name),
                a.kind.label(),
                esc(a.created.get(..10).unwrap_or(a.created.as_str()))
            ));
            if !signing_in {
                body.push_str(&format!(
                    "<td><form method=\"post\" action=\"/me/authenticators/remove\">\
                     <input type=\"hidden\" name=\"id\" value=\"{}\">\
                     <button type=\"submit\" class=\"{SECONDARY}\" aria-label=\"Remove {}\">Remove</button></form></td>",
                    esc(&a.id),
                    esc(&a.name)
                ));
            }
            body.push_str("</tr>");
        }
        body.push_str("</tbody></table>");
    }
    // The TOTP secret on offer stays the same until it is enrolled (sealed
    // in the session record, like every secret at rest).
    let secret = totp_secret(state, session).await;
    let enrollment = match secret {
        Some(secret) => app::credentials::totp::TotpSecret::from_base32(&secret)
            .qr_svg(state.settings.credentials.org_name(), &user.profile.login)
            .map(|svg| (secret, svg))
            .map_err(|e| HostedError::Internal(e.to_string())),
        None => hosted::start_totp(&state.settings, user)
            .map(|e| (e.secret.base32().to_string(), e.qr_svg)),
    };
    let (secret, svg) = match enrollment {
        Ok(pair) => pair,
        Err(e) => return error_page(&e),
    };
    let sealed = match state.settings.secrets.seal(&secret) {
        Ok(sealed) => sealed,
        Err(e) => return error_page(&e.into()),
    };
    if session.insert(TOTP_SECRET, &sealed).await.is_err() {
        return error_page(&HostedError::Internal("session".into()));
    }
    body.push_str(&format!(
        "<section aria-labelledby=\"totp\" class=\"space-y-3\"><h2 id=\"totp\" class=\"text-lg font-semibold\">Authenticator app</h2>\
         <p>Scan this code with an authenticator app (or type the key), then enter the code it shows.</p>\
         <div role=\"img\" aria-label=\"QR code for your authenticator app\" class=\"w-52 bg-white p-2\">{svg}</div>\
         <p>Key: <code aria-label=\"Secret key\" data-secret=\"{secret}\" class=\"font-mono\">{secret}</code></p>\
         <form method=\"post\" action=\"{action}\" class=\"space-y-3\">\
         <div class=\"space-y-1\"><label for=\"code\" class=\"block text-sm font-medium\">Code from your authenticator app</label>\
         <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required class=\"{INPUT}\"></div>\
         <button type=\"submit\" class=\"{BUTTON}\">Add authenticator app</button></form></section>\
         <section aria-labelledby=\"passkey\" class=\"space-y-3\"><h2 id=\"passkey\" class=\"text-lg font-semibold\">Passkey or security key</h2>\
         <noscript><p>Adding a passkey needs JavaScript.</p></noscript>\
         <div class=\"space-y-3\" data-passkey-only hidden>\
         <div class=\"space-y-1\"><label for=\"passkey-name\" class=\"block text-sm font-medium\">Passkey name</label>\
         <input id=\"passkey-name\" type=\"text\" maxlength=\"60\" value=\"Passkey\" class=\"{INPUT}\"></div>\
         <button type=\"button\" class=\"{SECONDARY}\" data-passkey-register data-name-field=\"passkey-name\">Add a passkey</button>\
         <p role=\"status\" data-passkey-status></p></div></section>",
        secret = esc(&secret),
        svg = svg,
    ));
    if signing_in {
        if !required || !enrolled.is_empty() {
            body.push_str(&format!(
                "<form method=\"post\" action=\"/signin/enroll/continue\"><button type=\"submit\" class=\"{BUTTON}\">Continue</button></form>"
            ));
        }
    } else {
        body.push_str(&format!(
            "<div class=\"flex flex-wrap items-center gap-4\"><a class=\"{LINK}\" href=\"/me\">Back to your account</a>\
             <form method=\"post\" action=\"/auth/logout\"><button type=\"submit\" class=\"{SECONDARY}\">Sign out</button></form></div>"
        ));
    }
    let title = if signing_in {
        "Set up your authenticators"
    } else {
        "Your authenticators"
    };
    page(StatusCode::OK, title, &body, true)
}

async fn enroll_totp(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some((user, p)) = enrolling(&state, &session).await else {
        return expired();
    };
    let Some(secret) = totp_secret(&state, &session).await else {
        return expired();
    };
    let client = ctx::client_of(&headers);
    match hosted::finish_totp(
        &state.store,
        &state.settings,
        &user,
        &secret,
        &form.code,
        &client,
    )
    .await
    {
        Ok(()) => {
            let _ = session.remove::<String>(TOTP_SECRET).await;
            enroll_view(
                &state,
                &session,
                &user,
                p.is_some(),
                None,
                Some("Authenticator app added."),
            )
            .await
        }
        Err(HostedError::Field(_, message)) => {
            enroll_view(&state, &session, &user, p.is_some(), Some(&message), None).await
        }
        Err(e) => error_page(&e),
    }
}

/// The TOTP secret on offer in this session, unsealed.
async fn totp_secret(state: &AppState, session: &Session) -> Option<String> {
    let sealed: String = session.get(TOTP_SECRET).await.ok().flatten()?;
    state.settings.secrets.open(&sealed).ok()
}

async fn enroll_continue(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Response {
    let Some((user, Some(mut p))) = enrolling(&state, &session).await else {
        return expired();
    };
    let required = match state.store.realm_policy(&user.realm_id).await {
        Ok(policy) => policy.require_mfa,
        Err(e) => return error_page(&e.into()),
    };
    let enrolled = state
        .store
        .system_authenticators(&user.id)
        .await
        .unwrap_or_default();
    if required && enrolled.is_empty() {
        return enroll_view(
            &state,
            &session,
            &user,
            true,
            Some("Set up an authenticator first: your organization requires one."),
            None,
        )
        .await;
    }
    p.next = Next::Done;
    advance(&state, &session, &headers, p, &user).await
}

#[derive(Deserialize)]
struct RegisterFinish {
    name: String,
    credential: RegisterPublicKeyCredential,
}

async fn register_options(State(state): State<AppState>, session: Session) -> Response {
    let Some((user, _)) = enrolling(&state, &session).await else {
        return json_error(StatusCode::UNAUTHORIZED, &HostedError::Expired.to_string());
    };
    match hosted::start_passkey_registration(&state.store, &state.settings, &user).await {
        Ok((options, ceremony)) => {
            if session
                .insert(PASSKEY_REGISTRATION, (user.id.to_string(), ceremony))
                .await
                .is_err()
            {
                return json_error(StatusCode::INTERNAL_SERVER_ERROR, "session");
            }
            Json(options).into_response()
        }
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn register_finish(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Json(finish): Json<RegisterFinish>,
) -> Response {
    let Some((user, _)) = enrolling(&state, &session).await else {
        return json_error(StatusCode::UNAUTHORIZED, &HostedError::Expired.to_string());
    };
    let taken: Option<(String, PasskeyRegistration)> =
        session.remove(PASSKEY_REGISTRATION).await.ok().flatten();
    let Some((for_user, ceremony)) = taken.filter(|(id, _)| *id == user.id.to_string()) else {
        return json_error(StatusCode::BAD_REQUEST, &HostedError::Expired.to_string());
    };
    let _ = for_user;
    match hosted::finish_passkey_registration(
        &state.store,
        &state.settings,
        &user,
        &finish.name,
        &finish.credential,
        &ceremony,
        &ctx::client_of(&headers),
    )
    .await
    {
        Ok(()) => {
            Json(serde_json::json!({ "message": "Passkey added.", "reload": true })).into_response()
        }
        Err(e) => json_error(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

#[derive(Deserialize)]
struct RemoveForm {
    id: String,
}

async fn remove_authenticator(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<RemoveForm>,
) -> Response {
    let Some(user) = signed_in_user(&state, &session).await else {
        return Redirect::to("/login?return_to=/me/authenticators").into_response();
    };
    match state
        .store
        .system_remove_authenticator(&user, &form.id, &ctx::client_of(&headers))
        .await
    {
        Ok(()) => {
            enroll_view(
                &state,
                &session,
                &user,
                false,
                None,
                Some("Authenticator removed."),
            )
            .await
        }
        Err(app::store::StoreError::NotFound) => {
            enroll_view(
                &state,
                &session,
                &user,
                false,
                Some("That authenticator is not yours or is gone."),
                None,
            )
            .await
        }
        Err(e) => error_page(&e.into()),
    }
}

// ---------------------------------------------------------------- rendering

const INPUT: &str = "block w-full rounded-md border border-slate-400 bg-white px-3 py-2 text-slate-900 dark:bg-slate-900 dark:text-slate-100";
const BUTTON: &str =
    "rounded-md bg-indigo-700 px-4 py-2 font-medium text-white hover:bg-indigo-800";
const SECONDARY: &str = "rounded-md border border-slate-400 px-3 py-1.5 font-medium hover:bg-slate-100 dark:hover:bg-slate-800";
const LINK: &str = "text-indigo-700 underline dark:text-indigo-300";

fn alert(message: &str) -> String {
    format!(
        "<p id=\"form-error\" role=\"alert\" class=\"rounded-md border border-red-300 bg-red-50 p-3 text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200\">{}</p>",
        esc(message)
    )
}

fn status_line(message: &str) -> String {
    format!(
        "<p role=\"status\" class=\"rounded-md border border-green-300 bg-green-50 p-3 text-green-900 dark:border-green-800 dark:bg-green-950 dark:text-green-100\">{}</p>",
        esc(message)
    )
}

fn expired() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Sign in again",
        &format!(
            "{}<p><a class=\"{LINK}\" href=\"/login\">Sign in</a></p>",
            alert(&HostedError::Expired.to_string())
        ),
        false,
    )
}

fn error_page(e: &HostedError) -> Response {
    let status = match e {
        HostedError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    page(
        status,
        "Sign-in problem",
        &format!(
            "{}<p><a class=\"{LINK}\" href=\"/login\">Back to sign-in</a></p>",
            alert(&e.to_string())
        ),
        false,
    )
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// A page of the hosted sign-in: the portal's stylesheet, one heading, the
/// body; `script` adds `/credentials.js` (passkeys).
fn page(status: StatusCode, title: &str, body: &str, script: bool) -> Response {
    let script = if script {
        "<script type=\"module\" src=\"/credentials.js\"></script>"
    } else {
        ""
    };
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · Partner Portal</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"stylesheet\" href=\"/pkg/partner-portal.css\">{script}</head>\
         <body class=\"min-h-screen bg-slate-50 text-slate-900 dark:bg-slate-950 dark:text-slate-100\">\
         <header class=\"border-b border-slate-200 bg-white px-4 py-3 dark:border-slate-800 dark:bg-slate-900\"><a href=\"/\" class=\"font-semibold\">Partner Portal</a></header>\
         <main class=\"mx-auto max-w-xl space-y-6 px-4 py-10\"><h1 class=\"text-2xl font-bold\">{title}</h1>{body}</main></body></html>",
        title = esc(title),
    );
    (status, Html(html)).into_response()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

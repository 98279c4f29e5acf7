//! The apps pages' server functions (`ops::apps`, assignments through
//! `ops::links`).
//!
//! Authorization (in the operation, through the kernel): reads under
//! `authz::scope(okta.apps.read)`, assignments need both sides' `authz::check` (user and app).
//! Sign-in settings (OpenID Connect client, bookmark URL) need `authz::check`
//! of `okta.apps.manage` on the app (`ops::apps::authorize_app`).

// The sign-in settings form posts one field per setting.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::views::apps::*;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// The apps the caller may read.
#[server(prefix = "/_fn", endpoint = "apps/list")]
pub async fn list_apps() -> Result<Vec<AppChoice>, AppError> {
    ops::apps::list(&Ctx::current().await?).await
}

/// An app the caller may read, with a page of its direct assignees the caller
/// may read.
#[server(prefix = "/_fn", endpoint = "apps/get")]
pub async fn get_app(id: String, after: Option<String>) -> Result<AppDetail, AppError> {
    ops::apps::get(&Ctx::current().await?, &super::id(&id)?, after).await
}

/// The apps tab of a user page.
#[server(prefix = "/_fn", endpoint = "users/apps")]
pub async fn user_apps(id: String) -> Result<UserAppList, AppError> {
    ops::apps::of_user(&Ctx::current().await?, &super::id(&id)?).await
}

/// Assigns the app to the user directly or removes that assignment (`op`:
/// `assign` or `unassign`). The user is named by id, or by username.
#[server(prefix = "/_fn", endpoint = "apps/assignment")]
pub async fn change_assignment(
    app_id: String,
    op: String,
    user_id: Option<String>,
    login: Option<String>,
) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let user = super::named_user(&cx, user_id, login).await?;
    let app = ops::links::Link::App(super::id(&app_id)?);
    let assign = match op.as_str() {
        "assign" => true,
        "unassign" => false,
        _ => return Err(AppError::validation("op", "Choose assign or unassign.")),
    };
    ops::links::change(&cx, &user, app, assign).await
}

/// Saves an OpenID Connect app's sign-in settings (its client registration).
/// The first save of a client that authenticates with a secret makes one:
/// the answer shows it this once. Grant types follow from the app type (a
/// service app: client credentials; others: authorization code, plus
/// refresh tokens when allowed).
#[server(prefix = "/_fn", endpoint = "apps/oidc")]
pub async fn save_oidc_client(
    app_id: String,
    application_type: String,
    #[server(default)] auth_method: String,
    #[server(default)] redirect_uris: String,
    #[server(default)] post_logout_redirect_uris: String,
    #[server(default)] initiate_login_uri: String,
    #[server(default)] refresh_tokens: Option<String>,
    access_token_minutes: String,
    id_token_minutes: String,
    refresh_token_days: String,
    #[server(default)] groups_filter: String,
    #[server(default)] realm_claim: Option<String>,
    #[server(default)] jwks: String,
    #[server(default)] scopes: String,
) -> Result<String, AppError> {
    let kept = [
        ("application_type", application_type.clone()),
        ("auth_method", auth_method.clone()),
        ("redirect_uris", redirect_uris.clone()),
        (
            "post_logout_redirect_uris",
            post_logout_redirect_uris.clone(),
        ),
        ("initiate_login_uri", initiate_login_uri.clone()),
        ("access_token_minutes", access_token_minutes.clone()),
        ("id_token_minutes", id_token_minutes.clone()),
        ("refresh_token_days", refresh_token_days.clone()),
        ("groups_filter", groups_filter.clone()),
        ("jwks", jwks.clone()),
        ("scopes", scopes.clone()),
    ];
    async {
        let number = |field: &'static str, raw: &str| -> Result<u32, AppError> {
            raw.trim()
                .parse::<u32>()
                .map_err(|_| AppError::validation(field, "Enter a whole number."))
        };
        let lines = |s: &str| -> Vec<String> { s.lines().map(str::to_string).collect() };
        let grant_types = if application_type == "service" {
            vec!["client_credentials".to_string()]
        } else if refresh_tokens.is_some() {
            vec!["authorization_code".to_string(), "refresh_token".to_string()]
        } else {
            vec!["authorization_code".to_string()]
        };
        let view = OidcClientView {
            application_type: application_type.clone(),
            auth_method: auth_method.clone(),
            redirect_uris: lines(&redirect_uris),
            post_logout_redirect_uris: lines(&post_logout_redirect_uris),
            grant_types,
            initiate_login_uri: initiate_login_uri.clone(),
            access_token_minutes: number("access_token_minutes", &access_token_minutes)?,
            id_token_minutes: number("id_token_minutes", &id_token_minutes)?,
            refresh_token_days: number("refresh_token_days", &refresh_token_days)?,
            groups_filter: groups_filter.clone(),
            realm_claim: realm_claim.is_some(),
            jwks: jwks.clone(),
            scopes: vec![scopes.clone()],
            ..OidcClientView::default()
        };
        let cx = Ctx::current().await?;
        let (saved, secret) = ops::apps::set_oidc_client(&cx, &super::id(&app_id)?, &view).await?;
        Ok(match secret {
            Some(secret) => format!(
                "Saved. Client ID {} · client secret {secret} — copy it now: it is not shown again.",
                saved.client_id
            ),
            None => format!("Saved the sign-in settings (client ID {}).", saved.client_id),
        })
    }
    .await
    .map_err(|e: AppError| e.keeping(kept))
}

/// A new client secret for an OpenID Connect app, shown once; the old one
/// stops working at once.
#[server(prefix = "/_fn", endpoint = "apps/oidc-secret")]
pub async fn new_oidc_secret(app_id: String) -> Result<String, AppError> {
    let secret = ops::apps::new_client_secret(&Ctx::current().await?, &super::id(&app_id)?).await?;
    Ok(format!(
        "New client secret {secret} — copy it now: it is not shown again. The old one no longer works."
    ))
}

/// Sets a bookmark app's address (the dashboard tile links there).
#[server(prefix = "/_fn", endpoint = "apps/bookmark")]
pub async fn save_bookmark_url(app_id: String, url: String) -> Result<String, AppError> {
    ops::apps::set_bookmark_url(&Ctx::current().await?, &super::id(&app_id)?, &url)
        .await
        .map_err(|e| e.keeping([("url", url.clone())]))?;
    Ok("Saved the app's address.".into())
}

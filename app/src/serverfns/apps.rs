//! The apps pages' server functions (`ops::apps`, assignments through
//! `ops::links`).
//!
//! Authorization (in the operation, through the kernel): reads under
//! `authz::scope(okta.apps.read)`, assignments need both sides' `authz::check` (user and app).
//! Sign-in settings (OpenID Connect client, bookmark URL) and provisioning
//! (connection, test, preview, failed deliveries, group pushes, imports) need
//! `authz::check` of `okta.apps.manage` on the app (`ops::apps::authorize_app`);
//! a pushed group must be readable (`authz::scope(okta.groups.read)`), and an
//! import creates and assigns users with `okta.users.create` and both sides'
//! assignment rights, checked per user.

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

/// Saves an app's provisioning connection (SCIM 2.0 or Okta Org2Org), its
/// features and attribute mappings. An empty `secret` keeps the stored one.
#[server(prefix = "/_fn", endpoint = "apps/provisioning")]
pub async fn save_provisioning(
    app_id: String,
    kind: String,
    base_url: String,
    #[server(default)] auth_scheme: String,
    #[server(default)] username: String,
    #[server(default)] secret: String,
    #[server(default)] extensions: String,
    #[server(default)] create_users: Option<String>,
    #[server(default)] update_users: Option<String>,
    #[server(default)] deactivate_users: Option<String>,
    #[server(default)] delete_users: Option<String>,
    #[server(default)] push_groups: Option<String>,
    #[server(default)] import_users: Option<String>,
    #[server(default)] mappings: String,
    #[server(default)] import_every_minutes: String,
) -> Result<String, AppError> {
    let kept = [
        ("kind", kind.clone()),
        ("base_url", base_url.clone()),
        ("auth_scheme", auth_scheme.clone()),
        ("username", username.clone()),
        ("extensions", extensions.clone()),
        ("mappings", mappings.clone()),
        ("import_every_minutes", import_every_minutes.clone()),
    ];
    async {
        let every = match import_every_minutes.trim() {
            "" => 0,
            raw => raw.parse::<u32>().map_err(|_| {
                AppError::validation("import_every_minutes", "Enter a whole number of minutes.")
            })?,
        };
        let view = ProvisioningView {
            kind: kind.clone(),
            base_url: base_url.clone(),
            auth_scheme: auth_scheme.clone(),
            username: username.clone(),
            has_secret: false,
            extensions: extensions.clone(),
            create_users: create_users.is_some(),
            update_users: update_users.is_some(),
            deactivate_users: deactivate_users.is_some(),
            delete_users: delete_users.is_some(),
            push_groups: push_groups.is_some(),
            import_users: import_users.is_some(),
            mappings: mappings.clone(),
            import_every_minutes: every,
        };
        let cx = Ctx::current().await?;
        ops::provisioning::save(&cx, &super::id(&app_id)?, &view, &secret).await?;
        Ok(
            "Saved the provisioning settings. Users who have the app are being provisioned."
                .to_string(),
        )
    }
    .await
    .map_err(|e: AppError| e.keeping(kept))
}

/// "Test API credentials": what the app answered, or what failed.
#[server(prefix = "/_fn", endpoint = "apps/provisioning-test")]
pub async fn test_provisioning(app_id: String) -> Result<String, AppError> {
    ops::provisioning::test(&Ctx::current().await?, &super::id(&app_id)?).await
}

/// What the app would receive for one user.
#[server(prefix = "/_fn", endpoint = "apps/provisioning-preview")]
pub async fn preview_provisioning(app_id: String, login: String) -> Result<String, AppError> {
    ops::provisioning::preview(&Ctx::current().await?, &super::id(&app_id)?, &login)
        .await
        .map_err(|e| e.keeping([("login", login.clone())]))
}

/// Retries (`op=retry`) or dismisses (`op=dismiss`) a failed delivery.
#[server(prefix = "/_fn", endpoint = "apps/provisioning-task")]
pub async fn resolve_delivery(
    app_id: String,
    task: String,
    op: String,
) -> Result<String, AppError> {
    let retry = match op.as_str() {
        "retry" => true,
        "dismiss" => false,
        _ => return Err(AppError::validation("op", "Choose retry or dismiss.")),
    };
    ops::provisioning::resolve_failed(&Ctx::current().await?, &super::id(&app_id)?, &task, retry)
        .await?;
    Ok(if retry {
        "The delivery will be tried again.".into()
    } else {
        "Dismissed the failed delivery.".into()
    })
}

/// Pushes a group to the app (a new group there, named as given or as the
/// group; linked when the app has one of that name).
#[server(prefix = "/_fn", endpoint = "apps/group-push")]
pub async fn push_group(
    app_id: String,
    #[server(default)] group_id: String,
    #[server(default)] target_name: String,
) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let group = super::field(&group_id, "groupId", "Choose a group.")?;
    let name = Some(target_name.as_str()).filter(|n| !n.trim().is_empty());
    let m = ops::provisioning::create_push(&cx, &super::id(&app_id)?, &group, name, None, true)
        .await
        .map_err(|e| e.keeping([("target_name", target_name.clone())]))?;
    Ok(format!(
        "Pushing {} to the app as {}.",
        m.group_name, m.target_group_name
    ))
}

/// Turns a group push on or off, or deletes an inactive one (`op`:
/// `activate`, `deactivate`, `delete`).
#[server(prefix = "/_fn", endpoint = "apps/group-push-change")]
pub async fn change_group_push(
    app_id: String,
    mapping_id: String,
    op: String,
) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let app = super::id(&app_id)?;
    match op.as_str() {
        "activate" | "deactivate" => {
            let m = ops::provisioning::set_push_status(&cx, &app, &mapping_id, op == "activate")
                .await?;
            Ok(format!("{}: {}", m.group_name, m.status.to_lowercase()))
        }
        "delete" => {
            ops::provisioning::delete_push(&cx, &app, &mapping_id, false).await?;
            Ok("Deleted the group push (the app keeps its group).".into())
        }
        _ => Err(AppError::validation(
            "op",
            "Choose activate, deactivate or delete.",
        )),
    }
}

/// What importing the app's users would do (matches, conflicts, new users).
#[server(prefix = "/_fn", endpoint = "apps/import-preview")]
pub async fn preview_import(app_id: String) -> Result<ImportPreview, AppError> {
    ops::provisioning::import_preview(&Ctx::current().await?, &super::id(&app_id)?).await
}

/// Imports the app's users: matches linked, new users created through the
/// realm-assignment rules, conflicts left.
#[server(prefix = "/_fn", endpoint = "apps/import")]
pub async fn run_import(app_id: String) -> Result<String, AppError> {
    ops::provisioning::import_run(&Ctx::current().await?, &super::id(&app_id)?).await
}

//! Apps: the apps the caller may read, an app's direct assignees *within the
//! caller's user scope only*, a user's apps, and the org admin's app changes.
//! Assignment changes are links (`ops::links`).

use crate::authz::{check, scope, Permission};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::ids::{AppId, UserId};
use crate::model::App;
use crate::oidc::{Client, Registration};
use crate::views::apps::{AppChoice, AppDetail, OidcClientView, UserApp, UserAppList};

use super::access::{app_target, authorize_app, org_level};
use super::users::{UserFilter, UserSort};

fn may_assign(cx: &Ctx, app: &App) -> bool {
    check(
        &cx.principal,
        Permission::AppsAssignmentManage,
        &app_target(app),
    )
    .is_ok()
}

/// The apps the caller may read.
pub async fn list(cx: &Ctx) -> Result<Vec<AppChoice>, AppError> {
    Ok(cx
        .store
        .list_apps(&scope(&cx.principal, Permission::AppsRead))
        .await?
        .into_iter()
        .map(|a| AppChoice {
            manageable: may_assign(cx, &a),
            id: a.id.to_string(),
            label: a.label,
            sign_on_mode: a.sign_on_mode,
        })
        .collect())
}

/// An app the caller may read, with a page of its direct assignees the
/// caller may read.
pub async fn get(cx: &Ctx, id: &AppId, after: Option<String>) -> Result<AppDetail, AppError> {
    let app = cx
        .store
        .get_app(&scope(&cx.principal, Permission::AppsRead), id)
        .await?;
    let assignees = super::users::list(
        cx,
        UserFilter {
            app: Some(app.id.clone()),
            ..UserFilter::default()
        },
        UserSort::Name,
        after,
    )
    .await?;
    let can_configure = check(&cx.principal, Permission::AppsManage, &app_target(&app)).is_ok();
    let oidc = cx
        .store
        .oauth_client_of_app(&app.id)
        .await?
        .map(|c| c.view());
    let bookmark_url = if app.sign_on_mode == "BOOKMARK" {
        cx.store.bookmark_url(&app.id).await?
    } else {
        None
    };
    Ok(AppDetail {
        can_manage: may_assign(cx, &app),
        can_configure,
        id: app.id.to_string(),
        label: app.label,
        sign_on_mode: app.sign_on_mode,
        assignees,
        oidc,
        bookmark_url,
        provisioning: super::provisioning::panel(cx, &app.id).await?,
    })
}

/// A user's apps the caller may see (directly and through which visible
/// groups), and the apps it could assign the user directly.
pub async fn of_user(cx: &Ctx, id: &UserId) -> Result<UserAppList, AppError> {
    let principal = &cx.principal;
    let (user, target) = super::access::load_user(cx, id).await?;
    let user_side = check(principal, Permission::UsersAppAssignmentManage, &target).is_ok();
    let visible_groups: Vec<String> = cx
        .store
        .groups_of_user(&scope(principal, Permission::GroupsRead), &user.id)
        .await?
        .into_iter()
        .map(|g| g.name)
        .collect();
    let mut sync = cx.store.sync_states(&user.id).await?;
    let mut apps = Vec::new();
    for (app, direct, via) in cx
        .store
        .apps_for_user_in(&scope(principal, Permission::AppsRead), &user.id)
        .await?
    {
        let (shown, hidden): (Vec<String>, Vec<String>) =
            via.into_iter().partition(|g| visible_groups.contains(g));
        apps.push(UserApp {
            id: app.id.to_string(),
            label: app.label.clone(),
            direct,
            via: shown,
            hidden_groups: !hidden.is_empty(),
            removable: direct && user_side && may_assign(cx, &app),
            sync: sync.remove(app.id.as_str()),
        });
    }
    let assignable = if user_side {
        cx.store
            .list_apps(&scope(principal, Permission::AppsAssignmentManage))
            .await?
            .iter()
            .filter(|a| !apps.iter().any(|u| u.direct && u.id == a.id.as_str()))
            .map(|a| AppChoice {
                id: a.id.to_string(),
                label: a.label.clone(),
                sign_on_mode: a.sign_on_mode.clone(),
                manageable: true,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(UserAppList { apps, assignable })
}

/// Registers or updates an OpenID Connect app's client (`okta.apps.manage`
/// on it). Returns the registration and, when one was made, the client
/// secret — shown this once, stored only as a hash.
pub async fn set_oidc_client(
    cx: &Ctx,
    id: &AppId,
    view: &OidcClientView,
) -> Result<(OidcClientView, Option<String>), AppError> {
    let (_, grant) = authorize_app(cx, Permission::AppsManage, id).await?;
    let registration = Registration::from_view(view).map_err(AppError::fields)?;
    let (client, secret) = cx.store.set_oauth_client(&grant, registration).await?;
    Ok((client.view(), secret))
}

/// Creates an OpenID Connect app with its client registration
/// (org-level `okta.apps.manage`); the secret, when the client uses one, is
/// returned this once.
pub async fn create_oidc(
    cx: &Ctx,
    label: &str,
    view: &OidcClientView,
) -> Result<(App, Client, Option<String>), AppError> {
    let grant = org_level(&cx.principal, Permission::AppsManage)?;
    let registration = Registration::from_view(view).map_err(AppError::fields)?;
    Ok(cx
        .store
        .create_oidc_app(&grant, label, registration)
        .await?)
}

/// A new client secret for an OpenID Connect app (`okta.apps.manage` on
/// it): the old one stops working at once; the new one is shown once.
pub async fn new_client_secret(cx: &Ctx, id: &AppId) -> Result<String, AppError> {
    let (_, grant) = authorize_app(cx, Permission::AppsManage, id).await?;
    Ok(cx.store.rotate_oauth_secret(&grant).await?)
}

/// The OpenID Connect client of an app the caller may read, if it has one.
pub async fn oidc_client(cx: &Ctx, id: &AppId) -> Result<Option<Client>, AppError> {
    let app = record(cx, id).await?;
    Ok(cx.store.oauth_client_of_app(&app.id).await?)
}

/// Sets a bookmark app's URL (`okta.apps.manage` on it).
pub async fn set_bookmark_url(cx: &Ctx, id: &AppId, url: &str) -> Result<(), AppError> {
    let (_, grant) = authorize_app(cx, Permission::AppsManage, id).await?;
    Ok(cx.store.set_bookmark_url(&grant, url).await?)
}

/// Okta's sign-on modes an app integration may have.
pub const SIGN_ON_MODES: [&str; 4] = ["BOOKMARK", "OPENID_CONNECT", "SAML_2_0", "AUTO_LOGIN"];

/// Creates an app integration (`okta.apps.manage`). `name` is the app type
/// (`bookmark`, `oidc_client`, …), `sign_on_mode` Okta's mode.
pub async fn create(
    cx: &Ctx,
    name: &str,
    label: &str,
    sign_on_mode: &str,
) -> Result<App, AppError> {
    let grant = org_level(&cx.principal, Permission::AppsManage)?;
    if !SIGN_ON_MODES.contains(&sign_on_mode) {
        return Err(AppError::validation("signOnMode", "Choose a sign-on mode."));
    }
    Ok(cx
        .store
        .create_app(&grant, name, label, sign_on_mode)
        .await?)
}

/// Renames an app integration (`okta.apps.manage` on it).
pub async fn update(cx: &Ctx, id: &AppId, label: &str) -> Result<App, AppError> {
    let (_, grant) = authorize_app(cx, Permission::AppsManage, id).await?;
    Ok(cx.store.update_app(&grant, label).await?)
}

/// Deletes an app integration (`okta.apps.manage` on it).
pub async fn delete(cx: &Ctx, id: &AppId) -> Result<App, AppError> {
    let (app, grant) = authorize_app(cx, Permission::AppsManage, id).await?;
    cx.store.delete_app(&grant).await?;
    Ok(app)
}

/// The app records the caller may read (the Management API's list).
pub async fn records(cx: &Ctx) -> Result<Vec<App>, AppError> {
    Ok(cx
        .store
        .list_apps(&scope(&cx.principal, Permission::AppsRead))
        .await?)
}

/// The app records the caller may read, each with its OpenID Connect client
/// if it has one (the Management API's list): two scoped queries.
pub async fn records_with_clients(cx: &Ctx) -> Result<Vec<(App, Option<Client>)>, AppError> {
    let read = scope(&cx.principal, Permission::AppsRead);
    let apps = cx.store.list_apps(&read).await?;
    let mut clients: std::collections::HashMap<AppId, Client> = cx
        .store
        .oauth_clients_in(&read)
        .await?
        .into_iter()
        .map(|c| (c.app_id.clone(), c))
        .collect();
    Ok(apps
        .into_iter()
        .map(|a| {
            let client = clients.remove(&a.id);
            (a, client)
        })
        .collect())
}

/// One app record the caller may read, with its OpenID Connect client if it
/// has one.
pub async fn record_with_client(cx: &Ctx, id: &AppId) -> Result<(App, Option<Client>), AppError> {
    let app = record(cx, id).await?;
    let client = cx.store.oauth_client_of_app(&app.id).await?;
    Ok((app, client))
}

/// One app record the caller may read.
pub async fn record(cx: &Ctx, id: &AppId) -> Result<App, AppError> {
    Ok(cx
        .store
        .get_app(&scope(&cx.principal, Permission::AppsRead), id)
        .await?)
}

/// The groups an app the caller may read is assigned to, those it may read.
pub async fn groups_of(cx: &Ctx, id: &AppId) -> Result<Vec<crate::model::Group>, AppError> {
    let app = record(cx, id).await?;
    Ok(cx
        .store
        .groups_of_app(&scope(&cx.principal, Permission::GroupsRead), &app.id)
        .await?)
}

/// A user's apps the caller may see, with whether each is assigned directly
/// (the Management API's `appLinks`).
pub async fn records_of_user(cx: &Ctx, id: &UserId) -> Result<Vec<(App, bool)>, AppError> {
    let (user, _) = super::access::load_user(cx, id).await?;
    Ok(cx
        .store
        .apps_for_user_in(&scope(&cx.principal, Permission::AppsRead), &user.id)
        .await?
        .into_iter()
        .map(|(app, direct, _)| (app, direct))
        .collect())
}

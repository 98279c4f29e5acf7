//! Apps as a partner admin sees them: the apps it may read, an app's direct
//! assignees *within the admin's user scope only*, and assignment changes,
//! which need two grants (on the user and on the app).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::users::UsersPage;
use crate::error::AppError;

/// An app offered or listed on a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppChoice {
    pub id: String,
    pub label: String,
    pub sign_on_mode: String,
    /// The caller may assign and unassign it.
    pub manageable: bool,
}

/// One app a user has: directly and/or through groups (names of the groups the
/// caller may see; `hidden_groups` counts the others).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserApp {
    pub id: String,
    pub label: String,
    pub direct: bool,
    pub via: Vec<String>,
    pub hidden_groups: bool,
    /// The caller may remove the direct assignment.
    pub removable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAppList {
    pub apps: Vec<UserApp>,
    /// Apps the caller could assign to this user directly.
    pub assignable: Vec<AppChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppDetail {
    pub id: String,
    pub label: String,
    pub sign_on_mode: String,
    /// Direct assignees the caller may read (never users of other realms).
    pub assignees: UsersPage,
    pub can_manage: bool,
}

#[cfg(feature = "ssr")]
fn app_target(app: &crate::model::App) -> crate::authz::Target {
    crate::authz::Target::App {
        id: app.id.clone(),
        app_type: app.name.clone(),
    }
}

#[cfg(feature = "ssr")]
fn may_assign(principal: &crate::authz::Principal, app: &crate::model::App) -> bool {
    crate::authz::check(
        principal,
        crate::authz::Permission::AppsAssignmentManage,
        &app_target(app),
    )
    .is_ok()
}

/// The apps the caller may read.
#[server(endpoint = "apps/list")]
pub async fn list_apps() -> Result<Vec<AppChoice>, AppError> {
    use crate::authz::{scope, Permission};
    let (store, _, principal) = super::caller().await?;
    Ok(store
        .list_apps(&scope(&principal, Permission::AppsRead))
        .await?
        .into_iter()
        .map(|a| AppChoice {
            manageable: may_assign(&principal, &a),
            id: a.id.to_string(),
            label: a.label,
            sign_on_mode: a.sign_on_mode,
        })
        .collect())
}

/// An app the caller may read, with a page of its direct assignees the caller
/// may read.
#[server(endpoint = "apps/get")]
pub async fn get_app(id: String, after: Option<String>) -> Result<AppDetail, AppError> {
    use crate::authz::{scope, Permission};
    use crate::store::users::UserFilter;
    let (store, _, principal) = super::caller().await?;
    let id = crate::ids::AppId::parse(&id).map_err(|_| AppError::NotFound)?;
    let app = store
        .get_app(&scope(&principal, Permission::AppsRead), &id)
        .await?;
    let assignees = super::users::users_page(
        &store,
        &principal,
        UserFilter {
            app: Some(app.id.clone()),
            ..UserFilter::default()
        },
        after,
    )
    .await?;
    Ok(AppDetail {
        can_manage: may_assign(&principal, &app),
        id: app.id.to_string(),
        label: app.label,
        sign_on_mode: app.sign_on_mode,
        assignees,
    })
}

/// The apps tab of a user page.
#[server(endpoint = "users/apps")]
pub async fn user_apps(id: String) -> Result<UserAppList, AppError> {
    use crate::authz::{check, scope, user_target, Permission};
    let (store, org, principal) = super::caller().await?;
    let id = crate::ids::UserId::parse(&id).map_err(|_| AppError::NotFound)?;
    let user = store
        .get_user(&scope(&principal, Permission::UsersRead), &id)
        .await?;
    let target = user_target(&store, &org.orn, &user).await?;
    let user_side = check(&principal, Permission::UsersAppAssignmentManage, &target).is_ok();
    let visible_groups: Vec<String> = store
        .groups_of_user(&scope(&principal, Permission::GroupsRead), &user.id)
        .await?
        .into_iter()
        .map(|g| g.name)
        .collect();
    let mut apps = Vec::new();
    for (app, direct, via) in store
        .apps_for_user_in(&scope(&principal, Permission::AppsRead), &user.id)
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
            removable: direct && user_side && may_assign(&principal, &app),
        });
    }
    let assignable = if user_side {
        store
            .list_apps(&scope(&principal, Permission::AppsAssignmentManage))
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

/// Assigns the app to the user directly or removes that assignment (`op`:
/// `assign` or `unassign`). The user is named by id, or by username.
#[server(endpoint = "apps/assignment")]
pub async fn change_assignment(
    app_id: String,
    op: String,
    user_id: Option<String>,
    login: Option<String>,
) -> Result<String, AppError> {
    let (store, org, principal) = super::caller().await?;
    let user_id = super::users::user_named(&store, &principal, user_id, login).await?;
    let app_id = crate::ids::AppId::parse(&app_id).map_err(|_| AppError::NotFound)?;
    assignment(&store, &org, &principal, &user_id, &app_id, &op).await
}

/// One assignment change through the spine: both parties loaded under read
/// scope (`NotFound`), both grants checked (`Forbidden`), one store call.
#[cfg(feature = "ssr")]
pub(crate) async fn assignment(
    store: &crate::store::Store,
    org: &crate::authz::OrgContext,
    principal: &crate::authz::Principal,
    user_id: &crate::ids::UserId,
    app_id: &crate::ids::AppId,
    op: &str,
) -> Result<String, AppError> {
    use crate::authz::{authorize_app, authorize_user, Permission};
    let assign = match op {
        "assign" => true,
        "unassign" => false,
        _ => return Err(AppError::validation("op", "Choose assign or unassign.")),
    };
    let (user, user_grant) = authorize_user(
        store,
        &org.orn,
        principal,
        Permission::UsersAppAssignmentManage,
        user_id,
    )
    .await?;
    let (app, app_grant) =
        authorize_app(store, principal, Permission::AppsAssignmentManage, app_id).await?;
    let login = user.profile.login;
    Ok(if assign {
        if store.assign_app(&user_grant, &app_grant).await? {
            format!("Assigned {} to {login}.", app.label)
        } else {
            format!("{login} already has {} directly.", app.label)
        }
    } else if store.unassign_app(&user_grant, &app_grant).await? {
        format!("Unassigned {} from {login}.", app.label)
    } else {
        format!("{login} had no direct assignment of {}.", app.label)
    })
}

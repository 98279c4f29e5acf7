//! The spine of every point operation: load the object under the caller's
//! read scope (invisible → `NotFound`), read the facts decisions need
//! (`Store::facts_of_*`), then ask the kernel (visible but not allowed →
//! `Forbidden`). Operations call these; nothing else mints a grant on a
//! loaded object.

use std::collections::HashMap;

use crate::authz::{check, scope, Grant, Permission, Principal, Target};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::ids::{AppId, GroupId, RealmId, UserId};
use crate::model::{App, Group, Realm, User};

/// `permission` over the whole org (every realm), or `Forbidden`: what the
/// admin console's org-level pages and changes need.
pub fn org_level(principal: &Principal, permission: Permission) -> Result<Grant, AppError> {
    check(principal, permission, &Target::Org)
}

/// What decisions on an app need: its id and type.
pub fn app_target(app: &App) -> Target {
    Target::App {
        id: app.id.clone(),
        app_type: app.name.clone(),
    }
}

/// A user under the caller's read scope, with the facts decisions on it need.
pub async fn load_user(cx: &Ctx, id: &UserId) -> Result<(User, Target), AppError> {
    let user = cx
        .store
        .get_user(&scope(&cx.principal, Permission::UsersRead), id)
        .await?;
    let target = cx.store.facts_of_user(&cx.org.orn, &user).await?;
    Ok((user, target))
}

/// A user under the caller's read scope, and `permission` on it.
pub async fn authorize_user(
    cx: &Ctx,
    permission: Permission,
    id: &UserId,
) -> Result<(User, Grant), AppError> {
    let (user, target) = load_user(cx, id).await?;
    let grant = check(&cx.principal, permission, &target)?;
    Ok((user, grant))
}

/// A group under the caller's read scope (`okta.groups.read`), and
/// `permission` on it.
pub async fn authorize_group(
    cx: &Ctx,
    permission: Permission,
    id: &GroupId,
) -> Result<(Group, Grant), AppError> {
    let group = cx
        .store
        .get_group(&scope(&cx.principal, Permission::GroupsRead), id)
        .await?;
    let target = cx.store.facts_of_group(&cx.org.orn, &group.id).await?;
    let grant = check(&cx.principal, permission, &target)?;
    Ok((group, grant))
}

/// A realm under the caller's read scope (`okta.realms.read`), and
/// `permission` on it (a custom role may hold realm rights over some realms).
pub async fn authorize_realm(
    cx: &Ctx,
    permission: Permission,
    id: &RealmId,
) -> Result<(Realm, Grant), AppError> {
    let realm = cx
        .store
        .get_realm(&scope(&cx.principal, Permission::RealmsRead), id)
        .await?;
    let grant = check(
        &cx.principal,
        permission,
        &Target::Realm {
            id: realm.id.clone(),
        },
    )?;
    Ok((realm, grant))
}

/// An app under the caller's read scope (`okta.apps.read`), and `permission`
/// on it.
pub async fn authorize_app(
    cx: &Ctx,
    permission: Permission,
    id: &AppId,
) -> Result<(App, Grant), AppError> {
    let app = cx
        .store
        .get_app(&scope(&cx.principal, Permission::AppsRead), id)
        .await?;
    let grant = check(&cx.principal, permission, &app_target(&app))?;
    Ok((app, grant))
}

/// Joining or leaving `group` hands out or takes back the apps assigned to
/// it: the caller needs `okta.apps.assignment.manage` on each of them.
pub async fn check_group_app_grants(cx: &Ctx, group: &GroupId) -> Result<(), AppError> {
    for (id, app_type) in cx.store.group_app_grants(group).await? {
        check(
            &cx.principal,
            Permission::AppsAssignmentManage,
            &Target::App { id, app_type },
        )?;
    }
    Ok(())
}

/// Admin accounts the caller may not manage (they hold rights it does not
/// hold), with why: a realm-assignment plan lists them as refused, and an
/// executor must not move them either.
pub async fn accounts_beyond_reach(cx: &Ctx) -> Result<HashMap<UserId, String>, AppError> {
    let mut refused = HashMap::new();
    for id in cx.store.admin_user_ids().await? {
        let Some(user) = cx.store.system_user_by_id(&id).await? else {
            continue;
        };
        let target = cx.store.facts_of_user(&cx.org.orn, &user).await?;
        if check(&cx.principal, Permission::UsersManage, &target).is_err() {
            refused.insert(
                id,
                "holds admin rights you do not hold; not moved".to_string(),
            );
        }
    }
    Ok(refused)
}

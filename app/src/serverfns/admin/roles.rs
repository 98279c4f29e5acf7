//! `/admin/roles`: the delegated admin model — standard and custom roles,
//! resource sets and bindings (`ops::iam`).
//!
//! Authorization (in the operation, through the kernel): `authz::check(okta.iam.read)`; changes
//! `authz::check_iam_change` and `check_delegation`; standard roles and their targets
//! `check_standard_role_change`.

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::views::roles::*;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

#[server(prefix = "/_fn", endpoint = "admin/iam")]
pub async fn admin_iam() -> Result<IamView, AppError> {
    ops::iam::view(&Ctx::current().await?).await
}

/// Creates a custom role. `profile_attributes` (comma-separated) limits
/// `okta.users.userprofile.manage` to those attributes (Okta's conditions).
#[server(prefix = "/_fn", endpoint = "admin/roles/create")]
pub async fn create_role(
    label: String,
    description: String,
    permissions: Option<Vec<String>>,
    profile_attributes: Option<String>,
) -> Result<String, AppError> {
    let form = ops::iam::RoleForm {
        label,
        description,
        permissions: permissions.unwrap_or_default(),
        profile_attributes: profile_attributes.unwrap_or_default(),
    };
    let kept = [
        ("label", form.label.clone()),
        ("description", form.description.clone()),
        ("profile_attributes", form.profile_attributes.clone()),
    ];
    async { ops::iam::create_role(&Ctx::current().await?, form).await }
        .await
        .map_err(|e| e.keeping(kept))
}

/// Creates a resource set from picked realms (the realm and its users),
/// groups, apps and typed ORNs or REST URLs (one per line).
#[server(prefix = "/_fn", endpoint = "admin/resource-sets/create")]
pub async fn create_resource_set(
    label: String,
    description: String,
    realms: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    apps: Option<Vec<String>>,
    orns: Option<String>,
) -> Result<String, AppError> {
    let kept = [
        ("label", label.clone()),
        ("description", description.clone()),
        ("orns", orns.clone().unwrap_or_default()),
    ];
    let picked = ops::iam::ResourcePicks {
        realms: realms.unwrap_or_default(),
        groups: groups.unwrap_or_default(),
        apps: apps.unwrap_or_default(),
        orns: orns.unwrap_or_default(),
    };
    async {
        let cx = Ctx::current().await?;
        ops::iam::create_resource_set(&cx, &label, &description, picked).await
    }
    .await
    .map_err(|e: AppError| e.keeping(kept))
}

/// Binds a role on a resource set to a user (by username) or a group. The
/// caller must hold every permission of the role over every resource.
#[server(prefix = "/_fn", endpoint = "admin/bindings/add")]
pub async fn add_binding(
    resource_set_id: String,
    role_id: String,
    login: Option<String>,
    group_id: Option<String>,
) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let set = super::super::choice(&resource_set_id);
    let role = super::super::choice(&role_id);
    ops::iam::add_binding(&cx, set.as_ref(), role.as_ref(), login, group_id).await
}

/// Removes a user or group from a binding.
#[server(prefix = "/_fn", endpoint = "admin/bindings/remove")]
pub async fn remove_binding(
    resource_set_id: String,
    role_id: String,
    member_type: String,
    member_id: String,
) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let set = super::super::id(&resource_set_id)?;
    let role = super::super::id(&role_id)?;
    let member = listed_member(&member_type, &member_id)?;
    ops::iam::remove_binding(&cx, &set, &role, &member).await
}

/// A member as a list's hidden fields name it (USER | GROUP, id).
#[cfg(feature = "ssr")]
fn listed_member(member_type: &str, member_id: &str) -> Result<ops::iam::Member, AppError> {
    use ops::iam::Member;
    match member_type {
        "USER" => Ok(Member::User(super::super::id(member_id)?)),
        "GROUP" => Ok(Member::Group(super::super::id(member_id)?)),
        _ => Err(AppError::NotFound),
    }
}

/// Changes a custom role's label, description and permissions (whoever holds
/// it has the new rights on their next request).
#[server(prefix = "/_fn", endpoint = "admin/roles/update")]
pub async fn update_role(
    id: String,
    label: String,
    description: String,
    permissions: Option<Vec<String>>,
    profile_attributes: Option<String>,
) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let form = ops::iam::RoleForm {
        label,
        description,
        permissions: permissions.unwrap_or_default(),
        profile_attributes: profile_attributes.unwrap_or_default(),
    };
    ops::iam::update_role(&cx, &super::super::id(&id)?, form).await
}

/// Adds resources to a resource set (picked or typed) or removes one
/// (`remove`: its ORN).
#[server(prefix = "/_fn", endpoint = "admin/resource-sets/change")]
pub async fn change_resource_set(
    id: String,
    realms: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    apps: Option<Vec<String>>,
    orns: Option<String>,
    remove: Option<String>,
) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let picked = ops::iam::ResourcePicks {
        realms: realms.unwrap_or_default(),
        groups: groups.unwrap_or_default(),
        apps: apps.unwrap_or_default(),
        orns: orns.unwrap_or_default(),
    };
    ops::iam::change_resource_set(&cx, &super::super::id(&id)?, picked, remove).await
}

/// Deletes a custom role nobody holds.
#[server(prefix = "/_fn", endpoint = "admin/roles/delete")]
pub async fn delete_role(id: String) -> Result<String, AppError> {
    ops::iam::delete_role(&Ctx::current().await?, &super::super::id(&id)?).await
}

/// Deletes a resource set no binding member holds rights over.
#[server(prefix = "/_fn", endpoint = "admin/resource-sets/delete")]
pub async fn delete_resource_set(id: String) -> Result<String, AppError> {
    ops::iam::delete_resource_set(&Ctx::current().await?, &super::super::id(&id)?).await
}

/// Who holds the standard roles.
#[server(prefix = "/_fn", endpoint = "admin/standard-roles")]
pub async fn standard_assignments() -> Result<Vec<StandardAssignment>, AppError> {
    ops::iam::standard_assignments(&Ctx::current().await?).await
}

/// Grants a standard role to a user (by username) or a group, org-wide or
/// for the picked target groups (`USER_ADMIN`, `HELP_DESK_ADMIN`,
/// `GROUP_MEMBERSHIP_ADMIN`) or apps (`APP_ADMIN`).
#[server(prefix = "/_fn", endpoint = "admin/standard-roles/grant")]
pub async fn grant_standard_role(
    role: String,
    login: Option<String>,
    group_id: Option<String>,
    target_groups: Option<Vec<String>>,
    target_apps: Option<Vec<String>>,
) -> Result<String, AppError> {
    let kept = [
        ("role", role.clone()),
        ("login", login.clone().unwrap_or_default()),
    ];
    let standard = crate::model::StandardRole::parse(role.trim());
    let picks = ops::iam::TargetPicks {
        groups: target_groups.unwrap_or_default(),
        apps: target_apps.unwrap_or_default(),
    };
    async {
        let cx = Ctx::current().await?;
        ops::iam::grant_standard_role(&cx, standard, login, group_id, picks).await
    }
    .await
    .map_err(|e: AppError| e.keeping(kept))
}

/// Takes a standard role back (never the last super admin's).
#[server(prefix = "/_fn", endpoint = "admin/standard-roles/revoke")]
pub async fn revoke_standard_role(
    role: String,
    member_type: String,
    member_id: String,
) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let role = crate::model::StandardRole::parse(role.trim()).ok_or(AppError::NotFound)?;
    let member = listed_member(&member_type, &member_id)?;
    ops::iam::revoke_standard_role(&cx, role, &member).await
}

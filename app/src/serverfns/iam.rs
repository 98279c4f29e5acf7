//! The delegated admin model in the admin console (`/admin/roles`): standard
//! and custom roles (the permission catalog grouped and explained, attribute
//! conditions on profile edits), resource sets (realms, groups, apps picked,
//! or ORNs typed and validated) and bindings (users and groups). Viewing needs
//! `okta.iam.read` over the org; changing needs an org admin role, and nobody
//! binds more than it holds (`authz::check_delegation`).

// Server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One permission of the catalog, for the role form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionChoice {
    pub value: String,
    pub label: String,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleView {
    pub id: String,
    pub label: String,
    pub description: String,
    /// As shown: each permission with its conditions, if any.
    pub permissions: Vec<String>,
    /// The permission strings alone (the edit form's checked boxes).
    pub values: Vec<String>,
    /// The attributes profile edits are limited to, comma-separated.
    pub profile_attributes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetView {
    pub id: String,
    pub label: String,
    pub description: String,
    /// Each resource described ("users in realm …") with its ORN.
    pub resources: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindingView {
    pub resource_set_id: String,
    pub resource_set: String,
    pub role_id: String,
    pub role: String,
    /// (USER | GROUP, id, login or group name).
    pub members: Vec<(String, String, String)>,
}

/// The admin model page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamView {
    /// Standard roles with how many permissions each holds.
    pub standard: Vec<(String, usize)>,
    pub roles: Vec<RoleView>,
    pub resource_sets: Vec<SetView>,
    pub bindings: Vec<BindingView>,
    /// The catalog by category (heading, permissions).
    pub catalog: Vec<(String, Vec<PermissionChoice>)>,
    pub realms: Vec<(String, String)>,
    pub groups: Vec<(String, String)>,
    pub apps: Vec<(String, String)>,
}

#[cfg(feature = "ssr")]
mod spine {
    use crate::authz::{check, Grant, Permission, Principal, Target};
    use crate::error::AppError;

    /// Viewing the admin model: `okta.iam.read` over the org.
    pub fn read(principal: &Principal) -> Result<Grant, AppError> {
        check(principal, Permission::IamRead, &Target::Org)
    }

    /// Changing it: an org admin role (Okta keeps role management to super and
    /// org admins), checked again per change by `check_delegation`.
    pub fn manage(principal: &Principal) -> Result<Grant, AppError> {
        if !principal.is_org_admin() {
            return Err(AppError::Forbidden);
        }
        read(principal)
    }
}

#[cfg(feature = "ssr")]
mod form {
    use crate::authz::{orn, scope, Permission, Principal};
    use crate::error::AppError;
    use crate::store::admin::StoredPermission;

    /// A role form's permissions (with the profile attribute limit), checked:
    /// known, at least one, and none the caller does not hold org-wide.
    pub fn role_permissions(
        principal: &Principal,
        permissions: Option<Vec<String>>,
        profile_attributes: Option<String>,
    ) -> Result<Vec<StoredPermission>, AppError> {
        use crate::authz::catalog::PermissionConditions;
        use crate::authz::check_delegation;
        let mut chosen = Vec::new();
        for p in permissions.unwrap_or_default() {
            let permission: Permission = p.parse().map_err(|_| {
                AppError::validation("permissions", "Choose among the listed permissions.")
            })?;
            chosen.push(permission);
        }
        if chosen.is_empty() {
            return Err(AppError::validation(
                "permissions",
                "Choose at least one permission.",
            ));
        }
        let attributes: Vec<String> = profile_attributes
            .unwrap_or_default()
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect();
        let conditions = if attributes.is_empty() {
            None
        } else {
            if !chosen.contains(&Permission::UsersUserprofileManage) {
                return Err(AppError::validation(
                    "profileAttributes",
                    "Attribute limits apply to okta.users.userprofile.manage; choose it too.",
                ));
            }
            let c = PermissionConditions::include(attributes)
                .map_err(|e| AppError::validation("profileAttributes", e.to_string()))?;
            Some(serde_json::to_string(&c).map_err(|_| {
                AppError::validation("profileAttributes", "Not a valid attribute list.")
            })?)
        };
        // Nobody makes a role holding more than it holds itself (org-wide).
        let everything = [
            orn::Resource::AllUsers,
            orn::Resource::AllGroups,
            orn::Resource::AllApps,
            orn::Resource::AllRealms,
            orn::Resource::AllIdentityProviders,
            orn::Resource::AllIam,
        ];
        check_delegation(principal, &chosen, &everything)?;
        Ok(chosen
            .iter()
            .map(|p| StoredPermission {
                permission: p.as_str().to_string(),
                conditions: (*p == Permission::UsersUserprofileManage)
                    .then(|| conditions.clone())
                    .flatten(),
            })
            .collect())
    }

    /// The one user (by username) or group a binding or role form names,
    /// with its display name; a field error otherwise.
    pub async fn named_member(
        store: &crate::store::Store,
        principal: &Principal,
        login: Option<String>,
        group_id: Option<String>,
    ) -> Result<(crate::store::admin::Member, String), AppError> {
        use crate::store::admin::Member;
        match (
            login.filter(|l| !l.trim().is_empty()),
            group_id.filter(|g| !g.trim().is_empty()),
        ) {
            (Some(login), None) => {
                let id =
                    super::super::users::user_named(store, principal, None, Some(login.clone()))
                        .await
                        .map_err(|_| {
                            AppError::validation("login", format!("There is no user {login}."))
                        })?;
                Ok((Member::User(id), login))
            }
            (None, Some(group)) => {
                let choose = || AppError::validation("groupId", "Choose a group.");
                let id = crate::ids::GroupId::parse(group.trim()).map_err(|_| choose())?;
                let group = store
                    .get_group(&scope(principal, Permission::GroupsRead), &id)
                    .await
                    .map_err(|_| choose())?;
                Ok((Member::Group(group.id), group.name))
            }
            _ => Err(AppError::validation(
                "login",
                "Name one user (username) or choose one group.",
            )),
        }
    }

    /// A member as a list's hidden fields name it (USER | GROUP, id).
    pub fn listed_member(
        member_type: &str,
        member_id: &str,
    ) -> Result<crate::store::admin::Member, AppError> {
        use crate::store::admin::Member;
        let id = member_id.trim();
        match member_type {
            "USER" => Ok(Member::User(
                crate::ids::UserId::parse(id).map_err(|_| AppError::NotFound)?,
            )),
            "GROUP" => Ok(Member::Group(
                crate::ids::GroupId::parse(id).map_err(|_| AppError::NotFound)?,
            )),
            _ => Err(AppError::NotFound),
        }
    }

    /// The canonical ORNs a resource set form names: picked realms (the realm
    /// and its users), groups (the group and its members), apps, typed lines.
    pub async fn resources(
        store: &crate::store::Store,
        org: &crate::authz::OrgContext,
        principal: &Principal,
        realms: Option<Vec<String>>,
        groups: Option<Vec<String>>,
        apps: Option<Vec<String>>,
        orns: Option<String>,
    ) -> Result<Vec<String>, AppError> {
        let mut out: Vec<String> = Vec::new();
        let visible_realms = store
            .list_realms(&scope(principal, Permission::RealmsRead))
            .await?;
        for raw in realms.unwrap_or_default() {
            let realm = visible_realms
                .iter()
                .find(|r| r.id.as_str() == raw.trim())
                .ok_or_else(|| AppError::validation("realms", "Choose among the listed realms."))?;
            out.push(org.orn_realm(&realm.id));
            out.push(org.orn_realm_users(&realm.id));
        }
        let visible_groups = store
            .list_groups(&scope(principal, Permission::GroupsRead))
            .await?;
        for raw in groups.unwrap_or_default() {
            let group = visible_groups
                .iter()
                .find(|g| g.id.as_str() == raw.trim())
                .ok_or_else(|| AppError::validation("groups", "Choose among the listed groups."))?;
            out.push(org.orn_group(&group.id));
            out.push(org.orn_group_users(&group.id));
        }
        let visible_apps = store
            .list_apps(&scope(principal, Permission::AppsRead))
            .await?;
        for raw in apps.unwrap_or_default() {
            let app = visible_apps
                .iter()
                .find(|a| a.id.as_str() == raw.trim())
                .ok_or_else(|| AppError::validation("apps", "Choose among the listed apps."))?;
            out.push(org.orn_app(&app.name, &app.id));
        }
        for (i, line) in orns
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            let resource = orn::parse_resource(line, &org.orn)
                .map_err(|e| AppError::validation("orns", format!("Line {}: {e}", i + 1)))?;
            let canonical = resource.to_orn(&org.orn).ok_or_else(|| {
                AppError::validation(
                    "orns",
                    format!("Line {}: name the app by its ORN (with its type).", i + 1),
                )
            })?;
            out.push(canonical);
        }
        out.dedup();
        Ok(out)
    }
}

#[server(endpoint = "admin/iam")]
pub async fn admin_iam() -> Result<IamView, AppError> {
    use crate::authz::catalog::Category;
    use crate::authz::{orn, scope, Permission};
    use crate::model::StandardRole;
    let (store, org, principal) = super::caller().await?;
    spine::read(&principal)?;
    let describe = |o: &str| match orn::parse_resource(o, &org.orn) {
        Ok(r) => (r.to_string(), o.to_string()),
        Err(_) => ("(no longer valid)".to_string(), o.to_string()),
    };
    let roles = store
        .list_roles()
        .await?
        .into_iter()
        .map(|r| RoleView {
            id: r.id.to_string(),
            label: r.label,
            description: r.description,
            values: r.permissions.iter().map(|p| p.permission.clone()).collect(),
            profile_attributes: r
                .permissions
                .iter()
                .filter_map(|p| p.conditions.as_deref())
                .filter_map(|c| {
                    serde_json::from_str::<crate::authz::catalog::PermissionConditions>(c).ok()
                })
                .filter_map(|c| c.included().map(|a| a.join(", ")))
                .next()
                .unwrap_or_default(),
            permissions: r
                .permissions
                .into_iter()
                .map(|p| match p.conditions {
                    Some(c) => format!("{} {c}", p.permission),
                    None => p.permission,
                })
                .collect(),
        })
        .collect();
    let resource_sets = store
        .list_resource_sets()
        .await?
        .into_iter()
        .map(|s| SetView {
            id: s.id.to_string(),
            label: s.label,
            description: s.description,
            resources: s.orns.iter().map(|o| describe(o)).collect(),
        })
        .collect();
    let bindings = store
        .list_bindings()
        .await?
        .into_iter()
        .map(|b| BindingView {
            resource_set_id: b.resource_set_id.to_string(),
            resource_set: b.resource_set_label,
            role_id: b.role_id.to_string(),
            role: b.role_label,
            members: b
                .members
                .into_iter()
                .map(|(m, name)| match m {
                    crate::store::admin::Member::User(id) => ("USER".into(), id.to_string(), name),
                    crate::store::admin::Member::Group(id) => {
                        ("GROUP".into(), id.to_string(), name)
                    }
                })
                .collect(),
        })
        .collect();
    let catalog = Category::ALL
        .iter()
        .map(|c| {
            (
                c.label().to_string(),
                c.permissions()
                    .map(|p: Permission| PermissionChoice {
                        value: p.as_str().to_string(),
                        label: p.label().to_string(),
                        explanation: p.explanation().to_string(),
                    })
                    .collect(),
            )
        })
        .collect();
    let pairs = |v: Vec<(String, String)>| v;
    Ok(IamView {
        standard: [
            StandardRole::SuperAdmin,
            StandardRole::OrgAdmin,
            StandardRole::ReadOnlyAdmin,
        ]
        .iter()
        .map(|r| (r.as_str().to_string(), r.permissions().len()))
        .collect(),
        roles,
        resource_sets,
        bindings,
        catalog,
        realms: pairs(
            store
                .list_realms(&scope(&principal, Permission::RealmsRead))
                .await?
                .into_iter()
                .map(|r| (r.id.to_string(), r.name))
                .collect(),
        ),
        groups: store
            .list_groups(&scope(&principal, Permission::GroupsRead))
            .await?
            .into_iter()
            .map(|g| (g.id.to_string(), g.name))
            .collect(),
        apps: store
            .list_apps(&scope(&principal, Permission::AppsRead))
            .await?
            .into_iter()
            .map(|a| (a.id.to_string(), a.label))
            .collect(),
    })
}

/// Creates a custom role. `profile_attributes` (comma-separated) limits
/// `okta.users.userprofile.manage` to those attributes (Okta's conditions).
#[server(endpoint = "admin/roles/create")]
pub async fn create_role(
    label: String,
    description: String,
    permissions: Option<Vec<String>>,
    profile_attributes: Option<String>,
) -> Result<String, AppError> {
    let kept = [
        ("label", label.clone()),
        ("description", description.clone()),
        (
            "profile_attributes",
            profile_attributes.clone().unwrap_or_default(),
        ),
    ];
    let result: Result<String, AppError> = async {
        let (store, _, principal) = super::caller().await?;
        let grant = spine::manage(&principal)?;
        let stored = form::role_permissions(&principal, permissions, profile_attributes)?;
        store
            .create_role(&grant, &label, &description, &stored)
            .await?;
        Ok(format!("Created role {}.", label.trim()))
    }
    .await;
    result.map_err(|e| e.keeping(kept))
}

/// Creates a resource set from picked realms (the realm and its users),
/// groups, apps and typed ORNs or REST URLs (one per line).
#[server(endpoint = "admin/resource-sets/create")]
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
    let result: Result<String, AppError> = async {
        let (store, org, principal) = super::caller().await?;
        let grant = spine::manage(&principal)?;
        let out = form::resources(&store, &org, &principal, realms, groups, apps, orns).await?;
        if out.is_empty() {
            return Err(AppError::validation(
                "resources",
                "Add at least one resource: a realm, a group, an app or an ORN.",
            ));
        }
        store
            .create_resource_set(&grant, &label, &description, &out)
            .await?;
        Ok(format!("Created resource set {}.", label.trim()))
    }
    .await;
    result.map_err(|e| e.keeping(kept))
}

/// Binds a role on a resource set to a user (by username) or a group. The
/// caller must hold every permission of the role over every resource.
#[server(endpoint = "admin/bindings/add")]
pub async fn add_binding(
    resource_set_id: String,
    role_id: String,
    login: Option<String>,
    group_id: Option<String>,
) -> Result<String, AppError> {
    use crate::authz::{check_delegation, orn, Permission};
    let (store, org, principal) = super::caller().await?;
    let grant = spine::manage(&principal)?;
    let rs = crate::ids::ResourceSetId::parse(resource_set_id.trim())
        .map_err(|_| AppError::validation("resourceSetId", "Choose a resource set."))?;
    let role = crate::ids::RoleId::parse(role_id.trim())
        .map_err(|_| AppError::validation("roleId", "Choose a role."))?;
    let (member, _) = form::named_member(&store, &principal, login, group_id).await?;
    let permissions: Vec<Permission> = store
        .role_permissions(&role)
        .await?
        .iter()
        .filter_map(|p| p.permission.parse().ok())
        .collect();
    if permissions.is_empty() {
        return Err(AppError::validation("roleId", "Choose a role."));
    }
    let resources: Vec<orn::Resource> = store
        .resource_set_orns(&rs)
        .await?
        .iter()
        .filter_map(|o| orn::parse_resource(o, &org.orn).ok())
        .collect();
    check_delegation(&principal, &permissions, &resources)?;
    store
        .add_binding_members(&grant, &rs, &role, &[member])
        .await?;
    Ok("Binding saved.".into())
}

/// Removes a user or group from a binding.
#[server(endpoint = "admin/bindings/remove")]
pub async fn remove_binding(
    resource_set_id: String,
    role_id: String,
    member_type: String,
    member_id: String,
) -> Result<String, AppError> {
    let (store, _, principal) = super::caller().await?;
    let grant = spine::manage(&principal)?;
    let rs =
        crate::ids::ResourceSetId::parse(resource_set_id.trim()).map_err(|_| AppError::NotFound)?;
    let role = crate::ids::RoleId::parse(role_id.trim()).map_err(|_| AppError::NotFound)?;
    let member = form::listed_member(&member_type, &member_id)?;
    store
        .remove_binding_member(&grant, &rs, &role, &member)
        .await?;
    Ok("Removed from the binding.".into())
}

/// Changes a custom role's label, description and permissions (whoever holds
/// it has the new rights on their next request).
#[server(endpoint = "admin/roles/update")]
pub async fn update_role(
    id: String,
    label: String,
    description: String,
    permissions: Option<Vec<String>>,
    profile_attributes: Option<String>,
) -> Result<String, AppError> {
    let (store, _, principal) = super::caller().await?;
    let grant = spine::manage(&principal)?;
    let id = crate::ids::RoleId::parse(id.trim()).map_err(|_| AppError::NotFound)?;
    let stored = form::role_permissions(&principal, permissions, profile_attributes)?;
    store
        .update_role(&grant, &id, &label, &description, &stored)
        .await?;
    Ok(format!("Saved role {}.", label.trim()))
}

/// Adds resources to a resource set (picked or typed) or removes one
/// (`remove`: its ORN). Every role bound on the set must stay within what the
/// caller holds over the new resources.
#[server(endpoint = "admin/resource-sets/change")]
pub async fn change_resource_set(
    id: String,
    realms: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    apps: Option<Vec<String>>,
    orns: Option<String>,
    remove: Option<String>,
) -> Result<String, AppError> {
    use crate::authz::{check_delegation, orn, Permission};
    let (store, org, principal) = super::caller().await?;
    let grant = spine::manage(&principal)?;
    let rs = crate::ids::ResourceSetId::parse(id.trim()).map_err(|_| AppError::NotFound)?;
    let add = form::resources(&store, &org, &principal, realms, groups, apps, orns).await?;
    let remove: Vec<String> = remove.filter(|r| !r.is_empty()).into_iter().collect();
    if add.is_empty() && remove.is_empty() {
        return Err(AppError::validation(
            "resources",
            "Add at least one resource: a realm, a group, an app or an ORN.",
        ));
    }
    let added: Vec<orn::Resource> = add
        .iter()
        .filter_map(|o| orn::parse_resource(o, &org.orn).ok())
        .collect();
    for role in store.roles_bound_on(&rs).await? {
        let permissions: Vec<Permission> = store
            .role_permissions(&role)
            .await?
            .iter()
            .filter_map(|p| p.permission.parse().ok())
            .collect();
        check_delegation(&principal, &permissions, &added)?;
    }
    store.change_resources(&grant, &rs, &add, &remove).await?;
    Ok(if remove.is_empty() {
        "Resources added.".to_string()
    } else {
        "Resource removed.".to_string()
    })
}

/// Deletes a custom role nobody holds (`iam.role.delete`).
#[server(endpoint = "admin/roles/delete")]
pub async fn delete_role(id: String) -> Result<String, AppError> {
    let (store, _, principal) = super::caller().await?;
    let grant = spine::manage(&principal)?;
    let id = crate::ids::RoleId::parse(id.trim()).map_err(|_| AppError::NotFound)?;
    let label = store.delete_role(&grant, &id).await?;
    Ok(format!("Deleted role {label}."))
}

/// Deletes a resource set no binding member holds rights over.
#[server(endpoint = "admin/resource-sets/delete")]
pub async fn delete_resource_set(id: String) -> Result<String, AppError> {
    let (store, _, principal) = super::caller().await?;
    let grant = spine::manage(&principal)?;
    let id = crate::ids::ResourceSetId::parse(id.trim()).map_err(|_| AppError::NotFound)?;
    let label = store.delete_resource_set(&grant, &id).await?;
    Ok(format!("Deleted resource set {label}."))
}

/// A standard role assignment as listed: (role, USER | GROUP, id, name).
pub type StandardAssignment = (String, String, String, String);

/// Who holds the standard roles.
#[server(endpoint = "admin/standard-roles")]
pub async fn standard_assignments() -> Result<Vec<StandardAssignment>, AppError> {
    use crate::store::admin::Member;
    let (store, _, principal) = super::caller().await?;
    spine::read(&principal)?;
    Ok(store
        .list_standard_assignments()
        .await?
        .into_iter()
        .map(|(role, member, name)| match member {
            Member::User(id) => (role.as_str().into(), "USER".into(), id.to_string(), name),
            Member::Group(id) => (role.as_str().into(), "GROUP".into(), id.to_string(), name),
        })
        .collect())
}

/// Grants a standard role to a user (by username) or a group: SUPER_ADMIN
/// only by a super admin, the others by whoever holds all their permissions.
#[server(endpoint = "admin/standard-roles/grant")]
pub async fn grant_standard_role(
    role: String,
    login: Option<String>,
    group_id: Option<String>,
) -> Result<String, AppError> {
    let kept = [
        ("role", role.clone()),
        ("login", login.clone().unwrap_or_default()),
    ];
    let result: Result<String, AppError> = async {
        use crate::authz::check_standard_role_change;
        let (store, _, principal) = super::caller().await?;
        let grant = spine::manage(&principal)?;
        let role = crate::model::StandardRole::parse(role.trim())
            .ok_or_else(|| AppError::validation("role", "Choose a standard role."))?;
        check_standard_role_change(&principal, role)?;
        let (member, name) = form::named_member(&store, &principal, login, group_id).await?;
        store.assign_standard_role(&grant, &member, role).await?;
        Ok(format!("{name} holds {}.", role.as_str()))
    }
    .await;
    result.map_err(|e| e.keeping(kept))
}

/// Takes a standard role back (never the last super admin's).
#[server(endpoint = "admin/standard-roles/revoke")]
pub async fn revoke_standard_role(
    role: String,
    member_type: String,
    member_id: String,
) -> Result<String, AppError> {
    use crate::authz::check_standard_role_change;
    let (store, _, principal) = super::caller().await?;
    let grant = spine::manage(&principal)?;
    let role = crate::model::StandardRole::parse(role.trim()).ok_or(AppError::NotFound)?;
    check_standard_role_change(&principal, role)?;
    let member = form::listed_member(&member_type, &member_id)?;
    store.revoke_standard_role(&grant, &member, role).await?;
    Ok(format!("{} taken back.", role.as_str()))
}

//! The delegated admin model (`/admin/roles`): standard and custom roles
//! (the permission catalog, attribute conditions on profile edits), resource
//! sets (realms, groups, apps picked, or ORNs typed and validated) and
//! bindings (users and groups). Viewing needs `okta.iam.read` over the org;
//! changing needs an org admin role (`authz::check_iam_change`), and nobody binds
//! more than it holds (`authz::check_delegation`).

use crate::authz::catalog::Category;
use crate::authz::{
    check_delegation, check_iam_change, check_standard_role_change, orn, scope, Grant, Permission,
    Principal,
};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::ids::{ResourceSetId, RoleId};
use crate::model::{RoleTarget, StandardRole, TargetKind};
pub use crate::store::admin::Member;
use crate::store::admin::StoredPermission;
use crate::views::roles::{
    BindingView, IamView, PermissionChoice, RoleView, SetView, StandardAssignment, StandardRoleView,
};

use super::access::org_level;

/// A role form: label, description, the permissions chosen and the profile
/// attributes `okta.users.userprofile.manage` is limited to (comma-separated).
#[derive(Debug, Clone, Default)]
pub struct RoleForm {
    pub label: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub profile_attributes: String,
}

/// What a resource set form picks: realms (the realm and its users), groups
/// (the group and its members), apps, and typed ORNs or REST URLs (one per
/// line).
#[derive(Debug, Clone, Default)]
pub struct ResourcePicks {
    pub realms: Vec<String>,
    pub groups: Vec<String>,
    pub apps: Vec<String>,
    pub orns: String,
}

/// The admin model page: standard roles, custom roles, resource sets (each
/// resource described), bindings, the permission catalog and what a
/// resource set may pick.
pub async fn view(cx: &Ctx) -> Result<IamView, AppError> {
    let (store, org, principal) = (&cx.store, &cx.org, &cx.principal);
    let read = org_level(principal, Permission::IamRead)?;
    let describe = |o: &str| match orn::parse_resource(o, &org.orn) {
        Ok(r) => (r.to_string(), o.to_string()),
        Err(_) => ("(no longer valid)".to_string(), o.to_string()),
    };
    let roles = store
        .list_roles(&read)
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
        .list_resource_sets(&read)
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
        .list_bindings(&read)
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
                    Member::User(id) => ("USER".into(), id.to_string(), name),
                    Member::Group(id) => ("GROUP".into(), id.to_string(), name),
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
        standard: StandardRole::ALL
            .iter()
            .map(|r| StandardRoleView {
                role: r.as_str().to_string(),
                label: r.label().to_string(),
                permissions: r.permissions().len(),
                targets: match r.target_kind() {
                    Some(TargetKind::Groups) => "groups".into(),
                    Some(TargetKind::Apps) => "apps".into(),
                    None => String::new(),
                },
                note: standard_role_note(*r).into(),
            })
            .collect(),
        roles,
        resource_sets,
        bindings,
        catalog,
        realms: pairs(
            store
                .list_realms(&scope(principal, Permission::RealmsRead))
                .await?
                .into_iter()
                .map(|r| (r.id.to_string(), r.name))
                .collect(),
        ),
        groups: store
            .list_groups(&scope(principal, Permission::GroupsRead))
            .await?
            .into_iter()
            .map(|g| (g.id.to_string(), g.name))
            .collect(),
        apps: store
            .list_apps(&scope(principal, Permission::AppsRead))
            .await?
            .into_iter()
            .map(|a| (a.id.to_string(), a.label))
            .collect(),
    })
}

/// Creates a custom role.
pub async fn create_role(cx: &Ctx, form: RoleForm) -> Result<String, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let stored = role_permissions(&cx.principal, &form.permissions, &form.profile_attributes)?;
    cx.store
        .create_role(&grant, &form.label, &form.description, &stored)
        .await?;
    Ok(format!("Created role {}.", form.label.trim()))
}

/// Changes a custom role's label, description and permissions (whoever holds
/// it has the new rights on their next request).
pub async fn update_role(cx: &Ctx, id: &RoleId, form: RoleForm) -> Result<String, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let stored = role_permissions(&cx.principal, &form.permissions, &form.profile_attributes)?;
    cx.store
        .update_role(&grant, id, &form.label, &form.description, &stored)
        .await?;
    Ok(format!("Saved role {}.", form.label.trim()))
}

/// Deletes a custom role nobody holds.
pub async fn delete_role(cx: &Ctx, id: &RoleId) -> Result<String, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let label = cx.store.delete_role(&grant, id).await?;
    Ok(format!("Deleted role {label}."))
}

/// Creates a resource set from what the form picks.
pub async fn create_resource_set(
    cx: &Ctx,
    label: &str,
    description: &str,
    picked: ResourcePicks,
) -> Result<String, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let out = resources(cx, picked).await?;
    if out.is_empty() {
        return Err(AppError::validation(
            "resources",
            "Add at least one resource: a realm, a group, an app or an ORN.",
        ));
    }
    cx.store
        .create_resource_set(&grant, label, description, &out)
        .await?;
    Ok(format!("Created resource set {}.", label.trim()))
}

/// The permissions of a role, as the kernel knows them.
async fn permissions_of(
    cx: &Ctx,
    grant: &Grant,
    role: &RoleId,
) -> Result<Vec<Permission>, AppError> {
    Ok(cx
        .store
        .role_permissions(grant, role)
        .await?
        .iter()
        .filter_map(|p| p.permission.parse().ok())
        .collect())
}

/// Adds resources to a resource set or removes one (`remove`: its ORN).
/// Every role bound on the set must stay within what the caller holds over
/// the new resources.
pub async fn change_resource_set(
    cx: &Ctx,
    id: &ResourceSetId,
    add: ResourcePicks,
    remove: Option<String>,
) -> Result<String, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let add = resources(cx, add).await?;
    let remove: Vec<String> = remove.filter(|r| !r.is_empty()).into_iter().collect();
    if add.is_empty() && remove.is_empty() {
        return Err(AppError::validation(
            "resources",
            "Add at least one resource: a realm, a group, an app or an ORN.",
        ));
    }
    let added: Vec<orn::Resource> = add
        .iter()
        .filter_map(|o| orn::parse_resource(o, &cx.org.orn).ok())
        .collect();
    for role in cx.store.roles_bound_on(&grant, id).await? {
        check_delegation(
            &cx.principal,
            &permissions_of(cx, &grant, &role).await?,
            &added,
        )?;
    }
    cx.store.change_resources(&grant, id, &add, &remove).await?;
    Ok(if remove.is_empty() {
        "Resources added.".to_string()
    } else {
        "Resource removed.".to_string()
    })
}

/// Deletes a resource set no binding member holds rights over.
pub async fn delete_resource_set(cx: &Ctx, id: &ResourceSetId) -> Result<String, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let label = cx.store.delete_resource_set(&grant, id).await?;
    Ok(format!("Deleted resource set {label}."))
}

/// Binds a role on a resource set to a user (by username) or a group. The
/// caller must hold every permission of the role over every resource.
/// `resource_set` and `role` are `None` when none (or no valid one) was chosen.
pub async fn add_binding(
    cx: &Ctx,
    resource_set: Option<&ResourceSetId>,
    role: Option<&RoleId>,
    login: Option<String>,
    group_id: Option<String>,
) -> Result<String, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let resource_set = resource_set
        .ok_or_else(|| AppError::validation("resourceSetId", "Choose a resource set."))?;
    let role = role.ok_or_else(|| AppError::validation("roleId", "Choose a role."))?;
    let (member, _) = named_member(cx, login, group_id).await?;
    let permissions = permissions_of(cx, &grant, role).await?;
    if permissions.is_empty() {
        return Err(AppError::validation("roleId", "Choose a role."));
    }
    let resources: Vec<orn::Resource> = cx
        .store
        .resource_set_orns(&grant, resource_set)
        .await?
        .iter()
        .filter_map(|o| orn::parse_resource(o, &cx.org.orn).ok())
        .collect();
    check_delegation(&cx.principal, &permissions, &resources)?;
    cx.store
        .add_binding_members(&grant, resource_set, role, &[member])
        .await?;
    Ok("Binding saved.".into())
}

/// Removes a user or group from a binding.
pub async fn remove_binding(
    cx: &Ctx,
    resource_set: &ResourceSetId,
    role: &RoleId,
    member: &Member,
) -> Result<String, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    cx.store
        .remove_binding_member(&grant, resource_set, role, member)
        .await?;
    Ok("Removed from the binding.".into())
}

/// Who holds the standard roles, with their targets.
pub async fn standard_assignments(cx: &Ctx) -> Result<Vec<StandardAssignment>, AppError> {
    let read = org_level(&cx.principal, Permission::IamRead)?;
    Ok(cx
        .store
        .list_standard_assignments(&read)
        .await?
        .into_iter()
        .map(|a| {
            let (member_type, member_id) = match a.member {
                Member::User(id) => ("USER".to_string(), id.to_string()),
                Member::Group(id) => ("GROUP".to_string(), id.to_string()),
            };
            StandardAssignment {
                role: a.role.as_str().into(),
                member_type,
                member_id,
                name: a.name,
                targets: a
                    .targets
                    .into_iter()
                    .map(|(t, name)| match t {
                        RoleTarget::Group(_) => format!("group {name}"),
                        RoleTarget::App(_) => format!("app {name}"),
                    })
                    .collect(),
            }
        })
        .collect())
}

/// The groups and apps a standard role form picks as targets (ids), each
/// one the caller can see; none: org-wide.
#[derive(Debug, Clone, Default)]
pub struct TargetPicks {
    pub groups: Vec<String>,
    pub apps: Vec<String>,
}

/// Grants a standard role to a user (by username) or a group, org-wide or
/// narrowed to the picked targets: SUPER_ADMIN only by a super admin, the
/// others by whoever holds all their permissions over what the role would
/// reach (`check_standard_role_change`); a role takes only targets of its
/// kind.
pub async fn grant_standard_role(
    cx: &Ctx,
    role: Option<StandardRole>,
    login: Option<String>,
    group_id: Option<String>,
    picks: TargetPicks,
) -> Result<String, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let role = role.ok_or_else(|| AppError::validation("role", "Choose a standard role."))?;
    let targets = role_targets(cx, picks).await?;
    check_standard_role_change(&cx.principal, role, &targets)?;
    let (member, name) = named_member(cx, login, group_id).await?;
    cx.store
        .assign_standard_role_for(&grant, &member, role, &targets)
        .await?;
    Ok(match targets.len() {
        0 => format!("{name} holds {}.", role.as_str()),
        1 => format!("{name} holds {} for 1 target.", role.as_str()),
        n => format!("{name} holds {} for {n} targets.", role.as_str()),
    })
}

/// Takes a standard role back (never the last super admin's): the caller
/// must hold what the assignment grants over its targets.
pub async fn revoke_standard_role(
    cx: &Ctx,
    role: StandardRole,
    member: &Member,
) -> Result<String, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let targets = cx.store.standard_role_targets(&grant, member, role).await?;
    check_standard_role_change(&cx.principal, role, &targets)?;
    cx.store.revoke_standard_role(&grant, member, role).await?;
    Ok(format!("{} taken back.", role.as_str()))
}

/// The targets a form picks, each among those the caller sees (groups under
/// `okta.groups.read`, apps under `okta.apps.read`); a field error otherwise.
async fn role_targets(cx: &Ctx, picks: TargetPicks) -> Result<Vec<RoleTarget>, AppError> {
    let (store, principal) = (&cx.store, &cx.principal);
    let mut targets = Vec::new();
    if !picks.groups.is_empty() {
        let visible = store
            .list_groups(&scope(principal, Permission::GroupsRead))
            .await?;
        for g in chosen(&visible, &picks.groups, |g| g.id.as_str(), "targets")? {
            targets.push(RoleTarget::Group(g.id.clone()));
        }
    }
    if !picks.apps.is_empty() {
        let visible = store
            .list_apps(&scope(principal, Permission::AppsRead))
            .await?;
        for a in chosen(&visible, &picks.apps, |a| a.id.as_str(), "targets")? {
            targets.push(RoleTarget::App(a.id.clone()));
        }
    }
    targets.sort();
    targets.dedup();
    Ok(targets)
}

/// A role form's permissions (with the profile attribute limit), checked:
/// known, at least one, and none the caller does not hold org-wide.
fn role_permissions(
    principal: &Principal,
    permissions: &[String],
    profile_attributes: &str,
) -> Result<Vec<StoredPermission>, AppError> {
    use crate::authz::catalog::PermissionConditions;
    use crate::authz::check_delegation;
    let mut chosen = Vec::new();
    for p in permissions {
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
    check_delegation(principal, &chosen, &orn::Resource::EVERYTHING)?;
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
async fn named_member(
    cx: &Ctx,
    login: Option<String>,
    group_id: Option<String>,
) -> Result<(Member, String), AppError> {
    let (store, principal) = (&cx.store, &cx.principal);
    match (
        login.filter(|l| !l.trim().is_empty()),
        group_id.filter(|g| !g.trim().is_empty()),
    ) {
        (Some(login), None) => {
            let user = super::users::find_by_login(cx, &login)
                .await?
                .ok_or_else(|| {
                    AppError::validation("login", format!("There is no user {login}."))
                })?;
            Ok((Member::User(user.id), login))
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

/// The canonical ORNs a resource set form names: picked realms (the realm
/// and its users), groups (the group and its members), apps, typed lines.
async fn resources(cx: &Ctx, picked: ResourcePicks) -> Result<Vec<String>, AppError> {
    let (store, org, principal) = (&cx.store, &cx.org, &cx.principal);
    let ResourcePicks {
        realms,
        groups,
        apps,
        orns,
    } = picked;
    let mut out: Vec<String> = Vec::new();
    let visible = store
        .list_realms(&scope(principal, Permission::RealmsRead))
        .await?;
    for realm in chosen(&visible, &realms, |r| r.id.as_str(), "realms")? {
        out.push(org.orn_realm(&realm.id));
        out.push(org.orn_realm_users(&realm.id));
    }
    let visible = store
        .list_groups(&scope(principal, Permission::GroupsRead))
        .await?;
    for group in chosen(&visible, &groups, |g| g.id.as_str(), "groups")? {
        out.push(org.orn_group(&group.id));
        out.push(org.orn_group_users(&group.id));
    }
    let visible = store
        .list_apps(&scope(principal, Permission::AppsRead))
        .await?;
    for app in chosen(&visible, &apps, |a| a.id.as_str(), "apps")? {
        out.push(org.orn_app(&app.name, &app.id));
    }
    for (i, line) in orns
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

/// Of `visible`, those the form's `field` picks by id, in the form's order;
/// one not among them is a field error.
fn chosen<'a, T>(
    visible: &'a [T],
    picked: &[String],
    id: impl Fn(&T) -> &str,
    field: &str,
) -> Result<Vec<&'a T>, AppError> {
    picked
        .iter()
        .map(|raw| {
            visible.iter().find(|v| id(v) == raw.trim()).ok_or_else(|| {
                AppError::validation(field, format!("Choose among the listed {field}."))
            })
        })
        .collect()
}

/// What the console says of a standard role beside its permission count.
fn standard_role_note(role: StandardRole) -> &'static str {
    match role {
        StandardRole::SuperAdmin => "every permission; only a super admin grants it",
        StandardRole::OrgAdmin => "every permission; grants every other role but the super admin's",
        StandardRole::AppAdmin => {
            "manages apps and their assignments; views and assigns to every user and group"
        }
        StandardRole::UserAdmin => {
            "creates and manages users, their lifecycle, credentials and group membership"
        }
        StandardRole::HelpDeskAdmin => {
            "views users; resets passwords and authenticators, unlocks, clears sessions"
        }
        StandardRole::GroupMembershipAdmin => "views every user; manages groups' members",
        StandardRole::ReadOnlyAdmin => "every read permission",
        StandardRole::ReportAdmin => "reads the whole System Log",
        StandardRole::ApiAccessManagementAdmin | StandardRole::MobileAdmin => {
            "grants nothing in this portal yet (no authorization servers or devices); assignable and stored"
        }
    }
}

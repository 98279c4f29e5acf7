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

// The Management API's admin model (`/api/v1/iam/*`, role assignments of
// users and groups): the domain records with their ids and timestamps,
// roles and resource sets named by id or label, members and resources by
// id, REST URL or ORN. Every change goes through the same kernel checks as
// the console's.

pub use crate::store::admin::{
    AssignedRole, IamObject, RoleAssignmentRecord, StampedMember, StampedPermission,
    StampedResource,
};

/// The custom role named by `raw` (its id or its label, any case).
async fn find_role(cx: &Ctx, read: &Grant, raw: &str) -> Result<IamObject<RoleId>, AppError> {
    let raw = raw.trim();
    cx.store
        .iam_roles(read)
        .await?
        .into_iter()
        .find(|r| r.id.as_str() == raw || r.label.eq_ignore_ascii_case(raw))
        .ok_or(AppError::NotFound)
}

/// The resource set named by `raw` (its id or its label, any case).
async fn find_resource_set(
    cx: &Ctx,
    read: &Grant,
    raw: &str,
) -> Result<IamObject<ResourceSetId>, AppError> {
    let raw = raw.trim();
    cx.store
        .iam_resource_sets(read)
        .await?
        .into_iter()
        .find(|r| r.id.as_str() == raw || r.label.eq_ignore_ascii_case(raw))
        .ok_or(AppError::NotFound)
}

/// Every custom role.
pub async fn role_records(cx: &Ctx) -> Result<Vec<IamObject<RoleId>>, AppError> {
    let read = org_level(&cx.principal, Permission::IamRead)?;
    Ok(cx.store.iam_roles(&read).await?)
}

/// One custom role, by id or label.
pub async fn role_record(cx: &Ctx, raw: &str) -> Result<IamObject<RoleId>, AppError> {
    let read = org_level(&cx.principal, Permission::IamRead)?;
    find_role(cx, &read, raw).await
}

/// Permission strings as the catalog reads them; an unknown one is a field
/// error that says why (and which permission was probably meant).
fn parsed_permissions(field: &str, raw: &[String]) -> Result<Vec<Permission>, AppError> {
    raw.iter()
        .map(|p| {
            p.parse::<Permission>()
                .map_err(|e| AppError::validation(field, e.to_string()))
        })
        .collect()
}

/// Creates a custom role with `permissions` (Okta's strings).
pub async fn create_role_record(
    cx: &Ctx,
    label: &str,
    description: &str,
    permissions: &[String],
) -> Result<IamObject<RoleId>, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    parsed_permissions("permissions", permissions)?;
    let stored = role_permissions(&cx.principal, permissions, "")?;
    let id = cx
        .store
        .create_role(&grant, label, description, &stored)
        .await?;
    find_role(cx, &grant, id.as_str()).await
}

/// Replaces a custom role's label and description; its permissions stay.
pub async fn replace_role(
    cx: &Ctx,
    raw: &str,
    label: &str,
    description: &str,
) -> Result<IamObject<RoleId>, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let role = find_role(cx, &grant, raw).await?;
    let held = cx.store.role_permissions(&grant, &role.id).await?;
    cx.store
        .update_role(&grant, &role.id, label, description, &held)
        .await?;
    find_role(cx, &grant, role.id.as_str()).await
}

/// Deletes a custom role nobody holds, by id or label.
pub async fn delete_role_record(cx: &Ctx, raw: &str) -> Result<(), AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let role = find_role(cx, &grant, raw).await?;
    cx.store.delete_role(&grant, &role.id).await?;
    Ok(())
}

/// A custom role's permissions with their timestamps.
pub async fn permission_records(
    cx: &Ctx,
    raw_role: &str,
) -> Result<(IamObject<RoleId>, Vec<StampedPermission>), AppError> {
    let read = org_level(&cx.principal, Permission::IamRead)?;
    let role = find_role(cx, &read, raw_role).await?;
    let permissions = cx.store.stamped_permissions(&read, &role.id).await?;
    Ok((role, permissions))
}

/// Adds one permission to a custom role (none the caller does not hold
/// org-wide); adding a held one changes nothing.
pub async fn add_role_permission(
    cx: &Ctx,
    raw_role: &str,
    permission: &str,
) -> Result<(), AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let added = parsed_permissions("permissionType", &[permission.to_string()])?;
    check_delegation(&cx.principal, &added, &orn::Resource::EVERYTHING)?;
    let role = find_role(cx, &grant, raw_role).await?;
    let mut held = cx.store.role_permissions(&grant, &role.id).await?;
    let value = added
        .first()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    if held.iter().any(|p| p.permission == value) {
        return Ok(());
    }
    held.push(StoredPermission {
        permission: value,
        conditions: None,
    });
    cx.store
        .update_role(&grant, &role.id, &role.label, &role.description, &held)
        .await?;
    Ok(())
}

/// Removes one permission from a custom role (never its last one).
pub async fn remove_role_permission(
    cx: &Ctx,
    raw_role: &str,
    permission: &str,
) -> Result<(), AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let role = find_role(cx, &grant, raw_role).await?;
    let mut held = cx.store.role_permissions(&grant, &role.id).await?;
    let before = held.len();
    held.retain(|p| p.permission != permission);
    if held.len() == before {
        return Err(AppError::NotFound);
    }
    if held.is_empty() {
        return Err(AppError::validation(
            "permissionType",
            "A role keeps at least one permission; delete the role instead.",
        ));
    }
    cx.store
        .update_role(&grant, &role.id, &role.label, &role.description, &held)
        .await?;
    Ok(())
}

/// Every resource set.
pub async fn resource_set_records(cx: &Ctx) -> Result<Vec<IamObject<ResourceSetId>>, AppError> {
    let read = org_level(&cx.principal, Permission::IamRead)?;
    Ok(cx.store.iam_resource_sets(&read).await?)
}

/// One resource set, by id or label.
pub async fn resource_set_record(
    cx: &Ctx,
    raw: &str,
) -> Result<IamObject<ResourceSetId>, AppError> {
    let read = org_level(&cx.principal, Permission::IamRead)?;
    find_resource_set(cx, &read, raw).await
}

/// Resources given as ORNs or REST URLs, as canonical ORNs; one that does
/// not parse is an error of `field` naming it.
fn canonical_resources(cx: &Ctx, field: &str, raw: &[String]) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    for r in raw.iter().map(|r| r.trim()) {
        let resource = orn::parse_resource(r, &cx.org.orn)
            .map_err(|e| AppError::validation(field, format!("{r}: {e}")))?;
        let canonical = resource.to_orn(&cx.org.orn).ok_or_else(|| {
            AppError::validation(
                field,
                format!("{r}: name the app by its ORN (with its type)."),
            )
        })?;
        if !out.contains(&canonical) {
            out.push(canonical);
        }
    }
    Ok(out)
}

/// Creates a resource set of resources given as ORNs or REST URLs.
pub async fn create_resource_set_record(
    cx: &Ctx,
    label: &str,
    description: &str,
    resources: &[String],
) -> Result<IamObject<ResourceSetId>, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let orns = canonical_resources(cx, "resources", resources)?;
    if orns.is_empty() {
        return Err(AppError::validation(
            "resources",
            "Add at least one resource: an ORN or a REST URL.",
        ));
    }
    let id = cx
        .store
        .create_resource_set(&grant, label, description, &orns)
        .await?;
    find_resource_set(cx, &grant, id.as_str()).await
}

/// Replaces a resource set's label and description.
pub async fn replace_resource_set(
    cx: &Ctx,
    raw: &str,
    label: &str,
    description: &str,
) -> Result<IamObject<ResourceSetId>, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let set = find_resource_set(cx, &grant, raw).await?;
    cx.store
        .update_resource_set(&grant, &set.id, label, description)
        .await?;
    find_resource_set(cx, &grant, set.id.as_str()).await
}

/// Deletes a resource set no binding member holds rights over.
pub async fn delete_resource_set_record(cx: &Ctx, raw: &str) -> Result<(), AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let set = find_resource_set(cx, &grant, raw).await?;
    cx.store.delete_resource_set(&grant, &set.id).await?;
    Ok(())
}

/// A resource set's resources, with their ids.
pub async fn resource_records(
    cx: &Ctx,
    raw_set: &str,
) -> Result<(IamObject<ResourceSetId>, Vec<StampedResource>), AppError> {
    let read = org_level(&cx.principal, Permission::IamRead)?;
    let set = find_resource_set(cx, &read, raw_set).await?;
    let resources = cx.store.stamped_resources(&read, &set.id).await?;
    Ok((set, resources))
}

/// Adds resources (ORNs or REST URLs) to a resource set, as
/// [`change_resource_set`] does (the roles bound on it must stay within what
/// the caller holds).
pub async fn add_resources(
    cx: &Ctx,
    raw_set: &str,
    additions: &[String],
) -> Result<IamObject<ResourceSetId>, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let set = find_resource_set(cx, &grant, raw_set).await?;
    let orns = canonical_resources(cx, "additions", additions)?;
    let picks = ResourcePicks {
        orns: orns.join("\n"),
        ..ResourcePicks::default()
    };
    change_resource_set(cx, &set.id, picks, None).await?;
    find_resource_set(cx, &grant, set.id.as_str()).await
}

/// Removes one resource (by its id) from a resource set.
pub async fn remove_resource(
    cx: &Ctx,
    raw_set: &str,
    resource: &crate::ids::ResourceId,
) -> Result<(), AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let set = find_resource_set(cx, &grant, raw_set).await?;
    let orn = cx
        .store
        .stamped_resources(&grant, &set.id)
        .await?
        .into_iter()
        .find(|r| r.id == *resource)
        .ok_or(AppError::NotFound)?
        .orn;
    change_resource_set(cx, &set.id, ResourcePicks::default(), Some(orn)).await?;
    Ok(())
}

/// The roles bound on a resource set.
pub async fn binding_records(
    cx: &Ctx,
    raw_set: &str,
) -> Result<(IamObject<ResourceSetId>, Vec<RoleId>), AppError> {
    let read = org_level(&cx.principal, Permission::IamRead)?;
    let set = find_resource_set(cx, &read, raw_set).await?;
    let roles = cx.store.roles_bound_on(&read, &set.id).await?;
    Ok((set, roles))
}

/// The binding of a role (id or label) on a resource set, with its members;
/// `NotFound` when the role is not bound there.
pub async fn binding_record(
    cx: &Ctx,
    raw_set: &str,
    raw_role: &str,
) -> Result<(ResourceSetId, RoleId, Vec<StampedMember>), AppError> {
    let read = org_level(&cx.principal, Permission::IamRead)?;
    let set = find_resource_set(cx, &read, raw_set).await?;
    let role = find_role(cx, &read, raw_role).await?;
    let members = cx
        .store
        .stamped_binding_members(&read, &set.id, &role.id)
        .await?;
    Ok((set.id, role.id, members))
}

/// A member as the API names it: `https://…/api/v1/users/{id}` or
/// `…/groups/{id}`, an ORN (`orn:…:directory:{org}:users:{id}`), or a bare
/// user or group id.
pub fn member_ref(raw: &str) -> Option<Member> {
    let s = raw.trim();
    let parts: Vec<&str> = if let Some(at) = s.find("/api/v1/") {
        s[at + "/api/v1/".len()..]
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
            .split('/')
            .collect()
    } else if s.starts_with("orn:") {
        s.split(':').skip(4).collect()
    } else if s.starts_with(crate::ids::UserId::PREFIX) {
        vec!["users", s]
    } else if s.starts_with(crate::ids::GroupId::PREFIX) {
        vec!["groups", s]
    } else {
        return None;
    };
    match parts.as_slice() {
        ["users", id] => crate::ids::UserId::parse(id).ok().map(Member::User),
        ["groups", id] => crate::ids::GroupId::parse(id).ok().map(Member::Group),
        _ => None,
    }
}

/// `member`, if the caller sees it (users under `okta.users.read`, groups
/// under `okta.groups.read`); `NotFound` otherwise.
async fn visible_member(cx: &Ctx, member: &Member) -> Result<(), AppError> {
    match member {
        Member::User(id) => {
            cx.store
                .get_user(&scope(&cx.principal, Permission::UsersRead), id)
                .await?;
        }
        Member::Group(id) => {
            cx.store
                .get_group(&scope(&cx.principal, Permission::GroupsRead), id)
                .await?;
        }
    }
    Ok(())
}

/// The members `raw` names, each one the caller sees; a field error
/// naming the first that is not.
async fn named_members(cx: &Ctx, field: &str, raw: &[String]) -> Result<Vec<Member>, AppError> {
    let mut out = Vec::new();
    for r in raw {
        let unknown = || {
            AppError::validation(
                field,
                format!("{r}: name a user or group by its id, REST URL or ORN."),
            )
        };
        let member = member_ref(r).ok_or_else(unknown)?;
        visible_member(cx, &member).await.map_err(|_| unknown())?;
        if !out.contains(&member) {
            out.push(member);
        }
    }
    Ok(out)
}

/// Binds a role (id or label) on a resource set to members, as
/// [`add_binding`] does: the caller must hold every permission of the role
/// over every resource of the set.
pub async fn bind_members(
    cx: &Ctx,
    raw_set: &str,
    raw_role: &str,
    members: &[String],
) -> Result<(ResourceSetId, RoleId), AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let set = find_resource_set(cx, &grant, raw_set).await?;
    let role = find_role(cx, &grant, raw_role)
        .await
        .map_err(|_| AppError::validation("role", format!("There is no role {raw_role}.")))?;
    let members = named_members(cx, "members", members).await?;
    bind(cx, &grant, &set.id, &role.id, &members).await?;
    Ok((set.id, role.id))
}

/// The delegation check and the store call of a binding change.
async fn bind(
    cx: &Ctx,
    grant: &Grant,
    set: &ResourceSetId,
    role: &RoleId,
    members: &[Member],
) -> Result<(), AppError> {
    let permissions = permissions_of(cx, grant, role).await?;
    let resources: Vec<orn::Resource> = cx
        .store
        .resource_set_orns(grant, set)
        .await?
        .iter()
        .filter_map(|o| orn::parse_resource(o, &cx.org.orn).ok())
        .collect();
    check_delegation(&cx.principal, &permissions, &resources)?;
    cx.store
        .add_binding_members(grant, set, role, members)
        .await?;
    Ok(())
}

/// Deletes the binding of a role on a resource set, with its members.
pub async fn unbind(cx: &Ctx, raw_set: &str, raw_role: &str) -> Result<(), AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let set = find_resource_set(cx, &grant, raw_set).await?;
    let role = find_role(cx, &grant, raw_role).await?;
    cx.store.delete_binding(&grant, &set.id, &role.id).await?;
    Ok(())
}

/// Removes one member (by its binding-member id) from a binding.
pub async fn unbind_member(
    cx: &Ctx,
    raw_set: &str,
    raw_role: &str,
    member: &crate::ids::ResourceId,
) -> Result<(), AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let set = find_resource_set(cx, &grant, raw_set).await?;
    let role = find_role(cx, &grant, raw_role).await?;
    let found = cx
        .store
        .stamped_binding_members(&grant, &set.id, &role.id)
        .await?
        .into_iter()
        .find(|m| m.id == *member)
        .ok_or(AppError::NotFound)?;
    remove_binding(cx, &set.id, &role.id, &found.member).await?;
    Ok(())
}

/// The roles a user or group holds directly (the member must be one the
/// caller sees).
pub async fn role_assignments(
    cx: &Ctx,
    member: &Member,
) -> Result<Vec<RoleAssignmentRecord>, AppError> {
    let read = org_level(&cx.principal, Permission::IamRead)?;
    visible_member(cx, member).await?;
    Ok(cx.store.role_assignments_of(&read, member).await?)
}

/// One role assignment of a user or group, by its id.
pub async fn role_assignment(
    cx: &Ctx,
    member: &Member,
    id: &crate::ids::ResourceId,
) -> Result<RoleAssignmentRecord, AppError> {
    role_assignments(cx, member)
        .await?
        .into_iter()
        .find(|a| a.id == *id)
        .ok_or(AppError::NotFound)
}

/// What a role assignment request asks for.
#[derive(Debug, Clone)]
pub enum RoleRequest {
    Standard(StandardRole),
    /// A custom role (id or label) on a resource set (id or label).
    Custom {
        role: String,
        resource_set: String,
    },
}

/// Assigns a role to a user or a group: a standard role org-wide (as
/// [`grant_standard_role`] decides) or a custom role on a resource set (as
/// [`add_binding`] decides); assigning a held role again changes nothing.
pub async fn assign_role(
    cx: &Ctx,
    member: &Member,
    request: RoleRequest,
) -> Result<RoleAssignmentRecord, AppError> {
    let grant = check_iam_change(&cx.principal)?;
    visible_member(cx, member).await?;
    let wanted = match request {
        RoleRequest::Standard(role) => {
            check_standard_role_change(&cx.principal, role, &[])?;
            cx.store
                .assign_standard_role_for(&grant, member, role, &[])
                .await?;
            AssignedRole::Standard(role)
        }
        RoleRequest::Custom { role, resource_set } => {
            let set = find_resource_set(cx, &grant, &resource_set)
                .await
                .map_err(|_| {
                    AppError::validation(
                        "resource-set",
                        format!("There is no resource set {resource_set}."),
                    )
                })?;
            let role = find_role(cx, &grant, &role)
                .await
                .map_err(|_| AppError::validation("role", format!("There is no role {role}.")))?;
            bind(cx, &grant, &set.id, &role.id, std::slice::from_ref(member)).await?;
            AssignedRole::Custom {
                role: role.id,
                role_label: role.label,
                resource_set: set.id,
            }
        }
    };
    cx.store
        .role_assignments_of(&grant, member)
        .await?
        .into_iter()
        .find(|a| a.role == wanted)
        .ok_or(AppError::NotFound)
}

/// Takes back one role assignment of a user or group (by its id).
pub async fn unassign_role(
    cx: &Ctx,
    member: &Member,
    id: &crate::ids::ResourceId,
) -> Result<(), AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let held = cx
        .store
        .role_assignments_of(&grant, member)
        .await?
        .into_iter()
        .find(|a| a.id == *id)
        .ok_or(AppError::NotFound)?;
    match held.role {
        AssignedRole::Standard(role) => {
            revoke_standard_role(cx, role, member).await?;
        }
        AssignedRole::Custom {
            role, resource_set, ..
        } => {
            remove_binding(cx, &resource_set, &role, member).await?;
        }
    }
    Ok(())
}

/// The standard role of assignment `id` of `member`, with its targets
/// (none: org-wide); a custom role assignment has no targets to list.
async fn standard_assignment(
    cx: &Ctx,
    read: &Grant,
    member: &Member,
    id: &crate::ids::ResourceId,
) -> Result<(StandardRole, Vec<RoleTarget>), AppError> {
    let held = cx
        .store
        .role_assignments_of(read, member)
        .await?
        .into_iter()
        .find(|a| a.id == *id)
        .ok_or(AppError::NotFound)?;
    match held.role {
        AssignedRole::Standard(role) => {
            let targets = cx.store.standard_role_targets(read, member, role).await?;
            Ok((role, targets))
        }
        AssignedRole::Custom { .. } => Err(AppError::validation(
            "roleAssignmentId",
            "Targets narrow standard roles; a custom role is narrowed by its resource set.",
        )),
    }
}

/// The groups and apps a standard role assignment is narrowed to (none:
/// org-wide), each as the caller sees it.
pub async fn assignment_targets(
    cx: &Ctx,
    member: &Member,
    id: &crate::ids::ResourceId,
) -> Result<(Vec<crate::model::Group>, Vec<crate::model::App>), AppError> {
    let read = org_level(&cx.principal, Permission::IamRead)?;
    visible_member(cx, member).await?;
    let (_, targets) = standard_assignment(cx, &read, member, id).await?;
    let (mut groups, mut apps) = (Vec::new(), Vec::new());
    for t in targets {
        match t {
            RoleTarget::Group(g) => groups.push(
                cx.store
                    .get_group(&scope(&cx.principal, Permission::GroupsRead), &g)
                    .await?,
            ),
            RoleTarget::App(a) => apps.push(
                cx.store
                    .get_app(&scope(&cx.principal, Permission::AppsRead), &a)
                    .await?,
            ),
        }
    }
    Ok((groups, apps))
}

/// Narrows a standard role assignment to one more target (an org-wide one
/// becomes narrowed to that target alone, as in Okta).
pub async fn add_assignment_target(
    cx: &Ctx,
    member: &Member,
    id: &crate::ids::ResourceId,
    target: RoleTarget,
) -> Result<(), AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let (role, held) = standard_assignment(cx, &grant, member, id).await?;
    let picks = match &target {
        RoleTarget::Group(g) => TargetPicks {
            groups: vec![g.to_string()],
            apps: vec![],
        },
        RoleTarget::App(a) => TargetPicks {
            groups: vec![],
            apps: vec![a.to_string()],
        },
    };
    let added = role_targets(cx, picks).await?;
    check_standard_role_change(&cx.principal, role, &added)?;
    // Narrowing an org-wide assignment: the caller must hold what it takes
    // back, too.
    check_standard_role_change(&cx.principal, role, &held)?;
    let mut targets = held;
    targets.extend(added);
    targets.sort();
    targets.dedup();
    cx.store
        .set_standard_role_targets(&grant, member, role, &targets)
        .await?;
    Ok(())
}

/// Removes one target of a standard role assignment (never its last one:
/// take the role back instead).
pub async fn remove_assignment_target(
    cx: &Ctx,
    member: &Member,
    id: &crate::ids::ResourceId,
    target: &RoleTarget,
) -> Result<(), AppError> {
    let grant = check_iam_change(&cx.principal)?;
    let (role, held) = standard_assignment(cx, &grant, member, id).await?;
    if !held.contains(target) {
        return Err(AppError::NotFound);
    }
    let rest: Vec<RoleTarget> = held.iter().filter(|t| *t != target).cloned().collect();
    if rest.is_empty() {
        return Err(AppError::validation(
            "target",
            "This is the assignment's last target; take the role back instead.",
        ));
    }
    check_standard_role_change(&cx.principal, role, &held)?;
    cx.store
        .set_standard_role_targets(&grant, member, role, &rest)
        .await?;
    Ok(())
}

/// Users who hold an admin role, directly or through a group.
pub async fn admin_users(cx: &Ctx) -> Result<Vec<crate::ids::UserId>, AppError> {
    org_level(&cx.principal, Permission::IamRead)?;
    Ok(cx.store.admin_user_ids().await?)
}

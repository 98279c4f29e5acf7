//! The admin model over Okta's API: custom roles and their permissions
//! (`/iam/roles`), resource sets with their resources and bindings
//! (`/iam/resource-sets`), role assignments of users and groups
//! (`/users/{id}/roles`, `/groups/{id}/roles`, with standard role targets)
//! and the admins (`/iam/assignees/users`). Roles and resource sets are
//! named by id or label; members and resources by id, REST URL or ORN.
//! Every decision is the operations' (`app::ops::iam`): reading needs
//! `okta.iam.read`, changing an org admin role, and nobody grants more than
//! it holds.

use axum::extract::{OriginalUri, Path};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use app::authz::orn::Resource;
use app::ids::{AppId, GroupId, ResourceId, ResourceSetId, RoleId, UserId};
use app::model::{RoleTarget, StandardRole};
use app::ops::iam::{
    self, AssignedRole, IamObject, Member, RoleAssignmentRecord, RoleRequest, StampedMember,
    StampedPermission, StampedResource,
};

use super::openapi::{op, Endpoint};
use super::{id, no_content, wire, Api, ApiError, Body, Cursor, PageParams, Params};

#[rustfmt::skip]
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        op("GET", "/iam/roles", "listRoles", "List custom roles", 200, list_roles),
        op("POST", "/iam/roles", "createRole", "Create a custom role", 200, create_role),
        op("GET", "/iam/roles/{role}", "getRole", "Retrieve a custom role (id or label)", 200, read_role),
        op("PUT", "/iam/roles/{role}", "replaceRole", "Replace a custom role's label and description", 200, replace_role),
        op("DELETE", "/iam/roles/{role}", "deleteRole", "Delete a custom role nobody holds", 204, delete_role),
        op("GET", "/iam/roles/{role}/permissions", "listRolePermissions", "List a custom role's permissions", 200, list_permissions),
        op("GET", "/iam/roles/{role}/permissions/{permission}", "getRolePermission", "Retrieve a permission of a custom role", 200, read_permission),
        op("POST", "/iam/roles/{role}/permissions/{permission}", "createRolePermission", "Add a permission to a custom role", 204, add_permission),
        op("DELETE", "/iam/roles/{role}/permissions/{permission}", "deleteRolePermission", "Remove a permission from a custom role", 204, remove_permission),
        op("GET", "/iam/resource-sets", "listResourceSets", "List resource sets", 200, list_sets),
        op("POST", "/iam/resource-sets", "createResourceSet", "Create a resource set", 200, create_set),
        op("GET", "/iam/resource-sets/{set}", "getResourceSet", "Retrieve a resource set (id or label)", 200, read_set),
        op("PUT", "/iam/resource-sets/{set}", "replaceResourceSet", "Replace a resource set's label and description", 200, replace_set),
        op("DELETE", "/iam/resource-sets/{set}", "deleteResourceSet", "Delete a resource set nobody holds rights through", 204, delete_set),
        op("GET", "/iam/resource-sets/{set}/resources", "listResourceSetResources", "List a resource set's resources", 200, list_resources),
        op("PATCH", "/iam/resource-sets/{set}/resources", "addResourceSetResources", "Add resources (ORNs or REST URLs)", 200, add_resources),
        op("DELETE", "/iam/resource-sets/{set}/resources/{resource}", "deleteResourceSetResource", "Remove a resource", 204, remove_resource),
        op("GET", "/iam/resource-sets/{set}/bindings", "listBindings", "List the roles bound on a resource set", 200, list_bindings),
        op("POST", "/iam/resource-sets/{set}/bindings", "createResourceSetBinding", "Bind a role on a resource set to members", 200, create_binding),
        op("GET", "/iam/resource-sets/{set}/bindings/{role}", "getBinding", "Retrieve a binding", 200, read_binding),
        op("DELETE", "/iam/resource-sets/{set}/bindings/{role}", "deleteBinding", "Delete a binding and its members", 204, delete_binding),
        op("GET", "/iam/resource-sets/{set}/bindings/{role}/members", "listMembersOfBinding", "List a binding's members", 200, list_members),
        op("PATCH", "/iam/resource-sets/{set}/bindings/{role}/members", "addMembersToBinding", "Add members to a binding", 200, add_members),
        op("GET", "/iam/resource-sets/{set}/bindings/{role}/members/{member}", "getMemberOfBinding", "Retrieve a member of a binding", 200, read_member),
        op("DELETE", "/iam/resource-sets/{set}/bindings/{role}/members/{member}", "unassignMemberFromBinding", "Remove a member from a binding", 204, remove_member),
        op("GET", "/iam/assignees/users", "listUsersWithRoleAssignments", "List the users holding an admin role", 200, assignees),
        op("GET", "/users/{id}/roles", "listAssignedRolesForUser", "List a user's role assignments", 200, user_roles),
        op("POST", "/users/{id}/roles", "assignRoleToUser", "Assign a standard or custom role to a user", 201, assign_user_role),
        op("GET", "/users/{id}/roles/{assignment}", "getUserAssignedRole", "Retrieve a user's role assignment", 200, read_user_role),
        op("DELETE", "/users/{id}/roles/{assignment}", "unassignRoleFromUser", "Take back a user's role assignment", 204, unassign_user_role),
        op("GET", "/users/{id}/roles/{assignment}/targets/groups", "listGroupTargetsForRole", "List the group targets of a user's standard role", 200, user_group_targets),
        op("PUT", "/users/{id}/roles/{assignment}/targets/groups/{group}", "assignGroupTargetToUserRole", "Narrow a user's standard role to a group", 204, add_user_group_target),
        op("DELETE", "/users/{id}/roles/{assignment}/targets/groups/{group}", "unassignGroupTargetFromUserAdminRole", "Remove a group target of a user's standard role", 204, remove_user_group_target),
        op("GET", "/users/{id}/roles/{assignment}/targets/catalog/apps", "listApplicationTargetsForApplicationAdministratorRoleForUser", "List the app targets of a user's standard role", 200, user_app_targets),
        op("PUT", "/users/{id}/roles/{assignment}/targets/catalog/apps/{name}/{app}", "assignAppInstanceTargetToAppAdminRoleForUser", "Narrow a user's standard role to an app", 204, add_user_app_target),
        op("DELETE", "/users/{id}/roles/{assignment}/targets/catalog/apps/{name}/{app}", "unassignAppInstanceTargetFromAdminRoleForUser", "Remove an app target of a user's standard role", 204, remove_user_app_target),
        op("GET", "/groups/{id}/roles", "listGroupAssignedRoles", "List a group's role assignments", 200, group_roles),
        op("POST", "/groups/{id}/roles", "assignRoleToGroup", "Assign a standard or custom role to a group", 200, assign_group_role),
        op("GET", "/groups/{id}/roles/{assignment}", "getGroupAssignedRole", "Retrieve a group's role assignment", 200, read_group_role),
        op("DELETE", "/groups/{id}/roles/{assignment}", "unassignRoleFromGroup", "Take back a group's role assignment", 204, unassign_group_role),
        op("GET", "/groups/{id}/roles/{assignment}/targets/groups", "listGroupTargetsForGroupRole", "List the group targets of a group's standard role", 200, group_group_targets),
        op("PUT", "/groups/{id}/roles/{assignment}/targets/groups/{group}", "assignGroupTargetToGroupAdminRole", "Narrow a group's standard role to a group", 204, add_group_group_target),
        op("DELETE", "/groups/{id}/roles/{assignment}/targets/groups/{group}", "unassignGroupTargetFromGroupAdminRole", "Remove a group target of a group's standard role", 204, remove_group_group_target),
        op("GET", "/groups/{id}/roles/{assignment}/targets/catalog/apps", "listApplicationTargetsForApplicationAdministratorRoleForGroup", "List the app targets of a group's standard role", 200, group_app_targets),
        op("PUT", "/groups/{id}/roles/{assignment}/targets/catalog/apps/{name}/{app}", "assignAppInstanceTargetToAppAdminRoleForGroup", "Narrow a group's standard role to an app", 204, add_group_app_target),
        op("DELETE", "/groups/{id}/roles/{assignment}/targets/catalog/apps/{name}/{app}", "unassignAppInstanceTargetToAppAdminRoleForGroup", "Remove an app target of a group's standard role", 204, remove_group_app_target),
    ]
}

/// `{"href": …}` for a path under `/api/v1`.
fn href(base: &str, path: &str) -> Value {
    json!({ "href": format!("{}/api/v1/{path}", base.trim_end_matches('/')) })
}

/// One page of a wrapped list: `{key: [...], "_links": {self, next?}}`.
fn wrapped<T>(
    key: &str,
    base: &str,
    uri: &Uri,
    params: &PageParams,
    items: Vec<T>,
    id: impl Fn(&T) -> String,
    shape: impl Fn(&T) -> Value,
) -> Result<Response, ApiError> {
    let cursor = Cursor::new(params.limit.as_deref(), params.after.as_deref(), 100, 1000)?;
    let (page, next) = cursor.page(items, id);
    let this = format!("{}{}", base.trim_end_matches('/'), uri.path());
    let mut links = json!({ "self": { "href": this } });
    if let Some(next) = next {
        links["next"] = json!({
            "href": format!("{this}?after={next}&limit={}", cursor.limit)
        });
    }
    Ok(Json(json!({
        key: page.iter().map(shape).collect::<Vec<_>>(),
        "_links": links,
    }))
    .into_response())
}

// --- custom roles -------------------------------------------------------

fn role(base: &str, r: &IamObject<RoleId>) -> Value {
    json!({
        "id": r.id.as_str(),
        "label": r.label,
        "description": r.description,
        "created": r.created,
        "lastUpdated": r.last_updated,
        "_links": {
            "self": href(base, &format!("iam/roles/{}", r.id)),
            "permissions": href(base, &format!("iam/roles/{}/permissions", r.id)),
        },
    })
}

async fn list_roles(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> Result<Response, ApiError> {
    let roles = iam::role_records(&cx).await?;
    let base = &cx.settings.public_url;
    wrapped(
        "roles",
        base,
        &uri,
        &p,
        roles,
        |r| r.id.to_string(),
        |r| role(base, r),
    )
}

#[derive(Deserialize)]
struct RoleBody {
    label: Option<String>,
    description: Option<String>,
    #[serde(default)]
    permissions: Vec<String>,
}

fn label_of(label: Option<String>) -> Result<String, ApiError> {
    label
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("label", "Enter a label."))
}

async fn create_role(Api(cx): Api, Body(body): Body<RoleBody>) -> Result<Response, ApiError> {
    let label = label_of(body.label)?;
    let created = iam::create_role_record(
        &cx,
        &label,
        &body.description.unwrap_or_default(),
        &body.permissions,
    )
    .await?;
    Ok(Json(role(&cx.settings.public_url, &created)).into_response())
}

async fn read_role(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let found = iam::role_record(&cx, &raw).await?;
    Ok(Json(role(&cx.settings.public_url, &found)).into_response())
}

async fn replace_role(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<RoleBody>,
) -> Result<Response, ApiError> {
    let label = label_of(body.label)?;
    let changed =
        iam::replace_role(&cx, &raw, &label, &body.description.unwrap_or_default()).await?;
    Ok(Json(role(&cx.settings.public_url, &changed)).into_response())
}

async fn delete_role(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    iam::delete_role_record(&cx, &raw).await?;
    Ok(no_content())
}

fn permission(base: &str, role: &RoleId, p: &StampedPermission) -> Value {
    let conditions = p
        .conditions
        .as_deref()
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
        .unwrap_or(Value::Null);
    json!({
        "label": p.permission,
        "created": p.created,
        "lastUpdated": p.last_updated,
        "conditions": conditions,
        "_links": {
            "self": href(base, &format!("iam/roles/{role}/permissions/{}", p.permission)),
            "role": href(base, &format!("iam/roles/{role}")),
        },
    })
}

async fn list_permissions(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let (found, permissions) = iam::permission_records(&cx, &raw).await?;
    let base = &cx.settings.public_url;
    Ok(Json(json!({
        "permissions": permissions
            .iter()
            .map(|p| permission(base, &found.id, p))
            .collect::<Vec<_>>(),
    }))
    .into_response())
}

async fn read_permission(
    Api(cx): Api,
    Path((raw, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (found, permissions) = iam::permission_records(&cx, &raw).await?;
    let p = permissions
        .iter()
        .find(|p| p.permission == name)
        .ok_or_else(|| ApiError::not_found(&format!("{name} (Permission)")))?;
    Ok(Json(permission(&cx.settings.public_url, &found.id, p)).into_response())
}

async fn add_permission(
    Api(cx): Api,
    Path((raw, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    iam::add_role_permission(&cx, &raw, &name).await?;
    Ok(no_content())
}

async fn remove_permission(
    Api(cx): Api,
    Path((raw, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    iam::remove_role_permission(&cx, &raw, &name).await?;
    Ok(no_content())
}

// --- resource sets ------------------------------------------------------

fn resource_set(base: &str, s: &IamObject<ResourceSetId>) -> Value {
    json!({
        "id": s.id.as_str(),
        "label": s.label,
        "description": s.description,
        "created": s.created,
        "lastUpdated": s.last_updated,
        "_links": {
            "self": href(base, &format!("iam/resource-sets/{}", s.id)),
            "resources": href(base, &format!("iam/resource-sets/{}/resources", s.id)),
            "bindings": href(base, &format!("iam/resource-sets/{}/bindings", s.id)),
        },
    })
}

async fn list_sets(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> Result<Response, ApiError> {
    let sets = iam::resource_set_records(&cx).await?;
    let base = &cx.settings.public_url;
    wrapped(
        "resource-sets",
        base,
        &uri,
        &p,
        sets,
        |s| s.id.to_string(),
        |s| resource_set(base, s),
    )
}

#[derive(Deserialize)]
struct SetBody {
    label: Option<String>,
    description: Option<String>,
    #[serde(default)]
    resources: Vec<String>,
}

async fn create_set(Api(cx): Api, Body(body): Body<SetBody>) -> Result<Response, ApiError> {
    let label = label_of(body.label)?;
    let created = iam::create_resource_set_record(
        &cx,
        &label,
        &body.description.unwrap_or_default(),
        &body.resources,
    )
    .await?;
    Ok(Json(resource_set(&cx.settings.public_url, &created)).into_response())
}

async fn read_set(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let found = iam::resource_set_record(&cx, &raw).await?;
    Ok(Json(resource_set(&cx.settings.public_url, &found)).into_response())
}

async fn replace_set(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<SetBody>,
) -> Result<Response, ApiError> {
    let label = label_of(body.label)?;
    let changed =
        iam::replace_resource_set(&cx, &raw, &label, &body.description.unwrap_or_default()).await?;
    Ok(Json(resource_set(&cx.settings.public_url, &changed)).into_response())
}

async fn delete_set(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    iam::delete_resource_set_record(&cx, &raw).await?;
    Ok(no_content())
}

fn resource(cx: &app::ctx::Ctx, set: &ResourceSetId, r: &StampedResource) -> Value {
    let base = &cx.settings.public_url;
    let rest = app::authz::orn::parse_resource(&r.orn, &cx.org.orn)
        .ok()
        .and_then(|p| p.to_rest_url(&cx.org.orn));
    let this = match rest {
        Some(url) => json!({ "href": url }),
        None => href(base, &format!("iam/resource-sets/{set}/resources/{}", r.id)),
    };
    json!({
        "id": r.id.as_str(),
        "orn": r.orn,
        "created": r.created,
        "lastUpdated": r.last_updated,
        "_links": { "self": this },
    })
}

async fn list_resources(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Path(raw): Path<String>,
    Params(p): Params<PageParams>,
) -> Result<Response, ApiError> {
    let (set, resources) = iam::resource_records(&cx, &raw).await?;
    wrapped(
        "resources",
        &cx.settings.public_url,
        &uri,
        &p,
        resources,
        |r| r.id.to_string(),
        |r| resource(&cx, &set.id, r),
    )
}

#[derive(Deserialize)]
struct Additions {
    #[serde(default)]
    additions: Vec<String>,
}

async fn add_resources(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<Additions>,
) -> Result<Response, ApiError> {
    let set = iam::add_resources(&cx, &raw, &body.additions).await?;
    Ok(Json(resource_set(&cx.settings.public_url, &set)).into_response())
}

async fn remove_resource(
    Api(cx): Api,
    Path((raw, resource)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let resource = id::<ResourceId>(&resource, "ResourceSetResource")?;
    iam::remove_resource(&cx, &raw, &resource).await?;
    Ok(no_content())
}

// --- bindings -----------------------------------------------------------

fn binding(base: &str, set: &ResourceSetId, role: &RoleId) -> Value {
    let path = format!("iam/resource-sets/{set}/bindings/{role}");
    json!({
        "id": role.as_str(),
        "_links": {
            "self": href(base, &path),
            "members": href(base, &format!("{path}/members")),
            "bindings": href(base, &format!("iam/resource-sets/{set}/bindings")),
            "resource-set": href(base, &format!("iam/resource-sets/{set}")),
        },
    })
}

async fn list_bindings(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Path(raw): Path<String>,
    Params(p): Params<PageParams>,
) -> Result<Response, ApiError> {
    let (set, roles) = iam::binding_records(&cx, &raw).await?;
    let base = &cx.settings.public_url;
    wrapped(
        "roles",
        base,
        &uri,
        &p,
        roles,
        |r| r.to_string(),
        |r| binding(base, &set.id, r),
    )
}

#[derive(Deserialize)]
struct BindingBody {
    role: Option<String>,
    #[serde(default)]
    members: Vec<String>,
}

async fn create_binding(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<BindingBody>,
) -> Result<Response, ApiError> {
    let role = body
        .role
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("role", "Name a role by its id or label."))?;
    if body.members.is_empty() {
        return Err(ApiError::invalid("members", "Name at least one member."));
    }
    let (set, role) = iam::bind_members(&cx, &raw, &role, &body.members).await?;
    Ok(Json(binding(&cx.settings.public_url, &set, &role)).into_response())
}

async fn read_binding(
    Api(cx): Api,
    Path((raw, role)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (set, role, _) = iam::binding_record(&cx, &raw, &role).await?;
    Ok(Json(binding(&cx.settings.public_url, &set, &role)).into_response())
}

async fn delete_binding(
    Api(cx): Api,
    Path((raw, role)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    iam::unbind(&cx, &raw, &role).await?;
    Ok(no_content())
}

fn member(base: &str, m: &StampedMember) -> Value {
    let target = match &m.member {
        Member::User(id) => format!("users/{id}"),
        Member::Group(id) => format!("groups/{id}"),
    };
    json!({
        "id": m.id.as_str(),
        "created": m.created,
        "lastUpdated": m.created,
        "_links": { "self": href(base, &target) },
    })
}

async fn list_members(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Path((raw, role)): Path<(String, String)>,
    Params(p): Params<PageParams>,
) -> Result<Response, ApiError> {
    let (_, _, members) = iam::binding_record(&cx, &raw, &role).await?;
    let base = &cx.settings.public_url;
    wrapped(
        "members",
        base,
        &uri,
        &p,
        members,
        |m| m.id.to_string(),
        |m| member(base, m),
    )
}

async fn add_members(
    Api(cx): Api,
    Path((raw, role)): Path<(String, String)>,
    Body(body): Body<Additions>,
) -> Result<Response, ApiError> {
    if body.additions.is_empty() {
        return Err(ApiError::invalid("additions", "Name at least one member."));
    }
    let (set, role) = iam::bind_members(&cx, &raw, &role, &body.additions).await?;
    Ok(Json(binding(&cx.settings.public_url, &set, &role)).into_response())
}

async fn read_member(
    Api(cx): Api,
    Path((raw, role, member_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (_, _, members) = iam::binding_record(&cx, &raw, &role).await?;
    let found = members
        .iter()
        .find(|m| m.id.as_str() == member_id)
        .ok_or_else(|| ApiError::not_found(&format!("{member_id} (ResourceSetBindingMember)")))?;
    Ok(Json(member(&cx.settings.public_url, found)).into_response())
}

async fn remove_member(
    Api(cx): Api,
    Path((raw, role, member_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let member_id = id::<ResourceId>(&member_id, "ResourceSetBindingMember")?;
    iam::unbind_member(&cx, &raw, &role, &member_id).await?;
    Ok(no_content())
}

// --- admins -------------------------------------------------------------

async fn assignees(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> Result<Response, ApiError> {
    let users = iam::admin_users(&cx).await?;
    let base = &cx.settings.public_url;
    wrapped(
        "value",
        base,
        &uri,
        &p,
        users,
        |u| u.to_string(),
        |u| {
            json!({
                "id": u.as_str(),
                "orn": Resource::User(u.clone()).to_orn(&cx.org.orn),
                "_links": {
                    "self": href(base, &format!("users/{u}")),
                    "roles": href(base, &format!("users/{u}/roles")),
                },
            })
        },
    )
}

// --- role assignments ---------------------------------------------------

fn assignee_path(m: &Member) -> String {
    match m {
        Member::User(id) => format!("users/{id}"),
        Member::Group(id) => format!("groups/{id}"),
    }
}

fn assignment(base: &str, holder: &Member, a: &RoleAssignmentRecord) -> Value {
    let assignee = assignee_path(holder);
    let assignment_type = match holder {
        Member::User(_) => "USER",
        Member::Group(_) => "GROUP",
    };
    let mut out = json!({
        "id": a.id.as_str(),
        "status": "ACTIVE",
        "created": a.created,
        "lastUpdated": a.created,
        "assignmentType": assignment_type,
        "_links": {
            "self": href(base, &format!("{assignee}/roles/{}", a.id)),
            "assignee": href(base, &assignee),
        },
    });
    match &a.role {
        AssignedRole::Standard(role) => {
            out["type"] = json!(role.as_str());
            out["label"] = json!(role.label());
        }
        AssignedRole::Custom {
            role,
            role_label,
            resource_set,
        } => {
            out["type"] = json!("CUSTOM");
            out["label"] = json!(role_label);
            out["role"] = json!(role.as_str());
            out["resource-set"] = json!(resource_set.as_str());
            out["_links"]["role"] = href(base, &format!("iam/roles/{role}"));
            out["_links"]["resource-set"] =
                href(base, &format!("iam/resource-sets/{resource_set}"));
            out["_links"]["permissions"] = href(base, &format!("iam/roles/{role}/permissions"));
            out["_links"]["member"] = href(
                base,
                &format!("iam/resource-sets/{resource_set}/bindings/{role}/members"),
            );
        }
    }
    out
}

fn user_member(raw: &str) -> Result<Member, ApiError> {
    Ok(Member::User(id::<UserId>(raw, "User")?))
}

fn group_member(raw: &str) -> Result<Member, ApiError> {
    Ok(Member::Group(id::<GroupId>(raw, "UserGroup")?))
}

async fn roles_of(cx: &app::ctx::Ctx, holder: &Member) -> Result<Response, ApiError> {
    let held = iam::role_assignments(cx, holder).await?;
    let base = &cx.settings.public_url;
    Ok(Json(
        held.iter()
            .map(|a| assignment(base, holder, a))
            .collect::<Vec<_>>(),
    )
    .into_response())
}

async fn user_roles(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    roles_of(&cx, &user_member(&raw)?).await
}

async fn group_roles(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    roles_of(&cx, &group_member(&raw)?).await
}

#[derive(Deserialize)]
struct AssignBody {
    #[serde(rename = "type")]
    role_type: Option<String>,
    role: Option<String>,
    #[serde(rename = "resource-set")]
    resource_set: Option<String>,
}

fn request_of(body: AssignBody) -> Result<RoleRequest, ApiError> {
    let role_type = body
        .role_type
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::missing("type"))?;
    if role_type == "CUSTOM" {
        let role = body
            .role
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| ApiError::invalid("role", "Name the custom role (its id)."))?;
        let resource_set = body
            .resource_set
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| ApiError::invalid("resource-set", "Name the resource set (its id)."))?;
        return Ok(RoleRequest::Custom { role, resource_set });
    }
    StandardRole::parse(&role_type)
        .map(RoleRequest::Standard)
        .ok_or_else(|| {
            let known: Vec<&str> = StandardRole::ALL.iter().map(|r| r.as_str()).collect();
            ApiError::invalid(
                "type",
                format!(
                    "'{role_type}' is not a role type; use CUSTOM or one of {}.",
                    known.join(", ")
                ),
            )
        })
}

async fn assign(
    cx: &app::ctx::Ctx,
    holder: &Member,
    body: AssignBody,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let request = request_of(body)?;
    let made = iam::assign_role(cx, holder, request).await?;
    Ok((
        status,
        Json(assignment(&cx.settings.public_url, holder, &made)),
    )
        .into_response())
}

async fn assign_user_role(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<AssignBody>,
) -> Result<Response, ApiError> {
    assign(&cx, &user_member(&raw)?, body, StatusCode::CREATED).await
}

async fn assign_group_role(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<AssignBody>,
) -> Result<Response, ApiError> {
    assign(&cx, &group_member(&raw)?, body, StatusCode::OK).await
}

fn assignment_id(raw: &str) -> Result<ResourceId, ApiError> {
    id::<ResourceId>(raw, "RoleAssignment")
}

async fn read_role_of(
    cx: &app::ctx::Ctx,
    holder: &Member,
    raw: &str,
) -> Result<Response, ApiError> {
    let found = iam::role_assignment(cx, holder, &assignment_id(raw)?).await?;
    Ok(Json(assignment(&cx.settings.public_url, holder, &found)).into_response())
}

async fn read_user_role(
    Api(cx): Api,
    Path((raw, a)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    read_role_of(&cx, &user_member(&raw)?, &a).await
}

async fn read_group_role(
    Api(cx): Api,
    Path((raw, a)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    read_role_of(&cx, &group_member(&raw)?, &a).await
}

async fn unassign_user_role(
    Api(cx): Api,
    Path((raw, a)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    iam::unassign_role(&cx, &user_member(&raw)?, &assignment_id(&a)?).await?;
    Ok(no_content())
}

async fn unassign_group_role(
    Api(cx): Api,
    Path((raw, a)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    iam::unassign_role(&cx, &group_member(&raw)?, &assignment_id(&a)?).await?;
    Ok(no_content())
}

// --- standard role targets ----------------------------------------------

async fn group_targets(
    cx: &app::ctx::Ctx,
    holder: &Member,
    raw: &str,
) -> Result<Response, ApiError> {
    let (groups, _) = iam::assignment_targets(cx, holder, &assignment_id(raw)?).await?;
    let base = &cx.settings.public_url;
    Ok(Json(
        groups
            .iter()
            .map(|g| wire::group(base, g))
            .collect::<Vec<_>>(),
    )
    .into_response())
}

async fn app_targets(cx: &app::ctx::Ctx, holder: &Member, raw: &str) -> Result<Response, ApiError> {
    let (_, apps) = iam::assignment_targets(cx, holder, &assignment_id(raw)?).await?;
    let base = &cx.settings.public_url;
    Ok(Json(
        apps.iter()
            .map(|a| {
                // Okta's catalog app: `name` and `displayName`; the app's
                // own fields come along as extra keys.
                let mut v = wire::app(base, a);
                v["displayName"] = json!(a.label);
                v
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

async fn change_target(
    cx: &app::ctx::Ctx,
    holder: &Member,
    raw: &str,
    target: RoleTarget,
    add: bool,
) -> Result<Response, ApiError> {
    let a = assignment_id(raw)?;
    if add {
        iam::add_assignment_target(cx, holder, &a, target).await?;
    } else {
        iam::remove_assignment_target(cx, holder, &a, &target).await?;
    }
    Ok(no_content())
}

fn group_target(raw: &str) -> Result<RoleTarget, ApiError> {
    Ok(RoleTarget::Group(id::<GroupId>(raw, "UserGroup")?))
}

fn app_target(raw: &str) -> Result<RoleTarget, ApiError> {
    Ok(RoleTarget::App(id::<AppId>(raw, "Application")?))
}

async fn user_group_targets(
    Api(cx): Api,
    Path((raw, a)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    group_targets(&cx, &user_member(&raw)?, &a).await
}

async fn group_group_targets(
    Api(cx): Api,
    Path((raw, a)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    group_targets(&cx, &group_member(&raw)?, &a).await
}

async fn user_app_targets(
    Api(cx): Api,
    Path((raw, a)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    app_targets(&cx, &user_member(&raw)?, &a).await
}

async fn group_app_targets(
    Api(cx): Api,
    Path((raw, a)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    app_targets(&cx, &group_member(&raw)?, &a).await
}

async fn add_user_group_target(
    Api(cx): Api,
    Path((raw, a, g)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    change_target(&cx, &user_member(&raw)?, &a, group_target(&g)?, true).await
}

async fn remove_user_group_target(
    Api(cx): Api,
    Path((raw, a, g)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    change_target(&cx, &user_member(&raw)?, &a, group_target(&g)?, false).await
}

async fn add_group_group_target(
    Api(cx): Api,
    Path((raw, a, g)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    change_target(&cx, &group_member(&raw)?, &a, group_target(&g)?, true).await
}

async fn remove_group_group_target(
    Api(cx): Api,
    Path((raw, a, g)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    change_target(&cx, &group_member(&raw)?, &a, group_target(&g)?, false).await
}

async fn add_user_app_target(
    Api(cx): Api,
    Path((raw, a, _name, app)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    change_target(&cx, &user_member(&raw)?, &a, app_target(&app)?, true).await
}

async fn remove_user_app_target(
    Api(cx): Api,
    Path((raw, a, _name, app)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    change_target(&cx, &user_member(&raw)?, &a, app_target(&app)?, false).await
}

async fn add_group_app_target(
    Api(cx): Api,
    Path((raw, a, _name, app)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    change_target(&cx, &group_member(&raw)?, &a, app_target(&app)?, true).await
}

async fn remove_group_app_target(
    Api(cx): Api,
    Path((raw, a, _name, app)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    change_target(&cx, &group_member(&raw)?, &a, app_target(&app)?, false).await
}

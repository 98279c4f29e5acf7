//! Groups: the groups the caller may read, a group's members *within the
//! caller's user scope only*, a user's groups, and the org admin's group
//! changes. Membership changes are links (`ops::links`).

use crate::authz::{check, scope, Permission, Target};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::ids::{GroupId, UserId};
use crate::model::Group;
use crate::views::groups::{GroupChoice, GroupDetail, UserGroupList};

use super::access::{authorize_group, org_level};
use super::users::{UserFilter, UserSort};

/// Whether the caller may change memberships of each of `groups` (for the
/// user at `user`, if one): both sides, with the groups' facts read in one go.
async fn manageable(
    cx: &Ctx,
    user: Option<&Target>,
    groups: &[Group],
) -> Result<Vec<bool>, AppError> {
    let ids: Vec<_> = groups.iter().map(|g| &g.id).collect();
    let targets = cx.store.facts_of_groups(&cx.org.orn, &ids).await?;
    let user_side = user
        .is_none_or(|t| check(&cx.principal, Permission::UsersGroupMembershipManage, t).is_ok());
    Ok(targets
        .iter()
        .map(|t| user_side && check(&cx.principal, Permission::GroupsMembersManage, t).is_ok())
        .collect())
}

fn choice(g: Group, manageable: bool) -> GroupChoice {
    GroupChoice {
        id: g.id.to_string(),
        name: g.name,
        description: g.description,
        manageable,
    }
}

/// The groups the caller may read.
pub async fn list(cx: &Ctx) -> Result<Vec<GroupChoice>, AppError> {
    let groups = cx
        .store
        .list_groups(&scope(&cx.principal, Permission::GroupsRead))
        .await?;
    let manageable = manageable(cx, None, &groups).await?;
    Ok(groups
        .into_iter()
        .zip(manageable)
        .map(|(g, m)| choice(g, m))
        .collect())
}

/// A group the caller may read, with a page of its members the caller may read.
pub async fn get(cx: &Ctx, id: &GroupId, after: Option<String>) -> Result<GroupDetail, AppError> {
    let group = cx
        .store
        .get_group(&scope(&cx.principal, Permission::GroupsRead), id)
        .await?;
    let can_manage = manageable(cx, None, std::slice::from_ref(&group))
        .await?
        .first()
        .copied()
        .unwrap_or(false);
    let members = super::users::list(
        cx,
        UserFilter {
            group: Some(group.id.clone()),
            ..UserFilter::default()
        },
        UserSort::Name,
        after,
    )
    .await?;
    Ok(GroupDetail {
        id: group.id.to_string(),
        name: group.name,
        description: group.description,
        members,
        can_manage,
    })
}

/// A user's groups the caller may see, and the groups it could add the user to.
pub async fn of_user(cx: &Ctx, id: &UserId) -> Result<UserGroupList, AppError> {
    let (user, target) = super::access::load_user(cx, id).await?;
    let member_of = cx
        .store
        .groups_of_user(&scope(&cx.principal, Permission::GroupsRead), &user.id)
        .await?;
    let shown = manageable(cx, Some(&target), &member_of).await?;
    let others: Vec<Group> = cx
        .store
        .list_groups(&scope(&cx.principal, Permission::GroupsMembersManage))
        .await?
        .into_iter()
        .filter(|g| !member_of.iter().any(|m| m.id == g.id))
        .collect();
    let addable = manageable(cx, Some(&target), &others).await?;
    Ok(UserGroupList {
        groups: member_of
            .into_iter()
            .zip(shown)
            .map(|(g, m)| choice(g, m))
            .collect(),
        addable: others
            .into_iter()
            .zip(addable)
            .filter(|(_, m)| *m)
            .map(|(g, _)| choice(g, true))
            .collect(),
    })
}

/// Creates an org-level group (`okta.groups.create`).
pub async fn create(cx: &Ctx, name: &str, description: &str) -> Result<Group, AppError> {
    let grant = org_level(&cx.principal, Permission::GroupsCreate)?;
    Ok(cx.store.create_group(&grant, name, description).await?)
}

/// Renames a group or changes its description (`okta.groups.manage` on it).
pub async fn update(
    cx: &Ctx,
    id: &GroupId,
    name: &str,
    description: &str,
) -> Result<Group, AppError> {
    let (_, grant) = authorize_group(cx, Permission::GroupsManage, id).await?;
    Ok(cx.store.update_group(&grant, name, description).await?)
}

/// Deletes a group (`okta.groups.manage` on it).
pub async fn delete(cx: &Ctx, id: &GroupId) -> Result<Group, AppError> {
    let (group, grant) = authorize_group(cx, Permission::GroupsManage, id).await?;
    cx.store.delete_group(&grant).await?;
    Ok(group)
}

/// The group records the caller may read (the Management API's list).
pub async fn records(cx: &Ctx) -> Result<Vec<Group>, AppError> {
    Ok(cx
        .store
        .list_groups(&scope(&cx.principal, Permission::GroupsRead))
        .await?)
}

/// One group record the caller may read.
pub async fn record(cx: &Ctx, id: &GroupId) -> Result<Group, AppError> {
    Ok(cx
        .store
        .get_group(&scope(&cx.principal, Permission::GroupsRead), id)
        .await?)
}

/// The groups of a user the caller may read that it may read too.
pub async fn records_of_user(cx: &Ctx, id: &UserId) -> Result<Vec<Group>, AppError> {
    let (user, _) = super::access::load_user(cx, id).await?;
    Ok(cx
        .store
        .groups_of_user(&scope(&cx.principal, Permission::GroupsRead), &user.id)
        .await?)
}

/// The apps assigned to a group the caller may read, those it may read.
pub async fn apps_of(cx: &Ctx, id: &GroupId) -> Result<Vec<crate::model::App>, AppError> {
    let group = record(cx, id).await?;
    Ok(cx
        .store
        .apps_of_group(&scope(&cx.principal, Permission::AppsRead), &group.id)
        .await?)
}

/// Assigns (`assign`) an app to a group or takes it back: the group's
/// `okta.groups.appAssignment.manage` and the app's
/// `okta.apps.assignment.manage`. `true` when something changed.
pub async fn change_app(
    cx: &Ctx,
    group: &GroupId,
    app: &crate::ids::AppId,
    assign: bool,
) -> Result<bool, AppError> {
    let (_, group_grant) =
        authorize_group(cx, Permission::GroupsAppAssignmentManage, group).await?;
    let (_, app_grant) =
        super::access::authorize_app(cx, Permission::AppsAssignmentManage, app).await?;
    Ok(if assign {
        cx.store
            .assign_app_to_group(&group_grant, &app_grant)
            .await?
    } else {
        cx.store
            .unassign_app_from_group(&group_grant, &app_grant)
            .await?
    })
}

//! Groups as a partner admin sees them: the groups it may read, a group's
//! members *within the admin's user scope only*, and membership changes, which
//! need two grants (on the user and on the group).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::users::UsersPage;
use crate::error::AppError;

/// A group offered or listed on a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChoice {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The caller may add or remove members of it (for the user at hand, if any).
    pub manageable: bool,
}

/// A user's groups tab: the groups it is in that the caller may see, and the
/// groups the caller could add it to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserGroupList {
    pub groups: Vec<GroupChoice>,
    pub addable: Vec<GroupChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Members the caller may read (never users of other realms).
    pub members: UsersPage,
    pub can_manage: bool,
}

/// Whether `principal` may change `user`'s membership in `group` (both sides).
#[cfg(feature = "ssr")]
async fn may_change(
    store: &crate::store::Store,
    org: &crate::authz::OrgContext,
    principal: &crate::authz::Principal,
    user_target: Option<&crate::authz::Target>,
    group: &crate::model::Group,
) -> Result<bool, AppError> {
    use crate::authz::{check, group_target, Permission};
    let group_side = check(
        principal,
        Permission::GroupsMembersManage,
        &group_target(store, &org.orn, &group.id).await?,
    )
    .is_ok();
    let user_side = user_target
        .is_none_or(|t| check(principal, Permission::UsersGroupMembershipManage, t).is_ok());
    Ok(group_side && user_side)
}

/// The groups the caller may read.
#[server(endpoint = "groups/list")]
pub async fn list_groups() -> Result<Vec<GroupChoice>, AppError> {
    use crate::authz::{scope, Permission};
    let (store, org, principal) = super::caller().await?;
    let mut rows = Vec::new();
    for g in store
        .list_groups(&scope(&principal, Permission::GroupsRead))
        .await?
    {
        let manageable = may_change(&store, &org, &principal, None, &g).await?;
        rows.push(GroupChoice {
            id: g.id.to_string(),
            name: g.name,
            description: g.description,
            manageable,
        });
    }
    Ok(rows)
}

/// A group the caller may read, with a page of its members the caller may read.
#[server(endpoint = "groups/get")]
pub async fn get_group(id: String, after: Option<String>) -> Result<GroupDetail, AppError> {
    use crate::authz::{scope, Permission};
    use crate::store::users::UserFilter;
    let (store, org, principal) = super::caller().await?;
    let id = crate::ids::GroupId::parse(&id).map_err(|_| AppError::NotFound)?;
    let group = store
        .get_group(&scope(&principal, Permission::GroupsRead), &id)
        .await?;
    let can_manage = may_change(&store, &org, &principal, None, &group).await?;
    let members = super::users::users_page(
        &store,
        &principal,
        UserFilter {
            group: Some(group.id.clone()),
            ..UserFilter::default()
        },
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

/// The groups tab of a user page.
#[server(endpoint = "users/groups")]
pub async fn user_groups(id: String) -> Result<UserGroupList, AppError> {
    use crate::authz::{scope, user_target, Permission};
    let (store, org, principal) = super::caller().await?;
    let id = crate::ids::UserId::parse(&id).map_err(|_| AppError::NotFound)?;
    let user = store
        .get_user(&scope(&principal, Permission::UsersRead), &id)
        .await?;
    let target = user_target(&store, &org.orn, &user).await?;
    let member_of = store
        .groups_of_user(&scope(&principal, Permission::GroupsRead), &user.id)
        .await?;
    let mut groups = Vec::new();
    for g in &member_of {
        groups.push(GroupChoice {
            id: g.id.to_string(),
            name: g.name.clone(),
            description: g.description.clone(),
            manageable: may_change(&store, &org, &principal, Some(&target), g).await?,
        });
    }
    let mut addable = Vec::new();
    for g in store
        .list_groups(&scope(&principal, Permission::GroupsMembersManage))
        .await?
    {
        if member_of.iter().any(|m| m.id == g.id) {
            continue;
        }
        if may_change(&store, &org, &principal, Some(&target), &g).await? {
            addable.push(GroupChoice {
                id: g.id.to_string(),
                name: g.name,
                description: g.description,
                manageable: true,
            });
        }
    }
    Ok(UserGroupList { groups, addable })
}

/// Adds the user to or removes it from the group (`op`: `add` or `remove`).
/// The user is named by id, or by username (`login`) from a group page.
#[server(endpoint = "groups/membership")]
pub async fn change_membership(
    group_id: String,
    op: String,
    user_id: Option<String>,
    login: Option<String>,
) -> Result<String, AppError> {
    let (store, org, principal) = super::caller().await?;
    let user_id = super::users::user_named(&store, &principal, user_id, login).await?;
    let group_id = crate::ids::GroupId::parse(&group_id).map_err(|_| AppError::NotFound)?;
    membership(&store, &org, &principal, &user_id, &group_id, &op).await
}

/// One membership change through the spine: both parties loaded under read
/// scope (`NotFound`), both grants checked (`Forbidden`), one store call.
#[cfg(feature = "ssr")]
pub(crate) async fn membership(
    store: &crate::store::Store,
    org: &crate::authz::OrgContext,
    principal: &crate::authz::Principal,
    user_id: &crate::ids::UserId,
    group_id: &crate::ids::GroupId,
    op: &str,
) -> Result<String, AppError> {
    use crate::authz::{authorize_group, authorize_user, Permission};
    let add = match op {
        "add" => true,
        "remove" => false,
        _ => return Err(AppError::validation("op", "Choose add or remove.")),
    };
    let (user, user_grant) = authorize_user(
        store,
        &org.orn,
        principal,
        Permission::UsersGroupMembershipManage,
        user_id,
    )
    .await?;
    let (group, group_grant) = authorize_group(
        store,
        &org.orn,
        principal,
        Permission::GroupsMembersManage,
        group_id,
    )
    .await?;
    // The group's apps come and go with the membership.
    crate::authz::check_group_app_grants(store, principal, &group.id).await?;
    let login = user.profile.login;
    Ok(if add {
        if store.add_group_member(&user_grant, &group_grant).await? {
            format!("Added {login} to {}.", group.name)
        } else {
            format!("{login} is already in {}.", group.name)
        }
    } else if store.remove_group_member(&user_grant, &group_grant).await? {
        format!("Removed {login} from {}.", group.name)
    } else {
        format!("{login} was not in {}.", group.name)
    })
}

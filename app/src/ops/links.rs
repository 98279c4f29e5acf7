//! Two-party links between a user and a group (membership) or an app (direct
//! assignment): both parties are loaded under the caller's read scope
//! (`NotFound`), both sides' grants checked (`Forbidden`), one store call.

use crate::authz::Permission;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::ids::{AppId, GroupId, UserId};

use super::access::{authorize_app, authorize_group, authorize_user, check_group_app_grants};

/// The other party of a link.
#[derive(Debug, Clone)]
pub enum Link {
    Group(GroupId),
    App(AppId),
}

/// Adds (`add`) or removes the link between the user and `link`.
pub async fn change(cx: &Ctx, user_id: &UserId, link: Link, add: bool) -> Result<String, AppError> {
    match link {
        Link::Group(group_id) => {
            let (user, user_grant) =
                authorize_user(cx, Permission::UsersGroupMembershipManage, user_id).await?;
            let (group, group_grant) =
                authorize_group(cx, Permission::GroupsMembersManage, &group_id).await?;
            // The group's apps come and go with the membership.
            check_group_app_grants(cx, &group.id).await?;
            let (login, name) = (user.profile.login, group.name);
            Ok(if add {
                if cx.store.add_group_member(&user_grant, &group_grant).await? {
                    format!("Added {login} to {name}.")
                } else {
                    format!("{login} is already in {name}.")
                }
            } else if cx
                .store
                .remove_group_member(&user_grant, &group_grant)
                .await?
            {
                format!("Removed {login} from {name}.")
            } else {
                format!("{login} was not in {name}.")
            })
        }
        Link::App(app_id) => {
            let (user, user_grant) =
                authorize_user(cx, Permission::UsersAppAssignmentManage, user_id).await?;
            let (app, app_grant) =
                authorize_app(cx, Permission::AppsAssignmentManage, &app_id).await?;
            let (login, label) = (user.profile.login, app.label);
            Ok(if add {
                if cx.store.assign_app(&user_grant, &app_grant).await? {
                    format!("Assigned {label} to {login}.")
                } else {
                    format!("{login} already has {label} directly.")
                }
            } else if cx.store.unassign_app(&user_grant, &app_grant).await? {
                format!("Unassigned {label} from {login}.")
            } else {
                format!("{login} had no direct assignment of {label}.")
            })
        }
    }
}

//! The groups pages' server functions (`ops::groups`, memberships through
//! `ops::links`).
//!
//! Authorization (in the operation, through the kernel): reads under
//! `authz::scope(okta.groups.read)`, memberships need both sides' `authz::check`.

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::views::groups::*;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// The groups the caller may read.
#[server(prefix = "/_fn", endpoint = "groups/list")]
pub async fn list_groups() -> Result<Vec<GroupChoice>, AppError> {
    ops::groups::list(&Ctx::current().await?).await
}

/// A group the caller may read, with a page of its members the caller may read.
#[server(prefix = "/_fn", endpoint = "groups/get")]
pub async fn get_group(id: String, after: Option<String>) -> Result<GroupDetail, AppError> {
    ops::groups::get(&Ctx::current().await?, &super::id(&id)?, after).await
}

/// The groups tab of a user page.
#[server(prefix = "/_fn", endpoint = "users/groups")]
pub async fn user_groups(id: String) -> Result<UserGroupList, AppError> {
    ops::groups::of_user(&Ctx::current().await?, &super::id(&id)?).await
}

/// Adds the user to or removes it from the group (`op`: `add` or `remove`).
/// The user is named by id, or by username (`login`) from a group page.
#[server(prefix = "/_fn", endpoint = "groups/membership")]
pub async fn change_membership(
    group_id: String,
    op: String,
    user_id: Option<String>,
    login: Option<String>,
) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let user = super::named_user(&cx, user_id, login).await?;
    let group = ops::links::Link::Group(super::id(&group_id)?);
    let add = match op.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(AppError::validation("op", "Choose add or remove.")),
    };
    ops::links::change(&cx, &user, group, add).await
}

//! The apps pages' server functions (`ops::apps`, assignments through
//! `ops::links`).
//!
//! Authorization (in the operation, through the kernel): reads under
//! `authz::scope(okta.apps.read)`, assignments need both sides' `authz::check` (user and app).

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::views::apps::*;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// The apps the caller may read.
#[server(prefix = "/_fn", endpoint = "apps/list")]
pub async fn list_apps() -> Result<Vec<AppChoice>, AppError> {
    ops::apps::list(&Ctx::current().await?).await
}

/// An app the caller may read, with a page of its direct assignees the caller
/// may read.
#[server(prefix = "/_fn", endpoint = "apps/get")]
pub async fn get_app(id: String, after: Option<String>) -> Result<AppDetail, AppError> {
    ops::apps::get(&Ctx::current().await?, &super::id(&id)?, after).await
}

/// The apps tab of a user page.
#[server(prefix = "/_fn", endpoint = "users/apps")]
pub async fn user_apps(id: String) -> Result<UserAppList, AppError> {
    ops::apps::of_user(&Ctx::current().await?, &super::id(&id)?).await
}

/// Assigns the app to the user directly or removes that assignment (`op`:
/// `assign` or `unassign`). The user is named by id, or by username.
#[server(prefix = "/_fn", endpoint = "apps/assignment")]
pub async fn change_assignment(
    app_id: String,
    op: String,
    user_id: Option<String>,
    login: Option<String>,
) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let user = super::named_user(&cx, user_id, login).await?;
    let app = ops::links::Link::App(super::id(&app_id)?);
    let assign = match op.as_str() {
        "assign" => true,
        "unassign" => false,
        _ => return Err(AppError::validation("op", "Choose assign or unassign.")),
    };
    ops::links::change(&cx, &user, app, assign).await
}

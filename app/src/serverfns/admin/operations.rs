//! `/admin/operations`: planning realm moves (a rule's plan, selected or
//! filtered users), an operation's page, executing and canceling
//! (`ops::operations`).
//!
//! Authorization (in the operation, through the kernel): org-level
//! `authz::check(okta.realms.manage)`, and `okta.users.manage` on every user moved.

use leptos::prelude::*;

use crate::error::AppError;
use crate::views::admin::OperationView;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// Plans (dry-runs) a rule over every user; the browser goes to the plan.
#[server(prefix = "/_fn", endpoint = "admin/rules/plan")]
pub async fn plan_rule(id: String) -> Result<String, AppError> {
    let op = ops::operations::plan_rule(&Ctx::current().await?, &super::super::id(&id)?).await?;
    leptos_axum::redirect(&format!("/admin/operations/{}", op.id));
    Ok(op.id.to_string())
}

/// Plans moving the selected users to a realm; the browser goes to the plan.
/// Each user must be one the caller may manage.
#[server(prefix = "/_fn", endpoint = "admin/users/move")]
pub async fn plan_move(ids: Option<Vec<String>>, realm_id: String) -> Result<String, AppError> {
    let realm = super::super::choice(&realm_id);
    let op = ops::operations::plan_move(
        &Ctx::current().await?,
        &ids.unwrap_or_default(),
        realm.as_ref(),
    )
    .await?;
    leptos_axum::redirect(&format!("/admin/operations/{op}"));
    Ok(op.to_string())
}

/// Plans moving every user the users table's filter matches (search, status,
/// realm, group — as its address holds them) that the caller may manage;
/// the browser goes to the plan.
#[server(prefix = "/_fn", endpoint = "admin/users/move-filtered")]
pub async fn plan_move_filtered(
    q: Option<String>,
    status: Option<String>,
    realm: Option<String>,
    group: Option<String>,
    realm_id: String,
) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let filter = ops::users::parse_filter(q, status, realm, group)?;
    let target = super::super::choice(&realm_id);
    let op = ops::operations::plan_move_filtered(&cx, &filter, target.as_ref()).await?;
    leptos_axum::redirect(&format!("/admin/operations/{op}"));
    Ok(op.to_string())
}

/// An operation with a page of its items (`result`: one result only).
#[server(prefix = "/_fn", endpoint = "admin/operations/get")]
pub async fn admin_operation(
    id: String,
    result: Option<String>,
    after: Option<String>,
) -> Result<OperationView, AppError> {
    let result = result.as_deref().and_then(crate::model::ItemResult::parse);
    let after = after.as_deref().and_then(super::super::choice);
    ops::operations::get(
        &Ctx::current().await?,
        &super::super::id(&id)?,
        result,
        after.as_ref(),
    )
    .await
}

/// Executes a plan exactly as planned, in the background.
#[server(prefix = "/_fn", endpoint = "admin/operations/execute")]
pub async fn execute_operation(id: String) -> Result<String, AppError> {
    ops::operations::execute(&Ctx::current().await?, &super::super::id(&id)?).await
}

/// Stops a plan or a running operation; what is left is not applied.
#[server(prefix = "/_fn", endpoint = "admin/operations/cancel")]
pub async fn cancel_operation(id: String) -> Result<String, AppError> {
    ops::operations::cancel(&Ctx::current().await?, &super::super::id(&id)?).await
}

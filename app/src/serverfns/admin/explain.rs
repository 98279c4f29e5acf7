//! `/admin/explain`: "explain access" (`ops::explain`).
//!
//! Authorization (in the operation, through the kernel): org-level
//! `authz::check(okta.iam.read)`; the answer is `authz::explain`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::views::admin::ExplainView;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// The permissions "explain access" can ask about, as (string, label).
#[server(prefix = "/_fn", endpoint = "admin/explain/permissions")]
pub async fn explain_permissions() -> Result<Vec<(String, String)>, AppError> {
    ops::explain::permissions(&Ctx::current().await?)
}

/// Everything the admin with `login` can do and why; with `permission` and a
/// target (`kind`: user, group, app or realm; `target`: a username or an id),
/// the decision and what made it.
#[server(prefix = "/_fn", endpoint = "admin/explain")]
pub async fn explain_access(
    login: String,
    permission: Option<String>,
    kind: Option<String>,
    target: Option<String>,
) -> Result<ExplainView, AppError> {
    let cx = Ctx::current().await?;
    let question = match permission.filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(ops::explain::Question {
            permission: super::super::field(&p, "permission", "Choose a permission.")?,
            kind: kind.unwrap_or_default(),
            target: target.unwrap_or_default(),
        }),
    };
    ops::explain::run(&cx, &login, question).await
}

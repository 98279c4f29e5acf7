//! `/admin/rules`: realm-assignment rules (`ops::rules`); planning one is in
//! `operations`.
//!
//! Authorization (in the operation, through the kernel): org-level
//! `authz::check(okta.realms.read | okta.realms.manage)`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::views::admin::{RuleCheck, RulesView};

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// The rules in priority order, with what the editor offers.
#[server(prefix = "/_fn", endpoint = "admin/rules")]
pub async fn admin_rules() -> Result<RulesView, AppError> {
    ops::rules::list(&Ctx::current().await?).await
}

/// Checks a rule's expression as it is typed: the error and its position,
/// warnings, and how many users it selects now.
#[server(prefix = "/_fn", endpoint = "admin/rules/check")]
pub async fn check_rule(
    expression: String,
    profile_source_id: Option<String>,
) -> Result<RuleCheck, AppError> {
    let source = profile_source_id.filter(|s| !s.is_empty());
    ops::rules::check_expression(&Ctx::current().await?, &expression, source.as_deref()).await
}

/// Creates (no `id`) or replaces a rule; the browser goes to the rules list.
#[server(prefix = "/_fn", endpoint = "admin/rules/save")]
pub async fn save_rule(
    id: Option<String>,
    name: String,
    profile_source_id: Option<String>,
    expression: Option<String>,
    target_realm_id: String,
    expected: Option<String>,
) -> Result<String, AppError> {
    let kept = [
        ("name", name.clone()),
        (
            "profile_source_id",
            profile_source_id.clone().unwrap_or_default(),
        ),
        ("expression", expression.clone().unwrap_or_default()),
        ("target_realm_id", target_realm_id.clone()),
    ];
    let form = ops::rules::RuleForm {
        name,
        profile_source_id,
        expression,
        target_realm_id: super::super::choice(&target_realm_id),
    };
    let rule = async {
        let cx = Ctx::current().await?;
        let id = match id.filter(|i| !i.is_empty()) {
            None => None,
            Some(id) => Some(super::super::id(&id)?),
        };
        ops::rules::save(&cx, id.as_ref(), form, expected.as_deref().unwrap_or("")).await
    }
    .await
    .map_err(|e| e.keeping(kept))?;
    leptos_axum::redirect("/admin/rules");
    Ok(format!("Saved rule {}.", rule.name))
}

/// `op`: `activate`, `deactivate`, `up`, `down` or `delete`.
#[server(prefix = "/_fn", endpoint = "admin/rules/change")]
pub async fn change_rule(id: String, op: String) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let change = ops::rules::RuleChange::parse(&op)
        .ok_or_else(|| AppError::validation("op", "Unknown change."))?;
    ops::rules::change(&cx, &super::super::id(&id)?, change).await
}

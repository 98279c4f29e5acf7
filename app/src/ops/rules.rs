//! Realm-assignment rules (org-level `okta.realms.*`): the list with what the
//! editor offers, the live check of an expression, and rule changes.

use crate::authz::{scope, Permission};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::ids::{RealmId, RuleId};
use crate::model::{LifecycleStatus, RealmRule};
use crate::store::rules::RuleInput;
use crate::store::StoreError;
use crate::views::admin::{RuleCheck, RuleRow, RulesView};

use super::access::org_level;

/// The preview of a rule looks at this many users at most.
const PREVIEW_USERS: i64 = 200_000;

/// The rules in priority order, with what the editor offers and the latest
/// operations.
pub async fn list(cx: &Ctx) -> Result<RulesView, AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsRead)?;
    let read = scope(&cx.principal, Permission::RealmsRead);
    let realms = cx.store.list_realms(&read).await?;
    // Profile sources: Okta (none), the IdPs, the apps (for imports).
    let mut sources: Vec<(String, String)> = cx
        .store
        .idp_names(&grant)
        .await?
        .into_iter()
        .map(|(id, name)| (id, format!("Identity provider: {name}")))
        .collect();
    sources.extend(
        cx.store
            .list_apps(&scope(&cx.principal, Permission::AppsRead))
            .await?
            .into_iter()
            .map(|app| (app.id.to_string(), format!("App: {}", app.label))),
    );
    let name_of = |id: &str| {
        realms
            .iter()
            .find(|r| r.id.as_str() == id)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    let rules = cx
        .store
        .list_rules(&read)
        .await?
        .into_iter()
        .map(|rule| RuleRow {
            realm: name_of(rule.target_realm_id.as_str()),
            source: rule.profile_source_id.as_ref().map(|s| {
                sources
                    .iter()
                    .find(|(id, _)| id == s)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| s.clone())
            }),
            rule,
        })
        .collect();
    let operations = cx.store.list_operations(&grant, 10).await?;
    Ok(RulesView {
        rules,
        realms: realms
            .into_iter()
            .map(|r| (r.id.to_string(), r.name))
            .collect(),
        sources,
        operations,
    })
}

/// Checks a rule's expression as it is typed: the error and its position,
/// warnings, and how many users it selects now.
pub async fn check_expression(
    cx: &Ctx,
    expression: &str,
    profile_source_id: Option<&str>,
) -> Result<RuleCheck, AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsManage)?;
    match crate::store::rules::validate_expression(expression) {
        Err(StoreError::Invalid(fields)) => Ok(RuleCheck {
            error: fields.into_iter().next().map(|f| f.message),
            warnings: Vec::new(),
            matches: None,
        }),
        Err(e) => Err(e.into()),
        Ok(compiled) => {
            let warnings = compiled
                .map(|e| e.warnings().iter().map(|w| w.to_string()).collect())
                .unwrap_or_default();
            let matches = cx
                .store
                .preview_rule(&grant, expression, profile_source_id, PREVIEW_USERS)
                .await?;
            Ok(RuleCheck {
                error: None,
                warnings,
                matches: Some(matches),
            })
        }
    }
}

/// A rule form. `target_realm_id` is `None` when none (or no valid one) was
/// chosen.
#[derive(Debug, Clone)]
pub struct RuleForm {
    pub name: String,
    pub profile_source_id: Option<String>,
    pub expression: Option<String>,
    pub target_realm_id: Option<RealmId>,
}

/// Creates a rule (`id` None) or replaces one (`expected`: the version the
/// form was rendered from).
pub async fn save(
    cx: &Ctx,
    id: Option<&RuleId>,
    form: RuleForm,
    expected: &str,
) -> Result<RealmRule, AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsManage)?;
    let input = input_of(form)?;
    Ok(match id {
        None => cx.store.create_rule(&grant, input).await?,
        Some(id) => cx.store.update_rule(&grant, id, input, expected).await?,
    })
}

fn input_of(form: RuleForm) -> Result<RuleInput, AppError> {
    Ok(RuleInput {
        name: form.name,
        profile_source_id: form.profile_source_id,
        expression: form.expression,
        target_realm_id: form
            .target_realm_id
            .ok_or_else(|| AppError::validation("targetRealmId", "Choose a realm."))?,
    })
}

/// The rules whose realm the caller may read, in priority order (the
/// catch-all last): the records themselves, for the Management API.
pub async fn records(cx: &Ctx) -> Result<Vec<RealmRule>, AppError> {
    let read = scope(&cx.principal, Permission::RealmsRead);
    Ok(cx.store.list_rules(&read).await?)
}

/// One rule whose realm the caller may read.
pub async fn record(cx: &Ctx, id: &RuleId) -> Result<RealmRule, AppError> {
    let read = scope(&cx.principal, Permission::RealmsRead);
    Ok(cx.store.get_rule(&read, id).await?)
}

/// Creates an INACTIVE rule at `priority` (a free one before the
/// catch-all), or after the last rule when `None`.
pub async fn create_at(
    cx: &Ctx,
    form: RuleForm,
    priority: Option<i64>,
) -> Result<RealmRule, AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsManage)?;
    Ok(cx
        .store
        .create_rule_at(&grant, input_of(form)?, priority)
        .await?)
}

/// Replaces a rule as it stands now (Okta's PUT carries no version) and,
/// when `priority` is given, moves it there (a free one before the
/// catch-all). A rule the caller cannot read is not found.
pub async fn replace_at(
    cx: &Ctx,
    id: &RuleId,
    form: RuleForm,
    priority: Option<i64>,
) -> Result<RealmRule, AppError> {
    let current = record(cx, id).await?;
    let grant = org_level(&cx.principal, Permission::RealmsManage)?;
    Ok(cx
        .store
        .update_rule_at(&grant, id, input_of(form)?, &current.last_updated, priority)
        .await?)
}

/// A change to one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleChange {
    Activate,
    Deactivate,
    Up,
    Down,
    Delete,
}

impl RuleChange {
    pub fn parse(op: &str) -> Option<Self> {
        Some(match op {
            "activate" => Self::Activate,
            "deactivate" => Self::Deactivate,
            "up" => Self::Up,
            "down" => Self::Down,
            "delete" => Self::Delete,
            _ => return None,
        })
    }
}

/// Activates, deactivates, moves or deletes a rule; says what was done.
pub async fn change(cx: &Ctx, id: &RuleId, change: RuleChange) -> Result<String, AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsManage)?;
    let store = &cx.store;
    Ok(match change {
        RuleChange::Activate => {
            let r = store
                .set_rule_status(&grant, id, LifecycleStatus::Active)
                .await?;
            format!("Activated {}.", r.name)
        }
        RuleChange::Deactivate => {
            let r = store
                .set_rule_status(&grant, id, LifecycleStatus::Inactive)
                .await?;
            format!("Deactivated {}.", r.name)
        }
        RuleChange::Up | RuleChange::Down => {
            store
                .move_rule(&grant, id, change == RuleChange::Up)
                .await?;
            "Order saved.".to_string()
        }
        RuleChange::Delete => {
            store.delete_rule(&grant, id).await?;
            "Rule deleted.".to_string()
        }
    })
}

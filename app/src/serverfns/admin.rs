//! The org admin console (`/admin`): realms, the partner realm wizard,
//! realm-assignment rules with their dry-run / execute operations, and the
//! "explain access" page. Every function has the portal's spine; the org-level
//! checks need the permission over *all* realms (`Target::Org`), so a partner
//! admin is refused (403) whatever its binding.

// Server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::{Operation, OperationItem, RealmRule, RealmSummary};

/// Items of an operation shown per page.
pub const ITEMS_PAGE: i64 = 50;

/// A line of the realm report: counts by status, who administers the realm,
/// which rules place users in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmReportRow {
    pub summary: RealmSummary,
    pub admins: Vec<String>,
    pub rules: Vec<String>,
}

/// The portal's public URL (for the redirect URI an IdP registration needs).
#[derive(Debug, Clone)]
pub struct PublicUrl(pub String);

/// A partner identity provider as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpRow {
    pub id: String,
    pub name: String,
    pub status: String,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub realm: Option<String>,
    pub jit_enabled: bool,
    pub routing_domains: Vec<String>,
}

/// The IdP page: the IdPs, the realms they may be bound to, and the redirect
/// URI to register at each IdP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpsView {
    pub idps: Vec<IdpRow>,
    pub realms: Vec<(String, String)>,
    pub redirect_uri: String,
}

/// A realm with what the console shows beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmDetail {
    pub summary: RealmSummary,
    /// Why it cannot be deleted now (empty: it can).
    pub blockers: Vec<String>,
    /// Rules that place users in it.
    pub rules: Vec<RealmRule>,
}

/// A rule as listed: with the names of its realm and profile source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    pub rule: RealmRule,
    pub realm: String,
    pub source: Option<String>,
}

/// The rules page: rules in priority order, what a rule may point at, and the
/// latest operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesView {
    pub rules: Vec<RuleRow>,
    pub realms: Vec<(String, String)>,
    pub sources: Vec<(String, String)>,
    pub operations: Vec<Operation>,
}

/// The live check of a rule's expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCheck {
    /// The error, with the character position (1-based) it names.
    pub error: Option<String>,
    pub warnings: Vec<String>,
    /// Users the expression selects, users looked at, and whether more exist.
    pub matches: Option<(i64, i64, bool)>,
}

/// An operation with a page of its items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationView {
    pub operation: Operation,
    pub items: Vec<OperationItem>,
    /// Cursor of the next page of items, if any.
    pub next: Option<String>,
}

/// What the wizard offers to put in a partner realm's resource set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WizardChoices {
    pub groups: Vec<(String, String)>,
    pub apps: Vec<(String, String)>,
}

/// What the wizard will create, shown for review before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WizardReview {
    pub realm: String,
    pub domains: Vec<String>,
    pub resource_set: String,
    /// The resource set's resources, described.
    pub resources: Vec<String>,
    /// Existing users who become partner admins ("login (realm)").
    pub admins: Vec<String>,
    /// The new admin created in the realm, if any ("First Last <email>").
    pub new_admin: Option<String>,
    /// The partner IdP bound to the realm, if any, described.
    pub idp: Option<String>,
}

/// One entitlement of an admin, for "explain access".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplainedRight {
    /// "Role Partner Admin on resource set Acme partner administration".
    pub source: String,
    pub permissions: Vec<String>,
    /// `None`: org-wide.
    pub resources: Option<Vec<String>>,
}

/// Everything an admin can do and, for a question, the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplainView {
    pub admin: String,
    pub admin_id: String,
    pub rights: Vec<ExplainedRight>,
    pub decision: Option<crate::model::ExplainedDecision>,
}

/// The permissions "explain access" can ask about, as (string, label).
#[server(endpoint = "admin/explain/permissions")]
pub async fn explain_permissions() -> Result<Vec<(String, String)>, AppError> {
    use crate::authz::Permission;
    let (_, _, principal) = super::caller().await?;
    spine::org(&principal, Permission::IamRead)?;
    Ok(Permission::ALL
        .iter()
        .map(|p| {
            (
                p.as_str().to_string(),
                format!("{} — {}", p.label(), p.as_str()),
            )
        })
        .collect())
}

#[cfg(feature = "ssr")]
mod spine {
    use crate::authz::{check, Grant, Permission, Principal, Target};
    use crate::error::AppError;

    /// `permission` over the whole org (all realms), or 403.
    pub fn org(principal: &Principal, permission: Permission) -> Result<Grant, AppError> {
        check(principal, permission, &Target::Org)
    }

    pub fn realm_id(raw: &str) -> Result<crate::ids::RealmId, AppError> {
        crate::ids::RealmId::parse(raw.trim()).map_err(|_| AppError::NotFound)
    }

    pub fn rule_id(raw: &str) -> Result<crate::ids::RuleId, AppError> {
        crate::ids::RuleId::parse(raw.trim()).map_err(|_| AppError::NotFound)
    }

    pub fn operation_id(raw: &str) -> Result<crate::ids::OperationId, AppError> {
        crate::ids::OperationId::parse(raw.trim()).map_err(|_| AppError::NotFound)
    }

    /// A user the caller may read, by username; otherwise a field error.
    pub async fn visible_user(
        store: &crate::store::Store,
        principal: &Principal,
        field: &str,
        login: &str,
    ) -> Result<crate::model::User, AppError> {
        use crate::authz::{scope, Permission};
        let unknown = || AppError::validation(field, format!("There is no user {login}."));
        let id = super::super::users::user_named(store, principal, None, Some(login.to_string()))
            .await
            .map_err(|_| unknown())?;
        store
            .get_user(&scope(principal, Permission::UsersRead), &id)
            .await
            .map_err(|_| unknown())
    }

    /// Where admin-configured IdPs may be (see `authn::outbound`).
    pub fn outbound() -> Result<crate::authn::outbound::OutboundPolicy, AppError> {
        leptos::prelude::use_context::<crate::authn::outbound::OutboundPolicy>()
            .ok_or_else(super::super::session::missing_context)
    }

    /// Domains as typed: separated by commas, spaces or new lines.
    pub fn domains(raw: &str) -> Vec<String> {
        raw.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// The realm report: every realm with its users counted by status, its admins
/// and the rules that target it.
#[server(endpoint = "admin/realms")]
pub async fn admin_realms() -> Result<Vec<RealmReportRow>, AppError> {
    let (store, _, principal) = super::caller().await?;
    realm_report(&store, &principal).await
}

/// The realm report for `principal` (org-level `okta.realms.read`), also
/// behind `GET /admin/realms/report.csv`.
#[cfg(feature = "ssr")]
pub async fn realm_report(
    store: &crate::store::Store,
    principal: &crate::authz::Principal,
) -> Result<Vec<RealmReportRow>, AppError> {
    use crate::authz::{scope, Permission};
    spine::org(principal, Permission::RealmsRead)?;
    let read = scope(principal, Permission::RealmsRead);
    let summaries = store.realm_summaries(&read).await?;
    let admins = store
        .realm_admins(
            &scope(principal, Permission::UsersRead),
            &scope(principal, Permission::GroupsRead),
        )
        .await?;
    let rules = store.list_rules(&read).await?;
    Ok(summaries
        .into_iter()
        .map(|summary| RealmReportRow {
            admins: admins
                .iter()
                .filter(|(r, _)| *r == summary.realm.id)
                .map(|(_, who)| who.clone())
                .collect(),
            rules: rules
                .iter()
                .filter(|r| r.target_realm_id == summary.realm.id)
                .map(|r| format!("{} ({})", r.name, r.status.as_str()))
                .collect(),
            summary,
        })
        .collect())
}

/// The realm report as CSV (formula cells neutralised).
#[cfg(feature = "ssr")]
pub fn realm_report_csv(rows: &[RealmReportRow]) -> Result<Vec<u8>, AppError> {
    use crate::model::UserStatus;
    let internal = |e: &dyn std::fmt::Display| {
        let ref_id = crate::error::new_ref_id();
        tracing::error!(%ref_id, error = %e, "realm report CSV");
        AppError::Internal { ref_id }
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["realm", "type", "domains", "users"];
    header.extend(UserStatus::ALL.iter().map(|s| s.as_str()));
    header.extend(["admins", "rules"]);
    out.write_record(&header).map_err(|e| internal(&e))?;
    for row in rows {
        let r = &row.summary.realm;
        let mut record = vec![
            r.name.clone(),
            r.realm_type.as_str().to_string(),
            r.domains.join(" "),
            row.summary.users.to_string(),
        ];
        record.extend(UserStatus::ALL.iter().map(|s| {
            row.summary
                .by_status
                .iter()
                .find(|(x, _)| x == s)
                .map_or(0, |(_, n)| *n)
                .to_string()
        }));
        record.push(row.admins.join("; "));
        record.push(row.rules.join("; "));
        out.write_record(record.iter().map(|v| super::users::inert(v).into_owned()))
            .map_err(|e| internal(&e))?;
    }
    out.into_inner().map_err(|e| internal(&e))
}

/// Creates a partner realm; the browser goes to it.
#[server(endpoint = "admin/realms/create")]
pub async fn create_realm(name: String, domains: String) -> Result<String, AppError> {
    use crate::authz::Permission;
    use crate::model::RealmType;
    use crate::store::realms::NewRealm;
    let kept = [("name", name.clone()), ("domains", domains.clone())];
    let result: Result<String, AppError> = async {
        let (store, _, principal) = super::caller().await?;
        let grant = spine::org(&principal, Permission::RealmsManage)?;
        let realm = store
            .create_realm(
                &grant,
                NewRealm {
                    name,
                    realm_type: RealmType::Partner,
                    domains: spine::domains(&domains),
                },
            )
            .await?;
        leptos_axum::redirect(&format!("/admin/realms/{}", realm.id));
        Ok(realm.id.to_string())
    }
    .await;
    result.map_err(|e| e.keeping(kept))
}

/// A realm with its counts, delete blockers and rules.
#[server(endpoint = "admin/realms/get")]
pub async fn admin_realm(id: String) -> Result<RealmDetail, AppError> {
    use crate::authz::{scope, Permission};
    let (store, _, principal) = super::caller().await?;
    spine::org(&principal, Permission::RealmsRead)?;
    let id = spine::realm_id(&id)?;
    let read = scope(&principal, Permission::RealmsRead);
    let summary = store.realm_summary(&read, &id).await?;
    let blockers = if summary.realm.is_default {
        vec!["it is the default realm".to_string()]
    } else {
        store.realm_blockers(&id).await?
    };
    let rules = store.rules_targeting(&read, &id).await?;
    Ok(RealmDetail {
        summary,
        blockers,
        rules,
    })
}

/// Renames a realm or changes its allowed domains.
#[server(endpoint = "admin/realms/update")]
pub async fn update_realm(
    id: String,
    name: String,
    domains: String,
    expected: String,
) -> Result<String, AppError> {
    use crate::authz::Permission;
    let kept = [("name", name.clone()), ("domains", domains.clone())];
    let result: Result<String, AppError> = async {
        let (store, _, principal) = super::caller().await?;
        let grant = spine::org(&principal, Permission::RealmsManage)?;
        let id = spine::realm_id(&id)?;
        let realm = store
            .update_realm(&grant, &id, &name, &spine::domains(&domains), &expected)
            .await?;
        Ok(format!("Saved {}.", realm.name))
    }
    .await;
    result.map_err(|e| e.keeping(kept))
}

/// Deletes an empty partner realm; the browser goes back to the list.
#[server(endpoint = "admin/realms/delete")]
pub async fn delete_realm(id: String) -> Result<String, AppError> {
    use crate::authz::Permission;
    let (store, _, principal) = super::caller().await?;
    let grant = spine::org(&principal, Permission::RealmsManage)?;
    let id = spine::realm_id(&id)?;
    store.delete_realm(&grant, &id).await?;
    leptos_axum::redirect("/admin/realms");
    Ok("Realm deleted.".into())
}

/// The rules in priority order, with what the editor offers.
#[server(endpoint = "admin/rules")]
pub async fn admin_rules() -> Result<RulesView, AppError> {
    use crate::authz::{scope, Permission};
    let (store, _, principal) = super::caller().await?;
    let grant = spine::org(&principal, Permission::RealmsRead)?;
    let read = scope(&principal, Permission::RealmsRead);
    let realms = store.list_realms(&read).await?;
    let sources = store.idp_names().await?;
    let name_of = |id: &str| {
        realms
            .iter()
            .find(|r| r.id.as_str() == id)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    let rules = store
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
    let operations = store.list_operations(&grant, 10).await?;
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
#[server(endpoint = "admin/rules/check")]
pub async fn check_rule(
    expression: String,
    profile_source_id: Option<String>,
) -> Result<RuleCheck, AppError> {
    use crate::authz::Permission;
    /// The preview looks at this many users at most.
    const PREVIEW_USERS: i64 = 200_000;
    let (store, _, principal) = super::caller().await?;
    spine::org(&principal, Permission::RealmsManage)?;
    let source = profile_source_id.filter(|s| !s.is_empty());
    match crate::store::rules::validate_expression(&expression) {
        Err(crate::store::StoreError::Invalid(fields)) => Ok(RuleCheck {
            error: fields.into_iter().next().map(|f| f.message),
            warnings: Vec::new(),
            matches: None,
        }),
        Err(e) => Err(e.into()),
        Ok(compiled) => {
            let warnings = compiled
                .map(|e| e.warnings().iter().map(|w| w.to_string()).collect())
                .unwrap_or_default();
            let matches = store
                .preview_rule(&expression, source.as_deref(), PREVIEW_USERS)
                .await?;
            Ok(RuleCheck {
                error: None,
                warnings,
                matches: Some(matches),
            })
        }
    }
}

/// Creates (no `id`) or replaces a rule; the browser goes to the rules list.
#[server(endpoint = "admin/rules/save")]
pub async fn save_rule(
    id: Option<String>,
    name: String,
    profile_source_id: Option<String>,
    expression: Option<String>,
    target_realm_id: String,
    expected: Option<String>,
) -> Result<String, AppError> {
    use crate::authz::Permission;
    use crate::store::rules::RuleInput;
    let kept = [
        ("name", name.clone()),
        (
            "profile_source_id",
            profile_source_id.clone().unwrap_or_default(),
        ),
        ("expression", expression.clone().unwrap_or_default()),
        ("target_realm_id", target_realm_id.clone()),
    ];
    let result: Result<String, AppError> = async {
        let (store, _, principal) = super::caller().await?;
        let grant = spine::org(&principal, Permission::RealmsManage)?;
        let target_realm_id = crate::ids::RealmId::parse(target_realm_id.trim())
            .map_err(|_| AppError::validation("targetRealmId", "Choose a realm."))?;
        let input = RuleInput {
            name,
            profile_source_id,
            expression,
            target_realm_id,
        };
        let rule = match id.filter(|i| !i.is_empty()) {
            None => store.create_rule(&grant, input).await?,
            Some(id) => {
                let id = spine::rule_id(&id)?;
                store
                    .update_rule(&grant, &id, input, expected.as_deref().unwrap_or(""))
                    .await?
            }
        };
        leptos_axum::redirect("/admin/rules");
        Ok(format!("Saved rule {}.", rule.name))
    }
    .await;
    result.map_err(|e| e.keeping(kept))
}

/// `op`: `activate`, `deactivate`, `up`, `down` or `delete`.
#[server(endpoint = "admin/rules/change")]
pub async fn change_rule(id: String, op: String) -> Result<String, AppError> {
    use crate::authz::Permission;
    use crate::model::LifecycleStatus;
    let (store, _, principal) = super::caller().await?;
    let grant = spine::org(&principal, Permission::RealmsManage)?;
    let id = spine::rule_id(&id)?;
    let message = match op.as_str() {
        "activate" => {
            let r = store
                .set_rule_status(&grant, &id, LifecycleStatus::Active)
                .await?;
            format!("Activated {}.", r.name)
        }
        "deactivate" => {
            let r = store
                .set_rule_status(&grant, &id, LifecycleStatus::Inactive)
                .await?;
            format!("Deactivated {}.", r.name)
        }
        "up" | "down" => {
            store.move_rule(&grant, &id, op == "up").await?;
            "Order saved.".to_string()
        }
        "delete" => {
            store.delete_rule(&grant, &id).await?;
            "Rule deleted.".to_string()
        }
        _ => return Err(AppError::validation("op", "Unknown change.")),
    };
    Ok(message)
}

/// Plans (dry-runs) a rule over every user; the browser goes to the plan.
#[server(endpoint = "admin/rules/plan")]
pub async fn plan_rule(id: String) -> Result<String, AppError> {
    use crate::authz::Permission;
    let (store, org, principal) = super::caller().await?;
    let grant = spine::org(&principal, Permission::RealmsManage)?;
    let id = spine::rule_id(&id)?;
    let refused = crate::authz::accounts_beyond_reach(&store, &org.orn, &principal).await?;
    // Only users the planner may manage are considered at all.
    let users = crate::authz::scope(&principal, Permission::UsersManage);
    let bounded = (!users.users().all).then_some(&users);
    let op = store.plan_rule(&grant, &id, &refused, bounded).await?;
    leptos_axum::redirect(&format!("/admin/operations/{}", op.id));
    Ok(op.id.to_string())
}

/// Plans moving the selected users to a realm; the browser goes to the plan.
/// Each user must be one the caller may manage.
#[server(endpoint = "admin/users/move")]
pub async fn plan_move(ids: Option<Vec<String>>, realm_id: String) -> Result<String, AppError> {
    let (store, org, principal) = super::caller().await?;
    let op = plan_move_for(&store, &org, &principal, ids.unwrap_or_default(), &realm_id).await?;
    leptos_axum::redirect(&format!("/admin/operations/{op}"));
    Ok(op.to_string())
}

/// Most users one move may name (selected or matched by a filter); a rule
/// moves more.
pub const MOVE_MAX: usize = 10_000;

/// Plans moving every user the users table's filter matches (search, status,
/// realm, group — as its address holds them) that the caller may manage, up
/// to `MOVE_MAX`; the browser goes to the plan.
#[server(endpoint = "admin/users/move-filtered")]
pub async fn plan_move_filtered(
    q: Option<String>,
    status: Option<String>,
    realm: Option<String>,
    group: Option<String>,
    realm_id: String,
) -> Result<String, AppError> {
    use crate::authz::{scope, Permission};
    use crate::store::users::{UserSort, MAX_PAGE};
    let (store, org, principal) = super::caller().await?;
    spine::org(&principal, Permission::RealmsManage)?;
    let filter = super::users::user_filter(q, status, realm, group)?;
    if filter == crate::store::users::UserFilter::default() {
        return Err(AppError::validation(
            "realmId",
            "Filter the table first (a search, status, realm or group); a rule moves everyone.",
        ));
    }
    let manage = scope(&principal, Permission::UsersManage);
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list_users(
                &manage,
                &filter,
                UserSort::Login,
                after.as_deref(),
                MAX_PAGE,
            )
            .await?;
        ids.extend(page.items.into_iter().map(|u| u.id.to_string()));
        if ids.len() > MOVE_MAX {
            return Err(AppError::validation(
                "realmId",
                format!("More than {MOVE_MAX} users match; narrow the filter or use a rule."),
            ));
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    if ids.is_empty() {
        return Err(AppError::validation(
            "realmId",
            "No user you may manage matches the filter.",
        ));
    }
    let op = plan_move_for(&store, &org, &principal, ids, &realm_id).await?;
    leptos_axum::redirect(&format!("/admin/operations/{op}"));
    Ok(op.to_string())
}

/// Plans moving users (each one the caller may manage) to a realm: the bulk
/// move behind `admin/users/move` and the users table's "Move to realm".
#[cfg(feature = "ssr")]
pub async fn plan_move_for(
    store: &crate::store::Store,
    org: &crate::authz::OrgContext,
    principal: &crate::authz::Principal,
    ids: Vec<String>,
    realm_id: &str,
) -> Result<crate::ids::OperationId, AppError> {
    use crate::authz::{authorize_user, Permission};
    let grant = spine::org(principal, Permission::RealmsManage)?;
    if ids.is_empty() {
        return Err(AppError::validation("ids", "Select at least one user."));
    }
    if ids.len() > MOVE_MAX {
        return Err(AppError::validation(
            "ids",
            format!("Move at most {MOVE_MAX} users at a time; use a rule for more."),
        ));
    }
    let realm = crate::ids::RealmId::parse(realm_id.trim())
        .map_err(|_| AppError::validation("realmId", "Choose a realm."))?;
    let mut users = Vec::with_capacity(ids.len());
    for raw in &ids {
        let id = crate::ids::UserId::parse(raw.trim()).map_err(|_| AppError::NotFound)?;
        let (user, _) =
            authorize_user(store, &org.orn, principal, Permission::UsersManage, &id).await?;
        users.push(user.id);
    }
    Ok(store.plan_bulk_move(&grant, &users, &realm).await?.id)
}

/// An operation with a page of its items (`result`: one result only).
#[server(endpoint = "admin/operations/get")]
pub async fn admin_operation(
    id: String,
    result: Option<String>,
    after: Option<String>,
) -> Result<OperationView, AppError> {
    use crate::authz::Permission;
    use crate::model::ItemResult;
    let (store, _, principal) = super::caller().await?;
    let grant = spine::org(&principal, Permission::RealmsRead)?;
    let id = spine::operation_id(&id)?;
    let operation = store.get_operation(&grant, &id).await?;
    // Items name users: only those the caller may read are listed.
    let users = crate::authz::scope(&principal, Permission::UsersRead);
    let result = result.as_deref().and_then(ItemResult::parse);
    let after = after
        .filter(|a| !a.is_empty())
        .and_then(|a| crate::ids::UserId::parse(&a).ok());
    let mut items = store
        .operation_items(
            &grant,
            &id,
            result,
            after.as_ref(),
            ITEMS_PAGE + 1,
            Some(&users),
        )
        .await?;
    let next = if items.len() as i64 > ITEMS_PAGE {
        items.truncate(ITEMS_PAGE as usize);
        items.last().map(|i| i.user_id.to_string())
    } else {
        None
    };
    Ok(OperationView {
        operation,
        items,
        next,
    })
}

/// Executes a plan exactly as planned, in the background.
#[server(endpoint = "admin/operations/execute")]
pub async fn execute_operation(id: String) -> Result<String, AppError> {
    use crate::authz::Permission;
    let (store, org, principal) = super::caller().await?;
    let grant = spine::org(&principal, Permission::RealmsManage)?;
    let id = spine::operation_id(&id)?;
    // Whoever executes a plan must be able to move every user it moves: the
    // planner's rights are not the executor's.
    let refused: Vec<crate::ids::UserId> =
        crate::authz::accounts_beyond_reach(&store, &org.orn, &principal)
            .await?
            .into_keys()
            .collect();
    let users = crate::authz::scope(&principal, Permission::UsersManage);
    let outside = store.pending_items_outside(&id, &users, &refused).await?;
    if outside > 0 {
        return Err(AppError::conflict(format!(
            "This plan moves {outside} user{} you may not manage (accounts with admin rights you do not hold, or outside your users). Plan it again yourself.",
            if outside == 1 { "" } else { "s" }
        )));
    }
    let op = store.start_operation(&grant, &id).await?;
    tokio::spawn(crate::store::rules::run_operation(store, grant, id));
    Ok(format!(
        "Started: moving {} user{}.",
        op.num_planned,
        if op.num_planned == 1 { "" } else { "s" }
    ))
}

/// Stops a plan or a running operation; what is left is not applied.
#[server(endpoint = "admin/operations/cancel")]
pub async fn cancel_operation(id: String) -> Result<String, AppError> {
    use crate::authz::Permission;
    let (store, _, principal) = super::caller().await?;
    let grant = spine::org(&principal, Permission::RealmsManage)?;
    let id = spine::operation_id(&id)?;
    let op = store.cancel_operation(&grant, &id).await?;
    Ok(format!(
        "Canceled after moving {} user{}.",
        op.num_moved,
        if op.num_moved == 1 { "" } else { "s" }
    ))
}

/// Groups and apps a partner realm's resource set may include.
#[server(endpoint = "admin/wizard/options")]
pub async fn wizard_options() -> Result<WizardChoices, AppError> {
    use crate::authz::{scope, Permission};
    let (store, _, principal) = super::caller().await?;
    spine::org(&principal, Permission::RealmsManage)?;
    let groups = store
        .list_groups(&scope(&principal, Permission::GroupsRead))
        .await?
        .into_iter()
        .map(|g| (g.id.to_string(), g.name))
        .collect();
    let apps = store
        .list_apps(&scope(&principal, Permission::AppsRead))
        .await?
        .into_iter()
        .map(|a| (a.id.to_string(), a.label))
        .collect();
    Ok(WizardChoices { groups, apps })
}

/// The partner realm wizard: a partner realm, its resource set (the realm, its
/// users, the chosen groups and apps), the Partner Admin role bound to the
/// named admins (existing usernames and/or one new admin created in the
/// realm) — one transaction, all or nothing. The browser goes to the realm.
#[server(endpoint = "admin/wizard/create")]
pub async fn create_partner_realm(
    name: String,
    domains: String,
    groups: Option<Vec<String>>,
    apps: Option<Vec<String>>,
    existing_admins: Option<String>,
    new_admin_email: Option<String>,
    new_admin_first_name: Option<String>,
    new_admin_last_name: Option<String>,
    idp_issuer: Option<String>,
    idp_client_id: Option<String>,
    idp_client_secret: Option<String>,
) -> Result<String, AppError> {
    let kept = [
        ("name", name.clone()),
        ("domains", domains.clone()),
        (
            "existing_admins",
            existing_admins.clone().unwrap_or_default(),
        ),
        (
            "new_admin_email",
            new_admin_email.clone().unwrap_or_default(),
        ),
        (
            "new_admin_first_name",
            new_admin_first_name.clone().unwrap_or_default(),
        ),
        (
            "new_admin_last_name",
            new_admin_last_name.clone().unwrap_or_default(),
        ),
        ("idp_issuer", idp_issuer.clone().unwrap_or_default()),
        ("idp_client_id", idp_client_id.clone().unwrap_or_default()),
    ];
    wizard::create(wizard::Input {
        name,
        domains,
        groups: groups.unwrap_or_default(),
        apps: apps.unwrap_or_default(),
        existing_admins: existing_admins.unwrap_or_default(),
        new_admin: [new_admin_email, new_admin_first_name, new_admin_last_name]
            .map(Option::unwrap_or_default),
        idp: [idp_issuer, idp_client_id].map(Option::unwrap_or_default),
        idp_secret: Some(idp_client_secret.unwrap_or_default()),
    })
    .await
    .map_err(|e| e.keeping(kept))
}

/// The wizard's review step: checks everything the wizard would create and
/// describes it; writes nothing.
#[server(endpoint = "admin/wizard/review")]
pub async fn review_partner_realm(
    name: String,
    domains: String,
    groups: Option<Vec<String>>,
    apps: Option<Vec<String>>,
    existing_admins: Option<String>,
    new_admin_email: Option<String>,
    new_admin_first_name: Option<String>,
    new_admin_last_name: Option<String>,
    idp_issuer: Option<String>,
    idp_client_id: Option<String>,
) -> Result<WizardReview, AppError> {
    let (_, _, _, review) = wizard::prepare(wizard::Input {
        name,
        domains,
        groups: groups.unwrap_or_default(),
        apps: apps.unwrap_or_default(),
        existing_admins: existing_admins.unwrap_or_default(),
        new_admin: [new_admin_email, new_admin_first_name, new_admin_last_name]
            .map(Option::unwrap_or_default),
        idp: [idp_issuer, idp_client_id].map(Option::unwrap_or_default),
        idp_secret: None,
    })
    .await?;
    Ok(review)
}

#[cfg(feature = "ssr")]
mod wizard {
    use super::{spine, WizardReview};
    use crate::authz::{check, check_delegation, orn, Permission, Target};
    use crate::error::{AppError, FieldError};
    use crate::ids::{AppId, GroupId, RealmId};
    use crate::model::{BaseProfile, RealmType};
    use crate::store::realms::NewRealm;
    use crate::store::users::NewUser;
    use crate::store::wizard::{PartnerRealmGrants, PartnerRealmPlan};

    /// The wizard's form.
    pub struct Input {
        pub name: String,
        pub domains: String,
        pub groups: Vec<String>,
        pub apps: Vec<String>,
        pub existing_admins: String,
        /// email, first name, last name.
        pub new_admin: [String; 3],
        /// A partner IdP for the realm: issuer, client id (both empty: none).
        pub idp: [String; 2],
        /// Its client secret: given when creating, never in the review's address.
        pub idp_secret: Option<String>,
    }

    pub async fn create(input: Input) -> Result<String, AppError> {
        let (store, grants, plan, _) = prepare(input).await?;
        let created = store
            .create_partner_realm(&grants, plan)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Invalid(fields) => AppError::fields(
                    fields
                        .into_iter()
                        .map(|f| {
                            let field = match f.field.as_str() {
                                "newAdmins.0.login" | "newAdmins.0.email" => "newAdminEmail",
                                "newAdmins.0.firstName" => "newAdminFirstName",
                                "newAdmins.0.lastName" => "newAdminLastName",
                                other => other,
                            };
                            FieldError::new(field, f.message)
                        })
                        .collect(),
                ),
                other => other.into(),
            })?;
        leptos_axum::redirect(&format!("/admin/realms/{}", created.realm.id));
        Ok(created.realm.id.to_string())
    }

    /// Checks the whole form and builds the plan, its grants and its review.
    pub async fn prepare(
        input: Input,
    ) -> Result<
        (
            crate::store::Store,
            PartnerRealmGrants,
            PartnerRealmPlan,
            WizardReview,
        ),
        AppError,
    > {
        let Input {
            name,
            domains,
            groups,
            apps,
            existing_admins,
            new_admin: [email, first_name, last_name],
            idp: [idp_issuer, idp_client_id],
            idp_secret,
        } = input;
        let (store, org, principal) = super::super::caller().await?;
        let realm_grant = spine::org(&principal, Permission::RealmsManage)?;
        // The wizard binds a role: role management is for org admins.
        if !principal.is_org_admin() {
            return Err(AppError::Forbidden);
        }
        let realm_id = RealmId::generate();
        let mut errors: Vec<FieldError> = Vec::new();
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 255 {
            errors.push(FieldError::new(
                "name",
                "Enter a name of 1 to 255 characters.",
            ));
        } else if store.realm_by_name(&name).await?.is_some() {
            errors.push(FieldError::new(
                "name",
                "A realm with this name already exists.",
            ));
        }
        let domain_list = match crate::store::realms::validate_domains(&spine::domains(&domains)) {
            Ok(d) => d,
            Err(crate::store::StoreError::Invalid(f)) => {
                errors.extend(f);
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        };
        let mut described = vec![
            format!("The realm {name} itself (view it)"),
            format!("Users in {name}"),
        ];

        // The resource set: the realm, its users, the chosen groups and apps —
        // each one the caller can see.
        let mut orns = vec![org.orn_realm(&realm_id), org.orn_realm_users(&realm_id)];
        let mut resources = vec![
            orn::Resource::Realm(realm_id.clone()),
            orn::Resource::UsersInRealm(realm_id.clone()),
        ];
        let visible_groups = store
            .list_groups(&crate::authz::scope(&principal, Permission::GroupsRead))
            .await?;
        for raw in groups.iter().filter(|g| !g.is_empty()) {
            match GroupId::parse(raw.trim())
                .ok()
                .and_then(|id| visible_groups.iter().find(|g| g.id == id))
            {
                Some(group) => {
                    orns.push(org.orn_group(&group.id));
                    resources.push(orn::Resource::Group(group.id.clone()));
                    described.push(format!(
                        "Group {} (its members within the realm)",
                        group.name
                    ));
                }
                None => errors.push(FieldError::new("groups", "Choose among the listed groups.")),
            }
        }
        let visible_apps = store
            .list_apps(&crate::authz::scope(&principal, Permission::AppsRead))
            .await?;
        for raw in apps.iter().filter(|a| !a.is_empty()) {
            match AppId::parse(raw.trim())
                .ok()
                .and_then(|id| visible_apps.iter().find(|a| a.id == id))
            {
                Some(app) => {
                    orns.push(org.orn_app(&app.name, &app.id));
                    resources.push(orn::Resource::App {
                        id: app.id.clone(),
                        app_type: orn::AppType::parse(&app.name).ok(),
                    });
                    described.push(format!("App {}", app.label));
                }
                None => errors.push(FieldError::new("apps", "Choose among the listed apps.")),
            }
        }

        // Admins: existing usernames (any realm the caller can read) …
        let mut existing = Vec::new();
        let mut admin_names = Vec::new();
        for login in existing_admins
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|l| !l.is_empty())
        {
            match spine::visible_user(&store, &principal, "existingAdmins", login).await {
                Ok(user) => {
                    admin_names.push(format!(
                        "{} {} ({})",
                        user.profile.first_name, user.profile.last_name, user.profile.login
                    ));
                    existing.push(user.id);
                }
                Err(AppError::Validation { fields, .. }) => errors.extend(fields),
                Err(e) => return Err(e),
            }
        }
        // … and one new admin, created in the realm.
        let mut new_admins = Vec::new();
        let any_new = [&email, &first_name, &last_name]
            .iter()
            .any(|v| !v.trim().is_empty());
        let mut new_admin = None;
        if any_new {
            let user = NewUser {
                realm_id: realm_id.clone(),
                profile: BaseProfile {
                    login: email.trim().to_string(),
                    email: email.trim().to_string(),
                    first_name: first_name.trim().to_string(),
                    last_name: last_name.trim().to_string(),
                    ..BaseProfile::default()
                },
                custom_profile: serde_json::Map::new(),
                activate: true,
                profile_source_id: None,
            };
            let prospective = crate::model::Realm {
                id: realm_id.clone(),
                name: name.clone(),
                realm_type: RealmType::Partner,
                is_default: false,
                domains: domain_list.clone(),
                created: String::new(),
                last_updated: String::new(),
            };
            for f in crate::store::users::validate_profile(&user.profile, &prospective) {
                let field = match f.field.as_str() {
                    "login" | "email" => "newAdminEmail",
                    "firstName" => "newAdminFirstName",
                    "lastName" => "newAdminLastName",
                    other => other,
                };
                if !errors.iter().any(|e| e.field == field) {
                    errors.push(FieldError::new(field, f.message));
                }
            }
            if store.user_by_login(&user.profile.login).await?.is_some() {
                errors.push(FieldError::new(
                    "newAdminEmail",
                    "A user with this username exists; name it under existing users instead.",
                ));
            }
            new_admin = Some(format!(
                "{} {} <{}>",
                user.profile.first_name, user.profile.last_name, user.profile.email
            ));
            new_admins.push(user);
        }
        if existing.is_empty() && new_admins.is_empty() {
            errors.push(FieldError::new(
                "existingAdmins",
                "Name at least one partner admin: an existing username or a new admin below.",
            ));
        }
        // An optional partner IdP, bound to the realm, routing its domains.
        let idp_issuer = idp_issuer.trim().to_string();
        let mut idp = None;
        let mut idp_described = None;
        if !idp_issuer.is_empty() || !idp_client_id.trim().is_empty() {
            if idp_client_id.trim().is_empty() {
                errors.push(FieldError::new(
                    "idpClientId",
                    "Enter the client id registered at the IdP.",
                ));
            }
            spine::org(&principal, Permission::IdentityProvidersManage)?;
            let outbound = spine::outbound()?;
            if let Err(e) = outbound.check_issuer(&idp_issuer) {
                errors.push(FieldError::new(
                    "idpIssuer",
                    format!("Enter the issuer's https:// URL: this one {e}."),
                ));
            } else if idp_secret.is_some() {
                // Only creating fetches the issuer's configuration: the review
                // (a GET page too) makes no outbound request.
                let provider = crate::authn::OidcProvider::with_policy(
                    &idp_issuer,
                    idp_client_id.trim(),
                    "",
                    "http://localhost",
                    outbound,
                )
                .map_err(|e| AppError::validation("idpIssuer", e))?;
                if let Err(e) = provider.check_discovery().await {
                    errors.push(FieldError::new("idpIssuer", e));
                }
            }
            idp_described = Some(format!(
                "{name} IdP: {idp_issuer} (client {}), just-in-time accounts, routing {}",
                idp_client_id.trim(),
                if domain_list.is_empty() {
                    "no domains".to_string()
                } else {
                    domain_list.join(", ")
                }
            ));
            if let Some(secret) = idp_secret.as_ref() {
                if secret.is_empty() {
                    errors.push(FieldError::new(
                        "idpClientSecret",
                        "Enter the IdP's client secret.",
                    ));
                } else if errors.is_empty() {
                    let secrets = leptos::prelude::use_context::<crate::store::idps::SecretBox>()
                        .ok_or_else(super::super::session::missing_context)?;
                    let prepared = store
                        .prepare_idp(
                            crate::store::idps::NewIdp {
                                name: format!("{name} IdP"),
                                issuer: idp_issuer.clone(),
                                client_id: idp_client_id.trim().to_string(),
                                client_secret: secret.clone(),
                                scopes: vec!["openid".into(), "email".into(), "profile".into()],
                                claim_mapping: serde_json::Map::new(),
                                realm_id: Some(realm_id.clone()),
                                jit_enabled: true,
                                routing_domains: domain_list.clone(),
                            },
                            &secrets,
                            false,
                        )
                        .await;
                    match prepared {
                        Ok(p) => idp = Some(p),
                        Err(crate::store::StoreError::Invalid(fields)) => {
                            errors.extend(fields.into_iter().map(|f| {
                                let field = match f.field.as_str() {
                                    "name" => "idpName".to_string(),
                                    "issuer" => "idpIssuer".to_string(),
                                    "clientId" => "idpClientId".to_string(),
                                    "clientSecret" => "idpClientSecret".to_string(),
                                    other => other.to_string(),
                                };
                                FieldError::new(field, f.message)
                            }))
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(AppError::fields(errors));
        }
        // Nobody binds more than it holds.
        let role_permissions: Vec<Permission> = store
            .role_permissions(&org.partner_admin_role)
            .await?
            .iter()
            .filter_map(|p| p.permission.parse().ok())
            .collect();
        check_delegation(&principal, &role_permissions, &resources)?;
        let users_grant = if new_admins.is_empty() {
            None
        } else {
            Some(check(
                &principal,
                Permission::UsersCreate,
                &Target::NewUserIn {
                    realm_id: realm_id.clone(),
                },
            )?)
        };
        let idp_grant = if idp.is_some() {
            Some(spine::org(&principal, Permission::IdentityProvidersManage)?)
        } else {
            None
        };
        let resource_set_label = format!("{name} partner administration");
        let review = WizardReview {
            idp: idp_described,
            realm: name.clone(),
            domains: domain_list.clone(),
            resource_set: resource_set_label.clone(),
            resources: described,
            admins: admin_names,
            new_admin,
        };
        Ok((
            store,
            PartnerRealmGrants {
                binding: realm_grant.clone(),
                realm: realm_grant,
                users: users_grant,
                idp: idp_grant,
            },
            PartnerRealmPlan {
                realm_id,
                realm: NewRealm {
                    name,
                    realm_type: RealmType::Partner,
                    domains: domain_list,
                },
                resource_set_label,
                orns,
                role: org.partner_admin_role.clone(),
                existing_admins: existing,
                new_admins,
                idp,
            },
            review,
        ))
    }
}

/// "Explain access": everything the admin with `login` can do and why; with
/// `permission` and a target (`kind`: user, group, app or realm; `target`: a
/// username or an id), the decision and what made it.
#[server(endpoint = "admin/explain")]
pub async fn explain_access(
    login: String,
    permission: Option<String>,
    kind: Option<String>,
    target: Option<String>,
) -> Result<ExplainView, AppError> {
    explain::run(login, permission, kind, target).await
}

#[cfg(feature = "ssr")]
mod explain {
    use super::{spine, ExplainView, ExplainedRight};
    use crate::authz::{self, Permission, Principal, Target};
    use crate::error::AppError;
    use crate::model::ExplainedDecision;

    pub async fn run(
        login: String,
        permission: Option<String>,
        kind: Option<String>,
        target: Option<String>,
    ) -> Result<ExplainView, AppError> {
        let (store, org, principal) = super::super::caller().await?;
        spine::org(&principal, Permission::IamRead)?;
        let admin = spine::visible_user(&store, &principal, "login", login.trim()).await?;
        let rows = store.rights_rows(&admin.id).await?;
        let actor = crate::store::audit::Actor {
            id: admin.id.to_string(),
            actor_type: "User".into(),
            alternate_id: admin.profile.login.clone(),
            display_name: format!("{} {}", admin.profile.first_name, admin.profile.last_name),
        };
        let subject = Principal::for_user(
            admin.id.clone(),
            actor,
            crate::store::audit::Client::default(),
            rows,
            &org.orn,
        );
        let rights = subject
            .entitlements()
            .iter()
            .map(|e| ExplainedRight {
                source: e.source.to_string(),
                permissions: e
                    .permissions
                    .iter()
                    .map(|(p, c)| match c {
                        Some(_) => format!("{} (with attribute conditions)", p.as_str()),
                        None => p.as_str().to_string(),
                    })
                    .collect(),
                resources: e
                    .resources
                    .as_ref()
                    .map(|rs| rs.iter().map(|r| r.to_string()).collect()),
            })
            .collect();
        let decision = match permission.filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => {
                let permission: Permission = p
                    .parse()
                    .map_err(|_| AppError::validation("permission", "Choose a permission."))?;
                let target_text = target.unwrap_or_default();
                let target = load_target(
                    &store,
                    &org,
                    &principal,
                    kind.as_deref().unwrap_or(""),
                    target_text.trim(),
                )
                .await?;
                let d = authz::explain(&subject, permission, &target);
                Some(ExplainedDecision {
                    allowed: d.allowed,
                    permission: d.permission,
                    target: target_text.trim().to_string(),
                    reason: d.reason,
                })
            }
        };
        Ok(ExplainView {
            admin: admin.profile.login,
            admin_id: admin.id.to_string(),
            rights,
            decision,
        })
    }

    /// The target, loaded under the *asking* admin's read scope.
    async fn load_target(
        store: &crate::store::Store,
        org: &crate::authz::OrgContext,
        principal: &Principal,
        kind: &str,
        raw: &str,
    ) -> Result<Target, AppError> {
        let missing = || {
            AppError::validation(
                "target",
                "Nothing by that name or id among what you can see.",
            )
        };
        match kind {
            "org" => Ok(Target::Org),
            "user" => {
                let user = spine::visible_user(store, principal, "target", raw).await?;
                Ok(authz::user_target(store, &org.orn, &user).await?)
            }
            "group" => {
                let id = crate::ids::GroupId::parse(raw).map_err(|_| missing())?;
                let group = store
                    .get_group(&authz::scope(principal, Permission::GroupsRead), &id)
                    .await
                    .map_err(|_| missing())?;
                Ok(authz::group_target(store, &org.orn, &group.id).await?)
            }
            "app" => {
                let id = crate::ids::AppId::parse(raw).map_err(|_| missing())?;
                let app = store
                    .get_app(&authz::scope(principal, Permission::AppsRead), &id)
                    .await
                    .map_err(|_| missing())?;
                Ok(Target::App {
                    id: app.id,
                    app_type: app.name,
                })
            }
            "realm" => {
                let id = crate::ids::RealmId::parse(raw).map_err(|_| missing())?;
                let realm = store
                    .get_realm(&authz::scope(principal, Permission::RealmsRead), &id)
                    .await
                    .map_err(|_| missing())?;
                Ok(Target::Realm { id: realm.id })
            }
            _ => Err(AppError::validation(
                "kind",
                "Choose what the action is on.",
            )),
        }
    }
}

/// The partner identity providers.
#[server(endpoint = "admin/idps")]
pub async fn admin_idps() -> Result<IdpsView, AppError> {
    use crate::authz::{scope, Permission};
    let (store, _, principal) = super::caller().await?;
    let grant = spine::org(&principal, Permission::IdentityProvidersRead)?;
    let realms = store
        .list_realms(&scope(&principal, Permission::RealmsRead))
        .await?;
    let name_of =
        |id: &crate::ids::RealmId| realms.iter().find(|r| r.id == *id).map(|r| r.name.clone());
    let idps = store
        .list_idps(&grant)
        .await?
        .into_iter()
        .map(|i| IdpRow {
            id: i.id.to_string(),
            realm: i.realm_id.as_ref().and_then(name_of),
            name: i.name,
            status: i.status,
            issuer: i.issuer,
            client_id: i.client_id,
            scopes: i.scopes,
            jit_enabled: i.jit_enabled,
            routing_domains: i.routing_domains,
        })
        .collect();
    let public = leptos::prelude::use_context::<PublicUrl>()
        .map(|p| p.0)
        .unwrap_or_default();
    Ok(IdpsView {
        idps,
        realms: realms
            .into_iter()
            .map(|r| (r.id.to_string(), r.name))
            .collect(),
        redirect_uri: format!("{}/auth/callback", public.trim_end_matches('/')),
    })
}

/// Creates a partner OIDC identity provider after reading the issuer's
/// discovery document (an issuer that does not answer as itself is refused at
/// its field); the client secret is sealed at rest.
#[server(endpoint = "admin/idps/create")]
pub async fn create_idp(
    name: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    scopes: Option<String>,
    claim_mapping: Option<String>,
    realm_id: Option<String>,
    jit: Option<String>,
    routing_domains: Option<String>,
) -> Result<String, AppError> {
    let form = IdpForm {
        name,
        issuer,
        client_id,
        client_secret,
        scopes,
        claim_mapping,
        realm_id,
        jit: jit.is_some(),
        routing_domains,
    };
    let kept = form.kept();
    idp::save(None, form).await.map_err(|e| e.keeping(kept))
}

/// One identity provider for its edit page (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpEdit {
    pub idp: IdpRow,
    pub realm_id: String,
    pub claim_mapping: String,
    pub last_updated: String,
    pub realms: Vec<(String, String)>,
    pub redirect_uri: String,
}

#[server(endpoint = "admin/idps/get")]
pub async fn admin_idp(id: String) -> Result<IdpEdit, AppError> {
    use crate::authz::Permission;
    let (store, _, principal) = super::caller().await?;
    spine::org(&principal, Permission::IdentityProvidersRead)?;
    let id = crate::ids::IdpId::parse(id.trim()).map_err(|_| AppError::NotFound)?;
    let idp = store.idp_by_id(&id).await?.ok_or(AppError::NotFound)?;
    let list = admin_idps().await?;
    let row = list
        .idps
        .into_iter()
        .find(|r| r.id == idp.id.as_str())
        .ok_or(AppError::NotFound)?;
    Ok(IdpEdit {
        idp: row,
        realm_id: idp.realm_id.map(|r| r.to_string()).unwrap_or_default(),
        claim_mapping: crate::store::idps::claim_mapping_text(&idp.claim_mapping),
        last_updated: idp.last_updated,
        realms: list.realms,
        redirect_uri: list.redirect_uri,
    })
}

/// Changes an identity provider (an empty secret keeps the stored one); the
/// issuer's discovery is read again on save. Sign-ins use the change at once.
#[server(endpoint = "admin/idps/update")]
pub async fn update_idp(
    id: String,
    expected: String,
    name: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    scopes: Option<String>,
    claim_mapping: Option<String>,
    realm_id: Option<String>,
    jit: Option<String>,
    routing_domains: Option<String>,
) -> Result<String, AppError> {
    let form = IdpForm {
        name,
        issuer,
        client_id,
        client_secret,
        scopes,
        claim_mapping,
        realm_id,
        jit: jit.is_some(),
        routing_domains,
    };
    let kept = form.kept();
    idp::save(Some((id, expected)), form)
        .await
        .map_err(|e| e.keeping(kept))
}

/// Activates (`active` = "true") or deactivates an identity provider.
#[server(endpoint = "admin/idps/status")]
pub async fn set_idp_status(id: String, active: String) -> Result<String, AppError> {
    use crate::authz::Permission;
    let (store, _, principal) = super::caller().await?;
    let grant = spine::org(&principal, Permission::IdentityProvidersManage)?;
    let id = crate::ids::IdpId::parse(id.trim()).map_err(|_| AppError::NotFound)?;
    let idp = store.set_idp_status(&grant, &id, active == "true").await?;
    Ok(if idp.status == "ACTIVE" {
        format!("{} is active.", idp.name)
    } else {
        format!("{} is inactive: it signs nobody in.", idp.name)
    })
}

/// The IdP form's fields, as typed (its `Debug` never prints the secret).
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct IdpForm {
    name: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    scopes: Option<String>,
    claim_mapping: Option<String>,
    realm_id: Option<String>,
    jit: bool,
    routing_domains: Option<String>,
}

#[cfg(feature = "ssr")]
impl std::fmt::Debug for IdpForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpForm")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "ssr")]
impl IdpForm {
    /// What the form shows again after an error; never the secret.
    fn kept(&self) -> [(&'static str, String); 7] {
        [
            ("name", self.name.clone()),
            ("issuer", self.issuer.clone()),
            ("client_id", self.client_id.clone()),
            ("scopes", self.scopes.clone().unwrap_or_default()),
            (
                "claim_mapping",
                self.claim_mapping.clone().unwrap_or_default(),
            ),
            ("realm_id", self.realm_id.clone().unwrap_or_default()),
            (
                "routing_domains",
                self.routing_domains.clone().unwrap_or_default(),
            ),
        ]
    }
}

#[cfg(feature = "ssr")]
mod idp {
    use super::{spine, IdpForm, PublicUrl};
    use crate::authz::Permission;
    use crate::error::AppError;
    use crate::store::idps::{parse_claim_mapping, NewIdp, SecretBox};

    /// Creates (`existing` None) or changes (id, expected `last_updated`) an IdP.
    pub async fn save(
        existing: Option<(String, String)>,
        form: IdpForm,
    ) -> Result<String, AppError> {
        let (store, org, principal) = super::super::caller().await?;
        let grant = spine::org(&principal, Permission::IdentityProvidersManage)?;
        let outbound = spine::outbound()?;
        let secrets = leptos::prelude::use_context::<SecretBox>()
            .ok_or_else(super::super::session::missing_context)?;
        let public = leptos::prelude::use_context::<PublicUrl>()
            .ok_or_else(super::super::session::missing_context)?;
        let existing = match existing {
            None => None,
            Some((id, expected)) => {
                let id = crate::ids::IdpId::parse(id.trim()).map_err(|_| AppError::NotFound)?;
                let before = store.idp_by_id(&id).await?.ok_or(AppError::NotFound)?;
                Some((before, expected))
            }
        };
        let realm_id = match form.realm_id.filter(|r| !r.trim().is_empty()) {
            None => None,
            Some(r) => Some(
                crate::ids::RealmId::parse(r.trim())
                    .map_err(|_| AppError::validation("realmId", "Choose a realm."))?,
            ),
        };
        let scopes: Vec<String> = form
            .scopes
            .unwrap_or_default()
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let claim_mapping = match form.claim_mapping.as_deref().map(str::trim) {
            None | Some("") => serde_json::Map::new(),
            Some(text) => parse_claim_mapping(text).map_err(|e| AppError::fields(vec![e]))?,
        };
        let new = NewIdp {
            name: form.name,
            issuer: form.issuer.trim().to_string(),
            client_id: form.client_id.trim().to_string(),
            client_secret: form.client_secret,
            scopes: if scopes.is_empty() {
                vec!["openid".into(), "email".into(), "profile".into()]
            } else {
                scopes
            },
            claim_mapping,
            realm_id,
            jit_enabled: form.jit,
            routing_domains: spine::domains(form.routing_domains.as_deref().unwrap_or("")),
        };
        crate::authz::check_idp_binding(&principal, &org, new.realm_id.as_ref(), new.jit_enabled)?;
        // Only an issuer the outbound policy allows is worth a request; the
        // store says what is wrong with any other. An edit that keeps the
        // secret (same issuer and client) checks discovery with the stored one.
        let same_client = existing.as_ref().is_some_and(|(before, _)| {
            before.issuer == new.issuer.trim() && before.client_id == new.client_id
        });
        if outbound.check_issuer(&new.issuer).is_ok()
            && (same_client || !new.client_secret.is_empty())
        {
            let secret = match (&existing, new.client_secret.is_empty()) {
                (Some((before, _)), true) => before
                    .client_secret_sealed
                    .as_deref()
                    .map(|s| secrets.open(s))
                    .transpose()?
                    .unwrap_or_default(),
                _ => new.client_secret.clone(),
            };
            let provider = crate::authn::OidcProvider::with_policy(
                &new.issuer,
                &new.client_id,
                &secret,
                &public.0,
                outbound,
            )
            .map_err(|e| AppError::validation("issuer", e))?;
            provider
                .check_discovery()
                .await
                .map_err(|e| AppError::validation("issuer", e))?;
        }
        match existing {
            None => {
                let idp = store.create_idp(&grant, new, &secrets).await?;
                leptos_axum::redirect("/admin/idps");
                Ok(format!("Created {}.", idp.name))
            }
            Some((before, expected)) => {
                let idp = store
                    .update_idp(&grant, &before.id, new, &expected, &secrets)
                    .await?;
                Ok(format!("Saved {}.", idp.name))
            }
        }
    }
}

/// A custom attribute of the user profile schema, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeRow {
    pub name: String,
    pub title: String,
    pub attr_type: String,
    pub required: bool,
}

/// The directory basics an org admin sets up: groups, apps, the profile schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryView {
    pub groups: Vec<crate::model::Group>,
    pub apps: Vec<crate::model::App>,
    pub attributes: Vec<AttributeRow>,
}

#[server(endpoint = "admin/directory")]
pub async fn admin_directory() -> Result<DirectoryView, AppError> {
    use crate::authz::{scope, Permission};
    let (store, _, principal) = super::caller().await?;
    spine::org(&principal, Permission::GroupsRead)?;
    Ok(DirectoryView {
        groups: store
            .list_groups(&scope(&principal, Permission::GroupsRead))
            .await?,
        apps: store
            .list_apps(&scope(&principal, Permission::AppsRead))
            .await?,
        attributes: store
            .profile_schema()
            .await?
            .into_iter()
            .map(|a| AttributeRow {
                name: a.name,
                title: a.title,
                attr_type: a.attr_type.as_str().to_string(),
                required: a.required,
            })
            .collect(),
    })
}

/// Creates an org-level group (`okta.groups.create`).
#[server(endpoint = "admin/groups/create")]
pub async fn create_group(name: String, description: String) -> Result<String, AppError> {
    use crate::authz::Permission;
    let kept = [("name", name.clone()), ("description", description.clone())];
    let result: Result<String, AppError> = async {
        let (store, _, principal) = super::caller().await?;
        let grant = spine::org(&principal, Permission::GroupsCreate)?;
        let group = store.create_group(&grant, &name, &description).await?;
        Ok(format!("Created group {}.", group.name))
    }
    .await;
    result.map_err(|e| e.keeping(kept))
}

/// Creates an app integration (`okta.apps.manage`). `name` is the app type
/// (`bookmark`, `oidc_client`, …), `sign_on_mode` Okta's mode.
#[server(endpoint = "admin/apps/create")]
pub async fn create_app(
    name: String,
    label: String,
    sign_on_mode: String,
) -> Result<String, AppError> {
    use crate::authz::Permission;
    let kept = [("app_name", name.clone()), ("label", label.clone())];
    let result: Result<String, AppError> = async {
        let (store, _, principal) = super::caller().await?;
        let grant = spine::org(&principal, Permission::AppsManage)?;
        const MODES: [&str; 4] = ["BOOKMARK", "OPENID_CONNECT", "SAML_2_0", "AUTO_LOGIN"];
        if !MODES.contains(&sign_on_mode.as_str()) {
            return Err(AppError::validation("signOnMode", "Choose a sign-on mode."));
        }
        let app = store
            .create_app(&grant, &name, &label, &sign_on_mode)
            .await?;
        Ok(format!("Created app {}.", app.label))
    }
    .await;
    result.map_err(|e| e.keeping(kept))
}

/// Adds or changes a custom attribute of the user profile schema
/// (`okta.users.manage` over the whole org).
#[server(endpoint = "admin/schema/define")]
pub async fn define_attribute(
    name: String,
    title: String,
    attr_type: String,
    required: Option<String>,
) -> Result<String, AppError> {
    use crate::authz::Permission;
    use crate::store::users::{AttributeDef, AttributeType};
    let kept = [("attr_name", name.clone()), ("title", title.clone())];
    let result: Result<String, AppError> = async {
        let (store, _, principal) = super::caller().await?;
        let grant = spine::org(&principal, Permission::UsersManage)?;
        let attr_type = AttributeType::parse(&attr_type)
            .ok_or_else(|| AppError::validation("type", "Choose a type."))?;
        store
            .define_profile_attribute(
                &grant,
                AttributeDef {
                    name: name.clone(),
                    title,
                    attr_type,
                    required: required.is_some(),
                },
            )
            .await?;
        Ok(format!("Saved attribute {}.", name.trim()))
    }
    .await;
    result.map_err(|e| e.keeping(kept))
}

/// Renames a group or changes its description (`okta.groups.manage` on it).
#[server(endpoint = "admin/groups/update")]
pub async fn update_group(
    id: String,
    name: String,
    description: String,
) -> Result<String, AppError> {
    use crate::authz::{authorize_group, Permission};
    let (store, org, principal) = super::caller().await?;
    let id = crate::ids::GroupId::parse(id.trim()).map_err(|_| AppError::NotFound)?;
    let (_, grant) =
        authorize_group(&store, &org.orn, &principal, Permission::GroupsManage, &id).await?;
    let group = store.update_group(&grant, &name, &description).await?;
    Ok(format!("Saved group {}.", group.name))
}

/// Deletes a group (`okta.groups.manage` on it).
#[server(endpoint = "admin/groups/delete")]
pub async fn delete_group(id: String) -> Result<String, AppError> {
    use crate::authz::{authorize_group, Permission};
    let (store, org, principal) = super::caller().await?;
    let id = crate::ids::GroupId::parse(id.trim()).map_err(|_| AppError::NotFound)?;
    let (group, grant) =
        authorize_group(&store, &org.orn, &principal, Permission::GroupsManage, &id).await?;
    store.delete_group(&grant).await?;
    Ok(format!("Deleted group {}.", group.name))
}

/// Renames an app integration (`okta.apps.manage` on it).
#[server(endpoint = "admin/apps/update")]
pub async fn update_app(id: String, label: String) -> Result<String, AppError> {
    use crate::authz::{authorize_app, Permission};
    let (store, _, principal) = super::caller().await?;
    let id = crate::ids::AppId::parse(id.trim()).map_err(|_| AppError::NotFound)?;
    let (_, grant) = authorize_app(&store, &principal, Permission::AppsManage, &id).await?;
    let app = store.update_app(&grant, &label).await?;
    Ok(format!("Saved app {}.", app.label))
}

/// Deletes an app integration (`okta.apps.manage` on it).
#[server(endpoint = "admin/apps/delete")]
pub async fn delete_app(id: String) -> Result<String, AppError> {
    use crate::authz::{authorize_app, Permission};
    let (store, _, principal) = super::caller().await?;
    let id = crate::ids::AppId::parse(id.trim()).map_err(|_| AppError::NotFound)?;
    let (app, grant) = authorize_app(&store, &principal, Permission::AppsManage, &id).await?;
    store.delete_app(&grant).await?;
    Ok(format!("Deleted app {}.", app.label))
}

//! Realms: the caller's readable realms, and the org admin's realm report,
//! realm pages and realm changes (`okta.realms.*` over the whole org, so a
//! partner admin is refused whatever its binding).

use crate::authz::{scope, Permission};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::ids::RealmId;
use crate::model::{Realm, RealmType, UserStatus};
use crate::store::realms::NewRealm;
use crate::views::admin::{RealmDetail, RealmReportRow};

use super::access::org_level;
use super::users::csv_safe_cell;

/// Domains as typed: separated by commas, spaces or new lines.
pub fn parse_domains(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect()
}

/// The realms the caller may read.
pub async fn list(cx: &Ctx) -> Result<Vec<Realm>, AppError> {
    Ok(cx
        .store
        .list_realms(&scope(&cx.principal, Permission::RealmsRead))
        .await?)
}

/// The realm report (org-level `okta.realms.read`): every realm with its
/// users counted by status, its admins and the rules that target it.
pub async fn report(cx: &Ctx) -> Result<Vec<RealmReportRow>, AppError> {
    let principal = &cx.principal;
    org_level(principal, Permission::RealmsRead)?;
    let read = scope(principal, Permission::RealmsRead);
    let summaries = cx.store.realm_summaries(&read).await?;
    let admins = cx
        .store
        .realm_admins(
            &scope(principal, Permission::UsersRead),
            &scope(principal, Permission::GroupsRead),
        )
        .await?;
    let rules = cx.store.list_rules(&read).await?;
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
pub async fn report_csv(cx: &Ctx) -> Result<Vec<u8>, AppError> {
    let rows = report(cx).await?;
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
    for row in &rows {
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
        out.write_record(record.iter().map(|v| csv_safe_cell(v).into_owned()))
            .map_err(|e| internal(&e))?;
    }
    out.into_inner().map_err(|e| internal(&e))
}

/// Creates a partner realm.
pub async fn create(cx: &Ctx, name: String, domains: Vec<String>) -> Result<Realm, AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsManage)?;
    Ok(cx
        .store
        .create_realm(
            &grant,
            NewRealm {
                name,
                realm_type: RealmType::Partner,
                domains,
            },
        )
        .await?)
}

/// A realm with its counts, delete blockers and rules.
pub async fn get(cx: &Ctx, id: &RealmId) -> Result<RealmDetail, AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsRead)?;
    let read = scope(&cx.principal, Permission::RealmsRead);
    let summary = cx.store.realm_summary(&read, id).await?;
    let blockers = if summary.realm.is_default {
        vec!["it is the default realm".to_string()]
    } else {
        cx.store.realm_blockers(&grant, id).await?
    };
    let rules = cx.store.rules_targeting(&read, id).await?;
    Ok(RealmDetail {
        summary,
        blockers,
        rules,
    })
}

/// Renames a realm or changes its allowed domains (`expected`: the
/// `last_updated` the form was rendered from).
pub async fn update(
    cx: &Ctx,
    id: &RealmId,
    name: &str,
    domains: &[String],
    expected: &str,
) -> Result<Realm, AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsManage)?;
    Ok(cx
        .store
        .update_realm(&grant, id, name, domains, expected)
        .await?)
}

/// Deletes an empty partner realm.
pub async fn delete(cx: &Ctx, id: &RealmId) -> Result<(), AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsManage)?;
    Ok(cx.store.delete_realm(&grant, id).await?)
}

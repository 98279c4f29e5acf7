//! Realms: the caller's readable realms, the realm report, realm pages and
//! realm changes. As in Okta, `okta.realms.*` is decided per realm: a custom
//! role with realm rights over some realms reads and manages those (creating
//! a realm needs them over every realm).

use crate::authz::{scope, Permission};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::ids::RealmId;
use crate::model::{Realm, RealmType, UserStatus};
use crate::store::realms::NewRealm;
pub use crate::store::realms::RealmChange;
use crate::views::admin::{RealmDetail, RealmReportRow};

use super::access::{authorize_realm, org_level};
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

/// The realm report: every realm the caller may read (`okta.realms.read`)
/// with its users counted by status, its admins and the rules that target it.
pub async fn report(cx: &Ctx) -> Result<Vec<RealmReportRow>, AppError> {
    let principal = &cx.principal;
    console(cx)?;
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

/// Creates a realm: `PARTNER` (with a Partner Admin Portal) or `DEFAULT` (a
/// workforce realm).
pub async fn create(
    cx: &Ctx,
    name: String,
    realm_type: RealmType,
    domains: Vec<String>,
) -> Result<Realm, AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsManage)?;
    Ok(cx
        .store
        .create_realm(
            &grant,
            NewRealm {
                name,
                realm_type,
                domains,
            },
        )
        .await?)
}

/// The admin console's realm pages are for realm managers: org admins and
/// custom roles with `okta.realms.manage` over some realm (each page shows
/// only the realms the caller may read). Partner admins, who only view their
/// realms, see them in the Partner Admin Portal (`list`), as in Okta.
fn console(cx: &Ctx) -> Result<(), AppError> {
    if scope(&cx.principal, Permission::RealmsManage).is_empty() {
        org_level(&cx.principal, Permission::RealmsRead)?;
    }
    Ok(())
}

/// A realm with its counts, delete blockers and rules.
pub async fn get(cx: &Ctx, id: &RealmId) -> Result<RealmDetail, AppError> {
    console(cx)?;
    let (_, grant) = authorize_realm(cx, Permission::RealmsRead, id).await?;
    let read = scope(&cx.principal, Permission::RealmsRead);
    let summary = cx.store.realm_summary(&read, id).await?;
    let blockers = if summary.realm.is_default {
        vec!["it is the default realm".to_string()]
    } else {
        cx.store.realm_blockers(&grant, id).await?
    };
    let rules = cx.store.rules_targeting(&read, id).await?;
    let sign_in = cx.store.realm_policy(id).await?;
    Ok(RealmDetail {
        summary,
        blockers,
        rules,
        sign_in,
    })
}

/// Sets how a realm's users sign in, and the password rules
/// (`okta.realms.manage` on the realm).
pub async fn set_sign_in_policy(
    cx: &Ctx,
    id: &RealmId,
    policy: crate::views::admin::SignInPolicyView,
) -> Result<(), AppError> {
    let (_, grant) = authorize_realm(cx, Permission::RealmsManage, id).await?;
    cx.store.set_realm_policy(&grant, id, &policy).await?;
    Ok(())
}

/// One realm the caller may read (`okta.realms.read` on it): the API's
/// read, which partner admins make too.
pub async fn read(cx: &Ctx, id: &RealmId) -> Result<Realm, AppError> {
    let (realm, _) = authorize_realm(cx, Permission::RealmsRead, id).await?;
    Ok(realm)
}

/// Replaces a realm's profile whatever changed since it was read (the API's
/// `PUT`, last writer wins as in Okta).
pub async fn replace(cx: &Ctx, id: &RealmId, change: RealmChange<'_>) -> Result<Realm, AppError> {
    let (realm, grant) = authorize_realm(cx, Permission::RealmsManage, id).await?;
    Ok(cx
        .store
        .update_realm(&grant, id, change, &realm.last_updated)
        .await?)
}

/// Renames a realm, changes its type or its allowed domains
/// (`okta.realms.manage` on it; `expected`: the `last_updated` the form was
/// rendered from).
pub async fn update(
    cx: &Ctx,
    id: &RealmId,
    change: RealmChange<'_>,
    expected: &str,
) -> Result<Realm, AppError> {
    let (_, grant) = authorize_realm(cx, Permission::RealmsManage, id).await?;
    Ok(cx.store.update_realm(&grant, id, change, expected).await?)
}

/// Deletes an empty realm (`okta.realms.manage` on it).
pub async fn delete(cx: &Ctx, id: &RealmId) -> Result<(), AppError> {
    let (_, grant) = authorize_realm(cx, Permission::RealmsManage, id).await?;
    Ok(cx.store.delete_realm(&grant, id).await?)
}

//! `/admin/realms`: the realm report, one realm, realm changes (`ops::realms`).
//!
//! Authorization (in the operation, through the kernel):
//! `authz::check(okta.realms.read | okta.realms.manage)` on the realm
//! (`ops::access::authorize_realm`), `authz::scope(okta.realms.read)` for the
//! report, org-level `okta.realms.manage` to create one.

use leptos::prelude::*;

use crate::error::AppError;
use crate::views::admin::{RealmDetail, RealmReportRow};

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// The realm report: every realm with its users counted by status, its admins
/// and the rules that target it.
#[server(prefix = "/_fn", endpoint = "admin/realms")]
pub async fn admin_realms() -> Result<Vec<RealmReportRow>, AppError> {
    ops::realms::report(&Ctx::current().await?).await
}

/// The realm type a form sent.
#[cfg(feature = "ssr")]
fn realm_type(raw: &str) -> Result<crate::model::RealmType, AppError> {
    crate::model::RealmType::parse(raw).ok_or_else(|| {
        AppError::validation(
            "realmType",
            "Choose Partner (with a Partner Admin Portal) or Workforce.",
        )
    })
}

/// Creates a realm; the browser goes to it.
#[server(prefix = "/_fn", endpoint = "admin/realms/create")]
pub async fn create_realm(
    name: String,
    #[server(default)] realm_type: String,
    domains: String,
) -> Result<String, AppError> {
    let kept = [
        ("name", name.clone()),
        ("realm_type", realm_type.clone()),
        ("domains", domains.clone()),
    ];
    let domains = ops::realms::parse_domains(&domains);
    let realm = async {
        let kind = if realm_type.is_empty() {
            crate::model::RealmType::Partner
        } else {
            self::realm_type(&realm_type)?
        };
        ops::realms::create(&Ctx::current().await?, name, kind, domains).await
    }
    .await
    .map_err(|e| e.keeping(kept))?;
    leptos_axum::redirect(&format!("/admin/realms/{}", realm.id));
    Ok(realm.id.to_string())
}

/// A realm with its counts, delete blockers and rules.
#[server(prefix = "/_fn", endpoint = "admin/realms/get")]
pub async fn admin_realm(id: String) -> Result<RealmDetail, AppError> {
    ops::realms::get(&Ctx::current().await?, &super::super::id(&id)?).await
}

/// Renames a realm, changes its type or its allowed domains.
#[server(prefix = "/_fn", endpoint = "admin/realms/update")]
pub async fn update_realm(
    id: String,
    name: String,
    #[server(default)] realm_type: String,
    #[server(default)] domains: String,
    expected: String,
) -> Result<String, AppError> {
    let kept = [
        ("name", name.clone()),
        ("realm_type", realm_type.clone()),
        ("domains", domains.clone()),
    ];
    let domains = ops::realms::parse_domains(&domains);
    async {
        let cx = Ctx::current().await?;
        let id = super::super::id(&id)?;
        let change = ops::realms::RealmChange {
            name: &name,
            // Left out: unchanged.
            realm_type: match realm_type.as_str() {
                "" => None,
                raw => Some(self::realm_type(raw)?),
            },
            domains: &domains,
        };
        let realm = ops::realms::update(&cx, &id, change, &expected).await?;
        Ok(format!("Saved {}.", realm.name))
    }
    .await
    .map_err(|e: AppError| e.keeping(kept))
}

/// Deletes an empty partner realm; the browser goes back to the list.
#[server(prefix = "/_fn", endpoint = "admin/realms/delete")]
pub async fn delete_realm(id: String) -> Result<String, AppError> {
    ops::realms::delete(&Ctx::current().await?, &super::super::id(&id)?).await?;
    leptos_axum::redirect("/admin/realms");
    Ok("Realm deleted.".into())
}

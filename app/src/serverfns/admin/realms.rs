//! `/admin/realms`: the realm report, one realm, realm changes (`ops::realms`).
//!
//! Authorization (in the operation, through the kernel): org-level
//! `authz::check(okta.realms.read | okta.realms.manage)`.

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

/// Creates a partner realm; the browser goes to it.
#[server(prefix = "/_fn", endpoint = "admin/realms/create")]
pub async fn create_realm(name: String, domains: String) -> Result<String, AppError> {
    let kept = [("name", name.clone()), ("domains", domains.clone())];
    let domains = ops::realms::parse_domains(&domains);
    let realm = async { ops::realms::create(&Ctx::current().await?, name, domains).await }
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

/// Renames a realm or changes its allowed domains.
#[server(prefix = "/_fn", endpoint = "admin/realms/update")]
pub async fn update_realm(
    id: String,
    name: String,
    domains: String,
    expected: String,
) -> Result<String, AppError> {
    let kept = [("name", name.clone()), ("domains", domains.clone())];
    let domains = ops::realms::parse_domains(&domains);
    async {
        let cx = Ctx::current().await?;
        let realm =
            ops::realms::update(&cx, &super::super::id(&id)?, &name, &domains, &expected).await?;
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

//! `/admin/realms`: the realm report, one realm, realm changes (`ops::realms`).
//!
//! Authorization (in the operation, through the kernel):
//! `authz::check(okta.realms.read | okta.realms.manage)` on the realm
//! (`ops::access::authorize_realm`), `authz::scope(okta.realms.read)` for the
//! report, org-level `okta.realms.manage` to create one.

// The sign-in policy form posts one field per setting (a server function
// takes form fields as arguments).
#![allow(clippy::too_many_arguments)]

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

/// Sets how a realm's users sign in and its password rules.
#[server(prefix = "/_fn", endpoint = "admin/realms/sign-in-policy")]
pub async fn update_sign_in_policy(
    id: String,
    #[server(default)] hosted: Option<String>,
    min_length: String,
    history_count: String,
    max_age_days: String,
    #[server(default)] require_mfa: Option<String>,
    lockout_attempts: String,
    lockout_minutes: String,
) -> Result<String, AppError> {
    let kept = [
        ("min_length", min_length.clone()),
        ("history_count", history_count.clone()),
        ("max_age_days", max_age_days.clone()),
        ("lockout_attempts", lockout_attempts.clone()),
        ("lockout_minutes", lockout_minutes.clone()),
    ];
    async {
        let number = |field: &'static str, raw: &str| -> Result<u32, AppError> {
            raw.trim()
                .parse::<u32>()
                .map_err(|_| AppError::validation(field, "Enter a whole number."))
        };
        let policy = crate::views::admin::SignInPolicyView {
            hosted: hosted.is_some(),
            min_length: number("minLength", &min_length)?,
            history_count: number("historyCount", &history_count)?,
            max_age_days: number("maxAgeDays", &max_age_days)?,
            require_mfa: require_mfa.is_some(),
            lockout_attempts: number("lockoutAttempts", &lockout_attempts)?,
            lockout_minutes: number("lockoutMinutes", &lockout_minutes)?,
        };
        let cx = Ctx::current().await?;
        ops::realms::set_sign_in_policy(&cx, &super::super::id(&id)?, policy).await?;
        Ok("Saved the sign-in policy.".to_string())
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

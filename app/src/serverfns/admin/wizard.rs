//! `/admin/wizard`: the partner realm wizard (`ops::wizard`): the new admin
//! lives in the realm it manages or in the default realm.
//!
//! Authorization (in the operation, through the kernel): org-level
//! `authz::check(okta.realms.manage)`, `authz::check_iam_change`, `authz::check_delegation`.

// Server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;
use crate::views::admin::{WizardChoices, WizardReview};

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// The wizard's form as posted: name and domains; groups and apps; existing
/// admins, the new admin (email, first and last name) and the IdP (issuer,
/// client id); the IdP's secret when creating (never in the review's address).
#[cfg(feature = "ssr")]
fn input(
    [name, domains]: [String; 2],
    [groups, apps]: [Option<Vec<String>>; 2],
    texts: [Option<String>; 7],
    idp_secret: Option<String>,
) -> ops::wizard::Input {
    let [existing_admins, email, first_name, last_name, admin_home, issuer, client_id] =
        texts.map(Option::unwrap_or_default);
    ops::wizard::Input {
        name,
        domains,
        groups: groups.unwrap_or_default(),
        apps: apps.unwrap_or_default(),
        existing_admins,
        new_admin: [email, first_name, last_name],
        admin_home,
        idp: [issuer, client_id],
        idp_secret,
    }
}

/// Groups and apps a partner realm's resource set may include.
#[server(prefix = "/_fn", endpoint = "admin/wizard/options")]
pub async fn wizard_options() -> Result<WizardChoices, AppError> {
    ops::wizard::choices(&Ctx::current().await?).await
}

/// The wizard: a partner realm, its resource set, the Partner Admin role bound
/// to the named admins and optionally a partner IdP — one transaction, all or
/// nothing. The browser goes to the realm.
#[server(prefix = "/_fn", endpoint = "admin/wizard/create")]
pub async fn create_partner_realm(
    name: String,
    domains: String,
    groups: Option<Vec<String>>,
    apps: Option<Vec<String>>,
    existing_admins: Option<String>,
    new_admin_email: Option<String>,
    new_admin_first_name: Option<String>,
    new_admin_last_name: Option<String>,
    admin_home: Option<String>,
    idp_issuer: Option<String>,
    idp_client_id: Option<String>,
    idp_client_secret: Option<String>,
) -> Result<String, AppError> {
    let input = input(
        [name, domains],
        [groups, apps],
        [
            existing_admins,
            new_admin_email,
            new_admin_first_name,
            new_admin_last_name,
            admin_home,
            idp_issuer,
            idp_client_id,
        ],
        Some(idp_client_secret.unwrap_or_default()),
    );
    // What the form shows again after a refusal (never the secret).
    let kept = [
        ("name", input.name.clone()),
        ("domains", input.domains.clone()),
        ("existing_admins", input.existing_admins.clone()),
        ("new_admin_email", input.new_admin[0].clone()),
        ("new_admin_first_name", input.new_admin[1].clone()),
        ("new_admin_last_name", input.new_admin[2].clone()),
        ("admin_home", input.admin_home.clone()),
        ("idp_issuer", input.idp[0].clone()),
        ("idp_client_id", input.idp[1].clone()),
    ];
    let realm = async { ops::wizard::create(&Ctx::current().await?, input).await }
        .await
        .map_err(|e| e.keeping(kept))?;
    leptos_axum::redirect(&format!("/admin/realms/{}", realm.id));
    Ok(realm.id.to_string())
}

/// The wizard's review step: checks everything the wizard would create and
/// describes it; writes nothing.
#[server(prefix = "/_fn", endpoint = "admin/wizard/review")]
pub async fn review_partner_realm(
    name: String,
    domains: String,
    groups: Option<Vec<String>>,
    apps: Option<Vec<String>>,
    existing_admins: Option<String>,
    new_admin_email: Option<String>,
    new_admin_first_name: Option<String>,
    new_admin_last_name: Option<String>,
    admin_home: Option<String>,
    idp_issuer: Option<String>,
    idp_client_id: Option<String>,
) -> Result<WizardReview, AppError> {
    let input = input(
        [name, domains],
        [groups, apps],
        [
            existing_admins,
            new_admin_email,
            new_admin_first_name,
            new_admin_last_name,
            admin_home,
            idp_issuer,
            idp_client_id,
        ],
        None,
    );
    ops::wizard::review(&Ctx::current().await?, input).await
}

//! `/admin/idps`: partner identity providers (`ops::idps`).
//!
//! Authorization (in the operation, through the kernel): org-level `authz::check(okta.idps.read
//! | okta.idps.manage)`, and `authz::check_idp_binding`.

// Server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;
use crate::views::admin::{IdpEdit, IdpsView};

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// The partner identity providers.
#[server(prefix = "/_fn", endpoint = "admin/idps")]
pub async fn admin_idps() -> Result<IdpsView, AppError> {
    ops::idps::list(&Ctx::current().await?).await
}

/// The IdP form as posted: name, issuer, client id and secret; then the
/// optional scopes, claim mapping, realm, JIT box, routing domains, group
/// sync action and claim; then the groups to sync.
#[cfg(feature = "ssr")]
fn idp_form(
    given: [String; 4],
    optional: [Option<String>; 7],
    groups_filter: Option<Vec<String>>,
) -> ops::idps::IdpForm {
    let [name, issuer, client_id, client_secret] = given;
    let [scopes, claim_mapping, realm_id, jit, routing_domains, groups_action, groups_claim] =
        optional;
    ops::idps::IdpForm {
        name,
        issuer,
        client_id,
        client_secret,
        scopes: scopes.unwrap_or_default(),
        claim_mapping: claim_mapping.unwrap_or_default(),
        realm_id: realm_id.unwrap_or_default(),
        jit: jit.is_some(),
        routing_domains: routing_domains.unwrap_or_default(),
        groups_action: groups_action.unwrap_or_default(),
        groups_claim: groups_claim.unwrap_or_default(),
        groups_filter: groups_filter.unwrap_or_default(),
    }
}

/// What the IdP form shows again after a refusal; never the secret.
#[cfg(feature = "ssr")]
fn kept(form: &ops::idps::IdpForm) -> [(&'static str, String); 11] {
    [
        ("jit", if form.jit { "on" } else { "off" }.to_string()),
        ("groups_filter", form.groups_filter.join(",")),
        ("groups_action", form.groups_action.clone()),
        ("groups_claim", form.groups_claim.clone()),
        ("name", form.name.clone()),
        ("issuer", form.issuer.clone()),
        ("client_id", form.client_id.clone()),
        ("scopes", form.scopes.clone()),
        ("claim_mapping", form.claim_mapping.clone()),
        ("realm_id", form.realm_id.clone()),
        ("routing_domains", form.routing_domains.clone()),
    ]
}

/// Creates a partner OIDC identity provider after reading the issuer's
/// discovery document; the client secret is sealed at rest.
#[server(prefix = "/_fn", endpoint = "admin/idps/create")]
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
    groups_action: Option<String>,
    groups_claim: Option<String>,
    groups_filter: Option<Vec<String>>,
) -> Result<String, AppError> {
    let form = idp_form(
        [name, issuer, client_id, client_secret],
        [
            scopes,
            claim_mapping,
            realm_id,
            jit,
            routing_domains,
            groups_action,
            groups_claim,
        ],
        groups_filter,
    );
    let kept = kept(&form);
    let message = async { ops::idps::save(&Ctx::current().await?, None, form).await }
        .await
        .map_err(|e| e.keeping(kept))?;
    leptos_axum::redirect("/admin/idps");
    Ok(message)
}

/// One identity provider for its edit page (never its secret).
#[server(prefix = "/_fn", endpoint = "admin/idps/get")]
pub async fn admin_idp(id: String) -> Result<IdpEdit, AppError> {
    ops::idps::get(&Ctx::current().await?, &super::super::id(&id)?).await
}

/// Changes an identity provider (an empty secret keeps the stored one); the
/// issuer's discovery is read again on save. Sign-ins use the change at once.
#[server(prefix = "/_fn", endpoint = "admin/idps/update")]
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
    groups_action: Option<String>,
    groups_claim: Option<String>,
    groups_filter: Option<Vec<String>>,
) -> Result<String, AppError> {
    let form = idp_form(
        [name, issuer, client_id, client_secret],
        [
            scopes,
            claim_mapping,
            realm_id,
            jit,
            routing_domains,
            groups_action,
            groups_claim,
        ],
        groups_filter,
    );
    let kept = kept(&form);
    async {
        let cx = Ctx::current().await?;
        let id = super::super::id(&id)?;
        ops::idps::save(&cx, Some((&id, &expected)), form).await
    }
    .await
    .map_err(|e: AppError| e.keeping(kept))
}

/// Activates (`active` = "true") or deactivates an identity provider.
#[server(prefix = "/_fn", endpoint = "admin/idps/status")]
pub async fn set_idp_status(id: String, active: String) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    ops::idps::set_status(&cx, &super::super::id(&id)?, active == "true").await
}

//! Partner identity providers (org-level `okta.idps.*`): the list with the
//! redirect URI to register, one for its edit page (never its secret), saving
//! one after reading the issuer's discovery document (an issuer that does not
//! answer as itself is refused at its field), and activating/deactivating.

use crate::authz::{scope, Permission};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::ids::{GroupId, IdpId, RealmId};
use crate::store::idp_sync::{GroupSync, GroupsAction};
use crate::store::idps::{claim_mapping_text, parse_claim_mapping, NewIdp};
use crate::views::admin::{IdpEdit, IdpRow, IdpsView};

use super::access::org_level;

/// The partner identity providers, the realms they may be bound to, and the
/// redirect URI to register at each.
pub async fn list(cx: &Ctx) -> Result<IdpsView, AppError> {
    let grant = org_level(&cx.principal, Permission::IdentityProvidersRead)?;
    let realms = cx
        .store
        .list_realms(&scope(&cx.principal, Permission::RealmsRead))
        .await?;
    let name_of = |id: &RealmId| realms.iter().find(|r| r.id == *id).map(|r| r.name.clone());
    let groups = cx
        .store
        .list_groups(&scope(&cx.principal, Permission::GroupsRead))
        .await?
        .into_iter()
        .map(|g| (g.id.to_string(), g.name))
        .collect();
    let idps = cx
        .store
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
    Ok(IdpsView {
        idps,
        realms: realms
            .into_iter()
            .map(|r| (r.id.to_string(), r.name))
            .collect(),
        redirect_uri: format!(
            "{}/auth/callback",
            cx.settings.public_url.trim_end_matches('/')
        ),
        groups,
    })
}

/// One identity provider for its edit page (never its secret).
pub async fn get(cx: &Ctx, id: &IdpId) -> Result<IdpEdit, AppError> {
    org_level(&cx.principal, Permission::IdentityProvidersRead)?;
    let idp = cx
        .store
        .system_idp_by_id(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let list = list(cx).await?;
    let row = list
        .idps
        .into_iter()
        .find(|r| r.id == idp.id.as_str())
        .ok_or(AppError::NotFound)?;
    Ok(IdpEdit {
        idp: row,
        realm_id: idp.realm_id.map(|r| r.to_string()).unwrap_or_default(),
        claim_mapping: claim_mapping_text(&idp.claim_mapping),
        last_updated: idp.last_updated,
        realms: list.realms,
        redirect_uri: list.redirect_uri,
        groups_action: idp.groups.action.as_str().to_string(),
        groups_claim: idp.groups.claim,
        groups_filter: idp.groups.filter.iter().map(|g| g.to_string()).collect(),
        groups: list.groups,
    })
}

/// The IdP form's fields, as typed (its `Debug` never prints the secret).
#[derive(Clone, Default)]
pub struct IdpForm {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    /// Empty on an edit: keep the stored one.
    pub client_secret: String,
    pub scopes: String,
    pub claim_mapping: String,
    /// As chosen: empty for none.
    pub realm_id: String,
    pub jit: bool,
    pub routing_domains: String,
    /// `NONE`, `APPEND` or `SYNC` (empty: `NONE`).
    pub groups_action: String,
    pub groups_claim: String,
    /// Group ids as posted.
    pub groups_filter: Vec<String>,
}

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

/// Creates (`existing` None) or changes (id, the `last_updated` the form was
/// rendered from) an IdP; sign-ins use a change at once. An edit with an
/// empty secret keeps the stored one.
pub async fn save(
    cx: &Ctx,
    existing: Option<(&IdpId, &str)>,
    form: IdpForm,
) -> Result<String, AppError> {
    let grant = org_level(&cx.principal, Permission::IdentityProvidersManage)?;
    let outbound = cx.settings.outbound;
    let secrets = &cx.settings.secrets;
    let existing = match existing {
        None => None,
        Some((id, expected)) => {
            let before = cx
                .store
                .system_idp_by_id(id)
                .await?
                .ok_or(AppError::NotFound)?;
            Some((before, expected))
        }
    };
    let realm_id = match form.realm_id.trim() {
        "" => None,
        raw => Some(
            RealmId::parse(raw).map_err(|_| AppError::validation("realmId", "Choose a realm."))?,
        ),
    };
    let scopes: Vec<String> = form
        .scopes
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let schema = cx.store.profile_schema().await?;
    let claim_mapping = match form.claim_mapping.trim() {
        "" => serde_json::Map::new(),
        text => parse_claim_mapping(text, &schema).map_err(|e| AppError::fields(vec![e]))?,
    };
    let groups = GroupSync {
        action: match form.groups_action.trim() {
            "" => GroupsAction::None,
            raw => GroupsAction::parse(raw)
                .ok_or_else(|| AppError::validation("groupsAction", "Choose none, add or sync."))?,
        },
        claim: form.groups_claim.trim().to_string(),
        filter: form
            .groups_filter
            .iter()
            .map(|g| GroupId::parse(g.trim()))
            .collect::<Result<_, _>>()
            .map_err(|_| AppError::validation("groupsFilter", "Choose existing groups."))?,
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
        routing_domains: super::realms::parse_domains(&form.routing_domains),
        groups,
    };
    crate::authz::check_idp_binding(
        &cx.principal,
        &cx.org,
        new.realm_id.as_ref(),
        new.jit_enabled,
    )?;
    // Only an issuer the outbound policy allows is worth a request; the
    // store says what is wrong with any other. An edit that keeps the
    // secret (same issuer and client) checks discovery with the stored one.
    let same_client = existing.as_ref().is_some_and(|(before, _)| {
        before.issuer == new.issuer.trim() && before.client_id == new.client_id
    });
    if outbound.check_issuer(&new.issuer).is_ok() && (same_client || !new.client_secret.is_empty())
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
            &cx.settings.public_url,
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
            let idp = cx.store.create_idp(&grant, new, secrets).await?;
            Ok(format!("Created {}.", idp.name))
        }
        Some((before, expected)) => {
            let idp = cx
                .store
                .update_idp(&grant, &before.id, new, expected, secrets)
                .await?;
            Ok(format!("Saved {}.", idp.name))
        }
    }
}

/// Activates or deactivates an identity provider.
pub async fn set_status(cx: &Ctx, id: &IdpId, active: bool) -> Result<String, AppError> {
    let grant = org_level(&cx.principal, Permission::IdentityProvidersManage)?;
    let idp = cx.store.set_idp_status(&grant, id, active).await?;
    Ok(if idp.status == "ACTIVE" {
        format!("{} is active.", idp.name)
    } else {
        format!("{} is inactive: it signs nobody in.", idp.name)
    })
}

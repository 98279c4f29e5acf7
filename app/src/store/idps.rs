//! Partner identity providers (OIDC), their client secrets sealed at rest,
//! identifier-first routing, and just-in-time provisioning: placing a new
//! partner user in the realm the realm-assignment rules choose, linked to the
//! IdP subject, in one transaction with its events.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::audit::{self, Actor, Event};
use super::demand::Demand;
use super::dialect::Constraint;
use super::idp_sync::{self, GroupSync, GroupsAction};
use super::realms::{decode, validate_domains};
use super::users::{domain_allowed, insert_user, user_target, validate_profile, AttributeDef};
use super::{clock, Store, StoreError};
use crate::authz::{Grant, Permission};
use crate::error::FieldError;
use crate::expr::{self, UserView, ValueRef};
use crate::ids::{GroupId, IdpId, RealmId, UserId};
use crate::model::{BaseProfile, User, UserStatus, BASE_ATTRIBUTES};

/// Seals and opens IdP client secrets with ChaCha20-Poly1305 under a key
/// derived from the `secrets_key` setting. Stored form: `v1:` + hex(nonce ‖ ciphertext).
#[derive(Clone)]
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox([redacted])")
    }
}

impl SecretBox {
    pub fn new(secrets_key: &str) -> Self {
        let digest = Sha256::digest(secrets_key.as_bytes());
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(digest.as_slice())),
        }
    }

    pub fn seal(&self, plain: &str) -> Result<String, StoreError> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .map_err(|_| StoreError::Internal("sealing a secret failed".into()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        Ok(format!("v1:{}", hex::encode(bytes)))
    }

    pub fn open(&self, stored: &str) -> Result<String, StoreError> {
        let bad = || {
            StoreError::Config("an IdP client secret cannot be opened: is secrets_key (PORTAL_SECRETS_KEY) the one it was sealed with?".into())
        };
        let bytes = stored
            .strip_prefix("v1:")
            .and_then(|h| hex::decode(h).ok())
            .ok_or_else(bad)?;
        if bytes.len() < 12 {
            return Err(bad());
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| bad())?;
        String::from_utf8(plain).map_err(|_| bad())
    }
}

/// The standard OIDC claims a mapping may read.
pub const MAPPABLE_CLAIMS: [&str; 8] = [
    "email",
    "given_name",
    "family_name",
    "middle_name",
    "name",
    "preferred_username",
    "phone_number",
    "sub",
];

/// The mapping used when an IdP names none: login and email from `email`,
/// names from `given_name` / `family_name`.
pub fn default_claim_mapping() -> Map<String, Value> {
    let mut m = Map::new();
    for (attr, claim) in [
        ("login", "email"),
        ("email", "email"),
        ("firstName", "given_name"),
        ("lastName", "family_name"),
    ] {
        m.insert(attr.into(), Value::String(claim.into()));
    }
    m
}

/// Session key: the partner IdP a session signed in with (absent or null:
/// the org IdP).
pub const SIGNED_IN_WITH: &str = "signed_in_with";

/// An identity provider to create.
#[derive(Clone)]
pub struct NewIdp {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    /// Profile attribute (base or custom) → claim name; empty means
    /// `default_claim_mapping()`.
    pub claim_mapping: Map<String, Value>,
    pub realm_id: Option<RealmId>,
    pub jit_enabled: bool,
    pub routing_domains: Vec<String>,
    pub groups: GroupSync,
}

/// Never prints the client secret.
impl std::fmt::Debug for NewIdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewIdp")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("realm_id", &self.realm_id)
            .field("jit_enabled", &self.jit_enabled)
            .field("routing_domains", &self.routing_domains)
            .field("groups", &self.groups)
            .finish()
    }
}

/// A stored identity provider (the secret stays sealed).
#[derive(Debug, Clone, PartialEq)]
pub struct Idp {
    pub id: IdpId,
    pub name: String,
    pub status: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: Option<String>,
    pub scopes: Vec<String>,
    pub claim_mapping: Map<String, Value>,
    pub realm_id: Option<RealmId>,
    pub jit_enabled: bool,
    pub routing_domains: Vec<String>,
    /// Group sync from its groups claim.
    pub groups: GroupSync,
    /// When it last changed: the edit form's lost-update check, and what tells
    /// the server's cache of built providers that one is stale.
    pub last_updated: String,
}

const IDP_COLUMNS: &str = "i.id, i.name, i.status, i.issuer, i.client_id, i.client_secret_enc, \
    i.scopes, i.claim_mapping, i.realm_id, i.jit_enabled, i.routing_domains, i.last_updated, \
    i.groups_action, i.groups_claim, i.groups_filter";

impl<'r> FromRow<'r, AnyRow> for Idp {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let json = |col: &str| -> Result<Value, sqlx::Error> {
            serde_json::from_str(&row.try_get::<String, _>(col)?).map_err(decode)
        };
        let strings = |v: Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let realm: Option<String> = row.try_get("realm_id")?;
        Ok(Idp {
            id: IdpId::parse(&row.try_get::<String, _>("id")?).map_err(decode)?,
            name: row.try_get("name")?,
            status: row.try_get("status")?,
            issuer: row.try_get("issuer")?,
            client_id: row
                .try_get::<Option<String>, _>("client_id")?
                .unwrap_or_default(),
            client_secret_sealed: row.try_get("client_secret_enc")?,
            scopes: strings(json("scopes")?),
            claim_mapping: json("claim_mapping")?
                .as_object()
                .cloned()
                .unwrap_or_default(),
            realm_id: realm
                .as_deref()
                .map(RealmId::parse)
                .transpose()
                .map_err(decode)?,
            jit_enabled: row.try_get::<super::sql::DbBool, _>("jit_enabled")?.0,
            routing_domains: strings(json("routing_domains")?),
            last_updated: row.try_get("last_updated")?,
            groups: GroupSync {
                action: GroupsAction::parse(&row.try_get::<String, _>("groups_action")?)
                    .ok_or_else(|| decode("groups_action"))?,
                claim: row
                    .try_get::<Option<String>, _>("groups_claim")?
                    .unwrap_or_default(),
                filter: strings(json("groups_filter")?)
                    .iter()
                    .filter_map(|g| GroupId::parse(g).ok())
                    .collect(),
            },
        })
    }
}

/// The claims of a verified partner sign-in that a mapping reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncomingClaims {
    pub subject: String,
    pub claims: Map<String, Value>,
    /// Whether the IdP vouched for the `email` claim (`email_verified`).
    pub email_verified: bool,
}

impl IncomingClaims {
    fn claim(&self, name: &str) -> Option<String> {
        if name == "sub" {
            return Some(self.subject.clone());
        }
        self.claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// The base profile the IdP's mapping produces.
    pub fn profile(&self, mapping: &Map<String, Value>) -> BaseProfile {
        let defaults = default_claim_mapping();
        let mapping = if mapping.is_empty() {
            &defaults
        } else {
            mapping
        };
        let get = |attr: &str| {
            mapping
                .get(attr)
                .and_then(Value::as_str)
                .and_then(|claim| self.claim(claim))
        };
        BaseProfile {
            login: get("login").unwrap_or_default(),
            email: get("email").unwrap_or_default(),
            second_email: get("secondEmail"),
            first_name: get("firstName").unwrap_or_default(),
            last_name: get("lastName").unwrap_or_default(),
            middle_name: get("middleName"),
            primary_phone: get("primaryPhone"),
            mobile_phone: get("mobilePhone"),
        }
    }
}

/// Which realm-assignment rules place a new user, by their profile source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSource<'a> {
    /// A partner IdP's users: only rules naming it (a rule without a source
    /// is for the org IdP's users and imports).
    Only(&'a str),
    /// An app's imported users: rules naming the app, and rules without a
    /// source.
    AppOrAny(&'a str),
    /// Users created without a source (the Management API): rules without one.
    Unsourced,
}

impl RuleSource<'_> {
    fn covers(self, rule: Option<&str>) -> bool {
        match (self, rule) {
            (Self::Only(s), Some(r)) => s == r,
            (Self::AppOrAny(s), Some(r)) => s == r,
            (Self::AppOrAny(_) | Self::Unsourced, None) => true,
            _ => false,
        }
    }
}

/// A profile as the realm-assignment rules see it at JIT time: the base
/// attributes and the custom ones the claim mapping fills.
struct Incoming<'a>(&'a BaseProfile, &'a Map<String, Value>);

impl UserView for Incoming<'_> {
    fn profile(&self, attr: &str) -> Option<ValueRef<'_>> {
        if let Some(v) = self.0.attribute(attr) {
            return Some(ValueRef::Str(v));
        }
        Some(match self.1.get(attr)? {
            Value::String(s) => ValueRef::Str(s),
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Number(n) => ValueRef::Number(n.as_f64()?),
            _ => ValueRef::Null,
        })
    }

    fn realm_id(&self) -> Option<&str> {
        None
    }
}

/// Why a partner sign-in could not be resolved to a user; safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JitError {
    #[error("There is no account for {0} here, and this identity provider does not create accounts. Ask your administrator for access.")]
    NotProvisioned(String),
    #[error("An account for {0} already exists and is not linked to {1}. Ask your administrator; accounts are never linked automatically.")]
    ExistingAccount(String, String),
    #[error("{1} may not create an account for {0}: its domain is not one of this identity provider's domains.")]
    ForeignDomain(String, String),
    #[error("Your identity provider did not send a usable profile: {0}")]
    BadProfile(String),
    #[error("Your account is {0}: you cannot sign in.")]
    NotActive(UserStatus),
    #[error("Your account is no longer in the realm {0} signs in: it was moved to another realm. Sign in with your new realm's identity provider, or ask your administrator.")]
    OtherRealm(String),
    #[error("Your identity provider did not send {0}, which every account here must have. Ask your administrator to add it to what {1} sends.")]
    MissingAttributes(String, String),
}

/// The outcome of `Store::system_admit_partner_user`.
#[derive(Debug, Clone)]
pub struct Admitted {
    pub user: User,
    pub created: bool,
}

impl Store {
    /// Creates an identity provider (org-level grant, `okta.identityProviders.manage`).
    pub async fn create_idp(
        &self,
        grant: &Grant,
        new: NewIdp,
        secrets: &SecretBox,
    ) -> Result<Idp, StoreError> {
        grant.demand_org(Permission::IdentityProvidersManage)?;
        let idp = self.prepare_idp(new, secrets, true).await?;
        let mut tx = self.begin_write().await?;
        insert_idp(&mut tx, grant, &idp).await?;
        tx.commit().await?;
        Ok(idp)
    }

    /// Checks a new IdP and seals its secret; `realm_exists`: whether its realm
    /// binding must already exist (not so for the wizard's new realm).
    pub(crate) async fn prepare_idp(
        &self,
        new: NewIdp,
        secrets: &SecretBox,
        realm_exists: bool,
    ) -> Result<Idp, StoreError> {
        self.checked_idp(new, secrets, realm_exists, None).await
    }

    /// Checks an IdP's fields; an empty secret keeps `kept_secret` (sealed)
    /// when there is one (an edit that does not change the secret).
    async fn checked_idp(
        &self,
        new: NewIdp,
        secrets: &SecretBox,
        realm_exists: bool,
        kept_secret: Option<String>,
    ) -> Result<Idp, StoreError> {
        let mut errors = Vec::new();
        let schema = self.profile_schema().await?;
        let name = new.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new(
                "name",
                "Enter a name of at most 100 characters.",
            ));
        }
        // Exactly as typed (an issuer may end with '/'): `iss` must equal it.
        let issuer = new.issuer.trim().to_string();
        if let Err(e) = self.outbound.check_issuer(&issuer) {
            errors.push(FieldError::new(
                "issuer",
                format!("Enter the issuer's https:// URL: this one {e}."),
            ));
        }
        if new.client_id.trim().is_empty() {
            errors.push(FieldError::new(
                "clientId",
                "Enter the client id registered at the IdP.",
            ));
        }
        if new.client_secret.is_empty() && kept_secret.is_none() {
            errors.push(FieldError::new("clientSecret", "Enter the client secret."));
        }
        for (attr, claim) in &new.claim_mapping {
            let claim = claim.as_str().unwrap_or_default();
            if let Err(why) = mapping_entry_allowed(attr, claim, &schema) {
                errors.push(FieldError::new("claimMapping", why));
                break;
            }
        }
        errors.extend(self.checked_group_sync(&new.groups).await?);
        let domains = match validate_domains(&new.routing_domains) {
            Ok(d) => d,
            Err(StoreError::Invalid(mut e)) => {
                for f in &mut e {
                    f.field = "routingDomains".into();
                }
                errors.extend(e);
                Vec::new()
            }
            Err(other) => return Err(other),
        };
        if let Some(realm) = new.realm_id.as_ref().filter(|_| realm_exists) {
            self.realm_by_id(realm).await?;
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let mut scopes = new.scopes.clone();
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".into());
        }
        let idp = Idp {
            id: IdpId::generate(),
            name,
            status: "ACTIVE".into(),
            issuer,
            client_id: new.client_id.trim().to_string(),
            client_secret_sealed: match kept_secret {
                Some(sealed) if new.client_secret.is_empty() => Some(sealed),
                _ => Some(secrets.seal(&new.client_secret)?),
            },
            scopes,
            claim_mapping: new.claim_mapping.clone(),
            realm_id: new.realm_id.clone(),
            jit_enabled: new.jit_enabled,
            routing_domains: domains,
            last_updated: clock::now(),
            groups: new.groups.clone(),
        };
        Ok(idp)
    }

    /// Problems with a group sync setting: a claim to read, and listed groups
    /// that exist and confer no admin rights.
    async fn checked_group_sync(&self, sync: &GroupSync) -> Result<Vec<FieldError>, StoreError> {
        let mut errors = Vec::new();
        if sync.action == GroupsAction::None {
            return Ok(errors);
        }
        if !idp_sync::valid_claim_name(&sync.claim) {
            errors.push(FieldError::new(
                "groupsClaim",
                "Name the claim that holds the user's groups (for example groups).",
            ));
        }
        if sync.filter.is_empty() {
            errors.push(FieldError::new(
                "groupsFilter",
                "Choose the groups this identity provider may put its users in.",
            ));
        }
        let mut tx = self.pool.begin().await?;
        let syncable = idp_sync::syncable_groups(&mut tx, &sync.filter).await?;
        tx.rollback().await?;
        if syncable.len() != sync.filter.len() {
            errors.push(FieldError::new(
                "groupsFilter",
                "Only existing groups that confer no admin rights can be synced from an identity provider.",
            ));
        }
        Ok(errors)
    }

    /// Changes an identity provider (org-level grant,
    /// `okta.identityProviders.manage`): everything the create form holds; an
    /// empty `client_secret` keeps the sealed one. Refused with a conflict when
    /// it changed since `expected` (its `last_updated`). One
    /// `system.idp.lifecycle.update` event naming the changed fields.
    pub async fn update_idp(
        &self,
        grant: &Grant,
        id: &IdpId,
        change: NewIdp,
        expected: &str,
        secrets: &SecretBox,
    ) -> Result<Idp, StoreError> {
        grant.demand_org(Permission::IdentityProvidersManage)?;
        let before = self
            .system_idp_by_id(id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let secret_changed = !change.client_secret.is_empty();
        // The stored secret goes only to the issuer and client it was made
        // for: changing either needs the secret typed again.
        let same_client =
            change.issuer.trim() == before.issuer && change.client_id.trim() == before.client_id;
        let kept = before.client_secret_sealed.clone().filter(|_| same_client);
        if !same_client && !secret_changed {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "clientSecret",
                "Enter the client secret again: the issuer or client id changed.",
            )]));
        }
        let mut idp = self.checked_idp(change, secrets, true, kept).await?;
        idp.id = before.id.clone();
        idp.status = before.status.clone();
        idp.last_updated = clock::after(&before.last_updated);
        let mut changed: Vec<&str> = Vec::new();
        for (field, differs) in [
            ("name", idp.name != before.name),
            ("issuer", idp.issuer != before.issuer),
            ("clientId", idp.client_id != before.client_id),
            ("clientSecret", secret_changed),
            ("scopes", idp.scopes != before.scopes),
            ("claimMapping", idp.claim_mapping != before.claim_mapping),
            ("realmId", idp.realm_id != before.realm_id),
            ("jit", idp.jit_enabled != before.jit_enabled),
            (
                "routingDomains",
                idp.routing_domains != before.routing_domains,
            ),
            ("groups", idp.groups != before.groups),
        ] {
            if differs {
                changed.push(field);
            }
        }
        self.write(|mut tx| async move {
            let updated = sqlx::query(
                "UPDATE identity_providers SET name = $1, issuer = $2, client_id = $3, client_secret_enc = $4, \
                 scopes = $5, claim_mapping = $6, realm_id = $7, jit_enabled = $8, routing_domains = $9, \
                 last_updated = $10, groups_action = $13, groups_claim = $14, groups_filter = $15 \
                 WHERE id = $11 AND last_updated = $12",
            )
            .bind(&idp.name)
            .bind(&idp.issuer)
            .bind(&idp.client_id)
            .bind(&idp.client_secret_sealed)
            .bind(to_json(&idp.scopes))
            .bind(to_json(&idp.claim_mapping))
            .bind(idp.realm_id.as_ref().map(|r| r.to_string()))
            .bind(idp.jit_enabled)
            .bind(to_json(&idp.routing_domains))
            .bind(&idp.last_updated)
            .bind(id.as_str())
            .bind(expected)
            .bind(idp.groups.action.as_str())
            .bind(Some(idp.groups.claim.clone()).filter(|c| !c.is_empty()))
            .bind(to_json(&idp.groups.filter))
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::map_constraint(e, &[Constraint::IdentityProvidersName]))?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict(
                    "This identity provider was changed by someone else; reload and try again.".into(),
                ));
            }
            let event = Event::by_grant(
                "system.idp.lifecycle.update",
                "Update identity provider",
                grant,
            )
            .target(idp_target(&idp))
            .debug("changed", changed.join(","));
            Ok((tx, idp, vec![event]))
        })
        .await
    }

    /// Activates or deactivates an identity provider: an inactive one routes
    /// nobody, signs nobody in and creates no accounts; its users keep their
    /// accounts. `system.idp.lifecycle.activate` / `.deactivate`.
    pub async fn set_idp_status(
        &self,
        grant: &Grant,
        id: &IdpId,
        active: bool,
    ) -> Result<Idp, StoreError> {
        grant.demand_org(Permission::IdentityProvidersManage)?;
        let status = if active { "ACTIVE" } else { "INACTIVE" };
        self.write(|mut tx| async move {
            let mut events = Vec::new();
            let updated = sqlx::query(
                "UPDATE identity_providers SET status = $1, last_updated = $2 WHERE id = $3 AND status <> $1",
            )
            .bind(status)
            .bind(clock::now())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 1 {
                let idp = sqlx::query_as::<_, Idp>(&format!(
                    "SELECT {IDP_COLUMNS} FROM identity_providers i WHERE i.id = $1"
                ))
                .bind(id.as_str())
                .fetch_one(&mut *tx)
                .await?;
                let (action, display) = if active {
                    (
                        "system.idp.lifecycle.activate",
                        "Activate identity provider",
                    )
                } else {
                    (
                        "system.idp.lifecycle.deactivate",
                        "Deactivate identity provider",
                    )
                };
                let mut event = Event::by_grant(action, display, grant).target(idp_target(&idp));
                if !active {
                    // Sessions started through it end with it.
                    let ended = sqlx::query("DELETE FROM tower_sessions WHERE data LIKE $1")
                        .bind(format!("%\"{}\":\"{}\"%", SIGNED_IN_WITH, idp.id))
                        .execute(&mut *tx)
                        .await?;
                    event = event.debug("sessionsEnded", ended.rows_affected() as i64);
                }
                events.push(event);
            }
            Ok((tx, (), events))
        })
        .await?;
        self.system_idp_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// Every identity provider as (id, name), by name: profile sources to pick.
    pub async fn idp_names(&self, grant: &Grant) -> Result<Vec<(String, String)>, StoreError> {
        grant.demand_org(Permission::RealmsRead)?;
        sqlx::query_as("SELECT id, name FROM identity_providers ORDER BY lower(name), id")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)
    }

    /// Every identity provider, by name (org-level read).
    pub async fn list_idps(&self, grant: &Grant) -> Result<Vec<Idp>, StoreError> {
        grant.demand_org(Permission::IdentityProvidersRead)?;
        sqlx::query_as::<_, Idp>(&format!(
            "SELECT {IDP_COLUMNS} FROM identity_providers i ORDER BY lower(i.name), i.id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)
    }

    /// One IdP for an admin who may read them (org-level
    /// `okta.idps.read`).
    pub async fn idp(&self, grant: &Grant, id: &IdpId) -> Result<Option<Idp>, StoreError> {
        grant.demand_org(Permission::IdentityProvidersRead)?;
        self.system_idp_by_id(id).await
    }

    /// One IdP with no grant: for sign-in (the IdP the browser comes back
    /// from) and background work, never a person's request.
    pub async fn system_idp_by_id(&self, id: &IdpId) -> Result<Option<Idp>, StoreError> {
        sqlx::query_as::<_, Idp>(&format!(
            "SELECT {IDP_COLUMNS} FROM identity_providers i WHERE i.id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)
    }

    pub async fn idp_by_name(&self, name: &str) -> Result<Option<Idp>, StoreError> {
        sqlx::query_as::<_, Idp>(&format!(
            "SELECT {IDP_COLUMNS} FROM identity_providers i WHERE lower(i.name) = lower($1)"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)
    }

    /// Identifier-first routing: which partner IdP signs in `email`, if any.
    ///
    /// 1. A known user goes where its account comes from: the partner IdP that
    ///    created it, otherwise the org IdP (`None`) — admins are never routed
    ///    to a partner's IdP just because of their address.
    /// 2. An unknown address goes to the active IdP whose routing domains list its
    ///    domain, else to the active IdP bound to the realm whose domains list it.
    /// 3. Otherwise the org IdP (`None`).
    pub async fn route_sign_in(&self, email: &str) -> Result<Option<Idp>, StoreError> {
        let email = email.trim();
        if let Some(user) = self.system_user_by_login(email).await? {
            let Some(source) = user
                .profile_source_id
                .as_deref()
                .and_then(|s| IdpId::parse(s).ok())
            else {
                return Ok(None);
            };
            return Ok(self
                .system_idp_by_id(&source)
                .await?
                .filter(|i| i.status == "ACTIVE"));
        }
        let Some((_, domain)) = email.rsplit_once('@') else {
            return Ok(None);
        };
        let domain = domain.to_lowercase();
        // One query: routing domains first, then the bound realm's domains.
        let has = |column: &str| super::dialect::json_array_contains(self.engine, column);
        let routed = has("i.routing_domains");
        let by_realm = has("r.domains");
        sqlx::query_as::<_, Idp>(&format!(
            "SELECT {IDP_COLUMNS} FROM identity_providers i LEFT JOIN realms r ON r.id = i.realm_id \
             WHERE i.status = 'ACTIVE' AND ({routed} OR (r.id IS NOT NULL AND {by_realm})) \
             ORDER BY CASE WHEN {routed} THEN 0 ELSE 1 END, i.created, i.id LIMIT 1"
        ))
        .bind(&domain)
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)
    }

    /// The realm a new user from `idp` with `profile` belongs in: the first
    /// active rule (priority order) for this profile source or for any source
    /// whose expression matches; failing that the IdP's bound realm; failing
    /// that the catch-all rule's realm.
    pub async fn realm_for_new_user(
        &self,
        idp: &Idp,
        profile: &BaseProfile,
        custom: &Map<String, Value>,
    ) -> Result<RealmId, StoreError> {
        self.realm_by_rules(
            RuleSource::Only(idp.id.as_str()),
            idp.realm_id.as_ref(),
            profile,
            custom,
        )
        .await
    }

    /// The realm the realm-assignment rules choose for a new user with
    /// `profile`: the first active rule (priority order) for `source` whose
    /// expression matches; failing that `bound`; failing that the
    /// catch-all rule's realm.
    pub async fn realm_by_rules(
        &self,
        source: RuleSource<'_>,
        bound: Option<&RealmId>,
        profile: &BaseProfile,
        custom: &Map<String, Value>,
    ) -> Result<RealmId, StoreError> {
        let rows = sqlx::query(
            "SELECT is_default, COALESCE(profile_source_id, profile_source_app_id) AS profile_source_id, \
             expression, target_realm_id FROM realm_assignment_rules WHERE status = 'ACTIVE' ORDER BY priority",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut catch_all = None;
        for row in rows {
            let is_default = row.try_get::<super::sql::DbBool, _>("is_default")?.0;
            let target: String = row.try_get("target_realm_id")?;
            let target =
                RealmId::parse(&target).map_err(|e| StoreError::Internal(e.to_string()))?;
            if is_default {
                catch_all = Some(target);
                continue;
            }
            let rule_source: Option<String> = row.try_get("profile_source_id")?;
            if !source.covers(rule_source.as_deref()) {
                continue;
            }
            let expression: Option<String> = row.try_get("expression")?;
            let matches = match expression
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
            {
                None => true,
                Some(src) => match expr::compile(src) {
                    Ok(e) => e.evaluate(&Incoming(profile, custom)),
                    Err(err) => {
                        tracing::warn!(error = %err, "a stored realm assignment rule does not compile; skipped");
                        false
                    }
                },
            };
            if matches {
                return Ok(target);
            }
        }
        if let Some(bound) = bound {
            return Ok(bound.clone());
        }
        catch_all.ok_or_else(|| StoreError::Internal("no catch-all realm assignment rule".into()))
    }

    /// Resolves a verified partner sign-in to a user: the one linked to this
    /// IdP subject (its mapped attributes refreshed), or — with JIT on — a new
    /// ACTIVE user in the realm the rules choose, linked, in one transaction
    /// with `user.lifecycle.create` / `user.lifecycle.activate`. An existing
    /// account with the same login is never linked silently.
    pub async fn system_admit_partner_user(
        &self,
        idp: &Idp,
        incoming: &IncomingClaims,
    ) -> Result<Result<Admitted, JitError>, StoreError> {
        let profile = incoming.profile(&idp.claim_mapping);
        let schema = self.profile_schema().await?;
        let custom =
            match idp_sync::custom_attributes(&incoming.claims, &idp.claim_mapping, &schema) {
                Ok(custom) => custom,
                Err(e) => return Ok(Err(JitError::BadProfile(e.message))),
            };
        let linked: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM idp_user_links WHERE idp_id = $1 AND external_id = $2",
        )
        .bind(idp.id.as_str())
        .bind(&incoming.subject)
        .fetch_optional(&self.pool)
        .await?;
        let actor = Actor {
            id: idp.id.to_string(),
            actor_type: "PublicClientApp".into(),
            alternate_id: idp.issuer.clone(),
            display_name: idp.name.clone(),
        };
        if let Some(user_id) = linked {
            let id = UserId::parse(&user_id).map_err(|e| StoreError::Internal(e.to_string()))?;
            let mut tx = self.begin_write().await?;
            let user = super::users::user_in_tx(&mut tx, &id).await?;
            if user.status != UserStatus::Active {
                return Ok(Err(JitError::NotActive(user.status)));
            }
            // A realm-bound IdP signs in only users of its realm (or of a realm
            // its own rules place its users in): a user moved elsewhere signs
            // in through the new realm's IdP.
            if idp
                .realm_id
                .as_ref()
                .is_some_and(|bound| *bound != user.realm_id)
            {
                let placed_by_its_rules: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM realm_assignment_rules \
                     WHERE profile_source_id = $1 AND target_realm_id = $2",
                )
                .bind(idp.id.as_str())
                .bind(user.realm_id.as_str())
                .fetch_one(&mut *tx)
                .await?;
                if placed_by_its_rules == 0 {
                    return Ok(Err(JitError::OtherRealm(idp.name.clone())));
                }
            }
            // Later sign-ins refresh the mapped names and phones (not login/email,
            // which identify the account and are bound by the realm's domains).
            let mut refreshed = user.profile.clone();
            if !profile.first_name.is_empty() {
                refreshed.first_name = profile.first_name.clone();
            }
            if !profile.last_name.is_empty() {
                refreshed.last_name = profile.last_name.clone();
            }
            for (slot, value) in [
                (&mut refreshed.middle_name, &profile.middle_name),
                (&mut refreshed.primary_phone, &profile.primary_phone),
                (&mut refreshed.mobile_phone, &profile.mobile_phone),
            ] {
                if value.is_some() {
                    slot.clone_from(value);
                }
            }
            // Mapped custom attributes follow the IdP too.
            let mut refreshed_custom = user.custom_profile.clone();
            refreshed_custom.extend(custom);
            let now = clock::now();
            if refreshed != user.profile || refreshed_custom != user.custom_profile {
                sqlx::query(
                    "UPDATE users SET first_name = $1, last_name = $2, middle_name = $3, primary_phone = $4, \
                     mobile_phone = $5, last_login = $6, last_updated = $6, version = version + 1, \
                     custom_profile = $8 WHERE id = $7",
                )
                .bind(&refreshed.first_name)
                .bind(&refreshed.last_name)
                .bind(&refreshed.middle_name)
                .bind(&refreshed.primary_phone)
                .bind(&refreshed.mobile_phone)
                .bind(&now)
                .bind(id.as_str())
                .bind(to_json(&refreshed_custom))
                .execute(&mut *tx)
                .await?;
                let updated = User {
                    profile: refreshed,
                    custom_profile: refreshed_custom,
                    ..user.clone()
                };
                let event = Event::success(
                    "user.account.update_profile",
                    "Update user profile from identity provider",
                    actor.clone(),
                )
                .target(user_target(&updated))
                .debug("profileSourceId", idp.id.as_str());
                audit::append(&mut tx, &event).await?;
                for event in
                    idp_sync::sync_groups(&mut tx, &idp.groups, &incoming.claims, &updated, &actor)
                        .await?
                {
                    audit::append(&mut tx, &event).await?;
                }
                tx.commit().await?;
                return Ok(Ok(Admitted {
                    user: updated,
                    created: false,
                }));
            }
            sqlx::query("UPDATE users SET last_login = $1 WHERE id = $2")
                .bind(&now)
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            for event in
                idp_sync::sync_groups(&mut tx, &idp.groups, &incoming.claims, &user, &actor).await?
            {
                audit::append(&mut tx, &event).await?;
            }
            tx.commit().await?;
            return Ok(Ok(Admitted {
                user,
                created: false,
            }));
        }

        let shown = if profile.login.is_empty() {
            incoming.subject.clone()
        } else {
            profile.login.clone()
        };
        if self.system_user_by_login(&profile.login).await?.is_some() {
            return Ok(Err(JitError::ExistingAccount(shown, idp.name.clone())));
        }
        if !idp.jit_enabled {
            return Ok(Err(JitError::NotProvisioned(shown)));
        }
        // The IdP must vouch for the address it creates an account for,
        // unless its claim mapping takes the email from another claim.
        let email_claim = if idp.claim_mapping.is_empty() {
            default_claim_mapping().get("email").cloned()
        } else {
            idp.claim_mapping.get("email").cloned()
        };
        if email_claim.as_ref().and_then(Value::as_str) == Some("email") && !incoming.email_verified
        {
            return Ok(Err(JitError::BadProfile(format!(
                "the email address {} is not verified (email_verified)",
                profile.email
            ))));
        }
        // An IdP creates accounts only for its own domains: its routing
        // domains or its bound realm's, whatever realm the rules choose.
        let bound_domains = match &idp.realm_id {
            Some(bound) => self.realm_by_id(bound).await?.domains,
            None => Vec::new(),
        };
        let own: Vec<String> = idp
            .routing_domains
            .iter()
            .chain(bound_domains.iter())
            .cloned()
            .collect();
        if !domain_allowed(&profile.email, &own) || !domain_allowed(&profile.login, &own) {
            return Ok(Err(JitError::ForeignDomain(shown, idp.name.clone())));
        }
        // A required custom attribute the IdP does not send fails this
        // sign-in (naming it), not every JIT sign-in.
        let missing = idp_sync::missing_required(&custom, &schema);
        if !missing.is_empty() {
            return Ok(Err(JitError::MissingAttributes(
                missing.join(", "),
                idp.name.clone(),
            )));
        }
        let realm_id = self.realm_for_new_user(idp, &profile, &custom).await?;
        let realm = self.realm_by_id(&realm_id).await?;
        let mut problems = validate_profile(&profile, &realm);
        // Rules must never place a user in a realm whose domains exclude its email.
        if !realm.domains.is_empty() && !domain_allowed(&profile.email, &realm.domains) {
            problems.push(FieldError::new(
                "email",
                format!("{} is not in realm {}'s domains", profile.email, realm.name),
            ));
        }
        if !problems.is_empty() {
            let text: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
            return Ok(Err(JitError::BadProfile(text.join(" "))));
        }
        let now = clock::now();
        let user = User {
            id: UserId::generate(),
            realm_id: realm.id.clone(),
            status: UserStatus::Active,
            transitioning_to_status: None,
            profile: profile.clone(),
            custom_profile: custom,
            profile_source_id: Some(idp.id.to_string()),
            created: now.clone(),
            activated: Some(now.clone()),
            status_changed: Some(now.clone()),
            last_login: Some(now.clone()),
            last_updated: now.clone(),
            version: 1,
        };
        self.write(|mut tx| async move {
            let mut events = Vec::new();
            insert_user(&mut tx, &user).await?;
            sqlx::query("UPDATE users SET last_login = $1 WHERE id = $2")
                .bind(&now)
                .bind(user.id.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO idp_user_links (idp_id, external_id, user_id, created, last_updated) VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(idp.id.as_str())
            .bind(&incoming.subject)
            .bind(user.id.as_str())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            let mut created =
                Event::success("user.lifecycle.create", "Create okta user", actor.clone())
                    .target(user_target(&user))
                    .debug("realmId", realm.id.as_str())
                    .debug("profileSourceId", idp.id.as_str())
                    .debug("jit", true);
            created.targets.push(audit::Target {
                id: realm.id.to_string(),
                target_type: "Realm".into(),
                alternate_id: realm.name.clone(),
                display_name: realm.name.clone(),
                realm_id: Some(realm.id.to_string()),
            });
            events.push(created);
            let activated =
                Event::success("user.lifecycle.activate", "Activate Okta user", actor.clone())
                    .target(user_target(&user));
            events.push(activated);
            events.extend(
                idp_sync::sync_groups(&mut tx, &idp.groups, &incoming.claims, &user, &actor)
                    .await?,
            );
            Ok((tx, Ok(Admitted {
            user,
            created: true,
        }), events))
        })
        .await
    }
}

/// JSON text of a value bound into a TEXT column.
fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

fn idp_target(idp: &Idp) -> audit::Target {
    audit::Target {
        id: idp.id.to_string(),
        target_type: "IdentityProvider".into(),
        alternate_id: idp.issuer.clone(),
        display_name: idp.name.clone(),
        realm_id: idp.realm_id.as_ref().map(|r| r.to_string()),
    }
}

/// A claim mapping as the forms show it: one `attribute = claim` a line.
pub fn claim_mapping_text(mapping: &Map<String, Value>) -> String {
    let defaults = default_claim_mapping();
    let mapping = if mapping.is_empty() {
        &defaults
    } else {
        mapping
    };
    mapping
        .iter()
        .filter_map(|(attr, claim)| claim.as_str().map(|c| format!("{attr} = {c}")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `attr = claim` may be mapped: base attributes from the standard
/// claims (they identify the account), custom attributes of the profile
/// schema from any claim the IdP sends.
fn mapping_entry_allowed(attr: &str, claim: &str, schema: &[AttributeDef]) -> Result<(), String> {
    if BASE_ATTRIBUTES.contains(&attr) {
        if MAPPABLE_CLAIMS.contains(&claim) {
            return Ok(());
        }
        return Err(format!(
            "{claim} is not a claim a base attribute may read ({}).",
            MAPPABLE_CLAIMS.join(", ")
        ));
    }
    if !schema.iter().any(|d| d.name == attr) {
        return Err(format!(
            "{attr} is neither a base profile attribute ({}) nor a custom attribute of the profile.",
            BASE_ATTRIBUTES.join(", ")
        ));
    }
    if !idp_sync::valid_claim_name(claim) {
        return Err(format!("{claim} is not a claim name."));
    }
    Ok(())
}

/// Reads a claim mapping typed as `attribute = claim` lines (base attributes
/// from standard claims, custom attributes of `schema` from any claim); the
/// error names the first bad line. Login and email must be mapped.
pub fn parse_claim_mapping(
    text: &str,
    schema: &[AttributeDef],
) -> Result<Map<String, Value>, FieldError> {
    let mut mapping = Map::new();
    for (i, line) in text
        .lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
    {
        let bad = |why: String| FieldError::new("claimMapping", format!("Line {}: {why}", i + 1));
        let (attr, claim) = line
            .split_once('=')
            .map(|(a, c)| (a.trim(), c.trim()))
            .ok_or_else(|| bad("write it as attribute = claim.".into()))?;
        mapping_entry_allowed(attr, claim, schema).map_err(bad)?;
        if mapping
            .insert(attr.to_string(), Value::String(claim.to_string()))
            .is_some()
        {
            return Err(bad(format!("{attr} is mapped twice.")));
        }
    }
    for required in ["login", "email"] {
        if !mapping.contains_key(required) {
            return Err(FieldError::new(
                "claimMapping",
                format!("Map {required} to a claim (usually email)."),
            ));
        }
    }
    Ok(mapping)
}

/// Inserts a checked IdP with `system.idp.lifecycle.create` inside `tx`.
pub(crate) async fn insert_idp(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    grant: &Grant,
    idp: &Idp,
) -> Result<(), StoreError> {
    grant.demand_org(Permission::IdentityProvidersManage)?;
    sqlx::query(
            "INSERT INTO identity_providers (id, name, type, status, issuer, client_id, client_secret_enc, scopes, \
             claim_mapping, realm_id, jit_enabled, routing_domains, created, last_updated, \
             groups_action, groups_claim, groups_filter) \
             VALUES ($1, $2, 'OIDC', 'ACTIVE', $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14)",
        )
        .bind(idp.id.as_str())
        .bind(&idp.name)
        .bind(&idp.issuer)
        .bind(&idp.client_id)
        .bind(&idp.client_secret_sealed)
        .bind(to_json(&idp.scopes))
        .bind(to_json(&idp.claim_mapping))
        .bind(idp.realm_id.as_ref().map(|r| r.to_string()))
        .bind(idp.jit_enabled)
        .bind(to_json(&idp.routing_domains))
        .bind(&idp.last_updated)
        .bind(idp.groups.action.as_str())
        .bind(Some(idp.groups.claim.clone()).filter(|c| !c.is_empty()))
        .bind(to_json(&idp.groups.filter))
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::map_constraint(e, &[Constraint::IdentityProvidersName]))?;
    let event = Event::by_grant(
        "system.idp.lifecycle.create",
        "Create identity provider",
        grant,
    )
    .target(idp_target(idp));
    audit::append(tx, &event).await?;
    Ok(())
}

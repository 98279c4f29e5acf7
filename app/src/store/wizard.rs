//! The partner realm wizard's one transaction: a partner realm, its resource
//! set, the Partner Admin binding for its admins (existing users and new ones
//! created in the realm) — all written, with their events, or none.

use super::admin::{insert_binding_members, insert_resource_set, Member};
use super::realms::{insert_realm, NewRealm};
use super::users::{insert_new_user, new_user_record, NewUser};
use super::{Store, StoreError};
use crate::authz::Grant;
use crate::error::FieldError;
use crate::ids::{RealmId, ResourceSetId, RoleId, UserId};
use crate::model::Realm;

/// What the wizard creates. `orns` name the new realm's resources (built by
/// `authz` for `realm_id`).
#[derive(Debug, Clone)]
pub struct PartnerRealmPlan {
    pub realm_id: RealmId,
    pub realm: NewRealm,
    pub resource_set_label: String,
    pub orns: Vec<String>,
    pub role: RoleId,
    pub existing_admins: Vec<UserId>,
    /// New admins: created ACTIVE in the new realm, or in `admins_realm`
    /// (their `realm_id` is ignored).
    pub new_admins: Vec<NewUser>,
    /// Where new admins live when not in the realm they manage: the default
    /// realm (Okta's recommendation: partner admins outside their realm).
    pub admins_realm: Option<crate::model::Realm>,
    /// A partner IdP bound to the new realm (checked by `Store::prepare_idp`).
    pub idp: Option<super::idps::Idp>,
}

/// The grants the wizard's parts need, each from `authz::check`.
#[derive(Debug, Clone)]
pub struct PartnerRealmGrants {
    /// `okta.realms.manage` on the org.
    pub realm: Grant,
    /// Delegation checked: may bind the role over the resources.
    pub binding: Grant,
    /// `okta.users.create` in the new admins' realm (only needed for new admins).
    pub users: Option<Grant>,
    /// `okta.identityProviders.manage` on the org (only needed with an IdP).
    pub idp: Option<Grant>,
}

/// What the wizard made.
#[derive(Debug, Clone)]
pub struct PartnerRealmCreated {
    pub realm: Realm,
    pub resource_set: ResourceSetId,
    pub admins: Vec<UserId>,
}

impl Store {
    /// Creates the realm, resource set, binding and new admins in one write
    /// transaction. Field errors name the wizard's fields (`name`, `domains`,
    /// `newAdmins.N.email`, …); on any error nothing is written.
    pub async fn create_partner_realm(
        &self,
        grants: &PartnerRealmGrants,
        plan: PartnerRealmPlan,
    ) -> Result<PartnerRealmCreated, StoreError> {
        let schema = self.profile_schema().await?;
        let mut tx = self.begin_write().await?;
        let realm = insert_realm(&mut tx, &grants.realm, plan.realm_id.clone(), plan.realm).await?;
        if let Some(idp) = &plan.idp {
            let grant = grants.idp.as_ref().ok_or_else(|| {
                StoreError::Internal("an IdP needs an identityProviders.manage grant".into())
            })?;
            super::idps::insert_idp(&mut tx, grant, idp)
                .await
                .map_err(|e| rename_fields(e, "idpName", |f| f == "name"))?;
        }
        let resource_set = insert_resource_set(
            &mut tx,
            &grants.binding,
            &plan.resource_set_label,
            &format!("What {}'s partner admins manage", realm.name),
            &plan.orns,
        )
        .await
        .map_err(|e| rename_fields(e, "resourceSetLabel", |f| f == "label"))?;
        let mut admins = plan.existing_admins.clone();
        let mut errors: Vec<FieldError> = Vec::new();
        let mut created = Vec::new();
        let home = plan.admins_realm.clone().unwrap_or_else(|| realm.clone());
        for (i, new) in plan.new_admins.iter().enumerate() {
            let new = NewUser {
                realm_id: home.id.clone(),
                activate: true,
                ..new.clone()
            };
            match new_user_record(&new, &home, &schema) {
                Ok(user) => created.push((i, user)),
                Err(StoreError::Invalid(fields)) => errors.extend(
                    fields
                        .into_iter()
                        .map(|f| FieldError::new(format!("newAdmins.{i}.{}", f.field), f.message)),
                ),
                Err(e) => return Err(e),
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        if !created.is_empty() {
            let grant = grants.users.as_ref().ok_or_else(|| {
                StoreError::Internal("new admins need a users.create grant".into())
            })?;
            for (i, user) in &created {
                insert_new_user(&mut tx, grant, user, &home)
                    .await
                    .map_err(|e| match e {
                        StoreError::Invalid(fields) => StoreError::Invalid(
                            fields
                                .into_iter()
                                .map(|f| {
                                    FieldError::new(format!("newAdmins.{i}.{}", f.field), f.message)
                                })
                                .collect(),
                        ),
                        other => other,
                    })?;
                admins.push(user.id.clone());
            }
        }
        let members: Vec<Member> = admins.iter().cloned().map(Member::User).collect();
        insert_binding_members(
            &mut tx,
            &grants.binding,
            &resource_set,
            &plan.role,
            &members,
        )
        .await?;
        tx.commit().await?;
        Ok(PartnerRealmCreated {
            realm,
            resource_set,
            admins,
        })
    }
}

fn rename_fields(e: StoreError, to: &str, which: impl Fn(&str) -> bool) -> StoreError {
    match e {
        StoreError::Invalid(fields) => StoreError::Invalid(
            fields
                .into_iter()
                .map(|mut f| {
                    if which(&f.field) {
                        f.field = to.to_string();
                    }
                    f
                })
                .collect(),
        ),
        other => other,
    }
}

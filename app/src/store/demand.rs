//! Every store write demands the permission it implements. A write takes the
//! `Grant` that `authz::check` returned and, before touching anything, asks it
//! for its target: the grant's permission must be the one the write implements
//! (or include it, as `okta.users.lifecycle.manage` includes suspending) and its
//! target must be of the write's kind. Anything else is a programming error —
//! a grant minted for another operation — so it is logged and answered
//! `Internal`, never `Forbidden`.

use super::StoreError;
use crate::authz::{Grant, Permission, Target};
use crate::ids::{AppId, GroupId, RealmId, UserId};

/// The target of a grant, once the grant is shown to be for `required`.
pub(super) trait Demand {
    /// The user a grant for `required` (or a permission including it) names.
    fn demand_user(&self, required: Permission) -> Result<&UserId, StoreError>;
    fn demand_group(&self, required: Permission) -> Result<&GroupId, StoreError>;
    fn demand_app(&self, required: Permission) -> Result<&AppId, StoreError>;
    /// The realm a grant to create users there names.
    fn demand_new_user_in(&self, required: Permission) -> Result<&RealmId, StoreError>;
    /// An org-wide grant (creating objects, realms, IdPs, rules).
    fn demand_org(&self, required: Permission) -> Result<(), StoreError>;
    /// A grant on one realm (`Some`) or on every realm (`None`, org-wide).
    fn demand_realm(&self, required: Permission) -> Result<Option<&RealmId>, StoreError>;
    /// A grant on realm `id` itself or on every realm.
    fn demand_on_realm(&self, required: Permission, id: &RealmId) -> Result<(), StoreError> {
        match self.demand_realm(required)? {
            Some(granted) if granted != id => {
                tracing::error!(%granted, wanted = %id, "a realm write got a grant for another realm");
                Err(StoreError::Internal(
                    "a grant for one realm cannot be used on another".into(),
                ))
            }
            _ => Ok(()),
        }
    }
    /// A grant to change the delegated admin model (`authz::check_iam_change`).
    fn demand_iam_change(&self) -> Result<(), StoreError>;
}

impl Demand for Grant {
    fn demand_iam_change(&self) -> Result<(), StoreError> {
        if self.is_iam_change() {
            Ok(())
        } else {
            tracing::error!(
                permission = self.permission().as_str(),
                target = ?self.target(),
                "a store write for the admin model got a grant not minted for it"
            );
            Err(StoreError::Internal(
                "grant not minted for an admin model change".into(),
            ))
        }
    }

    fn demand_user(&self, required: Permission) -> Result<&UserId, StoreError> {
        match demand(self, required)? {
            Target::User { id, .. } => Ok(id),
            other => Err(refuse(self, required, other, "a user")),
        }
    }

    fn demand_group(&self, required: Permission) -> Result<&GroupId, StoreError> {
        match demand(self, required)? {
            Target::Group { id, .. } => Ok(id),
            other => Err(refuse(self, required, other, "a group")),
        }
    }

    fn demand_app(&self, required: Permission) -> Result<&AppId, StoreError> {
        match demand(self, required)? {
            Target::App { id, .. } => Ok(id),
            other => Err(refuse(self, required, other, "an app")),
        }
    }

    fn demand_new_user_in(&self, required: Permission) -> Result<&RealmId, StoreError> {
        match demand(self, required)? {
            Target::NewUserIn { realm_id } => Ok(realm_id),
            other => Err(refuse(self, required, other, "a new user's realm")),
        }
    }

    fn demand_org(&self, required: Permission) -> Result<(), StoreError> {
        match demand(self, required)? {
            Target::Org => Ok(()),
            other => Err(refuse(self, required, other, "the org")),
        }
    }

    fn demand_realm(&self, required: Permission) -> Result<Option<&RealmId>, StoreError> {
        match demand(self, required)? {
            Target::Org => Ok(None),
            Target::Realm { id } => Ok(Some(id)),
            other => Err(refuse(self, required, other, "a realm")),
        }
    }
}

fn demand(grant: &Grant, required: Permission) -> Result<&Target, StoreError> {
    if grant.permission().implies(required) {
        Ok(grant.target())
    } else {
        Err(refuse(grant, required, grant.target(), "its permission"))
    }
}

fn refuse(grant: &Grant, required: Permission, target: &Target, wanted: &str) -> StoreError {
    tracing::error!(
        granted = grant.permission().as_str(),
        required = required.as_str(),
        target = ?target,
        actor = %grant.actor().id,
        "a store write was given a grant for another operation"
    );
    StoreError::Internal(format!(
        "a {} grant cannot be used for {} (wanted {wanted})",
        grant.permission().as_str(),
        required.as_str()
    ))
}

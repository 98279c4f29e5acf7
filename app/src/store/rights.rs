//! The facts decisions are made on, read for `authz`: a user's realm, groups
//! and admin rights, a group's conferred rights. `authz` defines their shape
//! (`authz::Target`, `authz::facts`); the store reads them.

use super::{Store, StoreError};
use crate::authz::orn::OrnContext;
use crate::authz::{Privileges, Target};
use crate::ids::GroupId;
use crate::model::User;

impl Store {
    /// The facts about a user that decisions need: realm, groups, admin rights.
    pub async fn facts_of_user(&self, ctx: &OrnContext, user: &User) -> Result<Target, StoreError> {
        Ok(Target::User {
            id: user.id.clone(),
            realm_id: user.realm_id.clone(),
            groups: self.user_group_ids(&user.id).await?,
            privileges: Privileges::from_rows(self.rights_rows(&user.id).await?, ctx),
        })
    }

    /// The facts about a group that decisions need: the admin rights it confers.
    pub async fn facts_of_group(
        &self,
        ctx: &OrnContext,
        id: &GroupId,
    ) -> Result<Target, StoreError> {
        Ok(Target::Group {
            id: id.clone(),
            privileges: Privileges::from_rows(self.group_rights_rows(id).await?, ctx),
        })
    }

    /// [`Store::facts_of_group`] for each of `ids`, in order, reading rights
    /// only for the few groups that confer any (one query for the rest).
    pub async fn facts_of_groups(
        &self,
        ctx: &OrnContext,
        ids: &[&GroupId],
    ) -> Result<Vec<Target>, StoreError> {
        let conferring = self.groups_conferring_rights().await?;
        let mut targets = Vec::with_capacity(ids.len());
        for id in ids {
            targets.push(if conferring.contains(id.as_str()) {
                self.facts_of_group(ctx, id).await?
            } else {
                Target::Group {
                    id: (*id).clone(),
                    privileges: Privileges::from_rows(Default::default(), ctx),
                }
            });
        }
        Ok(targets)
    }
}

//! What every installation has, created at first start and kept up to date on
//! upgrade (idempotent): the org id used in ORNs, the default realm, the
//! catch-all realm-assignment rule, and the generated "Partner Admin" role.

use super::{catalog, check, orn, Permission, Principal, Target};
use crate::ids::{AppId, GroupId, RealmId, RoleId};
use crate::store::admin::StoredPermission;
use crate::store::{Store, StoreError};

/// Installation-wide facts the kernel and the UI need.
#[derive(Debug, Clone)]
pub struct OrgContext {
    pub orn: orn::OrnContext,
    pub default_realm: RealmId,
    pub partner_admin_role: RoleId,
}

impl OrgContext {
    fn prefix(&self, service: &str) -> String {
        format!(
            "orn:{}:{service}:{}",
            self.orn.partition(),
            self.orn.org_id()
        )
    }

    pub fn orn_realm(&self, id: &RealmId) -> String {
        format!("{}:realms:{id}", self.prefix("directory"))
    }

    pub fn orn_realm_users(&self, id: &RealmId) -> String {
        format!(
            "{}:realms:{id}:contained_resources",
            self.prefix("directory")
        )
    }

    pub fn orn_group(&self, id: &GroupId) -> String {
        format!("{}:groups:{id}", self.prefix("directory"))
    }

    pub fn orn_group_users(&self, id: &GroupId) -> String {
        format!(
            "{}:groups:{id}:contained_resources",
            self.prefix("directory")
        )
    }

    pub fn orn_app(&self, app_type: &str, id: &AppId) -> String {
        format!("{}:apps:{app_type}:{id}", self.prefix("idp"))
    }
}

/// Creates or upgrades what every installation has.
pub async fn bootstrap(store: &Store, public_url: &str) -> Result<OrgContext, StoreError> {
    let generated = format!("00o{}", &RoleId::generate().as_str()[3..]);
    let org_id = store.init_org_setting("org_id", &generated).await?;
    let orn = orn::OrnContext::new("okta", &org_id, public_url)
        .map_err(|e| StoreError::Internal(format!("org id: {e}")))?;
    let default_realm = store.ensure_default_realm().await?;
    store.ensure_catch_all_rule(&default_realm.id).await?;

    let system = Principal::system();
    let grant = check(&system, Permission::UsersManage, &Target::Org)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    let definition = catalog::partner_admin_role();
    let wanted: Vec<StoredPermission> = definition
        .permissions
        .iter()
        .map(|(permission, conditions)| StoredPermission {
            permission: permission.as_str().to_string(),
            conditions: conditions
                .as_ref()
                .and_then(|c| serde_json::to_string(c).ok()),
        })
        .collect();
    let role = match store.role_id_by_label(definition.label).await? {
        Some(role) => {
            for permission in &wanted {
                store
                    .ensure_role_permission(&grant, &role, permission)
                    .await?;
            }
            role
        }
        None => {
            store
                .create_role(&grant, definition.label, definition.description, &wanted)
                .await?
        }
    };
    Ok(OrgContext {
        orn,
        default_realm: default_realm.id,
        partner_admin_role: role,
    })
}

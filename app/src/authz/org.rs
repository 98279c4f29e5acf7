//! Installation-wide facts every decision and page needs.

use super::orn;
use crate::ids::{AppId, GroupId, RealmId, RoleId};

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

//! The facts decisions are made from, in the shape authz needs them: who acts
//! (`Actor`, `Client`) and the stored rights behind a principal
//! (`RightsRows`). The store produces them; authz never reads the store.

use serde::Serialize;

use crate::ids::{GroupId, ResourceSetId, RoleId};
use crate::model::RoleTarget;

/// Who did it: a user, or the system acting on its own behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    pub id: String,
    #[serde(rename = "type")]
    pub actor_type: String,
    pub alternate_id: String,
    pub display_name: String,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            id: "system".into(),
            actor_type: "SystemPrincipal".into(),
            alternate_id: "system@partner-portal".into(),
            display_name: "Partner Portal".into(),
        }
    }
}

/// Where the request came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// The API token the request presented (`transaction.detail.requestApiTokenId`).
    pub api_token_id: Option<String>,
}

/// A permission row as stored: the canonical string and optional conditions JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPermission {
    pub permission: String,
    pub conditions: Option<String>,
}

/// The raw rows behind a user's rights; `authz` turns them into entitlements.
#[derive(Debug, Clone, Default)]
pub struct RightsRows {
    pub standard: Vec<StandardRow>,
    pub bindings: Vec<BindingRow>,
}

/// A standard role assignment as stored: the role type, the group it is held
/// through (if any) and its targets (none: org-wide).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardRow {
    pub role: String,
    pub via_group: Option<GroupId>,
    pub targets: Vec<RoleTarget>,
}

#[derive(Debug, Clone)]
pub struct BindingRow {
    pub resource_set_id: ResourceSetId,
    pub resource_set_label: String,
    pub role_id: RoleId,
    pub role_label: String,
    pub via_group: Option<GroupId>,
    pub permissions: Vec<StoredPermission>,
    pub resources: Vec<String>,
}

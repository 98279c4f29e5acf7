//! The delegated admin model page's wire types (`/admin/roles`).

use serde::{Deserialize, Serialize};

/// One permission of the catalog, for the role form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionChoice {
    pub value: String,
    pub label: String,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleView {
    pub id: String,
    pub label: String,
    pub description: String,
    /// As shown: each permission with its conditions, if any.
    pub permissions: Vec<String>,
    /// The permission strings alone (the edit form's checked boxes).
    pub values: Vec<String>,
    /// The attributes profile edits are limited to, comma-separated.
    pub profile_attributes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetView {
    pub id: String,
    pub label: String,
    pub description: String,
    /// Each resource described ("users in realm …") with its ORN.
    pub resources: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindingView {
    pub resource_set_id: String,
    pub resource_set: String,
    pub role_id: String,
    pub role: String,
    /// (USER | GROUP, id, login or group name).
    pub members: Vec<(String, String, String)>,
}

/// The admin model page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamView {
    /// The ten standard roles.
    pub standard: Vec<StandardRoleView>,
    pub roles: Vec<RoleView>,
    pub resource_sets: Vec<SetView>,
    pub bindings: Vec<BindingView>,
    /// The catalog by category (heading, permissions).
    pub catalog: Vec<(String, Vec<PermissionChoice>)>,
    pub realms: Vec<(String, String)>,
    pub groups: Vec<(String, String)>,
    pub apps: Vec<(String, String)>,
}

/// A standard role as the console describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandardRoleView {
    /// Okta's role type (`USER_ADMIN`).
    pub role: String,
    /// Okta's label (`Group administrator`).
    pub label: String,
    /// How many catalog permissions it holds.
    pub permissions: usize,
    /// What it takes as targets: `groups`, `apps`, or empty (always org-wide).
    pub targets: String,
    /// What it allows, in a line.
    pub note: String,
}

/// A standard role assignment as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandardAssignment {
    pub role: String,
    /// `USER` or `GROUP`.
    pub member_type: String,
    pub member_id: String,
    /// The user's login or the group's name.
    pub name: String,
    /// Each target described (`group Acme staff`, `app Wiki`); empty: org-wide.
    pub targets: Vec<String>,
}

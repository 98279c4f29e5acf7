//! The apps pages' wire types.

use serde::{Deserialize, Serialize};

use super::users::UsersPage;

/// An app offered or listed on a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppChoice {
    pub id: String,
    pub label: String,
    pub sign_on_mode: String,
    /// The caller may assign and unassign it.
    pub manageable: bool,
}

/// One app a user has: directly and/or through groups (names of the groups the
/// caller may see; `hidden_groups` counts the others).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserApp {
    pub id: String,
    pub label: String,
    pub direct: bool,
    pub via: Vec<String>,
    pub hidden_groups: bool,
    /// The caller may remove the direct assignment.
    pub removable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAppList {
    pub apps: Vec<UserApp>,
    /// Apps the caller could assign to this user directly.
    pub assignable: Vec<AppChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppDetail {
    pub id: String,
    pub label: String,
    pub sign_on_mode: String,
    /// Direct assignees the caller may read (never users of other realms).
    pub assignees: UsersPage,
    pub can_manage: bool,
}

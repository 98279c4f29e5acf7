//! The groups pages' wire types.

use serde::{Deserialize, Serialize};

use super::users::UsersPage;

/// A group offered or listed on a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChoice {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The caller may add or remove members of it (for the user at hand, if any).
    pub manageable: bool,
}

/// A user's groups tab: the groups it is in that the caller may see, and the
/// groups the caller could add it to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserGroupList {
    pub groups: Vec<GroupChoice>,
    pub addable: Vec<GroupChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Members the caller may read (never users of other realms).
    pub members: UsersPage,
    pub can_manage: bool,
}

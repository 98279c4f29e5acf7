//! The users pages' wire types: the table, one user, the create form, bulk results.

use serde::{Deserialize, Serialize};

use crate::model::{LifecycleOp, UserStatus};

/// Rows per page of the users table.
pub const PAGE_SIZE: u32 = 25;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub login: String,
    pub realm: String,
    pub status: UserStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersPage {
    pub rows: Vec<UserRow>,
    /// Cursor of the next page, if there is one.
    pub next: Option<String>,
}

/// One user as its admin sees it, with the actions the admin may take now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    pub id: String,
    pub name: String,
    pub login: String,
    pub email: String,
    pub realm: String,
    pub status: UserStatus,
    pub created: String,
    pub last_updated: String,
    /// Valid from the current status *and* granted to the caller.
    pub actions: Vec<LifecycleOp>,
    /// Each action's button label (it depends on where credentials live).
    pub action_labels: Vec<String>,
    /// Where the user's credentials live, in a sentence.
    pub credentials: String,
    /// The version the profile form was rendered from (lost-update check).
    pub version: i64,
    /// Base then custom attributes, each saying whether the caller may edit it.
    pub profile: Vec<ProfileField>,
    /// Why each offered action is allowed: the role and resource set.
    pub why: Vec<Why>,
}

/// One profile attribute on the user page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileField {
    /// Okta's attribute name (`firstName`, or the custom attribute's name).
    pub name: String,
    pub label: String,
    /// `text`, `email`, `tel`, `number` or `boolean`.
    pub kind: String,
    pub value: String,
    pub required: bool,
    pub custom: bool,
    pub editable: bool,
}

/// The explain result behind an action the page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Why {
    pub action: String,
    pub permission: String,
    pub reason: String,
}

/// A custom profile attribute as the create form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormAttribute {
    pub name: String,
    pub title: String,
    /// `string`, `boolean`, `integer` or `number`.
    pub attr_type: String,
    pub required: bool,
}

/// What the create-user form offers: the realms the caller may create users
/// in, and the custom attributes of the profile schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUserForm {
    pub realms: Vec<(String, String)>,
    pub attributes: Vec<FormAttribute>,
    /// Groups the caller may add members to (joined at creation).
    pub groups: Vec<(String, String)>,
}

/// What the users table offers to filter by and to apply in bulk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableChoices {
    /// Realms the caller may read.
    pub realms: Vec<(String, String)>,
    /// Groups the caller may read.
    pub groups: Vec<(String, String)>,
    /// Groups the caller may add members to.
    pub member_groups: Vec<(String, String)>,
    /// Apps the caller may assign.
    pub apps: Vec<(String, String)>,
    /// Realms users may be moved to (org admins managing realms only).
    pub move_realms: Vec<(String, String)>,
}

/// The outcome of a bulk action for one selected user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkResult {
    pub id: String,
    pub ok: bool,
    pub message: String,
}

/// Most users one bulk request may name (the table shows 25 a page).
pub const BULK_MAX: usize = 200;

/// The columns of the users CSV export.
pub const EXPORT_COLUMNS: [&str; 9] = [
    "id",
    "login",
    "email",
    "firstName",
    "lastName",
    "realm",
    "status",
    "created",
    "lastUpdated",
];

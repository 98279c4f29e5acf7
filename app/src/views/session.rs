//! Who is signed in, as the header shows it.

use serde::{Deserialize, Serialize};

/// Who is signed in, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub display_name: String,
    pub login: String,
    /// Holds an admin role or binding: may use the Partner Admin Portal.
    pub is_admin: bool,
    /// Holds an org-wide admin role: may use `/admin`.
    pub is_org_admin: bool,
}

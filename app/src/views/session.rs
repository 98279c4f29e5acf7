//! Who is signed in, as the header shows it.

use serde::{Deserialize, Serialize};

/// Who is signed in, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub display_name: String,
    pub login: String,
    /// Holds an admin role or binding: may use the Partner Admin Portal.
    pub is_admin: bool,
    /// Holds an org-wide admin role: every page of `/admin`.
    pub is_org_admin: bool,
    /// May use the admin console's home and realm pages: org admins, custom
    /// roles with `okta.realms.manage` on some realm, and admins of workforce
    /// realms only.
    pub console: bool,
    /// Holds `okta.realms.manage` on some realm (the console's realm pages).
    pub manages_realms: bool,
    /// May use the Partner Admin Portal's home: an admin whose rights reach a
    /// partner realm or beyond realms. Admins of workforce (`DEFAULT`-type)
    /// realms only have no Partner Admin Portal; their home is the console.
    pub partner_portal: bool,
}

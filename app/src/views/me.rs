//! The end user's own page (`/me`).

use serde::{Deserialize, Serialize};

/// An app on the end user's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyApp {
    pub label: String,
    pub sign_on_mode: String,
    /// "Assigned to you", and/or "Through <group>".
    pub via: Vec<String>,
}

/// What the signed-in user sees on `/me`: who it is and its apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub display_name: String,
    pub login: String,
    pub realm: String,
    pub apps: Vec<MyApp>,
}

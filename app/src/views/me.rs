//! The end user's own page (`/me`).

use serde::{Deserialize, Serialize};

/// An app on the end user's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyApp {
    pub label: String,
    pub sign_on_mode: String,
    /// "Assigned to you", and/or "Through <group>".
    pub via: Vec<String>,
    /// Where the tile goes: the portal's launch address of an OpenID Connect
    /// app, a bookmark's URL; `None`: the app is not started from here.
    pub href: Option<String>,
}

/// What the signed-in user sees on `/me`: who it is and its apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub display_name: String,
    pub login: String,
    pub realm: String,
    pub apps: Vec<MyApp>,
}

/// The signed-in user's sign-in settings on `/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MySecurity {
    /// The portal holds this user's password (it can change it here).
    pub has_password: bool,
    /// Where the credentials live, in a sentence.
    pub credentials: String,
    /// How many authenticators are enrolled.
    pub authenticators: usize,
    pub sessions: Vec<MySession>,
}

/// One of the user's own sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MySession {
    /// A stable handle (not the session's secret id).
    pub handle: String,
    pub signed_in: String,
    pub expires: String,
    pub current: bool,
}

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
    /// The caller may change the app's settings (`okta.apps.manage`).
    pub can_configure: bool,
    /// An OpenID Connect app's client registration, once it has one.
    pub oidc: Option<OidcClientView>,
    /// A bookmark app's address.
    pub bookmark_url: Option<String>,
}

/// An OpenID Connect app's client registration as the admin console edits it
/// (the secret itself is never in it: only whether there is one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OidcClientView {
    pub client_id: String,
    /// `web` (a server-side app with a secret), `browser` (a single-page app),
    /// `native`, or `service` (machine to machine).
    pub application_type: String,
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt` or `none`.
    pub auth_method: String,
    pub has_secret: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// `authorization_code`, `refresh_token`, `client_credentials`.
    pub grant_types: Vec<String>,
    /// Where the app starts its own sign-in (the dashboard tile goes there).
    pub initiate_login_uri: String,
    pub access_token_minutes: u32,
    pub id_token_minutes: u32,
    pub refresh_token_days: u32,
    /// A regular expression over group names; empty: no `groups` claim.
    pub groups_filter: String,
    /// Whether tokens carry the user's realm (`realm`, `realm_id`).
    pub realm_claim: bool,
    /// A `private_key_jwt` client's public keys (a JWK Set, JSON).
    pub jwks: String,
    /// A service app's own scopes (what it may ask for with client credentials).
    pub scopes: Vec<String>,
}

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
    /// The user's account in the app, when the app provisions accounts.
    pub sync: Option<SyncView>,
}

/// Where a user's account in a provisioned app stands (Okta's `syncState`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncView {
    /// `SYNCHRONIZED`, `SYNCING` or `ERROR`.
    pub state: String,
    /// The app's account: active or deactivated there.
    pub active: bool,
    /// The target's message for an error (or the last failed attempt of a
    /// delivery that will be tried again).
    pub message: Option<String>,
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
    /// Provisioning: the connection, failed deliveries and group pushes
    /// (shown to those who may configure the app).
    pub provisioning: Option<ProvisioningPanel>,
}

/// An app's provisioning connection as the admin console edits it (the
/// credential itself is never in it: only whether there is one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProvisioningView {
    /// `SCIM2` or `OKTA_ORG2ORG`.
    pub kind: String,
    pub base_url: String,
    /// `BEARER`, `BASIC` (SCIM) or `SSWS` (an Okta API token).
    pub auth_scheme: String,
    /// Basic authentication's user name.
    pub username: String,
    pub has_secret: bool,
    /// SCIM schema extensions the app supports, one URN a line.
    pub extensions: String,
    pub create_users: bool,
    pub update_users: bool,
    pub deactivate_users: bool,
    pub delete_users: bool,
    pub push_groups: bool,
    pub import_users: bool,
    /// `appAttribute = expression`, one mapping a line.
    pub mappings: String,
    /// Scheduled import every so many minutes (0: only by hand).
    pub import_every_minutes: u32,
}

/// The provisioning section of an app page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProvisioningPanel {
    pub connection: Option<ProvisioningView>,
    /// What a new connection's form starts with.
    pub defaults: ProvisioningView,
    /// Deliveries that gave up, for an admin to retry or dismiss.
    pub failed: Vec<FailedDelivery>,
    /// Deliveries waiting or under way.
    pub pending: u64,
    pub pushes: Vec<PushMappingView>,
    /// Groups the admin may push (id, name).
    pub groups: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedDelivery {
    pub id: String,
    /// The user's login or the group's name.
    pub subject: String,
    pub error: String,
    pub attempts: u32,
    pub when: String,
}

/// A group push mapping (Okta's shape, for the page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushMappingView {
    pub id: String,
    pub source_group_id: String,
    pub group_name: String,
    pub target_group_id: Option<String>,
    pub target_group_name: String,
    /// `ACTIVE`, `INACTIVE` or `ERROR`.
    pub status: String,
    pub error_summary: Option<String>,
    pub last_push: Option<String>,
    pub created: String,
    pub last_updated: String,
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

/// What an import of an app's users would do, account by account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ImportPreview {
    pub rows: Vec<ImportRow>,
    /// Accounts already linked to portal users (left as they are).
    pub linked: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    pub external_id: String,
    pub login: String,
    pub email: String,
    pub name: String,
    /// `MATCH` (linked to the portal user of that username), `CONFLICT`
    /// (left for an admin), `NEW` (created in the realm the rules choose) or
    /// `SKIPPED` (inactive in the app, no portal user).
    pub outcome: String,
    /// The matched portal user's username, or the new user's realm.
    pub detail: String,
}

//! App provisioning: the portal keeps accounts in the apps it shares in step
//! with assignments, as Okta does — over SCIM 2.0 (RFC 7643/7644) to any
//! service provider, or over Okta's Management API to a hub org (Org2Org).
//!
//! - [`Setup`]: an app's provisioning connection as configured and checked
//!   (the kind, where, how it authenticates, which of Okta's features are on,
//!   and the attribute mappings); the credential is sealed at rest.
//! - The outbox (`store::provisioning`): every change that could matter to an
//!   app — an assignment, a group membership, a profile edit, a lifecycle
//!   change — leaves a task in its own transaction. A task asks to bring one
//!   user's account (or one pushed group) in the app in line with the portal
//!   *as it is when the task runs*, so delivering it twice changes nothing.
//! - [`worker`]: claims due tasks (a lease, so another instance or a restart
//!   takes over an abandoned one), talks to the app through [`scim`] or
//!   [`okta`], and records the outcome with its System Log event.

pub mod client;
pub mod okta;
pub mod scim;
pub mod target;
pub mod worker;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::expr::{self, UserView, ValueRef};
use crate::model::User;
use crate::outbound::OutboundPolicy;
use crate::views::apps::ProvisioningView;

/// What the app speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A SCIM 2.0 service provider.
    Scim2,
    /// Another Okta org (or Partner Portal) through its Management API.
    OktaOrg2Org,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scim2 => "SCIM2",
            Self::OktaOrg2Org => "OKTA_ORG2ORG",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SCIM2" => Some(Self::Scim2),
            "OKTA_ORG2ORG" => Some(Self::OktaOrg2Org),
            _ => None,
        }
    }
}

/// How the portal authenticates to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// `Authorization: Bearer <token>` (SCIM).
    Bearer,
    /// HTTP Basic (SCIM).
    Basic,
    /// `Authorization: SSWS <API token>` (Okta's Management API).
    Ssws,
}

impl AuthScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bearer => "BEARER",
            Self::Basic => "BASIC",
            Self::Ssws => "SSWS",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "BEARER" => Some(Self::Bearer),
            "BASIC" => Some(Self::Basic),
            "SSWS" => Some(Self::Ssws),
            _ => None,
        }
    }
}

/// Okta's provisioning features, each switchable per app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Features {
    /// An assignment creates (or links) the user's account.
    pub create_users: bool,
    /// Profile changes are pushed.
    pub update_users: bool,
    /// Unassigning, suspending or deactivating deactivates the account;
    /// reactivating reactivates it.
    pub deactivate_users: bool,
    /// Deleting the portal user deletes the account (otherwise it is only
    /// deactivated: provisioning never deletes unless told to).
    pub delete_users: bool,
    /// Group push mappings are delivered.
    pub push_groups: bool,
    /// The app's users may be imported.
    pub import_users: bool,
}

/// One attribute mapping: the app attribute and the expression filling it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub target: String,
    pub expression: String,
}

/// An app's provisioning connection, checked (without its credential).
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub kind: Kind,
    pub base_url: url::Url,
    pub auth: AuthScheme,
    /// Basic authentication's user name.
    pub username: Option<String>,
    pub extensions: Vec<String>,
    pub features: Features,
    pub mappings: Vec<Mapping>,
    pub import_every_minutes: u32,
}

/// A connection with its credential, as the worker uses it.
#[derive(Clone)]
pub struct Connection {
    pub setup: Setup,
    pub secret: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("setup", &self.setup)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// The core SCIM User schema.
pub const SCIM_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// SCIM's enterprise extension.
pub const SCIM_ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The mappings a new connection starts with.
pub fn default_mappings(kind: Kind) -> Vec<Mapping> {
    let m = |t: &str, e: &str| Mapping {
        target: t.into(),
        expression: e.into(),
    };
    match kind {
        Kind::Scim2 => vec![
            m("userName", "user.profile.login"),
            m("name.givenName", "user.profile.firstName"),
            m("name.familyName", "user.profile.lastName"),
            m("emails[type eq \"work\"].value", "user.profile.email"),
        ],
        Kind::OktaOrg2Org => vec![
            m("login", "user.profile.login"),
            m("email", "user.profile.email"),
            m("firstName", "user.profile.firstName"),
            m("lastName", "user.profile.lastName"),
        ],
    }
}

/// Mappings as the form shows them: `target = expression`, one a line.
pub fn mappings_text(mappings: &[Mapping]) -> String {
    mappings
        .iter()
        .map(|m| format!("{} = {}", m.target, m.expression))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The attribute that names the account in the app (matched before creating).
pub fn login_attribute(kind: Kind) -> &'static str {
    match kind {
        Kind::Scim2 => "userName",
        Kind::OktaOrg2Org => "login",
    }
}

/// Attributes the portal manages itself: never mapped.
const RESERVED: [&str; 8] = [
    "id",
    "externalId",
    "active",
    "schemas",
    "meta",
    "password",
    "groups",
    "status",
];

impl Setup {
    /// Checks a connection form. Every problem is a field error; `policy`
    /// decides which addresses the base URL may name.
    pub fn from_view(
        v: &ProvisioningView,
        policy: OutboundPolicy,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = Kind::parse(v.kind.trim());
        if kind.is_none() {
            errors.push(FieldError::new("kind", "Choose SCIM 2.0 or Okta Org2Org."));
        }
        let kind = kind.unwrap_or(Kind::Scim2);
        let base_url = match policy.check_url(v.base_url.trim()) {
            Ok(mut url) if url.query().is_none() && url.fragment().is_none() => {
                let trimmed = url.path().trim_end_matches('/').to_string();
                url.set_path(&trimmed);
                Some(url)
            }
            Ok(_) => {
                errors.push(FieldError::new(
                    "base_url",
                    "The base URL must not contain a query (?) or fragment (#).",
                ));
                None
            }
            Err(e) => {
                errors.push(FieldError::new("base_url", format!("The base URL {e}.")));
                None
            }
        };
        let auth = match (kind, AuthScheme::parse(v.auth_scheme.trim())) {
            (Kind::Scim2, Some(a @ (AuthScheme::Bearer | AuthScheme::Basic))) => a,
            (Kind::OktaOrg2Org, Some(AuthScheme::Ssws)) | (Kind::OktaOrg2Org, None) => {
                AuthScheme::Ssws
            }
            (Kind::OktaOrg2Org, Some(_)) => {
                errors.push(FieldError::new(
                    "auth_scheme",
                    "Org2Org authenticates with an API token (SSWS) of a super admin of the hub.",
                ));
                AuthScheme::Ssws
            }
            (Kind::Scim2, _) => {
                errors.push(FieldError::new(
                    "auth_scheme",
                    "Choose a bearer token or basic authentication.",
                ));
                AuthScheme::Bearer
            }
        };
        let username = v.username.trim();
        let username = if auth == AuthScheme::Basic {
            if username.is_empty() || username.contains(':') {
                errors.push(FieldError::new(
                    "username",
                    "Enter the user name for basic authentication (no colon).",
                ));
            }
            Some(username.to_string())
        } else {
            None
        };
        let mut extensions = Vec::new();
        for line in v
            .extensions
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            if kind != Kind::Scim2 {
                errors.push(FieldError::new(
                    "extensions",
                    "Schema extensions are for SCIM apps only.",
                ));
                break;
            }
            if !line.starts_with("urn:") || line.contains(char::is_whitespace) || line.len() > 200 {
                errors.push(FieldError::new(
                    "extensions",
                    format!("'{line}' is not a schema URN (urn:…)."),
                ));
                break;
            }
            if !extensions.iter().any(|e| e == line) {
                extensions.push(line.to_string());
            }
        }
        let mappings = match parse_mappings(kind, &v.mappings, &extensions) {
            Ok(m) => m,
            Err(e) => {
                errors.push(FieldError::new("mappings", e));
                Vec::new()
            }
        };
        if v.import_every_minutes != 0 && !(15..=10_080).contains(&v.import_every_minutes) {
            errors.push(FieldError::new(
                "import_every_minutes",
                "Import every 15 to 10080 minutes, or 0 for imports by hand only.",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            kind,
            base_url: base_url.ok_or_else(Vec::new)?,
            auth,
            username,
            extensions,
            features: Features {
                create_users: v.create_users,
                update_users: v.update_users,
                deactivate_users: v.deactivate_users,
                delete_users: v.delete_users,
                push_groups: v.push_groups,
                import_users: v.import_users,
            },
            mappings,
            import_every_minutes: v.import_every_minutes,
        })
    }

    /// The form's view of this setup.
    pub fn view(&self, has_secret: bool) -> ProvisioningView {
        ProvisioningView {
            kind: self.kind.as_str().into(),
            base_url: self.base_url.to_string().trim_end_matches('/').to_string(),
            auth_scheme: self.auth.as_str().into(),
            username: self.username.clone().unwrap_or_default(),
            has_secret,
            extensions: self.extensions.join("\n"),
            create_users: self.features.create_users,
            update_users: self.features.update_users,
            deactivate_users: self.features.deactivate_users,
            delete_users: self.features.delete_users,
            push_groups: self.features.push_groups,
            import_users: self.features.import_users,
            mappings: mappings_text(&self.mappings),
            import_every_minutes: self.import_every_minutes,
        }
    }

    /// The app attributes `user` maps to, by target (nulls left out).
    pub fn attributes(&self, user: &User) -> Vec<(String, serde_json::Value)> {
        self.mappings
            .iter()
            .filter_map(|m| {
                let value = expr::compile_value(&m.expression).ok()?.value_json(user);
                (!value.is_null()).then(|| (m.target.clone(), value))
            })
            .collect()
    }

    /// The login the account has (or will have) in the app.
    pub fn login_of(&self, user: &User) -> String {
        let name = login_attribute(self.kind);
        self.attributes(user)
            .into_iter()
            .find(|(t, _)| t == name)
            .and_then(|(_, v)| v.as_str().map(str::to_string))
            .unwrap_or_else(|| user.profile.login.clone())
    }
}

/// Parses `target = expression` lines: each target once, a valid attribute
/// of the app's kind, the expression compiled; the login attribute required.
fn parse_mappings(kind: Kind, text: &str, extensions: &[String]) -> Result<Vec<Mapping>, String> {
    let mut mappings: Vec<Mapping> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((target, expression)) = line.split_once('=') else {
            return Err(format!(
                "Line {}: write appAttribute = expression (e.g. name.givenName = user.profile.firstName).",
                n + 1
            ));
        };
        let (target, expression) = (target.trim(), expression.trim());
        if let Err(e) = target::check(kind, target, extensions) {
            return Err(format!("Line {}: {e}", n + 1));
        }
        if let Err(e) = expr::compile_value(expression) {
            return Err(format!("Line {}: {}", n + 1, e.message));
        }
        if mappings.iter().any(|m| m.target == target) {
            return Err(format!("Line {}: {target} is mapped twice.", n + 1));
        }
        mappings.push(Mapping {
            target: target.into(),
            expression: expression.into(),
        });
    }
    if mappings.len() > 100 {
        return Err("At most 100 mappings.".into());
    }
    let login = login_attribute(kind);
    if !mappings.iter().any(|m| m.target == login) {
        return Err(format!("Map {login}: it names the account in the app."));
    }
    Ok(mappings)
}

fn is_reserved(target: &str) -> bool {
    RESERVED.contains(&target)
}

/// The user as mapping expressions see it: `user.profile.<attr>` over the
/// base and custom attributes, and `user.realmId`.
impl UserView for User {
    fn profile(&self, attr: &str) -> Option<ValueRef<'_>> {
        if let Some(v) = self.profile.attribute(attr) {
            return Some(ValueRef::Str(v));
        }
        Some(match self.custom_profile.get(attr)? {
            serde_json::Value::String(s) => ValueRef::Str(s),
            serde_json::Value::Bool(b) => ValueRef::Bool(*b),
            serde_json::Value::Number(n) => ValueRef::Number(n.as_f64()?),
            _ => ValueRef::Null,
        })
    }

    fn realm_id(&self) -> Option<&str> {
        Some(self.realm_id.as_str())
    }
}

/// An account found or made in the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub id: String,
    pub login: String,
    pub active: bool,
}

/// An account as an import reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteUser {
    pub id: String,
    pub login: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub active: bool,
}

/// Why a delivery failed: the target's words, and whether to try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    /// A network error, 5xx or 429: worth another attempt later.
    pub retryable: bool,
    /// The target's `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
    /// The target's HTTP status, when it answered.
    pub status: Option<u16>,
}

impl Failure {
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: false,
            retry_after: None,
            status: None,
        }
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: true,
            retry_after: None,
            status: None,
        }
    }

    /// The target answered that it has no such resource.
    pub fn is_not_found(&self) -> bool {
        self.status == Some(404)
    }

    /// The target refused the credential's rights.
    pub fn is_forbidden(&self) -> bool {
        self.status == Some(403)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#[path = "tests/setup.rs"]
mod tests;

//! The portal as the OpenID Provider of the apps it shares: client
//! registrations and their rules, the RS256 signing keys, the tokens it
//! signs and the client assertions it verifies. The HTTP endpoints are in
//! `server/src/oauth.rs`; what is stored (codes, refresh-token families,
//! revocations) in `crate::store::oauth`.
//!
//! JOSE is `jsonwebtoken` (signing and verifying, the algorithm always taken
//! from the registered key, never from a token's header); the RSA keys are
//! generated with the RustCrypto `rsa` crate.

pub mod keys;
pub mod tokens;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::views::apps::OidcClientView;

/// The grant types a client may be registered for.
pub const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];
/// The scopes the provider knows.
pub const SCOPES: [&str; 5] = ["openid", "profile", "email", "offline_access", "groups"];
/// How long an authorization code lives.
pub const CODE_TTL: time::Duration = time::Duration::minutes(2);
/// Longest ID or access token lifetime: how long a retired key stays published.
pub const MAX_TOKEN_MINUTES: u32 = 1440;

/// How a client proves itself at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    /// A public client (single-page or native app): PKCE instead.
    None,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::PrivateKeyJwt,
        AuthMethod::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
        )
    }
}

/// What an OpenID Connect app's client is (Okta's `application_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppType {
    Web,
    Browser,
    Native,
    Service,
}

impl AppType {
    pub const ALL: [AppType; 4] = [
        AppType::Web,
        AppType::Browser,
        AppType::Native,
        AppType::Service,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppType::Web => "web",
            AppType::Browser => "browser",
            AppType::Native => "native",
            AppType::Service => "service",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Public clients hold no secret: PKCE is required of them.
    pub fn is_public(self) -> bool {
        matches!(self, AppType::Browser | AppType::Native)
    }
}

/// The stored settings of a client (the `settings` JSON column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSettings {
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub initiate_login_uri: Option<String>,
    pub access_token_minutes: u32,
    pub id_token_minutes: u32,
    pub refresh_token_days: u32,
    #[serde(default)]
    pub groups_filter: Option<String>,
    #[serde(default)]
    pub realm_claim: bool,
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    /// The scopes a service app may ask for with client credentials.
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            grant_types: vec!["authorization_code".into()],
            initiate_login_uri: None,
            access_token_minutes: 60,
            id_token_minutes: 60,
            refresh_token_days: 30,
            groups_filter: None,
            realm_claim: true,
            jwks: None,
            scopes: Vec::new(),
        }
    }
}

impl ClientSettings {
    pub fn allows(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    /// The groups filter, compiled (anchored: the whole name must match).
    pub fn groups_regex(&self) -> Option<regex::Regex> {
        self.groups_filter
            .as_deref()
            .and_then(|f| compile_filter(f).ok())
    }
}

fn compile_filter(filter: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(&format!("^(?:{filter})$"))
        .size_limit(1 << 16)
        .build()
}

/// One registered OpenID Connect client: an app integration's OAuth side.
#[derive(Debug, Clone)]
pub struct Client {
    pub app_id: crate::ids::AppId,
    pub app_label: String,
    pub app_active: bool,
    pub client_id: String,
    pub secret_hash: Option<String>,
    pub auth_method: AuthMethod,
    pub app_type: AppType,
    pub settings: ClientSettings,
    pub last_updated: String,
}

impl Client {
    pub fn view(&self) -> OidcClientView {
        let s = &self.settings;
        OidcClientView {
            client_id: self.client_id.clone(),
            application_type: self.app_type.as_str().into(),
            auth_method: self.auth_method.as_str().into(),
            has_secret: self.secret_hash.is_some(),
            redirect_uris: s.redirect_uris.clone(),
            post_logout_redirect_uris: s.post_logout_redirect_uris.clone(),
            grant_types: s.grant_types.clone(),
            initiate_login_uri: s.initiate_login_uri.clone().unwrap_or_default(),
            access_token_minutes: s.access_token_minutes,
            id_token_minutes: s.id_token_minutes,
            refresh_token_days: s.refresh_token_days,
            groups_filter: s.groups_filter.clone().unwrap_or_default(),
            realm_claim: s.realm_claim,
            jwks: s
                .jwks
                .as_ref()
                .and_then(|j| serde_json::to_string_pretty(j).ok())
                .unwrap_or_default(),
            scopes: s.scopes.clone(),
        }
    }

    /// Whether `uri` is one of the registered redirect URIs (exact match).
    pub fn redirect_registered(&self, uri: &str) -> bool {
        self.settings.redirect_uris.iter().any(|r| r == uri)
    }
}

/// A registration as entered (admin console or API), checked: every problem
/// as a field error, nothing half-applied.
#[derive(Debug, Clone)]
pub struct Registration {
    pub auth_method: AuthMethod,
    pub app_type: AppType,
    pub settings: ClientSettings,
}

impl Registration {
    pub fn from_view(v: &OidcClientView) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let app_type = AppType::parse(v.application_type.trim());
        if app_type.is_none() {
            errors.push(FieldError::new(
                "application_type",
                "Choose web, browser (single-page), native or service.",
            ));
        }
        let app_type = app_type.unwrap_or(AppType::Web);
        let auth_method = if app_type.is_public() {
            Some(AuthMethod::None)
        } else {
            AuthMethod::parse(v.auth_method.trim()).filter(|m| *m != AuthMethod::None)
        };
        if auth_method.is_none() {
            errors.push(FieldError::new(
                "auth_method",
                "Choose how the app authenticates: client secret (Basic or POST) or private key JWT.",
            ));
        }
        let auth_method = auth_method.unwrap_or(AuthMethod::ClientSecretBasic);

        let clean = |list: &[String]| -> Vec<String> {
            list.iter()
                .flat_map(|l| l.split(['\n', ',']))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let redirect_uris = clean(&v.redirect_uris);
        let post_logout_redirect_uris = clean(&v.post_logout_redirect_uris);
        let mut grant_types: Vec<String> = clean(&v.grant_types);
        grant_types.dedup();

        for g in &grant_types {
            if !GRANT_TYPES.contains(&g.as_str()) {
                errors.push(FieldError::new(
                    "grant_types",
                    format!("Unknown grant type {g}: use authorization_code, refresh_token or client_credentials."),
                ));
            }
        }
        let has = |g: &str| grant_types.iter().any(|x| x == g);
        if app_type == AppType::Service {
            if grant_types != ["client_credentials"] {
                errors.push(FieldError::new(
                    "grant_types",
                    "A service app uses the client credentials grant only.",
                ));
            }
        } else {
            if !has("authorization_code") {
                errors.push(FieldError::new(
                    "grant_types",
                    "A sign-in app needs the authorization code grant.",
                ));
            }
            if has("client_credentials") {
                errors.push(FieldError::new(
                    "grant_types",
                    "Client credentials are for service apps, which sign no user in.",
                ));
            }
            if redirect_uris.is_empty() {
                errors.push(FieldError::new(
                    "redirect_uris",
                    "Enter at least one sign-in redirect URI.",
                ));
            }
        }
        for uri in &redirect_uris {
            if let Err(m) = check_redirect(uri, app_type) {
                errors.push(FieldError::new("redirect_uris", format!("{uri}: {m}")));
            }
        }
        for uri in &post_logout_redirect_uris {
            if let Err(m) = check_redirect(uri, app_type) {
                errors.push(FieldError::new(
                    "post_logout_redirect_uris",
                    format!("{uri}: {m}"),
                ));
            }
        }
        let initiate = v.initiate_login_uri.trim();
        let initiate_login_uri = if initiate.is_empty() {
            None
        } else {
            if let Err(m) = check_redirect(initiate, AppType::Web) {
                errors.push(FieldError::new("initiate_login_uri", m));
            }
            Some(initiate.to_string())
        };
        for (field, value, max) in [
            (
                "access_token_minutes",
                v.access_token_minutes,
                MAX_TOKEN_MINUTES,
            ),
            ("id_token_minutes", v.id_token_minutes, MAX_TOKEN_MINUTES),
        ] {
            if !(5..=max).contains(&value) {
                errors.push(FieldError::new(
                    field,
                    format!("Enter minutes from 5 to {max}."),
                ));
            }
        }
        if !(1..=365).contains(&v.refresh_token_days) {
            errors.push(FieldError::new(
                "refresh_token_days",
                "Enter days from 1 to 365.",
            ));
        }
        let filter = v.groups_filter.trim();
        let groups_filter = if filter.is_empty() {
            None
        } else {
            if filter.chars().count() > 200 || compile_filter(filter).is_err() {
                errors.push(FieldError::new(
                    "groups_filter",
                    "Enter a regular expression of up to 200 characters, such as .* or Acme.*",
                ));
            }
            Some(filter.to_string())
        };
        let jwks_text = v.jwks.trim();
        let jwks = if auth_method == AuthMethod::PrivateKeyJwt {
            match tokens::parse_client_jwks(jwks_text) {
                Ok(set) => Some(set),
                Err(m) => {
                    errors.push(FieldError::new("jwks", m));
                    None
                }
            }
        } else {
            None
        };
        let mut scopes: Vec<String> = clean(&v.scopes)
            .iter()
            .flat_map(|l| l.split_whitespace())
            .map(str::to_string)
            .collect();
        scopes.dedup();
        for scope in &scopes {
            let well_formed = scope.len() <= 100
                && scope
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".:_-/".contains(&b));
            if !well_formed || SCOPES.contains(&scope.as_str()) {
                errors.push(FieldError::new(
                    "scopes",
                    format!("{scope}: a scope is letters, digits and . : _ - /, and not an OpenID scope."),
                ));
            }
        }
        if !scopes.is_empty() && app_type != AppType::Service {
            errors.push(FieldError::new(
                "scopes",
                "Only a service app asks for scopes of its own.",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            auth_method,
            app_type,
            settings: ClientSettings {
                redirect_uris,
                post_logout_redirect_uris,
                grant_types,
                initiate_login_uri,
                access_token_minutes: v.access_token_minutes,
                id_token_minutes: v.id_token_minutes,
                refresh_token_days: v.refresh_token_days,
                groups_filter,
                realm_claim: v.realm_claim,
                jwks,
                scopes,
            },
        })
    }
}

/// A redirect URI may be https, http to the loopback interface (development),
/// or — for native apps — a private-use scheme (`com.example.app:/cb`); never
/// with a fragment.
fn check_redirect(uri: &str, app_type: AppType) -> Result<(), String> {
    let parsed = url::Url::parse(uri).map_err(|_| "not an absolute URL".to_string())?;
    if parsed.fragment().is_some() {
        return Err("a redirect URI has no fragment (#…)".into());
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => match parsed.host_str() {
            Some("localhost" | "127.0.0.1" | "[::1]") => Ok(()),
            _ => Err("use https (http only to localhost or 127.0.0.1)".into()),
        },
        s if app_type == AppType::Native && s.contains('.') => Ok(()),
        _ => Err("use https".into()),
    }
}

/// A new client id: Okta's shape (`0oa` + 17 characters).
pub fn new_client_id() -> String {
    crate::ids::AppId::generate().to_string()
}

/// A new client secret: 256 random bits, base64url.
pub fn new_client_secret() -> String {
    random_token()
}

/// 256 random bits, base64url: codes, refresh tokens, token ids.
pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Compares a presented secret with the stored hash in constant time.
pub fn secret_matches(presented: &str, stored_hash: &str) -> bool {
    use subtle_eq::ct_eq;
    ct_eq(
        crate::credentials::token_hash(presented).as_bytes(),
        stored_hash.as_bytes(),
    )
}

mod subtle_eq {
    /// Equal-length byte comparison without an early exit.
    pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// An OAuth error the spec names, with its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: &'static str, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new("invalid_request", d)
    }
    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new("invalid_client", d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new("invalid_grant", d)
    }
    pub fn invalid_token(d: impl Into<String>) -> Self {
        Self::new("invalid_token", d)
    }
    pub fn server_error() -> Self {
        Self::new("server_error", "The server could not complete the request.")
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

/// Scopes as granted: the requested ones the provider knows, in order.
pub fn granted_scopes(requested: &str, refresh_allowed: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in requested.split_whitespace() {
        if !SCOPES.contains(&s) || out.iter().any(|o| o == s) {
            continue;
        }
        if s == "offline_access" && !refresh_allowed {
            continue;
        }
        out.push(s.to_string());
    }
    out
}

/// A time as the store keeps it (expiries the endpoints compute).
pub fn stored_time(at: time::OffsetDateTime) -> String {
    crate::store::clock::format(at)
}

/// PKCE S256: whether `verifier` hashes to `challenge` (RFC 7636).
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine;
    use sha2::Digest;
    if !(43..=128).contains(&verifier.len())
        || !verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    {
        return false;
    }
    let digest = sha2::Sha256::digest(verifier.as_bytes());
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    subtle_eq::ct_eq(computed.as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#[path = "tests/registration.rs"]
mod tests;

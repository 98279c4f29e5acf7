//! Configuration: built-in defaults, then an optional TOML file, then `PORTAL_*`
//! environment variables. Secrets are wrapped so that they never reach a log line.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// A string that prints as `[redacted]`.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen_addr: SocketAddr,
    /// `sqlite://path?mode=rwc` (default) or `postgres://user@host/db`.
    pub database_url: String,
    /// The URL people and identity providers reach the portal at.
    pub public_url: String,
    /// SQLite durability: `full` (default) or `normal`.
    pub sqlite_synchronous: String,
    pub db_max_connections: u32,
    pub log_format: LogFormat,
    /// Key material for signing session cookies (≥ 64 bytes recommended).
    pub session_secret: Secret,
    /// Mark cookies `Secure` (turn off only for plain-http local development).
    pub secure_cookies: bool,
    pub session_idle_timeout_minutes: u64,
    pub session_absolute_timeout_hours: u64,
    /// The host company's OpenID provider (org admins and partner admins).
    pub org_idp_issuer: String,
    pub org_idp_client_id: String,
    pub org_idp_client_secret: Secret,
    /// Key that encrypts partner IdP client secrets at rest.
    pub secrets_key: Secret,
    /// Sign-in attempts (`/auth/*`) per client IP per minute (burst the same).
    pub rate_limit_signin_per_minute: u32,
    /// State-changing requests per session (or IP without one) per minute.
    pub rate_limit_mutations_per_minute: u32,
    /// Page and export reads (GET) per session (or IP without one) per minute.
    pub rate_limit_reads_per_minute: u32,
    /// Management API (`/api/v1`) requests per API token per minute.
    pub api_rate_limit_per_token_per_minute: u32,
    /// Management API requests per minute for the whole org, all tokens and
    /// unauthenticated attempts together.
    pub api_rate_limit_per_org_per_minute: u32,
    /// Development and tests only: partner IdPs may be plain `http` on a
    /// loopback address. Never private or link-local addresses.
    pub dev_allow_loopback_idps: bool,
    /// ID tokens issued longer ago than this are refused.
    pub id_token_max_age_minutes: u64,
    /// Reverse proxies whose `X-Forwarded-For` names the client (IP addresses
    /// or CIDR ranges, comma separated); from anyone else it is ignored.
    pub trusted_proxies: String,
    /// Key of the System Log's hash chain (HMAC-SHA-256); derived from
    /// `secrets_key` when empty. Keep it outside the database.
    pub audit_key: Secret,
    /// Mail for activation and password-reset links: `smtp://host:port`
    /// (plain: a local relay), `smtps://user:pass@host:465` (TLS) or
    /// `smtp://…?tls=required` (STARTTLS). Empty: no mail is sent, and
    /// admins are told so when an action needs one.
    pub smtp_url: Secret,
    /// The sender of the portal's mail.
    pub mail_from: String,
    /// The org's name in mail and on authenticator apps.
    pub org_name: String,
    /// argon2id cost of password hashes: memory (KiB), iterations, lanes.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// How long an activation link works (days).
    pub activation_link_days: u32,
    /// How long a password-reset link works (minutes).
    pub recovery_link_minutes: u32,
    /// The WebAuthn relying-party id (passkeys); empty: the public URL's host.
    pub webauthn_rp_id: String,
    /// The OpenID Provider's signing key is replaced after this many days
    /// (the old one stays published until the tokens it signed expire).
    pub oidc_key_rotation_days: u32,
    /// How long a provisioning delivery may run before another worker (or
    /// this one after a restart) takes it over (seconds).
    pub provisioning_lease_seconds: u32,
    /// How long an instance holds a running realm-assignment operation or
    /// CSV import between two batches before another instance may take it
    /// over (seconds).
    pub job_lease_seconds: u32,
    /// Count the Management API's rate-limit windows in the database, one
    /// count for every instance sharing it (else per instance).
    pub rate_limit_shared: bool,
    /// Where OpenTelemetry traces go (OTLP over HTTP, e.g.
    /// `http://collector:4318`); empty: no traces are exported.
    pub otlp_endpoint: String,
    /// Serve Prometheus metrics at `/metrics`.
    pub metrics: bool,
    /// A bearer token `/metrics` requires; empty: open to whoever reaches it
    /// (bind it to a private network then).
    pub metrics_token: Secret,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: "sqlite://data/portal.db?mode=rwc".to_string(),
            public_url: "http://127.0.0.1:3000".to_string(),
            sqlite_synchronous: "full".to_string(),
            db_max_connections: 8,
            log_format: LogFormat::Human,
            session_secret: Secret::default(),
            secure_cookies: true,
            session_idle_timeout_minutes: 30,
            session_absolute_timeout_hours: 12,
            org_idp_issuer: String::new(),
            org_idp_client_id: String::new(),
            org_idp_client_secret: Secret::default(),
            secrets_key: Secret::default(),
            rate_limit_signin_per_minute: 30,
            rate_limit_mutations_per_minute: 300,
            rate_limit_reads_per_minute: 600,
            api_rate_limit_per_token_per_minute: 600,
            api_rate_limit_per_org_per_minute: 1200,
            dev_allow_loopback_idps: false,
            id_token_max_age_minutes: 10,
            trusted_proxies: String::new(),
            audit_key: Secret::default(),
            smtp_url: Secret::default(),
            mail_from: "Partner Portal <no-reply@localhost>".to_string(),
            org_name: "Partner Portal".to_string(),
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            activation_link_days: 7,
            recovery_link_minutes: 60,
            webauthn_rp_id: String::new(),
            oidc_key_rotation_days: 90,
            provisioning_lease_seconds: 60,
            job_lease_seconds: 30,
            rate_limit_shared: false,
            otlp_endpoint: String::new(),
            metrics: true,
            metrics_token: Secret::default(),
        }
    }
}

/// A configuration problem, phrased as one line naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// The credential settings (`app::credentials`) this configuration names.
    pub fn credentials(&self) -> app::credentials::CredentialsConfig {
        app::credentials::CredentialsConfig {
            argon2_memory_kib: self.argon2_memory_kib,
            argon2_iterations: self.argon2_iterations,
            argon2_parallelism: self.argon2_parallelism,
            activation_link_days: self.activation_link_days,
            recovery_link_minutes: self.recovery_link_minutes,
            smtp_url: self.smtp_url.expose().to_string(),
            mail_from: self.mail_from.clone(),
            org_name: self.org_name.clone(),
            webauthn_rp_id: self.webauthn_rp_id.clone(),
        }
    }

    /// Loads defaults ← TOML file (if given or `portal.toml` exists) ← `PORTAL_*` env.
    pub fn load(file: Option<PathBuf>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    return Err(ConfigError(format!(
                        "configuration file {} does not exist (--config / PORTAL_CONFIG)",
                        path.display()
                    )));
                }
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("portal.toml")),
        }
        // Only settings are read from the environment: scripts use other PORTAL_*
        // variables (PORTAL_URL, PORTAL_BIN, …) that are not the server's business.
        let known: Vec<String> = match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        };
        figment = figment.merge(
            Env::prefixed("PORTAL_").filter(move |key| known.iter().any(|k| key == k.as_str())),
        );
        let config: Config = figment.extract().map_err(|e| ConfigError(describe(&e)))?;
        config.validate_common()?;
        Ok(config)
    }

    fn validate_common(&self) -> Result<(), ConfigError> {
        app::store::Engine::from_url(&self.database_url)
            .map_err(|e| ConfigError(format!("database_url (PORTAL_DATABASE_URL): {e}")))?;
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return Err(ConfigError(format!(
                "public_url (PORTAL_PUBLIC_URL) must be an http:// or https:// URL, got '{}'",
                self.public_url
            )));
        }
        for (value, name) in [
            (
                self.rate_limit_signin_per_minute,
                "rate_limit_signin_per_minute",
            ),
            (
                self.rate_limit_mutations_per_minute,
                "rate_limit_mutations_per_minute",
            ),
            (
                self.rate_limit_reads_per_minute,
                "rate_limit_reads_per_minute",
            ),
            (
                self.api_rate_limit_per_token_per_minute,
                "api_rate_limit_per_token_per_minute",
            ),
            (
                self.api_rate_limit_per_org_per_minute,
                "api_rate_limit_per_org_per_minute",
            ),
            (
                self.id_token_max_age_minutes as u32,
                "id_token_max_age_minutes",
            ),
            (self.oidc_key_rotation_days, "oidc_key_rotation_days"),
            (
                self.provisioning_lease_seconds,
                "provisioning_lease_seconds",
            ),
            (self.job_lease_seconds, "job_lease_seconds"),
        ] {
            if value == 0 {
                return Err(ConfigError(format!(
                    "{name} (PORTAL_{}) must be at least 1",
                    name.to_uppercase()
                )));
            }
        }
        self.trusted_proxy_nets()?;
        if !self.otlp_endpoint.is_empty() {
            match url::Url::parse(&self.otlp_endpoint) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => {
                    return Err(ConfigError(format!(
                        "otlp_endpoint (PORTAL_OTLP_ENDPOINT) must be an http(s) address such as http://collector:4318, got '{}'",
                        self.otlp_endpoint
                    )))
                }
            }
        }
        match self.sqlite_synchronous.as_str() {
            "full" | "normal" => Ok(()),
            other => Err(ConfigError(format!(
                "sqlite_synchronous (PORTAL_SQLITE_SYNCHRONOUS) must be 'full' or 'normal', got '{other}'"
            ))),
        }
    }

    /// `trusted_proxies` parsed: single addresses become /32 or /128 ranges.
    pub fn trusted_proxy_nets(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.trusted_proxies
            .split([',', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        ConfigError(format!(
                            "trusted_proxies (PORTAL_TRUSTED_PROXIES): '{p}' is not an IP address or CIDR range"
                        ))
                    })
            })
            .collect()
    }

    /// The System Log chain's key: `audit_key`, or one derived from
    /// `secrets_key` (so that existing set-ups need nothing new).
    pub fn audit_chain_key(&self) -> Vec<u8> {
        use sha2::Digest;
        if !self.audit_key.is_empty() {
            return self.audit_key.expose().as_bytes().to_vec();
        }
        let mut hasher = sha2::Sha256::new();
        hasher.update(b"partner-portal audit chain\n");
        hasher.update(self.secrets_key.expose().as_bytes());
        hasher.finalize().to_vec()
    }

    /// The key that seals partner IdP client secrets must be real.
    pub fn validate_secrets_key(&self) -> Result<(), ConfigError> {
        if self.secrets_key.expose().len() < 16 {
            return Err(ConfigError(
                "secrets_key (PORTAL_SECRETS_KEY) must be at least 16 characters of random data (it seals partner IdP client secrets)".into(),
            ));
        }
        Ok(())
    }

    /// What `serve` needs beyond the common settings: the org IdP.
    pub fn validate_for_serve(&self) -> Result<(), ConfigError> {
        for (value, name) in [
            (
                self.org_idp_issuer.as_str(),
                "org_idp_issuer (PORTAL_ORG_IDP_ISSUER)",
            ),
            (
                self.org_idp_client_id.as_str(),
                "org_idp_client_id (PORTAL_ORG_IDP_CLIENT_ID)",
            ),
            (
                self.org_idp_client_secret.expose(),
                "org_idp_client_secret (PORTAL_ORG_IDP_CLIENT_SECRET)",
            ),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError(format!(
                    "{name} is not set: the portal needs the org identity provider to sign anyone in"
                )));
            }
        }
        if self.session_secret.expose().len() < 32 {
            return Err(ConfigError(
                "session_secret (PORTAL_SESSION_SECRET) must be at least 32 characters of random data".into(),
            ));
        }
        self.validate_secrets_key()?;
        if !(self.org_idp_issuer.starts_with("https://")
            || self.org_idp_issuer.starts_with("http://"))
        {
            return Err(ConfigError(format!(
                "org_idp_issuer (PORTAL_ORG_IDP_ISSUER) must be an http(s) URL, got '{}'",
                self.org_idp_issuer
            )));
        }
        Ok(())
    }

    pub fn store_options(&self) -> app::store::StoreOptions {
        app::store::StoreOptions {
            max_connections: self.db_max_connections,
            sqlite_synchronous: if self.sqlite_synchronous == "normal" {
                app::store::SqliteSync::Normal
            } else {
                app::store::SqliteSync::Full
            },
            outbound: app::outbound::OutboundPolicy::admin_configured(self.dev_allow_loopback_idps),
            job_lease: std::time::Duration::from_secs(u64::from(self.job_lease_seconds)),
            ..Default::default()
        }
    }
}

/// Figment's error, reduced to one line that names the setting and its env var.
fn describe(e: &figment::Error) -> String {
    let key = e.path.join(".");
    let setting = if key.is_empty() {
        String::new()
    } else {
        format!("{key} (PORTAL_{}): ", key.to_uppercase())
    };
    match &e.kind {
        figment::error::Kind::UnknownField(field, _) => format!(
            "unknown setting '{field}' (PORTAL_{}): check its spelling",
            field.to_uppercase()
        ),
        kind => format!("{setting}{kind}"),
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let config = Config {
            org_idp_client_secret: Secret("hunter2".into()),
            session_secret: Secret("topsecret".into()),
            ..Config::default()
        };
        let text = format!("{config:?}");
        assert!(!text.contains("hunter2"));
        assert!(!text.contains("topsecret"));
        assert!(text.contains("[redacted]"));
    }

    #[test]
    fn environment_overrides_defaults_and_bad_values_name_the_setting() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PORTAL_DATABASE_URL", "mysql://nope");
            let err = Config::load(None).err().map(|e| e.0).unwrap_or_default();
            assert!(err.contains("PORTAL_DATABASE_URL"), "{err}");
            jail.set_env("PORTAL_DATABASE_URL", "postgres://postgres@127.0.0.1/x");
            jail.set_env("PORTAL_LISTEN_ADDR", "not-an-address");
            let err = Config::load(None).err().map(|e| e.0).unwrap_or_default();
            assert!(err.contains("listen_addr (PORTAL_LISTEN_ADDR)"), "{err}");
            jail.set_env("PORTAL_LISTEN_ADDR", "127.0.0.1:4000");
            let config = Config::load(None).map_err(|e| e.0)?;
            assert_eq!(config.listen_addr.port(), 4000);
            assert!(config.validate_for_serve().is_err());
            Ok(())
        });
    }

    #[test]
    fn toml_file_is_read_and_unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("portal.toml", "public_url = \"https://portal.example\"\n")?;
            let config = Config::load(None).map_err(|e| e.0)?;
            assert_eq!(config.public_url, "https://portal.example");
            jail.create_file("portal.toml", "publc_url = \"x\"\n")?;
            let err = Config::load(None).err().map(|e| e.0).unwrap_or_default();
            assert!(err.contains("unknown setting 'publc_url'"), "{err}");
            Ok(())
        });
    }
}

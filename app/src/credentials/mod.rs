//! Credentials the portal holds itself, for partner users without an identity
//! provider of their own: passwords (argon2id), the per-realm sign-in policy,
//! authenticators (TOTP apps and passkeys), one-time links and the mail that
//! carries them.
//!
//! Crates: `argon2` (RustCrypto; the PHC string keeps each hash's own
//! parameters, so raising them in configuration re-hashes at the next
//! sign-in), `totp-rs` (RFC 6238), `webauthn-rs` (the kanidm project's
//! audited relying-party library, pure-Rust crypto), `qrcode` (SVG, no image
//! stack) and `lettre` (SMTP).
//!
//! Nothing secret leaves this module in a form that can be logged: passwords
//! and tokens are plain `String`s only between the form and the hash, the
//! types here print as `[redacted]`, and mail bodies are never traced.

pub mod mail;
pub mod passkeys;
pub mod password;
pub mod totp;

use std::sync::Arc;

use rand::RngCore;
use sha2::Digest;

pub use mail::{Mail, Mailer};
pub use password::{PasswordHasher, Policy};

/// The credential settings, read from the server's configuration.
#[derive(Debug, Clone)]
pub struct CredentialsConfig {
    /// argon2id memory in KiB, iterations and lanes (OWASP's first
    /// recommendation by default: 19 MiB, 2 iterations, 1 lane).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// How long an activation link works.
    pub activation_link_days: u32,
    /// How long a password-reset link works.
    pub recovery_link_minutes: u32,
    /// `smtp://host:port` (plain, for a local relay or catcher), `smtps://…`
    /// (TLS) or `smtp://…?tls=required` (STARTTLS); user and password go in
    /// the URL. Empty: no mail is sent (the admin is told).
    pub smtp_url: String,
    /// The sender of every mail, `Name <address>`.
    pub mail_from: String,
    /// The org's name, in mail and on the authenticator app's entry.
    pub org_name: String,
    /// The WebAuthn relying-party id; empty: the public URL's host
    /// (`localhost` when that is a loopback address: browsers refuse IPs).
    pub webauthn_rp_id: String,
}

impl Default for CredentialsConfig {
    fn default() -> Self {
        Self {
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            activation_link_days: 7,
            recovery_link_minutes: 60,
            smtp_url: String::new(),
            mail_from: "Partner Portal <no-reply@localhost>".into(),
            org_name: "Partner Portal".into(),
            webauthn_rp_id: String::new(),
        }
    }
}

/// The credential services the server holds once: the hasher, the WebAuthn
/// relying party, the mailer and the link lifetimes.
#[derive(Clone)]
pub struct Credentials(Arc<Inner>);

struct Inner {
    hasher: PasswordHasher,
    passkeys: passkeys::RelyingParty,
    mailer: Option<Mailer>,
    activation_ttl: time::Duration,
    recovery_ttl: time::Duration,
    public_url: String,
    org_name: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("public_url", &self.0.public_url)
            .field("mail", &self.0.mailer.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CredentialsSetupError(pub String);

impl Credentials {
    pub fn new(
        public_url: &str,
        config: &CredentialsConfig,
    ) -> Result<Self, CredentialsSetupError> {
        let hasher = PasswordHasher::new(
            config.argon2_memory_kib,
            config.argon2_iterations,
            config.argon2_parallelism,
        )
        .map_err(|e| CredentialsSetupError(format!("argon2 parameters: {e}")))?;
        let passkeys =
            passkeys::RelyingParty::new(public_url, &config.webauthn_rp_id, &config.org_name)
                .map_err(|e| CredentialsSetupError(format!("WebAuthn: {e}")))?;
        let mailer = if config.smtp_url.trim().is_empty() {
            None
        } else {
            Some(
                Mailer::new(&config.smtp_url, &config.mail_from)
                    .map_err(|e| CredentialsSetupError(format!("mail: {e}")))?,
            )
        };
        Ok(Self(Arc::new(Inner {
            hasher,
            passkeys,
            mailer,
            activation_ttl: time::Duration::days(i64::from(config.activation_link_days.max(1))),
            recovery_ttl: time::Duration::minutes(i64::from(config.recovery_link_minutes.max(5))),
            public_url: public_url.trim_end_matches('/').to_string(),
            org_name: config.org_name.clone(),
        })))
    }

    pub fn hasher(&self) -> &PasswordHasher {
        &self.0.hasher
    }

    pub fn passkeys(&self) -> &passkeys::RelyingParty {
        &self.0.passkeys
    }

    pub fn mailer(&self) -> Option<&Mailer> {
        self.0.mailer.as_ref()
    }

    pub fn org_name(&self) -> &str {
        &self.0.org_name
    }

    pub fn public_url(&self) -> &str {
        &self.0.public_url
    }

    /// How long a link of `purpose` works.
    pub fn ttl(&self, purpose: LinkPurpose) -> time::Duration {
        match purpose {
            LinkPurpose::Activation => self.0.activation_ttl,
            LinkPurpose::Recovery => self.0.recovery_ttl,
        }
    }

    /// The address a link of `purpose` with `token` opens.
    pub fn link(&self, purpose: LinkPurpose, token: &LinkToken) -> String {
        let path = match purpose {
            LinkPurpose::Activation => "/activate",
            LinkPurpose::Recovery => "/reset-password",
        };
        format!("{}{path}?token={}", self.0.public_url, token.0)
    }
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Activation,
    Recovery,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "ACTIVATION",
            Self::Recovery => "RECOVERY",
        }
    }
}

/// A one-time link's secret: 32 random bytes, URL-safe. Only its hash is
/// stored; it prints as `[redacted]`.
pub struct LinkToken(String);

impl LinkToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }

    /// The token a visitor presented (from a link), as given.
    pub fn presented(value: &str) -> Self {
        Self(value.trim().to_string())
    }

    /// What the store keeps: SHA-256 of the token, hex.
    pub fn hash(&self) -> String {
        token_hash(&self.0)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkToken([redacted])")
    }
}

/// SHA-256 of a secret token, hex: what the store keeps of one-time links.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Mails `user` the link `token` opens. A failure is for the admin (or the
/// log) to read, without the link: it stays valid, and repeating the action
/// sends a new one.
pub async fn mail_link(
    credentials: &Credentials,
    user: &crate::model::User,
    purpose: LinkPurpose,
    token: &LinkToken,
) -> Result<(), String> {
    let Some(mailer) = credentials.mailer() else {
        return Err("No mail server is configured (smtp_url), so the email was not sent.".into());
    };
    let name = format!("{} {}", user.profile.first_name, user.profile.last_name);
    let link = credentials.link(purpose, token);
    let ttl = credentials.ttl(purpose);
    let (subject, text, html) = match purpose {
        LinkPurpose::Activation => mail::activation(
            credentials.org_name(),
            &name,
            &user.profile.login,
            &link,
            ttl.whole_days(),
        ),
        LinkPurpose::Recovery => mail::recovery(
            credentials.org_name(),
            &name,
            &user.profile.login,
            &link,
            ttl.whole_minutes(),
        ),
    };
    mailer
        .send(Mail {
            to_address: user.profile.email.clone(),
            to_name: name,
            subject,
            text,
            html,
        })
        .await
        .map_err(|e| {
            tracing::warn!(user = %user.id, error = %e, "a credential email was not sent");
            format!("The email could not be sent ({e}); try again later.")
        })
}

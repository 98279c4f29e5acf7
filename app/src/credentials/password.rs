//! Passwords: argon2id hashing off the async threads, and the realm's
//! password policy (Okta's password policy settings, as far as a partner
//! realm needs them).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::model::User;

/// Hashes and verifies passwords with argon2id at the configured cost.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A hash of a random value nobody knows, verified against when the
    /// account is unknown so that the answer takes as long as for a real one.
    dummy: String,
}

/// Why a password could not be hashed or checked (never the password).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl PasswordHasher {
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, HashError> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| HashError(e.to_string()))?;
        let salt = SaltString::generate(&mut OsRng);
        let dummy = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password(salt.as_str().as_bytes(), &salt)
            .map_err(|e| HashError(e.to_string()))?
            .to_string();
        Ok(Self { params, dummy })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string of `password` (salted), computed on a blocking thread.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let argon2 = self.argon2();
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError(e.to_string()))
        })
        .await
        .map_err(|e| HashError(e.to_string()))?
    }

    /// Whether `password` matches the PHC string `stored` (with the
    /// parameters the hash was made with).
    pub async fn verify(&self, password: &str, stored: &str) -> Result<bool, HashError> {
        let argon2 = self.argon2();
        let password = password.to_string();
        let stored = stored.to_string();
        tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&stored).map_err(|e| HashError(e.to_string()))?;
            Ok(argon2.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(|e| HashError(e.to_string()))?
    }

    /// Spends the time a verification takes, for an unknown account.
    pub async fn burn(&self, password: &str) {
        let _ = self.verify(password, &self.dummy).await;
    }
}

/// A realm's sign-in policy: whether its users sign in with the portal's
/// own credentials, and the rules for them (the realm page's form edits the
/// same struct).
pub use crate::views::admin::SignInPolicyView as Policy;

/// The longest password accepted (argon2 hashes any length; this bounds the
/// work a request can ask for).
pub const MAX_LENGTH: usize = 256;

impl Policy {
    /// Why `password` is not allowed for `user` by the rules that need no
    /// history, if it is not (a message for the password field).
    pub fn refuse(&self, password: &str, user: &User) -> Option<String> {
        let length = password.chars().count();
        if length < self.min_length as usize {
            return Some(format!("At least {} characters.", self.min_length));
        }
        if length > MAX_LENGTH {
            return Some(format!("At most {MAX_LENGTH} characters."));
        }
        if password.trim().is_empty() {
            return Some("A password cannot be only spaces.".into());
        }
        let lower = password.to_lowercase();
        let login = user.profile.login.to_lowercase();
        let local = login.split('@').next().unwrap_or_default().to_string();
        let parts = [
            ("your username", local.as_str()),
            ("your first name", &user.profile.first_name.to_lowercase()),
            ("your last name", &user.profile.last_name.to_lowercase()),
        ];
        for (what, part) in parts {
            if part.chars().count() >= 3 && lower.contains(part) {
                return Some(format!("It may not contain {what}."));
            }
        }
        None
    }

    /// Whether a password changed at `changed` (RFC 3339) has expired.
    pub fn expired(&self, changed: &str, now: time::OffsetDateTime) -> bool {
        if self.max_age_days == 0 {
            return false;
        }
        time::OffsetDateTime::parse(changed, &time::format_description::well_known::Rfc3339)
            .map(|at| now - at > time::Duration::days(i64::from(self.max_age_days)))
            .unwrap_or(false)
    }
}

#[cfg(test)]
#[path = "tests/password.rs"]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;

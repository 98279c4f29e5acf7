//! TOTP authenticator apps (RFC 6238: SHA-1, 6 digits, 30-second steps, one
//! step of clock skew either way), with replay protection: a code is accepted
//! only for a time step later than the last one accepted.

use totp_rs::{Algorithm, Secret, TOTP};

const STEP: u64 = 30;

/// A TOTP secret (base32). Prints as `[redacted]`.
#[derive(Clone)]
pub struct TotpSecret(String);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("TOTP: {0}")]
pub struct TotpError(String);

impl TotpSecret {
    /// A new random 160-bit secret.
    pub fn generate() -> Self {
        Self(Secret::generate_secret().to_encoded().to_string())
    }

    /// A stored (unsealed) base32 secret.
    pub fn from_base32(value: &str) -> Self {
        Self(value.to_string())
    }

    pub fn base32(&self) -> &str {
        &self.0
    }

    fn totp(&self, issuer: &str, account: &str) -> Result<TOTP, TotpError> {
        let bytes = Secret::Encoded(self.0.clone())
            .to_bytes()
            .map_err(|e| TotpError(e.to_string()))?;
        TOTP::new(
            Algorithm::SHA1,
            6,
            1,
            STEP,
            bytes,
            Some(issuer.replace(':', " ")),
            account.replace(':', " "),
        )
        .map_err(|e| TotpError(e.to_string()))
    }

    /// The `otpauth://` URI an authenticator app scans.
    pub fn uri(&self, issuer: &str, account: &str) -> Result<String, TotpError> {
        Ok(self.totp(issuer, account)?.get_url())
    }

    /// The URI as an SVG QR code.
    pub fn qr_svg(&self, issuer: &str, account: &str) -> Result<String, TotpError> {
        let uri = self.uri(issuer, account)?;
        let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| TotpError(e.to_string()))?;
        Ok(code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build())
    }

    /// The time step `code` is valid for at `now` (Unix seconds), if it is
    /// valid then and its step is after `last_step`.
    pub fn accept(&self, code: &str, now: u64, last_step: u64) -> Result<Option<u64>, TotpError> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return Ok(None);
        }
        let totp = self.totp("-", "-")?;
        let current = now / STEP;
        for step in [current.saturating_sub(1), current, current + 1] {
            if step > last_step && constant_eq(&totp.generate(step * STEP), &code) {
                return Ok(Some(step));
            }
        }
        Ok(None)
    }
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Now, in Unix seconds.
pub fn now_unix() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0)
}

#[cfg(test)]
#[path = "tests/totp.rs"]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;

//! The provider's signing keys: RSA 2048, RS256. A key is generated on first
//! need and after `rotation_days`; the private half is sealed with the
//! secrets key before it is stored. The `kid` is the key's RFC 7638
//! thumbprint.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::Digest;

/// A freshly generated key: its id, private key (PKCS#8 PEM) and public JWK.
pub struct GeneratedKey {
    pub kid: String,
    pub private_pem: String,
    pub public_jwk: Value,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Generates an RSA 2048 key (CPU-bound: call it on a blocking thread).
pub fn generate() -> Result<GeneratedKey, String> {
    let key = rsa::RsaPrivateKey::new(&mut rand_core06::OsRng, 2048).map_err(|e| e.to_string())?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?
        .to_string();
    let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
    // RFC 7638: the required members in lexicographic order, no spaces.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical.as_bytes()));
    let public_jwk = json!({
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": kid,
        "n": n,
        "e": e,
    });
    Ok(GeneratedKey {
        kid,
        private_pem: pem,
        public_jwk,
    })
}

//! Tokens the provider signs (ID tokens, JWT access tokens) and the client
//! assertions it verifies (`private_key_jwt`). Verification always takes the
//! algorithm from the key it verifies with — an RSA key verifies RS256 only —
//! so a token naming `none` or `HS256` (signed with the public key as an
//! HMAC secret) is refused whatever its header says.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Map, Value};
use sha2::Digest;

use super::OAuthError;
use crate::model::User;

/// A key that signs: its id and the parsed private key.
#[derive(Clone)]
pub struct Signer {
    pub kid: String,
    key: EncodingKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Signer {
    pub fn from_pem(kid: &str, pem: &str) -> Result<Self, String> {
        Ok(Self {
            kid: kid.to_string(),
            key: EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| e.to_string())?,
        })
    }

    /// Signs `claims` with RS256; `typ` is the header's type (`JWT`, `at+jwt`).
    pub fn sign(&self, typ: &str, claims: &Value) -> Result<String, String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_string());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| e.to_string())
    }
}

/// `at_hash`: the left half of the SHA-256 of the access token, base64url.
pub fn at_hash(access_token: &str) -> String {
    let digest = sha2::Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The RSA algorithms a key of the given JWK may verify: `alg` when it names
/// one, else RS256. Anything but RSA is refused.
fn rsa_algorithms(jwk: &Jwk) -> Option<Vec<Algorithm>> {
    if !matches!(jwk.algorithm, AlgorithmParameters::RSA(_)) {
        return None;
    }
    let alg = jwk
        .common
        .key_algorithm
        .map(|a| format!("{a:?}"))
        .unwrap_or_else(|| "RS256".into());
    match alg.as_str() {
        "RS256" => Some(vec![Algorithm::RS256]),
        "RS384" => Some(vec![Algorithm::RS384]),
        "RS512" => Some(vec![Algorithm::RS512]),
        "PS256" => Some(vec![Algorithm::PS256]),
        _ => None,
    }
}

/// Verifies a JWT the provider itself signed against its published keys:
/// signature, `iss`, expiry (when `check_exp`), and `aud` when given.
pub fn verify_own(
    token: &str,
    published: &[Value],
    issuer: &str,
    audience: Option<&str>,
    check_exp: bool,
) -> Result<Map<String, Value>, OAuthError> {
    let bad = |d: &str| OAuthError::invalid_token(d.to_string());
    let header = jsonwebtoken::decode_header(token).map_err(|_| bad("The token is malformed."))?;
    if header.alg != Algorithm::RS256 {
        return Err(bad("The token's algorithm is not RS256."));
    }
    let kid = header.kid.ok_or_else(|| bad("The token names no key."))?;
    let jwk_value = published
        .iter()
        .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid.as_str()))
        .ok_or_else(|| bad("The token's key is unknown or retired."))?;
    let jwk: Jwk =
        serde_json::from_value(jwk_value.clone()).map_err(|_| OAuthError::server_error())?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| OAuthError::server_error())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.validate_exp = check_exp;
    validation.leeway = 0;
    match audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    validation.set_required_spec_claims(&["iss", "exp", "iat"]);
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(
        |e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => bad("The token has expired."),
            _ => bad("The token is not valid."),
        },
    )?;
    Ok(data.claims)
}

/// A `private_key_jwt` client's JWK Set as entered: JSON with at least one
/// RSA public key (no private parts).
pub fn parse_client_jwks(text: &str) -> Result<Value, String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|_| "Paste the app's public keys as a JWK Set ({\"keys\": [...]}).".to_string())?;
    let set: JwkSet = serde_json::from_value(value.clone())
        .map_err(|_| "This is not a JWK Set ({\"keys\": [...]}).".to_string())?;
    if set.keys.is_empty() || set.keys.iter().any(|k| rsa_algorithms(k).is_none()) {
        return Err("Each key must be an RSA public key (RS256, RS384, RS512 or PS256).".into());
    }
    let private = value
        .get("keys")
        .and_then(Value::as_array)
        .is_some_and(|keys| keys.iter().any(|k| k.get("d").is_some()));
    if private {
        return Err("Paste public keys only: a key here has its private part (d).".into());
    }
    Ok(value)
}

/// The longest a client assertion may live.
const MAX_ASSERTION_SECONDS: i64 = 300;

/// Verifies a client assertion (RFC 7523, `private_key_jwt`): signed by one
/// of the client's registered keys with that key's algorithm, `iss` = `sub` =
/// the client id, `aud` the token endpoint (or the issuer), unexpired, with a
/// `jti`. Returns the `jti` and expiry, for the replay check.
pub fn verify_client_assertion(
    assertion: &str,
    client_jwks: &Value,
    client_id: &str,
    audiences: &[&str],
) -> Result<(String, i64), OAuthError> {
    let bad = |d: &str| OAuthError::invalid_client(d.to_string());
    let set: JwkSet =
        serde_json::from_value(client_jwks.clone()).map_err(|_| bad("The client has no keys."))?;
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| bad("The client assertion is malformed."))?;
    let candidates: Vec<&Jwk> = match &header.kid {
        Some(kid) => set
            .keys
            .iter()
            .filter(|k| k.common.key_id.as_deref() == Some(kid.as_str()))
            .collect(),
        None => set.keys.iter().collect(),
    };
    for jwk in candidates {
        let Some(algorithms) = rsa_algorithms(jwk) else {
            continue;
        };
        if !algorithms.contains(&header.alg) {
            continue;
        }
        let Ok(key) = DecodingKey::from_jwk(jwk) else {
            continue;
        };
        let mut validation = Validation::new(algorithms[0]);
        validation.algorithms = algorithms;
        validation.set_issuer(&[client_id]);
        validation.sub = Some(client_id.to_string());
        validation.set_audience(audiences);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["iss", "sub", "aud", "exp"]);
        if let Ok(data) = jsonwebtoken::decode::<Map<String, Value>>(assertion, &key, &validation) {
            let jti = data
                .claims
                .get("jti")
                .and_then(Value::as_str)
                .filter(|j| !j.is_empty() && j.len() <= 200)
                .ok_or_else(|| bad("The client assertion has no jti."))?;
            let exp = data
                .claims
                .get("exp")
                .and_then(Value::as_f64)
                .map(|e| e as i64)
                .unwrap_or(0);
            // A short-lived assertion only: its jti is remembered that long.
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            if exp - now > MAX_ASSERTION_SECONDS {
                return Err(bad(
                    "The client assertion lives too long (at most 5 minutes).",
                ));
            }
            return Ok((jti.to_string(), exp));
        }
    }
    Err(bad(
        "The client assertion is not signed by the client's registered key with its algorithm.",
    ))
}

/// The `iss` a JWT claims, unverified: only to find whose keys verify it.
pub fn unverified_issuer(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_string)
}

/// The claims about `user` a client receives for `scopes`: `profile`
/// (names, username), `email`, and — as the app is configured — `groups`
/// (names matching its filter) and the realm.
pub struct UserClaims<'a> {
    pub user: &'a User,
    pub realm_name: &'a str,
    pub groups: &'a [String],
}

pub fn user_claims(
    c: &UserClaims<'_>,
    scopes: &[String],
    settings: &super::ClientSettings,
) -> Map<String, Value> {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let p = &c.user.profile;
    let mut m = Map::new();
    m.insert("sub".into(), json!(c.user.id.as_str()));
    if has("profile") {
        m.insert(
            "name".into(),
            json!(format!("{} {}", p.first_name, p.last_name).trim()),
        );
        m.insert("given_name".into(), json!(p.first_name));
        m.insert("family_name".into(), json!(p.last_name));
        m.insert("preferred_username".into(), json!(p.login));
        m.insert(
            "updated_at".into(),
            json!(parse_time(&c.user.last_updated).unwrap_or(0)),
        );
    }
    if has("email") {
        // No `email_verified`: an admin may set any address, and the portal
        // does not prove mailbox control for every user.
        m.insert("email".into(), json!(p.email));
    }
    if let Some(re) = settings.groups_regex() {
        let groups: Vec<&String> = c.groups.iter().filter(|g| re.is_match(g)).collect();
        m.insert("groups".into(), json!(groups));
    }
    if settings.realm_claim {
        m.insert("realm".into(), json!(c.realm_name));
        m.insert("realm_id".into(), json!(c.user.realm_id.as_str()));
    }
    m
}

/// A stored timestamp as unix seconds.
pub fn parse_time(stored: &str) -> Option<i64> {
    time::OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

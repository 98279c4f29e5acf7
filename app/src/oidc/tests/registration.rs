use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::tokens::{verify_client_assertion, verify_own, Signer};
use super::*;

fn web_view() -> OidcClientView {
    OidcClientView {
        application_type: "web".into(),
        auth_method: "client_secret_basic".into(),
        redirect_uris: vec!["https://wiki.example/callback".into()],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        access_token_minutes: 60,
        id_token_minutes: 60,
        refresh_token_days: 30,
        ..OidcClientView::default()
    }
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn a_registration_is_checked_field_by_field() {
    assert!(Registration::from_view(&web_view()).is_ok());
    let mut v = web_view();
    v.redirect_uris = vec!["http://wiki.example/cb".into(), "https://x/cb#frag".into()];
    v.grant_types = vec!["implicit".into()];
    v.access_token_minutes = 2;
    v.groups_filter = "(".into();
    let errors = Registration::from_view(&v).err().unwrap_or_default();
    let f = fields(&errors);
    for field in [
        "redirect_uris",
        "grant_types",
        "access_token_minutes",
        "groups_filter",
    ] {
        assert!(f.contains(&field), "{field} not reported in {f:?}");
    }
    // Loopback http is for development; a browser app is public whatever it says.
    let mut spa = web_view();
    spa.application_type = "browser".into();
    spa.redirect_uris = vec!["http://127.0.0.1:3400/callback".into()];
    let r = Registration::from_view(&spa).ok();
    assert_eq!(r.map(|r| r.auth_method), Some(AuthMethod::None));
    // A service app signs nobody in.
    let mut svc = web_view();
    svc.application_type = "service".into();
    assert!(
        fields(&Registration::from_view(&svc).err().unwrap_or_default()).contains(&"grant_types")
    );
    // private_key_jwt needs public RSA keys.
    let mut pk = web_view();
    pk.auth_method = "private_key_jwt".into();
    pk.jwks = "{\"keys\": []}".into();
    assert!(fields(&Registration::from_view(&pk).err().unwrap_or_default()).contains(&"jwks"));
}

#[test]
fn pkce_is_s256_of_a_well_formed_verifier() {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    assert!(pkce_matches(verifier, challenge));
    assert!(!pkce_matches(
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx",
        challenge
    ));
    assert!(!pkce_matches("short", challenge));
}

#[test]
fn scopes_keep_known_ones_and_offline_access_only_with_refresh() {
    assert_eq!(
        granted_scopes("openid profile bogus email openid offline_access", true),
        ["openid", "profile", "email", "offline_access"]
    );
    assert_eq!(granted_scopes("openid offline_access", false), ["openid"]);
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[test]
fn client_assertions_are_verified_with_the_registered_keys_algorithm_only() {
    let key = keys::generate().expect("key");
    let jwks = json!({ "keys": [key.public_jwk.clone()] });
    let signer = Signer::from_pem(&key.kid, &key.private_pem).expect("signer");
    let endpoint = "https://portal.example/oauth2/v1/token";
    let claims = json!({
        "iss": "client-1", "sub": "client-1", "aud": endpoint,
        "exp": now() + 60, "iat": now(), "jti": "j-1",
    });
    let good = signer.sign("JWT", &claims).expect("sign");
    assert_eq!(
        verify_client_assertion(&good, &jwks, "client-1", &[endpoint]).map(|(j, _)| j),
        Ok("j-1".to_string())
    );
    // Another client's id, another audience: refused.
    assert!(verify_client_assertion(&good, &jwks, "client-2", &[endpoint]).is_err());
    assert!(verify_client_assertion(&good, &jwks, "client-1", &["https://other/token"]).is_err());

    // alg confusion: HS256 "signed" with the public key as the HMAC secret.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.kid.clone());
    let public_as_secret = key.public_jwk.to_string();
    let hs = jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(public_as_secret.as_bytes()),
    )
    .expect("hs256");
    let err = verify_client_assertion(&hs, &jwks, "client-1", &[endpoint]).err();
    assert_eq!(err.map(|e| e.code), Some("invalid_client"));

    // alg none, no signature.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let err = verify_client_assertion(&none, &jwks, "client-1", &[endpoint]).err();
    assert_eq!(err.map(|e| e.code), Some("invalid_client"));

    // The provider's own tokens: only with a published key, right issuer, unexpired.
    let own = signer
        .sign(
            "JWT",
            &json!({ "iss": "https://portal.example", "exp": now() + 60, "iat": now() }),
        )
        .expect("sign");
    let published = [key.public_jwk.clone()];
    assert!(verify_own(&own, &published, "https://portal.example", None, true).is_ok());
    assert!(verify_own(&own, &published, "https://evil.example", None, true).is_err());
    assert!(verify_own(&own, &[], "https://portal.example", None, true).is_err());
}

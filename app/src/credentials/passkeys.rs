//! Passkeys and security keys (WebAuthn) through `webauthn-rs`: the relying
//! party is the portal's public origin. User verification is required, so a
//! passkey is a phishing-resistant factor on its own or after a password.
//!
//! The ceremony state (challenge) lives in the server-side session between
//! the two requests of a ceremony and is taken out when used (single use).

use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url, Uuid};
pub use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

/// The portal as a WebAuthn relying party.
#[derive(Clone)]
pub struct RelyingParty {
    webauthn: std::sync::Arc<Webauthn>,
    rp_id: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PasskeyError(pub String);

impl RelyingParty {
    /// The relying party for `public_url`: its host is the RP id unless
    /// `rp_id` is given. Browsers refuse IP addresses as RP ids, so a
    /// loopback public URL (development) makes `localhost` on the same port
    /// the origin passkeys work at.
    pub fn new(public_url: &str, rp_id: &str, rp_name: &str) -> Result<Self, PasskeyError> {
        let mut origin = Url::parse(public_url).map_err(|e| PasskeyError(e.to_string()))?;
        let loopback_ip = match origin.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        };
        if loopback_ip {
            origin
                .set_host(Some("localhost"))
                .map_err(|e| PasskeyError(e.to_string()))?;
        }
        let rp_id = if rp_id.trim().is_empty() {
            origin
                .host_str()
                .ok_or_else(|| PasskeyError("the public URL has no host".into()))?
                .to_string()
        } else {
            rp_id.trim().to_string()
        };
        let webauthn = WebauthnBuilder::new(&rp_id, &origin)
            .map_err(|e| PasskeyError(format!("{e} (RP id {rp_id}, origin {origin})")))?
            .rp_name(rp_name)
            .build()
            .map_err(|e| PasskeyError(e.to_string()))?;
        Ok(Self {
            webauthn: std::sync::Arc::new(webauthn),
            rp_id,
        })
    }

    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// Starts registering a passkey for the user with WebAuthn handle
    /// `handle`, excluding the credentials it already has.
    pub fn start_registration(
        &self,
        handle: Uuid,
        login: &str,
        display_name: &str,
        existing: &[Passkey],
    ) -> Result<(CreationChallengeResponse, PasskeyRegistration), PasskeyError> {
        let exclude: Vec<_> = existing.iter().map(|p| p.cred_id().clone()).collect();
        self.webauthn
            .start_passkey_registration(
                handle,
                login,
                display_name,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(|e| PasskeyError(e.to_string()))
    }

    pub fn finish_registration(
        &self,
        response: &RegisterPublicKeyCredential,
        state: &PasskeyRegistration,
    ) -> Result<Passkey, PasskeyError> {
        self.webauthn
            .finish_passkey_registration(response, state)
            .map_err(|e| PasskeyError(e.to_string()))
    }

    /// Starts an assertion by one of `passkeys` (the user is known).
    pub fn start_authentication(
        &self,
        passkeys: &[Passkey],
    ) -> Result<(RequestChallengeResponse, PasskeyAuthentication), PasskeyError> {
        self.webauthn
            .start_passkey_authentication(passkeys)
            .map_err(|e| PasskeyError(e.to_string()))
    }

    /// Verifies an assertion; returns the credential id used and its
    /// updated record (counter, backup state) when it changed.
    pub fn finish_authentication(
        &self,
        response: &PublicKeyCredential,
        state: &PasskeyAuthentication,
        passkeys: &[Passkey],
    ) -> Result<(String, Option<Passkey>), PasskeyError> {
        let result = self
            .webauthn
            .finish_passkey_authentication(response, state)
            .map_err(|e| PasskeyError(e.to_string()))?;
        let id = credential_id(result.cred_id());
        let updated = passkeys.iter().find_map(|p| {
            let mut p = p.clone();
            match p.update_credential(&result) {
                Some(true) => Some(p),
                _ => None,
            }
        });
        Ok((id, updated))
    }
}

/// A credential id as the store keys it (hex).
pub fn credential_id(id: &[u8]) -> String {
    hex::encode(id)
}

/// The stored id of `passkey`.
pub fn id_of(passkey: &Passkey) -> String {
    credential_id(passkey.cred_id())
}

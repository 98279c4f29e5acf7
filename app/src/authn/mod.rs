//! Sign-in: the OpenID Connect relying party (authorization code + PKCE + state +
//! nonce) for the org identity provider, and who may enter which surface.
//!
//! `openidconnect` verifies the ID token's signature (RS256/ES256 family only,
//! never `none`), issuer, audience, expiry and nonce. It does not check `iat` or
//! `azp`: this module does (`iat` within a skew window; `azp` equal to our client
//! id whenever there are several audiences or `azp` is present). `state` and
//! `nonce` are single-use and expire after ten minutes.

pub mod hosted;

use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm};
use openidconnect::OAuth2TokenResponse;
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndSessionUrl, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
    TokenResponse,
};
use tokio::sync::RwLock;

use crate::outbound::{self, chain, Outbound, OutboundPolicy};

use crate::model::{User, UserStatus};
use crate::store::audit::{Actor, Client, Event, OutcomeResult, Severity, Target};
use crate::store::sessions::AuthFlow;
use crate::store::Store;

/// How far in the future an ID token's `iat` may lie (clock skew).
pub const IAT_SKEW: Duration = Duration::from_secs(120);
/// How old an ID token's `iat` may be by default (`id_token_max_age_minutes`).
pub const DEFAULT_MAX_TOKEN_AGE: Duration = Duration::from_secs(600);
/// How long a started sign-in may take.
pub const FLOW_TTL: time::Duration = time::Duration::minutes(10);

type Oidc = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why a sign-in was refused; the message is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("The sign-in link expired or was already used. Please sign in again.")]
    UnknownState,
    #[error("The identity provider could not be reached. Try again in a moment.")]
    ProviderUnavailable,
    #[error("The identity provider's answer could not be verified.")]
    InvalidToken(String),
    #[error("There is no account for {0} here. Ask your administrator for access.")]
    UnknownUser(String),
    #[error("Your account is {0}: you cannot sign in.")]
    NotActive(UserStatus),
    #[error("The identity provider refused the sign-in: {0}")]
    ProviderError(String),
    #[error("Sign-in failed on our side (reference {0}).")]
    Internal(String),
    #[error("{0}")]
    Partner(String),
}

/// The org identity provider: configured at start-up.
pub type OrgIdp = OidcProvider;

/// An OpenID provider the portal signs people in with — the org IdP, or a
/// partner IdP from the database (`idp_id`) — discovered lazily.
#[derive(Clone)]
pub struct OidcProvider {
    idp_id: Option<crate::ids::IdpId>,
    scopes: Vec<String>,
    issuer: String,
    client_id: String,
    client_secret: String,
    redirect_url: String,
    public_url: String,
    http: Outbound,
    max_token_age: Duration,
    discovered: Arc<RwLock<Option<Discovered>>>,
}

/// Why a discovery document could not be used.
enum Discovery {
    Unreadable,
    /// An endpoint it names is refused (the message says which and why).
    Endpoint(String),
}

#[derive(Clone)]
struct Discovered {
    client: Oidc,
    end_session: Option<EndSessionUrl>,
}

/// The identity asserted by a verified ID token (and the userinfo endpoint,
/// whose `sub` must be the token's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub subject: String,
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// Whether the IdP vouches for `email` (`email_verified` in the ID token
    /// or at the userinfo endpoint).
    pub email_verified: bool,
    /// Standard profile claims by name (for partner IdPs' claim mappings).
    pub claims: serde_json::Map<String, serde_json::Value>,
}

impl OidcProvider {
    /// A partner IdP from the database, its client secret already opened.
    /// Its fetches follow `policy` (see `outbound`).
    pub fn for_partner(
        idp: &crate::store::idps::Idp,
        client_secret: &str,
        public_url: &str,
        policy: OutboundPolicy,
    ) -> Result<Self, String> {
        let mut provider = Self::with_policy(
            &idp.issuer,
            &idp.client_id,
            client_secret,
            public_url,
            policy,
        )?;
        provider.idp_id = Some(idp.id.clone());
        provider.scopes = idp.scopes.clone();
        Ok(provider)
    }

    /// The same provider refusing ID tokens issued longer ago than `age`.
    pub fn with_max_token_age(mut self, age: Duration) -> Self {
        self.max_token_age = age;
        self
    }

    /// The issuer as configured (no trailing slash).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn idp_id(&self) -> Option<&crate::ids::IdpId> {
        self.idp_id.as_ref()
    }

    /// The org IdP (the operator's configuration: any address it names).
    pub fn new(
        issuer: &str,
        client_id: &str,
        client_secret: &str,
        public_url: &str,
    ) -> Result<Self, String> {
        Self::with_policy(
            issuer,
            client_id,
            client_secret,
            public_url,
            OutboundPolicy::OPERATOR,
        )
    }

    /// A provider whose every fetch follows `policy`; the issuer must pass it.
    pub fn with_policy(
        issuer: &str,
        client_id: &str,
        client_secret: &str,
        public_url: &str,
        policy: OutboundPolicy,
    ) -> Result<Self, String> {
        policy
            .check_issuer(issuer)
            .map_err(|e| format!("The issuer {e}."))?;
        let http = policy.client()?;
        Ok(Self {
            idp_id: None,
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            // Exactly as configured: some issuers end with '/' (Auth0), and the
            // ID token's `iss` must equal it to the character.
            issuer: issuer.trim().to_string(),
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            redirect_url: format!("{}/auth/callback", public_url.trim_end_matches('/')),
            public_url: public_url.trim_end_matches('/').to_string(),
            http,
            max_token_age: DEFAULT_MAX_TOKEN_AGE,
            discovered: Arc::new(RwLock::new(None)),
        })
    }

    /// Fetches the issuer's discovery document now (an admin saving an IdP):
    /// `Err` says, in words for the admin, why sign-in through it would fail.
    pub async fn check_discovery(&self) -> Result<(), String> {
        match self.discover().await {
            Ok(_) => Ok(()),
            Err(Discovery::Endpoint(e)) => Err(e),
            Err(Discovery::Unreadable) => Err(format!(
                "{}/.well-known/openid-configuration could not be read as this issuer's OpenID configuration.",
                self.issuer
            )),
        }
    }

    async fn client(&self, refresh: bool) -> Result<Oidc, SignInError> {
        Ok(self.discovered(refresh).await?.client)
    }

    async fn discovered(&self, refresh: bool) -> Result<Discovered, SignInError> {
        if !refresh {
            if let Some(discovered) = self.discovered.read().await.as_ref() {
                return Ok(discovered.clone());
            }
        }
        let discovered = self.discover().await.map_err(|e| {
            if let Discovery::Endpoint(e) = e {
                tracing::warn!(error = %e, issuer = %self.issuer, "an IdP's endpoint was refused");
            }
            SignInError::ProviderUnavailable
        })?;
        *self.discovered.write().await = Some(discovered.clone());
        Ok(discovered)
    }

    /// Reads the discovery document; every endpoint it names must pass the
    /// outbound policy (the document is the IdP's, i.e. untrusted, word).
    async fn discover(&self) -> Result<Discovered, Discovery> {
        let issuer = IssuerUrl::new(self.issuer.clone()).map_err(|_| Discovery::Unreadable)?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                let detail = chain(&e);
                tracing::warn!(error = %detail, issuer = %self.issuer, "OIDC discovery failed");
                // The document named an address the policy refuses (its
                // `jwks_uri` is fetched as part of discovery): say which.
                match detail.find("http").filter(|_| detail.contains(outbound::REFUSED)) {
                    Some(at) => Discovery::Endpoint(format!(
                        "The issuer's OpenID configuration names an address the portal may not fetch: {}",
                        &detail[at..]
                    )),
                    None => Discovery::Unreadable,
                }
            })?;
        let policy = self.http.policy();
        let endpoints = [
            ("jwks_uri", Some(metadata.jwks_uri().url().as_str())),
            (
                "token_endpoint",
                metadata.token_endpoint().map(|u| u.url().as_str()),
            ),
            (
                "userinfo_endpoint",
                metadata.userinfo_endpoint().map(|u| u.url().as_str()),
            ),
            (
                "end_session_endpoint",
                metadata
                    .additional_metadata()
                    .end_session_endpoint
                    .as_ref()
                    .map(|u| u.url().as_str()),
            ),
        ];
        for (name, url) in endpoints {
            if let Some(url) = url {
                policy.check_url(url).map_err(|e| {
                    Discovery::Endpoint(format!(
                        "The issuer's OpenID configuration names a {name} that {e}: {url}"
                    ))
                })?;
            }
        }
        let redirect =
            RedirectUrl::new(self.redirect_url.clone()).map_err(|_| Discovery::Unreadable)?;
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.client_id.clone()),
            Some(ClientSecret::new(self.client_secret.clone())),
        )
        .set_redirect_uri(redirect);
        Ok(Discovered {
            client,
            end_session,
        })
    }

    /// Where to send the browser to end the session at the IdP too (RP-initiated
    /// logout), if the IdP supports it; it sends the browser back to the portal.
    pub async fn logout_url(&self) -> Option<String> {
        let discovered = self.discovered(false).await.ok()?;
        let end_session = discovered.end_session?;
        let back = PostLogoutRedirectUrl::new(format!("{}/", self.public_url)).ok()?;
        Some(
            LogoutRequest::from(end_session)
                .set_client_id(ClientId::new(self.client_id.clone()))
                .set_post_logout_redirect_uri(back)
                .http_get_url()
                .to_string(),
        )
    }

    /// Starts a sign-in: remembers state, nonce and PKCE verifier (single use) and
    /// returns the IdP URL to send the browser to, and the `state` (which the
    /// caller binds to the browser).
    pub async fn start(
        &self,
        store: &Store,
        login_hint: Option<&str>,
        return_to: Option<String>,
    ) -> Result<(String, String), SignInError> {
        let client = self.client(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self.scopes.iter().filter(|s| s.as_str() != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if let Some(hint) = login_hint.filter(|h| !h.is_empty() && h.len() <= 254) {
            request = request.add_extra_param("login_hint", hint.to_string());
        }
        let (url, state, nonce) = request.url();
        let flow = AuthFlow {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to: return_to.and_then(|r| local_return_to(&self.public_url, &r)),
            idp_id: self.idp_id.clone(),
        };
        store
            .save_auth_flow(&flow, FLOW_TTL)
            .await
            .map_err(|e| SignInError::Internal(crate::error::AppError::from(e).to_string()))?;
        Ok((url.to_string(), flow.state))
    }

    /// Completes a sign-in from the callback's `code` and the flow its `state`
    /// named (taken, single use, by the caller).
    pub async fn finish(
        &self,
        code: &str,
        flow: AuthFlow,
    ) -> Result<(VerifiedIdentity, Option<String>), SignInError> {
        let client = self.client(false).await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| SignInError::Internal(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "token exchange failed");
                SignInError::ProviderError("the authorization code was refused".into())
            })?;
        let id_token = token
            .id_token()
            .ok_or_else(|| SignInError::InvalidToken("no ID token in the token response".into()))?;
        let nonce = Nonce::new(flow.nonce.clone());
        let verify = |client: &Oidc| {
            let verifier = client.id_token_verifier().set_allowed_algs(vec![
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
                CoreJwsSigningAlgorithm::RsaSsaPssSha256,
                CoreJwsSigningAlgorithm::EcdsaP256Sha256,
                CoreJwsSigningAlgorithm::EcdsaP384Sha384,
            ]);
            id_token.claims(&verifier, &nonce).cloned()
        };
        let claims = match verify(&client) {
            Ok(claims) => claims,
            // An unknown key id may mean the IdP rotated its keys: re-fetch its
            // keys once (only then: a bad token must not make us hammer the IdP).
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(
                openidconnect::SignatureVerificationError::NoMatchingKey,
            )) => {
                let client = self.client(true).await?;
                verify(&client).map_err(|e| SignInError::InvalidToken(chain(&e)))?
            }
            Err(e) => return Err(SignInError::InvalidToken(chain(&e))),
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if claims.issue_time().timestamp() > now + IAT_SKEW.as_secs() as i64 {
            return Err(SignInError::InvalidToken(
                "the token was issued in the future".into(),
            ));
        }
        if claims.issue_time().timestamp() < now - self.max_token_age.as_secs() as i64 {
            return Err(SignInError::InvalidToken(format!(
                "the token was issued too long ago (iat older than {} minutes)",
                self.max_token_age.as_secs() / 60
            )));
        }
        let mut email_verified = claims.email_verified() == Some(true);
        let audiences = claims.audiences();
        let azp = claims.authorized_party().map(|a| a.as_str().to_string());
        if (audiences.len() > 1 || azp.is_some()) && azp.as_deref() != Some(self.client_id.as_str())
        {
            return Err(SignInError::InvalidToken(
                "the token was issued to another client (azp)".into(),
            ));
        }
        // The userinfo endpoint, when the IdP has one, must speak of the same
        // subject (openidconnect checks `sub` against the expected one).
        let mut profile = serde_json::Map::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
                profile.insert(key.to_string(), serde_json::Value::String(v));
            }
        };
        let localized = |c: Option<
            &openidconnect::LocalizedClaim<openidconnect::EndUserGivenName>,
        >| { c.and_then(|n| n.get(None)).map(|n| n.as_str().to_string()) };
        put("email", claims.email().map(|e| e.as_str().to_string()));
        put("given_name", localized(claims.given_name()));
        put(
            "family_name",
            claims
                .family_name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_string()),
        );
        put(
            "phone_number",
            claims.phone_number().map(|p| p.as_str().to_string()),
        );
        put(
            "preferred_username",
            claims.preferred_username().map(|p| p.as_str().to_string()),
        );
        if let Ok(request) =
            client.user_info(token.access_token().clone(), Some(claims.subject().clone()))
        {
            let info: openidconnect::core::CoreUserInfoClaims = request
                .request_async(&self.http)
                .await
                .map_err(|e| SignInError::InvalidToken(format!("userinfo: {}", chain(&e))))?;
            // The userinfo endpoint may vouch for the email the token named.
            if info.email_verified() == Some(true)
                && info.email().map(|e| e.as_str()) == claims.email().map(|e| e.as_str())
            {
                email_verified = true;
            }
            put("email", info.email().map(|e| e.as_str().to_string()));
            put("given_name", localized(info.given_name()));
            put(
                "family_name",
                info.family_name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_string()),
            );
            put(
                "middle_name",
                info.middle_name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_string()),
            );
            put(
                "name",
                info.name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_string()),
            );
            put(
                "phone_number",
                info.phone_number().map(|p| p.as_str().to_string()),
            );
            put(
                "preferred_username",
                info.preferred_username().map(|p| p.as_str().to_string()),
            );
        }
        let name = claims
            .given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string());
        let family = claims
            .family_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string());
        Ok((
            VerifiedIdentity {
                subject: claims.subject().as_str().to_string(),
                email: claims.email().map(|e| e.as_str().to_string()),
                given_name: name,
                family_name: family,
                email_verified,
                claims: profile,
            },
            flow.return_to,
        ))
    }
}

impl SignInError {
    /// What the System Log records as the reason: the message, and for tokens
    /// that failed verification, what exactly failed.
    pub fn reason(&self) -> String {
        match self {
            Self::InvalidToken(detail) => format!("{self} ({detail})"),
            other => other.to_string(),
        }
    }
}

/// Where to send the browser after sign-in, if `raw` is a path on the portal
/// itself (no open redirect): it is resolved as a URL against the public
/// origin and must stay on it, and TAB, CR, LF, other control characters,
/// backslashes and a leading `//` are refused — also percent-encoded, since
/// browsers strip or reinterpret them. The answer is the resolved path, query
/// and fragment.
pub fn local_return_to(public_url: &str, raw: &str) -> Option<String> {
    let hostile = |s: &str| {
        s.chars().any(|c| c.is_control() || c == '\\') || !s.starts_with('/') || s.starts_with("//")
    };
    if raw.len() > 2048 || hostile(raw) {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    if hostile(&decoded) || decoded.contains("/\\") {
        return None;
    }
    let origin = url::Url::parse(public_url).ok()?;
    let resolved = origin.join(raw).ok()?;
    if resolved.origin() != origin.origin() {
        return None;
    }
    let mut local = resolved.path().to_string();
    if let Some(query) = resolved.query() {
        local.push('?');
        local.push_str(query);
    }
    if let Some(fragment) = resolved.fragment() {
        local.push('#');
        local.push_str(fragment);
    }
    Some(local)
}

/// Resolves a verified org-IdP identity to an existing, active user (bound to
/// its (issuer, sub), see `store::org_signin`) and records the outcome in the
/// System Log. Org-IdP sign-in never creates users.
pub async fn admit(
    store: &Store,
    issuer: &str,
    identity: &VerifiedIdentity,
    client: Client,
) -> Result<User, SignInError> {
    let login = identity
        .email
        .clone()
        .unwrap_or_else(|| identity.subject.clone());
    let admitted = store
        .system_admit_org_identity(&crate::store::org_signin::OrgIdentity {
            issuer,
            subject: &identity.subject,
            email: identity.email.as_deref(),
            email_verified: identity.email_verified,
        })
        .await
        .map_err(|e| SignInError::Internal(crate::error::AppError::from(e).to_string()))?;
    use crate::store::org_signin::OrgSignInError as E;
    let outcome = match admitted {
        Ok(user) => Ok(user),
        Err(E::UnknownUser(login)) => Err(SignInError::UnknownUser(login)),
        Err(E::NotActive(status)) => Err(SignInError::NotActive(status)),
        Err(other) => Err(SignInError::Partner(other.to_string())),
    };
    let user = outcome.as_ref().ok().cloned();
    record_session_start(store, user.as_ref(), &login, &outcome, client).await;
    outcome
}

/// Resolves a verified partner-IdP identity: its linked user, or a new one
/// provisioned just in time into the realm the rules choose (see
/// `Store::system_admit_partner_user`); records the outcome in the System Log.
pub async fn admit_partner(
    store: &Store,
    idp: &crate::store::idps::Idp,
    identity: &VerifiedIdentity,
    client: Client,
) -> Result<User, SignInError> {
    let incoming = crate::store::idps::IncomingClaims {
        subject: identity.subject.clone(),
        claims: identity.claims.clone(),
        email_verified: identity.email_verified,
    };
    let login = identity
        .email
        .clone()
        .unwrap_or_else(|| identity.subject.clone());
    let admitted = store
        .system_admit_partner_user(idp, &incoming)
        .await
        .map_err(|e| SignInError::Internal(crate::error::AppError::from(e).to_string()))?;
    let outcome = match admitted {
        Ok(a) => Ok(a.user),
        Err(crate::store::idps::JitError::NotActive(status)) => Err(SignInError::NotActive(status)),
        Err(other) => Err(SignInError::Partner(other.to_string())),
    };
    let user = outcome.as_ref().ok().cloned();
    record_session_start(store, user.as_ref(), &login, &outcome, client).await;
    outcome
}

async fn record_session_start(
    store: &Store,
    user: Option<&User>,
    login: &str,
    outcome: &Result<User, SignInError>,
    client: Client,
) {
    let login = login.to_string();
    let actor = match &user {
        Some(u) => Actor {
            id: u.id.to_string(),
            actor_type: "User".into(),
            alternate_id: u.profile.login.clone(),
            display_name: format!("{} {}", u.profile.first_name, u.profile.last_name),
        },
        None => Actor {
            id: "unknown".into(),
            actor_type: "User".into(),
            alternate_id: login.clone(),
            display_name: login.clone(),
        },
    };
    let mut event =
        Event::success("user.session.start", "User login to Partner Portal", actor).client(client);
    if let Some(u) = &user {
        event = event.target(Target {
            id: u.id.to_string(),
            target_type: "User".into(),
            alternate_id: u.profile.login.clone(),
            display_name: format!("{} {}", u.profile.first_name, u.profile.last_name),
            realm_id: Some(u.realm_id.to_string()),
        });
    }
    if let Err(reason) = outcome {
        event.outcome = OutcomeResult::Failure;
        event.severity = Severity::Warn;
        event.reason = Some(reason.reason());
    }
    if let Err(e) = store.append_event(&event).await {
        tracing::error!(error = %e, "could not record the sign-in event");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#[path = "tests/return_to.rs"]
mod tests;

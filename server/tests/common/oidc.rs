//! A small OpenID provider for black-box tests (discovery, JWKS, token with
//! PKCE, userinfo; tenants `/org`, `/acme`, `/globex`; RSA keys in
//! `tests/keys/`) and the rig that starts the real server against it and
//! drives sign-ins, answering each with exactly the token a test wants.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::{client, Options, Server};
use app::store::log::LogFilter;
use app::store::{Store, StoreOptions};
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use openidconnect::core::{CoreJsonWebKey, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey};
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use serde_json::{json, Value};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const ORG_ADMIN: &str = "olivia.owner@hostco.test";

// ---------------------------------------------------------------------------
// The test OpenID provider: tenants `/org`, `/acme`, `/globex` on one port.

pub struct Key {
    pub signing: CoreRsaPrivateSigningKey,
    pub kid: String,
}

pub fn key(name: &str) -> Key {
    let pem = std::fs::read_to_string(format!(
        "{}/tests/keys/{name}.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    Key {
        signing: CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new(name.into())))
            .unwrap(),
        kid: name.into(),
    }
}

/// What the token endpoint answers for one authorization code.
pub struct Plan {
    pub id_token: String,
    pub userinfo_sub: String,
    pub code_challenge: String,
}

#[derive(Default)]
pub struct Provider {
    pub base: String,
    pub published: Vec<CoreJsonWebKey>,
    pub plans: HashMap<String, Plan>,
    pub jwks_fetches: usize,
}

pub type Shared = Arc<Mutex<Provider>>;

/// A tenant's issuer: the tenant `auth0` has one ending in `/`, as Auth0's do.
pub fn issuer_of(base: &str, tenant: &str) -> String {
    if tenant == "auth0" {
        format!("{base}/{tenant}/")
    } else {
        format!("{base}/{tenant}")
    }
}

pub async fn discovery(State(p): State<Shared>, Path(tenant): Path<String>) -> Json<Value> {
    let base = p.lock().unwrap().base.clone();
    let issuer = issuer_of(&base, &tenant);
    let at = format!("{base}/{tenant}");
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{at}/authorize"),
        "token_endpoint": format!("{at}/token"),
        "userinfo_endpoint": format!("{at}/userinfo"),
        "jwks_uri": format!("{at}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
}

pub async fn jwks(State(p): State<Shared>) -> Json<Value> {
    let mut p = p.lock().unwrap();
    p.jwks_fetches += 1;
    Json(json!({ "keys": p.published }))
}

pub async fn token(State(p): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    let p = p.lock().unwrap();
    let code = form.get("code").cloned().unwrap_or_default();
    let Some(plan) = p.plans.get(&code) else {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    // PKCE (S256): the verifier must hash to the challenge of the authorize request.
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if B64.encode(sha2::Sha256::digest(verifier.as_bytes())) != plan.code_challenge {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": "PKCE"})),
        )
            .into_response();
    }
    Json(json!({
        "access_token": format!("at-{code}"),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": plan.id_token,
    }))
    .into_response()
}

pub async fn userinfo(State(p): State<Shared>, headers: HeaderMap) -> Response {
    let p = p.lock().unwrap();
    let code = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer at-"))
        .unwrap_or_default();
    match p.plans.get(code) {
        Some(plan) => Json(json!({ "sub": plan.userinfo_sub })).into_response(),
        None => axum::http::StatusCode::UNAUTHORIZED.into_response(),
    }
}

pub async fn start_provider(published: &[&Key]) -> (Shared, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shared: Shared = Arc::new(Mutex::new(Provider {
        base: base.clone(),
        published: published
            .iter()
            .map(|k| k.signing.as_verification_key())
            .collect(),
        ..Provider::default()
    }));
    let app = Router::new()
        .route("/{tenant}/.well-known/openid-configuration", get(discovery))
        .route("/{tenant}/jwks", get(jwks))
        .route("/{tenant}/token", post(token))
        .route("/{tenant}/userinfo", get(userinfo))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (shared, base)
}

// ---------------------------------------------------------------------------
// The rig: the provider, the portal configured with it, and a sign-in driver.

pub struct Rig {
    pub provider: Shared,
    pub idp: String,
    pub portal: Server,
    pub store: Store,
    pub signer: Key,
    pub codes: usize,
    /// The provider's tenant that is the org IdP (`org`, or `auth0`).
    pub org_tenant: String,
}

/// A started sign-in, as the browser would carry it to the IdP and back.
#[derive(Clone)]
pub struct Flow {
    pub tenant: String,
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
    pub binding_cookie: String,
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Rig {
    pub async fn new() -> Rig {
        Rig::with_users(None).await
    }

    /// The demo directory, plus `users` generated ones when given.
    pub async fn with_users(users: Option<u64>) -> Rig {
        Rig::with(users, false).await
    }

    /// The demo directory, its server logging each SQL statement.
    pub async fn logging_statements() -> Rig {
        Rig::with(None, true).await
    }

    /// The demo directory, its org IdP the provider's tenant `tenant`.
    pub async fn with_org_tenant(tenant: &str) -> Rig {
        Rig::build(None, false, tenant, false).await
    }

    /// As deployed: an https public URL, `Secure` `__Host-` cookies.
    pub async fn secure() -> Rig {
        Rig::build(None, false, "org", true).await
    }

    async fn with(users: Option<u64>, log_statements: bool) -> Rig {
        Rig::build(users, log_statements, "org", false).await
    }

    async fn build(
        users: Option<u64>,
        log_statements: bool,
        org_tenant: &str,
        secure: bool,
    ) -> Rig {
        let signer = key("one");
        let (provider, idp) = start_provider(&[&signer]).await;
        let org_issuer = issuer_of(&idp, org_tenant);
        let portal = super::start(Options {
            org_idp_issuer: &org_issuer,
            signin_per_minute: "1000",
            demo_with_idp_base: Some(&idp),
            seed_users: users,
            // Timings send many requests from one session.
            mutations_per_minute: if users.is_some() { "1000000" } else { "300" },
            reads_per_minute: "100000",
            public_url: secure.then_some("https://portal.example"),
            secure_cookies: secure,
            log_statements,
            ..Options::default()
        })
        .await;
        let store = Store::connect(&portal.database_url, &StoreOptions::default())
            .await
            .unwrap();
        Rig {
            provider,
            idp,
            portal,
            store,
            signer,
            codes: 0,
            org_tenant: org_tenant.to_string(),
        }
    }

    /// `/auth/login` with the typed email: the redirect to the IdP and the
    /// cookie binding the sign-in to this browser.
    pub async fn begin(&self, email: &str) -> Flow {
        self.begin_with(email, None).await
    }

    /// `begin`, asking to come back to `return_to` after sign-in.
    pub async fn begin_with(&self, email: &str, return_to: Option<&str>) -> Flow {
        let mut query = vec![("login_hint", email)];
        if let Some(r) = return_to {
            query.push(("return_to", r));
        }
        let r = client()
            .get(format!("{}/auth/login", self.portal.base))
            .query(&query)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_redirection(), "{}", r.status());
        let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
        let param = |name: &str| {
            location
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        };
        let binding_cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
            .find(|c| c.starts_with("portal_signin=") || c.starts_with("__Host-portal_signin="))
            .expect("the sign-in is bound to the browser by a cookie");
        let tenant = location
            .path()
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap()
            .to_string();
        Flow {
            tenant,
            state: param("state"),
            nonce: param("nonce"),
            code_challenge: param("code_challenge"),
            binding_cookie,
        }
    }

    /// The claims a well-behaved IdP would sign for this flow.
    pub fn claims(&self, flow: &Flow, email: &str) -> Value {
        let client_id = if flow.tenant == self.org_tenant {
            "portal"
        } else {
            "partner-portal"
        };
        json!({
            "iss": issuer_of(&self.idp, &flow.tenant),
            "sub": format!("sub-{email}"),
            "aud": client_id,
            "exp": now() + 300,
            "iat": now(),
            "nonce": flow.nonce,
            "email": email,
            "email_verified": true,
            "given_name": "Test",
            "family_name": "Person",
        })
    }

    pub fn sign(&self, key: &Key, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": key.kid});
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let signature = key
            .signing
            .sign(
                &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                input.as_bytes(),
            )
            .unwrap();
        format!("{input}.{}", B64.encode(signature))
    }

    /// The IdP answers the flow's code with `id_token` (userinfo with `sub`);
    /// the browser comes back to the callback with `state` and `cookie`.
    pub async fn callback(
        &mut self,
        flow: &Flow,
        id_token: String,
        userinfo_sub: &str,
        state: Option<&str>,
        cookie: Option<&str>,
    ) -> reqwest::Response {
        self.codes += 1;
        let code = format!("code-{}", self.codes);
        self.provider.lock().unwrap().plans.insert(
            code.clone(),
            Plan {
                id_token,
                userinfo_sub: userinfo_sub.into(),
                code_challenge: flow.code_challenge.clone(),
            },
        );
        let mut query = vec![("code", code)];
        if let Some(state) = state {
            query.push(("state", state.into()));
        }
        let mut request = client()
            .get(format!("{}/auth/callback", self.portal.base))
            .query(&query);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    /// The ordinary way back: the flow's own state and binding cookie.
    pub async fn answer(&mut self, flow: &Flow, id_token: String, sub: &str) -> reqwest::Response {
        let (state, cookie) = (flow.state.clone(), flow.binding_cookie.clone());
        self.callback(flow, id_token, sub, Some(&state), Some(&cookie))
            .await
    }

    /// A whole, well-behaved sign-in: the session cookie it ends with.
    pub async fn sign_in(&mut self, email: &str) -> String {
        let flow = self.begin(email).await;
        let token = self.sign(&self.signer, &self.claims(&flow, email));
        let r = self.answer(&flow, token, &format!("sub-{email}")).await;
        assert_eq!(r.status(), 303, "{email} signs in");
        session_cookie(&r).unwrap()
    }

    /// Reasons of the FAILURE `user.session.start` events, oldest first.
    pub async fn failures(&self) -> Vec<String> {
        let page = self
            .store
            .list_events(
                &app::authz::log_scope(&app::authz::Principal::system()),
                &LogFilter {
                    event_type: Some("user.session.start".into()),
                    ..LogFilter::default()
                },
                None,
                200,
            )
            .await
            .unwrap();
        let mut reasons: Vec<String> = page
            .items
            .iter()
            .filter(|e| e.event["outcome"]["result"] == "FAILURE")
            .map(|e| {
                e.event["outcome"]["reason"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        reasons.reverse();
        reasons
    }

    /// The callback was refused: 403, no session cookie, one more FAILURE event
    /// whose reason contains `why`.
    pub async fn assert_refused(&self, r: reqwest::Response, before: usize, why: &str, case: &str) {
        assert_eq!(r.status(), 403, "{case}: refused");
        assert!(
            !set_cookies(&r)
                .iter()
                .any(|c| c.contains("portal_session=")),
            "{case}: no session is started"
        );
        let body = r.text().await.unwrap();
        assert!(body.contains("Sign-in refused"), "{case}: {body}");
        let failures = self.failures().await;
        assert_eq!(failures.len(), before + 1, "{case}: one FAILURE event");
        let reason = failures.last().unwrap();
        assert!(
            reason.to_lowercase().contains(&why.to_lowercase()),
            "{case}: reason {reason:?} should mention {why:?}"
        );
    }
}

pub fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

pub fn session_cookie(r: &reqwest::Response) -> Option<String> {
    set_cookies(r)
        .into_iter()
        .find(|c| c.starts_with("portal_session=") || c.starts_with("__Host-portal_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
}

// ---------------------------------------------------------------------------

//! Hostile identity providers and forged callbacks, against the real server
//! binary: a small OpenID provider in this test (discovery, JWKS, token and
//! userinfo endpoints; RSA keys of its own) answers each sign-in with exactly the
//! token a scenario wants. Every bad answer must be refused, start no session,
//! and leave a FAILURE `user.session.start` event saying what was wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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

use app::store::log::LogFilter;
use app::store::{Store, StoreOptions};
use common::{client, Options, Server};

const ORG_ADMIN: &str = "olivia.owner@hostco.test";

// ---------------------------------------------------------------------------
// The test OpenID provider: tenants `/org`, `/acme`, `/globex` on one port.

struct Key {
    signing: CoreRsaPrivateSigningKey,
    kid: String,
}

fn key(name: &str) -> Key {
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
struct Plan {
    id_token: String,
    userinfo_sub: String,
    code_challenge: String,
}

#[derive(Default)]
struct Provider {
    base: String,
    published: Vec<CoreJsonWebKey>,
    plans: HashMap<String, Plan>,
    jwks_fetches: usize,
}

type Shared = Arc<Mutex<Provider>>;

async fn discovery(State(p): State<Shared>, Path(tenant): Path<String>) -> Json<Value> {
    let base = p.lock().unwrap().base.clone();
    let issuer = format!("{base}/{tenant}");
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
}

async fn jwks(State(p): State<Shared>) -> Json<Value> {
    let mut p = p.lock().unwrap();
    p.jwks_fetches += 1;
    Json(json!({ "keys": p.published }))
}

async fn token(State(p): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
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

async fn userinfo(State(p): State<Shared>, headers: HeaderMap) -> Response {
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

async fn start_provider(published: &[&Key]) -> (Shared, String) {
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

struct Rig {
    provider: Shared,
    idp: String,
    portal: Server,
    store: Store,
    signer: Key,
    codes: usize,
}

/// A started sign-in, as the browser would carry it to the IdP and back.
#[derive(Clone)]
struct Flow {
    tenant: String,
    state: String,
    nonce: String,
    code_challenge: String,
    binding_cookie: String,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Rig {
    async fn new() -> Rig {
        let signer = key("one");
        let (provider, idp) = start_provider(&[&signer]).await;
        let org_issuer = format!("{idp}/org");
        let portal = common::start(Options {
            org_idp_issuer: &org_issuer,
            signin_per_minute: "1000",
            demo_with_idp_base: Some(&idp),
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
        }
    }

    /// `/auth/login` with the typed email: the redirect to the IdP and the
    /// cookie binding the sign-in to this browser.
    async fn begin(&self, email: &str) -> Flow {
        let r = client()
            .get(format!("{}/auth/login", self.portal.base))
            .query(&[("login_hint", email)])
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
            .find(|c| c.starts_with("portal_signin="))
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
    fn claims(&self, flow: &Flow, email: &str) -> Value {
        let client_id = if flow.tenant == "org" {
            "portal"
        } else {
            "partner-portal"
        };
        json!({
            "iss": format!("{}/{}", self.idp, flow.tenant),
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

    fn sign(&self, key: &Key, claims: &Value) -> String {
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
    async fn callback(
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
    async fn answer(&mut self, flow: &Flow, id_token: String, sub: &str) -> reqwest::Response {
        let (state, cookie) = (flow.state.clone(), flow.binding_cookie.clone());
        self.callback(flow, id_token, sub, Some(&state), Some(&cookie))
            .await
    }

    /// A whole, well-behaved sign-in: the session cookie it ends with.
    async fn sign_in(&mut self, email: &str) -> String {
        let flow = self.begin(email).await;
        let token = self.sign(&self.signer, &self.claims(&flow, email));
        let r = self.answer(&flow, token, &format!("sub-{email}")).await;
        assert_eq!(r.status(), 303, "{email} signs in");
        session_cookie(&r).unwrap()
    }

    /// Reasons of the FAILURE `user.session.start` events, oldest first.
    async fn failures(&self) -> Vec<String> {
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
    async fn assert_refused(&self, r: reqwest::Response, before: usize, why: &str, case: &str) {
        assert_eq!(r.status(), 403, "{case}: refused");
        assert!(
            !set_cookies(&r)
                .iter()
                .any(|c| c.starts_with("portal_session=")),
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

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    set_cookies(r)
        .into_iter()
        .find(|c| c.starts_with("portal_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
}

// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_well_formed_answer_signs_in_and_each_forged_state_is_refused() {
    let mut rig = Rig::new().await;

    // The control: a correct answer starts a session.
    let flow = rig.begin(ORG_ADMIN).await;
    assert_eq!(flow.tenant, "org");
    let token = rig.sign(&rig.signer, &rig.claims(&flow, ORG_ADMIN));
    let sub = format!("sub-{ORG_ADMIN}");
    let r = rig.answer(&flow, token.clone(), &sub).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/");
    assert!(session_cookie(&r).is_some(), "a session is started");
    assert_eq!(rig.failures().await.len(), 0);

    // Replayed state: the same callback again.
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token.clone(), &sub).await;
    rig.assert_refused(r, n, "expired or was already used", "replayed state")
        .await;

    // Missing state.
    let flow = rig.begin(ORG_ADMIN).await;
    let token = rig.sign(&rig.signer, &rig.claims(&flow, ORG_ADMIN));
    let n = rig.failures().await.len();
    let cookie = flow.binding_cookie.clone();
    let r = rig.callback(&flow, token, &sub, None, Some(&cookie)).await;
    rig.assert_refused(r, n, "expired or was already used", "missing state")
        .await;

    // Wrong (made-up) state.
    let flow = rig.begin(ORG_ADMIN).await;
    let token = rig.sign(&rig.signer, &rig.claims(&flow, ORG_ADMIN));
    let n = rig.failures().await.len();
    let cookie = flow.binding_cookie.clone();
    let r = rig
        .callback(&flow, token, &sub, Some("made-up-state"), Some(&cookie))
        .await;
    rig.assert_refused(r, n, "expired or was already used", "wrong state")
        .await;

    // A genuine state planted in another browser (login CSRF): no binding cookie.
    let flow = rig.begin(ORG_ADMIN).await;
    let token = rig.sign(&rig.signer, &rig.claims(&flow, ORG_ADMIN));
    let n = rig.failures().await.len();
    let state = flow.state.clone();
    let r = rig.callback(&flow, token, &sub, Some(&state), None).await;
    rig.assert_refused(
        r,
        n,
        "expired or was already used",
        "state without its browser",
    )
    .await;

    // An error answer from the IdP.
    let n = rig.failures().await.len();
    let r = client()
        .get(format!(
            "{}/auth/callback?error=access_denied&error_description=nope",
            rig.portal.base
        ))
        .send()
        .await
        .unwrap();
    rig.assert_refused(r, n, "access_denied", "IdP error").await;
}

#[tokio::test]
async fn hostile_id_tokens_are_refused_with_their_reason_logged() {
    let mut rig = Rig::new().await;
    let sub = format!("sub-{ORG_ADMIN}");
    let stray = key("stray");
    let earlier = rig.begin(ORG_ADMIN).await;

    type Mutate = Box<dyn Fn(&mut Value, &Flow)>;
    let cases: Vec<(&str, Mutate, &str)> = vec![
        (
            "wrong nonce",
            Box::new(|c, _| c["nonce"] = json!("another-nonce")),
            "nonce",
        ),
        (
            "replayed nonce (an earlier flow's)",
            Box::new(move |c, _| c["nonce"] = json!(earlier.nonce.clone())),
            "nonce",
        ),
        (
            "missing nonce",
            Box::new(|c, _| {
                c.as_object_mut().unwrap().remove("nonce");
            }),
            "nonce",
        ),
        (
            "wrong issuer",
            Box::new(|c, _| c["iss"] = json!("https://evil.test/org")),
            "issuer",
        ),
        (
            "wrong audience",
            Box::new(|c, _| c["aud"] = json!("another-client")),
            "audience",
        ),
        (
            "an extra untrusted audience",
            Box::new(|c, _| {
                c["aud"] = json!(["portal", "another-client"]);
                c["azp"] = json!("portal");
            }),
            "audience",
        ),
        (
            "expired",
            Box::new(|c, _| {
                c["exp"] = json!(now() - 600);
                c["iat"] = json!(now() - 900);
            }),
            "expired",
        ),
        (
            "iat far in the future",
            Box::new(|c, _| {
                c["iat"] = json!(now() + 3600);
                c["exp"] = json!(now() + 7200);
            }),
            "future",
        ),
    ];
    for (case, mutate, why) in cases {
        let flow = rig.begin(ORG_ADMIN).await;
        let mut claims = rig.claims(&flow, ORG_ADMIN);
        mutate(&mut claims, &flow);
        let token = rig.sign(&rig.signer, &claims);
        let n = rig.failures().await.len();
        let r = rig.answer(&flow, token, &sub).await;
        rig.assert_refused(r, n, why, case).await;
    }

    // `alg: none`, unsigned.
    let flow = rig.begin(ORG_ADMIN).await;
    let claims = rig.claims(&flow, ORG_ADMIN);
    let unsigned = format!(
        "{}.{}.",
        B64.encode(json!({"alg": "none", "typ": "JWT"}).to_string()),
        B64.encode(claims.to_string())
    );
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, unsigned, &sub).await;
    rig.assert_refused(r, n, "", "alg none").await;

    // A signature that does not match the claims (claims swapped after signing).
    let flow = rig.begin(ORG_ADMIN).await;
    let signed = rig.sign(&rig.signer, &rig.claims(&flow, ORG_ADMIN));
    let mut forged_claims = rig.claims(&flow, ORG_ADMIN);
    forged_claims["email"] = json!("alice.admin@acme.test");
    let parts: Vec<&str> = signed.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(forged_claims.to_string()),
        parts[2]
    );
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, forged, &sub).await;
    rig.assert_refused(r, n, "signature", "bad signature").await;

    // Signed by a key the IdP never published: one JWKS re-fetch, then refused.
    let flow = rig.begin(ORG_ADMIN).await;
    let token = rig.sign(&stray, &rig.claims(&flow, ORG_ADMIN));
    let fetches = rig.provider.lock().unwrap().jwks_fetches;
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token, &sub).await;
    rig.assert_refused(r, n, "no matching key", "unknown kid")
        .await;
    assert_eq!(
        rig.provider.lock().unwrap().jwks_fetches,
        fetches + 1,
        "an unknown kid re-fetches the keys exactly once"
    );

    // A token that fails for another reason does not make the portal re-fetch.
    let flow = rig.begin(ORG_ADMIN).await;
    let mut claims = rig.claims(&flow, ORG_ADMIN);
    claims["aud"] = json!("another-client");
    let token = rig.sign(&rig.signer, &claims);
    let fetches = rig.provider.lock().unwrap().jwks_fetches;
    let r = rig.answer(&flow, token, &sub).await;
    assert_eq!(r.status(), 403);
    assert_eq!(rig.provider.lock().unwrap().jwks_fetches, fetches);

    // Userinfo speaking of another subject.
    let flow = rig.begin(ORG_ADMIN).await;
    let token = rig.sign(&rig.signer, &rig.claims(&flow, ORG_ADMIN));
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token, "someone-else").await;
    rig.assert_refused(r, n, "userinfo", "userinfo sub mismatch")
        .await;
}

#[tokio::test]
async fn a_rotated_signing_key_is_fetched_once_and_accepted() {
    let mut rig = Rig::new().await;
    let sub = format!("sub-{ORG_ADMIN}");
    // A first sign-in makes the portal fetch (and cache) the keys of today.
    let flow = rig.begin(ORG_ADMIN).await;
    let token = rig.sign(&rig.signer, &rig.claims(&flow, ORG_ADMIN));
    assert_eq!(rig.answer(&flow, token, &sub).await.status(), 303);
    // The IdP rotates: a new key published, the old one withdrawn.
    let next = key("two");
    rig.provider.lock().unwrap().published = vec![next.signing.as_verification_key()];
    let fetches = rig.provider.lock().unwrap().jwks_fetches;
    let flow = rig.begin(ORG_ADMIN).await;
    let token = rig.sign(&next, &rig.claims(&flow, ORG_ADMIN));
    let r = rig.answer(&flow, token, &sub).await;
    assert_eq!(r.status(), 303, "signed with the rotated key: accepted");
    assert!(session_cookie(&r).is_some());
    assert_eq!(rig.provider.lock().unwrap().jwks_fetches, fetches + 1);
    // Tokens signed with the withdrawn key are refused from now on.
    let flow = rig.begin(ORG_ADMIN).await;
    let old = key("one");
    let token = rig.sign(&old, &rig.claims(&flow, ORG_ADMIN));
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token, &sub).await;
    rig.assert_refused(r, n, "no matching key", "withdrawn key")
        .await;
}

#[tokio::test]
async fn a_hostile_partner_idp_creates_no_user_and_cannot_reach_another_realm() {
    let mut rig = Rig::new().await;
    let erin = "erin.engineer@acme.test";
    let count = |store: Store, login: &'static str| async move {
        store.user_by_login(login).await.unwrap().is_some()
    };

    // Acme's IdP answers with a token signed by a key it never published.
    let flow = rig.begin(erin).await;
    assert_eq!(
        flow.tenant, "acme",
        "identifier-first routing to Acme's IdP"
    );
    let token = rig.sign(&key("stray"), &rig.claims(&flow, erin));
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token, &format!("sub-{erin}")).await;
    rig.assert_refused(r, n, "no matching key", "partner: bad key")
        .await;
    assert!(
        !count(rig.store.clone(), erin).await,
        "no JIT user was created"
    );

    // Acme's IdP asserting a Globex address: never provisioned outside Acme's
    // domains, never linked to Globex's users.
    let flow = rig.begin(erin).await;
    let mut claims = rig.claims(&flow, "bob.admin@globex.test");
    claims["sub"] = json!("sub-takeover");
    let token = rig.sign(&rig.signer, &claims);
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token, "sub-takeover").await;
    assert_eq!(r.status(), 403, "cross-realm assertion refused");
    assert!(session_cookie(&r).is_none());
    assert_eq!(rig.failures().await.len(), n + 1);

    // A token from Acme's tenant presented to a Globex flow: wrong issuer.
    let flow = rig.begin("gina.green@globex.test").await;
    assert_eq!(flow.tenant, "globex");
    let mut claims = rig.claims(&flow, "gina.green@globex.test");
    claims["iss"] = json!(format!("{}/acme", rig.idp));
    claims["aud"] = json!("partner-portal");
    let token = rig.sign(&rig.signer, &claims);
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token, "sub-gina.green@globex.test").await;
    rig.assert_refused(r, n, "issuer", "partner: other tenant's issuer")
        .await;
    assert!(!count(rig.store.clone(), "gina.green@globex.test").await);

    // And the control: a good answer provisions Erin just in time into Acme.
    let flow = rig.begin(erin).await;
    let token = rig.sign(&rig.signer, &rig.claims(&flow, erin));
    let r = rig.answer(&flow, token, &format!("sub-{erin}")).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/me");
    assert!(count(rig.store.clone(), erin).await);
}

#[tokio::test]
async fn each_surface_admits_only_those_it_is_for() {
    let mut rig = Rig::new().await;
    let base = rig.portal.base.clone();
    let get = |path: &str, cookie: Option<&str>| {
        let mut request = client().get(format!("{base}{path}"));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie.to_string());
        }
        request.send()
    };

    // Signed out: gated pages send to sign-in and back; /me and /login render.
    let r = get("/users?status=ACTIVE", None).await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/login?return_to=%2Fusers%3Fstatus%3DACTIVE"
    );
    assert_eq!(get("/admin", None).await.unwrap().status(), 303);
    assert_eq!(get("/login", None).await.unwrap().status(), 200);
    assert_eq!(get("/me", None).await.unwrap().status(), 200);

    let olivia = rig.sign_in(ORG_ADMIN).await;
    let alice = rig.sign_in("alice.admin@acme.test").await;
    let hugo = rig.sign_in("hugo.host@hostco.test").await;

    // The org admin enters both surfaces.
    assert_eq!(get("/", Some(&olivia)).await.unwrap().status(), 200);
    assert_ne!(get("/admin", Some(&olivia)).await.unwrap().status(), 403);
    // A partner admin enters the portal, not the admin console.
    assert_eq!(get("/", Some(&alice)).await.unwrap().status(), 200);
    let r = get("/admin", Some(&alice)).await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Org admins only"));
    // Someone without any admin role is sent to their apps.
    let r = get("/", Some(&hugo)).await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/me");
    assert_eq!(get("/users", Some(&hugo)).await.unwrap().status(), 303);
    assert_eq!(get("/admin", Some(&hugo)).await.unwrap().status(), 403);
    assert_eq!(get("/me", Some(&hugo)).await.unwrap().status(), 200);
}

#[tokio::test]
async fn server_functions_answer_not_found_for_another_realms_users() {
    let mut rig = Rig::new().await;
    let alice = rig.sign_in("alice.admin@acme.test").await;
    let bob = rig
        .store
        .user_by_login("bob.admin@globex.test")
        .await
        .unwrap()
        .unwrap();
    let dana = rig
        .store
        .user_by_login("dana.designer@acme.test")
        .await
        .unwrap()
        .unwrap();
    let globex = bob.realm_id.to_string();
    let call = |endpoint: &str, body: String| {
        client()
            .post(format!("{}/api/{endpoint}", rig.portal.base))
            .header("cookie", alice.clone())
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let text = |r: reqwest::Response| async move { r.text().await.unwrap() };

    // Her own realm's user: found, with the actions her role allows.
    let own = text(call("users/get", format!("id={}", dana.id)).await.unwrap()).await;
    assert!(own.contains("dana.designer@acme.test"), "{own}");
    assert!(own.contains("suspend"), "{own}");

    // Bob (Globex): not found for reading and for every lifecycle operation.
    let read = text(call("users/get", format!("id={}", bob.id)).await.unwrap()).await;
    assert!(
        read.contains("notFound") && !read.contains("globex"),
        "{read}"
    );
    for op in ["suspend", "deactivate", "clear_sessions", "reset_factors"] {
        let r = text(
            call("users/lifecycle", format!("id={}&op={op}", bob.id))
                .await
                .unwrap(),
        )
        .await;
        assert!(r.contains("notFound"), "{op}: {r}");
    }
    let still = rig
        .store
        .user_by_login("bob.admin@globex.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.status, bob.status, "nothing happened to Bob");

    // Her home counts and shows Acme only.
    let home = text(call("home/overview", String::new()).await.unwrap()).await;
    assert!(home.contains("Acme") && !home.contains("Globex"), "{home}");
    // Its realms list holds Acme, not Globex.
    let realms = text(call("realms/list", String::new()).await.unwrap()).await;
    assert!(
        realms.contains("acme.test") && !realms.contains("globex"),
        "{realms}"
    );
    // Nor does its activity show Globex's users.
    let log = text(call("activity/list", String::new()).await.unwrap()).await;
    assert!(log.contains("Dana Designer"), "{log}");
    assert!(
        !log.contains("Bob Admin") && !log.contains("Gary Gearbox"),
        "{log}"
    );
    // Searching and listing never surface him.
    let list = text(call("users/list", "search=bob.admin".into()).await.unwrap()).await;
    assert!(!list.contains("bob.admin"), "{list}");
    // Creating a user in Globex is not among her choices.
    let form = text(call("users/create_form", String::new()).await.unwrap()).await;
    assert!(!form.contains(&globex), "{form}");
    let create = text(
        call(
            "users/create",
            format!(
                "realm_id={globex}&login=x%40globex.test&email=x%40globex.test&first_name=X&last_name=Y"
            ),
        )
        .await
        .unwrap(),
    )
    .await;
    assert!(create.contains("realmId"), "{create}");
    assert!(rig
        .store
        .user_by_login("x@globex.test")
        .await
        .unwrap()
        .is_none());
}

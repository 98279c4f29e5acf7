//! The portal as an OpenID Provider, over HTTP against the real server with
//! the demo directory: the Partner Wiki (a confidential web client) signs an
//! assigned user in; everyone else is refused with the no-access page; and
//! each protocol attack is refused with the OAuth error the spec names.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::authz::{check, Permission, Principal, Target};
use app::ids::AppId;
use app::model::{LifecycleOp, User};
use app::store::log::LogFilter;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use base64::Engine as _;
use common::client;
use common::oidc::{key, now, Rig};
use hmac::Mac;
use openidconnect::PrivateSigningKey as _;
use serde_json::{json, Value};
use sha2::Digest;

const WIKI: &str = "partner-wiki";
const WIKI_SECRET: &str = "partner-wiki-demo-secret";
const ALICE: &str = "alice.admin@acme.test";
const VERIFIER: &str = "a-pkce-verifier-that-is-long-enough-0123456789abcdefghij";

fn challenge(verifier: &str) -> String {
    B64.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn wiki_redirect(rig: &Rig) -> String {
    format!("{}/callback", app::store::seed::wiki_base(&rig.portal.base))
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

async fn user(rig: &Rig, login: &str) -> User {
    rig.store
        .system_user_by_login(login)
        .await
        .unwrap()
        .unwrap()
}

async fn wiki_id(rig: &Rig) -> AppId {
    rig.store
        .app_id_by_label("Partner Wiki")
        .await
        .unwrap()
        .unwrap()
}

/// Assigns (or unassigns) the Partner Wiki to `login` directly, as the system.
async fn assign_wiki(rig: &Rig, login: &str, assign: bool) {
    let store = &rig.store;
    let org = app::store::setup::bootstrap(store, "http://127.0.0.1")
        .await
        .unwrap();
    let u = user(rig, login).await;
    let target = store.facts_of_user(&org.orn, &u).await.unwrap();
    let app_target = Target::App {
        id: wiki_id(rig).await,
        app_type: "oidc_client".into(),
    };
    let system = Principal::system();
    let user_grant = check(&system, Permission::UsersAppAssignmentManage, &target).unwrap();
    let app_grant = check(&system, Permission::AppsAssignmentManage, &app_target).unwrap();
    if assign {
        store.assign_app(&user_grant, &app_grant).await.unwrap();
    } else {
        store.unassign_app(&user_grant, &app_grant).await.unwrap();
    }
}

/// `/oauth2/v1/authorize` for the wiki in the browser holding `cookie`.
async fn authorize(rig: &Rig, cookie: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let redirect = wiki_redirect(rig);
    let challenge = challenge(VERIFIER);
    let mut query: Vec<(&str, &str)> = vec![
        ("client_id", WIKI),
        ("redirect_uri", &redirect),
        ("response_type", "code"),
        ("scope", "openid profile email offline_access"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        query.retain(|(q, _)| q != k);
        query.push((k, v));
    }
    client()
        .get(format!("{}/oauth2/v1/authorize", rig.portal.base))
        .query(&query)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

fn location(r: &reqwest::Response) -> url::Url {
    url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap()
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.to_string())
}

/// A code for the wiki, the user signed in with `cookie` and assigned.
async fn code(rig: &Rig, cookie: &str) -> String {
    let r = authorize(rig, cookie, &[]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let to = location(&r);
    assert!(to.as_str().starts_with(&wiki_redirect(rig)), "{to}");
    assert_eq!(param(&to, "state").as_deref(), Some("st-1"));
    assert_eq!(param(&to, "iss").as_deref(), Some(rig.portal.base.as_str()));
    param(&to, "code").unwrap()
}

async fn token(rig: &Rig, auth: Option<String>, form: &[(&str, &str)]) -> (u16, Value) {
    let mut request = client()
        .post(format!("{}/oauth2/v1/token", rig.portal.base))
        .form(form);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    assert_eq!(
        r.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    (status, json_of(r).await)
}

async fn exchange(rig: &Rig, code: &str) -> (u16, Value) {
    let redirect = wiki_redirect(rig);
    exchange_as(rig, (WIKI, WIKI_SECRET), code, &redirect, VERIFIER).await
}

/// The code exchange as the client `(id, secret)` presents it.
async fn exchange_as(
    rig: &Rig,
    (id, secret): (&str, &str),
    code: &str,
    redirect: &str,
    verifier: &str,
) -> (u16, Value) {
    token(
        rig,
        Some(basic(id, secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn refresh(rig: &Rig, refresh_token: &str) -> (u16, Value) {
    token(
        rig,
        Some(basic(WIKI, WIKI_SECRET)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

async fn userinfo(rig: &Rig, access_token: &str) -> (u16, Value) {
    let r = client()
        .get(format!("{}/oauth2/v1/userinfo", rig.portal.base))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), json_of(r).await)
}

async fn published_keys(rig: &Rig) -> Vec<Value> {
    let jwks: Value = client()
        .get(format!("{}/oauth2/v1/keys", rig.portal.base))
        .send()
        .await
        .map(json_of)
        .unwrap()
        .await;
    jwks["keys"].as_array().unwrap().clone()
}

async fn event_types(rig: &Rig) -> Vec<String> {
    let page = rig
        .store
        .list_events(
            &app::authz::log_scope(&Principal::system()),
            &LogFilter::default(),
            None,
            500,
        )
        .await
        .unwrap();
    page.items
        .iter()
        .map(|e| e.event["eventType"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn json_of(r: reqwest::Response) -> Value {
    serde_json::from_str(&r.text().await.unwrap_or_default()).unwrap_or(Value::Null)
}

fn assert_error(got: &(u16, Value), status: u16, error: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"], error, "{}", got.1);
}

#[tokio::test]
async fn an_assigned_user_signs_in_to_the_wiki_and_anyone_else_is_refused() {
    let mut rig = Rig::new().await;
    let base = rig.portal.base.clone();

    // Discovery names this portal as the issuer and its endpoints.
    let doc: Value = client()
        .get(format!("{base}/.well-known/openid-configuration"))
        .send()
        .await
        .map(json_of)
        .unwrap()
        .await;
    assert_eq!(doc["issuer"], base);
    assert_eq!(doc["token_endpoint"], format!("{base}/oauth2/v1/token"));
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));

    // Signed out: the provider sends the browser to sign in, and back.
    let r = authorize(&rig, "", &[]).await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        to.starts_with("/login?return_to=%2Foauth2%2Fv1%2Fauthorize"),
        "{to}"
    );
    // prompt=none without a session: login_required, back at the app.
    let r = authorize(&rig, "", &[("prompt", "none")]).await;
    assert_eq!(
        param(&location(&r), "error").as_deref(),
        Some("login_required")
    );

    // Alice (Acme) is not assigned the wiki: the page says so, the log too.
    let cookie = rig.sign_in(ALICE).await;
    let r = authorize(&rig, &cookie, &[]).await;
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("You don&#39;t have access to this app — ask your partner admin."),
        "{body}"
    );
    assert!(event_types(&rig)
        .await
        .contains(&"app.generic.unauth_app_access_attempt".to_string()));

    // Asked silently (prompt=none), the app hears it: no page.
    let r = authorize(&rig, &cookie, &[("prompt", "none")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        param(&location(&r), "error").as_deref(),
        Some("access_denied")
    );

    // Assigned, she gets a code, then tokens.
    assign_wiki(&rig, ALICE, true).await;
    let code = code(&rig, &cookie).await;
    let (status, tokens) = exchange(&rig, &code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    let id_token = tokens["id_token"].as_str().unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();

    // The ID token verifies with the published key and says who, for whom.
    let keys = published_keys(&rig).await;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["alg"], "RS256");
    assert!(keys[0].get("d").is_none(), "no private part is published");
    let claims = app::oidc::tokens::verify_own(id_token, &keys, &base, Some(WIKI), true).unwrap();
    let alice = user(&rig, ALICE).await;
    assert_eq!(claims["sub"], alice.id.as_str());
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["email"], ALICE);
    assert_eq!(claims["name"], "Alice Admin");
    assert_eq!(claims["realm"], "Acme");
    assert_eq!(claims["groups"], json!(["Acme Engineering"]));
    assert_eq!(claims["at_hash"], app::oidc::tokens::at_hash(access));

    // Userinfo answers for the access token; introspection knows the refresh token.
    let (status, info) = userinfo(&rig, access).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["preferred_username"], ALICE);
    let r = client()
        .post(format!("{base}/oauth2/v1/introspect"))
        .header("authorization", basic(WIKI, WIKI_SECRET))
        .form(&[("token", refresh_token.as_str())])
        .send()
        .await
        .unwrap();
    let intro: Value = json_of(r).await;
    assert_eq!(intro["active"], true, "{intro}");
    assert_eq!(intro["token_type"], "refresh_token");

    // Refresh rotates; the old refresh token presented again revokes the
    // whole family, the new one included.
    let (status, second) = refresh(&rig, &refresh_token).await;
    assert_eq!(status, 200, "{second}");
    let newer = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(newer, refresh_token);
    assert_error(&refresh(&rig, &refresh_token).await, 400, "invalid_grant");
    assert_error(&refresh(&rig, &newer).await, 400, "invalid_grant");
    let (status, _) = userinfo(&rig, second["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 401, "the family's access tokens are revoked too");

    let types = event_types(&rig).await;
    for t in [
        "user.authentication.sso",
        "app.oauth2.token.grant.access_token",
        "app.oauth2.token.grant.id_token",
        "app.oauth2.token.grant.refresh_token",
        "app.oauth2.token.detect_reuse",
    ] {
        assert!(types.contains(&t.to_string()), "{t} missing from {types:?}");
    }
}

#[tokio::test]
async fn protocol_attacks_are_refused_with_the_errors_the_spec_names() {
    let mut rig = Rig::new().await;
    let base = rig.portal.base.clone();
    let cookie = rig.sign_in(ALICE).await;
    assign_wiki(&rig, ALICE, true).await;
    let redirect = wiki_redirect(&rig);

    // A redirect URI that is not registered exactly: no redirect at all.
    let r = authorize(&rig, &cookie, &[("redirect_uri", &format!("{redirect}/x"))]).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    // Unknown client: the same.
    let r = authorize(&rig, &cookie, &[("client_id", "nobody")]).await;
    assert_eq!(r.status(), 400);
    // PKCE plain is refused, back at the app.
    let r = authorize(&rig, &cookie, &[("code_challenge_method", "plain")]).await;
    assert_eq!(
        param(&location(&r), "error").as_deref(),
        Some("invalid_request")
    );

    // A code is single-use: the second exchange fails and revokes the first's tokens.
    let c = code(&rig, &cookie).await;
    let (status, first) = exchange(&rig, &c).await;
    assert_eq!(status, 200);
    assert_error(&exchange(&rig, &c).await, 400, "invalid_grant");
    let (status, _) = userinfo(&rig, first["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 401, "a replayed code revokes what it issued");
    assert_error(
        &refresh(&rig, first["refresh_token"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    );

    // PKCE verifier mismatch; redirect_uri mismatch at the token endpoint.
    let c = code(&rig, &cookie).await;
    let wrong = "another-verifier-that-is-long-enough-0123456789abcdefghijk";
    assert_error(
        &exchange_as(&rig, (WIKI, WIKI_SECRET), &c, &redirect, wrong).await,
        400,
        "invalid_grant",
    );
    let c = code(&rig, &cookie).await;
    assert_error(
        &exchange_as(
            &rig,
            (WIKI, WIKI_SECRET),
            &c,
            "http://127.0.0.1:3400/other",
            VERIFIER,
        )
        .await,
        400,
        "invalid_grant",
    );

    // A wrong secret is invalid_client (401).
    let c = code(&rig, &cookie).await;
    assert_error(
        &exchange_as(&rig, (WIKI, "not-the-secret"), &c, &redirect, VERIFIER).await,
        401,
        "invalid_client",
    );

    // A code issued to the wiki, presented by another client.
    let (other_id, other_secret) = register_other_app(&rig).await;
    assert_error(
        &exchange_as(
            &rig,
            (other_id.as_str(), other_secret.as_str()),
            &c,
            &redirect,
            VERIFIER,
        )
        .await,
        400,
        "invalid_grant",
    );

    // An expired code.
    let c = code(&rig, &cookie).await;
    expire_codes(&rig).await;
    assert_error(&exchange(&rig, &c).await, 400, "invalid_grant");

    // A token for a user who is then deactivated: their refresh tokens are
    // gone at once, and nothing issued to them works any more.
    let c = code(&rig, &cookie).await;
    let (_, tokens) = exchange(&rig, &c).await;
    let alice = user(&rig, ALICE).await;
    let wiki = wiki_id(&rig).await;
    assert_eq!(live(&rig, &alice, &wiki).await, 1);
    lifecycle(&rig, ALICE, LifecycleOp::Deactivate).await;
    assert_eq!(live(&rig, &alice, &wiki).await, 0);
    assert_error(
        &refresh(&rig, tokens["refresh_token"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    );
    let (status, _) = userinfo(&rig, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 401);

    // Parameters as JSON instead of a form: the OAuth error, not a framework's.
    let r = client()
        .post(format!("{base}/oauth2/v1/token"))
        .header("content-type", "application/json")
        .body("{\"grant_type\":\"client_credentials\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(json_of(r).await["error"], "invalid_request");

    // The discovery document names no algorithm but RS256 for ID tokens.
    let doc: Value = client()
        .get(format!("{base}/.well-known/openid-configuration"))
        .send()
        .await
        .map(json_of)
        .unwrap()
        .await;
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
}

#[tokio::test]
async fn unassigning_the_app_ends_the_users_refresh_tokens_at_once() {
    let mut rig = Rig::new().await;
    let cookie = rig.sign_in(ALICE).await;
    assign_wiki(&rig, ALICE, true).await;
    let c = code(&rig, &cookie).await;
    let (_, tokens) = exchange(&rig, &c).await;
    let alice = user(&rig, ALICE).await;
    let wiki = wiki_id(&rig).await;
    assert_eq!(live(&rig, &alice, &wiki).await, 1);
    assign_wiki(&rig, ALICE, false).await;
    assert_eq!(live(&rig, &alice, &wiki).await, 0);
    assert_error(
        &refresh(&rig, tokens["refresh_token"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    );
    // And the next sign-in to the app is refused.
    let r = authorize(&rig, &cookie, &[]).await;
    assert_eq!(r.status(), 403);

    // Clearing her sessions ends the apps' grants too.
    assign_wiki(&rig, ALICE, true).await;
    let c = code(&rig, &cookie).await;
    let (_, tokens) = exchange(&rig, &c).await;
    assert_eq!(live(&rig, &alice, &wiki).await, 1);
    lifecycle(&rig, ALICE, LifecycleOp::ClearSessions).await;
    assert_eq!(live(&rig, &alice, &wiki).await, 0);
    let (status, _) = userinfo(&rig, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn rp_initiated_logout_ends_the_portal_session_and_returns_to_a_registered_uri() {
    let mut rig = Rig::new().await;
    let base = rig.portal.base.clone();
    let cookie = rig.sign_in(ALICE).await;
    assign_wiki(&rig, ALICE, true).await;
    let c = code(&rig, &cookie).await;
    let (_, tokens) = exchange(&rig, &c).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let wiki_home = format!("{}/", app::store::seed::wiki_base(&base));
    let logout = |uri: &str| {
        client()
            .get(format!("{base}/oauth2/v1/logout"))
            .query(&[
                ("id_token_hint", id_token),
                ("post_logout_redirect_uri", uri),
                ("state", "bye"),
            ])
            .header("cookie", &cookie)
            .send()
    };
    // Not registered: refused, the session stays.
    let r = logout("https://evil.example/").await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(authorize(&rig, &cookie, &[]).await.status(), 303);
    assert!(location(&authorize(&rig, &cookie, &[]).await)
        .as_str()
        .contains("code="));

    let r = logout(&wiki_home).await.unwrap();
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(to.as_str().starts_with(&wiki_home));
    assert_eq!(param(&to, "state").as_deref(), Some("bye"));
    // The portal session is over: the next authorize asks to sign in.
    let r = authorize(&rig, &cookie, &[]).await;
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
}

#[tokio::test]
async fn client_assertions_must_be_signed_with_the_registered_key_and_its_algorithm() {
    let rig = Rig::new().await;
    let base = rig.portal.base.clone();
    let signer = key("two");
    let jwk = serde_json::to_value(signer.signing.as_verification_key()).unwrap();
    let client_id = register_service(&rig, &json!({ "keys": [jwk.clone()] })).await;
    let endpoint = format!("{base}/oauth2/v1/token");
    let claims = |jti: &str| {
        json!({
            "iss": client_id, "sub": client_id, "aud": endpoint,
            "exp": now() + 60, "iat": now(), "jti": jti,
        })
    };
    let grant = |assertion: String| {
        let rig = &rig;
        async move {
            token(
                rig,
                None,
                &[
                    ("grant_type", "client_credentials"),
                    ("scope", "wiki.read"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &assertion),
                ],
            )
            .await
        }
    };
    // RS256 with the registered key: a token for the service itself.
    let ok = grant(rig.sign(&signer, &claims("j-1"))).await;
    assert_eq!(ok.0, 200, "{}", ok.1);
    assert_eq!(ok.1["scope"], "wiki.read");
    assert!(ok.1.get("id_token").is_none());
    // A scope it is not registered for.
    let mut other = claims("j-5");
    other["jti"] = json!("j-5");
    let asked = token(
        &rig,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "wiki.admin"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &rig.sign(&signer, &other)),
        ],
    )
    .await;
    assert_error(&asked, 400, "invalid_scope");
    // An assertion that lives too long.
    let mut long = claims("j-6");
    long["exp"] = json!(now() + 3600);
    assert_error(
        &grant(rig.sign(&signer, &long)).await,
        401,
        "invalid_client",
    );
    // The same assertion again: a replay.
    assert_error(
        &grant(rig.sign(&signer, &claims("j-1"))).await,
        401,
        "invalid_client",
    );

    // alg confusion: HS256 keyed with the registered public key.
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": signer.kid});
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims("j-2").to_string())
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(jwk.to_string().as_bytes()).unwrap();
    mac.update(input.as_bytes());
    let hs256 = format!("{input}.{}", B64.encode(mac.finalize().into_bytes()));
    assert_error(&grant(hs256).await, 401, "invalid_client");
    // alg none.
    let none = format!(
        "{}.{}.",
        B64.encode(json!({"alg": "none"}).to_string()),
        B64.encode(claims("j-3").to_string())
    );
    assert_error(&grant(none).await, 401, "invalid_client");
    // Signed by another key.
    let stray = key("stray");
    assert_error(
        &grant(rig.sign(&stray, &claims("j-4"))).await,
        401,
        "invalid_client",
    );
}

#[tokio::test]
async fn the_signing_key_rotates_and_the_old_one_stays_published_for_its_tokens() {
    let mut rig = Rig::new().await;
    let cookie = rig.sign_in(ALICE).await;
    assign_wiki(&rig, ALICE, true).await;
    let c = code(&rig, &cookie).await;
    let (_, first) = exchange(&rig, &c).await;
    assert_eq!(published_keys(&rig).await.len(), 1);
    age_signing_keys(&rig).await;
    let c = code(&rig, &cookie).await;
    let (_, second) = exchange(&rig, &c).await;
    let keys = published_keys(&rig).await;
    assert_eq!(
        keys.len(),
        2,
        "the new key signs, the old one is still published"
    );
    let kid = |t: &Value| {
        let header = t["id_token"]
            .as_str()
            .unwrap()
            .split('.')
            .next()
            .unwrap()
            .to_string();
        let header: Value = serde_json::from_slice(&B64.decode(header).unwrap()).unwrap();
        header["kid"].as_str().unwrap().to_string()
    };
    assert_ne!(kid(&first), kid(&second));
    // Tokens signed by the retired key still work until they expire.
    assert_eq!(
        userinfo(&rig, first["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
    assert_eq!(
        userinfo(&rig, second["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
}

// ---------------------------------------------------------------- set-up helpers

/// How many live refresh tokens `user` holds for `app`.
async fn live(rig: &Rig, user: &User, app: &AppId) -> i64 {
    rig.store.live_refresh_tokens(&user.id, app).await.unwrap()
}

async fn lifecycle(rig: &Rig, login: &str, op: LifecycleOp) {
    let org = app::store::setup::bootstrap(&rig.store, "http://127.0.0.1")
        .await
        .unwrap();
    let u = user(rig, login).await;
    let target = rig.store.facts_of_user(&org.orn, &u).await.unwrap();
    let grant = check(
        &Principal::system(),
        Permission::for_lifecycle_op(op),
        &target,
    )
    .unwrap();
    rig.store.apply_lifecycle(&grant, op).await.unwrap();
}

async fn new_oidc_app(rig: &Rig, label: &str) -> (app::authz::Grant, AppId) {
    let system = Principal::system();
    let grant = check(&system, Permission::AppsManage, &Target::Org).unwrap();
    let app = rig
        .store
        .create_app(&grant, "oidc_client", label, "OPENID_CONNECT")
        .await
        .unwrap();
    let target = Target::App {
        id: app.id.clone(),
        app_type: "oidc_client".into(),
    };
    (
        check(&system, Permission::AppsManage, &target).unwrap(),
        app.id,
    )
}

/// Another web app with its own client secret.
async fn register_other_app(rig: &Rig) -> (String, String) {
    let (grant, _) = new_oidc_app(rig, "Order Tracker").await;
    let view = app::views::apps::OidcClientView {
        application_type: "web".into(),
        auth_method: "client_secret_basic".into(),
        redirect_uris: vec![wiki_redirect(rig)],
        grant_types: vec!["authorization_code".into()],
        access_token_minutes: 60,
        id_token_minutes: 60,
        refresh_token_days: 1,
        ..Default::default()
    };
    let registration = app::oidc::Registration::from_view(&view).unwrap();
    let (client, secret) = rig
        .store
        .set_oauth_client(&grant, registration)
        .await
        .unwrap();
    (client.client_id, secret.expect("a new secret"))
}

/// A service app authenticating with `private_key_jwt` and these keys.
async fn register_service(rig: &Rig, jwks: &Value) -> String {
    let (grant, _) = new_oidc_app(rig, "Inventory Sync").await;
    let view = app::views::apps::OidcClientView {
        application_type: "service".into(),
        auth_method: "private_key_jwt".into(),
        grant_types: vec!["client_credentials".into()],
        access_token_minutes: 60,
        id_token_minutes: 60,
        refresh_token_days: 1,
        jwks: jwks.to_string(),
        scopes: vec!["wiki.read wiki.write".into()],
        ..Default::default()
    };
    let registration = app::oidc::Registration::from_view(&view).unwrap();
    let (client, secret) = rig
        .store
        .set_oauth_client(&grant, registration)
        .await
        .unwrap();
    assert!(secret.is_none(), "a private_key_jwt client has no secret");
    client.client_id
}

async fn raw(rig: &Rig, sql: &str) {
    let pool = sqlx::AnyPool::connect(&rig.portal.database_url)
        .await
        .unwrap();
    sqlx::query(sql).execute(&pool).await.unwrap();
}

async fn expire_codes(rig: &Rig) {
    raw(
        rig,
        "UPDATE oauth_codes SET expires_at = '2000-01-01T00:00:00.000Z'",
    )
    .await;
}

async fn age_signing_keys(rig: &Rig) {
    raw(
        rig,
        "UPDATE oauth_signing_keys SET created = '2000-01-01T00:00:00.000Z'",
    )
    .await;
}

#[tokio::test]
async fn the_management_api_creates_and_shows_openid_connect_apps_in_oktas_shape() {
    let rig = Rig::new().await;
    let admin = common::api::api(
        &rig,
        &common::api::token(&rig, common::oidc::ORG_ADMIN, "apps"),
    );
    let body = json!({
        "name": "oidc_client",
        "label": "Parts Catalog",
        "signOnMode": "OPENID_CONNECT",
        "credentials": { "oauthClient": { "token_endpoint_auth_method": "client_secret_post" } },
        "settings": { "oauthClient": {
            "application_type": "web",
            "redirect_uris": ["https://parts.example.com/callback"],
            "post_logout_redirect_uris": ["https://parts.example.com/"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "initiate_login_uri": "https://parts.example.com/login"
        } }
    });
    let made = admin.call("POST", "/apps", Some(body.clone())).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let oauth = &made.body["credentials"]["oauthClient"];
    assert_eq!(oauth["token_endpoint_auth_method"], "client_secret_post");
    let client_id = oauth["client_id"].as_str().unwrap().to_string();
    let secret = oauth["client_secret"].as_str().unwrap().to_string();
    assert_eq!(
        made.body["settings"]["oauthClient"]["redirect_uris"],
        json!(["https://parts.example.com/callback"])
    );
    // Read back: the same registration, never the secret.
    let id = made.body["id"].as_str().unwrap();
    let read = admin.get(&format!("/apps/{id}")).await;
    assert_eq!(
        read.body["credentials"]["oauthClient"]["client_id"],
        client_id.as_str()
    );
    assert!(read.body["credentials"]["oauthClient"]
        .get("client_secret")
        .is_none());
    assert!(!read.body.to_string().contains(&secret));
    // The list shows it the same way (clients read in one scoped query).
    let list = admin.get("/apps?limit=200").await;
    let listed = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
        .unwrap();
    assert_eq!(
        listed["credentials"]["oauthClient"]["client_id"],
        client_id.as_str()
    );
    assert!(!list.body.to_string().contains(&secret));
    // The secret works at the token endpoint (client_secret_post), for a
    // grant the client is registered for only.
    let answer = token(
        &rig,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_error(&answer, 400, "unauthorized_client");

    // Bad settings: Okta's error object naming the field, nothing made.
    let mut bad = body.clone();
    bad["settings"]["oauthClient"]["redirect_uris"] = json!(["http://parts.example.com/cb"]);
    let refused = admin.call("POST", "/apps", Some(bad)).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.code(), "E0000001");
    assert_eq!(
        refused.body["errorCauses"][0]["errorSummary"]
            .as_str()
            .map(|s| s.contains("redirect_uris")),
        Some(true),
        "{}",
        refused.body
    );
    // A partner admin's token may not create apps.
    let partner = common::api::api(&rig, &common::api::token(&rig, ALICE, "alice"));
    assert_eq!(partner.call("POST", "/apps", Some(body)).await.status, 403);
}

//! Hostile identity providers and forged callbacks, against the real server
//! binary: a small OpenID provider in this test (discovery, JWKS, token and
//! userinfo endpoints; RSA keys of its own) answers each sign-in with exactly the
//! token a scenario wants. Every bad answer must be refused, start no session,
//! and leave a FAILURE `user.session.start` event saying what was wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use openidconnect::PrivateSigningKey;
use serde_json::{json, Value};

use app::store::Store;
use common::client;
use common::oidc::*;

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
        store.system_user_by_login(login).await.unwrap().is_some()
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
        .system_user_by_login("bob.admin@globex.test")
        .await
        .unwrap()
        .unwrap();
    let dana = rig
        .store
        .system_user_by_login("dana.designer@acme.test")
        .await
        .unwrap()
        .unwrap();
    let globex = bob.realm_id.to_string();
    let call = |endpoint: &str, body: String| {
        client()
            .post(format!("{}/_fn/{endpoint}", rig.portal.base))
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
        .system_user_by_login("bob.admin@globex.test")
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
        .system_user_by_login("x@globex.test")
        .await
        .unwrap()
        .is_none());
}

/// The threat matrix's rows 3–6 beyond the basics: an issuer ending in `/`
/// works as configured; a missing `aud`, a wrong `azp`, an HS256 token made
/// with the client secret (key confusion) are refused; without a `kid` the
/// one published key verifies, and several keys are not guessed between.
#[tokio::test]
async fn issuers_audiences_algorithms_and_key_ids_at_the_edges() {
    use hmac::Mac;
    // An issuer with a trailing slash (as Auth0's) signs in.
    let mut slash = Rig::with_org_tenant("auth0").await;
    let flow = slash.begin(ORG_ADMIN).await;
    assert_eq!(flow.tenant, "auth0");
    let token = slash.sign(&slash.signer, &slash.claims(&flow, ORG_ADMIN));
    let r = slash
        .answer(&flow, token, &format!("sub-{ORG_ADMIN}"))
        .await;
    assert_eq!(r.status(), 303, "an issuer ending in / signs in");

    let mut rig = Rig::new().await;
    let sub = format!("sub-{ORG_ADMIN}");
    let unsigned = |header: Value, claims: &Value| {
        format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        )
    };

    // No audience at all.
    let flow = rig.begin(ORG_ADMIN).await;
    let mut claims = rig.claims(&flow, ORG_ADMIN);
    claims.as_object_mut().unwrap().remove("aud");
    let token = rig.sign(&rig.signer, &claims);
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token, &sub).await;
    rig.assert_refused(r, n, "", "missing aud").await;

    // One audience, ours, but issued to another party (azp).
    let flow = rig.begin(ORG_ADMIN).await;
    let mut claims = rig.claims(&flow, ORG_ADMIN);
    claims["azp"] = json!("another-client");
    let token = rig.sign(&rig.signer, &claims);
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token, &sub).await;
    rig.assert_refused(r, n, "azp", "wrong azp").await;

    // HS256 keyed with the client secret: never accepted.
    let flow = rig.begin(ORG_ADMIN).await;
    let input = unsigned(
        json!({"alg": "HS256", "typ": "JWT"}),
        &rig.claims(&flow, ORG_ADMIN),
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"very-secret-value").unwrap();
    mac.update(input.as_bytes());
    let token = format!("{input}.{}", B64.encode(mac.finalize().into_bytes()));
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token, &sub).await;
    rig.assert_refused(r, n, "", "HS256 with the client secret")
        .await;

    // No kid, one key published: that key verifies.
    let flow = rig.begin(ORG_ADMIN).await;
    let input = unsigned(
        json!({"alg": "RS256", "typ": "JWT"}),
        &rig.claims(&flow, ORG_ADMIN),
    );
    let sig = rig
        .signer
        .signing
        .sign(
            &openidconnect::core::CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            input.as_bytes(),
        )
        .unwrap();
    let r = rig
        .answer(&flow, format!("{input}.{}", B64.encode(&sig)), &sub)
        .await;
    assert_eq!(r.status(), 303, "no kid, one key");

    // No kid, two keys published: refused, not guessed.
    let other = key("two");
    rig.provider.lock().unwrap().published = vec![
        rig.signer.signing.as_verification_key(),
        other.signing.as_verification_key(),
    ];
    let flow = rig.begin(ORG_ADMIN).await;
    let input = unsigned(
        json!({"alg": "RS256", "typ": "JWT"}),
        &rig.claims(&flow, ORG_ADMIN),
    );
    let sig = other
        .signing
        .sign(
            &openidconnect::core::CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            input.as_bytes(),
        )
        .unwrap();
    let n = rig.failures().await.len();
    let r = rig
        .answer(&flow, format!("{input}.{}", B64.encode(&sig)), &sub)
        .await;
    rig.assert_refused(r, n, "", "no kid, several keys").await;
}

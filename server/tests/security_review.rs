//! Regressions for the security review's findings that need the real server
//! (`shared/reference/security-review.md`): sign-in, redirects, outbound
//! fetches, headers, limits and the server functions' escalation rules. Each
//! test names the finding it proves closed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use app::authz::{scope, Permission, Principal};
use app::store::log::LogFilter;
use common::client;
use common::oidc::*;
use serde_json::{json, Value};

/// A server-function call as a browser would make it.
async fn call(rig: &Rig, cookie: &str, endpoint: &str, body: String) -> (u16, String) {
    call_with(rig, cookie, endpoint, body, &[]).await
}

async fn call_with(
    rig: &Rig,
    cookie: &str,
    endpoint: &str,
    body: String,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut request = client()
        .post(format!("{}/_fn/{endpoint}", rig.portal.base))
        .header("cookie", cookie.to_string())
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let r = request.body(body).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A TCP listener that only counts the connections made to it.
async fn canary() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    (format!("http://{addr}"), hits)
}

/// F5: `return_to` is resolved against the portal's origin and must stay on
/// it; every hostile variant signs in to the home page instead.
#[tokio::test]
async fn f5_return_to_never_leaves_the_portal() {
    let mut rig = Rig::new().await;
    let sub = format!("sub-{ORG_ADMIN}");
    for (raw, expected) in [
        ("/users?status=ACTIVE", "/users?status=ACTIVE"),
        ("/\t/evil.example", "/"),
        ("/\t\\evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("/\r\n/evil.example", "/"),
        ("/%09/evil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("https://evil.example/", "/"),
    ] {
        // Straight to /auth/login (a link, with an IdP session one click)…
        let flow = rig.begin_with(ORG_ADMIN, Some(raw)).await;
        let token = rig.sign(&rig.signer, &rig.claims(&flow, ORG_ADMIN));
        let r = rig.answer(&flow, token, &sub).await;
        assert_eq!(r.status(), 303, "{raw:?}");
        assert_eq!(r.headers()["location"], expected, "{raw:?}");
        // …and through the sign-in page, which hands its form the value.
        let carried = login_page_return_to(&rig, raw).await;
        let flow = rig.begin_with(ORG_ADMIN, Some(&carried)).await;
        let token = rig.sign(&rig.signer, &rig.claims(&flow, ORG_ADMIN));
        let r = rig.answer(&flow, token, &sub).await;
        assert_eq!(r.headers()["location"], expected, "/login with {raw:?}");
    }
}

/// The `return_to` the sign-in page puts in its form for `/login?return_to=raw`.
async fn login_page_return_to(rig: &Rig, raw: &str) -> String {
    let page = client()
        .get(format!("{}/login", rig.portal.base))
        .query(&[("return_to", raw)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = page
        .find("name=\"return_to\"")
        .expect("the form carries return_to");
    let tag = &page[page[..at].rfind('<').unwrap()..];
    let tag = &tag[..tag.find('>').unwrap()];
    let value = tag
        .split("value=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .unwrap_or_default();
    value
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// L1: an ID token issued a day ago is refused, whatever its `exp`.
#[tokio::test]
async fn l1_an_id_token_issued_long_ago_is_refused() {
    let mut rig = Rig::new().await;
    let flow = rig.begin(ORG_ADMIN).await;
    let mut claims = rig.claims(&flow, ORG_ADMIN);
    claims["iat"] = json!(now() - 86_400);
    claims["exp"] = json!(now() + 300);
    let token = rig.sign(&rig.signer, &claims);
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token, &format!("sub-{ORG_ADMIN}")).await;
    rig.assert_refused(r, n, "too long ago", "iat a day old")
        .await;
}

/// F1: the org IdP needs a verified email to bind an account, and never
/// signs into an account a partner IdP created.
#[tokio::test]
async fn f1_the_org_idp_needs_a_verified_email_and_never_takes_a_partner_account() {
    let mut rig = Rig::new().await;
    let hugo = "hugo.host@hostco.test";
    let flow = rig.begin(hugo).await;
    assert_eq!(flow.tenant, "org");
    let mut claims = rig.claims(&flow, hugo);
    claims["email_verified"] = json!(false);
    let token = rig.sign(&rig.signer, &claims);
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token, &format!("sub-{hugo}")).await;
    rig.assert_refused(r, n, "did not verify", "unverified email")
        .await;

    // Erin is created just in time by Acme's IdP…
    let erin = "erin.engineer@acme.test";
    rig.sign_in(erin).await;
    // …then the org IdP asserts her address (a flow started without a hint
    // goes to the org IdP).
    let flow = rig.begin_with("", None).await;
    assert_eq!(flow.tenant, "org");
    let mut claims = rig.claims(&flow, erin);
    claims["sub"] = json!("sub-org-erin");
    let token = rig.sign(&rig.signer, &claims);
    let n = rig.failures().await.len();
    let r = rig.answer(&flow, token, "sub-org-erin").await;
    rig.assert_refused(
        r,
        n,
        "partner's identity provider",
        "org IdP into a partner account",
    )
    .await;
}

/// F2: the wizard's review page (a GET any site can trigger) fetches
/// nothing; issuers are parsed, and internal or disguised addresses are
/// refused without a request.
#[tokio::test]
async fn f2_no_outbound_fetch_on_a_get_nor_to_internal_addresses() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let (internal, hits) = canary().await;
    let issuer = format!("{internal}/internal/admin?q=");
    let r = client()
        .get(format!("{}/admin/wizard", rig.portal.base))
        .query(&[
            ("step", "review"),
            ("name", "x"),
            ("domains", ""),
            ("idp_issuer", issuer.as_str()),
            ("idp_client_id", "x"),
        ])
        .header("cookie", olivia.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let _ = r.text().await.unwrap();
    // The review as a server function call: also no request (whatever
    // else it finds wrong with the form).
    let host = internal.trim_start_matches("http://");
    let (status, body) = call(
        &rig,
        &olivia,
        "admin/wizard/review",
        format!(
            "name=x&domains=&idp_issuer={}&idp_client_id=x",
            urlencode(&format!("{internal}/x"))
        ),
    )
    .await;
    assert!(status == 200 || status == 400, "{body}");
    assert!(!body.contains("could not be read"), "{body}");
    for issuer in [
        format!("http://localhost@{host}/x#"),
        "http://localhost@169.254.169.254/latest/meta-data/#".to_string(),
        "https://10.0.0.5:8443/actuator?".to_string(),
        format!("{internal}/x?"),
        "http://127.0.0.1.nip.example/x".to_string(),
    ] {
        let (status, body) = call(
            &rig,
            &olivia,
            "admin/idps/create",
            format!(
                "name=ssrf&issuer={}&client_id=x&client_secret=y",
                urlencode(&issuer)
            ),
        )
        .await;
        assert_eq!(status, 400, "{issuer}: {body}");
        assert!(body.contains("issuer"), "{issuer}: {body}");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "no request reached the internal address"
    );

    // A discovery document naming an internal jwks_uri is refused by name.
    let (pivot, _) = pivot_idp().await;
    let (status, body) = call(
        &rig,
        &olivia,
        "admin/idps/create",
        format!(
            "name=pivot&issuer={}&client_id=x&client_secret=y",
            urlencode(&pivot)
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("may not fetch") && body.contains("10.0.0.1/jwks"),
        "{body}"
    );
}

/// An IdP on loopback (allowed in tests) whose discovery document sends the
/// portal's key fetch to a private address.
async fn pivot_idp() -> (String, tokio::task::JoinHandle<()>) {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = format!("{base}/pivot");
    let doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": "https://10.0.0.1/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    let app = axum::Router::new().route(
        "/pivot/.well-known/openid-configuration",
        get(move || {
            let doc = doc.clone();
            async move { axum::Json(doc) }
        }),
    );
    let handle = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (issuer, handle)
}

/// As the org admin (`cookie`): a custom role with `permissions`, a resource
/// set of `orns`, and a binding of the two to `member` (`login=…` or
/// `group_id=…`), through the admin console's server functions.
async fn bind_custom_role(
    rig: &Rig,
    cookie: &str,
    label: &str,
    permissions: &[&str],
    orns: &[String],
    member: &str,
) {
    let mut role = format!("label={}&description=x", urlencode(label));
    for (i, p) in permissions.iter().enumerate() {
        role.push_str(&format!("&permissions[{i}]={p}"));
    }
    ok(call(rig, cookie, "admin/roles/create", role).await);
    let set_label = format!("{label} set");
    ok(call(
        rig,
        cookie,
        "admin/resource-sets/create",
        format!(
            "label={}&description=x&orns={}",
            urlencode(&set_label),
            urlencode(&orns.join("\n"))
        ),
    )
    .await);
    let role = rig.store.role_id_by_label(label).await.unwrap().unwrap();
    let sets = rig.store.list_resource_sets(&common::iam()).await.unwrap();
    let set = sets.iter().find(|rs| rs.label == set_label).unwrap();
    ok(call(
        rig,
        cookie,
        "admin/bindings/add",
        format!("resource_set_id={}&role_id={role}&{member}", set.id),
    )
    .await);
}

async fn user(rig: &Rig, login: &str) -> app::model::User {
    rig.store
        .system_user_by_login(login)
        .await
        .unwrap()
        .unwrap()
}

async fn group_named(rig: &Rig, name: &str) -> app::model::Group {
    rig.store
        .list_groups(&scope(&Principal::system(), Permission::GroupsRead))
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.name == name)
        .unwrap()
}

/// A call's answer, which must be a success: its body.
fn ok((status, body): (u16, String)) -> String {
    assert_eq!(status, 200, "{body}");
    body
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// F8: changing an IdP's issuer or client id needs the client secret again
/// (the stored one never goes to a new issuer).
#[tokio::test]
async fn f8_a_new_issuer_needs_the_secret_again() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let acme = rig
        .store
        .idp_by_name("Acme sign-in")
        .await
        .unwrap()
        .unwrap();
    let (status, body) = call(
        &rig,
        &olivia,
        "admin/idps/update",
        format!(
            "id={}&expected={}&name={}&issuer={}&client_id={}&client_secret=&jit=on&routing_domains=acme.test",
            acme.id,
            urlencode(&acme.last_updated),
            urlencode(&acme.name),
            urlencode("https://attacker.example"),
            acme.client_id
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("clientSecret"), "{body}");
    let after = rig.store.system_idp_by_id(&acme.id).await.unwrap().unwrap();
    assert_eq!(after.issuer, acme.issuer, "nothing changed");
}

/// F10: `X-Forwarded-For` from an untrusted peer is not the audit IP, and an
/// unauthenticated callback error logs no caller-chosen text.
#[tokio::test]
async fn f10_audit_ip_and_callback_errors_are_not_caller_chosen() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let dana = user(&rig, "dana.designer@acme.test").await;
    let (status, body) = call_with(
        &rig,
        &olivia,
        "users/lifecycle",
        format!("id={}&op=clear_sessions", dana.id),
        &[
            ("x-forwarded-for", "203.0.113.66"),
            ("x-portal-client-ip", "198.51.100.7"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let events = events(&rig, "user.session.clear").await;
    let ip = events[0]["client"]["ipAddress"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(ip, "127.0.0.1", "{:?}", events[0]["client"]);

    let n = rig.failures().await.len();
    let r = client()
        .get(format!(
            "{}/auth/callback?error=x&error_description=Call%20evil.example%20now",
            rig.portal.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let failures = rig.failures().await;
    assert_eq!(failures.len(), n + 1);
    let reason = failures.last().unwrap();
    assert!(!reason.contains("evil"), "{reason}");
    assert!(reason.contains("unknown_error"), "{reason}");
}

async fn events(rig: &Rig, event_type: &str) -> Vec<Value> {
    rig.store
        .list_events(
            &app::authz::log_scope(&Principal::system()),
            &LogFilter {
                event_type: Some(event_type.into()),
                ..LogFilter::default()
            },
            None,
            50,
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.event)
        .collect()
}

/// Nobody locks themselves out: suspending, deactivating or clearing the
/// sessions of one's own account is refused.
#[tokio::test]
async fn admins_cannot_lock_themselves_out() {
    let mut rig = Rig::new().await;
    let alice = rig.sign_in("alice.admin@acme.test").await;
    let me = user(&rig, "alice.admin@acme.test").await;
    for op in ["suspend", "deactivate", "clear_sessions"] {
        let (status, body) = call(
            &rig,
            &alice,
            "users/lifecycle",
            format!("id={}&op={op}", me.id),
        )
        .await;
        assert_eq!(status, 409, "{op}: {body}");
        assert!(body.contains("your own account"), "{op}: {body}");
    }
    let still = rig.store.system_user_by_id(&me.id).await.unwrap().unwrap();
    assert_eq!(still.status, me.status);
}

/// F6b: adding someone to a group hands out the group's apps, so it needs the
/// assignment right on each of them.
#[tokio::test]
async fn f6b_joining_a_group_needs_the_right_to_assign_its_apps() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let alice = rig.sign_in("alice.admin@acme.test").await;
    let system = Principal::system();
    let wiki = rig
        .store
        .list_apps(&scope(&system, Permission::AppsRead))
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.label == "Partner Wiki")
        .unwrap();
    let partners = group_named(&rig, "All Partners").await;
    let ivan = user(&rig, "ivan.installer@acme.test").await;
    // Take Partner Wiki out of Alice's resource set.
    let sets = rig.store.list_resource_sets(&common::iam()).await.unwrap();
    let (set, orn) = sets
        .iter()
        .find_map(|rs| {
            rs.orns
                .iter()
                .find(|o| o.ends_with(wiki.id.as_str()))
                .map(|o| (rs.id.clone(), o.clone()))
        })
        .unwrap();
    let (status, body) = call(
        &rig,
        &olivia,
        "admin/resource-sets/change",
        format!("id={set}&remove={}", urlencode(&orn)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Adding Ivan to All Partners would hand him the wiki; removing Dana
    // would take it away: both refused, nothing changes.
    let (status, body) = call(
        &rig,
        &alice,
        "groups/membership",
        format!("group_id={}&op=add&user_id={}", partners.id, ivan.id),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let dana = user(&rig, "dana.designer@acme.test").await;
    let (status, body) = call(
        &rig,
        &alice,
        "groups/membership",
        format!("group_id={}&op=remove&user_id={}", partners.id, dana.id),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(!rig
        .store
        .user_group_ids(&ivan.id)
        .await
        .unwrap()
        .contains(&partners.id));
    assert!(rig
        .store
        .user_group_ids(&dana.id)
        .await
        .unwrap()
        .contains(&partners.id));
}

/// L5, L6: pages and server-function answers are `no-store`; pages and
/// exports (GET) are rate limited.
#[tokio::test]
async fn l5_l6_pages_are_not_cached_and_reads_are_rate_limited() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let r = client()
        .get(format!("{}/users", rig.portal.base))
        .header("cookie", olivia.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let r = client()
        .post(format!("{}/_fn/session/current_user", rig.portal.base))
        .header("cookie", olivia.clone())
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");

    let portal = common::start(common::Options {
        reads_per_minute: "5",
        ..common::Options::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let r = client()
            .get(format!("{}/login", portal.base))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(r.headers().contains_key("x-rate-limit-limit"));
        }
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    // Health checks are not limited.
    let r = client()
        .get(format!("{}/readyz", portal.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// F6a: a conditioned permission covers only its attributes, so a partner
/// admin (profile edits limited to names, email and phones) may not join a
/// group that confers the unconditioned permission.
#[tokio::test]
async fn f6a_conditions_count_in_the_anti_escalation_rule() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let alice = rig.sign_in("alice.admin@acme.test").await;
    let me = user(&rig, "alice.admin@acme.test").await;
    let org_id = rig.store.org_setting("org_id").await.unwrap().unwrap();
    let acme = rig.store.realm_by_name("Acme").await.unwrap().unwrap();
    ok(call(
        &rig,
        &olivia,
        "admin/groups/create",
        "name=Acme+power+users&description=x".into(),
    )
    .await);
    let group = group_named(&rig, "Acme power users").await;
    bind_custom_role(
        &rig,
        &olivia,
        "Acme power",
        &["okta.users.userprofile.manage"],
        &[format!(
            "orn:okta:directory:{org_id}:realms:{}:contained_resources",
            acme.id
        )],
        &format!("group_id={}", group.id),
    )
    .await;
    let sets = rig.store.list_resource_sets(&common::iam()).await.unwrap();
    // The group is put in Alice's resource set, so she manages its members.
    let alice_set = sets
        .iter()
        .find(|rs| {
            rs.label != "Acme power set"
                && rs
                    .orns
                    .iter()
                    .any(|o| o.ends_with(&format!("realms:{}", acme.id)))
        })
        .unwrap();
    ok(call(
        &rig,
        &olivia,
        "admin/resource-sets/change",
        format!("id={}&groups[0]={}", alice_set.id, group.id),
    )
    .await);
    let (status, body) = call(
        &rig,
        &alice,
        "groups/membership",
        format!("group_id={}&op=add&user_id={}", group.id, me.id),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(!rig
        .store
        .user_group_ids(&me.id)
        .await
        .unwrap()
        .contains(&group.id));
}

/// F9: admin-console reads are limited to the users the caller may read
/// (operation items, realm admins), and whoever executes a plan must be
/// able to move every user in it.
#[tokio::test]
async fn f9_admin_console_reads_and_executions_respect_the_users_scope() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let org_id = rig.store.org_setting("org_id").await.unwrap().unwrap();
    let acme = rig.store.realm_by_name("Acme").await.unwrap().unwrap();
    let gary = user(&rig, "gary.gearbox@globex.test").await;
    // Hugo: realms (all of them) and Acme's users, nothing else.
    bind_custom_role(
        &rig,
        &olivia,
        "Realm mover",
        &["okta.realms.manage", "okta.users.manage"],
        &[
            format!("orn:okta:directory:{org_id}:realms"),
            format!(
                "orn:okta:directory:{org_id}:realms:{}:contained_resources",
                acme.id
            ),
        ],
        "login=hugo.host%40hostco.test",
    )
    .await;
    let hugo = rig.sign_in("hugo.host@hostco.test").await;

    // Olivia plans moving Gary (Globex) to a new realm.
    ok(call(
        &rig,
        &olivia,
        "admin/realms/create",
        "name=Holding&domains=".into(),
    )
    .await);
    let holding = rig.store.realm_by_name("Holding").await.unwrap().unwrap();
    let op = ok(call(
        &rig,
        &olivia,
        "admin/users/move",
        format!("ids[0]={}&realm_id={}", gary.id, holding.id),
    )
    .await);
    let op: String = serde_json::from_str(&op).unwrap();

    // Hugo sees the plan but not whom it moves…
    let view = ok(call(&rig, &hugo, "admin/operations/get", format!("id={op}")).await);
    assert!(!view.contains("gary.gearbox"), "{view}");
    // …nor Globex's admins in the realm report.
    let realms = ok(call(&rig, &hugo, "admin/realms", String::new()).await);
    assert!(realms.contains("Globex"), "{realms}");
    assert!(!realms.contains("bob.admin@globex.test"), "{realms}");
    assert!(realms.contains("alice.admin@acme.test"), "{realms}");
    // …and cannot execute it: it moves a user he may not manage.
    let (status, body) = call(&rig, &hugo, "admin/operations/execute", format!("id={op}")).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("may not manage"), "{body}");
    let still = rig
        .store
        .system_user_by_id(&gary.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.realm_id, gary.realm_id);
    // Olivia can.
    ok(call(
        &rig,
        &olivia,
        "admin/operations/execute",
        format!("id={op}"),
    )
    .await);
}

/// Okta's view limit: the generated Partner Admin role sees and sets the
/// base profile only; custom attributes need a role that grants them (the
/// user page, the create form and creation itself).
#[tokio::test]
async fn the_partner_admin_role_sees_and_sets_no_custom_attribute() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let alice = rig.sign_in("alice.admin@acme.test").await;
    ok(call(
        &rig,
        &olivia,
        "admin/schema/define",
        "name=costCenter&title=Cost+center&attr_type=string".into(),
    )
    .await);
    let dana = user(&rig, "dana.designer@acme.test").await;
    ok(call(
        &rig,
        &olivia,
        "users/update_profile",
        format!(
            "id={}&version={}&custom[costCenter]=CC-4711",
            dana.id, dana.version
        ),
    )
    .await);
    // The org admin sees it; the partner admin does not.
    let seen = ok(call(&rig, &olivia, "users/get", format!("id={}", dana.id)).await);
    assert!(seen.contains("CC-4711"), "{seen}");
    let hidden = ok(call(&rig, &alice, "users/get", format!("id={}", dana.id)).await);
    assert!(
        !hidden.contains("CC-4711") && !hidden.contains("costCenter"),
        "{hidden}"
    );
    assert!(hidden.contains("dana.designer@acme.test"), "{hidden}");
    // Nor is it offered, or accepted, when she creates a user.
    let form = ok(call(&rig, &alice, "users/create_form", String::new()).await);
    assert!(!form.contains("costCenter"), "{form}");
    let acme = rig.store.realm_by_name("Acme").await.unwrap().unwrap();
    let (status, body) = call(
        &rig,
        &alice,
        "users/create",
        format!(
            "realm_id={}&login=nina.new%40acme.test&email=nina.new%40acme.test&first_name=Nina&last_name=New&custom[costCenter]=CC-1",
            acme.id
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("costCenter"), "{body}");
    assert!(rig
        .store
        .system_user_by_login("nina.new@acme.test")
        .await
        .unwrap()
        .is_none());
}

/// F8a: binding an IdP to a realm (or letting it create accounts there)
/// needs the right to create users in that realm.
#[tokio::test]
async fn f8a_an_idp_is_bound_only_to_a_realm_its_admin_may_create_users_in() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let org_id = rig.store.org_setting("org_id").await.unwrap().unwrap();
    bind_custom_role(
        &rig,
        &olivia,
        "IdP admin",
        &["okta.identityProviders.manage"],
        &[format!("orn:okta:idp:{org_id}:identity_providers")],
        "login=alice.admin%40acme.test",
    )
    .await;
    let alice = rig.sign_in("alice.admin@acme.test").await;
    let globex = rig.store.realm_by_name("Globex").await.unwrap().unwrap();
    let acme = rig.store.realm_by_name("Acme").await.unwrap().unwrap();
    let form = |name: &str, realm: &str| {
        format!(
            "name={name}&issuer={}&client_id=partner-portal&client_secret=s&realm_id={realm}&jit=on&routing_domains=",
            urlencode(&format!("{}/acme", rig.idp))
        )
    };
    let (status, body) = call(
        &rig,
        &alice,
        "admin/idps/create",
        form("Evil", globex.id.as_str()),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("realmId"), "{body}");
    assert!(rig.store.idp_by_name("Evil").await.unwrap().is_none());
    // Unbound with JIT on would create accounts in the default realm: refused too.
    let (status, body) = call(&rig, &alice, "admin/idps/create", form("Loose", "")).await;
    assert_eq!(status, 400, "{body}");
    // Her own realm: allowed.
    ok(call(
        &rig,
        &alice,
        "admin/idps/create",
        form("Acme second", acme.id.as_str()),
    )
    .await);
}

/// F10: the activity export of a partner admin leaves out the IP address
/// and user agent of events other admins made.
#[tokio::test]
async fn f10_the_partner_export_hides_other_admins_ip_and_user_agent() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let alice = rig.sign_in("alice.admin@acme.test").await;
    let dana = user(&rig, "dana.designer@acme.test").await;
    let (status, body) = call_with(
        &rig,
        &olivia,
        "users/lifecycle",
        format!("id={}&op=clear_sessions", dana.id),
        &[("user-agent", "OrgAdminBrowser/1.0")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let export = |cookie: String| {
        let base = rig.portal.base.clone();
        async move {
            client()
                .get(format!(
                    "{base}/activity/export.jsonl?type=user.session.clear"
                ))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let partner = export(alice).await;
    assert!(partner.contains(dana.id.as_str()), "{partner}");
    assert!(!partner.contains("OrgAdminBrowser"), "{partner}");
    assert!(!partner.contains("ipAddress"), "{partner}");
    let org = export(olivia).await;
    assert!(org.contains("OrgAdminBrowser"), "{org}");
}

/// L5 and the sliding idle timeout: over https the portal sends HSTS, and a
/// signed-in request renews the session cookie (its idle time starts again).
#[tokio::test]
async fn l5_hsts_over_https_and_the_idle_timeout_slides() {
    let portal = common::start(common::Options {
        public_url: Some("https://portal.example"),
        ..common::Options::default()
    })
    .await;
    let r = client()
        .get(format!("{}/login", portal.base))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age="),
        "{:?}",
        r.headers()
    );
    let mut rig = Rig::new().await;
    let r = client()
        .get(format!("{}/login", rig.portal.base))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().get("strict-transport-security").is_none(),
        "plain http: none"
    );
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let r = client()
        .get(format!("{}/users", rig.portal.base))
        .header("cookie", olivia)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        set_cookies(&r)
            .iter()
            .any(|c| c.starts_with("portal_session=") && c.contains("Max-Age")),
        "{:?}",
        set_cookies(&r)
    );
}

/// L10 (RFC 9207): an authorization response naming another issuer is
/// refused (IdP mix-up).
#[tokio::test]
async fn l10_an_authorization_response_from_another_issuer_is_refused() {
    let mut rig = Rig::new().await;
    let flow = rig.begin(ORG_ADMIN).await;
    let token = rig.sign(&rig.signer, &rig.claims(&flow, ORG_ADMIN));
    rig.codes += 1;
    let code = format!("code-{}", rig.codes);
    rig.provider.lock().unwrap().plans.insert(
        code.clone(),
        Plan {
            id_token: token,
            userinfo_sub: format!("sub-{ORG_ADMIN}"),
            code_challenge: flow.code_challenge.clone(),
        },
    );
    let n = rig.failures().await.len();
    let r = client()
        .get(format!("{}/auth/callback", rig.portal.base))
        .query(&[
            ("code", code.as_str()),
            ("state", flow.state.as_str()),
            ("iss", &format!("{}/globex", rig.idp)),
        ])
        .header("cookie", flow.binding_cookie.clone())
        .send()
        .await
        .unwrap();
    rig.assert_refused(r, n, "another issuer", "iss of another IdP")
        .await;
}

/// L12 and row 27: deactivating a partner IdP ends the sessions started
/// through it, and a sign-in it was handling is refused with that reason.
#[tokio::test]
async fn l12_deactivating_an_idp_ends_its_sessions_and_its_sign_ins() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let erin = rig.sign_in("erin.engineer@acme.test").await;
    let current = |cookie: String| {
        let base = rig.portal.base.clone();
        async move {
            client()
                .post(format!("{base}/_fn/session/current_user"))
                .header("cookie", cookie)
                .header("sec-fetch-site", "same-origin")
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert!(current(erin.clone()).await.contains("erin.engineer"));
    // A sign-in through Acme's IdP is under way when it is deactivated.
    let pending = rig.begin("erin.engineer@acme.test").await;
    let acme = rig
        .store
        .idp_by_name("Acme sign-in")
        .await
        .unwrap()
        .unwrap();
    let (status, body) = call(
        &rig,
        &olivia,
        "admin/idps/status",
        format!("id={}&active=false", acme.id),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !current(erin).await.contains("erin.engineer"),
        "her session ended"
    );
    let token = rig.sign(
        &rig.signer,
        &rig.claims(&pending, "erin.engineer@acme.test"),
    );
    let n = rig.failures().await.len();
    let r = rig
        .answer(&pending, token, "sub-erin.engineer@acme.test")
        .await;
    rig.assert_refused(r, n, "deactivated", "callback through a deactivated IdP")
        .await;
}

/// Row 11: deployed over https, the sign-in binding and session cookies are
/// `__Host-` prefixed, `Secure`, `HttpOnly`, `SameSite=Lax`, path `/`, and
/// name no domain.
#[tokio::test]
async fn cookies_are_host_only_secure_and_http_only_over_https() {
    let mut rig = Rig::secure().await;
    let r = client()
        .get(format!("{}/auth/login", rig.portal.base))
        .query(&[("login_hint", ORG_ADMIN)])
        .send()
        .await
        .unwrap();
    let binding = set_cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("__Host-portal_signin="))
        .expect("the binding cookie is __Host- prefixed");
    let flow = rig.begin(ORG_ADMIN).await;
    let token = rig.sign(&rig.signer, &rig.claims(&flow, ORG_ADMIN));
    let r = rig.answer(&flow, token, &format!("sub-{ORG_ADMIN}")).await;
    assert_eq!(r.status(), 303);
    let session = set_cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("__Host-portal_session="))
        .expect("the session cookie is __Host- prefixed");
    for cookie in [binding, session] {
        let attributes: Vec<String> = cookie
            .split(';')
            .skip(1)
            .map(|a| a.trim().to_lowercase())
            .collect();
        for wanted in ["secure", "httponly", "samesite=lax", "path=/"] {
            assert!(attributes.iter().any(|a| a == wanted), "{wanted}: {cookie}");
        }
        assert!(
            !attributes.iter().any(|a| a.starts_with("domain")),
            "{cookie}"
        );
    }
}

/// Row 29: a server killed (`SIGKILL`) while writing keeps every change it
/// acknowledged, each with its event, and the System Log's chain verifies.
#[tokio::test]
async fn a_killed_server_keeps_what_it_acknowledged_and_its_log_verifies() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let dana = user(&rig, "dana.designer@acme.test").await;
    let base = rig.portal.base.clone();
    let store = rig.store.clone();
    let id = dana.id.clone();
    let done = Arc::new(AtomicUsize::new(0));
    let counted = done.clone();
    // Edits one after another, each acknowledged before the next starts.
    let writer = tokio::spawn(async move {
        let mut acknowledged = Vec::new();
        for i in 0.. {
            let Ok(Some(current)) = store.system_user_by_id(&id).await else {
                break;
            };
            let name = format!("Dana{i}");
            let sent = client()
                .post(format!("{base}/_fn/users/update_profile"))
                .header("cookie", olivia.clone())
                .header("sec-fetch-site", "same-origin")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "id={id}&version={}&profile[firstName]={name}",
                    current.version
                ))
                .send()
                .await;
            match sent {
                Ok(r) if r.status() == 200 => {
                    acknowledged.push(name);
                    counted.fetch_add(1, Ordering::SeqCst);
                }
                _ => break,
            }
        }
        acknowledged
    });
    // Killed while it writes: after a few acknowledged edits, mid-stream.
    while done.load(Ordering::SeqCst) < 5 && !writer.is_finished() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    rig.portal.kill();
    let acknowledged = writer.await.unwrap();
    assert!(
        !acknowledged.is_empty(),
        "some edits were made before the kill"
    );
    // A fresh connection to the same database, as after a restart.
    let store = app::store::Store::connect(
        &rig.portal.database_url,
        &app::store::StoreOptions::default(),
    )
    .await
    .unwrap();
    let after = store.system_user_by_id(&dana.id).await.unwrap().unwrap();
    let last = acknowledged.last().unwrap();
    let n: usize = last.trim_start_matches("Dana").parse().unwrap();
    let kept: usize = after
        .profile
        .first_name
        .trim_start_matches("Dana")
        .parse()
        .unwrap();
    assert!(
        kept >= n,
        "acknowledged {last}, found {}",
        after.profile.first_name
    );
    assert!(
        store
            .count_events("user.account.update_profile")
            .await
            .unwrap() as usize
            >= acknowledged.len(),
        "each acknowledged edit has its event"
    );
    // The operator's check, with the server's own configuration (its key).
    let verify = rig.portal.cli(&["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("intact"));
}

/// Row 9 (session fixation): a session planted in the browser before sign-in
/// is not the one signed in: sign-in issues a new id and the planted record
/// is gone.
#[tokio::test]
async fn sign_in_never_keeps_a_planted_session_id() {
    use sha2::Digest;
    use tower_sessions::cookie::{Cookie, CookieJar, Key};
    use tower_sessions::session::{Id, Record};
    use tower_sessions::SessionStore;
    let mut rig = Rig::new().await;
    // The attacker's session: a real record, its cookie signed as the portal
    // signs them (the tests' session secret).
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(30),
    };
    rig.store.create(&mut record).await.unwrap();
    let key =
        Key::from(sha2::Sha512::digest(b"a-session-secret-of-at-least-32-characters").as_slice());
    let mut jar = CookieJar::new();
    jar.signed_mut(&key)
        .add(Cookie::new("portal_session", record.id.to_string()));
    let planted = jar.get("portal_session").unwrap().value().to_string();
    let flow = rig.begin(ORG_ADMIN).await;
    let token = rig.sign(&rig.signer, &rig.claims(&flow, ORG_ADMIN));
    let cookie = format!("{}; portal_session={planted}", flow.binding_cookie);
    let r = rig
        .callback(
            &flow,
            token,
            &format!("sub-{ORG_ADMIN}"),
            Some(&flow.state.clone()),
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status(), 303);
    let issued = session_cookie(&r).expect("a session cookie is issued");
    assert_ne!(issued, format!("portal_session={planted}"), "a new id");
    assert!(
        rig.store.load(&record.id).await.unwrap().is_none(),
        "the planted record is gone"
    );
}

/// L11: a refusal in the address (`__err`, how forms without JavaScript learn
/// what was wrong) is shown only if this server sent it: a crafted link is
/// sent on to the same page without it.
#[tokio::test]
async fn l11_a_crafted_refusal_in_the_address_is_not_shown() {
    use base64::engine::general_purpose::URL_SAFE;
    use base64::Engine as _;
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let dana = user(&rig, "dana.designer@acme.test").await;
    let page = format!("{}/users/{}", rig.portal.base, dana.id);
    // A genuine refusal: a form post without JavaScript, a stale version.
    let r = client()
        .post(format!("{}/_fn/users/update_profile", rig.portal.base))
        .header("cookie", olivia.clone())
        .header("sec-fetch-site", "same-origin")
        .header("accept", "text/html")
        .header("referer", page.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("id={}&version=999&profile[firstName]=X", dana.id))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.contains("__err=") && location.contains("__errsig="),
        "{location}"
    );
    let shown = client()
        .get(&location)
        .header("cookie", olivia.clone())
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), 200, "the sealed refusal is shown");
    // A crafted one: redirected to the page without it.
    let forged = serde_json::json!({"kind": "validation", "fields": [{"field": "firstName",
        "message": "Your account is compromised: call +1 555 0100 now."}], "values": {}});
    let crafted = format!(
        "{page}?__path=/_fn/users/update_profile&__err={}",
        URL_SAFE.encode(forged.to_string())
    );
    for link in [crafted.clone(), format!("{crafted}&__errsig=00ff")] {
        let r = client()
            .get(&link)
            .header("cookie", olivia.clone())
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{link}");
        let to = r.headers()["location"].to_str().unwrap();
        assert!(!to.contains("__err"), "{to}");
        assert!(to.ends_with(dana.id.as_str()), "{to}");
    }
}

/// Row 3: an IdP whose discovery document names another issuer than the one
/// configured (here: the same address with a trailing `/`) is refused.
#[tokio::test]
async fn a_discovery_document_for_another_issuer_is_refused() {
    let mut rig = Rig::new().await;
    let olivia = rig.sign_in(ORG_ADMIN).await;
    let acme = rig.store.realm_by_name("Acme").await.unwrap().unwrap();
    let (status, body) = call(
        &rig,
        &olivia,
        "admin/idps/create",
        format!(
            "name=Mismatch&issuer={}&client_id=partner-portal&client_secret=s&realm_id={}",
            urlencode(&format!("{}/acme/", rig.idp)),
            acme.id
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("issuer"), "{body}");
    assert!(rig.store.idp_by_name("Mismatch").await.unwrap().is_none());
}

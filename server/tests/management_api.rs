//! The Management API (`/api/v1`) black-box against the real server: API
//! tokens (made with `server api-token create`, as a script would), Okta's
//! error objects, paging and rate-limit headers, the governance scenarios
//! (a read-only admin's token reads every group's members and every app's
//! assignees and changes nothing; a group-membership + app admin's token
//! changes memberships and assignments, each change in the System Log with
//! the token named), and a partner admin's token against every endpoint with
//! another realm's objects: 404 and nothing changed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::authz::{check_iam_change, Principal};
use app::model::StandardRole;
use app::store::admin::Member;
use common::api::{api, events, token, urlencode, user};
use common::oidc::Rig;
use serde_json::{json, Value};

#[tokio::test]
async fn tokens_act_as_their_admin_until_revoked_and_every_answer_is_okta_shaped() {
    let rig = Rig::new().await;
    let olivia = token(&rig, "olivia.owner@hostco.test", "Olivia's script");
    let rita = token(&rig, "rita.reader@acme.test", "Rita's report");
    let o = api(&rig, &olivia);

    // No token, a wrong one: 401 E0000011, Okta's headers all the same.
    for header in [None, Some("SSWS 00wrong"), Some("Bearer whatever")] {
        let mut request = common::client().get(format!("{}/api/v1/users", rig.portal.base));
        if let Some(h) = header {
            request = request.header("authorization", h);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401);
        for name in [
            "x-rate-limit-limit",
            "x-rate-limit-remaining",
            "x-rate-limit-reset",
            "x-okta-request-id",
            "date",
        ] {
            assert!(r.headers().contains_key(name), "{name} missing");
        }
        let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(body["errorCode"], "E0000011");
        assert!(body["errorId"].as_str().unwrap().starts_with("oae"));
    }
    // The Python SDK's header has no space.
    let r = common::client()
        .get(format!("{}/api/v1/realms", rig.portal.base))
        .header("authorization", format!("SSWS{olivia}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // A super admin sees every admin's tokens; Rita only hers.
    let all = o.get("/api-tokens").await;
    assert_eq!(all.status, 200);
    let names: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Olivia's script") && names.contains(&"Rita's report"),
        "{names:?}"
    );
    let r = api(&rig, &rita);
    let hers = r.get("/api-tokens").await;
    let hers = hers.body.as_array().unwrap();
    assert_eq!(hers.len(), 1);
    assert_eq!(hers[0]["name"], "Rita's report");
    assert_eq!(hers[0]["tokenWindow"], "P30D");
    let olivias_id = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Olivia's script")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        r.get(&format!("/api-tokens/{olivias_id}")).await.status,
        404
    );
    assert!(o.get(&format!("/api-tokens/{olivias_id}")).await.body["lastUsed"].is_string());

    // Errors in Okta's shape.
    let bad_json = o.call("POST", "/groups", None).await;
    assert_eq!((bad_json.status, bad_json.code()), (400, "E0000028"));
    let r2 = common::client()
        .post(format!("{}/api/v1/groups", rig.portal.base))
        .header("authorization", format!("SSWS {olivia}"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r2.status().as_u16(), 400);
    let body: Value = serde_json::from_str(&r2.text().await.unwrap()).unwrap();
    assert_eq!(body["errorCode"], "E0000003");
    let nameless = o
        .call("POST", "/realms", Some(json!({"profile": {"name": ""}})))
        .await;
    assert_eq!((nameless.status, nameless.code()), (400, "E0000001"));
    assert!(nameless.body["errorCauses"][0]["errorSummary"]
        .as_str()
        .unwrap()
        .contains("profile.name"));
    let missing = o.get("/users/00uNoSuchUser000000").await;
    assert_eq!((missing.status, missing.code()), (404, "E0000007"));
    assert_eq!(o.get("/no-such-endpoint").await.code(), "E0000007");
    // Rita's role reads groups but may not create them.
    let refused = r
        .call(
            "POST",
            "/groups",
            Some(json!({"profile": {"name": "Nope"}})),
        )
        .await;
    assert_eq!((refused.status, refused.code()), (403, "E0000006"));

    // A change made with a token names the token in the System Log.
    let made = o
        .call(
            "POST",
            "/groups",
            Some(json!({"profile": {"name": "Made by API", "description": "x"}})),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert_eq!(made.body["type"], "OKTA_GROUP");
    assert_eq!(made.body["objectClass"], json!(["okta:user_group"]));
    let created = events(&rig, "group.lifecycle.create").await;
    let event = created
        .iter()
        .find(|e| e["target"][0]["displayName"] == "Made by API")
        .expect("the group's event");
    assert_eq!(
        event["transaction"]["detail"]["requestApiTokenId"],
        olivias_id.as_str()
    );
    assert_eq!(event["actor"]["alternateId"], "olivia.owner@hostco.test");

    // Revoking the token in use ends it at once.
    assert_eq!(
        o.call("DELETE", "/api-tokens/current", None).await.status,
        204
    );
    assert_eq!(o.get("/realms").await.status, 401);
    assert_eq!(events(&rig, "system.api_token.revoke").await.len(), 1);

    // Deactivating Rita ends her token.
    let rita_user = user(&rig, "rita.reader@acme.test").await;
    assert_eq!(r.get("/users").await.status, 200);
    let admin = token(&rig, "olivia.owner@hostco.test", "second");
    let a = api(&rig, &admin);
    let off = a
        .call(
            "POST",
            &format!("/users/{}/lifecycle/deactivate", rita_user.id),
            None,
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(r.get("/users").await.status, 401);

    // Only admins hold tokens.
    let out = rig.portal.cli(&[
        "api-token",
        "create",
        "--admin",
        "hugo.host@hostco.test",
        "--name",
        "x",
    ]);
    assert!(!out.status.success());
}

#[tokio::test]
async fn users_page_with_absolute_links_self_then_next_and_carry_their_realm() {
    let rig = Rig::new().await;
    let o = api(&rig, &token(&rig, "olivia.owner@hostco.test", "pager"));
    let mut url = "/users?limit=2".to_string();
    let mut seen = Vec::new();
    loop {
        let page = o.get(&url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let links: Vec<String> = page
            .headers
            .get_all("link")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert!(links[0].ends_with("rel=\"self\""), "{links:?}");
        assert!(links[0].starts_with(&format!("<{}/api/v1/users?", rig.portal.base)));
        let items = page.body.as_array().unwrap();
        assert!(items.len() <= 2);
        for u in items {
            assert!(u["realmId"].as_str().unwrap().len() > 3, "{u}");
            assert!(u["profile"]["login"].as_str().unwrap().contains('@'));
            seen.push(u["id"].as_str().unwrap().to_string());
        }
        match links.get(1) {
            Some(next) => {
                assert!(next.ends_with("rel=\"next\""));
                url = next[1..next.find('>').unwrap()].to_string();
            }
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "a user came twice");
    assert_eq!(seen.len() as u64, rig.store.count_users().await.unwrap());

    // Okta's search syntax, including realmId.
    let acme = rig.store.realm_by_name("Acme").await.unwrap().unwrap();
    let in_acme = o
        .get(&format!(
            "/users?search={}",
            urlencode(&format!(
                "realmId eq \"{}\" and (status eq \"ACTIVE\" or status eq \"SUSPENDED\")",
                acme.id
            ))
        ))
        .await;
    let logins: Vec<&str> = in_acme
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["profile"]["login"].as_str().unwrap())
        .collect();
    assert!(
        logins.contains(&"sam.suspended@acme.test") && logins.contains(&"alice.admin@acme.test"),
        "{logins:?}"
    );
    assert!(logins.iter().all(|l| l.ends_with("@acme.test")));
    let one = o
        .get(&format!(
            "/users?filter={}",
            urlencode("profile.login eq \"DANA.designer@acme.test\"")
        ))
        .await;
    assert_eq!(one.body.as_array().unwrap().len(), 1);
    let bad = o
        .get(&format!(
            "/users?search={}",
            urlencode("profile.login zz \"x\"")
        ))
        .await;
    assert_eq!((bad.status, bad.code()), (400, "E0000001"));
    // By login, as Okta allows.
    let dana = o.get("/users/dana.designer@acme.test").await;
    assert_eq!(dana.body["profile"]["firstName"], "Dana");
}

#[tokio::test]
async fn governance_tokens_read_everything_or_change_only_memberships_and_assignments() {
    let rig = Rig::new().await;
    let system = Principal::system();
    let iam = check_iam_change(&system).unwrap();
    let hugo = user(&rig, "hugo.host@hostco.test").await;
    rig.store
        .assign_standard_role(
            &iam,
            &Member::User(hugo.id.clone()),
            StandardRole::ReadOnlyAdmin,
        )
        .await
        .unwrap();
    let sid = user(&rig, "sid.sales@hostco.test").await;
    for role in [StandardRole::GroupMembershipAdmin, StandardRole::AppAdmin] {
        rig.store
            .assign_standard_role(&iam, &Member::User(sid.id.clone()), role)
            .await
            .unwrap();
    }
    let reader = api(
        &rig,
        &token(&rig, "hugo.host@hostco.test", "ConductorOne read"),
    );
    let writer = api(
        &rig,
        &token(&rig, "sid.sales@hostco.test", "ConductorOne provisioning"),
    );

    // Every group's members and every app's assignees, read-only.
    let groups = reader.get("/groups").await;
    assert_eq!(groups.status, 200);
    let groups: Vec<Value> = groups.body.as_array().unwrap().clone();
    assert!(groups.len() >= 3);
    let mut members = 0;
    for g in &groups {
        let m = reader
            .get(&format!("/groups/{}/users", g["id"].as_str().unwrap()))
            .await;
        assert_eq!(m.status, 200, "{}", m.body);
        members += m.body.as_array().unwrap().len();
    }
    assert!(members >= 7, "{members}");
    let apps = reader.get("/apps").await;
    let apps: Vec<Value> = apps.body.as_array().unwrap().clone();
    assert_eq!(apps.len(), 3);
    let mut assignments = 0;
    for a in &apps {
        let id = a["id"].as_str().unwrap();
        let users = reader.get(&format!("/apps/{id}/users")).await;
        assert_eq!(users.status, 200);
        assignments += users.body.as_array().unwrap().len();
        let groups = reader.get(&format!("/apps/{id}/groups")).await;
        assert_eq!(groups.status, 200);
        assignments += groups.body.as_array().unwrap().len();
    }
    assert!(assignments >= 2, "{assignments}");
    // And nothing else works.
    let dana = user(&rig, "dana.designer@acme.test").await;
    let group_id = groups[0]["id"].as_str().unwrap();
    let app_id = apps[0]["id"].as_str().unwrap();
    for (method, path, body) in [
        ("PUT", format!("/groups/{group_id}/users/{}", dana.id), None),
        (
            "POST",
            format!("/apps/{app_id}/users"),
            Some(json!({"id": dana.id})),
        ),
        (
            "POST",
            "/groups".to_string(),
            Some(json!({"profile": {"name": "x"}})),
        ),
        (
            "POST",
            format!("/users/{}/lifecycle/suspend", dana.id),
            None,
        ),
    ] {
        let a = reader.call(method, &path, body).await;
        assert_eq!((a.status, a.code()), (403, "E0000006"), "{method} {path}");
    }

    // The provisioning token changes memberships and assignments.
    let wiki = apps
        .iter()
        .find(|a| a["label"] == "Supplier Portal")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let globex_ops = groups
        .iter()
        .find(|g| g["profile"]["name"] == "Globex Operations")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let add = writer
        .call(
            "PUT",
            &format!("/groups/{globex_ops}/users/{}", dana.id),
            None,
        )
        .await;
    assert_eq!(add.status, 204, "{}", add.body);
    // Hugo is an admin now (read-only): his account is beyond this role
    // (anti-escalation); Ivan's is not.
    let refused = writer
        .call(
            "POST",
            &format!("/apps/{wiki}/users"),
            Some(json!({"id": hugo.id})),
        )
        .await;
    assert_eq!((refused.status, refused.code()), (403, "E0000006"));
    let ivan = user(&rig, "ivan.installer@acme.test").await;
    let assign = writer
        .call(
            "POST",
            &format!("/apps/{wiki}/users"),
            Some(json!({"id": ivan.id})),
        )
        .await;
    assert_eq!(assign.status, 200, "{}", assign.body);
    assert_eq!(assign.body["scope"], "USER");
    assert_eq!(
        assign.body["credentials"]["userName"],
        "ivan.installer@acme.test"
    );
    let group_assign = writer
        .call(
            "PUT",
            &format!("/apps/{wiki}/groups/{globex_ops}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(group_assign.status, 200, "{}", group_assign.body);
    assert_eq!(
        writer
            .get(&format!("/groups/{globex_ops}/apps"))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        writer
            .call("DELETE", &format!("/apps/{wiki}/groups/{globex_ops}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        writer
            .call("DELETE", &format!("/apps/{wiki}/users/{}", ivan.id), None)
            .await
            .status,
        204
    );
    assert_eq!(
        writer
            .call(
                "DELETE",
                &format!("/groups/{globex_ops}/users/{}", dana.id),
                None
            )
            .await
            .status,
        204
    );
    for event_type in [
        "group.user_membership.add",
        "group.user_membership.remove",
        "application.user_membership.add",
        "application.user_membership.remove",
        "group.application_assignment.add",
        "group.application_assignment.remove",
    ] {
        let named = events(&rig, event_type)
            .await
            .into_iter()
            .filter(|e| e["transaction"]["detail"]["requestApiTokenId"].is_string())
            .count();
        assert_eq!(named, 1, "{event_type} with the token named");
    }
    // Not the rest: no user lifecycle, no groups of its own.
    let a = writer
        .call(
            "POST",
            &format!("/users/{}/lifecycle/suspend", dana.id),
            None,
        )
        .await;
    assert!(matches!(a.status, 403 | 404), "{}: {}", a.status, a.body);
    assert_eq!(
        user(&rig, "dana.designer@acme.test").await.status,
        dana.status
    );
}

#[tokio::test]
async fn a_partner_admins_token_finds_nothing_of_another_realm_on_any_endpoint() {
    let rig = Rig::new().await;
    let alice = api(&rig, &token(&rig, "alice.admin@acme.test", "Acme sync"));
    let bob = user(&rig, "bob.admin@globex.test").await;
    let gary = user(&rig, "gary.gearbox@globex.test").await;
    let globex = rig.store.realm_by_name("Globex").await.unwrap().unwrap();
    let globex_ops = rig
        .store
        .group_id_by_name("Globex Operations")
        .await
        .unwrap()
        .unwrap();
    let acme_eng = rig
        .store
        .group_id_by_name("Acme Engineering")
        .await
        .unwrap()
        .unwrap();
    let portal = rig
        .store
        .app_id_by_label("Supplier Portal")
        .await
        .unwrap()
        .unwrap();
    let before = rig.store.count_all_events().await.unwrap();
    let profile = json!({"profile": {"firstName": "Hacked"}});
    let (b, g, r) = (
        bob.id.to_string(),
        globex_ops.to_string(),
        globex.id.to_string(),
    );
    let cases: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/users/{b}"), None),
        ("GET", format!("/users/{}", bob.profile.login), None),
        ("POST", format!("/users/{b}"), Some(profile.clone())),
        ("PUT", format!("/users/{b}"), Some(profile.clone())),
        ("DELETE", format!("/users/{b}"), None),
        ("GET", format!("/users/{b}/groups"), None),
        ("GET", format!("/users/{b}/appLinks"), None),
        ("POST", format!("/users/{b}/lifecycle/deactivate"), None),
        ("POST", format!("/users/{b}/lifecycle/suspend"), None),
        ("POST", format!("/users/{b}/lifecycle/unsuspend"), None),
        ("POST", format!("/users/{b}/lifecycle/activate"), None),
        ("POST", format!("/users/{b}/lifecycle/reactivate"), None),
        ("POST", format!("/users/{b}/lifecycle/unlock"), None),
        ("POST", format!("/users/{b}/lifecycle/reset_factors"), None),
        ("GET", format!("/groups/{g}"), None),
        (
            "PUT",
            format!("/groups/{g}"),
            Some(json!({"profile": {"name": "Hacked"}})),
        ),
        ("DELETE", format!("/groups/{g}"), None),
        ("GET", format!("/groups/{g}/users"), None),
        ("GET", format!("/groups/{g}/apps"), None),
        (
            "PUT",
            format!(
                "/groups/{g}/users/{}",
                user(&rig, "alice.admin@acme.test").await.id
            ),
            None,
        ),
        ("PUT", format!("/groups/{acme_eng}/users/{}", gary.id), None),
        ("DELETE", format!("/groups/{g}/users/{}", gary.id), None),
        (
            "POST",
            format!("/apps/{portal}/users"),
            Some(json!({"id": gary.id})),
        ),
        ("DELETE", format!("/apps/{portal}/users/{}", gary.id), None),
        ("GET", format!("/apps/{portal}/users/{}", gary.id), None),
        ("PUT", format!("/apps/{portal}/groups/{g}"), None),
        ("GET", format!("/apps/{portal}/groups/{g}"), None),
        ("DELETE", format!("/apps/{portal}/groups/{g}"), None),
        ("GET", format!("/realms/{r}"), None),
        (
            "PUT",
            format!("/realms/{r}"),
            Some(json!({"profile": {"name": "Hacked"}})),
        ),
        ("DELETE", format!("/realms/{r}"), None),
    ];
    for (method, path, body) in cases {
        let a = alice.call(method, &path, body).await;
        assert_eq!(
            (a.status, a.code()),
            (404, "E0000007"),
            "{method} {path}: {}",
            a.body
        );
    }
    // Lists show none of it.
    let users = alice.get("/users?limit=200").await;
    assert!(users
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["realmId"] != r.as_str()));
    let found = alice
        .get(&format!(
            "/users?search={}",
            urlencode(&format!("realmId eq \"{r}\""))
        ))
        .await;
    assert_eq!(found.body, json!([]));
    assert!(alice
        .get("/realms")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["id"] != r.as_str()));
    assert!(alice
        .get("/groups")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["id"] != g.as_str()));
    // Nothing changed: Bob as he was, no event written.
    let after = user(&rig, "bob.admin@globex.test").await;
    assert_eq!((after.status, after.version), (bob.status, bob.version));
    assert_eq!(rig.store.count_all_events().await.unwrap(), before);
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_what_is_served() {
    let rig = Rig::new().await;
    let doc: Value = serde_json::from_str(
        &common::client()
            .get(format!("{}/api/v1/openapi.json", rig.portal.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let o = api(&rig, &token(&rig, "olivia.owner@hostco.test", "doc check"));
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 40, "{}", paths.len());
    let mut calls = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            assert!(operation["operationId"].is_string() && operation["responses"].is_object());
            if path.ends_with("/api-tokens/current") {
                continue;
            }
            // Every path parameter an id that names nothing: each endpoint
            // answers for itself (404 for the object, 400 for the body), never
            // the router's "no such endpoint" or 405.
            let concrete: String = path
                .split('/')
                .map(|s| match s {
                    // A lifecycle endpoint names its operation in the path.
                    "{op}" => "activate",
                    s if s.starts_with('{') => "zz0NoSuchThing000000",
                    s => s,
                })
                .collect::<Vec<_>>()
                .join("/");
            let url = format!("{}{concrete}", rig.portal.base);
            let body = matches!(method.as_str(), "post" | "put" | "patch").then(|| json!({}));
            let a = o.call(&method.to_uppercase(), &url, body).await;
            assert_ne!(a.status, 405, "{method} {path}");
            assert!(
                !a.body["errorSummary"]
                    .as_str()
                    .unwrap_or("")
                    .contains("no such endpoint"),
                "{method} {path} is documented but not served"
            );
            calls += 1;
        }
    }
    assert!(calls >= 60, "{calls}");
    // And an undocumented path is the router's 404.
    let none = o.get("/no/such/thing").await;
    assert!(none.body["errorSummary"]
        .as_str()
        .unwrap()
        .contains("no such endpoint"));
}

#[tokio::test]
async fn beyond_its_rate_limit_a_token_gets_okta_s_429_with_one_reset_header() {
    let server = common::start(common::Options {
        demo_with_idp_base: Some("http://127.0.0.1:9"),
        api_per_token_per_minute: "3",
        ..common::Options::default()
    })
    .await;
    let out = server.cli(&[
        "api-token",
        "create",
        "--admin",
        "olivia.owner@hostco.test",
        "--name",
        "busy",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let call = || async {
        common::client()
            .get(format!("{}/api/v1/groups", server.base))
            .header("authorization", format!("SSWS {token}"))
            .send()
            .await
            .unwrap()
    };
    // All four calls in one one-minute window: not in its last seconds.
    let second = time::OffsetDateTime::now_utc().unix_timestamp() % 60;
    if second > 50 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - second) as u64)).await;
    }
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let r = call().await;
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["x-rate-limit-limit"], "3");
        remaining.push(
            r.headers()["x-rate-limit-remaining"]
                .to_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let r = call().await;
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers().get_all("x-rate-limit-reset").iter().count(), 1);
    assert!(r.headers().contains_key("date"));
    let reset: i64 = r.headers()["x-rate-limit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(reset > now && reset <= now + 60, "{reset} vs {now}");
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["errorCode"], "E0000047");
}

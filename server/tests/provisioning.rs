//! App provisioning, black-box: the real server with the demo directory
//! provisions into a real SCIM 2.0 service provider (`scim2-server`, PyPI)
//! and, over Org2Org, into a second Partner Portal through its Management
//! API. Assignments create or link accounts, profile edits are pushed,
//! groups pushed with their members, unassigning and suspending deactivate,
//! reassigning and unsuspending reactivate; an app that is down gets the
//! change once it is back; a killed server's delivery is finished by the
//! next without a duplicate; an import matches, flags a conflict and
//! creates a new user through the realm-assignment rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::api::{api, events, token, Api, Console};
use common::oidc::{Rig, ORG_ADMIN};
use common::scim::{eventually, poll, ScimServer, Tenant, TOKEN};
use serde_json::{json, Value};

const IVAN: &str = "ivan.installer@acme.test";
const DANA: &str = "dana.designer@acme.test";
const ALICE: &str = "alice.admin@acme.test";

async fn app_id(admin: &Api, label: &str) -> String {
    let apps = admin.get("/apps").await.body;
    apps.as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == label)
        .unwrap_or_else(|| panic!("no app {label}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn realm_id(admin: &Api, name: &str) -> String {
    let realms = admin.get("/realms").await.body;
    realms
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["profile"]["name"] == name || r["name"] == name)
        .unwrap_or_else(|| panic!("no realm {name}: {realms}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn group_id(admin: &Api, name: &str) -> String {
    let groups = admin
        .get(&format!("/groups?q={}", common::api::urlencode(name)))
        .await
        .body;
    groups.as_array().unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Sets the app's SCIM connection to `tenant` through the Management API.
async fn connect_scim(admin: &Api, app: &str, tenant: &Tenant, import: bool) -> Value {
    let r = admin
        .call(
            "POST",
            &format!("/apps/{app}/connections/default?activate=TRUE"),
            Some(json!({
                "baseUrl": tenant.base,
                "profile": {
                    "authScheme": "TOKEN",
                    "token": TOKEN,
                    "features": { "importUsers": import },
                    "mappings": [
                        "userName = user.profile.login",
                        "name.givenName = user.profile.firstName",
                        "name.familyName = user.profile.lastName",
                        "emails[type eq \"work\"].value = user.profile.email",
                        "title = \"Partner installer\"",
                    ],
                },
            })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// Assigns the app to the user directly, through the Management API.
async fn assign(admin: &Api, app: &str, user: &str) {
    let r = admin
        .call(
            "POST",
            &format!("/apps/{app}/users"),
            Some(json!({ "id": user })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn one_named(tenant: &Tenant, login: &str) -> Option<Value> {
    let found = tenant.users_named(login).await;
    assert!(
        found.len() <= 1,
        "a duplicate account for {login}: {found:?}"
    );
    found.into_iter().next()
}

async fn wait_for_account(
    tenant: &Tenant,
    login: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let check = &check;
    poll(what, || async move {
        one_named(tenant, login).await.filter(|a| check(a))
    })
    .await
}

#[tokio::test]
async fn scim_assignments_profiles_groups_and_lifecycle_reach_the_app() {
    let rig = Rig::new().await;
    let scim = ScimServer::start().await;
    let tenant = scim.tenant("orderdesk");
    let admin = api(&rig, &token(&rig, ORG_ADMIN, "provisioning"));
    let app = app_id(&admin, "Order Desk").await;

    // The connection in Okta's shape; the token is never shown again.
    let saved = connect_scim(&admin, &app, &tenant, false).await;
    assert_eq!(saved["authScheme"], "TOKEN");
    assert_eq!(saved["status"], "ENABLED");
    assert!(!saved.to_string().contains(TOKEN));
    let read = admin.get(&format!("/apps/{app}/connections/default")).await;
    assert_eq!(read.body["baseUrl"], tenant.base);

    // Assign: the account exists with the mapped attributes.
    let ivan = common::api::user(&rig, IVAN).await;
    assign(&admin, &app, ivan.id.as_str()).await;
    let account = wait_for_account(&tenant, IVAN, "Ivan's account", |_| true).await;
    assert_eq!(account["name"]["givenName"], "Ivan");
    assert_eq!(account["name"]["familyName"], "Installer");
    assert_eq!(account["emails"][0]["value"], IVAN);
    assert_eq!(account["title"], "Partner installer");
    assert_eq!(account["externalId"], ivan.id.as_str());
    assert_eq!(account["active"], true);
    let scim_id = account["id"].as_str().unwrap().to_string();
    eventually("the push event", || async {
        !events(&rig, "application.provision.user.push")
            .await
            .is_empty()
    })
    .await;

    // A profile edit is pushed.
    let edited = admin
        .call(
            "POST",
            &format!("/users/{}", ivan.id),
            Some(json!({"profile": {"firstName": "Ivo"}})),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    wait_for_account(&tenant, IVAN, "the new first name", |a| {
        a["name"]["givenName"] == "Ivo"
    })
    .await;

    // Group push: Acme Engineering (Alice, Dana, Ivan) goes to the app with
    // the members that have an account there (only Ivan).
    let engineering = group_id(&admin, "Acme Engineering").await;
    let mapping = admin
        .call(
            "POST",
            &format!("/apps/{app}/group-push/mappings"),
            Some(json!({ "sourceGroupId": engineering, "targetGroupName": "Acme Engineers" })),
        )
        .await;
    assert_eq!(mapping.status, 200, "{}", mapping.body);
    assert_eq!(mapping.body["status"], "ACTIVE");
    let mapping_id = mapping.body["id"].as_str().unwrap().to_string();
    let members = poll("the pushed group with Ivan", || async {
        let groups = tenant.groups_named("Acme Engineers").await;
        groups
            .first()
            .and_then(|g| g["members"].as_array().cloned())
            .filter(|m| m.len() == 1)
    })
    .await;
    assert_eq!(members[0]["value"], scim_id.as_str());
    let pushed = admin
        .get(&format!("/apps/{app}/group-push/mappings/{mapping_id}"))
        .await;
    assert!(pushed.body["targetGroupId"].is_string(), "{}", pushed.body);
    assert!(pushed.body["lastPush"].is_string());
    // Dana gets the app: her account is made and she joins the pushed group.
    let dana = common::api::user(&rig, DANA).await;
    assign(&admin, &app, dana.id.as_str()).await;
    wait_for_account(&tenant, DANA, "Dana's account", |_| true).await;
    eventually("Dana in the pushed group", || async {
        tenant.groups_named("Acme Engineers").await[0]["members"]
            .as_array()
            .is_some_and(|m| m.len() == 2)
    })
    .await;

    // Unassign: deactivated there, never deleted.
    let gone = admin
        .call("DELETE", &format!("/apps/{app}/users/{}", ivan.id), None)
        .await;
    assert_eq!(gone.status, 204, "{}", gone.body);
    wait_for_account(&tenant, IVAN, "Ivan deactivated", |a| a["active"] == false).await;
    // … and out of the pushed group (only active accounts are members).
    eventually("Ivan out of the pushed group", || async {
        tenant.groups_named("Acme Engineers").await[0]["members"]
            .as_array()
            .is_some_and(|m| m.len() == 1)
    })
    .await;

    // Reassign: reactivated, the same account.
    assign(&admin, &app, ivan.id.as_str()).await;
    let back = wait_for_account(&tenant, IVAN, "Ivan reactivated", |a| a["active"] == true).await;
    assert_eq!(back["id"], scim_id.as_str());

    // Suspend deactivates, unsuspend reactivates.
    let suspended = admin
        .call(
            "POST",
            &format!("/users/{}/lifecycle/suspend", ivan.id),
            None,
        )
        .await;
    assert_eq!(suspended.status, 200, "{}", suspended.body);
    wait_for_account(&tenant, IVAN, "Ivan suspended → inactive", |a| {
        a["active"] == false
    })
    .await;
    admin
        .call(
            "POST",
            &format!("/users/{}/lifecycle/unsuspend", ivan.id),
            None,
        )
        .await;
    wait_for_account(&tenant, IVAN, "Ivan unsuspended → active", |a| {
        a["active"] == true
    })
    .await;

    // The app's admins delete the account: the next change makes it again.
    tenant.delete(&format!("/Users/{scim_id}")).await;
    admin
        .call(
            "POST",
            &format!("/users/{}", ivan.id),
            Some(json!({"profile": {"firstName": "Ivan"}})),
        )
        .await;
    let remade = wait_for_account(&tenant, IVAN, "Ivan's account made again", |a| {
        a["name"]["givenName"] == "Ivan"
    })
    .await;
    assert_ne!(remade["id"], scim_id.as_str());

    // Every delivery is in the System Log, under Okta's names.
    for event in [
        "application.provision.user.push",
        "application.provision.user.push_profile",
        "application.provision.user.deactivate",
        "application.provision.user.reactivate",
        "application.provision.group.push",
    ] {
        assert!(!events(&rig, event).await.is_empty(), "{event}");
    }
    assert_eq!(
        rig.store.count_provisioning_tasks("FAILED").await.unwrap(),
        0
    );
    // The log's chain still verifies.
    let out = rig.portal.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn an_app_that_is_down_gets_the_change_once_it_is_back() {
    let rig = Rig::new().await;
    let port = common::free_port();
    let admin = api(&rig, &token(&rig, ORG_ADMIN, "provisioning"));
    let app = app_id(&admin, "Order Desk").await;
    let tenant = Tenant {
        base: format!("http://127.0.0.1:{port}/down"),
    };
    connect_scim(&admin, &app, &tenant, false).await;
    let ivan = common::api::user(&rig, IVAN).await;
    assign(&admin, &app, ivan.id.as_str()).await;
    // Nothing listens: the task waits and is tried again, and Ivan's apps
    // tab says so.
    eventually("two failed attempts", || async {
        attempts(&rig).await >= 2
    })
    .await;
    assert_eq!(
        rig.store.count_provisioning_tasks("FAILED").await.unwrap(),
        0
    );
    let sync = rig.store.sync_states(&ivan.id).await.unwrap();
    let state = &sync[app.as_str()];
    assert_eq!(state.state, "SYNCING");
    assert!(
        state.message.as_deref().unwrap_or("").contains("POST")
            || state.message.as_deref().unwrap_or("").contains("GET"),
        "{state:?}"
    );

    // The app comes back: delivered once.
    let _scim = ScimServer::start_on(port).await;
    wait_for_account(&tenant, IVAN, "Ivan's account after the outage", |_| true).await;
    // Recorded once the delivery's transaction commits (the account may be
    // there a moment before).
    eventually("the task done", || async {
        rig.store.count_provisioning_tasks("QUEUED").await.unwrap() == 0
            && rig.store.count_provisioning_tasks("RUNNING").await.unwrap() == 0
    })
    .await;
    assert_eq!(tenant.users_named(IVAN).await.len(), 1);
    let sync = rig.store.sync_states(&ivan.id).await.unwrap();
    assert_eq!(sync[app.as_str()].state, "SYNCHRONIZED");
}

async fn attempts(rig: &Rig) -> i64 {
    let pool = sqlx::AnyPool::connect(&rig.portal.database_url)
        .await
        .unwrap();
    let n: Option<i64> = sqlx::query_scalar("SELECT max(attempts) FROM provisioning_tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n.unwrap_or(0)
}

async fn running(rig: &Rig) -> i64 {
    rig.store.count_provisioning_tasks("RUNNING").await.unwrap()
}

#[tokio::test]
async fn a_server_killed_mid_delivery_leaves_the_task_to_the_next_without_a_duplicate() {
    sqlx::any::install_default_drivers();
    let mut rig = Rig::new().await;
    let scim = ScimServer::start().await;
    let tenant = scim.tenant("killed");
    let admin = api(&rig, &token(&rig, ORG_ADMIN, "provisioning"));
    let app = app_id(&admin, "Order Desk").await;
    connect_scim(&admin, &app, &tenant, false).await;

    // The app hangs: the delivery is under way when the server dies.
    scim.pause();
    let ivan = common::api::user(&rig, IVAN).await;
    assign(&admin, &app, ivan.id.as_str()).await;
    eventually("the delivery under way", || async {
        running(&rig).await == 1
    })
    .await;
    rig.portal.kill();
    scim.resume();

    // The next server takes the task over when its lease runs out.
    rig.portal.restart().await;
    wait_for_account(&tenant, IVAN, "Ivan's account after the restart", |_| true).await;
    eventually("the task done", || async {
        rig.store.count_provisioning_tasks("RUNNING").await.unwrap() == 0
            && rig.store.count_provisioning_tasks("QUEUED").await.unwrap() == 0
    })
    .await;
    assert_eq!(
        tenant.users_named(IVAN).await.len(),
        1,
        "one account, never two"
    );

    // An account the app already has (made by a delivery whose answer was
    // lost, or by the app's admins) is linked, not duplicated.
    let dana = common::api::user(&rig, DANA).await;
    tenant
        .create_user(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": DANA,
            "active": false,
        }))
        .await;
    assign(&admin, &app, dana.id.as_str()).await;
    let linked = wait_for_account(&tenant, DANA, "Dana's account linked and active", |a| {
        a["active"] == true
    })
    .await;
    assert_eq!(
        linked["name"]["givenName"], "Dana",
        "the profile pushed to the linked account"
    );
    assert_eq!(tenant.users_named(DANA).await.len(), 1);
}

#[tokio::test]
async fn an_import_links_matches_flags_conflicts_and_creates_new_users_through_the_rules() {
    let mut rig = Rig::new().await;
    let scim = ScimServer::start().await;
    let tenant = scim.tenant("import");
    let admin = api(&rig, &token(&rig, ORG_ADMIN, "provisioning"));
    let app = app_id(&admin, "Order Desk").await;
    connect_scim(&admin, &app, &tenant, true).await;
    let scim_user = |login: &str, email: &str, first: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": login,
            "name": { "givenName": first, "familyName": "Imported" },
            "emails": [{ "value": email, "type": "work", "primary": true }],
            "active": true,
        })
    };
    // A match (Ivan's username), a conflict (Alice's email under another
    // username) and a new user.
    tenant.create_user(scim_user(IVAN, IVAN, "Ivan")).await;
    tenant
        .create_user(scim_user("a.admin@acme.test", ALICE, "Alice"))
        .await;
    tenant
        .create_user(scim_user(
            "nora.new@acme.test",
            "nora.new@acme.test",
            "Nora",
        ))
        .await;

    // A rule for this app's imports places acme.test users in Acme.
    let acme = realm_id(&admin, "Acme").await;
    let rule = admin
        .call(
            "POST",
            "/realm-assignments",
            Some(json!({
                "name": "Order Desk imports from Acme",
                "conditions": {
                    "profileSourceId": app,
                    "expression": {"value": "user.profile.email.endsWith(\"@acme.test\")"},
                },
                "actions": {"assignUserToRealm": {"realmId": acme}},
            })),
        )
        .await;
    assert_eq!(rule.status, 201, "{}", rule.body);
    let rule_id = rule.body["id"].as_str().unwrap();
    let on = admin
        .call(
            "POST",
            &format!("/realm-assignments/{rule_id}/lifecycle/activate"),
            None,
        )
        .await;
    assert!(on.status < 300, "{}", on.body);

    let console = Console {
        base: rig.portal.base.clone(),
        cookie: rig.sign_in(ORG_ADMIN).await,
    };
    let (status, preview) = console
        .call("apps/import-preview", &[("app_id", &app)])
        .await;
    assert_eq!(status, 200, "{preview}");
    let outcome = |login: &str| {
        preview["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["login"] == login)
            .map(|r| {
                (
                    r["outcome"].as_str().unwrap().to_string(),
                    r["detail"].as_str().unwrap().to_string(),
                )
            })
            .unwrap()
    };
    assert_eq!(outcome(IVAN).0, "MATCH");
    assert_eq!(outcome("a.admin@acme.test").0, "CONFLICT");
    let (new, detail) = outcome("nora.new@acme.test");
    assert_eq!(new, "NEW");
    assert!(detail.contains("Acme"), "{detail}");

    let (status, summary) = console.call("apps/import", &[("app_id", &app)]).await;
    assert_eq!(status, 200, "{summary}");
    assert!(
        summary
            .as_str()
            .unwrap()
            .contains("1 matched, 1 new, 1 conflicts"),
        "{summary}"
    );
    // Nora exists in Acme, sourced from the app, assigned it, linked.
    let nora = common::api::user(&rig, "nora.new@acme.test").await;
    assert_eq!(nora.realm_id.as_str(), acme);
    assert_eq!(nora.profile_source_id.as_deref(), Some(app.as_str()));
    assert_eq!(nora.profile.first_name, "Nora");
    let linked = rig
        .store
        .linked_accounts(&app.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(linked.len(), 2, "{linked:?}");
    assert!(linked.values().any(|u| u == nora.id.as_str()));
    assert!(!events(&rig, "application.provision.user.import")
        .await
        .is_empty());
    // The conflict is left: no account linked for Alice, none created.
    let alice = common::api::user(&rig, ALICE).await;
    assert!(!linked.values().any(|u| u == alice.id.as_str()));
    // Importing again finds them linked: nothing new.
    let (_, again) = console
        .call("apps/import-preview", &[("app_id", &app)])
        .await;
    assert_eq!(again["linked"], 2);
    // No duplicate in the app from the assignments the import made.
    eventually("deliveries settled", || async {
        rig.store.count_provisioning_tasks("QUEUED").await.unwrap() == 0
            && rig.store.count_provisioning_tasks("RUNNING").await.unwrap() == 0
    })
    .await;
    assert_eq!(tenant.all_users().await.len(), 3);
}

#[tokio::test]
async fn a_partner_admin_cannot_touch_provisioning() {
    let mut rig = Rig::new().await;
    let admin = api(&rig, &token(&rig, ORG_ADMIN, "provisioning"));
    let app = app_id(&admin, "Order Desk").await;
    let tenant = Tenant {
        base: "http://127.0.0.1:9/x".into(),
    };
    connect_scim(&admin, &app, &tenant, true).await;
    let console = Console {
        base: rig.portal.base.clone(),
        cookie: rig.sign_in(ALICE).await,
    };
    // Alice (Acme's partner admin) cannot see the app: not found, whatever
    // she asks, and nothing changes.
    for (endpoint, form) in [
        (
            "apps/provisioning",
            vec![
                ("app_id", app.as_str()),
                ("kind", "SCIM2"),
                ("base_url", "https://evil.example"),
                ("mappings", "userName = user.profile.login"),
            ],
        ),
        ("apps/provisioning-test", vec![("app_id", app.as_str())]),
        (
            "apps/provisioning-preview",
            vec![("app_id", app.as_str()), ("login", IVAN)],
        ),
        ("apps/import-preview", vec![("app_id", app.as_str())]),
        ("apps/import", vec![("app_id", app.as_str())]),
        (
            "apps/group-push",
            vec![
                ("app_id", app.as_str()),
                ("group_id", "00gAbCdEfGhIjKlMnOp"),
            ],
        ),
        (
            "apps/provisioning-task",
            vec![("app_id", app.as_str()), ("task", "1"), ("op", "retry")],
        ),
    ] {
        let (status, body) = console.call(endpoint, &form).await;
        assert!(
            status == 404 || status == 403,
            "{endpoint}: {status} {body}"
        );
    }
    let alice_api = api(&rig, &token(&rig, ALICE, "alice"));
    let engineering = group_id(&admin, "Acme Engineering").await;
    for (method, path, body) in [
        ("GET", format!("/apps/{app}/connections/default"), None),
        (
            "POST",
            format!("/apps/{app}/connections/default"),
            Some(
                json!({"baseUrl": "https://evil.example", "profile": {"authScheme": "TOKEN", "token": "x"}}),
            ),
        ),
        (
            "POST",
            format!("/apps/{app}/group-push/mappings"),
            Some(json!({"sourceGroupId": engineering, "targetGroupName": "Stolen"})),
        ),
    ] {
        let r = alice_api.call(method, &path, body).await;
        assert!(
            r.status == 404 || r.status == 403,
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
    }
    assert!(rig
        .store
        .push_mappings(&app.parse().unwrap())
        .await
        .unwrap()
        .is_empty());
    let kept = admin.get(&format!("/apps/{app}/connections/default")).await;
    assert_eq!(kept.body["baseUrl"], tenant.base, "nothing changed");
}

#[tokio::test]
async fn bad_connections_are_refused_field_by_field() {
    let rig = Rig::new().await;
    let admin = api(&rig, &token(&rig, ORG_ADMIN, "provisioning"));
    let app = app_id(&admin, "Order Desk").await;
    for (body, field) in [
        (
            json!({"baseUrl": "ftp://x", "profile": {"authScheme": "TOKEN", "token": "t"}}),
            "base_url",
        ),
        (
            json!({"baseUrl": "https://10.1.2.3/scim", "profile": {"authScheme": "TOKEN", "token": "t"}}),
            "base_url",
        ),
        (
            json!({"baseUrl": "https://scim.example.com", "profile": {"authScheme": "TOKEN"}}),
            "secret",
        ),
        (
            json!({"baseUrl": "https://scim.example.com", "profile": {"authScheme": "TOKEN", "token": "t", "mappings": ["name.givenName = user.profile.firstName"]}}),
            "mappings",
        ),
        (
            json!({"baseUrl": "https://scim.example.com", "profile": {"kind": "LDAP"}}),
            "profile.kind",
        ),
    ] {
        let r = admin
            .call(
                "POST",
                &format!("/apps/{app}/connections/default"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.code(), "E0000001", "{}", r.body);
        assert!(r.body.to_string().contains(field), "{field}: {}", r.body);
    }
    let none = admin.get(&format!("/apps/{app}/connections/default")).await;
    assert_eq!(none.body["status"], "DISABLED", "nothing saved");
}

#[tokio::test]
async fn org2org_provisions_users_and_groups_into_a_hub_portal() {
    let hub = Rig::new().await;
    let spoke = Rig::new().await;
    let hub_admin = api(&hub, &token(&hub, ORG_ADMIN, "org2org"));
    let spoke_admin = api(&spoke, &token(&spoke, ORG_ADMIN, "spoke"));

    // The hub's rules place acme.test users in its Acme realm.
    let acme = realm_id(&hub_admin, "Acme").await;
    let rule = hub_admin
        .call(
            "POST",
            "/realm-assignments",
            Some(json!({
                "name": "Acme by email",
                "conditions": {"expression": {"value": "user.profile.email.endsWith(\"@acme.test\")"}},
                "actions": {"assignUserToRealm": {"realmId": acme}},
            })),
        )
        .await;
    let rule_id = rule.body["id"].as_str().unwrap();
    hub_admin
        .call(
            "POST",
            &format!("/realm-assignments/{rule_id}/lifecycle/activate"),
            None,
        )
        .await;
    // A fresh user in the spoke (the hub has none of that name).
    let created = spoke_admin
        .call(
            "POST",
            "/users?activate=false",
            Some(json!({"profile": {"login": "olga.org2org@acme.test", "email": "olga.org2org@acme.test", "firstName": "Olga", "lastName": "Spoke"}})),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let olga = created.body["id"].as_str().unwrap().to_string();
    spoke_admin
        .call(
            "POST",
            &format!("/users/{olga}/lifecycle/activate?sendEmail=false"),
            None,
        )
        .await;

    // The spoke's app speaks to the hub's Management API with a super
    // admin's token.
    let app = app_id(&spoke_admin, "Order Desk").await;
    let hub_token = token(&hub, ORG_ADMIN, "spoke-provisioning");
    let connect = |token: String| {
        let spoke_admin = &spoke_admin;
        let app = app.clone();
        let hub_base = hub.portal.base.clone();
        async move {
            spoke_admin
                .call(
                    "POST",
                    &format!("/apps/{app}/connections/default"),
                    Some(json!({
                        "baseUrl": hub_base,
                        "profile": {"kind": "OKTA_ORG2ORG", "authScheme": "TOKEN", "token": token},
                    })),
                )
                .await
        }
    };
    let saved = connect(hub_token).await;
    assert_eq!(saved.status, 200, "{}", saved.body);

    assign(&spoke_admin, &app, &olga).await;
    let search = format!(
        "/users?search={}",
        common::api::urlencode("profile.login eq \"olga.org2org@acme.test\"")
    );
    let hub_user = poll("Olga in the hub", || async {
        let f = hub_admin.get(&search).await.body;
        f.as_array().filter(|a| a.len() == 1).map(|a| a[0].clone())
    })
    .await;
    assert_eq!(
        hub_user["realmId"],
        acme.as_str(),
        "the hub's rules chose the realm"
    );
    assert_eq!(hub_user["profile"]["firstName"], "Olga");
    let hub_olga = hub_user["id"].as_str().unwrap().to_string();

    // Push a group: created in the hub with Olga in it.
    let group = spoke_admin
        .call("POST", "/groups", Some(json!({"profile": {"name": "Spoke Installers", "description": "Pushed to the hub"}})))
        .await;
    let group_id = group.body["id"].as_str().unwrap().to_string();
    spoke_admin
        .call("PUT", &format!("/groups/{group_id}/users/{olga}"), None)
        .await;
    let mapping = spoke_admin
        .call(
            "POST",
            &format!("/apps/{app}/group-push/mappings"),
            Some(json!({"sourceGroupId": group_id, "targetGroupName": "Spoke Installers"})),
        )
        .await;
    assert_eq!(mapping.status, 200, "{}", mapping.body);
    let group_search = format!(
        "/groups?search={}",
        common::api::urlencode("profile.name eq \"Spoke Installers\"")
    );
    let hub_group: String = poll("the group in the hub with Olga", || async {
        let groups = hub_admin.get(&group_search).await.body;
        let id = groups[0]["id"].as_str()?.to_string();
        let members = hub_admin.get(&format!("/groups/{id}/users")).await.body;
        members
            .as_array()
            .is_some_and(|m| m.iter().any(|u| u["id"] == hub_olga.as_str()))
            .then_some(id)
    })
    .await;
    assert!(!hub_group.is_empty());

    // Deactivating in the spoke deactivates in the hub.
    spoke_admin
        .call("POST", &format!("/users/{olga}/lifecycle/deactivate"), None)
        .await;
    eventually("Olga deactivated in the hub", || async {
        hub_admin.get(&format!("/users/{hub_olga}")).await.body["status"] == "DEPROVISIONED"
    })
    .await;
    assert!(!events(&spoke, "application.provision.user.deactivate")
        .await
        .is_empty());

    // A token of an admin who is not a super admin: a clear error.
    let partner_token = token(&hub, ALICE, "not-super");
    assert_eq!(connect(partner_token).await.status, 200);
    let ivan = common::api::user(&spoke, IVAN).await;
    assign(&spoke_admin, &app, ivan.id.as_str()).await;
    let state = poll("Ivan's delivery refused", || async {
        let sync = spoke.store.sync_states(&ivan.id).await.unwrap();
        sync.get(app.as_str())
            .filter(|s| s.state == "ERROR")
            .cloned()
    })
    .await;
    assert!(
        state
            .message
            .as_deref()
            .unwrap_or("")
            .contains("not a super admin"),
        "{state:?}"
    );
}

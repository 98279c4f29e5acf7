//! The Partner Admin Portal's denial suite, black-box against the real server:
//! a partner admin of Acme gets "not found" for everything of Globex through
//! every server function and the CSV export (users, group members, app
//! assignees, log events, another admin's CSV import), and an admin whose custom role lacks a right is
//! refused that action (and not offered it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::authz::{check, Permission, Principal, Target};
use app::model::{User, UserStatus};
use app::store::admin::Member;
use common::client;
use common::oidc::Rig;

struct Caller {
    base: String,
    cookie: String,
}

impl Caller {
    /// Calls a server function; an error answer carries its own status.
    async fn call(&self, endpoint: &str, body: String) -> String {
        let r = client()
            .post(format!("{}/_fn/{endpoint}", self.base))
            .header("cookie", self.cookie.clone())
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let expected = match serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["kind"].as_str().map(str::to_string))
            .as_deref()
        {
            Some("notFound") => 404,
            Some("forbidden") => 403,
            Some("validation") => 400,
            Some("conflict") => 409,
            Some(other) => panic!("{endpoint}: unexpected error {other}: {text}"),
            None => 200,
        };
        assert_eq!(status, expected, "{endpoint}: {text}");
        text
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = client()
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie.clone())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

async fn user(rig: &Rig, login: &str) -> User {
    rig.store
        .system_user_by_login(login)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_partner_admin_finds_nothing_of_another_realm_anywhere() {
    let mut rig = Rig::new().await;
    let alice = Caller {
        base: rig.portal.base.clone(),
        cookie: rig.sign_in("alice.admin@acme.test").await,
    };
    let store = rig.store.clone();
    let bob = user(&rig, "bob.admin@globex.test").await;
    let gary = user(&rig, "gary.gearbox@globex.test").await;
    let dana = user(&rig, "dana.designer@acme.test").await;
    let globex_ops = store
        .group_id_by_name("Globex Operations")
        .await
        .unwrap()
        .unwrap();
    let partners = store
        .group_id_by_name("All Partners")
        .await
        .unwrap()
        .unwrap();
    let portal = store
        .app_id_by_label("Supplier Portal")
        .await
        .unwrap()
        .unwrap();
    // Gary (Globex) gets the Supplier Portal directly, as Dana (Acme) has it.
    let system = Principal::system();
    let org = app::store::setup::bootstrap(&store, "http://127.0.0.1")
        .await
        .unwrap();
    let gary_target = store.facts_of_user(&org.orn, &gary).await.unwrap();
    let app_target = Target::App {
        id: portal.clone(),
        app_type: "bookmark".into(),
    };
    store
        .assign_app(
            &check(&system, Permission::UsersAppAssignmentManage, &gary_target).unwrap(),
            &check(&system, Permission::AppsAssignmentManage, &app_target).unwrap(),
        )
        .await
        .unwrap();

    // Dana (Acme) is also in Globex's group, which Alice cannot read.
    let dana_target = store.facts_of_user(&org.orn, &dana).await.unwrap();
    store
        .add_group_member(
            &check(
                &system,
                Permission::UsersGroupMembershipManage,
                &dana_target,
            )
            .unwrap(),
            &check(
                &system,
                Permission::GroupsMembersManage,
                &store.facts_of_group(&org.orn, &globex_ops).await.unwrap(),
            )
            .unwrap(),
        )
        .await
        .unwrap();

    // Bob's profile, groups and apps: not found; his profile is not changed.
    for (endpoint, body) in [
        ("users/get", format!("id={}", bob.id)),
        ("users/groups", format!("id={}", bob.id)),
        ("users/apps", format!("id={}", bob.id)),
        (
            "users/update_profile",
            format!(
                "id={}&version={}&profile[firstName]=Hacked",
                bob.id, bob.version
            ),
        ),
    ] {
        let r = alice.call(endpoint, body).await;
        assert!(
            r.contains("notFound") && !r.contains("globex"),
            "{endpoint}: {r}"
        );
    }
    assert_eq!(
        user(&rig, "bob.admin@globex.test").await.profile.first_name,
        "Bob"
    );

    // Groups: Globex's group is not found; a shared group lists Acme members only.
    let r = alice.call("groups/get", format!("id={globex_ops}")).await;
    assert!(r.contains("notFound"), "{r}");
    let r = alice.call("groups/get", format!("id={partners}")).await;
    assert!(r.contains("dana.designer@acme.test"), "{r}");
    assert!(
        !r.contains("gary"),
        "members of other realms never listed: {r}"
    );
    let r = alice.call("groups/list", String::new()).await;
    assert!(r.contains("All Partners") && !r.contains("Globex"), "{r}");

    // Membership changes with a Globex party: not found, nothing written.
    let before = store.count_all_events().await.unwrap();
    for body in [
        format!("group_id={globex_ops}&op=add&user_id={}", dana.id),
        format!("group_id={partners}&op=add&user_id={}", bob.id),
        format!("group_id={partners}&op=remove&user_id={}", gary.id),
    ] {
        let r = alice.call("groups/membership", body.clone()).await;
        assert!(r.contains("notFound"), "{body}: {r}");
    }
    // By username, a Globex login reads exactly like an unknown one.
    let unknown = alice
        .call(
            "groups/membership",
            format!("group_id={partners}&op=add&login=nobody%40acme.test"),
        )
        .await;
    let foreign = alice
        .call(
            "groups/membership",
            format!("group_id={partners}&op=add&login=bob.admin%40globex.test"),
        )
        .await;
    assert!(unknown.contains("No user with this username"), "{unknown}");
    assert_eq!(unknown, foreign);

    // Apps: assignees within Acme only; assigning to Bob not found.
    let r = alice.call("apps/get", format!("id={portal}")).await;
    assert!(
        r.contains("dana.designer@acme.test") && !r.contains("gary"),
        "{r}"
    );
    for body in [
        format!("app_id={portal}&op=assign&user_id={}", bob.id),
        format!("app_id={portal}&op=unassign&user_id={}", gary.id),
    ] {
        let r = alice.call("apps/assignment", body.clone()).await;
        assert!(r.contains("notFound"), "{body}: {r}");
    }
    assert_eq!(
        store.count_all_events().await.unwrap(),
        before,
        "nothing was written"
    );

    // Bulk: Bob's row is "not found", Dana's is done.
    let r = alice
        .call(
            "users/bulk",
            format!("ids[0]={}&ids[1]={}&action=suspend", bob.id, dana.id),
        )
        .await;
    let results: serde_json::Value = serde_json::from_str(&r).unwrap();
    assert_eq!(results[0]["ok"], false, "{r}");
    assert_eq!(results[0]["message"], "Not found.", "{r}");
    assert_eq!(results[1]["ok"], true, "{r}");
    assert_eq!(user(&rig, "bob.admin@globex.test").await.status, bob.status);
    assert_eq!(
        user(&rig, "dana.designer@acme.test").await.status,
        UserStatus::Suspended
    );

    // Filters and options name nothing of Globex; the log about Bob is empty.
    let r = alice.call("users/options", String::new()).await;
    assert!(
        !r.contains("Globex") && !r.contains(globex_ops.as_str()),
        "{r}"
    );
    let r = alice
        .call("activity/list", format!("target={}", bob.id))
        .await;
    assert!(r.contains("\"rows\":[]"), "{r}");
    let r = alice
        .call("users/list", format!("group={globex_ops}"))
        .await;
    assert!(r.contains("\"rows\":[]"), "{r}");
    // Filtering by a group she cannot read shows nothing, not who is in it.
    let (_, csv) = alice
        .get(&format!("/users/export.csv?group={globex_ops}"))
        .await;
    assert_eq!(csv.lines().count(), 1, "header only: {csv}");
    let r = alice.call("users/groups", format!("id={}", dana.id)).await;
    assert!(!r.contains("Globex"), "{r}");

    // The CSV export: Acme's users, never Globex's.
    let (status, csv) = alice.get("/users/export.csv").await;
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("id,login,email,firstName,lastName,realm,status"),
        "{csv}"
    );
    assert!(csv.contains("dana.designer@acme.test"), "{csv}");
    assert!(!csv.contains("globex"), "{csv}");
    let (_, csv) = alice.get("/users/export.csv?q=gary").await;
    assert_eq!(csv.lines().count(), 1, "header only: {csv}");
}

#[tokio::test]
async fn a_custom_role_without_lifecycle_rights_is_refused_and_offered_nothing() {
    let mut rig = Rig::new().await;
    let rita = Caller {
        base: rig.portal.base.clone(),
        cookie: rig.sign_in("rita.reader@acme.test").await,
    };
    let store = rig.store.clone();
    let dana = user(&rig, "dana.designer@acme.test").await;
    let bob = user(&rig, "bob.admin@globex.test").await;
    let acme_eng = store
        .group_id_by_name("Acme Engineering")
        .await
        .unwrap()
        .unwrap();
    let portal = store
        .app_id_by_label("Supplier Portal")
        .await
        .unwrap()
        .unwrap();

    // She reads Dana, with no action offered and names/phone editable only.
    let r = rita.call("users/get", format!("id={}", dana.id)).await;
    let detail: serde_json::Value = serde_json::from_str(&r).unwrap();
    assert_eq!(detail["actions"], serde_json::json!([]), "{r}");
    let editable: Vec<&str> = detail["profile"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["editable"] == true)
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(editable, ["firstName", "lastName", "mobilePhone"]);

    // Lifecycle, membership, assignment and bulk: forbidden; nothing changes.
    let before = store.count_all_events().await.unwrap();
    for op in ["suspend", "deactivate", "clear_sessions", "reset_factors"] {
        let r = rita
            .call("users/lifecycle", format!("id={}&op={op}", dana.id))
            .await;
        assert!(r.contains("forbidden"), "{op}: {r}");
    }
    let r = rita
        .call(
            "groups/membership",
            format!("group_id={acme_eng}&op=remove&user_id={}", dana.id),
        )
        .await;
    assert!(r.contains("forbidden"), "{r}");
    let r = rita
        .call(
            "apps/assignment",
            format!("app_id={portal}&op=unassign&user_id={}", dana.id),
        )
        .await;
    assert!(r.contains("forbidden"), "{r}");
    let r = rita
        .call(
            "users/bulk",
            format!("ids[0]={}&action=deactivate", dana.id),
        )
        .await;
    assert!(
        r.contains("You do not have permission") && r.contains("\"ok\":false"),
        "{r}"
    );
    // Attributes outside her role's conditions: a field error, not a change.
    let r = rita
        .call(
            "users/update_profile",
            format!(
                "id={}&version={}&profile[email]=dana%40acme.test",
                dana.id, dana.version
            ),
        )
        .await;
    assert!(
        r.contains("Your role does not allow changing this attribute"),
        "{r}"
    );
    assert_eq!(
        store.count_all_events().await.unwrap(),
        before,
        "nothing was written"
    );
    let still = user(&rig, "dana.designer@acme.test").await;
    assert_eq!(still.status, dana.status);
    assert_eq!(still.profile.email, dana.profile.email);

    // What her role allows works, with its audit event; Globex stays unseen.
    let r = rita
        .call(
            "users/update_profile",
            format!(
                "id={}&version={}&profile[lastName]=Draughtsman",
                dana.id, dana.version
            ),
        )
        .await;
    assert!(r.contains("Profile saved"), "{r}");
    assert_eq!(
        user(&rig, "dana.designer@acme.test")
            .await
            .profile
            .last_name,
        "Draughtsman"
    );
    assert_eq!(store.count_all_events().await.unwrap(), before + 1);
    let r = rita.call("users/get", format!("id={}", bob.id)).await;
    assert!(r.contains("notFound"), "{r}");
    // A stale version is a conflict, not a lost update.
    let r = rita
        .call(
            "users/update_profile",
            format!(
                "id={}&version={}&profile[lastName]=Designer",
                dana.id, dana.version
            ),
        )
        .await;
    assert!(r.contains("conflict"), "{r}");
}

#[tokio::test]
async fn users_seen_through_a_group_do_not_name_a_realm_the_admin_cannot_read() {
    let mut rig = Rig::new().await;
    let store = rig.store.clone();
    let org = app::store::setup::bootstrap(&store, "http://127.0.0.1")
        .await
        .unwrap();
    let _system = Principal::system();
    // Hugo administers the users of Globex's group — not the Globex realm.
    let globex_ops = store
        .group_id_by_name("Globex Operations")
        .await
        .unwrap()
        .unwrap();
    let rs = store
        .create_resource_set(
            &common::iam(),
            "Globex ops users",
            "",
            &[org.orn_group_users(&globex_ops)],
        )
        .await
        .unwrap();
    let hugo = user(&rig, "hugo.host@hostco.test").await;
    store
        .add_binding_members(
            &common::iam(),
            &rs,
            &org.partner_admin_role,
            &[Member::User(hugo.id)],
        )
        .await
        .unwrap();
    let hugo = Caller {
        base: rig.portal.base.clone(),
        cookie: rig.sign_in("hugo.host@hostco.test").await,
    };
    let gary = user(&rig, "gary.gearbox@globex.test").await;
    let r = hugo.call("users/list", String::new()).await;
    assert!(r.contains("gary.gearbox@globex.test"), "{r}");
    assert!(!r.contains("Globex"), "the realm stays unnamed: {r}");
    let r = hugo.call("users/get", format!("id={}", gary.id)).await;
    assert!(r.contains("\"realm\":\"\""), "{r}");
    let (_, csv) = hugo.get("/users/export.csv").await;
    assert!(
        csv.contains("gary.gearbox@globex.test") && !csv.contains("Globex"),
        "{csv}"
    );
}

/// Every admin console server function, with arguments that would otherwise
/// act (the ids are real ones).
fn admin_calls(
    realm: &str,
    rule: &str,
    user: &str,
    group: &str,
    app: &str,
    idp: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("admin/realms", String::new()),
        ("admin/realms/create", "name=Evil&domains=".into()),
        ("admin/realms/get", format!("id={realm}")),
        (
            "admin/realms/update",
            format!("id={realm}&name=Evil&domains=&expected=x"),
        ),
        ("admin/realms/delete", format!("id={realm}")),
        ("admin/rules", String::new()),
        ("admin/rules/check", "expression=true".into()),
        (
            "admin/rules/save",
            format!("name=Evil&expression=true&target_realm_id={realm}"),
        ),
        ("admin/rules/change", format!("id={rule}&op=delete")),
        ("admin/rules/plan", format!("id={rule}")),
        (
            "admin/users/move",
            format!("ids[0]={user}&realm_id={realm}"),
        ),
        ("admin/operations/get", "id=rao0000000000000000".into()),
        ("admin/operations/execute", "id=rao0000000000000000".into()),
        ("admin/operations/cancel", "id=rao0000000000000000".into()),
        ("admin/wizard/options", String::new()),
        ("admin/wizard/review", "name=Evil&domains=".into()),
        (
            "admin/wizard/create",
            format!("name=Evil&domains=&existing_admins={user}"),
        ),
        ("admin/explain", "login=olivia.owner%40hostco.test".into()),
        ("admin/explain/permissions", String::new()),
        ("admin/idps", String::new()),
        (
            "admin/idps/create",
            "name=Evil&issuer=https%3A%2F%2Fevil.test&client_id=x&client_secret=y".into(),
        ),
        ("admin/directory", String::new()),
        ("admin/groups/create", "name=Evil&description=x".into()),
        (
            "admin/apps/create",
            "name=evil&label=Evil&sign_on_mode=BOOKMARK".into(),
        ),
        (
            "admin/schema/define",
            "name=evil&title=Evil&attr_type=string".into(),
        ),
        (
            "admin/groups/update",
            format!("id={group}&name=Evil&description=x"),
        ),
        ("admin/groups/delete", format!("id={group}")),
        ("admin/apps/delete", format!("id={app}")),
        ("admin/iam", String::new()),
        (
            "admin/roles/create",
            "label=Evil&description=x&permissions[0]=okta.users.read".into(),
        ),
        (
            "admin/resource-sets/create",
            format!("label=Evil&description=x&realms[0]={realm}"),
        ),
        (
            "admin/bindings/add",
            format!("resource_set_id=iam0000000000000000&role_id=cr00000000000000000&login={user}"),
        ),
        (
            "admin/roles/update",
            "id=cr00000000000000000&label=Evil&description=x&permissions[0]=okta.users.read".into(),
        ),
        (
            "admin/resource-sets/change",
            format!("id=iam0000000000000000&realms[0]={realm}"),
        ),
        (
            "admin/bindings/remove",
            format!("resource_set_id=iam0000000000000000&role_id=cr00000000000000000&member_type=USER&member_id={user}"),
        ),
        ("admin/idps/get", format!("id={idp}")),
        (
            "admin/idps/update",
            format!("id={idp}&expected=x&name=Evil&issuer=https%3A%2F%2Fevil.test&client_id=x&client_secret="),
        ),
        ("admin/idps/status", format!("id={idp}&active=false")),
        ("admin/apps/update", format!("id={app}&label=Evil")),
        (
            "admin/users/move-filtered",
            format!("q=a&realm_id={realm}"),
        ),
        ("admin/roles/delete", "id=cr00000000000000000".into()),
        ("admin/resource-sets/delete", "id=iam0000000000000000".into()),
        ("admin/standard-roles", String::new()),
        (
            "admin/standard-roles/grant",
            format!("role=SUPER_ADMIN&login={user}"),
        ),
        (
            "admin/standard-roles/revoke",
            format!("role=SUPER_ADMIN&member_type=USER&member_id={user}"),
        ),
    ]
}

#[tokio::test]
async fn a_partner_admin_is_refused_every_admin_console_function_and_page() {
    let mut rig = Rig::new().await;
    let alice = Caller {
        base: rig.portal.base.clone(),
        cookie: rig.sign_in("alice.admin@acme.test").await,
    };
    let store = rig.store.clone();
    let acme = store.realm_by_name("Acme").await.unwrap().unwrap();
    let alice_user = user(&rig, "alice.admin@acme.test").await;
    let rules = store
        .list_rules(&app::authz::scope(
            &Principal::system(),
            Permission::RealmsRead,
        ))
        .await
        .unwrap();
    let rule = rules[0].id.to_string();
    let before = store.count_all_events().await.unwrap();
    let group = store
        .group_id_by_name("Acme Engineering")
        .await
        .unwrap()
        .unwrap();
    let app = store
        .app_id_by_label("Supplier Portal")
        .await
        .unwrap()
        .unwrap();
    let idp = store
        .idp_names(
            &app::authz::check(
                &app::authz::Principal::system(),
                app::authz::Permission::RealmsRead,
                &app::authz::Target::Org,
            )
            .unwrap(),
        )
        .await
        .unwrap()[0]
        .0
        .clone();
    for (endpoint, body) in admin_calls(
        acme.id.as_str(),
        &rule,
        alice_user.id.as_str(),
        group.as_str(),
        app.as_str(),
        &idp,
    ) {
        let text = alice.call(endpoint, body).await;
        assert!(text.contains("\"forbidden\""), "{endpoint}: {text}");
    }
    for path in [
        "/admin",
        "/admin/realms",
        "/admin/rules",
        "/admin/wizard",
        "/admin/explain",
        "/admin/realms/report.csv",
        "/admin/idps",
        "/admin/directory",
        "/admin/roles",
        "/admin/rules/new",
    ] {
        let (status, _) = alice.get(path).await;
        assert_eq!(status, 403, "{path}");
    }
    let (status, _) = alice.get(&format!("/admin/idps/{idp}")).await;
    assert_eq!(status, 403, "the IdP page");
    assert_eq!(
        store.count_all_events().await.unwrap(),
        before,
        "nothing was written"
    );
    assert!(store.realm_by_name("Evil").await.unwrap().is_none());
    assert_eq!(
        store
            .list_rules(&app::authz::scope(
                &Principal::system(),
                Permission::RealmsRead
            ))
            .await
            .unwrap()
            .len(),
        rules.len()
    );
}

#[tokio::test]
async fn an_org_admin_plans_and_executes_a_rule_in_the_background() {
    let mut rig = Rig::new().await;
    let olivia = Caller {
        base: rig.portal.base.clone(),
        cookie: rig.sign_in("olivia.owner@hostco.test").await,
    };
    let store = rig.store.clone();
    let body = olivia
        .call(
            "admin/realms/create",
            "name=Movers&domains=acme.test".into(),
        )
        .await;
    let movers = store.realm_by_name("Movers").await.unwrap().unwrap();
    assert!(body.contains(movers.id.as_str()), "{body}");
    // A rule for Acme's engineers, checked, saved, activated, planned.
    let check = olivia
        .call(
            "admin/rules/check",
            "expression=user.profile.email.endsWith(%22%40acme.test%22)".into(),
        )
        .await;
    let check: serde_json::Value = serde_json::from_str(&check).unwrap();
    let selected = check["matches"][0].as_i64().unwrap();
    assert!(selected > 3, "{check}");
    let bad = olivia
        .call(
            "admin/rules/check",
            "expression=user.profile.email.endsWith(".into(),
        )
        .await;
    assert!(bad.contains("at character"), "{bad}");
    olivia
        .call(
            "admin/rules/save",
            format!(
                "name=Acme+to+Movers&expression=user.profile.email.endsWith(%22%40acme.test%22)&target_realm_id={}",
                movers.id
            ),
        )
        .await;
    let rule = store
        .list_rules(&app::authz::scope(
            &Principal::system(),
            Permission::RealmsRead,
        ))
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "Acme to Movers")
        .unwrap();
    olivia
        .call("admin/rules/change", format!("id={}&op=activate", rule.id))
        .await;
    let op: String = serde_json::from_str(
        &olivia
            .call("admin/rules/plan", format!("id={}", rule.id))
            .await,
    )
    .unwrap();
    let view: serde_json::Value = serde_json::from_str(
        &olivia
            .call("admin/operations/get", format!("id={op}"))
            .await,
    )
    .unwrap();
    let planned = view["operation"]["num_planned"].as_i64().unwrap();
    assert_eq!(planned, selected, "{view}");
    olivia
        .call("admin/operations/execute", format!("id={op}"))
        .await;
    // The second execute of the same plan is a conflict.
    let r = client()
        .post(format!("{}/_fn/admin/operations/execute", olivia.base))
        .header("cookie", olivia.cookie.clone())
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("id={op}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let mut status = String::new();
    for _ in 0..100 {
        let view: serde_json::Value = serde_json::from_str(
            &olivia
                .call("admin/operations/get", format!("id={op}"))
                .await,
        )
        .unwrap();
        status = view["operation"]["status"].as_str().unwrap().to_string();
        if status == "COMPLETED" {
            assert_eq!(view["operation"]["num_moved"].as_i64().unwrap(), planned);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "COMPLETED");
    let dana = user(&rig, "dana.designer@acme.test").await;
    assert_eq!(dana.realm_id, movers.id);
    assert_eq!(
        store.count_events("user.realm.update").await.unwrap(),
        planned
    );
}

#[tokio::test]
async fn a_rule_plan_refuses_accounts_with_more_rights_than_the_planner() {
    let mut rig = Rig::new().await;
    let store = rig.store.clone();
    // Hugo becomes an org admin: every permission org-wide, but not super admin.
    let hugo = user(&rig, "hugo.host@hostco.test").await;
    store
        .assign_standard_role(
            &common::iam(),
            &Member::User(hugo.id.clone()),
            app::model::StandardRole::OrgAdmin,
        )
        .await
        .unwrap();
    let hugo_call = Caller {
        base: rig.portal.base.clone(),
        cookie: rig.sign_in("hugo.host@hostco.test").await,
    };
    hugo_call
        .call("admin/realms/create", "name=Staff&domains=".into())
        .await;
    let staff = store.realm_by_name("Staff").await.unwrap().unwrap();
    hugo_call
        .call(
            "admin/rules/save",
            format!(
                "name=Staff&expression=user.profile.email.endsWith(%22%40hostco.test%22)&target_realm_id={}",
                staff.id
            ),
        )
        .await;
    let rule = store
        .list_rules(&app::authz::scope(
            &Principal::system(),
            Permission::RealmsRead,
        ))
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "Staff")
        .unwrap();
    let op: String = serde_json::from_str(
        &hugo_call
            .call("admin/rules/plan", format!("id={}", rule.id))
            .await,
    )
    .unwrap();
    let view: serde_json::Value = serde_json::from_str(
        &hugo_call
            .call("admin/operations/get", format!("id={op}&result=FAILED"))
            .await,
    )
    .unwrap();
    let refused: Vec<(String, String)> = view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["login"].as_str().unwrap().to_string(),
                i["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    // Olivia is a super admin: an org admin may not move her.
    assert!(
        refused
            .iter()
            .any(|(l, m)| l == "olivia.owner@hostco.test"
                && m.contains("admin rights you do not hold")),
        "{refused:?}"
    );
    assert!(
        !refused.iter().any(|(l, _)| l == "carol.both@hostco.test"),
        "{refused:?}"
    );
    hugo_call
        .call("admin/operations/execute", format!("id={op}"))
        .await;
    for _ in 0..100 {
        let olivia = user(&rig, "olivia.owner@hostco.test").await;
        let carol = user(&rig, "carol.both@hostco.test").await;
        if carol.realm_id == staff.id {
            assert_ne!(
                olivia.realm_id, staff.id,
                "the super admin stays where she is"
            );
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the plan was not executed");
}

/// A form posted without JavaScript is answered with a redirect back; its
/// success message shows on the page it returns to, once. A refusal leaves
/// no notice (it travels in the URL, to its field), and calls made by the
/// app's own script (JSON) leave none either.
#[tokio::test]
async fn a_form_posted_without_javascript_says_what_it_did_once() {
    let mut rig = Rig::new().await;
    let alice = Caller {
        base: rig.portal.base.clone(),
        cookie: rig.sign_in("alice.admin@acme.test").await,
    };
    let dana = user(&rig, "dana.designer@acme.test").await;
    let bob = user(&rig, "bob.admin@globex.test").await;
    let page = format!("/users/{}", dana.id);
    let post = |target: &str, accept: &str| {
        client()
            .post(format!("{}/_fn/users/lifecycle", alice.base))
            .header("cookie", alice.cookie.clone())
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", accept)
            .header("referer", format!("{}{page}", alice.base))
            .body(format!("id={target}&op=clear_sessions"))
            .send()
    };
    let browser = "text/html,application/xhtml+xml,*/*;q=0.8";
    let message = "Clear sessions: done for dana.designer@acme.test.";
    // A browser's page view (the notice waits for one, not for any GET).
    let view = || async {
        let r = client()
            .get(format!("{}{page}", alice.base))
            .header("cookie", alice.cookie.clone())
            .header("accept", browser)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    };

    let r = post(dana.id.as_str(), browser).await.unwrap();
    assert_eq!(r.status(), 302);
    // Back where it came from (Leptos leaves an empty query on it).
    assert_eq!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .trim_end_matches('?'),
        format!("{}{page}", alice.base)
    );
    // A fetch that is not a page view leaves it waiting.
    let (status, _) = alice.get(&page).await;
    assert_eq!(status, 200);
    let html = view().await;
    assert!(html.contains(message), "{html}");
    // Shown once: the next view is quiet.
    let html = view().await;
    assert!(!html.contains(message), "{html}");

    // A refused post (another realm's user) leaves no notice.
    let r = post(bob.id.as_str(), browser).await.unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().contains("__err="));
    let html = view().await;
    assert!(!html.contains("done for"), "{html}");

    // The app's own call gets its message in the answer, not on the next page.
    let r = post(dana.id.as_str(), "application/json").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), format!("\"{message}\""));
    let html = view().await;
    assert!(!html.contains(message), "{html}");
}

/// A CSV file posted as the upload form posts it (multipart), called as a
/// script calls a server function: the status, the answer and where the
/// browser would go (the stored import's page).
async fn upload_import(caller: &Caller, realm_id: &str, csv: &str) -> (u16, String, String) {
    let boundary = "portal-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"realm_id\"\r\n\r\n{realm_id}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let r = client()
        .post(format!("{}/_fn/users/import/upload", caller.base))
        .header("cookie", caller.cookie.clone())
        .header("sec-fetch-site", "same-origin")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (r.status().as_u16(), r.text().await.unwrap(), location)
}

#[tokio::test]
async fn an_import_is_its_uploaders_and_another_realm_is_no_choice() {
    let mut rig = Rig::new().await;
    let alice = Caller {
        base: rig.portal.base.clone(),
        cookie: rig.sign_in("alice.admin@acme.test").await,
    };
    let bob = Caller {
        base: rig.portal.base.clone(),
        cookie: rig.sign_in("bob.admin@globex.test").await,
    };
    let globex = rig.store.realm_by_name("Globex").await.unwrap().unwrap();
    let csv = "login,firstName,lastName,email\r\nzed@globex.test,Zed,Zulu,zed@globex.test";
    // Alice may not import into Globex: not a choice, nothing stored.
    let (status, text, location) = upload_import(&alice, globex.id.as_str(), csv).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("realmId") && location.is_empty(), "{text}");
    // Bob's import is Bob's: Alice gets "not found" for it everywhere.
    let (status, text, location) = upload_import(&bob, globex.id.as_str(), csv).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("Checked 1 line: 1 valid."), "{text}");
    let id = location
        .strip_prefix("/users/import/")
        .unwrap_or_else(|| panic!("goes to the preview: {location}"))
        .to_string();
    for endpoint in ["users/import/get", "users/import/start"] {
        let r = alice.call(endpoint, format!("id={id}")).await;
        assert!(r.contains("notFound"), "{endpoint}: {r}");
    }
    let (status, _) = alice.get(&format!("/users/import/{id}/results.csv")).await;
    assert_eq!(status, 404);
    let (status, csv) = bob.get(&format!("/users/import/{id}/results.csv")).await;
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("line,login,result,message,user id"),
        "{csv}"
    );
    assert!(csv.contains("2,zed@globex.test,valid,,"), "{csv}");
    assert!(rig
        .store
        .system_user_by_login("zed@globex.test")
        .await
        .unwrap()
        .is_none());
    // The upload takes multipart bodies only (its decoder would fail hard).
    let r = client()
        .post(format!("{}/_fn/users/import/upload", alice.base))
        .header("cookie", alice.cookie.clone())
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("realm_id=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
}

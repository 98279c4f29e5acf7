//! Okta's directory semantics: realm types and the default realm, realm
//! rights decided per realm, Okta's limits, rule profile sources and the
//! catch-all over existing users — on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::authz::{self, Permission, Principal, Target};
use app::error::AppError;
use app::ids::{RealmId, ResourceSetId, RoleId};
use app::model::{ItemResult, LifecycleStatus, Realm, RealmType};
use app::ops;
use app::store::admin::Member;
use app::store::admin::StoredPermission;
use app::store::realms::{NewRealm, RealmChange};
use app::store::rules::RuleInput;
use app::store::{Store, StoreError};
use common::{cx, iam, on_both, on_both_with_url, raw_sql, realm, system, user};

fn org_grant() -> authz::Grant {
    system(Permission::RealmsManage, Target::Org)
}

async fn realm_of_type(store: &Store, name: &str, realm_type: RealmType) -> Realm {
    store
        .create_realm(
            &org_grant(),
            NewRealm {
                name: name.into(),
                realm_type,
                domains: vec![],
            },
        )
        .await
        .expect("create realm")
}

/// A custom role with `permissions` bound to `user` over `orns`; its principal.
async fn custom_admin(
    store: &Store,
    org: &authz::OrgContext,
    label: &str,
    permissions: &[&str],
    orns: Vec<String>,
    admin: &app::model::User,
) -> Principal {
    let role = store
        .create_role(
            &iam(),
            label,
            "",
            &permissions
                .iter()
                .map(|p| StoredPermission {
                    permission: p.to_string(),
                    conditions: None,
                })
                .collect::<Vec<_>>(),
        )
        .await
        .expect("role");
    let set = store
        .create_resource_set(&iam(), &format!("{label} set"), "", &orns)
        .await
        .expect("resource set");
    store
        .add_binding_members(&iam(), &set, &role, &[Member::User(admin.id.clone())])
        .await
        .expect("binding");
    common::principal(store, org, admin).await
}

#[tokio::test]
async fn realm_types_are_partner_or_default_and_the_default_realm_has_no_domains() {
    on_both(|store, engine| async move {
        app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let workforce = realm_of_type(&store, "EMEA employees", RealmType::Default).await;
        assert_eq!(workforce.realm_type, RealmType::Default, "{engine}");
        assert!(
            !workforce.is_default,
            "{engine}: DEFAULT type is not isDefault"
        );
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let partner = store.partner_realm_ids().await.unwrap();
        assert!(partner.contains(&acme.id) && !partner.contains(&workforce.id));

        // A realm's type can change; the default realm stays DEFAULT and has
        // no allowed domains.
        let changed = store
            .update_realm(
                &org_grant(),
                &workforce.id,
                RealmChange {
                    name: "EMEA employees",
                    realm_type: Some(RealmType::Partner),
                    domains: &[],
                },
                &workforce.last_updated,
            )
            .await
            .unwrap();
        assert_eq!(changed.realm_type, RealmType::Partner, "{engine}");
        let default = store.default_realm().await.unwrap();
        let domains = ["hostco.test".to_string()];
        let refused = store
            .update_realm(
                &org_grant(),
                &default.id,
                RealmChange {
                    name: &default.name,
                    realm_type: None,
                    domains: &domains,
                },
                &default.last_updated,
            )
            .await;
        match refused {
            Err(StoreError::Invalid(fields)) => assert_eq!(fields[0].field, "domains"),
            other => panic!("{engine}: the default realm took domains: {other:?}"),
        }
        let retyped = store
            .update_realm(
                &org_grant(),
                &default.id,
                RealmChange {
                    name: &default.name,
                    realm_type: Some(RealmType::Partner),
                    domains: &[],
                },
                &default.last_updated,
            )
            .await;
        assert!(
            matches!(retyped, Err(StoreError::Invalid(ref f)) if f[0].field == "realmType"),
            "{engine}: {retyped:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn realm_rights_are_decided_per_realm_and_moves_need_both_realms() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &[]).await;
        let globex = realm(&store, "Globex", &[]).await;
        let initech = realm(&store, "Initech", &[]).await;
        let manager = user(&store, &acme, "rita@acme.test").await;
        // Realm rights (and user rights) over Acme and Globex, not Initech.
        let orns = [&acme, &globex]
            .iter()
            .flat_map(|r| [org.orn_realm(&r.id), org.orn_realm_users(&r.id)])
            .collect();
        let rita = custom_admin(
            &store,
            &org,
            "Realm managers",
            &[
                "okta.realms.read",
                "okta.realms.manage",
                "okta.users.read",
                "okta.users.manage",
            ],
            orns,
            &manager,
        )
        .await;
        let cx = cx(&store, &org, &rita);
        let change = |name: &'static str| RealmChange {
            name,
            realm_type: None,
            domains: &[],
        };
        let readable = authz::scope(&rita, Permission::RealmsRead);
        let acme_now = store.get_realm(&readable, &acme.id).await.unwrap();
        ops::realms::update(&cx, &acme.id, change("Acme Corp"), &acme_now.last_updated)
            .await
            .unwrap_or_else(|e| panic!("{engine}: managing its own realm: {e:?}"));
        let other = ops::realms::update(&cx, &initech.id, change("Mine"), &initech.last_updated);
        assert_eq!(other.await.unwrap_err(), AppError::NotFound, "{engine}");
        let report = ops::realms::report(&cx).await.unwrap();
        let names: Vec<_> = report
            .iter()
            .map(|r| r.summary.realm.name.clone())
            .collect();
        assert_eq!(names, ["Acme Corp", "Globex"], "{engine}: only its realms");
        let create = ops::realms::create(&cx, "New".into(), RealmType::Partner, vec![]);
        assert_eq!(create.await.unwrap_err(), AppError::Forbidden, "{engine}");

        // Moving needs realm rights on both sides.
        let pat = user(&store, &acme, "pat@acme.test").await;
        let id = ops::operations::plan_move(&cx, &[pat.id.to_string()], Some(&globex.id))
            .await
            .unwrap_or_else(|e| panic!("{engine}: Acme → Globex: {e:?}"));
        let view = ops::operations::get(&cx, &id, None, None).await.unwrap();
        assert_eq!(view.operation.num_planned, 1, "{engine}");
        let to_initech =
            ops::operations::plan_move(&cx, &[pat.id.to_string()], Some(&initech.id)).await;
        assert_eq!(to_initech.unwrap_err(), AppError::NotFound, "{engine}");
        // Someone who manages only Globex cannot move Acme's users there,
        // even holding every users right.
        let other_manager = user(&store, &globex, "gil@globex.test").await;
        let gil = custom_admin(
            &store,
            &org,
            "Globex managers",
            &[
                "okta.realms.read",
                "okta.realms.manage",
                "okta.users.read",
                "okta.users.manage",
            ],
            vec![
                org.orn_realm(&globex.id),
                format!(
                    "orn:{}:directory:{}:users",
                    org.orn.partition(),
                    org.orn.org_id()
                ),
            ],
            &other_manager,
        )
        .await;
        let gil_cx = common::cx(&store, &org, &gil);
        let refused =
            ops::operations::plan_move(&gil_cx, &[pat.id.to_string()], Some(&globex.id)).await;
        assert_eq!(refused.unwrap_err(), AppError::NotFound, "{engine}");
        // … nor execute Rita's plan.
        let executed = ops::operations::execute(&gil_cx, &id).await;
        assert!(executed.is_err(), "{engine}: {executed:?}");
        ops::operations::execute(&cx, &id).await.unwrap();
    })
    .await;
}

async fn expect_limit(result: Result<impl std::fmt::Debug, StoreError>, words: &str, engine: &str) {
    match result {
        Err(StoreError::Conflict(message)) => {
            assert!(message.contains(words), "{engine}: {message}");
            assert!(message.contains("as in Okta"), "{engine}: {message}");
        }
        Err(StoreError::Invalid(fields)) => {
            assert!(fields[0].message.contains(words), "{engine}: {fields:?}")
        }
        other => panic!("{engine}: over the limit ({words}) was accepted: {other:?}"),
    }
}

fn now() -> String {
    "2026-01-01T00:00:00.000Z".into()
}

#[tokio::test]
async fn okta_limits_are_enforced_with_clear_errors() {
    on_both_with_url(|store, engine, url| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        // 5,000 realms (the default one included).
        let count = 5_000 - 1;
        let mut statements = Vec::new();
        for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
            let rows: Vec<String> = chunk
                .iter()
                .map(|i| {
                    format!(
                        "('{}', 'Realm {i}', 'PARTNER', FALSE, '[]', '{}', '{}')",
                        RealmId::generate(),
                        now(),
                        now()
                    )
                })
                .collect();
            statements.push(format!(
                "INSERT INTO realms (id, name, realm_type, is_default, domains, created, last_updated) VALUES {}",
                rows.join(", ")
            ));
        }
        raw_sql(&url, &statements).await;
        let over = store
            .create_realm(
                &org_grant(),
                NewRealm {
                    name: "One too many".into(),
                    realm_type: RealmType::Partner,
                    domains: vec![],
                },
            )
            .await;
        expect_limit(over, "at most 5,000 realms", engine).await;

        // 10,000 resource sets.
        let mut statements = Vec::new();
        for chunk in (0..10_000).collect::<Vec<_>>().chunks(1_000) {
            let rows: Vec<String> = chunk
                .iter()
                .map(|i| {
                    format!(
                        "('{}', 'Set {i}', '', '{}', '{}')",
                        ResourceSetId::generate(),
                        now(),
                        now()
                    )
                })
                .collect();
            statements.push(format!(
                "INSERT INTO resource_sets (id, label, description, created, last_updated) VALUES {}",
                rows.join(", ")
            ));
        }
        raw_sql(&url, &statements).await;
        let over = store.create_resource_set(&iam(), "One too many", "", &[]).await;
        expect_limit(over, "at most 10,000 resource sets", engine).await;

        // 1,000 resources per set.
        let acme = store.default_realm().await.unwrap();
        let too_many: Vec<String> = (0..1_001)
            .map(|i| format!("{}-{i}", org.orn_realm(&acme.id)))
            .collect();
        let over = store.create_resource_set(&iam(), "Huge", "", &too_many).await;
        expect_limit(over, "at most 1,000 resources", engine).await;

        // 100 custom roles (the generated Partner Admin role is one).
        let roles: i64 = store
            .list_roles(&system(Permission::IamRead, Target::Org))
            .await
            .unwrap()
            .len() as i64;
        let rows: Vec<String> = (roles..100)
            .map(|i| {
                format!(
                    "('{}', 'Role {i}', '', '{}', '{}')",
                    RoleId::generate(),
                    now(),
                    now()
                )
            })
            .collect();
        raw_sql(
            &url,
            &[format!(
                "INSERT INTO roles (id, label, description, created, last_updated) VALUES {}",
                rows.join(", ")
            )],
        )
        .await;
        let over = store
            .create_role(
                &iam(),
                "One too many",
                "",
                &[StoredPermission {
                    permission: "okta.users.read".into(),
                    conditions: None,
                }],
            )
            .await;
        expect_limit(over, "at most 100 custom roles", engine).await;

    })
    .await;
}

#[tokio::test]
async fn a_binding_holds_at_most_1000_admins() {
    on_both_with_url(|store, engine, url| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &[]).await;
        let first = user(&store, &acme, "first@acme.test").await;
        let set = store
            .create_resource_set(&iam(), "Acme admins", "", &[org.orn_realm(&acme.id)])
            .await
            .unwrap();
        let role = &org.partner_admin_role;
        store
            .add_binding_members(&iam(), &set, role, &[Member::User(first.id.clone())])
            .await
            .unwrap();
        let rows: Vec<String> = (1..1_000)
            .map(|_| {
                format!(
                    "('{}', '{set}', '{role}', 'USER', '{}', '{}')",
                    RoleId::generate(),
                    app::ids::UserId::generate(),
                    now()
                )
            })
            .collect();
        raw_sql(
            &url,
            &[format!(
                "INSERT INTO binding_members (id, resource_set_id, role_id, member_type, member_id, created) VALUES {}",
                rows.join(", ")
            )],
        )
        .await;
        let one_more = user(&store, &acme, "more@acme.test").await;
        let over = store
            .add_binding_members(&iam(), &set, role, &[Member::User(one_more.id.clone())])
            .await;
        expect_limit(over, "at most 1,000 admins", engine).await;
        // Adding someone already bound changes nothing and passes.
        store
            .add_binding_members(&iam(), &set, role, &[Member::User(first.id.clone())])
            .await
            .unwrap();
    })
    .await;
}

fn rule_input(name: &str, source: Option<String>, to: &RealmId) -> RuleInput {
    RuleInput {
        name: name.into(),
        profile_source_id: source,
        expression: None,
        target_realm_id: to.clone(),
    }
}

#[tokio::test]
async fn rules_count_500_in_all_and_30_per_profile_source_and_deletes_free_room() {
    on_both_with_url(|store, engine, url| async move {
        app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &[]).await;
        let app = store
            .create_app(
                &system(Permission::AppsManage, Target::Org),
                "portal_app",
                "Supplier portal",
                "BOOKMARK",
            )
            .await
            .unwrap();
        // 30 per profile source: OKTA (no source) and an app.
        for i in 0..30 {
            store
                .create_rule(&org_grant(), rule_input(&format!("Okta {i}"), None, &acme.id))
                .await
                .unwrap();
        }
        let over = store
            .create_rule(&org_grant(), rule_input("Okta 31", None, &acme.id))
            .await;
        expect_limit(over, "at most 30 realm assignments", engine).await;
        let from_app = store
            .create_rule(
                &org_grant(),
                rule_input("From the app", Some(app.id.to_string()), &acme.id),
            )
            .await
            .unwrap();
        assert_eq!(
            from_app.profile_source_id.as_deref(),
            Some(app.id.as_str()),
            "{engine}: an app is a profile source"
        );
        let unknown = store
            .create_rule(
                &org_grant(),
                rule_input("Nowhere", Some("0oaXXXXXXXXXXXXXXXXX".into()), &acme.id),
            )
            .await;
        assert!(
            matches!(unknown, Err(StoreError::Invalid(ref f)) if f[0].field == "profileSourceId"),
            "{engine}: {unknown:?}"
        );

        // 500 in all (the catch-all included): fill up with rules of other
        // (made-up) sources written directly, the last at priority 498.
        let rules = store
            .list_rules(&authz::scope(&Principal::system(), Permission::RealmsRead))
            .await
            .unwrap();
        let have = rules.len();
        let mut statements = Vec::new();
        for i in have..500 {
            // Each its own source, so the per-source limit does not bite.
            let idp = app::ids::IdpId::generate();
            statements.push(format!(
                "INSERT INTO identity_providers (id, name, issuer, client_id, created, last_updated) \
                 VALUES ('{idp}', 'IdP {i}', 'https://idp{i}.test', 'c', '{}', '{}')",
                now(),
                now()
            ));
            statements.push(format!(
                "INSERT INTO realm_assignment_rules (id, name, priority, status, is_default, \
                 profile_source_id, target_realm_id, created, last_updated) \
                 VALUES ('{}', 'Filler {i}', {}, 'INACTIVE', FALSE, '{idp}', '{}', '{}', '{}')",
                app::ids::RuleId::generate(),
                i as i64 - 1,
                acme.id,
                now(),
                now()
            ));
        }
        raw_sql(&url, &statements).await;
        let over = store
            .create_rule(&org_grant(), rule_input("Too many", Some(app.id.to_string()), &acme.id))
            .await;
        expect_limit(over, "at most 500", engine).await;
        // Deleting any rule (here the first) frees room, though the last one
        // sits just before the catch-all.
        let first = rules.iter().find(|r| !r.is_default).unwrap();
        store.delete_rule(&org_grant(), &first.id).await.unwrap();
        let fits = store
            .create_rule(&org_grant(), rule_input("Fits", Some(app.id.to_string()), &acme.id))
            .await
            .unwrap_or_else(|e| panic!("{engine}: a delete frees room: {e:?}"));
        let all = store
            .list_rules(&authz::scope(&Principal::system(), Permission::RealmsRead))
            .await
            .unwrap();
        assert_eq!(all.len(), 500, "{engine}");
        let last = all.iter().rfind(|r| !r.is_default).unwrap();
        assert_eq!(last.id, fits.id, "{engine}: a new rule comes last, before the catch-all");
        assert!(all.last().unwrap().is_default, "{engine}: the catch-all stays last");
    })
    .await;
}

#[tokio::test]
async fn the_catch_all_runs_over_existing_users_with_a_plan_first() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &[]).await;
        let globex = realm(&store, "Globex", &[]).await;
        let stray = user(&store, &acme, "stray@acme.test").await;
        let placed = user(&store, &globex, "placed@globex.test").await;
        // An active rule keeps Globex's users where they are.
        let keep = store
            .create_rule(
                &org_grant(),
                RuleInput {
                    name: "Globex".into(),
                    profile_source_id: None,
                    expression: Some(r#"user.profile.login.endsWith("@globex.test")"#.into()),
                    target_realm_id: globex.id.clone(),
                },
            )
            .await
            .unwrap();
        store
            .set_rule_status(&org_grant(), &keep.id, LifecycleStatus::Active)
            .await
            .unwrap();
        let rules = store
            .list_rules(&authz::scope(&Principal::system(), Permission::RealmsRead))
            .await
            .unwrap();
        let catch_all = rules.iter().find(|r| r.is_default).unwrap();
        let admin = user(&store, &acme, "olga@acme.test").await;
        common::super_admin(&store, &admin).await;
        let olga = common::principal(&store, &org, &admin).await;
        let cx = cx(&store, &org, &olga);
        let plan = ops::operations::plan_rule(&cx, &catch_all.id)
            .await
            .unwrap_or_else(|e| panic!("{engine}: the catch-all can be planned: {e:?}"));
        let view = ops::operations::get(&cx, &plan.id, Some(ItemResult::Pending), None)
            .await
            .unwrap();
        let logins: Vec<_> = view.items.iter().map(|i| i.login.clone()).collect();
        assert!(
            logins.contains(&stray.profile.login),
            "{engine}: {logins:?}"
        );
        assert!(
            !logins.contains(&placed.profile.login),
            "{engine}: {logins:?}"
        );
        assert_eq!(catch_all.target_realm_id, org.default_realm, "{engine}");
    })
    .await;
}

#[tokio::test]
async fn the_wizard_puts_a_new_partner_admin_in_the_default_realm_when_asked() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let default = store.default_realm().await.unwrap();
        let owner = user(&store, &default, "olga@hostco.test").await;
        common::super_admin(&store, &owner).await;
        let olga = common::principal(&store, &org, &owner).await;
        let cx = cx(&store, &org, &olga);
        let input = |name: &str, email: &str, home: &str| ops::wizard::Input {
            name: name.into(),
            domains: format!("{}.test", name.to_lowercase()),
            groups: vec![],
            apps: vec![],
            existing_admins: String::new(),
            new_admin: [email.into(), "Nia".into(), "New".into()],
            admin_home: home.into(),
            idp: [String::new(), String::new()],
            idp_secret: None,
        };
        let wrong = ops::wizard::create(&cx, input("Initech", "nia@initech.test", "elsewhere")).await;
        assert!(
            matches!(wrong, Err(AppError::Validation { ref fields, .. }) if fields.iter().any(|f| f.field == "adminHome")),
            "{engine}: {wrong:?}"
        );
        let review = ops::wizard::review(&cx, input("Initech", "nia@initech.test", "default"))
            .await
            .unwrap();
        assert!(
            review.new_admin.as_deref().unwrap_or_default().ends_with("in the default realm (Default)"),
            "{engine}: {:?}",
            review.new_admin
        );
        let realm = ops::wizard::create(&cx, input("Initech", "nia@initech.test", "default"))
            .await
            .unwrap();
        let nia = store
            .system_user_by_login("nia@initech.test")
            .await
            .unwrap()
            .expect("created");
        assert_eq!(nia.realm_id, default.id, "{engine}: outside the realm it manages");
        // It manages the new realm's users, and — outside it — not itself.
        let nia_principal = common::principal(&store, &org, &nia).await;
        let nia_cx = common::cx(&store, &org, &nia_principal);
        let created = ops::users::create(
            &nia_cx,
            ops::users::NewUserInput {
                realm_id: Some(realm.id.clone()),
                source: None,
                profile: common::profile("wile@initech.test", "Wile", "Coyote"),
                custom: Default::default(),
                activate: true,
                groups: vec![],
            },
        )
        .await;
        assert!(created.is_ok(), "{engine}: {created:?}");
        let own = ops::users::get(&nia_cx, &nia.id).await;
        assert_eq!(own.unwrap_err(), AppError::NotFound, "{engine}");
    })
    .await;
}

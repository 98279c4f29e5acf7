//! Realm-assignment rules and their operations, on SQLite and PostgreSQL: the
//! dry-run plan is exactly what execution applies; a change between the two is
//! reported, not applied; rule evaluation over stored users follows the
//! expression semantics on edge cases; rule editing keeps the catch-all last;
//! the partner realm wizard writes all or nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use app::authz::{self, Permission, Principal, Target};
use app::ids::RealmId;
use app::model::{
    BaseProfile, ItemResult, LifecycleStatus, OperationStatus, Realm, RealmType, User,
};
use app::store::profiles::ProfileUpdate;
use app::store::realms::NewRealm;
use app::store::rules::{BatchOutcome, RuleInput};
use app::store::users::{AttributeDef, AttributeType, NewUser};
use app::store::wizard::{PartnerRealmGrants, PartnerRealmPlan};
use app::store::{Store, StoreError};
use common::{on_both, realm, system};
use serde_json::{json, Map};

fn org_grant() -> authz::Grant {
    system(Permission::RealmsManage, Target::Org)
}

async fn user_with(
    store: &Store,
    realm: &Realm,
    login: &str,
    custom: Map<String, serde_json::Value>,
) -> User {
    common::create_user(
        store,
        realm,
        common::profile(login, "Pat", login.split('@').next().unwrap_or("x")),
        custom,
    )
    .await
    .expect("create user")
}

async fn user(store: &Store, realm: &Realm, login: &str) -> User {
    user_with(store, realm, login, Map::new()).await
}

async fn rule(store: &Store, name: &str, expression: &str, to: &RealmId) -> app::model::RealmRule {
    let r = store
        .create_rule(
            &org_grant(),
            RuleInput {
                name: name.into(),
                profile_source_id: None,
                expression: Some(expression.into()),
                target_realm_id: to.clone(),
            },
        )
        .await
        .expect("create rule");
    store
        .set_rule_status(&org_grant(), &r.id, LifecycleStatus::Active)
        .await
        .expect("activate")
}

async fn realm_by_id(store: &Store, id: &RealmId) -> Realm {
    store
        .get_realm(
            &authz::scope(&Principal::system(), Permission::RealmsRead),
            id,
        )
        .await
        .expect("realm")
}

async fn realm_of(store: &Store, user: &User) -> RealmId {
    store
        .system_user_by_id(&user.id)
        .await
        .unwrap()
        .expect("user exists")
        .realm_id
}

/// Every item of an operation, by result.
async fn items(store: &Store, op: &app::ids::OperationId, result: ItemResult) -> BTreeSet<String> {
    store
        .operation_items(&org_grant(), op, Some(result), None, 10_000, None)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.login)
        .collect()
}

async fn run_to_end(store: &Store, op: &app::ids::OperationId, batch: i64) -> usize {
    let mut batches = 0;
    loop {
        batches += 1;
        if store.apply_batch(&org_grant(), op, batch).await.unwrap() == BatchOutcome::Done {
            return batches;
        }
    }
}

#[tokio::test]
async fn the_dry_run_plan_is_exactly_what_execute_applies() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let default = realm_by_id(&store, &org.default_realm).await;
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let mut expected = BTreeSet::new();
        for i in 0..7 {
            let login = format!("a{i}@acme.test");
            user(&store, &default, &login).await;
            expected.insert(login);
        }
        let other = user(&store, &default, "o@other.test").await;
        let already = user(&store, &acme, "in@acme.test").await;
        let r = rule(
            &store,
            "Acme by email",
            r#"user.profile.email.endsWith("@acme.test")"#,
            &acme.id,
        )
        .await;

        let plan = store
            .plan_rule(&org_grant(), &r.id, &Default::default(), None)
            .await
            .unwrap();
        assert_eq!(plan.status, OperationStatus::Planned, "{engine}");
        assert_eq!(plan.num_planned, 7, "{engine}");
        assert_eq!(
            items(&store, &plan.id, ItemResult::Pending).await,
            expected,
            "{engine}: the plan lists exactly who moves"
        );
        // A dry run moves nobody.
        assert_eq!(
            store.count_events("user.realm.update").await.unwrap(),
            0,
            "{engine}"
        );

        // A user who starts matching after the plan is not in it: execution
        // applies the plan, it does not evaluate the rule again.
        let late = user(&store, &default, "late@acme.test").await;

        store.start_operation(&org_grant(), &plan.id).await.unwrap();
        let batches = run_to_end(&store, &plan.id, 3).await;
        assert_eq!(batches, 3, "{engine}: 7 items in batches of 3");
        let done = store.get_operation(&org_grant(), &plan.id).await.unwrap();
        assert_eq!(done.status, OperationStatus::Completed, "{engine}");
        assert_eq!(
            (done.num_moved, done.num_skipped, done.num_failed),
            (7, 0, 0),
            "{engine}"
        );
        assert_eq!(
            items(&store, &plan.id, ItemResult::Moved).await,
            expected,
            "{engine}: applied == planned"
        );
        for login in &expected {
            let u = store.system_user_by_login(login).await.unwrap().unwrap();
            assert_eq!(u.realm_id, acme.id, "{engine}: {login} moved");
            assert_eq!(u.version, 2, "{engine}: a move is a change");
        }
        assert_eq!(
            realm_of(&store, &late).await,
            default.id,
            "{engine}: not in the plan, not moved"
        );
        assert_eq!(realm_of(&store, &other).await, default.id, "{engine}");
        assert_eq!(realm_of(&store, &already).await, acme.id, "{engine}");
        assert_eq!(
            store.count_events("user.realm.update").await.unwrap(),
            7,
            "{engine}"
        );
        assert_eq!(
            store
                .count_events("directory.realm.assignment.execution_started")
                .await
                .unwrap(),
            1,
            "{engine}"
        );
        assert_eq!(
            store
                .count_events("directory.realm.assignment.execution_completed")
                .await
                .unwrap(),
            1,
            "{engine}"
        );
        assert!(
            matches!(
                store.verify_system_log().await.unwrap(),
                app::store::audit::ChainReport::Intact { .. }
            ),
            "{engine}"
        );

        // A plan runs once.
        let again = store.start_operation(&org_grant(), &plan.id).await;
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "{engine}: {again:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_change_between_dry_run_and_execute_is_reported_not_applied() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let default = realm_by_id(&store, &org.default_realm).await;
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let globex = realm(&store, "Globex", &[]).await;
        let edited = user(&store, &default, "edited@acme.test").await;
        let moved = user(&store, &default, "moved@acme.test").await;
        let plain = user(&store, &default, "plain@acme.test").await;
        let r = rule(
            &store,
            "Acme",
            r#"user.profile.email.endsWith("@acme.test")"#,
            &acme.id,
        )
        .await;
        let plan = store
            .plan_rule(&org_grant(), &r.id, &Default::default(), None)
            .await
            .unwrap();
        assert_eq!(plan.num_planned, 3, "{engine}");

        // Between the dry run and the execution: a profile edit, a realm move.
        let target = store.facts_of_user(&org.orn, &edited).await.unwrap();
        store
            .update_profile(
                &system(Permission::UsersUserprofileManage, target),
                ProfileUpdate {
                    profile: BaseProfile {
                        last_name: "Renamed".into(),
                        ..edited.profile.clone()
                    },
                    custom_profile: Map::new(),
                    expected_version: Some(edited.version),
                },
            )
            .await
            .unwrap();
        let target = store.facts_of_user(&org.orn, &moved).await.unwrap();
        store
            .move_user(
                &system(Permission::UsersManage, target),
                &system(
                    Permission::UsersCreate,
                    Target::NewUserIn {
                        realm_id: globex.id.clone(),
                    },
                ),
            )
            .await
            .unwrap();

        store.start_operation(&org_grant(), &plan.id).await.unwrap();
        run_to_end(&store, &plan.id, 500).await;
        let done = store.get_operation(&org_grant(), &plan.id).await.unwrap();
        assert_eq!((done.num_moved, done.num_skipped), (1, 2), "{engine}");
        let skipped = store
            .operation_items(
                &org_grant(),
                &plan.id,
                Some(ItemResult::SkippedChanged),
                None,
                10,
                None,
            )
            .await
            .unwrap();
        let notes: Vec<_> = skipped
            .iter()
            .map(|i| (i.login.as_str(), i.message.clone().unwrap_or_default()))
            .collect();
        assert!(
            notes
                .iter()
                .any(|(l, m)| *l == "edited@acme.test" && m.contains("changed since the plan")),
            "{engine}: {notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|(l, m)| *l == "moved@acme.test" && m.contains("another realm")),
            "{engine}: {notes:?}"
        );
        assert_eq!(
            realm_of(&store, &edited).await,
            default.id,
            "{engine}: not silently moved"
        );
        assert_eq!(
            realm_of(&store, &moved).await,
            globex.id,
            "{engine}: the later move stands"
        );
        assert_eq!(realm_of(&store, &plain).await, acme.id, "{engine}");
        // One move by the operation (plus the manual one).
        assert_eq!(
            store.count_events("user.realm.update").await.unwrap(),
            2,
            "{engine}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_plan_respects_priority_and_lists_refusals_without_moving_them() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000").await.unwrap();
        let default = realm_by_id(&store, &org.default_realm).await;
        let partners = realm(&store, "Partners", &["partner.test"]).await;
        let vip = realm(&store, "VIP", &[]).await;
        let boss = user(&store, &default, "boss@partner.test").await;
        let staff = user(&store, &default, "staff@partner.test").await;
        // Selected by the rule, but outside the target realm's domains.
        user(&store, &default, "x@elsewhere.test").await;
        // The first rule (higher priority) takes the boss.
        rule(&store, "VIP", r#"user.profile.login.startsWith("boss@")"#, &vip.id).await;
        let r = rule(
            &store,
            "Partners",
            r#"user.profile.email.endsWith("@partner.test") || user.profile.email.endsWith("@elsewhere.test")"#,
            &partners.id,
        )
        .await;
        let plan = store.plan_rule(&org_grant(), &r.id, &Default::default(), None).await.unwrap();
        assert_eq!((plan.num_planned, plan.num_refused), (1, 1), "{engine}");
        assert_eq!(items(&store, &plan.id, ItemResult::Pending).await, BTreeSet::from(["staff@partner.test".to_string()]), "{engine}");
        let refused = store
            .operation_items(&org_grant(), &plan.id, Some(ItemResult::Failed), None, 10, None)
            .await
            .unwrap();
        assert_eq!(refused.len(), 1, "{engine}");
        assert!(refused[0].message.as_deref().unwrap_or("").contains("outside Partners's domains"), "{engine}: {refused:?}");
        store.start_operation(&org_grant(), &plan.id).await.unwrap();
        run_to_end(&store, &plan.id, 10).await;
        assert_eq!(realm_of(&store, &staff).await, partners.id, "{engine}");
        assert_eq!(realm_of(&store, &boss).await, default.id, "{engine}: the VIP rule decides for the boss");
        let x = store.system_user_by_login("x@elsewhere.test").await.unwrap().unwrap();
        assert_eq!(x.realm_id, default.id, "{engine}: refused, never moved");
        // The catch-all runs over existing users too: whoever no rule selects.
        let catch_all = store
            .list_rules(&authz::scope(&Principal::system(), Permission::RealmsRead))
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.is_default)
            .unwrap();
        let everyone_else = store.plan_rule(&org_grant(), &catch_all.id, &Default::default(), None).await.unwrap();
        let moved = items(&store, &everyone_else.id, ItemResult::Pending).await;
        // Staff is selected by the Partners rule; the others are in the
        // catch-all's realm already.
        assert!(moved.is_empty(), "{engine}: {moved:?}");
    })
    .await;
}

#[tokio::test]
async fn rule_evaluation_over_stored_users_follows_the_expression_semantics() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let default = realm_by_id(&store, &org.default_realm).await;
        for (name, t) in [
            ("department", AttributeType::String),
            ("partner", AttributeType::Boolean),
            ("level", AttributeType::Integer),
        ] {
            store
                .define_profile_attribute(
                    &system(Permission::UsersManage, Target::Org),
                    AttributeDef {
                        name: name.into(),
                        title: name.into(),
                        attr_type: t,
                        required: false,
                    },
                )
                .await
                .unwrap();
        }
        let custom = |pairs: &[(&str, serde_json::Value)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<Map<_, _>>()
        };
        user_with(
            &store,
            &default,
            "sales@acme.test",
            custom(&[
                ("department", json!("Sales")),
                ("partner", json!(true)),
                ("level", json!(3)),
            ]),
        )
        .await;
        user_with(
            &store,
            &default,
            "empty@ACME.test",
            custom(&[("department", json!(""))]),
        )
        .await;
        user_with(&store, &default, "none@acme.test", Map::new()).await;
        let count = |e: &'static str| {
            let store = store.clone();
            async move {
                store
                    .preview_rule(
                        &system(Permission::RealmsManage, Target::Org),
                        e,
                        None,
                        1_000,
                    )
                    .await
                    .unwrap()
                    .0
            }
        };
        // Missing attributes are null: == a string is false, != is true.
        assert_eq!(
            count(r#"user.profile.department == "Sales""#).await,
            1,
            "{engine}"
        );
        assert_eq!(
            count(r#"user.profile.department != "Sales""#).await,
            2,
            "{engine}"
        );
        assert_eq!(
            count("user.profile.department == null").await,
            1,
            "{engine}: only the user without it"
        );
        // An empty string is a value, not a missing one.
        assert_eq!(
            count(r#"user.profile.department == """#).await,
            1,
            "{engine}"
        );
        // An unset base attribute is null too.
        assert_eq!(
            count(r#"user.profile.mobilePhone == """#).await,
            0,
            "{engine}"
        );
        // Comparisons are case-sensitive; toLowerCase() makes them not.
        assert_eq!(
            count(r#"user.profile.email.endsWith("@acme.test")"#).await,
            2,
            "{engine}"
        );
        assert_eq!(
            count(r#"user.profile.email.toLowerCase().endsWith("@acme.test")"#).await,
            3,
            "{engine}"
        );
        // Booleans and numbers keep their types.
        assert_eq!(count("user.profile.partner").await, 1, "{engine}");
        assert_eq!(
            count("!user.profile.partner").await,
            2,
            "{engine}: missing is not true"
        );
        assert_eq!(count("user.profile.level == 3").await, 1, "{engine}");
        assert_eq!(
            count(r#"user.profile.level == "3""#).await,
            0,
            "{engine}: no conversions"
        );
        // An invalid expression names its position.
        let err = store
            .preview_rule(
                &system(Permission::RealmsManage, Target::Org),
                "user.profile.email.endsWith(",
                None,
                10,
            )
            .await
            .unwrap_err();
        let StoreError::Invalid(fields) = err else {
            panic!("{engine}: field error expected")
        };
        assert_eq!(fields[0].field, "expression");
        assert!(
            fields[0].message.contains("at character"),
            "{engine}: {}",
            fields[0].message
        );
    })
    .await;
}

#[tokio::test]
async fn rules_keep_their_order_and_the_catch_all_stays_last() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &[]).await;
        let all = || {
            let store = store.clone();
            async move {
                store
                    .list_rules(&authz::scope(&Principal::system(), Permission::RealmsRead))
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.name)
                    .collect::<Vec<_>>()
            }
        };
        let a = rule(&store, "A", "true", &acme.id).await;
        let b = rule(&store, "B", "true", &acme.id).await;
        assert_eq!(all().await, ["A", "B", "Catch-all"], "{engine}");
        store.move_rule(&org_grant(), &b.id, true).await.unwrap();
        assert_eq!(all().await, ["B", "A", "Catch-all"], "{engine}");
        // Nothing passes the catch-all.
        store.move_rule(&org_grant(), &a.id, false).await.unwrap();
        assert_eq!(all().await, ["B", "A", "Catch-all"], "{engine}");
        let catch_all = store
            .list_rules(&authz::scope(&Principal::system(), Permission::RealmsRead))
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.is_default)
            .unwrap();
        assert!(
            matches!(
                store.delete_rule(&org_grant(), &catch_all.id).await,
                Err(StoreError::Conflict(_))
            ),
            "{engine}"
        );
        assert!(matches!(
            store
                .set_rule_status(&org_grant(), &catch_all.id, LifecycleStatus::Inactive)
                .await,
            Err(StoreError::Conflict(_))
        ));
        // A bad expression is a field error; nothing is created.
        let bad = store
            .create_rule(
                &org_grant(),
                RuleInput {
                    name: "Bad".into(),
                    profile_source_id: None,
                    expression: Some("user.profile.x >".into()),
                    target_realm_id: acme.id.clone(),
                },
            )
            .await;
        assert!(
            matches!(&bad, Err(StoreError::Invalid(f)) if f[0].field == "expression"),
            "{engine}: {bad:?}"
        );
        // A lost update is a conflict.
        let stale = store
            .update_rule(
                &org_grant(),
                &a.id,
                RuleInput {
                    name: "A2".into(),
                    profile_source_id: None,
                    expression: None,
                    target_realm_id: acme.id.clone(),
                },
                "2000-01-01T00:00:00.000Z",
            )
            .await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{engine}");
        store.delete_rule(&org_grant(), &a.id).await.unwrap();
        assert_eq!(all().await, ["B", "Catch-all"], "{engine}");
        // One realm's rules and counts come from SQL scoped to it.
        let read = authz::scope(&Principal::system(), Permission::RealmsRead);
        let targeting: Vec<String> = store
            .rules_targeting(&read, &acme.id)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(targeting, ["B"], "{engine}");
        user(&store, &acme, "one@acme.test").await;
        let summary = store.realm_summary(&read, &acme.id).await.unwrap();
        assert_eq!((summary.users, summary.by_status.len()), (1, 1), "{engine}");
        // A realm a rule points at cannot be deleted; the message says why.
        let blocked = store.delete_realm(&org_grant(), &acme.id).await;
        assert!(
            matches!(&blocked, Err(StoreError::Conflict(m)) if m.contains("rule")),
            "{engine}: {blocked:?}"
        );
        let _ = org;
    })
    .await;
}

#[tokio::test]
async fn cancel_stops_an_operation_between_batches() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let default = realm_by_id(&store, &org.default_realm).await;
        let acme = realm(&store, "Acme", &[]).await;
        for i in 0..5 {
            user(&store, &default, &format!("c{i}@acme.test")).await;
        }
        let r = rule(&store, "All", "true", &acme.id).await;
        let plan = store
            .plan_rule(&org_grant(), &r.id, &Default::default(), None)
            .await
            .unwrap();
        // A plan still being made cannot start.
        store
            .unsafe_execute_raw("UPDATE realm_assignment_operations SET planned = NULL")
            .await
            .unwrap();
        let early = store.start_operation(&org_grant(), &plan.id).await;
        assert!(
            matches!(&early, Err(StoreError::Conflict(m)) if m.contains("still being made")),
            "{engine}: {early:?}"
        );
        store
            .unsafe_execute_raw("UPDATE realm_assignment_operations SET planned = created")
            .await
            .unwrap();
        store.start_operation(&org_grant(), &plan.id).await.unwrap();
        assert_eq!(
            store.apply_batch(&org_grant(), &plan.id, 2).await.unwrap(),
            BatchOutcome::More
        );
        let canceled = store
            .cancel_operation(&org_grant(), &plan.id)
            .await
            .unwrap();
        assert_eq!(canceled.status, OperationStatus::Canceled, "{engine}");
        assert_eq!(
            store.apply_batch(&org_grant(), &plan.id, 2).await.unwrap(),
            BatchOutcome::Done
        );
        let op = store.get_operation(&org_grant(), &plan.id).await.unwrap();
        assert_eq!(op.num_moved, 2, "{engine}");
        assert_eq!(
            items(&store, &plan.id, ItemResult::Canceled).await.len(),
            3,
            "{engine}"
        );
        assert_eq!(
            store.count_events("user.realm.update").await.unwrap(),
            2,
            "{engine}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_partner_realm_wizard_writes_all_or_nothing() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000").await.unwrap();
        let default = realm_by_id(&store, &org.default_realm).await;
        let existing = user(&store, &default, "taken@initech.test").await;
        let plan = |login: &str| {
            let realm_id = RealmId::generate();
            PartnerRealmPlan {
                orns: vec![org.orn_realm(&realm_id), org.orn_realm_users(&realm_id)],
                realm_id,
                realm: NewRealm { name: "Initech".into(), realm_type: RealmType::Partner, domains: vec!["initech.test".into()] },
                resource_set_label: "Initech partner administration".into(),
                role: org.partner_admin_role.clone(),
                existing_admins: vec![],
                new_admins: vec![NewUser {
                    realm_id: RealmId::generate(),
                    profile: common::profile(login, "Nina", "New"),
                    custom_profile: Map::new(),
                    activate: true,
                    profile_source_id: None,
                }],
                admins_realm: None,
                idp: None,
            }
        };
        let grants = |p: &PartnerRealmPlan| PartnerRealmGrants {
            realm: org_grant(),
            binding: common::iam(),
            users: Some(system(Permission::UsersCreate, Target::NewUserIn { realm_id: p.realm_id.clone() })),
            idp: None,
        };
        let events_before = store.count_all_events().await.unwrap();
        // The new admin's username is taken: nothing at all is written.
        let p = plan("taken@initech.test");
        let failed = store.create_partner_realm(&grants(&p), p).await;
        assert!(matches!(&failed, Err(StoreError::Invalid(f)) if f.iter().any(|f| f.field.starts_with("newAdmins.0"))), "{engine}: {failed:?}");
        assert!(store.realm_by_name("Initech").await.unwrap().is_none(), "{engine}: no realm left behind");
        assert_eq!(store.count_all_events().await.unwrap(), events_before, "{engine}: no event left behind");
        let _ = existing;

        let p = plan("nina.new@initech.test");
        let made = store.create_partner_realm(&grants(&p), p).await.unwrap();
        let nina = store.system_user_by_login("nina.new@initech.test").await.unwrap().unwrap();
        assert_eq!(nina.realm_id, made.realm.id, "{engine}");
        assert_eq!(made.admins, vec![nina.id.clone()]);
        // Nina now administers her realm and nothing else.
        let rows = store.rights_rows(&nina.id).await.unwrap();
        let nina_p = Principal::for_user(nina.id.clone(), app::store::audit::Actor::system(), app::store::audit::Client::default(), rows, &org.orn);
        assert!(authz::check(&nina_p, Permission::UsersCreate, &Target::NewUserIn { realm_id: made.realm.id.clone() }).is_ok(), "{engine}");
        assert!(authz::check(&nina_p, Permission::UsersCreate, &Target::NewUserIn { realm_id: default.id.clone() }).is_err(), "{engine}");
        assert_eq!(store.count_events("directory.realm.lifecycle.create").await.unwrap(), 2, "{engine}: default, then Initech (the failed try left none)");
        assert_eq!(store.count_events("iam.resourceset.bindings.add").await.unwrap(), 1, "{engine}");
    })
    .await;
}

/// What the Management API needs of the store, on both engines: rules at a
/// chosen (unique) priority, one plan of every active rule (`ALL`), runs
/// without plans, and the System Log read oldest first after a cursor.
#[tokio::test]
async fn all_assignments_priorities_runs_and_the_log_read_forward() {
    use app::store::log::{LogCondition, LogField, LogQuery};
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let default = realm_by_id(&store, &org.default_realm).await;
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let globex = realm(&store, "Globex", &[]).await;
        user(&store, &default, "a@acme.test").await;
        user(&store, &default, "g@globex.test").await;
        let stray = user(&store, &globex, "s@stray.test").await;
        let input = |name: &str, expression: &str, to: &RealmId| RuleInput {
            name: name.into(),
            profile_source_id: None,
            expression: Some(expression.into()),
            target_realm_id: to.clone(),
        };
        let g = store
            .create_rule_at(
                &org_grant(),
                input(
                    "Globex",
                    r#"user.profile.email.endsWith("@globex.test")"#,
                    &globex.id,
                ),
                Some(7),
            )
            .await
            .unwrap();
        assert_eq!(g.priority, 7, "{engine}");
        let taken = store
            .create_rule_at(&org_grant(), input("Twice", "", &globex.id), Some(7))
            .await;
        assert!(
            matches!(taken, Err(StoreError::Invalid(ref f)) if f[0].field == "priority"),
            "{engine}: {taken:?}"
        );
        store
            .set_rule_status(&org_grant(), &g.id, LifecycleStatus::Active)
            .await
            .unwrap();
        rule(
            &store,
            "Acme",
            r#"user.profile.email.endsWith("@acme.test")"#,
            &acme.id,
        )
        .await;

        // ALL: each user to its first rule's realm, the catch-all for the rest.
        let plan = store
            .plan_all(&org_grant(), &Default::default(), None)
            .await
            .unwrap();
        assert_eq!(plan.rule_id, None, "{engine}");
        let pending = store
            .operation_items(
                &org_grant(),
                &plan.id,
                Some(ItemResult::Pending),
                None,
                100,
                None,
            )
            .await
            .unwrap();
        let moves: BTreeSet<(String, String)> = pending
            .iter()
            .map(|i| (i.login.clone(), i.to_realm.clone()))
            .collect();
        let default_name = default.name.clone();
        assert_eq!(
            moves,
            BTreeSet::from([
                ("a@acme.test".to_string(), "Acme".to_string()),
                ("g@globex.test".to_string(), "Globex".to_string()),
                ("s@stray.test".to_string(), default_name),
            ]),
            "{engine}"
        );
        let reader = system(Permission::RealmsRead, Target::Org);
        let all_runs = || store.list_runs(&reader, None, 10);
        assert!(
            all_runs().await.unwrap().is_empty(),
            "{engine}: a plan is no run"
        );
        store.start_operation(&org_grant(), &plan.id).await.unwrap();
        run_to_end(&store, &plan.id, 10).await;
        assert_eq!(realm_of(&store, &stray).await, default.id, "{engine}");
        let runs = all_runs().await.unwrap();
        assert_eq!(runs.len(), 1, "{engine}");
        assert_eq!(runs[0].num_moved, 3, "{engine}");

        // The log, oldest first after a cursor, filtered.
        let everything = authz::log_scope(&Principal::system());
        let query = LogQuery {
            alternatives: vec![
                vec![LogCondition::Equals(
                    LogField::EventType,
                    "user.realm.update".into(),
                )],
                vec![LogCondition::StartsWith(
                    LogField::EventType,
                    "directory.realm.assignment.execution_".into(),
                )],
            ],
            ..LogQuery::default()
        };
        let first = store
            .read_events(&everything, &query, None, false, 2)
            .await
            .unwrap();
        assert_eq!(first.items.len(), 2, "{engine}");
        assert!(first.items[0].seq < first.items[1].seq, "{engine}");
        let rest = store
            .read_events(&everything, &query, first.next.as_deref(), false, 10)
            .await
            .unwrap();
        assert_eq!(
            (rest.items.len(), rest.next),
            (3, None),
            "{engine}: 3 moves and 2 execution events"
        );
        let types: Vec<&str> = first
            .items
            .iter()
            .chain(&rest.items)
            .map(|e| e.event["eventType"].as_str().unwrap())
            .collect();
        assert_eq!(
            types.first(),
            Some(&"directory.realm.assignment.execution_started"),
            "{engine}"
        );
        assert_eq!(
            types.last(),
            Some(&"directory.realm.assignment.execution_completed"),
            "{engine}"
        );
        let newest = store
            .read_events(&everything, &query, None, true, 1)
            .await
            .unwrap();
        assert_eq!(newest.items[0].seq, rest.items[2].seq, "{engine}");
        let keyword = LogQuery {
            keywords: vec!["S@STRAY".into()],
            ..LogQuery::default()
        };
        let found = store
            .read_events(&everything, &keyword, None, false, 100)
            .await
            .unwrap();
        assert!(!found.items.is_empty(), "{engine}");
        assert!(
            found
                .items
                .iter()
                .all(|e| e.event.to_string().to_lowercase().contains("s@stray")),
            "{engine}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_running_operation_is_held_by_one_instance_and_taken_over_when_its_lease_runs_out() {
    use app::store::leases::{Job, Lease};
    use std::time::Duration;
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let default = realm_by_id(&store, &org.default_realm).await;
        let acme = realm(&store, "Acme", &[]).await;
        for i in 0..5 {
            user(&store, &default, &format!("l{i}@acme.test")).await;
        }
        let r = rule(&store, "All", "true", &acme.id).await;
        let plan = store
            .plan_rule(&org_grant(), &r.id, &Default::default(), None)
            .await
            .unwrap();
        // Two instances on one database, A with a lease of an hour.
        let a = store
            .clone()
            .with_lease(Lease::new(Duration::from_secs(3600)).held_by("instance-a"));
        let b = store
            .clone()
            .with_lease(Lease::new(Duration::from_secs(3600)).held_by("instance-b"));
        a.start_operation(&org_grant(), &plan.id).await.unwrap();
        assert_eq!(
            a.apply_batch(&org_grant(), &plan.id, 2).await.unwrap(),
            BatchOutcome::More
        );
        // A holds it: B neither claims it nor applies a batch of it.
        assert_eq!(
            b.claim_abandoned(Job::Operation, b.lease()).await.unwrap(),
            None
        );
        assert_eq!(
            b.apply_batch(&org_grant(), &plan.id, 2).await.unwrap(),
            BatchOutcome::Done,
            "{engine}"
        );
        assert_eq!(
            store
                .get_operation(&org_grant(), &plan.id)
                .await
                .unwrap()
                .num_moved,
            2,
            "{engine}"
        );
        // A stops renewing (killed): its lease runs out.
        store
            .unsafe_execute_raw(
                "UPDATE realm_assignment_operations SET locked_until = '2000-01-01T00:00:00.000Z'",
            )
            .await
            .unwrap();
        assert_eq!(
            b.claim_abandoned(Job::Operation, b.lease())
                .await
                .unwrap()
                .as_deref(),
            Some(plan.id.as_str()),
            "{engine}"
        );
        // Claimed once: no one else gets it now.
        assert_eq!(
            a.claim_abandoned(Job::Operation, a.lease()).await.unwrap(),
            None
        );
        // A comes back: its batches find the operation is not its own any more.
        assert_eq!(
            a.apply_batch(&org_grant(), &plan.id, 2).await.unwrap(),
            BatchOutcome::Done
        );
        while b.apply_batch(&org_grant(), &plan.id, 2).await.unwrap() == BatchOutcome::More {}
        let op = store.get_operation(&org_grant(), &plan.id).await.unwrap();
        assert_eq!(
            (op.status, op.num_moved),
            (OperationStatus::Completed, 5),
            "{engine}"
        );
        assert_eq!(
            store.count_events("user.realm.update").await.unwrap(),
            5,
            "{engine}: each user moved once"
        );
        assert_eq!(
            store
                .lease_of(Job::Operation, plan.id.as_str())
                .await
                .unwrap(),
            Some((None, None)),
            "{engine}: a finished operation is held by no one"
        );
    })
    .await;
}

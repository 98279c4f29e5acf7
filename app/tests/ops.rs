//! Every operation called directly (no HTTP, no Leptos) by an allowed and a
//! denied caller, on SQLite and PostgreSQL. The allowed caller is an org
//! admin; the denied one is Acme's partner admin, refused (Forbidden) at the
//! org level and not shown (NotFound) anything of Globex.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;

use app::authz::{OrgContext, Permission, Principal, Target};
use app::ctx::Ctx;
use app::error::AppError;
use app::ids::IdpId;
use app::model::{App, BaseProfile, Group, LifecycleOp, Realm, RealmType, StandardRole, User};
use app::ops;
use app::store::admin::Member;
use app::store::Store;
use common::{on_both, principal, realm, system, user};

/// A refusal: `Forbidden` (visible, not allowed) or `NotFound` (not visible).
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, AppError>) {
    match result {
        Err(AppError::Forbidden | AppError::NotFound) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A field error on `field`.
#[track_caller]
fn field_error<T: std::fmt::Debug>(result: Result<T, AppError>, field: &str) {
    match result {
        Err(AppError::Validation { fields, .. }) if fields.iter().any(|f| f.field == field) => {}
        other => panic!("expected a field error on {field}, got {other:?}"),
    }
}

struct World {
    store: Store,
    org: OrgContext,
    /// Super admin (org-wide).
    olivia: Ctx,
    /// Acme's partner admin.
    alice: Ctx,
    acme: Realm,
    globex: Realm,
    erin: User,
    gus: User,
    team: Group,
    wiki: App,
}

fn profile(login: &str) -> BaseProfile {
    common::profile(login, "Pat", login.split('@').next().unwrap_or("x"))
}

async fn world(store: Store) -> World {
    let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
        .await
        .unwrap();
    let acme = realm(&store, "Acme", &["acme.test"]).await;
    let globex = realm(&store, "Globex", &["globex.test"]).await;
    let home = realm(&store, "HostCo", &["hostco.test"]).await;
    let olivia = user(&store, &home, "olivia@hostco.test").await;
    common::super_admin(&store, &olivia).await;
    let alice = user(&store, &acme, "alice@acme.test").await;
    let alice = common::partner_admin(&store, &org, &[&acme], &alice).await;
    let erin = user(&store, &acme, "erin@acme.test").await;
    let gus = user(&store, &globex, "gus@globex.test").await;
    let team = store
        .create_group(
            &system(Permission::GroupsCreate, Target::Org),
            "Team",
            "Everyone",
        )
        .await
        .unwrap();
    let wiki = store
        .create_app(
            &system(Permission::AppsManage, Target::Org),
            "bookmark",
            "Wiki",
            "BOOKMARK",
        )
        .await
        .unwrap();
    let olivia = common::cx(&store, &org, &principal(&store, &org, &olivia).await);
    let alice = common::cx(&store, &org, &alice);
    World {
        store,
        org,
        olivia,
        alice,
        acme,
        globex,
        erin,
        gus,
        team,
        wiki,
    }
}

#[tokio::test]
async fn users_operations_allow_their_admins_and_refuse_others() {
    use ops::users::{self, BulkAction, NewUserInput, ProfileEdit, UserFilter, UserSort};
    on_both(|store, _| async move {
        let w = world(store).await;
        // List: Acme's admin sees Acme's users only.
        let all = users::list(&w.olivia, UserFilter::default(), UserSort::Login, None)
            .await
            .unwrap();
        assert!(all.rows.iter().any(|r| r.login == "gus@globex.test"));
        let acme = users::list(&w.alice, UserFilter::default(), UserSort::Login, None)
            .await
            .unwrap();
        assert!(acme.rows.iter().any(|r| r.login == "erin@acme.test"));
        assert!(!acme.rows.iter().any(|r| r.login == "gus@globex.test"));
        // Lookups and the user page.
        assert!(users::find_by_login(&w.olivia, "gus@globex.test")
            .await
            .unwrap()
            .is_some());
        assert!(users::find_by_login(&w.alice, "gus@globex.test")
            .await
            .unwrap()
            .is_none());
        field_error(
            users::named(&w.alice, None, Some("gus@globex.test")).await,
            "login",
        );
        assert_eq!(
            users::named(&w.olivia, None, Some("gus@globex.test"))
                .await
                .unwrap(),
            w.gus.id
        );
        assert_eq!(
            users::get(&w.alice, &w.erin.id).await.unwrap().login,
            "erin@acme.test"
        );
        refused(users::get(&w.alice, &w.gus.id).await);
        // Profile edits and lifecycle.
        let edit = |version| ProfileEdit {
            version,
            profile: HashMap::from([("firstName".to_string(), "Gus".to_string())]),
            custom: HashMap::new(),
        };
        refused(users::update_profile(&w.alice, &w.gus.id, edit(w.gus.version)).await);
        users::update_profile(&w.olivia, &w.gus.id, edit(w.gus.version))
            .await
            .unwrap();
        refused(users::apply_lifecycle(&w.alice, &w.gus.id, LifecycleOp::Suspend).await);
        users::apply_lifecycle(&w.alice, &w.erin.id, LifecycleOp::Suspend)
            .await
            .unwrap();
        // The create form and the table's choices follow the caller's rights.
        let form = users::create_choices(&w.alice).await.unwrap();
        assert_eq!(form.realms, vec![(w.acme.id.to_string(), "Acme".into())]);
        let choices = users::table_choices(&w.alice).await.unwrap();
        assert!(choices.move_realms.is_empty());
        assert!(!users::table_choices(&w.olivia)
            .await
            .unwrap()
            .move_realms
            .is_empty());
        // Create: in one's realms only; with groups one may add members to.
        let input = |realm: &Realm, login: &str, groups: Vec<app::ids::GroupId>| NewUserInput {
            realm_id: Some(realm.id.clone()),
            source: None,
            profile: profile(login),
            custom: HashMap::new(),
            activate: true,
            groups,
        };
        field_error(
            users::create(&w.alice, input(&w.globex, "new@globex.test", vec![])).await,
            "realmId",
        );
        field_error(
            users::create(
                &w.alice,
                input(&w.acme, "new@acme.test", vec![w.team.id.clone()]),
            )
            .await,
            "groups",
        );
        let created = users::create(
            &w.olivia,
            input(&w.globex, "new@globex.test", vec![w.team.id.clone()]),
        )
        .await
        .unwrap();
        let members = users::list(
            &w.olivia,
            UserFilter {
                group: Some(w.team.id.clone()),
                ..UserFilter::default()
            },
            UserSort::Login,
            None,
        )
        .await
        .unwrap();
        assert_eq!(members.rows.len(), 1);
        assert_eq!(members.rows[0].id, created.id.to_string());
        // Bulk: each row decided on its own.
        let results = users::bulk(
            &w.alice,
            vec![w.gus.id.to_string(), created.id.to_string()],
            BulkAction::Lifecycle(LifecycleOp::Suspend),
        )
        .await
        .unwrap();
        assert!(results.iter().all(|r| !r.ok), "{results:?}");
        let results = users::bulk(
            &w.olivia,
            vec![w.gus.id.to_string()],
            BulkAction::AssignApp(w.wiki.id.clone()),
        )
        .await
        .unwrap();
        assert!(results[0].ok, "{results:?}");
        // The export: the caller's rows only.
        let (csv, _) = users::export_chunk(&w.alice, &UserFilter::default(), None)
            .await
            .unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.contains("erin@acme.test") && !csv.contains("gus@globex.test"));
        let (csv, _) = users::export_chunk(&w.olivia, &UserFilter::default(), None)
            .await
            .unwrap();
        assert!(String::from_utf8(csv).unwrap().contains("gus@globex.test"));
    })
    .await;
}

#[tokio::test]
async fn group_app_and_link_operations_need_both_sides() {
    use ops::links::{self, Link};
    on_both(|store, _| async move {
        let w = world(store).await;
        // The partner admin's resource set holds no group and no app.
        assert!(ops::groups::list(&w.alice).await.unwrap().is_empty());
        assert_eq!(ops::groups::list(&w.olivia).await.unwrap().len(), 1);
        refused(ops::groups::get(&w.alice, &w.team.id, None).await);
        assert!(
            ops::groups::get(&w.olivia, &w.team.id, None)
                .await
                .unwrap()
                .can_manage
        );
        refused(ops::groups::of_user(&w.alice, &w.gus.id).await);
        assert_eq!(
            ops::groups::of_user(&w.olivia, &w.gus.id)
                .await
                .unwrap()
                .addable
                .len(),
            1
        );
        refused(links::change(&w.alice, &w.erin.id, Link::Group(w.team.id.clone()), true).await);
        links::change(&w.olivia, &w.erin.id, Link::Group(w.team.id.clone()), true)
            .await
            .unwrap();
        refused(links::change(&w.alice, &w.erin.id, Link::App(w.wiki.id.clone()), true).await);
        links::change(&w.olivia, &w.erin.id, Link::App(w.wiki.id.clone()), true)
            .await
            .unwrap();
        assert!(ops::apps::list(&w.alice).await.unwrap().is_empty());
        refused(ops::apps::get(&w.alice, &w.wiki.id, None).await);
        assert_eq!(
            ops::apps::get(&w.olivia, &w.wiki.id, None)
                .await
                .unwrap()
                .assignees
                .rows
                .len(),
            1
        );
        assert_eq!(
            ops::apps::of_user(&w.alice, &w.erin.id)
                .await
                .unwrap()
                .apps
                .len(),
            0,
            "the app is not Alice's to see"
        );
        assert_eq!(
            ops::apps::of_user(&w.olivia, &w.erin.id)
                .await
                .unwrap()
                .apps
                .len(),
            1
        );
        // The org admin's directory changes.
        refused(ops::groups::create(&w.alice, "Ops", "").await);
        let ops_group = ops::groups::create(&w.olivia, "Ops", "").await.unwrap();
        refused(ops::groups::update(&w.alice, &ops_group.id, "Ops 2", "").await);
        ops::groups::update(&w.olivia, &ops_group.id, "Ops 2", "")
            .await
            .unwrap();
        refused(ops::groups::delete(&w.alice, &ops_group.id).await);
        ops::groups::delete(&w.olivia, &ops_group.id).await.unwrap();
        refused(ops::apps::create(&w.alice, "bookmark", "Docs", "BOOKMARK").await);
        let docs = ops::apps::create(&w.olivia, "bookmark", "Docs", "BOOKMARK")
            .await
            .unwrap();
        refused(ops::apps::update(&w.alice, &docs.id, "Docs 2").await);
        ops::apps::update(&w.olivia, &docs.id, "Docs 2")
            .await
            .unwrap();
        refused(ops::apps::delete(&w.alice, &docs.id).await);
        ops::apps::delete(&w.olivia, &docs.id).await.unwrap();
        refused(ops::directory::view(&w.alice).await);
        assert_eq!(
            ops::directory::view(&w.olivia).await.unwrap().groups.len(),
            1
        );
        let string = Some(app::store::users::AttributeType::String);
        refused(
            ops::directory::define_attribute(&w.alice, "costCenter", "Cost center", string, false)
                .await,
        );
        ops::directory::define_attribute(&w.olivia, "costCenter", "Cost center", string, false)
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn realm_rule_and_operation_operations_are_for_org_admins() {
    use ops::operations;
    use ops::rules::{self, RuleChange, RuleForm};
    on_both(|store, _| async move {
        let w = world(store).await;
        let mine = ops::realms::list(&w.alice).await.unwrap();
        assert_eq!(mine.len(), 1, "Alice reads Acme only");
        assert!(ops::realms::list(&w.olivia).await.unwrap().len() >= 3);
        refused(ops::realms::report(&w.alice).await);
        assert!(!ops::realms::report(&w.olivia).await.unwrap().is_empty());
        refused(ops::realms::report_csv(&w.alice).await);
        assert!(ops::realms::report_csv(&w.olivia)
            .await
            .unwrap()
            .starts_with(b"realm,"));
        refused(ops::realms::get(&w.alice, &w.acme.id).await);
        ops::realms::get(&w.olivia, &w.acme.id).await.unwrap();
        refused(ops::realms::create(&w.alice, "Initech".into(), RealmType::Partner, vec![]).await);
        let initech = ops::realms::create(&w.olivia, "Initech".into(), RealmType::Partner, vec![])
            .await
            .unwrap();
        refused(
            ops::realms::update(
                &w.alice,
                &initech.id,
                ops::realms::RealmChange {
                    name: "Initech 2",
                    realm_type: None,
                    domains: &[],
                },
                &initech.last_updated,
            )
            .await,
        );
        ops::realms::update(
            &w.olivia,
            &initech.id,
            ops::realms::RealmChange {
                name: "Initech 2",
                realm_type: None,
                domains: &[],
            },
            &initech.last_updated,
        )
        .await
        .unwrap();
        refused(ops::realms::delete(&w.alice, &initech.id).await);
        ops::realms::delete(&w.olivia, &initech.id).await.unwrap();
        // Rules.
        refused(rules::list(&w.alice).await);
        rules::list(&w.olivia).await.unwrap();
        refused(rules::check_expression(&w.alice, "true", None).await);
        let check = rules::check_expression(
            &w.olivia,
            "user.profile.login.endsWith(\"@globex.test\")",
            None,
        )
        .await
        .unwrap();
        assert_eq!(check.error, None);
        let form = || RuleForm {
            name: "Globex people".into(),
            profile_source_id: None,
            expression: Some("user.profile.login.endsWith(\"@globex.test\")".into()),
            target_realm_id: Some(w.globex.id.clone()),
        };
        refused(rules::save(&w.alice, None, form(), "").await);
        let rule = rules::save(&w.olivia, None, form(), "").await.unwrap();
        refused(rules::change(&w.alice, &rule.id, RuleChange::Deactivate).await);
        rules::change(&w.olivia, &rule.id, RuleChange::Deactivate)
            .await
            .unwrap();
        rules::change(&w.olivia, &rule.id, RuleChange::Activate)
            .await
            .unwrap();
        // Operations: plan, look, execute, cancel.
        refused(operations::plan_rule(&w.alice, &rule.id).await);
        let plan = operations::plan_rule(&w.olivia, &rule.id).await.unwrap();
        refused(operations::get(&w.alice, &plan.id, None, None).await);
        operations::get(&w.olivia, &plan.id, None, None)
            .await
            .unwrap();
        refused(operations::cancel(&w.alice, &plan.id).await);
        operations::cancel(&w.olivia, &plan.id).await.unwrap();
        let ids = vec![w.erin.id.to_string()];
        refused(operations::plan_move(&w.alice, &ids, Some(&w.globex.id)).await);
        let moving = operations::plan_move(&w.olivia, &ids, Some(&w.globex.id))
            .await
            .unwrap();
        refused(operations::execute(&w.alice, &moving).await);
        operations::execute(&w.olivia, &moving).await.unwrap();
        let filter = ops::users::UserFilter {
            search: Some("gus".into()),
            ..Default::default()
        };
        refused(operations::plan_move_filtered(&w.alice, &filter, Some(&w.acme.id)).await);
        operations::plan_move_filtered(&w.olivia, &filter, Some(&w.acme.id))
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn wizard_explain_and_idp_operations_are_for_org_admins() {
    use ops::wizard::{self, Input};
    on_both(|store, _| async move {
        let w = world(store).await;
        let input = || Input {
            name: "Umbrella".into(),
            domains: "umbrella.test".into(),
            groups: vec![w.team.id.to_string()],
            apps: vec![],
            existing_admins: String::new(),
            new_admin: ["ada@umbrella.test".into(), "Ada".into(), "Admin".into()],
            admin_home: String::new(),
            idp: [String::new(), String::new()],
            idp_secret: None,
        };
        refused(wizard::choices(&w.alice).await);
        assert_eq!(wizard::choices(&w.olivia).await.unwrap().groups.len(), 1);
        refused(wizard::review(&w.alice, input()).await);
        let review = wizard::review(&w.olivia, input()).await.unwrap();
        assert_eq!(review.realm, "Umbrella");
        refused(wizard::create(&w.alice, input()).await);
        let created = wizard::create(&w.olivia, input()).await.unwrap();
        assert_eq!(created.name, "Umbrella");
        // Explain access.
        refused(ops::explain::permissions(&w.alice));
        assert!(!ops::explain::permissions(&w.olivia).unwrap().is_empty());
        let question = || ops::explain::Question {
            permission: Permission::UsersLifecycleSuspend,
            kind: "user".into(),
            target: "erin@acme.test".into(),
        };
        refused(ops::explain::run(&w.alice, "alice@acme.test", Some(question())).await);
        let explained = ops::explain::run(&w.olivia, "alice@acme.test", Some(question()))
            .await
            .unwrap();
        assert!(explained.decision.unwrap().allowed);
        // Identity providers.
        let idp = w
            .store
            .create_idp(
                &system(Permission::IdentityProvidersManage, Target::Org),
                app::store::idps::NewIdp {
                    name: "Acme IdP".into(),
                    issuer: "https://idp.acme.test".into(),
                    client_id: "portal".into(),
                    client_secret: "secret".into(),
                    scopes: vec!["openid".into()],
                    claim_mapping: serde_json::Map::new(),
                    realm_id: None,
                    jit_enabled: false,
                    routing_domains: vec![],
                    groups: Default::default(),
                },
                &w.olivia.settings.secrets,
            )
            .await
            .unwrap();
        refused(ops::idps::list(&w.alice).await);
        assert_eq!(ops::idps::list(&w.olivia).await.unwrap().idps.len(), 1);
        refused(ops::idps::get(&w.alice, &idp.id).await);
        ops::idps::get(&w.olivia, &idp.id).await.unwrap();
        // Saving reads the issuer's discovery document: the org admin gets that
        // far (this issuer does not resolve, so its field says so); Acme's
        // admin is refused before any request.
        let form = || ops::idps::IdpForm {
            name: "Acme IdP 2".into(),
            issuer: "https://idp.acme.test".into(),
            client_id: "portal".into(),
            ..Default::default()
        };
        refused(ops::idps::save(&w.alice, Some((&idp.id, &idp.last_updated)), form()).await);
        field_error(
            ops::idps::save(&w.olivia, Some((&idp.id, &idp.last_updated)), form()).await,
            "issuer",
        );
        refused(ops::idps::save(&w.alice, None, form()).await);
        refused(ops::idps::set_status(&w.alice, &idp.id, false).await);
        ops::idps::set_status(&w.olivia, &idp.id, false)
            .await
            .unwrap();
        let unknown = IdpId::generate();
        refused(ops::idps::get(&w.olivia, &unknown).await);
    })
    .await;
}

#[tokio::test]
async fn admin_model_operations_need_an_org_admin_and_no_escalation() {
    use ops::iam::{self, ResourcePicks, RoleForm};
    on_both(|store, _| async move {
        let w = world(store).await;
        refused(iam::view(&w.alice).await);
        assert!(!iam::view(&w.olivia).await.unwrap().roles.is_empty());
        let role = || RoleForm {
            label: "Helpdesk".into(),
            description: String::new(),
            permissions: vec!["okta.users.read".into()],
            profile_attributes: String::new(),
        };
        refused(iam::create_role(&w.alice, role()).await);
        iam::create_role(&w.olivia, role()).await.unwrap();
        let helpdesk = w
            .store
            .list_roles(&common::iam())
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.label == "Helpdesk")
            .unwrap()
            .id;
        refused(iam::update_role(&w.alice, &helpdesk, role()).await);
        iam::update_role(&w.olivia, &helpdesk, role())
            .await
            .unwrap();
        let picks = || ResourcePicks {
            realms: vec![w.globex.id.to_string()],
            ..Default::default()
        };
        refused(iam::create_resource_set(&w.alice, "Globex", "", picks()).await);
        iam::create_resource_set(&w.olivia, "Globex", "", picks())
            .await
            .unwrap();
        let set = w
            .store
            .list_resource_sets(&common::iam())
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.label == "Globex")
            .unwrap()
            .id;
        let groups = || ResourcePicks {
            groups: vec![w.team.id.to_string()],
            ..Default::default()
        };
        refused(iam::change_resource_set(&w.alice, &set, groups(), None).await);
        iam::change_resource_set(&w.olivia, &set, groups(), None)
            .await
            .unwrap();
        let login = || Some("gus@globex.test".to_string());
        refused(iam::add_binding(&w.alice, Some(&set), Some(&helpdesk), login(), None).await);
        iam::add_binding(&w.olivia, Some(&set), Some(&helpdesk), login(), None)
            .await
            .unwrap();
        let gus = Member::User(w.gus.id.clone());
        refused(iam::remove_binding(&w.alice, &set, &helpdesk, &gus).await);
        iam::remove_binding(&w.olivia, &set, &helpdesk, &gus)
            .await
            .unwrap();
        refused(iam::delete_resource_set(&w.alice, &set).await);
        iam::delete_resource_set(&w.olivia, &set).await.unwrap();
        refused(iam::delete_role(&w.alice, &helpdesk).await);
        iam::delete_role(&w.olivia, &helpdesk).await.unwrap();
        refused(iam::standard_assignments(&w.alice).await);
        assert!(!iam::standard_assignments(&w.olivia)
            .await
            .unwrap()
            .is_empty());
        let read_only = Some(StandardRole::ReadOnlyAdmin);
        let org_wide = iam::TargetPicks::default;
        refused(iam::grant_standard_role(&w.alice, read_only, login(), None, org_wide()).await);
        iam::grant_standard_role(&w.olivia, read_only, login(), None, org_wide())
            .await
            .unwrap();
        refused(iam::revoke_standard_role(&w.alice, StandardRole::ReadOnlyAdmin, &gus).await);
        iam::revoke_standard_role(&w.olivia, StandardRole::ReadOnlyAdmin, &gus)
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn log_and_own_account_operations_show_the_callers_part_only() {
    use ops::log::{self, LogFilter};
    on_both(|store, _| async move {
        let w = world(store).await;
        // Gus's profile edit is Globex's business: Acme's admin does not see it.
        ops::users::apply_lifecycle(&w.olivia, &w.gus.id, LifecycleOp::Suspend)
            .await
            .unwrap();
        let filter = LogFilter {
            target_id: Some(w.gus.id.to_string()),
            ..LogFilter::default()
        };
        assert!(log::list(&w.alice, &filter, None)
            .await
            .unwrap()
            .rows
            .is_empty());
        assert!(!log::list(&w.olivia, &filter, None)
            .await
            .unwrap()
            .rows
            .is_empty());
        let (lines, _) = log::export_page(&w.alice, &filter, None).await.unwrap();
        assert!(lines.is_empty());
        let (lines, _) = log::export_page(&w.olivia, &filter, None).await.unwrap();
        assert!(!lines.is_empty());
        let overview = log::overview(&w.alice).await.unwrap();
        assert_eq!(overview.realms.len(), 1);
        assert!(log::overview(&w.olivia).await.unwrap().realms.len() >= 3);
        // One's own account: anyone signed in; the system principal is nobody.
        assert_eq!(ops::me::account(&w.alice).await.unwrap().realm, "Acme");
        let nobody = common::cx(&w.store, &w.org, &Principal::system());
        assert!(ops::me::account(&nobody).await.is_err());
        let alice = ops::me::session(&w.alice).await.unwrap();
        assert!(alice.is_admin && alice.partner_portal);
        assert!(!alice.is_org_admin && !alice.console);
        let olivia = ops::me::session(&w.olivia).await.unwrap();
        assert!(olivia.is_org_admin && olivia.console && olivia.partner_portal);
    })
    .await;
}

/// The layers hold: `pages → serverfns → ops → authz / store → SQL`. A scan of
/// the source: `authz` reads no store, pages and server functions reach the
/// store only through operations, operations know nothing of Leptos or HTTP,
/// and no server function calls another (nor a sibling module's helpers).
#[test]
fn the_layers_import_only_downwards() {
    let layer = |name: &str| {
        let files = common::rust_sources(&format!("src/{name}"));
        assert!(!files.is_empty(), "no sources under {name}");
        files
    };
    let code = |text: &str| -> String {
        text.lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut broken = Vec::new();
    for (path, text) in layer("authz") {
        if code(&text).contains("crate::store") || code(&text).contains("crate::ops") {
            broken.push(format!("{path}: authz imports the store or the operations"));
        }
    }
    for dir in ["pages", "serverfns", "components", "views"] {
        for (path, text) in layer(dir) {
            let text = code(&text);
            if text.contains("crate::store") || text.contains(".store.") || text.contains("Store>")
            {
                broken.push(format!("{path}: reaches the store without an operation"));
            }
            if dir != "serverfns" && text.contains("ops::") {
                broken.push(format!(
                    "{path}: calls an operation outside a server function"
                ));
            }
        }
    }
    for (path, text) in layer("ops") {
        let text = code(&text);
        if text.contains("leptos") || text.contains("axum") || text.contains("http::") {
            broken.push(format!("{path}: an operation knows Leptos or HTTP"));
        }
    }
    // Every operation reaches the kernel: a scope, a check, a loaded-object
    // grant (`access`), or another operation that does.
    const KERNEL: [&str; 12] = [
        "scope(",
        "check_api_tokens(",
        "log_scope(",
        "check(",
        "check_self(",
        "check_iam_change(",
        "org_level(",
        "authorize_",
        "load_user(",
        "lists_attribute(",
        "realms_for_new_users(",
        "super::",
    ];
    for (path, text) in layer("ops") {
        if path.ends_with("access.rs") || path.contains("/tests/") {
            continue;
        }
        let text = code(&text);
        // (name, body) of every function; one passes if it asks the kernel
        // or calls a function of its module that does.
        let bodies: Vec<(String, String, bool)> = text
            .match_indices("fn ")
            .filter(|(at, _)| *at == 0 || text[..*at].ends_with(' '))
            .map(|(at, _)| {
                let rest = &text[at..];
                let name = rest[3..].split(['(', '<']).next().unwrap_or_default();
                let body =
                    &rest[rest.find('{').unwrap_or(0)..rest.find("\n}\n").unwrap_or(rest.len())];
                let public = text[..at].ends_with("pub async ");
                (name.to_string(), body.to_string(), public)
            })
            .collect();
        let mut passing: Vec<&str> = Vec::new();
        loop {
            let before = passing.len();
            for (name, body, _) in &bodies {
                if !passing.contains(&name.as_str())
                    && (KERNEL.iter().any(|k| body.contains(k))
                        || passing.iter().any(|p| body.contains(&format!("{p}("))))
                {
                    passing.push(name);
                }
            }
            if passing.len() == before {
                break;
            }
        }
        for (name, _, public) in &bodies {
            if *public && !passing.contains(&name.as_str()) {
                broken.push(format!(
                    "{path}: the operation {name} never asks the kernel"
                ));
            }
        }
    }
    // No server function calls another, nor a sibling module's helpers.
    let serverfns = layer("serverfns");
    let mut names = Vec::new();
    for (_, text) in &serverfns {
        let mut server = false;
        for line in text.lines() {
            if line.starts_with("#[server(") {
                server = true;
            } else if server {
                if let Some(rest) = line.strip_prefix("pub async fn ") {
                    names.push(rest.split('(').next().unwrap_or_default().to_string());
                    server = false;
                }
            }
        }
    }
    assert!(
        names.len() > 60,
        "found only {} server functions",
        names.len()
    );
    for (path, text) in &serverfns {
        let text = code(text);
        for name in &names {
            // A bare call (not `fn name(`, not `ops::….::name(`, not part of
            // a longer name).
            let called = text.match_indices(&format!("{name}(")).any(|(at, _)| {
                let before = &text[..at];
                !(before.ends_with("fn ")
                    || before.ends_with("::")
                    || before.ends_with(|c: char| c.is_alphanumeric() || c == '_'))
            });
            if called {
                broken.push(format!("{path}: calls the server function {name}"));
            }
        }
        for sibling in [
            "users::",
            "groups::",
            "apps::",
            "activity::",
            "home::",
            "me::",
            "session::",
            "realms::",
            "imports::",
        ] {
            if text.contains(&format!("super::{sibling}")) {
                broken.push(format!("{path}: uses a sibling module ({sibling})"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// The store's admin-model writes take only the grant `check_iam_change`
/// mints (an org admin's), never another org-wide grant, and a partner admin
/// gets none; org-level reads take an org-level grant for what they show.
#[tokio::test]
async fn admin_model_writes_and_org_reads_take_only_their_grant() {
    on_both(|store, engine| async move {
        let w = world(store).await;
        let other = system(Permission::UsersManage, Target::Org);
        let refused_as_internal = |r: Result<_, app::store::StoreError>| {
            assert!(
                matches!(r, Err(app::store::StoreError::Internal(_))),
                "{engine}: {r:?}"
            );
        };
        refused_as_internal(
            w.store
                .create_resource_set(&other, "Sneaky", "", &[w.org.orn_realm(&w.acme.id)])
                .await
                .map(|_| ()),
        );
        refused_as_internal(
            w.store
                .assign_standard_role(
                    &other,
                    &Member::User(w.gus.id.clone()),
                    StandardRole::SuperAdmin,
                )
                .await,
        );
        refused_as_internal(
            w.store
                .create_role(&other, "Sneaky", "", &[])
                .await
                .map(|_| ()),
        );
        assert!(matches!(
            app::authz::check_iam_change(&w.alice.principal),
            Err(AppError::Forbidden)
        ));
        let grant = app::authz::check_iam_change(&w.olivia.principal).unwrap();
        w.store
            .create_resource_set(&grant, "Fine", "", &[w.org.orn_realm(&w.acme.id)])
            .await
            .unwrap();
    })
    .await;
}

//! Directory changes under concurrency, profile edits bounded by the grant,
//! realm moves, the profile schema, the scoped System Log and the bulk seed —
//! each on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;

use app::authz::{self, Permission, Principal, Target};
use app::model::{BaseProfile, User};

use app::store::audit::ChainReport;
use app::store::log::LogFilter;
use app::store::profiles::ProfileUpdate;
use app::store::users::{AttributeDef, AttributeType, NewUser, UserFilter, UserSort};
use app::store::{Store, StoreError};
use common::{on_both, realm, system};
use serde_json::{json, Map};

fn profile(login: &str, last: &str) -> BaseProfile {
    common::profile(login, "Pat", last)
}

async fn create(
    store: &Store,
    realm: &app::model::Realm,
    login: &str,
    custom: Map<String, serde_json::Value>,
) -> Result<User, StoreError> {
    common::create_user(store, realm, profile(login, "Tester"), custom).await
}

async fn user(store: &Store, realm: &app::model::Realm, login: &str) -> User {
    create(store, realm, login, Map::new())
        .await
        .expect("create user")
}

/// A partner admin holding the generated Partner Admin role over `realm`.
async fn partner_admin(
    store: &Store,
    org: &authz::OrgContext,
    realm: &app::model::Realm,
    login: &str,
) -> Principal {
    partner_admin_of(store, org, &[realm], login).await.0
}

/// A partner admin (a user of the first realm) holding the Partner Admin role
/// over each of `realms` through one resource set; and that user.
async fn partner_admin_of(
    store: &Store,
    org: &authz::OrgContext,
    realms: &[&app::model::Realm],
    login: &str,
) -> (Principal, User) {
    let admin = user(store, realms[0], login).await;
    let principal = common::partner_admin(store, org, realms, &admin).await;
    (principal, admin)
}

async fn events(store: &Store, event_type: &str) -> i64 {
    store.count_events(event_type).await.unwrap()
}

/// `admin`'s grant to edit `user`'s profile, as the operation mints it.
async fn profile_grant(
    store: &Store,
    org: &authz::OrgContext,
    admin: &Principal,
    user: &app::ids::UserId,
) -> authz::Grant {
    app::ops::access::authorize_user(
        &common::cx(store, org, admin),
        Permission::UsersUserprofileManage,
        user,
    )
    .await
    .unwrap()
    .1
}

#[tokio::test]
async fn profile_edits_respect_the_roles_attribute_conditions_and_versions() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        store
            .define_profile_attribute(
                &system(Permission::UsersManage, Target::Org),
                AttributeDef {
                    name: "costCenter".into(),
                    title: "Cost center".into(),
                    attr_type: AttributeType::String,
                    required: false,
                },
            )
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let admin = partner_admin(&store, &org, &acme, "alice@acme.test").await;
        let erin = user(&store, &acme, "erin@acme.test").await;
        let grant = profile_grant(&store, &org, &admin, &erin.id).await;

        // The Partner Admin role reaches the 8 base attributes only.
        let mut custom = Map::new();
        custom.insert("costCenter".into(), json!("CC-1"));
        let err = store
            .update_profile(
                &grant,
                ProfileUpdate {
                    profile: erin.profile.clone(),
                    custom_profile: custom,
                    expected_version: Some(erin.version),
                },
            )
            .await
            .expect_err("custom attribute is outside the conditions");
        let StoreError::Invalid(fields) = err else {
            panic!("{engine}: expected field errors")
        };
        assert_eq!(fields[0].field, "costCenter", "{engine}");

        let mut renamed = erin.profile.clone();
        renamed.first_name = "Erin".into();
        renamed.mobile_phone = Some(" +1 555 0100 ".into());
        let updated = store
            .update_profile(
                &grant,
                ProfileUpdate {
                    profile: renamed.clone(),
                    custom_profile: Map::new(),
                    expected_version: Some(erin.version),
                },
            )
            .await
            .unwrap();
        assert_eq!(updated.profile.first_name, "Erin", "{engine}");
        assert_eq!(
            updated.profile.mobile_phone.as_deref(),
            Some("+1 555 0100"),
            "{engine}"
        );
        assert_eq!(updated.version, erin.version + 1, "{engine}");
        assert_eq!(
            events(&store, "user.account.update_profile").await,
            1,
            "{engine}"
        );

        // A stale form is a conflict, not a silent overwrite; an unchanged one writes nothing.
        let stale = store
            .update_profile(
                &grant,
                ProfileUpdate {
                    profile: erin.profile.clone(),
                    custom_profile: Map::new(),
                    expected_version: Some(erin.version),
                },
            )
            .await;
        assert!(
            matches!(stale, Err(StoreError::Conflict(_))),
            "{engine}: {stale:?}"
        );
        let same = store
            .update_profile(
                &grant,
                ProfileUpdate {
                    profile: renamed,
                    custom_profile: Map::new(),
                    expected_version: Some(updated.version),
                },
            )
            .await
            .unwrap();
        assert_eq!(same.version, updated.version, "{engine}");
        assert_eq!(
            events(&store, "user.account.update_profile").await,
            1,
            "{engine}"
        );

        // The realm's domains still apply to an edited email.
        let mut outside = updated.profile.clone();
        outside.email = "erin@evil.test".into();
        let err = store
            .update_profile(
                &grant,
                ProfileUpdate {
                    profile: outside,
                    custom_profile: Map::new(),
                    expected_version: None,
                },
            )
            .await
            .expect_err("email outside the realm's domains");
        assert!(
            matches!(&err, StoreError::Invalid(f) if f[0].field == "email"),
            "{engine}: {err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_profile_schema_types_and_requires_custom_attributes() {
    on_both(|store, engine| async move {
        let grant = system(Permission::UsersManage, Target::Org);
        let acme = realm(&store, "Acme", &[]).await;
        let def = |name: &str, t, required| AttributeDef { name: name.into(), title: name.into(), attr_type: t, required };
        store.define_profile_attribute(&grant, def("badge", AttributeType::Integer, false)).await.unwrap();
        user(&store, &acme, "first@acme.test").await;
        // Required while a user has no value: refused, saying how many lack it.
        let err = store.define_profile_attribute(&grant, def("region", AttributeType::String, true)).await;
        assert!(matches!(&err, Err(StoreError::Invalid(f)) if f[0].field == "required" && f[0].message.starts_with("1 users")), "{engine}: {err:?}");
        let err = store.define_profile_attribute(&grant, def("badge", AttributeType::String, false)).await;
        assert!(matches!(&err, Err(StoreError::Invalid(f)) if f[0].field == "type"), "{engine}: {err:?}");
        let err = store.define_profile_attribute(&grant, def("email", AttributeType::String, false)).await;
        assert!(matches!(&err, Err(StoreError::Invalid(f)) if f[0].field == "name"), "{engine}: {err:?}");

        let mut wrong = Map::new();
        wrong.insert("badge".into(), json!("seven"));
        let err = create(&store, &acme, "second@acme.test", wrong).await.expect_err("wrong type");
        assert!(matches!(&err, StoreError::Invalid(f) if f[0].field == "badge" && f[0].message.contains("integer")), "{engine}: {err:?}");
        let mut unknown = Map::new();
        unknown.insert("shoeSize".into(), json!(42));
        let err = create(&store, &acme, "third@acme.test", unknown).await.expect_err("unknown attribute");
        assert!(matches!(&err, StoreError::Invalid(f) if f[0].field == "shoeSize"), "{engine}: {err:?}");
        assert_eq!(events(&store, "system.user.profile_schema.update").await, 1, "{engine}");
    })
    .await;
}

#[tokio::test]
async fn an_unknown_realm_is_a_field_error_and_no_driver_text_escapes() {
    on_both(|store, engine| async move {
        let ghost = app::ids::RealmId::generate();
        let err = store
            .create_user(
                &system(
                    Permission::UsersCreate,
                    Target::NewUserIn {
                        realm_id: ghost.clone(),
                    },
                ),
                NewUser {
                    realm_id: ghost,
                    profile: profile("nobody@x.test", "Nobody"),
                    custom_profile: Map::new(),
                    activate: false,
                    profile_source_id: None,
                },
            )
            .await
            .expect_err("unknown realm");
        let StoreError::Invalid(fields) = err else {
            panic!("{engine}: expected a field error")
        };
        assert_eq!(fields[0].field, "realmId", "{engine}");
        assert!(
            !fields[0].message.to_lowercase().contains("constraint"),
            "{engine}"
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_realm_moves_leave_each_user_in_exactly_one_realm() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let realms = [
            realm(&store, "R1", &[]).await,
            realm(&store, "R2", &[]).await,
            realm(&store, "R3", &[]).await,
        ];
        let u = user(&store, &realms[0], "mover@any.test").await;
        let mut tasks = Vec::new();
        for i in 0..12 {
            let store = store.clone();
            let to = realms[(i % 2) + 1].id.clone();
            let target = store.facts_of_user(&org.orn, &u).await.unwrap();
            tasks.push(tokio::spawn(async move {
                let user_grant = system(Permission::UsersManage, target);
                let realm_grant = system(
                    Permission::UsersCreate,
                    Target::NewUserIn {
                        realm_id: to.clone(),
                    },
                );
                store
                    .move_user(&user_grant, &realm_grant)
                    .await
                    .map(|m| (m.version, to))
            }));
        }
        let mut moved = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                Ok(ok) => moved.push(ok),
                Err(StoreError::Conflict(_)) => {}
                Err(other) => panic!("{engine}: unexpected {other:?}"),
            }
        }
        let scope = authz::scope(&Principal::system(), Permission::UsersRead);
        let now = store.get_user(&scope, &u.id).await.unwrap();
        let in_realms: usize = {
            let mut n = 0;
            for r in &realms {
                let page = store
                    .list_users(
                        &scope,
                        &UserFilter {
                            realm: Some(r.id.clone()),
                            ..Default::default()
                        },
                        UserSort::Name,
                        None,
                        50,
                    )
                    .await
                    .unwrap();
                n += page.items.iter().filter(|x| x.id == u.id).count();
            }
            n
        };
        assert_eq!(in_realms, 1, "{engine}: the user is in exactly one realm");
        // Every move that reported success (and changed the realm) has its event
        // and bumped the version once; the last one decides where the user is.
        // (A move into the realm the user is already in is a no-op returning
        // the current version, so count distinct versions.)
        let versions: HashSet<i64> = moved
            .iter()
            .map(|(v, _)| *v)
            .filter(|v| *v > u.version)
            .collect();
        let changed = versions.len() as i64;
        assert_eq!(
            events(&store, "user.realm.update").await,
            changed,
            "{engine}"
        );
        assert_eq!(now.version, u.version + changed, "{engine}");
        let last = moved
            .iter()
            .max_by_key(|(v, _)| *v)
            .expect("at least one move succeeded");
        assert_eq!(now.realm_id, last.1, "{engine}");
    })
    .await;
}

#[tokio::test]
async fn a_move_outside_the_destination_domains_is_refused_without_an_event() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let open = realm(&store, "Open", &[]).await;
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let u = user(&store, &open, "guest@elsewhere.test").await;
        let target = store.facts_of_user(&org.orn, &u).await.unwrap();
        let err = store
            .move_user(
                &system(Permission::UsersManage, target),
                &system(
                    Permission::UsersCreate,
                    Target::NewUserIn {
                        realm_id: acme.id.clone(),
                    },
                ),
            )
            .await
            .expect_err("outside acme's domains");
        assert!(
            matches!(&err, StoreError::Invalid(f) if f.iter().any(|e| e.field == "login")),
            "{engine}: {err:?}"
        );
        assert_eq!(events(&store, "user.realm.update").await, 0, "{engine}");
    })
    .await;
}

#[tokio::test]
async fn keyset_paging_is_stable_while_users_are_inserted() {
    on_both(|store, engine| async move {
        let acme = realm(&store, "Acme", &[]).await;
        let mut before = HashSet::new();
        for i in 0..120 {
            let u = common::create_user(
                &store,
                &acme,
                profile(
                    &format!("u{i:03}@acme.test"),
                    &format!("Name{:03}", (i * 37) % 120),
                ),
                Map::new(),
            )
            .await
            .unwrap();
            before.insert(u.id);
        }
        let writer = {
            let store = store.clone();
            let realm_id = acme.id.clone();
            tokio::spawn(async move {
                for i in 0..80 {
                    store
                        .create_user(
                            &system(
                                Permission::UsersCreate,
                                Target::NewUserIn {
                                    realm_id: realm_id.clone(),
                                },
                            ),
                            NewUser {
                                realm_id: realm_id.clone(),
                                profile: profile(
                                    &format!("late{i:03}@acme.test"),
                                    &format!("Name{:03}", (i * 53) % 120),
                                ),
                                custom_profile: Map::new(),
                                activate: true,
                                profile_source_id: None,
                            },
                        )
                        .await
                        .unwrap();
                    tokio::task::yield_now().await;
                }
            })
        };
        let scope = authz::scope(&Principal::system(), Permission::UsersRead);
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = store
                .list_users(
                    &scope,
                    &UserFilter::default(),
                    UserSort::Name,
                    cursor.as_deref(),
                    7,
                )
                .await
                .unwrap();
            seen.extend(
                page.items
                    .into_iter()
                    .map(|u| (u.profile.last_name, u.profile.first_name, u.id)),
            );
            tokio::task::yield_now().await;
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        writer.await.unwrap();
        let ids: Vec<_> = seen.iter().map(|s| s.2.clone()).collect();
        let unique: HashSet<_> = ids.iter().cloned().collect();
        assert_eq!(unique.len(), ids.len(), "{engine}: no user appears twice");
        assert!(
            before.is_subset(&unique),
            "{engine}: every user present at the start is seen"
        );
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(sorted, seen, "{engine}: the pages are in order");
    })
    .await;
}

#[tokio::test]
async fn a_partner_admin_reads_only_the_system_log_of_its_realms() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let globex = realm(&store, "Globex", &["globex.test"]).await;
        let admin = partner_admin(&store, &org, &acme, "alice@acme.test").await;
        let erin = user(&store, &acme, "erin@acme.test").await;
        let gina = user(&store, &globex, "gina@globex.test").await;
        let shared = store
            .create_group(&system(Permission::GroupsCreate, Target::Org), "Shared", "")
            .await
            .unwrap();
        // gina joins a group; the admin cannot read that group, nor gina.
        let gt = store.facts_of_user(&org.orn, &gina).await.unwrap();
        store
            .add_group_member(
                &system(Permission::UsersGroupMembershipManage, gt),
                &system(
                    Permission::GroupsMembersManage,
                    store.facts_of_group(&org.orn, &shared.id).await.unwrap(),
                ),
            )
            .await
            .unwrap();

        let log = authz::log_scope(&admin);
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = store
                .list_events(&log, &LogFilter::default(), cursor.as_deref(), 3)
                .await
                .unwrap();
            seen.extend(page.items);
            match page.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        let mentions = |id: &str| seen.iter().any(|e| e.event.to_string().contains(id));
        assert!(
            mentions(erin.id.as_str()),
            "{engine}: erin's creation is in acme's log"
        );
        assert!(
            !mentions(gina.id.as_str()),
            "{engine}: nothing about globex's users"
        );
        assert!(
            !mentions(globex.id.as_str()),
            "{engine}: nor about globex itself"
        );
        assert!(
            seen.iter()
                .all(|e| e.event["eventType"] != "iam.role.create"
                    && e.event["eventType"] != "iam.resourceset.create"),
            "{engine}: nor about roles and resource sets"
        );
        assert!(
            seen.windows(2).all(|w| w[0].seq > w[1].seq),
            "{engine}: newest first"
        );

        // The filters narrow further; the org sees everything.
        let only_create = LogFilter {
            event_type: Some("user.lifecycle.".into()),
            target_id: Some(erin.id.to_string()),
            ..Default::default()
        };
        let page = store
            .list_events(&log, &only_create, None, 50)
            .await
            .unwrap();
        let types: Vec<_> = page
            .items
            .iter()
            .map(|e| e.event["eventType"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            types,
            ["user.lifecycle.activate", "user.lifecycle.create"],
            "{engine}"
        );
        let all = store
            .list_events(
                &authz::log_scope(&Principal::system()),
                &LogFilter::default(),
                None,
                200,
            )
            .await
            .unwrap();
        assert_eq!(
            all.items.len() as i64,
            store.count_all_events().await.unwrap(),
            "{engine}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_bulk_seed_builds_a_realistic_directory_in_one_audited_import() {
    on_both(|store, engine| async move {
        let report = app::store::seed::users(&store, "http://127.0.0.1:3000", 2_500)
            .await
            .unwrap();
        assert_eq!(report.users, 2_500, "{engine}");
        assert_eq!(store.count_users().await.unwrap(), 2_500, "{engine}");
        assert!(
            report.realms >= 3 && report.memberships >= 2_500 && report.assignments > 0,
            "{engine}"
        );
        assert_eq!(
            events(&store, "system.import.complete").await,
            1,
            "{engine}"
        );
        assert!(
            matches!(
                store.verify_system_log().await.unwrap(),
                ChainReport::Intact { .. }
            ),
            "{engine}"
        );
        // Seeded users are findable by the search index like any other.
        let scope = authz::scope(&Principal::system(), Permission::UsersRead);
        let page = store
            .list_users(
                &scope,
                &UserFilter {
                    search: Some("partner002".into()),
                    ..Default::default()
                },
                UserSort::Name,
                None,
                200,
            )
            .await
            .unwrap();
        assert!(!page.items.is_empty(), "{engine}");
        assert!(
            page.items
                .iter()
                .all(|u| u.profile.login.ends_with("@partner002.example")),
            "{engine}"
        );
        // A second run adds more without colliding with the first.
        app::store::seed::users(&store, "http://127.0.0.1:3000", 500)
            .await
            .unwrap();
        assert_eq!(store.count_users().await.unwrap(), 3_000, "{engine}");
    })
    .await;
}

#[tokio::test]
async fn self_service_reaches_only_the_callers_own_account() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let admin = partner_admin(&store, &org, &acme, "alice@acme.test").await;
        assert_eq!(
            authz::check_self(&admin).ok().as_ref(),
            admin.user_id(),
            "{engine}"
        );
        assert!(
            matches!(
                authz::check_self(&Principal::system()),
                Err(app::error::AppError::NotFound)
            ),
            "{engine}: the system principal has no self"
        );
    })
    .await;
}

/// Logins found by a search, in the scope of `principal`.
async fn found(store: &Store, principal: &Principal, term: &str) -> Vec<String> {
    let scope = authz::scope(principal, Permission::UsersRead);
    let mut logins: Vec<String> = store
        .list_users(
            &scope,
            &UserFilter {
                search: Some(term.into()),
                ..Default::default()
            },
            UserSort::Name,
            None,
            200,
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|u| u.profile.login)
        .collect();
    logins.sort();
    logins
}

#[tokio::test]
async fn search_finds_substrings_of_every_name_field_within_the_scope_only() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let globex = realm(&store, "Globex", &["globex.test"]).await;
        let admin = partner_admin(&store, &org, &acme, "alice@acme.test").await;
        let sys = Principal::system();
        let erin = user(&store, &acme, "erin.osterhagen@acme.test").await;
        user(&store, &globex, "greta.osterhagen@globex.test").await;
        user(&store, &acme, "o'brien@acme.test").await;

        // Substrings of the login, any case, anywhere in it.
        assert_eq!(
            found(&store, &sys, "STERHAG").await,
            ["erin.osterhagen@acme.test", "greta.osterhagen@globex.test"],
            "{engine}"
        );
        // The same search by Acme's admin: Acme's user only.
        assert_eq!(
            found(&store, &admin, "sterhag").await,
            ["erin.osterhagen@acme.test"],
            "{engine}"
        );
        // Last name (all were created as "Tester") and quotes in the term.
        assert_eq!(found(&store, &admin, "ester").await.len(), 3, "{engine}");
        assert_eq!(
            found(&store, &sys, "o'bri").await,
            ["o'brien@acme.test"],
            "{engine}"
        );
        assert!(
            found(&store, &sys, "\"\" OR *").await.is_empty(),
            "{engine}"
        );
        // Counts per realm and status stay within the scope too.
        let counts = store
            .count_users_by_realm(&authz::scope(&admin, Permission::UsersRead))
            .await
            .unwrap();
        assert_eq!(
            counts,
            [(acme.id.clone(), app::model::UserStatus::Active, 3)],
            "{engine}: alice, erin and o'brien; nothing of Globex"
        );
        // Fewer than three characters: a login prefix.
        assert_eq!(
            found(&store, &sys, "gr").await,
            ["greta.osterhagen@globex.test"],
            "{engine}"
        );

        // An email that differs from the login is searchable; after an edit,
        // the old one is not and the new one is.
        let grant = profile_grant(&store, &org, &admin, &erin.id).await;
        let mut profile = erin.profile.clone();
        profile.email = "erin.private@acme.test".into();
        profile.first_name = "Erinna".into();
        let erin = store
            .update_profile(
                &grant,
                ProfileUpdate {
                    profile,
                    custom_profile: Map::new(),
                    expected_version: Some(erin.version),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            found(&store, &sys, "private@acm").await,
            ["erin.osterhagen@acme.test"],
            "{engine}"
        );
        assert_eq!(
            found(&store, &sys, "Erinna").await,
            ["erin.osterhagen@acme.test"],
            "{engine}"
        );
        let mut profile = erin.profile.clone();
        profile.email = "ERIN.OSTERHAGEN@acme.test".into();
        store
            .update_profile(
                &grant,
                ProfileUpdate {
                    profile,
                    custom_profile: Map::new(),
                    expected_version: Some(erin.version),
                },
            )
            .await
            .unwrap();
        assert!(
            found(&store, &sys, "private@acm").await.is_empty(),
            "{engine}"
        );
        assert_eq!(
            found(&store, &sys, "erin.oster").await,
            ["erin.osterhagen@acme.test"],
            "{engine}: an email equal to the login is found through it"
        );
    })
    .await;
}

#[tokio::test]
async fn a_large_import_indexes_its_users_for_search_and_restores_the_live_index() {
    on_both(|store, engine| async move {
        // The bulk path (indexes and search triggers suspended, rebuilt after)
        // on a directory that already has users, at a size a test can afford.
        let before = app::store::seed::generate(&store, "http://127.0.0.1:3000", 300, false)
            .await
            .unwrap();
        let after = app::store::seed::generate(&store, "http://127.0.0.1:3000", 700, true)
            .await
            .unwrap();
        assert_eq!((before.users, after.users), (300, 700), "{engine}");
        assert_eq!(store.count_users().await.unwrap(), 1_000, "{engine}");
        let sys = Principal::system();
        // Every generated user is findable by a unique part of its login.
        let scope = authz::scope(&sys, Permission::UsersRead);
        let mut cursor = None;
        let mut checked = 0;
        loop {
            let page = store
                .list_users(
                    &scope,
                    &UserFilter::default(),
                    UserSort::Name,
                    cursor.as_deref(),
                    200,
                )
                .await
                .unwrap();
            for u in page.items.iter().step_by(37) {
                let local = u.profile.login.split('@').next().unwrap();
                assert_eq!(
                    found(&store, &sys, local).await,
                    std::slice::from_ref(&u.profile.login),
                    "{engine}"
                );
                checked += 1;
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert!(checked >= 20, "{engine}");
        // The live index works again for users created after the import.
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        user(&store, &acme, "zoltan.after@acme.test").await;
        assert_eq!(
            found(&store, &sys, "oltan.aft").await,
            ["zoltan.after@acme.test"],
            "{engine}"
        );
    })
    .await;
}

/// A partner admin of several realms pages through their users in one name
/// order, merged across realms, with filters, and never sees another realm's.
#[tokio::test]
async fn a_scope_of_several_realms_pages_in_one_name_order() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "https://portal.test")
            .await
            .unwrap();
        let realms = [
            realm(&store, "North", &[]).await,
            realm(&store, "South", &[]).await,
            realm(&store, "East", &[]).await,
            realm(&store, "Elsewhere", &[]).await,
        ];
        let mut expected = Vec::new();
        let mut suspended = Vec::new();
        for i in 0..45usize {
            let r = &realms[i % 4];
            // Names interleave across realms, with ties broken by id.
            let u = user(
                &store,
                r,
                &format!("u{i:02}@{}.test", r.name.to_lowercase()),
            )
            .await;
            let last = format!("Name{:02}", (i * 7) % 15);
            let mut p = u.profile.clone();
            p.last_name = last;
            let grant = authz::check(
                &Principal::system(),
                Permission::UsersUserprofileManage,
                &store.facts_of_user(&org.orn, &u).await.unwrap(),
            )
            .unwrap();
            let u = store
                .update_profile(
                    &grant,
                    ProfileUpdate {
                        profile: p,
                        custom_profile: Map::new(),
                        expected_version: None,
                    },
                )
                .await
                .unwrap();
            if i % 4 == 3 {
                continue; // Elsewhere: outside the admin's scope
            }
            if i % 5 == 0 {
                let target = store.facts_of_user(&org.orn, &u).await.unwrap();
                store
                    .apply_lifecycle(
                        &system(Permission::UsersLifecycleSuspend, target),
                        app::model::LifecycleOp::Suspend,
                    )
                    .await
                    .unwrap();
                suspended.push((
                    u.profile.last_name.clone(),
                    u.profile.first_name.clone(),
                    u.id.clone(),
                ));
            }
            expected.push((u.profile.last_name, u.profile.first_name, u.id));
        }
        expected.sort();
        suspended.sort();
        // One admin bound over North, South and East.
        let (principal, admin) = partner_admin_of(
            &store,
            &org,
            &[&realms[0], &realms[1], &realms[2]],
            "admin@north.test",
        )
        .await;
        let mut expected_all = expected.clone();
        expected_all.push((
            admin.profile.last_name.clone(),
            admin.profile.first_name.clone(),
            admin.id.clone(),
        ));
        expected_all.sort();
        let scope = authz::scope(&principal, Permission::UsersRead);
        for (filter, want) in [
            (UserFilter::default(), &expected_all),
            (
                UserFilter {
                    status: Some(app::model::UserStatus::Suspended),
                    ..UserFilter::default()
                },
                &suspended,
            ),
        ] {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let page = store
                    .list_users(&scope, &filter, UserSort::Name, cursor.as_deref(), 4)
                    .await
                    .unwrap();
                assert!(page.items.len() <= 4);
                seen.extend(
                    page.items
                        .into_iter()
                        .map(|u| (u.profile.last_name, u.profile.first_name, u.id)),
                );
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            assert_eq!(&seen, want, "{engine}: {filter:?}");
        }
    })
    .await;
}

/// Profile edits made at once share a transaction and a commit (group
/// commit); an edit refused inside the shared transaction — a stale version,
/// a login another user has (a constraint violation, which on PostgreSQL
/// would abort a transaction without savepoints) — is undone alone: every
/// other edit is written with its one event, and the chain stays intact.
#[tokio::test]
async fn profile_edits_made_at_once_commit_together_and_a_refused_one_is_undone_alone() {
    use sqlx::Connection;

    common::on_both_with_url(|store, engine, url| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let admin = partner_admin(&store, &org, &acme, "alice@acme.test").await;
        let mut users = Vec::new();
        for i in 0..12 {
            users.push(user(&store, &acme, &format!("user{i}@acme.test")).await);
        }
        let before = events(&store, "user.account.update_profile").await;

        // Another connection holds the System Log's chain lock, so the
        // edits queue behind it as they would behind a slow commit.
        let mut holder = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
        sqlx::query("UPDATE system_log_head SET last_seq = last_seq WHERE id = 1")
            .execute(&mut holder)
            .await
            .unwrap();

        let stats_before = store.group_commit_stats();
        let mut edits = Vec::new();
        for (i, u) in users.iter().enumerate() {
            let grant = profile_grant(&store, &org, &admin, &u.id).await;
            let mut profile = u.profile.clone();
            profile.last_name = format!("Edited{i}");
            let mut expected_version = Some(u.version);
            match i {
                // Opened before someone else's change: a conflict.
                3 => expected_version = Some(u.version - 1),
                // Another user's login: the unique constraint refuses it.
                7 => profile.login = users[0].profile.login.clone(),
                _ => {}
            }
            let store = store.clone();
            edits.push(tokio::spawn(async move {
                store
                    .update_profile(
                        &grant,
                        ProfileUpdate {
                            profile,
                            custom_profile: Map::new(),
                            expected_version,
                        },
                    )
                    .await
            }));
        }
        // Every edit is queued (none can commit while the lock is held) …
        for _ in 0..500 {
            if store.group_commit_stats().submitted - stats_before.submitted == 12 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(
            store.group_commit_stats().submitted - stats_before.submitted,
            12,
            "{engine}: all queued"
        );
        sqlx::query("COMMIT").execute(&mut holder).await.unwrap();

        let mut results = Vec::new();
        for edit in edits {
            results.push(edit.await.unwrap());
        }
        // … and they commit in at most two transactions: whatever the writer
        // had taken before the lock was free, then all the rest.
        let commits = store.group_commit_stats().commits - stats_before.commits;
        assert!((1..=2).contains(&commits), "{engine}: {commits} commits");
        for (i, result) in results.iter().enumerate() {
            match i {
                3 => assert!(
                    matches!(result, Err(StoreError::Conflict(_))),
                    "{engine}: {result:?}"
                ),
                7 => assert!(
                    matches!(result, Err(StoreError::Invalid(f)) if f[0].field == "login"),
                    "{engine}: {result:?}"
                ),
                _ => assert_eq!(
                    result.as_ref().unwrap().profile.last_name,
                    format!("Edited{i}"),
                    "{engine}"
                ),
            }
        }
        for (i, u) in users.iter().enumerate() {
            let now = store.system_user_by_id(&u.id).await.unwrap().unwrap();
            let edited = !matches!(i, 3 | 7);
            assert_eq!(
                now.version,
                u.version + i64::from(edited),
                "{engine}: user{i}"
            );
            assert_eq!(
                now.profile.last_name == format!("Edited{i}"),
                edited,
                "{engine}"
            );
        }
        assert_eq!(
            events(&store, "user.account.update_profile").await - before,
            10,
            "{engine}: one event per edit made"
        );
        assert!(
            matches!(
                store.verify_system_log().await.unwrap(),
                ChainReport::Intact { .. }
            ),
            "{engine}"
        );
        holder.close().await.ok();
    })
    .await;
}

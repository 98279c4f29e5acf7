//! Property: for random worlds of realms, users, groups, apps, custom roles,
//! resource sets and bindings, the SQL that `scope()` compiles to returns exactly
//! the objects for which `check()` allows — on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::system;

use std::collections::BTreeSet;

use app::authz::orn::{OrnContext, Resource};
use app::authz::{self, Permission, Principal, Privileges, Target};
use app::ids::{GroupId, RealmId, UserId};
use app::model::{App, BaseProfile, Group, Realm, RealmType, StandardRole, User};
use app::store::admin::{Member, StoredPermission};
use app::store::audit::{Actor, Client};
use app::store::realms::NewRealm;
use app::store::users::{UserFilter, UserSort};
use app::store::Store;
use proptest::test_runner::{Config, TestRunner};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

struct World {
    realms: Vec<Realm>,
    users: Vec<(User, Vec<GroupId>)>,
    groups: Vec<Group>,
    apps: Vec<App>,
    admins: Vec<UserId>,
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

async fn build_world(store: &Store, ctx: &OrnContext, seed: u64, n: usize) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let tag = format!("w{seed}x{n}");
    let mut realms = Vec::new();
    for r in 0..rng.random_range(1..=3) {
        let realm = store
            .create_realm(
                &system(Permission::RealmsManage, Target::Org),
                NewRealm {
                    name: format!("{tag}r{r}"),
                    realm_type: RealmType::Partner,
                    domains: vec![],
                },
            )
            .await
            .unwrap();
        realms.push(realm);
    }
    let mut groups = Vec::new();
    for g in 0..rng.random_range(1..=4) {
        groups.push(
            store
                .create_group(
                    &system(Permission::GroupsCreate, Target::Org),
                    &format!("{tag}g{g}"),
                    "",
                )
                .await
                .unwrap(),
        );
    }
    let mut apps = Vec::new();
    for a in 0..rng.random_range(1..=3) {
        let kind = if rng.random_bool(0.5) {
            "bookmark"
        } else {
            "saml_2_0"
        };
        apps.push(
            store
                .create_app(
                    &system(Permission::AppsManage, Target::Org),
                    kind,
                    &format!("{tag}a{a}"),
                    "BOOKMARK",
                )
                .await
                .unwrap(),
        );
    }
    let mut users = Vec::new();
    for u in 0..rng.random_range(3..=10) {
        let realm = pick(&mut rng, &realms).clone();
        let login = format!("{tag}u{u}@example.test");
        let user = common::create_user(
            store,
            &realm,
            BaseProfile {
                login: login.clone(),
                email: login,
                first_name: "P".into(),
                last_name: format!("{tag}{u}"),
                ..Default::default()
            },
            Default::default(),
        )
        .await
        .unwrap();
        let mut member_of = Vec::new();
        for group in &groups {
            if rng.random_bool(0.35) {
                let target = store.facts_of_user(ctx, &user).await.unwrap();
                store
                    .add_group_member(
                        &system(Permission::UsersGroupMembershipManage, target),
                        &system(
                            Permission::GroupsMembersManage,
                            Target::Group {
                                id: group.id.clone(),
                                privileges: Privileges::none(),
                            },
                        ),
                    )
                    .await
                    .unwrap();
                member_of.push(group.id.clone());
            }
        }
        users.push((user, member_of));
    }

    let resources = |rng: &mut StdRng| -> Vec<String> {
        let mut out = BTreeSet::new();
        for _ in 0..rng.random_range(1..=4) {
            let r = match rng.random_range(0..11) {
                0 => Resource::AllUsers,
                1 => Resource::UsersInRealm(pick(rng, &realms).id.clone()),
                2 => Resource::UsersInGroup(pick(rng, &groups).id.clone()),
                3 => Resource::User(pick(rng, &users).0.id.clone()),
                4 => Resource::AllGroups,
                5 => Resource::Group(pick(rng, &groups).id.clone()),
                6 => Resource::AllApps,
                7 => {
                    let app = pick(rng, &apps);
                    Resource::App {
                        id: app.id.clone(),
                        app_type: app::authz::orn::AppType::parse(&app.name).ok(),
                    }
                }
                8 => Resource::AllRealms,
                9 => Resource::Realm(pick(rng, &realms).id.clone()),
                _ => Resource::UsersInRealm(pick(rng, &realms).id.clone()),
            };
            out.insert(r.to_canonical_string(ctx));
        }
        out.into_iter().collect()
    };

    let mut admins = BTreeSet::new();
    for b in 0..rng.random_range(1..=3) {
        let mut perms = BTreeSet::new();
        for _ in 0..rng.random_range(1..=5) {
            perms.insert(*pick(&mut rng, Permission::ALL));
        }
        let stored: Vec<StoredPermission> = perms
            .iter()
            .map(|p| StoredPermission {
                permission: p.as_str().into(),
                conditions: None,
            })
            .collect();
        let role = store
            .create_role(&common::iam(), &format!("{tag}role{b}"), "", &stored)
            .await
            .unwrap();
        let orns = resources(&mut rng);
        let rs = store
            .create_resource_set(&common::iam(), &format!("{tag}rs{b}"), "", &orns)
            .await
            .unwrap();
        let mut members = Vec::new();
        for _ in 0..rng.random_range(1..=2) {
            if rng.random_bool(0.7) {
                let u = pick(&mut rng, &users).0.id.clone();
                admins.insert(u.clone());
                members.push(Member::User(u));
            } else {
                let g = pick(&mut rng, &groups).id.clone();
                for (user, member_of) in &users {
                    if member_of.contains(&g) {
                        admins.insert(user.id.clone());
                    }
                }
                members.push(Member::Group(g));
            }
        }
        store
            .add_binding_members(&common::iam(), &rs, &role, &members)
            .await
            .unwrap();
    }
    if rng.random_bool(0.2) {
        let u = pick(&mut rng, &users).0.id.clone();
        store
            .assign_standard_role(
                &common::iam(),
                &Member::User(u.clone()),
                StandardRole::ReadOnlyAdmin,
            )
            .await
            .unwrap();
        admins.insert(u);
    }
    World {
        realms,
        users,
        groups,
        apps,
        admins: admins.into_iter().collect(),
    }
}

/// Compares scope and check for every admin of the world, every permission and
/// every object of the permission's kind; returns the number of comparisons.
async fn compare(store: &Store, ctx: &OrnContext, world: &World, engine: &str) -> usize {
    let mut compared = 0;
    let world_users: BTreeSet<UserId> = world.users.iter().map(|(u, _)| u.id.clone()).collect();
    for admin in &world.admins {
        let rows = store.rights_rows(admin).await.unwrap();
        let principal =
            Principal::for_user(admin.clone(), Actor::system(), Client::default(), rows, ctx);
        for &permission in Permission::ALL {
            let scope = authz::scope(&principal, permission);
            use app::authz::catalog::ResourceKind as K;
            match permission.resource_kind() {
                K::User => {
                    let mut listed = BTreeSet::new();
                    for realm in &world.realms {
                        let mut after = None;
                        loop {
                            let filter = UserFilter {
                                realm: Some(realm.id.clone()),
                                ..Default::default()
                            };
                            let page = store
                                .list_users(&scope, &filter, UserSort::Name, after.as_deref(), 3)
                                .await
                                .unwrap();
                            listed.extend(page.items.into_iter().map(|u| u.id));
                            match page.next {
                                Some(next) => after = Some(next),
                                None => break,
                            }
                        }
                    }
                    for (user, groups) in &world.users {
                        // Coverage only: anti-escalation is a check-time rule on
                        // writes, tested in the matrix.
                        let target = Target::User {
                            id: user.id.clone(),
                            realm_id: user.realm_id.clone(),
                            groups: groups.clone(),
                            privileges: Privileges::none(),
                        };
                        let allowed = authz::check(&principal, permission, &target).is_ok();
                        assert_eq!(
                            allowed,
                            listed.contains(&user.id),
                            "{engine}: {permission} on user {} for {admin}",
                            user.id
                        );
                        compared += 1;
                    }
                    assert!(
                        listed.is_subset(&world_users),
                        "{engine}: listed users outside the world"
                    );
                }
                K::Group => {
                    let listed: BTreeSet<GroupId> = store
                        .list_groups(&scope)
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|g| g.id)
                        .collect();
                    for group in &world.groups {
                        let allowed = authz::check(
                            &principal,
                            permission,
                            &Target::Group {
                                id: group.id.clone(),
                                privileges: Privileges::none(),
                            },
                        )
                        .is_ok();
                        assert_eq!(
                            allowed,
                            listed.contains(&group.id),
                            "{engine}: {permission} on group {}",
                            group.id
                        );
                        compared += 1;
                    }
                }
                K::App => {
                    let listed: BTreeSet<_> = store
                        .list_apps(&scope)
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|a| a.id)
                        .collect();
                    for app in &world.apps {
                        let target = Target::App {
                            id: app.id.clone(),
                            app_type: app.name.clone(),
                        };
                        let allowed = authz::check(&principal, permission, &target).is_ok();
                        assert_eq!(
                            allowed,
                            listed.contains(&app.id),
                            "{engine}: {permission} on app {}",
                            app.id
                        );
                        compared += 1;
                    }
                }
                K::Realm => {
                    let listed: BTreeSet<RealmId> = store
                        .list_realms(&scope)
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|r| r.id)
                        .collect();
                    for realm in &world.realms {
                        let allowed = authz::check(
                            &principal,
                            permission,
                            &Target::Realm {
                                id: realm.id.clone(),
                            },
                        )
                        .is_ok();
                        assert_eq!(
                            allowed,
                            listed.contains(&realm.id),
                            "{engine}: {permission} on realm {}",
                            realm.id
                        );
                        compared += 1;
                    }
                }
                K::IdentityProvider | K::Iam => {}
            }
        }
    }
    compared
}

#[test]
fn scope_sql_returns_exactly_what_check_allows() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let cases: u32 = std::env::var("AUTHZ_WORLDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    for engine in ["sqlite", "postgres"] {
        let db = runtime.block_on(async {
            if engine == "sqlite" {
                common::sqlite().await
            } else {
                common::postgres().await
            }
        });
        let org = runtime
            .block_on(app::store::setup::bootstrap(
                &db.store,
                "http://127.0.0.1:3000",
            ))
            .unwrap();
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let total = std::cell::Cell::new(0usize);
        let n = std::cell::Cell::new(0usize);
        runner
            .run(&proptest::prelude::any::<u64>(), |seed| {
                n.set(n.get() + 1);
                let store = db.store.clone();
                let ctx = org.orn.clone();
                let count = n.get();
                let compared = runtime.block_on(async move {
                    let world = build_world(&store, &ctx, seed, count).await;
                    compare(&store, &ctx, &world, engine).await
                });
                total.set(total.get() + compared);
                Ok(())
            })
            .unwrap();
        let total = total.get();
        assert!(
            total >= 10_000,
            "{engine}: only {total} comparisons; raise AUTHZ_WORLDS"
        );
        println!("{engine}: {total} scope/check comparisons over {cases} random worlds");
        runtime.block_on(db.drop_db());
    }
}

//! The authorization matrix: personas × every permission × where the target is
//! (own realm, other realm, nonexistent, an admin user, a privileged group), with
//! the allowed and denied twins side by side, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::authz::catalog::ResourceKind;
use app::authz::{self, Permission, Principal, Target};
use app::error::AppError;
use app::ids::{GroupId, UserId};
use app::model::{RealmType, StandardRole, User};
use app::store::admin::{Member, StoredPermission};
use app::store::audit::{Actor, Client};
use app::store::realms::NewRealm;
use app::store::Store;
use common::{on_both, system};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allow,
    Forbidden,
    NotFound,
}
use Outcome::*;

async fn user(store: &Store, realm: &app::model::Realm, login: &str) -> User {
    common::create_user(
        store,
        realm,
        common::profile(login, "M", login),
        Default::default(),
    )
    .await
    .unwrap()
}

struct Fixture {
    in_a: UserId,
    in_b: UserId,
    admin_in_a: UserId,
    group_a: GroupId,
    privileged_group: GroupId,
    personas: Vec<(&'static str, UserId)>,
}

async fn fixture(store: &Store) -> (Fixture, app::authz::OrgContext) {
    let org = app::store::setup::bootstrap(store, "http://127.0.0.1:3000")
        .await
        .unwrap();
    let realm = |name: &'static str| NewRealm {
        name: name.into(),
        realm_type: RealmType::Partner,
        domains: vec![],
    };
    let a = store
        .create_realm(&system(Permission::RealmsManage, Target::Org), realm("A"))
        .await
        .unwrap();
    let b = store
        .create_realm(&system(Permission::RealmsManage, Target::Org), realm("B"))
        .await
        .unwrap();
    let in_a = user(store, &a, "plain.a@a.test").await;
    let in_b = user(store, &b, "plain.b@b.test").await;
    let admin_in_a = user(store, &a, "admin.of.b@a.test").await;
    let group_a = store
        .create_group(&system(Permission::GroupsCreate, Target::Org), "GA", "")
        .await
        .unwrap();
    let privileged = store
        .create_group(
            &system(Permission::GroupsCreate, Target::Org),
            "B admins",
            "",
        )
        .await
        .unwrap();

    let rs = |name: &str, realms: Vec<&app::model::Realm>, groups: Vec<&GroupId>| {
        let mut orns: Vec<String> = Vec::new();
        for r in realms {
            orns.push(org.orn_realm(&r.id));
            orns.push(org.orn_realm_users(&r.id));
        }
        for g in groups {
            orns.push(org.orn_group(g));
        }
        (name.to_string(), orns)
    };
    let mut sets = Vec::new();
    for (label, orns) in [
        rs("RS A", vec![&a], vec![&group_a.id, &privileged.id]),
        rs("RS B", vec![&b], vec![]),
    ] {
        sets.push(
            store
                .create_resource_set(&common::iam(), &label, "", &orns)
                .await
                .unwrap(),
        );
    }
    let (rs_a, rs_b) = (sets[0].clone(), sets[1].clone());
    let partner = org.partner_admin_role.clone();
    // The admin user in realm A administers realm B; so does everyone in the
    // privileged group.
    store
        .add_binding_members(
            &common::iam(),
            &rs_b,
            &partner,
            &[Member::User(admin_in_a.id.clone())],
        )
        .await
        .unwrap();
    store
        .add_binding_members(
            &common::iam(),
            &rs_b,
            &partner,
            &[Member::Group(privileged.id.clone())],
        )
        .await
        .unwrap();

    let super_admin = user(store, &a, "super@host.test").await;
    let org_admin = user(store, &a, "org@host.test").await;
    let read_only = user(store, &a, "ro@host.test").await;
    let pa_a = user(store, &a, "pa.a@a.test").await;
    let pa_ab = user(store, &a, "pa.ab@a.test").await;
    let help_desk = user(store, &a, "helpdesk@host.test").await;
    let nobody = user(store, &a, "nobody@a.test").await;
    for (u, role) in [
        (&super_admin, StandardRole::SuperAdmin),
        (&org_admin, StandardRole::OrgAdmin),
        (&read_only, StandardRole::ReadOnlyAdmin),
    ] {
        store
            .assign_standard_role(&common::iam(), &Member::User(u.id.clone()), role)
            .await
            .unwrap();
    }
    store
        .add_binding_members(
            &common::iam(),
            &rs_a,
            &partner,
            &[
                Member::User(pa_a.id.clone()),
                Member::User(pa_ab.id.clone()),
            ],
        )
        .await
        .unwrap();
    store
        .add_binding_members(
            &common::iam(),
            &rs_b,
            &partner,
            &[Member::User(pa_ab.id.clone())],
        )
        .await
        .unwrap();
    let hd_role = store
        .create_role(
            &common::iam(),
            "Help desk",
            "",
            &[
                "okta.users.read",
                "okta.users.lifecycle.unlock",
                "okta.users.credentials.resetPassword",
            ]
            .map(|p| StoredPermission {
                permission: p.into(),
                conditions: None,
            }),
        )
        .await
        .unwrap();
    let all_users = store
        .create_resource_set(
            &common::iam(),
            "All users",
            "",
            &[format!("orn:okta:directory:{}:users", org.orn.org_id())],
        )
        .await
        .unwrap();
    store
        .add_binding_members(
            &common::iam(),
            &all_users,
            &hd_role,
            &[Member::User(help_desk.id.clone())],
        )
        .await
        .unwrap();

    let fixture = Fixture {
        in_a: in_a.id,
        in_b: in_b.id,
        admin_in_a: admin_in_a.id,
        group_a: group_a.id,
        privileged_group: privileged.id,
        personas: vec![
            ("super admin", super_admin.id),
            ("org admin", org_admin.id),
            ("read-only admin", read_only.id),
            ("partner admin A", pa_a.id),
            ("partner admin A+B", pa_ab.id),
            ("help desk", help_desk.id),
            ("plain user", nobody.id),
        ],
    };
    (fixture, org)
}

fn partner_admin_holds(p: Permission) -> bool {
    app::authz::catalog::partner_admin_role()
        .expanded()
        .contains(&p)
}

fn help_desk_holds(p: Permission) -> bool {
    [
        Permission::UsersRead,
        Permission::UsersLifecycleUnlock,
        Permission::UsersCredentialsResetPassword,
    ]
    .iter()
    .any(|h| h.implies(p))
}

/// What should happen, written from the product's rules rather than the kernel's code.
fn expected_user(persona: &str, p: Permission, location: &str) -> Outcome {
    let write = !p.is_read_only();
    match (persona, location) {
        (_, "nonexistent") => NotFound,
        ("super admin", _) => Allow,
        // Org admins hold everything the admin user holds (partner admin of B).
        ("org admin", _) => Allow,
        ("read-only admin", _) => {
            if write {
                Forbidden
            } else {
                Allow
            }
        }
        ("partner admin A", "other realm") => NotFound,
        ("partner admin A", "admin user") if partner_admin_holds(p) && write => Forbidden,
        ("partner admin A", _) => {
            if partner_admin_holds(p) {
                Allow
            } else {
                Forbidden
            }
        }
        ("partner admin A+B", _) => {
            if partner_admin_holds(p) {
                Allow
            } else {
                Forbidden
            }
        }
        ("help desk", "admin user") if help_desk_holds(p) && write => Forbidden,
        ("help desk", _) => {
            if help_desk_holds(p) {
                Allow
            } else {
                Forbidden
            }
        }
        ("plain user", _) => NotFound,
        other => panic!("no expectation for {other:?}"),
    }
}

fn expected_group(persona: &str, p: Permission, privileged: bool) -> Outcome {
    let write = !p.is_read_only();
    let holds = app::authz::catalog::partner_admin_role()
        .expanded()
        .contains(&p);
    match persona {
        "super admin" | "org admin" => Allow,
        "read-only admin" => {
            if write {
                Forbidden
            } else {
                Allow
            }
        }
        "partner admin A" | "partner admin A+B" if privileged && holds && write => {
            // Partner admin A+B already holds what the group confers (partner
            // admin of B), so it may manage it; A alone may not.
            if persona == "partner admin A+B" {
                Allow
            } else {
                Forbidden
            }
        }
        "partner admin A" | "partner admin A+B" => {
            if holds {
                Allow
            } else {
                Forbidden
            }
        }
        "help desk" | "plain user" => NotFound,
        other => panic!("no expectation for {other}"),
    }
}

fn outcome(result: Result<impl Sized, AppError>) -> Outcome {
    match result {
        Ok(_) => Allow,
        Err(AppError::Forbidden) => Forbidden,
        Err(AppError::NotFound) => NotFound,
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

#[tokio::test]
async fn every_persona_every_permission_every_location() {
    on_both(|store, engine| async move {
        let (f, org) = fixture(&store).await;
        let missing = UserId::parse("00uDoesNotExist00000").unwrap();
        let mut checked = 0;
        for (persona, id) in &f.personas {
            let rows = store.rights_rows(id).await.unwrap();
            let principal = Principal::for_user(
                id.clone(),
                Actor::system(),
                Client::default(),
                rows,
                &org.orn,
            );
            for &p in Permission::ALL {
                match p.resource_kind() {
                    ResourceKind::User => {
                        for (location, target) in [
                            ("own realm", &f.in_a),
                            ("other realm", &f.in_b),
                            ("nonexistent", &missing),
                            ("admin user", &f.admin_in_a),
                        ] {
                            let got = outcome(
                                app::ops::access::authorize_user(
                                    &common::cx(&store, &org, &principal),
                                    p,
                                    target,
                                )
                                .await,
                            );
                            let want = expected_user(persona, p, location);
                            assert_eq!(got, want, "{engine}: {persona} × {p} × {location}");
                            checked += 1;
                        }
                    }
                    ResourceKind::Group => {
                        for (privileged, group) in
                            [(false, &f.group_a), (true, &f.privileged_group)]
                        {
                            let got = outcome(
                                app::ops::access::authorize_group(
                                    &common::cx(&store, &org, &principal),
                                    p,
                                    group,
                                )
                                .await,
                            );
                            let want = expected_group(persona, p, privileged);
                            assert_eq!(
                                got, want,
                                "{engine}: {persona} × {p} × group (privileged: {privileged})"
                            );
                            checked += 1;
                        }
                    }
                    _ => {}
                }
            }
        }
        assert!(checked > 500, "{engine}: {checked}");
    })
    .await;
}

#[tokio::test]
async fn nobody_delegates_more_than_it_holds() {
    use app::authz::orn::Resource;
    on_both(|store, engine| async move {
        let (f, org) = fixture(&store).await;
        let principal = |name: &str| {
            let id = f
                .personas
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, id)| id.clone())
                .unwrap();
            let store = store.clone();
            let ctx = org.orn.clone();
            async move {
                let rows = store.rights_rows(&id).await.unwrap();
                Principal::for_user(id, Actor::system(), Client::default(), rows, &ctx)
            }
        };
        let a_user = store.system_user_by_id(&f.in_a).await.unwrap().unwrap();
        let b_user = store.system_user_by_id(&f.in_b).await.unwrap().unwrap();
        let realm_a = vec![
            Resource::UsersInRealm(a_user.realm_id.clone()),
            Resource::Realm(a_user.realm_id.clone()),
        ];
        let realm_b = vec![Resource::UsersInRealm(b_user.realm_id.clone())];
        let conditioned = app::authz::catalog::partner_admin_role().permissions;
        let partner: Vec<Permission> = conditioned.iter().map(|(p, _)| *p).collect();

        let pa_a = principal("partner admin A").await;
        // Allowed twin: hand on what it holds, where it holds it, with the
        // conditions it holds it under.
        assert!(
            authz::check_delegation_of(&pa_a, &conditioned, &realm_a).is_ok(),
            "{engine}"
        );
        assert!(
            authz::check_delegation(&pa_a, &[Permission::UsersCreate], &realm_a).is_ok(),
            "{engine}"
        );
        // Denied twin: the same permissions without their conditions (its
        // reads and profile edits are limited to some attributes).
        assert_eq!(
            authz::check_delegation(&pa_a, &partner, &realm_a),
            Err(AppError::Forbidden),
            "{engine}"
        );
        assert_eq!(
            authz::check_delegation(&pa_a, &[Permission::UsersRead], &realm_a),
            Err(AppError::Forbidden),
            "{engine}"
        );
        // Denied twins: another realm, or a permission it lacks.
        assert_eq!(
            authz::check_delegation(&pa_a, &partner, &realm_b),
            Err(AppError::Forbidden),
            "{engine}"
        );
        assert_eq!(
            authz::check_delegation(&pa_a, &[Permission::UsersManage], &realm_a),
            Err(AppError::Forbidden),
            "{engine}"
        );
        assert_eq!(
            authz::check_delegation(&pa_a, &[Permission::RealmsManage], &[Resource::AllRealms]),
            Err(AppError::Forbidden),
            "{engine}"
        );

        let org_admin = principal("org admin").await;
        assert!(
            authz::check_delegation(&org_admin, &partner, &realm_b).is_ok(),
            "{engine}"
        );
        assert!(
            authz::check_standard_role_change(&org_admin, StandardRole::ReadOnlyAdmin, &[]).is_ok(),
            "{engine}"
        );
        assert_eq!(
            authz::check_standard_role_change(&org_admin, StandardRole::SuperAdmin, &[]),
            Err(AppError::Forbidden),
            "{engine}: only a super admin grants SUPER_ADMIN"
        );
        let super_admin = principal("super admin").await;
        assert!(
            authz::check_standard_role_change(&super_admin, StandardRole::SuperAdmin, &[]).is_ok(),
            "{engine}"
        );
        let read_only = principal("read-only admin").await;
        assert_eq!(
            authz::check_standard_role_change(&read_only, StandardRole::OrgAdmin, &[]),
            Err(AppError::Forbidden),
            "{engine}"
        );
        assert_eq!(
            authz::check_delegation(
                &read_only,
                &[Permission::UsersLifecycleSuspend],
                &[Resource::AllUsers]
            ),
            Err(AppError::Forbidden),
            "{engine}"
        );
    })
    .await;
}

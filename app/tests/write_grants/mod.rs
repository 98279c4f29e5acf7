//! Every store write (except the IAM writes) demands the permission it
//! implements: fed a grant the kernel really minted, but for a neighbouring
//! permission on the same target, it refuses (`Internal`: a programming
//! error) and changes nothing; fed the right grant, it succeeds. The allowed
//! and denied twins run side by side on SQLite and PostgreSQL.

use app::authz::{self, OrgContext, Permission, Principal, Target};
use app::model::{App, BaseProfile, Group, LifecycleOp, LifecycleStatus, Realm, User, UserStatus};
use app::store::admin::{Member, StoredPermission};
use app::store::audit::{Actor, Client};
use app::store::idps::{NewIdp, SecretBox};
use app::store::profiles::ProfileUpdate;
use app::store::rules::RuleInput;
use app::store::users::{AttributeDef, AttributeType, NewUser};
use app::store::{Store, StoreError};
use serde_json::Map;

use crate::common::{on_both, realm, system};

/// The write under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    CreateUser,
    Suspend,
    Delete,
    UpdateProfile,
    MoveUser,
    AddMember,
    RemoveMember,
    AssignApp,
    UnassignApp,
    AssignAppToGroup,
    CreateGroup,
    UpdateGroup,
    DeleteGroup,
    CreateApp,
    UpdateApp,
    DeleteApp,
    CreateRealm,
    UpdateRealm,
    DeleteRealm,
    CreateIdp,
    SetIdpStatus,
    DefineAttribute,
    CreateRule,
}

/// Which of a two-grant write's grants the case varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Only,
    User,
    Other,
}

struct Case {
    write: Write,
    side: Side,
    required: Permission,
    neighbour: Permission,
}

const fn case(write: Write, side: Side, required: Permission, neighbour: Permission) -> Case {
    Case {
        write,
        side,
        required,
        neighbour,
    }
}

use Permission as P;
use Side::*;
use Write::*;

const CASES: &[Case] = &[
    case(CreateUser, Only, P::UsersCreate, P::UsersLifecycleActivate),
    case(
        Suspend,
        Only,
        P::UsersLifecycleSuspend,
        P::UsersLifecycleUnsuspend,
    ),
    case(
        Delete,
        Only,
        P::UsersLifecycleDelete,
        P::UsersLifecycleSuspend,
    ),
    case(
        UpdateProfile,
        Only,
        P::UsersUserprofileManage,
        P::UsersUserprofileRead,
    ),
    case(MoveUser, User, P::UsersManage, P::UsersUserprofileManage),
    case(MoveUser, Other, P::UsersCreate, P::UsersRead),
    case(
        AddMember,
        User,
        P::UsersGroupMembershipManage,
        P::UsersAppAssignmentManage,
    ),
    case(
        AddMember,
        Other,
        P::GroupsMembersManage,
        P::GroupsAppAssignmentManage,
    ),
    case(
        RemoveMember,
        User,
        P::UsersGroupMembershipManage,
        P::UsersAppAssignmentManage,
    ),
    case(
        RemoveMember,
        Other,
        P::GroupsMembersManage,
        P::GroupsAppAssignmentManage,
    ),
    case(
        AssignApp,
        User,
        P::UsersAppAssignmentManage,
        P::UsersGroupMembershipManage,
    ),
    case(AssignApp, Other, P::AppsAssignmentManage, P::AppsRead),
    case(
        UnassignApp,
        User,
        P::UsersAppAssignmentManage,
        P::UsersGroupMembershipManage,
    ),
    case(UnassignApp, Other, P::AppsAssignmentManage, P::AppsRead),
    case(
        AssignAppToGroup,
        User,
        P::GroupsAppAssignmentManage,
        P::GroupsMembersManage,
    ),
    case(
        AssignAppToGroup,
        Other,
        P::AppsAssignmentManage,
        P::AppsRead,
    ),
    case(CreateGroup, Only, P::GroupsCreate, P::GroupsRead),
    case(UpdateGroup, Only, P::GroupsManage, P::GroupsMembersManage),
    case(DeleteGroup, Only, P::GroupsManage, P::GroupsMembersManage),
    case(CreateApp, Only, P::AppsManage, P::AppsAssignmentManage),
    case(UpdateApp, Only, P::AppsManage, P::AppsAssignmentManage),
    case(DeleteApp, Only, P::AppsManage, P::AppsAssignmentManage),
    case(CreateRealm, Only, P::RealmsManage, P::RealmsRead),
    case(UpdateRealm, Only, P::RealmsManage, P::RealmsRead),
    case(DeleteRealm, Only, P::RealmsManage, P::RealmsRead),
    case(
        CreateIdp,
        Only,
        P::IdentityProvidersManage,
        P::IdentityProvidersRead,
    ),
    case(
        SetIdpStatus,
        Only,
        P::IdentityProvidersManage,
        P::IdentityProvidersRead,
    ),
    case(
        DefineAttribute,
        Only,
        P::UsersManage,
        P::UsersUserprofileManage,
    ),
    case(CreateRule, Only, P::RealmsManage, P::RealmsRead),
];

/// What the writes act on, and an admin whose custom role holds every
/// permission above over every resource.
struct Fixture {
    org: OrgContext,
    admin: Principal,
    home: Realm,
    other: Realm,
}

fn profile(login: &str) -> BaseProfile {
    crate::common::profile(login, "Grant", "Twin")
}

async fn fixture(store: &Store) -> Fixture {
    let org = app::store::setup::bootstrap(store, "http://127.0.0.1:3000")
        .await
        .unwrap();
    let home = realm(store, "Home", &[]).await;
    let other = realm(store, "Other", &[]).await;
    let admin = new_user(store, &home, "twin.admin@host.test").await;
    let held = [
        "okta.users.manage",
        "okta.users.read",
        "okta.groups.manage",
        "okta.apps.manage",
        "okta.realms.manage",
        "okta.identityProviders.manage",
    ];
    let role = store
        .create_role(
            &crate::common::iam(),
            "Every write",
            "",
            &held.map(|p| StoredPermission {
                permission: p.into(),
                conditions: None,
            }),
        )
        .await
        .unwrap();
    let id = org.orn.org_id().to_string();
    let everything = [
        format!("orn:okta:directory:{id}:users"),
        format!("orn:okta:directory:{id}:groups"),
        format!("orn:okta:directory:{id}:realms"),
        format!("orn:okta:idp:{id}:apps"),
        format!("orn:okta:idp:{id}:identity_providers"),
    ];
    let set = store
        .create_resource_set(&crate::common::iam(), "Everything", "", &everything)
        .await
        .unwrap();
    store
        .add_binding_members(
            &crate::common::iam(),
            &set,
            &role,
            &[Member::User(admin.id.clone())],
        )
        .await
        .unwrap();
    let rows = store.rights_rows(&admin.id).await.unwrap();
    let admin = Principal::for_user(
        admin.id.clone(),
        Actor::system(),
        Client::default(),
        rows,
        &org.orn,
    );
    Fixture {
        org,
        admin,
        home,
        other,
    }
}

async fn new_user(store: &Store, realm: &Realm, login: &str) -> User {
    crate::common::create_user(store, realm, profile(login), Map::new())
        .await
        .unwrap()
}

fn idp(name: &str) -> NewIdp {
    NewIdp {
        name: name.into(),
        issuer: format!("https://{}.idp.example/oauth2", name.to_lowercase()),
        client_id: "portal".into(),
        client_secret: "s3cr3t-value".into(),
        scopes: vec!["email".into()],
        claim_mapping: Map::new(),
        realm_id: None,
        jit_enabled: false,
        routing_domains: Vec::new(),
        groups: Default::default(),
    }
}

impl Fixture {
    /// A grant the kernel mints for the admin: `permission` on `target`.
    fn grant(&self, permission: Permission, target: &Target) -> authz::Grant {
        authz::check(&self.admin, permission, target)
            .unwrap_or_else(|e| panic!("the admin holds {permission:?} on {target:?}: {e:?}"))
    }

    async fn user_target(&self, store: &Store, user: &User) -> Target {
        store.facts_of_user(&self.org.orn, user).await.unwrap()
    }

    async fn group(&self, store: &Store, name: &str) -> (Group, Target) {
        let group = store
            .create_group(&system(Permission::GroupsCreate, Target::Org), name, "")
            .await
            .unwrap();
        let target = store
            .facts_of_group(&self.org.orn, &group.id)
            .await
            .unwrap();
        (group, target)
    }

    async fn app(&self, store: &Store, label: &str) -> (App, Target) {
        let app = store
            .create_app(
                &system(Permission::AppsManage, Target::Org),
                "bookmark",
                label,
                "BOOKMARK",
            )
            .await
            .unwrap();
        let target = Target::App {
            id: app.id.clone(),
            app_type: app.name.clone(),
        };
        (app, target)
    }
}

/// Runs `case`'s write once, its varied grant for `permission` (the other
/// grant of a two-grant write is the right one), on objects made for `run`.
async fn attempt(
    store: &Store,
    f: &Fixture,
    case: &Case,
    permission: Permission,
    run: &str,
) -> Result<(), StoreError> {
    let pick = |side: Side, right: Permission| {
        if case.side == side {
            permission
        } else {
            right
        }
    };
    let login = format!("{run}@host.test");
    let org = Target::Org;
    match case.write {
        CreateUser => {
            let target = Target::NewUserIn {
                realm_id: f.home.id.clone(),
            };
            store
                .create_user(
                    &f.grant(permission, &target),
                    NewUser {
                        realm_id: f.home.id.clone(),
                        profile: profile(&login),
                        custom_profile: Map::new(),
                        activate: true,
                        profile_source_id: None,
                    },
                )
                .await
                .map(drop)
        }
        Suspend | Delete => {
            let user = new_user(store, &f.home, &login).await;
            let target = f.user_target(store, &user).await;
            let op = if case.write == Suspend {
                LifecycleOp::Suspend
            } else {
                store
                    .apply_lifecycle(
                        &system(Permission::UsersLifecycleDeactivate, target.clone()),
                        LifecycleOp::Deactivate,
                    )
                    .await
                    .unwrap();
                LifecycleOp::Delete
            };
            store
                .apply_lifecycle(&f.grant(permission, &target), op)
                .await
                .map(drop)
        }
        UpdateProfile => {
            let user = new_user(store, &f.home, &login).await;
            let target = f.user_target(store, &user).await;
            store
                .update_profile(
                    &f.grant(permission, &target),
                    ProfileUpdate {
                        profile: BaseProfile {
                            last_name: "Renamed".into(),
                            ..user.profile.clone()
                        },
                        custom_profile: Map::new(),
                        expected_version: Some(user.version),
                    },
                )
                .await
                .map(drop)
        }
        MoveUser => {
            let user = new_user(store, &f.home, &login).await;
            let target = f.user_target(store, &user).await;
            let to = Target::NewUserIn {
                realm_id: f.other.id.clone(),
            };
            store
                .move_user(
                    &f.grant(pick(User, P::UsersManage), &target),
                    &f.grant(pick(Other, P::UsersCreate), &to),
                )
                .await
                .map(drop)
        }
        AddMember | RemoveMember => {
            let user = new_user(store, &f.home, &login).await;
            let target = f.user_target(store, &user).await;
            let (_, group) = f.group(store, run).await;
            let user_grant = f.grant(pick(User, P::UsersGroupMembershipManage), &target);
            let group_grant = f.grant(pick(Other, P::GroupsMembersManage), &group);
            if case.write == AddMember {
                store.add_group_member(&user_grant, &group_grant).await
            } else {
                store
                    .add_group_member(
                        &system(P::UsersGroupMembershipManage, target.clone()),
                        &system(P::GroupsMembersManage, group.clone()),
                    )
                    .await
                    .unwrap();
                store.remove_group_member(&user_grant, &group_grant).await
            }
            .map(|changed| assert!(changed))
        }
        AssignApp | UnassignApp => {
            let user = new_user(store, &f.home, &login).await;
            let target = f.user_target(store, &user).await;
            let (_, app) = f.app(store, run).await;
            let user_grant = f.grant(pick(User, P::UsersAppAssignmentManage), &target);
            let app_grant = f.grant(pick(Other, P::AppsAssignmentManage), &app);
            if case.write == AssignApp {
                store.assign_app(&user_grant, &app_grant).await
            } else {
                store
                    .assign_app(
                        &system(P::UsersAppAssignmentManage, target.clone()),
                        &system(P::AppsAssignmentManage, app.clone()),
                    )
                    .await
                    .unwrap();
                store.unassign_app(&user_grant, &app_grant).await
            }
            .map(|changed| assert!(changed))
        }
        AssignAppToGroup => {
            let (_, group) = f.group(store, run).await;
            let (_, app) = f.app(store, run).await;
            store
                .assign_app_to_group(
                    &f.grant(pick(User, P::GroupsAppAssignmentManage), &group),
                    &f.grant(pick(Other, P::AppsAssignmentManage), &app),
                )
                .await
                .map(|changed| assert!(changed))
        }
        CreateGroup => store
            .create_group(&f.grant(permission, &org), run, "")
            .await
            .map(drop),
        UpdateGroup | DeleteGroup => {
            let (_, group) = f.group(store, run).await;
            let grant = f.grant(permission, &group);
            if case.write == UpdateGroup {
                store
                    .update_group(&grant, &format!("{run} renamed"), "")
                    .await
                    .map(drop)
            } else {
                store.delete_group(&grant).await
            }
        }
        CreateApp => store
            .create_app(&f.grant(permission, &org), "bookmark", run, "BOOKMARK")
            .await
            .map(drop),
        UpdateApp | DeleteApp => {
            let (_, app) = f.app(store, run).await;
            let grant = f.grant(permission, &app);
            if case.write == UpdateApp {
                store
                    .update_app(&grant, &format!("{run} renamed"))
                    .await
                    .map(drop)
            } else {
                store.delete_app(&grant).await
            }
        }
        CreateRealm => store
            .create_realm(
                &f.grant(permission, &org),
                app::store::realms::NewRealm {
                    name: run.into(),
                    realm_type: app::model::RealmType::Partner,
                    domains: Vec::new(),
                },
            )
            .await
            .map(drop),
        UpdateRealm | DeleteRealm => {
            let made = realm(store, run, &[]).await;
            let grant = f.grant(permission, &org);
            if case.write == UpdateRealm {
                store
                    .update_realm(
                        &grant,
                        &made.id,
                        app::store::realms::RealmChange {
                            name: &format!("{run} renamed"),
                            realm_type: None,
                            domains: &[],
                        },
                        &made.last_updated,
                    )
                    .await
                    .map(drop)
            } else {
                store.delete_realm(&grant, &made.id).await
            }
        }
        CreateIdp | SetIdpStatus => {
            let secrets = SecretBox::new("test-secrets-key");
            if case.write == CreateIdp {
                store
                    .create_idp(&f.grant(permission, &org), idp(run), &secrets)
                    .await
                    .map(drop)
            } else {
                let made = store
                    .create_idp(
                        &system(P::IdentityProvidersManage, Target::Org),
                        idp(run),
                        &secrets,
                    )
                    .await
                    .unwrap();
                store
                    .set_idp_status(&f.grant(permission, &org), &made.id, false)
                    .await
                    .map(drop)
            }
        }
        DefineAttribute => store
            .define_profile_attribute(
                &f.grant(permission, &org),
                AttributeDef {
                    name: run.replace('-', ""),
                    title: run.into(),
                    attr_type: AttributeType::String,
                    required: false,
                },
            )
            .await
            .map(drop),
        CreateRule => {
            let rule = store
                .create_rule(
                    &f.grant(permission, &org),
                    RuleInput {
                        name: run.into(),
                        profile_source_id: None,
                        expression: Some("user.profile.email.endsWith(\"@x.test\")".into()),
                        target_realm_id: f.other.id.clone(),
                    },
                )
                .await?;
            assert_eq!(rule.status, LifecycleStatus::Inactive);
            Ok(())
        }
    }
}

#[tokio::test]
async fn each_write_refuses_a_grant_for_a_neighbouring_permission_and_accepts_its_own() {
    on_both(|store, engine| async move {
        let f = fixture(&store).await;
        for (i, case) in CASES.iter().enumerate() {
            let what = format!("{engine}: {:?} ({:?} side)", case.write, case.side);
            let denied = attempt(&store, &f, case, case.neighbour, &format!("deny{i}")).await;
            assert!(
                matches!(denied, Err(StoreError::Internal(_))),
                "{what}: a {:?} grant must be refused, got {denied:?}",
                case.neighbour
            );
            let allowed = attempt(&store, &f, case, case.required, &format!("allow{i}")).await;
            assert!(
                allowed.is_ok(),
                "{what}: a {:?} grant must be accepted, got {allowed:?}",
                case.required
            );
        }
        // A refused create left nothing behind.
        assert!(store
            .system_user_by_login("deny0@host.test")
            .await
            .unwrap()
            .is_none());
        let status = store
            .system_user_by_login("deny1@host.test")
            .await
            .unwrap()
            .map(|u| u.status);
        assert_eq!(status, Some(UserStatus::Active), "{engine}: not suspended");
    })
    .await;
}

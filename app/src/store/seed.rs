//! Demo and benchmark data. Everything is written through the same store API as
//! the portal uses, as the explicit system principal, so every row has its
//! System Log event.

use serde_json::Map;

use super::admin::Member;
use super::realms::NewRealm;
use super::users::NewUser;
use super::{Store, StoreError};
use crate::authz::{self, Permission, Target};
use crate::ids::GroupId;
use crate::model::{BaseProfile, LifecycleOp, Realm, RealmType, StandardRole, User};

pub struct SeedReport {
    pub seconds: f64,
}

fn system_grant(permission: Permission, target: Target) -> Result<authz::Grant, StoreError> {
    authz::check(&authz::Principal::system(), permission, &target)
        .map_err(|e| StoreError::Internal(format!("system principal was refused: {e}")))
}

fn profile(login: &str, first: &str, last: &str) -> BaseProfile {
    BaseProfile {
        login: login.to_string(),
        email: login.to_string(),
        first_name: first.to_string(),
        last_name: last.to_string(),
        ..BaseProfile::default()
    }
}

async fn user(
    store: &Store,
    realm: &Realm,
    login: &str,
    first: &str,
    last: &str,
) -> Result<User, StoreError> {
    if let Some(existing) = store.user_by_login(login).await? {
        return Ok(existing);
    }
    let grant = system_grant(
        Permission::UsersCreate,
        Target::NewUserIn {
            realm_id: realm.id.clone(),
        },
    )?;
    store
        .create_user(
            &grant,
            NewUser {
                realm_id: realm.id.clone(),
                profile: profile(login, first, last),
                custom_profile: Map::new(),
                activate: true,
                profile_source_id: None,
            },
        )
        .await
}

async fn realm(store: &Store, name: &str, domain: &str) -> Result<Realm, StoreError> {
    if let Some(existing) = store.realm_by_name(name).await? {
        return Ok(existing);
    }
    let grant = system_grant(Permission::RealmsManage, Target::Org)?;
    store
        .create_realm(
            &grant,
            NewRealm {
                name: name.to_string(),
                realm_type: RealmType::Partner,
                domains: vec![domain.to_string()],
            },
        )
        .await
}

async fn group(store: &Store, name: &str, description: &str) -> Result<GroupId, StoreError> {
    if let Some(id) = store.group_id_by_name(name).await? {
        return Ok(id);
    }
    let grant = system_grant(Permission::GroupsCreate, Target::Org)?;
    Ok(store.create_group(&grant, name, description).await?.id)
}

async fn join(
    store: &Store,
    ctx: &authz::orn::OrnContext,
    user: &User,
    group: &GroupId,
) -> Result<(), StoreError> {
    let target = authz::user_target(store, ctx, user).await?;
    let user_grant = system_grant(Permission::UsersGroupMembershipManage, target)?;
    let group_grant = system_grant(
        Permission::GroupsMembersManage,
        authz::group_target(store, ctx, group).await?,
    )?;
    store.add_group_member(&user_grant, &group_grant).await?;
    Ok(())
}

/// The small demo organisation for `make run` and the end-to-end tests.
/// Idempotent: running it twice changes nothing the second time.
pub async fn demo(store: &Store, public_url: &str) -> Result<(), StoreError> {
    let default = store.ensure_default_realm().await?;
    let org = authz::bootstrap(store, public_url).await?;
    let acme = realm(store, "Acme", "acme.test").await?;
    let globex = realm(store, "Globex", "globex.test").await?;

    let olivia = user(
        store,
        &default,
        "olivia.owner@hostco.test",
        "Olivia",
        "Owner",
    )
    .await?;
    let carol = user(store, &default, "carol.both@hostco.test", "Carol", "Both").await?;
    let _hugo = user(store, &default, "hugo.host@hostco.test", "Hugo", "Host").await?;
    let alice = user(store, &acme, "alice.admin@acme.test", "Alice", "Admin").await?;
    let bob = user(store, &globex, "bob.admin@globex.test", "Bob", "Admin").await?;
    let sam = user(store, &acme, "sam.suspended@acme.test", "Sam", "Suspended").await?;
    let dana = user(store, &acme, "dana.designer@acme.test", "Dana", "Designer").await?;
    let ivan = user(
        store,
        &acme,
        "ivan.installer@acme.test",
        "Ivan",
        "Installer",
    )
    .await?;
    let gary = user(
        store,
        &globex,
        "gary.gearbox@globex.test",
        "Gary",
        "Gearbox",
    )
    .await?;
    let helen = user(
        store,
        &globex,
        "helen.hauler@globex.test",
        "Helen",
        "Hauler",
    )
    .await?;

    if sam.status == crate::model::UserStatus::Active {
        let target = authz::user_target(store, &org.orn, &sam).await?;
        let grant = system_grant(Permission::UsersLifecycleSuspend, target)?;
        store.apply_lifecycle(&grant, LifecycleOp::Suspend).await?;
    }

    let acme_eng = group(store, "Acme Engineering", "Engineers at Acme").await?;
    let globex_ops = group(store, "Globex Operations", "Operations staff at Globex").await?;
    let partners = group(store, "All Partners", "Every partner user").await?;
    for (u, g) in [
        (&alice, &acme_eng),
        (&dana, &acme_eng),
        (&ivan, &acme_eng),
        (&gary, &globex_ops),
        (&helen, &globex_ops),
        (&dana, &partners),
        (&gary, &partners),
    ] {
        join(store, &org.orn, u, g).await?;
    }

    let apps = [
        ("bookmark", "Supplier Portal", "BOOKMARK"),
        ("oidc_client", "Order Desk", "OPENID_CONNECT"),
        ("saml_2_0", "Partner Wiki", "SAML_2_0"),
    ];
    let mut app_ids = Vec::new();
    for (name, label, mode) in apps {
        let id = match store.app_id_by_label(label).await? {
            Some(id) => id,
            None => {
                let grant = system_grant(Permission::AppsManage, Target::Org)?;
                store.create_app(&grant, name, label, mode).await?.id
            }
        };
        app_ids.push((id, name));
    }
    // Everyone in All Partners gets the wiki through the group.
    if let Some((wiki, wiki_type)) = app_ids.get(2) {
        let group_grant = system_grant(
            Permission::GroupsAppAssignmentManage,
            authz::group_target(store, &org.orn, &partners).await?,
        )?;
        let app_grant = system_grant(
            Permission::AppsAssignmentManage,
            Target::App {
                id: wiki.clone(),
                app_type: wiki_type.to_string(),
            },
        )?;
        store.assign_app_to_group(&group_grant, &app_grant).await?;
    }
    if let Some((portal, portal_type)) = app_ids.first() {
        let target = authz::user_target(store, &org.orn, &dana).await?;
        let user_grant = system_grant(Permission::UsersAppAssignmentManage, target)?;
        let app_grant = system_grant(
            Permission::AppsAssignmentManage,
            Target::App {
                id: portal.clone(),
                app_type: portal_type.to_string(),
            },
        )?;
        store.assign_app(&user_grant, &app_grant).await?;
    }

    let grant = system_grant(Permission::UsersManage, Target::Org)?;
    store
        .assign_standard_role(
            &grant,
            &Member::User(olivia.id.clone()),
            StandardRole::SuperAdmin,
        )
        .await?;

    let role = org.partner_admin_role.clone();
    for (realm, group, admins) in [
        (&acme, &acme_eng, vec![&alice, &carol]),
        (&globex, &globex_ops, vec![&bob, &carol]),
    ] {
        let label = format!("{} partner administration", realm.name);
        let rs = match store.resource_set_id_by_label(&label).await? {
            Some(id) => id,
            None => {
                let mut orns = vec![
                    org.orn_realm(&realm.id),
                    org.orn_realm_users(&realm.id),
                    org.orn_group(group),
                    org.orn_group(&partners),
                ];
                orns.extend(app_ids.iter().map(|(id, t)| org.orn_app(t, id)));
                let grant = system_grant(Permission::UsersManage, Target::Org)?;
                store
                    .create_resource_set(
                        &grant,
                        &label,
                        &format!("What {}'s admins manage", realm.name),
                        &orns,
                    )
                    .await?
            }
        };
        let members: Vec<Member> = admins.iter().map(|u| Member::User(u.id.clone())).collect();
        let grant = system_grant(Permission::UsersManage, Target::Org)?;
        store
            .add_binding_members(&grant, &rs, &role, &members)
            .await?;
    }
    Ok(())
}

/// A realistic directory of `n` users.
pub async fn users(_store: &Store, _n: u64) -> Result<SeedReport, StoreError> {
    Err(StoreError::Config(
        "seed --users is not available yet".into(),
    ))
}

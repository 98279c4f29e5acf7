//! The admin model's lifecycle as the console drives it: standard role
//! assignments granted and taken back (never the last super admin), custom
//! roles and resource sets deleted only when nobody holds rights through
//! them, app integrations renamed — each audited, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::authz::{self, Permission, Target};
use app::model::{RealmType, StandardRole, User};
use app::store::admin::{Member, StoredPermission};
use app::store::realms::NewRealm;
use app::store::{Store, StoreError};
use common::{on_both, system};
use serde_json::Map;

async fn user(store: &Store, realm: &app::model::Realm, login: &str) -> User {
    common::create_user(
        store,
        realm,
        common::profile(login, "Pat", "Admin"),
        Map::new(),
    )
    .await
    .unwrap()
}

async fn setup(store: &Store) -> (authz::OrgContext, app::model::Realm) {
    let org = app::store::setup::bootstrap(store, "http://127.0.0.1:3000")
        .await
        .unwrap();
    let realm = store
        .create_realm(
            &system(Permission::RealmsManage, Target::Org),
            NewRealm {
                name: "Acme".into(),
                realm_type: RealmType::Partner,
                domains: vec![],
            },
        )
        .await
        .unwrap();
    (org, realm)
}

#[tokio::test]
async fn standard_roles_are_granted_and_taken_back_but_never_the_last_super_admin() {
    on_both(|store, engine| async move {
        let (_, realm) = setup(&store).await;
        let olivia = user(&store, &realm, "olivia@hostco.test").await;
        let hugo = user(&store, &realm, "hugo@hostco.test").await;
        let before = store
            .list_standard_assignments(&common::iam())
            .await
            .unwrap()
            .len();
        let supers_before = store
            .list_standard_assignments(&common::iam())
            .await
            .unwrap()
            .iter()
            .filter(|a| a.role == StandardRole::SuperAdmin)
            .count();
        store
            .assign_standard_role(
                &common::iam(),
                &Member::User(olivia.id.clone()),
                StandardRole::SuperAdmin,
            )
            .await
            .unwrap();
        store
            .assign_standard_role(
                &common::iam(),
                &Member::User(hugo.id.clone()),
                StandardRole::OrgAdmin,
            )
            .await
            .unwrap();
        let listed = store
            .list_standard_assignments(&common::iam())
            .await
            .unwrap();
        assert_eq!(listed.len(), before + 2, "{engine}");
        assert!(
            listed.iter().any(|a| a.role == StandardRole::OrgAdmin
                && a.member == Member::User(hugo.id.clone())
                && a.name == "hugo@hostco.test"
                && a.targets.is_empty()),
            "{engine}: {listed:?}"
        );
        if supers_before == 0 {
            let last = store
                .revoke_standard_role(
                    &common::iam(),
                    &Member::User(olivia.id.clone()),
                    StandardRole::SuperAdmin,
                )
                .await;
            assert!(
                matches!(last, Err(StoreError::Conflict(_))),
                "{engine}: {last:?}"
            );
        }
        store
            .assign_standard_role(
                &common::iam(),
                &Member::User(hugo.id.clone()),
                StandardRole::SuperAdmin,
            )
            .await
            .unwrap();
        store
            .revoke_standard_role(
                &common::iam(),
                &Member::User(olivia.id.clone()),
                StandardRole::SuperAdmin,
            )
            .await
            .unwrap();
        assert!(
            store
                .rights_rows(&olivia.id)
                .await
                .unwrap()
                .standard
                .is_empty(),
            "{engine}: olivia holds nothing now"
        );
        let again = store
            .revoke_standard_role(
                &common::iam(),
                &Member::User(olivia.id.clone()),
                StandardRole::SuperAdmin,
            )
            .await;
        assert!(matches!(again, Err(StoreError::NotFound)), "{engine}");
        assert_eq!(
            store
                .count_events("user.account.privilege.revoke")
                .await
                .unwrap(),
            1,
            "{engine}"
        );
    })
    .await;
}

#[tokio::test]
async fn roles_and_resource_sets_are_deleted_only_when_nobody_holds_rights_through_them() {
    on_both(|store, engine| async move {
        let (org, realm) = setup(&store).await;
        let role = store
            .create_role(
                &common::iam(),
                "Helpdesk",
                "",
                &[StoredPermission {
                    permission: "okta.users.read".into(),
                    conditions: None,
                }],
            )
            .await
            .unwrap();
        let set = store
            .create_resource_set(
                &common::iam(),
                "Acme users",
                "",
                &[org.orn_realm_users(&realm.id)],
            )
            .await
            .unwrap();
        let admin = user(&store, &realm, "helpdesk@acme.test").await;
        let member = Member::User(admin.id.clone());
        store
            .add_binding_members(&common::iam(), &set, &role, std::slice::from_ref(&member))
            .await
            .unwrap();

        for refused in [
            store.delete_role(&common::iam(), &role).await.map(|_| ()),
            store
                .delete_resource_set(&common::iam(), &set)
                .await
                .map(|_| ()),
        ] {
            assert!(
                matches!(refused, Err(StoreError::Conflict(_))),
                "{engine}: {refused:?}"
            );
        }
        assert_eq!(
            store.rights_rows(&admin.id).await.unwrap().bindings.len(),
            1
        );

        store
            .remove_binding_member(&common::iam(), &set, &role, &member)
            .await
            .unwrap();
        assert_eq!(
            store.delete_role(&common::iam(), &role).await.unwrap(),
            "Helpdesk",
            "{engine}"
        );
        assert!(store
            .list_roles(&common::iam())
            .await
            .unwrap()
            .iter()
            .all(|r| r.id != role));
        assert_eq!(
            store
                .delete_resource_set(&common::iam(), &set)
                .await
                .unwrap(),
            "Acme users",
            "{engine}"
        );
        assert!(store
            .resource_set_orns(&common::iam(), &set)
            .await
            .unwrap()
            .is_empty());
        assert!(matches!(
            store.delete_role(&common::iam(), &role).await,
            Err(StoreError::NotFound)
        ));
        for action in ["iam.role.delete", "iam.resourceset.delete"] {
            assert_eq!(
                store.count_events(action).await.unwrap(),
                1,
                "{engine}: {action}"
            );
        }
        // The generated Partner Admin role is a role like any other: while
        // bound it stays.
        let partner_set = store
            .create_resource_set(
                &common::iam(),
                "Acme admins",
                "",
                &[org.orn_realm_users(&realm.id)],
            )
            .await
            .unwrap();
        store
            .add_binding_members(
                &common::iam(),
                &partner_set,
                &org.partner_admin_role,
                &[member],
            )
            .await
            .unwrap();
        assert!(matches!(
            store
                .delete_role(&common::iam(), &org.partner_admin_role)
                .await,
            Err(StoreError::Conflict(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn an_app_is_renamed_with_its_event_and_a_blank_label_is_a_field_error() {
    on_both(|store, engine| async move {
        setup(&store).await;
        let create = system(Permission::AppsManage, Target::Org);
        let app = store
            .create_app(&create, "portal_app", "Supplier portal", "OPENID_CONNECT")
            .await
            .unwrap();
        let on_app = system(
            Permission::AppsManage,
            Target::App {
                id: app.id.clone(),
                app_type: app.name.clone(),
            },
        );
        let renamed = store.update_app(&on_app, "  Supplier hub ").await.unwrap();
        assert_eq!(renamed.label, "Supplier hub", "{engine}");
        let blank = store.update_app(&on_app, "  ").await;
        assert!(
            matches!(&blank, Err(StoreError::Invalid(f)) if f[0].field == "label"),
            "{engine}: {blank:?}"
        );
        assert_eq!(
            store
                .count_events("application.lifecycle.update")
                .await
                .unwrap(),
            1,
            "{engine}"
        );
    })
    .await;
}

/// What the Management API reads and writes of the admin model (ids and
/// timestamps, binding-member ids, role assignments, target changes that
/// keep the assignment's id), on both engines.
#[tokio::test]
async fn the_api_records_of_the_admin_model_carry_ids_and_timestamps() {
    use app::store::admin::AssignedRole;
    on_both(|store, engine| async move {
        let (org, realm) = setup(&store).await;
        let ivan = user(&store, &realm, "ivan@acme.test").await;
        let group = store
            .create_group(&system(Permission::GroupsCreate, Target::Org), "Ops", "")
            .await
            .unwrap();
        let iam = common::iam();
        let role = store
            .create_role(
                &iam,
                "Reader",
                "",
                &[StoredPermission {
                    permission: "okta.users.read".into(),
                    conditions: None,
                }],
            )
            .await
            .unwrap();
        let roles = store.iam_roles(&iam).await.unwrap();
        let made = roles.iter().find(|r| r.id == role).unwrap();
        assert!(
            made.description.is_empty() && !made.created.is_empty(),
            "{engine}"
        );
        let permissions = store.stamped_permissions(&iam, &role).await.unwrap();
        assert_eq!(permissions.len(), 1, "{engine}");
        assert_eq!(permissions[0].permission, "okta.users.read", "{engine}");
        let set = store
            .create_resource_set(&iam, "Acme", "", &[org.orn_realm_users(&realm.id)])
            .await
            .unwrap();
        store
            .update_resource_set(&iam, &set, "Acme users", "theirs")
            .await
            .unwrap();
        let sets = store.iam_resource_sets(&iam).await.unwrap();
        assert!(
            sets.iter()
                .any(|s| s.id == set && s.label == "Acme users" && s.description == "theirs"),
            "{engine}"
        );
        let resources = store.stamped_resources(&iam, &set).await.unwrap();
        assert_eq!(resources[0].orn, org.orn_realm_users(&realm.id), "{engine}");
        let who = Member::User(ivan.id.clone());
        store
            .add_binding_members(&iam, &set, &role, std::slice::from_ref(&who))
            .await
            .unwrap();
        let members = store
            .stamped_binding_members(&iam, &set, &role)
            .await
            .unwrap();
        assert_eq!(members.len(), 1, "{engine}");
        assert_eq!(members[0].member, who, "{engine}");
        store
            .assign_standard_role(&iam, &who, StandardRole::UserAdmin)
            .await
            .unwrap();
        let held = store.role_assignments_of(&iam, &who).await.unwrap();
        assert_eq!(held.len(), 2, "{engine}: {held:?}");
        assert!(held.iter().any(|a| a.id == members[0].id
            && a.role
                == AssignedRole::Custom {
                    role: role.clone(),
                    role_label: "Reader".into(),
                    resource_set: set.clone(),
                }));
        let standard = held
            .iter()
            .find(|a| a.role == AssignedRole::Standard(StandardRole::UserAdmin))
            .unwrap()
            .id
            .clone();
        let target = app::model::RoleTarget::Group(group.id.clone());
        store
            .set_standard_role_targets(
                &iam,
                &who,
                StandardRole::UserAdmin,
                std::slice::from_ref(&target),
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .standard_role_targets(&iam, &who, StandardRole::UserAdmin)
                .await
                .unwrap(),
            vec![target],
            "{engine}"
        );
        let held = store.role_assignments_of(&iam, &who).await.unwrap();
        assert!(
            held.iter().any(|a| a.id == standard),
            "{engine}: the id stays"
        );
        store.delete_binding(&iam, &set, &role).await.unwrap();
        assert!(
            matches!(
                store.stamped_binding_members(&iam, &set, &role).await,
                Err(StoreError::NotFound)
            ),
            "{engine}"
        );
        assert_eq!(
            store.role_assignments_of(&iam, &who).await.unwrap().len(),
            1,
            "{engine}"
        );
    })
    .await;
}

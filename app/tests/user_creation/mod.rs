//! Creating a user with its groups is one transaction; finding a user by
//! login is one scoped query.

use app::authz::{self, Permission, Principal, Target};
use app::model::{Realm, User, UserStatus};
use app::store::admin::{Member, StoredPermission};
use app::store::audit::{Actor, ChainReport, Client};
use app::store::users::NewUser;
use app::store::{Store, StoreError};
use serde_json::Map;

use crate::common::{on_both, realm, system};

fn new_user(realm: &Realm, login: &str) -> NewUser {
    NewUser {
        realm_id: realm.id.clone(),
        profile: crate::common::profile(login, "New", "Member"),
        custom_profile: Map::new(),
        activate: true,
        profile_source_id: None,
    }
}

fn create_grant(realm: &Realm) -> authz::Grant {
    system(
        Permission::UsersCreate,
        Target::NewUserIn {
            realm_id: realm.id.clone(),
        },
    )
}

async fn group_grant(
    store: &Store,
    org: &authz::OrgContext,
    name: &str,
    permission: Permission,
) -> (app::model::Group, authz::Grant) {
    let group = store
        .create_group(&system(Permission::GroupsCreate, Target::Org), name, "")
        .await
        .unwrap();
    let target = store.facts_of_group(&org.orn, &group.id).await.unwrap();
    (group, system(permission, target))
}

/// Events of the kinds a creation with groups writes, in order.
async fn counts(store: &Store) -> [i64; 3] {
    let mut out = [0; 3];
    for (n, kind) in out.iter_mut().zip([
        "user.lifecycle.create",
        "user.lifecycle.activate",
        "group.user_membership.add",
    ]) {
        *n = store.count_events(kind).await.unwrap();
    }
    out
}

async fn members(store: &Store, user: &User) -> Vec<app::ids::GroupId> {
    let mut groups = store.user_group_ids(&user.id).await.unwrap();
    groups.sort();
    groups
}

#[tokio::test]
async fn a_user_created_with_groups_is_written_with_its_memberships_and_events_at_once() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let (eng, eng_grant) =
            group_grant(&store, &org, "Engineering", Permission::GroupsMembersManage).await;
        let (ops, ops_grant) =
            group_grant(&store, &org, "Operations", Permission::GroupsMembersManage).await;
        let before = counts(&store).await;
        let user = store
            .create_user_in_groups(
                &create_grant(&acme),
                new_user(&acme, "joiner@acme.test"),
                &[eng_grant, ops_grant],
                None,
            )
            .await
            .unwrap();
        assert_eq!(user.status, UserStatus::Active, "{engine}");
        let mut expected = vec![eng.id.clone(), ops.id.clone()];
        expected.sort();
        assert_eq!(members(&store, &user).await, expected, "{engine}");
        let after = counts(&store).await;
        assert_eq!(
            [
                after[0] - before[0],
                after[1] - before[1],
                after[2] - before[2]
            ],
            [1, 1, 2],
            "{engine}: create, activate and one membership event per group"
        );
        assert!(
            matches!(
                store.verify_system_log().await.unwrap(),
                ChainReport::Intact { .. }
            ),
            "{engine}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_user_whose_group_fails_is_not_created_at_all() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let (_, kept) = group_grant(&store, &org, "Kept", Permission::GroupsMembersManage).await;
        let (gone, gone_grant) =
            group_grant(&store, &org, "Gone", Permission::GroupsMembersManage).await;
        // Deleted between the check that minted its grant and the write.
        let target = store.facts_of_group(&org.orn, &gone.id).await.unwrap();
        store
            .delete_group(&system(Permission::GroupsManage, target))
            .await
            .unwrap();
        let (_, wrong) = group_grant(
            &store,
            &org,
            "Apps only",
            Permission::GroupsAppAssignmentManage,
        )
        .await;
        let before = counts(&store).await;

        let err = store
            .create_user_in_groups(
                &create_grant(&acme),
                new_user(&acme, "late@acme.test"),
                &[kept.clone(), gone_grant],
                None,
            )
            .await
            .expect_err("a deleted group");
        assert!(matches!(err, StoreError::NotFound), "{engine}: {err:?}");
        let err = store
            .create_user_in_groups(
                &create_grant(&acme),
                new_user(&acme, "late@acme.test"),
                &[kept.clone(), wrong],
                None,
            )
            .await
            .expect_err("a grant for another operation");
        assert!(matches!(err, StoreError::Internal(_)), "{engine}: {err:?}");

        // Neither the user (and so none of its memberships) nor an event.
        assert!(store
            .system_user_by_login("late@acme.test")
            .await
            .unwrap()
            .is_none());
        assert_eq!(counts(&store).await, before, "{engine}");
        assert!(
            matches!(
                store.verify_system_log().await.unwrap(),
                ChainReport::Intact { .. }
            ),
            "{engine}"
        );
        // The same request without the failing group goes through.
        let user = store
            .create_user_in_groups(
                &create_grant(&acme),
                new_user(&acme, "late@acme.test"),
                &[kept],
                None,
            )
            .await
            .unwrap();
        assert_eq!(members(&store, &user).await.len(), 1, "{engine}");
    })
    .await;
}

#[tokio::test]
async fn find_user_by_login_sees_only_the_scope_and_ignores_case() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let globex = realm(&store, "Globex", &["globex.test"]).await;
        let inside = store
            .create_user(&create_grant(&acme), new_user(&acme, "Inside@acme.test"))
            .await
            .unwrap();
        let outside = store
            .create_user(
                &create_grant(&globex),
                new_user(&globex, "outside@globex.test"),
            )
            .await
            .unwrap();
        let admin = store
            .create_user(&create_grant(&acme), new_user(&acme, "reader@acme.test"))
            .await
            .unwrap();
        let role = store
            .create_role(
                &crate::common::iam(),
                "Reads Acme",
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
                &crate::common::iam(),
                "Acme users",
                "",
                &[org.orn_realm_users(&acme.id)],
            )
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
        let reader = Principal::for_user(
            admin.id.clone(),
            Actor::system(),
            Client::default(),
            store.rights_rows(&admin.id).await.unwrap(),
            &org.orn,
        );
        let scope = authz::scope(&reader, Permission::UsersRead);

        let found = store
            .find_user_by_login(&scope, " INSIDE@ACME.TEST ")
            .await
            .unwrap();
        assert_eq!(found.map(|u| u.id), Some(inside.id), "{engine}");
        let hidden = store
            .find_user_by_login(&scope, "outside@globex.test")
            .await
            .unwrap();
        assert!(
            hidden.is_none(),
            "{engine}: another realm's user is not found"
        );
        let everyone = authz::scope(&Principal::system(), Permission::UsersRead);
        let seen = store
            .find_user_by_login(&everyone, "outside@globex.test")
            .await
            .unwrap();
        assert_eq!(seen.map(|u| u.id), Some(outside.id), "{engine}");
        assert!(store
            .find_user_by_login(&scope, "nobody@acme.test")
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

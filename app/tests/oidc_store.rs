//! What the OpenID Provider keeps, on SQLite and PostgreSQL: client
//! registrations (the secret only as a hash, shown once; only `okta.apps.manage`
//! changes one — a partner admin is refused, an app outside its sets is not
//! found), single-use codes, refresh-token families and their revocation when
//! an admin change ends the user's access.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::authz::{Client, Permission, Target};
use app::error::AppError;
use app::model::LifecycleOp;
use app::ops;
use app::store::oauth::{CodeRequest, Issued, Redeemed, Source};
use app::views::apps::OidcClientView;
use common::{cx, on_both, partner_admin, realm, super_admin, system, user};

fn web_client() -> OidcClientView {
    OidcClientView {
        application_type: "web".into(),
        auth_method: "client_secret_basic".into(),
        redirect_uris: vec!["https://wiki.example/callback".into()],
        post_logout_redirect_uris: vec!["https://wiki.example/".into()],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        initiate_login_uri: "https://wiki.example/login".into(),
        access_token_minutes: 60,
        id_token_minutes: 60,
        refresh_token_days: 30,
        groups_filter: "Acme.*".into(),
        realm_claim: true,
        ..OidcClientView::default()
    }
}

#[tokio::test]
async fn registrations_keep_only_a_hash_and_refresh_families_end_with_the_assignment() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let owner = user(&store, &acme, "owner@acme.test").await;
        super_admin(&store, &owner).await;
        let owner_p = common::principal(&store, &org, &owner).await;
        let ocx = cx(&store, &org, &owner_p);
        let alice = user(&store, &acme, "alice@acme.test").await;
        let alice_p = partner_admin(&store, &org, &[&acme], &alice).await;
        let acx = cx(&store, &org, &alice_p);
        let erin = user(&store, &acme, "erin@acme.test").await;

        let wiki = ops::apps::create(&ocx, "oidc_client", "Wiki", "OPENID_CONNECT")
            .await
            .unwrap();
        // Bad settings: each field says what is wrong, nothing is saved.
        let mut bad = web_client();
        bad.redirect_uris = vec!["http://wiki.example/callback".into()];
        bad.refresh_token_days = 0;
        match ops::apps::set_oidc_client(&ocx, &wiki.id, &bad).await {
            Err(AppError::Validation { fields, .. }) => {
                let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                assert!(names.contains(&"redirect_uris"), "{engine}: {names:?}");
                assert!(names.contains(&"refresh_token_days"), "{engine}: {names:?}");
            }
            other => panic!("{engine}: {other:?}"),
        }
        assert!(store.oauth_client_of_app(&wiki.id).await.unwrap().is_none());

        // The first save makes the client and its secret, shown once.
        let (view, secret) = ops::apps::set_oidc_client(&ocx, &wiki.id, &web_client())
            .await
            .unwrap();
        let secret = secret.expect("a secret the first time");
        assert!(view.has_secret);
        let stored = store
            .system_oauth_client(&view.client_id)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(stored.secret_hash.as_deref(), Some(secret.as_str()));
        assert!(app::oidc::secret_matches(
            &secret,
            stored.secret_hash.as_deref().unwrap()
        ));
        // Saving again keeps client id and secret.
        let (again, none) = ops::apps::set_oidc_client(&ocx, &wiki.id, &web_client())
            .await
            .unwrap();
        assert_eq!(again.client_id, view.client_id);
        assert!(none.is_none());
        let rotated = ops::apps::new_client_secret(&ocx, &wiki.id).await.unwrap();
        let stored = store
            .system_oauth_client(&view.client_id)
            .await
            .unwrap()
            .unwrap();
        assert!(!app::oidc::secret_matches(
            &secret,
            stored.secret_hash.as_deref().unwrap()
        ));
        assert!(app::oidc::secret_matches(
            &rotated,
            stored.secret_hash.as_deref().unwrap()
        ));

        // For a partner admin whose resource sets hold no app, the app does
        // not exist: its sign-in settings are neither read nor changed.
        let before = store.oauth_client_of_app(&wiki.id).await.unwrap().unwrap();
        assert!(matches!(
            ops::apps::set_oidc_client(&acx, &wiki.id, &web_client()).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            ops::apps::new_client_secret(&acx, &wiki.id).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            ops::apps::oidc_client(&acx, &wiki.id).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            ops::apps::set_bookmark_url(&acx, &wiki.id, "https://x.example/").await,
            Err(AppError::NotFound)
        ));
        let after = store.oauth_client_of_app(&wiki.id).await.unwrap().unwrap();
        assert_eq!(after.secret_hash, before.secret_hash, "{engine}");
        assert_eq!(after.last_updated, before.last_updated, "{engine}");
        assert_eq!(after.settings, before.settings, "{engine}");

        // A code is taken once; a second presentation is a replay.
        let client = store
            .system_oauth_client(&view.client_id)
            .await
            .unwrap()
            .unwrap();
        let request = CodeRequest {
            redirect_uri: "https://wiki.example/callback".into(),
            scopes: vec!["openid".into(), "offline_access".into()],
            nonce: None,
            code_challenge: None,
            auth_time: 1,
        };
        store
            .system_issue_code("code-hash-1", &erin, &client, &request, &Client::default())
            .await
            .unwrap();
        assert!(matches!(
            store
                .system_redeem_code("code-hash-1", &client, &Client::default())
                .await
                .unwrap(),
            Redeemed::Fresh(_)
        ));
        assert!(matches!(
            store
                .system_redeem_code("code-hash-1", &client, &Client::default())
                .await
                .unwrap(),
            Redeemed::Replayed
        ));
        assert!(matches!(
            store
                .system_redeem_code("never-issued", &client, &Client::default())
                .await
                .unwrap(),
            Redeemed::Unknown
        ));

        // Erin has the app directly; her refresh token rotates in its family.
        let target = store.facts_of_user(&org.orn, &erin).await.unwrap();
        let app_target = Target::App {
            id: wiki.id.clone(),
            app_type: "oidc_client".into(),
        };
        let user_grant = system(Permission::UsersAppAssignmentManage, target.clone());
        let app_grant = system(Permission::AppsAssignmentManage, app_target);
        store.assign_app(&user_grant, &app_grant).await.unwrap();
        assert!(store.system_app_access(&erin.id, &wiki.id).await.unwrap());
        let issued = |hash: &str| Issued {
            access_jti: format!("AT.{hash}"),
            access_expires: String::new(),
            id_token: true,
            refresh: Some((
                hash.to_string(),
                "RF.family".into(),
                "2999-01-01T00:00:00.000Z".into(),
            )),
            scopes: vec!["openid".into(), "offline_access".into()],
            auth_time: 1,
        };
        store
            .system_record_issue(
                &client,
                Some(&erin),
                Source::Credentials,
                &issued("r1"),
                &Client::default(),
            )
            .await
            .unwrap();
        // Read without spending it; the rotation spends it with the new token.
        assert!(matches!(
            store
                .system_refresh_grant("r1", &client, &Client::default())
                .await
                .unwrap(),
            Redeemed::Fresh(_)
        ));
        assert!(store
            .system_record_issue(
                &client,
                Some(&erin),
                Source::Refresh("r1"),
                &issued("r2"),
                &Client::default(),
            )
            .await
            .unwrap());
        assert_eq!(
            store.live_refresh_tokens(&erin.id, &wiki.id).await.unwrap(),
            1
        );
        // A second rotation of r1 (a concurrent or replayed refresh) issues
        // nothing and revokes the family, r2 with it.
        assert!(!store
            .system_record_issue(
                &client,
                Some(&erin),
                Source::Refresh("r1"),
                &issued("r2b"),
                &Client::default(),
            )
            .await
            .unwrap());
        assert_eq!(
            store.live_refresh_tokens(&erin.id, &wiki.id).await.unwrap(),
            0
        );
        assert!(matches!(
            store
                .system_refresh_grant("r2", &client, &Client::default())
                .await
                .unwrap(),
            Redeemed::Unknown
        ));
        assert!(store.system_jti_revoked("AT.r2").await.unwrap());

        // Unassigned: her new family is deleted in the same transaction.
        store
            .system_record_issue(
                &client,
                Some(&erin),
                Source::Credentials,
                &issued("r3"),
                &Client::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            store.live_refresh_tokens(&erin.id, &wiki.id).await.unwrap(),
            1
        );
        store.unassign_app(&user_grant, &app_grant).await.unwrap();
        assert_eq!(
            store.live_refresh_tokens(&erin.id, &wiki.id).await.unwrap(),
            0
        );
        assert!(!store.system_app_access(&erin.id, &wiki.id).await.unwrap());

        // Assigned again, then suspended: the same.
        store.assign_app(&user_grant, &app_grant).await.unwrap();
        store
            .system_record_issue(
                &client,
                Some(&erin),
                Source::Credentials,
                &issued("r4"),
                &Client::default(),
            )
            .await
            .unwrap();
        let suspend = system(Permission::UsersLifecycleSuspend, target);
        store
            .apply_lifecycle(&suspend, LifecycleOp::Suspend)
            .await
            .unwrap();
        assert_eq!(
            store.live_refresh_tokens(&erin.id, &wiki.id).await.unwrap(),
            0
        );

        // A client-assertion id is accepted once.
        assert!(store
            .system_first_use_of_assertion("c", "j", 4_000_000_000)
            .await
            .unwrap());
        assert!(!store
            .system_first_use_of_assertion("c", "j", 4_000_000_000)
            .await
            .unwrap());
    })
    .await;
}

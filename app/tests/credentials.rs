//! Credentials the portal holds (issue #21), on SQLite and PostgreSQL: the
//! password policy and history, lockout after N wrong passwords (timed and
//! admin unlock), one-time links (single use, expiry, a newer one kills the
//! older), and the statuses the admin actions set — each with its way back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::authn::hosted::{self, HostedError, Next};
use app::authz::{Client, Permission};
use app::credentials::{LinkPurpose, LinkToken, Policy};
use app::model::{CredentialHolder, LifecycleOp, UserStatus};
use app::ops;
use app::store::credentials::PasswordChange;
use common::{cx, on_both_with_url, partner_admin, raw_sql, realm, user};

async fn hosted_realm(store: &app::store::Store, name: &str, lockout: u32) -> app::model::Realm {
    let domain = format!("{}.test", name.to_lowercase());
    let realm = realm(store, name, &[domain.as_str()]).await;
    store
        .set_realm_policy(
            &common::system(Permission::RealmsManage, app::authz::Target::Org),
            &realm.id,
            &Policy {
                hosted: true,
                min_length: 12,
                history_count: 2,
                lockout_attempts: lockout,
                lockout_minutes: 15,
                ..Policy::default()
            },
        )
        .await
        .unwrap();
    realm
}

/// The org, a hosted realm locking after `lockout` wrong passwords, and its
/// partner admin's context.
async fn hooli_with_admin(
    store: &app::store::Store,
    lockout: u32,
) -> (app::authz::OrgContext, app::model::Realm, app::ctx::Ctx) {
    let org = app::store::setup::bootstrap(store, "http://127.0.0.1")
        .await
        .unwrap();
    let hooli = hosted_realm(store, "Hooli", lockout).await;
    let admin = user(store, &hooli, "hanna@hooli.test").await;
    let admin_p = partner_admin(store, &org, &[&hooli], &admin).await;
    let acx = cx(store, &org, &admin_p);
    (org, hooli, acx)
}

async fn give_password(cx: &app::ctx::Ctx, user: &app::model::User, password: &str) {
    let hash = cx
        .settings
        .credentials
        .hasher()
        .hash(password)
        .await
        .unwrap();
    cx.store
        .system_set_password(&user.id, &hash, 2, PasswordChange::Seed, &Client::default())
        .await
        .unwrap();
}

async fn status(store: &app::store::Store, user: &app::model::User) -> UserStatus {
    store
        .system_user_by_id(&user.id)
        .await
        .unwrap()
        .unwrap()
        .status
}

/// Fails if any of `secrets` shows up anywhere in the System Log.
async fn assert_log_holds_none_of(store: &app::store::Store, secrets: &[&str]) {
    let everything = app::authz::log_scope(&app::authz::Principal::system());
    let page = store
        .read_events(
            &everything,
            &app::store::log::LogQuery::default(),
            None,
            false,
            1000,
        )
        .await
        .unwrap();
    assert!(!page.items.is_empty());
    let text: String = page.items.iter().map(|e| e.event.to_string()).collect();
    for (i, secret) in secrets.iter().enumerate() {
        assert!(!text.contains(secret), "secret #{i} is in the System Log");
    }
}

async fn events(store: &app::store::Store, event_type: &str) -> i64 {
    store.count_events(event_type).await.unwrap()
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_until_time_or_an_admin_unlocks_it() {
    on_both_with_url(|store, engine, url| async move {
        let (_org, hooli, acx) = hooli_with_admin(&store, 3).await;
        let martha = user(&store, &hooli, "martha@hooli.test").await;
        give_password(&acx, &martha, "correct horse battery").await;
        let client = Client::default();
        let s = &acx.settings;

        // Unknown accounts and wrong passwords get the same answer.
        let unknown = hosted::check_password(&store, s, "nobody@hooli.test", "whatever-it-is", &client).await;
        assert!(matches!(unknown, Err(HostedError::WrongPassword)), "{engine}");
        for _ in 0..2 {
            let wrong = hosted::check_password(&store, s, "martha@hooli.test", "wrong password!", &client).await;
            assert!(matches!(wrong, Err(HostedError::WrongPassword)), "{engine}: {wrong:?}");
        }
        // The third locks (the policy says 3), and then even the right one
        // is refused.
        let third = hosted::check_password(&store, s, "martha@hooli.test", "wrong password!", &client).await;
        assert!(matches!(third, Err(HostedError::Locked(_))), "{engine}: {third:?}");
        assert_eq!(status(&store, &martha).await, UserStatus::LockedOut);
        assert_eq!(events(&store, "user.account.lock").await, 1);
        let right = hosted::check_password(&store, s, "martha@hooli.test", "correct horse battery", &client).await;
        assert!(matches!(right, Err(HostedError::Locked(_))), "{engine}");

        // An admin unlocks: the right password works again.
        ops::users::apply_lifecycle(&acx, &martha.id, LifecycleOp::Unlock).await.unwrap();
        assert_eq!(status(&store, &martha).await, UserStatus::Active);
        let (_, next) = hosted::check_password(&store, s, "martha@hooli.test", "correct horse battery", &client)
            .await
            .unwrap();
        assert_eq!(next, Next::Done);

        // Locked again; once the lockout time has passed it unlocks itself.
        for _ in 0..3 {
            let _ = hosted::check_password(&store, s, "martha@hooli.test", "wrong password!", &client).await;
        }
        assert_eq!(status(&store, &martha).await, UserStatus::LockedOut);
        raw_sql(
            &url,
            &[format!(
                "UPDATE user_passwords SET locked_until = '2000-01-01T00:00:00.000Z' WHERE user_id = '{}'",
                martha.id
            )],
        )
        .await;
        hosted::check_password(&store, s, "martha@hooli.test", "correct horse battery", &client)
            .await
            .unwrap();
        assert_eq!(status(&store, &martha).await, UserStatus::Active);
        assert_eq!(events(&store, "user.account.unlock").await, 1);
    })
    .await;
}

#[tokio::test]
async fn links_work_once_expire_and_die_when_a_newer_one_is_sent() {
    on_both_with_url(|store, engine, _url| async move {
        let (_org, hooli, acx) = hooli_with_admin(&store, 5).await;
        let martha = user(&store, &hooli, "martha@hooli.test").await;
        give_password(&acx, &martha, "correct horse battery").await;
        let client = Client::default();
        let s = &acx.settings;
        let ttl = time::Duration::minutes(30);

        let first = LinkToken::generate();
        store
            .system_request_recovery(&martha, &first.hash(), ttl, &client)
            .await
            .unwrap();
        let second = LinkToken::generate();
        store
            .system_request_recovery(&martha, &second.hash(), ttl, &client)
            .await
            .unwrap();
        // Only the hash is stored: the token itself finds nothing.
        assert!(
            store
                .system_link_user(second.expose(), LinkPurpose::Recovery)
                .await
                .unwrap()
                .is_none(),
            "{engine}"
        );
        assert!(store
            .system_link_user(&second.hash(), LinkPurpose::Recovery)
            .await
            .unwrap()
            .is_some());

        // The older link died when the newer was sent.
        let old = hosted::set_password_by_link(
            &store,
            s,
            first.expose(),
            LinkPurpose::Recovery,
            "a brand new secret",
            "a brand new secret",
            &client,
        )
        .await;
        assert!(
            matches!(old, Err(HostedError::Link(_))),
            "{engine}: {old:?}"
        );
        // The policy is checked before the link is used up…
        let short = hosted::set_password_by_link(
            &store,
            s,
            second.expose(),
            LinkPurpose::Recovery,
            "short",
            "short",
            &client,
        )
        .await;
        assert!(
            matches!(short, Err(HostedError::Field("password", _))),
            "{short:?}"
        );
        let differ = hosted::set_password_by_link(
            &store,
            s,
            second.expose(),
            LinkPurpose::Recovery,
            "a brand new secret",
            "a brand new secreT",
            &client,
        )
        .await;
        assert!(matches!(differ, Err(HostedError::Field("repeat", _))));
        // …which then works once, and ends every session the user had.
        let (_, before_reset) = store
            .system_session_user(&martha.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(before_reset, None, "{engine}");
        hosted::set_password_by_link(
            &store,
            s,
            second.expose(),
            LinkPurpose::Recovery,
            "a brand new secret",
            "a brand new secret",
            &client,
        )
        .await
        .unwrap();
        let (_, after_reset) = store
            .system_session_user(&martha.id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            after_reset.is_some(),
            "{engine}: sessions before the reset are void"
        );
        let again = hosted::set_password_by_link(
            &store,
            s,
            second.expose(),
            LinkPurpose::Recovery,
            "another new secret",
            "another new secret",
            &client,
        )
        .await;
        assert!(matches!(again, Err(HostedError::Link(_))));
        hosted::check_password(
            &store,
            s,
            "martha@hooli.test",
            "a brand new secret",
            &client,
        )
        .await
        .unwrap();
        // A link of the wrong purpose opens nothing.
        let third = LinkToken::generate();
        store
            .system_request_recovery(&martha, &third.hash(), ttl, &client)
            .await
            .unwrap();
        assert!(
            hosted::link_user(&store, third.expose(), LinkPurpose::Activation)
                .await
                .is_err()
        );
        // An expired link is refused.
        let expired = LinkToken::generate();
        store
            .system_request_recovery(
                &martha,
                &expired.hash(),
                time::Duration::minutes(-1),
                &client,
            )
            .await
            .unwrap();
        assert!(matches!(
            hosted::link_user(&store, expired.expose(), LinkPurpose::Recovery).await,
            Err(HostedError::Link(_))
        ));

        // History: the current and the last two passwords may not come back.
        let history = hosted::new_password_problem(
            &store,
            s,
            &martha,
            "correct horse battery",
            "correct horse battery",
        )
        .await
        .unwrap();
        assert!(matches!(history, Some(("password", _))), "{history:?}");
        // Forgot-password for an unknown address or a federated user sends nothing.
        hosted::request_recovery(&store, s, "nobody@hooli.test", &client)
            .await
            .unwrap();
        let before = events(&store, "user.account.reset_password").await;
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let erin = user(&store, &acme, "erin@acme.test").await;
        hosted::request_recovery(&store, s, &erin.profile.login, &client)
            .await
            .unwrap();
        assert_eq!(events(&store, "user.account.reset_password").await, before);
        assert_log_holds_none_of(
            &store,
            &[
                first.expose(),
                second.expose(),
                third.expose(),
                expired.expose(),
                "correct horse battery",
                "a brand new secret",
            ],
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn admin_actions_set_statuses_each_with_a_way_back() {
    on_both_with_url(|store, engine, _url| async move {
        let (org, hooli, acx) = hooli_with_admin(&store, 5).await;
        let client = Client::default();
        let s = &acx.settings;

        // Created with "activate" in a hosted realm: PROVISIONED, waiting
        // for the user to set a password through the mailed link.
        let nina = ops::users::create(
            &acx,
            ops::users::NewUserInput {
                realm_id: Some(hooli.id.clone()),
                source: None,
                profile: common::profile("nina@hooli.test", "Nina", "New"),
                custom: Default::default(),
                activate: true,
                groups: Vec::new(),
            },
        )
        .await
        .unwrap();
        assert_eq!(nina.status, UserStatus::Provisioned, "{engine}");
        assert_eq!(
            store.credential_holder(&nina).await.unwrap(),
            CredentialHolder::Portal {
                has_password: false
            }
        );
        // The link went into the store (hashed) even though no mail server
        // is configured here; "Resend activation email" replaces it.
        let said = ops::users::apply_lifecycle(&acx, &nina.id, LifecycleOp::Reactivate)
            .await
            .unwrap();
        assert!(said.contains("No mail server"), "{said}");
        // Without a password there is nothing to expire or reset yet.
        assert!(
            ops::users::apply_lifecycle(&acx, &nina.id, LifecycleOp::ExpirePassword)
                .await
                .is_err()
        );

        // Activation by link (a token the test issues the same way).
        let token = LinkToken::generate();
        store
            .system_request_recovery(&nina, &token.hash(), time::Duration::hours(1), &client)
            .await
            .unwrap();
        assert!(
            hosted::link_user(&store, token.expose(), LinkPurpose::Recovery)
                .await
                .is_ok()
        );
        let activation = LinkToken::generate();
        let grant = common::system(
            Permission::UsersLifecycleActivate,
            store.facts_of_user(&org.orn, &nina).await.unwrap(),
        );
        store
            .apply_lifecycle_linked(
                &grant,
                LifecycleOp::Reactivate,
                Some(app::store::credentials::IssuedLink {
                    purpose: LinkPurpose::Activation,
                    token_hash: activation.hash(),
                    ttl: time::Duration::days(7),
                }),
            )
            .await
            .unwrap();
        let nina = hosted::set_password_by_link(
            &store,
            s,
            activation.expose(),
            LinkPurpose::Activation,
            "my first secret!",
            "my first secret!",
            &client,
        )
        .await
        .unwrap();
        assert_eq!(nina.status, UserStatus::Active);
        assert!(nina.activated.is_some());

        // Expire password (the org admin: Okta's Partner Admin role does
        // not hold okta.users.credentials.expirePassword): the next sign-in
        // changes it first.
        let owner = user(
            &store,
            &store.default_realm().await.unwrap(),
            "owner@hostco.test",
        )
        .await;
        common::super_admin(&store, &owner).await;
        let ocx = cx(&store, &org, &common::principal(&store, &org, &owner).await);
        assert_eq!(
            ops::users::apply_lifecycle(&acx, &nina.id, LifecycleOp::ExpirePassword)
                .await
                .unwrap_err(),
            app::error::AppError::Forbidden
        );
        ops::users::apply_lifecycle(&ocx, &nina.id, LifecycleOp::ExpirePassword)
            .await
            .unwrap();
        assert_eq!(status(&store, &nina).await, UserStatus::PasswordExpired);
        let (expired, next) =
            hosted::check_password(&store, s, "nina@hooli.test", "my first secret!", &client)
                .await
                .unwrap();
        assert_eq!(next, Next::ChangePassword);
        let same = hosted::change_expired_password(
            &store,
            s,
            &expired,
            "my first secret!",
            "my first secret!",
            &client,
        )
        .await;
        assert!(
            matches!(same, Err(HostedError::Field("password", _))),
            "history: {same:?}"
        );
        hosted::change_expired_password(
            &store,
            s,
            &expired,
            "my second secret!",
            "my second secret!",
            &client,
        )
        .await
        .unwrap();
        assert_eq!(status(&store, &nina).await, UserStatus::Active);

        // Reset password: RECOVERY, the old password no longer signs in,
        // the mailed link brings the user back.
        ops::users::apply_lifecycle(&acx, &nina.id, LifecycleOp::ResetPassword)
            .await
            .unwrap();
        assert_eq!(status(&store, &nina).await, UserStatus::Recovery);
        let refused =
            hosted::check_password(&store, s, "nina@hooli.test", "my second secret!", &client)
                .await;
        assert!(
            matches!(refused, Err(HostedError::NotActive(UserStatus::Recovery))),
            "{refused:?}"
        );
        let reset = LinkToken::generate();
        store
            .system_request_recovery(&nina, &reset.hash(), time::Duration::hours(1), &client)
            .await
            .unwrap();
        hosted::set_password_by_link(
            &store,
            s,
            reset.expose(),
            LinkPurpose::Recovery,
            "my third secret!",
            "my third secret!",
            &client,
        )
        .await
        .unwrap();
        assert_eq!(status(&store, &nina).await, UserStatus::Active);

        // Reset authenticators removes them; federated users get no
        // password actions at all.
        let app_secret = app::credentials::totp::TotpSecret::generate();
        let now = app::credentials::totp::now_unix();
        let code = {
            // The code the app shows now.
            let totp = totp_rs::TOTP::new(
                totp_rs::Algorithm::SHA1,
                6,
                1,
                30,
                totp_rs::Secret::Encoded(app_secret.base32().to_string())
                    .to_bytes()
                    .unwrap(),
                None,
                String::new(),
            )
            .unwrap();
            totp.generate(now)
        };
        let nina_now = store.system_user_by_id(&nina.id).await.unwrap().unwrap();
        hosted::finish_totp(&store, s, &nina_now, app_secret.base32(), &code, &client)
            .await
            .unwrap();
        assert_eq!(
            store.system_authenticators(&nina.id).await.unwrap().len(),
            1
        );
        // The enrolment code cannot be replayed at sign-in.
        assert!(matches!(
            hosted::verify_totp(&store, s, &nina_now, &code).await,
            Err(HostedError::WrongCode)
        ));
        ops::users::apply_lifecycle(&acx, &nina.id, LifecycleOp::ResetFactors)
            .await
            .unwrap();
        assert!(store
            .system_authenticators(&nina.id)
            .await
            .unwrap()
            .is_empty());
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let erin = user(&store, &acme, "erin@acme.test").await;
        assert_eq!(
            store.credential_holder(&erin).await.unwrap(),
            CredentialHolder::Federated
        );
        assert!(
            ops::users::apply_lifecycle(&ocx, &erin.id, LifecycleOp::ResetPassword)
                .await
                .is_err()
        );
        assert!(
            ops::users::apply_lifecycle(&ocx, &erin.id, LifecycleOp::ExpirePassword)
                .await
                .is_err()
        );
        // Nothing secret reached the System Log: passwords, links, the app's
        // secret and its codes.
        assert_log_holds_none_of(
            &store,
            &[
                activation.expose(),
                reset.expose(),
                token.expose(),
                app_secret.base32(),
                "my first secret!",
                "my second secret!",
                "my third secret!",
            ],
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_policy_that_requires_a_second_factor_makes_users_enrol_one_then_use_it() {
    on_both_with_url(|store, engine, _url| async move {
        let (_org, hooli, acx) = hooli_with_admin(&store, 5).await;
        let s = &acx.settings;
        let client = Client::default();
        let martha = user(&store, &hooli, "martha@hooli.test").await;
        give_password(&acx, &martha, "correct horse battery").await;
        let (_, next) = hosted::check_password(
            &store,
            s,
            "martha@hooli.test",
            "correct horse battery",
            &client,
        )
        .await
        .unwrap();
        assert_eq!(next, Next::Done, "{engine}: no factor required yet");
        store
            .set_realm_policy(
                &common::system(Permission::RealmsManage, app::authz::Target::Org),
                &hooli.id,
                &Policy {
                    hosted: true,
                    require_mfa: true,
                    ..Policy::default()
                },
            )
            .await
            .unwrap();
        let (_, next) = hosted::check_password(
            &store,
            s,
            "martha@hooli.test",
            "correct horse battery",
            &client,
        )
        .await
        .unwrap();
        assert_eq!(next, Next::Enroll, "{engine}");
        let enrolment = hosted::start_totp(s, &martha).unwrap();
        assert!(enrolment.qr_svg.contains("<svg"));
        // A wrong code enrols nothing; the app's current code does.
        let totp = totp_rs::TOTP::new(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            totp_rs::Secret::Encoded(enrolment.secret.base32().to_string())
                .to_bytes()
                .unwrap(),
            None,
            String::new(),
        )
        .unwrap();
        let now = app::credentials::totp::now_unix();
        let near: Vec<String> = [now - 30, now, now + 30]
            .iter()
            .map(|t| totp.generate(*t))
            .collect();
        let wrong = (0..1000)
            .map(|n| format!("{n:06}"))
            .find(|c| !near.contains(c))
            .unwrap();
        let refused = hosted::finish_totp(
            &store,
            s,
            &martha,
            enrolment.secret.base32(),
            &wrong,
            &client,
        )
        .await;
        assert!(
            matches!(refused, Err(HostedError::Field("code", _))),
            "{refused:?}"
        );
        assert!(store
            .system_authenticators(&martha.id)
            .await
            .unwrap()
            .is_empty());
        hosted::finish_totp(
            &store,
            s,
            &martha,
            enrolment.secret.base32(),
            &totp.generate(now),
            &client,
        )
        .await
        .unwrap();
        let (_, next) = hosted::check_password(
            &store,
            s,
            "martha@hooli.test",
            "correct horse battery",
            &client,
        )
        .await
        .unwrap();
        assert_eq!(next, Next::Verify, "{engine}");
        assert_eq!(
            store.count_events("policy.lifecycle.update").await.unwrap(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn another_realms_sign_in_policy_is_not_found_and_unchanged() {
    on_both_with_url(|store, engine, _url| async move {
        let (_org, _hooli, acx) = hooli_with_admin(&store, 5).await;
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let before = store.realm_policy(&acme.id).await.unwrap();
        let events = store.count_all_events().await.unwrap();
        let refused = app::ops::realms::set_sign_in_policy(
            &acx,
            &acme.id,
            Policy {
                hosted: true,
                ..Policy::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(refused, app::error::AppError::NotFound, "{engine}");
        assert!(matches!(
            app::ops::realms::get(&acx, &acme.id).await.unwrap_err(),
            app::error::AppError::NotFound | app::error::AppError::Forbidden
        ));
        assert_eq!(store.realm_policy(&acme.id).await.unwrap(), before);
        assert_eq!(store.count_all_events().await.unwrap(), events);
    })
    .await;
}

//! API tokens and the Management API's user conditions, on SQLite and
//! PostgreSQL: who may hold tokens, whose a list shows, revocation, expiry
//! and the unused window, the principal a token builds (its owner's rights
//! now, the token named), and `search`/`filter` conditions compiled to SQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::authz::{Client, Permission, Principal};
use app::error::AppError;
use app::ops;
use app::ops::users::{UserCondition, UserField, UserFilter, UserSort};
use app::store::api_tokens::is_live;
use common::{cx, on_both_with_url, partner_admin, principal, raw_sql, realm, super_admin, user};

#[tokio::test]
async fn tokens_belong_to_admins_and_work_only_while_live() {
    on_both_with_url(|store, engine, url| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let default = store.default_realm().await.unwrap();
        let owner = user(&store, &default, "owner@hostco.test").await;
        super_admin(&store, &owner).await;
        let alice = user(&store, &acme, "alice@acme.test").await;
        let alice_p = partner_admin(&store, &org, &[&acme], &alice).await;
        let dana = user(&store, &acme, "dana@acme.test").await;
        let dana_p = principal(&store, &org, &dana).await;
        let owner_p = principal(&store, &org, &owner).await;

        // Only admins hold tokens; the system has no self to own one.
        assert_eq!(
            ops::api_tokens::create(&cx(&store, &org, &dana_p), "x", None)
                .await
                .unwrap_err(),
            AppError::Forbidden,
            "{engine}"
        );
        assert_eq!(
            ops::api_tokens::create(&cx(&store, &org, &Principal::system()), "x", None)
                .await
                .unwrap_err(),
            AppError::Forbidden
        );
        // Names and expiries are checked.
        let blank = ops::api_tokens::create(&cx(&store, &org, &alice_p), "  ", None)
            .await
            .unwrap_err();
        assert!(blank.field_message("name").is_some(), "{blank:?}");
        let never = ops::api_tokens::create(&cx(&store, &org, &alice_p), "x", Some(0))
            .await
            .unwrap_err();
        assert!(never.field_message("expiresInDays").is_some());

        let made = ops::api_tokens::create(&cx(&store, &org, &alice_p), "Acme sync", Some(30))
            .await
            .unwrap();
        assert_eq!(made.secret.len(), 42);
        assert!(made.secret.starts_with("00"));
        assert!(made.token.expires_at.is_some());
        let theirs = ops::api_tokens::create(&cx(&store, &org, &owner_p), "Org script", None)
            .await
            .unwrap();

        // Alice lists hers; the super admin every admin's, and may revoke any.
        let hers = ops::api_tokens::list(&cx(&store, &org, &alice_p))
            .await
            .unwrap();
        assert_eq!(
            hers.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["Acme sync"]
        );
        let all = ops::api_tokens::list(&cx(&store, &org, &owner_p))
            .await
            .unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            ops::api_tokens::get(&cx(&store, &org, &alice_p), &theirs.token.id)
                .await
                .unwrap_err(),
            AppError::NotFound
        );
        assert_eq!(
            ops::api_tokens::revoke(&cx(&store, &org, &alice_p), &theirs.token.id)
                .await
                .unwrap_err(),
            AppError::NotFound
        );

        // The secret builds Alice's principal, the token named in its client.
        let settings = cx(&store, &org, &alice_p).settings;
        let token_cx =
            app::ctx::Ctx::from_api_token(&store, &org, &settings, &made.secret, Client::default())
                .await
                .unwrap();
        assert_eq!(token_cx.principal.user_id(), Some(&alice.id));
        assert_eq!(
            token_cx.principal.client().api_token_id.as_deref(),
            Some(made.token.id.as_str())
        );
        assert!(!app::authz::scope(&token_cx.principal, Permission::UsersRead).is_empty());
        let used = ops::api_tokens::get(&cx(&store, &org, &alice_p), &made.token.id)
            .await
            .unwrap();
        assert!(used.last_used.is_some(), "use is recorded");
        for wrong in ["", "00", &made.secret[..41], "SSWS"] {
            assert!(app::ctx::Ctx::from_api_token(
                &store,
                &org,
                &settings,
                wrong,
                Client::default()
            )
            .await
            .is_err());
        }

        // Past its expiry it is no longer accepted.
        raw_sql(
            &url,
            &[format!(
                "UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = '{}'",
                made.token.id
            )],
        )
        .await;
        assert_eq!(
            app::ctx::Ctx::from_api_token(&store, &org, &settings, &made.secret, Client::default())
                .await
                .unwrap_err(),
            AppError::Unauthenticated
        );

        // Revoked by the super admin, the org script's token stops at once,
        // with its event.
        let before = store.count_all_events().await.unwrap();
        ops::api_tokens::revoke(&cx(&store, &org, &owner_p), &theirs.token.id)
            .await
            .unwrap();
        assert_eq!(store.count_all_events().await.unwrap(), before + 1);
        assert!(app::ctx::Ctx::from_api_token(
            &store,
            &org,
            &settings,
            &theirs.secret,
            Client::default()
        )
        .await
        .is_err());
    })
    .await;
}

#[test]
fn a_token_lapses_at_its_expiry_and_after_thirty_days_unused() {
    let now = time::OffsetDateTime::parse(
        "2026-06-30T12:00:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let created = "2026-06-01T12:00:00.000Z";
    assert!(is_live(now, created, None, None));
    assert!(is_live(
        now,
        created,
        None,
        Some("2026-07-01T00:00:00.000Z")
    ));
    assert!(!is_live(
        now,
        created,
        None,
        Some("2026-06-30T11:59:59.000Z")
    ));
    assert!(!is_live(now, "2026-05-30T12:00:00.000Z", None, None));
    assert!(is_live(
        now,
        "2026-01-01T00:00:00.000Z",
        Some("2026-06-29T00:00:00.000Z"),
        None
    ));
    assert!(!is_live(now, created, None, Some("garbage")));
}

#[tokio::test]
async fn api_conditions_filter_users_in_sql_within_the_scope() {
    on_both_with_url(|store, engine, _url| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let globex = realm(&store, "Globex", &["globex.test"]).await;
        for login in [
            "ann_1@acme.test",
            "ANNA@acme.test",
            "bob@acme.test",
            "ann@globex.test",
        ] {
            let r = if login.ends_with("globex.test") {
                &globex
            } else {
                &acme
            };
            user(&store, r, login).await;
        }
        let admin = user(&store, &acme, "admin@acme.test").await;
        let alice = partner_admin(&store, &org, &[&acme], &admin).await;
        let c = cx(&store, &org, &alice);
        let logins = |conditions: Vec<UserCondition>| {
            let c = c.clone();
            async move {
                let page = ops::users::records(
                    &c,
                    UserFilter {
                        conditions,
                        ..UserFilter::default()
                    },
                    UserSort::Login,
                    None,
                    50,
                )
                .await
                .unwrap();
                let mut l: Vec<String> = page.items.into_iter().map(|u| u.profile.login).collect();
                l.sort();
                l
            }
        };
        // Case-insensitive prefix; `_` and `%` are literal, not wildcards.
        assert_eq!(
            logins(vec![UserCondition::StartsWith(
                UserField::Login,
                "ann".into()
            )])
            .await,
            ["ANNA@acme.test", "ann_1@acme.test"],
            "{engine}"
        );
        assert_eq!(
            logins(vec![UserCondition::StartsWith(
                UserField::Login,
                "ann_".into()
            )])
            .await,
            ["ann_1@acme.test"]
        );
        assert_eq!(
            logins(vec![UserCondition::OneOf(
                UserField::Login,
                vec!["anna@ACME.test".into()]
            )])
            .await,
            ["ANNA@acme.test"]
        );
        // Another realm's user never matches, whatever the condition.
        assert_eq!(
            logins(vec![UserCondition::OneOf(
                UserField::RealmId,
                vec![globex.id.to_string()]
            )])
            .await,
            Vec::<String>::new()
        );
        assert_eq!(
            logins(vec![UserCondition::Contains(
                UserField::Email,
                "ANN@".into()
            )])
            .await,
            Vec::<String>::new()
        );
        assert_eq!(
            logins(vec![
                UserCondition::OneOf(UserField::Status, vec!["ACTIVE".into()]),
                UserCondition::Compare(UserField::Created, ">", "2000-01-01T00:00:00.000Z".into()),
                UserCondition::NotEqual(UserField::Login, "bob@acme.test".into()),
            ])
            .await
            .len(),
            3
        );
    })
    .await;
}

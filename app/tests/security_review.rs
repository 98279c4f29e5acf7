//! Regressions for the security review's findings that live in the store and
//! the kernel (`shared/reference/security-review.md`), on SQLite and
//! PostgreSQL. Each test names the finding it proves closed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::authz::{self, Permission, Target};
use app::model::{BaseProfile, LifecycleOp, UserStatus};
use app::store::admin::StoredPermission;
use app::store::idps::{IncomingClaims, JitError, NewIdp, SecretBox};
use app::store::org_signin::{OrgIdentity, OrgSignInError};
use app::store::{Store, StoreError};
use common::{on_both, realm, system};
use serde_json::{json, Map};

async fn user(
    store: &Store,
    realm: &app::model::Realm,
    login: &str,
) -> Result<app::model::User, StoreError> {
    common::create_user(
        store,
        realm,
        BaseProfile {
            login: login.into(),
            email: if login.contains('@') {
                login.into()
            } else {
                format!("{login}@acme.test")
            },
            first_name: "Test".into(),
            last_name: "Person".into(),
            ..Default::default()
        },
        Map::new(),
    )
    .await
}

fn claims(sub: &str, email: &str, verified: bool) -> IncomingClaims {
    let mut c = Map::new();
    c.insert("email".into(), json!(email));
    c.insert("given_name".into(), json!("New"));
    c.insert("family_name".into(), json!("Person"));
    IncomingClaims {
        subject: sub.into(),
        claims: c,
        email_verified: verified,
    }
}

fn idp(name: &str, realm: Option<&app::model::Realm>, routing: &[&str]) -> NewIdp {
    NewIdp {
        name: name.into(),
        issuer: format!("https://{}.idp.example/oauth2", name.to_lowercase()),
        client_id: "portal".into(),
        client_secret: "s3cr3t-value".into(),
        scopes: vec!["email".into(), "profile".into()],
        claim_mapping: Map::new(),
        realm_id: realm.map(|r| r.id.clone()),
        jit_enabled: true,
        routing_domains: routing.iter().map(|d| d.to_string()).collect(),
        groups: Default::default(),
    }
}

/// F1: the org IdP signs into an account by (issuer, sub) once bound, binds
/// only by a verified email, and never signs into a partner IdP's account or
/// one bound to another subject.
#[tokio::test]
async fn f1_org_idp_identities_are_bound_to_their_account() {
    on_both(|store, engine| async move {
        app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let olivia = user(&store, &acme, "olivia@acme.test").await.unwrap();
        let issuer = "https://org.idp.example";
        let id = |sub: &'static str, email: Option<&'static str>, verified: bool| OrgIdentity {
            issuer,
            subject: sub,
            email,
            email_verified: verified,
        };
        // An unverified email binds nothing.
        let r = store
            .system_admit_org_identity(&id("s-1", Some("olivia@acme.test"), false))
            .await
            .unwrap();
        assert!(
            matches!(r, Err(OrgSignInError::UnverifiedEmail(_))),
            "{engine}: {r:?}"
        );
        // A verified one binds the account to (issuer, sub), with its event.
        let r = store
            .system_admit_org_identity(&id("s-1", Some("olivia@acme.test"), true))
            .await
            .unwrap();
        assert_eq!(r.unwrap().id, olivia.id, "{engine}");
        assert_eq!(
            store.count_events("user.identity.link").await.unwrap(),
            1,
            "{engine}"
        );
        // Another subject asserting the same verified email: refused.
        let r = store
            .system_admit_org_identity(&id("s-2", Some("olivia@acme.test"), true))
            .await
            .unwrap();
        assert!(
            matches!(r, Err(OrgSignInError::LinkedElsewhere(_))),
            "{engine}: {r:?}"
        );
        // The bound subject signs in whatever email it now asserts.
        let r = store
            .system_admit_org_identity(&id("s-1", Some("renamed@hostco.test"), false))
            .await
            .unwrap();
        assert_eq!(r.unwrap().id, olivia.id, "{engine}");

        // An account a partner IdP created is never the org IdP's.
        let secrets = SecretBox::new("test-secrets-key");
        let partner = store
            .create_idp(
                &system(Permission::IdentityProvidersManage, Target::Org),
                idp("Acme", Some(&acme), &[]),
                &secrets,
            )
            .await
            .unwrap();
        let erin = store
            .system_admit_partner_user(&partner, &claims("p-erin", "erin@acme.test", true))
            .await
            .unwrap()
            .unwrap();
        assert!(erin.created, "{engine}");
        let r = store
            .system_admit_org_identity(&id("s-3", Some("erin@acme.test"), true))
            .await
            .unwrap();
        assert!(
            matches!(r, Err(OrgSignInError::PartnerAccount(_))),
            "{engine}: {r:?}"
        );
        // Unknown: no account, nothing written.
        let before = store.count_all_events().await.unwrap();
        let r = store
            .system_admit_org_identity(&id("s-4", Some("nobody@acme.test"), true))
            .await
            .unwrap();
        assert!(
            matches!(r, Err(OrgSignInError::UnknownUser(_))),
            "{engine}: {r:?}"
        );
        assert_eq!(store.count_all_events().await.unwrap(), before, "{engine}");
    })
    .await;
}

/// F1: JIT creates accounts only for the IdP's own domains (routing domains
/// or its bound realm's), only for verified emails, and source-less rules
/// never place a partner IdP's users.
#[tokio::test]
async fn f1_partner_jit_only_for_its_own_domains_verified_emails_and_its_own_rules() {
    on_both(|store, engine| async move {
        app::store::setup::bootstrap(&store, "http://127.0.0.1:3000").await.unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let globex = realm(&store, "Globex", &["globex.test"]).await;
        let open = realm(&store, "Open", &[]).await;
        let secrets = SecretBox::new("test-secrets-key");
        let manage = system(Permission::IdentityProvidersManage, Target::Org);
        let globex_idp = store
            .create_idp(&manage, idp("Globex", Some(&globex), &[]), &secrets)
            .await
            .unwrap();
        // (a) An unbound IdP without routing domains creates nobody (was: any
        // address, into the Default realm).
        let unbound = store
            .create_idp(&manage, idp("Unbound", None, &[]), &secrets)
            .await
            .unwrap();
        let r = store
            .system_admit_partner_user(&unbound, &claims("u-1", "newhire@hostco.test", true))
            .await
            .unwrap();
        assert!(matches!(r, Err(JitError::ForeignDomain(..))), "{engine}: {r:?}");
        // (c) A domainless realm's IdP: its routing domains only.
        let open_idp = store
            .create_idp(&manage, idp("OpenCo", Some(&open), &["open.test"]), &secrets)
            .await
            .unwrap();
        let r = store
            .system_admit_partner_user(&open_idp, &claims("o-1", "boss@hostco.test", true))
            .await
            .unwrap();
        assert!(matches!(r, Err(JitError::ForeignDomain(..))), "{engine}: {r:?}");
        let r = store
            .system_admit_partner_user(&open_idp, &claims("o-2", "staff@open.test", true))
            .await
            .unwrap();
        assert_eq!(r.unwrap().user.realm_id, open.id, "{engine}");
        // (b) Globex's IdP asserting an Acme address: refused.
        let r = store
            .system_admit_partner_user(&globex_idp, &claims("g-evil", "mallory@acme.test", true))
            .await
            .unwrap();
        assert!(matches!(r, Err(JitError::ForeignDomain(..))), "{engine}: {r:?}");
        // An unverified email creates nobody.
        let r = store
            .system_admit_partner_user(&globex_idp, &claims("g-1", "gina@globex.test", false))
            .await
            .unwrap();
        assert!(
            matches!(&r, Err(JitError::BadProfile(m)) if m.contains("not verified")),
            "{engine}: {r:?}"
        );
        // A rule without a profile source that would take Globex's users into
        // the domainless realm does not apply to Globex's IdP.
        store
            .unsafe_execute_raw(&format!(
                "INSERT INTO realm_assignment_rules (id, name, priority, status, is_default, profile_source_id, expression, \
                 target_realm_id, created, last_updated) VALUES \
                 ('rul1any', 'Any source', 10, 'ACTIVE', FALSE, NULL, 'user.profile.email.endsWith(\"@globex.test\")', '{}', 'x', 'x')",
                open.id
            ))
            .await
            .unwrap();
        let gina = store
            .system_admit_partner_user(&globex_idp, &claims("g-2", "gina@globex.test", true))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(gina.user.realm_id, globex.id, "{engine}: the IdP's own realm");
        let _ = acme;
    })
    .await;
}

/// F3: the generated Partner Admin role is seeded once: a restart neither
/// re-adds a permission an org admin removed nor makes a second role after
/// a rename.
#[tokio::test]
async fn f3_the_generated_partner_admin_role_is_seeded_once() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let role = org.partner_admin_role.clone();
        let narrowed: Vec<StoredPermission> = store
            .role_permissions(&common::iam(), &role)
            .await
            .unwrap()
            .into_iter()
            .filter(|p| p.permission != "okta.users.lifecycle.manage")
            .collect();
        store
            .update_role(
                &common::iam(),
                &role,
                "Supplier admins",
                "renamed and narrowed",
                &narrowed,
            )
            .await
            .unwrap();
        let added = store
            .count_events("iam.role.permissions.add")
            .await
            .unwrap();
        let roles = store.list_roles(&common::iam()).await.unwrap().len();
        // The restart.
        let again = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        assert_eq!(again.partner_admin_role, role, "{engine}: found by its id");
        let held = store.role_permissions(&common::iam(), &role).await.unwrap();
        assert!(
            !held
                .iter()
                .any(|p| p.permission == "okta.users.lifecycle.manage"),
            "{engine}: the removed permission stays removed"
        );
        assert_eq!(
            store.list_roles(&common::iam()).await.unwrap().len(),
            roles,
            "{engine}: no second role"
        );
        assert_eq!(
            store
                .count_events("iam.role.permissions.add")
                .await
                .unwrap(),
            added,
            "{engine}: nothing re-added"
        );
    })
    .await;
}

/// F4: every login is an email address of at least 5 characters in the
/// realm's domains (with or without `@` in the attempt).
#[tokio::test]
async fn f4_logins_are_email_addresses_within_the_realms_domains() {
    on_both(|store, engine| async move {
        app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        for bad in ["olivia", "a@b", "olivia@hostco.test", "x@acme"] {
            let r = user(&store, &acme, bad).await;
            match r {
                Err(StoreError::Invalid(fields)) => {
                    assert!(
                        fields.iter().any(|f| f.field == "login"),
                        "{engine}: {bad}: {fields:?}"
                    )
                }
                other => panic!("{engine}: {bad} accepted: {other:?}"),
            }
        }
        assert!(
            user(&store, &acme, "dana@acme.test").await.is_ok(),
            "{engine}"
        );
    })
    .await;
}

/// F7: a session deleted by Clear sessions is not brought back by a save
/// from a request that loaded it earlier, and the user's sessions-valid-after
/// mark voids any that were.
#[tokio::test]
async fn f7_cleared_sessions_stay_cleared() {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::SessionStore;
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let alice = user(&store, &acme, "alice@acme.test").await.unwrap();
        let mut data = std::collections::HashMap::new();
        data.insert(app::ctx::USER_ID.to_string(), json!(alice.id.to_string()));
        let mut record = Record {
            id: Id::default(),
            data,
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(30),
        };
        store.create(&mut record).await.unwrap();
        // A request loads the session…
        let loaded = store.load(&record.id).await.unwrap().unwrap();
        // …an admin clears Alice's sessions meanwhile…
        let target = store.facts_of_user(&org.orn, &alice).await.unwrap();
        store
            .apply_lifecycle(
                &system(Permission::UsersLifecycleManage, target),
                LifecycleOp::ClearSessions,
            )
            .await
            .unwrap();
        // …and the request saves what it changed (a notice) at its end.
        let mut changed = loaded.clone();
        changed.data.insert("notice".into(), json!("Saved."));
        store.save(&changed).await.unwrap();
        assert!(
            store.load(&record.id).await.unwrap().is_none(),
            "{engine}: not resurrected"
        );
        let (_, valid_after) = store.system_session_user(&alice.id).await.unwrap().unwrap();
        assert!(
            valid_after.is_some(),
            "{engine}: sessions before now are void"
        );
        assert_eq!(
            store
                .system_user_by_id(&alice.id)
                .await
                .unwrap()
                .unwrap()
                .status,
            UserStatus::Active,
            "{engine}"
        );
    })
    .await;
}

/// F10: the System Log's chain is keyed: recomputing it after an edit
/// without the key (plain SHA-256, as before) is detected.
#[tokio::test]
async fn f10_the_audit_chain_is_keyed() {
    use sha2::{Digest, Sha256};
    on_both(|store, engine| async move {
        app::store::setup::bootstrap(&store, "http://127.0.0.1:3000").await.unwrap();
        realm(&store, "Acme", &["acme.test"]).await;
        assert!(matches!(
            store.verify_system_log().await.unwrap(),
            app::store::audit::ChainReport::Intact { .. }
        ));
        // Someone with database access but not the key rewrites the first
        // event and recomputes every hash after it the only way they can.
        let rows = store.unsafe_chain_rows().await.unwrap();
        let mut prev = app::store::audit::GENESIS_HASH.to_string();
        let mut script = String::new();
        for (seq, json) in &rows {
            let json = if *seq == rows[0].0 {
                json.replace("Create realm", "Nothing to see")
            } else {
                json.clone()
            };
            let mut h = Sha256::new();
            h.update(prev.as_bytes());
            h.update(b"\n");
            h.update(json.as_bytes());
            let hash = hex::encode(h.finalize());
            script.push_str(&format!(
                "UPDATE system_log SET event_json = '{}', prev_hash = '{prev}', hash = '{hash}' WHERE seq = {seq}; ",
                json.replace('\'', "''")
            ));
            prev = hash;
        }
        // The append-only triggers stand in the way first (as they should);
        // the attacker has the database, so they go.
        let disable = if engine == "sqlite" {
            "DROP TRIGGER system_log_no_update"
        } else {
            "ALTER TABLE system_log DISABLE TRIGGER USER"
        };
        store.unsafe_execute_raw(disable).await.unwrap();
        store.unsafe_execute_raw(&script).await.unwrap();
        assert!(
            matches!(
                store.verify_system_log().await.unwrap(),
                app::store::audit::ChainReport::Tampered { .. }
            ),
            "{engine}: an unkeyed recomputation is caught"
        );
    })
    .await;
}

/// L4: CSV cells that would start a formula are neutralised, also after
/// leading spaces or a line break.
#[test]
fn l4_csv_formula_cells_are_neutralised() {
    use app::ops::users::csv_safe_cell as inert;
    for formula in [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "\n=1",
        "  =HYPERLINK(\"x\")",
        " @x",
    ] {
        assert!(inert(formula).starts_with('\''), "{formula:?}");
    }
    for plain in ["dana@acme.test", "Dana", "1-2", ""] {
        assert_eq!(inert(plain), plain);
    }
}

/// L8: a new IdP's client secret never reaches a log line through `Debug`.
#[test]
fn l8_secrets_do_not_print() {
    let printed = format!("{:?}", idp("Acme", None, &[]));
    assert!(!printed.contains("s3cr3t-value"), "{printed}");
    assert!(printed.contains("[redacted]"), "{printed}");
}

/// L2: the search cap applies after the scope: ten thousand matches in other
/// realms never hide the caller's own.
#[tokio::test]
async fn l2_the_search_cap_applies_within_the_scope() {
    use app::store::users::{UserFilter, UserSort, SEARCH_CAP};
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        // More matches for "example" elsewhere than the cap (every generated
        // address is at partnerNNN.example)…
        let generated =
            app::store::seed::users(&store, "http://127.0.0.1:3000", SEARCH_CAP as u64 + 100)
                .await
                .unwrap();
        assert!(generated.users as i64 > SEARCH_CAP, "{engine}");
        // …and one in the caller's realm, made last.
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        user(&store, &acme, "example.one@acme.test").await.unwrap();
        let admin = user(&store, &acme, "alice@acme.test").await.unwrap();
        let principal = common::partner_admin(&store, &org, &[&acme], &admin).await;
        let page = store
            .list_users(
                &authz::scope(&principal, Permission::UsersRead),
                &UserFilter {
                    search: Some("example".into()),
                    ..UserFilter::default()
                },
                UserSort::Name,
                None,
                50,
            )
            .await
            .unwrap();
        let found: Vec<&str> = page
            .items
            .iter()
            .map(|u| u.profile.login.as_str())
            .collect();
        assert_eq!(found, vec!["example.one@acme.test"], "{engine}");
    })
    .await;
}

/// Every server function is routed for POST only (a GET cannot change
/// anything), and nothing turns off the ID token checks.
#[test]
fn server_functions_are_post_only_and_token_checks_stay_on() {
    let files = common::rust_sources("src");
    let mut server_fns = 0;
    for (path, text) in &files {
        for line in text
            .lines()
            .filter(|l| l.trim_start().starts_with("#[server("))
        {
            server_fns += 1;
            // Multipart (a file upload) is a POST encoding too.
            let line = line.replace("input = MultipartFormData", "");
            for forbidden in ["input =", "input=", "GetUrl", "GetCbor", "GetJson"] {
                assert!(!line.contains(forbidden), "{path}: {line}");
            }
        }
        for forbidden in [
            "insecure_disable_signature_check",
            "allow_any_alg",
            "insecure_",
        ] {
            assert!(
                !text.contains(forbidden) || path.ends_with("security_review.rs"),
                "{path} uses {forbidden}"
            );
        }
    }
    assert!(server_fns > 60, "found {server_fns} server functions");
}

/// The last holder of SUPER_ADMIN cannot lose it: not by a revocation, nor by
/// leaving (or deleting) the group that confers it.
#[tokio::test]
async fn the_last_super_admin_keeps_the_role_through_groups_too() {
    use app::model::StandardRole;
    use app::store::admin::Member;
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let owner = user(&store, &acme, "owner@acme.test").await.unwrap();
        let group = store
            .create_group(&system(Permission::GroupsCreate, Target::Org), "Owners", "")
            .await
            .unwrap();
        store
            .assign_standard_role(
                &common::iam(),
                &Member::Group(group.id.clone()),
                StandardRole::SuperAdmin,
            )
            .await
            .unwrap();
        let user_target = || async {
            store
                .facts_of_user(
                    &org.orn,
                    &store.system_user_by_id(&owner.id).await.unwrap().unwrap(),
                )
                .await
                .unwrap()
        };
        let group_grant = || async {
            system(
                Permission::GroupsMembersManage,
                store.facts_of_group(&org.orn, &group.id).await.unwrap(),
            )
        };
        let member = system(Permission::UsersGroupMembershipManage, user_target().await);
        assert!(
            store
                .add_group_member(&member, &group_grant().await)
                .await
                .unwrap(),
            "{engine}"
        );
        // Leaving the group would leave nobody holding SUPER_ADMIN.
        let r = store
            .remove_group_member(&member, &group_grant().await)
            .await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{engine}: {r:?}");
        let r = store
            .delete_group(&system(
                Permission::GroupsManage,
                group_grant().await.target().clone(),
            ))
            .await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{engine}: {r:?}");
        let r = store
            .revoke_standard_role(
                &common::iam(),
                &Member::Group(group.id.clone()),
                StandardRole::SuperAdmin,
            )
            .await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{engine}: {r:?}");
        // With a second holder, the first may go.
        store
            .assign_standard_role(
                &common::iam(),
                &Member::User(owner.id.clone()),
                StandardRole::SuperAdmin,
            )
            .await
            .unwrap();
        assert!(
            store
                .remove_group_member(&member, &group_grant().await)
                .await
                .unwrap(),
            "{engine}"
        );
    })
    .await;
}

//! Partner IdPs: sealed secrets, identifier-first routing and just-in-time
//! provisioning through the realm-assignment rules, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::authz::{Permission, Target};
use app::model::{BaseProfile, LifecycleOp, UserStatus};
use app::store::idps::{IncomingClaims, JitError, NewIdp, SecretBox};
use app::store::{Store, StoreError};
use common::{on_both, realm, system};
use serde_json::{json, Map};

fn new_idp(name: &str, realm: &app::model::Realm, jit: bool) -> NewIdp {
    NewIdp {
        name: name.into(),
        issuer: "https://idp.acme.test/oauth2".into(),
        client_id: "portal".into(),
        client_secret: "s3cr3t-value".into(),
        scopes: vec!["email".into(), "profile".into()],
        claim_mapping: Map::new(),
        realm_id: Some(realm.id.clone()),
        jit_enabled: jit,
        routing_domains: vec![],
        groups: Default::default(),
    }
}

fn claims(sub: &str, email: &str, first: &str, last: &str) -> IncomingClaims {
    let mut c = Map::new();
    c.insert("email".into(), json!(email));
    c.insert("given_name".into(), json!(first));
    c.insert("family_name".into(), json!(last));
    IncomingClaims {
        subject: sub.into(),
        claims: c,
        email_verified: true,
    }
}

async fn setup(store: &Store) -> (app::model::Realm, app::store::idps::Idp, SecretBox) {
    let org = app::store::setup::bootstrap(store, "http://127.0.0.1:3000")
        .await
        .unwrap();
    let _ = org;
    let acme = realm(store, "Acme", &["acme.test"]).await;
    let secrets = SecretBox::new("test-secrets-key");
    let idp = store
        .create_idp(
            &system(Permission::IdentityProvidersManage, Target::Org),
            new_idp("Acme sign-in", &acme, true),
            &secrets,
        )
        .await
        .unwrap();
    (acme, idp, secrets)
}

#[tokio::test]
async fn client_secrets_are_sealed_at_rest_and_bad_input_is_field_errors() {
    on_both(|store, engine| async move {
        let (acme, idp, secrets) = setup(&store).await;
        let sealed = idp.client_secret_sealed.clone().unwrap();
        assert!(
            !sealed.contains("s3cr3t"),
            "{engine}: the secret is not stored in the clear"
        );
        assert_eq!(
            store
                .system_idp_by_id(&idp.id)
                .await
                .unwrap()
                .unwrap()
                .client_secret_sealed
                .as_deref(),
            Some(sealed.as_str())
        );
        assert_eq!(secrets.open(&sealed).unwrap(), "s3cr3t-value", "{engine}");
        assert!(
            matches!(
                SecretBox::new("another key").open(&sealed),
                Err(StoreError::Config(_))
            ),
            "{engine}"
        );
        assert_eq!(
            store
                .count_events("system.idp.lifecycle.create")
                .await
                .unwrap(),
            1,
            "{engine}"
        );

        let mut bad = new_idp("", &acme, true);
        bad.issuer = "ftp://nope".into();
        bad.client_secret = String::new();
        bad.claim_mapping.insert("login".into(), json!("address"));
        let err = store
            .create_idp(
                &system(Permission::IdentityProvidersManage, Target::Org),
                bad,
                &secrets,
            )
            .await;
        let Err(StoreError::Invalid(fields)) = err else {
            panic!("{engine}: expected field errors, got {err:?}")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        for f in ["name", "issuer", "clientSecret", "claimMapping"] {
            assert!(names.contains(&f), "{engine}: {f} missing in {names:?}");
        }
        let dup = store
            .create_idp(
                &system(Permission::IdentityProvidersManage, Target::Org),
                new_idp("ACME SIGN-IN", &acme, true),
                &secrets,
            )
            .await;
        assert!(
            matches!(&dup, Err(StoreError::Invalid(f)) if f[0].field == "name"),
            "{engine}: {dup:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn identifier_first_routes_by_account_then_domain_and_never_sends_org_users_to_a_partner_idp()
{
    on_both(|store, engine| async move {
        let (acme, idp, _) = setup(&store).await;
        // An org-managed account in the Acme realm (a partner admin): org IdP.
        common::create_user(
            &store,
            &acme,
            BaseProfile {
                login: "alice@acme.test".into(),
                email: "alice@acme.test".into(),
                first_name: "A".into(),
                last_name: "A".into(),
                ..Default::default()
            },
            Map::new(),
        )
        .await
        .unwrap();
        assert_eq!(
            store.route_sign_in("alice@acme.test").await.unwrap(),
            None,
            "{engine}"
        );
        assert_eq!(
            store
                .route_sign_in("new.person@ACME.test")
                .await
                .unwrap()
                .map(|i| i.id),
            Some(idp.id.clone()),
            "{engine}"
        );
        assert_eq!(
            store.route_sign_in("someone@hostco.test").await.unwrap(),
            None,
            "{engine}"
        );
        assert_eq!(
            store.route_sign_in("not-an-email").await.unwrap(),
            None,
            "{engine}"
        );
    })
    .await;
}

#[tokio::test]
async fn jit_places_new_users_by_the_rules_links_them_and_refreshes_them_later() {
    on_both(|store, engine| async move {
        let (acme, idp, _) = setup(&store).await;
        let vip = realm(&store, "Acme VIP", &[]).await;
        let elsewhere = realm(&store, "Elsewhere", &["elsewhere.test"]).await;
        // Priority 10: VIPs of this IdP go to "Acme VIP"; priority 20: a rule
        // that would put "Moved" people in a realm whose domains exclude them.
        store
            .unsafe_execute_raw(&format!(
                "INSERT INTO realm_assignment_rules (id, name, priority, status, is_default, profile_source_id, expression, \
                 target_realm_id, created, last_updated) VALUES \
                 ('rul1vip', 'VIPs', 10, 'ACTIVE', FALSE, '{}', 'user.profile.lastName == \"Vip\"', '{}', 'x', 'x'), \
                 ('rul2bad', 'Bad', 20, 'ACTIVE', FALSE, '{}', 'user.profile.lastName.toLowerCase() == \"moved\"', '{}', 'x', 'x')",
                idp.id, vip.id, idp.id, elsewhere.id
            ))
            .await
            .unwrap();

        let erin = store.system_admit_partner_user(&idp, &claims("sub-erin", "erin@acme.test", "Erin", "Engineer")).await.unwrap().unwrap();
        assert!(erin.created, "{engine}");
        assert_eq!(erin.user.realm_id, acme.id, "{engine}: no rule matched → the IdP's realm");
        assert_eq!(erin.user.status, UserStatus::Active, "{engine}");
        assert_eq!(erin.user.profile_source_id.as_deref(), Some(idp.id.as_str()), "{engine}");
        let vic = store.system_admit_partner_user(&idp, &claims("sub-vic", "vic@acme.test", "Vic", "Vip")).await.unwrap().unwrap();
        assert_eq!(vic.user.realm_id, vip.id, "{engine}: the VIP rule placed it");
        let before = store.count_all_events().await.unwrap();
        let moved = store.system_admit_partner_user(&idp, &claims("sub-mo", "mo@acme.test", "Mo", "Moved")).await.unwrap();
        assert!(matches!(moved, Err(JitError::BadProfile(_))), "{engine}: never into a realm whose domains exclude the email: {moved:?}");
        assert_eq!(store.count_all_events().await.unwrap(), before, "{engine}: a refused JIT writes nothing");
        assert_eq!(store.count_events("user.lifecycle.create").await.unwrap(), 2, "{engine}");

        // The next sign-in finds the linked user and refreshes its names.
        let again = store.system_admit_partner_user(&idp, &claims("sub-erin", "erin@acme.test", "Erin", "Engineering")).await.unwrap().unwrap();
        assert!(!again.created, "{engine}");
        assert_eq!(again.user.id, erin.user.id, "{engine}");
        assert_eq!(again.user.profile.last_name, "Engineering", "{engine}");
        assert_eq!(store.count_events("user.account.update_profile").await.unwrap(), 1, "{engine}");

        // Suspended: refused.
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000").await.unwrap();
        let target = store.facts_of_user(&org.orn, &again.user).await.unwrap();
        store.apply_lifecycle(&system(Permission::UsersLifecycleManage, target), LifecycleOp::Suspend).await.unwrap();
        let refused = store.system_admit_partner_user(&idp, &claims("sub-erin", "erin@acme.test", "Erin", "E")).await.unwrap();
        assert!(matches!(refused, Err(JitError::NotActive(UserStatus::Suspended))), "{engine}: {refused:?}");
    })
    .await;
}

#[tokio::test]
async fn an_existing_account_is_never_linked_silently_and_jit_off_creates_nobody() {
    on_both(|store, engine| async move {
        let (acme, idp, secrets) = setup(&store).await;
        let other = realm(&store, "Other", &[]).await;
        common::create_user(
            &store,
            &other,
            BaseProfile {
                login: "taken@acme.test".into(),
                email: "taken@acme.test".into(),
                first_name: "T".into(),
                last_name: "T".into(),
                ..Default::default()
            },
            Map::new(),
        )
        .await
        .unwrap();
        let before = store.count_all_events().await.unwrap();
        let r = store
            .system_admit_partner_user(&idp, &claims("sub-x", "taken@acme.test", "T", "T"))
            .await
            .unwrap();
        assert!(
            matches!(r, Err(JitError::ExistingAccount(..))),
            "{engine}: {r:?}"
        );
        // Still not linked: the same subject is refused again.
        let r = store
            .system_admit_partner_user(&idp, &claims("sub-x", "taken@acme.test", "T", "T"))
            .await
            .unwrap();
        assert!(matches!(r, Err(JitError::ExistingAccount(..))), "{engine}");

        let closed = store
            .create_idp(
                &system(Permission::IdentityProvidersManage, Target::Org),
                new_idp("Closed", &acme, false),
                &secrets,
            )
            .await
            .unwrap();
        let r = store
            .system_admit_partner_user(&closed, &claims("sub-n", "new@acme.test", "N", "N"))
            .await
            .unwrap();
        assert!(
            matches!(r, Err(JitError::NotProvisioned(_))),
            "{engine}: {r:?}"
        );
        assert_eq!(
            store.count_all_events().await.unwrap(),
            before + 1,
            "{engine}: only the second IdP's creation was logged"
        );
    })
    .await;
}

#[tokio::test]
async fn an_idp_edit_keeps_its_secret_unless_given_refuses_lost_updates_and_deactivation_routes_nobody(
) {
    on_both(|store, engine| async move {
        let (acme, idp, secrets) = setup(&store).await;
        let manage = system(Permission::IdentityProvidersManage, Target::Org);
        let sealed = idp.client_secret_sealed.clone().unwrap();

        // An edit without a secret keeps the sealed one; the mapping changes.
        let mut change = new_idp("Acme workforce", &acme, false);
        change.client_secret = String::new();
        change.claim_mapping = app::store::idps::parse_claim_mapping(
            "login = email\nemail = email\nfirstName = name",
            &[],
        )
        .unwrap();
        change.routing_domains = vec!["acme-partners.test".into()];
        let edited = store
            .update_idp(
                &manage,
                &idp.id,
                change.clone(),
                &idp.last_updated,
                &secrets,
            )
            .await
            .unwrap();
        assert_eq!(edited.name, "Acme workforce", "{engine}");
        assert!(!edited.jit_enabled, "{engine}");
        assert_ne!(edited.last_updated, idp.last_updated, "{engine}");
        let stored = store.system_idp_by_id(&idp.id).await.unwrap().unwrap();
        assert_eq!(
            stored.client_secret_sealed.as_deref(),
            Some(sealed.as_str()),
            "{engine}: the secret is kept"
        );
        assert_eq!(stored.claim_mapping.get("firstName"), Some(&json!("name")));
        assert_eq!(stored.last_updated, edited.last_updated, "{engine}");
        let events = store
            .count_events("system.idp.lifecycle.update")
            .await
            .unwrap();
        assert_eq!(events, 1, "{engine}");

        // The form loaded before that edit is refused, not applied.
        let stale = store
            .update_idp(
                &manage,
                &idp.id,
                change.clone(),
                &idp.last_updated,
                &secrets,
            )
            .await;
        assert!(
            matches!(stale, Err(StoreError::Conflict(_))),
            "{engine}: {stale:?}"
        );

        // A new secret replaces the old one.
        let mut rotate = change.clone();
        rotate.client_secret = "rotated-secret".into();
        let rotated = store
            .update_idp(&manage, &idp.id, rotate, &stored.last_updated, &secrets)
            .await
            .unwrap();
        let opened = secrets
            .open(rotated.client_secret_sealed.as_deref().unwrap())
            .unwrap();
        assert_eq!(opened, "rotated-secret", "{engine}");

        // Bad mappings are refused at their line.
        let bad = app::store::idps::parse_claim_mapping("login = email\nnickname = email", &[]);
        assert!(
            matches!(&bad, Err(f) if f.field == "claimMapping" && f.message.starts_with("Line 2")),
            "{bad:?}"
        );
        assert!(app::store::idps::parse_claim_mapping("firstName = given_name", &[]).is_err());

        // Routing follows the edit; a deactivated IdP routes nobody.
        assert_eq!(
            store
                .route_sign_in("new@acme-partners.test")
                .await
                .unwrap()
                .map(|i| i.id),
            Some(idp.id.clone()),
            "{engine}"
        );
        let off = store.set_idp_status(&manage, &idp.id, false).await.unwrap();
        assert_eq!(off.status, "INACTIVE", "{engine}");
        assert_eq!(
            store.route_sign_in("new@acme-partners.test").await.unwrap(),
            None,
            "{engine}"
        );
        // Deactivating twice writes one event; activating writes its own.
        store.set_idp_status(&manage, &idp.id, false).await.unwrap();
        store.set_idp_status(&manage, &idp.id, true).await.unwrap();
        for (action, n) in [
            ("system.idp.lifecycle.deactivate", 1),
            ("system.idp.lifecycle.activate", 1),
        ] {
            assert_eq!(
                store.count_events(action).await.unwrap(),
                n,
                "{engine}: {action}"
            );
        }
        let missing = store
            .update_idp(&manage, &app::ids::IdpId::generate(), change, "x", &secrets)
            .await;
        assert!(matches!(missing, Err(StoreError::NotFound)), "{engine}");
    })
    .await;
}

fn org_grant_idps() -> app::authz::Grant {
    system(Permission::IdentityProvidersManage, Target::Org)
}

fn mapping(lines: &[(&str, &str)]) -> Map<String, serde_json::Value> {
    lines
        .iter()
        .map(|(a, c)| (a.to_string(), json!(c)))
        .collect()
}

#[tokio::test]
async fn jit_fills_custom_attributes_the_rules_place_on_and_a_missing_required_one_fails_only_that_sign_in(
) {
    on_both(|store, engine| async move {
        let (acme, idp, secrets) = setup(&store).await;
        store
            .define_profile_attribute(
                &system(Permission::UsersManage, Target::Org),
                app::store::users::AttributeDef {
                    name: "partnerTier".into(),
                    title: "Partner tier".into(),
                    attr_type: app::store::users::AttributeType::String,
                    required: true,
                },
            )
            .await
            .unwrap();
        let gold = realm(&store, "Gold partners", &["acme.test"]).await;
        let mut change = new_idp("Acme sign-in", &acme, true);
        change.client_secret = String::new();
        change.claim_mapping = mapping(&[
            ("login", "email"),
            ("email", "email"),
            ("firstName", "given_name"),
            ("lastName", "family_name"),
            ("partnerTier", "https://acme.test/tier"),
        ]);
        let idp = store
            .update_idp(
                &org_grant_idps(),
                &idp.id,
                change.clone(),
                &idp.last_updated,
                &secrets,
            )
            .await
            .unwrap();
        // A base attribute still reads only standard claims.
        let mut bad = change.clone();
        bad.claim_mapping = mapping(&[("login", "tier"), ("email", "email")]);
        let refused = store
            .update_idp(&org_grant_idps(), &idp.id, bad, &idp.last_updated, &secrets)
            .await;
        assert!(
            matches!(refused, Err(StoreError::Invalid(_))),
            "{engine}: {refused:?}"
        );
        let rule = store
            .create_rule(
                &system(Permission::RealmsManage, Target::Org),
                app::store::rules::RuleInput {
                    name: "Gold".into(),
                    profile_source_id: Some(idp.id.to_string()),
                    expression: Some(r#"user.profile.partnerTier == "gold""#.into()),
                    target_realm_id: gold.id.clone(),
                },
            )
            .await
            .unwrap();
        store
            .set_rule_status(
                &system(Permission::RealmsManage, Target::Org),
                &rule.id,
                app::model::LifecycleStatus::Active,
            )
            .await
            .unwrap();
        let mut with_tier = claims("sub-g", "gina@acme.test", "Gina", "G");
        with_tier
            .claims
            .insert("https://acme.test/tier".into(), json!("gold"));
        let admitted = store
            .system_admit_partner_user(&idp, &with_tier)
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{engine}: {e}"));
        assert_eq!(
            admitted.user.realm_id, gold.id,
            "{engine}: the rule on the custom attribute placed it"
        );
        assert_eq!(
            admitted.user.custom_profile.get("partnerTier"),
            Some(&json!("gold"))
        );

        let without = store
            .system_admit_partner_user(&idp, &claims("sub-n", "ned@acme.test", "Ned", "N"))
            .await
            .unwrap();
        match without {
            Err(e @ JitError::MissingAttributes(..)) => {
                let text = e.to_string();
                assert!(
                    text.contains("Partner tier"),
                    "{engine}: names the attribute: {text}"
                );
            }
            other => panic!("{engine}: {other:?}"),
        }
        // The user with the attribute keeps signing in, its tier refreshed.
        with_tier
            .claims
            .insert("https://acme.test/tier".into(), json!("silver"));
        let again = store
            .system_admit_partner_user(&idp, &with_tier)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            again.user.custom_profile.get("partnerTier"),
            Some(&json!("silver")),
            "{engine}"
        );
    })
    .await;
}

#[tokio::test]
async fn group_sync_adds_and_removes_only_listed_groups_without_admin_rights() {
    on_both(|store, engine| async move {
        let (_acme, idp, secrets) = setup(&store).await;
        let groups = system(Permission::GroupsCreate, Target::Org);
        let suppliers = store.create_group(&groups, "Suppliers", "").await.unwrap();
        let resellers = store.create_group(&groups, "Resellers", "").await.unwrap();
        let unlisted = store.create_group(&groups, "Unlisted", "").await.unwrap();
        let admins = store.create_group(&groups, "Admins", "").await.unwrap();
        store
            .assign_standard_role(
                &common::iam(),
                &app::store::admin::Member::Group(admins.id.clone()),
                app::model::StandardRole::ReadOnlyAdmin,
            )
            .await
            .unwrap();
        let mut change = new_idp("Acme sign-in", &_acme, true);
        change.client_secret = String::new();
        change.groups = app::store::idp_sync::GroupSync {
            action: app::store::idp_sync::GroupsAction::Sync,
            claim: "groups".into(),
            filter: vec![suppliers.id.clone(), resellers.id.clone(), admins.id.clone()],
        };
        let refused = store
            .update_idp(&org_grant_idps(), &idp.id, change.clone(), &idp.last_updated, &secrets)
            .await;
        assert!(
            matches!(refused, Err(StoreError::Invalid(ref f)) if f.iter().any(|f| f.field == "groupsFilter")),
            "{engine}: a group conferring admin rights is refused: {refused:?}"
        );
        change.groups.filter = vec![suppliers.id.clone(), resellers.id.clone()];
        let idp = store
            .update_idp(&org_grant_idps(), &idp.id, change, &idp.last_updated, &secrets)
            .await
            .unwrap();
        let mut c = claims("sub-s", "sam@acme.test", "Sam", "S");
        c.claims.insert("groups".into(), json!(["Suppliers", "Unlisted", "Admins"]));
        let sam = store
            .system_admit_partner_user(&idp, &c)
            .await
            .unwrap()
            .unwrap()
            .user;
        let all = app::authz::scope(&app::authz::Principal::system(), Permission::GroupsRead);
        let names = |groups: Vec<app::model::Group>| -> Vec<String> {
            groups.into_iter().map(|g| g.name).collect()
        };
        assert_eq!(
            names(store.groups_of_user(&all, &sam.id).await.unwrap()),
            ["Suppliers"],
            "{engine}: only listed groups are joined"
        );
        // SYNC: the next sign-in leaves what the claim no longer names.
        c.claims.insert("groups".into(), json!("Resellers"));
        store.system_admit_partner_user(&idp, &c).await.unwrap().unwrap();
        assert_eq!(
            names(store.groups_of_user(&all, &sam.id).await.unwrap()),
            ["Resellers"],
            "{engine}"
        );
        let _ = unlisted;
    })
    .await;
}

#[tokio::test]
async fn a_realm_bound_idp_signs_in_only_users_of_its_realm() {
    on_both(|store, engine| async move {
        let (acme, idp, _secrets) = setup(&store).await;
        let other = realm(&store, "Other", &[]).await;
        let c = claims("sub-m", "mo@acme.test", "Mo", "M");
        let mo = store
            .system_admit_partner_user(&idp, &c)
            .await
            .unwrap()
            .unwrap()
            .user;
        assert_eq!(mo.realm_id, acme.id);
        let target = store
            .facts_of_user(
                &app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
                    .await
                    .unwrap()
                    .orn,
                &mo,
            )
            .await
            .unwrap();
        let user_grant = app::authz::check(
            &app::authz::Principal::system(),
            Permission::UsersManage,
            &target,
        )
        .unwrap();
        let realm_grant = system(
            Permission::UsersCreate,
            Target::NewUserIn {
                realm_id: other.id.clone(),
            },
        );
        store.move_user(&user_grant, &realm_grant).await.unwrap();
        let refused = store.system_admit_partner_user(&idp, &c).await.unwrap();
        match refused {
            Err(e @ JitError::OtherRealm(_)) => {
                assert!(
                    e.to_string().contains("moved to another realm"),
                    "{engine}: {e}"
                )
            }
            other => {
                panic!("{engine}: a moved user signed in through the old realm's IdP: {other:?}")
            }
        }
    })
    .await;
}

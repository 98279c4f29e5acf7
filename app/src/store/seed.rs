//! Demo and benchmark data. Everything is written through the same store API as
//! the portal uses, as the explicit system principal, so every row has its
//! System Log event.

use serde_json::Map;

use super::admin::{Member, StoredPermission};
use super::audit::{self, Actor, Event};
use super::dialect;
use super::realms::NewRealm;
use super::users::NewUser;
use super::{clock, Store, StoreError};
use crate::authz::{self, Permission, Target};
use crate::ids::{AppId, GroupId};
use crate::model::{BaseProfile, LifecycleOp, Realm, RealmType, StandardRole, User};

fn system_grant(permission: Permission, target: Target) -> Result<authz::Grant, StoreError> {
    authz::check(&authz::Principal::system(), permission, &target)
        .map_err(|e| StoreError::Internal(format!("system principal was refused: {e}")))
}

/// The system principal's grant to change the admin model.
fn system_iam() -> Result<authz::Grant, StoreError> {
    authz::check_iam_change(&authz::Principal::system())
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
    if let Some(existing) = store.system_user_by_login(login).await? {
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
    let target = store.facts_of_user(ctx, user).await?;
    let user_grant = system_grant(Permission::UsersGroupMembershipManage, target)?;
    let group_grant = system_grant(
        Permission::GroupsMembersManage,
        store.facts_of_group(ctx, group).await?,
    )?;
    store.add_group_member(&user_grant, &group_grant).await?;
    Ok(())
}

/// The small demo organisation for `make run` and the end-to-end tests.
/// Idempotent: running it twice changes nothing the second time.
pub async fn demo(store: &Store, public_url: &str) -> Result<(), StoreError> {
    let default = store.ensure_default_realm().await?;
    let org = super::setup::bootstrap(store, public_url).await?;
    let acme = realm(store, "Acme", "acme.test").await?;
    let globex = realm(store, "Globex", "globex.test").await?;
    // A partner without an identity provider: its users sign in with
    // passwords (and authenticators) the portal holds.
    let hooli = realm(store, HOSTED_REALM, "hooli.test").await?;
    if !store.realm_policy(&hooli.id).await?.hosted {
        let grant = system_grant(Permission::RealmsManage, Target::Org)?;
        store
            .set_realm_policy(
                &grant,
                &hooli.id,
                &crate::credentials::Policy {
                    hosted: true,
                    lockout_attempts: 5,
                    ..Default::default()
                },
            )
            .await?;
    }
    let hanna = user(store, &hooli, "hanna.admin@hooli.test", "Hanna", "Admin").await?;
    demo_password(store, &hanna).await?;

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
        let target = store.facts_of_user(&org.orn, &sam).await?;
        let grant = system_grant(Permission::UsersLifecycleSuspend, target)?;
        store.apply_lifecycle(&grant, LifecycleOp::Suspend).await?;
    }

    let acme_eng = group(store, "Acme Engineering", "Engineers at Acme").await?;
    let globex_ops = group(store, "Globex Operations", "Operations staff at Globex").await?;
    let partners = group(store, "All Partners", "Every partner user").await?;
    let hooli_staff = group(store, "Hooli Staff", "Everyone at Hooli").await?;
    join(store, &org.orn, &hanna, &hooli_staff).await?;
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
        ("oidc_client", WIKI_APP, "OPENID_CONNECT"),
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
    if let Some((wiki, wiki_type)) = app_ids.get(2) {
        demo_wiki_client(store, wiki, wiki_type, public_url).await?;
    }
    // Everyone in All Partners gets the wiki through the group.
    if let Some((wiki, wiki_type)) = app_ids.get(2) {
        let group_grant = system_grant(
            Permission::GroupsAppAssignmentManage,
            store.facts_of_group(&org.orn, &partners).await?,
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
        if store.bookmark_url(portal).await?.is_none() {
            let grant = system_grant(
                Permission::AppsManage,
                Target::App {
                    id: portal.clone(),
                    app_type: portal_type.to_string(),
                },
            )?;
            store
                .set_bookmark_url(&grant, "https://suppliers.example.com/")
                .await?;
        }
        let target = store.facts_of_user(&org.orn, &dana).await?;
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

    store
        .assign_standard_role(
            &system_iam()?,
            &Member::User(olivia.id.clone()),
            StandardRole::SuperAdmin,
        )
        .await?;

    let role = org.partner_admin_role.clone();
    let mut acme_set = None;
    for (realm, group, admins) in [
        (&acme, &acme_eng, vec![&alice, &carol]),
        (&globex, &globex_ops, vec![&bob, &carol]),
        (&hooli, &hooli_staff, vec![&hanna]),
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
                store
                    .create_resource_set(
                        &system_iam()?,
                        &label,
                        &format!("What {}'s admins manage", realm.name),
                        &orns,
                    )
                    .await?
            }
        };
        let members: Vec<Member> = admins.iter().map(|u| Member::User(u.id.clone())).collect();
        store
            .add_binding_members(&system_iam()?, &rs, &role, &members)
            .await?;
        if realm.id == acme.id {
            acme_set = Some(rs);
        }
    }
    // A narrower custom role: Acme's helpdesk sees Acme's users, groups and
    // apps and edits names and phones, but has no lifecycle or membership rights.
    if let Some(rs) = acme_set {
        let rita = user(store, &acme, "rita.reader@acme.test", "Rita", "Reader").await?;
        let helpdesk = match store.role_id_by_label(HELPDESK_ROLE).await? {
            Some(id) => id,
            None => {
                let names = ["firstName", "lastName", "mobilePhone"];
                let conditions = serde_json::json!({
                    "include": { "okta:ResourceAttribute/User/Profile": names }
                })
                .to_string();
                let permissions: Vec<StoredPermission> = [
                    (Permission::UsersRead, None),
                    (Permission::UsersUserprofileManage, Some(conditions)),
                    (Permission::GroupsRead, None),
                    (Permission::AppsRead, None),
                    (Permission::RealmsRead, None),
                ]
                .into_iter()
                .map(|(p, conditions)| StoredPermission {
                    permission: p.as_str().to_string(),
                    conditions,
                })
                .collect();
                store
                    .create_role(
                        &system_iam()?,
                        HELPDESK_ROLE,
                        "Views Acme's users and corrects names and phone numbers",
                        &permissions,
                    )
                    .await?
            }
        };
        store
            .add_binding_members(&system_iam()?, &rs, &helpdesk, &[Member::User(rita.id)])
            .await?;
    }
    workforce(store, &org, &default).await
}

/// The demo's partner realm whose users sign in with the portal's own
/// credentials (no IdP), and the password its demo admin starts with.
pub const HOSTED_REALM: &str = "Hooli";
/// The demo's OpenID Connect app: `end2end/sample-app` ("Partner Wiki").
pub const WIKI_APP: &str = "Partner Wiki";
/// Its client id and (demo only, like the demo password) its secret.
pub const WIKI_CLIENT_ID: &str = "partner-wiki";
pub const WIKI_CLIENT_SECRET: &str = "partner-wiki-demo-secret";
/// The sample app listens on the portal's host, this many ports above it
/// (`make run`: 3000 → 3100; the end-to-end tests: 3300 → 3400).
pub const WIKI_PORT_OFFSET: u16 = 100;

/// The sample app's address: the portal's scheme and host, its port
/// `WIKI_PORT_OFFSET` above the portal's.
pub fn wiki_base(public_url: &str) -> String {
    match url::Url::parse(public_url) {
        Ok(mut u) => {
            let port = u.port_or_known_default().unwrap_or(80);
            let _ = u.set_port(Some(port.saturating_add(WIKI_PORT_OFFSET)));
            u.set_path("");
            u.as_str().trim_end_matches('/').to_string()
        }
        Err(_) => "http://127.0.0.1:3400".to_string(),
    }
}

/// Registers the Partner Wiki as an OpenID Connect web app with a known
/// client id and secret, once.
async fn demo_wiki_client(
    store: &Store,
    wiki: &AppId,
    wiki_type: &str,
    public_url: &str,
) -> Result<(), StoreError> {
    if store.oauth_client_of_app(wiki).await?.is_some() {
        return Ok(());
    }
    let base = wiki_base(public_url);
    let view = crate::views::apps::OidcClientView {
        application_type: "web".into(),
        auth_method: "client_secret_basic".into(),
        redirect_uris: vec![format!("{base}/callback")],
        post_logout_redirect_uris: vec![format!("{base}/")],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        initiate_login_uri: format!("{base}/login"),
        access_token_minutes: 60,
        id_token_minutes: 60,
        refresh_token_days: 30,
        groups_filter: ".*".into(),
        realm_claim: true,
        ..Default::default()
    };
    let registration = crate::oidc::Registration::from_view(&view).map_err(StoreError::Invalid)?;
    let grant = system_grant(
        Permission::AppsManage,
        Target::App {
            id: wiki.clone(),
            app_type: wiki_type.to_string(),
        },
    )?;
    match store.set_oauth_client(&grant, registration).await {
        Ok(_) => {}
        // A database seeded before the wiki became an OpenID Connect app
        // keeps its older wiki, without a client.
        Err(StoreError::Invalid(_)) => return Ok(()),
        Err(e) => return Err(e),
    }
    sqlx::query("UPDATE oauth_clients SET client_id = $1, secret_hash = $2 WHERE app_id = $3")
        .bind(WIKI_CLIENT_ID)
        .bind(crate::credentials::token_hash(WIKI_CLIENT_SECRET))
        .bind(wiki.as_str())
        .execute(&store.pool)
        .await?;
    Ok(())
}
pub const DEMO_PASSWORD: &str = "demo-password";

/// Gives a demo user the demo password, once.
async fn demo_password(store: &Store, user: &User) -> Result<(), StoreError> {
    if store.system_password(&user.id).await?.is_some() {
        return Ok(());
    }
    let hasher = crate::credentials::PasswordHasher::new(19 * 1024, 2, 1)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    let hash = hasher
        .hash(DEMO_PASSWORD)
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    store
        .system_set_password(
            &user.id,
            &hash,
            4,
            super::credentials::PasswordChange::Seed,
            &crate::authz::Client::default(),
        )
        .await?;
    Ok(())
}

/// The demo's workforce realm (`DEFAULT` type: no Partner Admin Portal).
pub const WORKFORCE_REALM: &str = "HostCo Sales";

/// A workforce realm and its delegated admin (Wendy, in the default realm),
/// who manages it from the admin console: realm rights and user rights over
/// the realm and its users.
async fn workforce(
    store: &Store,
    org: &authz::OrgContext,
    default: &Realm,
) -> Result<(), StoreError> {
    let sales = match store.realm_by_name(WORKFORCE_REALM).await? {
        Some(existing) => existing,
        None => {
            store
                .create_realm(
                    &system_grant(Permission::RealmsManage, Target::Org)?,
                    NewRealm {
                        name: WORKFORCE_REALM.to_string(),
                        realm_type: RealmType::Default,
                        domains: vec!["hostco.test".to_string()],
                    },
                )
                .await?
        }
    };
    let wendy = user(
        store,
        default,
        "wendy.workforce@hostco.test",
        "Wendy",
        "Workforce",
    )
    .await?;
    user(store, &sales, "sid.sales@hostco.test", "Sid", "Sales").await?;
    let label = "Workforce realm admin";
    let role = match store.role_id_by_label(label).await? {
        Some(id) => id,
        None => {
            let permissions: Vec<StoredPermission> = [
                Permission::RealmsRead,
                Permission::RealmsManage,
                Permission::UsersRead,
                Permission::UsersManage,
                Permission::UsersCreate,
                Permission::UsersUserprofileManage,
                Permission::UsersLifecycleManage,
            ]
            .into_iter()
            .map(|p| StoredPermission {
                permission: p.as_str().to_string(),
                conditions: None,
            })
            .collect();
            store
                .create_role(
                    &system_iam()?,
                    label,
                    "Manages a workforce realm and its users",
                    &permissions,
                )
                .await?
        }
    };
    let set_label = format!("{WORKFORCE_REALM} administration");
    let rs = match store.resource_set_id_by_label(&set_label).await? {
        Some(id) => id,
        None => {
            store
                .create_resource_set(
                    &system_iam()?,
                    &set_label,
                    "What the sales department's admin manages",
                    &[org.orn_realm(&sales.id), org.orn_realm_users(&sales.id)],
                )
                .await?
        }
    };
    store
        .add_binding_members(&system_iam()?, &rs, &role, &[Member::User(wendy.id)])
        .await
}

/// The demo's custom role without lifecycle rights (Rita, Acme's helpdesk).
pub const HELPDESK_ROLE: &str = "Acme Helpdesk";

/// Partner IdPs for the demo realms at the dev identity provider's `/acme`
/// and `/globex` issuers: bound to their realm, JIT on, routing their domain.
pub async fn demo_partner_idps(
    store: &Store,
    secrets: &super::idps::SecretBox,
    dev_idp_base: &str,
) -> Result<(), StoreError> {
    let base = dev_idp_base.trim_end_matches('/');
    for (realm_name, issuer, domain) in [
        ("Acme", "acme", "acme.test"),
        ("Globex", "globex", "globex.test"),
    ] {
        let name = format!("{realm_name} sign-in");
        if store.idp_by_name(&name).await?.is_some() {
            continue;
        }
        let realm = store
            .realm_by_name(realm_name)
            .await?
            .ok_or_else(|| StoreError::Internal(format!("demo realm {realm_name} is missing")))?;
        let grant = system_grant(Permission::IdentityProvidersManage, Target::Org)?;
        store
            .create_idp(
                &grant,
                super::idps::NewIdp {
                    name,
                    issuer: format!("{base}/{issuer}"),
                    client_id: "partner-portal".into(),
                    client_secret: format!("dev-secret-{issuer}"),
                    scopes: vec![
                        "openid".into(),
                        "email".into(),
                        "profile".into(),
                        "phone".into(),
                    ],
                    claim_mapping: {
                        let mut m = super::idps::default_claim_mapping();
                        m.insert("mobilePhone".into(), "phone_number".into());
                        m
                    },
                    realm_id: Some(realm.id.clone()),
                    jit_enabled: true,
                    routing_domains: vec![domain.into()],
                    groups: Default::default(),
                },
                secrets,
            )
            .await?;
    }
    Ok(())
}

/// How `seed --users` went.
pub struct BulkReport {
    pub users: u64,
    pub realms: usize,
    pub groups: usize,
    pub apps: usize,
    pub memberships: u64,
    pub assignments: u64,
    pub seconds: f64,
}

const FIRST_NAMES: [&str; 48] = [
    "Ada", "Ben", "Chloe", "Diego", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kavya",
    "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Carmen", "Dmitri", "Esther", "Felix",
    "Gita", "Hugo", "Isla", "Jamal", "Keiko", "Lars", "Mina", "Nils", "Oscar", "Priya", "Rafael",
    "Sofia", "Tomas", "Ulla", "Viktor", "Yara",
];
const LAST_NAMES: [&str; 48] = [
    "Abbott",
    "Becker",
    "Castro",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinlan",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
    "Andersen",
    "Bianchi",
    "Costa",
    "Dietrich",
    "Evans",
    "Ferreira",
    "Gomez",
    "Horvat",
    "Ito",
    "Jovanovic",
    "Kim",
    "Lopez",
    "Muller",
    "Novak",
    "Olsen",
    "Patel",
    "Romero",
    "Silva",
    "Torres",
    "Urbina",
    "Vogel",
    "Wagner",
];
const DEPARTMENTS: [&str; 3] = ["Sales", "Support", "Engineering"];
const APPS: [(&str, &str, &str); 12] = [
    ("bookmark", "Supplier Portal", "BOOKMARK"),
    ("oidc_client", "Order Desk", "OPENID_CONNECT"),
    ("saml_2_0", "Partner Wiki", "SAML_2_0"),
    ("oidc_client", "Warranty Claims", "OPENID_CONNECT"),
    ("saml_2_0", "Price Lists", "SAML_2_0"),
    ("bookmark", "Training Hub", "BOOKMARK"),
    ("oidc_client", "Deal Registration", "OPENID_CONNECT"),
    ("saml_2_0", "Logistics Tracker", "SAML_2_0"),
    ("oidc_client", "Support Tickets", "OPENID_CONNECT"),
    ("bookmark", "Marketing Assets", "BOOKMARK"),
    ("saml_2_0", "Forecasting", "SAML_2_0"),
    ("oidc_client", "Invoices", "OPENID_CONNECT"),
];

/// A realistic directory of `n` more users: one partner realm per 20,000 users
/// (at least 3), three department groups per realm plus org-wide groups, a
/// dozen apps assigned to groups, and every user in its realm's department
/// group, a fifth of them in a shared group and a tenth with a direct app.
///
/// Realms, groups, apps and group assignments go through the store API with
/// their events. The users, memberships and direct assignments are one bulk
/// import in **one transaction** with its `system.import.*` events: a failed
/// seed leaves nothing behind.
pub async fn users(store: &Store, public_url: &str, n: u64) -> Result<BulkReport, StoreError> {
    generate(store, public_url, n, n >= 50_000).await
}

/// `users`, choosing whether the secondary indexes are rebuilt after the
/// import (fast for large imports) or maintained row by row.
pub async fn generate(
    store: &Store,
    public_url: &str,
    n: u64,
    rebuild_indexes: bool,
) -> Result<BulkReport, StoreError> {
    let started = std::time::Instant::now();
    store.ensure_default_realm().await?;
    let org = super::setup::bootstrap(store, public_url).await?;
    let realm_count = usize::try_from((n / 20_000).max(3)).unwrap_or(3);
    let mut realms = Vec::with_capacity(realm_count);
    for i in 1..=realm_count {
        realms.push(
            realm(
                store,
                &format!("Partner {i:03}"),
                &format!("partner{i:03}.example"),
            )
            .await?,
        );
    }
    let mut realm_groups = Vec::with_capacity(realm_count);
    for r in &realms {
        let mut ids = Vec::new();
        for d in DEPARTMENTS {
            ids.push(
                group(
                    store,
                    &format!("{} {d}", r.name),
                    &format!("{d} staff of {}", r.name),
                )
                .await?,
            );
        }
        realm_groups.push(ids);
    }
    let mut shared = Vec::new();
    for name in ["All Partners", "Preferred Partners", "Certified Installers"] {
        shared.push(group(store, name, "Shared by partner users of every realm").await?);
    }
    let mut apps = Vec::new();
    for (name, label, mode) in APPS {
        let id = match store.app_id_by_label(label).await? {
            Some(id) => id,
            None => {
                let grant = system_grant(Permission::AppsManage, Target::Org)?;
                store.create_app(&grant, name, label, mode).await?.id
            }
        };
        apps.push((id, name));
    }
    // Department groups get two apps each, the shared groups one each.
    let mut group_apps: Vec<(&GroupId, usize)> = Vec::new();
    for (gi, ids) in realm_groups.iter().enumerate() {
        for (di, g) in ids.iter().enumerate() {
            group_apps.push((g, (gi + di) % APPS.len()));
            group_apps.push((g, (gi + di + 5) % APPS.len()));
        }
    }
    for (si, g) in shared.iter().enumerate() {
        group_apps.push((g, si));
    }
    for (g, ai) in group_apps {
        let Some((app, app_type)) = apps.get(ai) else {
            continue;
        };
        if store.group_has_app(g, app).await? {
            continue;
        }
        let group_grant = system_grant(
            Permission::GroupsAppAssignmentManage,
            store.facts_of_group(&org.orn, g).await?,
        )?;
        let app_grant = system_grant(
            Permission::AppsAssignmentManage,
            Target::App {
                id: app.clone(),
                app_type: app_type.to_string(),
            },
        )?;
        store.assign_app_to_group(&group_grant, &app_grant).await?;
    }

    let offset = store.count_users().await?;
    let engine = store.engine();
    let realms_json = serde_json::Value::Array(
        realms
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id.as_str(),
                    "domain": r.domains.first().map(String::as_str).unwrap_or("example.com"),
                })
            })
            .collect(),
    )
    .to_string();
    let mut groups_by_realm = serde_json::Map::new();
    for (r, ids) in realms.iter().zip(&realm_groups) {
        groups_by_realm.insert(
            r.id.to_string(),
            ids.iter().map(|g| g.to_string()).collect::<Vec<_>>().into(),
        );
    }
    let groups_json = serde_json::Value::Object(groups_by_realm).to_string();
    let shared_json =
        serde_json::to_string(&shared.iter().map(|g| g.to_string()).collect::<Vec<_>>())
            .map_err(|e| StoreError::Internal(e.to_string()))?;
    let apps_json =
        serde_json::to_string(&apps.iter().map(|(a, _)| a.to_string()).collect::<Vec<_>>())
            .map_err(|e| StoreError::Internal(e.to_string()))?;
    let names = |list: &[&str]| serde_json::to_string(list).unwrap_or_else(|_| "[]".into());

    // The rows are generated by the database itself (no per-value binds cross
    // the driver): names, realm and status from multiplicative hashes of the
    // row number, ids from the engine's random source; memberships and direct
    // assignments from characters of those random ids.
    let mut tx = store.begin_write().await?;
    if let Some(pragma) = dialect::bulk_cache_size(engine, true) {
        sqlx::query(pragma).execute(&mut *tx).await?;
    }
    let start_event = Event::success(
        "system.import.start",
        "Import of generated users started",
        Actor::system(),
    )
    .debug("users", n);
    audit::append(&mut tx, &start_event).await?;
    let now = clock::now();
    // A large import builds the secondary indexes afterwards, sorted, instead
    // of inserting into them row by row: their definitions are read from the
    // catalog, dropped and re-run in this same transaction (no drift from the
    // migrations; a failure rolls everything back).
    let rebuilt = if rebuild_indexes {
        suspend_indexes(&mut tx, engine).await?
    } else {
        Vec::new()
    };
    // A search index fed row by row (SQLite's trigger) is suspended by a large
    // import and fed the new users in one pass afterwards.
    let fts_trigger = if rebuild_indexes {
        dialect::suspend_search_feed(engine, &mut tx).await?
    } else {
        None
    };
    let sql = dialect::generated_users_sql(engine);
    let mut from = offset;
    let last = offset + n;
    let chunk = if rebuild_indexes && dialect::bulk_insert_in_one_statement(engine) {
        n.max(1)
    } else {
        GENERATE_CHUNK
    };
    while from < last {
        let to = (from + chunk).min(last);
        sqlx::query(&sql)
            .bind(from as i64)
            .bind(to as i64 - 1)
            .bind(&realms_json)
            .bind(names(&FIRST_NAMES))
            .bind(names(&LAST_NAMES))
            .bind(&now)
            .bind(realms.len() as i64)
            .execute(&mut *tx)
            .await?;
        from = to;
    }
    if let Some(trigger) = &fts_trigger {
        dialect::resume_search_feed(&mut tx, trigger, &now).await?;
    }
    let statements = dialect::generated_assignments_sql(engine, shared.len(), apps.len());
    let mut rows = [0u64; 3];
    for (k, (statement, json)) in statements
        .iter()
        .zip([&groups_json, &shared_json, &apps_json])
        .enumerate()
    {
        let done = sqlx::query(statement)
            .bind(&now)
            .bind(json)
            .execute(&mut *tx)
            .await?;
        rows[k] = done.rows_affected();
    }
    for definition in &rebuilt {
        sqlx::query(definition).execute(&mut *tx).await?;
    }
    let totals = (rows[0] + rows[1], rows[2]);
    let done = Event::success(
        "system.import.complete",
        "Import of generated users completed",
        Actor::system(),
    )
    .debug("users", n)
    .debug("groupMemberships", totals.0)
    .debug("appAssignments", totals.1)
    .debug("realms", realms.len());
    audit::append(&mut tx, &done).await?;
    if let Some(pragma) = dialect::bulk_cache_size(engine, false) {
        sqlx::query(pragma).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    store.analyze().await?;
    Ok(BulkReport {
        users: n,
        realms: realms.len(),
        groups: realm_groups.iter().map(Vec::len).sum::<usize>() + shared.len(),
        apps: apps.len(),
        memberships: totals.0,
        assignments: totals.1,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Drops the secondary indexes of the bulk-loaded tables (not those backing
/// primary keys or constraints) and returns their definitions.
async fn suspend_indexes(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    engine: super::Engine,
) -> Result<Vec<String>, StoreError> {
    let found: Vec<(String, String)> = sqlx::query_as(dialect::secondary_indexes(engine))
        .fetch_all(&mut **tx)
        .await?;
    for (name, _) in &found {
        sqlx::query(&format!("DROP INDEX {name}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(found
        .into_iter()
        .map(|(_, definition)| definition)
        .collect())
}

/// Users per generating statement (bounds the statement's working set).
const GENERATE_CHUNK: u64 = 100_000;

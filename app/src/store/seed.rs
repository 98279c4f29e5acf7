//! Demo and benchmark data. Everything is written through the same store API as
//! the portal uses, as the explicit system principal, so every row has its
//! System Log event.

use serde_json::Map;

use super::admin::Member;
use super::audit::{self, Actor, Event};
use super::realms::NewRealm;
use super::users::NewUser;
use super::{clock, Store, StoreError};
use crate::authz::{self, Permission, Target};
use crate::ids::{GroupId, UserId};
use crate::model::{BaseProfile, LifecycleOp, Realm, RealmType, StandardRole, User};

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
/// Rows per multi-row INSERT. Larger statements were slower (the driver
/// resolves parameter names per bind: 1,000 rows took 3× as long as 100).
const CHUNK: usize = 100;

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
    use rand::{Rng, SeedableRng};
    let started = std::time::Instant::now();
    store.ensure_default_realm().await?;
    let org = authz::bootstrap(store, public_url).await?;
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
            authz::group_target(store, &org.orn, g).await?,
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
    let mut rng = rand::rngs::StdRng::seed_from_u64(offset ^ 0x5eed);
    let mut batch = BulkImport::default();
    let mut totals = (0u64, 0u64);
    // Ids are random; inserting them in sorted order keeps the primary key an
    // append, and a large page cache for this one import keeps the secondary
    // indexes and the search index in memory (SQLite; PostgreSQL sizes its own).
    let mut ids: Vec<UserId> = (0..n).map(|_| UserId::generate()).collect();
    ids.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    let mut tx = store.begin_write().await?;
    let sqlite = store.engine() == super::Engine::Sqlite;
    if sqlite {
        sqlx::query("PRAGMA cache_size = -524288")
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from_sqlx)?;
    }
    let start_event = Event::success(
        "system.import.start",
        "Import of generated users started",
        Actor::system(),
    )
    .debug("users", n);
    audit::append(&mut tx, &start_event).await?;
    let now = clock::now();
    for (k, id) in ids.into_iter().enumerate() {
        let i = offset + k as u64;
        let ri = rng.random_range(0..realms.len());
        let (Some(r), Some(groups)) = (realms.get(ri), realm_groups.get(ri)) else {
            continue;
        };
        let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
        let domain = r
            .domains
            .first()
            .map(String::as_str)
            .unwrap_or("example.com");
        let login = format!(
            "{}.{}{i}@{domain}",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let status = match rng.random_range(0..100) {
            0..85 => "ACTIVE",
            85..90 => "STAGED",
            90..94 => "SUSPENDED",
            94..97 => "DEPROVISIONED",
            97..99 => "PROVISIONED",
            _ => "LOCKED_OUT",
        };
        if let Some(g) = groups.get(rng.random_range(0..groups.len())) {
            batch.members.push((g.to_string(), id.to_string()));
        }
        if rng.random_range(0..5) == 0 {
            if let Some(g) = shared.get(rng.random_range(0..shared.len())) {
                batch.members.push((g.to_string(), id.to_string()));
            }
        }
        if rng.random_range(0..10) == 0 {
            if let Some((app, _)) = apps.get(rng.random_range(0..apps.len())) {
                batch.assignments.push((app.to_string(), id.to_string()));
            }
        }
        batch.users.push(BulkUser {
            id: id.to_string(),
            realm_id: r.id.to_string(),
            status,
            login,
            first,
            last,
        });
        if batch.users.len() == CHUNK {
            totals.0 += batch.members.len() as u64;
            totals.1 += batch.assignments.len() as u64;
            batch.flush(&mut tx, &now).await?;
        }
    }
    totals.0 += batch.members.len() as u64;
    totals.1 += batch.assignments.len() as u64;
    batch.flush(&mut tx, &now).await?;
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
    if sqlite {
        sqlx::query("PRAGMA cache_size = -2000")
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from_sqlx)?;
    }
    tx.commit().await.map_err(StoreError::from_sqlx)?;
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

struct BulkUser {
    id: String,
    realm_id: String,
    status: &'static str,
    login: String,
    first: &'static str,
    last: &'static str,
}

#[derive(Default)]
struct BulkImport {
    users: Vec<BulkUser>,
    members: Vec<(String, String)>,
    assignments: Vec<(String, String)>,
}

fn placeholders(rows: usize, per_row: usize) -> String {
    let mut out = String::with_capacity(rows * per_row * 6);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..per_row {
            if c > 0 {
                out.push_str(", ");
            }
            out.push_str(&format!("${}", r * per_row + c + 1));
        }
        out.push(')');
    }
    out
}

impl BulkImport {
    async fn flush(
        &mut self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        now: &str,
    ) -> Result<(), StoreError> {
        if !self.users.is_empty() {
            let sql = format!(
                "INSERT INTO users (id, realm_id, status, login, login_lower, email, first_name, last_name, \
                 custom_profile, created, activated, status_changed, last_updated, version, profile_source_id) VALUES {}",
                placeholders(self.users.len(), 15)
            );
            let mut q = sqlx::query(&sql);
            for u in &self.users {
                let activated = (u.status != "STAGED" && u.status != "PROVISIONED").then_some(now);
                q = q
                    .bind(&u.id)
                    .bind(&u.realm_id)
                    .bind(u.status)
                    .bind(&u.login)
                    .bind(&u.login)
                    .bind(&u.login)
                    .bind(u.first)
                    .bind(u.last)
                    .bind("{}")
                    .bind(now)
                    .bind(activated)
                    .bind(now)
                    .bind(now)
                    .bind(1_i64)
                    .bind(None::<String>);
            }
            q.execute(&mut **tx).await.map_err(StoreError::from_sqlx)?;
        }
        for (table, rows) in [
            ("group_members (group_id, user_id, created)", &self.members),
            (
                "app_user_assignments (app_id, user_id, created)",
                &self.assignments,
            ),
        ] {
            if rows.is_empty() {
                continue;
            }
            let sql = format!("INSERT INTO {table} VALUES {}", placeholders(rows.len(), 3));
            let mut q = sqlx::query(&sql);
            for (a, b) in rows {
                q = q.bind(a).bind(b).bind(now);
            }
            q.execute(&mut **tx).await.map_err(StoreError::from_sqlx)?;
        }
        self.users.clear();
        self.members.clear();
        self.assignments.clear();
        Ok(())
    }
}

//! Test databases: every test runs on a fresh SQLite file and a fresh PostgreSQL
//! database (created from `PORTAL_TEST_POSTGRES_URL`, default the local server),
//! dropped afterwards.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;

use app::authz::{self, Permission, Principal, Target};
use app::model::{Realm, RealmType};
use app::store::realms::NewRealm;
use app::store::{Store, StoreOptions};
use sqlx::Connection;

pub struct TestDb {
    pub store: Store,
    pub engine: &'static str,
    /// Its URL: for the tests that write rows directly (to reach a limit).
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

fn admin_url() -> String {
    std::env::var("PORTAL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/portal.db?mode=rwc", dir.path().display());
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .expect("open sqlite");
    store.migrate().await.expect("migrate sqlite");
    TestDb {
        store,
        engine: "sqlite",
        url,
        cleanup: Cleanup::Sqlite(dir),
    }
}

pub async fn postgres() -> TestDb {
    sqlx::any::install_default_drivers();
    let admin = admin_url();
    let name = format!("pp_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap_or_else(|e| {
        panic!("PostgreSQL for the store tests is not reachable at {admin} ({e}); run `make test`, or set PORTAL_TEST_POSTGRES_URL")
    });
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    conn.close().await.ok();
    let (base, _) = admin.rsplit_once('/').expect("admin URL has a database");
    let url = format!("{base}/{name}");
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .expect("open postgres");
    store.migrate().await.expect("migrate postgres");
    TestDb {
        store,
        engine: "postgres",
        url,
        cleanup: Cleanup::Postgres {
            admin_url: admin,
            name,
        },
    }
}

impl TestDb {
    pub async fn drop_db(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::Sqlite(dir) => drop(dir),
            Cleanup::Postgres { admin_url, name } => {
                if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            }
        }
    }
}

/// Runs `test` once on SQLite and once on PostgreSQL, each on a fresh database.
pub async fn on_both<F, Fut>(test: F)
where
    F: Fn(Store, &'static str) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in [sqlite().await, postgres().await] {
        test(db.store.clone(), db.engine).await;
        db.drop_db().await;
    }
}

/// As `on_both`, with the database's URL (for rows written directly).
pub async fn on_both_with_url<F, Fut>(test: F)
where
    F: Fn(Store, &'static str, String) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in [sqlite().await, postgres().await] {
        test(db.store.clone(), db.engine, db.url.clone()).await;
        db.drop_db().await;
    }
}

/// Runs `statements` on a connection of its own to `url` (rows a test needs
/// quickly, e.g. to reach a limit).
pub async fn raw_sql(url: &str, statements: &[String]) {
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    for statement in statements {
        sqlx::query(statement)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    conn.close().await.ok();
}

/// A grant of the system principal (it may do anything): for setting up.
pub fn system(permission: Permission, target: Target) -> authz::Grant {
    authz::check(&Principal::system(), permission, &target).expect("the system may do anything")
}

/// A partner realm with these allowed domains.
pub async fn realm(store: &Store, name: &str, domains: &[&str]) -> Realm {
    store
        .create_realm(
            &system(Permission::RealmsManage, Target::Org),
            NewRealm {
                name: name.into(),
                realm_type: RealmType::Partner,
                domains: domains.iter().map(|d| d.to_string()).collect(),
            },
        )
        .await
        .expect("create realm")
}

/// Credential services for tests: cheap argon2 parameters, mail to
/// `smtp_url` when given (a real SMTP server the test runs).
pub fn test_credentials(smtp_url: Option<&str>) -> app::credentials::Credentials {
    app::credentials::Credentials::new(
        "http://127.0.0.1:3000",
        &app::credentials::CredentialsConfig {
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            smtp_url: smtp_url.unwrap_or_default().to_string(),
            ..Default::default()
        },
    )
    .expect("test credentials")
}

/// A request context for calling operations directly (no HTTP): `principal`
/// acting on `store` and `org`, with test settings (loopback IdPs allowed).
pub fn cx(store: &Store, org: &authz::OrgContext, principal: &Principal) -> app::ctx::Ctx {
    app::ctx::Ctx::new(
        store.clone(),
        org.clone(),
        app::ctx::Settings {
            public_url: "http://127.0.0.1:3000".into(),
            outbound: app::outbound::OutboundPolicy::admin_configured(true),
            secrets: app::store::idps::SecretBox::new("test secrets key"),
            credentials: test_credentials(None),
        },
        principal.clone(),
    )
}

/// Creates an active user in `realm` with `profile` and `custom` attributes
/// (as the system).
pub async fn create_user(
    store: &Store,
    realm: &Realm,
    profile: app::model::BaseProfile,
    custom: serde_json::Map<String, serde_json::Value>,
) -> Result<app::model::User, app::store::StoreError> {
    store
        .create_user(
            &system(
                Permission::UsersCreate,
                Target::NewUserIn {
                    realm_id: realm.id.clone(),
                },
            ),
            app::store::users::NewUser {
                realm_id: realm.id.clone(),
                profile,
                custom_profile: custom,
                activate: true,
                profile_source_id: None,
            },
        )
        .await
}

/// A profile with login and email `login` and these names.
pub fn profile(login: &str, first: &str, last: &str) -> app::model::BaseProfile {
    app::model::BaseProfile {
        login: login.into(),
        email: login.into(),
        first_name: first.into(),
        last_name: last.into(),
        ..Default::default()
    }
}

/// An active user in `realm`: login and email `login`, first name Pat, last
/// name the login's local part.
pub async fn user(store: &Store, realm: &Realm, login: &str) -> app::model::User {
    let last = login.split('@').next().unwrap_or(login);
    create_user(
        store,
        realm,
        profile(login, "Pat", last),
        serde_json::Map::new(),
    )
    .await
    .expect("create user")
}

/// `user` as a principal with the rights it holds now.
pub async fn principal(
    store: &Store,
    org: &authz::OrgContext,
    user: &app::model::User,
) -> Principal {
    let rows = store.rights_rows(&user.id).await.expect("rights");
    Principal::for_user(
        user.id.clone(),
        authz::Actor::system(),
        authz::Client::default(),
        rows,
        &org.orn,
    )
}

/// Makes `admin` a partner admin of `realms` (the generated Partner Admin
/// role on a resource set of the realms and their users); its principal.
pub async fn partner_admin(
    store: &Store,
    org: &authz::OrgContext,
    realms: &[&Realm],
    admin: &app::model::User,
) -> Principal {
    let orns: Vec<String> = realms
        .iter()
        .flat_map(|r| [org.orn_realm(&r.id), org.orn_realm_users(&r.id)])
        .collect();
    let label = realms
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let set = store
        .create_resource_set(&iam(), &format!("{label} admins"), "", &orns)
        .await
        .expect("resource set");
    store
        .add_binding_members(
            &iam(),
            &set,
            &org.partner_admin_role,
            &[app::store::admin::Member::User(admin.id.clone())],
        )
        .await
        .expect("binding");
    principal(store, org, admin).await
}

/// The system principal's grant to change the admin model (roles, resource
/// sets, bindings, standard roles): for setting up.
pub fn iam() -> authz::Grant {
    authz::check_iam_change(&Principal::system()).expect("the system may change the admin model")
}

/// Makes `user` a super admin (the standard role, held directly).
pub async fn super_admin(store: &Store, user: &app::model::User) {
    store
        .assign_standard_role(
            &iam(),
            &app::store::admin::Member::User(user.id.clone()),
            app::model::StandardRole::SuperAdmin,
        )
        .await
        .expect("assign SUPER_ADMIN");
}

/// Every Rust source file under `dir` of the app crate (e.g. `src/authz`),
/// as (path, text): for the tests that hold a rule over the source.
pub fn rust_sources(dir: &str) -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("read source dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                out.push((path.display().to_string(), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
        &mut out,
    );
    out
}

//! `portal-bench`: the performance harness behind `make bench` and
//! `make bench-quick`. For each engine it seeds a directory, starts the
//! portal's release build and a minimal axum + sqlx baseline on the same
//! database, drives both with `wrk` as a signed-in partner admin, runs a
//! realm-assignment execution under load, and writes `bench/REPORT.md` and
//! `bench/results.json` (with the criterion figures the Makefile collected).

mod baseline;
mod load;
mod procs;
mod report;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde::Serialize;

use app::authz::{self, Permission, Principal, Target};
use app::model::BaseProfile;
use app::store::admin::Member;
use app::store::users::{name_cursor, NewUser, UserFilter, UserSort};
use app::store::{Store, StoreOptions};
use load::{Figures, Shape};

#[derive(Parser)]
#[command(name = "portal-bench", about = "Partner Portal performance harness")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the baseline (used by `run`, which starts it as a process).
    Baseline {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        realm: String,
        #[arg(long)]
        port: u16,
    },
    /// Measure everything and write the report.
    Run(RunArgs),
}

#[derive(clap::Args, Clone)]
struct RunArgs {
    /// Users in the seeded directory.
    #[arg(long, default_value_t = 1_000_000)]
    users: u64,
    /// Engines, comma-separated: sqlite, postgres.
    #[arg(long, default_value = "sqlite,postgres")]
    engines: String,
    /// A PostgreSQL admin URL (a database is created and dropped per run).
    #[arg(long, env = "PORTAL_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Seconds per load.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// At most this many requests per load: a safety bound set far above what
    /// the time allows (wrk's figures are per its full duration).
    #[arg(long, default_value_t = 2_000_000)]
    max_requests: u32,
    /// Profile edits per load (each a different user; at most half the realm).
    #[arg(long, default_value_t = 20_000)]
    edits: u32,
    /// Concurrent connections per load.
    #[arg(long, default_value_t = 16)]
    connections: u32,
    /// Partner realms whose users the measured execution moves.
    #[arg(long, default_value_t = 3)]
    move_realms: usize,
    /// Files holding the criterion benches' output (`BENCH_JSON` lines).
    #[arg(long)]
    criterion: Vec<PathBuf>,
    /// "full" or "quick": written into the report.
    #[arg(long, default_value = "full")]
    mode: String,
    /// Where REPORT.md and results.json go.
    #[arg(long, default_value = "bench")]
    out: PathBuf,
}

/// One engine's figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EngineResult {
    pub engine: String,
    pub users: u64,
    pub seed_seconds: f64,
    pub cold_start_ms: f64,
    pub idle_rss_mib: f64,
    pub peak_rss_mib: f64,
    pub session_bytes: u64,
    pub admin_realm_users: u64,
    pub search_term: String,
    pub loads: Vec<LoadResult>,
    pub mutation: Option<LoadResult>,
    pub execution: Option<Execution>,
    /// PostgreSQL: the users page through two instances on one database.
    pub instances: Option<Instances>,
}

/// The same users-page load against one instance, then split over two
/// instances of the portal on the same database (each half the connections).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Instances {
    pub one: Figures,
    /// Both halves merged: requests summed, the worse latency of the two.
    pub two: Figures,
    /// Connections in all, in both loads.
    pub connections: u32,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadResult {
    pub name: String,
    pub portal: Figures,
    pub baseline: Figures,
    pub portal_rss_mib: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Execution {
    pub evaluated_users: u64,
    pub planned: i64,
    pub moved: i64,
    pub refused: i64,
    pub plan_seconds: f64,
    pub apply_seconds: f64,
    pub moves_per_second: f64,
    pub status: String,
    /// The users page while it ran (every chunk merged: worst p99), paced.
    pub concurrent: Figures,
    pub concurrent_chunks: usize,
    /// The same paced load before the execution started.
    pub idle: Figures,
    /// The pace: connections, each waiting this long before each request.
    pub pace_connections: u32,
    pub pace_ms: u32,
}

/// The users-page load beside an execution: a few admins at work, not as many
/// requests as the server can take (that would only measure how the two
/// cores are shared between the load and the execution).
const PACE_CONNECTIONS: u32 = 4;
const PACE_MS: u32 = 25;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Cmd::Baseline {
                database_url,
                realm,
                port,
            } => baseline::serve(&database_url, &realm, port).await,
            // Ctrl-C or a stop ends the run through its drops: every child
            // (portal, baseline, dev IdP) is killed, the database removed.
            Cmd::Run(args) => tokio::select! {
                r = run(args) => r,
                _ = stopped() => Err("stopped".into()),
            },
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn stopped() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {},
                _ = term.recv() => {},
            }
        }
        _ => std::future::pending::<()>().await,
    }
}

fn step(what: &str) {
    eprintln!("==> {what}");
}

async fn run(args: RunArgs) -> Result<(), String> {
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let bin = root.join("target/release/server");
    if !bin.exists() {
        return Err("target/release/server is missing: run `cargo leptos build --release`".into());
    }
    let site_root = root.join("target/site");
    let mut results = report::Results::new(&args.mode, &site_root, &args.criterion)?;
    // One portal port for the run: the dev IdP only sends users back there.
    let portal_port = procs::free_port()?;
    let idp_port = procs::free_port()?;
    let idp = procs::dev_idp(&root, idp_port, &format!("http://127.0.0.1:{portal_port}")).await?;
    for engine in args
        .engines
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        step(&format!("{engine}: {} users", args.users));
        let db = Database::fresh(engine, &root, args.postgres_url.as_deref()).await?;
        let measured = measure(&args, &root, &bin, &site_root, &idp.base, portal_port, &db).await;
        db.drop().await;
        results.engines.push(measured?);
    }
    idp.stop().await;
    results.write(&args.out)?;
    step(&format!(
        "wrote {} and {}",
        args.out.join("REPORT.md").display(),
        args.out.join("results.json").display()
    ));
    Ok(())
}

/// A fresh database for one engine, removed afterwards.
struct Database {
    engine: String,
    url: String,
    admin_url: Option<String>,
    name: String,
    file: Option<PathBuf>,
}

impl Database {
    async fn fresh(engine: &str, root: &Path, postgres: Option<&str>) -> Result<Self, String> {
        let name = format!("portal_bench_{}", std::process::id());
        match engine {
            "sqlite" => {
                let dir = root.join("target/bench");
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                let file = dir.join(format!("{name}.db"));
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                }
                Ok(Self {
                    engine: engine.into(),
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                    admin_url: None,
                    name,
                    file: Some(file),
                })
            }
            "postgres" => {
                let admin = postgres.ok_or("postgres: set PORTAL_BENCH_POSTGRES_URL")?;
                sqlx::any::install_default_drivers();
                let pool = sqlx::AnyPool::connect(admin)
                    .await
                    .map_err(|e| format!("postgres: {e}"))?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&pool)
                    .await
                    .map_err(|e| format!("postgres: {e}"))?;
                pool.close().await;
                let mut url = url::Url::parse(admin).map_err(|e| e.to_string())?;
                url.set_path(&format!("/{name}"));
                Ok(Self {
                    engine: engine.into(),
                    url: url.to_string(),
                    admin_url: Some(admin.to_string()),
                    name,
                    file: None,
                })
            }
            other => Err(format!("unknown engine {other} (sqlite, postgres)")),
        }
    }

    async fn drop(self) {
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
        if let Some(admin) = &self.admin_url {
            if let Ok(pool) = sqlx::AnyPool::connect(admin).await {
                let _ = sqlx::query(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .execute(&pool)
                .await;
                pool.close().await;
            }
        }
    }
}

fn system(permission: Permission, target: Target) -> Result<authz::Grant, String> {
    authz::check(&Principal::system(), permission, &target).map_err(|e| e.to_string())
}

/// The system principal's grant to change the admin model.
fn iam() -> Result<authz::Grant, String> {
    authz::check_iam_change(&Principal::system()).map_err(|e| e.to_string())
}

/// The measured partner admin: Nina (an org IdP account of the dev IdP) as
/// the Partner Admin of one seeded realm ("Partner 001").
const ADMIN: &str = "nina.new@initech.test";
const ORG_ADMIN: &str = "olivia.owner@hostco.test";
const PASSWORD: &str = "demo-password";

/// What the loads need from the seeded directory.
struct Fixture {
    realm: app::model::Realm,
    realm_users: u64,
    deep_cursor: String,
    detail_id: String,
    search_term: String,
    portal_targets: PathBuf,
    baseline_targets: PathBuf,
}

async fn fixture(
    store: &Store,
    url: &str,
    root: &Path,
    tag: &str,
    edits: u32,
) -> Result<Fixture, String> {
    let err = |e: app::store::StoreError| e.to_string();
    let org = app::store::setup::bootstrap(store, "http://127.0.0.1")
        .await
        .map_err(err)?;
    let realm = store
        .realm_by_name("Partner 001")
        .await
        .map_err(err)?
        .ok_or("the seed made no realm Partner 001")?;
    let default = store
        .realm_by_name("Default")
        .await
        .map_err(err)?
        .ok_or("no Default realm")?;
    let admin = store
        .create_user(
            &system(
                Permission::UsersCreate,
                Target::NewUserIn {
                    realm_id: default.id.clone(),
                },
            )?,
            NewUser {
                realm_id: default.id.clone(),
                profile: BaseProfile {
                    login: ADMIN.into(),
                    email: ADMIN.into(),
                    first_name: "Nina".into(),
                    last_name: "New".into(),
                    ..BaseProfile::default()
                },
                custom_profile: serde_json::Map::new(),
                activate: true,
                profile_source_id: None,
            },
        )
        .await
        .map_err(err)?;
    let set = store
        .create_resource_set(
            &iam()?,
            "Partner 001 admins",
            "",
            &[org.orn_realm(&realm.id), org.orn_realm_users(&realm.id)],
        )
        .await
        .map_err(err)?;
    store
        .add_binding_members(
            &iam()?,
            &set,
            &org.partner_admin_role,
            &[Member::User(admin.id)],
        )
        .await
        .map_err(err)?;
    // Walk the realm in name order: the middle user's cursor is the deep page,
    // and the first users (with their versions) are the edit targets.
    let all = authz::scope(&Principal::system(), Permission::UsersRead);
    let filter = UserFilter {
        realm: Some(realm.id.clone()),
        ..UserFilter::default()
    };
    let mut users = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list_users(&all, &filter, UserSort::Name, after.as_deref(), 200)
            .await
            .map_err(err)?;
        users.extend(page.items);
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    if users.len() < 100 {
        return Err(format!("Partner 001 has only {} users", users.len()));
    }
    let middle = &users[users.len() / 2];
    let searched = &users[users.len() / 3];
    let search_term = searched
        .profile
        .login
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string();
    let dir = root.join("target/bench");
    let write = |name: &str, targets: &[(String, i64)]| -> Result<PathBuf, String> {
        let path = dir.join(format!("{tag}-{name}.txt"));
        let text: String = targets
            .iter()
            .map(|(id, version)| format!("{id} {version}\n"))
            .collect();
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        Ok(path)
    };
    // The portal edits the admin's own realm; the baseline (no authorization)
    // other users, so that no edit meets a version the other one changed.
    sqlx::any::install_default_drivers();
    let others: Vec<(String, i64)> =
        sqlx::query_as("SELECT id, version FROM users WHERE realm_id <> $1 ORDER BY id LIMIT $2")
            .bind(realm.id.as_str())
            .bind(i64::from(edits))
            .fetch_all(
                &sqlx::AnyPool::connect(url)
                    .await
                    .map_err(|e| e.to_string())?,
            )
            .await
            .map_err(|e| e.to_string())?;
    let detail = users[users.len() / 4].id.to_string();
    let mine: Vec<(String, i64)> = users
        .iter()
        .filter(|u| u.id.as_str() != detail)
        .take(edits as usize)
        .map(|u| (u.id.to_string(), u.version))
        .collect();
    Ok(Fixture {
        realm_users: users.len() as u64,
        deep_cursor: name_cursor(middle),
        detail_id: detail,
        search_term,
        portal_targets: write("portal-edits", &mine)?,
        baseline_targets: write("baseline-edits", &others)?,
        realm,
    })
}

async fn measure(
    args: &RunArgs,
    root: &Path,
    bin: &Path,
    site_root: &Path,
    idp_base: &str,
    port: u16,
    db: &Database,
) -> Result<EngineResult, String> {
    let env = procs::PortalEnv {
        bin: bin.to_path_buf(),
        site_root: site_root.to_path_buf(),
        database_url: db.url.clone(),
        idp_base: idp_base.to_string(),
        port,
    };
    let mut out = EngineResult {
        engine: db.engine.clone(),
        users: args.users,
        ..EngineResult::default()
    };
    env.run(&["migrate"]).await?;
    env.run(&["seed", "--demo", "--dev-idp", idp_base]).await?;
    step(&format!("{}: seeding {} users", db.engine, args.users));
    let users = args.users.to_string();
    out.seed_seconds = env.run(&["seed", "--users", &users]).await?.as_secs_f64();
    eprintln!("    seeded in {:.1} s", out.seed_seconds);

    let store = Store::connect(&db.url, &StoreOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let edits = args.edits;
    let fx = fixture(&store, &db.url, root, &db.engine, edits).await?;
    out.admin_realm_users = fx.realm_users;
    out.search_term = fx.search_term.clone();

    step(&format!(
        "{}: starting the portal and the baseline",
        db.engine
    ));
    let (portal, cold) = env.serve().await?;
    out.cold_start_ms = cold.as_secs_f64() * 1000.0;
    tokio::time::sleep(Duration::from_secs(2)).await;
    out.idle_rss_mib = portal.rss_mib().0;
    let cookie = procs::sign_in(&env.base(), ADMIN, PASSWORD).await?;
    out.session_bytes = session_bytes(&db.url).await?;

    let baseline_port = procs::free_port()?;
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = tokio::process::Command::new(me);
    cmd.args([
        "baseline",
        "--database-url",
        &db.url,
        "--realm",
        fx.realm.id.as_str(),
        "--port",
        &baseline_port.to_string(),
    ])
    .stdout(std::process::Stdio::null())
    .kill_on_drop(true);
    let baseline_child = cmd.spawn().map_err(|e| format!("baseline: {e}"))?;
    let baseline = procs::Running {
        child: baseline_child,
        base: format!("http://127.0.0.1:{baseline_port}"),
    };
    procs::wait_ready(
        &format!("{}/readyz", baseline.base),
        Duration::from_secs(30),
    )
    .await?;

    let scripts = root.join("bench/wrk");
    let shape = Shape {
        threads: 2,
        connections: args.connections,
        seconds: args.seconds,
        max_requests: args.max_requests,
    };
    let q = url_encode(&fx.search_term);
    let after = url_encode(&fx.deep_cursor);
    let scenarios = [
        ("users page, first", "/users".to_string()),
        ("users page, deep (cursor)", format!("/users?after={after}")),
        ("users page, search", format!("/users?q={q}")),
        ("user detail", format!("/users/{}", fx.detail_id)),
    ];
    for (name, path) in scenarios {
        step(&format!("{}: {name}", db.engine));
        check_page(&env.base(), &path, &cookie).await?;
        check_page(&baseline.base, &path, "").await?;
        let p = load::get(
            &scripts,
            shape,
            &format!("{}{path}", env.base()),
            Some(&cookie),
        )
        .await?;
        let rss = portal.rss_mib().0;
        let b = load::get(&scripts, shape, &format!("{}{path}", baseline.base), None).await?;
        eprintln!(
            "    portal {:.0} req/s p99 {:.1} ms · baseline {:.0} req/s p99 {:.1} ms",
            p.rps(),
            p.p99_ms(),
            b.rps(),
            b.p99_ms()
        );
        out.loads.push(LoadResult {
            name: name.into(),
            portal: p,
            baseline: b,
            portal_rss_mib: rss,
        });
    }

    step(&format!("{}: profile edits", db.engine));
    check_edit(&env.base(), &cookie, &store, &fx.detail_id).await?;
    let edit_shape = Shape {
        max_requests: edits,
        ..shape
    };
    let p = load::mutate(
        &scripts,
        edit_shape,
        &format!("{}/_fn/users/update_profile", env.base()),
        "/_fn/users/update_profile",
        &fx.portal_targets,
        Some(&cookie),
    )
    .await?;
    let rss = portal.rss_mib().0;
    let b = load::mutate(
        &scripts,
        edit_shape,
        &baseline.base,
        "/users/{id}/profile",
        &fx.baseline_targets,
        None,
    )
    .await?;
    eprintln!(
        "    portal {:.0} edits/s p99 {:.1} ms ({} errors) · baseline {:.0}/s p99 {:.1} ms",
        p.rps(),
        p.p99_ms(),
        p.errors(),
        b.rps(),
        b.p99_ms()
    );
    out.mutation = Some(LoadResult {
        name: "profile edit (+ audit event)".into(),
        portal: p,
        baseline: b,
        portal_rss_mib: rss,
    });
    baseline.stop().await;

    step(&format!(
        "{}: realm-assignment execution under load",
        db.engine
    ));
    let execution = execute_under_load(args, &env, &store, &scripts, shape, &cookie).await?;
    out.execution = Some(execution);
    out.peak_rss_mib = portal.rss_mib().1;
    if db.engine == "postgres" {
        step("postgres: the users page through one instance, then two");
        out.instances = Some(two_instances(&env, &scripts, shape, &cookie).await?);
    }
    portal.stop().await;
    store.close().await;
    Ok(out)
}

/// The users page through one instance, then through two instances on the
/// same database (a second process on another port; the session, kept in the
/// database, signs in at both), each taking half the connections — as a
/// load balancer would spread them.
async fn two_instances(
    env: &procs::PortalEnv,
    scripts: &Path,
    shape: Shape,
    cookie: &str,
) -> Result<Instances, String> {
    let second = procs::PortalEnv {
        port: procs::free_port()?,
        ..env.clone()
    };
    let (other, _) = second.serve().await?;
    check_page(&second.base(), "/users", cookie).await?;
    let one = load::get(
        scripts,
        shape,
        &format!("{}/users", env.base()),
        Some(cookie),
    )
    .await?;
    let half = Shape {
        connections: (shape.connections / 2).max(1),
        max_requests: shape.max_requests / 2,
        ..shape
    };
    let (first_url, second_url) = (
        format!("{}/users", env.base()),
        format!("{}/users", second.base()),
    );
    let (a, b) = tokio::join!(
        load::get(scripts, half, &first_url, Some(cookie)),
        load::get(scripts, half, &second_url, Some(cookie)),
    );
    other.stop().await;
    let two = a?.merged(&b?);
    eprintln!(
        "    one instance {:.0} req/s p99 {:.1} ms · two instances {:.0} req/s p99 {:.1} ms",
        one.rps(),
        one.p99_ms(),
        two.rps(),
        two.p99_ms()
    );
    Ok(Instances {
        one,
        two,
        connections: shape.connections,
    })
}

/// The page answers 200 with rows for the signed-in admin (a load of error
/// pages would measure nothing).
async fn check_page(base: &str, path: &str, cookie: &str) -> Result<(), String> {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .header("cookie", cookie)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() || !body.contains("partner001.example") {
        return Err(format!(
            "{path} answered {status} without the realm's users"
        ));
    }
    Ok(())
}

/// One edit as the load makes them answers 200 (a load of refusals would
/// measure nothing).
async fn check_edit(base: &str, cookie: &str, store: &Store, id: &str) -> Result<(), String> {
    let uid = app::ids::UserId::parse(id).map_err(|e| e.to_string())?;
    let user = store
        .system_user_by_id(&uid)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the detail user is gone")?;
    let r = reqwest::Client::new()
        .post(format!("{base}/_fn/users/update_profile"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "id={id}&version={}&profile%5BfirstName%5D=Checked",
            user.version
        ))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("a profile edit answered {status}: {body}"));
    }
    Ok(())
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Stored bytes per signed-in session: the session record and its index row.
async fn session_bytes(url: &str) -> Result<u64, String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url)
        .await
        .map_err(|e| e.to_string())?;
    let record: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(max(length(id) + length(data) + length(expiry_date)) AS BIGINT) FROM tower_sessions",
    )
    .fetch_one(&pool)
    .await
    .map_err(|e| format!("session size: {e}"))?;
    let index: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(max(length(session_id) + length(user_id) + length(created) + length(last_seen) \
         + length(expires_at) + coalesce(length(ip), 0) + coalesce(length(user_agent), 0)) AS BIGINT) FROM user_sessions",
    )
    .fetch_one(&pool)
    .await
    .map_err(|e| format!("session index size: {e}"))?;
    pool.close().await;
    Ok((record.unwrap_or(0) + index.unwrap_or(0)).max(0) as u64)
}

/// A server function call as the browser makes it; its JSON answer.
async fn call(
    base: &str,
    cookie: &str,
    endpoint: &str,
    body: String,
) -> Result<serde_json::Value, String> {
    let r = reqwest::Client::new()
        .post(format!("{base}/_fn/{endpoint}"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("{endpoint}: {e}"))?;
    let status = r.status();
    let text = r.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{endpoint}: {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{endpoint}: {e}: {text}"))
}

/// An org admin moves the users of `move_realms` partner realms with a rule:
/// plan (every user evaluated), then execute in batches while the partner
/// admin's users page is under load.
async fn execute_under_load(
    args: &RunArgs,
    env: &procs::PortalEnv,
    store: &Store,
    scripts: &Path,
    shape: Shape,
    cookie: &str,
) -> Result<Execution, String> {
    let base = env.base();
    let olivia = procs::sign_in(&base, ORG_ADMIN, PASSWORD).await?;
    call(
        &base,
        &olivia,
        "admin/realms/create",
        "name=Bench+moved&domains=".into(),
    )
    .await?;
    let target = store
        .realm_by_name("Bench moved")
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the realm was not created")?;
    let expression = (2..2 + args.move_realms)
        .map(|i| format!("user.profile.email.endsWith(\"@partner{i:03}.example\")"))
        .collect::<Vec<_>>()
        .join(" || ");
    call(
        &base,
        &olivia,
        "admin/rules/save",
        format!(
            "name=Bench+move&expression={}&target_realm_id={}",
            url_encode(&expression),
            target.id
        ),
    )
    .await?;
    let rule = store
        .list_rules(&authz::scope(&Principal::system(), Permission::RealmsRead))
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|r| r.name == "Bench move")
        .ok_or("the rule was not saved")?;
    call(
        &base,
        &olivia,
        "admin/rules/change",
        format!("id={}&op=activate", rule.id),
    )
    .await?;
    let started = Instant::now();
    let op = call(
        &base,
        &olivia,
        "admin/rules/plan",
        format!("id={}", rule.id),
    )
    .await?;
    let plan_seconds = started.elapsed().as_secs_f64();
    let op = op.as_str().ok_or("plan: no operation id")?.to_string();
    let view = call(&base, &olivia, "admin/operations/get", format!("id={op}")).await?;
    let planned = view["operation"]["num_planned"].as_i64().unwrap_or(0);
    let refused = view["operation"]["num_refused"].as_i64().unwrap_or(0);
    eprintln!("    planned {planned} moves in {plan_seconds:.1} s");
    let chunk = Shape {
        seconds: 3,
        connections: PACE_CONNECTIONS,
        ..shape
    };
    let users = format!("{base}/users");
    let idle = load::get_paced(scripts, chunk, &users, Some(cookie), PACE_MS).await?;
    call(
        &base,
        &olivia,
        "admin/operations/execute",
        format!("id={op}"),
    )
    .await?;
    let started = Instant::now();
    let mut merged = Figures::default();
    let mut chunks = 0usize;
    let status = loop {
        let f = load::get_paced(scripts, chunk, &users, Some(cookie), PACE_MS).await?;
        chunks += 1;
        merged.requests += f.requests;
        merged.duration_us += f.duration_us;
        merged.bytes += f.bytes;
        merged.p50_us = merged.p50_us.max(f.p50_us);
        merged.p90_us = merged.p90_us.max(f.p90_us);
        merged.p99_us = merged.p99_us.max(f.p99_us);
        merged.max_us = merged.max_us.max(f.max_us);
        merged.errors_status += f.errors_status;
        merged.errors_timeout += f.errors_timeout;
        let view = call(&base, &olivia, "admin/operations/get", format!("id={op}")).await?;
        let status = view["operation"]["status"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if matches!(status.as_str(), "COMPLETED" | "FAILED" | "CANCELED") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(900) {
            break format!("{status} (gave up after 15 minutes)");
        }
    };
    // The load ends on a chunk boundary: time the execution by its own stamps.
    let view = call(&base, &olivia, "admin/operations/get", format!("id={op}")).await?;
    let stamp = |k: &str| {
        view["operation"][k].as_str().and_then(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        })
    };
    let apply_seconds = match (stamp("started"), stamp("completed")) {
        (Some(a), Some(b)) => (b - a).as_seconds_f64(),
        _ => started.elapsed().as_secs_f64(),
    };
    let moved = view["operation"]["num_moved"].as_i64().unwrap_or(0);
    eprintln!(
        "    {status}: {moved} of {planned} moved in {apply_seconds:.1} s; users page p99 {:.1} ms",
        merged.p99_ms()
    );
    Ok(Execution {
        evaluated_users: store.count_users().await.map_err(|e| e.to_string())? as u64,
        planned,
        moved,
        refused,
        plan_seconds,
        apply_seconds,
        moves_per_second: if apply_seconds > 0.0 {
            moved as f64 / apply_seconds
        } else {
            0.0
        },
        status,
        concurrent: merged,
        concurrent_chunks: chunks,
        idle,
        pace_connections: PACE_CONNECTIONS,
        pace_ms: PACE_MS,
    })
}

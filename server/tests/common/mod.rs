//! The real server binary over loopback, on a fresh SQLite database in a
//! temporary directory, for the black-box tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub base: String,
    pub database_url: String,
    dir: tempfile::TempDir,
    /// How the server was started (for `restart`).
    envs: Vec<(std::ffi::OsString, std::ffi::OsString)>,
}

impl Server {
    /// The SQL statements the server has run so far (with `log_statements`),
    /// one summary each. Pragmas are left out: they set up a new pool
    /// connection or checkpoint the WAL in the background, for no request.
    pub fn statements(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("portal.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split("summary=\"").nth(1))
            .filter_map(|l| l.split('"').next())
            .filter(|s| !s.starts_with("PRAGMA "))
            .map(str::to_string)
            .collect()
    }
}

impl Server {
    /// Runs a CLI command of the portal (`audit verify`, …) on this server's
    /// database, with its configuration.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        command(self.dir.path(), 0, &self.database_url, &Options::default())
            .args(args)
            .output()
            .unwrap()
    }

    /// What the server logged (warnings and errors), for a failing test.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Ends the server as `kill -9` would: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on its database and port (after `kill`).
    pub async fn restart(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
        cmd.current_dir(self.dir.path())
            .env_clear()
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.child = cmd.spawn().unwrap();
        wait_ready(&self.base).await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What a test may change of the server's settings.
pub struct Options<'a> {
    pub org_idp_issuer: &'a str,
    pub signin_per_minute: &'a str,
    pub mutations_per_minute: &'a str,
    pub reads_per_minute: &'a str,
    /// The public URL, when it is not the listening address (e.g. https
    /// behind a proxy).
    pub public_url: Option<&'a str>,
    /// `Secure` cookies with the `__Host-` prefix (as in production).
    pub secure_cookies: bool,
    /// `server seed --demo`, its partner IdPs at this base URL (`/acme`, `/globex`).
    pub demo_with_idp_base: Option<&'a str>,
    /// Then `server seed --users N` (a generated directory, for timings).
    pub seed_users: Option<u64>,
    /// The server logs each SQL statement to `portal.log` in its directory.
    pub log_statements: bool,
    /// Management API requests per token per minute.
    pub api_per_token_per_minute: &'a str,
    /// Another database than a fresh SQLite file (e.g. a PostgreSQL
    /// database several servers share).
    pub database_url: Option<&'a str>,
    /// More settings, as environment variables.
    pub env: &'a [(&'a str, &'a str)],
}

impl Default for Options<'_> {
    fn default() -> Self {
        Self {
            org_idp_issuer: "http://127.0.0.1:9/org",
            signin_per_minute: "30",
            mutations_per_minute: "300",
            reads_per_minute: "100000",
            public_url: None,
            secure_cookies: false,
            demo_with_idp_base: None,
            seed_users: None,
            log_statements: false,
            api_per_token_per_minute: "600",
            database_url: None,
            env: &[],
        }
    }
}

fn command(dir: &std::path::Path, port: u16, database_url: &str, o: &Options) -> Command {
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LEPTOS_OUTPUT_NAME", "partner-portal")
        .env("LEPTOS_SITE_ROOT", dir)
        .env("PORTAL_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("PORTAL_PUBLIC_URL", o.public_url.unwrap_or(&base))
        .env("PORTAL_DATABASE_URL", database_url)
        .env("PORTAL_ORG_IDP_ISSUER", o.org_idp_issuer)
        .env("PORTAL_ORG_IDP_CLIENT_ID", "portal")
        .env("PORTAL_ORG_IDP_CLIENT_SECRET", "very-secret-value")
        .env(
            "PORTAL_SESSION_SECRET",
            "a-session-secret-of-at-least-32-characters",
        )
        .env(
            "PORTAL_SECURE_COOKIES",
            if o.secure_cookies { "true" } else { "false" },
        )
        .env("PORTAL_SECRETS_KEY", "a-secrets-key-for-tests")
        // Provisioning deliveries take milliseconds here: an abandoned one
        // (a killed server) is taken over after 3 seconds.
        .env("PORTAL_PROVISIONING_LEASE_SECONDS", "3")
        // Likewise a running realm-assignment operation or CSV import.
        .env("PORTAL_JOB_LEASE_SECONDS", "3")
        .env("PORTAL_DEV_ALLOW_LOOPBACK_IDPS", "true")
        .env("PORTAL_RATE_LIMIT_READS_PER_MINUTE", o.reads_per_minute)
        .env("PORTAL_RATE_LIMIT_SIGNIN_PER_MINUTE", o.signin_per_minute)
        .env(
            "PORTAL_RATE_LIMIT_MUTATIONS_PER_MINUTE",
            o.mutations_per_minute,
        )
        .env(
            "PORTAL_API_RATE_LIMIT_PER_TOKEN_PER_MINUTE",
            o.api_per_token_per_minute,
        );
    for (k, v) in o.env {
        cmd.env(k, v);
    }
    cmd
}

pub async fn start(o: Options<'_>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let database_url = match o.database_url {
        Some(url) => url.to_string(),
        None => format!("sqlite://{}/p.db?mode=rwc", dir.path().display()),
    };
    if let Some(idp_base) = o.demo_with_idp_base {
        let out = command(dir.path(), port, &database_url, &o)
            .args(["seed", "--demo", "--dev-idp", idp_base])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "seed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if let Some(n) = o.seed_users {
        let out = command(dir.path(), port, &database_url, &o)
            .args(["seed", "--users", &n.to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "seed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut cmd = command(dir.path(), port, &database_url, &o);
    if o.log_statements {
        let log = std::fs::File::create(dir.path().join("portal.log")).unwrap();
        cmd.env("RUST_LOG", "warn,sqlx::query=trace")
            .stdout(log.try_clone().unwrap())
            .stderr(log);
    } else {
        // Warnings and errors only: what a failing test shows (`Server::log`).
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        cmd.env("RUST_LOG", "warn")
            .stdout(log.try_clone().unwrap())
            .stderr(log);
    }
    let envs = cmd
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let child = cmd.spawn().unwrap();
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        database_url,
        dir,
        envs,
    };
    wait_ready(&server.base).await;
    server
}

async fn wait_ready(base: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(Instant::now() < deadline, "the server did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
pub mod api;
pub mod oidc;
pub mod scim;

/// The system principal's grant to change the admin model: for setting up.
pub fn iam() -> app::authz::Grant {
    app::authz::check_iam_change(&app::authz::Principal::system())
        .expect("the system may change the admin model")
}

//! The processes a run drives: the dev identity provider, the portal's release
//! build, the baseline — each stopped when its handle is dropped — and what
//! is read from them: readiness, resident memory, a signed-in session.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// A child process killed when dropped (a failed run leaves nothing behind).
pub struct Running {
    pub child: Child,
    pub base: String,
}

impl Running {
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Resident memory now and at its peak, in MiB (Linux `/proc`).
    pub fn rss_mib(&self) -> (f64, f64) {
        let Some(pid) = self.pid() else {
            return (0.0, 0.0);
        };
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let kib = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0)
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// A free TCP port on loopback.
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Waits until `url` answers 2xx; the time it took.
pub async fn wait_ready(url: &str, within: Duration) -> Result<Duration, String> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(url).send().await {
            if r.status().is_success() {
                return Ok(started.elapsed());
            }
        }
        if started.elapsed() > within {
            return Err(format!("{url} did not answer within {within:?}"));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn spawn(mut cmd: Command, base: String, what: &str) -> Result<Running, String> {
    spawn_logging(cmd.stdout(Stdio::null()).stderr(Stdio::null()), base, what)
}

fn spawn_logging(cmd: &mut Command, base: String, what: &str) -> Result<Running, String> {
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    Ok(Running { child, base })
}

/// The dev identity provider (`end2end/dev-idp/server.mjs`) on `port`, for a
/// portal at `portal`.
pub async fn dev_idp(root: &Path, port: u16, portal: &str) -> Result<Running, String> {
    let mut cmd = Command::new("node");
    cmd.arg(root.join("end2end/dev-idp/server.mjs"))
        .env("DEV_IDP_PORT", port.to_string())
        .env("PORTAL_URL", portal)
        .current_dir(root.join("end2end"));
    let base = format!("http://127.0.0.1:{port}");
    let idp = spawn(cmd, base.clone(), "the dev IdP (node)")?;
    wait_ready(
        &format!("{base}/org/.well-known/openid-configuration"),
        Duration::from_secs(30),
    )
    .await?;
    Ok(idp)
}

/// What the portal is started with.
#[derive(Clone)]
pub struct PortalEnv {
    pub bin: std::path::PathBuf,
    pub site_root: std::path::PathBuf,
    pub database_url: String,
    pub idp_base: String,
    pub port: u16,
}

impl PortalEnv {
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.env("LEPTOS_OUTPUT_NAME", "partner-portal")
            .env("LEPTOS_SITE_ROOT", &self.site_root)
            .env("LEPTOS_SITE_PKG_DIR", "pkg")
            .env("PORTAL_LISTEN_ADDR", format!("127.0.0.1:{}", self.port))
            .env("PORTAL_PUBLIC_URL", self.base())
            .env("PORTAL_DATABASE_URL", &self.database_url)
            .env("PORTAL_ORG_IDP_ISSUER", format!("{}/org", self.idp_base))
            .env("PORTAL_ORG_IDP_CLIENT_ID", "partner-portal")
            .env("PORTAL_ORG_IDP_CLIENT_SECRET", "dev-secret-org")
            .env("PORTAL_SECURE_COOKIES", "false")
            .env(
                "PORTAL_SESSION_SECRET",
                "bench-session-secret-bench-session-secret-bench-session-secret-0123",
            )
            .env("PORTAL_SECRETS_KEY", "bench-secrets-key-bench-secrets-key")
            // The harness is one client hammering on purpose: the limiters
            // (proven in server/tests/hardening.rs) would measure themselves.
            .env("PORTAL_RATE_LIMIT_SIGNIN_PER_MINUTE", "100000")
            .env("PORTAL_RATE_LIMIT_MUTATIONS_PER_MINUTE", "10000000")
            .env("PORTAL_RATE_LIMIT_READS_PER_MINUTE", "100000000")
            .env("PORTAL_DEV_ALLOW_LOOPBACK_IDPS", "true")
            .env("RUST_LOG", portal_log().unwrap_or_else(|| "warn".into()));
        cmd
    }

    /// Runs one CLI command of the portal (`migrate`, `seed …`) to the end.
    pub async fn run(&self, args: &[&str]) -> Result<Duration, String> {
        let started = Instant::now();
        let out = self
            .command()
            .args(args)
            .output()
            .await
            .map_err(|e| format!("server {args:?}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "server {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(started.elapsed())
    }

    /// Starts `serve`; the time from spawn to `/readyz` answering.
    pub async fn serve(&self) -> Result<(Running, Duration), String> {
        let mut cmd = self.command();
        cmd.arg("serve");
        // PORTAL_BENCH_PORTAL_LOG=<filter>: the portal logs at that level
        // (`sqlx::query=trace` shows each statement) to target/bench/portal.log.
        let (out, err) = match portal_log() {
            Some(_) => {
                let file = std::fs::File::create(self.site_root.join("../bench/portal.log"))
                    .map_err(|e| format!("portal log: {e}"))?;
                let copy = file.try_clone().map_err(|e| format!("portal log: {e}"))?;
                (Stdio::from(file), Stdio::from(copy))
            }
            None => (Stdio::null(), Stdio::null()),
        };
        let started = Instant::now();
        let portal = spawn_logging(cmd.stdout(out).stderr(err), self.base(), "the portal")?;
        wait_ready(&format!("{}/readyz", self.base()), Duration::from_secs(60)).await?;
        Ok((portal, started.elapsed()))
    }
}

fn portal_log() -> Option<String> {
    std::env::var("PORTAL_BENCH_PORTAL_LOG").ok()
}

/// Cookies by name, as a browser holding both the portal's and the IdP's
/// (both are on 127.0.0.1; a cookie's host ignores the port).
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn take(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all(reqwest::header::SET_COOKIE) {
            let Ok(v) = v.to_str() else { continue };
            if let Some((name, value)) = v.split(';').next().and_then(|p| p.split_once('=')) {
                if value.is_empty() {
                    self.0.remove(name.trim());
                } else {
                    self.0.insert(name.trim().to_string(), value.to_string());
                }
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Signs `email` in the way a browser does — the portal's identifier-first
/// page, the dev IdP's form, the callback — and returns the session cookie.
pub async fn sign_in(portal: &str, email: &str, password: &str) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let mut jar = Jar::default();
    let mut url =
        reqwest::Url::parse(&format!("{portal}/auth/login")).map_err(|e| e.to_string())?;
    url.query_pairs_mut().append_pair("login_hint", email);
    let mut posted = false;
    for _ in 0..20 {
        let mut r = client
            .get(url.clone())
            .header("cookie", jar.header())
            .send()
            .await
            .map_err(|e| format!("sign-in: {e}"))?;
        jar.take(&r);
        if std::env::var_os("PORTAL_BENCH_DEBUG").is_some() {
            eprintln!("sign-in: GET {url} → {}", r.status());
        }
        if r.status() == reqwest::StatusCode::OK && !posted {
            // The IdP's sign-in form: post it as the page would.
            let page = r.text().await.map_err(|e| e.to_string())?;
            let action = page
                .split("action=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .ok_or_else(|| format!("sign-in: no form on {url}"))?;
            let target = url.join(action).map_err(|e| e.to_string())?;
            r = client
                .post(target)
                .header("cookie", jar.header())
                .form(&[("email", email), ("password", password)])
                .send()
                .await
                .map_err(|e| format!("sign-in form: {e}"))?;
            jar.take(&r);
            posted = true;
        }
        if !r.status().is_redirection() {
            break;
        }
        let location = r
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or("sign-in: a redirect without Location")?;
        url = url.join(location).map_err(|e| e.to_string())?;
        if url.as_str().starts_with(portal) && url.path() == "/" {
            break;
        }
    }
    jar.0
        .get("portal_session")
        .map(|v| format!("portal_session={v}"))
        .ok_or_else(|| format!("{email} did not get a session"))
}

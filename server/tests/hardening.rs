//! Request hardening, against the real server binary over loopback: security
//! headers and the page CSP nonce, cross-site refusal of state-changing
//! requests, and the sign-in rate limit's 429 in Okta's shape.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(signin_per_minute: &str) -> Server {
    start_with(signin_per_minute, "300").await
}

async fn start_with(signin_per_minute: &str, mutations_per_minute: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LEPTOS_OUTPUT_NAME", "partner-portal")
        .env("LEPTOS_SITE_ROOT", dir.path())
        .env("PORTAL_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("PORTAL_PUBLIC_URL", &base)
        .env(
            "PORTAL_DATABASE_URL",
            format!("sqlite://{}/p.db?mode=rwc", dir.path().display()),
        )
        .env("PORTAL_ORG_IDP_ISSUER", "http://127.0.0.1:9/org")
        .env("PORTAL_ORG_IDP_CLIENT_ID", "portal")
        .env("PORTAL_ORG_IDP_CLIENT_SECRET", "very-secret-value")
        .env(
            "PORTAL_SESSION_SECRET",
            "a-session-secret-of-at-least-32-characters",
        )
        .env("PORTAL_SECURE_COOKIES", "false")
        .env("PORTAL_SECRETS_KEY", "a-secrets-key-for-tests")
        .env("PORTAL_RATE_LIMIT_SIGNIN_PER_MINUTE", signin_per_minute)
        .env(
            "PORTAL_RATE_LIMIT_MUTATIONS_PER_MINUTE",
            mutations_per_minute,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        base,
        _dir: dir,
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await {
            if r.status().is_success() {
                return server;
            }
        }
        assert!(Instant::now() < deadline, "the server did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_fresh_csp_nonce_on_their_scripts() {
    let server = start("30").await;
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let r = client()
            .get(format!("{}/login", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let h = r.headers().clone();
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "same-origin");
        let csp = h["content-security-policy"].to_str().unwrap().to_string();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .expect("a nonce")
            .to_string();
        let body = r.text().await.unwrap();
        assert!(
            body.contains(&format!("nonce=\"{nonce}\"")),
            "the hydration script carries the nonce"
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "each response has its own nonce");
    let r = client()
        .get(format!("{}/livez", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
}

#[tokio::test]
async fn cross_site_state_changing_requests_are_refused_before_any_handler() {
    let server = start("30").await;
    let logout = format!("{}/auth/logout", server.base);
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "https://evil.test"),
        ("origin", "null"),
    ] {
        let r = client()
            .post(&logout)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{name}: {value}");
        let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(body["errorCode"], "E0000006", "{name}: {value}");
    }
    // The same request from the portal's own pages goes through (sign-out redirects).
    for (name, value) in [
        ("sec-fetch-site", "same-origin"),
        ("origin", server.base.as_str()),
    ] {
        let r = client()
            .post(&logout)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_redirection(),
            "{name}: {value} → {}",
            r.status()
        );
    }
    // Server functions are guarded the same way.
    let r = client()
        .post(format!("{}/api/session/current_user", server.base))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn sign_in_attempts_beyond_the_limit_get_429_with_okta_rate_limit_headers() {
    let server = start("3").await;
    let login = format!("{}/auth/login", server.base);
    for i in 0..3 {
        let r = client().get(&login).send().await.unwrap();
        assert_ne!(r.status(), 429, "attempt {i} is within the limit");
    }
    let r = client().get(&login).send().await.unwrap();
    assert_eq!(r.status(), 429);
    let h = r.headers().clone();
    assert_eq!(h["x-rate-limit-limit"], "3");
    assert_eq!(h["x-rate-limit-remaining"], "0");
    let reset: i64 = h["x-rate-limit-reset"].to_str().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        reset >= now && reset <= now + 60,
        "reset {reset} is an epoch second within the minute"
    );
    assert!(h.contains_key("retry-after"));
    let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["errorCode"], "E0000047");
    // Other pages are not limited by the sign-in quota.
    let r = client()
        .get(format!("{}/login", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn made_up_session_cookies_do_not_mint_fresh_mutation_quotas() {
    let server = start_with("30", "2").await;
    let url = format!("{}/api/session/current_user", server.base);
    let mut statuses = Vec::new();
    for i in 0..3 {
        let r = client()
            .post(&url)
            .header("sec-fetch-site", "same-origin")
            .header("cookie", format!("portal_session=forged-{i}"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert!(statuses[..2].iter().all(|s| *s != 429), "{statuses:?}");
    assert_eq!(
        statuses[2], 429,
        "unsigned cookies fall back to the client IP's quota: {statuses:?}"
    );
}

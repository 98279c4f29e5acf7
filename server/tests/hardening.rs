//! Request hardening, against the real server binary over loopback: security
//! headers and the page CSP nonce, cross-site refusal of state-changing
//! requests, and the sign-in rate limit's 429 in Okta's shape.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client, Options, Server};

async fn start(signin_per_minute: &str) -> Server {
    start_with(signin_per_minute, "300").await
}

async fn start_with(signin_per_minute: &str, mutations_per_minute: &str) -> Server {
    common::start(Options {
        signin_per_minute,
        mutations_per_minute,
        ..Options::default()
    })
    .await
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
    // Every server function is guarded the same way: the guard's own answer
    // (E0000006), not the handler's (which would be 401 without a session).
    for endpoint in [
        "session/current_user",
        "me/account",
        "users/list",
        "users/get",
        "users/lifecycle",
        "users/create_form",
        "users/create",
        "users/update_profile",
        "users/options",
        "users/bulk",
        "users/groups",
        "users/apps",
        "groups/list",
        "groups/get",
        "groups/membership",
        "apps/list",
        "apps/get",
        "apps/assignment",
        "home/overview",
        "activity/list",
        "realms/list",
        "admin/realms",
        "admin/realms/create",
        "admin/realms/get",
        "admin/realms/update",
        "admin/realms/delete",
        "admin/rules",
        "admin/rules/check",
        "admin/rules/save",
        "admin/rules/change",
        "admin/rules/plan",
        "admin/users/move",
        "admin/operations/get",
        "admin/operations/execute",
        "admin/operations/cancel",
        "admin/wizard/options",
        "admin/wizard/review",
        "admin/wizard/create",
        "admin/explain",
        "admin/explain/permissions",
        "admin/idps",
        "admin/idps/create",
        "admin/directory",
        "admin/groups/create",
        "admin/apps/create",
        "admin/schema/define",
        "admin/iam",
        "admin/roles/create",
        "admin/resource-sets/create",
        "admin/bindings/add",
        "admin/bindings/remove",
        "admin/roles/update",
        "admin/resource-sets/change",
        "admin/groups/update",
        "admin/groups/delete",
        "admin/apps/delete",
        "admin/idps/get",
        "admin/idps/update",
        "admin/idps/status",
        "admin/apps/update",
        "admin/users/move-filtered",
        "admin/roles/delete",
        "admin/resource-sets/delete",
        "admin/standard-roles",
        "admin/standard-roles/grant",
        "admin/standard-roles/revoke",
    ] {
        let r = client()
            .post(format!("{}/_fn/{endpoint}", server.base))
            .header("sec-fetch-site", "cross-site")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("id=00u0000000000000000&op=suspend")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{endpoint}");
        let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(body["errorCode"], "E0000006", "{endpoint}");
    }
}

/// Guessing passwords at the portal's own password page counts against the
/// same per-client sign-in limit.
#[tokio::test]
async fn password_guesses_beyond_the_sign_in_limit_get_429() {
    let server = start("3").await;
    let url = format!("{}/signin/password", server.base);
    let guess = || {
        client()
            .post(&url)
            .form(&[("login", "nobody@hooli.test"), ("password", "a guess")])
            .send()
    };
    for i in 0..3 {
        let r = guess().await.unwrap();
        assert_eq!(r.status(), 401, "guess {i} is within the limit and wrong");
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("The email or password is wrong."));
    }
    let r = guess().await.unwrap();
    assert_eq!(r.status(), 429);
    let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["errorCode"], "E0000047");
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
    let url = format!("{}/_fn/session/current_user", server.base);
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

/// Server functions live under `/_fn/`; `/api/` is left for Okta's REST API.
/// A plain form post to a server function is answered for the browser (a
/// redirect back carrying the sealed refusal); the same post to `/api/v1/…`
/// reaches neither the server functions nor their no-JavaScript handling.
#[tokio::test]
async fn server_functions_live_under_their_own_prefix_not_api() {
    let server = start("100").await;
    let post = |path: &str| {
        client()
            .post(format!("{}{path}", server.base))
            .header("origin", &server.base)
            .header("accept", "text/html")
            .header("referer", format!("{}/users", server.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("id=00u0000000000000000&op=Suspend")
            .send()
    };
    let served = post("/_fn/users/lifecycle").await.unwrap();
    assert!(served.status().is_redirection(), "{}", served.status());
    let location = served.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("__err"), "{location}");
    let r = post("/api/users/lifecycle").await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers().get("location").is_none());
    // `/api/v1` is the Management API: a form post there without a token is
    // its 401, in Okta's shape, never a redirect.
    let r = post("/api/v1/users").await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("location").is_none());
    let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["errorCode"], "E0000011");
}

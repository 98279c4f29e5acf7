//! Bad configuration stops the server with one clear line naming the setting and a
//! non-zero exit code — never a panic or a backtrace.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::process::Command;

fn server(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (out.status.code().unwrap_or(-1), stderr)
}

fn idp() -> Vec<(&'static str, &'static str)> {
    vec![
        ("PORTAL_ORG_IDP_ISSUER", "http://127.0.0.1:9/org"),
        ("PORTAL_ORG_IDP_CLIENT_ID", "portal"),
        ("PORTAL_ORG_IDP_CLIENT_SECRET", "very-secret-value"),
        (
            "PORTAL_SESSION_SECRET",
            "a-session-secret-of-at-least-32-characters",
        ),
        ("PORTAL_SECRETS_KEY", "a-secrets-key-for-tests"),
    ]
}

fn assert_one_clear_line(stderr: &str, needle: &str) {
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "exactly one error line expected:\n{stderr}"
    );
    assert!(
        errors[0].contains(needle),
        "'{needle}' not in: {}",
        errors[0]
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !stderr.contains("very-secret-value"),
        "a secret leaked:\n{stderr}"
    );
}

#[test]
fn an_unparseable_database_url_names_the_setting() {
    let mut env = idp();
    env.push(("PORTAL_DATABASE_URL", "mysql://localhost/x"));
    let (code, stderr) = server(&["serve"], &env);
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "PORTAL_DATABASE_URL");
}

#[test]
fn an_unreachable_database_names_the_setting() {
    let mut env = idp();
    env.push((
        "PORTAL_DATABASE_URL",
        "postgres://postgres:pw@127.0.0.1:1/portal",
    ));
    let (code, stderr) = server(&["serve"], &env);
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "PORTAL_DATABASE_URL");
    assert!(!stderr.contains(":pw@"), "password leaked: {stderr}");
}

#[test]
fn missing_idp_settings_name_the_setting() {
    let (code, stderr) = server(&["serve"], &[]);
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "PORTAL_ORG_IDP_ISSUER");
}

#[test]
fn a_short_session_secret_names_the_setting() {
    let mut env = idp();
    env.retain(|(k, _)| *k != "PORTAL_SESSION_SECRET");
    env.push(("PORTAL_SESSION_SECRET", "short"));
    let (code, stderr) = server(&["serve"], &env);
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "PORTAL_SESSION_SECRET");
}

#[test]
fn a_missing_or_short_secrets_key_names_the_setting() {
    for value in [None, Some("short")] {
        let mut env = idp();
        env.retain(|(k, _)| *k != "PORTAL_SECRETS_KEY");
        if let Some(v) = value {
            env.push(("PORTAL_SECRETS_KEY", v));
        }
        let (code, stderr) = server(&["serve"], &env);
        assert_ne!(code, 0);
        assert_one_clear_line(&stderr, "PORTAL_SECRETS_KEY");
    }
}

#[test]
fn a_port_in_use_names_the_setting() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut env = idp();
    env.push(("PORTAL_LISTEN_ADDR", addr.as_str()));
    let (code, stderr) = server(&["serve"], &env);
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "PORTAL_LISTEN_ADDR");
}

#[test]
fn a_malformed_setting_value_names_the_setting() {
    let mut env = idp();
    env.push(("PORTAL_LISTEN_ADDR", "not-an-address"));
    let (code, stderr) = server(&["serve"], &env);
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "PORTAL_LISTEN_ADDR");
}

#[test]
fn migrate_and_seed_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/p.db?mode=rwc", dir.path().display());
    for args in [
        &["migrate"][..],
        &["seed", "--demo"],
        &["seed", "--demo"],
        &["audit", "verify"],
    ] {
        let (code, stderr) = server(args, &[("PORTAL_DATABASE_URL", url.as_str())]);
        assert_eq!(code, 0, "{args:?}: {stderr}");
    }
}

//! A page render reads each thing once. Leptos walks a `<Suspense>`'s
//! children more than once while it renders on the server, so a page built
//! inside the sign-in gate's suspense is built several times; its read server
//! functions share one result per render (`app::ctx::RequestReads`). Counted
//! from the statements the real server logs, not timed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::client;
use common::oidc::Rig;

/// The statements one GET of `path` runs (after a first, warming GET).
async fn statements_of(rig: &Rig, cookie: &str, path: &str) -> Vec<String> {
    let get = || async {
        let r = client()
            .get(format!("{}{path}", rig.portal.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.text().await.unwrap()
    };
    get().await;
    let before = rig.portal.statements().len();
    let page = get().await;
    assert!(page.contains("</html>"), "{path}: {page}");
    rig.portal.statements()[before..].to_vec()
}

fn count(statements: &[String], prefix: &str) -> usize {
    statements.iter().filter(|s| s.starts_with(prefix)).count()
}

#[tokio::test]
async fn the_users_page_reads_its_rows_and_choices_once() {
    let mut rig = Rig::logging_statements().await;
    let cookie = rig.sign_in("alice.admin@acme.test").await;
    let ran = statements_of(&rig, &cookie, "/users").await;
    // The table's choices: apps and groups are each listed once.
    assert_eq!(count(&ran, "SELECT a.id, a.name, a.label"), 1, "{ran:#?}");
    assert_eq!(
        count(&ran, "SELECT g.id, g.name, g.description"),
        1,
        "{ran:#?}"
    );
    // The session once, the rights in one statement; the whole page in ten.
    assert_eq!(count(&ran, "SELECT data, expiry_date FROM"), 1, "{ran:#?}");
    assert!(ran.len() <= 10, "{} statements: {ran:#?}", ran.len());
}

#[tokio::test]
async fn the_user_page_reads_the_user_once() {
    let mut rig = Rig::logging_statements().await;
    let cookie = rig.sign_in("alice.admin@acme.test").await;
    let dana = rig
        .store
        .system_user_by_login("dana.designer@acme.test")
        .await
        .unwrap()
        .unwrap();
    let ran = statements_of(&rig, &cookie, &format!("/users/{}", dana.id)).await;
    // The caller's rights are read once (the gate's principal is shared), the
    // shown user's rights once (for its lifecycle actions).
    assert_eq!(count(&ran, "SELECT 'S' AS kind"), 2, "{ran:#?}");
    assert!(ran.len() <= 10, "{} statements: {ran:#?}", ran.len());
}

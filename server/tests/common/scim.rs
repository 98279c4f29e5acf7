//! A real SCIM 2.0 service provider as the downstream app: `scim2-server`
//! (PyPI, the python-scim project's reference server, in-memory), installed
//! by `make setup` in `end2end/.venv`. Each test uses its own tenant.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const TOKEN: &str = "scim-test-token";

fn binary() -> String {
    std::env::var("PORTAL_TEST_SCIM_SERVER").unwrap_or_else(|_| {
        format!(
            "{}/../end2end/.venv/bin/scim2-server",
            env!("CARGO_MANIFEST_DIR")
        )
    })
}

pub struct ScimServer {
    child: Option<Child>,
    pub port: u16,
}

impl ScimServer {
    pub async fn start() -> ScimServer {
        ScimServer::start_on(super::free_port()).await
    }

    /// Starts the server on `port` and waits until it answers.
    pub async fn start_on(port: u16) -> ScimServer {
        let bin = binary();
        let child = Command::new(&bin)
            .args([
                "--port",
                &port.to_string(),
                "--dynamic-tenants",
                "--bearer-token",
                TOKEN,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start the SCIM server {bin} ({e}): run `make setup` (it installs scim2-server from PyPI)")
            });
        let server = ScimServer {
            child: Some(child),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let probe = reqwest::Client::new()
                .get(format!("http://127.0.0.1:{port}/probe/Users"))
                .bearer_auth(TOKEN)
                .send()
                .await;
            if probe.is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            assert!(Instant::now() < deadline, "the SCIM server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A tenant of its own (`/name`), as an app's SCIM base URL.
    pub fn tenant(&self, name: &str) -> Tenant {
        Tenant {
            base: format!("http://127.0.0.1:{}/{name}", self.port),
        }
    }

    fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let ok = Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status()
                .unwrap()
                .success();
            assert!(ok, "kill {signal}");
        }
    }

    /// Freezes the server (`SIGSTOP`): connections are accepted by the
    /// kernel and never answered.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ScimServer {
    fn drop(&mut self) {
        self.resume();
        self.stop();
    }
}

pub struct Tenant {
    pub base: String,
}

impl Tenant {
    async fn get(&self, path: &str) -> Value {
        let r = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        serde_json::from_str(&r.text().await.unwrap()).unwrap()
    }

    /// The accounts named `user_name`.
    pub async fn users_named(&self, user_name: &str) -> Vec<Value> {
        let filter = super::api::urlencode(&format!("userName eq \"{user_name}\""));
        self.get(&format!("/Users?filter={filter}")).await["Resources"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub async fn groups_named(&self, name: &str) -> Vec<Value> {
        let filter = super::api::urlencode(&format!("displayName eq \"{name}\""));
        self.get(&format!("/Groups?filter={filter}")).await["Resources"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub async fn all_users(&self) -> Vec<Value> {
        self.get("/Users?count=1000").await["Resources"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Deletes an account directly in the app (as its own admins would).
    pub async fn delete(&self, path: &str) {
        let r = reqwest::Client::new()
            .delete(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);
    }

    /// Creates an account directly in the app (as its own admins would).
    pub async fn create_user(&self, body: Value) -> Value {
        let r = reqwest::Client::new()
            .post(format!("{}/Users", self.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/scim+json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        serde_json::from_str(&r.text().await.unwrap()).unwrap()
    }
}

/// Polls `check` every 100 ms until it holds (30 s at most: deliveries take
/// milliseconds, retries seconds).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `find` every 100 ms until it gives something (30 s at most).
pub async fn poll<T, F, Fut>(what: &str, mut find: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = find().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

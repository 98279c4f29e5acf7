//! The Management API as a client sees it: calls with an API token (made
//! with `server api-token create`, as a script would), answers as status,
//! headers and JSON, and the System Log as stored.

use app::authz::{log_scope, Principal};
use app::model::User;
use app::store::log::LogFilter;
use serde_json::Value;

use super::oidc::Rig;

/// One answer: status, headers, body as JSON (`Null` when empty).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["errorCode"].as_str().unwrap_or("")
    }
}

pub struct Api {
    pub base: String,
    pub token: String,
}

impl Api {
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}/api/v1{path}", self.base)
        };
        let mut request = super::client()
            .request(method.parse().unwrap(), url)
            .header("authorization", format!("SSWS {}", self.token))
            .header("accept", "application/json");
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None).await
    }
}

/// A token acting as `login`, made with the CLI.
pub fn token(rig: &Rig, login: &str, name: &str) -> String {
    let out = rig
        .portal
        .cli(&["api-token", "create", "--admin", login, "--name", name]);
    assert!(
        out.status.success(),
        "api-token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

pub fn api(rig: &Rig, token: &str) -> Api {
    Api {
        base: rig.portal.base.clone(),
        token: token.to_string(),
    }
}

pub async fn user(rig: &Rig, login: &str) -> User {
    rig.store
        .system_user_by_login(login)
        .await
        .unwrap()
        .unwrap()
}

/// The newest events of `event_type`, as stored.
pub async fn events(rig: &Rig, event_type: &str) -> Vec<Value> {
    rig.store
        .list_events(
            &log_scope(&Principal::system()),
            &LogFilter {
                event_type: Some(event_type.into()),
                ..LogFilter::default()
            },
            None,
            50,
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.event)
        .collect()
}

/// `s` for a query string.
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A signed-in admin's server-function calls (the admin console's forms):
/// status and JSON answer.
pub struct Console {
    pub base: String,
    pub cookie: String,
}

impl Console {
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let r = super::client()
            .post(format!("{}/_fn/{endpoint}", self.base))
            .header("cookie", self.cookie.clone())
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

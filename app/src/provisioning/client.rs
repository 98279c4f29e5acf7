//! One HTTP exchange with an app's provisioning endpoint: the credential
//! attached, JSON in and out, and the answer sorted into success, a failure
//! worth retrying (network, 5xx, 429 with its `Retry-After`) and one that is
//! not (any other 4xx, in the target's own words).

use http::{header, Method, StatusCode};
use serde_json::Value;

use super::{AuthScheme, Connection, Failure};
use crate::outbound::{Outbound, REFUSED};

/// The connection's endpoint, ready to send.
pub struct Endpoint<'a> {
    pub http: &'a Outbound,
    pub connection: &'a Connection,
    /// The media type of request bodies (`application/scim+json` for SCIM).
    pub content_type: &'static str,
}

/// A successful answer: status and JSON body (`Null` when empty), and the
/// `Link` header's next page if any.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub next: Option<String>,
}

impl Endpoint<'_> {
    /// `text` without the credential (as sent, and as Basic encodes it).
    fn scrub(&self, text: &str) -> String {
        use base64::Engine as _;
        let secret = &self.connection.secret;
        if secret.is_empty() {
            return text.to_string();
        }
        let user = self
            .connection
            .setup
            .username
            .as_deref()
            .unwrap_or_default();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
        text.replace(&basic, "[redacted]")
            .replace(secret.as_str(), "[redacted]")
    }

    /// `path` is appended to the base URL unless it is already absolute
    /// (a `Link` header's next page).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, Failure> {
        let base = self
            .connection
            .setup
            .base_url
            .as_str()
            .trim_end_matches('/');
        let url = if path.starts_with("https://") || path.starts_with("http://") {
            // A `Link` header's next page: only on the app's own origin, so
            // the credential goes nowhere else.
            let same = url::Url::parse(path)
                .is_ok_and(|u| u.origin() == self.connection.setup.base_url.origin());
            if !same {
                return Err(Failure::permanent(format!(
                    "the app's next page {path} is on another host: not followed"
                )));
            }
            path.to_string()
        } else {
            format!("{base}{path}")
        };
        let auth = match self.connection.setup.auth {
            AuthScheme::Bearer => format!("Bearer {}", self.connection.secret),
            AuthScheme::Ssws => format!("SSWS {}", self.connection.secret),
            AuthScheme::Basic => {
                use base64::Engine as _;
                let user = self
                    .connection
                    .setup
                    .username
                    .as_deref()
                    .unwrap_or_default();
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD
                        .encode(format!("{user}:{}", self.connection.secret))
                )
            }
        };
        let mut builder = http::Request::builder()
            .method(method.clone())
            .uri(&url)
            .header(header::AUTHORIZATION, auth)
            .header(
                header::ACCEPT,
                format!("{}, application/json", self.content_type),
            )
            .header(header::USER_AGENT, "PartnerPortal-Provisioning/1.0");
        let bytes = match body {
            Some(b) => {
                builder = builder.header(header::CONTENT_TYPE, self.content_type);
                serde_json::to_vec(b).map_err(|e| Failure::permanent(e.to_string()))?
            }
            None => Vec::new(),
        };
        let request = builder
            .body(bytes)
            .map_err(|e| Failure::permanent(format!("{url}: {e}")))?;
        let response = self.http.send(request).await.map_err(|e| {
            if e.0.contains(REFUSED) {
                Failure::permanent(e.0)
            } else {
                Failure::transient(format!("{method} {url}: {}", e.0))
            }
        })?;
        let status = response.status();
        let text = String::from_utf8_lossy(response.body()).to_string();
        let json: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text.clone()))
        };
        if status.is_success() {
            let next = response
                .headers()
                .get_all(header::LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .find(|l| l.contains("rel=\"next\""))
                .and_then(|l| Some(l.split_once('<')?.1.split_once('>')?.0.to_string()));
            return Ok(Answer {
                status,
                body: json,
                next,
            });
        }
        let said =
            target_message(&json).unwrap_or_else(|| text.chars().take(200).collect::<String>());
        // An app that echoes the request must not put the credential into
        // logs, the outbox or the System Log.
        let said = self.scrub(&said);
        let message = format!("{method} {path}: {} {}", status.as_u16(), said)
            .trim()
            .to_string();
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let retry_after = response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            return Err(Failure {
                message,
                retryable: true,
                retry_after,
                status: Some(status.as_u16()),
            });
        }
        Err(Failure {
            status: Some(status.as_u16()),
            ..Failure::permanent(message)
        })
    }
}

/// The `id` of what an answer created (a group), or why there is none.
pub fn created_id(answer: &Answer, what: &str) -> Result<String, Failure> {
    answer
        .body
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| Failure::permanent(format!("{what}: the answer has no id")))
}

/// An id as one path segment (percent-encoded: an id from the app or an
/// admin can never reach another endpoint).
pub fn seg(id: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// A string literal in a SCIM filter or an Okta search expression.
pub fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `path?key=value`, the value form-encoded.
pub fn with_query(path: &str, key: &str, value: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair(key, value);
    format!("{path}?{}", q.finish())
}

/// An account as the app answers it: its id, its login at `login`, and
/// whether `active` says it is.
pub fn remote(body: &Value, login: &str, active: impl Fn(&Value) -> bool) -> Option<super::Remote> {
    Some(super::Remote {
        id: body.get("id")?.as_str()?.to_string(),
        login: body
            .pointer(login)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        active: active(body),
    })
}

/// The target's own explanation: SCIM's `detail` (RFC 7644 §3.12) or Okta's
/// `errorSummary` with its causes.
fn target_message(body: &Value) -> Option<String> {
    if let Some(detail) = body.get("detail").and_then(Value::as_str) {
        return Some(detail.to_string());
    }
    let summary = body.get("errorSummary").and_then(Value::as_str)?;
    let causes: Vec<&str> = body
        .get("errorCauses")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(|c| c.get("errorSummary").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let code = body.get("errorCode").and_then(Value::as_str).unwrap_or("");
    Some(if causes.is_empty() {
        format!("{summary} ({code})")
    } else {
        format!("{summary} ({code}): {}", causes.join("; "))
    })
}

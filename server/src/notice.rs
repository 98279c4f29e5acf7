//! What a form posted without JavaScript says when it succeeds.
//!
//! With JavaScript, an action's message ("Profile saved for …") comes back to
//! the page that called it and shows as a toast. A plain HTML form post instead
//! gets a redirect back to the page it came from, and the message would be
//! lost: this layer keeps it in the session and hands it to the next page
//! view, once ([`app::components::ui::Notice`]). Refusals travel in the
//! redirect's URL (Leptos' `__err`), next to the refused field; this layer
//! seals each one it sends (`__errsig`, an HMAC) and sends a page view whose
//! `__err` it did not seal back to the same address without it, so that a
//! crafted link cannot make a page show text of an attacker's choosing.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, LOCATION};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use app::components::ui::Notice;

/// Session key of the message waiting for the next page view.
const NOTICE: &str = "notice";

/// The longest success message kept (messages are a sentence).
const MAX_MESSAGE: usize = 1024;

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The key that seals the refusals this server sends back in URLs.
#[derive(Clone)]
pub struct ErrorSeal(std::sync::Arc<Vec<u8>>);

/// The query parameter holding a refusal's seal.
const SEAL: &str = "__errsig";
/// Leptos' query parameter holding a no-JavaScript refusal.
const ERROR: &str = "__err";

impl ErrorSeal {
    pub fn new(secret: &str) -> Self {
        use sha2::Digest;
        let mut key = sha2::Sha256::new();
        key.update(b"partner-portal no-js refusals\n");
        key.update(secret.as_bytes());
        Self(std::sync::Arc::new(key.finalize().to_vec()))
    }

    fn seal(&self, error: &str) -> String {
        use hmac::Mac;
        match hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0) {
            Ok(mut mac) => {
                mac.update(error.as_bytes());
                hex::encode(mac.finalize().into_bytes())
            }
            Err(_) => String::new(),
        }
    }

    fn verifies(&self, error: &str, seal: &str) -> bool {
        use hmac::Mac;
        let Ok(expected) = hex::decode(seal) else {
            return false;
        };
        match hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0) {
            Ok(mut mac) => {
                mac.update(error.as_bytes());
                mac.verify_slice(&expected).is_ok()
            }
            Err(_) => false,
        }
    }
}

/// The `__err` and `__errsig` values of a query, if there is an `__err`.
fn refusal_in(query: Option<&str>) -> Option<(String, Option<String>)> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query?.as_bytes())
        .into_owned()
        .collect();
    // Leptos shows the last `__err` of a query; the last seal speaks for it.
    let error = pairs.iter().rev().find(|(k, _)| k == ERROR)?.1.clone();
    let seal = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == SEAL)
        .map(|(_, v)| v.clone());
    Some((error, seal))
}

/// `query` without the refusal (`__err`, `__path`, `__errsig`).
fn without_refusal(query: &str) -> String {
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, _)| k != ERROR && k != SEAL && k != "__path")
        .collect();
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish()
}

/// Adds the seal of the `__err` a redirect carries (if it carries one).
fn seal_redirect(seal: &ErrorSeal, mut response: Response) -> Response {
    let Some(location) = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return response;
    };
    let query = location
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(q));
    if let Some((error, _)) = refusal_in(query) {
        let sealed = format!("{location}&{SEAL}={}", seal.seal(&error));
        if let Ok(value) = axum::http::HeaderValue::from_str(&sealed) {
            response.headers_mut().insert(LOCATION, value);
        }
    }
    response
}

pub async fn carry(
    State(seal): State<ErrorSeal>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let html = accepts_html(request.headers());
    if request.method() == Method::POST && path.starts_with("/_fn/") && html {
        let response = next.run(request).await;
        let response = seal_redirect(&seal, response);
        return keep(&session, response).await;
    }
    if request.method() == Method::GET && html && !path.starts_with("/pkg/") {
        // A refusal this server did not send is not shown: the same page
        // without it.
        if let Some((error, given)) = refusal_in(request.uri().query()) {
            if !given.is_some_and(|g| seal.verifies(&error, &g)) {
                let rest = without_refusal(request.uri().query().unwrap_or_default());
                let target = if rest.is_empty() {
                    path.to_string()
                } else {
                    format!("{path}?{rest}")
                };
                return axum::response::Redirect::to(&target).into_response();
            }
        }
        let mut request = request;
        match take(&session).await {
            Ok(Some(message)) => {
                request.extensions_mut().insert(Notice(message));
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the session's notice"),
        }
        return next.run(request).await;
    }
    next.run(request).await
}

/// A server function's success answer to a plain form post is a redirect back
/// whose body is the function's message (JSON); a refusal's redirect carries
/// `__err` in its URL.
async fn keep(session: &Session, response: Response) -> Response {
    let succeeded = response.status().is_redirection()
        && response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|location| !location.contains("__err="));
    if !succeeded {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_MESSAGE).await {
        Ok(bytes) => bytes,
        // Longer than a message: not one; the redirect goes on without it.
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    if let Ok(message) = serde_json::from_slice::<String>(&bytes) {
        if !message.is_empty() {
            if let Err(e) = session.insert(NOTICE, message).await {
                tracing::warn!(error = %e, "cannot keep a form's notice in the session");
            }
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The waiting message, removed (the session is written only when there was one).
async fn take(session: &Session) -> Result<Option<String>, tower_sessions::session::Error> {
    if session.get::<String>(NOTICE).await?.is_none() {
        return Ok(None);
    }
    session.remove::<String>(NOTICE).await
}

//! What a form posted without JavaScript says when it succeeds.
//!
//! With JavaScript, an action's message ("Profile saved for …") comes back to
//! the page that called it and shows as a toast. A plain HTML form post instead
//! gets a redirect back to the page it came from, and the message would be
//! lost: this layer keeps it in the session and hands it to the next page
//! view, once ([`app::components::ui::Notice`]). Refusals travel in the
//! redirect's URL already (Leptos' `__err`), next to the refused field.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{ACCEPT, LOCATION};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
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

pub async fn carry(session: Session, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let html = accepts_html(request.headers());
    if request.method() == Method::POST && path.starts_with("/api/") && html {
        let response = next.run(request).await;
        return keep(&session, response).await;
    }
    if request.method() == Method::GET && html && !path.starts_with("/pkg/") {
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

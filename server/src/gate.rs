//! Who may enter which surface, decided before a page renders:
//!
//! - the Partner Admin Portal (`/` and its sections) needs an active user with at
//!   least one admin role or binding — anyone else signed in goes to `/me`;
//! - the org admin console (`/admin…`) needs org-wide admin rights;
//! - `/me`, `/login`, the sign-in routes, server functions (which authorize
//!   each call themselves), files and probes pass.
//!
//! Signed-out visitors of a gated page are sent to sign in and brought back.
//! Suspended or deactivated users have no session (it ends at once), so they
//! count as signed out here; their sign-in is refused and logged.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use app::error::AppError;

use crate::state::AppState;

/// The sections of the Partner Admin Portal.
const PORTAL_SECTIONS: &[&str] = &[
    "/users",
    "/groups",
    "/apps",
    "/realms",
    "/activity",
    "/explain",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// The Partner Admin Portal: any admin role or binding.
    Portal,
    /// The org admin console: org-wide admin rights.
    OrgAdmin,
}

/// The surface a page path belongs to, if it is gated.
pub fn surface_of(path: &str) -> Option<Surface> {
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if under("/admin") {
        Some(Surface::OrgAdmin)
    } else if path == "/" || PORTAL_SECTIONS.iter().any(|s| under(s)) {
        Some(Surface::Portal)
    } else {
        None
    }
}

pub async fn surface_gate(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let Some(surface) = surface_of(request.uri().path()) else {
        return next.run(request).await;
    };
    let client = app::ctx::client_of(request.headers());
    let cx =
        app::ctx::Ctx::from_session(&state.store, &state.org, &state.settings, &session, client);
    let principal = match cx.await {
        Ok(cx) => cx.principal,
        Err(AppError::Unauthenticated) => {
            let back = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into());
            let query = serde_urlencoded::to_string([("return_to", back)]).unwrap_or_default();
            return Redirect::to(&format!("/login?{query}")).into_response();
        }
        Err(e) => {
            return crate::auth::plain_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                &e.to_string(),
                ("/", "Try again"),
            )
        }
    };
    let mut request = request;
    request
        .extensions_mut()
        .insert(app::ctx::RequestPrincipal::of(principal.clone()));
    match surface {
        Surface::Portal if !principal.is_admin() => Redirect::to("/me").into_response(),
        Surface::OrgAdmin if !principal.is_org_admin() => crate::auth::plain_page(
            StatusCode::FORBIDDEN,
            "Org admins only",
            "The admin console is for the host company's org admins. \
             Your account does not hold an org admin role.",
            if principal.is_admin() {
                ("/", "Go to the Partner Admin Portal")
            } else {
                ("/me", "Go to your apps")
            },
        ),
        _ => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_surface() {
        assert_eq!(surface_of("/"), Some(Surface::Portal));
        assert_eq!(surface_of("/users"), Some(Surface::Portal));
        assert_eq!(surface_of("/users/00u1"), Some(Surface::Portal));
        assert_eq!(surface_of("/admin"), Some(Surface::OrgAdmin));
        assert_eq!(surface_of("/admin/realms"), Some(Surface::OrgAdmin));
        assert_eq!(surface_of("/administrators"), None);
        assert_eq!(surface_of("/usersx"), None);
        assert_eq!(surface_of("/me"), None);
        assert_eq!(surface_of("/login"), None);
        assert_eq!(surface_of("/_fn/session/current_user"), None);
        assert_eq!(surface_of("/pkg/partner-portal.js"), None);
    }
}

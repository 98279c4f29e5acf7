//! Who may enter which surface, decided before a page renders:
//!
//! - the Partner Admin Portal (`/` and its sections) needs an active user with at
//!   least one admin role or binding — anyone else signed in goes to `/me`. Its
//!   home is for admins whose rights reach a partner realm (a realm's type
//!   decides whether its admins get the Partner Admin Portal); admins of
//!   workforce realms only are sent to the admin console, whose directory
//!   pages (`/users`, `/groups`, …) they share;
//! - the admin console's home, realm pages and operations (`/admin`,
//!   `/admin/realms…`, `/admin/operations…`) need `okta.realms.manage` on some
//!   realm (each page shows only the realms the caller may read) or workforce
//!   realms only; its other pages need org-wide admin rights;
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
    "/api-tokens",
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
    /// The admin console's realm pages: realm rights over some realm.
    Console,
    /// The rest of the admin console: org-wide admin rights.
    OrgAdmin,
}

/// The console pages a custom role with realm rights may use.
const CONSOLE_REALM_PAGES: &[&str] = &["/admin/realms", "/admin/operations"];

/// The surface a page path belongs to, if it is gated.
pub fn surface_of(path: &str) -> Option<Surface> {
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if path == "/admin" || CONSOLE_REALM_PAGES.iter().any(|s| under(s)) {
        Some(Surface::Console)
    } else if under("/admin") {
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
    let cx = match cx.await {
        Ok(cx) => cx,
        Err(AppError::Unauthenticated) => {
            let back = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into());
            return sign_in_first(&back);
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
    let me = match app::ops::me::session(&cx).await {
        Ok(me) => me,
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
        .insert(app::ctx::RequestPrincipal::of(cx.principal));
    let home = request.uri().path() == "/";
    match surface {
        Surface::Portal if !me.is_admin => Redirect::to("/me").into_response(),
        Surface::Portal if home && !me.partner_portal => Redirect::to("/admin").into_response(),
        Surface::Console if !me.console => not_for_you(&me),
        Surface::OrgAdmin if !me.is_org_admin => not_for_you(&me),
        _ => next.run(request).await,
    }
}

/// The console page refused, with the way to where the caller belongs.
fn not_for_you(me: &app::views::session::SessionInfo) -> Response {
    crate::auth::plain_page(
        StatusCode::FORBIDDEN,
        "Org admins only",
        "This page of the admin console is for the host company's org admins; \
         your account does not hold the rights it needs.",
        if me.partner_portal {
            ("/", "Go to the Partner Admin Portal")
        } else if me.console {
            ("/admin", "Go to the admin console")
        } else {
            ("/me", "Go to your apps")
        },
    )
}

/// To the portal's sign-in, coming back to `back` (a local path and query)
/// once signed in: for gated pages and the OpenID Provider alike.
pub(crate) fn sign_in_first(back: &str) -> Response {
    let query = serde_urlencoded::to_string([("return_to", back)]).unwrap_or_default();
    Redirect::to(&format!("/login?{query}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_surface() {
        assert_eq!(surface_of("/"), Some(Surface::Portal));
        assert_eq!(surface_of("/users"), Some(Surface::Portal));
        assert_eq!(surface_of("/users/00u1"), Some(Surface::Portal));
        assert_eq!(surface_of("/admin"), Some(Surface::Console));
        assert_eq!(surface_of("/admin/realms"), Some(Surface::Console));
        assert_eq!(surface_of("/admin/realms/guo1"), Some(Surface::Console));
        assert_eq!(surface_of("/admin/operations/x"), Some(Surface::Console));
        assert_eq!(surface_of("/admin/rules"), Some(Surface::OrgAdmin));
        assert_eq!(surface_of("/admin/realmsx"), Some(Surface::OrgAdmin));
        assert_eq!(surface_of("/administrators"), None);
        assert_eq!(surface_of("/usersx"), None);
        assert_eq!(surface_of("/me"), None);
        assert_eq!(surface_of("/login"), None);
        assert_eq!(surface_of("/_fn/session/current_user"), None);
        assert_eq!(surface_of("/pkg/partner-portal.js"), None);
    }
}

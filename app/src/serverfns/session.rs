use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Who is signed in, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub display_name: String,
    pub login: String,
    /// Holds an admin role or binding: may use the Partner Admin Portal.
    pub is_admin: bool,
    /// Holds an org-wide admin role: may use `/admin`.
    pub is_org_admin: bool,
}

/// The signed-in user with its current rights, or `None` when signed out.
#[server(endpoint = "session/current_user")]
pub async fn get_current_user() -> Result<Option<SessionInfo>, AppError> {
    // The request's principal: the header and the page's gate ask for it in
    // the same render, the server's surface gate has usually built it already.
    // No `authz::check`: it tells the caller only who it is and which
    // surfaces its own rights open (`Principal::is_admin`, `is_org_admin`).
    let principal = match super::caller().await {
        Ok((_, _, principal)) => principal,
        Err(AppError::Unauthenticated) => return Ok(None),
        Err(e) => return Err(e),
    };
    let actor = principal.actor();
    Ok(Some(SessionInfo {
        display_name: actor.display_name.clone(),
        login: actor.alternate_id.clone(),
        is_admin: principal.is_admin(),
        is_org_admin: principal.is_org_admin(),
    }))
}

#[cfg(feature = "ssr")]
#[track_caller]
pub(crate) fn missing_context() -> AppError {
    let ref_id = crate::error::new_ref_id();
    let at = std::panic::Location::caller();
    tracing::error!(%ref_id, %at, "server function called without its context");
    AppError::Internal { ref_id }
}

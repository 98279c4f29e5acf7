//! Who is signed in, for the header and the client-side gate (`ops::me`).
//!
//! Authorization (in the operation, through the kernel): the session's own principal, whose
//! rights say which surfaces it opens — `Principal::is_admin`, `is_org_admin`, `realm_bound`
//! (partner realms or workforce realms only) and `authz::scope(okta.realms.manage)` (the
//! console's realm pages). It tells the caller only about itself.

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::views::session::*;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// The signed-in user with its current rights, or `None` when signed out.
/// The request's principal: the header and the page's gate ask for it in the
/// same render, the server's surface gate has usually built it already.
#[server(prefix = "/_fn", endpoint = "session/current_user")]
pub async fn get_current_user() -> Result<Option<SessionInfo>, AppError> {
    // The header and the gate ask in the same render: read once.
    crate::ctx::read_once("session/current_user".into(), || async {
        match Ctx::current().await {
            Ok(cx) => Ok(Some(ops::me::session(&cx).await?)),
            Err(AppError::Unauthenticated) => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await
}

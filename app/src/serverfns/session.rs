//! Who is signed in, for the header and the client-side gate (`ops::me`).
//!
//! Authorization (in the operation, through the kernel): none beyond the session: it tells the
//! caller only who it is (`Principal::is_admin`).

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
    match Ctx::current().await {
        Ok(cx) => Ok(Some(ops::me::session(&cx).await?)),
        Err(AppError::Unauthenticated) => Ok(None),
        Err(e) => Err(e),
    }
}

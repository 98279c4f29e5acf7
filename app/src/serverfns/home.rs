//! The home page's server function (`ops::log::overview`).
//!
//! Authorization (in the operation, through the kernel): `authz::scope` of realms and users,
//! `authz::log_scope`.

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::views::home::*;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// Realms the caller may read, users counted within its users scope, and the
/// five newest System Log events in its log scope.
#[server(prefix = "/_fn", endpoint = "home/overview")]
pub async fn home_overview() -> Result<Overview, AppError> {
    ops::log::overview(&Ctx::current().await?).await
}

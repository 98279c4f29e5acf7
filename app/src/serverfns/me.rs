//! The end user's own page (`ops::me`).
//!
//! Authorization (in the operation, through the kernel): `authz::check_self`.

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::views::me::*;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// Any ACTIVE signed-in user may read its own account and apps; nobody else's.
#[server(prefix = "/_fn", endpoint = "me/account")]
pub async fn my_account() -> Result<AccountView, AppError> {
    ops::me::account(&Ctx::current().await?).await
}

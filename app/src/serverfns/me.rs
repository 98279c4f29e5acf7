//! The end user's own page (`ops::me`).
//!
//! Authorization (in the operation, through the kernel): `authz::check_self`
//! — the caller's own account, password and sessions; nobody else's.

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

/// The caller's password, authenticators and sessions.
#[server(prefix = "/_fn", endpoint = "me/security")]
pub async fn load_my_security() -> Result<MySecurity, AppError> {
    let session = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|_| crate::ctx::missing_context())?;
    let current = session.id().map(|id| id.to_string());
    ops::me::security(&Ctx::current().await?, current.as_deref()).await
}

/// The caller changes its own password.
#[server(prefix = "/_fn", endpoint = "me/password")]
pub async fn change_my_password(
    current: String,
    password: String,
    repeat: String,
) -> Result<String, AppError> {
    ops::me::change_password(&Ctx::current().await?, &current, &password, &repeat).await
}

/// The caller ends one of its own sessions.
#[server(prefix = "/_fn", endpoint = "me/end-session")]
pub async fn end_my_session(handle: String) -> Result<String, AppError> {
    ops::me::end_session(&Ctx::current().await?, &handle).await
}

//! The API tokens page's server functions (`ops::api_tokens`).
//!
//! Authorization (in the operation, through the kernel):
//! `authz::check_api_tokens` — an admin's own tokens, every admin's for a
//! super admin.

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::views::tokens::*;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// The tokens the caller reaches, newest first.
#[server(prefix = "/_fn", endpoint = "api-tokens/list")]
pub async fn list_api_tokens() -> Result<TokenList, AppError> {
    ops::api_tokens::page(&Ctx::current().await?).await
}

/// Makes a token for the caller; the message holds its secret, shown once.
#[server(prefix = "/_fn", endpoint = "api-tokens/create")]
pub async fn create_api_token(
    name: String,
    expires_in_days: Option<String>,
) -> Result<String, AppError> {
    let kept = [
        ("name", name.clone()),
        (
            "expires_in_days",
            expires_in_days.clone().unwrap_or_default(),
        ),
    ];
    let days = match expires_in_days.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) => Some(d.parse::<i64>().map_err(|_| {
            AppError::validation(
                "expiresInDays",
                "Enter a whole number of days, or leave it empty.",
            )
            .keeping(kept.clone())
        })?),
    };
    let made = ops::api_tokens::create(&Ctx::current().await?, &name, days)
        .await
        .map_err(|e| e.keeping(kept))?;
    Ok(format!(
        "Created token “{}”. Copy it now: it is not shown again. {}",
        made.token.name, made.secret
    ))
}

/// Revokes a token the caller reaches.
#[server(prefix = "/_fn", endpoint = "api-tokens/revoke")]
pub async fn revoke_api_token(id: String) -> Result<String, AppError> {
    let token = ops::api_tokens::revoke(&Ctx::current().await?, &super::id(&id)?).await?;
    Ok(format!("Revoked token “{}”.", token.name))
}

//! API tokens: an admin makes them in the browser (the secret shown once),
//! lists and revokes its own; a super admin lists and revokes every admin's.
//! The API reads and revokes them too (`/api/v1/api-tokens`), and a request
//! can revoke the token it presents (`DELETE …/current`).

use crate::authz::check_api_tokens;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::ids::TokenId;
pub use crate::store::api_tokens::{ApiToken, TOKEN_WINDOW, TOKEN_WINDOW_DAYS};

/// Longest expiry a new token may be given, in days.
pub const MAX_EXPIRY_DAYS: i64 = 3650;

/// A new token: its record and its secret, to be shown once.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub token: ApiToken,
    pub secret: String,
}

/// Makes a token named `name` for the caller, expiring after `expires_in_days`
/// days if given (else only when unused for the token window).
pub async fn create(
    cx: &Ctx,
    name: &str,
    expires_in_days: Option<i64>,
) -> Result<NewToken, AppError> {
    let authority = check_api_tokens(&cx.principal)?;
    let expires_at = match expires_in_days {
        None => None,
        Some(days) if (1..=MAX_EXPIRY_DAYS).contains(&days) => Some(crate::store::clock::format(
            time::OffsetDateTime::now_utc() + time::Duration::days(days),
        )),
        Some(_) => {
            return Err(AppError::validation(
                "expiresInDays",
                format!("Enter a number of days from 1 to {MAX_EXPIRY_DAYS}, or leave it empty."),
            ))
        }
    };
    let (token, secret) = cx
        .store
        .create_api_token(&authority, name, expires_at)
        .await?;
    Ok(NewToken { token, secret })
}

/// The tokens the caller reaches: its own, or every admin's for a super admin.
pub async fn list(cx: &Ctx) -> Result<Vec<ApiToken>, AppError> {
    let authority = check_api_tokens(&cx.principal)?;
    Ok(cx.store.list_api_tokens(&authority).await?)
}

/// The tokens page: the tokens the caller reaches, as rows.
pub async fn page(cx: &Ctx) -> Result<crate::views::tokens::TokenList, AppError> {
    let authority = check_api_tokens(&cx.principal)?;
    let tokens = cx.store.list_api_tokens(&authority).await?;
    let shown = |t: &Option<String>| {
        t.as_deref()
            .map(|t| t.replace('T', " ").trim_end_matches('Z').to_string() + " UTC")
            .unwrap_or_else(|| "Never".to_string())
    };
    Ok(crate::views::tokens::TokenList {
        everyone: authority.reaches_every_token(),
        tokens: tokens
            .into_iter()
            .map(|t| crate::views::tokens::TokenRow {
                id: t.id.to_string(),
                created: shown(&Some(t.created.clone())),
                expires: shown(&t.expires_at),
                last_used: shown(&t.last_used),
                name: t.name,
                owner: t.owner_login,
            })
            .collect(),
    })
}

/// One token the caller reaches (`NotFound` otherwise).
pub async fn get(cx: &Ctx, id: &TokenId) -> Result<ApiToken, AppError> {
    let authority = check_api_tokens(&cx.principal)?;
    Ok(cx.store.get_api_token(&authority, id).await?)
}

/// Revokes a token the caller reaches (`NotFound` otherwise).
pub async fn revoke(cx: &Ctx, id: &TokenId) -> Result<ApiToken, AppError> {
    let authority = check_api_tokens(&cx.principal)?;
    Ok(cx.store.revoke_api_token(&authority, id).await?)
}

/// Revokes the token the request presented (`NotFound` for a browser session).
pub async fn revoke_current(cx: &Ctx) -> Result<ApiToken, AppError> {
    let id = cx
        .principal
        .client()
        .api_token_id
        .as_deref()
        .map(TokenId::parse)
        .transpose()
        .map_err(|_| AppError::NotFound)?
        .ok_or(AppError::NotFound)?;
    revoke(cx, &id).await
}

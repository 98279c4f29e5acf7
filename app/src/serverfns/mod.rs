//! Server functions: the browser's entry to the operations, mirroring
//! `pages/`. Each is a thin adapter — parse the form, build the request
//! context (`Ctx::current`), call one operation (`crate::ops`), map the
//! answer (redirect, keep the form's values on a refusal). None holds domain
//! logic, reads the store or calls another. They are served under `/_fn/`, so
//! that `/api/v1` and `/scim/v2` stay Okta's and SCIM's.

pub mod activity;
pub mod admin;
pub mod apps;
pub mod groups;
pub mod home;
pub mod imports;
pub mod me;
pub mod realms;
pub mod session;
pub mod tokens;
pub mod users;

/// An id the address or a hidden field names: a malformed one names nothing
/// (`NotFound`, like an id outside the caller's scope).
#[cfg(feature = "ssr")]
fn id<T: std::str::FromStr>(raw: &str) -> Result<T, crate::error::AppError> {
    raw.trim()
        .parse()
        .map_err(|_| crate::error::AppError::NotFound)
}

/// A choice a form's field makes (a select): none or a malformed one is a
/// field error.
#[cfg(feature = "ssr")]
fn field<T: std::str::FromStr>(
    raw: &str,
    field: &str,
    message: &str,
) -> Result<T, crate::error::AppError> {
    raw.trim()
        .parse()
        .map_err(|_| crate::error::AppError::validation(field, message))
}

/// A choice the operation checks after authorizing (`None`: none made, or a
/// malformed one).
#[cfg(feature = "ssr")]
fn choice<T: std::str::FromStr>(raw: &str) -> Option<T> {
    raw.trim().parse().ok()
}

/// The user a form names: by id (a hidden field), else by username.
#[cfg(feature = "ssr")]
async fn named_user(
    cx: &crate::ctx::Ctx,
    user_id: Option<String>,
    login: Option<String>,
) -> Result<crate::ids::UserId, crate::error::AppError> {
    let id = user_id
        .filter(|u| !u.trim().is_empty())
        .map(|u| id(&u))
        .transpose()?;
    crate::ops::users::named(cx, id, login.as_deref()).await
}

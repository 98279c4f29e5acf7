//! Server functions, one module per resource. Each follows the same spine:
//! request context → one authorization call → one store call → wire type.

pub mod activity;
pub mod admin;
pub mod apps;
pub mod groups;
pub mod home;
pub mod iam;
pub mod me;
pub mod realms;
pub mod session;
pub mod users;

#[cfg(all(test, feature = "ssr"))]
mod tests;

/// The request context every server function starts from: the store, the org
/// and the caller as a principal with its current rights.
#[cfg(feature = "ssr")]
pub(crate) async fn caller() -> Result<
    (
        crate::store::Store,
        crate::authz::OrgContext,
        crate::authz::Principal,
    ),
    crate::error::AppError,
> {
    use leptos::prelude::use_context;
    use session::missing_context;
    let store = use_context::<crate::store::Store>().ok_or_else(missing_context)?;
    let org = use_context::<crate::authz::OrgContext>().ok_or_else(missing_context)?;
    let session = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|_| missing_context())?;
    let headers = leptos_axum::extract::<http::HeaderMap>()
        .await
        .unwrap_or_default();
    let client = crate::ctx::client_of(&headers);
    let build = || crate::ctx::principal(&store, &org, &session, client);
    let principal = match use_context::<crate::ctx::RequestPrincipal>() {
        Some(cached) => cached.get_or_build(build).await?,
        None => build().await?,
    };
    Ok((store, org, principal))
}

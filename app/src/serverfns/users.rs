//! The users of the admin's realms: the list (search, status filter, keyset
//! paging), one user with the lifecycle actions its role allows, and those
//! actions. Users outside the caller's scope are "not found", whatever the id.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::{LifecycleOp, UserStatus};

/// Rows per page of the users table.
pub const PAGE_SIZE: u32 = 25;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub login: String,
    pub realm: String,
    pub status: UserStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersPage {
    pub rows: Vec<UserRow>,
    /// Cursor of the next page, if there is one.
    pub next: Option<String>,
}

/// One user as its admin sees it, with the actions the admin may take now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    pub id: String,
    pub name: String,
    pub login: String,
    pub email: String,
    pub realm: String,
    pub status: UserStatus,
    pub created: String,
    pub last_updated: String,
    /// Valid from the current status *and* granted to the caller.
    pub actions: Vec<LifecycleOp>,
}

#[cfg(feature = "ssr")]
async fn caller() -> Result<
    (
        crate::store::Store,
        crate::authz::OrgContext,
        crate::authz::Principal,
    ),
    AppError,
> {
    use super::session::missing_context;
    let store = use_context::<crate::store::Store>().ok_or_else(missing_context)?;
    let org = use_context::<crate::authz::OrgContext>().ok_or_else(missing_context)?;
    let session = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|_| missing_context())?;
    let headers = leptos_axum::extract::<http::HeaderMap>()
        .await
        .unwrap_or_default();
    let principal =
        crate::ctx::principal(&store, &org, &session, crate::ctx::client_of(&headers)).await?;
    Ok((store, org, principal))
}

#[cfg(feature = "ssr")]
async fn realm_name(
    store: &crate::store::Store,
    names: &mut std::collections::HashMap<String, String>,
    id: &crate::ids::RealmId,
) -> Result<String, AppError> {
    if let Some(name) = names.get(id.as_str()) {
        return Ok(name.clone());
    }
    let name = store.realm_by_id(id).await?.name;
    names.insert(id.to_string(), name.clone());
    Ok(name)
}

/// A page of the users the caller may read, by last name.
#[server(endpoint = "users/list")]
pub async fn list_users(
    search: Option<String>,
    status: Option<String>,
    after: Option<String>,
) -> Result<UsersPage, AppError> {
    use crate::authz::{scope, Permission};
    use crate::store::users::{UserFilter, UserSort};
    let (store, _, principal) = caller().await?;
    let status =
        match status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(UserStatus::parse(s).ok_or_else(|| {
                AppError::validation("status", "Choose one of the listed statuses.")
            })?),
        };
    let filter = UserFilter {
        status,
        search: search
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        ..UserFilter::default()
    };
    let page = store
        .list_users(
            &scope(&principal, Permission::UsersRead),
            &filter,
            UserSort::Name,
            after.as_deref().filter(|a| !a.is_empty()),
            PAGE_SIZE,
        )
        .await?;
    let mut names = std::collections::HashMap::new();
    let mut rows = Vec::with_capacity(page.items.len());
    for u in page.items {
        rows.push(UserRow {
            id: u.id.to_string(),
            name: format!("{} {}", u.profile.first_name, u.profile.last_name),
            login: u.profile.login,
            realm: realm_name(&store, &mut names, &u.realm_id).await?,
            status: u.status,
        });
    }
    Ok(UsersPage {
        rows,
        next: page.next,
    })
}

/// One user the caller may read, and the lifecycle actions it may take.
#[server(endpoint = "users/get")]
pub async fn get_user(id: String) -> Result<UserDetail, AppError> {
    use crate::authz::{lifecycle_actions, scope, user_target, Permission};
    let (store, org, principal) = caller().await?;
    let id = crate::ids::UserId::parse(&id).map_err(|_| AppError::NotFound)?;
    let user = store
        .get_user(&scope(&principal, Permission::UsersRead), &id)
        .await?;
    let target = user_target(&store, &org.orn, &user).await?;
    let actions = lifecycle_actions(&principal, &target, user.status);
    let mut names = std::collections::HashMap::new();
    Ok(UserDetail {
        id: user.id.to_string(),
        name: format!("{} {}", user.profile.first_name, user.profile.last_name),
        login: user.profile.login,
        email: user.profile.email,
        realm: realm_name(&store, &mut names, &user.realm_id).await?,
        status: user.status,
        created: user.created,
        last_updated: user.last_updated,
        actions,
    })
}

/// Applies a lifecycle operation (suspend, clear sessions, …) to a user.
#[server(endpoint = "users/lifecycle")]
pub async fn user_lifecycle(id: String, op: LifecycleOp) -> Result<String, AppError> {
    use crate::authz::{authorize_user, Permission};
    let (store, org, principal) = caller().await?;
    let id = crate::ids::UserId::parse(&id).map_err(|_| AppError::NotFound)?;
    let (user, grant) = authorize_user(
        &store,
        &org.orn,
        &principal,
        Permission::for_lifecycle_op(op),
        &id,
    )
    .await?;
    store.apply_lifecycle(&grant, op).await?;
    Ok(format!("{}: done for {}.", op.label(), user.profile.login))
}

//! The users of the admin's realms: the list (search, status filter, keyset
//! paging), one user with the lifecycle actions its role allows, and those
//! actions. Users outside the caller's scope are "not found", whatever the id.

// Server functions take one argument per form field (the forms post plain
// fields, so they work without JavaScript); the create form has eight.
#![allow(clippy::too_many_arguments)]

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
    let (store, _, principal) = super::caller().await?;
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
    let (store, org, principal) = super::caller().await?;
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
    let (store, org, principal) = super::caller().await?;
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

/// A custom profile attribute as the create form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormAttribute {
    pub name: String,
    pub title: String,
    /// `string`, `boolean`, `integer` or `number`.
    pub attr_type: String,
    pub required: bool,
}

/// What the create-user form offers: the realms the caller may create users
/// in, and the custom attributes of the profile schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUserForm {
    pub realms: Vec<(String, String)>,
    pub attributes: Vec<FormAttribute>,
}

#[server(endpoint = "users/create_form")]
pub async fn create_user_form() -> Result<NewUserForm, AppError> {
    use crate::authz::{realms_for_new_users, scope, Permission};
    let (store, _, principal) = super::caller().await?;
    let readable = store
        .list_realms(&scope(&principal, Permission::RealmsRead))
        .await?;
    let realms = realms_for_new_users(&principal, readable)
        .into_iter()
        .map(|r| (r.id.to_string(), r.name))
        .collect();
    let attributes = store
        .profile_schema()
        .await?
        .into_iter()
        .map(|a| FormAttribute {
            name: a.name,
            title: a.title,
            attr_type: a.attr_type.as_str().to_string(),
            required: a.required,
        })
        .collect();
    Ok(NewUserForm { realms, attributes })
}

/// Creates a user in a realm the caller may create users in; on success the
/// browser goes to the new user's page (with or without JavaScript).
#[server(endpoint = "users/create")]
pub async fn create_user(
    realm_id: String,
    login: String,
    email: String,
    first_name: String,
    last_name: String,
    mobile_phone: Option<String>,
    activate: Option<String>,
    custom: Option<std::collections::HashMap<String, String>>,
) -> Result<String, AppError> {
    use crate::authz::{check, Permission, Target};
    use crate::model::BaseProfile;
    use crate::store::users::{AttributeType, NewUser};
    let (store, _, principal) = super::caller().await?;
    let realm_id = crate::ids::RealmId::parse(&realm_id)
        .map_err(|_| AppError::validation("realmId", "Choose a realm."))?;
    let grant = check(
        &principal,
        Permission::UsersCreate,
        &Target::NewUserIn {
            realm_id: realm_id.clone(),
        },
    )
    // A realm the caller may not create in is, to it, not a choice at all.
    .map_err(|_| AppError::validation("realmId", "Choose a realm."))?;
    // Form values are text: typed by the profile schema here, checked again
    // (required, type) by the store.
    let mut custom_profile = serde_json::Map::new();
    let mut errors = Vec::new();
    let custom = custom.unwrap_or_default();
    for attribute in store.profile_schema().await? {
        let raw = custom.get(&attribute.name).map(|v| v.trim()).unwrap_or("");
        let value = match attribute.attr_type {
            AttributeType::Boolean => Some(serde_json::Value::Bool(!raw.is_empty())),
            _ if raw.is_empty() => None,
            AttributeType::String => Some(serde_json::Value::String(raw.to_string())),
            AttributeType::Integer => match raw.parse::<i64>() {
                Ok(n) => Some(n.into()),
                Err(_) => {
                    errors.push(crate::error::FieldError::new(
                        attribute.name.clone(),
                        "Enter a whole number.",
                    ));
                    None
                }
            },
            AttributeType::Number => match raw.parse::<f64>() {
                Ok(n) => serde_json::Number::from_f64(n).map(serde_json::Value::Number),
                Err(_) => {
                    errors.push(crate::error::FieldError::new(
                        attribute.name.clone(),
                        "Enter a number.",
                    ));
                    None
                }
            },
        };
        if let Some(value) = value {
            custom_profile.insert(attribute.name, value);
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation { fields: errors });
    }
    let user = store
        .create_user(
            &grant,
            NewUser {
                realm_id,
                profile: BaseProfile {
                    login,
                    email,
                    first_name,
                    last_name,
                    mobile_phone,
                    ..BaseProfile::default()
                },
                custom_profile,
                activate: activate.is_some(),
                profile_source_id: None,
            },
        )
        .await?;
    leptos_axum::redirect(&format!("/users/{}", user.id));
    Ok(user.id.to_string())
}

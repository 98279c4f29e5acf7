use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// An app on the end user's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyApp {
    pub label: String,
    pub sign_on_mode: String,
    /// "Assigned to you", and/or "Through <group>".
    pub via: Vec<String>,
}

/// What the signed-in user sees on `/me`: who it is and its apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub display_name: String,
    pub login: String,
    pub realm: String,
    pub apps: Vec<MyApp>,
}

/// Any ACTIVE signed-in user may read its own account and apps; nobody else's.
#[server(endpoint = "me/account")]
pub async fn my_account() -> Result<AccountView, AppError> {
    let (store, _, principal) = super::caller().await?;
    let own = crate::authz::check_self(&principal)?;
    let user = store
        .user_by_id_unscoped(&own)
        .await?
        .ok_or(AppError::NotFound)?;
    let realm = store.realm_by_id(&user.realm_id).await?;
    let apps = store
        .apps_for_user(&user.id)
        .await?
        .into_iter()
        .map(|(app, direct, groups)| {
            let mut via: Vec<String> = Vec::new();
            if direct {
                via.push("Assigned to you".into());
            }
            via.extend(groups.into_iter().map(|g| format!("Through {g}")));
            MyApp {
                label: app.label,
                sign_on_mode: app.sign_on_mode,
                via,
            }
        })
        .collect();
    Ok(AccountView {
        display_name: format!("{} {}", user.profile.first_name, user.profile.last_name),
        login: user.profile.login,
        realm: realm.name,
        apps,
    })
}

//! The realms the caller may read (read-only in the Partner Admin Portal).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::Realm;

#[server(endpoint = "realms/list")]
pub async fn list_my_realms() -> Result<Vec<Realm>, AppError> {
    use crate::authz::{scope, Permission};
    let (store, _, principal) = super::caller().await?;
    Ok(store
        .list_realms(&scope(&principal, Permission::RealmsRead))
        .await?)
}

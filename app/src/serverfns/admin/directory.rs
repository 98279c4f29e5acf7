//! `/admin/directory`: groups, apps and the profile schema (`ops::directory`,
//! `ops::groups`, `ops::apps`).
//!
//! Authorization (in the operation, through the kernel): org-level `authz::check`
//! (groups.create, apps.manage, users.manage), or on the group or app.

use leptos::prelude::*;

use crate::error::AppError;
use crate::views::admin::DirectoryView;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

#[server(prefix = "/_fn", endpoint = "admin/directory")]
pub async fn admin_directory() -> Result<DirectoryView, AppError> {
    ops::directory::view(&Ctx::current().await?).await
}

/// Creates an org-level group (`okta.groups.create`).
#[server(prefix = "/_fn", endpoint = "admin/groups/create")]
pub async fn create_group(name: String, description: String) -> Result<String, AppError> {
    let kept = [("name", name.clone()), ("description", description.clone())];
    async {
        let group = ops::groups::create(&Ctx::current().await?, &name, &description).await?;
        Ok(format!("Created group {}.", group.name))
    }
    .await
    .map_err(|e: AppError| e.keeping(kept))
}

/// Creates an app integration (`okta.apps.manage`). `name` is the app type
/// (`bookmark`, `oidc_client`, …), `sign_on_mode` Okta's mode.
#[server(prefix = "/_fn", endpoint = "admin/apps/create")]
pub async fn create_app(
    name: String,
    label: String,
    sign_on_mode: String,
) -> Result<String, AppError> {
    let kept = [("app_name", name.clone()), ("label", label.clone())];
    async {
        let app = ops::apps::create(&Ctx::current().await?, &name, &label, &sign_on_mode).await?;
        Ok(format!("Created app {}.", app.label))
    }
    .await
    .map_err(|e: AppError| e.keeping(kept))
}

/// Adds or changes a custom attribute of the user profile schema.
#[server(prefix = "/_fn", endpoint = "admin/schema/define")]
pub async fn define_attribute(
    name: String,
    title: String,
    attr_type: String,
    required: Option<String>,
) -> Result<String, AppError> {
    let kept = [("attr_name", name.clone()), ("title", title.clone())];
    let attr_type = ops::users::AttributeType::parse(&attr_type);
    async {
        let cx = Ctx::current().await?;
        ops::directory::define_attribute(&cx, &name, &title, attr_type, required.is_some()).await
    }
    .await
    .map_err(|e: AppError| e.keeping(kept))
}

/// Renames a group or changes its description (`okta.groups.manage` on it).
#[server(prefix = "/_fn", endpoint = "admin/groups/update")]
pub async fn update_group(
    id: String,
    name: String,
    description: String,
) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    let group = ops::groups::update(&cx, &super::super::id(&id)?, &name, &description).await?;
    Ok(format!("Saved group {}.", group.name))
}

/// Deletes a group (`okta.groups.manage` on it).
#[server(prefix = "/_fn", endpoint = "admin/groups/delete")]
pub async fn delete_group(id: String) -> Result<String, AppError> {
    let group = ops::groups::delete(&Ctx::current().await?, &super::super::id(&id)?).await?;
    Ok(format!("Deleted group {}.", group.name))
}

/// Renames an app integration (`okta.apps.manage` on it).
#[server(prefix = "/_fn", endpoint = "admin/apps/update")]
pub async fn update_app(id: String, label: String) -> Result<String, AppError> {
    let app = ops::apps::update(&Ctx::current().await?, &super::super::id(&id)?, &label).await?;
    Ok(format!("Saved app {}.", app.label))
}

/// Deletes an app integration (`okta.apps.manage` on it).
#[server(prefix = "/_fn", endpoint = "admin/apps/delete")]
pub async fn delete_app(id: String) -> Result<String, AppError> {
    let app = ops::apps::delete(&Ctx::current().await?, &super::super::id(&id)?).await?;
    Ok(format!("Deleted app {}.", app.label))
}

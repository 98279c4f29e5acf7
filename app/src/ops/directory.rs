//! The directory basics an org admin sets up: the groups, apps and custom
//! profile attributes it sees on one page, and the profile schema.

use crate::authz::{scope, Permission};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::views::admin::{AttributeRow, DirectoryView};

use super::access::org_level;
use super::users::{AttributeDef, AttributeType};

/// Groups, apps and the profile schema (org-level `okta.groups.read`).
pub async fn view(cx: &Ctx) -> Result<DirectoryView, AppError> {
    org_level(&cx.principal, Permission::GroupsRead)?;
    Ok(DirectoryView {
        groups: cx
            .store
            .list_groups(&scope(&cx.principal, Permission::GroupsRead))
            .await?,
        apps: cx
            .store
            .list_apps(&scope(&cx.principal, Permission::AppsRead))
            .await?,
        attributes: cx
            .store
            .profile_schema()
            .await?
            .into_iter()
            .map(|a| AttributeRow {
                name: a.name,
                title: a.title,
                attr_type: a.attr_type.as_str().to_string(),
                required: a.required,
            })
            .collect(),
    })
}

/// Adds or changes a custom attribute of the user profile schema
/// (`okta.users.manage` over the whole org); `attr_type` is `None` when none
/// (or no known one) was chosen.
pub async fn define_attribute(
    cx: &Ctx,
    name: &str,
    title: &str,
    attr_type: Option<AttributeType>,
    required: bool,
) -> Result<String, AppError> {
    let grant = org_level(&cx.principal, Permission::UsersManage)?;
    let attr_type = attr_type.ok_or_else(|| AppError::validation("type", "Choose a type."))?;
    cx.store
        .define_profile_attribute(
            &grant,
            AttributeDef {
                name: name.to_string(),
                title: title.to_string(),
                attr_type,
                required,
            },
        )
        .await?;
    Ok(format!("Saved attribute {}.", name.trim()))
}

//! The users pages' server functions: the table, one user, its profile and
//! lifecycle, the create form, bulk actions. Each parses its form, calls one
//! operation (`ops::users`) and answers with the page's wire type.
//!
//! Authorization (in the operation, through the kernel): reads under
//! `authz::scope(okta.users.read)`, each change `authz::check` on the loaded user.

// Server functions take one argument per form field (the forms post plain
// fields, so they work without JavaScript); the create form has nine.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::LifecycleOp;
pub use crate::views::users::*;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// A page of the users the caller may read: `sort` is `name` (default),
/// `login` or `created`; `realm` and `group` narrow it.
#[server(prefix = "/_fn", endpoint = "users/list")]
pub async fn list_users(
    search: Option<String>,
    status: Option<String>,
    realm: Option<String>,
    group: Option<String>,
    sort: Option<String>,
    after: Option<String>,
) -> Result<UsersPage, AppError> {
    let key = format!("users/list {search:?} {status:?} {realm:?} {group:?} {sort:?} {after:?}");
    crate::ctx::read_once(key, || async move {
        let cx = Ctx::current().await?;
        let filter = ops::users::parse_filter(search, status, realm, group)?;
        let sort = ops::users::parse_sort(sort.as_deref())?;
        ops::users::list(&cx, filter, sort, after).await
    })
    .await
}

/// One user the caller may read, its profile (each attribute marked editable
/// or not for the caller), and the lifecycle actions it may take.
#[server(prefix = "/_fn", endpoint = "users/get")]
pub async fn get_user(id: String) -> Result<UserDetail, AppError> {
    crate::ctx::read_once(format!("users/get {id}"), || async move {
        let cx = Ctx::current().await?;
        ops::users::get(&cx, &super::id(&id)?).await
    })
    .await
}

/// Saves the profile form: attributes the form left out keep their values;
/// attributes the caller's role does not reach may not change (field error);
/// a change made by someone else since `version` is a conflict.
#[server(prefix = "/_fn", endpoint = "users/update_profile")]
pub async fn update_profile(
    id: String,
    version: i64,
    profile: Option<std::collections::HashMap<String, String>>,
    custom: Option<std::collections::HashMap<String, String>>,
) -> Result<String, AppError> {
    let edit = ops::users::ProfileEdit {
        version,
        profile: profile.unwrap_or_default(),
        custom: custom.unwrap_or_default(),
    };
    // What the form held, kept in a refusal so that the form shows it again.
    let kept: Vec<(String, String)> = edit
        .profile
        .iter()
        .map(|(k, v)| (format!("profile[{k}]"), v.clone()))
        .chain(
            edit.custom
                .iter()
                .map(|(k, v)| (format!("custom[{k}]"), v.clone())),
        )
        .collect();
    let saved = async {
        let cx = Ctx::current().await?;
        ops::users::update_profile(&cx, &super::id(&id)?, edit).await
    }
    .await;
    saved.map_err(|e| e.keeping(kept))
}

/// Applies a lifecycle operation (suspend, clear sessions, …) to a user.
#[server(prefix = "/_fn", endpoint = "users/lifecycle")]
pub async fn user_lifecycle(id: String, op: LifecycleOp) -> Result<String, AppError> {
    let cx = Ctx::current().await?;
    ops::users::apply_lifecycle(&cx, &super::id(&id)?, op).await
}

/// What the create-user form offers.
#[server(prefix = "/_fn", endpoint = "users/create_form")]
pub async fn create_user_form() -> Result<NewUserForm, AppError> {
    let cx = Ctx::current().await?;
    ops::users::create_choices(&cx).await
}

/// Creates a user (with its groups, in one transaction) in a realm the caller
/// may create users in; on success the browser goes to the new user's page
/// (with or without JavaScript).
#[server(prefix = "/_fn", endpoint = "users/create")]
pub async fn create_user(
    realm_id: String,
    login: String,
    email: String,
    first_name: String,
    last_name: String,
    mobile_phone: Option<String>,
    activate: Option<String>,
    custom: Option<std::collections::HashMap<String, String>>,
    groups: Option<Vec<String>>,
) -> Result<String, AppError> {
    // What the form held, kept in a refusal so that the form shows it again.
    let mut kept: Vec<(String, String)> = vec![
        ("realm_id".into(), realm_id.clone()),
        ("login".into(), login.clone()),
        ("email".into(), email.clone()),
        ("first_name".into(), first_name.clone()),
        ("last_name".into(), last_name.clone()),
        (
            "mobile_phone".into(),
            mobile_phone.clone().unwrap_or_default(),
        ),
    ];
    let custom = custom.unwrap_or_default();
    kept.extend(
        custom
            .iter()
            .map(|(k, v)| (format!("custom[{k}]"), v.clone())),
    );
    let created = async {
        let cx = Ctx::current().await?;
        let input = ops::users::NewUserInput {
            realm_id: Some(super::field(&realm_id, "realmId", "Choose a realm.")?),
            source: None,
            profile: crate::model::BaseProfile {
                login,
                email,
                first_name,
                last_name,
                mobile_phone,
                ..Default::default()
            },
            custom,
            activate: activate.is_some(),
            groups: groups
                .unwrap_or_default()
                .iter()
                .map(|g| super::field(g, "groups", "Choose among the listed groups."))
                .collect::<Result<_, _>>()?,
        };
        ops::users::create(&cx, input).await
    }
    .await
    .map_err(|e| e.keeping(kept))?;
    leptos_axum::redirect(&format!("/users/{}", created.id));
    Ok(created.id.to_string())
}

#[server(prefix = "/_fn", endpoint = "users/options")]
pub async fn table_options() -> Result<TableChoices, AppError> {
    crate::ctx::read_once("users/options".into(), || async {
        ops::users::table_choices(&Ctx::current().await?).await
    })
    .await
}

/// Applies one action to each selected user, each through the same spine as
/// the single-user action: a refusal for one user is that row's result, not
/// the request's. `action`: `suspend`, `unsuspend`, `deactivate`,
/// `add_to_group` (with `group_id`), `assign_app` (with `app_id`) or
/// `move_to_realm` (with `realm_id`: planned, the browser goes to the plan).
#[server(prefix = "/_fn", endpoint = "users/bulk")]
pub async fn bulk_users(
    ids: Option<Vec<String>>,
    action: String,
    group_id: Option<String>,
    app_id: Option<String>,
    realm_id: Option<String>,
) -> Result<Vec<BulkResult>, AppError> {
    use ops::users::BulkAction;
    let cx = Ctx::current().await?;
    let ids = ids.unwrap_or_default();
    let given = |v: Option<String>| v.unwrap_or_default();
    let bulk = match action.as_str() {
        "move_to_realm" => {
            let realm = super::choice(&given(realm_id));
            let op = ops::operations::plan_move(&cx, &ids, realm.as_ref()).await?;
            leptos_axum::redirect(&format!("/admin/operations/{op}"));
            return Ok(Vec::new());
        }
        "suspend" => BulkAction::Lifecycle(LifecycleOp::Suspend),
        "unsuspend" => BulkAction::Lifecycle(LifecycleOp::Unsuspend),
        "deactivate" => BulkAction::Lifecycle(LifecycleOp::Deactivate),
        "add_to_group" => BulkAction::AddToGroup(super::field(
            &given(group_id),
            "groupId",
            "Choose a group.",
        )?),
        "assign_app" => {
            BulkAction::AssignApp(super::field(&given(app_id), "appId", "Choose an app.")?)
        }
        _ => return Err(AppError::validation("action", "Choose an action.")),
    };
    let results = ops::users::bulk(&cx, ids, bulk).await?;
    // A plain form post (no JavaScript) only shows an error, not a result:
    // refusals must not pass for success there.
    let refused: Vec<&str> = results
        .iter()
        .filter(|r| !r.ok)
        .map(|r| r.message.as_str())
        .collect();
    if !refused.is_empty() && crate::ctx::plain_form_post().await {
        return Err(AppError::conflict(format!(
            "{} of {} done. Not done for {}: {}",
            results.len() - refused.len(),
            results.len(),
            refused.len(),
            refused.join(" ")
        )));
    }
    Ok(results)
}

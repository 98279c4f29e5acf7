//! `/api/v1/apps`: list and read app integrations; an app's users (direct
//! assignments: list, assign, read, unassign) and groups (list, assign, read,
//! unassign). Assignees are listed within the token's user and group scopes.

use axum::extract::{OriginalUri, Path};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use app::ids::{AppId, GroupId, UserId};
use app::model::{App, Group, User};
use app::ops::links::{self, Link};
use app::ops::users::{self, UserCondition, UserField, UserFilter, UserSort};

use super::openapi::{op, Endpoint};
use super::{id, no_content, wire, Api, ApiError, Body, Cursor, PageParams, Paged, Params};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        op("GET", "/apps", "listApplications", "List apps", 200, list),
        op(
            "POST",
            "/apps",
            "createApplication",
            "Create an OpenID Connect app",
            200,
            create,
        ),
        op(
            "GET",
            "/apps/{id}",
            "getApplication",
            "Retrieve an app",
            200,
            read,
        ),
        op(
            "GET",
            "/apps/{id}/users",
            "listApplicationUsers",
            "List an app's directly assigned users",
            200,
            app_users,
        ),
        op(
            "POST",
            "/apps/{id}/users",
            "assignUserToApplication",
            "Assign an app to a user",
            200,
            assign_user,
        ),
        op(
            "GET",
            "/apps/{id}/users/{user}",
            "getApplicationUser",
            "Retrieve a user's assignment",
            200,
            app_user,
        ),
        op(
            "DELETE",
            "/apps/{id}/users/{user}",
            "unassignUserFromApplication",
            "Unassign an app from a user",
            204,
            unassign_user,
        ),
        op(
            "GET",
            "/apps/{id}/groups",
            "listApplicationGroupAssignments",
            "List an app's groups",
            200,
            app_groups,
        ),
        op(
            "GET",
            "/apps/{id}/groups/{group}",
            "getApplicationGroupAssignment",
            "Retrieve a group's assignment",
            200,
            app_group,
        ),
        op(
            "PUT",
            "/apps/{id}/groups/{group}",
            "assignGroupToApplication",
            "Assign an app to a group",
            200,
            assign_group,
        ),
        op(
            "DELETE",
            "/apps/{id}/groups/{group}",
            "unassignApplicationFromGroup",
            "Unassign an app from a group",
            204,
            unassign_group,
        ),
    ]
}

#[derive(Deserialize, Default)]
struct ListParams {
    limit: Option<String>,
    after: Option<String>,
    q: Option<String>,
}

async fn list(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let cursor = Cursor::new(p.limit.as_deref(), p.after.as_deref(), 20, 200)?;
    let mut apps = app::ops::apps::records_with_clients(&cx).await?;
    if let Some(q) =
        p.q.as_deref()
            .map(str::to_lowercase)
            .filter(|q| !q.is_empty())
    {
        apps.retain(|(a, _)| {
            a.label.to_lowercase().starts_with(&q) || a.name.to_lowercase().starts_with(&q)
        });
    }
    let (page, next) = cursor.page(apps, |(a, _)| a.id.to_string());
    let base = &cx.settings.public_url;
    Ok(Paged {
        items: page
            .iter()
            .map(|(a, client)| match client {
                Some(c) => wire::oidc_app(base, a, c, None),
                None => wire::app(base, a),
            })
            .collect(),
        uri,
        public_url: base.clone(),
        limit: cursor.limit,
        next,
    }
    .into_response())
}

/// Okta's `OpenIdConnectApplication` as a create request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateApp {
    label: Option<String>,
    sign_on_mode: Option<String>,
    #[serde(default)]
    credentials: Value,
    #[serde(default)]
    settings: Value,
}

async fn create(Api(cx): Api, Body(body): Body<CreateApp>) -> Result<Response, ApiError> {
    if body.sign_on_mode.as_deref() != Some("OPENID_CONNECT") {
        return Err(app::error::AppError::validation(
            "signOnMode",
            "Only OPENID_CONNECT apps are created through the API; add others in the admin console.",
        )
        .into());
    }
    let oauth = &body.settings["oauthClient"];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let view = app::views::apps::OidcClientView {
        application_type: oauth["application_type"]
            .as_str()
            .unwrap_or("web")
            .to_string(),
        auth_method: body.credentials["oauthClient"]["token_endpoint_auth_method"]
            .as_str()
            .unwrap_or("client_secret_basic")
            .to_string(),
        redirect_uris: strings(&oauth["redirect_uris"]),
        post_logout_redirect_uris: strings(&oauth["post_logout_redirect_uris"]),
        grant_types: match strings(&oauth["grant_types"]) {
            g if g.is_empty() => vec!["authorization_code".into()],
            g => g,
        },
        initiate_login_uri: oauth["initiate_login_uri"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        access_token_minutes: 60,
        id_token_minutes: 60,
        refresh_token_days: 30,
        groups_filter: String::new(),
        realm_claim: true,
        jwks: if oauth["jwks"].is_object() {
            oauth["jwks"].to_string()
        } else {
            String::new()
        },
        ..Default::default()
    };
    let (app, client, secret) =
        app::ops::apps::create_oidc(&cx, body.label.as_deref().unwrap_or(""), &view).await?;
    Ok(Json(wire::oidc_app(
        &cx.settings.public_url,
        &app,
        &client,
        secret.as_deref(),
    ))
    .into_response())
}

async fn read(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let (app, client) =
        app::ops::apps::record_with_client(&cx, &id::<AppId>(&raw, "AppInstance")?).await?;
    let base = &cx.settings.public_url;
    let body = match client {
        Some(client) => wire::oidc_app(base, &app, &client, None),
        None => wire::app(base, &app),
    };
    Ok(Json(body).into_response())
}

/// Okta's `AppUser`: a user's assignment to an app.
fn app_user_wire(base: &str, app: &App, u: &User) -> Value {
    let base = base.trim_end_matches('/');
    json!({
        "id": u.id.as_str(),
        "externalId": Value::Null,
        "created": u.created,
        "lastUpdated": u.last_updated,
        "scope": "USER",
        "status": if u.status == app::model::UserStatus::Active { "ACTIVE" } else { "INACTIVE" },
        "statusChanged": u.status_changed,
        "syncState": "DISABLED",
        "credentials": { "userName": u.profile.login },
        "profile": {},
        "_links": {
            "app": { "href": format!("{base}/api/v1/apps/{}", app.id) },
            "user": { "href": format!("{base}/api/v1/users/{}", u.id) },
        },
    })
}

/// Okta's `ApplicationGroupAssignment`.
fn app_group_wire(base: &str, app: &App, g: &Group) -> Value {
    let base = base.trim_end_matches('/');
    json!({
        "id": g.id.as_str(),
        "lastUpdated": g.last_updated,
        "priority": 0,
        "profile": {},
        "_links": {
            "app": { "href": format!("{base}/api/v1/apps/{}", app.id) },
            "group": { "href": format!("{base}/api/v1/groups/{}", g.id) },
        },
    })
}

async fn app_users(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Path(raw): Path<String>,
    Params(p): Params<PageParams>,
) -> Result<Response, ApiError> {
    let app = app::ops::apps::record(&cx, &id::<AppId>(&raw, "AppInstance")?).await?;
    let cursor = Cursor::new(p.limit.as_deref(), p.after.as_deref(), 50, 500)?;
    let page = users::records(
        &cx,
        UserFilter {
            app: Some(app.id.clone()),
            ..UserFilter::default()
        },
        UserSort::Login,
        cursor.after.as_deref(),
        cursor.limit as u32,
    )
    .await?;
    let base = &cx.settings.public_url;
    Ok(Paged {
        items: page
            .items
            .iter()
            .map(|u| app_user_wire(base, &app, u))
            .collect(),
        uri,
        public_url: base.clone(),
        limit: cursor.limit,
        next: page.next,
    }
    .into_response())
}

/// The user directly assigned `app`, if the caller may read it.
async fn assigned(cx: &app::ctx::Ctx, app: &App, user: &UserId) -> Result<User, ApiError> {
    users::records(
        cx,
        UserFilter {
            app: Some(app.id.clone()),
            conditions: vec![UserCondition::OneOf(UserField::Id, vec![user.to_string()])],
            ..UserFilter::default()
        },
        UserSort::Login,
        None,
        1,
    )
    .await?
    .items
    .into_iter()
    .next()
    .ok_or_else(|| ApiError::not_found(&format!("{user} (AppUser)")))
}

async fn app_user(
    Api(cx): Api,
    Path((raw, user)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let app = app::ops::apps::record(&cx, &id::<AppId>(&raw, "AppInstance")?).await?;
    let user = assigned(&cx, &app, &id::<UserId>(&user, "User")?).await?;
    Ok(Json(app_user_wire(&cx.settings.public_url, &app, &user)).into_response())
}

#[derive(Deserialize)]
struct AssignBody {
    id: Option<String>,
}

async fn assign_user(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<AssignBody>,
) -> Result<Response, ApiError> {
    let app_id = id::<AppId>(&raw, "AppInstance")?;
    let user = body
        .id
        .ok_or_else(|| ApiError::invalid("id", "Name the user to assign."))?;
    let user = id::<UserId>(&user, "User")?;
    links::change(&cx, &user, Link::App(app_id.clone()), true).await?;
    let app = app::ops::apps::record(&cx, &app_id).await?;
    let user = assigned(&cx, &app, &user).await?;
    Ok(Json(app_user_wire(&cx.settings.public_url, &app, &user)).into_response())
}

async fn unassign_user(
    Api(cx): Api,
    Path((raw, user)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let app = id::<AppId>(&raw, "AppInstance")?;
    let user = id::<UserId>(&user, "User")?;
    links::change(&cx, &user, Link::App(app), false).await?;
    Ok(no_content())
}

async fn app_groups(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Path(raw): Path<String>,
    Params(p): Params<PageParams>,
) -> Result<Response, ApiError> {
    let app_id = id::<AppId>(&raw, "AppInstance")?;
    let app = app::ops::apps::record(&cx, &app_id).await?;
    let cursor = Cursor::new(p.limit.as_deref(), p.after.as_deref(), 20, 200)?;
    let groups = app::ops::apps::groups_of(&cx, &app_id).await?;
    let (page, next) = cursor.page(groups, |g| g.id.to_string());
    let base = &cx.settings.public_url;
    Ok(Paged {
        items: page.iter().map(|g| app_group_wire(base, &app, g)).collect(),
        uri,
        public_url: base.clone(),
        limit: cursor.limit,
        next,
    }
    .into_response())
}

async fn group_assignment(
    cx: &app::ctx::Ctx,
    app_id: &AppId,
    group: &GroupId,
) -> Result<Response, ApiError> {
    let app = app::ops::apps::record(cx, app_id).await?;
    let group = app::ops::apps::groups_of(cx, app_id)
        .await?
        .into_iter()
        .find(|g| g.id == *group)
        .ok_or_else(|| ApiError::not_found(&format!("{group} (ApplicationGroupAssignment)")))?;
    Ok(Json(app_group_wire(&cx.settings.public_url, &app, &group)).into_response())
}

async fn app_group(
    Api(cx): Api,
    Path((raw, group)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let app_id = id::<AppId>(&raw, "AppInstance")?;
    group_assignment(&cx, &app_id, &id::<GroupId>(&group, "UserGroup")?).await
}

async fn assign_group(
    Api(cx): Api,
    Path((raw, group)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let app_id = id::<AppId>(&raw, "AppInstance")?;
    let group = id::<GroupId>(&group, "UserGroup")?;
    app::ops::groups::change_app(&cx, &group, &app_id, true).await?;
    group_assignment(&cx, &app_id, &group).await
}

async fn unassign_group(
    Api(cx): Api,
    Path((raw, group)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let app_id = id::<AppId>(&raw, "AppInstance")?;
    let group = id::<GroupId>(&group, "UserGroup")?;
    app::ops::groups::change_app(&cx, &group, &app_id, false).await?;
    Ok(no_content())
}

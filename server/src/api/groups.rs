//! `/api/v1/groups`: list (`q`, and `search`/`filter` on `id`, `type` and
//! `profile.name`), create, read, replace, delete; members (list, add,
//! remove) and the group's apps. Members are listed within the token's user
//! scope only, as on the group's page.

use axum::extract::{OriginalUri, Path};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use app::ids::{GroupId, UserId};
use app::model::Group;
use app::ops::links::{self, Link};
use app::ops::users::{self, UserFilter, UserSort};

use super::filter::{self, Comparison, Op};
use super::openapi::{op, Endpoint};
use super::{id, no_content, wire, Api, ApiError, Body, Cursor, PageParams, Paged, Params};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        op("GET", "/groups", "listGroups", "List groups", 200, list),
        op("POST", "/groups", "addGroup", "Create a group", 200, create),
        op(
            "GET",
            "/groups/{id}",
            "getGroup",
            "Retrieve a group",
            200,
            read,
        ),
        op(
            "PUT",
            "/groups/{id}",
            "replaceGroup",
            "Replace a group's profile",
            200,
            replace,
        ),
        op(
            "DELETE",
            "/groups/{id}",
            "deleteGroup",
            "Delete a group",
            204,
            delete,
        ),
        op(
            "GET",
            "/groups/{id}/users",
            "listGroupUsers",
            "List a group's members",
            200,
            members,
        ),
        op(
            "PUT",
            "/groups/{id}/users/{user}",
            "assignUserToGroup",
            "Add a member",
            204,
            add_member,
        ),
        op(
            "DELETE",
            "/groups/{id}/users/{user}",
            "unassignUserFromGroup",
            "Remove a member",
            204,
            remove_member,
        ),
        op(
            "GET",
            "/groups/{id}/apps",
            "listAssignedApplicationsForGroup",
            "List a group's apps",
            200,
            apps,
        ),
    ]
}

#[derive(Deserialize, Default)]
struct ListParams {
    limit: Option<String>,
    after: Option<String>,
    q: Option<String>,
    search: Option<String>,
    filter: Option<String>,
}

fn matches(g: &Group, c: &Comparison) -> Result<bool, ApiError> {
    let value = c.value.clone().unwrap_or_default();
    let field = match c.attribute.as_str() {
        "id" => g.id.to_string(),
        "type" => "OKTA_GROUP".to_string(),
        "profile.name" => g.name.clone(),
        "profile.description" => g.description.clone(),
        "lastUpdated" | "lastMembershipUpdated" => g.last_updated.clone(),
        "created" => g.created.clone(),
        other => {
            return Err(ApiError::invalid(
                "search",
                format!("Groups cannot be searched by {other}."),
            ))
        }
    };
    let (f, v) = (field.to_lowercase(), value.to_lowercase());
    Ok(match c.op {
        Op::Eq => f == v,
        Op::Ne => f != v,
        Op::Sw => f.starts_with(&v),
        Op::Co => f.contains(&v),
        Op::Pr => !f.is_empty(),
        Op::Gt => field > super::users::stored_time(&value, "search")?,
        Op::Ge => field >= super::users::stored_time(&value, "search")?,
        Op::Lt => field < super::users::stored_time(&value, "search")?,
        Op::Le => field <= super::users::stored_time(&value, "search")?,
    })
}

async fn list(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let cursor = Cursor::new(p.limit.as_deref(), p.after.as_deref(), 200, 10_000)?;
    let mut groups = app::ops::groups::records(&cx).await?;
    if let Some(q) =
        p.q.as_deref()
            .map(str::to_lowercase)
            .filter(|q| !q.is_empty())
    {
        groups.retain(|g| g.name.to_lowercase().starts_with(&q));
    }
    for (param, value) in [("search", &p.search), ("filter", &p.filter)] {
        let Some(expression) = value.as_deref().filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let dnf = filter::parse(expression, param)?;
        let mut kept = Vec::new();
        for g in groups {
            let mut any = false;
            for alt in &dnf {
                let mut all = true;
                for c in alt {
                    all &= matches(&g, c)?;
                }
                any |= all;
            }
            if any {
                kept.push(g);
            }
        }
        groups = kept;
    }
    let (page, next) = cursor.page(groups, |g| g.id.to_string());
    let base = &cx.settings.public_url;
    Ok(Paged {
        items: page.iter().map(|g| wire::group(base, g)).collect(),
        uri,
        public_url: base.clone(),
        limit: cursor.limit,
        next,
    }
    .into_response())
}

#[derive(Deserialize)]
struct GroupBody {
    profile: Option<GroupProfile>,
}

#[derive(Deserialize)]
struct GroupProfile {
    name: Option<String>,
    description: Option<String>,
}

fn profile_of(body: GroupBody) -> Result<(String, String), ApiError> {
    let profile = body.profile.ok_or_else(|| ApiError::missing("profile"))?;
    let name = profile
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("profile.name", "Enter a name."))?;
    Ok((name, profile.description.unwrap_or_default()))
}

async fn create(Api(cx): Api, Body(body): Body<GroupBody>) -> Result<Response, ApiError> {
    let (name, description) = profile_of(body)?;
    let group = app::ops::groups::create(&cx, &name, &description).await?;
    Ok(Json(wire::group(&cx.settings.public_url, &group)).into_response())
}

async fn read(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let group = app::ops::groups::record(&cx, &id::<GroupId>(&raw, "UserGroup")?).await?;
    Ok(Json(wire::group(&cx.settings.public_url, &group)).into_response())
}

async fn replace(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<GroupBody>,
) -> Result<Response, ApiError> {
    let id = id::<GroupId>(&raw, "UserGroup")?;
    let (name, description) = profile_of(body)?;
    let group = app::ops::groups::update(&cx, &id, &name, &description).await?;
    Ok(Json(wire::group(&cx.settings.public_url, &group)).into_response())
}

async fn delete(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    app::ops::groups::delete(&cx, &id::<GroupId>(&raw, "UserGroup")?).await?;
    Ok(no_content())
}

async fn members(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Path(raw): Path<String>,
    Params(p): Params<PageParams>,
) -> Result<Response, ApiError> {
    let group = app::ops::groups::record(&cx, &id::<GroupId>(&raw, "UserGroup")?).await?;
    let cursor = Cursor::new(p.limit.as_deref(), p.after.as_deref(), 200, 200)?;
    let page = users::records(
        &cx,
        UserFilter {
            group: Some(group.id),
            ..UserFilter::default()
        },
        UserSort::Login,
        cursor.after.as_deref(),
        cursor.limit as u32,
    )
    .await?;
    let base = &cx.settings.public_url;
    Ok(Paged {
        items: page.items.iter().map(|u| wire::user(base, u)).collect(),
        uri,
        public_url: base.clone(),
        limit: cursor.limit,
        next: page.next,
    }
    .into_response())
}

async fn add_member(
    Api(cx): Api,
    Path((group, user)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let group = id::<GroupId>(&group, "UserGroup")?;
    let user = id::<UserId>(&user, "User")?;
    links::change(&cx, &user, Link::Group(group), true).await?;
    Ok(no_content())
}

async fn remove_member(
    Api(cx): Api,
    Path((group, user)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let group = id::<GroupId>(&group, "UserGroup")?;
    let user = id::<UserId>(&user, "User")?;
    links::change(&cx, &user, Link::Group(group), false).await?;
    Ok(no_content())
}

async fn apps(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let apps = app::ops::groups::apps_of(&cx, &id::<GroupId>(&raw, "UserGroup")?).await?;
    let base = &cx.settings.public_url;
    Ok(Paged {
        limit: apps.len().max(1),
        items: apps.iter().map(|a| wire::app(base, a)).collect(),
        uri,
        public_url: base.clone(),
        next: None,
    }
    .into_response())
}

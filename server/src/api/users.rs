//! `/api/v1/users`: list (Okta's `search`, `filter` and `q`), create (with
//! `realmId` and `groupIds`), read (by id or login), partial update (`POST`),
//! replace (`PUT`), delete (deactivate, then delete, as Okta), the lifecycle
//! endpoints, and a user's groups and app links. Every user carries `realmId`.

use std::collections::HashMap;

use axum::extract::{OriginalUri, Path};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use app::ids::{GroupId, RealmId};
use app::model::{BaseProfile, LifecycleOp, UserStatus};
use app::ops::users::{self, UserCondition, UserField, UserFilter, UserSort};

use super::filter::{self, Comparison, Op};
use super::openapi::{op, Endpoint};
use super::{no_content, wire, Api, ApiError, Body, Cursor, Paged, Params};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        op("GET", "/users", "listUsers", "List users (search, filter, q)", 200, list),
        op("POST", "/users", "createUser", "Create a user (with realmId and groupIds)", 200, create),
        op("GET", "/users/{id}", "getUser", "Retrieve a user by id or login", 200, read),
        op("POST", "/users/{id}", "updateUser", "Update a user's profile partially", 200, update),
        op("PUT", "/users/{id}", "replaceUser", "Replace a user's profile", 200, replace),
        op("DELETE", "/users/{id}", "deleteUser", "Deactivate, or delete a deactivated user", 204, delete),
        op("POST", "/users/{id}/lifecycle/{op}", "userLifecycle", "activate, reactivate, deactivate, suspend, unsuspend, unlock, reset_factors, expire_password, reset_password (mails the link)", 200, lifecycle),
        op("GET", "/users/{id}/groups", "listUserGroups", "List a user's groups", 200, groups),
        op("GET", "/users/{id}/appLinks", "listAppLinks", "List a user's app links", 200, app_links),
    ]
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListParams {
    limit: Option<String>,
    after: Option<String>,
    q: Option<String>,
    search: Option<String>,
    filter: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
}

/// A timestamp as stored (RFC 3339 UTC, milliseconds), from any RFC 3339 text.
pub fn stored_time(raw: &str, param: &str) -> Result<String, ApiError> {
    let t = time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            ApiError::invalid(
                param,
                format!("'{raw}' is not a date and time like 2024-01-31T00:00:00.000Z."),
            )
        })?;
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .map_err(|_| ApiError::invalid(param, format!("'{raw}' is out of range.")))
}

fn condition(c: &Comparison, param: &str) -> Result<UserCondition, ApiError> {
    let field = UserField::from_okta(&c.attribute).ok_or_else(|| {
        ApiError::invalid(
            param,
            format!("Users cannot be searched by {}.", c.attribute),
        )
    })?;
    let value = |c: &Comparison| -> Result<String, ApiError> {
        let v = c.value.clone().unwrap_or_default();
        if field == UserField::Status && UserStatus::parse(&v).is_none() {
            return Err(ApiError::invalid(
                param,
                format!("'{v}' is not a user status."),
            ));
        }
        if field.is_time() {
            return stored_time(&v, param);
        }
        Ok(v)
    };
    let text_only = |what: &str| -> Result<(), ApiError> {
        if field.is_profile_text() {
            Ok(())
        } else {
            Err(ApiError::invalid(
                param,
                format!("{what} applies to profile attributes only."),
            ))
        }
    };
    Ok(match c.op {
        Op::Eq => UserCondition::OneOf(field, vec![value(c)?]),
        Op::Ne => UserCondition::NotEqual(field, value(c)?),
        Op::Sw => {
            text_only("sw")?;
            UserCondition::StartsWith(field, value(c)?)
        }
        Op::Co => {
            text_only("co")?;
            UserCondition::Contains(field, value(c)?)
        }
        Op::Gt | Op::Ge | Op::Lt | Op::Le => {
            if !field.is_time() {
                return Err(ApiError::invalid(
                    param,
                    "gt, ge, lt and le apply to dates only.",
                ));
            }
            let op = match c.op {
                Op::Gt => ">",
                Op::Ge => ">=",
                Op::Lt => "<",
                _ => "<=",
            };
            UserCondition::Compare(field, op, value(c)?)
        }
        Op::Pr => UserCondition::Present(field),
    })
}

/// The conditions of a `search`/`filter` expression. Alternatives (`or`)
/// are supported where they differ only in one attribute's value (`status
/// eq "ACTIVE" or status eq "STAGED"`), which is what clients write.
fn conditions(expression: &str, param: &str) -> Result<Vec<UserCondition>, ApiError> {
    let dnf = filter::parse(expression, param)?;
    let Some(first) = dnf.first() else {
        return Ok(Vec::new());
    };
    let common: Vec<Comparison> = first
        .iter()
        .filter(|c| dnf.iter().all(|alt| alt.contains(c)))
        .cloned()
        .collect();
    let mut out = common
        .iter()
        .map(|c| condition(c, param))
        .collect::<Result<Vec<_>, _>>()?;
    if dnf.len() > 1 {
        let mut attribute: Option<String> = None;
        let mut values = Vec::new();
        for alt in &dnf {
            let rest: Vec<&Comparison> = alt.iter().filter(|c| !common.contains(c)).collect();
            match rest.as_slice() {
                [c] if c.op == Op::Eq && attribute.as_deref().is_none_or(|a| a == c.attribute) => {
                    attribute = Some(c.attribute.clone());
                    if let UserCondition::OneOf(_, v) = condition(c, param)? {
                        values.extend(v);
                    }
                }
                _ => {
                    return Err(ApiError::invalid(
                        param,
                        "Alternatives (or) may differ only in one attribute's value, \
                         as in status eq \"ACTIVE\" or status eq \"STAGED\".",
                    ))
                }
            }
        }
        if let Some(attribute) = attribute {
            let field = UserField::from_okta(&attribute)
                .ok_or_else(|| ApiError::invalid(param, "Unknown attribute."))?;
            out.push(UserCondition::OneOf(field, values));
        }
    }
    Ok(out)
}

async fn list(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let cursor = Cursor::new(p.limit.as_deref(), p.after.as_deref(), 200, 200)?;
    let mut filter = UserFilter {
        search: p.q.clone().filter(|q| !q.trim().is_empty()),
        ..UserFilter::default()
    };
    for (param, value) in [("search", &p.search), ("filter", &p.filter)] {
        if let Some(expression) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            filter.conditions.extend(conditions(expression, param)?);
        }
    }
    let sort = match p.sort_by.as_deref().unwrap_or_default() {
        "" | "profile.login" | "id" => UserSort::Login,
        "profile.lastName" | "profile.firstName" => UserSort::Name,
        "created" => UserSort::Created,
        other => {
            return Err(ApiError::invalid(
                "sortBy",
                format!("Users cannot be sorted by {other}; use profile.login, profile.lastName or created."),
            ))
        }
    };
    if p.sort_order
        .as_deref()
        .is_some_and(|o| !o.eq_ignore_ascii_case("asc"))
    {
        return Err(ApiError::invalid("sortOrder", "Only asc is supported."));
    }
    let page = users::records(
        &cx,
        filter,
        sort,
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

/// Profile attributes by name, as text.
type Attributes = HashMap<String, String>;

/// A profile as posted: base attributes and custom ones, as text.
fn split_profile(profile: Map<String, Value>) -> Result<(Attributes, Attributes), ApiError> {
    const BASE: [&str; 8] = [
        "login",
        "email",
        "secondEmail",
        "firstName",
        "lastName",
        "middleName",
        "primaryPhone",
        "mobilePhone",
    ];
    let mut base = HashMap::new();
    let mut custom = HashMap::new();
    for (name, value) in profile {
        let text = match value {
            Value::Null => String::new(),
            Value::String(s) => s,
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err(ApiError::invalid(
                    &format!("profile.{name}"),
                    format!("Expected text, a number or true/false, got {other}."),
                ))
            }
        };
        if BASE.contains(&name.as_str()) {
            base.insert(name, text);
        } else {
            custom.insert(name, text);
        }
    }
    Ok((base, custom))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    #[serde(default)]
    profile: Map<String, Value>,
    realm_id: Option<String>,
    #[serde(default)]
    group_ids: Vec<String>,
    credentials: Option<Value>,
}

#[derive(Deserialize, Default)]
struct CreateParams {
    activate: Option<String>,
}

async fn create(
    Api(cx): Api,
    Params(p): Params<CreateParams>,
    Body(body): Body<CreateBody>,
) -> Result<Response, ApiError> {
    if body
        .credentials
        .as_ref()
        .is_some_and(|c| c.get("password").is_some() || c.get("recovery_question").is_some())
    {
        return Err(ApiError::invalid(
            "credentials",
            "Partner Portal does not take passwords or recovery questions through the API: \
             create the user with activate=true in a realm whose users sign in with the \
             portal's credentials, and the user chooses a password from the mailed activation link.",
        ));
    }
    let activate = match p.activate.as_deref() {
        None | Some("true") => true,
        Some("false") => false,
        Some(_) => return Err(ApiError::invalid("activate", "Use true or false.")),
    };
    let (base, custom) = split_profile(body.profile)?;
    let text = |name: &str| base.get(name).cloned().unwrap_or_default();
    let optional = |name: &str| base.get(name).cloned().filter(|v| !v.is_empty());
    // Without a realmId, the realm-assignment rules place the user (as for
    // an Org2Org spoke's pushes).
    let realm_id = body
        .realm_id
        .as_deref()
        .map(|raw| RealmId::parse(raw).map_err(|_| ApiError::invalid("realmId", "Not a realm id.")))
        .transpose()?;
    let groups = body
        .group_ids
        .iter()
        .map(|g| GroupId::parse(g).map_err(|_| ApiError::invalid("groupIds", "Not a group id.")))
        .collect::<Result<Vec<_>, _>>()?;
    let user = users::create(
        &cx,
        users::NewUserInput {
            realm_id,
            source: None,
            profile: BaseProfile {
                login: text("login"),
                email: text("email"),
                second_email: optional("secondEmail"),
                first_name: text("firstName"),
                last_name: text("lastName"),
                middle_name: optional("middleName"),
                primary_phone: optional("primaryPhone"),
                mobile_phone: optional("mobilePhone"),
            },
            custom,
            activate,
            groups,
        },
    )
    .await?;
    let user = users::record(&cx, user.id.as_str()).await?;
    Ok(Json(wire::user(&cx.settings.public_url, &user)).into_response())
}

async fn read(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let user = users::record(&cx, &raw).await?;
    Ok(Json(wire::user(&cx.settings.public_url, &user)).into_response())
}

#[derive(Deserialize)]
struct ProfileBody {
    #[serde(default)]
    profile: Map<String, Value>,
}

async fn change(
    cx: &app::ctx::Ctx,
    raw: &str,
    body: ProfileBody,
    replace: bool,
) -> Result<Response, ApiError> {
    let user = users::record(cx, raw).await?;
    let (base, custom) = split_profile(body.profile)?;
    let user = users::change_profile(cx, &user.id, base, custom, replace).await?;
    Ok(Json(wire::user(&cx.settings.public_url, &user)).into_response())
}

async fn update(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<ProfileBody>,
) -> Result<Response, ApiError> {
    change(&cx, &raw, body, false).await
}

async fn replace(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<ProfileBody>,
) -> Result<Response, ApiError> {
    change(&cx, &raw, body, true).await
}

/// As Okta: a user not yet deactivated is deactivated; a deactivated one is
/// deleted.
async fn delete(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let user = users::record(&cx, &raw).await?;
    let op = if user.status == UserStatus::Deprovisioned {
        LifecycleOp::Delete
    } else {
        LifecycleOp::Deactivate
    };
    users::apply_lifecycle(&cx, &user.id, op).await?;
    Ok(no_content())
}

async fn lifecycle(
    Api(cx): Api,
    Path((raw, op)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let op = match op.as_str() {
        "activate" => LifecycleOp::Activate,
        "reactivate" => LifecycleOp::Reactivate,
        "deactivate" => LifecycleOp::Deactivate,
        "suspend" => LifecycleOp::Suspend,
        "unsuspend" => LifecycleOp::Unsuspend,
        "unlock" => LifecycleOp::Unlock,
        "reset_factors" => LifecycleOp::ResetFactors,
        "expire_password" => LifecycleOp::ExpirePassword,
        "reset_password" => LifecycleOp::ResetPassword,
        _ => return Err(ApiError::not_found(&format!("lifecycle/{op}"))),
    };
    let user = users::record(&cx, &raw).await?;
    users::apply_lifecycle(&cx, &user.id, op).await?;
    Ok(Json(json!({})).into_response())
}

async fn groups(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let user = users::record(&cx, &raw).await?;
    let groups = app::ops::groups::records_of_user(&cx, &user.id).await?;
    let base = &cx.settings.public_url;
    Ok(Paged {
        limit: groups.len().max(1),
        items: groups.iter().map(|g| wire::group(base, g)).collect(),
        uri,
        public_url: base.clone(),
        next: None,
    }
    .into_response())
}

async fn app_links(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let user = users::record(&cx, &raw).await?;
    let apps = app::ops::apps::records_of_user(&cx, &user.id).await?;
    let base = cx.settings.public_url.trim_end_matches('/');
    let links: Vec<Value> = apps
        .iter()
        .enumerate()
        .map(|(i, (a, _direct))| {
            json!({
                "id": format!("{}{}", a.id, user.id),
                "label": a.label,
                "linkUrl": format!("{base}/home/{}/{}", a.name, a.id),
                "logoUrl": Value::Null,
                "appName": a.name,
                "appInstanceId": a.id.as_str(),
                "appAssignmentId": format!("{}{}", a.id, user.id),
                "credentialsSetup": false,
                "hidden": false,
                "sortOrder": i,
            })
        })
        .collect();
    Ok(Json(links).into_response())
}

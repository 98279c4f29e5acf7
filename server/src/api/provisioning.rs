//! An app's provisioning over the Management API, in Okta's shapes:
//! `/apps/{id}/connections/default` (the provisioning connection) and
//! `/apps/{id}/group-push/mappings` (group push mappings).

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use app::ids::{AppId, GroupId};
use app::ops::provisioning;
use app::provisioning::Kind;
use app::views::apps::{ProvisioningView, PushMappingView};

use super::openapi::{op, Endpoint};
use super::{id, no_content, Api, ApiError, Body, Params};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        op(
            "GET",
            "/apps/{id}/connections/default",
            "getDefaultProvisioningConnectionForApplication",
            "Retrieve an app's provisioning connection",
            200,
            connection,
        ),
        op(
            "POST",
            "/apps/{id}/connections/default",
            "updateDefaultProvisioningConnectionForApplication",
            "Set an app's provisioning connection (SCIM 2.0 or Okta Org2Org)",
            200,
            set_connection,
        ),
        op(
            "GET",
            "/apps/{id}/group-push/mappings",
            "listGroupPushMappings",
            "List an app's group push mappings",
            200,
            list_mappings,
        ),
        op(
            "POST",
            "/apps/{id}/group-push/mappings",
            "createGroupPushMapping",
            "Push a group to an app (targetGroupName: a new group; targetGroupId: link one)",
            200,
            create_mapping,
        ),
        op(
            "GET",
            "/apps/{id}/group-push/mappings/{mappingId}",
            "getGroupPushMapping",
            "Retrieve a group push mapping",
            200,
            read_mapping,
        ),
        op(
            "PATCH",
            "/apps/{id}/group-push/mappings/{mappingId}",
            "updateGroupPushMapping",
            "Activate or deactivate a group push mapping",
            200,
            update_mapping,
        ),
        op(
            "DELETE",
            "/apps/{id}/group-push/mappings/{mappingId}",
            "deleteGroupPushMapping",
            "Delete an inactive group push mapping (deleteTargetGroup: also the app's group)",
            204,
            delete_mapping,
        ),
    ]
}

fn connection_wire(v: &ProvisioningView) -> Value {
    let scheme = match v.auth_scheme.as_str() {
        "BASIC" => "BASIC",
        _ => "TOKEN",
    };
    json!({
        "authScheme": scheme,
        "baseUrl": v.base_url,
        "status": "ENABLED",
        "profile": {
            "authScheme": scheme,
            "kind": v.kind,
            "features": {
                "createUsers": v.create_users,
                "updateUsers": v.update_users,
                "deactivateUsers": v.deactivate_users,
                "deleteUsers": v.delete_users,
                "pushGroups": v.push_groups,
                "importUsers": v.import_users,
            },
            "mappings": v.mappings.lines().collect::<Vec<_>>(),
        },
    })
}

async fn connection(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let app = id::<AppId>(&raw, "AppInstance")?;
    let setup = provisioning::connection_view(&cx, &app).await?;
    Ok(Json(match setup {
        Some(v) => connection_wire(&v),
        None => json!({ "authScheme": "UNKNOWN", "status": "DISABLED", "profile": { "authScheme": "UNKNOWN" } }),
    })
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionBody {
    base_url: Option<String>,
    #[serde(default)]
    profile: Value,
}

#[derive(Deserialize, Default)]
struct ActivateParams {
    activate: Option<String>,
}

/// Okta's connection body: `baseUrl`, `profile.authScheme` (`TOKEN` with
/// `profile.token`, or `BASIC` with `profile.username` and
/// `profile.password`); ours adds `profile.kind` (`SCIM2`, the default, or
/// `OKTA_ORG2ORG`), `profile.features` and `profile.mappings`.
async fn set_connection(
    Api(cx): Api,
    Path(raw): Path<String>,
    Params(p): Params<ActivateParams>,
    Body(body): Body<ConnectionBody>,
) -> Result<Response, ApiError> {
    if p.activate
        .as_deref()
        .is_some_and(|a| a != "true" && a != "TRUE")
    {
        return Err(ApiError::invalid(
            "activate",
            "A connection is saved active: use activate=true or leave it out.",
        ));
    }
    let app = id::<AppId>(&raw, "AppInstance")?;
    let profile = &body.profile;
    let text = |k: &str| {
        profile
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let kind = match profile
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("SCIM2")
    {
        "OKTA_ORG2ORG" => Kind::OktaOrg2Org,
        "SCIM2" => Kind::Scim2,
        _ => {
            return Err(ApiError::invalid(
                "profile.kind",
                "Use SCIM2 or OKTA_ORG2ORG.",
            ))
        }
    };
    let mut view = provisioning::blank(kind);
    view.base_url = body.base_url.clone().unwrap_or_default();
    view.auth_scheme = match (kind, text("authScheme").as_str()) {
        (Kind::OktaOrg2Org, "TOKEN" | "SSWS" | "") => "SSWS".into(),
        (Kind::Scim2, "TOKEN" | "BEARER" | "") => "BEARER".into(),
        (Kind::Scim2, "BASIC") => "BASIC".into(),
        (_, other) => other.to_string(),
    };
    view.username = text("username");
    let secret = match view.auth_scheme.as_str() {
        "BASIC" => text("password"),
        _ => text("token"),
    };
    if let Some(features) = profile.get("features") {
        let on = |k: &str, d: bool| features.get(k).and_then(Value::as_bool).unwrap_or(d);
        view.create_users = on("createUsers", view.create_users);
        view.update_users = on("updateUsers", view.update_users);
        view.deactivate_users = on("deactivateUsers", view.deactivate_users);
        view.delete_users = on("deleteUsers", view.delete_users);
        view.push_groups = on("pushGroups", view.push_groups);
        view.import_users = on("importUsers", view.import_users);
    }
    if let Some(lines) = profile.get("mappings").and_then(Value::as_array) {
        view.mappings = lines
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n");
    }
    if let Some(ext) = profile.get("extensions").and_then(Value::as_array) {
        view.extensions = ext
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n");
    }
    let setup = provisioning::save(&cx, &app, &view, &secret).await?;
    Ok(Json(connection_wire(&setup.view(true))).into_response())
}

fn mapping_wire(base: &str, app: &str, m: &PushMappingView) -> Value {
    let base = base.trim_end_matches('/');
    json!({
        "id": m.id,
        "sourceGroupId": m.source_group_id,
        "targetGroupId": m.target_group_id,
        "status": m.status,
        "errorSummary": m.error_summary,
        "lastPush": m.last_push,
        "created": m.created,
        "lastUpdated": m.last_updated,
        "_links": {
            "app": { "href": format!("{base}/api/v1/apps/{app}") },
            "sourceGroup": { "href": format!("{base}/api/v1/groups/{}", m.source_group_id) },
        },
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListParams {
    source_group_id: Option<String>,
    target_group_id: Option<String>,
    last_response_status: Option<String>,
}

async fn list_mappings(
    Api(cx): Api,
    Path(raw): Path<String>,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let app = id::<AppId>(&raw, "AppInstance")?;
    let base = cx.settings.public_url.clone();
    let items: Vec<Value> = provisioning::push_mappings(&cx, &app)
        .await?
        .iter()
        .filter(|m| {
            p.source_group_id
                .as_ref()
                .is_none_or(|g| &m.source_group_id == g)
        })
        .filter(|m| {
            p.target_group_id
                .as_ref()
                .is_none_or(|g| m.target_group_id.as_ref() == Some(g))
        })
        .filter(|m| {
            p.last_response_status
                .as_ref()
                .is_none_or(|s| &m.status == s)
        })
        .map(|m| mapping_wire(&base, app.as_str(), m))
        .collect();
    Ok(Json(items).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateMapping {
    source_group_id: Option<String>,
    target_group_id: Option<String>,
    target_group_name: Option<String>,
    status: Option<String>,
}

async fn create_mapping(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<CreateMapping>,
) -> Result<Response, ApiError> {
    let app = id::<AppId>(&raw, "AppInstance")?;
    let source = body
        .source_group_id
        .as_deref()
        .ok_or_else(|| ApiError::missing("sourceGroupId"))?;
    let group = id::<GroupId>(source, "UserGroup")?;
    if body.target_group_id.is_some() == body.target_group_name.is_some() {
        return Err(ApiError::invalid(
            "targetGroupName",
            "Give either targetGroupName (a new group) or targetGroupId (an existing one).",
        ));
    }
    let active = match body.status.as_deref() {
        None | Some("ACTIVE") => true,
        Some("INACTIVE") => false,
        Some(_) => return Err(ApiError::invalid("status", "Use ACTIVE or INACTIVE.")),
    };
    let m = provisioning::create_push(
        &cx,
        &app,
        &group,
        body.target_group_name.as_deref(),
        body.target_group_id.as_deref(),
        active,
    )
    .await?;
    Ok(Json(mapping_wire(&cx.settings.public_url, app.as_str(), &m)).into_response())
}

async fn read_mapping(
    Api(cx): Api,
    Path((raw, mapping)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let app = id::<AppId>(&raw, "AppInstance")?;
    let m = provisioning::push_mapping(&cx, &app, &mapping).await?;
    Ok(Json(mapping_wire(&cx.settings.public_url, app.as_str(), &m)).into_response())
}

#[derive(Deserialize)]
struct UpdateMapping {
    status: Option<String>,
}

async fn update_mapping(
    Api(cx): Api,
    Path((raw, mapping)): Path<(String, String)>,
    Body(body): Body<UpdateMapping>,
) -> Result<Response, ApiError> {
    let app = id::<AppId>(&raw, "AppInstance")?;
    let active = match body.status.as_deref() {
        Some("ACTIVE") => true,
        Some("INACTIVE") => false,
        _ => return Err(ApiError::invalid("status", "Use ACTIVE or INACTIVE.")),
    };
    let m = provisioning::set_push_status(&cx, &app, &mapping, active).await?;
    Ok(Json(mapping_wire(&cx.settings.public_url, app.as_str(), &m)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DeleteParams {
    delete_target_group: Option<String>,
}

async fn delete_mapping(
    Api(cx): Api,
    Path((raw, mapping)): Path<(String, String)>,
    Params(p): Params<DeleteParams>,
) -> Result<Response, ApiError> {
    let app = id::<AppId>(&raw, "AppInstance")?;
    let delete_target = match p.delete_target_group.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::invalid("deleteTargetGroup", "Use true or false.")),
    };
    provisioning::delete_push(&cx, &app, &mapping, delete_target).await?;
    Ok(no_content())
}

//! `/api/v1/realm-assignments`: Okta's Realm Assignments API — the rules
//! (list by priority, create INACTIVE, read, replace, delete, activate,
//! deactivate), their runs (`…/operations`: execute one rule or `ALL`, list
//! the runs newest first) and `/api/v1/operations/{id}` to poll a run.
//!
//! Our extension, on its own path so that Okta's closed enums stay closed:
//! `…/plans` — a dry run listing who would move and who is refused, then
//! `…/plans/{id}/execute` runs exactly that plan. Plans (PLANNED) never
//! appear among Okta's operations; a canceled run is reported as FAILED.

use axum::extract::{OriginalUri, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use app::error::AppError;
use app::ids::{OperationId, RealmId, RuleId, UserId};
use app::model::{ItemResult, Operation, OperationKind, OperationStatus, RealmRule};
use app::ops::operations;
use app::ops::rules::{self, RuleChange, RuleForm};
use app::views::admin::OperationView;

use super::openapi::{op, Endpoint};
use super::{id, no_content, Api, ApiError, Body, Cursor, PageParams, Paged, Params};

/// Okta's operation type for a realm-assignment run.
const OPERATION_TYPE: &str = "realm:assignment";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        op(
            "GET",
            "/realm-assignments",
            "listRealmAssignments",
            "List realm assignments by priority",
            200,
            list,
        ),
        op(
            "POST",
            "/realm-assignments",
            "createRealmAssignment",
            "Create a realm assignment (inactive)",
            201,
            create,
        ),
        op(
            "GET",
            "/realm-assignments/operations",
            "listRealmAssignmentOperations",
            "List realm assignment runs, newest first",
            200,
            list_runs,
        ),
        op(
            "POST",
            "/realm-assignments/operations",
            "executeRealmAssignment",
            "Run one assignment, or ALL",
            201,
            execute,
        ),
        op(
            "POST",
            "/realm-assignments/plans",
            "planRealmAssignment",
            "Extension: plan a run without moving anyone",
            201,
            plan,
        ),
        op(
            "GET",
            "/realm-assignments/plans/{id}",
            "getRealmAssignmentPlan",
            "Extension: a plan and the users it moves or refuses",
            200,
            read_plan,
        ),
        op(
            "POST",
            "/realm-assignments/plans/{id}/execute",
            "executeRealmAssignmentPlan",
            "Extension: run exactly this plan",
            201,
            execute_plan,
        ),
        op(
            "GET",
            "/realm-assignments/{id}",
            "getRealmAssignment",
            "Retrieve a realm assignment",
            200,
            read,
        ),
        op(
            "PUT",
            "/realm-assignments/{id}",
            "replaceRealmAssignment",
            "Replace a realm assignment",
            200,
            replace,
        ),
        op(
            "DELETE",
            "/realm-assignments/{id}",
            "deleteRealmAssignment",
            "Delete a realm assignment",
            204,
            delete,
        ),
        op(
            "POST",
            "/realm-assignments/{id}/lifecycle/{op}",
            "realmAssignmentLifecycle",
            "activate or deactivate a realm assignment",
            204,
            lifecycle,
        ),
        op(
            "GET",
            "/operations/{id}",
            "getOperation",
            "Retrieve a realm assignment run",
            200,
            read_run,
        ),
    ]
}

fn base(cx: &app::ctx::Ctx) -> &str {
    &cx.settings.public_url
}

fn href(base: &str, path: &str) -> String {
    format!("{}/api/v1/{path}", base.trim_end_matches('/'))
}

/// A validation failure, with our field names turned into Okta's.
fn okta_fields(e: AppError) -> ApiError {
    match e {
        AppError::Validation { mut fields, values } => {
            for f in &mut fields {
                let okta = match f.field.as_str() {
                    "expression" => "conditions.expression.value",
                    "profileSourceId" => "conditions.profileSourceId",
                    "targetRealmId" | "realmId" => "actions.assignUserToRealm.realmId",
                    _ => continue,
                };
                f.field = okta.to_string();
            }
            AppError::Validation { fields, values }.into()
        }
        other => other.into(),
    }
}

/// A RealmAssignment, as Okta writes it.
fn assignment(base: &str, r: &RealmRule) -> Value {
    json!({
        "id": r.id.as_str(),
        "name": r.name,
        "status": r.status.as_str(),
        "isDefault": r.is_default,
        "priority": r.priority,
        "created": r.created,
        "lastUpdated": r.last_updated,
        "conditions": {
            "profileSourceId": r.profile_source_id,
            "expression": { "value": r.expression },
        },
        "actions": { "assignUserToRealm": { "realmId": r.target_realm_id.as_str() } },
        "_links": {
            "self": { "href": href(base, &format!("realm-assignments/{}", r.id)), "method": "GET" },
        },
    })
}

async fn list(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> Result<Response, ApiError> {
    let cursor = Cursor::new(p.limit.as_deref(), p.after.as_deref(), 20, 200)?;
    let all = rules::records(&cx).await?;
    // `after` is the priority of the last assignment returned.
    let (page, next) = cursor.page(all, |r| r.priority.to_string());
    Ok(Paged {
        items: page.iter().map(|r| assignment(base(&cx), r)).collect(),
        uri,
        public_url: base(&cx).to_string(),
        limit: cursor.limit,
        next,
    }
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AssignmentBody {
    name: Option<String>,
    priority: Option<i64>,
    #[serde(default)]
    conditions: Option<ConditionsBody>,
    #[serde(default)]
    actions: Option<ActionsBody>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ConditionsBody {
    profile_source_id: Option<String>,
    expression: Option<ExpressionBody>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ExpressionBody {
    value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ActionsBody {
    assign_user_to_realm: Option<AssignBody>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AssignBody {
    realm_id: Option<String>,
}

fn form_of(body: AssignmentBody) -> Result<(RuleForm, Option<i64>), ApiError> {
    let conditions = body.conditions.unwrap_or_default();
    let realm = body
        .actions
        .and_then(|a| a.assign_user_to_realm)
        .and_then(|a| a.realm_id)
        .filter(|r| !r.trim().is_empty());
    let target_realm_id = match realm {
        None => None,
        Some(raw) => Some(RealmId::parse(raw.trim()).map_err(|_| {
            ApiError::invalid(
                "actions.assignUserToRealm.realmId",
                format!("There is no realm {raw}."),
            )
        })?),
    };
    let form = RuleForm {
        name: body.name.unwrap_or_default(),
        // Okta names its own users' source `OKTA`; ours is "none".
        profile_source_id: conditions
            .profile_source_id
            .filter(|s| !s.trim().is_empty() && s != "OKTA"),
        expression: conditions.expression.and_then(|e| e.value),
        target_realm_id,
    };
    Ok((form, body.priority))
}

async fn create(Api(cx): Api, Body(body): Body<AssignmentBody>) -> Result<Response, ApiError> {
    let (form, priority) = form_of(body)?;
    let rule = rules::create_at(&cx, form, priority)
        .await
        .map_err(okta_fields)?;
    Ok((StatusCode::CREATED, Json(assignment(base(&cx), &rule))).into_response())
}

async fn read(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let rule = rules::record(&cx, &id::<RuleId>(&raw, "RealmAssignment")?).await?;
    Ok(Json(assignment(base(&cx), &rule)).into_response())
}

async fn replace(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<AssignmentBody>,
) -> Result<Response, ApiError> {
    let id = id::<RuleId>(&raw, "RealmAssignment")?;
    let (form, priority) = form_of(body)?;
    let rule = rules::replace_at(&cx, &id, form, priority)
        .await
        .map_err(okta_fields)?;
    Ok(Json(assignment(base(&cx), &rule)).into_response())
}

async fn delete(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let id = id::<RuleId>(&raw, "RealmAssignment")?;
    rules::change(&cx, &id, RuleChange::Delete).await?;
    Ok(no_content())
}

async fn lifecycle(
    Api(cx): Api,
    Path((raw, op)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = id::<RuleId>(&raw, "RealmAssignment")?;
    let change = match op.as_str() {
        "activate" => RuleChange::Activate,
        "deactivate" => RuleChange::Deactivate,
        other => return Err(ApiError::not_found(&format!("lifecycle/{other}"))),
    };
    rules::change(&cx, &id, change).await?;
    Ok(no_content())
}

/// Okta's operation statuses: a canceled run is FAILED; a plan is none.
fn okta_status(status: OperationStatus) -> Option<&'static str> {
    Some(match status {
        OperationStatus::Planned => return None,
        OperationStatus::Scheduled => "SCHEDULED",
        OperationStatus::InProgress => "IN_PROGRESS",
        OperationStatus::Completed => "COMPLETED",
        OperationStatus::Failed | OperationStatus::Canceled => "FAILED",
    })
}

/// A RealmAssignmentOperationResponse; `None` for a plan (not an Okta
/// operation).
fn run(base: &str, op: &Operation, configuration: &Value) -> Option<Value> {
    let status = okta_status(op.status)?;
    let rule = &configuration["rule"];
    let all = configuration["all"].as_bool().unwrap_or(false);
    let (configuration, realm_id, realm_name) = match (&op.rule_id, op.kind) {
        (Some(id), _) => (
            json!({
                "id": id.as_str(),
                "name": rule["name"].as_str().unwrap_or(&op.label),
                "conditions": {
                    "profileSourceId": rule["profileSourceId"],
                    "expression": { "value": rule["expression"] },
                },
                "actions": { "assignUserToRealm": { "realmId": rule["realmId"] } },
            }),
            rule["realmId"].clone(),
            rule["realmName"].clone(),
        ),
        (None, OperationKind::Rule) if all => (
            json!({ "id": "ALL", "name": app::store::rules::ALL_ASSIGNMENTS }),
            Value::Null,
            Value::Null,
        ),
        (None, _) => (
            json!({ "id": op.id.as_str(), "name": op.label }),
            configuration["realmId"].clone(),
            Value::Null,
        ),
    };
    Some(json!({
        "id": op.id.as_str(),
        "type": OPERATION_TYPE,
        "status": status,
        "created": op.created,
        "started": op.started,
        "completed": op.completed,
        "numUserMoved": op.num_moved,
        "realmId": realm_id,
        "realmName": realm_name,
        "assignmentOperation": { "configuration": configuration },
        "_links": { "self": { "href": href(base, &format!("operations/{}", op.id)), "method": "GET" } },
    }))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AssignmentRef {
    assignment_id: Option<String>,
}

/// `Some(rule)`, or `None` for `ALL`.
fn assignment_of(body: AssignmentRef) -> Result<Option<RuleId>, ApiError> {
    let raw = body
        .assignment_id
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ApiError::missing("assignmentId"))?;
    if raw == "ALL" {
        return Ok(None);
    }
    id::<RuleId>(&raw, "RealmAssignment").map(Some)
}

/// The started run, as Okta answers an execution (201).
async fn started(cx: &app::ctx::Ctx, id: &OperationId) -> Result<Response, ApiError> {
    let (op, configuration) = operations::record(cx, id).await?;
    let body = run(base(cx), &op, &configuration)
        .ok_or_else(|| ApiError::not_found(&format!("{id} (Operation)")))?;
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn execute(Api(cx): Api, Body(body): Body<AssignmentRef>) -> Result<Response, ApiError> {
    let rule = assignment_of(body)?;
    let op = operations::run(&cx, rule.as_ref())
        .await
        .map_err(okta_fields)?;
    started(&cx, &op.id).await
}

async fn list_runs(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> Result<Response, ApiError> {
    let cursor = Cursor::new(p.limit.as_deref(), p.after.as_deref(), 20, 200)?;
    let after = match cursor.after.as_deref() {
        None => None,
        Some(raw) => Some(
            OperationId::parse(raw)
                .map_err(|_| ApiError::invalid("after", "Not a cursor of this list."))?,
        ),
    };
    let mut runs = operations::runs(&cx, after.as_ref(), cursor.limit as i64 + 1).await?;
    let next = if runs.len() > cursor.limit {
        runs.truncate(cursor.limit);
        runs.last().map(|r| r.id.to_string())
    } else {
        None
    };
    let mut items = Vec::with_capacity(runs.len());
    for op in &runs {
        let (op, configuration) = operations::record(&cx, &op.id).await?;
        items.extend(run(base(&cx), &op, &configuration));
    }
    Ok(Paged {
        items,
        uri,
        public_url: base(&cx).to_string(),
        limit: cursor.limit,
        next,
    }
    .into_response())
}

async fn read_run(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let id = id::<OperationId>(&raw, "Operation")?;
    let (op, configuration) = operations::record(&cx, &id).await?;
    let body = run(base(&cx), &op, &configuration)
        .ok_or_else(|| ApiError::not_found(&format!("{raw} (Operation)")))?;
    Ok(Json(body).into_response())
}

/// A plan (our extension): what it would do, user by user, a page at a
/// time, with the link that executes it.
fn plan_body(base: &str, view: &OperationView) -> Value {
    let op = &view.operation;
    let assignment_id = match (&op.rule_id, op.kind) {
        (Some(id), _) => Value::from(id.as_str()),
        (None, OperationKind::Rule) => Value::from("ALL"),
        (None, _) => Value::Null,
    };
    let this = href(base, &format!("realm-assignments/plans/{}", op.id));
    let mut links = json!({
        "self": { "href": this, "method": "GET" },
    });
    if op.status == OperationStatus::Planned {
        links["execute"] = json!({ "href": format!("{this}/execute"), "method": "POST" });
    } else if okta_status(op.status).is_some() {
        links["operation"] =
            json!({ "href": href(base, &format!("operations/{}", op.id)), "method": "GET" });
    }
    if let Some(next) = &view.next {
        links["next"] = json!({ "href": format!("{this}?after={next}"), "method": "GET" });
    }
    json!({
        "id": op.id.as_str(),
        "assignmentId": assignment_id,
        "name": op.label,
        "status": op.status.as_str(),
        "created": op.created,
        "started": op.started,
        "completed": op.completed,
        "numUserPlanned": op.num_planned,
        "numUserRefused": op.num_refused,
        "numUserMoved": op.num_moved,
        "numUserSkipped": op.num_skipped,
        "numUserFailed": op.num_failed,
        "users": view.items.iter().map(|i| json!({
            "id": i.user_id.as_str(),
            "login": i.login,
            "name": i.name,
            "fromRealmId": i.from_realm_id.as_str(),
            "fromRealmName": i.from_realm,
            "toRealmId": i.to_realm_id.as_str(),
            "toRealmName": i.to_realm,
            "result": i.result.as_str(),
            "reason": i.message,
        })).collect::<Vec<_>>(),
        "_links": links,
    })
}

async fn plan(Api(cx): Api, Body(body): Body<AssignmentRef>) -> Result<Response, ApiError> {
    let op = match assignment_of(body)? {
        Some(rule) => operations::plan_rule(&cx, &rule).await,
        None => operations::plan_all(&cx).await,
    }
    .map_err(okta_fields)?;
    let view = operations::get(&cx, &op.id, None, None).await?;
    Ok((StatusCode::CREATED, Json(plan_body(base(&cx), &view))).into_response())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PlanParams {
    after: Option<String>,
    result: Option<String>,
}

async fn read_plan(
    Api(cx): Api,
    Path(raw): Path<String>,
    Params(p): Params<PlanParams>,
) -> Result<Response, ApiError> {
    let id = id::<OperationId>(&raw, "Plan")?;
    let after = match p.after.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(
            UserId::parse(a)
                .map_err(|_| ApiError::invalid("after", "Not a cursor of this plan."))?,
        ),
    };
    let result = match p.result.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => Some(ItemResult::parse(r).ok_or_else(|| {
            ApiError::invalid(
                "result",
                "Use PENDING, MOVED, SKIPPED_CHANGED, FAILED or CANCELED.",
            )
        })?),
    };
    let view = operations::get(&cx, &id, result, after.as_ref()).await?;
    Ok(Json(plan_body(base(&cx), &view)).into_response())
}

async fn execute_plan(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let id = id::<OperationId>(&raw, "Plan")?;
    operations::execute(&cx, &id).await?;
    started(&cx, &id).await
}

#[cfg(test)]
#[path = "tests/rules.rs"]
mod tests;

//! Realm moves as planned operations: a rule's plan (dry run over every
//! user), a bulk move of selected or filtered users, an operation with a page
//! of its items, its execution in the background and its cancellation.
//! Whoever plans or executes must be able to manage every user it moves, and
//! the realms on both sides: a rule's operation needs `okta.realms.manage` over
//! every realm; a bulk move needs it on the realm it moves users to and on each
//! realm they leave (as in Okta).

use crate::authz::{scope, Grant, Permission};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::ids::{OperationId, RealmId, RuleId, UserId};
use crate::model::{ItemResult, LifecycleStatus, Operation, OperationKind};
use crate::store::users::MAX_PAGE;
use crate::views::admin::{OperationView, ITEMS_PAGE, MOVE_MAX};

use super::access::{accounts_beyond_reach, authorize_realm, authorize_user, org_level};

/// `permission` for an operation: over every realm, or — for a bulk move — on
/// the realm it moves users to and (to change it) on each realm its pending
/// users leave.
async fn authorize_operation(
    cx: &Ctx,
    permission: Permission,
    id: &OperationId,
) -> Result<Grant, AppError> {
    if let Ok(grant) = org_level(&cx.principal, permission) {
        return Ok(grant);
    }
    // Operations are for realm managers.
    if scope(&cx.principal, Permission::RealmsManage).is_empty() {
        return Err(AppError::Forbidden);
    }
    let operation = cx.store.operation_by_id(id).await?;
    if operation.kind != OperationKind::BulkMove {
        return Err(AppError::Forbidden);
    }
    let (targets, sources) = cx.store.operation_realms(id).await?;
    let [target] = targets.as_slice() else {
        return Err(AppError::Forbidden);
    };
    let (_, grant) = authorize_realm(cx, permission, target).await?;
    if permission == Permission::RealmsManage {
        for source in &sources {
            authorize_realm(cx, Permission::RealmsManage, source).await?;
        }
    }
    Ok(grant)
}
use super::users::{UserFilter, UserSort};

/// Plans (dry-runs) a rule over every user the planner may manage.
pub async fn plan_rule(cx: &Ctx, id: &RuleId) -> Result<Operation, AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsManage)?;
    let refused = accounts_beyond_reach(cx).await?;
    // Only users the planner may manage are considered at all.
    let users = scope(&cx.principal, Permission::UsersManage);
    let bounded = (!users.users().all).then_some(&users);
    Ok(cx.store.plan_rule(&grant, id, &refused, bounded).await?)
}

/// Plans moving users (each one the caller may manage) to a realm: the users
/// table's "Move to realm" on selected rows. Ids are as given (a malformed
/// one is "not found"); `realm` is `None` when none (or no valid one) was
/// chosen.
pub async fn plan_move(
    cx: &Ctx,
    ids: &[String],
    realm: Option<&RealmId>,
) -> Result<OperationId, AppError> {
    let realm = realm.ok_or_else(|| AppError::validation("realmId", "Choose a realm."))?;
    let (_, grant) = authorize_realm(cx, Permission::RealmsManage, realm).await?;
    if ids.is_empty() {
        return Err(AppError::validation("ids", "Select at least one user."));
    }
    if ids.len() > MOVE_MAX {
        return Err(AppError::validation(
            "ids",
            format!("Move at most {MOVE_MAX} users at a time; use a rule for more."),
        ));
    }
    let mut users = Vec::with_capacity(ids.len());
    for raw in ids {
        let id = UserId::parse(raw.trim()).map_err(|_| AppError::NotFound)?;
        let (user, _) = authorize_user(cx, Permission::UsersManage, &id).await?;
        // Moving out of a realm needs realm rights there too.
        if user.realm_id != *realm {
            authorize_realm(cx, Permission::RealmsManage, &user.realm_id).await?;
        }
        users.push(user.id);
    }
    Ok(cx.store.plan_bulk_move(&grant, &users, realm).await?.id)
}

/// Plans moving every user the users table's filter matches that the caller
/// may manage, up to `MOVE_MAX`.
pub async fn plan_move_filtered(
    cx: &Ctx,
    filter: &UserFilter,
    realm: Option<&RealmId>,
) -> Result<OperationId, AppError> {
    if scope(&cx.principal, Permission::RealmsManage).is_empty() {
        return Err(AppError::Forbidden);
    }
    if *filter == UserFilter::default() {
        return Err(AppError::validation(
            "realmId",
            "Filter the table first (a search, status, realm or group); a rule moves everyone.",
        ));
    }
    let manage = scope(&cx.principal, Permission::UsersManage);
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = cx
            .store
            .list_users(&manage, filter, UserSort::Login, after.as_deref(), MAX_PAGE)
            .await?;
        ids.extend(page.items.into_iter().map(|u| u.id.to_string()));
        if ids.len() > MOVE_MAX {
            return Err(AppError::validation(
                "realmId",
                format!("More than {MOVE_MAX} users match; narrow the filter or use a rule."),
            ));
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    if ids.is_empty() {
        return Err(AppError::validation(
            "realmId",
            "No user you may manage matches the filter.",
        ));
    }
    plan_move(cx, &ids, realm).await
}

/// An operation with a page of its items (`result`: of one result only);
/// items name users, so only those the caller may read are listed.
pub async fn get(
    cx: &Ctx,
    id: &OperationId,
    result: Option<ItemResult>,
    after: Option<&UserId>,
) -> Result<OperationView, AppError> {
    let grant = authorize_operation(cx, Permission::RealmsRead, id).await?;
    let operation = cx.store.get_operation(&grant, id).await?;
    let users = scope(&cx.principal, Permission::UsersRead);
    let mut items = cx
        .store
        .operation_items(&grant, id, result, after, ITEMS_PAGE + 1, Some(&users))
        .await?;
    let next = if items.len() as i64 > ITEMS_PAGE {
        items.truncate(ITEMS_PAGE as usize);
        items.last().map(|i| i.user_id.to_string())
    } else {
        None
    };
    Ok(OperationView {
        operation,
        items,
        next,
    })
}

/// Executes a plan exactly as planned, in the background.
pub async fn execute(cx: &Ctx, id: &OperationId) -> Result<String, AppError> {
    let grant = authorize_operation(cx, Permission::RealmsManage, id).await?;
    // Whoever executes a plan must be able to move every user it moves: the
    // planner's rights are not the executor's.
    let refused: Vec<UserId> = accounts_beyond_reach(cx).await?.into_keys().collect();
    let users = scope(&cx.principal, Permission::UsersManage);
    let outside = cx.store.pending_items_outside(id, &users, &refused).await?;
    if outside > 0 {
        return Err(AppError::conflict(format!(
            "This plan moves {outside} user{} you may not manage (accounts with admin rights you do not hold, or outside your users). Plan it again yourself.",
            if outside == 1 { "" } else { "s" }
        )));
    }
    let op = cx.store.start_operation(&grant, id).await?;
    tokio::spawn(crate::store::rules::run_operation(
        cx.store.clone(),
        grant,
        id.clone(),
    ));
    Ok(format!(
        "Started: moving {} user{}.",
        op.num_planned,
        if op.num_planned == 1 { "" } else { "s" }
    ))
}

/// Stops a plan or a running operation; what is left is not applied.
pub async fn cancel(cx: &Ctx, id: &OperationId) -> Result<String, AppError> {
    let grant = authorize_operation(cx, Permission::RealmsManage, id).await?;
    let op = cx.store.cancel_operation(&grant, id).await?;
    Ok(format!(
        "Canceled after moving {} user{}.",
        op.num_moved,
        if op.num_moved == 1 { "" } else { "s" }
    ))
}

/// Plans (dry-runs) every active rule at once (Okta's `ALL`), as one
/// operation, over every user the planner may manage.
pub async fn plan_all(cx: &Ctx) -> Result<Operation, AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsManage)?;
    let refused = accounts_beyond_reach(cx).await?;
    let users = scope(&cx.principal, Permission::UsersManage);
    let bounded = (!users.users().all).then_some(&users);
    Ok(cx.store.plan_all(&grant, &refused, bounded).await?)
}

/// Okta's "execute a realm assignment": plans an active rule (`None`: every
/// active rule, as one operation) and starts it in the background; answers
/// the operation as started.
pub async fn run(cx: &Ctx, rule: Option<&RuleId>) -> Result<Operation, AppError> {
    let plan = match rule {
        Some(id) => {
            let rule = super::rules::record(cx, id).await?;
            if rule.status != LifecycleStatus::Active {
                return Err(AppError::validation(
                    "assignmentId",
                    "Activate this realm assignment before running it.",
                ));
            }
            plan_rule(cx, id).await?
        }
        None => plan_all(cx).await?,
    };
    execute(cx, &plan.id).await?;
    Ok(record(cx, &plan.id).await?.0)
}

/// An operation with its configuration as planned (the rule as it was, or
/// `{"all": true}`), for the Management API.
pub async fn record(
    cx: &Ctx,
    id: &OperationId,
) -> Result<(Operation, serde_json::Value), AppError> {
    let grant = authorize_operation(cx, Permission::RealmsRead, id).await?;
    Ok(cx.store.operation_with_configuration(&grant, id).await?)
}

/// Runs of realm assignments (started rule operations, not plans), newest
/// first, `limit` after the run `after`; for whoever reads rules org-wide.
pub async fn runs(
    cx: &Ctx,
    after: Option<&OperationId>,
    limit: i64,
) -> Result<Vec<Operation>, AppError> {
    let grant = org_level(&cx.principal, Permission::RealmsRead)?;
    Ok(cx.store.list_runs(&grant, after, limit).await?)
}

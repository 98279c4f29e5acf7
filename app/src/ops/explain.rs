//! "Explain access": everything an admin can do and why, and for a question
//! (a permission on a target) the decision with what made it. Needs
//! `okta.iam.read` over the org; targets are loaded under the *asking*
//! admin's read scope.

use crate::authz::{self, scope, Client, Permission, Principal, Target};
use crate::ctx::{actor_of, Ctx};
use crate::error::AppError;
use crate::ids::{AppId, GroupId, RealmId};
use crate::model::ExplainedDecision;
use crate::views::admin::{ExplainView, ExplainedRight};

use super::access::{app_target, org_level};

/// The permissions "explain access" can ask about, as (string, label).
pub fn permissions(cx: &Ctx) -> Result<Vec<(String, String)>, AppError> {
    org_level(&cx.principal, Permission::IamRead)?;
    Ok(Permission::ALL
        .iter()
        .map(|p| {
            (
                p.as_str().to_string(),
                format!("{} — {}", p.label(), p.as_str()),
            )
        })
        .collect())
}

/// A question to explain: `permission` on the target of `kind` (`org`,
/// `user`, `group`, `app` or `realm`) named by `target` (a username or an id).
#[derive(Debug, Clone)]
pub struct Question {
    pub permission: Permission,
    pub kind: String,
    pub target: String,
}

/// What the admin with `login` can do, and the decision on `question`.
pub async fn run(
    cx: &Ctx,
    login: &str,
    question: Option<Question>,
) -> Result<ExplainView, AppError> {
    org_level(&cx.principal, Permission::IamRead)?;
    let admin = super::users::find_by_login(cx, login)
        .await?
        .ok_or_else(|| {
            AppError::validation("login", format!("There is no user {}.", login.trim()))
        })?;
    let rows = cx.store.rights_rows(&admin.id).await?;
    let subject = Principal::for_user(
        admin.id.clone(),
        actor_of(&admin),
        Client::default(),
        rows,
        &cx.org.orn,
    );
    let rights = subject
        .entitlements()
        .iter()
        .map(|e| ExplainedRight {
            source: e.source.to_string(),
            permissions: e
                .permissions
                .iter()
                .map(|(p, c)| match c {
                    Some(_) => format!("{} (with attribute conditions)", p.as_str()),
                    None => p.as_str().to_string(),
                })
                .collect(),
            resources: e
                .resources
                .as_ref()
                .map(|rs| rs.iter().map(|r| r.to_string()).collect()),
        })
        .collect();
    let decision = match question {
        None => None,
        Some(q) => {
            let target = load_target(cx, &q.kind, q.target.trim()).await?;
            let d = authz::explain(&subject, q.permission, &target);
            Some(ExplainedDecision {
                allowed: d.allowed,
                permission: d.permission,
                target: q.target.trim().to_string(),
                reason: d.reason,
            })
        }
    };
    Ok(ExplainView {
        admin: admin.profile.login,
        admin_id: admin.id.to_string(),
        rights,
        decision,
    })
}

/// The target, loaded under the asking admin's read scope.
async fn load_target(cx: &Ctx, kind: &str, raw: &str) -> Result<Target, AppError> {
    let missing = || {
        AppError::validation(
            "target",
            "Nothing by that name or id among what you can see.",
        )
    };
    let principal = &cx.principal;
    match kind {
        "org" => Ok(Target::Org),
        "user" => {
            let user = super::users::find_by_login(cx, raw).await?.ok_or_else(|| {
                AppError::validation("target", format!("There is no user {raw}."))
            })?;
            Ok(cx.store.facts_of_user(&cx.org.orn, &user).await?)
        }
        "group" => {
            let id = GroupId::parse(raw).map_err(|_| missing())?;
            let group = cx
                .store
                .get_group(&scope(principal, Permission::GroupsRead), &id)
                .await
                .map_err(|_| missing())?;
            Ok(cx.store.facts_of_group(&cx.org.orn, &group.id).await?)
        }
        "app" => {
            let id = AppId::parse(raw).map_err(|_| missing())?;
            let app = cx
                .store
                .get_app(&scope(principal, Permission::AppsRead), &id)
                .await
                .map_err(|_| missing())?;
            Ok(app_target(&app))
        }
        "realm" => {
            let id = RealmId::parse(raw).map_err(|_| missing())?;
            let realm = cx
                .store
                .get_realm(&scope(principal, Permission::RealmsRead), &id)
                .await
                .map_err(|_| missing())?;
            Ok(Target::Realm { id: realm.id })
        }
        _ => Err(AppError::validation(
            "kind",
            "Choose what the action is on.",
        )),
    }
}

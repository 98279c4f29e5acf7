//! Provisioning an app: its connection (`okta.apps.manage` on the app), a
//! check of its credentials, a preview of what one user's account would
//! hold, failed deliveries to retry or dismiss, group push mappings, and
//! imports of the app's users. Deliveries themselves are the worker's
//! (`crate::provisioning::worker`).

use crate::authz::{check, scope, Permission};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::ids::{AppId, GroupId, UserId};
use crate::provisioning::client::Endpoint;
use crate::provisioning::{self, okta, scim, target, Connection, Kind, Setup};
use crate::views::apps::{ProvisioningPanel, ProvisioningView, PushMappingView};

use super::access::{app_target, authorize_app, authorize_group};

/// The provisioning section of an app page: for those who may configure
/// the app (`okta.apps.manage`), else `None`.
pub async fn panel(cx: &Ctx, id: &AppId) -> Result<Option<ProvisioningPanel>, AppError> {
    let app = super::apps::record(cx, id).await?;
    if check(&cx.principal, Permission::AppsManage, &app_target(&app)).is_err() {
        return Ok(None);
    }
    let connection = cx
        .store
        .provisioning_of(&app.id)
        .await?
        .map(|s| s.view(true));
    let (failed, pending) = cx.store.provisioning_tasks_of(&app.id).await?;
    let pushes = cx.store.push_mappings(&app.id).await?;
    let groups = cx
        .store
        .list_groups(&scope(&cx.principal, Permission::GroupsRead))
        .await?
        .into_iter()
        .filter(|g| !pushes.iter().any(|p| p.source_group_id == g.id.as_str()))
        .map(|g| (g.id.to_string(), g.name))
        .collect();
    Ok(Some(ProvisioningPanel {
        connection,
        defaults: blank(Kind::Scim2),
        failed,
        pending,
        pushes,
        groups,
    }))
}

/// The app's provisioning connection as configured (`okta.apps.manage` on
/// the app, as its form; the credential is never in it).
pub async fn connection_view(cx: &Ctx, id: &AppId) -> Result<Option<ProvisioningView>, AppError> {
    let (app, _) = authorize_app(cx, Permission::AppsManage, id).await?;
    Ok(cx
        .store
        .provisioning_of(&app.id)
        .await?
        .map(|s| s.view(true)))
}

/// A new connection's form: SCIM with the default mappings and every
/// feature but deletes and imports on.
pub fn blank(kind: Kind) -> ProvisioningView {
    ProvisioningView {
        kind: kind.as_str().into(),
        auth_scheme: match kind {
            Kind::Scim2 => "BEARER".into(),
            Kind::OktaOrg2Org => "SSWS".into(),
        },
        create_users: true,
        update_users: true,
        deactivate_users: true,
        push_groups: true,
        mappings: provisioning::mappings_text(&provisioning::default_mappings(kind)),
        ..ProvisioningView::default()
    }
}

/// Saves the app's connection (`okta.apps.manage` on it). `secret`: the
/// token or password, or empty to keep the stored one. Every user the app
/// has gets a delivery, so the app catches up.
pub async fn save(
    cx: &Ctx,
    id: &AppId,
    view: &ProvisioningView,
    secret: &str,
) -> Result<Setup, AppError> {
    let (_, grant) = authorize_app(cx, Permission::AppsManage, id).await?;
    let setup = Setup::from_view(view, cx.settings.outbound).map_err(AppError::fields)?;
    let secret = secret.trim();
    if secret.len() > 4096 {
        return Err(AppError::validation("secret", "At most 4096 characters."));
    }
    let sealed = if secret.is_empty() {
        None
    } else {
        Some(cx.settings.secrets.seal(secret)?)
    };
    cx.store
        .set_provisioning(&grant, &setup, sealed, cx.principal.user_id())
        .await?;
    Ok(setup)
}

async fn connection(cx: &Ctx, id: &AppId) -> Result<Connection, AppError> {
    cx.store
        .system_connection(id, &cx.settings.secrets)
        .await?
        .ok_or_else(|| {
            AppError::validation(
                "connection",
                "Save the app's provisioning connection first.",
            )
        })
}

fn endpoint<'a>(http: &'a crate::outbound::Outbound, connection: &'a Connection) -> Endpoint<'a> {
    Endpoint {
        http,
        connection,
        content_type: match connection.setup.kind {
            Kind::Scim2 => "application/scim+json",
            Kind::OktaOrg2Org => "application/json",
        },
    }
}

fn outbound(cx: &Ctx) -> Result<crate::outbound::Outbound, AppError> {
    cx.settings
        .outbound
        .client()
        .map_err(|e| AppError::Conflict { message: e })
}

/// "Test API credentials" (`okta.apps.manage` on the app): one
/// authenticated call; what failed, in the target's words, otherwise.
pub async fn test(cx: &Ctx, id: &AppId) -> Result<String, AppError> {
    let _ = authorize_app(cx, Permission::AppsManage, id).await?;
    let connection = connection(cx, id).await?;
    let http = outbound(cx)?;
    let ep = endpoint(&http, &connection);
    let checked = match connection.setup.kind {
        Kind::Scim2 => scim::check(&ep).await,
        Kind::OktaOrg2Org => okta::check(&ep).await,
    };
    checked
        .map_err(|f| AppError::validation("connection", format!("The test failed: {}", f.message)))
}

/// What the app would receive for one user (`okta.apps.manage` on the app,
/// and the user readable): the mapped resource, as JSON.
pub async fn preview(cx: &Ctx, id: &AppId, login: &str) -> Result<String, AppError> {
    let _ = authorize_app(cx, Permission::AppsManage, id).await?;
    let setup = cx.store.provisioning_of(id).await?.ok_or_else(|| {
        AppError::validation("login", "Save the app's provisioning connection first.")
    })?;
    let user = match UserId::parse(login.trim()) {
        Ok(uid) => cx
            .store
            .get_user(&scope(&cx.principal, Permission::UsersRead), &uid)
            .await
            .ok(),
        Err(_) => None,
    };
    let user = match user {
        Some(u) => u,
        None => {
            let found = cx
                .store
                .system_user_by_login(login.trim())
                .await?
                .ok_or_else(|| AppError::validation("login", "No user with that username."))?;
            // Only a user the caller may read.
            cx.store
                .get_user(&scope(&cx.principal, Permission::UsersRead), &found.id)
                .await
                .map_err(|_| AppError::validation("login", "No user with that username."))?
        }
    };
    let attributes = setup.attributes(&user);
    let body = match setup.kind {
        Kind::Scim2 => target::scim_user(&attributes, &setup.extensions, user.id.as_str(), true),
        Kind::OktaOrg2Org => serde_json::json!({ "profile": target::okta_profile(&attributes) }),
    };
    Ok(serde_json::to_string_pretty(&body).unwrap_or_default())
}

/// Retries or dismisses a failed delivery (`okta.apps.manage` on the app).
pub async fn resolve_failed(cx: &Ctx, id: &AppId, task: &str, retry: bool) -> Result<(), AppError> {
    let (_, grant) = authorize_app(cx, Permission::AppsManage, id).await?;
    let task: i64 = task.trim().parse().map_err(|_| AppError::NotFound)?;
    Ok(cx.store.resolve_failed_task(&grant, task, retry).await?)
}

/// The app's group push mappings (`okta.apps.read` on it).
pub async fn push_mappings(cx: &Ctx, id: &AppId) -> Result<Vec<PushMappingView>, AppError> {
    let app = super::apps::record(cx, id).await?;
    Ok(cx.store.push_mappings(&app.id).await?)
}

/// One of the app's group push mappings (`okta.apps.read` on it).
pub async fn push_mapping(
    cx: &Ctx,
    id: &AppId,
    mapping: &str,
) -> Result<PushMappingView, AppError> {
    let app = super::apps::record(cx, id).await?;
    Ok(cx.store.push_mapping(&app.id, mapping).await?)
}

/// Pushes a group to the app (`okta.apps.manage` on the app, the group
/// readable): a new group named `target_name` (default: the group's name),
/// or linked to the app's group `target_id`.
pub async fn create_push(
    cx: &Ctx,
    id: &AppId,
    group: &GroupId,
    target_name: Option<&str>,
    target_id: Option<&str>,
    active: bool,
) -> Result<PushMappingView, AppError> {
    let (_, grant) = authorize_app(cx, Permission::AppsManage, id).await?;
    let (group, _) = authorize_group(cx, Permission::GroupsRead, group).await?;
    Ok(cx
        .store
        .create_push_mapping(&grant, &group, target_name, target_id, active)
        .await?)
}

/// Turns a push mapping on or off (`okta.apps.manage` on the app).
pub async fn set_push_status(
    cx: &Ctx,
    id: &AppId,
    mapping: &str,
    active: bool,
) -> Result<PushMappingView, AppError> {
    let (_, grant) = authorize_app(cx, Permission::AppsManage, id).await?;
    Ok(cx.store.set_push_status(&grant, mapping, active).await?)
}

/// Deletes an inactive push mapping (`okta.apps.manage` on the app), and
/// with `delete_target` the group it made in the app first.
pub async fn delete_push(
    cx: &Ctx,
    id: &AppId,
    mapping: &str,
    delete_target: bool,
) -> Result<(), AppError> {
    let (app, grant) = authorize_app(cx, Permission::AppsManage, id).await?;
    let found = cx.store.push_mapping(&app.id, mapping).await?;
    if found.status == "ACTIVE" {
        return Err(AppError::validation(
            "status",
            "Deactivate the group push mapping before deleting it.",
        ));
    }
    if delete_target {
        if let Some(target) = &found.target_group_id {
            let connection = connection(cx, id).await?;
            let http = outbound(cx)?;
            let ep = endpoint(&http, &connection);
            let deleted = match connection.setup.kind {
                Kind::Scim2 => scim::delete_group(&ep, target).await,
                Kind::OktaOrg2Org => okta::delete_group(&ep, target).await,
            };
            deleted.map_err(|f| AppError::Conflict {
                message: format!("The app did not delete the group: {}", f.message),
            })?;
        }
    }
    Ok(cx.store.delete_push_mapping(&grant, mapping).await?)
}

/// Accounts an import reads at most.
const IMPORT_LIMIT: usize = 10_000;

/// What importing the app's users would do (`okta.apps.manage` on the app;
/// the Import users feature on): each account matched by username to a
/// portal user, a conflict (its email belongs to a user of another
/// username, or that user already has another account in the app), or new
/// (created in the realm the realm-assignment rules choose for this app).
pub async fn import_preview(
    cx: &Ctx,
    id: &AppId,
) -> Result<crate::views::apps::ImportPreview, AppError> {
    let _ = authorize_app(cx, Permission::AppsManage, id).await?;
    Ok(plan_import(cx, id).await?.0)
}

async fn plan_import(
    cx: &Ctx,
    id: &AppId,
) -> Result<
    (
        crate::views::apps::ImportPreview,
        Vec<provisioning::RemoteUser>,
    ),
    AppError,
> {
    use crate::views::apps::{ImportPreview, ImportRow};
    let connection = connection(cx, id).await?;
    if !connection.setup.features.import_users {
        return Err(AppError::validation(
            "import",
            "Turn on Import users in the app's provisioning first.",
        ));
    }
    let http = outbound(cx)?;
    let ep = endpoint(&http, &connection);
    let remote = match connection.setup.kind {
        Kind::Scim2 => scim::list_users(&ep, IMPORT_LIMIT).await,
        Kind::OktaOrg2Org => okta::list_users(&ep, IMPORT_LIMIT).await,
    }
    .map_err(|f| {
        AppError::validation(
            "import",
            format!("The app's users could not be read: {}", f.message),
        )
    })?;
    let linked = cx.store.linked_accounts(id).await?;
    let mut preview = ImportPreview::default();
    let mut accounts = Vec::new();
    for r in remote {
        if linked.contains_key(&r.id) {
            preview.linked += 1;
            continue;
        }
        // Only users the caller may read are matched or named.
        let readable = scope(&cx.principal, Permission::UsersRead);
        let visible = |user: Option<crate::model::User>| {
            let readable = &readable;
            async move {
                match user {
                    Some(u) => {
                        Ok::<_, AppError>(cx.store.get_user(readable, &u.id).await.ok().map(|_| u))
                    }
                    None => Ok(None),
                }
            }
        };
        let by_login = cx.store.system_user_by_login(&r.login).await?;
        let taken_elsewhere = by_login.is_some();
        let by_login = visible(by_login).await?;
        let by_email = match &by_login {
            Some(_) => None,
            None => visible(cx.store.system_user_by_email(&r.email).await?).await?,
        };
        let (outcome, detail) = match by_login {
            Some(user) => {
                let has_other = linked.values().any(|u| u == user.id.as_str());
                if has_other {
                    (
                        "CONFLICT",
                        format!(
                            "{} already has another account in the app",
                            user.profile.login
                        ),
                    )
                } else {
                    ("MATCH", user.profile.login.clone())
                }
            }
            None if taken_elsewhere => (
                "CONFLICT",
                "the username belongs to a user outside your realms".to_string(),
            ),
            None => match by_email {
                Some(user) => (
                    "CONFLICT",
                    format!(
                        "the email belongs to {}, whose username differs",
                        user.profile.login
                    ),
                ),
                None if !r.active => ("SKIPPED", "inactive in the app".to_string()),
                None => {
                    let profile = imported_profile(&r);
                    let realm = cx
                        .store
                        .realm_by_rules(
                            crate::store::idps::RuleSource::AppOrAny(id.as_str()),
                            None,
                            &profile,
                            &serde_json::Map::new(),
                        )
                        .await?;
                    let name = cx
                        .store
                        .system_realm_name(&realm)
                        .await?
                        .unwrap_or_else(|| realm.to_string());
                    ("NEW", format!("new user in {name}"))
                }
            },
        };
        preview.rows.push(ImportRow {
            external_id: r.id.clone(),
            login: r.login.clone(),
            email: r.email.clone(),
            name: format!("{} {}", r.first_name, r.last_name)
                .trim()
                .to_string(),
            outcome: outcome.into(),
            detail,
        });
        accounts.push(r);
    }
    Ok((preview, accounts))
}

fn imported_profile(r: &provisioning::RemoteUser) -> crate::model::BaseProfile {
    crate::model::BaseProfile {
        login: r.login.clone(),
        email: if r.email.is_empty() {
            r.login.clone()
        } else {
            r.email.clone()
        },
        first_name: r.first_name.clone(),
        last_name: r.last_name.clone(),
        ..Default::default()
    }
}

/// Imports the app's users (`okta.apps.manage` on the app, and the rights
/// to create users and assign the app where they land): matches are linked
/// and assigned the app, new users created (the app as their profile
/// source) in the realm the rules choose, linked and assigned; conflicts are
/// left for an admin. Returns a summary.
pub async fn import_run(cx: &Ctx, id: &AppId) -> Result<String, AppError> {
    let (app, _) = authorize_app(cx, Permission::AppsManage, id).await?;
    let (preview, accounts) = plan_import(cx, id).await?;
    let (mut matched, mut created, mut conflicts, mut failed) = (0u32, 0u32, 0u32, Vec::new());
    for (row, account) in preview.rows.iter().zip(&accounts) {
        let user = match row.outcome.as_str() {
            "MATCH" => cx.store.system_user_by_login(&account.login).await?,
            "NEW" => {
                let input = super::users::NewUserInput {
                    realm_id: None,
                    source: Some(app.id.to_string()),
                    profile: imported_profile(account),
                    custom: Default::default(),
                    activate: true,
                    groups: Vec::new(),
                };
                match super::users::create(cx, input).await {
                    Ok(u) => Some(u),
                    Err(e) => {
                        failed.push(format!("{}: {e}", account.login));
                        None
                    }
                }
            }
            "CONFLICT" => {
                conflicts += 1;
                None
            }
            _ => None,
        };
        let Some(user) = user else { continue };
        // The assignment checks the caller's rights on the user and the app;
        // only then is the account linked.
        if let Err(e) =
            super::links::change(cx, &user.id, super::links::Link::App(app.id.clone()), true).await
        {
            failed.push(format!("{}: {e}", account.login));
            continue;
        }
        cx.store
            .system_link_imported(
                &app,
                &[(user.clone(), account.clone())],
                cx.principal.actor().clone(),
            )
            .await?;
        if row.outcome == "MATCH" {
            matched += 1;
        } else {
            created += 1;
        }
    }
    let mut summary = format!(
        "Imported from {}: {matched} matched, {created} new, {conflicts} conflicts left for you.",
        app.label
    );
    if !failed.is_empty() {
        summary.push_str(&format!(" Not imported: {}.", failed.join("; ")));
    }
    Ok(summary)
}

/// Runs the imports that are due (the system principal, as a scheduler
/// would): each app's `last_import` is claimed first, so two instances never
/// run one import twice. Returns the apps' summaries.
pub async fn scheduled_imports(cx: &Ctx) -> Result<Vec<String>, AppError> {
    let mut done = Vec::new();
    for (app, by) in cx.store.system_claim_due_imports().await? {
        // Each import runs with the rights its admin holds now; none left,
        // no import.
        let Some(by) = by else {
            done.push(format!("{app}: no admin set the schedule; skipped"));
            continue;
        };
        let principal = match crate::ctx::principal_of_user(
            &cx.store,
            &cx.org,
            &by,
            Default::default(),
        )
        .await
        {
            Ok(p) => p,
            Err(e) => {
                done.push(format!("{app}: {e}"));
                continue;
            }
        };
        let as_admin = Ctx::new(
            cx.store.clone(),
            cx.org.clone(),
            cx.settings.clone(),
            principal,
        );
        match import_run(&as_admin, &app).await {
            Ok(summary) => done.push(summary),
            Err(e) => done.push(format!("{app}: {e}")),
        }
    }
    Ok(done)
}

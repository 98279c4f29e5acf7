//! Provisioning's tables: each app's connection (credential sealed), the
//! accounts made or linked in apps, group push mappings, and the outbox of
//! tasks the worker delivers (`crate::provisioning::worker`).
//!
//! The outbox is filled from the System Log's own chokepoint: every event
//! appended (`audit::append_all`) that changes what an app should hold — a
//! user's lifecycle, profile or realm, a direct or group assignment, a group
//! membership — leaves one task per affected (app, user) or pushed group, in
//! the transaction of the change. So no change can reach the directory
//! without its task, and no task exists for a change that rolled back.

use std::collections::{BTreeSet, HashMap};

use sqlx::Row;

use super::audit::{self, Event, Target};
use super::demand::Demand;
use super::groups::{app_target, group_target};
use super::oauth::{app_in, assigned};
use super::users::user_target;
use super::{clock, Engine, Store, StoreError, WriteTx};
use crate::authz::{Grant, Permission};
use crate::ids::{AppId, GroupId, PushMappingId, UserId};
use crate::model::{App, Group, User};
use crate::provisioning::{AuthScheme, Connection, Features, Kind, Mapping, Setup};
use crate::store::idps::SecretBox;
use crate::views::apps::{FailedDelivery, PushMappingView, SyncView};

/// Events after which a user's accounts in apps may need a change.
const USER_EVENTS: [&str; 8] = [
    "user.account.update_profile",
    "user.realm.update",
    "application.user_membership.add",
    "application.user_membership.remove",
    "group.user_membership.add",
    "group.user_membership.remove",
    "user.account.lock",
    "user.account.unlock",
];

fn targets_of<'a>(event: &'a Event, kind: &str) -> impl Iterator<Item = &'a str> + 'a {
    let kind = kind.to_string();
    event
        .targets
        .iter()
        .filter(move |t| t.target_type == kind)
        .map(|t| t.id.as_str())
}

/// Leaves the tasks `events` call for, in their transaction (called by
/// `audit::append_all`). Costs one indexed probe when no app provisions.
pub(crate) async fn note_in(tx: &mut WriteTx, events: &[Event]) -> Result<(), StoreError> {
    let mut users: BTreeSet<String> = BTreeSet::new();
    let mut groups: BTreeSet<String> = BTreeSet::new();
    let mut group_apps: BTreeSet<(String, String)> = BTreeSet::new();
    for event in events {
        let t = event.event_type;
        if t.starts_with("user.lifecycle.") || USER_EVENTS.contains(&t) {
            users.extend(targets_of(event, "User").map(str::to_string));
        }
        if t.starts_with("group.user_membership.") || t == "group.profile.update" {
            groups.extend(targets_of(event, "UserGroup").map(str::to_string));
        }
        if t.starts_with("group.application_assignment.") {
            for g in targets_of(event, "UserGroup") {
                for a in targets_of(event, "AppInstance") {
                    group_apps.insert((g.to_string(), a.to_string()));
                }
            }
        }
    }
    if users.is_empty() && groups.is_empty() && group_apps.is_empty() {
        return Ok(());
    }
    let any: Option<String> = sqlx::query_scalar("SELECT app_id FROM app_provisioning LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    if any.is_none() {
        return Ok(());
    }
    let now = clock::now();
    for user in &users {
        enqueue_user_in(tx, user, &now).await?;
    }
    for (group, app) in &group_apps {
        sqlx::query(
            "INSERT INTO provisioning_tasks (app_id, subject, subject_id, status, run_at, created, updated) \
             SELECT p.app_id, 'user', gm.user_id, 'QUEUED', $3, $3, $3 FROM group_members gm \
             JOIN app_provisioning p ON p.app_id = $2 WHERE gm.group_id = $1 \
             ON CONFLICT DO NOTHING",
        )
        .bind(group)
        .bind(app)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
    }
    for group in &groups {
        enqueue_group_in(tx, group, &now).await?;
    }
    Ok(())
}

/// A task for each provisioned app the user has, or has an account in.
async fn enqueue_user_in(tx: &mut WriteTx, user: &str, now: &str) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO provisioning_tasks (app_id, subject, subject_id, status, run_at, created, updated) \
         SELECT p.app_id, 'user', $1, 'QUEUED', $2, $2, $2 FROM app_provisioning p \
         WHERE {} OR EXISTS (SELECT 1 FROM app_user_links l WHERE l.app_id = p.app_id \
         AND l.user_id = $1) ON CONFLICT DO NOTHING",
        assigned("$1", "p.app_id")
    ))
    .bind(user)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A task for each push mapping of the group.
async fn enqueue_group_in(tx: &mut WriteTx, group: &str, now: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO provisioning_tasks (app_id, subject, subject_id, status, run_at, created, updated) \
         SELECT m.app_id, 'group', m.id, 'QUEUED', $2, $2, $2 FROM group_push_mappings m \
         WHERE m.source_group_id = $1 AND m.status = 'ACTIVE' ON CONFLICT DO NOTHING",
    )
    .bind(group)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Before a group is deleted: its members' accounts (they may lose apps
/// with it) and its pushed copies.
pub(crate) async fn group_deleted_in(tx: &mut WriteTx, group: &GroupId) -> Result<(), StoreError> {
    let now = clock::now();
    sqlx::query(
        "INSERT INTO provisioning_tasks (app_id, subject, subject_id, status, run_at, created, updated) \
         SELECT p.app_id, 'user', gm.user_id, 'QUEUED', $2, $2, $2 FROM group_members gm \
         CROSS JOIN app_provisioning p WHERE gm.group_id = $1 ON CONFLICT DO NOTHING",
    )
    .bind(group.as_str())
    .bind(&now)
    .execute(&mut **tx)
    .await?;
    // Its push mappings go with it (cascade), and their tasks here.
    sqlx::query(
        "DELETE FROM provisioning_tasks WHERE subject = 'group' AND subject_id IN \
         (SELECT id FROM group_push_mappings WHERE source_group_id = $1)",
    )
    .bind(group.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A task waiting in the outbox or being delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: i64,
    /// The worker holding it.
    pub worker: String,
    pub app_id: AppId,
    /// `user` or `group` (a push mapping's id).
    pub subject: String,
    pub subject_id: String,
    pub attempts: i64,
}

/// The app's account for a user, as last delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub external_id: String,
    pub external_login: String,
    pub active: bool,
}

/// What a user task found and did, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserOutcome {
    /// The account is (now) as it should be; `event` names what was done
    /// (`None`: nothing needed doing).
    Linked {
        link: Link,
        event: Option<(&'static str, &'static str)>,
    },
    /// The account was deleted in the app (the link goes).
    Deleted,
    /// The app no longer has the account (the link goes, nothing was sent).
    Unlinked,
    /// Nothing to hold in the app (never provisioned, or the feature is off).
    Nothing,
}

/// A push mapping with its group, for the worker.
#[derive(Debug, Clone)]
pub struct PushState {
    pub mapping: PushMappingView,
    pub group: Option<Group>,
    /// The app accounts (external ids) of the group's members with an active link.
    pub member_accounts: Vec<String>,
    pub description: String,
}

fn row_setup(row: &sqlx::any::AnyRow) -> Result<Setup, StoreError> {
    let bad = |what: &str| StoreError::Internal(format!("stored provisioning connection: {what}"));
    let kind: String = row.try_get("kind")?;
    let base: String = row.try_get("base_url")?;
    let auth: String = row.try_get("auth_scheme")?;
    let extensions: String = row.try_get("extensions")?;
    let features: String = row.try_get("features")?;
    let mappings: String = row.try_get("mappings")?;
    let every: i64 = row.try_get("import_every_minutes")?;
    Ok(Setup {
        kind: Kind::parse(&kind).ok_or_else(|| bad("kind"))?,
        base_url: url::Url::parse(&base).map_err(|_| bad("base_url"))?,
        auth: AuthScheme::parse(&auth).ok_or_else(|| bad("auth_scheme"))?,
        username: row.try_get("username")?,
        extensions: serde_json::from_str(&extensions).map_err(|_| bad("extensions"))?,
        features: serde_json::from_str::<Features>(&features).map_err(|_| bad("features"))?,
        mappings: serde_json::from_str::<Vec<Mapping>>(&mappings).map_err(|_| bad("mappings"))?,
        import_every_minutes: u32::try_from(every).unwrap_or(0),
    })
}

fn mapping_view(row: &sqlx::any::AnyRow) -> Result<PushMappingView, StoreError> {
    Ok(PushMappingView {
        id: row.try_get("id")?,
        source_group_id: row.try_get("source_group_id")?,
        group_name: row.try_get("group_name")?,
        target_group_id: row.try_get("target_group_id")?,
        target_group_name: row.try_get("target_group_name")?,
        status: row.try_get("status")?,
        error_summary: row.try_get("error_summary")?,
        last_push: row.try_get("last_push")?,
        created: row.try_get("created")?,
        last_updated: row.try_get("last_updated")?,
    })
}

const MAPPING_COLUMNS: &str = "m.id, m.source_group_id, g.name AS group_name, m.target_group_id, \
     m.target_group_name, m.status, m.error_summary, m.last_push, m.created, m.last_updated";

/// How long a failed attempt waits before the next: 2^attempts seconds
/// (1 s, 2 s, 4 s, …), at most 15 minutes, or the target's `Retry-After`.
pub fn backoff(attempts: i64, retry_after: Option<u64>) -> time::Duration {
    let exp = attempts.clamp(0, 10) as u32;
    let base = 2u64.pow(exp).min(900);
    time::Duration::seconds(retry_after.unwrap_or(base).min(3600) as i64)
}

/// Attempts before a delivery is marked FAILED for an admin.
pub const MAX_ATTEMPTS: i64 = 12;

impl Store {
    /// An app's provisioning setup and whether a credential is stored.
    pub async fn provisioning_of(&self, app: &AppId) -> Result<Option<Setup>, StoreError> {
        let row = sqlx::query("SELECT * FROM app_provisioning WHERE app_id = $1")
            .bind(app.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(row_setup).transpose()
    }

    /// The connection with its credential opened (the worker, the checks).
    pub async fn system_connection(
        &self,
        app: &AppId,
        secrets: &SecretBox,
    ) -> Result<Option<Connection>, StoreError> {
        let Some(row) = sqlx::query("SELECT * FROM app_provisioning WHERE app_id = $1")
            .bind(app.as_str())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let sealed: String = row.try_get("secret_sealed")?;
        Ok(Some(Connection {
            setup: row_setup(&row)?,
            secret: secrets.open(&sealed)?,
        }))
    }

    /// Saves an app's provisioning connection (grant: `okta.apps.manage` on
    /// the app). `sealed_secret`: a new credential, or `None` to keep the
    /// stored one (a first save needs one). Every user the app has, or has
    /// an account in, gets a task: the app catches up with the new settings.
    pub async fn set_provisioning(
        &self,
        grant: &Grant,
        setup: &Setup,
        sealed_secret: Option<String>,
        by: Option<&UserId>,
    ) -> Result<(), StoreError> {
        let id = grant.demand_app(Permission::AppsManage)?.clone();
        let setup = setup.clone();
        // Scheduled imports run with the rights of the admin who set them.
        let import_by = by
            .filter(|_| setup.import_every_minutes > 0)
            .map(|u| u.to_string());
        self.write(|mut tx| async move {
            let app = app_in(&mut tx, &id).await?;
            let existing = sqlx::query(
                "SELECT secret_sealed, kind, base_url, auth_scheme, username FROM app_provisioning WHERE app_id = $1",
            )
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            // The stored credential goes only where it went before: a new
            // address (origin), kind or authentication needs it typed again.
            let kept = match existing {
                Some(row) => {
                    let base: String = row.try_get("base_url")?;
                    let kind: String = row.try_get("kind")?;
                    let auth: String = row.try_get("auth_scheme")?;
                    let user: Option<String> = row.try_get("username")?;
                    let same_origin = url::Url::parse(&base)
                        .is_ok_and(|u| u.origin() == setup.base_url.origin());
                    (same_origin
                        && kind == setup.kind.as_str()
                        && auth == setup.auth.as_str()
                        && user == setup.username)
                        .then(|| row.try_get::<String, _>("secret_sealed"))
                        .transpose()?
                }
                None => None,
            };
            let Some(secret) = sealed_secret.or(kept) else {
                return Err(StoreError::invalid(
                    "secret",
                    "Enter the token (or password) the app accepts: a new address or authentication needs it again.",
                ));
            };
            let now = clock::now();
            let json = |v: &dyn erased::Json| v.to_json();
            sqlx::query(
                "INSERT INTO app_provisioning (app_id, kind, base_url, auth_scheme, username, \
                 secret_sealed, extensions, features, mappings, import_every_minutes, last_updated, import_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (app_id) DO UPDATE SET kind = excluded.kind, base_url = excluded.base_url, \
                 auth_scheme = excluded.auth_scheme, username = excluded.username, \
                 secret_sealed = excluded.secret_sealed, extensions = excluded.extensions, \
                 features = excluded.features, mappings = excluded.mappings, \
                 import_every_minutes = excluded.import_every_minutes, last_updated = excluded.last_updated, \
                 import_by = excluded.import_by",
            )
            .bind(id.as_str())
            .bind(setup.kind.as_str())
            .bind(setup.base_url.as_str())
            .bind(setup.auth.as_str())
            .bind(setup.username.clone())
            .bind(&secret)
            .bind(json(&setup.extensions))
            .bind(json(&setup.features))
            .bind(json(&setup.mappings))
            .bind(i64::from(setup.import_every_minutes))
            .bind(&now)
            .bind(import_by)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO provisioning_tasks (app_id, subject, subject_id, status, run_at, created, updated) \
                 SELECT $1, 'user', s.user_id, 'QUEUED', $2, $2, $2 FROM ( \
                 SELECT aua.user_id FROM app_user_assignments aua WHERE aua.app_id = $1 \
                 UNION SELECT gm.user_id FROM app_group_assignments aga JOIN group_members gm \
                 ON gm.group_id = aga.group_id WHERE aga.app_id = $1 \
                 UNION SELECT l.user_id FROM app_user_links l WHERE l.app_id = $1) s \
                 WHERE TRUE ON CONFLICT DO NOTHING",
            )
            .bind(id.as_str())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            let event = Event::by_grant(
                "application.lifecycle.update",
                "Update application provisioning",
                grant,
            )
            .target(app_target(&app))
            .debug("provisioning", setup.kind.as_str());
            Ok((tx, (), vec![event]))
        })
        .await
    }

    /// Claims up to `limit` due tasks for `worker` until `lease_until`: a
    /// subject whose task another worker holds (lease not run out) waits, so
    /// one user's changes reach an app in order. Abandoned tasks (a lease run
    /// out: the worker died) go back to the queue first.
    pub async fn system_claim_tasks(
        &self,
        worker: &str,
        lease_until: &str,
        limit: i64,
    ) -> Result<Vec<Task>, StoreError> {
        let now = clock::now();
        let mut tx = self.writer.begin().await?;
        // An abandoned task whose subject already has a waiting one is
        // covered by it (tasks converge on the current state).
        sqlx::query(
            "DELETE FROM provisioning_tasks WHERE status = 'RUNNING' AND locked_until <= $1 \
             AND EXISTS (SELECT 1 FROM provisioning_tasks q WHERE q.app_id = provisioning_tasks.app_id \
             AND q.subject = provisioning_tasks.subject AND q.subject_id = provisioning_tasks.subject_id \
             AND q.status = 'QUEUED')",
        )
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        // An abandoned task that has had its attempts fails; the others wait again.
        sqlx::query(
            "UPDATE provisioning_tasks SET status = CASE WHEN attempts >= $2 THEN 'FAILED' ELSE 'QUEUED' END, \
             last_error = CASE WHEN attempts >= $2 THEN 'Gave up: every attempt was cut off before it finished.' \
             ELSE last_error END, locked_by = NULL, locked_until = NULL \
             WHERE status = 'RUNNING' AND locked_until <= $1",
        )
        .bind(&now)
        .bind(MAX_ATTEMPTS)
        .execute(&mut *tx)
        .await?;
        let skip_locked = match self.engine {
            Engine::Postgres => "FOR UPDATE SKIP LOCKED",
            Engine::Sqlite => "",
        };
        let rows = sqlx::query(&format!(
            "UPDATE provisioning_tasks SET status = 'RUNNING', locked_by = $1, locked_until = $2, \
             attempts = attempts + 1, updated = $3 WHERE status = 'QUEUED' AND id IN (\
             SELECT t.id FROM provisioning_tasks t WHERE t.status = 'QUEUED' AND t.run_at <= $3 \
             AND NOT EXISTS (SELECT 1 FROM provisioning_tasks r WHERE r.app_id = t.app_id \
             AND r.subject = t.subject AND r.subject_id = t.subject_id AND r.status = 'RUNNING') \
             ORDER BY t.run_at, t.id LIMIT $4 {skip_locked}) \
             RETURNING id, app_id, subject, subject_id, attempts"
        ))
        .bind(worker)
        .bind(lease_until)
        .bind(&now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut tasks = Vec::with_capacity(rows.len());
        for row in rows {
            let app: String = row.try_get("app_id")?;
            tasks.push(Task {
                id: row.try_get("id")?,
                worker: worker.to_string(),
                app_id: AppId::parse(&app).map_err(|e| StoreError::Internal(e.to_string()))?,
                subject: row.try_get("subject")?,
                subject_id: row.try_get("subject_id")?,
                attempts: row.try_get("attempts")?,
            });
        }
        // Two tasks of one subject in one claim: keep the first.
        let mut seen = BTreeSet::new();
        let mut unique = Vec::new();
        for task in tasks {
            if seen.insert((
                task.app_id.to_string(),
                task.subject.clone(),
                task.subject_id.clone(),
            )) {
                unique.push(task);
            } else {
                self.system_release(&task).await?;
            }
        }
        Ok(unique)
    }

    /// Gives a claimed task back to the queue untouched.
    async fn system_release(&self, task: &Task) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE provisioning_tasks SET status = 'QUEUED', attempts = attempts - 1, \
             locked_by = NULL, locked_until = NULL WHERE id = $1 AND status = 'RUNNING' AND locked_by = $2",
        )
        .bind(task.id)
        .bind(&task.worker)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Extends a task's lease while it is being delivered.
    pub async fn system_renew_task(&self, task: &Task, until: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE provisioning_tasks SET locked_until = $1 WHERE id = $2 AND status = 'RUNNING' AND locked_by = $3",
        )
        .bind(until)
        .bind(task.id)
        .bind(&task.worker)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// An app by id (the worker).
    pub async fn system_app(&self, app: &AppId) -> Result<Option<App>, StoreError> {
        Ok(sqlx::query_as::<_, App>(
            "SELECT a.id, a.name, a.label, a.sign_on_mode, a.status, a.created, a.last_updated \
             FROM apps a WHERE a.id = $1",
        )
        .bind(app.as_str())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// What a user task needs: the app, the user (gone if deleted), whether
    /// the user has the app, and the account the app holds.
    pub async fn system_user_task_state(
        &self,
        app: &AppId,
        user: &str,
    ) -> Result<(Option<App>, Option<User>, bool, Option<Link>), StoreError> {
        let app_row = self.system_app(app).await?;
        let found = match UserId::parse(user) {
            Ok(id) => self.system_user_by_id(&id).await?,
            Err(_) => None,
        };
        let has: bool = sqlx::query_scalar::<_, i64>(&format!(
            "SELECT count(*) FROM users u WHERE u.id = $1 AND {}",
            assigned("u.id", "$2")
        ))
        .bind(user)
        .bind(app.as_str())
        .fetch_one(&self.pool)
        .await?
            > 0;
        let link = self.link_of(app, user).await?;
        Ok((app_row, found, has, link))
    }

    async fn link_of(&self, app: &AppId, user: &str) -> Result<Option<Link>, StoreError> {
        let row = sqlx::query(
            "SELECT external_id, external_login, state FROM app_user_links WHERE app_id = $1 AND user_id = $2",
        )
        .bind(app.as_str())
        .bind(user)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| -> Result<Link, StoreError> {
            let state: String = r.try_get("state")?;
            Ok(Link {
                external_id: r.try_get("external_id")?,
                external_login: r.try_get("external_login")?,
                active: state == "ACTIVE",
            })
        })
        .transpose()
    }

    /// Records a delivered user task: the account, the task gone (and any
    /// failed one of the same user, now superseded), and the System Log event.
    pub async fn system_finish_user_task(
        &self,
        task: &Task,
        app: &App,
        user: Option<&User>,
        outcome: UserOutcome,
    ) -> Result<(), StoreError> {
        let now = clock::now();
        let mut tx = self.begin_write().await?;
        let mut events = Vec::new();
        match &outcome {
            UserOutcome::Linked { link, event } => {
                upsert_link_in(&mut tx, &app.id, &task.subject_id, link, &now).await?;
                if let Some((event_type, message)) = event {
                    // The groups pushed to the app that the user is in follow.
                    sqlx::query(
                        "INSERT INTO provisioning_tasks (app_id, subject, subject_id, status, run_at, created, updated) \
                         SELECT m.app_id, 'group', m.id, 'QUEUED', $3, $3, $3 FROM group_push_mappings m \
                         JOIN group_members gm ON gm.group_id = m.source_group_id WHERE gm.user_id = $1 \
                         AND m.app_id = $2 AND m.status = 'ACTIVE' ON CONFLICT DO NOTHING",
                    )
                    .bind(&task.subject_id)
                    .bind(app.id.as_str())
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                    events.push(
                        delivery_event(event_type, message, app, user, &task.subject_id)
                            .debug("externalId", link.external_id.clone()),
                    );
                }
            }
            UserOutcome::Deleted => {
                sqlx::query("DELETE FROM app_user_links WHERE app_id = $1 AND user_id = $2")
                    .bind(app.id.as_str())
                    .bind(&task.subject_id)
                    .execute(&mut *tx)
                    .await?;
                events.push(delivery_event(
                    "application.provision.user.delete",
                    "Delete user in external application",
                    app,
                    user,
                    &task.subject_id,
                ));
            }
            UserOutcome::Unlinked => {
                sqlx::query("DELETE FROM app_user_links WHERE app_id = $1 AND user_id = $2")
                    .bind(app.id.as_str())
                    .bind(&task.subject_id)
                    .execute(&mut *tx)
                    .await?;
            }
            UserOutcome::Nothing => {}
        }
        done_in(&mut tx, task).await?;
        audit::append_all(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed attempt: tried again after a backoff, or — when it
    /// cannot succeed or has been tried enough — marked FAILED for an admin,
    /// with the failure's System Log event.
    pub async fn system_fail_task(
        &self,
        task: &Task,
        event: (&'static str, &'static str),
        app: Option<&App>,
        user: Option<&User>,
        failure: &crate::provisioning::Failure,
    ) -> Result<(), StoreError> {
        let now = time::OffsetDateTime::now_utc();
        let mut tx = self.begin_write().await?;
        let give_up = !failure.retryable || task.attempts >= MAX_ATTEMPTS;
        let message: String = failure.message.chars().take(1000).collect();
        if give_up {
            sqlx::query(
                "UPDATE provisioning_tasks SET status = 'FAILED', locked_by = NULL, locked_until = NULL, \
                 last_error = $1, updated = $2 WHERE id = $3 AND locked_by = $4",
            )
            .bind(&message)
            .bind(clock::format(now))
            .bind(task.id)
            .bind(&task.worker)
            .execute(&mut *tx)
            .await?;
            if let Some(app) = app {
                let mut e = delivery_event(event.0, event.1, app, user, &task.subject_id);
                e.outcome = audit::OutcomeResult::Failure;
                e.severity = audit::Severity::Warn;
                e.reason = Some(message.clone());
                audit::append(&mut tx, &e).await?;
            }
        } else {
            // A change while this one was under way left a waiting task: it
            // covers this one.
            let covered = sqlx::query(
                "DELETE FROM provisioning_tasks WHERE id = $1 AND locked_by = $5 AND EXISTS (SELECT 1 FROM \
                 provisioning_tasks q WHERE q.app_id = $2 AND q.subject = $3 AND q.subject_id = $4 AND q.status = 'QUEUED')",
            )
            .bind(task.id)
            .bind(task.app_id.as_str())
            .bind(&task.subject)
            .bind(&task.subject_id)
            .bind(&task.worker)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                > 0;
            if !covered {
                let run_at = now + backoff(task.attempts, failure.retry_after);
                sqlx::query(
                    "UPDATE provisioning_tasks SET status = 'QUEUED', locked_by = NULL, locked_until = NULL, \
                     last_error = $1, run_at = $2, updated = $3 WHERE id = $4 AND locked_by = $5",
                )
                .bind(&message)
                .bind(clock::format(run_at))
                .bind(clock::format(now))
                .bind(task.id)
                .bind(&task.worker)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        metrics::counter!(
            "portal_provisioning_failures_total",
            "outcome" => if give_up { "failed" } else { "retry" }
        )
        .increment(1);
        Ok(())
    }

    /// A push mapping's state for the worker (`None`: the mapping is gone).
    pub async fn system_push_state(&self, mapping: &str) -> Result<Option<PushState>, StoreError> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {MAPPING_COLUMNS}, g.description FROM group_push_mappings m \
             JOIN groups g ON g.id = m.source_group_id WHERE m.id = $1"
        ))
        .bind(mapping)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let view = mapping_view(&row)?;
        let description: Option<String> = row.try_get("description")?;
        let group = sqlx::query_as::<_, Group>(
            "SELECT id, name, description, created, last_updated FROM groups WHERE id = $1",
        )
        .bind(&view.source_group_id)
        .fetch_optional(&self.pool)
        .await?;
        let member_accounts: Vec<String> = sqlx::query_scalar(
            "SELECT l.external_id FROM group_members gm JOIN app_user_links l ON l.user_id = gm.user_id \
             JOIN group_push_mappings m ON m.app_id = l.app_id AND m.source_group_id = gm.group_id \
             WHERE m.id = $1 AND l.state = 'ACTIVE' ORDER BY l.external_id",
        )
        .bind(mapping)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(PushState {
            mapping: view,
            group,
            member_accounts,
            description: description.unwrap_or_default(),
        }))
    }

    /// Records a delivered group push: the target group, `lastPush`, the
    /// task gone, and `application.provision.group.push`.
    pub async fn system_finish_group_task(
        &self,
        task: &Task,
        app: &App,
        state: &PushState,
        target_group_id: Option<&str>,
        added: usize,
        removed: usize,
    ) -> Result<(), StoreError> {
        let now = clock::now();
        let mut tx = self.begin_write().await?;
        let mut events = Vec::new();
        if let Some(target) = target_group_id {
            sqlx::query(
                "UPDATE group_push_mappings SET target_group_id = $1, status = 'ACTIVE', error_summary = NULL, \
                 last_push = $2, last_updated = $2 WHERE id = $3",
            )
            .bind(target)
            .bind(&now)
            .bind(&state.mapping.id)
            .execute(&mut *tx)
            .await?;
            if let Some(group) = &state.group {
                events.push(
                    Event::success(
                        "application.provision.group.push",
                        "Push group to external application",
                        audit::Actor::system(),
                    )
                    .target(app_target(app))
                    .target(group_target(group))
                    .debug("targetGroupId", target)
                    .debug("membersAdded", added as u64)
                    .debug("membersRemoved", removed as u64),
                );
            }
        }
        done_in(&mut tx, task).await?;
        audit::append_all(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a task there is nothing left to deliver for.
    pub async fn system_drop_task(&self, task: &Task) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        done_in(&mut tx, task).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a push mapping ERROR with the target's message (its task failed).
    pub async fn system_push_error(&self, mapping: &str, message: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE group_push_mappings SET status = 'ERROR', error_summary = $1, last_updated = $2 WHERE id = $3",
        )
        .bind(message)
        .bind(clock::now())
        .bind(mapping)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Each provisioned app's sync state for `user` (by app id).
    pub async fn sync_states(
        &self,
        user: &UserId,
    ) -> Result<HashMap<String, SyncView>, StoreError> {
        let mut states = HashMap::new();
        for row in sqlx::query("SELECT app_id, state FROM app_user_links WHERE user_id = $1")
            .bind(user.as_str())
            .fetch_all(&self.pool)
            .await?
        {
            let app: String = row.try_get("app_id")?;
            let state: String = row.try_get("state")?;
            states.insert(
                app,
                SyncView {
                    state: "SYNCHRONIZED".into(),
                    active: state == "ACTIVE",
                    message: None,
                },
            );
        }
        for row in sqlx::query(
            "SELECT app_id, status, last_error FROM provisioning_tasks WHERE subject = 'user' \
             AND subject_id = $1 ORDER BY id",
        )
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await?
        {
            let app: String = row.try_get("app_id")?;
            let status: String = row.try_get("status")?;
            let error: Option<String> = row.try_get("last_error")?;
            let entry = states.entry(app).or_insert(SyncView {
                state: String::new(),
                active: false,
                message: None,
            });
            if status == "FAILED" {
                entry.state = "ERROR".into();
                entry.message = error;
            } else if entry.state != "ERROR" {
                entry.state = "SYNCING".into();
                entry.message = error;
            }
        }
        Ok(states)
    }

    /// An app's failed deliveries (newest first) and how many wait.
    pub async fn provisioning_tasks_of(
        &self,
        app: &AppId,
    ) -> Result<(Vec<FailedDelivery>, u64), StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.subject, t.subject_id, t.last_error, t.attempts, t.updated, \
             u.login AS login, g.name AS group_name FROM provisioning_tasks t \
             LEFT JOIN users u ON t.subject = 'user' AND u.id = t.subject_id \
             LEFT JOIN group_push_mappings m ON t.subject = 'group' AND m.id = t.subject_id \
             LEFT JOIN groups g ON g.id = m.source_group_id \
             WHERE t.app_id = $1 AND t.status = 'FAILED' ORDER BY t.updated DESC, t.id DESC LIMIT 100",
        )
        .bind(app.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut failed = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let subject: String = r.try_get("subject")?;
            let subject_id: String = r.try_get("subject_id")?;
            let login: Option<String> = r.try_get("login")?;
            let group: Option<String> = r.try_get("group_name")?;
            let attempts: i64 = r.try_get("attempts")?;
            failed.push(FailedDelivery {
                id: id.to_string(),
                subject: match subject.as_str() {
                    "group" => format!("group {}", group.unwrap_or(subject_id)),
                    _ => login.unwrap_or_else(|| format!("deleted user {subject_id}")),
                },
                error: r
                    .try_get::<Option<String>, _>("last_error")?
                    .unwrap_or_default(),
                attempts: u32::try_from(attempts).unwrap_or(0),
                when: r.try_get("updated")?,
            });
        }
        let pending: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM provisioning_tasks WHERE app_id = $1 AND status <> 'FAILED'",
        )
        .bind(app.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok((failed, u64::try_from(pending).unwrap_or(0)))
    }

    /// Retries (`retry`) or dismisses a failed delivery of the app (grant:
    /// `okta.apps.manage` on it).
    pub async fn resolve_failed_task(
        &self,
        grant: &Grant,
        task: i64,
        retry: bool,
    ) -> Result<(), StoreError> {
        let id = grant.demand_app(Permission::AppsManage)?.clone();
        self.write(|mut tx| async move {
            let app = app_in(&mut tx, &id).await?;
            let row = sqlx::query(
                "SELECT subject, subject_id FROM provisioning_tasks WHERE id = $1 AND app_id = $2 AND status = 'FAILED'",
            )
            .bind(task)
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let subject: String = row.try_get("subject")?;
            let subject_id: String = row.try_get("subject_id")?;
            sqlx::query("DELETE FROM provisioning_tasks WHERE id = $1")
                .bind(task)
                .execute(&mut *tx)
                .await?;
            if retry {
                let now = clock::now();
                sqlx::query(
                    "INSERT INTO provisioning_tasks (app_id, subject, subject_id, status, run_at, created, updated) \
                     VALUES ($1, $2, $3, 'QUEUED', $4, $4, $4) ON CONFLICT DO NOTHING",
                )
                .bind(id.as_str())
                .bind(&subject)
                .bind(&subject_id)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
            let (event_type, message) = if retry {
                ("application.provision.task.retry", "Retry a failed provisioning task")
            } else {
                ("application.provision.task.dismiss", "Dismiss a failed provisioning task")
            };
            let event = Event::by_grant(event_type, message, grant)
                .target(app_target(&app))
                .debug("subject", format!("{subject} {subject_id}"));
            Ok((tx, (), vec![event]))
        })
        .await
    }

    /// The app's group push mappings.
    pub async fn push_mappings(&self, app: &AppId) -> Result<Vec<PushMappingView>, StoreError> {
        sqlx::query(&format!(
            "SELECT {MAPPING_COLUMNS} FROM group_push_mappings m JOIN groups g ON g.id = m.source_group_id \
             WHERE m.app_id = $1 ORDER BY m.created, m.id"
        ))
        .bind(app.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(mapping_view)
        .collect()
    }

    /// One push mapping of the app.
    pub async fn push_mapping(&self, app: &AppId, id: &str) -> Result<PushMappingView, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {MAPPING_COLUMNS} FROM group_push_mappings m JOIN groups g ON g.id = m.source_group_id \
             WHERE m.app_id = $1 AND m.id = $2"
        ))
        .bind(app.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        mapping_view(&row)
    }

    /// Pushes `group` to the app (grant: `okta.apps.manage` on the app; the
    /// caller has read the group): as a new group named `target_name`, or
    /// linked to the app's existing group `target_id`. The first push is a
    /// task in this transaction.
    pub async fn create_push_mapping(
        &self,
        grant: &Grant,
        group: &Group,
        target_name: Option<&str>,
        target_id: Option<&str>,
        active: bool,
    ) -> Result<PushMappingView, StoreError> {
        let app_id = grant.demand_app(Permission::AppsManage)?.clone();
        let name = target_name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(&group.name)
            .to_string();
        if name.chars().count() > 255 {
            return Err(StoreError::invalid(
                "targetGroupName",
                "At most 255 characters.",
            ));
        }
        let target_id = target_id
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        let group = group.clone();
        let id = PushMappingId::generate();
        self.write(|mut tx| async move {
            let app = app_in(&mut tx, &app_id).await?;
            let setup: Option<String> =
                sqlx::query_scalar("SELECT features FROM app_provisioning WHERE app_id = $1")
                    .bind(app_id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
            let pushes = setup
                .and_then(|f| serde_json::from_str::<Features>(&f).ok())
                .is_some_and(|f| f.push_groups);
            if !pushes {
                return Err(StoreError::invalid(
                    "groupId",
                    "Turn on Push groups in the app's provisioning first.",
                ));
            }
            let taken: Option<String> = sqlx::query_scalar(
                "SELECT id FROM group_push_mappings WHERE app_id = $1 AND source_group_id = $2",
            )
            .bind(app_id.as_str())
            .bind(group.id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_some() {
                return Err(StoreError::invalid("groupId", "This group is already pushed to the app."));
            }
            let now = clock::now();
            let status = if active { "ACTIVE" } else { "INACTIVE" };
            sqlx::query(
                "INSERT INTO group_push_mappings (id, app_id, source_group_id, target_group_id, \
                 target_group_name, status, created, last_updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(id.as_str())
            .bind(app_id.as_str())
            .bind(group.id.as_str())
            .bind(target_id.clone())
            .bind(&name)
            .bind(status)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            if active {
                enqueue_group_in(&mut tx, group.id.as_str(), &now).await?;
            }
            let event = Event::by_grant(
                "application.provision.group_push.mapping.created",
                "Create a group push mapping",
                grant,
            )
            .target(app_target(&app))
            .target(group_target(&group))
            .debug("targetGroupName", name.clone());
            let view = PushMappingView {
                id: id.to_string(),
                source_group_id: group.id.to_string(),
                group_name: group.name.clone(),
                target_group_id: target_id,
                target_group_name: name,
                status: status.into(),
                error_summary: None,
                last_push: None,
                created: now.clone(),
                last_updated: now.clone(),
            };
            Ok((tx, view, vec![event]))
        })
        .await
    }

    /// Turns a push mapping on (a push follows) or off (grant:
    /// `okta.apps.manage` on the app).
    pub async fn set_push_status(
        &self,
        grant: &Grant,
        id: &str,
        active: bool,
    ) -> Result<PushMappingView, StoreError> {
        let app_id = grant.demand_app(Permission::AppsManage)?.clone();
        let id = id.to_string();
        let (app_key, mapping_key) = (app_id.clone(), id.clone());
        self.write(|mut tx| async move {
            let (app, group, _) = mapping_in(&mut tx, &app_id, &id).await?;
            let now = clock::now();
            sqlx::query(
                "UPDATE group_push_mappings SET status = $1, last_updated = $2 WHERE id = $3",
            )
            .bind(if active { "ACTIVE" } else { "INACTIVE" })
            .bind(&now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            if active {
                enqueue_group_in(&mut tx, &group, &now).await?;
            }
            let event = Event::by_grant(
                "application.provision.group_push.mapping.updated",
                "Update a group push mapping",
                grant,
            )
            .target(app_target(&app))
            .debug("mappingId", id.clone())
            .debug("status", if active { "ACTIVE" } else { "INACTIVE" });
            Ok((tx, (), vec![event]))
        })
        .await?;
        self.push_mapping(&app_key, &mapping_key).await
    }

    /// Deletes an INACTIVE push mapping (grant: `okta.apps.manage` on the
    /// app); the target group itself is the caller's to delete first.
    pub async fn delete_push_mapping(&self, grant: &Grant, id: &str) -> Result<(), StoreError> {
        let app_id = grant.demand_app(Permission::AppsManage)?.clone();
        let id = id.to_string();
        self.write(|mut tx| async move {
            let (app, _, status) = mapping_in(&mut tx, &app_id, &id).await?;
            if status == "ACTIVE" {
                return Err(StoreError::invalid(
                    "status",
                    "Deactivate the group push mapping before deleting it.",
                ));
            }
            sqlx::query("DELETE FROM group_push_mappings WHERE id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM provisioning_tasks WHERE subject = 'group' AND subject_id = $1",
            )
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            let event = Event::by_grant(
                "application.provision.group_push.mapping.deleted",
                "Delete a group push mapping",
                grant,
            )
            .target(app_target(&app))
            .debug("mappingId", id.clone());
            Ok((tx, (), vec![event]))
        })
        .await
    }

    /// Links accounts read from the app (an import) to portal users in one
    /// transaction, with `application.provision.user.import` each.
    pub async fn system_link_imported(
        &self,
        app: &App,
        links: &[(User, crate::provisioning::RemoteUser)],
        actor: audit::Actor,
    ) -> Result<(), StoreError> {
        let now = clock::now();
        let mut tx = self.begin_write().await?;
        let mut events = Vec::new();
        for (user, remote) in links {
            let link = Link {
                external_id: remote.id.clone(),
                external_login: remote.login.clone(),
                active: remote.active,
            };
            upsert_link_in(&mut tx, &app.id, user.id.as_str(), &link, &now).await?;
            events.push(
                Event::success(
                    "application.provision.user.import",
                    "Import user from external application",
                    actor.clone(),
                )
                .target(app_target(app))
                .target(user_target(user))
                .debug("externalId", remote.id.clone()),
            );
        }
        audit::append_all(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The portal user the app's account `external_id` is linked to.
    pub async fn system_account_owner(
        &self,
        app: &AppId,
        external_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM app_user_links WHERE app_id = $1 AND external_id = $2",
        )
        .bind(app.as_str())
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The app's accounts already linked (external id → portal user id).
    pub async fn linked_accounts(
        &self,
        app: &AppId,
    ) -> Result<HashMap<String, String>, StoreError> {
        let rows = sqlx::query("SELECT external_id, user_id FROM app_user_links WHERE app_id = $1")
            .bind(app.as_str())
            .fetch_all(&self.pool)
            .await?;
        let mut map = HashMap::new();
        for r in rows {
            map.insert(r.try_get("external_id")?, r.try_get("user_id")?);
        }
        Ok(map)
    }

    /// The one user with this email, if exactly one has it (an import's match).
    pub async fn system_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        if email.trim().is_empty() {
            return Ok(None);
        }
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM users WHERE lower(email) = lower($1) LIMIT 2")
                .bind(email.trim())
                .fetch_all(&self.pool)
                .await?;
        match ids.as_slice() {
            [one] => match UserId::parse(one) {
                Ok(id) => self.system_user_by_id(&id).await,
                Err(_) => Ok(None),
            },
            _ => Ok(None),
        }
    }

    /// A realm's name (an import's preview names where new users land).
    pub async fn system_realm_name(
        &self,
        realm: &crate::ids::RealmId,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT name FROM realms WHERE id = $1")
            .bind(realm.as_str())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Apps whose scheduled import is due, each claimed for this run (its
    /// `last_import` set now): another instance finds it not due.
    pub async fn system_claim_due_imports(
        &self,
    ) -> Result<Vec<(AppId, Option<UserId>)>, StoreError> {
        let now = time::OffsetDateTime::now_utc();
        let rows = sqlx::query(
            "SELECT app_id, import_every_minutes, last_import, import_by FROM app_provisioning WHERE import_every_minutes > 0",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut due = Vec::new();
        for row in rows {
            let app: String = row.try_get("app_id")?;
            let every: i64 = row.try_get("import_every_minutes")?;
            let last: Option<String> = row.try_get("last_import")?;
            let by: Option<String> = row.try_get("import_by")?;
            let cutoff = clock::format(now - time::Duration::minutes(every));
            if last.as_deref().is_some_and(|l| l > cutoff.as_str()) {
                continue;
            }
            let claimed = sqlx::query(
                "UPDATE app_provisioning SET last_import = $1 WHERE app_id = $2 \
                 AND (last_import IS NULL OR last_import <= $3)",
            )
            .bind(clock::format(now))
            .bind(&app)
            .bind(&cutoff)
            .execute(&self.writer)
            .await?
            .rows_affected();
            if claimed == 1 {
                if let Ok(id) = AppId::parse(&app) {
                    due.push((id, by.and_then(|b| UserId::parse(&b).ok())));
                }
            }
        }
        Ok(due)
    }

    /// Tasks waiting or failed (tests and tools).
    pub async fn count_provisioning_tasks(&self, status: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT count(*) FROM provisioning_tasks WHERE status = $1")
                .bind(status)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}

/// Records the app's account for a user (made, matched or imported).
async fn upsert_link_in(
    tx: &mut WriteTx,
    app: &AppId,
    user: &str,
    link: &Link,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO app_user_links (app_id, user_id, external_id, external_login, state, last_sync) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id, user_id) DO UPDATE SET \
         external_id = excluded.external_id, external_login = excluded.external_login, \
         state = excluded.state, last_sync = excluded.last_sync",
    )
    .bind(app.as_str())
    .bind(user)
    .bind(&link.external_id)
    .bind(&link.external_login)
    .bind(if link.active { "ACTIVE" } else { "INACTIVE" })
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A push mapping of the app, in a write: the app, the pushed group's id
/// and the mapping's status.
async fn mapping_in(
    tx: &mut WriteTx,
    app: &AppId,
    id: &str,
) -> Result<(App, String, String), StoreError> {
    let found = app_in(tx, app).await?;
    let row = sqlx::query(
        "SELECT source_group_id, status FROM group_push_mappings WHERE id = $1 AND app_id = $2",
    )
    .bind(id)
    .bind(app.as_str())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok((
        found,
        row.try_get("source_group_id")?,
        row.try_get("status")?,
    ))
}

/// The task is done: it goes, with the failed tasks it supersedes.
async fn done_in(tx: &mut WriteTx, task: &Task) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM provisioning_tasks WHERE (id = $1 AND locked_by = $5) OR (app_id = $2 AND subject = $3 \
         AND subject_id = $4 AND status = 'FAILED')",
    )
    .bind(task.id)
    .bind(task.app_id.as_str())
    .bind(&task.subject)
    .bind(&task.subject_id)
    .bind(&task.worker)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn delivery_event(
    event_type: &'static str,
    message: &'static str,
    app: &App,
    user: Option<&User>,
    user_id: &str,
) -> Event {
    let mut event =
        Event::success(event_type, message, audit::Actor::system()).target(app_target(app));
    event = match user {
        Some(u) => event.target(user_target(u)),
        None => event.target(Target {
            id: user_id.to_string(),
            target_type: "User".into(),
            alternate_id: user_id.to_string(),
            display_name: "(deleted user)".into(),
            realm_id: None,
        }),
    };
    event
}

mod erased {
    /// JSON text of a stored setting.
    pub trait Json {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).unwrap_or_else(|_| "null".into())
        }
    }
}

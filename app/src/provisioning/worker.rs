//! The delivery worker: claims due tasks from the outbox under a lease, brings
//! each app account (or pushed group) in line with the portal as it is now,
//! and records the outcome. A failure the target may get over (network, 5xx,
//! 429) is tried again after a backoff (or the target's `Retry-After`); any
//! other is marked FAILED for an admin to retry or dismiss.
//!
//! Sending nothing twice that the app would duplicate: an account is always
//! looked up by its login (then email) before one is created, so a delivery
//! cut off after the app created the account (a `kill -9`, a lost answer)
//! links that account next time instead of making another.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::client::Endpoint;
use super::{okta, scim, Connection, Failure, Kind, Remote};
use crate::model::{App, LifecycleStatus, User, UserStatus};
use crate::outbound::Outbound;
use crate::store::idps::SecretBox;
use crate::store::leases::Lease;
use crate::store::provisioning::{Link, PushState, Task, UserOutcome};
use crate::store::{Store, StoreError};

/// How long a claimed task is the worker's before another may take it over.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);
/// How often an idle worker looks for due tasks.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// Tasks claimed at once (each gets its own lease as its delivery starts).
const BATCH: i64 = 4;

/// How long a hub's token stays known as a super admin's.
const HUB_CHECK_TTL: Duration = Duration::from_secs(600);

/// What the worker needs from the server.
#[derive(Clone)]
pub struct Worker {
    store: Store,
    http: Outbound,
    secrets: SecretBox,
    /// Each delivery's lease, held under this worker's own name.
    lease: Lease,
    /// Org2Org hubs whose token was found to be a super admin's, by app and
    /// token digest, and when.
    hubs: Arc<Mutex<HashMap<String, Instant>>>,
}

/// Users with these statuses keep an active account in the apps they have.
fn keeps_account(status: UserStatus) -> bool {
    matches!(
        status,
        UserStatus::Active
            | UserStatus::Provisioned
            | UserStatus::Recovery
            | UserStatus::LockedOut
            | UserStatus::PasswordExpired
    )
}

const PUSH: (&str, &str) = (
    "application.provision.user.push",
    "Push new user to external application",
);
const PUSH_PROFILE: (&str, &str) = (
    "application.provision.user.push_profile",
    "Push user profile update to external application",
);
const DEACTIVATE: (&str, &str) = (
    "application.provision.user.deactivate",
    "Deactivate user in external application",
);
const REACTIVATE: (&str, &str) = (
    "application.provision.user.reactivate",
    "Reactivate user in external application",
);
const GROUP_PUSH: (&str, &str) = (
    "application.provision.group.push",
    "Push group to external application",
);

impl Worker {
    pub fn new(store: Store, http: Outbound, secrets: SecretBox, lease: Duration) -> Self {
        Self {
            store,
            http,
            secrets,
            lease: Lease::new(lease).held_by(&uuid::Uuid::new_v4().to_string()),
            hubs: Arc::default(),
        }
    }

    /// Org2Org needs a super admin's token (Okta's Org2Org guide): checked
    /// before the first delivery to a hub, and again every 10 minutes.
    async fn check_hub(&self, app: &str, connection: &Connection) -> Result<(), Failure> {
        if connection.setup.kind != Kind::OktaOrg2Org {
            return Ok(());
        }
        use sha2::Digest as _;
        let key = format!(
            "{app}:{}",
            hex::encode(sha2::Sha256::digest(connection.secret.as_bytes()))
        );
        let fresh = self
            .hubs
            .lock()
            .map(|h| h.get(&key).is_some_and(|t| t.elapsed() < HUB_CHECK_TTL))
            .unwrap_or(false);
        if fresh {
            return Ok(());
        }
        okta::check(&self.endpoint(connection)).await?;
        if let Ok(mut hubs) = self.hubs.lock() {
            hubs.insert(key, Instant::now());
        }
        Ok(())
    }

    /// Runs until the process ends.
    pub async fn run(self) {
        loop {
            match self.tick().await {
                Ok(0) => tokio::time::sleep(IDLE_POLL).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "provisioning: cannot claim tasks");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    }

    /// Claims and delivers one batch; how many tasks it held.
    pub async fn tick(&self) -> Result<usize, StoreError> {
        let tasks = self
            .store
            .system_claim_tasks(self.lease.holder(), &self.lease.until(), BATCH)
            .await?;
        for task in &tasks {
            // Each task's lease starts when its delivery does.
            self.store
                .system_renew_task(task, &self.lease.until())
                .await?;
            if let Err(e) = self.deliver(task).await {
                tracing::error!(error = %e, task = task.id, "provisioning: cannot record a delivery");
                // Not left to come back at every lease: an admin sees it.
                let failure =
                    Failure::permanent(format!("The delivery could not be recorded: {e}"));
                let fallback = (
                    "application.provision.user.push",
                    "Push new user to external application",
                );
                if let Err(e) = self
                    .store
                    .system_fail_task(task, fallback, None, None, &failure)
                    .await
                {
                    tracing::error!(error = %e, task = task.id, "provisioning: cannot mark a task failed");
                }
            }
        }
        Ok(tasks.len())
    }

    async fn deliver(&self, task: &Task) -> Result<(), StoreError> {
        match task.subject.as_str() {
            "group" => self.deliver_group(task).await,
            _ => self.deliver_user(task).await,
        }
    }

    fn endpoint<'a>(&'a self, connection: &'a Connection) -> Endpoint<'a> {
        Endpoint {
            http: &self.http,
            connection,
            content_type: match connection.setup.kind {
                Kind::Scim2 => "application/scim+json",
                Kind::OktaOrg2Org => "application/json",
            },
        }
    }

    async fn deliver_user(&self, task: &Task) -> Result<(), StoreError> {
        let (app, user, has, link) = self
            .store
            .system_user_task_state(&task.app_id, &task.subject_id)
            .await?;
        let Some(app) = app else {
            // The app is gone (its tasks go with it).
            return Ok(());
        };
        let Some(connection) = self.store.system_connection(&app.id, &self.secrets).await? else {
            return self
                .store
                .system_finish_user_task(task, &app, user.as_ref(), UserOutcome::Nothing)
                .await;
        };
        let wanted = has
            && app.status == LifecycleStatus::Active
            && user.as_ref().is_some_and(|u| keeps_account(u.status));
        let intent = match (wanted, link.is_some()) {
            (true, true) => PUSH_PROFILE,
            (true, false) => PUSH,
            (false, _) => DEACTIVATE,
        };
        let result = match self.check_hub(app.id.as_str(), &connection).await {
            Err(f) => Err(f),
            Ok(()) => match (&user, wanted) {
                (Some(user), true) => self.hold(&app, &connection, user, link).await,
                _ => self.release(&connection, user.is_none(), link).await,
            },
        };
        match result {
            Ok(outcome) => {
                self.store
                    .system_finish_user_task(task, &app, user.as_ref(), outcome)
                    .await
            }
            Err(failure) => {
                tracing::warn!(app = %app.id, user = %task.subject_id, error = %failure, "provisioning: delivery failed");
                self.store
                    .system_fail_task(task, intent, Some(&app), user.as_ref(), &failure)
                    .await
            }
        }
    }

    /// The user should have an active account: link or create it, push the
    /// profile, reactivate it.
    async fn hold(
        &self,
        app: &App,
        connection: &Connection,
        user: &User,
        link: Option<Link>,
    ) -> Result<UserOutcome, Failure> {
        let ep = self.endpoint(connection);
        let setup = &connection.setup;
        let features = setup.features;
        let attributes = setup.attributes(user);
        let login = setup.login_of(user);
        let external_id = user.id.as_str();
        if let Some(link) = link {
            match self.refresh(connection, user, link).await {
                // The app no longer has the account: it is matched or made again.
                Err(f) if f.is_not_found() => {}
                other => return other,
            }
        }
        if !features.create_users {
            return Ok(UserOutcome::Nothing);
        }
        // Match first: never a second account for one user.
        let found = match setup.kind {
            Kind::Scim2 => scim::find_user(&ep, &login, &user.profile.email).await?,
            Kind::OktaOrg2Org => okta::find_user(&ep, &login, &user.profile.email).await?,
        };
        let remote = match found {
            Some(existing) => {
                let owner = self
                    .store
                    .system_account_owner(&app.id, &existing.id)
                    .await
                    .map_err(|e| Failure::transient(e.to_string()))?;
                if let Some(other) = owner.filter(|o| o != user.id.as_str()) {
                    return Err(Failure::permanent(format!(
                        "The app's account {} is linked to another portal user ({other}): resolve the conflict, then retry.",
                        existing.login
                    )));
                }
                self.adopt(connection, &existing, user).await?;
                existing
            }
            None => match setup.kind {
                Kind::Scim2 => scim::create_user(&ep, setup, &attributes, external_id).await?,
                Kind::OktaOrg2Org => okta::create_user(&ep, &attributes).await?,
            },
        };
        Ok(UserOutcome::Linked {
            link: Link {
                external_id: remote.id,
                external_login: login,
                active: true,
            },
            event: Some(PUSH),
        })
    }

    /// The user's linked account: its attributes pushed (when updates are
    /// on) and reactivated if it was deactivated.
    async fn refresh(
        &self,
        connection: &Connection,
        user: &User,
        link: Link,
    ) -> Result<UserOutcome, Failure> {
        let ep = self.endpoint(connection);
        let setup = &connection.setup;
        let features = setup.features;
        let attributes = setup.attributes(user);
        let login = setup.login_of(user);
        let external_id = user.id.as_str();
        let event = if features.update_users {
            match setup.kind {
                Kind::Scim2 => {
                    scim::update_user(
                        &ep,
                        setup,
                        &link.external_id,
                        &attributes,
                        external_id,
                        true,
                    )
                    .await?
                }
                Kind::OktaOrg2Org => {
                    okta::update_user(&ep, &link.external_id, &attributes).await?;
                    if !link.active {
                        okta::set_active(&ep, &link.external_id, true).await?;
                    }
                }
            }
            Some(if link.active {
                PUSH_PROFILE
            } else {
                REACTIVATE
            })
        } else if !link.active && features.deactivate_users {
            self.set_active(connection, &link.external_id, true).await?;
            Some(REACTIVATE)
        } else {
            None
        };
        let active = link.active || event.is_some();
        Ok(UserOutcome::Linked {
            link: Link {
                external_login: login,
                active,
                ..link
            },
            event,
        })
    }

    /// A matched account becomes the user's: its attributes pushed (when
    /// updates are on) and made active.
    async fn adopt(
        &self,
        connection: &Connection,
        existing: &Remote,
        user: &User,
    ) -> Result<(), Failure> {
        let ep = self.endpoint(connection);
        let setup = &connection.setup;
        if setup.features.update_users {
            let attributes = setup.attributes(user);
            match setup.kind {
                Kind::Scim2 => {
                    scim::update_user(
                        &ep,
                        setup,
                        &existing.id,
                        &attributes,
                        user.id.as_str(),
                        true,
                    )
                    .await?
                }
                Kind::OktaOrg2Org => okta::update_user(&ep, &existing.id, &attributes).await?,
            }
        }
        // A SCIM replace above already sent `active: true`.
        let replaced = setup.features.update_users && setup.kind == Kind::Scim2;
        if !existing.active && !replaced {
            self.set_active(connection, &existing.id, true).await?;
        }
        Ok(())
    }

    async fn set_active(
        &self,
        connection: &Connection,
        id: &str,
        active: bool,
    ) -> Result<(), Failure> {
        let ep = self.endpoint(connection);
        match connection.setup.kind {
            Kind::Scim2 => scim::set_active(&ep, id, active).await,
            Kind::OktaOrg2Org => okta::set_active(&ep, id, active).await,
        }
    }

    /// The user should have no active account: deactivate it (or delete it,
    /// when the user is gone and the app's settings say so).
    async fn release(
        &self,
        connection: &Connection,
        deleted: bool,
        link: Option<Link>,
    ) -> Result<UserOutcome, Failure> {
        let Some(link) = link else {
            return Ok(UserOutcome::Nothing);
        };
        let features = connection.setup.features;
        if deleted && features.delete_users {
            let ep = self.endpoint(connection);
            match connection.setup.kind {
                Kind::Scim2 => scim::delete_user(&ep, &link.external_id).await?,
                Kind::OktaOrg2Org => okta::delete_user(&ep, &link.external_id).await?,
            }
            return Ok(UserOutcome::Deleted);
        }
        if link.active && features.deactivate_users {
            self.set_active(connection, &link.external_id, false)
                .await?;
            return Ok(UserOutcome::Linked {
                link: Link {
                    active: false,
                    ..link
                },
                event: Some(DEACTIVATE),
            });
        }
        Ok(UserOutcome::Linked { link, event: None })
    }

    async fn deliver_group(&self, task: &Task) -> Result<(), StoreError> {
        let Some(state) = self.store.system_push_state(&task.subject_id).await? else {
            // The mapping is gone: nothing to push.
            return self.store.system_drop_task(task).await;
        };
        let Some(app) = self.store.system_app(&task.app_id).await? else {
            return Ok(());
        };
        let connection = self.store.system_connection(&app.id, &self.secrets).await?;
        let Some(connection) = connection.filter(|c| c.setup.features.push_groups) else {
            return self
                .store
                .system_finish_group_task(task, &app, &state, None, 0, 0)
                .await;
        };
        if state.mapping.status != "ACTIVE" || state.group.is_none() {
            return self
                .store
                .system_finish_group_task(task, &app, &state, None, 0, 0)
                .await;
        }
        let pushed = match self.check_hub(app.id.as_str(), &connection).await {
            Ok(()) => self.push(&connection, &state, task).await,
            Err(f) => Err(f),
        };
        match pushed {
            Ok((target, added, removed)) => {
                self.store
                    .system_finish_group_task(task, &app, &state, Some(&target), added, removed)
                    .await
            }
            Err(failure) => {
                tracing::warn!(app = %app.id, mapping = %state.mapping.id, error = %failure, "provisioning: group push failed");
                if !failure.retryable {
                    self.store
                        .system_push_error(&state.mapping.id, &failure.message)
                        .await?;
                }
                self.store
                    .system_fail_task(task, GROUP_PUSH, Some(&app), None, &failure)
                    .await
            }
        }
    }

    /// Creates or links the target group and brings its members in step:
    /// (target id, members added, members removed).
    async fn push(
        &self,
        connection: &Connection,
        state: &PushState,
        task: &Task,
    ) -> Result<(String, usize, usize), Failure> {
        let ep = self.endpoint(connection);
        let kind = connection.setup.kind;
        let name = state.mapping.target_group_name.as_str();
        let existing = match &state.mapping.target_group_id {
            Some(id) => match kind {
                Kind::Scim2 => scim::group(&ep, id).await?,
                Kind::OktaOrg2Org => okta::group(&ep, id).await?,
            }
            .map(|g| (id.clone(), g.1)),
            None => None,
        };
        let (target, current) = match existing {
            Some(found) => found,
            None => {
                // Link a group of that name if the app has one, else create it.
                let found = match kind {
                    Kind::Scim2 => scim::find_group(&ep, name).await?,
                    Kind::OktaOrg2Org => okta::find_group(&ep, name).await?,
                };
                match found {
                    Some(id) => {
                        let members = match kind {
                            Kind::Scim2 => scim::group(&ep, &id).await?,
                            Kind::OktaOrg2Org => okta::group(&ep, &id).await?,
                        }
                        .map(|g| g.1)
                        .unwrap_or_default();
                        (id, members)
                    }
                    None => {
                        let id = match kind {
                            Kind::Scim2 => scim::create_group(&ep, name).await?,
                            Kind::OktaOrg2Org => {
                                okta::create_group(&ep, name, &state.description).await?
                            }
                        };
                        (id, Vec::new())
                    }
                }
            }
        };
        let _ = self
            .store
            .system_renew_task(task, &self.lease.until())
            .await;
        let desired: BTreeSet<&String> = state.member_accounts.iter().collect();
        let have: BTreeSet<&String> = current.iter().collect();
        let add: Vec<String> = desired.difference(&have).map(|s| (*s).clone()).collect();
        let remove: Vec<String> = have.difference(&desired).map(|s| (*s).clone()).collect();
        match kind {
            Kind::Scim2 => scim::change_group(&ep, &target, None, &add, &remove).await?,
            Kind::OktaOrg2Org => okta::change_group(&ep, &target, None, &add, &remove).await?,
        }
        Ok((target, add.len(), remove.len()))
    }
}

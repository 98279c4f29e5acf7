//! Groups (org-level, spanning realms), their members, and app assignments.
//! Cross-resource changes take two grants: one on the user, one on the group/app.

use sqlx::any::AnyRow;
use sqlx::{Any, FromRow, Row, Transaction};

use super::audit::{self, Event};
use super::demand::Demand;
use super::dialect::Constraint;
use super::realms::decode;
use super::sql::Sql;
use super::users::{user_target, NewUser};
use super::{clock, Store, StoreError};
use crate::authz::{Grant, Permission, Scope};
use crate::ids::{AppId, GroupId};
use crate::model::{App, Group, LifecycleStatus, User};

impl<'r> FromRow<'r, AnyRow> for Group {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Group {
            id: GroupId::parse(&row.try_get::<String, _>("id")?).map_err(decode)?,
            name: row.try_get("name")?,
            description: row
                .try_get::<Option<String>, _>("description")?
                .unwrap_or_default(),
            created: row.try_get("created")?,
            last_updated: row.try_get("last_updated")?,
        })
    }
}

impl<'r> FromRow<'r, AnyRow> for App {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let status: String = row.try_get("status")?;
        Ok(App {
            id: AppId::parse(&row.try_get::<String, _>("id")?).map_err(decode)?,
            name: row.try_get("name")?,
            label: row.try_get("label")?,
            sign_on_mode: row.try_get("sign_on_mode")?,
            status: LifecycleStatus::parse(&status).ok_or_else(|| decode("status"))?,
            created: row.try_get("created")?,
            last_updated: row.try_get("last_updated")?,
        })
    }
}

const GROUP_COLUMNS: &str = "g.id, g.name, g.description, g.created, g.last_updated";
const APP_COLUMNS: &str =
    "a.id, a.name, a.label, a.sign_on_mode, a.status, a.created, a.last_updated";

pub(crate) fn group_target(group: &Group) -> audit::Target {
    audit::Target {
        id: group.id.to_string(),
        target_type: "UserGroup".into(),
        alternate_id: group.name.clone(),
        display_name: group.name.clone(),
        realm_id: None,
    }
}

pub(crate) fn app_target(app: &App) -> audit::Target {
    audit::Target {
        id: app.id.to_string(),
        target_type: "AppInstance".into(),
        alternate_id: app.label.clone(),
        display_name: app.label.clone(),
        realm_id: None,
    }
}

/// A new app's record, its label and type name checked.
pub(crate) fn new_app(name: &str, label: &str, sign_on_mode: &str) -> Result<App, StoreError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(StoreError::invalid(
            "label",
            "Enter a label of 1 to 100 characters.",
        ));
    }
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(StoreError::invalid(
            "name",
            "An app type name uses letters, digits and _ only.",
        ));
    }
    let now = clock::now();
    Ok(App {
        id: AppId::generate(),
        name: name.to_string(),
        label: label.to_string(),
        sign_on_mode: sign_on_mode.to_string(),
        status: LifecycleStatus::Active,
        created: now.clone(),
        last_updated: now,
    })
}

/// Inserts a new app's row in `tx`.
pub(crate) async fn insert_app_in(tx: &mut super::WriteTx, app: &App) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO apps (id, name, label, sign_on_mode, status, created, last_updated) \
         VALUES ($1, $2, $3, $4, 'ACTIVE', $5, $5)",
    )
    .bind(app.id.as_str())
    .bind(&app.name)
    .bind(&app.label)
    .bind(&app.sign_on_mode)
    .bind(&app.created)
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::map_constraint(e, &[Constraint::AppsSignOnMode]))?;
    Ok(())
}

impl Store {
    pub async fn create_group(
        &self,
        grant: &Grant,
        name: &str,
        description: &str,
    ) -> Result<Group, StoreError> {
        grant.demand_org(Permission::GroupsCreate)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(StoreError::invalid(
                "name",
                "Enter a name of 1 to 255 characters.",
            ));
        }
        let now = clock::now();
        let group = Group {
            id: GroupId::generate(),
            name: name.to_string(),
            description: description.trim().to_string(),
            created: now.clone(),
            last_updated: now.clone(),
        };
        self.write(|mut tx| async move {
            sqlx::query(
                "INSERT INTO groups (id, name, description, created, last_updated, last_membership_updated) \
                 VALUES ($1, $2, $3, $4, $4, $4)",
            )
            .bind(group.id.as_str())
            .bind(&group.name)
            .bind(&group.description)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::map_constraint(e, &[Constraint::GroupsName]))?;
            let event = Event::by_grant("group.lifecycle.create", "Create okta group", grant)
                .target(group_target(&group));
            Ok((tx, group, vec![event]))
        })
        .await
    }

    /// Renames a group or changes its description (grant: `okta.groups.manage`
    /// on it), with `group.profile.update`.
    pub async fn update_group(
        &self,
        grant: &Grant,
        name: &str,
        description: &str,
    ) -> Result<Group, StoreError> {
        let id = grant.demand_group(Permission::GroupsManage)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(StoreError::invalid(
                "name",
                "Enter a name of 1 to 255 characters.",
            ));
        }
        self.write(|mut tx| async move {
            let updated = sqlx::query(
                "UPDATE groups SET name = $1, description = $2, last_updated = $3 WHERE id = $4",
            )
            .bind(name)
            .bind(description.trim())
            .bind(clock::now())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::map_constraint(e, &[Constraint::GroupsName]))?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::NotFound);
            }
            let group = sqlx::query_as::<_, Group>(&format!(
                "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.id = $1"
            ))
            .bind(id.as_str())
            .fetch_one(&mut *tx)
            .await?;
            let event = Event::by_grant("group.profile.update", "Update group profile", grant)
                .target(group_target(&group));
            Ok((tx, group, vec![event]))
        })
        .await
    }

    /// Deletes a group (grant: `okta.groups.manage` on it): its memberships,
    /// app assignments and the admin rights it conferred go with it
    /// (`group.lifecycle.delete`).
    pub async fn delete_group(&self, grant: &Grant) -> Result<(), StoreError> {
        let id = grant.demand_group(Permission::GroupsManage)?;
        self.write(|mut tx| async move {
            let group = sqlx::query_as::<_, Group>(&format!(
                "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.id = $1"
            ))
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let before = if super::admin::confers_super_admin(&mut tx, id).await? {
                super::admin::super_admin_holders(&mut tx).await?
            } else {
                0
            };
            let apps: Vec<String> =
                sqlx::query_scalar("SELECT app_id FROM app_group_assignments WHERE group_id = $1")
                    .bind(id.as_str())
                    .fetch_all(&mut *tx)
                    .await?;
            // Its members' accounts in provisioned apps are looked at again.
            super::provisioning::group_deleted_in(&mut tx, id).await?;
            sqlx::query("DELETE FROM groups WHERE id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::map_constraint(e, &[]))?;
            super::admin::a_super_admin_remains(&mut tx, before).await?;
            // Its members lose the apps it gave them: their refresh tokens go.
            for app in apps {
                let app = AppId::parse(&app).map_err(|e| StoreError::Internal(e.to_string()))?;
                super::oauth::revoke_lapsed_grants_in(&mut tx, super::oauth::GrantsOf::App(&app))
                    .await?;
            }
            let event = Event::by_grant("group.lifecycle.delete", "Delete Okta group", grant)
                .target(group_target(&group));
            Ok((tx, (), vec![event]))
        })
        .await
    }

    /// Renames an app integration (grant: `okta.apps.manage` on it):
    /// `application.lifecycle.update`.
    pub async fn update_app(&self, grant: &Grant, label: &str) -> Result<App, StoreError> {
        let id = grant.demand_app(Permission::AppsManage)?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(StoreError::invalid(
                "label",
                "Enter a label of 1 to 100 characters.",
            ));
        }
        self.write(|mut tx| async move {
            let updated =
                sqlx::query("UPDATE apps SET label = $1, last_updated = $2 WHERE id = $3")
                    .bind(label)
                    .bind(clock::now())
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::NotFound);
            }
            let app = sqlx::query_as::<_, App>(&format!(
                "SELECT {APP_COLUMNS} FROM apps a WHERE a.id = $1"
            ))
            .bind(id.as_str())
            .fetch_one(&mut *tx)
            .await?;
            let event =
                Event::by_grant("application.lifecycle.update", "Update application", grant)
                    .target(app_target(&app));
            Ok((tx, app, vec![event]))
        })
        .await
    }

    /// Deletes an app integration (grant: `okta.apps.manage` on it) and its
    /// assignments (`application.lifecycle.delete`).
    pub async fn delete_app(&self, grant: &Grant) -> Result<(), StoreError> {
        let id = grant.demand_app(Permission::AppsManage)?;
        self.write(|mut tx| async move {
            let app = sqlx::query_as::<_, App>(&format!(
                "SELECT {APP_COLUMNS} FROM apps a WHERE a.id = $1"
            ))
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            sqlx::query("DELETE FROM apps WHERE id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::map_constraint(e, &[]))?;
            let event =
                Event::by_grant("application.lifecycle.delete", "Delete application", grant)
                    .target(app_target(&app));
            Ok((tx, (), vec![event]))
        })
        .await
    }

    pub async fn get_group(&self, scope: &Scope, id: &GroupId) -> Result<Group, StoreError> {
        let mut sql = Sql::new(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.id = "
        ));
        sql.bind(id).push(" AND ");
        scope.groups_predicate(&mut sql, "g");
        sql.fetch_one_or_not_found::<Group>(&self.pool).await
    }

    pub async fn list_groups(&self, scope: &Scope) -> Result<Vec<Group>, StoreError> {
        let mut sql = Sql::new(&format!("SELECT {GROUP_COLUMNS} FROM groups g WHERE "));
        scope.groups_predicate(&mut sql, "g");
        sql.push(" ORDER BY lower(g.name), g.id LIMIT 500");
        sql.fetch_all::<Group>(&self.pool).await
    }

    /// Adds a user to a group: `user_grant` on the user (groupMembership.manage),
    /// `group_grant` on the group (members.manage). Idempotent.
    pub async fn add_group_member(
        &self,
        user_grant: &Grant,
        group_grant: &Grant,
    ) -> Result<bool, StoreError> {
        let (user, group) = self.membership_parties(user_grant, group_grant).await?;
        let mut tx = self.begin_write().await?;
        if !insert_membership(&mut tx, user_grant, &user, &group).await? {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn remove_group_member(
        &self,
        user_grant: &Grant,
        group_grant: &Grant,
    ) -> Result<bool, StoreError> {
        let (user, group) = self.membership_parties(user_grant, group_grant).await?;
        let mut tx = self.begin_write().await?;
        let before = if super::admin::confers_super_admin(&mut tx, &group.id).await? {
            super::admin::super_admin_holders(&mut tx).await?
        } else {
            0
        };
        let deleted = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group.id.as_str())
            .bind(user.id.as_str())
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        super::admin::a_super_admin_remains(&mut tx, before).await?;
        super::oauth::revoke_lapsed_grants_in(&mut tx, super::oauth::GrantsOf::User(&user.id))
            .await?;
        sqlx::query("UPDATE groups SET last_membership_updated = $1 WHERE id = $2")
            .bind(clock::now())
            .bind(group.id.as_str())
            .execute(&mut *tx)
            .await?;
        let event = Event::by_grant(
            "group.user_membership.remove",
            "Remove user from group membership",
            user_grant,
        )
        .target(user_target(&user))
        .target(group_target(&group));
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The user side of a membership or an assignment: the user `grant`
    /// names, the grant being for `permission`.
    async fn link_party(&self, grant: &Grant, permission: Permission) -> Result<User, StoreError> {
        let id = grant.demand_user(permission)?;
        sqlx::query_as::<_, User>(&format!(
            "SELECT {} FROM users u WHERE u.id = $1",
            super::users::COLUMNS
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)
    }

    async fn membership_parties(
        &self,
        user_grant: &Grant,
        group_grant: &Grant,
    ) -> Result<(User, Group), StoreError> {
        let user = self
            .link_party(user_grant, Permission::UsersGroupMembershipManage)
            .await?;
        let group_id = group_grant.demand_group(Permission::GroupsMembersManage)?;
        let group = sqlx::query_as::<_, Group>(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.id = $1"
        ))
        .bind(group_id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((user, group))
    }

    pub async fn create_app(
        &self,
        grant: &Grant,
        name: &str,
        label: &str,
        sign_on_mode: &str,
    ) -> Result<App, StoreError> {
        grant.demand_org(Permission::AppsManage)?;
        let app = new_app(name, label, sign_on_mode)?;
        self.write(|mut tx| async move {
            insert_app_in(&mut tx, &app).await?;
            let event = Event::by_grant("application.lifecycle.create", "Add application", grant)
                .target(app_target(&app));
            Ok((tx, app, vec![event]))
        })
        .await
    }

    pub async fn get_app(&self, scope: &Scope, id: &AppId) -> Result<App, StoreError> {
        let mut sql = Sql::new(&format!("SELECT {APP_COLUMNS} FROM apps a WHERE a.id = "));
        sql.bind(id).push(" AND ");
        scope.apps_predicate(&mut sql, "a");
        sql.fetch_one_or_not_found::<App>(&self.pool).await
    }

    pub async fn list_apps(&self, scope: &Scope) -> Result<Vec<App>, StoreError> {
        let mut sql = Sql::new(&format!("SELECT {APP_COLUMNS} FROM apps a WHERE "));
        scope.apps_predicate(&mut sql, "a");
        sql.push(" ORDER BY lower(a.label), a.id LIMIT 500");
        sql.fetch_all::<App>(&self.pool).await
    }

    /// The groups `user` is a member of that `scope` (groups read) covers.
    pub async fn groups_of_user(
        &self,
        scope: &Scope,
        user: &crate::ids::UserId,
    ) -> Result<Vec<Group>, StoreError> {
        let mut sql = Sql::new(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups g JOIN group_members gm ON gm.group_id = g.id \
             WHERE gm.user_id = "
        ));
        sql.bind(user).push(" AND ");
        scope.groups_predicate(&mut sql, "g");
        sql.push(" ORDER BY lower(g.name), g.id");
        sql.fetch_all::<Group>(&self.pool).await
    }

    /// Assigns an app to a user directly: `user_grant` (appAssignment.manage on the
    /// user) and `app_grant` (assignment.manage on the app). Idempotent.
    pub async fn assign_app(
        &self,
        user_grant: &Grant,
        app_grant: &Grant,
    ) -> Result<bool, StoreError> {
        self.change_assignment(user_grant, app_grant, true).await
    }

    /// Removes a user's direct assignment of an app (the same two grants as
    /// `assign_app`); assignments through groups stay. Idempotent.
    pub async fn unassign_app(
        &self,
        user_grant: &Grant,
        app_grant: &Grant,
    ) -> Result<bool, StoreError> {
        self.change_assignment(user_grant, app_grant, false).await
    }

    /// Adds or removes one direct assignment with its event; `false` when
    /// there was nothing to change.
    async fn change_assignment(
        &self,
        user_grant: &Grant,
        app_grant: &Grant,
        assign: bool,
    ) -> Result<bool, StoreError> {
        let (user, app) = self.assignment_parties(user_grant, app_grant).await?;
        let (statement, event_type, display) = if assign {
            (
                "INSERT INTO app_user_assignments (app_id, user_id, created) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                "application.user_membership.add",
                "Add user to application membership",
            )
        } else {
            (
                "DELETE FROM app_user_assignments WHERE app_id = $1 AND user_id = $2",
                "application.user_membership.remove",
                "Remove user from application membership",
            )
        };
        let mut tx = self.begin_write().await?;
        let mut query = sqlx::query(statement)
            .bind(app.id.as_str())
            .bind(user.id.as_str());
        if assign {
            query = query.bind(clock::now());
        }
        let changed = query.execute(&mut *tx).await?;
        if changed.rows_affected() == 0 {
            return Ok(false);
        }
        if !assign {
            super::oauth::revoke_lapsed_grants_in(&mut tx, super::oauth::GrantsOf::User(&user.id))
                .await?;
        }
        let event = Event::by_grant(event_type, display, user_grant)
            .target(user_target(&user))
            .target(app_target(&app));
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn assignment_parties(
        &self,
        user_grant: &Grant,
        app_grant: &Grant,
    ) -> Result<(User, App), StoreError> {
        let user = self
            .link_party(user_grant, Permission::UsersAppAssignmentManage)
            .await?;
        let app_id = app_grant.demand_app(Permission::AppsAssignmentManage)?;
        let app =
            sqlx::query_as::<_, App>(&format!("SELECT {APP_COLUMNS} FROM apps a WHERE a.id = $1"))
                .bind(app_id.as_str())
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
        Ok((user, app))
    }

    /// Assigns an app to a group (org admins; users inherit it).
    /// The active apps assigned to `user`, directly or through its groups
    /// (label order); each with the names of the groups it comes through.
    pub async fn apps_for_user(
        &self,
        user: &crate::ids::UserId,
    ) -> Result<Vec<(App, bool, Vec<String>)>, StoreError> {
        self.apps_of(user, None).await
    }

    /// The same, only the apps `scope` (apps read) covers: what an admin sees
    /// on a user's apps tab.
    pub async fn apps_for_user_in(
        &self,
        scope: &Scope,
        user: &crate::ids::UserId,
    ) -> Result<Vec<(App, bool, Vec<String>)>, StoreError> {
        self.apps_of(user, Some(scope)).await
    }

    async fn apps_of(
        &self,
        user: &crate::ids::UserId,
        scope: Option<&Scope>,
    ) -> Result<Vec<(App, bool, Vec<String>)>, StoreError> {
        let direct: Vec<String> =
            sqlx::query_scalar("SELECT app_id FROM app_user_assignments WHERE user_id = $1")
                .bind(user.as_str())
                .fetch_all(&self.pool)
                .await?;
        let via: Vec<(String, String)> = sqlx::query_as(
            "SELECT aga.app_id, g.name FROM app_group_assignments aga \
             JOIN group_members gm ON gm.group_id = aga.group_id \
             JOIN groups g ON g.id = aga.group_id WHERE gm.user_id = $1 ORDER BY g.name",
        )
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut sql = Sql::new(&format!(
            "SELECT {APP_COLUMNS} FROM apps a WHERE a.status = 'ACTIVE' AND (a.id IN \
             (SELECT app_id FROM app_user_assignments WHERE user_id = "
        ));
        sql.bind(user).push(
            ") OR a.id IN (SELECT aga.app_id FROM app_group_assignments aga \
             JOIN group_members gm ON gm.group_id = aga.group_id WHERE gm.user_id = ",
        );
        sql.bind(user).push("))");
        if let Some(scope) = scope {
            sql.push(" AND ");
            scope.apps_predicate(&mut sql, "a");
        }
        sql.push(" ORDER BY a.label, a.id");
        let apps = sql.fetch_all::<App>(&self.pool).await?;
        Ok(apps
            .into_iter()
            .map(|app| {
                let is_direct = direct.iter().any(|d| d == app.id.as_str());
                let groups = via
                    .iter()
                    .filter(|(a, _)| a == app.id.as_str())
                    .map(|(_, g)| g.clone())
                    .collect();
                (app, is_direct, groups)
            })
            .collect())
    }

    /// Whether `group` is assigned `app` (for idempotent seeding).
    pub async fn group_has_app(&self, group: &GroupId, app: &AppId) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM app_group_assignments WHERE group_id = $1 AND app_id = $2",
        )
        .bind(group.as_str())
        .bind(app.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Assigns an app to a group: its members get the app. `group_grant`
    /// for `okta.groups.appAssignment.manage` on the group, `app_grant` for
    /// `okta.apps.assignment.manage` on the app. `false` when it already was.
    pub async fn assign_app_to_group(
        &self,
        group_grant: &Grant,
        app_grant: &Grant,
    ) -> Result<bool, StoreError> {
        self.change_group_assignment(group_grant, app_grant, true)
            .await
    }

    /// Takes an app back from a group; `false` when it was not assigned.
    pub async fn unassign_app_from_group(
        &self,
        group_grant: &Grant,
        app_grant: &Grant,
    ) -> Result<bool, StoreError> {
        self.change_group_assignment(group_grant, app_grant, false)
            .await
    }

    async fn change_group_assignment(
        &self,
        group_grant: &Grant,
        app_grant: &Grant,
        assign: bool,
    ) -> Result<bool, StoreError> {
        let group_id = group_grant.demand_group(Permission::GroupsAppAssignmentManage)?;
        let app_id = app_grant.demand_app(Permission::AppsAssignmentManage)?;
        let mut tx = self.begin_write().await?;
        let names: Option<(String, String)> = sqlx::query_as(
            "SELECT g.name, a.label FROM groups g, apps a WHERE g.id = $1 AND a.id = $2",
        )
        .bind(group_id.as_str())
        .bind(app_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let (group_name, app_label) = names.ok_or(StoreError::NotFound)?;
        let changed = if assign {
            sqlx::query(
                "INSERT INTO app_group_assignments (app_id, group_id, priority, created) \
                 VALUES ($1, $2, 0, $3) ON CONFLICT DO NOTHING",
            )
            .bind(app_id.as_str())
            .bind(group_id.as_str())
            .bind(clock::now())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::map_constraint(e, &[]))?
        } else {
            sqlx::query("DELETE FROM app_group_assignments WHERE app_id = $1 AND group_id = $2")
                .bind(app_id.as_str())
                .bind(group_id.as_str())
                .execute(&mut *tx)
                .await?
        };
        if changed.rows_affected() == 0 {
            return Ok(false);
        }
        if !assign {
            super::oauth::revoke_lapsed_grants_in(&mut tx, super::oauth::GrantsOf::App(app_id))
                .await?;
        }
        let (event_type, display) = if assign {
            (
                "group.application_assignment.add",
                "Add assigned application to group",
            )
        } else {
            (
                "group.application_assignment.remove",
                "Remove assigned application from group",
            )
        };
        let event = Event::by_grant(event_type, display, group_grant)
            .target(audit::Target {
                id: group_id.to_string(),
                target_type: "UserGroup".into(),
                alternate_id: group_name.clone(),
                display_name: group_name,
                realm_id: None,
            })
            .target(audit::Target {
                id: app_id.to_string(),
                target_type: "AppInstance".into(),
                alternate_id: app_label.clone(),
                display_name: app_label,
                realm_id: None,
            });
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The apps assigned to `group` that `scope` (apps read) covers.
    pub async fn apps_of_group(
        &self,
        scope: &Scope,
        group: &GroupId,
    ) -> Result<Vec<App>, StoreError> {
        let mut sql = Sql::new(&format!(
            "SELECT {APP_COLUMNS} FROM apps a JOIN app_group_assignments aga ON aga.app_id = a.id \
             WHERE aga.group_id = "
        ));
        sql.bind(group).push(" AND ");
        scope.apps_predicate(&mut sql, "a");
        sql.push(" ORDER BY lower(a.label), a.id");
        sql.fetch_all::<App>(&self.pool).await
    }

    /// The groups `app` is assigned to that `scope` (groups read) covers.
    pub async fn groups_of_app(
        &self,
        scope: &Scope,
        app: &AppId,
    ) -> Result<Vec<Group>, StoreError> {
        let mut sql = Sql::new(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups g JOIN app_group_assignments aga ON aga.group_id = g.id \
             WHERE aga.app_id = "
        ));
        sql.bind(app).push(" AND ");
        scope.groups_predicate(&mut sql, "g");
        sql.push(" ORDER BY lower(g.name), g.id");
        sql.fetch_all::<Group>(&self.pool).await
    }
}

impl Store {
    /// The apps assigned to `group` (id and type): what joining it hands out.
    pub async fn group_app_grants(
        &self,
        group: &GroupId,
    ) -> Result<Vec<(AppId, String)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT a.id, a.name FROM app_group_assignments aga JOIN apps a ON a.id = aga.app_id \
             WHERE aga.group_id = $1 ORDER BY a.id",
        )
        .bind(group.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, name)| {
                AppId::parse(&id)
                    .map(|id| (id, name))
                    .map_err(|e| StoreError::Internal(e.to_string()))
            })
            .collect()
    }
}

/// The group `id` read inside a write transaction; `NotFound` if it is gone.
pub(crate) async fn group_in_tx(
    tx: &mut Transaction<'static, Any>,
    id: &GroupId,
) -> Result<Group, StoreError> {
    sqlx::query_as::<_, Group>(&format!(
        "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)
}

/// Makes `user` a member of `group` inside `tx` (holding the chain lock), with
/// `group.user_membership.add` by `grant`'s actor; `false` if it already was.
pub(crate) async fn insert_membership(
    tx: &mut Transaction<'static, Any>,
    grant: &Grant,
    user: &User,
    group: &Group,
) -> Result<bool, StoreError> {
    let now = clock::now();
    let inserted = sqlx::query(
        "INSERT INTO group_members (group_id, user_id, created) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(group.id.as_str())
    .bind(user.id.as_str())
    .bind(&now)
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::map_constraint(e, &[]))?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("UPDATE groups SET last_membership_updated = $1 WHERE id = $2")
        .bind(&now)
        .bind(group.id.as_str())
        .execute(&mut **tx)
        .await?;
    let event = Event::by_grant(
        "group.user_membership.add",
        "Add user to group membership",
        grant,
    )
    .target(user_target(user))
    .target(group_target(group));
    audit::append(tx, &event).await?;
    Ok(true)
}

impl Store {
    /// Creates a user in the realm `grant` names (`okta.users.create`) and makes
    /// it a member of the group each of `group_grants` names
    /// (`okta.groups.members.manage`), in one write transaction: the user's
    /// `user.lifecycle.create` (and `.activate`) and one
    /// `group.user_membership.add` per group are written together, or, when
    /// any part fails (a group deleted meanwhile), nothing is.
    pub async fn create_user_in_groups(
        &self,
        grant: &Grant,
        new: NewUser,
        group_grants: &[Grant],
        activation: Option<super::credentials::IssuedLink>,
    ) -> Result<User, StoreError> {
        let groups = group_grants
            .iter()
            .map(|g| g.demand_group(Permission::GroupsMembersManage))
            .collect::<Result<Vec<_>, _>>()?;
        let (user, realm) = self.new_user(grant, &new).await?;
        let mut tx = self.begin_write().await?;
        super::users::insert_new_user(&mut tx, grant, &user, &realm).await?;
        if let Some(link) =
            activation.filter(|_| user.status == crate::model::UserStatus::Provisioned)
        {
            Self::issue_link_in(&mut tx, &user.id, link.purpose, &link.token_hash, link.ttl)
                .await?;
        }
        for (group, group_grant) in groups.into_iter().zip(group_grants) {
            let group = group_in_tx(&mut tx, group).await?;
            insert_membership(&mut tx, group_grant, &user, &group).await?;
        }
        tx.commit().await?;
        Ok(user)
    }
}

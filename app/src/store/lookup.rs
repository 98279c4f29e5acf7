//! Unscoped look-ups by natural key, for bootstrapping, seeding and sign-in (the
//! caller is the system principal or the authentication flow, never a person's
//! request: person-facing reads go through a `Scope`).

use super::{Store, StoreError};
use crate::ids::{AppId, GroupId, ResourceSetId};
use crate::model::{Realm, User};

impl Store {
    pub async fn system_user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        sqlx::query_as::<_, User>(&format!(
            "SELECT {} FROM users u WHERE u.login_lower = $1",
            super::users::COLUMNS
        ))
        .bind(login.trim().to_lowercase())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)
    }

    pub async fn realm_by_name(&self, name: &str) -> Result<Option<Realm>, StoreError> {
        sqlx::query_as::<_, Realm>(
            "SELECT r.id, r.name, r.realm_type, r.is_default, r.domains, r.created, r.last_updated \
             FROM realms r WHERE lower(r.name) = $1",
        )
        .bind(name.trim().to_ascii_lowercase())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)
    }

    pub async fn group_id_by_name(&self, name: &str) -> Result<Option<GroupId>, StoreError> {
        self.id_by("SELECT id FROM groups WHERE lower(name) = $1", name)
            .await
            .map(|id| id.and_then(|id| GroupId::parse(&id).ok()))
    }

    pub async fn app_id_by_label(&self, label: &str) -> Result<Option<AppId>, StoreError> {
        self.id_by("SELECT id FROM apps WHERE lower(label) = $1", label)
            .await
            .map(|id| id.and_then(|id| AppId::parse(&id).ok()))
    }

    pub async fn resource_set_id_by_label(
        &self,
        label: &str,
    ) -> Result<Option<ResourceSetId>, StoreError> {
        self.id_by(
            "SELECT id FROM resource_sets WHERE lower(label) = $1",
            label,
        )
        .await
        .map(|id| id.and_then(|id| ResourceSetId::parse(&id).ok()))
    }

    async fn id_by(&self, sql: &str, key: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar(sql)
            .bind(key.trim().to_ascii_lowercase())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)
    }
}

impl Store {
    /// A user by id with no scope: for the request context (the caller itself)
    /// and background work only.
    pub async fn system_user_by_id(
        &self,
        id: &crate::ids::UserId,
    ) -> Result<Option<User>, StoreError> {
        sqlx::query_as::<_, User>(&format!(
            "SELECT {} FROM users u WHERE u.id = $1",
            super::users::COLUMNS
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)
    }

    /// A signed-in session's user and the time (unix ms) before which its
    /// sessions are void, if any.
    pub async fn system_session_user(
        &self,
        id: &crate::ids::UserId,
    ) -> Result<Option<(User, Option<i64>)>, StoreError> {
        use sqlx::{FromRow, Row};
        let row = sqlx::query(&format!(
            "SELECT {}, u.sessions_valid_after FROM users u WHERE u.id = $1",
            super::users::COLUMNS
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = User::from_row(&row)?;
        let valid_after: Option<i64> = row.try_get("sessions_valid_after")?;
        Ok(Some((user, valid_after)))
    }
}

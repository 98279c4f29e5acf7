//! Installation-wide settings and the objects every installation has: the org
//! id, the default realm and the catch-all realm-assignment rule.

use super::{clock, Store, StoreError};
use crate::ids::{RealmId, RuleId};

impl Store {
    pub async fn org_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT value FROM org_settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)
    }

    /// Sets `key` to `value` (system bookkeeping, no event).
    pub async fn set_org_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO org_settings (key, value, last_updated) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, last_updated = excluded.last_updated \
             WHERE org_settings.value <> excluded.value",
        )
        .bind(key)
        .bind(value)
        .bind(clock::now())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Whether a role with this id exists.
    pub async fn role_exists(&self, role: &crate::ids::RoleId) -> Result<bool, StoreError> {
        let found: Option<String> = sqlx::query_scalar("SELECT id FROM roles WHERE id = $1")
            .bind(role.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// Sets `key` to `value` unless it is already set; returns the stored value.
    pub async fn init_org_setting(&self, key: &str, value: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO org_settings (key, value, last_updated) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .bind(clock::now())
        .execute(&self.pool)
        .await?;
        self.org_setting(key)
            .await?
            .ok_or_else(|| StoreError::Internal(format!("setting {key} vanished")))
    }

    /// The catch-all realm-assignment rule (lowest priority, into `realm`), created
    /// once.
    pub async fn ensure_catch_all_rule(&self, realm: &RealmId) -> Result<RuleId, StoreError> {
        let existing: Option<String> =
            sqlx::query_scalar("SELECT id FROM realm_assignment_rules WHERE is_default = TRUE")
                .fetch_optional(&self.pool)
                .await?;
        if let Some(id) = existing {
            return RuleId::parse(&id).map_err(|e| StoreError::Internal(e.to_string()));
        }
        let id = RuleId::generate();
        let now = clock::now();
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO realm_assignment_rules (id, name, priority, status, is_default, target_realm_id, \
             created, last_updated) VALUES ($1, 'Catch-all', 499, 'ACTIVE', TRUE, $2, $3, $3) ON CONFLICT DO NOTHING",
        )
        .bind(id.as_str())
        .bind(realm.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            let event = super::audit::Event::success(
                "directory.realm.assignment.create",
                "Create realm assignment",
                super::audit::Actor::system(),
            )
            .target(super::audit::Target {
                id: id.to_string(),
                target_type: "RealmAssignment".into(),
                alternate_id: "Catch-all".into(),
                display_name: "Catch-all".into(),
                realm_id: Some(realm.to_string()),
            });
            super::audit::append(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Adds `permission` to `role` if missing (idempotent upgrades of generated
    /// roles); returns whether it was added.
    pub async fn ensure_role_permission(
        &self,
        grant: &crate::authz::Grant,
        role: &crate::ids::RoleId,
        permission: &super::admin::StoredPermission,
    ) -> Result<bool, StoreError> {
        use super::demand::Demand;
        grant.demand_iam_change()?;
        let now = clock::now();
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO role_permissions (role_id, permission, conditions, created, last_updated) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
        )
        .bind(role.as_str())
        .bind(&permission.permission)
        .bind(&permission.conditions)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            let event = super::audit::Event::success(
                "iam.role.permissions.add",
                "Add permission to role",
                grant.actor().clone(),
            )
            .target(super::audit::Target {
                id: role.to_string(),
                target_type: "ROLE".into(),
                alternate_id: role.to_string(),
                display_name: role.to_string(),
                realm_id: None,
            })
            .debug("permission", permission.permission.as_str());
            super::audit::append(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(inserted.rows_affected() == 1)
    }
}

//! Realms: partitions of the directory. Exactly one default realm exists; the
//! schema enforces it.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::audit::{self, Event};
use super::{clock, Store, StoreError};
use crate::authz::{Grant, Scope};
use crate::ids::RealmId;
use crate::model::{Realm, RealmType};

const COLUMNS: &str =
    "r.id, r.name, r.realm_type, r.is_default, r.domains, r.created, r.last_updated";

impl<'r> FromRow<'r, AnyRow> for Realm {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let realm_type: String = row.try_get("realm_type")?;
        let domains: String = row.try_get("domains")?;
        Ok(Realm {
            id: RealmId::parse(&row.try_get::<String, _>("id")?).map_err(decode)?,
            name: row.try_get("name")?,
            realm_type: RealmType::parse(&realm_type).ok_or_else(|| decode("realm_type"))?,
            is_default: row.try_get::<super::sql::DbBool, _>("is_default")?.0,
            domains: serde_json::from_str(&domains).map_err(decode)?,
            created: row.try_get("created")?,
            last_updated: row.try_get("last_updated")?,
        })
    }
}

pub(crate) fn decode(e: impl ToString) -> sqlx::Error {
    sqlx::Error::Decode(e.to_string().into())
}

/// What a new realm is made of.
#[derive(Debug, Clone)]
pub struct NewRealm {
    pub name: String,
    pub realm_type: RealmType,
    pub domains: Vec<String>,
}

/// Domains: lower-case host names, no characters Okta forbids.
pub fn validate_domains(domains: &[String]) -> Result<Vec<String>, StoreError> {
    const FORBIDDEN: &str = "!$%^&()=*+,:;<>'[]|/?\\ @\"";
    let mut clean = Vec::with_capacity(domains.len());
    for d in domains {
        let d = d.trim().to_lowercase();
        if d.is_empty() {
            continue;
        }
        if d.len() > 253 || d.chars().any(|c| FORBIDDEN.contains(c)) || !d.contains('.') {
            return Err(StoreError::invalid(
                "domains",
                format!("'{d}' is not a valid domain (example: partner.com)"),
            ));
        }
        if !clean.contains(&d) {
            clean.push(d);
        }
    }
    Ok(clean)
}

impl Store {
    /// The default realm, created on first use (idempotent).
    pub async fn ensure_default_realm(&self) -> Result<Realm, StoreError> {
        if let Some(realm) = sqlx::query_as::<_, Realm>(&format!(
            "SELECT {COLUMNS} FROM realms r WHERE r.is_default = TRUE"
        ))
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)?
        {
            return Ok(realm);
        }
        let mut tx = self.begin_write().await?;
        let now = clock::now();
        let id = RealmId::generate();
        let inserted = sqlx::query(
            "INSERT INTO realms (id, name, realm_type, is_default, domains, created, last_updated) \
             VALUES ($1, 'Default', 'DEFAULT', TRUE, '[]', $2, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from_sqlx)?;
        if inserted.rows_affected() == 1 {
            let event = Event::success(
                "directory.realm.lifecycle.create",
                "Create realm",
                audit::Actor::system(),
            )
            .target(audit::Target {
                id: id.to_string(),
                target_type: "Realm".into(),
                alternate_id: "Default".into(),
                display_name: "Default".into(),
                realm_id: Some(id.to_string()),
            });
            audit::append(&mut tx, &event).await?;
        }
        tx.commit().await.map_err(StoreError::from_sqlx)?;
        sqlx::query_as::<_, Realm>(&format!(
            "SELECT {COLUMNS} FROM realms r WHERE r.is_default = TRUE"
        ))
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)
    }

    pub async fn create_realm(&self, grant: &Grant, new: NewRealm) -> Result<Realm, StoreError> {
        let name = new.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(StoreError::invalid(
                "name",
                "Enter a name of 1 to 255 characters.",
            ));
        }
        if new.realm_type == RealmType::Default {
            return Err(StoreError::invalid(
                "realmType",
                "Only one default realm exists; new realms are partner realms.",
            ));
        }
        let domains = validate_domains(&new.domains)?;
        let domains_json =
            serde_json::to_string(&domains).map_err(|e| StoreError::Internal(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        let now = clock::now();
        let id = RealmId::generate();
        sqlx::query(
            "INSERT INTO realms (id, name, realm_type, is_default, domains, created, last_updated) \
             VALUES ($1, $2, $3, FALSE, $4, $5, $5)",
        )
        .bind(id.as_str())
        .bind(&name)
        .bind(new.realm_type.as_str())
        .bind(&domains_json)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::map_constraint(e, &[("realms_name_key", "name", "A realm with this name already exists.")])
        })?;
        let event = Event::by_grant("directory.realm.lifecycle.create", "Create realm", grant)
            .target(audit::Target {
                id: id.to_string(),
                target_type: "Realm".into(),
                alternate_id: name.clone(),
                display_name: name.clone(),
                realm_id: Some(id.to_string()),
            });
        audit::append(&mut tx, &event).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)?;
        Ok(Realm {
            id,
            name,
            realm_type: new.realm_type,
            is_default: false,
            domains,
            created: now.clone(),
            last_updated: now,
        })
    }

    /// The realms in `scope` (permission okta.realms.read or one that needs a realm).
    pub async fn list_realms(&self, scope: &Scope) -> Result<Vec<Realm>, StoreError> {
        let mut sql = super::sql::Sql::new(&format!("SELECT {COLUMNS} FROM realms r WHERE "));
        scope.realms_predicate(&mut sql, "r");
        sql.push(" ORDER BY r.is_default DESC, lower(r.name), r.id");
        sql.fetch_all::<Realm>(&self.pool).await
    }

    pub async fn get_realm(&self, scope: &Scope, id: &RealmId) -> Result<Realm, StoreError> {
        let mut sql =
            super::sql::Sql::new(&format!("SELECT {COLUMNS} FROM realms r WHERE r.id = "));
        sql.bind(id).push(" AND ");
        scope.realms_predicate(&mut sql, "r");
        sql.fetch_one_or_not_found::<Realm>(&self.pool).await
    }
}

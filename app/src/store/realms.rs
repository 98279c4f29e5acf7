//! Realms: partitions of the directory. Exactly one default realm exists; the
//! schema enforces it.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::audit::{self, Event};
use super::demand::Demand;
use super::dialect::Constraint;
use super::{clock, Store, StoreError};
use crate::authz::{Grant, Permission, Scope};
use crate::ids::RealmId;
use crate::model::{Realm, RealmSummary, RealmType, UserStatus};

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

/// The default realm holds whoever no rule places elsewhere: it has no allowed
/// domains (as in Okta) and is always of type `DEFAULT`.
fn check_default_realm(realm_type: RealmType, domains: &[String]) -> Result<(), StoreError> {
    if realm_type != RealmType::Default {
        return Err(StoreError::invalid(
            "realmType",
            "The default realm is always a DEFAULT (workforce) realm.",
        ));
    }
    if !domains.is_empty() {
        return Err(StoreError::invalid(
            "domains",
            "The default realm cannot have allowed domains.",
        ));
    }
    Ok(())
}

/// What an admin may change on a realm.
pub struct RealmChange<'a> {
    pub name: &'a str,
    /// `None`: unchanged.
    pub realm_type: Option<RealmType>,
    pub domains: &'a [String],
}

/// A new realm: `PARTNER` (with a Partner Admin Portal) or `DEFAULT` (a
/// workforce realm, managed from the admin console only).
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

/// Inserts a partner realm with its `directory.realm.lifecycle.create` event
/// inside `tx` (which holds the audit chain lock).
pub(crate) async fn insert_realm(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    grant: &Grant,
    id: RealmId,
    new: NewRealm,
) -> Result<Realm, StoreError> {
    grant.demand_org(Permission::RealmsManage)?;
    let name = new.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(StoreError::invalid(
            "name",
            "Enter a name of 1 to 255 characters.",
        ));
    }
    let domains = validate_domains(&new.domains)?;
    let realms: i64 = sqlx::query_scalar("SELECT count(*) FROM realms")
        .fetch_one(&mut **tx)
        .await?;
    super::limits::at_most(
        realms + 1,
        super::limits::REALMS,
        "An org",
        "realms",
        "delete an empty realm first.",
    )?;
    let domains_json =
        serde_json::to_string(&domains).map_err(|e| StoreError::Internal(e.to_string()))?;
    let now = clock::now();
    sqlx::query(
        "INSERT INTO realms (id, name, realm_type, is_default, domains, created, last_updated) \
         VALUES ($1, $2, $3, FALSE, $4, $5, $5)",
    )
    .bind(id.as_str())
    .bind(&name)
    .bind(new.realm_type.as_str())
    .bind(&domains_json)
    .bind(&now)
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::map_constraint(e, &[Constraint::RealmsName]))?;
    let event = Event::by_grant("directory.realm.lifecycle.create", "Create realm", grant).target(
        audit::Target {
            id: id.to_string(),
            target_type: "Realm".into(),
            alternate_id: name.clone(),
            display_name: name.clone(),
            realm_id: Some(id.to_string()),
        },
    );
    audit::append(tx, &event).await?;
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

/// A realm with its (status, count) rows, in lifecycle order.
fn summary<'a>(realm: Realm, counts: impl Iterator<Item = (&'a str, i64)>) -> RealmSummary {
    let mut by_status: Vec<(UserStatus, i64)> = counts
        .filter_map(|(s, n)| UserStatus::parse(s).map(|s| (s, n)))
        .collect();
    by_status.sort_by_key(|(s, _)| UserStatus::ALL.iter().position(|x| x == s));
    RealmSummary {
        users: by_status.iter().map(|(_, n)| n).sum(),
        realm,
        by_status,
    }
}

impl Store {
    /// The default realm, created on first use (idempotent).
    pub async fn ensure_default_realm(&self) -> Result<Realm, StoreError> {
        if let Some(realm) = sqlx::query_as::<_, Realm>(&format!(
            "SELECT {COLUMNS} FROM realms r WHERE r.is_default = TRUE"
        ))
        .fetch_optional(&self.pool)
        .await?
        {
            return Ok(realm);
        }
        self.write(|mut tx| async move {
            let mut events = Vec::new();
            let now = clock::now();
            let id = RealmId::generate();
            let inserted = sqlx::query(
                "INSERT INTO realms (id, name, realm_type, is_default, domains, created, last_updated) \
                 VALUES ($1, 'Default', 'DEFAULT', TRUE, '[]', $2, $2) ON CONFLICT DO NOTHING",
            )
            .bind(id.as_str())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
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
                events.push(event);
            }
            Ok((tx, (), events))
        })
        .await?;
        sqlx::query_as::<_, Realm>(&format!(
            "SELECT {COLUMNS} FROM realms r WHERE r.is_default = TRUE"
        ))
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)
    }

    /// The default realm (read only; `ensure_default_realm` makes it).
    pub async fn default_realm(&self) -> Result<Realm, StoreError> {
        sqlx::query_as::<_, Realm>(&format!(
            "SELECT {COLUMNS} FROM realms r WHERE r.is_default = TRUE"
        ))
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)
    }

    /// The ids of every `PARTNER`-type realm (those with a Partner Admin
    /// Portal). Not scoped: it says which surface the caller's own rights open.
    pub async fn partner_realm_ids(
        &self,
    ) -> Result<std::collections::BTreeSet<RealmId>, StoreError> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM realms WHERE realm_type = 'PARTNER'")
                .fetch_all(&self.pool)
                .await?;
        Ok(ids
            .iter()
            .filter_map(|id| RealmId::parse(id).ok())
            .collect())
    }

    pub async fn create_realm(&self, grant: &Grant, new: NewRealm) -> Result<Realm, StoreError> {
        let mut tx = self.begin_write().await?;
        let realm = insert_realm(&mut tx, grant, RealmId::generate(), new).await?;
        tx.commit().await?;
        Ok(realm)
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

    /// Every realm in `scope` with its users counted by status.
    pub async fn realm_summaries(&self, scope: &Scope) -> Result<Vec<RealmSummary>, StoreError> {
        let realms = self.list_realms(scope).await?;
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT realm_id, status, count(*) FROM users GROUP BY realm_id, status",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(realms
            .into_iter()
            .map(|realm| {
                let id = realm.id.to_string();
                let counts = rows
                    .iter()
                    .filter(move |(r, _, _)| *r == id)
                    .map(|(_, s, n)| (s.as_str(), *n));
                summary(realm, counts)
            })
            .collect())
    }

    /// One realm in `scope` with its users counted by status (only its own
    /// users are counted, through the `(realm_id, status, …)` index).
    pub async fn realm_summary(
        &self,
        scope: &Scope,
        id: &RealmId,
    ) -> Result<RealmSummary, StoreError> {
        let realm = self.get_realm(scope, id).await?;
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, count(*) FROM users WHERE realm_id = $1 GROUP BY status",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(summary(realm, rows.iter().map(|(s, n)| (s.as_str(), *n))))
    }

    /// Renames a realm, changes its type or its allowed domains (grant:
    /// `okta.realms.manage` on it). `expected` is the `last_updated` the admin saw.
    pub async fn update_realm(
        &self,
        grant: &Grant,
        id: &RealmId,
        change: RealmChange<'_>,
        expected: &str,
    ) -> Result<Realm, StoreError> {
        grant.demand_on_realm(Permission::RealmsManage, id)?;
        let name = change.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(StoreError::invalid(
                "name",
                "Enter a name of 1 to 255 characters.",
            ));
        }
        let domains = validate_domains(change.domains)?;
        let current = self.realm_by_id(id).await?;
        let realm_type = change.realm_type.unwrap_or(current.realm_type);
        if current.is_default {
            check_default_realm(realm_type, &domains)?;
        }
        let domains_json =
            serde_json::to_string(&domains).map_err(|e| StoreError::Internal(e.to_string()))?;
        self.write(|mut tx| async move {
            let now = clock::now();
            let updated = sqlx::query(
                "UPDATE realms SET name = $1, domains = $2, last_updated = $3, realm_type = $6 \
                 WHERE id = $4 AND last_updated = $5",
            )
            .bind(&name)
            .bind(&domains_json)
            .bind(&now)
            .bind(id.as_str())
            .bind(expected)
            .bind(realm_type.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::map_constraint(e, &[Constraint::RealmsName]))?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict(
                    "This realm was changed by someone else; reload and try again.".into(),
                ));
            }
            let event = Event::by_grant("directory.realm.lifecycle.update", "Update realm", grant)
                .target(audit::Target {
                    id: id.to_string(),
                    target_type: "Realm".into(),
                    alternate_id: name.clone(),
                    display_name: name.clone(),
                    realm_id: Some(id.to_string()),
                })
                .debug("domains", domains.clone())
                .debug("realmType", realm_type.as_str());
            Ok((tx, (), vec![event]))
        })
        .await?;
        self.realm_by_id(id).await
    }

    /// What keeps a realm from being deleted: its users, the identity providers
    /// bound to it and the rules that place users in it. Empty: deletable.
    pub async fn realm_blockers(
        &self,
        grant: &Grant,
        id: &RealmId,
    ) -> Result<Vec<String>, StoreError> {
        grant.demand_on_realm(Permission::RealmsRead, id)?;
        self.blockers_of(id).await
    }

    async fn blockers_of(&self, id: &RealmId) -> Result<Vec<String>, StoreError> {
        let count = |sql: &'static str| async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(id.as_str())
                .fetch_one(&self.pool)
                .await
                .map_err(StoreError::from_sqlx)
        };
        let mut blockers = Vec::new();
        let users = count("SELECT count(*) FROM users WHERE realm_id = $1").await?;
        if users > 0 {
            blockers.push(format!(
                "{users} user{} (move them to another realm first)",
                if users == 1 { "" } else { "s" }
            ));
        }
        let idps = count("SELECT count(*) FROM identity_providers WHERE realm_id = $1").await?;
        if idps > 0 {
            blockers.push(format!(
                "{idps} identity provider{} bound to it",
                if idps == 1 { "" } else { "s" }
            ));
        }
        let rules =
            count("SELECT count(*) FROM realm_assignment_rules WHERE target_realm_id = $1").await?;
        if rules > 0 {
            blockers.push(format!(
                "{rules} realm assignment rule{} placing users in it",
                if rules == 1 { "" } else { "s" }
            ));
        }
        Ok(blockers)
    }

    /// Deletes an empty partner realm (grant: `okta.realms.manage` on it);
    /// a Conflict names what still blocks it.
    pub async fn delete_realm(&self, grant: &Grant, id: &RealmId) -> Result<(), StoreError> {
        grant.demand_on_realm(Permission::RealmsManage, id)?;
        let realm = self
            .realm_by_id(id)
            .await
            .map_err(|_| StoreError::NotFound)?;
        if realm.is_default {
            return Err(StoreError::Conflict(
                "The default realm cannot be deleted.".into(),
            ));
        }
        // Checked before the write lock is taken (a read needs its own
        // connection); a user, IdP or rule added meanwhile still fails the
        // delete on its foreign key.
        let blockers = self.blockers_of(id).await?;
        self.write(|mut tx| async move {
            if !blockers.is_empty() {
                return Err(StoreError::Conflict(format!(
                    "{} cannot be deleted while it has {}.",
                    realm.name,
                    blockers.join(", ")
                )));
            }
            sqlx::query("DELETE FROM realms WHERE id = $1 AND is_default = FALSE")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::map_constraint(e, &[]))?;
            let event = Event::by_grant("directory.realm.lifecycle.delete", "Delete realm", grant)
                .target(audit::Target {
                    id: id.to_string(),
                    target_type: "Realm".into(),
                    alternate_id: realm.name.clone(),
                    display_name: realm.name.clone(),
                    realm_id: Some(id.to_string()),
                });
            Ok((tx, (), vec![event]))
        })
        .await
    }

    /// Who administers which realm through a binding: (realm id, "login") for
    /// user members and (realm id, "group <name>") for group members of every
    /// binding whose resource set names the realm or its users. Org-wide
    /// standard roles administer every realm and are not listed.
    pub async fn realm_admins(
        &self,
        users: &crate::authz::Scope,
        groups: &crate::authz::Scope,
    ) -> Result<Vec<(RealmId, String)>, StoreError> {
        // Only admins the caller may read: users in its users scope, groups
        // in its groups scope.
        let mut sql = super::sql::Sql::new(
            "SELECT rsr.orn, u.login FROM resource_set_resources rsr \
             JOIN binding_members bm ON bm.resource_set_id = rsr.resource_set_id AND bm.member_type = 'USER' \
             JOIN users u ON u.id = bm.member_id WHERE rsr.orn LIKE '%:realms:%' AND ",
        );
        users.users_predicate(&mut sql, "u");
        sql.push(
            " UNION \
             SELECT rsr.orn, 'group ' || g.name FROM resource_set_resources rsr \
             JOIN binding_members bm ON bm.resource_set_id = rsr.resource_set_id AND bm.member_type = 'GROUP' \
             JOIN groups g ON g.id = bm.member_id WHERE rsr.orn LIKE '%:realms:%' AND ",
        );
        groups.groups_predicate(&mut sql, "g");
        let rows: Vec<(String, String)> = sql.fetch_all(&self.pool).await?;
        let mut admins: Vec<(RealmId, String)> = rows
            .into_iter()
            .filter_map(|(orn, who)| {
                let (_, rest) = orn.split_once(":realms:")?;
                let id = rest.split(':').next()?;
                RealmId::parse(id).ok().map(|id| (id, who))
            })
            .collect();
        admins.sort();
        admins.dedup();
        Ok(admins)
    }
}

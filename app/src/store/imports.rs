//! CSV imports of users into a realm. The preview stores the file's lines with
//! their verdicts (nothing is written to the directory); starting it turns the
//! valid lines into pending ones; each pending line then becomes a user through
//! the same record checks and the same `user.lifecycle.create` event as the
//! create form, in the transaction that marks the line done (so a line is
//! applied once, even across a restart). Every write takes a grant for
//! `okta.users.create` in the import's realm; reads take that permission's
//! scope and the importer's id (an import is its uploader's).

use std::collections::HashSet;

use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::audit::{self, Event};
use super::demand::Demand;
use super::realms::decode;
use super::sql::{DbBool, Sql};
use super::users::{insert_new_user, AttributeDef, NewUser};
use super::{clock, Store, StoreError};
use crate::authz::{Grant, Permission, Scope};
use crate::error::FieldError;
use crate::ids::{ImportId, RealmId, UserId};
use crate::model::imports::{Import, ImportRow, ImportStatus, RowResult};
use crate::model::{Realm, User};

const COLUMNS: &str = "i.id, i.realm_id, i.file_name, i.activate, i.ignored, i.status, i.created, \
    i.started, i.completed, i.num_rows, i.num_valid, i.num_created, i.num_skipped, i.num_failed, \
    i.message";

impl<'r> FromRow<'r, AnyRow> for Import {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let status: String = row.try_get("status")?;
        let ignored: String = row.try_get("ignored")?;
        Ok(Import {
            id: ImportId::parse(&row.try_get::<String, _>("id")?).map_err(decode)?,
            realm_id: RealmId::parse(&row.try_get::<String, _>("realm_id")?).map_err(decode)?,
            file_name: row.try_get("file_name")?,
            activate: row.try_get::<DbBool, _>("activate")?.0,
            ignored: ignored
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            status: ImportStatus::parse(&status).ok_or_else(|| decode("status"))?,
            created: row.try_get("created")?,
            started: row.try_get("started")?,
            completed: row.try_get("completed")?,
            num_rows: row.try_get("num_rows")?,
            num_valid: row.try_get("num_valid")?,
            num_created: row.try_get("num_created")?,
            num_skipped: row.try_get("num_skipped")?,
            num_failed: row.try_get("num_failed")?,
            message: row.try_get("message")?,
        })
    }
}

impl<'r> FromRow<'r, AnyRow> for ImportRow {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let result: String = row.try_get("result")?;
        Ok(ImportRow {
            line: row.try_get("line")?,
            login: row.try_get("login")?,
            result: RowResult::parse(&result).ok_or_else(|| decode("result"))?,
            message: row.try_get("message")?,
            user_id: row.try_get("user_id")?,
        })
    }
}

/// A previewed file: its lines, each valid (`message` is `None`) or not.
#[derive(Debug, Clone)]
pub struct NewImport {
    pub file_name: String,
    pub activate: bool,
    pub ignored: Vec<String>,
    pub rows: Vec<NewImportRow>,
}

#[derive(Debug, Clone)]
pub struct NewImportRow {
    pub line: i64,
    pub login: String,
    /// Attribute name → the text of its cell.
    pub profile: Map<String, Value>,
    /// Why the line is invalid; `None`: valid.
    pub message: Option<String>,
}

/// A pending line of a running import.
#[derive(Debug, Clone)]
pub struct PendingRow {
    pub line: i64,
    pub profile: Map<String, Value>,
}

fn demand_create(grant: &Grant) -> Result<&RealmId, StoreError> {
    grant.demand_new_user_in(Permission::UsersCreate)
}

fn import_target(import: &Import) -> audit::Target {
    audit::Target {
        id: import.id.to_string(),
        target_type: "UserImport".into(),
        alternate_id: import.file_name.clone(),
        display_name: format!("CSV import {}", import.file_name),
        realm_id: Some(import.realm_id.to_string()),
    }
}

async fn import_in(tx: &mut super::WriteTx, id: &ImportId) -> Result<Import, StoreError> {
    sqlx::query_as::<_, Import>(&format!(
        "SELECT {COLUMNS} FROM user_imports i WHERE i.id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)
}

impl Store {
    /// Of `logins`, those some user already has (any realm, ignoring case;
    /// answered lower-cased): what creating them would refuse, so the right to
    /// create users is what it takes to ask.
    pub async fn logins_taken(
        &self,
        grant: &Grant,
        logins: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        demand_create(grant)?;
        let mut taken = HashSet::new();
        let lower: Vec<String> = logins.iter().map(|l| l.trim().to_lowercase()).collect();
        for chunk in lower.chunks(500) {
            let mut sql = Sql::new("SELECT login_lower FROM users WHERE login_lower IN ");
            sql.bind_list(chunk.iter());
            let rows: Vec<(String,)> = sql.fetch_all(&self.pool).await?;
            taken.extend(rows.into_iter().map(|(l,)| l));
        }
        Ok(taken)
    }

    /// The record checks `create_user` makes (profile, realm domains, custom
    /// attributes against the schema), for each of `users` in the grant's
    /// realm: each one's field errors (empty: it would pass).
    pub async fn check_new_users(
        &self,
        grant: &Grant,
        users: &[NewUser],
    ) -> Result<Vec<Vec<FieldError>>, StoreError> {
        let realm = self.realm_by_id(demand_create(grant)?).await?;
        let schema = self.profile_schema().await?;
        Ok(users
            .iter()
            .map(|new| record_errors(new, &realm, &schema))
            .collect())
    }

    /// Stores a previewed file for the grant's realm, as `owner`'s (the
    /// grant's principal).
    pub async fn create_import(
        &self,
        grant: &Grant,
        owner: &UserId,
        new: NewImport,
    ) -> Result<Import, StoreError> {
        let realm = demand_create(grant)?.clone();
        let id = ImportId::generate();
        let actor = owner.to_string();
        let id_for_tx = id.clone();
        self.write(|mut tx| async move {
            let valid = new.rows.iter().filter(|r| r.message.is_none()).count() as i64;
            sqlx::query(
                "INSERT INTO user_imports (id, realm_id, actor_id, file_name, activate, ignored, \
                 status, created, num_rows, num_valid) VALUES ($1, $2, $3, $4, $5, $6, 'PREVIEW', $7, $8, $9)",
            )
            .bind(id_for_tx.as_str())
            .bind(realm.as_str())
            .bind(&actor)
            .bind(&new.file_name)
            .bind(new.activate)
            .bind(new.ignored.join("\n"))
            .bind(clock::now())
            .bind(new.rows.len() as i64)
            .bind(valid)
            .execute(&mut *tx)
            .await?;
            // Four values a row, in statements of at most 200 rows.
            for chunk in new.rows.chunks(200) {
                let mut sql = Sql::new(
                    "INSERT INTO user_import_rows (import_id, line, login, profile, result, message) VALUES ",
                );
                for (i, row) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    let profile = serde_json::to_string(&row.profile)
                        .map_err(|e| StoreError::Internal(e.to_string()))?;
                    let result = if row.message.is_none() {
                        RowResult::Valid
                    } else {
                        RowResult::Invalid
                    };
                    sql.push("(")
                        .bind(&id_for_tx)
                        .push(", ")
                        .bind(row.line)
                        .push(", ")
                        .bind(row.login.as_str())
                        .push(", ")
                        .bind(profile)
                        .push(", ")
                        .bind(result.as_str())
                        .push(", ")
                        .bind(row.message.clone())
                        .push(")");
                }
                sql.execute(&mut *tx).await?;
            }
            Ok((tx, (), Vec::new()))
        })
        .await?;
        self.import_by_id(&id).await
    }

    async fn import_by_id(&self, id: &ImportId) -> Result<Import, StoreError> {
        sqlx::query_as::<_, Import>(&format!(
            "SELECT {COLUMNS} FROM user_imports i WHERE i.id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// The import `id` of `owner` in a realm `scope` (`okta.users.create`)
    /// covers; anything else is `NotFound`.
    pub async fn get_import(
        &self,
        scope: &Scope,
        owner: &UserId,
        id: &ImportId,
    ) -> Result<Import, StoreError> {
        if scope.permission() != Permission::UsersCreate {
            return Err(StoreError::Internal(
                "imports are read under the okta.users.create scope".into(),
            ));
        }
        let users = scope.users();
        if users.is_empty() {
            return Err(StoreError::NotFound);
        }
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM user_imports i WHERE i.id = "
        ));
        sql.bind(id).push(" AND i.actor_id = ").bind(owner);
        if !users.is_all() {
            let realms: Vec<&RealmId> = users.realms().collect();
            if realms.is_empty() {
                return Err(StoreError::NotFound);
            }
            sql.push(" AND i.realm_id IN ").bind_list(realms);
        }
        sql.fetch_one_or_not_found::<Import>(&self.pool).await
    }

    /// Lines of `import` (loaded by [`Store::get_import`]) after line `after`,
    /// of one result if given, in line order.
    pub async fn import_rows(
        &self,
        import: &Import,
        result: Option<RowResult>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ImportRow>, StoreError> {
        let mut sql = Sql::new(
            "SELECT line, login, result, message, user_id FROM user_import_rows WHERE import_id = ",
        );
        sql.bind(&import.id).push(" AND line > ").bind(after);
        if let Some(result) = result {
            sql.push(" AND result = ").bind(result.as_str());
        }
        sql.push(" ORDER BY line LIMIT ").bind(limit);
        sql.fetch_all::<ImportRow>(&self.pool).await
    }

    /// Starts `owner`'s previewed import in the grant's realm (exactly once):
    /// valid lines become pending, invalid ones skipped, with
    /// `system.import.start` in the same transaction.
    pub async fn start_import(
        &self,
        grant: &Grant,
        owner: &UserId,
        id: &ImportId,
    ) -> Result<Import, StoreError> {
        let realm_id = demand_create(grant)?.clone();
        let realm = self.realm_by_id(&realm_id).await?;
        let actor = owner.to_string();
        self.write(|mut tx| async move {
            let now = clock::now();
            let started = sqlx::query(
                "UPDATE user_imports SET status = 'IN_PROGRESS', started = $1, \
                 num_skipped = num_rows - num_valid, locked_by = $5, locked_until = $6 \
                 WHERE id = $2 AND realm_id = $3 AND actor_id = $4 AND status = 'PREVIEW'",
            )
            .bind(&now)
            .bind(id.as_str())
            .bind(realm_id.as_str())
            .bind(&actor)
            .bind(self.lease().holder())
            .bind(self.lease().until())
            .execute(&mut *tx)
            .await?;
            if started.rows_affected() != 1 {
                let import = import_in(&mut tx, id).await?;
                if import.status == ImportStatus::Preview {
                    // Another realm's or another admin's.
                    return Err(StoreError::NotFound);
                }
                return Err(StoreError::Conflict(format!(
                    "This import is {} already.",
                    import.status.as_str().to_lowercase().replace('_', " ")
                )));
            }
            for (from, to) in [
                (RowResult::Valid, RowResult::Pending),
                (RowResult::Invalid, RowResult::Skipped),
            ] {
                sqlx::query(
                    "UPDATE user_import_rows SET result = $1 WHERE import_id = $2 AND result = $3",
                )
                .bind(to.as_str())
                .bind(id.as_str())
                .bind(from.as_str())
                .execute(&mut *tx)
                .await?;
            }
            let import = import_in(&mut tx, id).await?;
            let mut event = Event::by_grant("system.import.start", "Import started", grant)
                .target(import_target(&import))
                .debug("importId", id.as_str())
                .debug("numRows", import.num_rows)
                .debug("numValid", import.num_valid);
            event.targets.push(super::users::realm_target(&realm));
            Ok((tx, import, vec![event]))
        })
        .await
    }

    /// Up to `limit` pending lines of a running import in the grant's realm.
    pub async fn pending_import_rows(
        &self,
        grant: &Grant,
        id: &ImportId,
        limit: i64,
    ) -> Result<Vec<PendingRow>, StoreError> {
        let realm = demand_create(grant)?;
        let rows = sqlx::query(
            "SELECT r.line, r.profile FROM user_import_rows r JOIN user_imports i ON i.id = r.import_id \
             WHERE r.import_id = $1 AND i.realm_id = $2 AND i.status = 'IN_PROGRESS' \
             AND r.result = 'PENDING' ORDER BY r.line LIMIT $3",
        )
        .bind(id.as_str())
        .bind(realm.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let profile: String = row.try_get("profile")?;
                Ok(PendingRow {
                    line: row.try_get("line")?,
                    profile: serde_json::from_str(&profile)
                        .map_err(|e| StoreError::Internal(format!("stored import line: {e}")))?,
                })
            })
            .collect()
    }

    /// Creates the user of pending line `line` of import `id` (the grant's
    /// realm) — the same record checks and events as `create_user` — and marks
    /// the line created, in one transaction: a line is applied once.
    pub async fn create_imported_user(
        &self,
        grant: &Grant,
        new: NewUser,
        id: &ImportId,
        line: i64,
    ) -> Result<User, StoreError> {
        let (user, realm) = self.new_user(grant, &new).await?;
        let mut tx = self.begin_write().await?;
        let marked = sqlx::query(
            "UPDATE user_import_rows SET result = 'CREATED', user_id = $1, message = NULL \
             WHERE import_id = $2 AND line = $3 AND result = 'PENDING' \
             AND EXISTS (SELECT 1 FROM user_imports i WHERE i.id = $2 AND i.realm_id = $4 \
             AND i.status = 'IN_PROGRESS')",
        )
        .bind(user.id.as_str())
        .bind(id.as_str())
        .bind(line)
        .bind(realm.id.as_str())
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() != 1 {
            return Err(StoreError::Conflict(
                "This line is not pending any more.".into(),
            ));
        }
        insert_new_user(&mut tx, grant, &user, &realm).await?;
        sqlx::query("UPDATE user_imports SET num_created = num_created + 1 WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Marks pending line `line` of import `id` (the grant's realm) failed.
    pub async fn fail_import_row(
        &self,
        grant: &Grant,
        id: &ImportId,
        line: i64,
        message: &str,
    ) -> Result<(), StoreError> {
        let realm = demand_create(grant)?.clone();
        let message = message.to_string();
        self.write(|mut tx| async move {
            let failed = sqlx::query(
                "UPDATE user_import_rows SET result = 'FAILED', message = $1 \
                 WHERE import_id = $2 AND line = $3 AND result = 'PENDING' \
                 AND EXISTS (SELECT 1 FROM user_imports i WHERE i.id = $2 AND i.realm_id = $4)",
            )
            .bind(&message)
            .bind(id.as_str())
            .bind(line)
            .bind(realm.as_str())
            .execute(&mut *tx)
            .await?;
            if failed.rows_affected() == 1 {
                sqlx::query("UPDATE user_imports SET num_failed = num_failed + 1 WHERE id = $1")
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            Ok((tx, (), Vec::new()))
        })
        .await
    }

    /// Ends a running import in the grant's realm: COMPLETED when no line is
    /// pending; with `stopped` (why it cannot go on), FAILED and its pending
    /// lines failed with that reason. `system.import.complete` says which.
    pub async fn finish_import(
        &self,
        grant: &Grant,
        id: &ImportId,
        stopped: Option<&str>,
    ) -> Result<Import, StoreError> {
        let realm = demand_create(grant)?.clone();
        let stopped = stopped.map(str::to_string);
        self.write(|mut tx| async move {
            if let Some(why) = &stopped {
                let failed = sqlx::query(
                    "UPDATE user_import_rows SET result = 'FAILED', message = $1 \
                     WHERE import_id = $2 AND result = 'PENDING' \
                     AND EXISTS (SELECT 1 FROM user_imports i WHERE i.id = $2 AND i.realm_id = $3 \
                     AND i.status = 'IN_PROGRESS')",
                )
                .bind(format!("not attempted: {why}"))
                .bind(id.as_str())
                .bind(realm.as_str())
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE user_imports SET num_failed = num_failed + $1 WHERE id = $2")
                    .bind(failed.rows_affected() as i64)
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            let finished = sqlx::query(
                "UPDATE user_imports SET status = $1, completed = $2, message = $3 \
                 WHERE id = $4 AND realm_id = $5 AND status = 'IN_PROGRESS' \
                 AND NOT EXISTS (SELECT 1 FROM user_import_rows r WHERE r.import_id = $4 \
                 AND r.result = 'PENDING')",
            )
            .bind(if stopped.is_some() {
                ImportStatus::Failed.as_str()
            } else {
                ImportStatus::Completed.as_str()
            })
            .bind(clock::now())
            .bind(stopped.clone())
            .bind(id.as_str())
            .bind(realm.as_str())
            .execute(&mut *tx)
            .await?;
            let import = import_in(&mut tx, id).await?;
            let mut events = Vec::new();
            if finished.rows_affected() == 1 {
                let mut event = Event::by_grant(
                    "system.import.complete",
                    if stopped.is_some() {
                        "Import failed"
                    } else {
                        "Import completed"
                    },
                    grant,
                )
                .target(import_target(&import))
                .debug("importId", id.as_str())
                .debug("numCreated", import.num_created)
                .debug("numSkipped", import.num_skipped)
                .debug("numFailed", import.num_failed);
                if let Some(why) = &stopped {
                    event = event.debug("failed", why.as_str());
                }
                events.push(event);
            }
            Ok((tx, import, events))
        })
        .await
    }

    /// Takes over one running import whose holder stopped renewing its lease
    /// (another instance killed, or this one before a restart) for this
    /// instance, with what running it needs.
    pub async fn system_claim_abandoned_import(
        &self,
    ) -> Result<Option<UnfinishedImport>, StoreError> {
        let Some(id) = self
            .claim_abandoned(super::leases::Job::Import, self.lease())
            .await?
        else {
            return Ok(None);
        };
        let row =
            sqlx::query("SELECT id, actor_id, realm_id, activate FROM user_imports WHERE id = $1")
                .bind(&id)
                .fetch_one(&self.pool)
                .await?;
        let bad = |e: crate::ids::IdError| StoreError::Internal(e.to_string());
        Ok(Some(UnfinishedImport {
            id: ImportId::parse(&row.try_get::<String, _>("id")?).map_err(bad)?,
            owner: UserId::parse(&row.try_get::<String, _>("actor_id")?).map_err(bad)?,
            realm_id: RealmId::parse(&row.try_get::<String, _>("realm_id")?).map_err(bad)?,
            activate: row.try_get::<DbBool, _>("activate")?.0,
        }))
    }
}

/// A running import, as a restart resumes it.
#[derive(Debug, Clone)]
pub struct UnfinishedImport {
    pub id: ImportId,
    /// Who started it (it goes on with this admin's current rights).
    pub owner: UserId,
    pub realm_id: RealmId,
    pub activate: bool,
}

/// The checks of `users::new_user_record`, as field errors.
fn record_errors(new: &NewUser, realm: &Realm, schema: &[AttributeDef]) -> Vec<FieldError> {
    match super::users::new_user_record(new, realm, schema) {
        Ok(_) => Vec::new(),
        Err(StoreError::Invalid(errors)) => errors,
        Err(e) => vec![FieldError::new("", e.to_string())],
    }
}

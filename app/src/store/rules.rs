//! Realm-assignment rules (Okta's `RealmAssignment`) and the operations that
//! apply them in bulk: a **plan** (dry-run) lists exactly which users would move
//! from which realm to which, and **execution** applies that stored plan — never
//! a re-evaluation — in short batches, each one write transaction with its
//! `user.realm.update` events. A user changed since the plan (its version moved)
//! is reported as skipped, not silently moved.

use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::audit::{self, Event};
use super::demand::Demand;
use super::leases::Job;
use super::realms::decode;
use super::{clock, Store, StoreError};
use crate::authz::{Grant, Permission, Scope};
use crate::expr::{self, Expr, UserView, ValueRef};
use crate::ids::{OperationId, RealmId, RuleId, UserId};
use crate::model::{
    BaseProfile, ItemResult, LifecycleStatus, Operation, OperationItem, OperationKind,
    OperationStatus, Realm, RealmRule,
};

/// Priority of the catch-all rule; other rules take 0‥=498 (Okta's limit is 500
/// rules per org).
pub const CATCH_ALL_PRIORITY: i64 = 499;
/// Users read per query while planning.
const PLAN_CHUNK: i64 = 5_000;
/// Plan items written per statement.
const INSERT_CHUNK: usize = 400;
/// Items applied per write transaction while executing.
pub const APPLY_BATCH: i64 = 500;

/// A rule's profile source is an IdP or an app (for imports), in one of two
/// columns (each with its foreign key); neither is `OKTA` — the portal's own
/// users.
const RULE_COLUMNS: &str = "id, name, priority, status, is_default, \
     COALESCE(profile_source_id, profile_source_app_id) AS profile_source_id, expression, \
     target_realm_id, created, last_updated";

/// The columns a rule reads of a user (`Candidate`).
const CANDIDATE_COLUMNS: &str = "id, realm_id, version, login, email, second_email, first_name, \
     last_name, middle_name, primary_phone, mobile_phone, custom_profile, \
     COALESCE(profile_source_id, profile_source_app_id) AS profile_source_id";

const OPERATION_COLUMNS: &str = "o.id, o.kind, o.rule_id, o.configuration, o.status, o.created, \
     o.started, o.completed, o.num_planned, o.num_refused, o.num_moved, o.num_skipped, o.num_failed";

impl<'r> FromRow<'r, AnyRow> for RealmRule {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let status: String = row.try_get("status")?;
        Ok(RealmRule {
            id: RuleId::parse(&row.try_get::<String, _>("id")?).map_err(decode)?,
            name: row.try_get("name")?,
            priority: row.try_get("priority")?,
            status: LifecycleStatus::parse(&status).ok_or_else(|| decode("status"))?,
            is_default: row.try_get::<super::sql::DbBool, _>("is_default")?.0,
            profile_source_id: row.try_get("profile_source_id")?,
            expression: row.try_get("expression")?,
            target_realm_id: RealmId::parse(&row.try_get::<String, _>("target_realm_id")?)
                .map_err(decode)?,
            created: row.try_get("created")?,
            last_updated: row.try_get("last_updated")?,
        })
    }
}

impl<'r> FromRow<'r, AnyRow> for Operation {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let kind: String = row.try_get("kind")?;
        let status: String = row.try_get("status")?;
        let rule_id: Option<String> = row.try_get("rule_id")?;
        let configuration: Option<String> = row.try_get("configuration")?;
        let label = configuration
            .as_deref()
            .and_then(|c| serde_json::from_str::<Value>(c).ok())
            .and_then(|c| c.get("label").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        Ok(Operation {
            id: OperationId::parse(&row.try_get::<String, _>("id")?).map_err(decode)?,
            kind: OperationKind::parse(&kind).ok_or_else(|| decode("kind"))?,
            rule_id: rule_id
                .map(|r| RuleId::parse(&r))
                .transpose()
                .map_err(decode)?,
            label,
            status: OperationStatus::parse(&status).ok_or_else(|| decode("status"))?,
            created: row.try_get("created")?,
            started: row.try_get("started")?,
            completed: row.try_get("completed")?,
            num_planned: row.try_get("num_planned")?,
            num_refused: row.try_get("num_refused")?,
            num_moved: row.try_get("num_moved")?,
            num_skipped: row.try_get("num_skipped")?,
            num_failed: row.try_get("num_failed")?,
        })
    }
}

impl<'r> FromRow<'r, AnyRow> for OperationItem {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let realm = |c: &str| -> Result<RealmId, sqlx::Error> {
            RealmId::parse(&row.try_get::<String, _>(c)?).map_err(decode)
        };
        let result: String = row.try_get("result")?;
        Ok(OperationItem {
            user_id: UserId::parse(&row.try_get::<String, _>("user_id")?).map_err(decode)?,
            login: row.try_get("login")?,
            name: format!(
                "{} {}",
                row.try_get::<String, _>("first_name")?,
                row.try_get::<String, _>("last_name")?
            ),
            from_realm_id: realm("from_realm_id")?,
            from_realm: row.try_get("from_realm")?,
            to_realm_id: realm("to_realm_id")?,
            to_realm: row.try_get("to_realm")?,
            result: ItemResult::parse(&result).ok_or_else(|| decode("result"))?,
            message: row.try_get("message")?,
        })
    }
}

/// What an admin submits for a rule.
#[derive(Debug, Clone)]
pub struct RuleInput {
    pub name: String,
    pub profile_source_id: Option<String>,
    pub expression: Option<String>,
    pub target_realm_id: RealmId,
}

/// What a compiled rule's condition is.
#[derive(Debug, Clone)]
enum Condition {
    /// No expression: every user (of the profile source).
    Always,
    Expr(Box<Expr>),
    /// A stored expression that no longer compiles matches nobody.
    Never,
}

/// A compiled rule, ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub rule: RealmRule,
    condition: Condition,
}

impl CompiledRule {
    /// Compiles the stored expression; one that no longer compiles matches
    /// nobody, and the log says so.
    pub fn new(rule: RealmRule) -> Self {
        let condition = match rule.expression.as_deref().map(str::trim) {
            None | Some("") => Condition::Always,
            Some(src) => match expr::compile(src) {
                Ok(e) => Condition::Expr(Box::new(e)),
                Err(err) => {
                    tracing::warn!(rule = %rule.id, error = %err, "a stored realm assignment rule does not compile; it matches nobody");
                    Condition::Never
                }
            },
        };
        Self { rule, condition }
    }

    /// Does this rule select `user`? Its profile source must be the user's:
    /// a rule without one selects only users without one (the org IdP's and
    /// the portal's own), never a partner IdP's; and its expression (if any)
    /// must be true.
    pub fn selects(&self, user: &Candidate) -> bool {
        if user.profile_source_id.as_deref() != self.rule.profile_source_id.as_deref() {
            return false;
        }
        match &self.condition {
            Condition::Always => true,
            Condition::Expr(e) => e.evaluate(user),
            Condition::Never => false,
        }
    }
}

/// Rules asked together "does any of you select this user?": the ones with
/// an expression and no profile source go through a [`expr::RuleIndex`]
/// (domain rules are looked up, not scanned), the others one by one.
pub struct RuleSet<'a> {
    index: expr::RuleIndex<'a>,
    rest: Vec<&'a CompiledRule>,
}

impl<'a> RuleSet<'a> {
    pub fn new(rules: &'a [CompiledRule]) -> Self {
        let mut indexed = Vec::new();
        let mut rest = Vec::new();
        for r in rules {
            match (&r.condition, &r.rule.profile_source_id) {
                (Condition::Expr(e), None) => indexed.push(&**e),
                _ => rest.push(r),
            }
        }
        Self {
            index: expr::RuleIndex::new(indexed),
            rest,
        }
    }

    /// Whether any rule selects `user` (`buf`: scratch space).
    pub fn any_selects(&self, user: &Candidate, buf: &mut Vec<usize>) -> bool {
        self.rest.iter().any(|r| r.selects(user))
            || (user.profile_source_id.is_none() && self.index.first_match(user, buf).is_some())
    }
}

/// A profile source id as (IdP, app): app ids carry the app prefix.
fn split_source(source: Option<&str>) -> (Option<&str>, Option<&str>) {
    match source {
        Some(s) if s.starts_with(crate::ids::AppId::PREFIX) => (None, Some(s)),
        other => (other, None),
    }
}

/// Okta's 30 realm assignments per profile source (`OKTA` when `source` is
/// `None`), the catch-all and `except` (a rule being changed) not counted.
async fn within_source_limit(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    source: Option<&str>,
    except: Option<&RuleId>,
) -> Result<(), StoreError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM realm_assignment_rules WHERE is_default = FALSE AND id <> $1 \
         AND COALESCE(profile_source_id, profile_source_app_id, 'OKTA') = $2",
    )
    .bind(except.map_or("", RuleId::as_str))
    .bind(source.unwrap_or("OKTA"))
    .fetch_one(&mut **tx)
    .await?;
    super::limits::at_most(
        count + 1,
        super::limits::ASSIGNMENTS_PER_SOURCE,
        "A profile source",
        "realm assignments",
        "delete one of its rules first.",
    )
}

/// `priority` when it lies before the catch-all and no other rule holds it
/// (priorities are unique, as in Okta).
async fn free_priority(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    priority: i64,
    except: Option<&RuleId>,
) -> Result<i64, StoreError> {
    if !(0..CATCH_ALL_PRIORITY).contains(&priority) {
        return Err(StoreError::invalid(
            "priority",
            format!(
                "Enter a priority from 0 to {} (the catch-all is {CATCH_ALL_PRIORITY}).",
                CATCH_ALL_PRIORITY - 1
            ),
        ));
    }
    let holder: Option<String> = sqlx::query_scalar(
        "SELECT name FROM realm_assignment_rules WHERE priority = $1 AND id <> $2",
    )
    .bind(priority)
    .bind(except.map_or("", RuleId::as_str))
    .fetch_optional(&mut **tx)
    .await?;
    match holder {
        Some(name) => Err(StoreError::invalid(
            "priority",
            format!("Priority {priority} is taken by the realm assignment \"{name}\"; priorities are unique."),
        )),
        None => Ok(priority),
    }
}

/// The priority after the last rule (before the catch-all). When the last
/// rule sits just before the catch-all, the others are renumbered from 0 in
/// their order first, so deleting any rule frees room.
async fn next_priority(tx: &mut sqlx::Transaction<'static, sqlx::Any>) -> Result<i64, StoreError> {
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(priority) FROM realm_assignment_rules WHERE is_default = FALSE",
    )
    .fetch_one(&mut **tx)
    .await?;
    let next = last.map_or(0, |p| p + 1);
    if next < CATCH_ALL_PRIORITY {
        return Ok(next);
    }
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM realm_assignment_rules WHERE is_default = FALSE ORDER BY priority",
    )
    .fetch_all(&mut **tx)
    .await?;
    // Out of the way first (the priority index is unique), then in order.
    sqlx::query(
        "UPDATE realm_assignment_rules SET priority = priority + 1000 WHERE is_default = FALSE",
    )
    .execute(&mut **tx)
    .await?;
    for (position, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE realm_assignment_rules SET priority = $1 WHERE id = $2")
            .bind(position as i64)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(ids.len() as i64)
}

/// Checks a rule's expression; the error names the character position.
pub fn validate_expression(src: &str) -> Result<Option<Expr>, StoreError> {
    let src = src.trim();
    if src.is_empty() {
        return Ok(None);
    }
    expr::compile(src).map(Some).map_err(|e| {
        StoreError::invalid(
            "expression",
            format!(
                "{} at character {}{}",
                e.message,
                e.char_position(src) + 1,
                e.hint.map(|h| format!(" ({h})")).unwrap_or_default()
            ),
        )
    })
}

/// A user as the rules see it: base profile, custom attributes, realm, source.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: UserId,
    pub realm_id: RealmId,
    pub version: i64,
    pub profile: BaseProfile,
    pub custom: Map<String, Value>,
    pub profile_source_id: Option<String>,
}

impl UserView for Candidate {
    fn profile(&self, attr: &str) -> Option<ValueRef<'_>> {
        if let Some(v) = self.profile.attribute(attr) {
            return Some(ValueRef::Str(v));
        }
        Some(match self.custom.get(attr)? {
            Value::String(s) => ValueRef::Str(s),
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Number(n) => ValueRef::Number(n.as_f64()?),
            _ => ValueRef::Null,
        })
    }

    fn realm_id(&self) -> Option<&str> {
        Some(self.realm_id.as_str())
    }
}

impl<'r> FromRow<'r, AnyRow> for Candidate {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let custom: String = row.try_get("custom_profile")?;
        Ok(Candidate {
            id: UserId::parse(&row.try_get::<String, _>("id")?).map_err(decode)?,
            realm_id: RealmId::parse(&row.try_get::<String, _>("realm_id")?).map_err(decode)?,
            version: row.try_get("version")?,
            profile: BaseProfile {
                login: row.try_get("login")?,
                email: row.try_get("email")?,
                second_email: row.try_get("second_email")?,
                first_name: row.try_get("first_name")?,
                last_name: row.try_get("last_name")?,
                middle_name: row.try_get("middle_name")?,
                primary_phone: row.try_get("primary_phone")?,
                mobile_phone: row.try_get("mobile_phone")?,
            },
            custom: serde_json::from_str(&custom).map_err(decode)?,
            profile_source_id: row.try_get("profile_source_id")?,
        })
    }
}

/// Why `realm` refuses a user with this login and email, if it does: a realm
/// with allowed domains takes only addresses in them.
pub fn refusal(login: &str, email: &str, realm: &Realm) -> Option<String> {
    if realm.domains.is_empty() {
        return None;
    }
    let outside = |address: &str| !super::users::domain_allowed(address, &realm.domains);
    if outside(email) {
        return Some(format!(
            "email {email} is outside {}'s domains ({})",
            realm.name,
            realm.domains.join(", ")
        ));
    }
    if login.contains('@') && outside(login) {
        return Some(format!(
            "username {login} is outside {}'s domains ({})",
            realm.name,
            realm.domains.join(", ")
        ));
    }
    None
}

/// What one planned user is.
#[derive(Debug, Clone)]
struct PlannedItem {
    user_id: UserId,
    from: RealmId,
    to: RealmId,
    version: i64,
    refused: Option<String>,
}

/// Where a running operation stands after one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    /// More items wait.
    More,
    /// Completed or canceled: nothing left to do.
    Done,
}

fn rule_target(id: &RuleId, name: &str, realm: &RealmId) -> audit::Target {
    audit::Target {
        id: id.to_string(),
        target_type: "RealmAssignment".into(),
        alternate_id: name.to_string(),
        display_name: name.to_string(),
        realm_id: Some(realm.to_string()),
    }
}

fn realm_target(realm: &Realm) -> audit::Target {
    audit::Target {
        id: realm.id.to_string(),
        target_type: "Realm".into(),
        alternate_id: realm.name.clone(),
        display_name: realm.name.clone(),
        realm_id: Some(realm.id.to_string()),
    }
}

fn check_name(name: &str) -> Result<String, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(StoreError::invalid(
            "name",
            "Enter a name of 1 to 255 characters.",
        ));
    }
    Ok(name.to_string())
}

impl Store {
    /// The rules whose target realm is in `scope` (`okta.realms.read`), in
    /// priority order (the catch-all last).
    pub async fn list_rules(&self, scope: &Scope) -> Result<Vec<RealmRule>, StoreError> {
        self.rules_where(scope, None).await
    }

    /// The rules in `scope` that place users in `realm`, in priority order.
    pub async fn rules_targeting(
        &self,
        scope: &Scope,
        realm: &RealmId,
    ) -> Result<Vec<RealmRule>, StoreError> {
        self.rules_where(scope, Some(realm)).await
    }

    async fn rules_where(
        &self,
        scope: &Scope,
        realm: Option<&RealmId>,
    ) -> Result<Vec<RealmRule>, StoreError> {
        let mut sql = super::sql::Sql::new(&format!(
            "SELECT {RULE_COLUMNS} FROM realm_assignment_rules WHERE target_realm_id IN (SELECT r.id FROM realms r WHERE "
        ));
        scope.realms_predicate(&mut sql, "r");
        sql.push(")");
        if let Some(realm) = realm {
            sql.push(" AND target_realm_id = ").bind(realm);
        }
        sql.push(" ORDER BY priority, id");
        sql.fetch_all::<RealmRule>(&self.pool).await
    }

    pub async fn get_rule(&self, scope: &Scope, id: &RuleId) -> Result<RealmRule, StoreError> {
        let mut sql = super::sql::Sql::new(&format!(
            "SELECT {RULE_COLUMNS} FROM realm_assignment_rules WHERE id = "
        ));
        sql.bind(id)
            .push(" AND target_realm_id IN (SELECT r.id FROM realms r WHERE ");
        scope.realms_predicate(&mut sql, "r");
        sql.push(")");
        sql.fetch_one_or_not_found::<RealmRule>(&self.pool).await
    }

    async fn rule_by_id(&self, id: &RuleId) -> Result<RealmRule, StoreError> {
        sqlx::query_as::<_, RealmRule>(&format!(
            "SELECT {RULE_COLUMNS} FROM realm_assignment_rules WHERE id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)
    }

    async fn check_rule_input(
        &self,
        input: &RuleInput,
    ) -> Result<(String, Option<String>), StoreError> {
        let mut errors = Vec::new();
        let name = match check_name(&input.name) {
            Ok(n) => Some(n),
            Err(StoreError::Invalid(e)) => {
                errors.extend(e);
                None
            }
            Err(e) => return Err(e),
        };
        let expression = match validate_expression(input.expression.as_deref().unwrap_or("")) {
            Ok(e) => e.map(|_| input.expression.as_deref().unwrap_or("").trim().to_string()),
            Err(StoreError::Invalid(e)) => {
                errors.extend(e);
                None
            }
            Err(e) => return Err(e),
        };
        if let Some(source) = input.profile_source_id.as_deref().filter(|s| !s.is_empty()) {
            let known: Option<String> = sqlx::query_scalar(
                "SELECT id FROM identity_providers WHERE id = $1 UNION SELECT id FROM apps WHERE id = $1",
            )
            .bind(source)
            .fetch_optional(&self.pool)
            .await?;
            if known.is_none() {
                errors.push(crate::error::FieldError::new(
                    "profileSourceId",
                    "Choose Okta (the portal's own users), an identity provider or an app.",
                ));
            }
        }
        if let Err(StoreError::Invalid(e)) = self.realm_by_id(&input.target_realm_id).await {
            errors.extend(e.into_iter().map(|mut f| {
                f.field = "targetRealmId".into();
                f
            }));
        }
        match name {
            Some(name) if errors.is_empty() => Ok((name, expression)),
            _ => Err(StoreError::Invalid(errors)),
        }
    }

    /// Creates an INACTIVE rule after the last one (before the catch-all);
    /// grant: `okta.realms.manage` on the org.
    pub async fn create_rule(
        &self,
        grant: &Grant,
        input: RuleInput,
    ) -> Result<RealmRule, StoreError> {
        self.create_rule_at(grant, input, None).await
    }

    /// Creates an INACTIVE rule at `priority` (free, before the catch-all),
    /// or after the last one when `None`; grant: `okta.realms.manage` on the
    /// org.
    pub async fn create_rule_at(
        &self,
        grant: &Grant,
        input: RuleInput,
        priority: Option<i64>,
    ) -> Result<RealmRule, StoreError> {
        grant.demand_org(Permission::RealmsManage)?;
        let (name, expression) = self.check_rule_input(&input).await?;
        let source = input.profile_source_id.filter(|s| !s.is_empty());
        let id = self.write(|mut tx| async move {
            let rules: i64 = sqlx::query_scalar("SELECT count(*) FROM realm_assignment_rules")
                .fetch_one(&mut *tx)
                .await?;
            super::limits::at_most(
                rules + 1,
                super::limits::REALM_ASSIGNMENTS,
                "An org",
                "realm assignments (the catch-all included)",
                "delete one first.",
            )?;
            within_source_limit(&mut tx, source.as_deref(), None).await?;
            let priority = match priority {
                Some(p) => free_priority(&mut tx, p, None).await?,
                None => next_priority(&mut tx).await?,
            };
            let id = RuleId::generate();
            let now = clock::now();
            let (idp, app) = split_source(source.as_deref());
            sqlx::query(
                "INSERT INTO realm_assignment_rules (id, name, priority, status, is_default, profile_source_id, \
                 profile_source_app_id, expression, target_realm_id, created, last_updated) \
                 VALUES ($1, $2, $3, 'INACTIVE', FALSE, $4, $8, $5, $6, $7, $7)",
            )
            .bind(id.as_str())
            .bind(&name)
            .bind(priority)
            .bind(idp)
            .bind(expression.as_deref())
            .bind(input.target_realm_id.as_str())
            .bind(&now)
            .bind(app)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::map_constraint(e, &[]))?;
            let event = Event::by_grant(
                "directory.realm.assignment.create",
                "Create realm assignment",
                grant,
            )
            .target(rule_target(&id, &name, &input.target_realm_id))
            .debug("expression", expression.clone().unwrap_or_default());
            Ok((tx, id, vec![event]))
        })
        .await?;
        self.rule_by_id(&id).await
    }

    /// Replaces a rule's name, source, expression and realm. The catch-all keeps
    /// its name, has no conditions, and only its realm changes. `expected` is
    /// the `last_updated` the admin saw (lost-update check).
    pub async fn update_rule(
        &self,
        grant: &Grant,
        id: &RuleId,
        input: RuleInput,
        expected: &str,
    ) -> Result<RealmRule, StoreError> {
        self.update_rule_at(grant, id, input, expected, None).await
    }

    /// [`Store::update_rule`], moving the rule to `priority` (free, before
    /// the catch-all) when given; the catch-all keeps its priority.
    pub async fn update_rule_at(
        &self,
        grant: &Grant,
        id: &RuleId,
        input: RuleInput,
        expected: &str,
        priority: Option<i64>,
    ) -> Result<RealmRule, StoreError> {
        grant.demand_org(Permission::RealmsManage)?;
        let current = self.rule_by_id(id).await?;
        let priority = priority.filter(|p| *p != current.priority);
        if current.is_default && priority.is_some() {
            return Err(StoreError::invalid(
                "priority",
                format!("The catch-all always comes last (priority {CATCH_ALL_PRIORITY})."),
            ));
        }
        let input = if current.is_default {
            RuleInput {
                name: current.name.clone(),
                profile_source_id: None,
                expression: None,
                target_realm_id: input.target_realm_id,
            }
        } else {
            input
        };
        let (name, expression) = self.check_rule_input(&input).await?;
        let source = input.profile_source_id.filter(|s| !s.is_empty());
        let is_default = current.is_default;
        self.write(|mut tx| async move {
            if !is_default {
                within_source_limit(&mut tx, source.as_deref(), Some(id)).await?;
            }
            let now = clock::now();
            let (idp, app) = split_source(source.as_deref());
            let updated = sqlx::query(
                "UPDATE realm_assignment_rules SET name = $1, profile_source_id = $2, expression = $3, \
                 target_realm_id = $4, last_updated = $5, profile_source_app_id = $8 \
                 WHERE id = $6 AND last_updated = $7",
            )
            .bind(&name)
            .bind(idp)
            .bind(expression.as_deref())
            .bind(input.target_realm_id.as_str())
            .bind(&now)
            .bind(id.as_str())
            .bind(expected)
            .bind(app)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::map_constraint(e, &[]))?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict(
                    "This rule was changed by someone else; reload and try again.".into(),
                ));
            }
            if let Some(p) = priority {
                let p = free_priority(&mut tx, p, Some(id)).await?;
                sqlx::query("UPDATE realm_assignment_rules SET priority = $1 WHERE id = $2")
                    .bind(p)
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            let mut event = Event::by_grant(
                "directory.realm.assignment.update",
                "Update realm assignment",
                grant,
            )
            .target(rule_target(id, &name, &input.target_realm_id))
            .debug("expression", expression.unwrap_or_default());
            if let Some(p) = priority {
                event = event.debug("priority", p);
            }
            Ok((tx, (), vec![event]))
        })
        .await?;
        self.rule_by_id(id).await
    }

    /// Activates or deactivates a rule (not the catch-all, which is always active).
    pub async fn set_rule_status(
        &self,
        grant: &Grant,
        id: &RuleId,
        status: LifecycleStatus,
    ) -> Result<RealmRule, StoreError> {
        grant.demand_org(Permission::RealmsManage)?;
        let rule = self.rule_by_id(id).await?;
        if rule.is_default {
            return Err(StoreError::Conflict(
                "The catch-all rule is always active.".into(),
            ));
        }
        if rule.status == status {
            return Ok(rule);
        }
        self.write(|mut tx| async move {
            sqlx::query(
                "UPDATE realm_assignment_rules SET status = $1, last_updated = $2 WHERE id = $3",
            )
            .bind(status.as_str())
            .bind(clock::now())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            let (event_type, message) = match status {
                LifecycleStatus::Active => (
                    "directory.realm.assignment.activate",
                    "Activate realm assignment",
                ),
                LifecycleStatus::Inactive => (
                    "directory.realm.assignment.deactivate",
                    "Deactivate realm assignment",
                ),
            };
            let event = Event::by_grant(event_type, message, grant).target(rule_target(
                id,
                &rule.name,
                &rule.target_realm_id,
            ));
            Ok((tx, (), vec![event]))
        })
        .await?;
        self.rule_by_id(id).await
    }

    /// Swaps a rule with its neighbour above (`up`) or below; the catch-all
    /// never moves and nothing passes it.
    pub async fn move_rule(&self, grant: &Grant, id: &RuleId, up: bool) -> Result<(), StoreError> {
        grant.demand_org(Permission::RealmsManage)?;
        let rule = self.rule_by_id(id).await?;
        if rule.is_default {
            return Err(StoreError::Conflict(
                "The catch-all rule is always last.".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let neighbour: Option<(String, i64)> = sqlx::query_as(if up {
            "SELECT id, priority FROM realm_assignment_rules WHERE is_default = FALSE AND priority < $1 \
             ORDER BY priority DESC LIMIT 1"
        } else {
            "SELECT id, priority FROM realm_assignment_rules WHERE is_default = FALSE AND priority > $1 \
             ORDER BY priority LIMIT 1"
        })
        .bind(rule.priority)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((other, other_priority)) = neighbour else {
            return Ok(());
        };
        let now = clock::now();
        // The priorities are unique: park one above every rule while swapping.
        for (rule_id, priority) in [
            (rule.id.as_str(), CATCH_ALL_PRIORITY + 1),
            (other.as_str(), rule.priority),
            (rule.id.as_str(), other_priority),
        ] {
            sqlx::query(
                "UPDATE realm_assignment_rules SET priority = $1, last_updated = $2 WHERE id = $3",
            )
            .bind(priority)
            .bind(&now)
            .bind(rule_id)
            .execute(&mut *tx)
            .await?;
        }
        let event = Event::by_grant(
            "directory.realm.assignment.update",
            "Update realm assignment",
            grant,
        )
        .target(rule_target(id, &rule.name, &rule.target_realm_id))
        .debug("priority", other_priority);
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a rule (never the catch-all; the schema refuses it too).
    pub async fn delete_rule(&self, grant: &Grant, id: &RuleId) -> Result<(), StoreError> {
        grant.demand_org(Permission::RealmsManage)?;
        let rule = self.rule_by_id(id).await?;
        if rule.is_default {
            return Err(StoreError::Conflict(
                "The catch-all rule cannot be deleted.".into(),
            ));
        }
        self.write(|mut tx| async move {
            sqlx::query("DELETE FROM realm_assignment_rules WHERE id = $1 AND is_default = FALSE")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            let event = Event::by_grant(
                "directory.realm.assignment.delete",
                "Delete realm assignment",
                grant,
            )
            .target(rule_target(id, &rule.name, &rule.target_realm_id));
            Ok((tx, (), vec![event]))
        })
        .await
    }

    /// How many users `expression` (from any source, or `source`) selects, for
    /// the rule editor's preview; at most `limit` users are looked at.
    pub async fn preview_rule(
        &self,
        grant: &Grant,
        expression: &str,
        source: Option<&str>,
        limit: i64,
    ) -> Result<(i64, i64, bool), StoreError> {
        grant.demand_org(Permission::RealmsManage)?;
        let condition = match validate_expression(expression)? {
            Some(e) => Condition::Expr(Box::new(e)),
            None => Condition::Always,
        };
        let rule = CompiledRule {
            rule: RealmRule {
                id: RuleId::generate(),
                name: String::new(),
                priority: 0,
                status: LifecycleStatus::Active,
                is_default: false,
                profile_source_id: source.map(str::to_string),
                expression: Some(expression.to_string()),
                target_realm_id: RealmId::generate(),
                created: String::new(),
                last_updated: String::new(),
            },
            condition,
        };
        let mut after = String::new();
        let (mut seen, mut matched) = (0i64, 0i64);
        loop {
            let chunk = self
                .candidates_after(None, &after, PLAN_CHUNK.min(limit - seen))
                .await?;
            let Some(last) = chunk.last() else { break };
            after = last.id.to_string();
            seen += chunk.len() as i64;
            matched += chunk.iter().filter(|u| rule.selects(u)).count() as i64;
            if seen >= limit {
                let more: Option<String> =
                    sqlx::query_scalar("SELECT id FROM users WHERE id > $1 LIMIT 1")
                        .bind(&after)
                        .fetch_optional(&self.pool)
                        .await?;
                return Ok((matched, seen, more.is_some()));
            }
        }
        Ok((matched, seen, false))
    }

    /// Users after `after` in id order, within `users` when given.
    async fn candidates_after(
        &self,
        users: Option<&Scope>,
        after: &str,
        limit: i64,
    ) -> Result<Vec<Candidate>, StoreError> {
        let mut sql = super::sql::Sql::new(&format!(
            "SELECT {CANDIDATE_COLUMNS} FROM users WHERE id > "
        ));
        sql.bind(after);
        if let Some(scope) = users {
            sql.push(" AND ");
            scope.users_predicate(&mut sql, "users");
        }
        sql.push(" ORDER BY id LIMIT ").bind(limit);
        sql.fetch_all::<Candidate>(&self.pool).await
    }

    /// Plans (dry-runs) `rule` over every user: a user is planned when this
    /// rule is the first, in priority order among the active rules, to select
    /// it and it is not already in the rule's realm. Users the target realm
    /// refuses (domains) are listed as refused. Nothing moves until
    /// [`Store::start_operation`].
    ///
    /// `refused` names users the planner may not act on (they hold admin
    /// rights it does not hold), with the reason: listed, never moved.
    /// `users` (the planner's users scope, when it is not everyone) bounds
    /// who is considered at all.
    pub async fn plan_rule(
        &self,
        grant: &Grant,
        id: &RuleId,
        refused: &std::collections::HashMap<UserId, String>,
        users: Option<&Scope>,
    ) -> Result<Operation, StoreError> {
        grant.demand_org(Permission::RealmsManage)?;
        let rule = self.rule_by_id(id).await?;
        // The catch-all takes every user no earlier rule selects, whatever its
        // source — except users of an IdP bound to a realm, whose fallback is
        // that realm (as at JIT time).
        let bound_idps: std::collections::HashSet<String> = if rule.is_default {
            sqlx::query_scalar("SELECT id FROM identity_providers WHERE realm_id IS NOT NULL")
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect()
        } else {
            Default::default()
        };
        let before: Vec<CompiledRule> = sqlx::query_as::<_, RealmRule>(&format!(
            "SELECT {RULE_COLUMNS} FROM realm_assignment_rules \
             WHERE status = 'ACTIVE' AND is_default = FALSE AND priority < $1 ORDER BY priority"
        ))
        .bind(rule.priority)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(CompiledRule::new)
        .collect();
        let target = self.realm_by_id(&rule.target_realm_id).await?;
        let compiled = CompiledRule::new(rule.clone());
        let configuration = serde_json::json!({
            "label": rule.name,
            "rule": {
                "name": rule.name,
                "priority": rule.priority,
                "status": rule.status.as_str(),
                "profileSourceId": rule.profile_source_id,
                "expression": rule.expression,
                "realmId": rule.target_realm_id.as_str(),
                "realmName": target.name,
            },
            "rulesBefore": before.iter().map(|r| r.rule.id.as_str()).collect::<Vec<_>>(),
        });
        let op = self
            .insert_operation(grant, OperationKind::Rule, Some(id), &configuration)
            .await?;
        let earlier = RuleSet::new(&before);
        let mut buf = Vec::new();
        let planned: Result<(), StoreError> = async {
            let mut after = String::new();
            loop {
                let chunk = self.candidates_after(users, &after, PLAN_CHUNK).await?;
                let Some(last) = chunk.last() else { break };
                after = last.id.to_string();
                let items: Vec<PlannedItem> = chunk
                    .iter()
                    .filter(|u| u.realm_id != target.id)
                    .filter(|u| {
                        let selected = if rule.is_default {
                            u.profile_source_id
                                .as_ref()
                                .is_none_or(|s| !bound_idps.contains(s))
                        } else {
                            compiled.selects(u)
                        };
                        selected && !earlier.any_selects(u, &mut buf)
                    })
                    .map(|u| PlannedItem {
                        user_id: u.id.clone(),
                        from: u.realm_id.clone(),
                        to: target.id.clone(),
                        version: u.version,
                        refused: refused
                            .get(&u.id)
                            .cloned()
                            .or_else(|| refusal(&u.profile.login, &u.profile.email, &target)),
                    })
                    .collect();
                self.insert_items(&op, &items).await?;
            }
            Ok(())
        }
        .await;
        self.finish_plan(&op, planned).await
    }

    /// Plans moving `users` (ids the caller may manage) to `target`: users
    /// already there are left out, users the realm refuses are listed as such.
    pub async fn plan_bulk_move(
        &self,
        grant: &Grant,
        users: &[UserId],
        target: &RealmId,
    ) -> Result<Operation, StoreError> {
        grant.demand_on_realm(Permission::RealmsManage, target)?;
        let target = self.realm_by_id(target).await?;
        let configuration = serde_json::json!({
            "label": format!("Move {} users to {}", users.len(), target.name),
            "realmId": target.id.as_str(),
            "requested": users.len(),
        });
        let op = self
            .insert_operation(grant, OperationKind::BulkMove, None, &configuration)
            .await?;
        let mut unique: Vec<&UserId> = users.iter().collect();
        unique.sort();
        unique.dedup();
        let planned: Result<(), StoreError> = async {
            for chunk in unique.chunks(INSERT_CHUNK) {
                let mut sql = super::sql::Sql::new(&format!(
                    "SELECT {CANDIDATE_COLUMNS} FROM users WHERE id IN "
                ));
                sql.bind_list(chunk.iter().copied());
                let found = sql.fetch_all::<Candidate>(&self.pool).await?;
                let items: Vec<PlannedItem> = found
                    .iter()
                    .filter(|u| u.realm_id != target.id)
                    .map(|u| PlannedItem {
                        user_id: u.id.clone(),
                        from: u.realm_id.clone(),
                        to: target.id.clone(),
                        version: u.version,
                        refused: refusal(&u.profile.login, &u.profile.email, &target),
                    })
                    .collect();
                self.insert_items(&op, &items).await?;
            }
            Ok(())
        }
        .await;
        self.finish_plan(&op, planned).await
    }

    async fn insert_operation(
        &self,
        grant: &Grant,
        kind: OperationKind,
        rule: Option<&RuleId>,
        configuration: &Value,
    ) -> Result<OperationId, StoreError> {
        let id = OperationId::generate();
        sqlx::query(
            "INSERT INTO realm_assignment_operations (id, kind, rule_id, configuration, status, created, actor_id) \
             VALUES ($1, $2, $3, $4, 'PLANNED', $5, $6)",
        )
        .bind(id.as_str())
        .bind(kind.as_str())
        .bind(rule.map(RuleId::as_str))
        .bind(configuration.to_string())
        .bind(clock::now())
        .bind(&grant.actor().id)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    async fn insert_items(
        &self,
        op: &OperationId,
        items: &[PlannedItem],
    ) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer.begin().await?;
        for chunk in items.chunks(INSERT_CHUNK) {
            let mut sql = super::sql::Sql::new(
                "INSERT INTO realm_assignment_operation_items \
                 (operation_id, user_id, from_realm_id, to_realm_id, user_version, result, message) VALUES ",
            );
            for (i, item) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(op)
                    .push(", ")
                    .bind(&item.user_id)
                    .push(", ")
                    .bind(&item.from)
                    .push(", ")
                    .bind(&item.to)
                    .push(", ")
                    .bind(item.version)
                    .push(", ")
                    .bind(if item.refused.is_some() {
                        "FAILED"
                    } else {
                        "PENDING"
                    })
                    .push(", ")
                    .bind(item.refused.clone())
                    .push(")");
            }
            sql.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Counts a complete plan and marks it ready to start; a plan that failed
    /// half-way is FAILED (and can never start).
    async fn finish_plan(
        &self,
        op: &OperationId,
        planned: Result<(), StoreError>,
    ) -> Result<Operation, StoreError> {
        if let Err(e) = planned {
            sqlx::query(
                "UPDATE realm_assignment_operations SET status = 'FAILED', completed = $1 WHERE id = $2",
            )
            .bind(clock::now())
            .bind(op.as_str())
            .execute(&self.pool)
            .await?;
            return Err(e);
        }
        sqlx::query(
            "UPDATE realm_assignment_operations SET \
             num_planned = (SELECT count(*) FROM realm_assignment_operation_items WHERE operation_id = $1 AND result = 'PENDING'), \
             num_refused = (SELECT count(*) FROM realm_assignment_operation_items WHERE operation_id = $1 AND result = 'FAILED'), \
             planned = $2 \
             WHERE id = $1",
        )
        .bind(op.as_str())
        .bind(clock::now())
        .execute(&self.pool)
        .await?;
        self.operation_by_id(op).await
    }

    pub(crate) async fn operation_by_id(&self, id: &OperationId) -> Result<Operation, StoreError> {
        sqlx::query_as::<_, Operation>(&format!(
            "SELECT {OPERATION_COLUMNS} FROM realm_assignment_operations o WHERE o.id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// An operation, for those who manage realm assignment (`grant` proves it:
    /// org-wide, or on the one realm a bulk move moves users to).
    pub async fn get_operation(
        &self,
        grant: &Grant,
        id: &OperationId,
    ) -> Result<Operation, StoreError> {
        self.demand_operation(grant, Permission::RealmsRead, id)
            .await?;
        self.operation_by_id(id).await
    }

    /// The realms an operation moves users to and from: (targets, sources of
    /// the users still pending).
    pub async fn operation_realms(
        &self,
        id: &OperationId,
    ) -> Result<(Vec<RealmId>, Vec<RealmId>), StoreError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT DISTINCT from_realm_id, to_realm_id, result \
             FROM realm_assignment_operation_items WHERE operation_id = $1",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut targets = Vec::new();
        let mut sources = Vec::new();
        for (from, to, result) in rows {
            let parse = |raw: &str| {
                RealmId::parse(raw).map_err(|_| StoreError::Internal("a stored realm id".into()))
            };
            let to = parse(&to)?;
            if !targets.contains(&to) {
                targets.push(to);
            }
            let from = parse(&from)?;
            if result == "PENDING" && !sources.contains(&from) {
                sources.push(from);
            }
        }
        Ok((targets, sources))
    }

    /// A grant for an operation: org-wide, or on a realm — then only for a
    /// bulk move whose every user goes to that realm.
    async fn demand_operation(
        &self,
        grant: &Grant,
        required: Permission,
        id: &OperationId,
    ) -> Result<(), StoreError> {
        let Some(realm) = grant.demand_realm(required)? else {
            return Ok(());
        };
        let op = self.operation_by_id(id).await?;
        let (targets, _) = self.operation_realms(id).await?;
        if op.kind != OperationKind::BulkMove || targets.iter().any(|t| t != realm) {
            tracing::error!(operation = %id, %realm, "a realm grant used on an operation beyond the realm");
            return Err(StoreError::Internal(
                "a realm grant cannot be used on this operation".into(),
            ));
        }
        Ok(())
    }

    /// The latest operations, newest first.
    pub async fn list_operations(
        &self,
        _grant: &Grant,
        limit: i64,
    ) -> Result<Vec<Operation>, StoreError> {
        sqlx::query_as::<_, Operation>(&format!(
            "SELECT {OPERATION_COLUMNS} FROM realm_assignment_operations o ORDER BY o.created DESC, o.id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::from_sqlx)
    }

    /// A page of an operation's items (by user id), optionally of one result.
    pub async fn operation_items(
        &self,
        _grant: &Grant,
        id: &OperationId,
        result: Option<ItemResult>,
        after: Option<&UserId>,
        limit: i64,
        users: Option<&Scope>,
    ) -> Result<Vec<OperationItem>, StoreError> {
        let mut sql = super::sql::Sql::new(
            "SELECT i.user_id, u.login, u.first_name, u.last_name, i.from_realm_id, \
             COALESCE(fr.name, '') AS from_realm, i.to_realm_id, COALESCE(tr.name, '') AS to_realm, \
             i.result, i.message \
             FROM realm_assignment_operation_items i JOIN users u ON u.id = i.user_id \
             LEFT JOIN realms fr ON fr.id = i.from_realm_id LEFT JOIN realms tr ON tr.id = i.to_realm_id \
             WHERE i.operation_id = ",
        );
        sql.bind(id);
        if let Some(result) = result {
            sql.push(" AND i.result = ").bind(result.as_str());
        }
        if let Some(after) = after {
            sql.push(" AND i.user_id > ").bind(after);
        }
        if let Some(scope) = users {
            sql.push(" AND ");
            scope.users_predicate(&mut sql, "u");
        }
        sql.push(" ORDER BY i.user_id LIMIT ").bind(limit);
        sql.fetch_all::<OperationItem>(&self.pool).await
    }

    /// Starts executing a PLANNED operation (exactly once): IN_PROGRESS, with
    /// `directory.realm.assignment.execution_started` in the same transaction.
    /// The caller then runs [`Store::apply_batch`] until it answers `Done`.
    pub async fn start_operation(
        &self,
        grant: &Grant,
        id: &OperationId,
    ) -> Result<Operation, StoreError> {
        self.demand_operation(grant, Permission::RealmsManage, id)
            .await?;
        let op = self.operation_by_id(id).await?;
        self.write(|mut tx| async move {
            let now = clock::now();
            // Held by this instance from the start (another takes it over
            // if this one stops renewing).
            let lease = self.lease();
            let started = sqlx::query(
                "UPDATE realm_assignment_operations SET status = 'IN_PROGRESS', started = $1, \
                 locked_by = $3, locked_until = $4 \
                 WHERE id = $2 AND status = 'PLANNED' AND planned IS NOT NULL",
            )
            .bind(&now)
            .bind(id.as_str())
            .bind(lease.holder())
            .bind(lease.until())
            .execute(&mut *tx)
            .await?;
            if started.rows_affected() != 1 {
                return Err(StoreError::Conflict(
                    if op.status == OperationStatus::Planned {
                        "This plan is still being made; open it again in a moment.".to_string()
                    } else {
                        format!(
                            "This plan is {} already; plan again to run it anew.",
                            op.status.as_str().to_lowercase().replace('_', " ")
                        )
                    },
                ));
            }
            let op = operation_in(&mut tx, id)
                .await?
                .ok_or(StoreError::NotFound)?;
            let mut event = Event::by_grant(
                "directory.realm.assignment.execution_started",
                "Realm assignment execution started",
                grant,
            )
            .debug("operationId", id.as_str())
            .debug("numUsersPlanned", op.num_planned);
            event.targets.push(operation_target(&op));
            Ok((tx, (), vec![event]))
        })
        .await?;
        self.operation_by_id(id).await
    }

    /// Asks a PLANNED or running operation to stop: no further batch starts;
    /// what is left is marked CANCELED.
    pub async fn cancel_operation(
        &self,
        grant: &Grant,
        id: &OperationId,
    ) -> Result<Operation, StoreError> {
        self.demand_operation(grant, Permission::RealmsManage, id)
            .await?;
        self.write(|mut tx| async move {
            let mut events = Vec::new();
            let op = operation_in(&mut tx, id)
                .await?
                .ok_or(StoreError::NotFound)?;
            let canceled = sqlx::query(
                "UPDATE realm_assignment_operations SET status = 'CANCELED', completed = $1, \
                 locked_by = NULL, locked_until = NULL \
                 WHERE id = $2 AND status IN ('PLANNED', 'SCHEDULED', 'IN_PROGRESS')",
            )
            .bind(clock::now())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            if canceled.rows_affected() != 1 {
                return Err(StoreError::Conflict(format!(
                    "This operation is {} already.",
                    op.status.as_str().to_lowercase().replace('_', " ")
                )));
            }
            sqlx::query(
                "UPDATE realm_assignment_operation_items SET result = 'CANCELED' \
                 WHERE operation_id = $1 AND result = 'PENDING'",
            )
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            if op.status != OperationStatus::Planned {
                let mut event = Event::by_grant(
                    "directory.realm.assignment.execution_completed",
                    "Realm assignment execution canceled",
                    grant,
                )
                .debug("operationId", id.as_str())
                .debug("numUserMoved", op.num_moved)
                .debug("canceled", true);
                event.targets.push(operation_target(&op));
                events.push(event);
            }
            Ok((tx, (), events))
        })
        .await?;
        self.operation_by_id(id).await
    }

    /// Applies up to `limit` pending items of a running operation in one write
    /// transaction: each user still at the planned version and realm moves (with
    /// `user.realm.update`); a user changed since the plan is SKIPPED_CHANGED; a
    /// user the target realm now refuses is FAILED. The last batch completes the
    /// operation with `directory.realm.assignment.execution_completed`.
    ///
    /// The batch first renews this instance's lease on the operation in its
    /// transaction: an operation that is not running, or that another
    /// instance holds (this one's lease ran out), answers `Done` untouched.
    pub async fn apply_batch(
        &self,
        grant: &Grant,
        id: &OperationId,
        limit: i64,
    ) -> Result<BatchOutcome, StoreError> {
        grant.demand_realm(Permission::RealmsManage)?;
        let mut tx = self.begin_write().await?;
        if !Self::renew_in(&mut tx, Job::Operation, id.as_str(), self.lease()).await? {
            return Ok(BatchOutcome::Done);
        }
        let rows = sqlx::query(
            "SELECT i.user_id, i.from_realm_id, i.to_realm_id, i.user_version, u.version, u.realm_id, \
             u.login, u.email, u.first_name, u.last_name \
             FROM realm_assignment_operation_items i JOIN users u ON u.id = i.user_id \
             WHERE i.operation_id = $1 AND i.result = 'PENDING' ORDER BY i.user_id LIMIT $2",
        )
        .bind(id.as_str())
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let realms: std::collections::HashMap<String, Realm> = sqlx::query_as::<_, Realm>(
            "SELECT r.id, r.name, r.realm_type, r.is_default, r.domains, r.created, r.last_updated FROM realms r",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.id.to_string(), r))
        .collect();
        let now = clock::now();
        // Decide each item from the rows read under the write lock; the users
        // still to move move in one guarded UPDATE (which re-checks version
        // and realm: on PostgreSQL a writer may have come between).
        let mut results: Vec<(String, ItemResult, Option<String>)> = Vec::new();
        let mut candidates: Vec<(String, String, &Realm, String, String)> = Vec::new();
        for row in &rows {
            let get = |c: &str| row.try_get::<String, _>(c).map_err(StoreError::from_sqlx);
            let user_id = get("user_id")?;
            let from = get("from_realm_id")?;
            let to = get("to_realm_id")?;
            let planned_version: i64 = row.try_get("user_version")?;
            let version: i64 = row.try_get("version")?;
            let login = get("login")?;
            let email = get("email")?;
            let refused = if get("realm_id")? != from {
                Some((
                    ItemResult::SkippedChanged,
                    "moved to another realm since the plan; not applied".to_string(),
                ))
            } else if version != planned_version {
                Some((
                    ItemResult::SkippedChanged,
                    format!(
                        "changed since the plan (version {planned_version} → {version}); not applied"
                    ),
                ))
            } else {
                match realms.get(&to) {
                    None => Some((
                        ItemResult::Failed,
                        "the target realm no longer exists".to_string(),
                    )),
                    Some(realm) => match refusal(&login, &email, realm) {
                        Some(why) => Some((ItemResult::Failed, why)),
                        None => {
                            let name = format!("{} {}", get("first_name")?, get("last_name")?);
                            candidates.push((user_id.clone(), from, realm, login, name));
                            None
                        }
                    },
                }
            };
            if let Some((result, message)) = refused {
                results.push((user_id, result, Some(message)));
            }
        }
        let moved_ids = move_planned_users(&mut tx, id, &now, &candidates).await?;
        let mut events = Vec::with_capacity(moved_ids.len());
        let mut moved_items = Vec::with_capacity(moved_ids.len());
        for (user_id, from, realm, login, name) in candidates {
            if !moved_ids.contains(&user_id) {
                results.push((
                    user_id,
                    ItemResult::SkippedChanged,
                    Some("changed since the plan; not applied".to_string()),
                ));
                continue;
            }
            let to = realm.id.to_string();
            let mut event = Event::by_grant("user.realm.update", "Update user realm", grant)
                .target(audit::Target {
                    id: user_id.clone(),
                    target_type: "User".into(),
                    alternate_id: login,
                    display_name: name,
                    realm_id: Some(to.clone()),
                })
                .debug("previousRealmId", from)
                .debug("realmId", to)
                .debug("operationId", id.as_str());
            event.targets.push(realm_target(realm));
            events.push(event);
            moved_items.push(user_id);
        }
        audit::append_all(&mut tx, &events).await?;
        let moved = moved_items.len() as i64;
        set_item_results(&mut tx, id, ItemResult::Moved, None, &moved_items).await?;
        let (mut skipped, mut failed) = (0i64, 0i64);
        for (user_id, result, message) in results {
            match result {
                ItemResult::SkippedChanged => skipped += 1,
                _ => failed += 1,
            }
            set_item_results(
                &mut tx,
                id,
                result,
                message.as_deref(),
                std::slice::from_ref(&user_id),
            )
            .await?;
        }
        sqlx::query(
            "UPDATE realm_assignment_operations SET num_moved = num_moved + $1, \
             num_skipped = num_skipped + $2, num_failed = num_failed + $3 WHERE id = $4",
        )
        .bind(moved)
        .bind(skipped)
        .bind(failed)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        let outcome = if (rows.len() as i64) < limit {
            sqlx::query(
                "UPDATE realm_assignment_operations SET status = 'COMPLETED', completed = $1, \
                 locked_by = NULL, locked_until = NULL WHERE id = $2",
            )
            .bind(&now)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            let op = operation_in(&mut tx, id)
                .await?
                .ok_or(StoreError::NotFound)?;
            let mut event = Event::by_grant(
                "directory.realm.assignment.execution_completed",
                "Realm assignment execution completed",
                grant,
            )
            .debug("operationId", id.as_str())
            .debug("numUserMoved", op.num_moved)
            .debug("numUserSkipped", op.num_skipped)
            .debug("numUserFailed", op.num_failed);
            event.targets.push(operation_target(&op));
            audit::append(&mut tx, &event).await?;
            BatchOutcome::Done
        } else {
            BatchOutcome::More
        };
        tx.commit().await?;
        Ok(outcome)
    }
}

/// Takes over the running operations whose holder stopped renewing its lease
/// (another instance killed or cut off, or this one before a restart) and
/// runs each here, where it stopped; answers how many. Every instance calls
/// it from time to time.
pub async fn take_over_operations(store: &Store, grant: &Grant) -> Result<usize, StoreError> {
    grant.demand_realm(Permission::RealmsManage)?;
    let mut taken = 0;
    while let Some(id) = store.claim_abandoned(Job::Operation, store.lease()).await? {
        let id = OperationId::parse(&id).map_err(|e| StoreError::Internal(e.to_string()))?;
        tracing::info!(operation = %id, "resuming a realm assignment operation");
        tokio::spawn(run_operation(store.clone(), grant.clone(), id));
        taken += 1;
    }
    Ok(taken)
}

/// Moves the `candidates` (user id, from realm, target realm, …) of operation
/// `id` that are still at the planned version and realm, in one `UPDATE`;
/// answers the ids it moved.
async fn move_planned_users(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &OperationId,
    now: &str,
    candidates: &[(String, String, &Realm, String, String)],
) -> Result<std::collections::HashSet<String>, StoreError> {
    if candidates.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let ids = (0..candidates.len())
        .map(|i| format!("${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE users SET realm_id = i.to_realm_id, version = users.version + 1, last_updated = $2 \
         FROM realm_assignment_operation_items i \
         WHERE i.operation_id = $1 AND i.user_id = users.id AND i.result = 'PENDING' \
         AND users.version = i.user_version AND users.realm_id = i.from_realm_id \
         AND users.id IN ({ids}) RETURNING users.id"
    );
    let mut update = sqlx::query_scalar::<_, String>(&sql)
        .bind(id.as_str())
        .bind(now);
    for (user_id, ..) in candidates {
        update = update.bind(user_id.as_str());
    }
    Ok(update.fetch_all(&mut **tx).await?.into_iter().collect())
}

/// Records `result` (and `message`) for the items of `users` in operation `id`.
async fn set_item_results(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &OperationId,
    result: ItemResult,
    message: Option<&str>,
    users: &[String],
) -> Result<(), StoreError> {
    for chunk in users.chunks(APPLY_BATCH as usize) {
        let ids = (0..chunk.len())
            .map(|i| format!("${}", i + 4))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE realm_assignment_operation_items SET result = $1, message = $2 \
             WHERE operation_id = $3 AND user_id IN ({ids})"
        );
        let mut update = sqlx::query(&sql)
            .bind(result.as_str())
            .bind(message)
            .bind(id.as_str());
        for user in chunk {
            update = update.bind(user.as_str());
        }
        update.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Runs a started operation this instance holds to its end in batches,
/// yielding between them so other requests (and other writers) keep going.
/// Errors end the run with the operation FAILED. An operation whose lease
/// this instance lost stops here and goes on where another instance took it
/// over; one whose holder stopped is taken over by [`take_over_operations`].
pub async fn run_operation(store: Store, grant: Grant, id: OperationId) {
    loop {
        match store.apply_batch(&grant, &id, APPLY_BATCH).await {
            Ok(BatchOutcome::More) => {
                // Let waiting writers in between two batches.
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            Ok(BatchOutcome::Done) => return,
            Err(e) => {
                tracing::error!(operation = %id, error = %e, "realm assignment operation failed");
                if let Err(e) = store.fail_operation(&grant, &id, &e.to_string()).await {
                    tracing::error!(operation = %id, error = %e, "could not mark the operation failed");
                }
                return;
            }
        }
    }
}

impl Store {
    /// Marks a running operation FAILED (its applied batches stay applied),
    /// with `execution_completed` saying so.
    async fn fail_operation(
        &self,
        grant: &Grant,
        id: &OperationId,
        why: &str,
    ) -> Result<(), StoreError> {
        grant.demand_realm(Permission::RealmsManage)?;
        self.write(|mut tx| async move {
            let mut events = Vec::new();
            let failed = sqlx::query(
                "UPDATE realm_assignment_operations SET status = 'FAILED', completed = $1, \
                 locked_by = NULL, locked_until = NULL WHERE id = $2 AND status = 'IN_PROGRESS'",
            )
            .bind(clock::now())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            if failed.rows_affected() == 1 {
                let op = operation_in(&mut tx, id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let mut event = Event::by_grant(
                    "directory.realm.assignment.execution_completed",
                    "Realm assignment execution failed",
                    grant,
                )
                .debug("operationId", id.as_str())
                .debug("numUserMoved", op.num_moved)
                .debug("failed", true);
                event.targets.push(operation_target(&op));
                events.push(event);
            }
            Ok((tx, (), events))
        })
        .await?;
        tracing::warn!(operation = %id, why, "operation marked failed");
        Ok(())
    }
}

/// An operation as the transaction `tx` sees it.
async fn operation_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &OperationId,
) -> Result<Option<Operation>, StoreError> {
    sqlx::query_as::<_, Operation>(&format!(
        "SELECT {OPERATION_COLUMNS} FROM realm_assignment_operations o WHERE o.id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(&mut **tx)
    .await
    .map_err(StoreError::from_sqlx)
}

fn operation_target(op: &Operation) -> audit::Target {
    match &op.rule_id {
        Some(rule) => audit::Target {
            id: rule.to_string(),
            target_type: "RealmAssignment".into(),
            alternate_id: op.label.clone(),
            display_name: op.label.clone(),
            realm_id: None,
        },
        None => audit::Target {
            id: op.id.to_string(),
            target_type: "RealmAssignmentOperation".into(),
            alternate_id: op.label.clone(),
            display_name: op.label.clone(),
            realm_id: None,
        },
    }
}

impl Store {
    /// How many users an operation still has to move that lie outside
    /// `users` or are among `refused` (accounts the executor may not act on).
    pub async fn pending_items_outside(
        &self,
        id: &OperationId,
        users: &Scope,
        refused: &[UserId],
    ) -> Result<i64, StoreError> {
        let mut sql = super::sql::Sql::new(
            "SELECT COUNT(*) FROM realm_assignment_operation_items i JOIN users u ON u.id = i.user_id \
             WHERE i.operation_id = ",
        );
        sql.bind(id).push(" AND i.result = 'PENDING' AND (NOT ");
        users.users_predicate(&mut sql, "u");
        if !refused.is_empty() {
            sql.push(" OR i.user_id IN ").bind_list(refused.iter());
        }
        sql.push(")");
        let count: Vec<(i64,)> = sql.fetch_all(&self.pool).await?;
        Ok(count.first().map(|c| c.0).unwrap_or(0))
    }
}

impl Store {
    /// Plans every active rule at once (Okta's `ALL`) as one operation: each
    /// user goes to the realm of the first active rule, in priority order,
    /// that selects it — the catch-all taking the rest, except users of an
    /// IdP bound to a realm (as at JIT time); users already there are left
    /// out. `refused` and `users` as for [`Store::plan_rule`].
    pub async fn plan_all(
        &self,
        grant: &Grant,
        refused: &std::collections::HashMap<UserId, String>,
        users: Option<&Scope>,
    ) -> Result<Operation, StoreError> {
        grant.demand_org(Permission::RealmsManage)?;
        let rules: Vec<CompiledRule> = sqlx::query_as::<_, RealmRule>(&format!(
            "SELECT {RULE_COLUMNS} FROM realm_assignment_rules WHERE status = 'ACTIVE' ORDER BY priority"
        ))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(CompiledRule::new)
        .collect();
        let bound_idps: std::collections::HashSet<String> =
            sqlx::query_scalar("SELECT id FROM identity_providers WHERE realm_id IS NOT NULL")
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect();
        let mut targets = Vec::with_capacity(rules.len());
        for rule in &rules {
            targets.push(self.realm_by_id(&rule.rule.target_realm_id).await?);
        }
        let configuration = serde_json::json!({
            "label": ALL_ASSIGNMENTS,
            "all": true,
            "rules": rules.iter().map(|r| r.rule.id.as_str()).collect::<Vec<_>>(),
        });
        let op = self
            .insert_operation(grant, OperationKind::Rule, None, &configuration)
            .await?;
        let planned: Result<(), StoreError> = async {
            let mut after = String::new();
            loop {
                let chunk = self.candidates_after(users, &after, PLAN_CHUNK).await?;
                let Some(last) = chunk.last() else { break };
                after = last.id.to_string();
                let items: Vec<PlannedItem> = chunk
                    .iter()
                    .filter_map(|u| {
                        let at = rules.iter().position(|r| {
                            if r.rule.is_default {
                                u.profile_source_id
                                    .as_ref()
                                    .is_none_or(|s| !bound_idps.contains(s))
                            } else {
                                r.selects(u)
                            }
                        })?;
                        let target = targets.get(at)?;
                        (u.realm_id != target.id).then(|| PlannedItem {
                            user_id: u.id.clone(),
                            from: u.realm_id.clone(),
                            to: target.id.clone(),
                            version: u.version,
                            refused: refused
                                .get(&u.id)
                                .cloned()
                                .or_else(|| refusal(&u.profile.login, &u.profile.email, target)),
                        })
                    })
                    .collect();
                self.insert_items(&op, &items).await?;
            }
            Ok(())
        }
        .await;
        self.finish_plan(&op, planned).await
    }

    /// An operation with its configuration as planned (the rule as it was,
    /// or `{"all": true}`); `grant` as for [`Store::get_operation`].
    pub async fn operation_with_configuration(
        &self,
        grant: &Grant,
        id: &OperationId,
    ) -> Result<(Operation, Value), StoreError> {
        self.demand_operation(grant, Permission::RealmsRead, id)
            .await?;
        let op = self.operation_by_id(id).await?;
        let configuration: Option<String> = sqlx::query_scalar(
            "SELECT configuration FROM realm_assignment_operations WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_one(&self.pool)
        .await?;
        let configuration = configuration
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or(Value::Null);
        Ok((op, configuration))
    }

    /// Runs of realm assignments (rule operations that were started), newest
    /// first, `limit` at a time after the run `after`; grant: org-level.
    pub async fn list_runs(
        &self,
        grant: &Grant,
        after: Option<&OperationId>,
        limit: i64,
    ) -> Result<Vec<Operation>, StoreError> {
        grant.demand_org(Permission::RealmsRead)?;
        let mut sql = super::sql::Sql::new(&format!(
            "SELECT {OPERATION_COLUMNS} FROM realm_assignment_operations o \
             WHERE o.kind = 'RULE' AND o.status <> 'PLANNED' AND o.started IS NOT NULL"
        ));
        if let Some(after) = after {
            sql.push(" AND EXISTS (SELECT 1 FROM realm_assignment_operations a WHERE a.id = ")
                .bind(after)
                .push(" AND (o.created < a.created OR (o.created = a.created AND o.id < a.id)))");
        }
        sql.push(" ORDER BY o.created DESC, o.id DESC LIMIT ")
            .bind(limit);
        sql.fetch_all::<Operation>(&self.pool).await
    }
}

/// The name Okta gives the operation of every assignment at once.
pub const ALL_ASSIGNMENTS: &str = "All Assignments";

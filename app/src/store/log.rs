//! Reading the System Log under a scope: an event is visible when it has at
//! least one target and **every** target lies in the reader's read scope
//! (users by the realm they were in at the time, by id or by current group;
//! groups, apps and realms by id or type). Events about anything else (roles,
//! resource sets, the org) are visible only to readers who see everything.

use serde_json::Value;
use sqlx::Row;

use super::sql::Sql;
use super::users::Page;
use super::{Store, StoreError};
use crate::authz::{ObjectCoverage, Scope, UserCoverage};

/// Filters of the System Log viewer; all given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Exact event type, or a prefix ending in `.` (`user.lifecycle.`).
    pub event_type: Option<String>,
    pub actor_id: Option<String>,
    pub target_id: Option<String>,
    /// RFC 3339 bounds on `published` (inclusive since, exclusive until).
    pub since: Option<String>,
    pub until: Option<String>,
}

/// One stored event: its sequence number and Okta LogEvent JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub seq: i64,
    pub event: Value,
}

impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for LogEntry {
    fn from_row(row: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        let json: String = row.try_get("event_json")?;
        Ok(LogEntry {
            seq: row.try_get("seq")?,
            event: serde_json::from_str(&json).map_err(super::realms::decode)?,
        })
    }
}

impl Scope {
    /// Whether this log scope reads everything (no predicate needed).
    fn reads_everything(&self) -> bool {
        self.users.all && self.groups.all && self.apps.all && self.realms.all
    }

    /// Events (alias `l`) visible under this scope.
    pub(crate) fn log_predicate(&self, sql: &mut Sql) {
        if self.reads_everything() {
            sql.push("1 = 1");
            return;
        }
        sql.push(
            "EXISTS (SELECT 1 FROM system_log_targets lt WHERE lt.seq = l.seq) \
             AND NOT EXISTS (SELECT 1 FROM system_log_targets lt WHERE lt.seq = l.seq AND \
             CASE WHEN (lt.target_type = 'User' AND ",
        );
        user_target_predicate(&self.users, sql);
        sql.push(") OR (lt.target_type = 'UserGroup' AND ");
        id_predicate(&self.groups, sql);
        sql.push(") OR (lt.target_type = 'Realm' AND ");
        id_predicate(&self.realms, sql);
        sql.push(") OR (lt.target_type = 'AppInstance' AND ");
        app_predicate(&self.apps, sql);
        sql.push(") THEN 1 ELSE 0 END = 0)");
    }
}

fn user_target_predicate(c: &UserCoverage, sql: &mut Sql) {
    if c.all {
        sql.push("1 = 1");
        return;
    }
    sql.push("(1 = 0");
    if !c.realms.is_empty() {
        sql.push(" OR lt.realm_id IN ").bind_list(c.realms.iter());
    }
    if !c.users.is_empty() {
        sql.push(" OR lt.target_id IN ").bind_list(c.users.iter());
    }
    if !c.groups.is_empty() {
        sql.push(
            " OR EXISTS (SELECT 1 FROM group_members lgm WHERE lgm.user_id = lt.target_id \
             AND lgm.group_id IN ",
        )
        .bind_list(c.groups.iter())
        .push(")");
    }
    sql.push(")");
}

fn id_predicate<T: Ord + AsRef<str>>(c: &ObjectCoverage<T>, sql: &mut Sql) {
    if c.all {
        sql.push("1 = 1");
    } else if c.ids.is_empty() {
        sql.push("1 = 0");
    } else {
        sql.push("lt.target_id IN ")
            .bind_list(c.ids.iter().map(|id| id.as_ref().to_string()));
    }
}

fn app_predicate<T: Ord + AsRef<str>>(c: &ObjectCoverage<T>, sql: &mut Sql) {
    if c.all || c.types.is_empty() {
        id_predicate(c, sql);
        return;
    }
    sql.push("(");
    id_predicate(c, sql);
    sql.push(" OR lt.target_id IN (SELECT la.id FROM apps la WHERE la.name IN ")
        .bind_list(c.types.iter().map(String::as_str))
        .push("))");
}

impl Store {
    /// Events in `scope` matching `filter`, newest first, `limit` at a time
    /// before the cursor `before` (opaque; the `next` of the previous page).
    pub async fn list_events(
        &self,
        scope: &Scope,
        filter: &LogFilter,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Page<LogEntry>, StoreError> {
        let limit = limit.clamp(1, super::users::MAX_PAGE);
        let mut sql = Sql::new("SELECT l.seq, l.event_json FROM system_log l WHERE ");
        scope.log_predicate(&mut sql);
        if let Some(t) = filter
            .event_type
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if let Some(prefix) = t.strip_suffix('.') {
                sql.push(" AND l.event_type >= ")
                    .bind(format!("{prefix}."))
                    .push(" AND l.event_type < ")
                    .bind(format!("{prefix}/"));
            } else {
                sql.push(" AND l.event_type = ").bind(t.to_string());
            }
        }
        if let Some(actor) = filter.actor_id.as_deref().filter(|a| !a.is_empty()) {
            sql.push(" AND l.actor_id = ").bind(actor.to_string());
        }
        if let Some(target) = filter.target_id.as_deref().filter(|t| !t.is_empty()) {
            sql.push(" AND EXISTS (SELECT 1 FROM system_log_targets ft WHERE ft.seq = l.seq AND ft.target_id = ")
                .bind(target.to_string())
                .push(")");
        }
        if let Some(since) = filter.since.as_deref().filter(|s| !s.is_empty()) {
            sql.push(" AND l.published >= ").bind(since.to_string());
        }
        if let Some(until) = filter.until.as_deref().filter(|s| !s.is_empty()) {
            sql.push(" AND l.published < ").bind(until.to_string());
        }
        if let Some(cursor) = before {
            let seq: i64 = cursor.parse().map_err(|_| {
                StoreError::invalid(
                    "after",
                    "The page cursor is not valid; start from the first page.",
                )
            })?;
            sql.push(" AND l.seq < ").bind(seq);
        }
        sql.push(" ORDER BY l.seq DESC LIMIT ")
            .bind(i64::from(limit) + 1);
        let mut items = sql.query_as::<LogEntry>().fetch_all(&self.pool).await?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|e| e.seq.to_string())
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

/// What a System Log query may compare (Okta's `filter` attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogField {
    Uuid,
    EventType,
    Severity,
    ActorId,
    TargetId,
    OutcomeResult,
    TransactionId,
}

/// One comparison of a System Log query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogCondition {
    Equals(LogField, String),
    /// A prefix (`eventType sw "user.lifecycle."`).
    StartsWith(LogField, String),
}

/// The Management API's System Log query: alternatives of conjunctions
/// (empty: any event), keywords that must all appear (case-insensitive) in
/// the event, and bounds on `published` (inclusive since, exclusive until).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub alternatives: Vec<Vec<LogCondition>>,
    pub keywords: Vec<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

/// The most events one page of the Management API's System Log holds.
pub const MAX_LOG_PAGE: u32 = 1000;

fn log_column(field: LogField) -> &'static str {
    match field {
        LogField::Uuid => "l.uuid",
        LogField::EventType => "l.event_type",
        LogField::Severity => "l.severity",
        LogField::ActorId => "l.actor_id",
        LogField::OutcomeResult => "l.outcome_result",
        LogField::TransactionId => "l.transaction_id",
        LogField::TargetId => "qt.target_id",
    }
}

fn push_condition(c: &LogCondition, sql: &mut Sql) {
    let (field, value, prefix) = match c {
        LogCondition::Equals(f, v) => (*f, v, false),
        LogCondition::StartsWith(f, v) => (*f, v, true),
    };
    let column = log_column(field);
    if field == LogField::TargetId {
        sql.push("EXISTS (SELECT 1 FROM system_log_targets qt WHERE qt.seq = l.seq AND ");
    }
    if prefix {
        // The length is ours (a number), inlined: PostgreSQL's substr takes
        // an integer, not the bigint a bound i64 is.
        sql.push(&format!(
            "substr({column}, 1, {}) = ",
            value.chars().count()
        ))
        .bind(value.clone());
    } else {
        sql.push(&format!("{column} = ")).bind(value.clone());
    }
    if field == LogField::TargetId {
        sql.push(")");
    }
}

/// `%keyword%` for `LIKE … ESCAPE '\'`, lower-cased.
fn like_pattern(keyword: &str) -> String {
    let mut pattern = String::from("%");
    for c in keyword.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// Events in `scope` (exactly as [`Store::list_events`]) matching
    /// `query`, `limit` (at most [`MAX_LOG_PAGE`]) at a time: oldest first
    /// after the cursor `after`, or newest first before it when `descending`.
    /// The cursor is opaque (an event's sequence number); `next` is set when
    /// more events follow.
    pub async fn read_events(
        &self,
        scope: &Scope,
        query: &LogQuery,
        after: Option<&str>,
        descending: bool,
        limit: u32,
    ) -> Result<Page<LogEntry>, StoreError> {
        let limit = limit.clamp(1, MAX_LOG_PAGE);
        let mut sql = Sql::new("SELECT l.seq, l.event_json FROM system_log l WHERE ");
        scope.log_predicate(&mut sql);
        if !query.alternatives.is_empty() {
            sql.push(" AND (");
            for (i, all) in query.alternatives.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                sql.push("(1 = 1");
                for c in all {
                    sql.push(" AND ");
                    push_condition(c, &mut sql);
                }
                sql.push(")");
            }
            sql.push(")");
        }
        for keyword in query.keywords.iter().filter(|k| !k.is_empty()) {
            sql.push(" AND LOWER(l.event_json) LIKE ")
                .bind(like_pattern(keyword))
                .push(" ESCAPE '\\'");
        }
        if let Some(since) = query.since.as_deref().filter(|s| !s.is_empty()) {
            sql.push(" AND l.published >= ").bind(since.to_string());
        }
        if let Some(until) = query.until.as_deref().filter(|s| !s.is_empty()) {
            sql.push(" AND l.published < ").bind(until.to_string());
        }
        if let Some(cursor) = after.filter(|a| !a.is_empty()) {
            let seq: i64 = cursor.parse().map_err(|_| {
                StoreError::invalid(
                    "after",
                    "The page cursor is not valid; start from the first page.",
                )
            })?;
            sql.push(if descending {
                " AND l.seq < "
            } else {
                " AND l.seq > "
            })
            .bind(seq);
        }
        sql.push(if descending {
            " ORDER BY l.seq DESC LIMIT "
        } else {
            " ORDER BY l.seq LIMIT "
        })
        .bind(i64::from(limit) + 1);
        let mut items = sql.query_as::<LogEntry>().fetch_all(&self.pool).await?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|e| e.seq.to_string())
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

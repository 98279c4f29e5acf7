//! Every place where SQLite and PostgreSQL need different SQL, as named
//! functions of the engine. The rest of the store has one SQL text for both;
//! a new engine difference (SCIM filters, Okta `search=` expressions) belongs
//! here, next to its twin, and nowhere else.
//!
//! What differs: substring search (FTS5 trigram vs pg_trgm), JSON access
//! (`json_each`/`json_extract` vs `jsonb`), how a unique violation is named,
//! and the bulk generator's SQL (recursive CTE vs `generate_series`, and the
//! catalogue each engine describes its indexes in).

use sqlx::Any;

use super::sql::Sql;
use super::{Engine, StoreError};
use crate::authz::Scope;

/// Appends ` AND u.id IN (…)`: users of `scope` whose login, email, first or
/// last name contains `term` (at least 3 characters), capped at `cap`
/// within the scope. Index-backed on both engines: FTS5 trigram on SQLite,
/// pg_trgm GIN under the database's default collation on PostgreSQL (so that
/// ILIKE folds non-ASCII case as the trigram tokenizer does).
pub(super) fn push_substring_search(
    engine: Engine,
    sql: &mut Sql,
    scope: &Scope,
    term: &str,
    cap: i64,
) {
    match engine {
        Engine::Sqlite => {
            let quoted = format!("\"{}\"", term.replace('"', "\"\""));
            sql.push(
                " AND u.id IN (SELECT k.user_id FROM users_fts f \
                 JOIN users_fts_rowids k ON k.rowid = f.rowid JOIN users s ON s.id = k.user_id \
                 WHERE users_fts MATCH ",
            )
            .bind(quoted)
            .push(" AND ");
        }
        Engine::Postgres => {
            let escaped = term
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = format!("%{escaped}%");
            sql.push(
                " AND u.id IN (SELECT s.id FROM users s WHERE (s.login COLLATE \"default\" ILIKE ",
            )
            .bind(pattern.clone())
            .push(" OR s.email COLLATE \"default\" ILIKE ")
            .bind(pattern.clone())
            .push(" OR s.first_name COLLATE \"default\" ILIKE ")
            .bind(pattern.clone())
            .push(" OR s.last_name COLLATE \"default\" ILIKE ")
            .bind(pattern)
            .push(") AND ");
        }
    }
    scope.users_predicate(sql, "s");
    sql.push(&format!(" LIMIT {cap})"));
}

/// A predicate: the JSON array in text column `column` contains the string
/// bound at `$1`.
pub(super) fn json_array_contains(engine: Engine, column: &str) -> String {
    match engine {
        Engine::Sqlite => {
            format!("EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = $1)")
        }
        Engine::Postgres => format!("(({column})::jsonb @> jsonb_build_array(CAST($1 AS TEXT)))"),
    }
}

/// A predicate: the JSON object in text column `column` has no (or a null)
/// member `member`; with the value to bind at `$1`.
pub(super) fn json_member_missing(engine: Engine, column: &str, member: &str) -> (String, String) {
    match engine {
        Engine::Sqlite => (
            format!("json_extract({column}, $1) IS NULL"),
            format!("$.{member}"),
        ),
        Engine::Postgres => (
            format!("({column}::jsonb -> $1) IS NULL"),
            member.to_string(),
        ),
    }
}

/// The unique (and check) constraints the store turns into field errors.
/// PostgreSQL reports a violated index by its name; SQLite names it in the
/// message, as `index 'name'` for an expression index and as `table.column`
/// for a plain column. The schema-parity test checks every spelling against
/// both catalogues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    UsersLogin,
    GroupsName,
    RealmsName,
    RolesLabel,
    ResourceSetsLabel,
    IdentityProvidersName,
    AppsSignOnMode,
}

impl Constraint {
    pub const ALL: &'static [Constraint] = &[
        Constraint::UsersLogin,
        Constraint::GroupsName,
        Constraint::RealmsName,
        Constraint::RolesLabel,
        Constraint::ResourceSetsLabel,
        Constraint::IdentityProvidersName,
        Constraint::AppsSignOnMode,
    ];

    /// How `engine` names a violation of this constraint: PostgreSQL's
    /// constraint name, or text that SQLite's message contains.
    pub fn spelling(self, engine: Engine) -> &'static str {
        use Constraint as C;
        match (self, engine) {
            (C::UsersLogin, Engine::Postgres) => "users_login_key",
            (C::UsersLogin, Engine::Sqlite) => "users.login_lower",
            (C::GroupsName, _) => "groups_name_key",
            (C::RealmsName, _) => "realms_name_key",
            (C::RolesLabel, _) => "roles_label_key",
            (C::ResourceSetsLabel, _) => "resource_sets_label_key",
            (C::IdentityProvidersName, _) => "identity_providers_name_key",
            // PostgreSQL: `apps_sign_on_mode_check`; SQLite: `CHECK constraint failed: sign_on_mode …`.
            (C::AppsSignOnMode, _) => "sign_on_mode",
        }
    }

    /// The form field a violation is reported on, and what it says.
    pub(super) fn field_error(self) -> (&'static str, &'static str) {
        use Constraint as C;
        match self {
            C::UsersLogin => ("login", "This username is already taken."),
            C::GroupsName => ("name", "A group with this name already exists."),
            C::RealmsName => ("name", "A realm with this name already exists."),
            C::RolesLabel => ("label", "A role with this label already exists."),
            C::ResourceSetsLabel => ("label", "A resource set with this label already exists."),
            C::IdentityProvidersName => ("name", "An identity provider with this name exists."),
            C::AppsSignOnMode => ("signOnMode", "Choose a supported sign-on mode."),
        }
    }

    /// Whether the driver error `db` is a violation of this constraint.
    pub(super) fn matches(self, db: &dyn sqlx::error::DatabaseError) -> bool {
        let name = db.constraint().unwrap_or("");
        let message = db.message();
        [Engine::Postgres, Engine::Sqlite]
            .into_iter()
            .any(|engine| {
                let spelling = self.spelling(engine);
                name == spelling || message.contains(spelling)
            })
    }
}

/// Bulk generation: the connection's page cache while importing (`Some` only
/// where the engine has one to grow) and the setting to restore after.
pub(super) fn bulk_cache_size(engine: Engine, importing: bool) -> Option<&'static str> {
    match engine {
        Engine::Sqlite if importing => Some("PRAGMA cache_size = -524288"),
        Engine::Sqlite => Some("PRAGMA cache_size = -2000"),
        Engine::Postgres => None,
    }
}

/// `(name, definition)` of the secondary indexes of the bulk-loaded tables
/// (not those backing primary keys or constraints), from the engine's catalogue.
pub(super) fn secondary_indexes(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => {
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             AND tbl_name IN ('users', 'group_members', 'app_user_assignments')"
        }
        Engine::Postgres => {
            "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename IN ('users', 'group_members', 'app_user_assignments') \
             AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        }
    }
}

/// Whether a bulk import inserts all its users in one statement sorted by id
/// (SQLite: the primary key's B-tree then grows at its end) when it rebuilds
/// the indexes afterwards.
pub(super) fn bulk_insert_in_one_statement(engine: Engine) -> bool {
    engine == Engine::Sqlite
}

/// SQLite feeds its search index row by row from a trigger: a large import
/// drops it and returns its definition (`None` where there is none to suspend).
pub(super) async fn suspend_search_feed(
    engine: Engine,
    tx: &mut sqlx::Transaction<'static, Any>,
) -> Result<Option<String>, StoreError> {
    if engine != Engine::Sqlite {
        return Ok(None);
    }
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'users_fts_insert'",
    )
    .fetch_optional(&mut **tx)
    .await?;
    if found.is_some() {
        sqlx::query("DROP TRIGGER users_fts_insert")
            .execute(&mut **tx)
            .await?;
    }
    Ok(found.map(|(sql,)| sql))
}

/// Indexes the users created at `created` in one pass and restores the
/// trigger `suspend_search_feed` dropped.
pub(super) async fn resume_search_feed(
    tx: &mut sqlx::Transaction<'static, Any>,
    trigger: &str,
    created: &str,
) -> Result<(), StoreError> {
    // Rowids in id order, then the index fed in rowid order (FTS5 appends
    // ascending rowids cheaply), through the same view it reads from.
    let (before,): (i64,) = sqlx::query_as("SELECT coalesce(max(rowid), 0) FROM users_fts_rowids")
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO users_fts_rowids (user_id) SELECT id FROM users WHERE created = $1 ORDER BY id",
    )
    .bind(created)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO users_fts (rowid, login, email, first_name, last_name) \
         SELECT fts_rowid, login, email, first_name, last_name FROM users_fts_content \
         WHERE fts_rowid > $1 ORDER BY fts_rowid",
    )
    .bind(before)
    .execute(&mut **tx)
    .await?;
    sqlx::query(trigger).execute(&mut **tx).await?;
    Ok(())
}

/// Bulk generation: the three `INSERT … SELECT` statements that give the users
/// created at `$1` their memberships and direct assignments, from characters
/// of their random ids. `$2` is, in turn, the JSON object realm id → that
/// realm's groups (three each), the JSON array of `shared` groups, and the JSON
/// array of `apps`.
pub(super) fn generated_assignments_sql(engine: Engine, shared: usize, apps: usize) -> [String; 3] {
    let sqlite = engine == Engine::Sqlite;
    let code = if sqlite { "unicode" } else { "ascii" };
    let lookup = if sqlite {
        "json_extract($2, '$.\"' || u.realm_id || '\"[' || (unicode(substr(u.id, 4, 1)) % 3) || ']')"
    } else {
        "(CAST($2 AS TEXT)::jsonb -> u.realm_id ->> (ascii(substr(u.id, 4, 1)) % 3))"
    };
    let list = |pos: u8, len: usize| {
        if sqlite {
            format!("json_extract($2, '$[' || (unicode(substr(u.id, {pos}, 1)) % {len}) || ']')")
        } else {
            format!("(CAST($2 AS TEXT)::jsonb ->> (ascii(substr(u.id, {pos}, 1)) % {len}))")
        }
    };
    [
        format!(
            "INSERT INTO group_members (group_id, user_id, created) \
             SELECT {lookup}, u.id, $1 FROM users u WHERE u.created = $1"
        ),
        format!(
            "INSERT INTO group_members (group_id, user_id, created) \
             SELECT {}, u.id, $1 FROM users u WHERE u.created = $1 AND {code}(substr(u.id, 5, 1)) % 5 = 0",
            list(6, shared)
        ),
        format!(
            "INSERT INTO app_user_assignments (app_id, user_id, created) \
             SELECT {}, u.id, $1 FROM users u WHERE u.created = $1 AND {code}(substr(u.id, 7, 1)) % 10 = 0",
            list(8, apps)
        ),
    ]
}

/// `INSERT … SELECT` generating users `$1..=$2`: `$3` realms `[{id, domain}]`,
/// `$4`/`$5` first/last names, `$6` the timestamp, `$7` the realm count.
pub(super) fn generated_users_sql(engine: Engine) -> String {
    let status = "CASE WHEN (i * 40503) % 100 < 85 THEN 'ACTIVE' WHEN (i * 40503) % 100 < 90 THEN 'STAGED' \
        WHEN (i * 40503) % 100 < 94 THEN 'SUSPENDED' WHEN (i * 40503) % 100 < 97 THEN 'DEPROVISIONED' \
        WHEN (i * 40503) % 100 < 99 THEN 'PROVISIONED' ELSE 'LOCKED_OUT' END";
    let columns = "INSERT INTO users (id, realm_id, status, login, login_lower, email, first_name, last_name, \
        custom_profile, created, activated, status_changed, last_updated, version) ";
    let tail = "st, login, login, login, fname, lname, '{}', $6, \
        CASE WHEN st IN ('STAGED', 'PROVISIONED') THEN NULL ELSE $6 END, $6, $6, 1";
    match engine {
        Engine::Sqlite => format!(
            "WITH RECURSIVE seq(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM seq WHERE i < $2) {columns}\
             SELECT '00u' || substr(lower(hex(randomblob(9))), 1, 17), json_extract($3, '$[' || r || '].id'), {tail} \
             FROM (SELECT i, r, st, fname, lname, \
                   lower(fname) || '.' || lower(lname) || i || '@' || json_extract($3, '$[' || r || '].domain') AS login \
                   FROM (SELECT i, (i * 2654435761) % $7 AS r, {status} AS st, \
                         json_extract($4, '$[' || ((i * 7919 + 17) % 48) || ']') AS fname, \
                         json_extract($5, '$[' || (((i * 104729) / 48) % 48) || ']') AS lname FROM seq)) \
             ORDER BY 1"
        ),
        Engine::Postgres => format!(
            "{columns}\
             SELECT '00u' || substr(md5(random()::text || i::text), 1, 17), (CAST($3 AS TEXT)::jsonb -> r ->> 'id'), {tail} \
             FROM (SELECT i, r, st, fname, lname, \
                   lower(fname) || '.' || lower(lname) || i::text || '@' || (CAST($3 AS TEXT)::jsonb -> r ->> 'domain') AS login \
                   FROM (SELECT i, ((i * 2654435761) % $7)::int AS r, {status} AS st, \
                         (CAST($4 AS TEXT)::jsonb ->> ((i * 7919 + 17) % 48)::int) AS fname, \
                         (CAST($5 AS TEXT)::jsonb ->> (((i * 104729) / 48) % 48)::int) AS lname \
                         FROM generate_series(CAST($1 AS BIGINT), CAST($2 AS BIGINT)) AS i) a) b"
        ),
    }
}

//! The two migration sets describe one schema: both are applied to fresh
//! databases, each catalogue is read and normalised (type families, nullability,
//! primary keys, unique and plain indexes with their keys and predicates,
//! foreign keys with their delete action), and the two descriptions must be
//! equal except for the differences listed in `KNOWN`. The constraint
//! spellings `map_constraint` relies on are checked against both catalogues.

use std::collections::{BTreeMap, BTreeSet};

use app::store::{Constraint, Engine, Store, StoreOptions};
use sqlx::{AnyConnection, Connection, Row};

/// Tables, views and indexes that exist on one engine only, and why.
const KNOWN: &[(&str, &str)] = &[
    // sqlx's own bookkeeping: present on both, but not our schema.
    ("_sqlx_migrations", "sqlx's migration table"),
    // SQLite's substring search is an FTS5 external-content index: the virtual
    // table, its shadow tables, the stable-rowid table it needs, and the view
    // it reads from. PostgreSQL searches the users table itself through pg_trgm.
    ("users_fts", "FTS5 virtual table (SQLite search)"),
    ("users_fts_config", "FTS5 shadow table"),
    ("users_fts_data", "FTS5 shadow table"),
    ("users_fts_docsize", "FTS5 shadow table"),
    ("users_fts_idx", "FTS5 shadow table"),
    (
        "users_fts_rowids",
        "stable integer rowids for FTS5 (SQLite search)",
    ),
    (
        "users_fts_content",
        "view FTS5 reads its content through (SQLite search)",
    ),
    // PostgreSQL's substring search: a GIN trigram index over users.
    ("users_search_trgm", "pg_trgm index (PostgreSQL search)"),
];

/// Migrations present in one set only, and why.
const SQLITE_ONLY_MIGRATIONS: &[(i64, &str)] = &[(
    8,
    "0008_search_email_once rebuilds the FTS5 view and triggers; pg_trgm has no equivalent",
)];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    family: &'static str,
    nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    table: String,
    /// The index's own name; `None` when a table constraint created it.
    name: Option<String>,
    unique: bool,
    keys: Vec<String>,
    predicate: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    table: String,
    columns: Vec<String>,
    references: String,
    referenced: Vec<String>,
    on_delete: String,
}

#[derive(Debug, Default)]
struct Schema {
    tables: BTreeSet<String>,
    views: BTreeSet<String>,
    columns: BTreeMap<(String, String), Column>,
    primary_keys: BTreeMap<String, Vec<String>>,
    indexes: BTreeSet<Index>,
    foreign_keys: BTreeSet<ForeignKey>,
    /// Check constraints (PostgreSQL: names; SQLite: the tables' SQL text).
    checks: Vec<String>,
    migrations: BTreeSet<i64>,
}

fn known(name: &str) -> bool {
    KNOWN.iter().any(|(n, _)| *n == name)
}

/// Lower case, no whitespace, no quotes: `lower( "name" )` → `lower(name)`.
fn normalise(expr: &str) -> String {
    // PostgreSQL prints the casts it infers for string literals
    // (`status = 'QUEUED'::text`); SQLite has none.
    expr.replace("::text", "")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"' && *c != '`')
        .flat_map(char::to_lowercase)
        .collect()
}

fn split_top_level(list: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in list.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(normalise(&current));
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(normalise(&current));
    parts
}

/// The key list and predicate of a `CREATE INDEX … ON t (keys) [WHERE p]`.
fn parse_index_sql(sql: &str) -> (Vec<String>, String) {
    let Some(open) = sql.find('(') else {
        return (Vec::new(), String::new());
    };
    let mut depth = 0;
    let mut close = sql.len();
    for (i, c) in sql[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    close = open + i;
                    break;
                }
            }
            _ => {}
        }
    }
    let keys = split_top_level(&sql[open + 1..close]);
    let rest = &sql[close + 1..];
    let predicate = rest
        .to_ascii_uppercase()
        .find("WHERE")
        .map(|at| normalise(&rest[at + 5..]))
        .unwrap_or_default();
    (keys, predicate)
}

fn sqlite_on_delete(action: &str) -> String {
    match action {
        "NO ACTION" => "no action".into(),
        other => other.to_lowercase(),
    }
}

fn postgres_on_delete(code: &str) -> String {
    match code {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        _ => "unknown",
    }
    .into()
}

fn migration_versions(dir: &str) -> BTreeSet<i64> {
    let path = format!("{}/../migrations/{dir}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.split('_').next()?.parse().ok()
        })
        .collect()
}

async fn sqlite_schema(conn: &mut AnyConnection) -> Schema {
    let mut schema = Schema {
        migrations: migration_versions("sqlite"),
        ..Schema::default()
    };
    let objects = sqlx::query(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' AND type IN ('table', 'view') ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("sqlite_master");
    for row in objects {
        let kind: String = row.get(0);
        let name: String = row.get(1);
        let sql: String = row.get(3);
        if kind == "view" {
            schema.views.insert(name);
            continue;
        }
        if sql.to_uppercase().contains("VIRTUAL TABLE") || known(&name) {
            schema.tables.insert(name);
            continue;
        }
        schema.checks.push(sql.clone());
        let flat = normalise(&sql);
        let columns = sqlx::query(
            "SELECT name, upper(type), \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .expect("pragma_table_info");
        let mut pk: Vec<(i64, String)> = Vec::new();
        for c in columns {
            let column: String = c.get(0);
            let declared: String = c.get(1);
            let not_null: i64 = c.get(2);
            let pk_position: i64 = c.get(3);
            // Booleans are INTEGER here, constrained to 0/1.
            let boolean = flat.contains(&format!("check({column}in(0,1))"));
            let family = match declared.as_str() {
                "INTEGER" if boolean => "boolean",
                "INTEGER" => "integer",
                "TEXT" => "text",
                "REAL" => "real",
                _ => "unknown",
            };
            if pk_position > 0 {
                pk.push((pk_position, column.clone()));
            }
            schema.columns.insert(
                (name.clone(), column),
                Column {
                    family,
                    nullable: not_null == 0,
                },
            );
        }
        pk.sort();
        if !pk.is_empty() {
            schema
                .primary_keys
                .insert(name.clone(), pk.into_iter().map(|(_, c)| c).collect());
        }
        let indexes = sqlx::query(
            "SELECT l.name, l.\"unique\", l.origin, coalesce(m.sql, '') FROM pragma_index_list($1) l \
             LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .expect("pragma_index_list");
        for i in indexes {
            let index: String = i.get(0);
            let unique: i64 = i.get(1);
            let origin: String = i.get(2);
            let sql: String = i.get(3);
            if origin == "pk" {
                continue;
            }
            let (keys, predicate) = if origin == "c" {
                parse_index_sql(&sql)
            } else {
                let keys = sqlx::query(
                    "SELECT coalesce(name, '') FROM pragma_index_info($1) ORDER BY seqno",
                )
                .bind(&index)
                .fetch_all(&mut *conn)
                .await
                .expect("pragma_index_info")
                .iter()
                .map(|k| normalise(&k.get::<String, _>(0)))
                .collect();
                (keys, String::new())
            };
            schema.indexes.insert(Index {
                table: name.clone(),
                name: (origin == "c").then_some(index),
                unique: unique != 0,
                keys,
                predicate,
            });
        }
        let fks = sqlx::query(
            "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list($1) \
             ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .expect("pragma_foreign_key_list");
        let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for f in fks {
            let id: i64 = f.get(0);
            let entry = by_id.entry(id).or_insert_with(|| ForeignKey {
                table: name.clone(),
                columns: Vec::new(),
                references: f.get(1),
                referenced: Vec::new(),
                on_delete: sqlite_on_delete(&f.get::<String, _>(4)),
            });
            entry.columns.push(f.get(2));
            entry.referenced.push(f.get(3));
        }
        schema.foreign_keys.extend(by_id.into_values());
        schema.tables.insert(name);
    }
    schema
}

async fn postgres_schema(conn: &mut AnyConnection) -> Schema {
    let mut schema = Schema {
        migrations: migration_versions("postgres"),
        ..Schema::default()
    };
    for row in sqlx::query(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("pg_tables")
    {
        schema.tables.insert(row.get(0));
    }
    for row in sqlx::query(
        "SELECT viewname::text FROM pg_views WHERE schemaname = current_schema() ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("pg_views")
    {
        schema.views.insert(row.get(0));
    }
    for row in sqlx::query(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable::text \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("information_schema.columns")
    {
        let data_type: String = row.get(2);
        let family = match data_type.as_str() {
            "text" | "character varying" => "text",
            "bigint" | "integer" | "smallint" => "integer",
            "boolean" => "boolean",
            "real" | "double precision" => "real",
            _ => "unknown",
        };
        let nullable: String = row.get(3);
        schema.columns.insert(
            (row.get(0), row.get(1)),
            Column {
                family,
                nullable: nullable == "YES",
            },
        );
    }
    for row in sqlx::query(
        "SELECT tc.table_name::text, string_agg(k.column_name::text, ',' ORDER BY k.ordinal_position) \
         FROM information_schema.table_constraints tc \
         JOIN information_schema.key_column_usage k \
           ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name \
         WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'PRIMARY KEY' \
         GROUP BY tc.table_name",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("primary keys")
    {
        let columns: String = row.get(1);
        schema.primary_keys.insert(
            row.get(0),
            columns.split(',').map(str::to_string).collect(),
        );
    }
    for row in sqlx::query(
        "SELECT t.relname::text, i.relname::text, x.indisunique, \
           (SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), '\u{1f}' ORDER BY k) \
            FROM generate_series(1, x.indnkeyatts::int) k), \
           coalesce(pg_get_expr(x.indpred, x.indrelid, true), ''), \
           EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND NOT x.indisprimary",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("pg_index")
    {
        let name: String = row.get(1);
        let keys: String = row.get(3);
        let predicate: String = row.get(4);
        let from_constraint: bool = row.get(5);
        schema.indexes.insert(Index {
            table: row.get(0),
            name: (!from_constraint).then_some(name),
            unique: row.get(2),
            keys: keys.split('\u{1f}').map(normalise).collect(),
            predicate: normalise(predicate.trim_start_matches('(').trim_end_matches(')')),
        });
    }
    for row in sqlx::query(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, \
           (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(att, ord) \
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att), \
           (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(att, ord) \
            JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.att), \
           c.confdeltype::text \
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         WHERE c.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("foreign keys")
    {
        let columns: String = row.get(2);
        let referenced: String = row.get(3);
        schema.foreign_keys.insert(ForeignKey {
            table: row.get(0),
            columns: columns.split(',').map(str::to_string).collect(),
            references: row.get(1),
            referenced: referenced.split(',').map(str::to_string).collect(),
            on_delete: postgres_on_delete(&row.get::<String, _>(4)),
        });
    }
    for row in sqlx::query(
        "SELECT c.conname::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         WHERE c.contype IN ('c', 'u') AND n.nspname = current_schema()",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("check constraints")
    {
        schema.checks.push(row.get(0));
    }
    schema
}

/// A fresh, migrated database of each engine, and a connection to read its catalogue.
enum Cleanup {
    Sqlite(tempfile::TempDir),
    Postgres { admin: String, name: String },
}

impl Cleanup {
    async fn run(self) {
        match self {
            Cleanup::Sqlite(dir) => drop(dir),
            Cleanup::Postgres { admin, name } => {
                if let Ok(mut conn) = AnyConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            }
        }
    }
}

async fn migrated(engine: Engine) -> (AnyConnection, Cleanup) {
    sqlx::any::install_default_drivers();
    match engine {
        Engine::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/parity.db?mode=rwc", dir.path().display());
            let store = Store::connect(&url, &StoreOptions::default())
                .await
                .expect("open sqlite");
            store.migrate().await.expect("migrate sqlite");
            store.close().await;
            let conn = AnyConnection::connect(&url).await.expect("connect sqlite");
            (conn, Cleanup::Sqlite(dir))
        }
        Engine::Postgres => {
            let admin = std::env::var("PORTAL_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
            let name = format!("pp_parity_{}", uuid::Uuid::new_v4().simple());
            let mut conn = AnyConnection::connect(&admin).await.expect("postgres");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create database");
            conn.close().await.ok();
            let (base, _) = admin.rsplit_once('/').expect("admin URL has a database");
            let url = format!("{base}/{name}");
            let store = Store::connect(&url, &StoreOptions::default())
                .await
                .expect("open postgres");
            store.migrate().await.expect("migrate postgres");
            store.close().await;
            let conn = AnyConnection::connect(&url)
                .await
                .expect("connect postgres");
            (conn, Cleanup::Postgres { admin, name })
        }
    }
}

fn without_known<T: Clone + Ord>(set: &BTreeSet<T>, name: impl Fn(&T) -> &str) -> BTreeSet<T> {
    set.iter().filter(|x| !known(name(x))).cloned().collect()
}

fn difference<T: Clone + Ord + std::fmt::Debug>(
    what: &str,
    sqlite: &BTreeSet<T>,
    postgres: &BTreeSet<T>,
) -> Vec<String> {
    let mut out = Vec::new();
    for x in sqlite.difference(postgres) {
        out.push(format!("{what} only on SQLite: {x:?}"));
    }
    for x in postgres.difference(sqlite) {
        out.push(format!("{what} only on PostgreSQL: {x:?}"));
    }
    out
}

fn compare(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut drift = Vec::new();
    drift.extend(difference(
        "table",
        &without_known(&sqlite.tables, |t| t.as_str()),
        &without_known(&postgres.tables, |t| t.as_str()),
    ));
    drift.extend(difference(
        "view",
        &without_known(&sqlite.views, |t| t.as_str()),
        &without_known(&postgres.views, |t| t.as_str()),
    ));
    let columns = |s: &Schema| -> BTreeSet<(String, String, Column)> {
        s.columns
            .iter()
            .filter(|((t, _), _)| !known(t))
            .map(|((t, c), col)| (t.clone(), c.clone(), col.clone()))
            .collect()
    };
    drift.extend(difference("column", &columns(sqlite), &columns(postgres)));
    let pks = |s: &Schema| -> BTreeSet<(String, Vec<String>)> {
        s.primary_keys
            .iter()
            .filter(|(t, _)| !known(t))
            .map(|(t, c)| (t.clone(), c.clone()))
            .collect()
    };
    drift.extend(difference("primary key", &pks(sqlite), &pks(postgres)));
    let indexes = |s: &Schema| -> BTreeSet<Index> {
        s.indexes
            .iter()
            .filter(|i| !known(&i.table) && !i.name.as_deref().is_some_and(known))
            .cloned()
            .collect()
    };
    drift.extend(difference("index", &indexes(sqlite), &indexes(postgres)));
    let fks = |s: &Schema| -> BTreeSet<ForeignKey> {
        s.foreign_keys
            .iter()
            .filter(|f| !known(&f.table))
            .cloned()
            .collect()
    };
    drift.extend(difference("foreign key", &fks(sqlite), &fks(postgres)));
    let sqlite_only: BTreeSet<i64> = SQLITE_ONLY_MIGRATIONS.iter().map(|(v, _)| *v).collect();
    let sqlite_versions: BTreeSet<i64> = sqlite
        .migrations
        .difference(&sqlite_only)
        .copied()
        .collect();
    drift.extend(difference(
        "migration",
        &sqlite_versions,
        &postgres.migrations,
    ));
    drift
}

/// Where `map_constraint` looks for `constraint` on `engine`, the catalogue has it.
fn spelling_exists(schema: &Schema, constraint: Constraint, engine: Engine) -> bool {
    let spelling = constraint.spelling(engine);
    let unique_index = schema
        .indexes
        .iter()
        .any(|i| i.unique && i.name.as_deref() == Some(spelling));
    let in_check = schema.checks.iter().any(|c| c.contains(spelling));
    let column_unique = spelling.split_once('.').is_some_and(|(table, column)| {
        schema
            .indexes
            .iter()
            .any(|i| i.unique && i.table == table && i.keys == [column.to_string()])
    });
    unique_index || in_check || column_unique
}

#[tokio::test]
async fn both_migration_sets_describe_the_same_schema() {
    let (mut sqlite_conn, drop_sqlite) = migrated(Engine::Sqlite).await;
    let (mut postgres_conn, drop_postgres) = migrated(Engine::Postgres).await;
    let sqlite = sqlite_schema(&mut sqlite_conn).await;
    let postgres = postgres_schema(&mut postgres_conn).await;
    sqlite_conn.close().await.ok();
    postgres_conn.close().await.ok();
    drop_sqlite.run().await;
    drop_postgres.run().await;

    assert!(
        sqlite.tables.contains("users") && postgres.tables.contains("users"),
        "catalogues read: {:?} / {:?}",
        sqlite.tables,
        postgres.tables
    );
    assert!(
        sqlite.indexes.len() > 20 && postgres.indexes.len() > 20,
        "indexes read"
    );
    assert!(
        sqlite.foreign_keys.len() > 10 && postgres.foreign_keys.len() > 10,
        "foreign keys read"
    );
    let drift = compare(&sqlite, &postgres);
    assert!(drift.is_empty(), "schema drift:\n{}", drift.join("\n"));

    let mut missing = Vec::new();
    for constraint in Constraint::ALL {
        for (engine, schema) in [(Engine::Sqlite, &sqlite), (Engine::Postgres, &postgres)] {
            if !spelling_exists(schema, *constraint, engine) {
                missing.push(format!(
                    "{constraint:?} on {engine:?}: '{}'",
                    constraint.spelling(engine)
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "constraint spellings map_constraint matches but the schema lacks:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_comparison_notices_a_column_an_index_or_a_unique_on_one_side() {
    let column = |nullable| Column {
        family: "text",
        nullable,
    };
    let base = || {
        let mut s = Schema::default();
        s.tables.insert("t".into());
        s.columns.insert(("t".into(), "a".into()), column(false));
        s.indexes.insert(Index {
            table: "t".into(),
            name: Some("t_a".into()),
            unique: false,
            keys: vec!["a".into()],
            predicate: String::new(),
        });
        s
    };
    assert!(compare(&base(), &base()).is_empty());

    let mut extra_column = base();
    extra_column
        .columns
        .insert(("t".into(), "b".into()), column(true));
    assert_eq!(compare(&extra_column, &base()).len(), 1);

    let mut nullable = base();
    nullable
        .columns
        .insert(("t".into(), "a".into()), column(true));
    assert_eq!(compare(&base(), &nullable).len(), 2);

    let mut unique = base();
    unique.indexes = unique
        .indexes
        .into_iter()
        .map(|i| Index { unique: true, ..i })
        .collect();
    assert_eq!(compare(&unique, &base()).len(), 2);

    let mut extra_index = base();
    extra_index.indexes.insert(Index {
        table: "t".into(),
        name: None,
        unique: true,
        keys: vec!["lower(a)".into()],
        predicate: String::new(),
    });
    assert_eq!(compare(&base(), &extra_index).len(), 1);
}

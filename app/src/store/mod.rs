//! The shared directory database: one store API over SQLite (embedded default)
//! and PostgreSQL, through sqlx's `Any` driver so that one SQL text serves both
//! engines. Where the engines need different SQL, the difference lives in
//! `dialect` (named functions of the `Engine`, including how each names a
//! violated constraint) and in the two migration sets, whose schemas the
//! schema-parity test compares. The only other engine branches are connection
//! setup here (`Store::connect`: pool sizes, SQLite's pragmas and WAL
//! checkpointer) and the choice of migrations.
//!
//! The pool is private to this module. Reads take a `Scope` and writes a `Grant`
//! (both constructed only by `authz`); each write demands from its grant the
//! permission it implements (`demand`) and refuses a grant minted for another
//! operation. A write runs in one transaction that holds the System Log's
//! chain lock and appends its events before committing (`Store::write`).
//! Driver errors are mapped to `StoreError` here and never leave as text.

pub mod admin;
pub mod api_tokens;
pub mod audit;
pub(crate) mod clock;
pub mod commit;
pub mod credentials;
mod demand;
mod dialect;
mod error;
pub mod groups;
pub mod idp_sync;
pub mod idps;
pub mod imports;
pub mod leases;
pub mod limits;
pub mod log;
mod lookup;
pub mod oauth;
pub mod org_signin;
pub mod profiles;
pub mod provisioning;
pub mod realms;
pub mod rights;
pub mod rules;
mod scope_sql;
pub mod seed;
pub mod sessions;
mod settings;
pub mod setup;
mod sql;
pub mod users;
pub mod wizard;

pub use clock::now_millis as clock_now_millis;
pub use dialect::Constraint;
pub use error::StoreError;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// A write transaction holding the System Log's chain lock.
pub(crate) type WriteTx = sqlx::Transaction<'static, sqlx::Any>;

/// Begins a write transaction on `writer` and takes the System Log's chain
/// lock first (see `Store::begin_write`).
async fn begin_write_on(writer: &AnyPool) -> Result<WriteTx, StoreError> {
    let mut tx = writer.begin().await?;
    sqlx::query("UPDATE system_log_head SET last_seq = last_seq WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Which database engine a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine named by a database URL's scheme.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(StoreError::Config(format!(
                "database URL must start with sqlite:// or postgres:// (got scheme '{scheme}')"
            ))),
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Self::Sqlite => &SQLITE_MIGRATIONS,
            Self::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    /// SQLite `synchronous` pragma: FULL (default, durable) or NORMAL.
    pub sqlite_synchronous: SqliteSync,
    pub busy_timeout: Duration,
    /// Where admin-configured identity providers may be (development allows
    /// plain http on loopback addresses).
    pub outbound: crate::outbound::OutboundPolicy,
    /// How long an instance holds a running operation or import between two
    /// renewals (see [`leases`]).
    pub job_lease: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSync {
    Full,
    Normal,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            sqlite_synchronous: SqliteSync::Full,
            busy_timeout: Duration::from_secs(5),
            outbound: crate::outbound::OutboundPolicy::STRICT,
            job_lease: Duration::from_secs(30),
        }
    }
}

/// Handle to the directory database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Where write transactions run (see `connect`).
    writer: AnyPool,
    engine: Engine,
    pub(crate) outbound: crate::outbound::OutboundPolicy,
    /// This process's lease on the background work it runs.
    lease: leases::Lease,
    /// Sessions loaded by requests in flight, for their save (see `sessions`).
    loaded_sessions: std::sync::Arc<sessions::LoadedSessions>,
    /// The queue of grouped writes (see `commit`).
    group_commit: std::sync::Arc<commit::GroupCommit>,
    /// SQLite: the background WAL checkpointer, stopped with the last handle.
    _checkpoints: Option<std::sync::Arc<Checkpoints>>,
}

/// SQLite's WAL is copied back into the database file by this task rather
/// than by whichever commit crosses the auto-checkpoint size: that commit
/// would wait for the copy and its fsync (the slowest writes' latency). A
/// PASSIVE checkpoint runs beside readers and the writer, blocking neither.
struct Checkpoints(tokio::task::JoinHandle<()>);

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How often the WAL is checkpointed (it grows by a few MB a second under a
/// heavy write load).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

fn spawn_checkpoints(pool: AnyPool) -> Checkpoints {
    Checkpoints(tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !pool.is_closed() {
            tick.tick().await;
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                if !pool.is_closed() {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        }
    }))
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("engine", &self.engine)
            .finish()
    }
}

impl Store {
    /// Opens a pool on `url` and checks that the database answers.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let engine = Engine::from_url(url)?;
        if engine == Engine::Sqlite {
            ensure_sqlite_parent_dir(url)?;
        }
        let connect_options = AnyConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("database URL is not valid: {}", redact(&e))))?
            .log_statements(tracing::log::LevelFilter::Trace);
        // One direct attempt first: its error says why (refused, unknown host, bad
        // password) where the pool would only report a timeout.
        sqlx::AnyConnection::connect_with(&connect_options)
            .await
            .map_err(|e| StoreError::Unavailable(connect_failure(&e)))?
            .close()
            .await?;
        let sync = options.sqlite_synchronous;
        let busy_ms = options.busy_timeout.as_millis();
        let pool_options = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                // A SQLite connection is a file handle in this process: it
                // cannot go stale, and checking it first is one more hand-off
                // to its worker thread per query. A PostgreSQL connection can
                // (a restarted server, a proxy's timeout): checked.
                .test_before_acquire(engine == Engine::Postgres)
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        if conn.backend_name() == "SQLite" {
                            let sync = match sync {
                                SqliteSync::Full => "FULL",
                                SqliteSync::Normal => "NORMAL",
                            };
                            conn.execute(
                                format!(
                                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; \
                                     PRAGMA busy_timeout = {busy_ms}; PRAGMA foreign_keys = ON; \
                                     PRAGMA wal_autocheckpoint = 0;"
                                )
                                .as_str(),
                            )
                            .await?;
                        }
                        Ok(())
                    })
                })
        };
        let pool = pool_options(match engine {
            // A few readers in WAL mode.
            Engine::Sqlite => options.max_connections.clamp(1, 16),
            Engine::Postgres => options.max_connections.max(1),
        })
        .connect_with(connect_options.clone())
        .await
        .map_err(|e| StoreError::Unavailable(connect_failure(&e)))?;
        // Write transactions get their own connections. On SQLite one: there
        // is one writer at a time, and writers queue for it in order instead of
        // meeting SQLite's lock and its sleeping busy handler (which collapses
        // under concurrent writes). On PostgreSQL a few: writers serialize on
        // the System Log's head row anyway, and a writer holding it must never
        // wait for a pool connection that waiting writers took (it reads
        // through the reader pool, which writers never exhaust).
        let writer = pool_options(match engine {
            Engine::Sqlite => 1,
            Engine::Postgres => 4,
        })
        .connect_with(connect_options)
        .await
        .map_err(|e| StoreError::Unavailable(connect_failure(&e)))?;
        let checkpoints = (engine == Engine::Sqlite)
            .then(|| std::sync::Arc::new(spawn_checkpoints(pool.clone())));
        let store = Self {
            pool,
            writer,
            engine,
            outbound: options.outbound,
            lease: leases::Lease::new(options.job_lease),
            loaded_sessions: Default::default(),
            group_commit: Default::default(),
            _checkpoints: checkpoints,
        };
        store.ping().await?;
        Ok(store)
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// This process's lease on background work.
    pub fn lease(&self) -> &leases::Lease {
        &self.lease
    }

    /// The same store holding background work under `lease` (tests: two
    /// instances in one process).
    pub fn with_lease(mut self, lease: leases::Lease) -> Self {
        self.lease = lease;
        self
    }

    /// Applies pending migrations for this engine.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.engine
            .migrator()
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// The database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        conn.ping().await.map_err(StoreError::from_sqlx)
    }

    /// Every migration this build knows of has been applied (and none failed).
    pub async fn is_migrated(&self) -> Result<bool, StoreError> {
        let applied: Vec<i64> =
            match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_all(&self.pool)
                .await
            {
                Ok(applied) => applied,
                Err(sqlx::Error::Database(e)) => {
                    // No migration table yet: nothing is applied.
                    tracing::debug!(error = %e.message(), "migration table unreadable");
                    Vec::new()
                }
                Err(e) => return Err(StoreError::from_sqlx(e)),
            };
        Ok(self
            .engine
            .migrator()
            .iter()
            .all(|m| applied.contains(&m.version)))
    }

    /// Starts a transaction that will change data and append to the System Log.
    /// Its first statement takes the log's chain lock (a row lock on PostgreSQL,
    /// the write lock on SQLite), so writers queue here rather than deadlock later.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        begin_write_on(&self.writer).await
    }

    /// One write as [`write`](Self::write), grouped with the writes queued
    /// beside it into one transaction and one commit (see `commit`): for the
    /// writes many callers make at once (profile edits). `work` runs inside
    /// a savepoint of the shared transaction; its error undoes its writes
    /// only. It gets the transaction borrowed, so it must own what it uses.
    pub(crate) async fn write_grouped<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(
                &'c mut WriteTx,
            ) -> futures_util::future::BoxFuture<
                'c,
                Result<(T, Vec<audit::Event>), StoreError>,
            > + Send
            + 'static,
    {
        let work = commit::work(move |tx| {
            Box::pin(async move {
                let (value, events) = work(tx).await?;
                Ok((Box::new(value) as Box<dyn std::any::Any + Send>, events))
            })
        });
        self.group_commit.run(&self.writer, work).await
    }

    /// What grouped writes this store has made (see `commit`).
    pub fn group_commit_stats(&self) -> commit::GroupCommitStats {
        self.group_commit.stats()
    }

    /// One write transaction: takes the chain lock (`begin_write`), hands the
    /// transaction to `work`, appends the events `work` returns to the System
    /// Log in order, and commits. An error anywhere (in `work`, an append or
    /// the commit) rolls it all back. `work` owns the transaction and gives it
    /// back (a borrowed one would make callers' futures fail `Send`).
    pub(crate) async fn write<T, F, Fut>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(WriteTx) -> Fut,
        Fut: std::future::Future<Output = Result<(WriteTx, T, Vec<audit::Event>), StoreError>>,
    {
        let tx = self.begin_write().await?;
        let (mut tx, value, events) = work(tx).await?;
        for event in &events {
            audit::append(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(value)
    }

    /// Refreshes the planner's statistics (after a bulk import).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        sqlx::query("ANALYZE").execute(&self.pool).await?;
        Ok(())
    }

    /// How many users the directory holds (all realms; for tools, not for admins).
    pub async fn count_users(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

fn ensure_sqlite_parent_dir(url: &str) -> Result<(), StoreError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() && !parent.exists() {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Config(format!(
                    "cannot create the database directory {}: {e}",
                    parent.display()
                ))
            })?;
        }
    }
    Ok(())
}

/// A one-line reason a connection failed, without credentials.
fn connect_failure(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => format!("cannot reach the database: {io}"),
        sqlx::Error::Tls(_) => "TLS handshake with the database failed".to_string(),
        sqlx::Error::PoolTimedOut => "timed out connecting to the database".to_string(),
        sqlx::Error::Database(db) => {
            format!("the database refused the connection: {}", db.message())
        }
        other => redact(other),
    }
}

/// Error text with anything that looks like a password in a URL removed.
fn redact(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    match (text.find("://"), text.find('@')) {
        (Some(start), Some(at)) if at > start => {
            format!("{}://[redacted]{}", &text[..start], &text[at..])
        }
        _ => text,
    }
}

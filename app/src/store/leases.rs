//! Leases on long-running background work, so that any number of instances
//! can serve one database: a running realm-assignment operation or CSV import
//! is held by one instance (`locked_by`) until `locked_until`, renewed at each
//! batch in the batch's own transaction. An instance that stops renewing
//! (killed, cut off from the database) loses the work when the lease runs
//! out; every instance looks for such work and takes it over where it
//! stopped (its items are applied once: what is done is no longer PENDING).
//!
//! Claims are one conditional `UPDATE`: with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL (two instances never claim the same row), through the single
//! writer on SQLite.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::{clock, Engine, Store, StoreError, WriteTx};

/// This process, as `locked_by`: host, process id and a random part (a
/// restarted process on the same host is another holder).
pub fn instance_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "portal".into());
        let random = uuid::Uuid::new_v4().simple().to_string();
        format!("{host}:{}:{}", std::process::id(), &random[..8])
    })
}

/// Who holds work, and for how long each renewal holds it.
#[derive(Debug, Clone)]
pub struct Lease {
    holder: Arc<str>,
    length: Duration,
}

impl Lease {
    /// A lease of `length` held by this process.
    pub fn new(length: Duration) -> Self {
        Self {
            holder: Arc::from(instance_id()),
            length,
        }
    }

    /// The same lease under another holder's name (tests: two holders in
    /// one process).
    pub fn held_by(mut self, holder: &str) -> Self {
        self.holder = Arc::from(holder);
        self
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    pub fn length(&self) -> Duration {
        self.length
    }

    /// When a claim or renewal made now runs out.
    pub fn until(&self) -> String {
        let length =
            time::Duration::try_from(self.length).unwrap_or_else(|_| time::Duration::seconds(60));
        clock::format(time::OffsetDateTime::now_utc() + length)
    }
}

/// Kinds of leased work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// A realm-assignment operation being applied.
    Operation,
    /// A CSV import creating its users.
    Import,
}

impl Job {
    fn table(self) -> &'static str {
        match self {
            Job::Operation => "realm_assignment_operations",
            Job::Import => "user_imports",
        }
    }
}

impl Store {
    /// Takes one running job of `job`'s kind whose lease has run out (or that
    /// no instance ever held) for `lease`'s holder; answers its id.
    pub async fn claim_abandoned(
        &self,
        job: Job,
        lease: &Lease,
    ) -> Result<Option<String>, StoreError> {
        let table = job.table();
        let skip_locked = match self.engine {
            Engine::Postgres => "FOR UPDATE SKIP LOCKED",
            Engine::Sqlite => "",
        };
        let claimed: Option<String> = sqlx::query_scalar(&format!(
            "UPDATE {table} SET locked_by = $1, locked_until = $2 WHERE status = 'IN_PROGRESS' \
             AND (locked_until IS NULL OR locked_until <= $3) AND id IN (\
             SELECT j.id FROM {table} j WHERE j.status = 'IN_PROGRESS' \
             AND (j.locked_until IS NULL OR j.locked_until <= $3) ORDER BY j.created LIMIT 1 {skip_locked}) \
             RETURNING id"
        ))
        .bind(lease.holder())
        .bind(lease.until())
        .bind(clock::now())
        .fetch_optional(&self.writer)
        .await?;
        if let Some(id) = &claimed {
            tracing::info!(
                job = table,
                id,
                holder = lease.holder(),
                "took over abandoned work"
            );
        }
        Ok(claimed)
    }

    /// Renews `lease` on job `id` in the transaction of a batch: false when
    /// the job is not running any more or another holder has it (the batch
    /// must then stop). On PostgreSQL the row stays locked until the batch
    /// commits, so no claim can take it meanwhile.
    pub(crate) async fn renew_in(
        tx: &mut WriteTx,
        job: Job,
        id: &str,
        lease: &Lease,
    ) -> Result<bool, StoreError> {
        let renewed = sqlx::query(&format!(
            "UPDATE {} SET locked_until = $1 WHERE id = $2 AND status = 'IN_PROGRESS' AND locked_by = $3",
            job.table()
        ))
        .bind(lease.until())
        .bind(id)
        .bind(lease.holder())
        .execute(&mut **tx)
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    /// [`Store::renew_in`] in a transaction of its own.
    pub async fn renew(&self, job: Job, id: &str, lease: &Lease) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let renewed = Self::renew_in(&mut tx, job, id, lease).await?;
        tx.commit().await?;
        Ok(renewed)
    }

    /// Who holds job `id`, and until when (tests, the operations page).
    pub async fn lease_of(
        &self,
        job: Job,
        id: &str,
    ) -> Result<Option<(Option<String>, Option<String>)>, StoreError> {
        Ok(
            sqlx::query_as::<_, (Option<String>, Option<String>)>(&format!(
                "SELECT locked_by, locked_until FROM {} WHERE id = $1",
                job.table()
            ))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?,
        )
    }
}

/// Background work waiting or running, for the `/metrics` endpoint.
#[derive(Debug, Clone, Default)]
pub struct WorkStats {
    /// Provisioning tasks by status (QUEUED, RUNNING, FAILED).
    pub provisioning: Vec<(String, i64)>,
    /// Seconds the oldest due QUEUED provisioning task has waited (0: none).
    pub provisioning_oldest_seconds: f64,
    /// Realm-assignment operations running.
    pub operations_running: i64,
    /// CSV imports running.
    pub imports_running: i64,
}

/// How many connections a pool holds, and how many of them are idle.
#[derive(Debug, Clone)]
pub struct PoolStats {
    pub pool: &'static str,
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}

impl Store {
    /// The queues' depth and age (three small indexed counts).
    pub async fn work_stats(&self) -> Result<WorkStats, StoreError> {
        let provisioning: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, COUNT(*) FROM provisioning_tasks GROUP BY status ORDER BY status",
        )
        .fetch_all(&self.pool)
        .await?;
        let oldest: Option<String> = sqlx::query_scalar(
            "SELECT MIN(run_at) FROM provisioning_tasks WHERE status = 'QUEUED' AND run_at <= $1",
        )
        .bind(clock::now())
        .fetch_one(&self.pool)
        .await?;
        let provisioning_oldest_seconds = oldest
            .and_then(|at| {
                time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .map(|at| {
                (time::OffsetDateTime::now_utc() - at)
                    .as_seconds_f64()
                    .max(0.0)
            })
            .unwrap_or(0.0);
        let running = |table: &'static str| async move {
            sqlx::query_scalar::<_, i64>(&format!(
                "SELECT COUNT(*) FROM {table} WHERE status = 'IN_PROGRESS'"
            ))
            .fetch_one(&self.pool)
            .await
        };
        Ok(WorkStats {
            provisioning,
            provisioning_oldest_seconds,
            operations_running: running("realm_assignment_operations").await?,
            imports_running: running("user_imports").await?,
        })
    }

    /// The reader and writer pools' connections.
    pub fn pool_stats(&self) -> [PoolStats; 2] {
        let stats = |pool: &'static str, p: &sqlx::AnyPool| PoolStats {
            pool,
            size: p.size(),
            idle: p.num_idle(),
            max: p.options().get_max_connections(),
        };
        [stats("reader", &self.pool), stats("writer", &self.writer)]
    }
}

impl Store {
    /// Where the rate-limit windows are written: any connection on
    /// PostgreSQL, the one writer on SQLite.
    fn windows_pool(&self) -> &sqlx::AnyPool {
        match self.engine {
            Engine::Postgres => &self.pool,
            Engine::Sqlite => &self.writer,
        }
    }

    /// Counts one request against the shared window `window` (epoch
    /// minutes) of `key`, unless it has used `limit` already: the count
    /// after this one, or `None` (refused; nothing is used up). One atomic
    /// upsert, so instances sharing the database never both take the last
    /// request of a window.
    pub async fn take_window(
        &self,
        key: &str,
        window: i64,
        limit: i64,
    ) -> Result<Option<i64>, StoreError> {
        let pool = self.windows_pool();
        Ok(sqlx::query_scalar(
            "INSERT INTO rate_limit_windows (limit_key, window_start, used) VALUES ($1, $2, 1) \
             ON CONFLICT (limit_key, window_start) DO UPDATE SET used = rate_limit_windows.used + 1 \
             WHERE rate_limit_windows.used < $3 RETURNING used",
        )
        .bind(key)
        .bind(window)
        .bind(limit)
        .fetch_optional(pool)
        .await?)
    }

    /// Gives back one request taken in `key`'s window (a request refused by
    /// another of its limits uses up nothing).
    pub async fn give_back_window(&self, key: &str, window: i64) -> Result<(), StoreError> {
        let pool = self.windows_pool();
        sqlx::query(
            "UPDATE rate_limit_windows SET used = used - 1 WHERE limit_key = $1 AND window_start = $2 AND used > 0",
        )
        .bind(key)
        .bind(window)
        .execute(pool)
        .await?;
        Ok(())
    }

    /// Drops the windows before `window` (they can no longer count).
    pub async fn sweep_windows(&self, window: i64) -> Result<u64, StoreError> {
        let pool = self.windows_pool();
        Ok(
            sqlx::query("DELETE FROM rate_limit_windows WHERE window_start < $1")
                .bind(window)
                .execute(pool)
                .await?
                .rows_affected(),
        )
    }
}

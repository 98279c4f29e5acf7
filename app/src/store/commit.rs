//! Group commit: write transactions that queue for the writer share one
//! transaction — one chain lock, one commit, one fsync — each inside a
//! savepoint of its own, so that one refused write (a version conflict, a
//! constraint) is rolled back alone and the others commit.
//!
//! Every write takes the System Log's chain lock (`begin_write`), so writes
//! run one at a time on both engines and each waits for the one before it to
//! reach the disk. Here, while a batch commits, the next writers queue; the
//! next batch takes them all (up to [`BATCH_MAX`]). A write's result reaches
//! its caller only after its batch has committed. Results are the same as
//! running the writes one after another in queue order: each sees what the
//! ones before it in the batch wrote.

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::{audit, StoreError, WriteTx};

/// Most writes one transaction carries (bounds what a failed commit takes
/// with it, and the wait of the batch's first writer).
pub const BATCH_MAX: usize = 64;

/// Writes queued beyond this wait to be queued (backpressure).
const QUEUE: usize = 1024;

type Value = Box<dyn Any + Send>;

/// A write's work: given the shared transaction, it writes and returns its
/// value and the System Log events to append with it.
pub(crate) type Work = Box<
    dyn for<'c> FnOnce(
            &'c mut WriteTx,
        ) -> BoxFuture<'c, Result<(Value, Vec<audit::Event>), StoreError>>
        + Send,
>;

/// `f` as [`Work`] (a closure handed to a function with this bound gets
/// the higher-ranked signature it needs).
pub(crate) fn work<F>(f: F) -> Work
where
    F: for<'c> FnOnce(
            &'c mut WriteTx,
        ) -> BoxFuture<'c, Result<(Value, Vec<audit::Event>), StoreError>>
        + Send
        + 'static,
{
    Box::new(f)
}

struct Job {
    work: Work,
    done: oneshot::Sender<Result<Value, StoreError>>,
}

/// The queue in front of the writer; its task starts with the first write.
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    queue: std::sync::OnceLock<mpsc::Sender<Job>>,
    stats: std::sync::Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    submitted: AtomicU64,
    commits: AtomicU64,
}

/// What grouped writes this store has made: writes handed to the queue and
/// transactions committed for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommitStats {
    pub submitted: u64,
    pub commits: u64,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl GroupCommit {
    /// Queues `work` and waits for its batch to commit. The task holds the
    /// writer pool, not the store: it ends when the last store handle does.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        writer: &sqlx::AnyPool,
        work: Work,
    ) -> Result<T, StoreError> {
        let queue = self.queue.get_or_init(|| {
            let (queue, jobs) = mpsc::channel(QUEUE);
            tokio::spawn(batches(writer.clone(), jobs, self.stats.clone()));
            queue
        });
        self.stats.submitted.fetch_add(1, Ordering::Relaxed);
        let (done, result) = oneshot::channel();
        queue
            .send(Job { work, done })
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        let value = result
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))??;
        value
            .downcast::<T>()
            .map(|v| *v)
            .map_err(|_| StoreError::Internal("group commit: value of another type".into()))
    }

    pub(crate) fn stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            submitted: self.stats.submitted.load(Ordering::Relaxed),
            commits: self.stats.commits.load(Ordering::Relaxed),
        }
    }
}

async fn batches(
    writer: sqlx::AnyPool,
    mut jobs: mpsc::Receiver<Job>,
    stats: std::sync::Arc<Counters>,
) {
    let mut batch = Vec::with_capacity(BATCH_MAX);
    while jobs.recv_many(&mut batch, BATCH_MAX).await > 0 {
        commit(&writer, &mut batch).await;
        stats.commits.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs `batch` in one transaction and tells each writer its outcome once
/// the commit is known.
async fn commit(writer: &sqlx::AnyPool, batch: &mut Vec<Job>) {
    metrics::histogram!("portal_write_batch_size").record(batch.len() as f64);
    let mut tx = match super::begin_write_on(writer).await {
        Ok(tx) => tx,
        Err(e) => {
            let message = e.to_string();
            for job in batch.drain(..) {
                let _ = job.done.send(Err(StoreError::Unavailable(message.clone())));
            }
            return;
        }
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch.drain(..) {
        // The caller is gone (its request ended): its write is not made.
        if job.done.is_closed() {
            continue;
        }
        let outcome = one(&mut tx, job.work).await;
        outcomes.push((job.done, outcome));
    }
    let committed = tx.commit().await.map_err(|e| e.to_string());
    for (done, outcome) in outcomes {
        let _ = done.send(match &committed {
            Ok(()) => outcome,
            Err(message) => Err(StoreError::Unavailable(format!("commit: {message}"))),
        });
    }
}

/// One write inside its savepoint: its writes and events stay if it
/// succeeds, are undone if it fails.
async fn one(tx: &mut WriteTx, work: Work) -> Result<Value, StoreError> {
    sqlx::query("SAVEPOINT grouped_write")
        .execute(&mut **tx)
        .await?;
    let result = async {
        let (value, events) = work(tx).await?;
        audit::append_all(tx, &events).await?;
        Ok::<_, StoreError>(value)
    }
    .await;
    if result.is_err() {
        sqlx::query("ROLLBACK TO SAVEPOINT grouped_write")
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("RELEASE SAVEPOINT grouped_write")
        .execute(&mut **tx)
        .await?;
    result
}

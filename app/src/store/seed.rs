//! Demo and benchmark data.

use super::{Store, StoreError};

pub struct SeedReport {
    pub seconds: f64,
}

/// The small demo organisation for `make run` and the end-to-end tests.
pub async fn demo(_store: &Store) -> Result<(), StoreError> {
    Ok(())
}

/// A realistic directory of `n` users.
pub async fn users(_store: &Store, _n: u64) -> Result<SeedReport, StoreError> {
    Ok(SeedReport { seconds: 0.0 })
}

//! What a command that fails reports.

/// A failure to report as one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RunError(pub String);

impl From<app::store::StoreError> for RunError {
    fn from(e: app::store::StoreError) -> Self {
        Self(e.to_string())
    }
}

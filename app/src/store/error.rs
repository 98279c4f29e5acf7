use super::dialect::Constraint;
use crate::error::{AppError, FieldError};

/// Everything the store can say went wrong, already free of driver text except in
/// `Internal`, which is logged and never shown.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Config(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("internal database error: {0}")]
    Internal(String),
}

impl StoreError {
    pub(crate) fn from_sqlx(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::Unavailable(e.to_string())
            }
            other => Self::Internal(other.to_string()),
        }
    }

    /// Maps a violation of one of the `known` constraints to its field error,
    /// a foreign-key violation to a conflict; anything else stays an internal
    /// error.
    pub(crate) fn map_constraint(e: sqlx::Error, known: &[Constraint]) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if let Some(constraint) = known.iter().find(|c| c.matches(db.as_ref())) {
                let (field, text) = constraint.field_error();
                return Self::invalid(field, text);
            }
            if db.is_foreign_key_violation() {
                return Self::Conflict(
                    "A referenced object does not exist or is still in use.".into(),
                );
            }
        }
        Self::from_sqlx(e)
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

/// `?` on a driver error: `RowNotFound` is `NotFound`, a lost connection
/// `Unavailable`, anything else `Internal`. Constraint violations that mean
/// something to the user go through `map_constraint` instead.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::from_sqlx(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Invalid(fields) => AppError::fields(fields),
            StoreError::Conflict(message) => AppError::Conflict { message },
            other => {
                let ref_id = crate::error::new_ref_id();
                tracing::error!(%ref_id, error = %other, "store error");
                AppError::Internal { ref_id }
            }
        }
    }
}

//! The one error type that crosses the wire between server and browser.
//!
//! Driver and library errors are mapped to these variants at the edge where they
//! happen; the browser never sees SQL, driver or stack text. `Internal` carries only
//! a reference id that is also written to the server log.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A message about one input field, shown next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AppError {
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to perform the requested action.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("Some fields need attention.")]
    Validation {
        fields: Vec<FieldError>,
        /// What the form held (by input name), so that a form re-rendered
        /// without JavaScript shows it again instead of losing it.
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        values: std::collections::BTreeMap<String, String>,
    },
    #[error("{message}")]
    Conflict { message: String },
    #[error("Too many requests. Try again in a moment.")]
    RateLimited,
    #[error("Something went wrong on our side (reference {ref_id}).")]
    Internal { ref_id: String },
    #[error("The server could not be reached: {message}")]
    Transport { message: String },
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            fields: vec![FieldError::new(field, message)],
            values: Default::default(),
        }
    }

    pub fn fields(fields: Vec<FieldError>) -> Self {
        Self::Validation {
            fields,
            values: Default::default(),
        }
    }

    /// A validation error that also carries the submitted form values (other
    /// errors are returned as they are).
    pub fn keeping<K: Into<String>>(self, values: impl IntoIterator<Item = (K, String)>) -> Self {
        match self {
            Self::Validation { fields, .. } => Self::Validation {
                fields,
                values: values.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            },
            other => other,
        }
    }

    /// The submitted value of input `name`, if this error kept it.
    pub fn kept(&self, name: &str) -> Option<&str> {
        match self {
            Self::Validation { values, .. } => values.get(name).map(String::as_str),
            _ => None,
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
        }
    }

    /// The message for `field`, if this is a validation error naming it.
    pub fn field_message(&self, field: &str) -> Option<&str> {
        match self {
            Self::Validation { fields, .. } => fields
                .iter()
                .find(|f| f.field == field)
                .map(|f| f.message.as_str()),
            _ => None,
        }
    }

    /// HTTP status matching the variant, for REST answers and error pages.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Validation { .. } => 400,
            Self::Conflict { .. } => 409,
            Self::RateLimited => 429,
            Self::Internal { .. } => 500,
            Self::Transport { .. } => 502,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(message) | ServerFnErrorErr::Response(message) => {
                Self::Transport { message }
            }
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                Self::validation("_form", format!("The request was malformed: {message}"))
            }
            other => Self::Transport {
                message: other.to_string(),
            },
        }
    }
}

/// A short random reference that ties an `Internal` error shown to a person to the
/// server log line that has the details.
#[cfg(feature = "ssr")]
pub fn new_ref_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_round_trip_through_json() -> Result<(), serde_json::Error> {
        let err = AppError::validation("login", "Login is already taken.");
        let json = serde_json::to_string(&err)?;
        assert!(json.contains("\"kind\":\"validation\""));
        let back: AppError = serde_json::from_str(&json)?;
        assert_eq!(back.field_message("login"), Some("Login is already taken."));
        assert_eq!(back.status_code(), 400);
        Ok(())
    }

    #[test]
    fn internal_errors_show_only_a_reference() {
        let err = AppError::Internal {
            ref_id: "abc123".into(),
        };
        assert_eq!(
            err.to_string(),
            "Something went wrong on our side (reference abc123)."
        );
    }
}

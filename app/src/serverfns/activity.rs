//! The System Log as a partner admin sees it: events whose targets all lie in
//! its read scope (see `authz::log_scope`), newest first, filterable.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRow {
    pub published: String,
    pub event_type: String,
    pub message: String,
    pub outcome: String,
    pub actor: String,
    pub targets: String,
}

impl LogRow {
    /// The row shown for a stored event (Okta's LogEvent shape).
    pub fn from_event(event: &serde_json::Value) -> Self {
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        LogRow {
            published: text(&event["published"]),
            event_type: text(&event["eventType"]),
            message: text(&event["displayMessage"]),
            outcome: text(&event["outcome"]["result"]),
            actor: text(&event["actor"]["displayName"]),
            targets: event["target"]
                .as_array()
                .map(|ts| {
                    ts.iter()
                        .map(|t| text(&t["displayName"]))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPage {
    pub rows: Vec<LogRow>,
    /// Cursor of the next (older) page.
    pub older: Option<String>,
}

/// Rows per page of the activity list.
pub const LOG_PAGE: u32 = 25;

/// An id filter (actor or target): Okta ids are letters and digits.
#[cfg(feature = "ssr")]
fn id_filter(field: &str, value: Option<String>) -> Result<Option<String>, AppError> {
    let value = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    match value {
        Some(v) if v.len() > 64 || !v.chars().all(|c| c.is_ascii_alphanumeric()) => {
            Err(AppError::validation(
                field,
                "Enter an id (letters and digits), as shown in an event.",
            ))
        }
        other => Ok(other),
    }
}

/// A time bound from a `datetime-local` input (read as UTC) or RFC 3339.
#[cfg(feature = "ssr")]
fn time_filter(field: &str, value: Option<String>) -> Result<Option<String>, AppError> {
    let Some(value) = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    let parsed =
        time::OffsetDateTime::parse(&value, &time::format_description::well_known::Rfc3339)
            .or_else(|_| {
                let local =
                    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
                let with_seconds = time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second]"
                );
                time::PrimitiveDateTime::parse(&value, local)
                    .or_else(|_| time::PrimitiveDateTime::parse(&value, with_seconds))
                    .map(|t| t.assume_utc())
            })
            .map_err(|_| AppError::validation(field, "Enter a date and time (UTC)."))?;
    Ok(Some(crate::store::clock::format(parsed)))
}

/// A page of the events the caller may see, newest first. `event_type` is
/// exact or a prefix ending in `.` (`user.lifecycle.`); `actor` and `target`
/// are ids; `since` (inclusive) and `until` (exclusive) are UTC times.
#[server(endpoint = "activity/list")]
pub async fn list_activity(
    event_type: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    since: Option<String>,
    until: Option<String>,
    before: Option<String>,
) -> Result<LogPage, AppError> {
    let (store, _, principal) = super::caller().await?;
    let filter = log_filter(event_type, actor, target, since, until)?;
    let page = store
        .list_events(
            &crate::authz::log_scope(&principal),
            &filter,
            before.as_deref().filter(|b| !b.is_empty()),
            LOG_PAGE,
        )
        .await?;
    Ok(LogPage {
        rows: page
            .items
            .iter()
            .map(|e| LogRow::from_event(&e.event))
            .collect(),
        older: page.next,
    })
}

/// The activity filters as typed, checked (also behind the JSON-lines export).
#[cfg(feature = "ssr")]
pub fn log_filter(
    event_type: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    since: Option<String>,
    until: Option<String>,
) -> Result<crate::store::log::LogFilter, AppError> {
    use crate::store::log::LogFilter;
    let event_type = event_type
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if let Some(t) = &event_type {
        if t.len() > 100
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._".contains(c))
        {
            return Err(AppError::validation(
                "eventType",
                "Event types are made of letters, digits, dots and underscores.",
            ));
        }
    }
    Ok(LogFilter {
        event_type,
        actor_id: id_filter("actor", actor)?,
        target_id: id_filter("target", target)?,
        since: time_filter("since", since)?,
        until: time_filter("until", until)?,
    })
}

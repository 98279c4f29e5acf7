//! The System Log as the caller sees it: events whose targets all lie in its
//! read scope (see `authz::log_scope`), newest first, filterable; and the
//! home page's overview.

use crate::authz::{log_scope, scope, Permission};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::model::UserStatus;
use crate::store::log::LogEntry;
pub use crate::store::log::{LogCondition, LogField, LogFilter, LogQuery, MAX_LOG_PAGE};
use crate::views::activity::{LogPage, LogRow, LOG_PAGE};
use crate::views::home::{Overview, RealmCounts};

/// An id filter (actor or target): Okta ids are letters and digits.
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

/// The activity filters as typed, checked. `event_type` is exact or a prefix
/// ending in `.` (`user.lifecycle.`); `actor` and `target` are ids; `since`
/// (inclusive) and `until` (exclusive) are UTC times.
pub fn parse_filter(
    event_type: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    since: Option<String>,
    until: Option<String>,
) -> Result<LogFilter, AppError> {
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

/// A page of the events the caller may see, newest first, before the cursor.
pub async fn list(cx: &Ctx, filter: &LogFilter, before: Option<&str>) -> Result<LogPage, AppError> {
    let page = events(cx, filter, before, LOG_PAGE).await?;
    Ok(LogPage {
        rows: page
            .0
            .iter()
            .map(|e| LogRow::from_event(&e.event))
            .collect(),
        older: page.1,
    })
}

/// Up to `limit` events the caller may see, newest first, before the cursor;
/// and the cursor of the next (older) page.
pub async fn events(
    cx: &Ctx,
    filter: &LogFilter,
    before: Option<&str>,
    limit: u32,
) -> Result<(Vec<LogEntry>, Option<String>), AppError> {
    let page = cx
        .store
        .list_events(
            &log_scope(&cx.principal),
            filter,
            before.filter(|b| !b.is_empty()),
            limit,
        )
        .await?;
    Ok((page.items, page.next))
}

/// The home page: realms the caller may read with users counted within its
/// users scope, and the five newest System Log events in its log scope.
pub async fn overview(cx: &Ctx) -> Result<Overview, AppError> {
    let realms = cx
        .store
        .list_realms(&scope(&cx.principal, Permission::RealmsRead))
        .await?;
    let counts = cx
        .store
        .count_users_by_realm(&scope(&cx.principal, Permission::UsersRead))
        .await?;
    let realms = realms
        .into_iter()
        .map(|realm| {
            let mut summary = RealmCounts {
                name: realm.name.clone(),
                active: 0,
                suspended: 0,
                other: 0,
            };
            for (_, status, n) in counts.iter().filter(|(r, _, _)| *r == realm.id) {
                match status {
                    UserStatus::Active => summary.active += n,
                    UserStatus::Suspended => summary.suspended += n,
                    _ => summary.other += n,
                }
            }
            summary
        })
        .collect();
    let (events, _) = events(cx, &LogFilter::default(), None, 5).await?;
    let activity = events
        .iter()
        .map(|e| LogRow::from_event(&e.event))
        .collect();
    Ok(Overview { realms, activity })
}

/// One page of the JSON-lines export: Okta LogEvent objects, one per line,
/// newest first, before the cursor; and the cursor of the next page. Partner
/// admins see what happened, not where other admins sit: the IP address and
/// user agent of events someone else made are left out for them.
pub async fn export_page(
    cx: &Ctx,
    filter: &LogFilter,
    before: Option<&str>,
) -> Result<(Vec<u8>, Option<String>), AppError> {
    let (events, next) = events(cx, filter, before, crate::store::users::MAX_PAGE).await?;
    let mut lines = Vec::new();
    for entry in events {
        let event = redacted(cx, entry.event);
        lines.extend_from_slice(event.to_string().as_bytes());
        lines.push(b'\n');
    }
    Ok((lines, next))
}

/// An event as the caller may see it: partner admins see what happened, not
/// where other admins sit (the IP address and user agent of events someone
/// else made are left out for them).
fn redacted(cx: &Ctx, mut event: serde_json::Value) -> serde_json::Value {
    if !cx.principal.is_org_admin()
        && event["actor"]["id"].as_str() != Some(cx.principal.actor().id.as_str())
    {
        if let Some(client) = event
            .get_mut("client")
            .and_then(serde_json::Value::as_object_mut)
        {
            client.remove("ipAddress");
            client.remove("userAgent");
            client.remove("geographicalContext");
        }
    }
    event
}

/// One page of the Management API's System Log.
#[derive(Debug, Clone)]
pub struct LogSlice {
    /// Okta LogEvent objects, as stored (redacted as for the export).
    pub events: Vec<serde_json::Value>,
    /// The cursor after the last event returned (to poll from), if any.
    pub last: Option<String>,
    /// Whether more events match beyond this page.
    pub more: bool,
}

/// Up to `limit` events the caller may see (its log scope, as for the
/// viewer) matching `query`: oldest first after the cursor, or newest first
/// before it when `descending`.
pub async fn query(
    cx: &Ctx,
    query: &LogQuery,
    after: Option<&str>,
    descending: bool,
    limit: u32,
) -> Result<LogSlice, AppError> {
    let page = cx
        .store
        .read_events(&log_scope(&cx.principal), query, after, descending, limit)
        .await?;
    Ok(LogSlice {
        last: page.items.last().map(|e| e.seq.to_string()),
        more: page.next.is_some(),
        events: page
            .items
            .into_iter()
            .map(|e| redacted(cx, e.event))
            .collect(),
    })
}

//! `/api/v1/logs`: Okta's System Log API — `since` (default seven days ago),
//! `until`, `filter` (`eventType`, `uuid`, `severity`, `actor.id`,
//! `target.id`, `outcome.result`, `transaction.id` with `eq`, `eventType`
//! also with `sw`; `and`, `or`, parentheses), `q` (keywords, all of which
//! must appear in the event), `limit` (default 100, at most 1000), `after`
//! and `sortOrder`. Events are the stored LogEvent objects, in the caller's
//! log scope.
//!
//! Polling, as in Okta: in ASCENDING order without `until`, every answer has
//! a `next` link — even an empty page — that continues after the last event
//! returned, so a client follows it to pick up new events. With `until` or
//! in DESCENDING order, `next` only while more events match.

use axum::extract::OriginalUri;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use app::ops::log::{self, LogCondition, LogField, LogQuery, MAX_LOG_PAGE};

use super::filter::{self, Op};
use super::openapi::{op, Endpoint};
use super::users::stored_time;
use super::{Api, ApiError, Cursor, Paged, Params};

pub fn endpoints() -> Vec<Endpoint> {
    vec![op(
        "GET",
        "/logs",
        "listLogEvents",
        "List or poll System Log events",
        200,
        list,
    )]
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LogParams {
    since: Option<String>,
    until: Option<String>,
    filter: Option<String>,
    q: Option<String>,
    limit: Option<String>,
    after: Option<String>,
    sort_order: Option<String>,
}

fn field(attribute: &str) -> Option<LogField> {
    Some(match attribute {
        "uuid" => LogField::Uuid,
        "eventType" => LogField::EventType,
        "severity" => LogField::Severity,
        "actor.id" => LogField::ActorId,
        "target.id" => LogField::TargetId,
        "outcome.result" => LogField::OutcomeResult,
        "transaction.id" => LogField::TransactionId,
        _ => return None,
    })
}

/// The `filter` expression as alternatives of conditions.
fn conditions(expression: &str) -> Result<Vec<Vec<LogCondition>>, ApiError> {
    filter::parse(expression, "filter")?
        .into_iter()
        .map(|all| {
            all.into_iter()
                .map(|c| {
                    let f = field(&c.attribute).ok_or_else(|| {
                        ApiError::invalid(
                            "filter",
                            format!(
                                "Events cannot be filtered by {}; use eventType, uuid, severity, \
                                 actor.id, target.id, outcome.result or transaction.id.",
                                c.attribute
                            ),
                        )
                    })?;
                    let value = c.value.unwrap_or_default();
                    match c.op {
                        Op::Eq => Ok(LogCondition::Equals(f, value)),
                        Op::Sw if f == LogField::EventType => {
                            Ok(LogCondition::StartsWith(f, value))
                        }
                        _ => Err(ApiError::invalid(
                            "filter",
                            "Events are filtered with eq (and eventType also with sw).",
                        )),
                    }
                })
                .collect()
        })
        .collect()
}

/// `q`: up to ten keywords.
fn keywords(q: &str) -> Result<Vec<String>, ApiError> {
    let words: Vec<String> = q.split_whitespace().map(str::to_string).collect();
    if words.len() > 10 || words.iter().any(|w| w.chars().count() > 40) {
        return Err(ApiError::invalid(
            "q",
            "Search with at most 10 keywords of at most 40 characters.",
        ));
    }
    Ok(words)
}

fn seven_days_ago() -> Result<String, ApiError> {
    let then = time::OffsetDateTime::now_utc() - time::Duration::days(7);
    let text = then
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|_| ApiError::invalid("since", "The clock is out of range."))?;
    stored_time(&text, "since")
}

async fn list(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<LogParams>,
) -> Result<Response, ApiError> {
    let cursor = Cursor::new(
        p.limit.as_deref(),
        p.after.as_deref(),
        100,
        MAX_LOG_PAGE as usize,
    )?;
    let descending = match p.sort_order.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(o) if o.eq_ignore_ascii_case("ASCENDING") => false,
        Some(o) if o.eq_ignore_ascii_case("DESCENDING") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "sortOrder",
                "Use ASCENDING or DESCENDING.",
            ))
        }
    };
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let since = match given(&p.since) {
        Some(s) => stored_time(&s, "since")?,
        None => seven_days_ago()?,
    };
    let until = given(&p.until)
        .map(|u| stored_time(&u, "until"))
        .transpose()?;
    let query = LogQuery {
        alternatives: match given(&p.filter) {
            Some(f) => conditions(&f)?,
            None => Vec::new(),
        },
        keywords: match given(&p.q) {
            Some(q) => keywords(&q)?,
            None => Vec::new(),
        },
        since: Some(since),
        until: until.clone(),
    };
    let slice = log::query(
        &cx,
        &query,
        cursor.after.as_deref(),
        descending,
        cursor.limit as u32,
    )
    .await?;
    let polling = !descending && until.is_none();
    let next = if polling {
        // Sequence numbers start at 1: "0" is after nothing.
        Some(
            slice
                .last
                .clone()
                .or_else(|| cursor.after.clone())
                .unwrap_or_else(|| "0".to_string()),
        )
    } else if slice.more {
        slice.last.clone()
    } else {
        None
    };
    Ok(Paged {
        items: slice.events,
        uri,
        public_url: cx.settings.public_url.clone(),
        limit: cursor.limit,
        next,
    }
    .into_response())
}

#[cfg(test)]
#[path = "tests/logs.rs"]
mod tests;

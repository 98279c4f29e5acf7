//! The activity page's wire types (the System Log as rows).

use serde::{Deserialize, Serialize};

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

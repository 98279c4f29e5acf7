//! CSV imports of users into a realm: the job (a previewed file, then its run
//! in the background) and its rows.

use serde::{Deserialize, Serialize};

use crate::ids::{ImportId, RealmId};

string_enum!(
    /// Where an import stands.
    ImportStatus {
        Preview = "PREVIEW",
        InProgress = "IN_PROGRESS",
        Completed = "COMPLETED",
        Failed = "FAILED",
    }
);

string_enum!(
    /// One line of an import: its preview verdict, then its result.
    RowResult {
        Valid = "VALID",
        Invalid = "INVALID",
        Pending = "PENDING",
        Created = "CREATED",
        Skipped = "SKIPPED",
        Failed = "FAILED",
    }
);

impl RowResult {
    /// The word the result report uses.
    pub fn report_word(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::Pending => "pending",
            Self::Created => "created",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }
}

/// An import: the file as previewed, and how far its run has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    pub id: ImportId,
    pub realm_id: RealmId,
    pub file_name: String,
    /// Users are activated (otherwise staged).
    pub activate: bool,
    /// Columns of the file that were ignored.
    pub ignored: Vec<String>,
    pub status: ImportStatus,
    pub created: String,
    pub started: Option<String>,
    pub completed: Option<String>,
    /// Data lines in the file.
    pub num_rows: i64,
    /// Lines the preview found valid: the users the run creates.
    pub num_valid: i64,
    pub num_created: i64,
    pub num_skipped: i64,
    pub num_failed: i64,
    /// Why a run stopped early (FAILED).
    pub message: Option<String>,
}

impl Import {
    /// Valid lines not attempted yet.
    pub fn remaining(&self) -> i64 {
        match self.status {
            ImportStatus::Preview => self.num_valid,
            _ => (self.num_valid - self.num_created - self.num_failed).max(0),
        }
    }

    /// Share of the valid lines attempted, 0–100.
    pub fn percent_done(&self) -> i64 {
        if self.num_valid == 0 {
            100
        } else {
            (self.num_valid - self.remaining()) * 100 / self.num_valid
        }
    }

    pub fn is_running(&self) -> bool {
        self.status == ImportStatus::InProgress
    }
}

/// One data line of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// The line of the file the row starts on (the header is line 1).
    pub line: i64,
    pub login: String,
    pub result: RowResult,
    /// Why the line is invalid, skipped or failed.
    pub message: Option<String>,
    /// The user the line created.
    pub user_id: Option<String>,
}

//! The CSV import pages' wire types: the upload form, an import with a page of
//! its lines.

use serde::{Deserialize, Serialize};

use crate::model::imports::{Import, ImportRow};

/// The largest file an import takes.
pub const IMPORT_MAX_BYTES: usize = 2 * 1024 * 1024;
/// The most data lines one file may hold.
pub const IMPORT_MAX_ROWS: usize = 5_000;
/// Lines of an import shown per page.
pub const IMPORT_ROWS_PAGE: i64 = 100;
/// The columns of an import's result report.
pub const RESULT_COLUMNS: [&str; 5] = ["line", "login", "result", "message", "user id"];

/// What the upload form offers: the realms the caller may create users in,
/// and the columns a file may have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportForm {
    /// (id, name)
    pub realms: Vec<(String, String)>,
    pub columns: Vec<ImportColumn>,
}

/// A column a file may have (Okta's attribute name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportColumn {
    pub name: String,
    pub required: bool,
    pub custom: bool,
}

/// An import, its realm's name and a page of its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportView {
    pub import: Import,
    pub realm: String,
    pub rows: Vec<ImportRow>,
    /// The line the next page starts after, if there is one.
    pub next: Option<i64>,
}

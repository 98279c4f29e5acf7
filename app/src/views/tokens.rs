//! The API tokens page's wire types.

use serde::{Deserialize, Serialize};

/// One API token as the page lists it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    /// The admin it acts as (its username).
    pub owner: String,
    pub created: String,
    /// "Never" or the date and time it expires.
    pub expires: String,
    /// "Never" or when it was last used.
    pub last_used: String,
}

/// The tokens the caller reaches, and whether they include other admins'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    pub tokens: Vec<TokenRow>,
    /// A super admin's list: every admin's tokens (the owner column shows).
    pub everyone: bool,
}

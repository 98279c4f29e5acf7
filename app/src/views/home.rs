//! The home page's wire types.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmCounts {
    pub name: String,
    pub active: i64,
    pub suspended: i64,
    pub other: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub realms: Vec<RealmCounts>,
    pub activity: Vec<super::activity::LogRow>,
}

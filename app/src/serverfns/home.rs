//! The portal's home: the realms the admin manages with their users by status,
//! and the latest activity it may see.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmSummary {
    pub name: String,
    pub active: i64,
    pub suspended: i64,
    pub other: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub realms: Vec<RealmSummary>,
    pub activity: Vec<super::activity::LogRow>,
}

/// Realms the caller may read, users counted within its users scope, and the
/// five newest System Log events in its log scope.
#[server(endpoint = "home/overview")]
pub async fn home_overview() -> Result<Overview, AppError> {
    use crate::authz::{log_scope, scope, Permission};
    use crate::model::UserStatus;
    use crate::store::log::LogFilter;
    let (store, _, principal) = super::caller().await?;
    let realms = store
        .list_realms(&scope(&principal, Permission::RealmsRead))
        .await?;
    let counts = store
        .count_users_by_realm(&scope(&principal, Permission::UsersRead))
        .await?;
    let realms = realms
        .into_iter()
        .map(|realm| {
            let mut summary = RealmSummary {
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
    let events = store
        .list_events(&log_scope(&principal), &LogFilter::default(), None, 5)
        .await?;
    let activity = events
        .items
        .iter()
        .map(|e| super::activity::LogRow::from_event(&e.event))
        .collect();
    Ok(Overview { realms, activity })
}

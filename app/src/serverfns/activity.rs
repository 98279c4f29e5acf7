//! The activity page's server function (`ops::log`).
//!
//! Authorization (in the operation, through the kernel): `authz::log_scope`.

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::views::activity::*;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// A page of the events the caller may see, newest first. `event_type` is
/// exact or a prefix ending in `.` (`user.lifecycle.`); `actor` and `target`
/// are ids; `since` (inclusive) and `until` (exclusive) are UTC times.
#[server(prefix = "/_fn", endpoint = "activity/list")]
pub async fn list_activity(
    event_type: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    since: Option<String>,
    until: Option<String>,
    before: Option<String>,
) -> Result<LogPage, AppError> {
    let cx = Ctx::current().await?;
    let filter = ops::log::parse_filter(event_type, actor, target, since, until)?;
    ops::log::list(&cx, &filter, before.as_deref()).await
}

//! The realms page's server function (read-only in the Partner Admin Portal).
//!
//! Authorization (in the operation, through the kernel): `authz::scope(okta.realms.read)`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::Realm;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

#[server(prefix = "/_fn", endpoint = "realms/list")]
pub async fn list_my_realms() -> Result<Vec<Realm>, AppError> {
    ops::realms::list(&Ctx::current().await?).await
}

//! Operations: every task the portal does, written once for every surface —
//! the browser's server functions today, the REST API, SCIM and background
//! jobs next. Each is a plain async function `op(cx: &Ctx, input) ->
//! Result<Output, AppError>`: no Leptos, no HTTP. It takes the caller's scope
//! or grant from the kernel (`authz`, through `access` for loaded objects),
//! calls the store, and the store writes its audit event in the same
//! transaction. Multi-step tasks (a user with its groups, the partner realm
//! wizard) are one operation and one transaction.
//!
//! Layers: `pages → serverfns → ops → authz / store → SQL`. Server functions
//! only parse forms, call one operation and map the answer; `authz` never
//! reads the store.

pub mod access;
pub mod api_tokens;
pub mod apps;
pub mod directory;
pub mod explain;
pub mod groups;
pub mod iam;
pub mod idps;
pub mod imports;
pub mod links;
pub mod log;
pub mod me;
pub mod operations;
pub mod provisioning;
pub mod realms;
pub mod rules;
pub mod users;
pub mod wizard;

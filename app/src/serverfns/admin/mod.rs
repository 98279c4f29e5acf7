//! The org admin console's server functions (`/admin`), one module per page.
//! Org-level operations need the permission over *all* realms, so a partner
//! admin is refused (403) whatever its binding.

pub mod directory;
pub mod explain;
pub mod idps;
pub mod operations;
pub mod realms;
pub mod roles;
pub mod rules;
pub mod wizard;

pub use crate::views::admin::*;
pub use directory::*;
pub use explain::*;
pub use idps::*;
pub use operations::*;
pub use realms::*;
pub use rules::*;
pub use wizard::*;

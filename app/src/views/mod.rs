//! The wire types of the pages: what server functions return and the browser
//! renders. Compiled for both sides; operations (`crate::ops`) build them.

pub mod activity;
pub mod admin;
pub mod apps;
pub mod groups;
pub mod home;
pub mod imports;
pub mod me;
pub mod roles;
pub mod session;
pub mod tokens;
pub mod users;

//! Server functions, one module per resource. Each follows the same spine:
//! request context → one authorization call → one store call → wire type.

pub mod activity;
pub mod home;
pub mod me;
pub mod session;
pub mod users;

pub mod activity;
pub mod home;
pub mod login;
pub mod me;
pub mod not_found;
pub mod realms;
pub mod users;

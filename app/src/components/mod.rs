pub mod gate;
pub mod layout;
pub mod ui;

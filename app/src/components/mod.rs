pub mod gate;
pub mod layout;

//! Wiring between the crates: load a stack, open and lock its state, refresh against the
//! provider, plan, apply. Commands call into here; everything reported to the user goes
//! through the `Printer`.

pub mod clock;
pub mod events;
pub mod import;
pub mod load;
pub mod moved;
pub mod outputs;
pub mod persist;
pub mod planfile;
pub mod planning;
pub mod refresh;
pub mod remote_state;
pub mod resolver;
pub mod router;
pub mod session;
pub mod tfstate;

pub use load::{load_stack, stack_name, LoadedStack};
pub use session::Session;

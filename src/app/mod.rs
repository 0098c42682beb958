//! The TUI's application core: state, messages, the pure `update`, and the runtime that turns
//! effects into background tasks.
//!
//! One flow: a terminal event or a finished task becomes a [`Msg`]; [`update::update`] changes the
//! [`State`] and returns [`Effect`]s; the [`runtime`] runs each effect as a tokio task whose result
//! comes back as a `Msg`; the screen is redrawn from the state alone.

pub mod keys;
pub mod msg;
pub mod runtime;
pub mod state;
pub mod table;
pub mod update;

pub use msg::{Effect, Msg};
pub use state::State;

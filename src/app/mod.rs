//! The TUI's application core. One flow, a file for each step:
//!
//! key ([`keys`]: the binding table) → action → [`update`] (pure: state and the effects it asks
//! for) → [`effect`] → job ([`runtime`]: a tokio task per job, one per [`Slot`]) → [`msg`]
//! (the answer, tagged with its job; stale ones dropped by `update`) → draw (`crate::ui`, from
//! [`state`] alone). [`viewport`] is the screen geometry both `update` and `ui` use.

pub mod effect;
pub mod jobs;
pub mod keys;
pub mod msg;
pub mod runtime;
pub mod state;
pub mod update;
pub mod viewport;

pub use effect::{Effect, Job, Slot, Work};
pub use msg::{Answer, Msg, Rows};
pub use state::State;

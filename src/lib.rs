//! rolecall: assume cross-account AWS roles and browse what is behind them.
//!
//! `aws` talks to AWS and knows nothing of how results are shown; `config` and `roles` describe
//! what the responder can reach; `resources` says what a listed thing's fields and columns are;
//! `cli` is the command-line face, `app` + `ui` + `tui` the full-screen one.

pub mod actions;
pub mod app;
pub mod aws;
pub mod case;
pub mod cli;
pub mod config;
pub mod files;
pub mod inventory;
pub mod organization;
pub mod resources;
pub mod roles;
pub mod slots;
pub mod sso;
pub mod time;
pub mod tui;
pub mod ui;

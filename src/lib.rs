//! rolecall: assume cross-account AWS roles and browse what is behind them.
//!
//! `aws` talks to AWS and knows nothing of how results are shown; `config` and `roles` describe
//! what the responder can reach; `cli`, `commands` and `output` are the command-line face.

pub mod app;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod doctor;
pub mod inventory;
pub mod output;
pub mod resources;
pub mod roles;
pub mod tui;
pub mod ui;

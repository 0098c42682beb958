//! Every integration test, in one binary: it links rolecall and the AWS SDK once, and starts one
//! emulator (and one IAM-enforcing emulator) for the whole run, shared by every module.
//!
//! - `cli`, `console`, `discovery`, `inventory`, `iam_enforced`, `reliability`: the real binary
//!   against the emulator;
//! - `library`: rolecall's AWS layer called directly against the emulator;
//! - `update`, `every_account`: the TUI's pure update, driven by messages;
//! - `kinds`: what every kind of resource gets by being in the registry (snapshots, `:` names,
//!   export, CSV = JSON, every account = each account's role), generated from its list;
//! - `render`: insta snapshots of every view (`snapshots/`);
//! - `tmux`: the real TUI in tmux, as a person uses it;
//! - `fuzz`: proptest on the config loader and the ARN parser;
//! - `sessions`: the session cache (`[sessions] cache`), kept through the library and shown,
//!   cleared and searched for secrets through the binary;
//! - `sso`: IAM Identity Center (`[[sso]]`, `rolecall login`) with no primary credentials,
//!   against the emulator's portal and OIDC stand-in and its request recorder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod fixtures;

mod access;
mod actions;
mod actions_integrity;
mod actions_lost;
mod actions_race;
mod actions_share;
mod ca_bundle;
mod case;
mod cli;
mod console;
mod discovery;
mod events;
mod every_account;
mod findings;
mod fuzz;
mod iam_enforced;
mod identities;
mod init;
mod inventory;
mod kinds;
mod library;
mod organization;
mod reliability;
mod render;
mod sessions;
mod sso;
mod tmux;
mod update;
mod update_actions;
mod wan;

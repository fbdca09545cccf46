//! Terraform's machine-readable interface: the `-json` UI stream of `init`/`plan`/`apply`/
//! `destroy`, `output -json` and `version -json`, as typed data.
//!
//! Everything here is parsing and folding; spawning Terraform is the runner's job. Contract:
//! `shared/reference/confluent-api.md` §4.

pub mod cli;
pub mod event;
pub mod output;
pub mod progress;
pub mod ui;
pub mod workspace;

//! cdc-workshop: a terminal guide through the Confluent CDC hands-on workshop.
//!
//! Layers, in dependency order: `lesson` (pure course model) → `runner` (side-effect seams and
//! the check engine) → `engine` (the pure session state machine) → `journal` (persistence) →
//! `app` (the loop that owns the model) → `ui` (renders from the model only).

pub mod app;
pub mod assets;
pub mod backend;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod engine;
pub mod journal;
pub mod ledger;
pub mod lesson;
pub mod lineage;
pub mod live;
pub mod logging;
pub mod redact;
pub mod runner;
pub mod standin;
pub mod tasks;
pub mod tui;
pub mod ui;
pub mod values;
pub mod workspace;

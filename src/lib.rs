//! probot: a GitHub triage bot driven by a rules file each repository keeps
//! at `.github/probot.toml`.
//!
//! The shape: `event` turns a webhook into the bot's own types, `plan`
//! decides (pure), and the shell applies the plan through one GitHub client.
//! `config` owns the rules file; `plan::cc` everything about CC'ing (the
//! tracking issue, the cc line, subscription commands); `commands` the
//! grammar of the commands people leave in comments, `paths` the globs
//! people subscribe to, `matchers` the compiled label and path patterns.
//! `bot` runs one delivery:
//! facts from `cache` and `github`, then `plan`, then `apply`; `server` is
//! the webhook intake, and `shared` lets replicas share its queue and write
//! budget through Redis.

pub(crate) mod apply;
pub mod backtest;
pub mod bot;
pub(crate) mod cache;
pub mod commands;
pub mod config;
pub mod event;
pub(crate) mod facts;
pub mod github;
#[cfg(feature = "demo")]
pub mod harness;
pub mod import;
pub mod label_commands;
pub mod limits;
pub mod listener;
pub(crate) mod matchers;
pub(crate) mod metrics;
pub(crate) mod paths;
pub mod plan;
pub(crate) mod queue;
pub mod recover;
pub mod server;
pub mod setup;
pub mod shared;

//! probot: a GitHub triage bot driven by a rules file each repository keeps
//! at `.github/probot.toml`.
//!
//! The shape: `event` turns a webhook into the bot's own types, `plan`
//! decides (pure), and the shell applies the plan through one GitHub client.
//! `config` owns the rules file, `subscriptions` the tracking issue, and
//! `cc_line` the line the bot keeps in bodies, `subscribe` the commands
//! people leave on the tracking issue. `bot` runs one delivery:
//! facts from `cache` and `github`, then `plan`, then `apply`; `server` is
//! the webhook intake, and `shared` lets replicas share its queue and write
//! budget through Redis.

pub(crate) mod apply;
pub mod backtest;
pub mod bot;
pub(crate) mod cache;
pub(crate) mod cc_line;
pub mod config;
pub mod event;
pub(crate) mod facts;
pub mod github;
pub mod import;
pub mod label_commands;
pub mod limits;
pub mod listener;
#[cfg(feature = "demo")]
pub mod local;
pub(crate) mod matchers;
pub(crate) mod metrics;
pub mod plan;
pub(crate) mod queue;
pub mod recover;
pub mod server;
pub mod setup;
pub mod shared;
pub mod subscribe;
pub mod subscriptions;

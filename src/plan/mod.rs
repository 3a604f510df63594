//! The decision step: from an event and a repository's rules to the list of
//! desired-state actions. Pure: no I/O, no clock, so everything a reviewer
//! wants to reason about (which labels, whom to CC) is unit-tested here.
//!
//! The shell gathers the facts a plan needs (`needs` says which) and applies
//! the actions; it decides nothing.

mod cc;
mod labels;
mod ruleset;

use serde::Serialize;

use crate::event::{Event, ItemAction, ItemEvent, ItemKind};
use crate::subscriptions::Subscriptions;

pub use ruleset::{LabelMatcher, PathMatcher, Ruleset};

/// One thing the bot wants to be true of the item the event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Add these labels (none of them present yet), in one request.
    AddLabels { labels: Vec<String> },
    /// Make sure the body's cc line names these users (logins without `@`).
    Cc { users: Vec<String> },
}

/// Everything `plan` decides from.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    pub event: &'a Event,
    pub rules: &'a Ruleset,
    /// The tracking issue's subscriptions, when `needs` asked for them.
    pub subscriptions: Option<&'a Subscriptions>,
    /// The pull request's changed files, when `needs` asked for them.
    pub changed_files: Option<&'a [String]>,
    /// The bot's own login (`probot[bot]`): its events plan nothing, and it
    /// is never CC'd.
    pub bot: &'a str,
}

/// The facts a plan for this event needs fetched first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    pub subscriptions: bool,
    pub changed_files: bool,
}

/// Which facts `plan` will read for this event, so the shell fetches no
/// more than that.
pub fn needs(event: &Event, rules: &Ruleset, bot: &str) -> Needs {
    let Some(item) = actionable(event, bot) else {
        return Needs::default();
    };
    Needs {
        subscriptions: cc::wanted(item, rules),
        changed_files: labels::wants_changed_files(item, rules),
    }
}

/// Decides what to do about one event.
pub fn plan(input: &PlanInput<'_>) -> Vec<Action> {
    let Some(item) = actionable(input.event, input.bot) else {
        return Vec::new();
    };
    let added = labels::to_add(item, input.rules, input.changed_files.unwrap_or_default());
    let mut actions = Vec::new();
    if !added.is_empty() {
        actions.push(Action::AddLabels {
            labels: added.clone(),
        });
    }
    if let Some(subscriptions) = input.subscriptions {
        let users = cc::users(item, &added, input.rules, subscriptions, input.bot);
        if !users.is_empty() {
            actions.push(Action::Cc { users });
        }
    }
    actions
}

/// The item event to plan for, unless the bot caused it or it is not one.
fn actionable<'e>(event: &'e Event, bot: &str) -> Option<&'e ItemEvent> {
    match event {
        Event::Item(item) if !item.sender.login.eq_ignore_ascii_case(bot) => Some(item),
        _ => None,
    }
}

/// Opened or reopened: the item's whole state is new to the bot.
fn is_arrival(item: &ItemEvent) -> bool {
    matches!(item.action, ItemAction::Opened | ItemAction::Reopened)
}

fn is_pull_request(item: &ItemEvent) -> bool {
    item.kind == ItemKind::PullRequest
}

#[cfg(test)]
mod tests;

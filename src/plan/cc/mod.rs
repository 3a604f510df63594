//! The cc room: everything about who is CC'd on what.
//!
//! - the tracking issue, read (`tracking_issue.rs`: label and path lines)
//!   and edited one mention at a time (`edit.rs`);
//! - the cc line in a body (`line.rs`: parse, render, merge; textual);
//! - subscription commands on the tracking issue (`commands.rs`: the
//!   decision, pure; the bot reads what it needs first);
//! - the tracking issue's unreadable lines (`tracking.rs`, a capability);
//! - and here, the cc capability itself.
//!
//! Whom to CC: the subscribers of every label the item carries once the
//! producers' labels are added, and on pull requests the subscribers of
//! the paths they change (from the tracking issue and `cc.paths`).
//! Level-based: it plans the people who should be on the cc, and the cc
//! only ever gains names, so repeating it is harmless; it is planned on
//! every arrival, every label and every push.
//!
//! In `body` mode it plans only the names the body's cc line lacks (the
//! body is read fresh first); in `comment` mode it plans everyone, and the
//! doing step adds to the bot's own comment the names it lacks.

pub mod commands;
mod edit;
pub mod line;
pub(super) mod tracking;
mod tracking_issue;

use std::collections::HashMap;

use super::{
    is_arrival, is_new_code, is_pull_request, Action, Capability, Decision, IssueRef, Needs,
    Situation,
};
use crate::config::CcMode;
use crate::event::{ItemAction, ItemEvent, RepoName};
use line as cc_line;

use crate::limits::MAX_BODY_CHARS;
pub use edit::{apply_wishes, has_line, Wish};
pub use line::{CcEntry, CC_COMMENT_MARKER};
pub use tracking_issue::{LineProblem, Subscriptions};

pub(super) const CAPABILITY: Capability = Capability {
    acts_on,
    needs,
    plan,
};

/// Arrivals and labels (label subscriptions), new code (path ones).
fn acts_on(item: &ItemEvent) -> bool {
    super::is_arrival(item)
        || super::is_new_code(item)
        || matches!(item.action, ItemAction::Labeled(_))
}

/// The tracking issue, when CC applies to this event at all, and the
/// changed files once someone subscribes to paths.
fn needs(situation: &Situation<'_>) -> Needs {
    let Some(cc) = &situation.rules.file.cc else {
        return Needs::default();
    };
    if !wanted(situation) {
        return Needs::default();
    }
    let repo = cc
        .repository
        .as_deref()
        .and_then(RepoName::parse)
        .unwrap_or_else(|| situation.item.repo.clone());
    Needs {
        tracking_issue: Some(IssueRef {
            repo,
            number: crate::event::IssueNumber(cc.tracking_issue),
        }),
        changed_files: is_new_code(situation.item) && has_path_subscribers(situation),
        ..Needs::default()
    }
}

fn has_path_subscribers(situation: &Situation<'_>) -> bool {
    !situation.rules.cc_paths.is_empty()
        || situation
            .facts
            .subscriptions
            .as_ref()
            .is_some_and(|s| !s.paths().is_empty())
}

fn wanted(situation: &Situation<'_>) -> bool {
    let (item, rules) = (situation.item, situation.rules);
    let Some(cc) = &rules.file.cc else {
        return false;
    };
    let kind_enabled = match is_pull_request(item) {
        true => cc.pull_requests,
        false => cc.issues,
    };
    // A push can add path labels, and their subscribers must hear of it
    // now: the bot ignores the `labeled` events of its own writes. The
    // producers' labels, and whether more may come, are in the situation.
    let rules_may_add = || !situation.added.is_empty() || situation.more_may_come;
    let labels_may_change =
        is_arrival(item) || matches!(item.action, ItemAction::Labeled(_)) || rules_may_add();
    // An item that has no label and can get none (implications need a
    // label to start from) has no label subscribers to read.
    let may_have_labels = || !item.labels.is_empty() || rules_may_add();
    // New code may touch paths someone subscribes to, in the tracking
    // issue or in the rules.
    kind_enabled && ((labels_may_change && may_have_labels()) || is_new_code(item))
}

/// Everyone subscribed to the item's labels and changed paths, in label
/// order then path order, each once with every reason, never the author
/// or the bot.
fn subscribed(situation: &Situation<'_>) -> Vec<CcEntry> {
    let Some(subscriptions) = &situation.facts.subscriptions else {
        return Vec::new();
    };
    let item = situation.item;
    let mut entries: Vec<CcEntry> = Vec::new();
    // Lowercased login -> its entry; the author and the bot are never CC'd.
    let mut index: HashMap<String, Option<usize>> = [item.author.as_str(), situation.bot]
        .into_iter()
        .map(|login| (login.to_ascii_lowercase(), None))
        .collect();
    let mut add = |login: &str, because: String| match index.get(&login.to_ascii_lowercase()) {
        Some(None) => {}
        Some(Some(i)) => {
            if !entries[*i].because.contains(&because) {
                entries[*i].because.push(because);
            }
        }
        None => {
            index.insert(login.to_ascii_lowercase(), Some(entries.len()));
            entries.push(CcEntry {
                login: login.to_owned(),
                because: vec![because],
            });
        }
    };
    for label in item.labels.iter().chain(situation.added) {
        for user in subscriptions.subscribers(label) {
            add(user, label.clone());
        }
    }
    if let (true, Some(files)) = (is_pull_request(item), &situation.facts.changed_files) {
        let from_rules = situation.rules.cc_paths.subscribers(files);
        let from_issue = subscriptions.paths().subscribers(files);
        for (user, glob) in from_rules.into_iter().chain(from_issue) {
            add(user, format!("`{glob}`"));
        }
    }
    entries
}

/// Each person named, with what they subscribe to that brought them.
fn plan(situation: &Situation<'_>) -> Vec<Decision> {
    let actions = planned(situation);
    if actions.is_empty() {
        return Vec::new();
    }
    let because: Vec<String> = subscribed(situation)
        .into_iter()
        .map(|entry| {
            let what: Vec<String> = entry
                .because
                .iter()
                .map(|w| match w.starts_with('`') {
                    true => w.clone(),
                    false => format!("`{w}`"),
                })
                .collect();
            format!("@{} subscribes to {}", entry.login, what.join(", "))
        })
        .collect();
    actions
        .into_iter()
        .map(|action| Decision::new(action, because.clone()))
        .collect()
}

fn planned(situation: &Situation<'_>) -> Vec<Action> {
    let Some(cc) = &situation.rules.file.cc else {
        return Vec::new();
    };
    if !wanted(situation) {
        return Vec::new();
    }
    let entries = subscribed(situation);
    if entries.is_empty() {
        return Vec::new();
    }
    match cc.mode {
        CcMode::Comment => vec![Action::CcComment {
            users: entries,
            reasons: cc.reasons,
        }],
        CcMode::Body => plan_body(situation, entries),
    }
}

/// The names the body's cc line lacks, as many as fit GitHub's limit.
fn plan_body(situation: &Situation<'_>, entries: Vec<CcEntry>) -> Vec<Action> {
    let item = situation.item;
    let on_line: Vec<String> = cc_line::parse(&item.body)
        .unwrap_or_default()
        .into_iter()
        .map(|login| login.to_ascii_lowercase())
        .collect();
    // The body must stay within GitHub's limit: `\n\ncc` and ` @login` each.
    let mut room = MAX_BODY_CHARS.saturating_sub(item.body.chars().count() + 4);
    let mut users: Vec<String> = Vec::new();
    for entry in entries {
        if on_line.contains(&entry.login.to_ascii_lowercase()) {
            continue;
        }
        let cost = entry.login.chars().count() + 2;
        if cost > room {
            break;
        }
        room -= cost;
        users.push(entry.login);
    }
    match users.is_empty() {
        true => Vec::new(),
        false => vec![Action::Cc { users }],
    }
}

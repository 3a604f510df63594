//! Whom to CC: the subscribers of every label the item carries once the
//! producers' labels are added. Level-based: it plans only the names the
//! item's cc line lacks, so repeating it is harmless, and it is planned on
//! every arrival and every label.

use super::{is_arrival, is_pull_request, Action, Capability, IssueRef, Needs, Situation};
use std::collections::HashSet;

use crate::cc_line;
use crate::event::{ItemAction, RepoName};
use crate::limits::MAX_BODY_CHARS;

pub(super) const CAPABILITY: Capability = Capability { needs, plan };

/// The tracking issue, when CC applies to this event at all.
fn needs(situation: &Situation<'_>) -> Needs {
    let Some(cc) = &situation.rules.rules.cc else {
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
            number: cc.tracking_issue,
        }),
        ..Needs::default()
    }
}

fn wanted(situation: &Situation<'_>) -> bool {
    let (item, rules) = (situation.item, situation.rules);
    let Some(cc) = &rules.rules.cc else {
        return false;
    };
    let kind_enabled = match is_pull_request(item) {
        true => cc.pull_requests,
        false => cc.issues,
    };
    // A push can add path labels, and their subscribers must hear of it
    // now: the bot ignores the `labeled` events of its own writes.
    let path_labels = super::labels::wants_changed_files(item, rules);
    let labels_may_change =
        is_arrival(item) || matches!(item.action, ItemAction::Labeled(_)) || path_labels;
    // An item that has no label and can get none (implications need a
    // label to start from) has no subscribers to read.
    let may_have_labels = !item.labels.is_empty() || path_labels;
    kind_enabled && labels_may_change && may_have_labels
}

/// Subscribers the cc line lacks, in label order then tracking-issue
/// order, each once, never the author or the bot.
fn plan(situation: &Situation<'_>) -> Vec<Action> {
    let Some(subscriptions) = &situation.facts.subscriptions else {
        return Vec::new();
    };
    if !wanted(situation) {
        return Vec::new();
    }
    let item = situation.item;
    // Lowercased, as GitHub logins ignore case: the author, the bot and
    // whoever is on the line already are never planned.
    let mut known: HashSet<String> = cc_line::parse(&item.body)
        .unwrap_or_default()
        .into_iter()
        .chain([item.author.clone(), situation.bot.to_owned()])
        .map(|login| login.to_ascii_lowercase())
        .collect();
    // The body must stay within GitHub's limit: `\n\ncc` and ` @login` each.
    let mut room = MAX_BODY_CHARS.saturating_sub(item.body.chars().count() + 4);
    let mut users: Vec<String> = Vec::new();
    for label in item.labels.iter().chain(situation.added) {
        for user in subscriptions.subscribers(label) {
            let cost = user.chars().count() + 2;
            if cost > room {
                break;
            }
            if known.insert(user.to_ascii_lowercase()) {
                room -= cost;
                users.push(user.clone());
            }
        }
    }
    match users.is_empty() {
        true => Vec::new(),
        false => vec![Action::Cc { users }],
    }
}

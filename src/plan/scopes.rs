//! Label scopes: labels that belong on issues only, or on pull requests
//! only (`labels.issues_only`, `labels.pull_requests_only`). A label put on
//! the wrong kind of item is taken off, and one comment of the bot's (kept
//! in place) says why. Planned when labels arrive; nothing to read.

use super::{is_arrival, is_pull_request, Action, Capability, Decision, Needs, Situation};
use crate::event::{ItemAction, ItemEvent};

pub(super) const CAPABILITY: Capability = Capability {
    acts_on,
    needs,
    plan,
};

/// Arrivals and labels: a label of the wrong kind of item comes with one.
fn acts_on(item: &ItemEvent) -> bool {
    super::is_arrival(item) || matches!(item.action, ItemAction::Labeled(_))
}

/// Marks the comment about labels taken off.
pub const SCOPE_COMMENT_MARKER: &str = "<!-- probot:label-scope -->";

fn needs(_: &Situation<'_>) -> Needs {
    Needs::default()
}

/// Whether `label` belongs on the other kind of item than this one.
pub(super) fn out_of_scope(
    item: &crate::event::ItemEvent,
    rules: &crate::config::Ruleset,
    label: &str,
) -> bool {
    match is_pull_request(item) {
        true => rules.issues_only.matches(label),
        false => rules.pull_requests_only.matches(label),
    }
}

fn plan(situation: &Situation<'_>) -> Vec<Decision> {
    let why = format!(
        "labels.issues_only / labels.pull_requests_only: not for a {}",
        situation.item.kind
    );
    Decision::all_because(planned(situation), &why)
}

fn planned(situation: &Situation<'_>) -> Vec<Action> {
    let (item, rules) = (situation.item, situation.rules);
    let arriving: Vec<&String> = match &item.action {
        _ if is_arrival(item) => item.labels.iter().collect(),
        ItemAction::Labeled(arrived) => arrived
            .iter()
            .filter(|label| item.labels.contains(label))
            .collect(),
        _ => return Vec::new(),
    };
    let belongs = match is_pull_request(item) {
        true => "issues",
        false => "pull requests",
    };
    let off: Vec<String> = arriving
        .into_iter()
        .filter(|label| out_of_scope(item, rules, label))
        .cloned()
        .collect();
    if off.is_empty() {
        return Vec::new();
    }
    let named: Vec<String> = off.iter().map(|l| format!("`{l}`")).collect();
    vec![
        Action::RemoveLabels { labels: off },
        Action::Comment {
            marker: SCOPE_COMMENT_MARKER.to_owned(),
            body: format!(
                "{SCOPE_COMMENT_MARKER}\n{} belong{} on {belongs} only in this repository, so the bot took {} off this {}.",
                named.join(", "),
                if named.len() == 1 { "s" } else { "" },
                if named.len() == 1 { "it" } else { "them" },
                item.kind,
            ),
        },
    ]
}

//! Label implications and path labels: the producer of labels.
//!
//! Implications are edge-based: they fire for the labels an event brings
//! (every label of a newly opened item, the one label of a `labeled` event,
//! the labels path rules add), not for labels that were already there. So a
//! maintainer can remove `triage review` after the meeting while `high
//! priority` stays, and the next unrelated label does not bring it back.
//! Within one plan they are transitive: A => B => C adds B and C at once, as
//! the bot ignores the `labeled` events of its own writes.
//!
//! Drafts, as the original bot has it: path labels wait while a pull
//! request is a draft, come when it is marked ready for review, and go
//! again when it is converted back to a draft, but only those the bot
//! itself added (the item's label events say who added each).

use std::collections::{HashSet, VecDeque};

use super::{is_arrival, is_draft, is_new_code, Action, Capability, Needs, Situation};
use crate::config::Ruleset;
use crate::event::{ItemAction, ItemEvent};

pub(super) const CAPABILITY: Capability = Capability { needs, plan };

/// The changed files for path rules; and, when labels would be added,
/// which labels a person removed lately: since a replayed event was first
/// delivered (a replay must not undo them), or within
/// `labels.respect_removals_for` (the re-add guard). The history is read
/// only when there is something to add.
fn needs(situation: &Situation<'_>) -> Needs {
    let item = situation.item;
    let adding = situation.facts.labels_removed.is_none() && !planned(situation).is_empty();
    Needs {
        changed_files: wants_changed_files(item, situation.rules),
        label_removals_since: item.replay_of.clone().filter(|_| adding),
        label_removals_within: situation.rules.respect_removals_for.filter(|_| adding),
        label_adders: !path_labels_present(item, situation.rules).is_empty()
            && item.action == ItemAction::ConvertedToDraft,
        ..Needs::default()
    }
}

/// The item's labels that some path rule adds.
fn path_labels_present<'a>(item: &'a ItemEvent, rules: &Ruleset) -> Vec<&'a String> {
    item.labels
        .iter()
        .filter(|label| rules.paths.iter().any(|rule| rule.add.contains(label)))
        .collect()
}

/// Back to draft: the path labels the bot added go again.
fn taken_back(situation: &Situation<'_>) -> Vec<Action> {
    let Some(adders) = &situation.facts.label_adders else {
        return Vec::new();
    };
    let bot = situation.bot;
    let labels: Vec<String> = path_labels_present(situation.item, situation.rules)
        .into_iter()
        .filter(|label| {
            adders
                .get(*label)
                .is_some_and(|who| who.eq_ignore_ascii_case(bot))
        })
        .cloned()
        .collect();
    match labels.is_empty() {
        true => Vec::new(),
        false => vec![Action::RemoveLabels { labels }],
    }
}

fn plan(situation: &Situation<'_>) -> Vec<Action> {
    if situation.item.action == ItemAction::ConvertedToDraft {
        return taken_back(situation);
    }
    let mut labels = planned(situation);
    // A replay adds what the event would have added then, less what a
    // person removed since (what those imply still follows).
    if let (Some(_), Some(removed)) = (&situation.item.replay_of, &situation.facts.labels_removed) {
        labels.retain(|label| !removed.contains(label));
    }
    match labels.is_empty() {
        true => Vec::new(),
        false => vec![Action::AddLabels { labels }],
    }
}

/// Labels to add. Under the re-add guard, a label a person removed lately
/// (when that was read) is neither added nor implies anything, as if it
/// were still there.
fn planned(situation: &Situation<'_>) -> Vec<String> {
    let files = situation.facts.changed_files.as_deref().unwrap_or_default();
    let removed = match situation.item.replay_of {
        Some(_) => &[][..],
        None => situation
            .facts
            .labels_removed
            .as_deref()
            .unwrap_or_default(),
    };
    to_add(situation.item, situation.rules, files, removed)
}

/// Whether path rules apply to this event, so the pull request's files
/// must be read.
pub(super) fn wants_changed_files(item: &ItemEvent, rules: &Ruleset) -> bool {
    let code_to_label = match item.action {
        ItemAction::ReadyForReview => true,
        _ => is_new_code(item) && !is_draft(item),
    };
    !rules.paths.is_empty() && code_to_label
}

/// Labels to add, none of them present: path labels first, then what the
/// event's labels imply, in the order the rules give them.
fn to_add(
    item: &ItemEvent,
    rules: &Ruleset,
    changed_files: &[String],
    removed: &[String],
) -> Vec<String> {
    // A label removed lately counts as present: not added, and not a seed.
    let present: HashSet<&str> = item
        .labels
        .iter()
        .chain(removed)
        .map(String::as_str)
        .collect();
    let mut added: Vec<String> = Vec::new();
    if wants_changed_files(item, rules) {
        for rule in &rules.paths {
            if changed_files.iter().any(|path| rule.files.matches(path)) {
                for label in &rule.add {
                    if !present.contains(label.as_str()) && !added.contains(label) {
                        added.push(label.clone());
                    }
                }
            }
        }
    }

    let mut seeds = added.clone();
    match &item.action {
        _ if is_arrival(item) => seeds.extend(item.labels.iter().cloned()),
        ItemAction::Labeled(arrived) => seeds.extend(
            arrived
                .iter()
                .filter(|label| item.labels.contains(label))
                .cloned(),
        ),
        _ => {}
    }
    // A label of the other kind of item is taken off (`scopes.rs`): it
    // implies nothing, and is never added here.
    seeds.retain(|label| !super::scopes::out_of_scope(item, rules, label));
    let implied = implied(rules, &present, &seeds, &added);
    added.extend(implied);
    added.retain(|label| !super::scopes::out_of_scope(item, rules, label));
    added
}

/// The closure of `seeds` under the implication rules: labels implied, not
/// already present or already being added. Each rule fires at most once; a
/// rule whose `unless` matches a label present or being added is skipped.
fn implied(
    rules: &Ruleset,
    present: &HashSet<&str>,
    seeds: &[String],
    adding: &[String],
) -> Vec<String> {
    let mut have: HashSet<String> = present.iter().map(|s| s.to_string()).collect();
    have.extend(adding.iter().cloned());
    let mut fired = vec![false; rules.implies.len()];
    let mut queue: VecDeque<String> = seeds.iter().cloned().collect();
    let mut implied = Vec::new();
    while let Some(label) = queue.pop_front() {
        for (i, rule) in rules.implies.iter().enumerate() {
            if fired[i] || !rule.when.matches(&label) {
                continue;
            }
            fired[i] = true;
            if rule.unless.matches_any(have.iter().map(String::as_str)) {
                continue;
            }
            for new in &rule.add {
                if have.insert(new.clone()) {
                    implied.push(new.clone());
                    queue.push_back(new.clone());
                }
            }
        }
    }
    implied
}

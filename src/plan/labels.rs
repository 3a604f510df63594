//! Label implications and path labels: the producer of labels.
//!
//! Implications are edge-based: they fire for the labels an event brings
//! (every label of a newly opened item, the one label of a `labeled` event,
//! the labels path rules add), not for labels that were already there. So a
//! maintainer can remove `triage review` after the meeting while `high
//! priority` stays, and the next unrelated label does not bring it back.
//! Within one plan they are transitive: A => B => C adds B and C at once, as
//! the bot ignores the `labeled` events of its own writes.

use std::collections::{HashSet, VecDeque};

use super::{is_arrival, is_new_code, Action, Capability, Needs, Situation};
use crate::config::Ruleset;
use crate::event::{ItemAction, ItemEvent};

pub(super) const CAPABILITY: Capability = Capability { needs, plan };

/// The changed files for path rules; and for a replayed event that would
/// add labels, which labels a person removed since it was first delivered:
/// a replay must not undo them.
fn needs(situation: &Situation<'_>) -> Needs {
    let item = situation.item;
    let history = match &item.replay_of {
        Some(since) if !planned(situation).is_empty() => Some(since.clone()),
        _ => None,
    };
    Needs {
        changed_files: wants_changed_files(item, situation.rules),
        label_removals_since: history,
        ..Needs::default()
    }
}

fn plan(situation: &Situation<'_>) -> Vec<Action> {
    let mut labels = planned(situation);
    if let Some(removed) = &situation.facts.labels_removed {
        labels.retain(|label| !removed.contains(label));
    }
    match labels.is_empty() {
        true => Vec::new(),
        false => vec![Action::AddLabels { labels }],
    }
}

fn planned(situation: &Situation<'_>) -> Vec<String> {
    let files = situation.facts.changed_files.as_deref().unwrap_or_default();
    to_add(situation.item, situation.rules, files)
}

/// Whether path rules apply to this event, so the pull request's files
/// must be read.
pub(super) fn wants_changed_files(item: &ItemEvent, rules: &Ruleset) -> bool {
    !rules.paths.is_empty() && is_new_code(item)
}

/// Labels to add, none of them present: path labels first, then what the
/// event's labels imply, in the order the rules give them.
fn to_add(item: &ItemEvent, rules: &Ruleset, changed_files: &[String]) -> Vec<String> {
    let present: HashSet<&str> = item.labels.iter().map(String::as_str).collect();
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
    let implied = implied(rules, &present, &seeds, &added);
    added.extend(implied);
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

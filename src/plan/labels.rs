//! Label rules: `[[rules]]`, and `labels.implies` and `labels.paths`,
//! which are shorthand for rules. The producer of labels.
//!
//! A rule is looked at on the events that can change what its condition
//! reads (or the events it names), and fires at most once an event. Rules
//! are edge-based: they act when an event makes them hold, not forever
//! after, so a maintainer can take off `triage review` after the meeting
//! while `high priority` stays, and the next unrelated label does not bring
//! it back. Within one event they chain: labels a rule adds arrive, as if
//! by a `labeled` event, for the rules that look at labels, because the bot
//! ignores the `labeled` events of its own writes.
//!
//! Taking labels back is only ever done to labels the bot itself added
//! (the item's label events say who added each, read only when there is
//! one to take back): on `sync` rules whose condition no longer holds, and
//! on rules that ask for a pull request ready for review when it turns
//! draft again (the original bot's path labels).
//!
//! Facts are read only when a rule that needs them is looked at and what
//! is known does not decide it already (`conditions.rs`).

use crate::limits::MAX_LABELS_PER_ITEM;
use std::collections::{BTreeSet, HashSet};

use super::conditions::{event_names, Judge, Truth};
use super::picks::{self, Fired};
use super::{is_arrival, Action, Capability, Decision, Needs, Situation};
use crate::config::{CompiledRule, EventName};
use crate::event::{ItemAction, ItemEvent};

pub(super) const CAPABILITY: Capability = Capability {
    acts_on,
    needs,
    plan,
};

/// Every event a rule may name: arrivals, pushes, a pull request's
/// draft state, labels coming and going, closing, and edits of the title or
/// body (conditions read them).
fn acts_on(item: &ItemEvent) -> bool {
    let draft_change = super::is_pull_request(item)
        && matches!(
            item.action,
            ItemAction::ReadyForReview | ItemAction::ConvertedToDraft
        );
    let text_edit = item.action == ItemAction::Edited && (item.edits.title || item.edits.body);
    super::is_arrival(item)
        || super::is_new_code(item)
        || draft_change
        || text_edit
        || matches!(
            item.action,
            ItemAction::Labeled(_) | ItemAction::Unlabeled(_) | ItemAction::Closed
        )
}

/// What the rules decide for one event, with why (`bot::Outcome` is what
/// became of a whole delivery).
#[derive(Default)]
struct Verdicts<'r> {
    add: Vec<(String, String)>,
    remove: Vec<(String, String)>,
    comments: Vec<(String, String, String)>,
    /// Labels to take back if the bot added them, with why.
    take_back: Vec<(String, String)>,
    /// Facts that would decide rules still undecided.
    needs: Needs,
    /// Rules that fired with people to pick (`picks.rs` picks them).
    picks: Vec<Fired<'r>>,
}

/// What the rules need read; then, when labels would be added, which
/// labels a person removed lately: since a replayed event was first
/// delivered (a replay must not undo them), or within
/// `labels.respect_removals_for` (the re-add guard); and who added the
/// labels there are to take back.
fn needs(situation: &Situation<'_>) -> Needs {
    let item = situation.item;
    let outcome = decide(situation);
    let adding = situation.facts.labels_removed.is_none() && !outcome.add.is_empty();
    Needs {
        label_removals_since: item.replay_of.clone().filter(|_| adding),
        label_removals_within: situation.rules.respect_removals_for.filter(|_| adding),
        label_adders: !outcome.take_back.is_empty(),
        ..outcome.needs.union(picks::needs(situation, &outcome.picks))
    }
}

fn plan(situation: &Situation<'_>) -> Vec<Decision> {
    let mut outcome = decide(situation);
    // A replay adds what the event would have added then, less what a
    // person removed since (what those imply still follows).
    if let (Some(_), Some(removed)) = (&situation.item.replay_of, &situation.facts.labels_removed) {
        outcome.add.retain(|(label, _)| !removed.contains(label));
    }
    if let Some(adders) = &situation.facts.label_adders {
        let bot = situation.bot;
        let added_by_bot = |label: &String| {
            adders
                .get(label)
                .is_some_and(|who| who.eq_ignore_ascii_case(bot))
        };
        for (label, why) in outcome.take_back {
            if added_by_bot(&label) && !outcome.remove.iter().any(|(l, _)| *l == label) {
                outcome.remove.push((label, why));
            }
        }
    }
    // GitHub refuses a 101st label on an item: what would pass the cap is
    // not planned, in the rules' order, and the plan says so.
    let staying = situation
        .item
        .labels
        .iter()
        .filter(|l| !outcome.remove.iter().any(|(r, _)| r == *l))
        .count();
    let room = MAX_LABELS_PER_ITEM.saturating_sub(staying);
    let over: Vec<(String, String)> = match outcome.add.len() > room {
        true => outcome.add.split_off(room),
        false => Vec::new(),
    };
    let mut decisions = Vec::new();
    if !outcome.add.is_empty() {
        let (labels, mut because) = each_with_why(outcome.add);
        because.extend(over.iter().map(|(label, _)| {
            format!("`{label}` not added: GitHub allows at most {MAX_LABELS_PER_ITEM} labels on an item")
        }));
        decisions.push(Decision::new(Action::AddLabels { labels }, because));
    }
    if !outcome.remove.is_empty() {
        let (labels, because) = each_with_why(outcome.remove);
        decisions.push(Decision::new(Action::RemoveLabels { labels }, because));
    }
    for (marker, body, why) in outcome.comments {
        decisions.push(Decision::new(Action::Comment { marker, body }, vec![why]));
    }
    decisions.extend(picks::decide(situation, &outcome.picks));
    decisions
}

/// Labels, and a reason for each that names it.
fn each_with_why(labels: Vec<(String, String)>) -> (Vec<String>, Vec<String>) {
    labels
        .into_iter()
        .map(|(label, why)| (label.clone(), format!("`{label}`: {why}")))
        .unzip()
}

/// Whether `when` held with the labels as they were before a label event
/// (nothing arriving): then the event did not make it hold. A condition
/// that can't be judged then counts as not holding.
fn held_before(
    now: &Judge<'_>,
    before: &Option<HashSet<String>>,
    when: &crate::config::Cond,
) -> bool {
    let Some(before) = before else {
        return false;
    };
    let then = Judge {
        present: before,
        arrived: &[],
        ..*now
    };
    then.truth(when) == Truth::Holds
}

/// The labels that arrive with the event itself.
fn arrivals(item: &ItemEvent) -> Vec<String> {
    match &item.action {
        _ if is_arrival(item) => item.labels.clone(),
        ItemAction::Labeled(arrived) => arrived
            .iter()
            .filter(|label| item.labels.contains(label))
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

/// Runs the rules in rounds: the event first, then the labels each round
/// added, until a round adds nothing. Each rule fires at most once, so
/// there are at most as many rounds as rules.
fn decide<'r>(situation: &Situation<'r>) -> Verdicts<'r> {
    let (item, rules, facts) = (situation.item, situation.rules, situation.facts);
    let mut outcome = Verdicts::default();
    if rules.label_rules.is_empty() {
        return outcome;
    }
    let out_of_scope = |label: &str| super::scopes::out_of_scope(item, rules, label);
    // Under the re-add guard, a label a person removed lately (when that
    // was read) counts as present: it is neither added nor arrives.
    let removed_lately: &[String] = match item.replay_of {
        Some(_) => &[],
        None => facts.labels_removed.as_deref().unwrap_or_default(),
    };
    let mut present: HashSet<String> = item.labels.iter().chain(removed_lately).cloned().collect();
    let mut arrived: Vec<String> = arrivals(item);
    // A label of the other kind of item is taken off (`scopes.rs`): it
    // arrives for no rule, and is never added here.
    arrived.retain(|label| !out_of_scope(label));
    let first_events = event_names(item);
    let mut later_events = first_events.clone();
    later_events.push(EventName::Labeled);

    // One pass of the file index over the changed files serves every rule.
    let file_hits = facts
        .changed_files
        .as_deref()
        .map(|files| rules.file_index.hits(files));
    // The labels just before a label event: the rules it looks at held
    // then already, or not.
    let before: Option<HashSet<String>> = match &item.action {
        ItemAction::Unlabeled(label) => {
            let mut before = present.clone();
            before.insert(label.clone());
            Some(before)
        }
        ItemAction::Labeled(_) if !arrived.is_empty() => Some(
            present
                .iter()
                .filter(|l| !arrived.contains(l))
                .cloned()
                .collect(),
        ),
        _ => None,
    };
    let mut fired = vec![false; rules.label_rules.len()];
    let mut failed = vec![false; rules.label_rules.len()];
    let mut removing: BTreeSet<String> = BTreeSet::new();
    let mut round = 0;
    loop {
        let events = match round {
            0 => &first_events,
            _ => &later_events,
        };
        let mut arriving_next = Vec::new();
        for (i, rule) in rules.label_rules.iter().enumerate() {
            let looked_at = match round {
                0 => events.iter().any(|e| rule.triggers.contains(*e)),
                _ => rule.triggers.contains(EventName::Labeled),
            };
            if fired[i] || !looked_at {
                continue;
            }
            let judge = Judge {
                item,
                facts,
                present: &present,
                arrived: &arrived,
                events,
                file_hits: file_hits.as_ref(),
            };
            match judge.truth(&rule.when) {
                // Rules are edge-based: a label event fires only the rules
                // it makes hold, so a label a person removed stays removed
                // while the labels that brought it are unchanged.
                Truth::Holds if round == 0 && held_before(&judge, &before, &rule.when) => {}
                Truth::Holds => {
                    fired[i] = true;
                    failed[i] = false;
                    let why = because(rule, &judge);
                    for label in &rule.add {
                        if !present.contains(label) && !out_of_scope(label) {
                            present.insert(label.clone());
                            arriving_next.push(label.clone());
                            outcome.add.push((label.clone(), why.clone()));
                        }
                    }
                    for label in &rule.remove {
                        if item.labels.contains(label) && removing.insert(label.clone()) {
                            outcome.remove.push((label.clone(), why.clone()));
                        }
                    }
                    if let Some((marker, body)) = &rule.comment {
                        outcome
                            .comments
                            .push((marker.clone(), body.clone(), why.clone()));
                    }
                    for pick in &rule.picks {
                        outcome.picks.push(Fired {
                            pick,
                            why: why.clone(),
                        });
                    }
                }
                Truth::Fails => failed[i] = true,
                Truth::Unknown(needs) => outcome.needs = outcome.needs.union(*needs),
            }
        }
        if arriving_next.is_empty() {
            break;
        }
        arrived = arriving_next;
        round += 1;
    }
    // Labels a rule removes are not added by another.
    outcome.add.retain(|(label, _)| !removing.contains(label));
    let drafted = item.action == ItemAction::ConvertedToDraft;
    for (i, rule) in rules.label_rules.iter().enumerate() {
        if !failed[i] || !(rule.sync || (drafted && rule.wants_ready)) {
            continue;
        }
        let why = match rule.sync {
            true => format!("{} no longer holds (sync)", rule.origin()),
            false => format!("{} wants a pull request ready for review", rule.origin()),
        };
        for label in &rule.add {
            let kept = outcome.add.iter().any(|(l, _)| l == label);
            if item.labels.contains(label) && !kept && !removing.contains(label) {
                outcome.take_back.push((label.clone(), why.clone()));
            }
        }
    }
    outcome
}

/// `rules[3] "rocm" (line 12): title matches /^\[ROCm\]/`.
fn because(rule: &CompiledRule, judge: &Judge<'_>) -> String {
    format!("{}: {}", rule.origin(), judge.why(&rule.when).join(", "))
}

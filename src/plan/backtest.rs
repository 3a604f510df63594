//! The pure half of a backtest (`src/backtest.rs` reads): what one rule
//! set does to an item that the other does not, and how a backtest reads
//! in a check run or a terminal.

use crate::event::IssueNumber;
use std::collections::BTreeMap;

use serde::Serialize;

use super::{Action, Decision};

/// The outcome of a backtest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Backtest {
    /// Items planned with both rule sets.
    pub items: usize,
    /// Those whose outcome differs, newest first.
    pub differing: Vec<ItemDifference>,
}

/// One item whose outcome differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemDifference {
    pub number: IssueNumber,
    pub title: String,
    pub changes: Vec<Change>,
}

/// Something one rule set does to an item and the other does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `true`: only the new rules do it; `false`: only the old ones.
    pub new: bool,
    /// `add label "x"`, `cc @alice`, `ask for reviews from @bob`.
    pub what: String,
    pub because: Vec<String>,
}

/// The effects of some decisions, one per label or person where an action
/// has several, each with the reasons that name it. Check runs, replies
/// and reactions are not outcomes of an item's rules.
fn effects(decisions: &[Decision]) -> BTreeMap<String, Vec<String>> {
    let mut effects = BTreeMap::new();
    let naming = |because: &[String], name: &str| -> Vec<String> {
        let mine: Vec<String> = because
            .iter()
            .filter(|b| b.contains(name))
            .cloned()
            .collect();
        match mine.is_empty() {
            true => because.to_vec(),
            false => mine,
        }
    };
    for decision in decisions {
        match &decision.action {
            Action::AddLabels { labels } => {
                for label in labels {
                    let why = naming(&decision.because, &format!("`{label}`"));
                    effects.insert(format!("add label {label:?}"), why);
                }
            }
            Action::RemoveLabels { labels } => {
                for label in labels {
                    let why = naming(&decision.because, &format!("`{label}`"));
                    effects.insert(format!("remove label {label:?}"), why);
                }
            }
            Action::Cc { users } => {
                for user in users {
                    let why = naming(&decision.because, &format!("@{user}"));
                    effects.insert(format!("cc @{user}"), why);
                }
            }
            Action::CheckRun(_)
            | Action::Reply { .. }
            | Action::React { .. }
            | Action::Subscriptions { .. } => {}
            other => {
                effects.insert(other.to_string(), decision.because.clone());
            }
        }
    }
    effects
}

/// What the new rules do that the old did not, and the other way round.
pub fn compare(old: &[Decision], new: &[Decision]) -> Vec<Change> {
    let (old, new) = (effects(old), effects(new));
    let gained = new.iter().filter(|(what, _)| !old.contains_key(*what));
    let lost = old.iter().filter(|(what, _)| !new.contains_key(*what));
    gained
        .map(|(what, because)| Change {
            new: true,
            what: what.clone(),
            because: because.clone(),
        })
        .chain(lost.map(|(what, because)| Change {
            new: false,
            what: what.clone(),
            because: because.clone(),
        }))
        .collect()
}

impl Backtest {
    /// Markdown for a check run or a terminal, within `room` characters:
    /// how many items differ, then each (the first ones, when they don't
    /// all fit) with what changes and why.
    pub fn to_markdown(&self, room: usize) -> String {
        if self.items == 0 {
            return String::new();
        }
        let mut out = format!(
            "### What the new rules would do differently\n\nPlanned on the last {} updated issues and pull requests, each as if just opened with the labels people gave it: {} would get another outcome.\n\n",
            self.items,
            self.differing.len()
        );
        for (shown, item) in self.differing.iter().enumerate() {
            let mut entry = format!("- #{} {}\n", item.number, item.title);
            for change in &item.changes {
                let verb = match change.new {
                    true => "now",
                    false => "no longer",
                };
                entry.push_str(&format!(
                    "  - {verb}: {} (because {})\n",
                    change.what,
                    change.because.join("; ")
                ));
            }
            if out.chars().count() + entry.chars().count() > room {
                let more = self.differing.len() - shown;
                out.push_str(&format!("- … and {more} more items\n"));
                break;
            }
            out.push_str(&entry);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(action: Action, because: &[&str]) -> Decision {
        Decision::new(action, because.iter().map(|b| b.to_string()).collect())
    }

    #[test]
    fn a_difference_is_a_label_or_person_one_side_has_with_its_own_reason() {
        let old = [decision(
            Action::AddLabels {
                labels: vec!["a".into(), "b".into()],
            },
            &["`a`: rules[0]", "`b`: rules[1]"],
        )];
        let new = [
            decision(
                Action::AddLabels {
                    labels: vec!["a".into(), "c".into()],
                },
                &["`a`: rules[0]", "`c`: rules[2]"],
            ),
            decision(
                Action::Cc {
                    users: vec!["alice".into()],
                },
                &["@alice subscribes to `c`"],
            ),
        ];
        let changes = compare(&old, &new);
        let seen: Vec<(bool, &str, &[String])> = changes
            .iter()
            .map(|c| (c.new, c.what.as_str(), c.because.as_slice()))
            .collect();
        assert_eq!(
            seen,
            [
                (true, "add label \"c\"", &["`c`: rules[2]".to_owned()][..]),
                (
                    true,
                    "cc @alice",
                    &["@alice subscribes to `c`".to_owned()][..]
                ),
                (false, "add label \"b\"", &["`b`: rules[1]".to_owned()][..]),
            ]
        );
        assert!(compare(&old, &old).is_empty());
        let shown = Backtest {
            items: 2,
            differing: vec![ItemDifference {
                number: crate::event::IssueNumber(7),
                title: "Crash".into(),
                changes,
            }],
        }
        .to_markdown(10_000);
        assert!(
            shown.contains("- #7 Crash\n  - now: add label \"c\" (because `c`: rules[2])"),
            "{shown}"
        );
        assert!(shown.contains("  - no longer: add label \"b\""), "{shown}");
    }
}

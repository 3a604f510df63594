//! Whether a rule's condition holds, in three values: it holds, it does
//! not, or it can't be told until a fact is read. A fact is asked for only
//! when nothing read already decides the condition: `all` with one part
//! false is false whatever the files are, so the files are not read.
//!
//! The depth of a condition is bounded when the rules file is checked, so
//! the recursion here is too.

use std::collections::{BTreeSet, HashSet};

use super::{Facts, Needs};
use crate::config::{Cond, EventName, FileHits, Kind, Leaf, Measure, Quantifier, Test};
use crate::event::{ItemAction, ItemEvent, ItemKind};

/// The part of a title or body a regex reads: GitHub caps both well under
/// this, and a signed payload could still carry more.
fn within_limit(text: &str) -> &str {
    let mut end = text.len().min(crate::limits::MAX_MATCHED_TEXT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// What a condition is judged against.
pub(super) struct Judge<'a> {
    pub item: &'a ItemEvent,
    pub facts: &'a Facts,
    /// The item's labels, with those added on this event and those a person
    /// removed lately (which count as still there).
    pub present: &'a HashSet<String>,
    /// Labels that arrived in this round.
    pub arrived: &'a [String],
    /// The events this round counts as.
    pub events: &'a [EventName],
    /// Which file globs the changed files match, once they are read.
    pub file_hits: Option<&'a FileHits>,
}

/// A condition's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Truth {
    Holds,
    Fails,
    /// Reading these would tell.
    Unknown(Box<Needs>),
}

/// The events an item action counts as.
pub(super) fn event_names(item: &ItemEvent) -> Vec<EventName> {
    match &item.action {
        ItemAction::Opened => vec![EventName::Opened],
        ItemAction::Reopened => vec![EventName::Reopened],
        ItemAction::Edited => {
            let mut names = vec![EventName::Edited];
            if item.edits.title {
                names.push(EventName::TitleEdited);
            }
            if item.edits.body {
                names.push(EventName::BodyEdited);
            }
            names
        }
        ItemAction::Closed => vec![EventName::Closed],
        ItemAction::Labeled(_) => vec![EventName::Labeled],
        ItemAction::Unlabeled(_) => vec![EventName::Unlabeled],
        ItemAction::Synchronize => vec![EventName::Synchronize],
        ItemAction::ReadyForReview => vec![EventName::ReadyForReview],
        ItemAction::ConvertedToDraft => vec![EventName::ConvertedToDraft],
        ItemAction::Other(_) => Vec::new(),
    }
}

impl Judge<'_> {
    pub(super) fn truth(&self, cond: &Cond) -> Truth {
        match cond {
            Cond::All(conds) => {
                let mut needs: Option<Needs> = None;
                for cond in conds {
                    match self.truth(cond) {
                        Truth::Fails => return Truth::Fails,
                        Truth::Holds => {}
                        Truth::Unknown(more) => {
                            needs = Some(needs.unwrap_or_default().union(*more));
                        }
                    }
                }
                needs.map_or(Truth::Holds, |n| Truth::Unknown(Box::new(n)))
            }
            Cond::Any(conds) => {
                let mut needs: Option<Needs> = None;
                for cond in conds {
                    match self.truth(cond) {
                        Truth::Holds => return Truth::Holds,
                        Truth::Fails => {}
                        Truth::Unknown(more) => {
                            needs = Some(needs.unwrap_or_default().union(*more));
                        }
                    }
                }
                needs.map_or(Truth::Fails, |n| Truth::Unknown(Box::new(n)))
            }
            Cond::Not(cond) => match self.truth(cond) {
                Truth::Holds => Truth::Fails,
                Truth::Fails => Truth::Holds,
                unknown => unknown,
            },
            Cond::Leaf(leaf) => self.leaf(&leaf.test),
        }
    }

    fn leaf(&self, test: &Test) -> Truth {
        let item = self.item;
        let pull = item.pull.as_ref();
        let known = |holds: bool| match holds {
            true => Truth::Holds,
            false => Truth::Fails,
        };
        match test {
            Test::LabelsAny(matcher) => known(self.present.iter().any(|l| matcher.matches(l))),
            Test::LabelsAll(matchers) => known(
                matchers
                    .iter()
                    .all(|(_, m)| self.present.iter().any(|l| m.matches(l))),
            ),
            Test::LabelsNone(matcher) => known(!self.present.iter().any(|l| matcher.matches(l))),
            Test::LabelAdded(matcher) => known(self.arrived.iter().any(|l| matcher.matches(l))),
            Test::Files {
                quantifier,
                first,
                count,
            } => {
                if item.kind != ItemKind::PullRequest {
                    return Truth::Fails;
                }
                match self.file_hits {
                    None => Truth::Unknown(Box::new(Needs {
                        changed_files: true,
                        ..Needs::default()
                    })),
                    Some(hits) => known(hits.quantify(*quantifier, *first, *count)),
                }
            }
            Test::Title(regex) => known(regex.is_match(within_limit(&item.title))),
            Test::Body(regex) => known(regex.is_match(within_limit(&item.body))),
            Test::Author { logins, teams } => {
                // A deleted account: nobody's login, in no team.
                if item.author == crate::event::GHOST {
                    return Truth::Fails;
                }
                let author = item.author.to_ascii_lowercase();
                if logins.contains(&author) {
                    return Truth::Holds;
                }
                let mut unread = BTreeSet::new();
                for team in teams {
                    match self.facts.author_teams.get(team) {
                        Some(true) => return Truth::Holds,
                        Some(false) => {}
                        None => {
                            unread.insert(team.clone());
                        }
                    }
                }
                match unread.is_empty() {
                    true => Truth::Fails,
                    false => Truth::Unknown(Box::new(Needs {
                        author_teams: unread,
                        ..Needs::default()
                    })),
                }
            }
            Test::Association(names) => known(
                names
                    .iter()
                    .any(|name| item.association.eq_ignore_ascii_case(name)),
            ),
            Test::Draft(draft) => known(pull.is_some_and(|p| p.draft == *draft)),
            Test::Size { measure, min, max } => {
                let count = pull.and_then(|p| match measure {
                    Measure::ChangedFiles => p.size.changed_files,
                    Measure::Additions => p.size.additions,
                    Measure::Deletions => p.size.deletions,
                });
                known(count.is_some_and(|n| (*min..=*max).contains(&n)))
            }
            Test::Base(matcher) => known(pull.is_some_and(|p| matcher.matches(&p.base_ref))),
            Test::Head(matcher) => known(pull.is_some_and(|p| matcher.matches(&p.head_ref))),
            Test::Kind(kind) => known(match kind {
                Kind::Issue => item.kind == ItemKind::Issue,
                Kind::PullRequest => item.kind == ItemKind::PullRequest,
            }),
            Test::Event(events) => known(self.events.iter().any(|e| events.contains(*e))),
        }
    }

    /// Why a condition that holds holds: the words of each part that held,
    /// with what made it hold where there is one thing to name.
    pub(super) fn why(&self, cond: &Cond) -> Vec<String> {
        match cond {
            Cond::All(conds) => conds.iter().flat_map(|c| self.why(c)).collect(),
            Cond::Any(conds) => conds
                .iter()
                .find(|c| self.truth(c) == Truth::Holds)
                .map(|c| self.why(c))
                .unwrap_or_default(),
            Cond::Not(cond) => vec![format!("not ({})", cond.describe())],
            Cond::Leaf(leaf) => vec![self.witness(leaf)],
        }
    }

    fn witness(&self, leaf: &Leaf) -> String {
        let item = self.item;
        match &leaf.test {
            Test::LabelAdded(matcher) => match self.arrived.iter().find(|l| matcher.matches(l)) {
                Some(label) => format!("label `{label}` arrived"),
                None => leaf.text.clone(),
            },
            Test::LabelsAny(matcher) => {
                let mut present: Vec<&String> =
                    self.present.iter().filter(|l| matcher.matches(l)).collect();
                present.sort();
                match present.first() {
                    Some(label) => format!("label `{label}` is there"),
                    None => leaf.text.clone(),
                }
            }
            Test::Files {
                quantifier: Quantifier::AnyGlobToAnyFile,
                first,
                count,
            } => {
                let files = self.facts.changed_files.as_deref().unwrap_or_default();
                let file = self
                    .file_hits
                    .and_then(|hits| hits.first_match(*first, *count))
                    .and_then(|f| files.get(f));
                match file {
                    Some(file) => format!("{} (`{file}`)", leaf.text),
                    None => leaf.text.clone(),
                }
            }
            Test::Author { logins, .. } => {
                match logins.contains(&item.author.to_ascii_lowercase()) {
                    true => format!("author is `{}`", item.author),
                    false => format!("author `{}` is in a team of {}", item.author, {
                        let teams: Vec<String> = self
                            .facts
                            .author_teams
                            .iter()
                            .filter(|(_, member)| **member)
                            .map(|(team, _)| format!("@{team}"))
                            .collect();
                        teams.join(", ")
                    }),
                }
            }
            _ => leaf.text.clone(),
        }
    }
}

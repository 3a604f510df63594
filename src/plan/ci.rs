//! CI by label: a label mapped in `[ci.labels]` on a pull request starts
//! its workflow for the head commit, and follows new commits until the
//! label goes.
//!
//! Trust: starting CI runs the pull request's code with the repository's
//! resources. A label counts only when added by someone with write access.
//! New commits are followed only when the author has write access; other
//! authors' pushes wait for a maintainer to apply the label again, and the
//! pull request says so in one comment, kept up to date.

use crate::event::{CommitSha, IssueNumber};
use serde::Serialize;
use serde_json::json;

use super::{is_pull_request, Action, Capability, Decision, Needs, Situation};
use crate::config::{CiRules, CiTarget, Via};
use crate::event::{ItemAction, ItemEvent, PullRequestInfo};

pub(super) const CAPABILITY: Capability = Capability {
    acts_on,
    needs,
    plan,
};

/// Labels coming and going, new code to follow, closing to clean up.
fn acts_on(item: &ItemEvent) -> bool {
    super::is_arrival(item)
        || super::is_new_code(item)
        || matches!(
            item.action,
            ItemAction::Labeled(_) | ItemAction::Unlabeled(_) | ItemAction::Closed
        )
}

/// Only the access the plan reads: the sender's for a label, the author's
/// for new commits.
fn needs(situation: &Situation<'_>) -> Needs {
    let item = situation.item;
    let whose = match wants_trust(situation) {
        Whose::Nobody => return Needs::default(),
        Whose::Sender => &item.sender.login,
        Whose::Author => &item.author,
    };
    Needs {
        write_access: [whose.to_string()].into(),
        ..Needs::default()
    }
}

fn plan(situation: &Situation<'_>) -> Vec<Decision> {
    let item = situation.item;
    let trust = Trust {
        author_can_write: situation.facts.can_write(&item.author),
        sender_can_write: situation.facts.can_write(&item.sender.login),
    };
    actions(item, &situation.rules.file.ci, situation.added, trust)
        .into_iter()
        .map(|action| {
            let why = because(item, &action, trust);
            Decision::one(action, why)
        })
        .collect()
}

/// Why CI does this: the label and its mapping, and whose access counted.
fn because(item: &ItemEvent, action: &Action, trust: Trust) -> String {
    let access = |who: &str, can: bool| match can {
        true => format!("{who} has write access"),
        false => format!("{who} has no write access"),
    };
    match action {
        Action::SyncTag { .. } | Action::Dispatch(_) => {
            let label = match action {
                Action::Dispatch(dispatch) => dispatch.label.as_str(),
                // The tag is `<label>/<number>`.
                Action::SyncTag { tag, .. } => {
                    tag.rsplit_once('/').map_or(tag.as_str(), |(l, _)| l)
                }
                _ => "",
            };
            let whose = match item.action {
                ItemAction::Synchronize | ItemAction::Reopened => {
                    access(&format!("author @{}", item.author), trust.author_can_write)
                }
                _ => access(&format!("@{}", item.sender.login), trust.sender_can_write),
            };
            format!("ci.labels maps `{label}` ({}; {whose})", item.action)
        }
        Action::DeleteTag { .. } | Action::ForgetDispatches { .. } => {
            format!("ci: {} ends the label's CI", item.action)
        }
        Action::Comment { marker, .. } if marker == LABELS_COMMENT_MARKER => {
            "ci.prefixes: a label looks like a CI label but is not in ci.labels".to_owned()
        }
        Action::Comment { .. } => format!(
            "ci: new commits by @{} wait for a maintainer to label again ({})",
            item.author,
            access("the author", trust.author_can_write)
        ),
        _ => "ci: CI started, so the waiting comment says so".to_owned(),
    }
}

/// Who may start CI, as read from GitHub for this event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Trust {
    /// The pull request's author has write access (admin, maintain, write).
    author_can_write: bool,
    /// Whoever caused the event has write access.
    sender_can_write: bool,
}

/// A workflow to start once for a (label, head commit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dispatch {
    pub label: String,
    pub number: IssueNumber,
    pub head_sha: CommitSha,
    #[serde(flatten)]
    pub kind: DispatchKind,
}

/// Where dispatches are recorded, one ref per (pull request, label, head):
/// creating a ref is atomic, so of two deliveries of one event only one
/// creates it and dispatches.
const DISPATCH_REFS: &str = "refs/probot/dispatch";

impl Dispatch {
    /// The ref that records this dispatch. Hex keeps any label name valid
    /// in a ref.
    pub fn record_ref(&self) -> String {
        format!(
            "{}{}/{}",
            Dispatch::records_of(self.number),
            hex::encode(&self.label),
            self.head_sha
        )
    }

    /// The prefix of every dispatch record of a pull request.
    pub fn records_of(number: IssueNumber) -> String {
        format!("{DISPATCH_REFS}/{number}/")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum DispatchKind {
    WorkflowDispatch {
        workflow: String,
        /// A branch or tag in the base repository.
        git_ref: String,
        inputs: serde_json::Value,
    },
    RepositoryDispatch {
        event_type: String,
        client_payload: serde_json::Value,
    },
}

/// Marks the comment listing the CI labels, so it is updated, not repeated.
pub const LABELS_COMMENT_MARKER: &str = "<!-- probot:ci-labels -->";
/// Marks the comment saying new commits wait for a maintainer.
pub const WAITING_COMMENT_MARKER: &str = "<!-- probot:ci-waiting -->";

/// The tag that carries a label's CI for a pull request: `<label>/<number>`.
fn tag_name(label: &str, number: IssueNumber) -> String {
    format!("{label}/{number}")
}

/// Whose write access a plan for this event depends on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Whose {
    #[default]
    Nobody,
    /// Whoever added a label (or opened the pull request with labels).
    Sender,
    /// The pull request's author, whose new commits CI may follow.
    Author,
}

/// Whose access this event needs read.
fn wants_trust(situation: &Situation<'_>) -> Whose {
    let (item, ruleset) = (situation.item, situation.rules);
    let rules = &ruleset.file.ci;
    if rules.labels.is_empty() || !is_pull_request(item) || !item.open {
        return Whose::Nobody;
    }
    // A rule (an implication, a path or title rule) adding a CI label on
    // this event, as far as the facts read so far tell: once they tell
    // more, the shell asks again.
    let rules_add_ci = || situation.added.iter().any(|l| rules.labels.contains_key(l));
    let any_mapped = || item.labels.iter().any(|l| rules.labels.contains_key(l));
    match &item.action {
        ItemAction::Labeled(arrived)
            if arrived.iter().any(|l| rules.labels.contains_key(l)) || rules_add_ci() =>
        {
            Whose::Sender
        }
        ItemAction::Opened if any_mapped() || rules_add_ci() => Whose::Sender,
        ItemAction::ReadyForReview | ItemAction::Edited if rules_add_ci() => Whose::Sender,
        ItemAction::Synchronize | ItemAction::Reopened if any_mapped() || rules_add_ci() => {
            Whose::Author
        }
        _ => Whose::Nobody,
    }
}

/// CI actions for this event. `added` are labels this plan adds itself
/// (by implication or path), which arrive as if the sender added them.
fn actions<'a>(
    item: &'a ItemEvent,
    rules: &'a CiRules,
    added: &'a [String],
    trust: Trust,
) -> Vec<Action> {
    let (Some(pull), true) = (&item.pull, is_pull_request(item)) else {
        return Vec::new();
    };
    let mapped = |label: &'a str| rules.labels.get(label).map(|target| (label, target));
    let mut actions = Vec::new();
    match &item.action {
        // Planned again on the item read fresh: a closed pull request
        // reopened since, or a label applied again, keeps its CI.
        ItemAction::Closed if !item.open => {
            // The tags of the labels it carries: only those were made.
            for (label, target) in item.labels.iter().filter_map(|l| mapped(l)) {
                if uses_tag(target, pull) {
                    actions.push(Action::DeleteTag {
                        tag: tag_name(label, item.number),
                    });
                }
            }
            if rules.labels.values().any(|t| t.via() != Via::Tag) {
                actions.push(Action::ForgetDispatches {
                    number: item.number,
                });
            }
        }
        ItemAction::Closed => {}
        ItemAction::Unlabeled(label) if !item.labels.contains(label) => {
            if let Some((label, target)) = mapped(label) {
                if uses_tag(target, pull) {
                    actions.push(Action::DeleteTag {
                        tag: tag_name(label, item.number),
                    });
                }
            }
        }
        _ if !item.open => {}
        ItemAction::Labeled(_)
        | ItemAction::Opened
        | ItemAction::ReadyForReview
        | ItemAction::Edited => {
            // The labels this event brings: the one added (every one, for a
            // pull request opened with labels), and those this plan adds
            // (the only ones, when it is marked ready or its title edited).
            let arriving: Vec<&String> = match &item.action {
                ItemAction::Labeled(arrived) => arrived
                    .iter()
                    .filter(|label| item.labels.contains(label))
                    .chain(added)
                    .collect(),
                ItemAction::Opened => item.labels.iter().chain(added).collect(),
                _ => added.iter().collect(),
            };
            let mut started: Vec<String> = Vec::new();
            for label in arriving {
                match mapped(label) {
                    Some((label, target)) if trust.sender_can_write => {
                        actions.extend(start(item, pull, label, target));
                        started.push(format!("`{label}`"));
                    }
                    Some(_) => {}
                    None => actions.extend(unmapped_comment(label, rules)),
                }
            }
            // A maintainer applying the label again is what a waiting
            // comment asked for: say, in it, that CI started (only if the
            // pull request has one).
            if matches!(item.action, ItemAction::Labeled(_)) && !started.is_empty() {
                actions.push(waiting_resolved(&started, pull));
            }
        }
        ItemAction::Reopened | ItemAction::Synchronize => {
            let present: Vec<(&str, &CiTarget)> = item
                .labels
                .iter()
                .chain(added)
                .filter_map(|l| mapped(l))
                .collect();
            if present.is_empty() {
                return actions;
            }
            if trust.author_can_write {
                let started: Vec<String> = present.iter().map(|(l, _)| format!("`{l}`")).collect();
                for (label, target) in present {
                    actions.extend(start(item, pull, label, target));
                }
                // CI follows this commit: a waiting comment from an
                // earlier push (before the author could write) says so.
                actions.push(waiting_resolved(&started, pull));
            } else {
                let labels: Vec<String> = present.iter().map(|(l, _)| format!("`{l}`")).collect();
                actions.push(Action::Comment {
                    marker: WAITING_COMMENT_MARKER.to_owned(),
                    body: format!(
                        "{WAITING_COMMENT_MARKER}\nCI ({}) ran for an earlier commit. It does not follow new commits from \
                         authors without write access: a maintainer can remove and apply the label again to run it on \
                         {}.",
                        labels.join(", "),
                        pull.head_sha.short()
                    ),
                });
            }
        }
        _ => {}
    }
    actions
}

/// The waiting comment, if the pull request has one, saying CI started.
fn waiting_resolved(started: &[String], pull: &PullRequestInfo) -> Action {
    Action::UpdateComment {
        marker: WAITING_COMMENT_MARKER.to_owned(),
        body: format!(
            "{WAITING_COMMENT_MARKER}\nCI ({}) started for {}.",
            started.join(", "),
            pull.head_sha.short()
        ),
    }
}

/// A tag is kept for tag mode, and for `workflow_dispatch` from a fork,
/// whose branch is not in the base repository: the dispatch runs on it.
fn uses_tag(target: &CiTarget, pull: &PullRequestInfo) -> bool {
    match target.via() {
        Via::Tag => true,
        Via::WorkflowDispatch => pull.from_fork,
        Via::RepositoryDispatch => false,
    }
}

fn start(item: &ItemEvent, pull: &PullRequestInfo, label: &str, target: &CiTarget) -> Vec<Action> {
    let tag = tag_name(label, item.number);
    let mut actions = Vec::new();
    if uses_tag(target, pull) {
        actions.push(Action::SyncTag {
            tag: tag.clone(),
            sha: pull.head_sha.clone(),
        });
    }
    let kind = match (target.via(), target) {
        (Via::Tag, _) => return actions,
        (Via::WorkflowDispatch, _) => DispatchKind::WorkflowDispatch {
            workflow: target.workflow().unwrap_or_default().to_owned(),
            git_ref: if pull.from_fork {
                Action::tag_ref(&tag)
            } else {
                pull.head_ref.clone()
            },
            inputs: json!({
                "pr_number": item.number.to_string(),
                "head_sha": pull.head_sha,
                "label": label,
            }),
        },
        (Via::RepositoryDispatch, CiTarget::Job(job)) => DispatchKind::RepositoryDispatch {
            event_type: job.event_type.clone().unwrap_or_else(|| label.to_owned()),
            client_payload: json!({
                "pr_number": item.number,
                "head_sha": pull.head_sha,
                "head_ref": pull.head_ref,
                "label": label,
            }),
        },
        (Via::RepositoryDispatch, CiTarget::Workflow(_)) => return actions,
    };
    actions.push(Action::Dispatch(Dispatch {
        label: label.to_owned(),
        number: item.number,
        head_sha: pull.head_sha.clone(),
        kind,
    }));
    actions
}

/// A label that looks like a CI label but is not mapped: say which are.
/// Labels under an `exempt` sub-prefix are someone else's.
fn unmapped_comment(label: &str, rules: &CiRules) -> Option<Action> {
    let under = |prefixes: &[String]| prefixes.iter().any(|p| label.starts_with(p.as_str()));
    if !under(&rules.prefixes) || under(&rules.exempt) {
        return None;
    }
    let known: Vec<String> = rules.labels.keys().map(|l| format!("- `{l}`")).collect();
    Some(Action::Comment {
        marker: LABELS_COMMENT_MARKER.to_owned(),
        body: format!(
            "{LABELS_COMMENT_MARKER}\n`{label}` does not start any CI here. The labels that do:\n\n{}",
            known.join("\n")
        ),
    })
}

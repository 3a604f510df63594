//! The decision step: from an event and a repository's rules to the list of
//! desired-state actions. Pure: no I/O, no clock, so everything a reviewer
//! wants to reason about (which labels, whom to CC) is unit-tested here.
//!
//! The shell gathers the facts a plan needs (`needs` says which) and applies
//! the actions; it decides nothing.

mod cc;
mod ci;
mod labels;
mod rules_check;
mod ruleset;

use serde::Serialize;

use crate::event::{Event, ItemAction, ItemEvent, ItemKind};
use crate::subscriptions::Subscriptions;

pub use ci::{
    tag_name, Dispatch, DispatchKind, Trust, Whose, LABELS_COMMENT_MARKER, WAITING_COMMENT_MARKER,
};
pub use rules_check::{changes_rules, Annotation, CheckRun, CHECK_NAME};
pub use ruleset::{LabelMatcher, PathMatcher, Ruleset};

/// One thing the bot wants to be true of the item the event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Add these labels (none of them present yet), in one request.
    AddLabels { labels: Vec<String> },
    /// Make sure the body's cc line names these users (logins without `@`).
    Cc { users: Vec<String> },
    /// Report the check of the rules file a pull request changes.
    CheckRun(CheckRun),
    /// Keep the tag `refs/tags/<tag>` at `sha`.
    SyncTag { tag: String, sha: String },
    /// Delete the tag `refs/tags/<tag>`; already gone is fine.
    DeleteTag { tag: String },
    /// Start a workflow, once per label and head commit.
    Dispatch(Dispatch),
    /// Keep one comment, found by its hidden `marker`, saying `body`.
    Comment { marker: String, body: String },
    /// Forget the dispatches made for a closed pull request.
    ForgetDispatches { number: u64 },
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::AddLabels { labels } => {
                let quoted: Vec<String> = labels.iter().map(|l| format!("{l:?}")).collect();
                write!(f, "add labels: {}", quoted.join(", "))
            }
            Action::Cc { users } => {
                let mentions: Vec<String> = users.iter().map(|u| format!("@{u}")).collect();
                write!(f, "cc: {}", mentions.join(" "))
            }
            Action::CheckRun(run) => write!(
                f,
                "check run {:?}: {} ({})",
                run.name, run.conclusion, run.title
            ),
            Action::SyncTag { tag, sha } => {
                write!(f, "tag {tag} at {}", sha.get(..7).unwrap_or(sha))
            }
            Action::DeleteTag { tag } => write!(f, "delete tag {tag}"),
            Action::Dispatch(dispatch) => match &dispatch.kind {
                DispatchKind::WorkflowDispatch {
                    workflow, git_ref, ..
                } => {
                    write!(
                        f,
                        "dispatch {workflow} on {git_ref} for {:?}",
                        dispatch.label
                    )
                }
                DispatchKind::RepositoryDispatch { event_type, .. } => {
                    write!(
                        f,
                        "repository dispatch {event_type:?} for {:?}",
                        dispatch.label
                    )
                }
            },
            Action::Comment { marker, .. } => write!(f, "comment {marker}"),
            Action::ForgetDispatches { number } => write!(f, "forget the dispatches of #{number}"),
        }
    }
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
    /// The rules file at the pull request's head, when `changes_rules`
    /// said it changed.
    pub head_rules: Option<&'a str>,
    /// Who may start CI, when `needs` asked.
    pub trust: Option<Trust>,
    /// The bot's own login (`probot[bot]`): its events plan nothing, and it
    /// is never CC'd.
    pub bot: &'a str,
}

/// The facts a plan for this event needs fetched first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    pub subscriptions: bool,
    pub changed_files: bool,
    /// Whose write access to read for CI.
    pub trust: Whose,
}

/// Whether any rule can act on this kind of event at all; the shell reads
/// nothing for events that fail this.
pub fn acts_on(item: &ItemEvent) -> bool {
    let ci_cleanup = is_pull_request(item)
        && matches!(item.action, ItemAction::Unlabeled(_) | ItemAction::Closed);
    is_arrival(item)
        || is_new_code(item)
        || matches!(item.action, ItemAction::Labeled(_))
        || ci_cleanup
}

/// Which facts `plan` will read for this event, so the shell fetches no
/// more than that.
pub fn needs(event: &Event, rules: &Ruleset, bot: &str) -> Needs {
    let Some(item) = actionable(event, bot) else {
        return Needs::default();
    };
    Needs {
        subscriptions: cc::wanted(item, rules),
        // Every push to a pull request may change the rules file, which is
        // checked whatever the rules say.
        changed_files: is_new_code(item),
        trust: ci::wants_trust(item, rules),
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
    let rules_changed = input
        .changed_files
        .is_some_and(|files| changes_rules(item, files));
    if let (true, Some(head_rules)) = (rules_changed, input.head_rules) {
        actions.extend(rules_check::report(item, head_rules));
    }
    actions.extend(ci::actions(
        item,
        &input.rules.rules.ci,
        &added,
        input.trust.unwrap_or_default(),
    ));
    actions
}

/// What `reconcile` wants of one open item: the level-based state only.
/// The cc line names the subscribers of its current labels, and a pull
/// request's CI tags point at its head, when its author has write access
/// (an untrusted author's tag stays at the commit a maintainer labelled).
/// Implications are edge-based, so they are not re-applied: a label removed
/// on purpose stays removed.
pub fn reconcile(
    item: &ItemEvent,
    rules: &Ruleset,
    subscriptions: Option<&Subscriptions>,
    trust: Trust,
    bot: &str,
) -> Vec<Action> {
    // Planned as if the item had just arrived with its labels.
    let mut arrived = item.clone();
    arrived.action = ItemAction::Reopened;
    let mut actions = Vec::new();
    if let Some(subscriptions) = subscriptions {
        let users = cc::users(&arrived, &[], rules, subscriptions, bot);
        if !users.is_empty() {
            actions.push(Action::Cc { users });
        }
    }
    let ci = ci::actions(&arrived, &rules.rules.ci, &[], trust);
    actions.extend(
        ci.into_iter()
            .filter(|a| matches!(a, Action::SyncTag { .. })),
    );
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

/// A pull request whose code is new to the bot: opened, reopened, pushed.
fn is_new_code(item: &ItemEvent) -> bool {
    is_pull_request(item)
        && matches!(
            item.action,
            ItemAction::Opened | ItemAction::Reopened | ItemAction::Synchronize
        )
}

fn is_pull_request(item: &ItemEvent) -> bool {
    item.kind == ItemKind::PullRequest
}

#[cfg(test)]
mod tests;

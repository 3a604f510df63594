//! The decision step: from an item event, a repository's rules and the
//! facts read for it, to the list of desired-state actions. Pure: no I/O,
//! no clock, so everything a reviewer wants to reason about (which labels,
//! whom to CC, which CI) is unit-tested here.
//!
//! Every capability keeps the same small contract, a [`Capability`]: which
//! facts it needs read for an event ([`Needs`]), and what it plans from
//! them. They run in two phases: the label producers first, then the label
//! reactors (cc, CI, the rules check), which see the producers' labels as
//! if they had arrived with the event, because the bot ignores the
//! `labeled` events of its own writes.
//!
//! The shell asks [`needs`] until nothing new is needed, reads exactly
//! that, calls [`decide`], and reads the item fresh first when an action says
//! so ([`Action::needs_fresh_item`]). It decides nothing itself.

use crate::event::{CommentId, CommitSha, IssueNumber};
mod backtest;
pub mod cc;
mod ci;
mod conditions;
mod facts;
mod labels;
mod picks;
mod required;
mod rules_check;
mod scopes;

use serde::Serialize;

use crate::config::Ruleset;
use crate::event::{ItemAction, ItemEvent, ItemKind, RepoName};

pub use backtest::{compare, Backtest, Change, ItemDifference};
pub use cc::tracking::UNREADABLE_MARKER;
pub use cc::{CcEntry, CC_COMMENT_MARKER};
pub use ci::{Dispatch, DispatchKind, LABELS_COMMENT_MARKER, WAITING_COMMENT_MARKER};
pub use facts::{Facts, Needs, RulesUsers};
pub use picks::{Ask, People, TakenOff};
pub use required::REQUIRED_CHECK_NAME;
pub use rules_check::{review, review_within, Annotation, CheckRun, HeadReview, CHECK_NAME};
pub use scopes::SCOPE_COMMENT_MARKER;

/// One capability's contract with the planner.
pub(crate) struct Capability {
    /// The events it may act on; the bot reads nothing for an event no
    /// capability acts on (`ignored`).
    acts_on: fn(&ItemEvent) -> bool,
    /// The facts to read before planning, given those read so far.
    needs: fn(&Situation<'_>) -> Needs,
    /// What to do, and why, from the facts read.
    plan: fn(&Situation<'_>) -> Vec<Decision>,
}

/// Phase one: capabilities that add labels.
/// Label scopes go first: a label taken off is not one to build on.
const PRODUCERS: [&Capability; 2] = [&scopes::CAPABILITY, &labels::CAPABILITY];
/// Phase two: capabilities that react to labels, those arriving with the
/// event and those the producers add.
const REACTORS: [&Capability; 5] = [
    &cc::CAPABILITY,
    &rules_check::CAPABILITY,
    &ci::CAPABILITY,
    &cc::tracking::CAPABILITY,
    &required::CAPABILITY,
];
/// The reactors whose state is level-based, which `reconcile` restores.
const LEVEL_BASED: [&Capability; 2] = [&cc::CAPABILITY, &ci::CAPABILITY];

/// What a capability plans from.
pub(crate) struct Situation<'a> {
    item: &'a ItemEvent,
    rules: &'a Ruleset,
    facts: &'a Facts,
    /// The bot's own login: never CC'd.
    bot: &'a str,
    /// Labels the producers add in this plan; empty in phase one.
    added: &'a [String],
    /// The producers still need facts read, so more labels may come than
    /// `added` says: what a reactor asks for now must allow for them.
    more_may_come: bool,
}

/// One thing the bot wants to be true of the item the event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Add these labels (none of them present yet), in one request.
    AddLabels { labels: Vec<String> },
    /// Take these labels off (each present when planned).
    RemoveLabels { labels: Vec<String> },
    /// Add these users (logins without `@`, none of them there yet) to the
    /// body's cc line.
    Cc { users: Vec<String> },
    /// Keep the bot's own cc comment naming these people: those it lacks
    /// are added (with why, when `reasons`); none is ever removed.
    CcComment { users: Vec<CcEntry>, reasons: bool },
    /// Report the check of the rules file a pull request changes.
    CheckRun(CheckRun),
    /// Keep the tag `refs/tags/<tag>` at `sha`.
    SyncTag { tag: String, sha: CommitSha },
    /// Delete the tag `refs/tags/<tag>`; already gone is fine.
    DeleteTag { tag: String },
    /// Start a workflow, once per label and head commit.
    Dispatch(Dispatch),
    /// Keep one comment, found by its hidden `marker`, saying `body`.
    Comment { marker: String, body: String },
    /// Make the comment with `marker` say `body`, if there is one.
    UpdateComment { marker: String, body: String },
    /// Forget the dispatches made for a closed pull request.
    ForgetDispatches { number: IssueNumber },
    /// Make these subscription wishes hold in tracking issue `number`'s
    /// body. Level-based against lost updates: written, read back after a
    /// moment, and written again for what a racing edit lost.
    Subscriptions {
        number: IssueNumber,
        wishes: Vec<cc::Wish>,
    },
    /// A new comment on item `number`: the answer to a command.
    Reply { number: IssueNumber, body: String },
    /// A reaction to comment `comment_id`.
    React {
        comment_id: CommentId,
        content: String,
    },
    /// Ask people to review a pull request (see [`Ask`]).
    RequestReviewers(Ask),
    /// Assign people to an item (see [`Ask`]).
    Assign(Ask),
}

impl Action {
    /// Whether the action depends on the item's labels, body or state,
    /// which the payload may show stale (a delivery late or out of order):
    /// the shell reads the item fresh and plans again before applying it.
    /// CI's tags and dispatches are level-based like labels and cc: a late
    /// `unlabeled` or `closed` deletes no tag of a label still there.
    pub fn needs_fresh_item(&self) -> bool {
        matches!(
            self,
            Action::AddLabels { .. }
                | Action::RemoveLabels { .. }
                | Action::Cc { .. }
                | Action::SyncTag { .. }
                | Action::DeleteTag { .. }
                | Action::Dispatch(_)
                | Action::ForgetDispatches { .. }
        )
    }

    /// The ref a tag lives at.
    pub fn tag_ref(tag: &str) -> String {
        format!("refs/tags/{tag}")
    }

    /// Level-based state that `reconcile` may restore at any time.
    fn is_level_based(&self) -> bool {
        matches!(
            self,
            Action::Cc { .. } | Action::CcComment { .. } | Action::SyncTag { .. }
        )
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::AddLabels { labels } => {
                let quoted: Vec<String> = labels.iter().map(|l| format!("{l:?}")).collect();
                write!(f, "add labels: {}", quoted.join(", "))
            }
            Action::RemoveLabels { labels } => {
                let quoted: Vec<String> = labels.iter().map(|l| format!("{l:?}")).collect();
                write!(f, "remove labels: {}", quoted.join(", "))
            }
            Action::Cc { users } => {
                let mentions: Vec<String> = users.iter().map(|u| format!("@{u}")).collect();
                write!(f, "cc: {}", mentions.join(" "))
            }
            Action::CcComment { users, .. } => {
                let mentions: Vec<String> = users.iter().map(|u| format!("@{}", u.login)).collect();
                write!(f, "cc in the bot's comment: {}", mentions.join(" "))
            }
            Action::CheckRun(run) => write!(
                f,
                "check run {:?}: {} ({})",
                run.name, run.conclusion, run.title
            ),
            Action::SyncTag { tag, sha } => {
                write!(f, "tag {tag} at {}", sha.short())
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
            Action::UpdateComment { marker, .. } => write!(f, "update comment {marker}"),
            Action::ForgetDispatches { number } => write!(f, "forget the dispatches of #{number}"),
            Action::Subscriptions { number, wishes } => {
                write!(
                    f,
                    "edit the tracking issue #{number} ({} wishes)",
                    wishes.len()
                )
            }
            Action::Reply { number, .. } => write!(f, "reply on #{number}"),
            Action::React { content, .. } => write!(f, "react {content}"),
            Action::RequestReviewers(ask) => {
                write!(f, "ask for reviews from {}", mentions(&ask.people))
            }
            Action::Assign(ask) => write!(f, "assign {}", mentions(&ask.people)),
        }
    }
}

/// `@alice @bob`.
fn mentions(logins: &[String]) -> String {
    let named: Vec<String> = logins.iter().map(|l| format!("@{l}")).collect();
    named.join(" ")
}

/// An action, and why: the rule (where it is in the file) and what made
/// it hold. `probot plan` shows it, and the server logs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    #[serde(flatten)]
    pub action: Action,
    pub because: Vec<String>,
}

impl Decision {
    pub fn new(action: Action, because: Vec<String>) -> Self {
        Decision { action, because }
    }

    /// An action with one reason.
    pub(crate) fn one(action: Action, because: impl Into<String>) -> Self {
        Decision {
            action,
            because: vec![because.into()],
        }
    }

    /// Actions that all have the same one reason.
    pub(crate) fn all_because(actions: Vec<Action>, because: &str) -> Vec<Decision> {
        actions
            .into_iter()
            .map(|action| Decision::one(action, because))
            .collect()
    }
}

/// An issue in some repository: where the subscriptions live.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IssueRef {
    pub repo: RepoName,
    pub number: IssueNumber,
}

/// Why the bot has nothing to do with this event, before reading anything:
/// its own events, and actions no capability acts on.
pub fn ignored(item: &ItemEvent, bot: &str) -> Option<&'static str> {
    if item.sender.login.eq_ignore_ascii_case(bot) {
        Some("the bot's own event")
    } else if !PRODUCERS
        .iter()
        .chain(&REACTORS)
        .any(|capability| (capability.acts_on)(item))
    {
        Some("no rule acts on this action")
    } else {
        None
    }
}

/// The facts still to read before `plan` can decide: ask again after
/// reading them, since what a capability needs may depend on what was read
/// (the rules file at the head is read only when the changed files show
/// it changed).
pub fn needs(item: &ItemEvent, rules: &Ruleset, facts: &Facts, bot: &str) -> Needs {
    if ignored(item, bot).is_some() {
        return Needs::default();
    }
    needs_of(&PRODUCERS, &REACTORS, item, rules, facts, bot)
}

/// Rounds of reading before a plan settles: each round reads what the one
/// before showed is needed (the rules at a pull request's head only once
/// its changed files show the rules changed); no capability needs more
/// than three (the files, then the people a rule picks among, then their
/// load). Reaching it is an error naming what is still unmet, never a
/// hang: a need nobody reads shows up here.
pub const MAX_SETTLE_ROUNDS: usize = 6;

/// Where facts come from: GitHub (the bot and `reconcile`), files given on
/// the command line (`probot plan`), or a story (the tests). One loop,
/// [`settle`], asks each of them the same way.
pub trait FactSource {
    type Error;
    /// Reads every fact `needs` names into `facts`.
    fn read(
        &mut self,
        needs: Needs,
        facts: &mut Facts,
    ) -> impl std::future::Future<Output = Result<(), Self::Error>>;
}

/// A plan that could not settle.
#[derive(Debug, thiserror::Error)]
pub enum SettleError<E> {
    #[error(transparent)]
    Source(E),
    #[error("the plan still needs {0:?} after {MAX_SETTLE_ROUNDS} rounds of reading")]
    Unsettled(Box<Needs>),
}

/// Reads from `source`, round by round, until `needs_of` (`needs` or
/// `reconcile_needs` on the facts so far) asks for nothing more.
pub async fn settle<S: FactSource>(
    source: &mut S,
    mut facts: Facts,
    needs_of: impl Fn(&Facts) -> Needs,
) -> Result<Facts, SettleError<S::Error>> {
    for _ in 0..MAX_SETTLE_ROUNDS {
        let needs = needs_of(&facts);
        if needs.is_empty() {
            return Ok(facts);
        }
        source
            .read(needs, &mut facts)
            .await
            .map_err(SettleError::Source)?;
    }
    match needs_of(&facts) {
        unmet if unmet.is_empty() => Ok(facts),
        unmet => Err(SettleError::Unsettled(Box::new(unmet))),
    }
}

/// The actions `decide` decides on, without their reasons.
pub fn actions_for(item: &ItemEvent, rules: &Ruleset, facts: &Facts, bot: &str) -> Vec<Action> {
    actions(decide(item, rules, facts, bot))
}

/// Decides what to do about one event, and says why.
pub fn decide(item: &ItemEvent, rules: &Ruleset, facts: &Facts, bot: &str) -> Vec<Decision> {
    if ignored(item, bot).is_some() {
        return Vec::new();
    }
    plan_with(&PRODUCERS, &REACTORS, item, rules, facts, bot)
}

/// The actions of some decisions.
pub fn actions(decisions: Vec<Decision>) -> Vec<Action> {
    decisions.into_iter().map(|d| d.action).collect()
}

/// What `reconcile` reads for one open item.
pub fn reconcile_needs(item: &ItemEvent, rules: &Ruleset, facts: &Facts, bot: &str) -> Needs {
    needs_of(&[], &LEVEL_BASED, &arrived(item), rules, facts, bot)
}

/// What `reconcile` wants of one open item: the level-based state only.
/// The cc line names the subscribers of its current labels, and a pull
/// request's CI tags point at its head, when its author has write access
/// (an untrusted author's tag stays at the commit a maintainer labelled).
/// Implications are edge-based, so they are not re-applied: a label removed
/// on purpose stays removed.
pub fn reconcile(item: &ItemEvent, rules: &Ruleset, facts: &Facts, bot: &str) -> Vec<Action> {
    let mut actions = actions(plan_with(
        &[],
        &LEVEL_BASED,
        &arrived(item),
        rules,
        facts,
        bot,
    ));
    actions.retain(Action::is_level_based);
    actions
}

/// Planned as if the item had just arrived with its labels.
fn arrived(item: &ItemEvent) -> ItemEvent {
    let mut arrived = item.clone();
    arrived.action = ItemAction::Reopened;
    arrived
}

fn needs_of(
    producers: &[&Capability],
    reactors: &[&Capability],
    item: &ItemEvent,
    rules: &Ruleset,
    facts: &Facts,
    bot: &str,
) -> Needs {
    let mut situation = Situation {
        item,
        rules,
        facts,
        bot,
        added: &[],
        more_may_come: false,
    };
    // As in `plan_with`: the reactors see what the producers add, as far
    // as the facts read so far tell, and whether more may come; no reactor
    // runs a producer itself.
    let producing = producers
        .iter()
        .map(|capability| (capability.needs)(&situation))
        .fold(Needs::default(), Needs::union)
        .unmet(facts);
    let added = added_labels(
        producers
            .iter()
            .flat_map(|capability| (capability.plan)(&situation)),
    );
    situation.added = &added;
    situation.more_may_come = !producing.is_empty();
    reactors
        .iter()
        .map(|capability| (capability.needs)(&situation))
        .fold(producing, Needs::union)
        .unmet(facts)
}

/// The labels some decisions add.
fn added_labels(decisions: impl IntoIterator<Item = Decision>) -> Vec<String> {
    decisions
        .into_iter()
        .filter_map(|decision| match decision.action {
            Action::AddLabels { labels } => Some(labels),
            _ => None,
        })
        .flatten()
        .collect()
}

fn plan_with(
    producers: &[&Capability],
    reactors: &[&Capability],
    item: &ItemEvent,
    rules: &Ruleset,
    facts: &Facts,
    bot: &str,
) -> Vec<Decision> {
    let mut situation = Situation {
        item,
        rules,
        facts,
        bot,
        added: &[],
        more_may_come: false,
    };
    let mut actions: Vec<Decision> = producers
        .iter()
        .flat_map(|capability| (capability.plan)(&situation))
        .collect();
    let added = added_labels(actions.iter().cloned());
    situation.added = &added;
    for capability in reactors {
        actions.extend((capability.plan)(&situation));
    }
    actions
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
mod rule_tests;
#[cfg(test)]
mod tests;

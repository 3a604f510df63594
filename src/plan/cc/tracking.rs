//! The tracking issue itself: when a person edits it and a line that looks
//! like a subscription can't be read (a path line whose glob does not
//! compile, say), one comment of the bot's on the issue names the lines,
//! and is edited to say all is read once they are fixed. Nothing is ever
//! fatal: the other lines keep working. Read from the edit's payload, so
//! it costs no read of its own.

use super::Subscriptions;
use crate::event::{ItemAction, ItemEvent, ItemKind};
use crate::plan::{Action, Capability, Decision, Needs, Situation};

pub(crate) const CAPABILITY: Capability = Capability {
    acts_on,
    needs,
    plan,
};

/// An edit of what may be the tracking issue: its lines are checked.
fn acts_on(item: &ItemEvent) -> bool {
    item.kind == ItemKind::Issue
        && item.action == ItemAction::Edited
        && could_be_tracking_issue(&item.body)
}

/// Marks the bot's comment about unreadable lines.
pub const UNREADABLE_MARKER: &str = "<!-- probot:tracking-issue-lines -->";

fn needs(_: &Situation<'_>) -> Needs {
    Needs::default()
}

fn plan(situation: &Situation<'_>) -> Vec<Decision> {
    Decision::all_because(
        planned(situation),
        "the tracking issue was edited, so its lines are checked",
    )
}

fn planned(situation: &Situation<'_>) -> Vec<Action> {
    let item = situation.item;
    let Some(cc) = &situation.rules.file.cc else {
        return Vec::new();
    };
    let elsewhere = cc
        .repository
        .as_deref()
        .is_some_and(|r| !r.eq_ignore_ascii_case(&item.repo.to_string()));
    if item.action != ItemAction::Edited
        || item.kind != ItemKind::Issue
        || item.number != crate::event::IssueNumber(cc.tracking_issue)
        || elsewhere
    {
        return Vec::new();
    }
    let subscriptions = Subscriptions::parse(&item.body);
    let problems = subscriptions.problems();
    if problems.is_empty() {
        return vec![Action::UpdateComment {
            marker: UNREADABLE_MARKER.to_owned(),
            body: format!("{UNREADABLE_MARKER}\nEvery subscription line of this issue reads now."),
        }];
    }
    let lines: Vec<String> = problems.iter().map(|p| format!("- {p}")).collect();
    vec![Action::Comment {
        marker: UNREADABLE_MARKER.to_owned(),
        body: format!(
            "{UNREADABLE_MARKER}\nSome lines of this issue look like subscriptions but can't be read, so they are skipped (the others work):\n\n{}\n\nA path line lists globs, each in backticks, then mentions: `` * `docs/**` @you ``.",
            lines.join("\n")
        ),
    }]
}

/// Whether an edited issue's payload could be a tracking issue worth a
/// look: it has subscription lines, or lines that failed to read as them.
pub(super) fn could_be_tracking_issue(body: &str) -> bool {
    let subscriptions = Subscriptions::parse(body);
    !subscriptions.is_empty() || !subscriptions.problems().is_empty()
}

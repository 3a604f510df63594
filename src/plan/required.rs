//! Required labels (`[[labels.required]]`): an item of the rule's kind
//! that carries no label matching `one_of` is told so, in one comment of
//! the bot's (edited to say thanks once a label is there) or in a check
//! run on a pull request's head. Planned when the item's labels may have
//! changed: its arrival, a label added or removed, new commits (for the
//! check run, which belongs to a commit).

use super::{
    is_arrival, is_pull_request, Action, Capability, CheckRun, Decision, Needs, Situation,
};
use crate::config::{RequiredOn, RequiredReport};
use crate::event::{ItemAction, ItemEvent};

pub(super) const CAPABILITY: Capability = Capability {
    acts_on,
    needs,
    plan,
};

/// Whatever may leave a required label missing, or supply it.
fn acts_on(item: &ItemEvent) -> bool {
    super::is_arrival(item)
        || super::is_new_code(item)
        || matches!(
            item.action,
            ItemAction::Labeled(_) | ItemAction::Unlabeled(_)
        )
}

/// The check run's name.
pub const REQUIRED_CHECK_NAME: &str = "probot required labels";

fn needs(_: &Situation<'_>) -> Needs {
    Needs::default()
}

fn marker(index: usize) -> String {
    format!("<!-- probot:required-labels-{index} -->")
}

fn plan(situation: &Situation<'_>) -> Vec<Decision> {
    let why = format!(
        "labels.required: the {} needs one of the required labels",
        situation.item.kind
    );
    Decision::all_because(planned(situation), &why)
}

fn planned(situation: &Situation<'_>) -> Vec<Action> {
    let (item, rules) = (situation.item, situation.rules);
    let labels_may_have_changed = is_arrival(item)
        || matches!(
            item.action,
            ItemAction::Labeled(_) | ItemAction::Unlabeled(_) | ItemAction::Synchronize
        );
    if !labels_may_have_changed || !item.open {
        return Vec::new();
    }
    let is_pull = is_pull_request(item);
    let mut actions = Vec::new();
    for (index, (rule, matcher)) in rules
        .file
        .labels
        .required
        .iter()
        .zip(&rules.required)
        .enumerate()
    {
        let applies = match rule.on {
            RequiredOn::PullRequests => is_pull,
            RequiredOn::Issues => !is_pull,
            RequiredOn::Both => true,
        };
        if !applies {
            continue;
        }
        let labels = item.labels.iter().chain(situation.added);
        let found: Option<&String> = labels.clone().find(|l| matcher.matches(l));
        let listed: Vec<String> = rule.one_of.iter().map(|l| format!("`{l}`")).collect();
        let wanted = format!(
            "This {} needs one of these labels: {}.{}",
            item.kind,
            listed.join(", "),
            rule.message
                .as_deref()
                .map(|m| format!(" {m}"))
                .unwrap_or_default()
        );
        match (rule.report, &item.pull) {
            (RequiredReport::CheckRun, Some(pull)) => {
                let (conclusion, title) = match found {
                    Some(label) => ("success", format!("has `{label}`")),
                    None => ("failure", "a required label is missing".to_owned()),
                };
                actions.push(Action::CheckRun(CheckRun {
                    name: REQUIRED_CHECK_NAME.to_owned(),
                    head_sha: pull.head_sha.clone(),
                    conclusion: conclusion.to_owned(),
                    title,
                    summary: wanted,
                    annotations: Vec::new(),
                }));
            }
            // A check run needs a commit: on issues the rule comments.
            _ => {
                let marker = marker(index);
                actions.push(match found {
                    None => Action::Comment {
                        body: format!("{marker}\n{wanted}"),
                        marker,
                    },
                    Some(label) => Action::UpdateComment {
                        body: format!("{marker}\nThanks: this {} has `{label}` now.", item.kind),
                        marker,
                    },
                });
            }
        }
    }
    actions
}

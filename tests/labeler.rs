//! actions/labeler's behaviour as the specification of `probot import`:
//! every case of `tests/labeler/cases.toml` (written from labeler's README
//! and its test suite's scenarios, v7.0.0) is imported, checked and
//! planned on the pull request it describes, and must give labeler's
//! labels, or be one that import names as not carried over.

use probot::event::{
    Actor, Edits, ItemAction, ItemEvent, ItemKind, PullRequestInfo, PullSize, RepoName,
};
use probot::plan::{actions_for, Action, Facts};
use serde::Deserialize;

#[derive(Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    from: String,
    config: String,
    #[serde(default)]
    files: Vec<String>,
    head: Option<String>,
    base: Option<String>,
    /// The pull request already carries GitHub's maximum of 100 labels.
    #[serde(default)]
    hundred_labels: bool,
    expect: Vec<String>,
    /// Why probot does not carry this case over (import must say so).
    differs: Option<String>,
}

fn pull_request(case: &Case) -> ItemEvent {
    let labels: Vec<String> = match case.hundred_labels {
        true => (0..100).map(|i| format!("label {i}")).collect(),
        false => Vec::new(),
    };
    ItemEvent {
        kind: ItemKind::PullRequest,
        action: ItemAction::Opened,
        repo: RepoName::new("acme", "widgets"),
        installation: None,
        number: probot::event::IssueNumber(1),
        title: "A change".into(),
        body: String::new(),
        author: "contributor".into(),
        association: "CONTRIBUTOR".into(),
        edits: Edits::default(),
        labels,
        open: true,
        sender: Actor {
            login: "contributor".into(),
        },
        pull: Some(PullRequestInfo {
            head_sha: "abc".into(),
            head_ref: case.head.clone().unwrap_or("head-branch-name".into()),
            from_fork: false,
            base_ref: case.base.clone().unwrap_or("base-branch-name".into()),
            merged: false,
            draft: false,
            size: PullSize {
                changed_files: Some(case.files.len() as u64),
                additions: None,
                deletions: None,
            },
        }),
        replay_of: None,
    }
}

/// The labels the imported rules add to the case's pull request.
fn labels_added(case: &Case) -> (Vec<String>, Vec<String>) {
    let imported = probot::import::import(&case.config)
        .unwrap_or_else(|e| panic!("{}: import failed: {e}", case.from));
    let rules = probot::config::load(&imported.toml).unwrap_or_else(|p| {
        panic!(
            "{}: the imported rules do not check: {p:?}\n{}",
            case.from, imported.toml
        )
    });
    let facts = Facts {
        changed_files: Some(case.files.clone()),
        ..Facts::default()
    };
    let mut added: Vec<String> = actions_for(&pull_request(case), &rules, &facts, "probot[bot]")
        .into_iter()
        .filter_map(|action| match action {
            Action::AddLabels { labels } => Some(labels),
            _ => None,
        })
        .flatten()
        .collect();
    added.sort();
    (added, imported.skipped)
}

#[test]
fn labelers_own_scenarios_give_labelers_labels_after_import() {
    let cases: Cases = toml::from_str(include_str!("labeler/cases.toml")).expect("the case table");
    let (mut agree, mut by_design, mut wrong) = (0, Vec::new(), Vec::new());
    for case in &cases.case {
        let (added, skipped) = labels_added(case);
        let mut expected = case.expect.clone();
        expected.sort();
        match &case.differs {
            Some(why) => {
                assert!(
                    !skipped.is_empty(),
                    "{}: import must name what it does not carry over ({why})",
                    case.from
                );
                match added == expected {
                    true => agree += 1,
                    false => by_design.push(format!("{}: {why}", case.from)),
                }
            }
            None if added == expected => agree += 1,
            None => wrong.push(format!(
                "{}: labeler adds {expected:?}, probot {added:?} (import skipped {skipped:?})",
                case.from
            )),
        }
    }
    eprintln!(
        "labeler cases: {agree} of {} agree, {} differ by design (named by import), {} wrong",
        cases.case.len(),
        by_design.len(),
        wrong.len()
    );
    for line in &by_design {
        eprintln!("  by design: {line}");
    }
    assert!(
        wrong.is_empty(),
        "cases that disagree with labeler:\n{}",
        wrong.join("\n")
    );
}

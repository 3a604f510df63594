//! The check of a rules file that a pull request changes, reported as a
//! check run on its head commit, so broken rules never reach the default
//! branch unnoticed.

use std::sync::Arc;

use serde::Serialize;

use super::{is_new_code, Action, Capability, Decision, Needs, Situation};
use crate::config::{self, Severity, RULES_PATH};
use crate::event::ItemEvent;
use crate::limits::{
    MAX_BACKTEST_ITEMS, MAX_CHECK_ANNOTATIONS, MAX_CHECK_SUMMARY_CHARS, MAX_RULES_USERS_READ,
};

pub(super) const CAPABILITY: Capability = Capability {
    acts_on,
    needs,
    plan,
};

/// New code: every push may change the rules file.
fn acts_on(item: &ItemEvent) -> bool {
    super::is_new_code(item)
}

/// Every push may change the rules file, checked whatever the rules say:
/// first the changed files, then, when the rules file is among them, its
/// text at the head.
fn needs(situation: &Situation<'_>) -> Needs {
    let (item, facts) = (situation.item, situation.facts);
    let Some(pull) = item.pull.as_ref().filter(|_| is_new_code(item)) else {
        return Needs::default();
    };
    match &facts.changed_files {
        None => Needs {
            changed_files: true,
            ..Needs::default()
        },
        Some(files) if changes_rules(item, files) => match &facts.rules_at_head {
            None => Needs {
                rules_at: Some(pull.head_sha.clone()),
                ..Needs::default()
            },
            // The organization's rules: which repositories they reach.
            Some(Some(_))
                if item.repo.name == config::ORGANIZATION_REPO && facts.rules_users.is_none() =>
            {
                Needs {
                    rules_users: true,
                    ..Needs::default()
                }
            }
            // Usable new rules: what they would change, on recent items.
            Some(Some(review)) if review.ruleset.is_some() && facts.backtest.is_none() => {
                let count = situation
                    .rules
                    .file
                    .backtest
                    .map_or(DEFAULT_BACKTEST_ITEMS, |n| n as usize);
                Needs {
                    backtest: (count > 0).then_some(count.min(MAX_BACKTEST_ITEMS)),
                    ..Needs::default()
                }
            }
            Some(_) => Needs::default(),
        },
        Some(_) => Needs::default(),
    }
}

/// Which repositories the organization's file reaches, in the check run.
fn users_section(users: &super::RulesUsers) -> String {
    let mut out = String::from("\n### Repositories that use these rules\n\n");
    if users.repositories.is_empty() {
        out.push_str("None of the installation's repositories read so far.\n");
    }
    for repo in users.repositories.iter().take(MAX_RULES_USERS_READ) {
        out.push_str(&format!("- {repo}\n"));
    }
    if users.more {
        out.push_str(&format!(
            "\nThe first {} repositories of the installation were read; others may use them too.\n",
            users.read
        ));
    }
    out
}

/// Items a backtest plans unless the rules say otherwise.
pub const DEFAULT_BACKTEST_ITEMS: usize = 30;

fn plan(situation: &Situation<'_>) -> Vec<Decision> {
    Decision::all_because(
        planned(situation),
        "the pull request changes .github/probot.toml, so its rules are checked",
    )
}

fn planned(situation: &Situation<'_>) -> Vec<Action> {
    let (item, facts) = (situation.item, situation.facts);
    let changed = facts
        .changed_files
        .as_deref()
        .is_some_and(|files| changes_rules(item, files));
    match (changed, &facts.rules_at_head) {
        (true, Some(Some(review))) => {
            let mut review = review.as_ref().clone();
            if let Some(users) = &facts.rules_users {
                review.summary.push_str(&users_section(users));
            }
            if let Some(backtest) = &facts.backtest {
                let room =
                    MAX_CHECK_SUMMARY_CHARS.saturating_sub(review.summary.chars().count() + 200);
                review.summary.push('\n');
                review.summary.push_str(&backtest.to_markdown(room));
            }
            report(item, &review).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// What checking a rules file found, ready for a check run on any commit
/// that has that file: the shell checks a file's text once (by its
/// content) and plans with this, so no plan checks again.
#[derive(Debug, Clone)]
pub struct HeadReview {
    conclusion: String,
    title: String,
    summary: String,
    annotations: Vec<Annotation>,
    /// The rules, when they are usable: what a backtest plans with.
    ruleset: Option<Arc<config::Ruleset>>,
}

/// Two reviews of one text say the same; the rules compiled are not
/// compared.
impl PartialEq for HeadReview {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.conclusion,
            &self.title,
            &self.summary,
            &self.annotations,
        ) == (
            &other.conclusion,
            &other.title,
            &other.summary,
            &other.annotations,
        )
    }
}

impl Eq for HeadReview {}

impl HeadReview {
    /// The rules the pull request's file makes, when usable.
    pub fn ruleset(&self) -> Option<&Arc<config::Ruleset>> {
        self.ruleset.as_ref()
    }
}

/// The check run's name, as it shows on the pull request.
pub const CHECK_NAME: &str = "probot config";

/// A completed check run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckRun {
    pub name: String,
    pub head_sha: crate::event::CommitSha,
    /// `success` or `failure`.
    pub conclusion: String,
    pub title: String,
    pub summary: String,
    pub annotations: Vec<Annotation>,
}

impl CheckRun {
    /// The body of GitHub's `POST /check-runs`: completed, with at most the
    /// 50 annotations GitHub takes in one request.
    pub fn to_request(&self) -> serde_json::Value {
        let annotations: Vec<&Annotation> = self
            .annotations
            .iter()
            .take(MAX_CHECK_ANNOTATIONS)
            .collect();
        serde_json::json!({
            "name": self.name,
            "head_sha": self.head_sha,
            "status": "completed",
            "conclusion": self.conclusion,
            "output": { "title": self.title, "summary": self.summary, "annotations": annotations },
        })
    }
}

/// A problem pinned to a line of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Annotation {
    pub path: String,
    pub start_line: usize,
    pub end_line: usize,
    /// `failure` or `warning`.
    pub annotation_level: String,
    pub message: String,
}

/// Whether a pull request's changes include the rules file, so its text
/// at the head commit must be read.
fn changes_rules(item: &ItemEvent, changed_files: &[String]) -> bool {
    is_new_code(item) && changed_files.iter().any(|f| f == RULES_PATH)
}

/// The check run for the rules file at the pull request's head.
fn report(item: &ItemEvent, review: &HeadReview) -> Option<Action> {
    Some(Action::CheckRun(CheckRun {
        name: CHECK_NAME.to_owned(),
        head_sha: item.pull.as_ref()?.head_sha.clone(),
        conclusion: review.conclusion.clone(),
        title: review.title.clone(),
        summary: review.summary.clone(),
        annotations: review.annotations.clone(),
    }))
}

/// Checks a rules file within `budget` (a pull request's file is anyone's
/// input): what `probot check` would say, or, past the budget, a failure
/// saying it could not be checked.
/// With the base it extends, when that is the base the default branch's
/// rules use (a pull request's file never makes the bot read another).
pub fn review_within(
    head_rules: &str,
    base: Option<config::Base<'_>>,
    budget: std::time::Duration,
) -> HeadReview {
    match config::check_within(head_rules, base, budget) {
        Some(checked) => review_of(head_rules, base, checked),
        None => HeadReview::unchecked(budget),
    }
}

impl HeadReview {
    /// A failure saying the file could not be checked within `budget`,
    /// rather than no answer.
    pub fn unchecked(budget: std::time::Duration) -> HeadReview {
        HeadReview {
            conclusion: "failure".to_owned(),
            title: "The rules could not be checked".to_owned(),
            summary: format!(
                "`{RULES_PATH}` could not be checked within {} s; make it smaller or simpler \
                 (`probot check` locally says more).",
                budget.as_secs()
            ),
            annotations: Vec::new(),
            ruleset: None,
        }
    }
}

/// Checks a rules file with no budget (`probot plan`, tests).
pub fn review(head_rules: &str) -> HeadReview {
    review_of(head_rules, None, config::check(head_rules))
}

fn review_of(
    head_rules: &str,
    base: Option<config::Base<'_>>,
    checked: config::Checked,
) -> HeadReview {
    // Every problem counted, the first hundred shown.
    let (errors, warnings) = (checked.errors, checked.warnings);
    let title = match (errors, warnings) {
        (0, 0) => "The rules are valid".to_owned(),
        (0, w) => format!("The rules are valid, with {w} warning{}", plural(w)),
        (e, w) => format!("{e} error{}, {w} warning{}", plural(e), plural(w)),
    };
    let mut summary = if checked.problems.is_empty() {
        format!("`{RULES_PATH}` passes `probot check`.")
    } else {
        format!("`probot check {RULES_PATH}` says:\n\n```\n")
    };
    // Within GitHub's cap on a summary, with room for the closing lines.
    let room = MAX_CHECK_SUMMARY_CHARS - 200;
    for (shown, problem) in checked.problems.iter().enumerate() {
        let rendered = match (&problem.file, base) {
            (Some(file), Some(base)) => problem.render(file, base.text),
            _ => problem.render(RULES_PATH, head_rules),
        };
        if summary.chars().count() + rendered.chars().count() > room {
            let more = checked.problems.len() - shown;
            summary.push_str(&format!(
                "… and {more} more: run `probot check {RULES_PATH}` to see them all\n"
            ));
            break;
        }
        summary.push_str(&rendered);
        summary.push('\n');
    }
    if !checked.problems.is_empty() {
        summary.push_str("```\n");
    }
    // What the new rules do, so a reviewer reads the change as behaviour.
    if let Some(ruleset) = &checked.ruleset {
        let described = ruleset.describe_label_rules();
        if !described.is_empty() {
            summary.push_str("\n### What the label rules do, in order\n\n");
        }
        for (shown, line) in described.iter().enumerate() {
            if summary.chars().count() + line.chars().count() > room {
                let more = described.len() - shown;
                summary.push_str(&format!("- … and {more} more\n"));
                break;
            }
            summary.push_str(&format!("- {line}\n"));
        }
    }
    // A base's problems are in another repository's file: in the summary
    // only.
    let annotations = checked
        .problems
        .iter()
        .filter(|p| p.file.is_none())
        .take(MAX_CHECK_ANNOTATIONS)
        .map(|p| {
            let line = p.location.as_ref().map_or(1, |l| l.line);
            Annotation {
                path: RULES_PATH.to_owned(),
                start_line: line,
                end_line: line,
                annotation_level: match p.severity {
                    Severity::Error => "failure",
                    Severity::Warning => "warning",
                }
                .to_owned(),
                message: match &p.help {
                    Some(help) => format!("{} (key {}; help: {help})", p.message, p.path),
                    None => format!("{} (key {})", p.message, p.path),
                },
            }
        })
        .collect();
    HeadReview {
        conclusion: if errors == 0 { "success" } else { "failure" }.to_owned(),
        title,
        summary,
        annotations,
        ruleset: checked.ruleset.map(Arc::new),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

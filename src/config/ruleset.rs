//! Rules compiled for matching, once per loaded rules file: the form the
//! planner reads. `check` builds it while it validates, with the same
//! options, so no glob that `check` refused can ever reach a plan.

use super::condition::{Cond, Events};
use super::Rules;
use crate::matchers::{FileIndex, LabelMatcher};

/// A rule that adds or removes labels or keeps a comment: a `[[rules]]`
/// entry, or the rule an implication or a path rule is shorthand for.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    /// Where the rule is in the file: `rules[3]`, `labels.paths[0]`.
    pub at: super::diagnostic::KeyPath,
    /// The line it starts on, once `check` has located it.
    pub line: Option<usize>,
    /// The base file it comes from, when not the repository's own.
    pub file: Option<String>,
    pub name: Option<String>,
    pub when: Cond,
    /// The events on which the rule is looked at.
    pub triggers: Events,
    /// Its condition asks for a pull request ready for review: its labels
    /// go when the pull request turns draft.
    pub wants_ready: bool,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    /// The hidden marker and the whole body of the rule's comment.
    pub comment: Option<(String, String)>,
    pub sync: bool,
    /// Whom it asks for reviews and assigns (`request_reviewers`,
    /// `assign`): none, one or both.
    pub picks: Vec<Pick>,
}

/// People a rule picks among: to review a pull request, or to assign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pick {
    pub role: Role,
    /// Logins, without `@`, as written.
    pub logins: Vec<String>,
    /// Teams (`org/team`), which stand for their members.
    pub teams: Vec<String>,
    /// How many to pick; every candidate when `None`.
    pub count: Option<usize>,
    /// Skip people with this many open requests (or assignments), or more.
    pub max_load: Option<u64>,
}

/// What a person is picked for, which is also what their load counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Asked to review a pull request; the load: open pull requests in the
    /// repository awaiting their review.
    Reviewer,
    /// Assigned; the load: open items in the repository assigned to them.
    Assignee,
}

impl CompiledRule {
    pub(crate) fn new(at: super::diagnostic::KeyPath, when: Cond) -> Self {
        CompiledRule {
            at,
            line: None,
            file: None,
            name: None,
            triggers: when.triggers(),
            wants_ready: when.wants_ready(),
            when,
            add: Vec::new(),
            remove: Vec::new(),
            comment: None,
            sync: false,
            picks: Vec::new(),
        }
    }

    /// What the rule does, in one line: `rules[3] "rocm" (line 12): when
    /// title matches /^\[ROCm\]/, add `module: rocm``.
    pub(crate) fn describe(&self) -> String {
        let mut effects = Vec::new();
        let listed = |labels: &[String]| {
            let quoted: Vec<String> = labels.iter().map(|l| format!("`{l}`")).collect();
            quoted.join(", ")
        };
        if !self.add.is_empty() {
            effects.push(format!("add {}", listed(&self.add)));
        }
        if !self.remove.is_empty() {
            effects.push(format!("remove {}", listed(&self.remove)));
        }
        if self.comment.is_some() {
            effects.push("keep its comment".to_owned());
        }
        if self.sync {
            effects.push("take its labels back when it stops holding".to_owned());
        }
        for pick in &self.picks {
            effects.push(pick.describe());
        }
        format!(
            "{}: when {}, {}",
            self.origin(),
            self.when.describe(),
            effects.join("; ")
        )
    }

    /// `rules[3] "rocm" (line 12)`: how explanations name the rule.
    pub(crate) fn origin(&self) -> String {
        let mut origin = match &self.file {
            Some(file) => format!("{file} {}", self.at),
            None => self.at.to_string(),
        };
        if let Some(name) = &self.name {
            origin.push_str(&format!(" {name:?}"));
        }
        if let Some(line) = self.line {
            origin.push_str(&format!(" (line {line})"));
        }
        origin
    }
}

impl Pick {
    /// `ask for reviews from 1 of alice, @org/cuda (under 5 open)`.
    pub(crate) fn describe(&self) -> String {
        let verb = match self.role {
            Role::Reviewer => "ask for reviews from",
            Role::Assignee => "assign",
        };
        let named: Vec<String> = (self.logins.iter().cloned())
            .chain(self.teams.iter().map(|t| format!("@{t}")))
            .collect();
        let mut text = match self.count {
            Some(count) => format!("{verb} {count} of {}", named.join(", ")),
            None => format!("{verb} {}", named.join(", ")),
        };
        if let Some(max) = self.max_load {
            text.push_str(&format!(" (under {max} open each)"));
        }
        text
    }
}

/// A repository's rules, checked and compiled, ready to plan with. Made
/// only by `config::load` and `config::check`.
#[derive(Debug, Clone, Default)]
pub struct Ruleset {
    /// The rules file as written (parsed, checked, merged onto its base).
    pub file: Rules,
    /// `labels.paths`, then `labels.implies`, then `rules`, in the
    /// file's order within each.
    pub(crate) label_rules: Vec<CompiledRule>,
    /// The globs of their `files` conditions.
    pub(crate) file_index: FileIndex,
    /// `cc.paths`, compiled.
    pub(crate) cc_paths: crate::paths::PathSubscriptions,
    /// `labels.respect_removals_for`, in seconds.
    pub(crate) respect_removals_for: Option<u64>,
    /// `labels.issues_only` and `labels.pull_requests_only`.
    pub(crate) issues_only: LabelMatcher,
    pub(crate) pull_requests_only: LabelMatcher,
    /// `labels.required[i].one_of`, compiled, in order.
    pub(crate) required: Vec<LabelMatcher>,
    /// `commands.labels`, compiled, in order.
    pub(crate) label_commands: Vec<(LabelMatcher, super::Who)>,
}

impl Ruleset {
    /// The least access that may change `label` by command; `None` when no
    /// one may (or label commands are off).
    pub fn label_command_access(&self, label: &str) -> Option<super::Who> {
        self.label_commands
            .iter()
            .filter(|(matcher, _)| matcher.matches(label))
            .map(|(_, who)| *who)
            .min()
    }

    /// Whether label commands are on.
    pub fn label_commands_on(&self) -> bool {
        !self.label_commands.is_empty()
    }

    /// Each rule that adds or removes labels, in words, in the order they
    /// run: for the check run of a pull request that changes the rules.
    pub fn describe_label_rules(&self) -> Vec<String> {
        self.label_rules
            .iter()
            .map(CompiledRule::describe)
            .collect()
    }
}

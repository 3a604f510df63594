//! The rules file, `.github/probot.toml`: its types, its JSON schema, and
//! `check`, which explains a broken file with line and column.
//!
//! The types are the single source of truth: serde reads them, schemars turns
//! them (and their doc comments) into `schema/probot.schema.json`, and the
//! planner consumes them. Unknown keys are errors everywhere.

mod check;
mod condition;
mod diagnostic;
mod extends;
mod meaning;
mod rule;
mod ruleset;
mod schema_check;
mod spans;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub(crate) use crate::matchers::FileHits;
pub use check::{check, check_extending, check_within, load, Checked};
pub(crate) use condition::{Cond, Leaf, Measure, Quantifier, Test};
pub use diagnostic::{Location, Problem, Severity};
pub use extends::{extends_of, Base, RulesRef, ORGANIZATION_REPO};
pub use rule::{
    Association, Condition, EventName, FilesCondition, Kind, LabelsCondition, Person, Rule, Size,
};
pub use ruleset::Role;
pub use ruleset::Ruleset;
pub(crate) use ruleset::{CompiledRule, Pick};

/// Where a repository keeps its rules, relative to its root.
pub const RULES_PATH: &str = ".github/probot.toml";

/// probot's rules for one repository, kept at `.github/probot.toml` on the
/// default branch.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "probot rules")]
pub struct Rules {
    /// Another rules file this one builds on: `"ORG/REPO"` (its
    /// `.github/probot.toml`), `"ORG/REPO:PATH"`, or `".github"` for the
    /// organization's own `.github` repository. Tables merge key by key,
    /// this file winning on every value it sets; lists of tables (rules,
    /// implications, path rules, …) are the base's first, then this
    /// file's. The base may not extend another file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(
        pattern = r"^(\.github|[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}(:[^:\s]{1,255})?)$"
    ))]
    pub extends: Option<String>,

    /// Rules of the base (`extends`) to leave out, by their `name`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disable: Vec<String>,

    /// On a pull request that changes these rules, the `probot config`
    /// check also plans the old and the new rules on this many of the
    /// repository's last updated issues and pull requests, and lists
    /// every one whose outcome would differ. 30 when left out, 0 for none;
    /// the rules in force (not the pull request's) say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 100))]
    pub backtest: Option<u32>,

    /// CC people on issues and pull requests by label. They subscribe by
    /// listing themselves in a tracking issue: `* label @alice @bob`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<CcRules>,

    /// Labels that imply other labels, and labels for pull requests by the
    /// files they change.
    #[serde(default, skip_serializing_if = "LabelRules::is_empty")]
    pub labels: LabelRules,

    /// Labels on pull requests that start CI workflows.
    #[serde(default, skip_serializing_if = "CiRules::is_empty")]
    pub ci: CiRules,

    /// General rules: when a condition on the item and the event holds,
    /// add or remove labels and keep a comment. `labels.implies` and
    /// `labels.paths` are shorthand for rules of this form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,

    /// Commands people may give the bot in comments, beyond subscribing:
    /// `@probot label …` and `@probot unlabel …`. Off when absent.
    #[serde(default, skip_serializing_if = "CommandRules::is_empty")]
    pub commands: CommandRules,
}

/// Commands in comments on issues and pull requests.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandRules {
    /// Who may add and take off which labels with `@probot label` and
    /// `@probot unlabel`: a label matching several entries needs the least
    /// access any of them names; a label matching none can't be changed by
    /// command. Labels added by command act like any person's: rules, cc
    /// and CI react to them, with the commenter as the actor (so a CI label
    /// from someone without write access starts no CI).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<LabelPermission>,
}

impl CommandRules {
    fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Labels some people may change by command.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelPermission {
    /// Label names or globs (`module: *`).
    pub labels: Vec<String>,
    /// The least access to the repository needed: `anyone` (whoever can
    /// comment), `triage`, `write`, `maintain` or `admin`.
    #[serde(default)]
    pub who: Who,
}

/// An access level to a repository, least first.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Who {
    #[default]
    Anyone,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl Who {
    pub fn name(self) -> &'static str {
        match self {
            Who::Anyone => "anyone",
            Who::Triage => "triage",
            Who::Write => "write",
            Who::Maintain => "maintain",
            Who::Admin => "admin",
        }
    }
}

/// Who gets CC'd, and where the subscriptions live.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CcRules {
    /// Number of the issue whose body lists the subscriptions, one line per
    /// label: `* module: cuda @alice @org/team`.
    #[schemars(range(min = 1))]
    pub tracking_issue: u64,

    /// `owner/name` of the repository that holds the tracking issue, when it
    /// is not this repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"))]
    pub repository: Option<String>,

    /// CC subscribers on issues.
    #[serde(default = "yes")]
    pub issues: bool,

    /// CC subscribers on pull requests.
    #[serde(default = "yes")]
    pub pull_requests: bool,

    /// Where the cc goes: `body` keeps a `cc @alice @bob` line at the end
    /// of the item's body (as PyTorch's bot does); `comment` keeps one
    /// comment of the bot's own, edited as subscribers are added, so the
    /// bot never edits text a person wrote.
    #[serde(default)]
    pub mode: CcMode,

    /// In `comment` mode, say why each person is CC'd:
    /// `cc @alice (module: cuda)`.
    #[serde(default)]
    pub reasons: bool,

    /// People CC'd on every pull request that changes files matching
    /// these globs, whatever the tracking issue says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<CcPathRule>,
}

/// Where the cc goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CcMode {
    /// A `cc @alice @bob` line at the end of the item's body.
    #[default]
    Body,
    /// One comment of the bot's own, found by a hidden marker.
    Comment,
}

/// CC `users` on pull requests that change a file matching `files`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CcPathRule {
    /// Globs over paths from the repository root, as in `labels.paths`.
    #[schemars(length(min = 1))]
    pub files: Vec<String>,

    /// Logins or `org/team`s, with or without `@`.
    #[schemars(length(min = 1))]
    pub users: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Rules that add labels.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelRules {
    /// Label implications: when an item carries a label matching `when`, the
    /// labels in `add` are added too. Implications chain: if A implies B and
    /// B implies C, labelling A adds both B and C in one step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub implies: Vec<Implication>,

    /// Labels for pull requests by the files they change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<PathRule>,

    /// Do not add back a label a person removed within this long: `1h`
    /// (the original bot's window), `30m`, `2d`. The item's label history
    /// is read only when the bot is about to add a label. Off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+[mhd]$"))]
    pub respect_removals_for: Option<String>,

    /// Label sets an item must carry one of, such as a release-notes
    /// category on every pull request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<RequiredLabels>,

    /// Labels (names or globs) that belong on issues only: put on a pull
    /// request, the bot takes them off and says why in one comment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues_only: Vec<String>,

    /// Labels (names or globs) that belong on pull requests only: put on
    /// an issue, the bot takes them off and says why in one comment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pull_requests_only: Vec<String>,
}

impl LabelRules {
    fn is_empty(&self) -> bool {
        self.implies.is_empty()
            && self.paths.is_empty()
            && self.required.is_empty()
            && self.respect_removals_for.is_none()
            && self.issues_only.is_empty()
            && self.pull_requests_only.is_empty()
    }
}

/// `30m`, `1h`, `2d` in seconds; `None` when it is not such a duration,
/// or longer than a year.
pub fn duration_secs(text: &str) -> Option<u64> {
    let unit = text.chars().last()?;
    let number: u64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    let scale = match unit {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    number
        .checked_mul(scale)
        .filter(|secs| *secs <= 366 * 86_400)
}

/// When any label matching `when` is present, add the labels in `add`,
/// unless a label in `unless` is present.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Implication {
    /// Label names or globs (`module: *`); any one of them triggers the rule.
    /// Matching is exact and case-sensitive.
    #[schemars(length(min = 1))]
    pub when: Vec<String>,

    /// Labels to add.
    #[schemars(length(min = 1))]
    pub add: Vec<String>,

    /// Label names or globs that block the rule when present
    /// (`triaged`, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unless: Vec<String>,
}

/// Items of a kind must carry a label matching one of `one_of`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredLabels {
    /// Label names or globs; any one of them satisfies the rule.
    #[schemars(length(min = 1))]
    pub one_of: Vec<String>,

    /// Which items: `pull_requests` (default), `issues` or `both`.
    #[serde(default)]
    pub on: RequiredOn,

    /// How a missing label is reported: `comment` (default; one comment,
    /// edited to say thanks once a label is there) or `check_run` (a
    /// failing `probot required labels` check run on the head commit,
    /// passing once fixed; pull requests only).
    #[serde(default)]
    pub report: RequiredReport,

    /// What to say, after the list of labels; a sentence of your own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Which items a required-label rule applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequiredOn {
    /// Pull requests.
    #[default]
    PullRequests,
    /// Issues.
    Issues,
    /// Issues and pull requests.
    Both,
}

/// How a missing required label is reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequiredReport {
    /// One comment, found by a hidden marker.
    #[default]
    Comment,
    /// A check run on the pull request's head.
    CheckRun,
}

/// When a pull request changes a file matching any glob in `files`, add the
/// labels in `add`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathRule {
    /// Globs over paths from the repository root: `docs/**`, `*.md`
    /// (a glob without `/` matches a file name in any directory).
    #[schemars(length(min = 1))]
    pub files: Vec<String>,

    /// Labels to add.
    #[schemars(length(min = 1))]
    pub add: Vec<String>,
}

/// Labels on pull requests that start CI.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CiRules {
    /// Label prefixes that mark a CI label, such as `ciflow/`. A label with
    /// one of these prefixes that is not mapped in `labels` gets a comment
    /// listing the labels that are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<String>,

    /// Sub-prefixes of `prefixes` whose labels get no such comment: labels
    /// that look like CI labels but belong to something else, such as
    /// `ciflow/nightly/` when only `ciflow/` labels start CI here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exempt: Vec<String>,

    /// Label -> the workflow it starts: `"ciflow/trunk" = "trunk.yml"`, or
    /// `{ workflow = "periodic.yml", via = "workflow_dispatch" }`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, CiTarget>,
}

impl CiRules {
    fn is_empty(&self) -> bool {
        self.prefixes.is_empty() && self.exempt.is_empty() && self.labels.is_empty()
    }
}

/// The workflow a CI label starts: a workflow file name (started by a git
/// tag), or a table saying how to start it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CiTarget {
    /// A workflow file name, such as `trunk.yml`, started by a git tag
    /// `<label>/<pull request number>` at the pull request's head.
    Workflow(String),
    /// A workflow and how to start it.
    Job(CiJob),
}

impl CiTarget {
    /// The workflow file name or numeric id, when one is named.
    pub fn workflow(&self) -> Option<&str> {
        match self {
            CiTarget::Workflow(workflow) => Some(workflow),
            CiTarget::Job(job) => job.workflow.as_deref(),
        }
    }

    /// How the workflow is started.
    pub fn via(&self) -> Via {
        match self {
            CiTarget::Workflow(_) => Via::Tag,
            CiTarget::Job(job) => job.via,
        }
    }
}

/// A workflow and how a label starts it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CiJob {
    /// Workflow file name (`trunk.yml`) or numeric id. Required for
    /// `workflow_dispatch`; informative for `tag` and `repository_dispatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,

    /// How to start it: `tag` (default) keeps a git tag
    /// `<label>/<pull request number>` at the head commit, for workflows
    /// that run `on: push: tags`; `workflow_dispatch` dispatches the
    /// workflow; `repository_dispatch` sends a repository dispatch event.
    #[serde(default)]
    pub via: Via,

    /// The `event_type` of a `repository_dispatch` (at most 100 characters).
    /// Defaults to the label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
}

/// How a CI label starts its workflow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// Keep a git tag `<label>/<pull request number>` at the head commit.
    #[default]
    Tag,
    /// `POST /actions/workflows/{workflow}/dispatches`.
    WorkflowDispatch,
    /// `POST /repos/{owner}/{repo}/dispatches`.
    RepositoryDispatch,
}

/// The JSON schema of the rules file, as checked in at
/// `schema/probot.schema.json`.
pub fn schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<Rules>();
    let mut value = serde_json::to_value(schema).unwrap_or_default();
    without_null(&mut value);
    value
}

/// TOML has no null: an absent key is how an option is left out, so the
/// schema offers no `null` (and errors never say "must be null or …").
/// Recursion here is over our own schema, not over input.
fn without_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(map) = value else {
        if let Value::Array(items) = value {
            items.iter_mut().for_each(without_null);
        }
        return;
    };
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            map.insert("type".to_owned(), only);
        }
    }
    if let Some(Value::Array(options)) = map.get_mut("anyOf") {
        options.retain(|o| o.get("type").is_none_or(|t| t != "null"));
        if options.len() == 1 {
            let only = options.clone();
            map.remove("anyOf");
            map.insert("allOf".to_owned(), Value::Array(only));
        }
    }
    map.values_mut().for_each(without_null);
}

/// The schema as pretty JSON with a trailing newline, the form checked in.
pub fn schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    text.push('\n');
    text
}
#[cfg(test)]
mod tests;

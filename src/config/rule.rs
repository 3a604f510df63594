//! The general rule, `[[rules]]`: a condition over the item and the event,
//! and what to do when it holds. `labels.implies` and `labels.paths` are
//! shorthand for rules of this form (`meaning.rs` turns them into it).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// When `when` holds on an event, add and remove labels, keep a comment,
/// ask for reviews, assign.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A name for explanations and logs, and the key of the rule's
    /// comment: keep it when you edit the rule, so the comment is edited
    /// rather than posted anew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9 _.:/-]{0,63}$"))]
    pub name: Option<String>,

    /// The condition. Its keys must all hold; `any`, `all` and `not`
    /// combine conditions.
    pub when: Condition,

    /// Labels to add when the condition holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,

    /// Labels to take off when the condition holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,

    /// A comment of the bot's on the item when the condition holds:
    /// posted once, edited if the text changes, never duplicated (a hidden
    /// marker names the rule), and left in place afterwards. Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 4000))]
    pub comment: Option<String>,

    /// Like actions/labeler's `sync-labels`: when the rule is looked at and
    /// its condition no longer holds, take off the labels in `add` that the
    /// bot itself added (a person's labels stay).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sync: bool,

    /// Ask for reviews on a pull request when the condition holds: logins,
    /// and teams (`@org/team`) that stand for their members. With `count`,
    /// only that many of them, the fewest open review requests in the
    /// repository first. Never the author, never twice: people already
    /// asked, who reviewed, or whose request a person took off count as
    /// picked. Pull requests only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_reviewers: Vec<Person>,

    /// Assign the item when the condition holds: logins and teams, picked
    /// like `request_reviewers` (the fewest open items assigned first).
    /// GitHub assigns only people with access to the repository.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assign: Vec<Person>,

    /// How many of `request_reviewers` (and of `assign`) to pick; all of
    /// them when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10))]
    pub count: Option<u32>,

    /// Skip people with this many open review requests (open items
    /// assigned, for `assign`) in the repository, or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_load: Option<u32>,
}

/// A login, or a team as `@org/team`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Person(
    #[schemars(regex(
        pattern = r"^@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9_.-]{1,100})?$"
    ))]
    pub String,
);

/// A condition on the item and the event. Every key given must hold.
/// Without `event`, a rule is looked at on the events that can change what
/// its condition reads: labels on `opened`, `reopened`, `labeled`,
/// `unlabeled`; files on `opened`, `reopened`, `synchronize`,
/// `ready_for_review`; the title and body when opened or edited; `draft`
/// when opened or its draft state changes; author and branches when opened.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Holds when at least one of these conditions holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub any: Option<Vec<Condition>>,

    /// Holds when every one of these conditions holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub all: Option<Vec<Condition>>,

    /// Holds when this condition does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<Condition>>,

    /// The labels the item carries (including those added by rules on
    /// the same event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<LabelsCondition>,

    /// A label matching one of these (names or globs) just arrived: the
    /// label of a `labeled` event, every label of an item just opened, or
    /// a label another rule added on the same event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub label_added: Option<Vec<String>>,

    /// The files a pull request changes. Never holds for an issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<FilesCondition>,

    /// A regular expression (Rust `regex` syntax) the title must match
    /// somewhere: `^\[ROCm\]`, `(?i)^reland`. Matching takes time linear in
    /// the title, whatever the pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub title: Option<String>,

    /// A regular expression the body must match somewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub body: Option<String>,

    /// The author is one of these logins, or a member of one of these
    /// teams (`@org/team`). Team membership is read only when no login
    /// matched and the rule's other conditions hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub author: Option<Vec<String>>,

    /// How the author is associated with the repository, as GitHub says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub author_association: Option<Vec<Association>>,

    /// `true`: a draft pull request; `false`: a pull request ready for
    /// review. Never holds for an issue. A rule whose condition says
    /// `draft = false` takes the labels it added back when the pull request
    /// is converted to a draft, as PyTorch's bot does for path labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<bool>,

    /// How many files the pull request changes, as its payload says (no
    /// API call): `{ max = 50 }`, `{ min = 1000 }`. Never holds for an
    /// issue, nor on an event whose payload does not say (an `issues`
    /// event about a pull request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_files: Option<Size>,

    /// How many lines the pull request adds, as its payload says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additions: Option<Size>,

    /// How many lines the pull request deletes, as its payload says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletions: Option<Size>,

    /// The pull request's base branch matches one of these names or globs
    /// (`release/*`). Never holds for an issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub base: Option<Vec<String>>,

    /// The pull request's head branch matches one of these names or globs
    /// (`gh/*`). Never holds for an issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub head: Option<Vec<String>>,

    /// The kind of item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,

    /// The event is one of these. Beside other keys that must all hold, it
    /// also says when the rule is looked at: only on these events, so a
    /// rule on files and labels with `event = ["opened", "synchronize"]`
    /// reads no files when a label is added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub event: Option<Vec<EventName>>,
}

/// A number within bounds, both included; either may be left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Size {
    /// At least this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u64>,
    /// At most this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
}

/// Which labels the item carries: names or globs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelsCondition {
    /// At least one label matches one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub any: Option<Vec<String>>,

    /// Each of these matches some label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub all: Option<Vec<String>>,

    /// No label matches any of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub none: Option<Vec<String>>,
}

/// Which files a pull request changes, with actions/labeler's four
/// quantifiers (and labeler's meaning), and one more. Globs as in
/// `labels.paths`; `!glob` matches every file `glob` does not, as in
/// labeler.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilesCondition {
    /// Some changed file matches some glob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub any_glob_to_any_file: Option<Vec<String>>,

    /// One of the globs matches every changed file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub any_glob_to_all_files: Option<Vec<String>>,

    /// Some changed file matches every glob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub all_globs_to_any_file: Option<Vec<String>>,

    /// Every changed file matches every glob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub all_globs_to_all_files: Option<Vec<String>>,

    /// Every changed file matches one glob or another (docs-only changes:
    /// `["docs/**", "*.md"]`). Not one of labeler's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub all_files_to_any_glob: Option<Vec<String>>,
}

/// GitHub's `author_association`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Association {
    /// Owns the repository.
    Owner,
    /// A member of the organization that owns the repository.
    Member,
    /// Invited to collaborate on the repository.
    Collaborator,
    /// Has had a commit in the repository before.
    Contributor,
    /// Has not committed to the repository before.
    FirstTimeContributor,
    /// Has not committed to any repository on GitHub before.
    FirstTimer,
    /// A placeholder for an imported user.
    Mannequin,
    /// None of the above.
    None,
}

impl Association {
    /// As GitHub writes it in payloads.
    pub fn github_name(self) -> &'static str {
        match self {
            Association::Owner => "OWNER",
            Association::Member => "MEMBER",
            Association::Collaborator => "COLLABORATOR",
            Association::Contributor => "CONTRIBUTOR",
            Association::FirstTimeContributor => "FIRST_TIME_CONTRIBUTOR",
            Association::FirstTimer => "FIRST_TIMER",
            Association::Mannequin => "MANNEQUIN",
            Association::None => "NONE",
        }
    }
}

/// The kind of item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An issue.
    Issue,
    /// A pull request.
    PullRequest,
}

/// An event on an issue or pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventName {
    /// Opened.
    Opened,
    /// Reopened.
    Reopened,
    /// Its title or body edited.
    Edited,
    /// Its title edited.
    TitleEdited,
    /// Its body edited.
    BodyEdited,
    /// A label added.
    Labeled,
    /// A label removed.
    Unlabeled,
    /// New commits pushed to a pull request.
    Synchronize,
    /// A draft pull request marked ready for review.
    ReadyForReview,
    /// A pull request converted to a draft.
    ConvertedToDraft,
    /// Closed.
    Closed,
}

impl EventName {
    /// A bit of its own, for sets of events.
    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }

    pub fn name(self) -> &'static str {
        match self {
            EventName::Opened => "opened",
            EventName::Reopened => "reopened",
            EventName::Edited => "edited",
            EventName::TitleEdited => "title_edited",
            EventName::BodyEdited => "body_edited",
            EventName::Labeled => "labeled",
            EventName::Unlabeled => "unlabeled",
            EventName::Synchronize => "synchronize",
            EventName::ReadyForReview => "ready_for_review",
            EventName::ConvertedToDraft => "converted_to_draft",
            EventName::Closed => "closed",
        }
    }
}

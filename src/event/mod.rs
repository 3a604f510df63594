//! Webhook payloads -> the bot's own event types.
//!
//! Routing is on the `X-GitHub-Event` header and the `action` field; only the
//! fields the bot uses are read, and unknown fields and actions are
//! tolerated, because GitHub keeps adding them. Nothing from the payload's
//! wire types escapes this module.

mod names;

use std::fmt;

pub use names::{Actor, CommentId, CommitSha, IssueNumber, Login, RepoName, GHOST};

/// A delivery, as the bot understands it.
// Items are most deliveries: boxing them would save no memory.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// GitHub checking the hook works.
    Ping,
    /// Something happened to an issue or a pull request.
    Item(ItemEvent),
    /// Commits or tags pushed.
    Push(PushEvent),
    /// A comment created on an issue or pull request.
    Comment(CommentEvent),
    /// An event or action the bot does not act on.
    Ignored {
        event: String,
        action: Option<String>,
    },
}

/// Issues and pull requests share one shape: a pull request is an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ItemKind {
    Issue,
    PullRequest,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ItemAction {
    Opened,
    Reopened,
    Edited,
    Closed,
    /// Labeled with these: one label a delivery, several once deliveries
    /// for one item coalesce.
    Labeled(Vec<String>),
    Unlabeled(String),
    /// New commits on a pull request.
    Synchronize,
    /// A draft pull request marked ready for review.
    ReadyForReview,
    /// A pull request converted back to a draft.
    ConvertedToDraft,
    /// Any other action; carried so logs can name it.
    Other(String),
}

impl ItemAction {
    /// The action as GitHub names it, without the label.
    pub fn name(&self) -> &str {
        match self {
            ItemAction::Opened => "opened",
            ItemAction::Reopened => "reopened",
            ItemAction::Edited => "edited",
            ItemAction::Closed => "closed",
            ItemAction::Labeled(_) => "labeled",
            ItemAction::Unlabeled(_) => "unlabeled",
            ItemAction::Synchronize => "synchronize",
            ItemAction::ReadyForReview => "ready_for_review",
            ItemAction::ConvertedToDraft => "converted_to_draft",
            ItemAction::Other(action) => action,
        }
    }
}

impl fmt::Display for ItemAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemAction::Opened => f.write_str("opened"),
            ItemAction::Reopened => f.write_str("reopened"),
            ItemAction::Edited => f.write_str("edited"),
            ItemAction::Closed => f.write_str("closed"),
            ItemAction::Labeled(labels) => {
                let quoted: Vec<String> = labels.iter().map(|l| format!("{l:?}")).collect();
                write!(f, "labeled {}", quoted.join(", "))
            }
            ItemAction::Unlabeled(label) => write!(f, "unlabeled {label:?}"),
            ItemAction::Synchronize => f.write_str("synchronize"),
            ItemAction::ReadyForReview => f.write_str("ready_for_review"),
            ItemAction::ConvertedToDraft => f.write_str("converted_to_draft"),
            ItemAction::Other(action) => f.write_str(action),
        }
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ItemKind::Issue => "issue",
            ItemKind::PullRequest => "pull request",
        })
    }
}

/// An `issues` or `pull_request` delivery.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ItemEvent {
    pub kind: ItemKind,
    pub action: ItemAction,
    pub repo: RepoName,
    pub installation: Option<u64>,
    pub number: IssueNumber,
    /// The title as of the delivery.
    pub title: String,
    /// The body as of the delivery; it may be stale by the time we write.
    pub body: String,
    pub author: Login,
    /// How the author is associated with the repository, as GitHub names
    /// it: `OWNER`, `MEMBER`, `FIRST_TIME_CONTRIBUTOR`, … (empty when the
    /// payload does not say).
    pub association: String,
    /// What an `edited` action changed.
    pub edits: Edits,
    pub labels: Vec<String>,
    pub open: bool,
    pub sender: Actor,
    /// Set for pull requests.
    pub pull: Option<PullRequestInfo>,
    /// Set when the event is replayed after a crash: when GitHub first
    /// delivered it (RFC 3339). A person may have changed the item since.
    pub replay_of: Option<String>,
}

impl ItemEvent {
    /// The same event, with the item's labels, body and state as read
    /// just now.
    pub fn as_now(&self, labels: &[String], body: &str, open: bool) -> ItemEvent {
        ItemEvent {
            labels: labels.to_vec(),
            body: body.to_owned(),
            open,
            ..self.clone()
        }
    }
}

/// The fields an `edited` action changed, from the payload's `changes`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Edits {
    pub title: bool,
    pub body: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PullRequestInfo {
    pub head_sha: CommitSha,
    pub head_ref: String,
    /// The head branch lives in another repository (or one since deleted).
    pub from_fork: bool,
    pub base_ref: String,
    pub merged: bool,
    /// A draft, not ready for review.
    pub draft: bool,
    /// Its size, as the `pull_request` payload tells.
    pub size: PullSize,
}

/// A pull request's size from its payload: `None` where the payload does
/// not say (an `issues` event about a pull request, say).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PullSize {
    pub changed_files: Option<u64>,
    pub additions: Option<u64>,
    pub deletions: Option<u64>,
}

/// An `issue_comment` delivery with action `created`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommentEvent {
    pub repo: RepoName,
    pub installation: Option<u64>,
    /// The issue or pull request commented on.
    pub number: IssueNumber,
    pub comment_id: CommentId,
    pub body: String,
    /// Who wrote the comment.
    pub author: Login,
    pub sender: Actor,
}

/// A `push` delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEvent {
    pub repo: RepoName,
    pub installation: Option<u64>,
    pub default_branch: String,
    /// `refs/heads/main`, `refs/tags/v1`.
    pub git_ref: String,
    /// Paths added, modified or removed by the pushed commits.
    pub touched: Vec<String>,
    pub sender: Actor,
}

impl PushEvent {
    /// The push went to the default branch.
    pub fn to_default_branch(&self) -> bool {
        self.git_ref.strip_prefix("refs/heads/") == Some(self.default_branch.as_str())
    }
}

impl Event {
    /// The repository the event happened in, if any.
    pub fn repo(&self) -> Option<&RepoName> {
        match self {
            Event::Item(item) => Some(&item.repo),
            Event::Push(push) => Some(&push.repo),
            Event::Comment(comment) => Some(&comment.repo),
            Event::Ping | Event::Ignored { .. } => None,
        }
    }

    /// The event's name as GitHub's `X-GitHub-Event` says it.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Item(item) => match item.kind {
                ItemKind::Issue => "issues",
                ItemKind::PullRequest => "pull_request",
            },
            Event::Push(_) => "push",
            Event::Comment(_) => "issue_comment",
            Event::Ping => "ping",
            Event::Ignored { .. } => "other",
        }
    }

    /// The action alone, for metrics: few values, no label names.
    pub fn action_name(&self) -> String {
        match self {
            Event::Item(item) => item.action.name().to_owned(),
            Event::Comment(_) => "created".into(),
            Event::Push(_) | Event::Ping => "-".into(),
            Event::Ignored { action, .. } => action.clone().unwrap_or_else(|| "-".into()),
        }
    }

    /// The action in words and the repository, for the delivery's log line.
    pub fn describe(&self) -> (String, String) {
        match self {
            Event::Item(item) => (item.action.to_string(), item.repo.to_string()),
            Event::Push(push) => (push.git_ref.clone(), push.repo.to_string()),
            Event::Comment(comment) => (
                format!("comment on #{}", comment.number),
                comment.repo.to_string(),
            ),
            Event::Ping => ("-".into(), "-".into()),
            Event::Ignored { action, .. } => {
                (action.clone().unwrap_or_else(|| "-".into()), "-".into())
            }
        }
    }

    pub fn installation(&self) -> Option<u64> {
        match self {
            Event::Item(item) => item.installation,
            Event::Push(push) => push.installation,
            Event::Comment(comment) => comment.installation,
            Event::Ping | Event::Ignored { .. } => None,
        }
    }
}

/// A payload the bot should act on but cannot read.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("the payload is not valid JSON for a `{event}` event: {path}: {source}")]
    Malformed {
        event: String,
        /// Where in the payload, as `issue.user.login`.
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the payload names repository `{0}`, which is not `owner/name`")]
    BadRepository(String),
}

/// Reads a delivery from its event name (`X-GitHub-Event`) and JSON body.
pub fn parse(event: &str, payload: &[u8]) -> Result<Event, EventError> {
    let malformed = |error: serde_path_to_error::Error<serde_json::Error>| EventError::Malformed {
        event: event.to_owned(),
        path: error.path().to_string(),
        source: error.into_inner(),
    };
    match event {
        "ping" => Ok(Event::Ping),
        "issues" | "pull_request" => {
            let wire: wire::ItemPayload = from_json(payload).map_err(malformed)?;
            let kind = if event == "issues" {
                ItemKind::Issue
            } else {
                ItemKind::PullRequest
            };
            item_event(kind, wire)
                .map(|item| item.map_or_else(|action| ignored(event, action), Event::Item))
        }
        "issue_comment" => {
            let wire: wire::CommentPayload = from_json(payload).map_err(malformed)?;
            if wire.action != "created" {
                return Ok(ignored(event, Some(wire.action)));
            }
            Ok(Event::Comment(CommentEvent {
                repo: repo_name(&wire.repository)?,
                installation: wire.installation.map(|i| i.id),
                number: wire.issue.number,
                comment_id: CommentId(wire.comment.id),
                body: wire.comment.body.unwrap_or_default(),
                author: actor(wire.comment.user.as_ref()).login,
                sender: actor(wire.sender.as_ref()),
            }))
        }
        "push" => {
            let wire: wire::PushPayload = from_json(payload).map_err(malformed)?;
            Ok(Event::Push(push_event(wire)?))
        }
        _ => {
            // Any JSON object is fine for an event we ignore; only a body
            // that is not JSON at all is malformed.
            let wire: wire::AnyPayload = from_json(payload).map_err(malformed)?;
            Ok(ignored(event, wire.action))
        }
    }
}

/// Deserializes, keeping where in the payload it failed.
fn from_json<'a, T: serde::Deserialize<'a>>(
    payload: &'a [u8],
) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(payload))
}

fn ignored(event: &str, action: Option<String>) -> Event {
    Event::Ignored {
        event: event.to_owned(),
        action,
    }
}

fn repo_name(repository: &wire::Repository) -> Result<RepoName, EventError> {
    RepoName::parse(&repository.full_name)
        .ok_or_else(|| EventError::BadRepository(repository.full_name.clone()))
}

fn actor(user: Option<&wire::User>) -> Actor {
    user.map_or_else(Actor::ghost, |user| Actor {
        login: user.login.clone(),
    })
}

/// `Ok(Err(action))` for actions on items the bot does not act on at all.
fn item_event(
    kind: ItemKind,
    wire: wire::ItemPayload,
) -> Result<Result<ItemEvent, Option<String>>, EventError> {
    let item = match (kind, wire.pull_request, wire.issue) {
        (ItemKind::PullRequest, Some(pr), _) => pr,
        (ItemKind::Issue, _, Some(issue)) => issue,
        _ => return Ok(Err(Some(wire.action))),
    };
    let label = || {
        wire.label
            .as_ref()
            .map(|l| l.name.clone())
            .unwrap_or_default()
    };
    let action = match wire.action.as_str() {
        "opened" => ItemAction::Opened,
        "reopened" => ItemAction::Reopened,
        "edited" => ItemAction::Edited,
        "closed" => ItemAction::Closed,
        "synchronize" => ItemAction::Synchronize,
        "ready_for_review" => ItemAction::ReadyForReview,
        "converted_to_draft" => ItemAction::ConvertedToDraft,
        "labeled" => ItemAction::Labeled(vec![label()]),
        "unlabeled" => ItemAction::Unlabeled(label()),
        other => ItemAction::Other(other.to_owned()),
    };
    // An issue delivery about an item that is a pull request still counts
    // as a pull request: GitHub sends `issues` events for them too.
    let kind = if item.pull_request.is_some() {
        ItemKind::PullRequest
    } else {
        kind
    };
    let pull = item.head.as_ref().map(|head| PullRequestInfo {
        head_sha: head.sha.clone(),
        head_ref: head.git_ref.clone(),
        from_fork: head
            .repo
            .as_ref()
            .is_none_or(|r| r.full_name != wire.repository.full_name),
        base_ref: item
            .base
            .as_ref()
            .map(|b| b.git_ref.clone())
            .unwrap_or_default(),
        merged: item.merged.unwrap_or(false),
        draft: item.draft.unwrap_or(false),
        size: PullSize {
            changed_files: item.changed_files,
            additions: item.additions,
            deletions: item.deletions,
        },
    });
    Ok(Ok(ItemEvent {
        kind,
        action,
        repo: repo_name(&wire.repository)?,
        installation: wire.installation.map(|i| i.id),
        number: item.number,
        title: item.title.unwrap_or_default(),
        body: item.body.unwrap_or_default(),
        author: actor(item.user.as_ref()).login,
        association: item.author_association.unwrap_or_default(),
        edits: Edits {
            title: wire.changes.as_ref().is_some_and(|c| c.title.is_some()),
            body: wire.changes.as_ref().is_some_and(|c| c.body.is_some()),
        },
        labels: item.labels.into_iter().map(|l| l.name).collect(),
        open: item.state == "open",
        sender: actor(wire.sender.as_ref()),
        pull,
        replay_of: None,
    }))
}

fn push_event(wire: wire::PushPayload) -> Result<PushEvent, EventError> {
    let mut touched: Vec<String> = wire
        .commits
        .into_iter()
        .flat_map(|c| c.added.into_iter().chain(c.modified).chain(c.removed))
        .collect();
    touched.sort();
    touched.dedup();
    Ok(PushEvent {
        repo: repo_name(&wire.repository)?,
        installation: wire.installation.map(|i| i.id),
        default_branch: wire.repository.default_branch.unwrap_or_default(),
        git_ref: wire.git_ref,
        touched,
        sender: actor(wire.sender.as_ref()),
    })
}

/// The payload fields the bot reads, and nothing else.
mod wire {
    use serde::Deserialize;

    use super::IssueNumber;

    #[derive(Deserialize)]
    pub struct AnyPayload {
        pub action: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct ItemPayload {
        pub action: String,
        pub issue: Option<Item>,
        pub pull_request: Option<Item>,
        pub label: Option<Label>,
        pub changes: Option<Changes>,
        pub repository: Repository,
        pub sender: Option<User>,
        pub installation: Option<Installation>,
    }

    /// What an `edited` action changed: only which fields, not from what.
    #[derive(Deserialize)]
    pub struct Changes {
        pub title: Option<serde::de::IgnoredAny>,
        pub body: Option<serde::de::IgnoredAny>,
    }

    #[derive(Deserialize)]
    pub struct Item {
        pub number: IssueNumber,
        pub title: Option<String>,
        pub body: Option<String>,
        pub user: Option<User>,
        pub author_association: Option<String>,
        #[serde(default)]
        pub labels: Vec<Label>,
        #[serde(default)]
        pub state: String,
        /// Present (as an object) on issues that are pull requests.
        pub pull_request: Option<serde::de::IgnoredAny>,
        pub head: Option<Branch>,
        pub base: Option<Branch>,
        pub merged: Option<bool>,
        pub draft: Option<bool>,
        pub changed_files: Option<u64>,
        pub additions: Option<u64>,
        pub deletions: Option<u64>,
    }

    #[derive(Deserialize)]
    pub struct Branch {
        #[serde(rename = "ref")]
        pub git_ref: String,
        pub sha: super::CommitSha,
        pub repo: Option<Repository>,
    }

    #[derive(Deserialize)]
    pub struct Label {
        pub name: String,
    }

    #[derive(Deserialize)]
    pub struct Repository {
        pub full_name: String,
        pub default_branch: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct User {
        pub login: super::Login,
    }

    #[derive(Deserialize)]
    pub struct Installation {
        pub id: u64,
    }

    #[derive(Deserialize)]
    pub struct CommentPayload {
        pub action: String,
        pub issue: CommentedItem,
        pub comment: Comment,
        pub repository: Repository,
        pub sender: Option<User>,
        pub installation: Option<Installation>,
    }

    #[derive(Deserialize)]
    pub struct CommentedItem {
        pub number: IssueNumber,
    }

    #[derive(Deserialize)]
    pub struct Comment {
        pub id: u64,
        pub body: Option<String>,
        pub user: Option<User>,
    }

    #[derive(Deserialize)]
    pub struct PushPayload {
        #[serde(rename = "ref")]
        pub git_ref: String,
        #[serde(default)]
        pub commits: Vec<Commit>,
        pub repository: Repository,
        pub sender: Option<User>,
        pub installation: Option<Installation>,
    }

    #[derive(Deserialize)]
    pub struct Commit {
        #[serde(default)]
        pub added: Vec<String>,
        #[serde(default)]
        pub modified: Vec<String>,
        #[serde(default)]
        pub removed: Vec<String>,
    }
}

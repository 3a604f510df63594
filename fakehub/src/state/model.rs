//! The world's data: what GitHub keeps, as fakehub keeps it.

use std::collections::BTreeMap;

use serde_json::Value;

/// Someone acting: a user, or an app's installation (`<slug>[bot]`).
pub type Login = String;

#[derive(Debug, Clone)]
pub struct Label {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PullRequest {
    /// A draft: not ready for review.
    pub draft: bool,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub fork: bool,
    pub files: Vec<String>,
    /// Contents of files at the head commit, for the paths the seed or a
    /// push gave text for (a config check reads them).
    pub contents: BTreeMap<String, String>,
    pub commits: u64,
    pub merged_at: Option<u64>,
    pub merged_by: Option<Login>,
    pub merge_sha: Option<String>,
    pub reviews: Vec<Review>,
    /// People asked to review, and not yet reviewed.
    pub requested_reviewers: Vec<Login>,
}

/// A submitted pull request review.
#[derive(Debug, Clone)]
pub struct Review {
    pub id: u64,
    pub user: Login,
    /// `APPROVED`, `CHANGES_REQUESTED` or `COMMENTED`.
    pub state: &'static str,
    pub body: String,
    pub commit_id: String,
    pub submitted_at: u64,
}

#[derive(Debug, Clone)]
pub struct Issue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: String,
    pub author: Login,
    pub labels: Vec<String>,
    pub open: bool,
    pub created_at: u64,
    pub updated_at: u64,
    pub closed_at: Option<u64>,
    /// Who closed it last, and why it is in its state (`completed`,
    /// `reopened`), as GitHub reports them.
    pub closed_by: Option<Login>,
    pub state_reason: Option<&'static str>,
    pub pull: Option<PullRequest>,
    /// Labels added and removed, people assigned and asked to review,
    /// oldest first: the issue's events.
    pub events: Vec<IssueEvent>,
    /// Who it is assigned to, in order.
    pub assignees: Vec<Login>,
    /// Reactions to the issue or pull request itself.
    pub reactions: Vec<Reaction>,
}

/// One of an item's events: a label added or removed (`labeled`,
/// `unlabeled`), a person assigned or unassigned, asked to review or the
/// request taken off (`review_requested`, `review_request_removed`).
#[derive(Debug, Clone)]
pub struct IssueEvent {
    pub id: u64,
    pub event: &'static str,
    pub subject: Subject,
    pub actor: Login,
    pub created_at: u64,
}

/// What an item's event is about.
#[derive(Debug, Clone)]
pub enum Subject {
    Label(String),
    /// The person assigned, or asked to review.
    Person(Login),
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub issue: u64,
    pub body: String,
    pub author: Login,
    pub created_at: u64,
    pub updated_at: u64,
    pub reactions: Vec<Reaction>,
}

/// A person's reaction to a comment: `+1`, `confused`, ...
#[derive(Debug, Clone)]
pub struct Reaction {
    pub id: u64,
    pub content: String,
    pub user: Login,
    pub created_at: u64,
}

/// One notification GitHub sent a user about an item.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: u64,
    pub user: Login,
    /// `mention` or `team_mention`.
    pub reason: &'static str,
    pub repo: String,
    pub number: u64,
    pub title: String,
    pub is_pull: bool,
    pub at: u64,
}

#[derive(Debug, Clone)]
pub struct File {
    pub text: String,
    pub sha: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Workflow {
    pub id: u64,
    pub path: String,
    pub name: String,
}

/// A `workflow_dispatch` or `repository_dispatch` that was accepted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Dispatch {
    pub kind: &'static str,
    /// Workflow file for workflow dispatches; event type for repository ones.
    pub target: String,
    pub git_ref: Option<String>,
    pub head_sha: String,
    pub inputs: Value,
    pub actor: Login,
    pub run_id: u64,
}

#[derive(Debug, Clone)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub output: Value,
    pub created_at: u64,
    pub updated_at: u64,
}

#[derive(Debug, Clone)]
pub struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub description: Option<String>,
    pub default_branch: String,
    /// `refs/heads/main`, `refs/tags/x` -> sha.
    pub refs: BTreeMap<String, String>,
    /// (branch, path) -> file.
    pub files: BTreeMap<(String, String), File>,
    pub issues: BTreeMap<u64, Issue>,
    pub labels: BTreeMap<String, Label>,
    pub comments: Vec<Comment>,
    /// login -> `admin`, `maintain`, `write`, `triage` or `read`.
    pub collaborators: BTreeMap<Login, String>,
    pub workflows: Vec<Workflow>,
    pub dispatches: Vec<Dispatch>,
    pub check_runs: Vec<CheckRun>,
}

impl Repo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

#[derive(Debug, Clone)]
pub struct App {
    pub id: u64,
    pub slug: String,
    pub name: String,
    pub owner: Login,
    /// PEM of the key that verifies the app's JWTs.
    pub public_key: String,
}

/// An App created through the manifest flow, until its code is traded.
#[derive(Debug, Clone)]
pub struct ManifestCode {
    pub app: App,
    pub webhook_secret: String,
    pub created_at: u64,
    pub used: bool,
    /// The manifest, for the conversion's permissions and events.
    pub manifest: Value,
}

#[derive(Debug, Clone)]
pub struct Installation {
    pub id: u64,
    pub account: Login,
    pub repos: Vec<String>,
}

/// Whose token a request carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    User(Login),
    Installation(u64),
    /// A JWT signed with the app's key.
    App,
}

impl Identity {
    /// How the request log names it; never the token itself.
    pub fn describe(&self) -> String {
        match self {
            Identity::User(login) => format!("user:{login}"),
            Identity::Installation(id) => format!("installation:{id}"),
            Identity::App => "app".to_owned(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Token {
    pub identity: Identity,
    pub expires_at: Option<u64>,
}

/// What a change to the world did, for the webhooks GitHub would send.
/// `events.rs` turns each into its payload while the world is still
/// locked, so a payload shows the state right after its change.
#[derive(Debug, Clone)]
pub enum Change {
    /// An `issues` or `pull_request` event. `label` names the label of a
    /// `labeled`/`unlabeled` event; `extra` holds other top-level fields
    /// (`changes`, `before`/`after`).
    Item {
        repo: String,
        number: u64,
        action: String,
        actor: Login,
        label: Option<String>,
        extra: Value,
    },
    /// An `issue_comment` event.
    Comment {
        repo: String,
        id: u64,
        action: String,
        actor: Login,
        extra: Value,
    },
    /// A `push`: commits on a branch, or a ref created, moved or deleted.
    Push {
        repo: String,
        git_ref: String,
        before: String,
        after: String,
        commits: Vec<Value>,
        actor: Login,
        /// A ref moved to a commit that is not a descendant (fakehub keeps
        /// no commit graph, so every move of an existing ref is one).
        forced: bool,
    },
    /// A review submitted: `pull_request_review.submitted`.
    Review {
        repo: String,
        number: u64,
        id: u64,
        actor: Login,
    },
    /// A repository label created, edited (with `changes`) or deleted.
    Label {
        repo: String,
        name: String,
        action: &'static str,
        actor: Login,
        changes: Value,
    },
    /// A workflow run requested by a dispatch: `workflow_run.requested`.
    Run {
        repo: String,
        run_id: u64,
        actor: Login,
    },
    /// `installation.created`.
    Installed {
        id: u64,
        account: Login,
        repos: Vec<String>,
        actor: Login,
    },
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Delivery {
    pub id: u64,
    pub guid: String,
    pub event: String,
    pub action: Option<String>,
    pub hook_url: String,
    pub status_code: u16,
    pub status: String,
    pub duration_ms: u64,
    pub redelivery: bool,
    pub delivered_at: String,
    pub installation_id: Option<u64>,
    pub repository_id: Option<u64>,
    /// Who caused the event.
    pub sender: Option<String>,
    #[serde(skip)]
    pub payload: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    /// Who, as `user:alice` or `installation:1`; `none` without a token.
    pub token: String,
    pub status: u16,
}

//! fakehub's world: repositories and everything in them, the app, tokens,
//! deliveries and the request log. Every change goes through a method here
//! that returns the webhooks GitHub would send for it, so REST writes and
//! control-API actions produce the same events.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use crate::shapes;

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
    pub pull: Option<PullRequest>,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub issue: u64,
    pub body: String,
    pub author: Login,
    pub created_at: u64,
    pub updated_at: u64,
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

/// One webhook GitHub would send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub event: &'static str,
    pub payload: Value,
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

#[derive(Debug, Default)]
pub struct World {
    pub base_url: String,
    pub started_at: u64,
    pub repos: BTreeMap<String, Repo>,
    pub app: Option<App>,
    pub installations: Vec<Installation>,
    pub tokens: HashMap<String, Token>,
    pub users: BTreeMap<Login, u64>,
    pub deliveries: Vec<Delivery>,
    pub requests: Vec<LoggedRequest>,
    /// token description -> requests counted against the primary limit.
    pub rate_used: HashMap<String, u64>,
    /// token description -> times of recent content-creating requests.
    pub recent_writes: HashMap<String, std::collections::VecDeque<u64>>,
    pub next_id: u64,
}

/// A request the world refuses, as GitHub would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

impl Refusal {
    pub fn not_found() -> Self {
        Refusal {
            status: 404,
            message: "Not Found".into(),
        }
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        Refusal {
            status: 422,
            message: message.into(),
        }
    }
}

pub type Outcome<T> = Result<T, Refusal>;

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A deterministic, commit-like sha from some text.
pub fn sha_of(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    hex::encode(&digest[..20])
}

/// How many requests and deliveries fakehub remembers: plenty for tests and
/// demos, bounded for a fakehub left running under load.
pub const MEMORY: usize = 100_000;

impl World {
    /// Records a request, forgetting the oldest past `MEMORY`.
    pub fn log_request(&mut self, request: LoggedRequest) {
        if self.requests.len() >= MEMORY {
            self.requests.drain(..MEMORY / 2);
        }
        self.requests.push(request);
    }

    /// Records a delivery, forgetting the oldest past `MEMORY`.
    pub fn record_delivery(&mut self, delivery: Delivery) {
        if self.deliveries.len() >= MEMORY {
            self.deliveries.drain(..MEMORY / 2);
        }
        self.deliveries.push(delivery);
    }

    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A stable id per login, as GitHub's user ids are.
    pub fn user_id(&self, login: &str) -> u64 {
        self.users.get(login).copied().unwrap_or_else(|| {
            let digest = sha_of(login);
            u64::from_str_radix(&digest[..8], 16).unwrap_or(1) % 90_000_000 + 1_000
        })
    }

    pub fn remember_user(&mut self, login: &str) {
        if !self.users.contains_key(login) {
            let id = self.user_id(login);
            self.users.insert(login.to_owned(), id);
        }
    }

    pub fn repo(&self, full: &str) -> Outcome<&Repo> {
        self.repos.get(full).ok_or_else(Refusal::not_found)
    }

    pub fn repo_mut(&mut self, full: &str) -> Outcome<&mut Repo> {
        self.repos.get_mut(full).ok_or_else(Refusal::not_found)
    }

    pub fn issue(&self, full: &str, number: u64) -> Outcome<&Issue> {
        self.repo(full)?
            .issues
            .get(&number)
            .ok_or_else(Refusal::not_found)
    }

    /// The login a token acts as: users as themselves, installations as
    /// their app's bot account.
    pub fn actor(&self, identity: &Identity) -> Login {
        match identity {
            Identity::User(login) => login.clone(),
            Identity::Installation(_) | Identity::App => {
                let slug = self.app.as_ref().map_or("fakehub", |a| a.slug.as_str());
                format!("{slug}[bot]")
            }
        }
    }

    /// Whether `identity` may see `full`; installations see only theirs.
    pub fn can_access(&self, identity: &Identity, full: &str) -> bool {
        match identity {
            Identity::User(_) => true,
            Identity::App => false,
            Identity::Installation(id) => self
                .installations
                .iter()
                .any(|i| i.id == *id && i.repos.iter().any(|r| r == full)),
        }
    }

    pub fn installation_for(&self, full: &str) -> Option<u64> {
        self.installations
            .iter()
            .find(|i| i.repos.iter().any(|r| r == full))
            .map(|i| i.id)
    }

    fn ensure_label(&mut self, full: &str, name: &str) {
        let id = self.id();
        if let Some(repo) = self.repos.get_mut(full) {
            repo.labels.entry(name.to_owned()).or_insert_with(|| Label {
                id,
                name: name.to_owned(),
                color: "ededed".into(),
                description: None,
            });
        }
    }

    /// The common fields of a repository event: repository, sender,
    /// installation.
    fn envelope(&self, full: &str, actor: &str, mut fields: Value) -> Value {
        let Ok(repo) = self.repo(full) else {
            return fields;
        };
        fields["repository"] = shapes::repo(self, repo);
        fields["sender"] = shapes::user(self, actor);
        if let Some(id) = self.installation_for(full) {
            fields["installation"] =
                json!({"id": id, "node_id": format!("MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{id}")});
        }
        fields
    }

    /// `issues` or `pull_request` event for an item, with extra fields.
    fn item_event(
        &self,
        full: &str,
        number: u64,
        action: &str,
        actor: &str,
        extra: Value,
    ) -> Outcome<Outgoing> {
        let repo = self.repo(full)?;
        let issue = repo.issues.get(&number).ok_or_else(Refusal::not_found)?;
        let (event, mut fields) = if issue.pull.is_some() {
            (
                "pull_request",
                json!({"action": action, "number": number, "pull_request": shapes::pull(self, repo, issue)}),
            )
        } else {
            (
                "issues",
                json!({"action": action, "issue": shapes::issue(self, repo, issue)}),
            )
        };
        if let (Value::Object(fields), Value::Object(extra)) = (&mut fields, extra) {
            fields.extend(extra);
        }
        Ok(Outgoing {
            event,
            payload: self.envelope(full, actor, fields),
        })
    }

    /// Adds an issue or pull request without telling anyone: what the seed
    /// starts with, and the state part of `open_item`. Takes `number` when
    /// given, the next free one otherwise.
    pub fn insert_item(
        &mut self,
        full: &str,
        spec: NewItem,
        number: Option<u64>,
        open: bool,
    ) -> Outcome<u64> {
        self.remember_user(&spec.author);
        for label in &spec.labels {
            self.ensure_label(full, label);
        }
        let id = self.id();
        let t = now();
        let repo = self.repo_mut(full)?;
        let number =
            number.unwrap_or_else(|| repo.issues.keys().next_back().copied().unwrap_or(0) + 1);
        let base_ref = repo.default_branch.clone();
        let pull: Option<PullRequest> = spec.pull.map(|p| PullRequest {
            head_sha: p
                .head_sha
                .unwrap_or_else(|| sha_of(&format!("{full}#{number}:1"))),
            head_ref: p.head_ref.unwrap_or_else(|| format!("feature-{number}")),
            base_ref: p.base_ref.unwrap_or(base_ref),
            fork: p.fork,
            files: p.files,
            contents: p.contents,
            commits: 1,
            merged_at: None,
            merged_by: None,
            merge_sha: None,
        });
        // A pull request from the same repository has its branch there.
        if let Some(pr) = pull.as_ref().filter(|p| !p.fork) {
            repo.refs
                .insert(format!("refs/heads/{}", pr.head_ref), pr.head_sha.clone());
        }
        repo.issues.insert(
            number,
            Issue {
                id,
                number,
                title: spec.title,
                body: spec.body,
                author: spec.author,
                labels: spec.labels,
                open,
                created_at: t,
                updated_at: t,
                closed_at: (!open).then_some(t),
                pull,
            },
        );
        Ok(number)
    }

    pub fn open_item(
        &mut self,
        full: &str,
        spec: NewItem,
        actor: &str,
    ) -> Outcome<(u64, Vec<Outgoing>)> {
        let labels = spec.labels.clone();
        let number = self.insert_item(full, spec, None, true)?;
        // GitHub sends `opened` with the labels, then one `labeled` per label.
        let mut events = vec![self.item_event(full, number, "opened", actor, json!({}))?];
        for label in &labels {
            events.push(self.label_event(full, number, "labeled", label, actor)?);
        }
        Ok((number, events))
    }

    fn label_event(
        &self,
        full: &str,
        number: u64,
        action: &str,
        label: &str,
        actor: &str,
    ) -> Outcome<Outgoing> {
        let repo = self.repo(full)?;
        let label_json = repo
            .labels
            .get(label)
            .map(|l| shapes::label(self, repo, l))
            .unwrap_or_else(|| json!({"name": label}));
        self.item_event(full, number, action, actor, json!({"label": label_json}))
    }

    /// Adds labels not yet present; returns one `labeled` event per label
    /// added, none for labels already there.
    pub fn add_labels(
        &mut self,
        full: &str,
        number: u64,
        labels: &[String],
        actor: &str,
    ) -> Outcome<Vec<Outgoing>> {
        self.issue(full, number)?;
        let mut events = Vec::new();
        for label in labels {
            self.ensure_label(full, label);
            let issue = self.issue_mut(full, number)?;
            if issue.labels.iter().any(|l| l.eq_ignore_ascii_case(label)) {
                continue;
            }
            issue.labels.push(label.clone());
            issue.updated_at = now();
            events.push(self.label_event(full, number, "labeled", label, actor)?);
        }
        Ok(events)
    }

    /// Replaces all labels.
    pub fn set_labels(
        &mut self,
        full: &str,
        number: u64,
        labels: &[String],
        actor: &str,
    ) -> Outcome<Vec<Outgoing>> {
        let current = self.issue(full, number)?.labels.clone();
        let mut events = Vec::new();
        for label in current.iter().filter(|l| !labels.contains(l)) {
            events.extend(self.remove_label(full, number, label, actor)?);
        }
        events.extend(self.add_labels(full, number, labels, actor)?);
        Ok(events)
    }

    /// Removes a label; 404 when the item does not carry it, as GitHub does.
    pub fn remove_label(
        &mut self,
        full: &str,
        number: u64,
        label: &str,
        actor: &str,
    ) -> Outcome<Vec<Outgoing>> {
        let issue = self.issue_mut(full, number)?;
        let Some(position) = issue
            .labels
            .iter()
            .position(|l| l.eq_ignore_ascii_case(label))
        else {
            return Err(Refusal {
                status: 404,
                message: "Label does not exist".into(),
            });
        };
        let removed = issue.labels.remove(position);
        issue.updated_at = now();
        Ok(vec![self.label_event(
            full,
            number,
            "unlabeled",
            &removed,
            actor,
        )?])
    }

    pub fn issue_mut(&mut self, full: &str, number: u64) -> Outcome<&mut Issue> {
        self.repo_mut(full)?
            .issues
            .get_mut(&number)
            .ok_or_else(Refusal::not_found)
    }

    /// Edits title, body or state; `edited` carries `changes` with the old
    /// values, as GitHub's does.
    pub fn edit_item(
        &mut self,
        full: &str,
        number: u64,
        edit: ItemEdit,
        actor: &str,
    ) -> Outcome<Vec<Outgoing>> {
        let t = now();
        let issue = self.issue_mut(full, number)?;
        let mut changes = serde_json::Map::new();
        if let Some(body) = edit.body {
            if body != issue.body {
                changes.insert(
                    "body".into(),
                    json!({"from": std::mem::replace(&mut issue.body, body)}),
                );
            }
        }
        if let Some(title) = edit.title {
            if title != issue.title {
                changes.insert(
                    "title".into(),
                    json!({"from": std::mem::replace(&mut issue.title, title)}),
                );
            }
        }
        let state_change = match edit.state.as_deref() {
            Some("closed") if issue.open => Some("closed"),
            Some("open") if !issue.open => Some("reopened"),
            Some("open" | "closed") | None => None,
            Some(other) => {
                return Err(Refusal::unprocessable(format!(
                    "state `{other}` is not open or closed"
                )))
            }
        };
        if let Some(change) = state_change {
            issue.open = change == "reopened";
            issue.closed_at = (!issue.open).then_some(t);
        }
        if !changes.is_empty() || state_change.is_some() {
            issue.updated_at = t;
        }
        let mut events = Vec::new();
        if !changes.is_empty() {
            events.push(self.item_event(
                full,
                number,
                "edited",
                actor,
                json!({"changes": changes}),
            )?);
        }
        if let Some(change) = state_change {
            events.push(self.item_event(full, number, change, actor, json!({}))?);
        }
        Ok(events)
    }

    pub fn add_comment(
        &mut self,
        full: &str,
        number: u64,
        body: &str,
        actor: &str,
    ) -> Outcome<(u64, Vec<Outgoing>)> {
        self.issue(full, number)?;
        self.remember_user(actor);
        let id = self.id();
        let t = now();
        let repo = self.repo_mut(full)?;
        repo.comments.push(Comment {
            id,
            issue: number,
            body: body.to_owned(),
            author: actor.to_owned(),
            created_at: t,
            updated_at: t,
        });
        let event = self.comment_event(full, id, "created", actor, json!({}))?;
        Ok((id, vec![event]))
    }

    pub fn edit_comment(
        &mut self,
        full: &str,
        id: u64,
        body: &str,
        actor: &str,
    ) -> Outcome<Vec<Outgoing>> {
        let repo = self.repo_mut(full)?;
        let comment = repo
            .comments
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(Refusal::not_found)?;
        let from = std::mem::replace(&mut comment.body, body.to_owned());
        comment.updated_at = now();
        Ok(vec![self.comment_event(
            full,
            id,
            "edited",
            actor,
            json!({"changes": {"body": {"from": from}}}),
        )?])
    }

    fn comment_event(
        &self,
        full: &str,
        id: u64,
        action: &str,
        actor: &str,
        extra: Value,
    ) -> Outcome<Outgoing> {
        let repo = self.repo(full)?;
        let comment = repo
            .comments
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(Refusal::not_found)?;
        let issue = repo
            .issues
            .get(&comment.issue)
            .ok_or_else(Refusal::not_found)?;
        let mut fields = json!({
            "action": action,
            "issue": shapes::issue(self, repo, issue),
            "comment": shapes::comment(self, repo, comment),
        });
        if let (Value::Object(fields), Value::Object(extra)) = (&mut fields, extra) {
            fields.extend(extra);
        }
        Ok(Outgoing {
            event: "issue_comment",
            payload: self.envelope(full, actor, fields),
        })
    }

    /// New commits on a pull request: a new head sha and changed files.
    pub fn push_to_pull(
        &mut self,
        full: &str,
        number: u64,
        push: PullPush,
        actor: &str,
    ) -> Outcome<Vec<Outgoing>> {
        let issue = self.issue_mut(full, number)?;
        let pr = issue.pull.as_mut().ok_or_else(Refusal::not_found)?;
        let before = pr.head_sha.clone();
        pr.commits += 1;
        pr.head_sha = push
            .head_sha
            .unwrap_or_else(|| sha_of(&format!("{full}#{number}:{}", pr.commits)));
        for file in push.files {
            if !pr.files.contains(&file) {
                pr.files.push(file);
            }
        }
        pr.contents.extend(push.contents);
        let after = pr.head_sha.clone();
        let from_fork = pr.fork;
        let head_ref = pr.head_ref.clone();
        issue.updated_at = now();
        if !from_fork {
            self.repo_mut(full)?
                .refs
                .insert(format!("refs/heads/{head_ref}"), after.clone());
        }
        Ok(vec![self.item_event(
            full,
            number,
            "synchronize",
            actor,
            json!({"before": before, "after": after}),
        )?])
    }

    pub fn merge(&mut self, full: &str, number: u64, actor: &str) -> Outcome<Vec<Outgoing>> {
        let t = now();
        let issue = self.issue_mut(full, number)?;
        if !issue.open {
            return Err(Refusal {
                status: 405,
                message: "Pull Request is not mergeable".into(),
            });
        }
        let pr = issue.pull.as_mut().ok_or_else(Refusal::not_found)?;
        let merge_sha = sha_of(&format!("merge {full}#{number} {}", pr.head_sha));
        pr.merged_at = Some(t);
        pr.merged_by = Some(actor.to_owned());
        pr.merge_sha = Some(merge_sha.clone());
        let files = pr.files.clone();
        let contents = pr.contents.clone();
        let base = pr.base_ref.clone();
        issue.open = false;
        issue.closed_at = Some(t);
        issue.updated_at = t;
        let mut events = vec![self.item_event(full, number, "closed", actor, json!({}))?];
        let changes = files
            .iter()
            .map(|path| (path.clone(), contents.get(path).cloned()))
            .collect::<Vec<_>>();
        events.extend(self.commit(full, &base, &changes, actor, Some(merge_sha))?);
        Ok(events)
    }

    /// A commit on `branch` that writes (or, with `None`, deletes) files.
    pub fn commit(
        &mut self,
        full: &str,
        branch: &str,
        changes: &[(String, Option<String>)],
        actor: &str,
        sha: Option<String>,
    ) -> Outcome<Vec<Outgoing>> {
        let repo = self.repo_mut(full)?;
        let git_ref = format!("refs/heads/{branch}");
        let before = repo
            .refs
            .get(&git_ref)
            .cloned()
            .unwrap_or_else(|| "0".repeat(40));
        let after = sha.unwrap_or_else(|| sha_of(&format!("{before}{changes:?}")));
        let (mut added, mut modified, mut removed) = (Vec::new(), Vec::new(), Vec::new());
        for (path, text) in changes {
            let key = (branch.to_owned(), path.clone());
            match text {
                Some(text) => {
                    let existed = repo.files.contains_key(&key);
                    repo.files.insert(
                        key,
                        File {
                            text: text.clone(),
                            sha: sha_of(text),
                        },
                    );
                    if existed { &mut modified } else { &mut added }.push(path.clone());
                }
                None => {
                    if repo.files.remove(&key).is_some() {
                        removed.push(path.clone());
                    }
                }
            }
        }
        repo.refs.insert(git_ref.clone(), after.clone());
        let commit = json!({
            "id": after, "tree_id": sha_of(&after), "distinct": true, "message": "fakehub commit",
            "timestamp": shapes::timestamp(now()),
            "url": format!("{}/{full}/commit/{after}", self.base_url),
            "author": {"name": actor, "email": format!("{actor}@users.noreply.fakehub"), "username": actor},
            "committer": {"name": actor, "email": format!("{actor}@users.noreply.fakehub"), "username": actor},
            "added": added, "removed": removed, "modified": modified,
        });
        Ok(vec![self.push_event(
            full,
            &git_ref,
            &before,
            &after,
            vec![commit],
            actor,
        )])
    }

    fn push_event(
        &self,
        full: &str,
        git_ref: &str,
        before: &str,
        after: &str,
        commits: Vec<Value>,
        actor: &str,
    ) -> Outgoing {
        let zero = "0".repeat(40);
        let fields = json!({
            "ref": git_ref,
            "before": before,
            "after": after,
            "created": before == zero,
            "deleted": after == zero,
            "forced": false,
            "base_ref": null,
            "compare": format!("{}/{full}/compare/{before}...{after}", self.base_url),
            "head_commit": commits.last().cloned(),
            "commits": commits,
            "pusher": {"name": actor, "email": format!("{actor}@users.noreply.fakehub")},
        });
        Outgoing {
            event: "push",
            payload: self.envelope(full, actor, fields),
        }
    }

    /// Installs the app for `account` on `repos`: `installation.created`.
    pub fn install(
        &mut self,
        id: u64,
        account: &str,
        repos: &[String],
        actor: &str,
    ) -> Outcome<Vec<Outgoing>> {
        if self.app.is_none() {
            return Err(Refusal::unprocessable(
                "no app to install: the seed has no [app]",
            ));
        }
        if self.installations.iter().any(|i| i.id == id) {
            return Err(Refusal::unprocessable(format!("installation {id} exists")));
        }
        let mut listed = Vec::new();
        for full in repos {
            let repo = self.repo(full)?;
            listed.push(json!({"id": repo.id, "node_id": format!("MDEwOlJlcG9zaXRvcnk{}", repo.id), "name": repo.name,
                "full_name": full, "private": false}));
        }
        self.installations.push(Installation {
            id,
            account: account.to_owned(),
            repos: repos.to_vec(),
        });
        let payload = json!({
            "action": "created",
            "installation": shapes::installation(self, id, account),
            "repositories": listed,
            "requester": null,
            "sender": shapes::user(self, actor),
        });
        Ok(vec![Outgoing {
            event: "installation",
            payload,
        }])
    }

    /// Creates a ref; 422 when it exists, as GitHub does.
    pub fn create_ref(
        &mut self,
        full: &str,
        git_ref: &str,
        sha: &str,
        actor: &str,
    ) -> Outcome<Vec<Outgoing>> {
        if !git_ref.starts_with("refs/") || git_ref.split('/').count() < 3 {
            return Err(Refusal::unprocessable(
                "Reference name must start with 'refs/' and have at least two slashes.",
            ));
        }
        let repo = self.repo_mut(full)?;
        if repo.refs.contains_key(git_ref) {
            return Err(Refusal::unprocessable("Reference already exists"));
        }
        repo.refs.insert(git_ref.to_owned(), sha.to_owned());
        Ok(vec![self.push_event(
            full,
            git_ref,
            &"0".repeat(40),
            sha,
            Vec::new(),
            actor,
        )])
    }

    /// Moves a ref (force); 422 when it does not exist.
    pub fn update_ref(
        &mut self,
        full: &str,
        git_ref: &str,
        sha: &str,
        actor: &str,
    ) -> Outcome<Vec<Outgoing>> {
        let repo = self.repo_mut(full)?;
        let Some(old) = repo.refs.get(git_ref).cloned() else {
            return Err(Refusal::unprocessable("Reference does not exist"));
        };
        if old == sha {
            return Ok(Vec::new());
        }
        repo.refs.insert(git_ref.to_owned(), sha.to_owned());
        Ok(vec![self.push_event(
            full,
            git_ref,
            &old,
            sha,
            Vec::new(),
            actor,
        )])
    }

    /// Deletes a ref; 422 when it does not exist.
    pub fn delete_ref(&mut self, full: &str, git_ref: &str, actor: &str) -> Outcome<Vec<Outgoing>> {
        let repo = self.repo_mut(full)?;
        let Some(old) = repo.refs.remove(git_ref) else {
            return Err(Refusal::unprocessable("Reference does not exist"));
        };
        Ok(vec![self.push_event(
            full,
            git_ref,
            &old,
            &"0".repeat(40),
            Vec::new(),
            actor,
        )])
    }
}

/// What a new issue or pull request starts with.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct NewItem {
    pub title: String,
    #[serde(default)]
    pub body: String,
    pub author: Login,
    #[serde(default)]
    pub labels: Vec<String>,
    /// Set for pull requests.
    #[serde(default)]
    pub pull: Option<NewPull>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct NewPull {
    #[serde(default)]
    pub head_ref: Option<String>,
    #[serde(default)]
    pub head_sha: Option<String>,
    #[serde(default)]
    pub base_ref: Option<String>,
    /// The head branch is in the author's fork.
    #[serde(default)]
    pub fork: bool,
    #[serde(default)]
    pub files: Vec<String>,
    /// Text of changed files at the head, by path.
    #[serde(default)]
    pub contents: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ItemEdit {
    pub title: Option<String>,
    pub body: Option<String>,
    /// `open` or `closed`.
    pub state: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PullPush {
    #[serde(default)]
    pub head_sha: Option<String>,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub contents: BTreeMap<String, String>,
}

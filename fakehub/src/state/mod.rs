//! fakehub's world: repositories and everything in them, the app, tokens,
//! deliveries and the request log. Every change goes through a method of
//! `World` (here, or in `writes.rs` for those that send no webhook), which
//! returns typed records of what changed (`Change`); `events.rs` turns them
//! into the webhooks GitHub would send, so REST writes and control-API
//! actions produce the same events. The data types are in `model.rs`.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

mod clock;
mod git;
mod labels;
mod model;
mod notify;
mod view;
mod writes;

pub use clock::{now, parse_timestamp, sha_of, timestamp};
pub use model::*;
pub use notify::{mentions, REACTIONS};
pub use view::{CommentState, ItemState, PullState, ReactionState};
pub use writes::{CheckRunFields, LabelEdit};

#[derive(Debug, Default)]
pub struct World {
    pub base_url: String,
    pub started_at: u64,
    pub repos: BTreeMap<String, Repo>,
    pub app: Option<App>,
    pub installations: Vec<Installation>,
    pub tokens: HashMap<String, Token>,
    pub users: BTreeMap<Login, u64>,
    /// `org/team` (lowercase) -> its members.
    pub teams: BTreeMap<String, Vec<Login>>,
    /// Every notification sent, oldest first.
    pub notifications: Vec<Notification>,
    /// App manifest codes handed out, by code.
    pub manifest_codes: HashMap<String, ManifestCode>,
    pub deliveries: Vec<Delivery>,
    pub requests: Vec<LoggedRequest>,
    /// token description -> requests counted against the primary limit.
    pub rate_used: HashMap<String, u64>,
    /// token description -> times of recent content-creating requests.
    pub recent_writes: HashMap<String, std::collections::VecDeque<u64>>,
    /// token description -> times of recent searches (their own limit).
    pub recent_searches: HashMap<String, std::collections::VecDeque<u64>>,
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

    /// An `issues` or `pull_request` event for an item.
    fn item_event(
        &self,
        full: &str,
        number: u64,
        action: &str,
        actor: &str,
        extra: Value,
    ) -> Outcome<Change> {
        self.issue(full, number)?;
        Ok(Change::Item {
            repo: full.to_owned(),
            number,
            action: action.to_owned(),
            actor: actor.to_owned(),
            label: None,
            extra,
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
            draft: p.draft,
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
            reviews: Vec::new(),
            requested_reviewers: Vec::new(),
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
                closed_by: None,
                state_reason: (!open).then_some("completed"),
                pull,
                events: Vec::new(),
                assignees: Vec::new(),
                reactions: Vec::new(),
            },
        );
        Ok(number)
    }

    pub fn open_item(
        &mut self,
        full: &str,
        spec: NewItem,
        actor: &str,
    ) -> Outcome<(u64, Vec<Change>)> {
        let labels = spec.labels.clone();
        let body = spec.body.clone();
        let number = self.insert_item(full, spec, None, true)?;
        self.notify_mentions(full, number, "", &body, actor);
        // GitHub sends `opened` with the labels, then one `labeled` per label.
        let mut events = vec![self.item_event(full, number, "opened", actor, json!({}))?];
        for label in &labels {
            events.push(self.label_event(full, number, "labeled", label, actor)?);
        }
        Ok((number, events))
    }

    pub fn issue_mut(&mut self, full: &str, number: u64) -> Outcome<&mut Issue> {
        self.repo_mut(full)?
            .issues
            .get_mut(&number)
            .ok_or_else(Refusal::not_found)
    }

    /// Marks a pull request ready for review (`ready = true`) or a draft:
    /// `ready_for_review` or `converted_to_draft`; nothing when it is so.
    pub fn set_draft(
        &mut self,
        full: &str,
        number: u64,
        ready: bool,
        actor: &str,
    ) -> Outcome<Vec<Change>> {
        let t = now();
        let issue = self.issue_mut(full, number)?;
        let Some(pull) = issue.pull.as_mut() else {
            return Err(Refusal::not_found());
        };
        if pull.draft != ready {
            return Ok(Vec::new());
        }
        pull.draft = !ready;
        issue.updated_at = t;
        let action = if ready {
            "ready_for_review"
        } else {
            "converted_to_draft"
        };
        Ok(vec![self.item_event(
            full,
            number,
            action,
            actor,
            json!({}),
        )?])
    }

    /// Edits title, body or state; `edited` carries `changes` with the old
    /// values, as GitHub's does.
    pub fn edit_item(
        &mut self,
        full: &str,
        number: u64,
        edit: ItemEdit,
        actor: &str,
    ) -> Outcome<Vec<Change>> {
        let t = now();
        let issue = self.issue_mut(full, number)?;
        let mut changes = serde_json::Map::new();
        let mut new_body = None;
        if let Some(body) = edit.body {
            if body != issue.body {
                new_body = Some(body.clone());
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
            (issue.closed_by, issue.state_reason) = match issue.open {
                true => (None, Some("reopened")),
                false => (Some(actor.to_owned()), Some("completed")),
            };
        }
        if !changes.is_empty() || state_change.is_some() {
            issue.updated_at = t;
        }
        if let (Some(new), Some(old)) = (
            &new_body,
            changes.get("body").and_then(|b| b["from"].as_str()),
        ) {
            let old = old.to_owned();
            self.notify_mentions(full, number, &old, new, actor);
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
    ) -> Outcome<(u64, Vec<Change>)> {
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
            reactions: Vec::new(),
        });
        self.notify_mentions(full, number, "", body, actor);
        let event = self.comment_event(full, id, "created", actor, json!({}))?;
        Ok((id, vec![event]))
    }

    pub fn edit_comment(
        &mut self,
        full: &str,
        id: u64,
        body: &str,
        actor: &str,
    ) -> Outcome<Vec<Change>> {
        let repo = self.repo_mut(full)?;
        let comment = repo
            .comments
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(Refusal::not_found)?;
        let from = std::mem::replace(&mut comment.body, body.to_owned());
        comment.updated_at = now();
        let number = comment.issue;
        self.notify_mentions(full, number, &from, body, actor);
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
    ) -> Outcome<Change> {
        let repo = self.repo(full)?;
        if !repo.comments.iter().any(|c| c.id == id) {
            return Err(Refusal::not_found());
        }
        Ok(Change::Comment {
            repo: full.to_owned(),
            id,
            action: action.to_owned(),
            actor: actor.to_owned(),
            extra,
        })
    }

    /// New commits on a pull request: a new head sha and changed files.
    pub fn push_to_pull(
        &mut self,
        full: &str,
        number: u64,
        push: PullPush,
        actor: &str,
    ) -> Outcome<Vec<Change>> {
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

    pub fn merge(&mut self, full: &str, number: u64, actor: &str) -> Outcome<Vec<Change>> {
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
        issue.closed_by = Some(actor.to_owned());
        issue.state_reason = Some("completed");
        issue.updated_at = t;
        let mut events = vec![self.item_event(full, number, "closed", actor, json!({}))?];
        let changes = files
            .iter()
            .map(|path| (path.clone(), contents.get(path).cloned()))
            .collect::<Vec<_>>();
        events.extend(self.commit(full, &base, &changes, actor, Some(merge_sha))?);
        Ok(events)
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
    /// Opened as a draft.
    #[serde(default)]
    pub draft: bool,
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

/// The no-reply address of a login, as a valid address: `probot[bot]` is
/// `probot-bot@users.noreply.fakehub` (brackets may not stand in one).
pub fn noreply_email(login: &str) -> String {
    let local: String = login
        .trim_end_matches(']')
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() || c == '-' {
            true => c,
            false => '-',
        })
        .collect();
    format!("{local}@users.noreply.fakehub")
}

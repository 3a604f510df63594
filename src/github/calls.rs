//! The calls the bot makes, one method each, over `Session::send`.

use crate::event::{CommentId, CommitSha, IssueNumber, Login};
use base64::Engine;
use http::{header, Method};
use serde::Deserialize;
use serde_json::{json, Value};

use super::wire::{self, decode, decode_all};
use super::{encode, repo_path, Fetched, GitHubError, Result, Session};
use crate::config::Role;
use crate::event::RepoName;
use crate::plan::TakenOff;

/// An issue or pull request as read fresh before a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSnapshot {
    pub body: String,
    pub labels: Vec<String>,
    pub author: Login,
    pub open: bool,
}

impl Session {
    /// A file's text at `git_ref` (the default branch when `None`).
    pub async fn file(
        &self,
        repo: &RepoName,
        path: &str,
        git_ref: Option<&str>,
        etag: Option<&str>,
    ) -> Result<Fetched<String>> {
        let path_part: Vec<String> = path.split('/').map(encode).collect();
        let mut url = format!("{}/contents/{}", repo_path(repo), path_part.join("/"));
        if let Some(git_ref) = git_ref {
            url.push_str(&format!("?ref={}", encode(git_ref)));
        }
        Ok(match self.get_conditional(&url, etag).await? {
            Fetched::Found { value, etag } => {
                let content: wire::Content = decode(path, value)?;
                let encoded: String = content.content.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|e| GitHubError::Decode(format!("{path}: {e}")))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| GitHubError::Decode(format!("{path} is not UTF-8")))?;
                Fetched::Found { value: text, etag }
            }
            Fetched::NotModified => Fetched::NotModified,
            Fetched::Missing => Fetched::Missing,
        })
    }

    /// An issue or pull request, conditionally.
    pub async fn item(
        &self,
        repo: &RepoName,
        number: IssueNumber,
        etag: Option<&str>,
    ) -> Result<Fetched<ItemSnapshot>> {
        let url = format!("{}/issues/{number}", repo_path(repo));
        Ok(match self.get_conditional(&url, etag).await? {
            Fetched::Found { value, etag } => Fetched::Found {
                value: read_item(value)?.snapshot,
                etag,
            },
            Fetched::NotModified => Fetched::NotModified,
            Fetched::Missing => Fetched::Missing,
        })
    }

    /// An issue or pull request with its kind and title, or `None` when it
    /// is gone.
    pub async fn whole_item(
        &self,
        repo: &RepoName,
        number: IssueNumber,
    ) -> Result<Option<OpenItem>> {
        let url = format!("{}/issues/{number}", repo_path(repo));
        match self.get_conditional(&url, None).await? {
            Fetched::Found { value, .. } => Ok(Some(read_item(value)?)),
            Fetched::NotModified | Fetched::Missing => Ok(None),
        }
    }

    /// Every path a pull request changes (GitHub lists at most 3,000).
    pub async fn pull_files(&self, repo: &RepoName, number: IssueNumber) -> Result<Vec<String>> {
        let files = self
            .all_pages(&format!("{}/pulls/{number}/files", repo_path(repo)), 30)
            .await?;
        let files: Vec<wire::ChangedFile> = decode_all("a changed file", files)?;
        Ok(files.into_iter().map(|f| f.filename).collect())
    }

    /// The item's events the bot asks about, oldest first: one read
    /// serves every question about who added or removed which label, and
    /// who took off a review request or an assignment.
    pub async fn history(&self, repo: &RepoName, number: IssueNumber) -> Result<History> {
        #[derive(Deserialize)]
        struct Event {
            event: String,
            /// `null` for a deleted account.
            actor: Option<Login>,
            #[serde(default)]
            created_at: String,
            label: Option<Named>,
            assignee: Option<Login>,
            requested_reviewer: Option<Login>,
        }
        #[derive(Deserialize)]
        struct Named {
            name: String,
        }
        #[derive(Deserialize)]
        struct Login {
            login: String,
        }
        let events = self
            .all_pages(&format!("{}/issues/{number}/events", repo_path(repo)), 10)
            .await?;
        let mut history = History::default();
        for value in events {
            // Events of kinds the bot does not read may have other shapes.
            let Ok(e) = serde_json::from_value::<Event>(value) else {
                continue;
            };
            let actor = e
                .actor
                .map_or_else(|| crate::event::GHOST.to_owned(), |a| a.login);
            match (e.event.as_str(), e.label, e.assignee, e.requested_reviewer) {
                (kind @ ("labeled" | "unlabeled"), Some(label), _, _) => {
                    history.labels.push(LabelEvent {
                        added: kind == "labeled",
                        label: label.name,
                        actor,
                        at: e.created_at,
                    })
                }
                ("review_request_removed", _, _, Some(login)) => history.taken_off.push(TakenOff {
                    role: Role::Reviewer,
                    login: login.login,
                    by: actor,
                }),
                ("unassigned", _, Some(login), _) => history.taken_off.push(TakenOff {
                    role: Role::Assignee,
                    login: login.login,
                    by: actor,
                }),
                _ => {}
            }
        }
        Ok(history)
    }

    /// Takes a label off an item; already off is fine.
    pub async fn remove_label(
        &self,
        repo: &RepoName,
        number: IssueNumber,
        label: &str,
    ) -> Result<()> {
        let url = format!(
            "{}/issues/{number}/labels/{}",
            repo_path(repo),
            encode(label)
        );
        match self
            .write(repo, self.send(Method::DELETE, &url, None, None))
            .await
        {
            Ok(_) | Err(GitHubError::Status { status: 404, .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Adds labels in one request.
    pub async fn add_labels(
        &self,
        repo: &RepoName,
        number: IssueNumber,
        labels: &[String],
    ) -> Result<()> {
        let url = format!("{}/issues/{number}/labels", repo_path(repo));
        let body = json!({ "labels": labels });
        self.write(repo, self.send(Method::POST, &url, Some(&body), None))
            .await?;
        Ok(())
    }

    /// Replaces an issue's or pull request's body.
    pub async fn set_body(&self, repo: &RepoName, number: IssueNumber, body: &str) -> Result<()> {
        let url = format!("{}/issues/{number}", repo_path(repo));
        let body = json!({ "body": body });
        self.write(repo, self.send(Method::PATCH, &url, Some(&body), None))
            .await?;
        Ok(())
    }

    /// Creates a check run; `run` is the body GitHub's API takes.
    pub async fn create_check_run(&self, repo: &RepoName, run: &Value) -> Result<()> {
        let url = format!("{}/check-runs", repo_path(repo));
        self.write(repo, self.send(Method::POST, &url, Some(run), None))
            .await?;
        Ok(())
    }
}

/// One attempt at delivering a webhook, as the App's deliveries list it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HookDelivery {
    pub id: u64,
    pub guid: String,
    /// `2026-11-27T10:00:00Z`.
    pub delivered_at: String,
    pub status_code: u16,
    pub event: String,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub redelivery: bool,
}

/// An open issue or pull request, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    pub number: IssueNumber,
    pub is_pull: bool,
    pub title: String,
    /// GitHub's `author_association` (`NONE` when it does not say).
    pub association: String,
    pub snapshot: ItemSnapshot,
}

/// An issue or pull request from GitHub's issues API, read for the fields
/// the bot uses.
fn read_item(value: Value) -> Result<OpenItem> {
    #[derive(Deserialize)]
    struct Item {
        number: IssueNumber,
        #[serde(default)]
        title: String,
        body: Option<String>,
        labels: Vec<Label>,
        /// `null` for a deleted account in GitHub's description.
        user: Option<User>,
        #[serde(default)]
        state: String,
        pull_request: Option<serde::de::IgnoredAny>,
        author_association: Option<String>,
    }
    #[derive(Deserialize)]
    struct Label {
        name: String,
    }
    #[derive(Deserialize)]
    struct User {
        login: String,
    }
    let item: Item =
        serde_json::from_value(value).map_err(|e| GitHubError::Decode(e.to_string()))?;
    Ok(OpenItem {
        number: item.number,
        is_pull: item.pull_request.is_some(),
        title: item.title,
        association: item.author_association.unwrap_or_else(|| "NONE".to_owned()),
        snapshot: ItemSnapshot {
            body: item.body.unwrap_or_default(),
            labels: item.labels.into_iter().map(|l| l.name).collect(),
            author: item
                .user
                .map_or_else(|| crate::event::GHOST.into(), |u| Login(u.login)),
            open: item.state != "closed",
        },
    })
}

/// What an item's events tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub labels: Vec<LabelEvent>,
    pub taken_off: Vec<TakenOff>,
}

/// A label added to or removed from an item, as its events list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelEvent {
    /// `labeled` (true) or `unlabeled`.
    pub added: bool,
    pub label: String,
    pub actor: String,
    /// RFC 3339, as GitHub writes it (so it compares as text).
    pub at: String,
}

/// A comment as read: who wrote it matters, since anyone can write the
/// bot's hidden markers into a comment of their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentSnapshot {
    pub id: CommentId,
    pub body: String,
    pub author: Login,
}

/// `refs/tags/a/b` as a URL path, each segment encoded.
fn ref_path(git_ref: &str) -> String {
    git_ref.split('/').map(encode).collect::<Vec<_>>().join("/")
}

impl Session {
    /// The App's webhook deliveries, newest first, until one older than
    /// `since` (an RFC 3339 UTC time) or `max` of them.
    pub async fn hook_deliveries(&self, since: &str, max: usize) -> Result<Vec<HookDelivery>> {
        let mut deliveries: Vec<HookDelivery> = Vec::new();
        let mut next = Some("/app/hook/deliveries?per_page=100".to_owned());
        while let Some(url) = next.take() {
            let answer = self.send(Method::GET, &url, None, None).await?;
            let page: Vec<HookDelivery> = serde_json::from_slice(&answer.body)
                .map_err(|e| GitHubError::Decode(e.to_string()))?;
            let done = page.is_empty()
                || page.iter().any(|d| d.delivered_at.as_str() < since)
                || deliveries.len() >= max;
            deliveries.extend(
                page.into_iter()
                    .filter(|d| d.delivered_at.as_str() >= since),
            );
            if done {
                break;
            }
            // The cursor link is absolute; keep the path from the endpoint on.
            next = answer
                .headers
                .get(header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(|link| {
                    link.split(',')
                        .find(|l| l.contains("rel=\"next\""))
                        .map(str::to_owned)
                })
                .and_then(|link| {
                    let url = link
                        .split(';')
                        .next()?
                        .trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_owned();
                    url.find("/app/hook/deliveries")
                        .map(|at| url[at..].to_owned())
                });
        }
        deliveries.truncate(max);
        Ok(deliveries)
    }

    /// The payload a delivery carried.
    pub async fn hook_delivery_payload(&self, id: u64) -> Result<Value> {
        let delivery = self.get_json(&format!("/app/hook/deliveries/{id}")).await?;
        let delivery: wire::Delivery = decode("a delivery", delivery)?;
        Ok(delivery.request.payload)
    }

    /// Asks GitHub to deliver a webhook again (same delivery GUID).
    pub async fn redeliver(&self, id: u64) -> Result<()> {
        self.send(
            Method::POST,
            &format!("/app/hook/deliveries/{id}/attempts"),
            None,
            None,
        )
        .await?;
        Ok(())
    }

    /// The `count` (at most 100) issues and pull requests updated last,
    /// open or closed, newest first: one request.
    pub async fn recent_items(&self, repo: &RepoName, count: usize) -> Result<Vec<OpenItem>> {
        let url = format!(
            "{}/issues?state=all&sort=updated&direction=desc&per_page={}",
            repo_path(repo),
            count.clamp(1, 100)
        );
        match self.get_json(&url).await? {
            Value::Array(items) => items.into_iter().map(read_item).collect(),
            _ => Err(GitHubError::Decode(format!("{url} did not answer a list"))),
        }
    }

    /// The repositories the installation may read (`owner/name`), at most
    /// `max`, in GitHub's order.
    pub async fn installation_repositories(&self, max: usize) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Page {
            repositories: Vec<Repository>,
        }
        #[derive(Deserialize)]
        struct Repository {
            full_name: String,
        }
        let url = format!("/installation/repositories?per_page={}", max.clamp(1, 100));
        let page: Page = serde_json::from_value(self.get_json(&url).await?)
            .map_err(|e| GitHubError::Decode(format!("{url}: {e}")))?;
        Ok(page
            .repositories
            .into_iter()
            .take(max)
            .map(|r| r.full_name)
            .collect())
    }

    /// Every open issue and pull request.
    pub async fn open_items(&self, repo: &RepoName) -> Result<Vec<OpenItem>> {
        let items = self
            .all_pages(&format!("{}/issues?state=open", repo_path(repo)), 100)
            .await?;
        items.into_iter().map(read_item).collect()
    }

    /// A pull request's head: sha, branch, and whether it is in a fork.
    pub async fn pull_head(
        &self,
        repo: &RepoName,
        number: IssueNumber,
    ) -> Result<crate::event::PullRequestInfo> {
        let pull: wire::Pull = decode(
            "a pull request",
            self.get_json(&format!("{}/pulls/{number}", repo_path(repo)))
                .await?,
        )?;
        // A deleted fork has no repository: still not this one.
        let from_fork = pull
            .head
            .repo
            .is_none_or(|head| head.full_name != repo.to_string());
        Ok(crate::event::PullRequestInfo {
            head_sha: CommitSha(pull.head.sha),
            head_ref: pull.head.name,
            from_fork,
            base_ref: pull.base.name,
            merged: pull.merged,
            draft: pull.draft,
            size: Default::default(),
        })
    }

    /// The sha a ref points at, looked up exactly (`refs/tags/x/12` never
    /// answers for `refs/tags/x/123`).
    pub async fn git_ref(&self, repo: &RepoName, git_ref: &str) -> Result<Option<CommitSha>> {
        let name = git_ref.strip_prefix("refs/").unwrap_or(git_ref);
        let url = format!("{}/git/ref/{}", repo_path(repo), ref_path(name));
        match self.send(Method::GET, &url, None, None).await {
            Ok(answer) => {
                let found: wire::GitRef = decode("a ref", answer.json()?)?;
                Ok(Some(CommitSha(found.object.sha)))
            }
            Err(GitHubError::Status { status: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Refs whose names start with `prefix` (GitHub matches by prefix).
    pub async fn matching_refs(&self, repo: &RepoName, prefix: &str) -> Result<Vec<String>> {
        let name = prefix.strip_prefix("refs/").unwrap_or(prefix);
        let url = format!("{}/git/matching-refs/{}", repo_path(repo), ref_path(name));
        let answer = self.send(Method::GET, &url, None, None).await?.json()?;
        let refs: Vec<wire::GitRef> = decode("matching refs", answer)?;
        Ok(refs.into_iter().map(|r| r.name).collect())
    }

    /// Creates a ref; `false` when it exists already (GitHub's 422).
    pub async fn create_ref(
        &self,
        repo: &RepoName,
        git_ref: &str,
        sha: &CommitSha,
    ) -> Result<bool> {
        let url = format!("{}/git/refs", repo_path(repo));
        let body = json!({ "ref": git_ref, "sha": sha });
        match self
            .write(repo, self.send(Method::POST, &url, Some(&body), None))
            .await
        {
            Ok(_) => Ok(true),
            Err(GitHubError::Status { status: 422, .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Points an existing ref at `sha`, forced.
    pub async fn move_ref(&self, repo: &RepoName, git_ref: &str, sha: &CommitSha) -> Result<()> {
        let name = git_ref.strip_prefix("refs/").unwrap_or(git_ref);
        let url = format!("{}/git/refs/{}", repo_path(repo), ref_path(name));
        let body = json!({ "sha": sha, "force": true });
        self.write(repo, self.send(Method::PATCH, &url, Some(&body), None))
            .await?;
        Ok(())
    }

    /// Deletes a ref; `false` when it was already gone.
    pub async fn delete_ref(&self, repo: &RepoName, git_ref: &str) -> Result<bool> {
        let name = git_ref.strip_prefix("refs/").unwrap_or(git_ref);
        let url = format!("{}/git/refs/{}", repo_path(repo), ref_path(name));
        match self
            .write(repo, self.send(Method::DELETE, &url, None, None))
            .await
        {
            Ok(_) => Ok(true),
            Err(GitHubError::Status {
                status: 404 | 422, ..
            }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    pub async fn dispatch_workflow(
        &self,
        repo: &RepoName,
        workflow: &str,
        git_ref: &str,
        inputs: &Value,
    ) -> Result<()> {
        let url = format!(
            "{}/actions/workflows/{}/dispatches",
            repo_path(repo),
            encode(workflow)
        );
        let body = json!({ "ref": git_ref, "inputs": inputs });
        self.write(repo, self.send(Method::POST, &url, Some(&body), None))
            .await?;
        Ok(())
    }

    pub async fn repository_dispatch(
        &self,
        repo: &RepoName,
        event_type: &str,
        client_payload: &Value,
    ) -> Result<()> {
        let url = format!("{}/dispatches", repo_path(repo));
        let body = json!({ "event_type": event_type, "client_payload": client_payload });
        self.write(repo, self.send(Method::POST, &url, Some(&body), None))
            .await?;
        Ok(())
    }

    /// Every comment on an issue or pull request.
    pub async fn comments(
        &self,
        repo: &RepoName,
        number: IssueNumber,
    ) -> Result<Vec<CommentSnapshot>> {
        let comments = self
            .all_pages(&format!("{}/issues/{number}/comments", repo_path(repo)), 50)
            .await?;
        let comments: Vec<wire::Comment> = decode_all("a comment", comments)?;
        Ok(comments
            .into_iter()
            .map(|c| CommentSnapshot {
                id: CommentId(c.id),
                body: c.body.unwrap_or_default(),
                author: wire::login_of(c.user),
            })
            .collect())
    }

    pub async fn create_comment(
        &self,
        repo: &RepoName,
        number: IssueNumber,
        body: &str,
    ) -> Result<()> {
        let url = format!("{}/issues/{number}/comments", repo_path(repo));
        self.write(
            repo,
            self.send(Method::POST, &url, Some(&json!({ "body": body })), None),
        )
        .await?;
        Ok(())
    }

    pub async fn update_comment(&self, repo: &RepoName, id: CommentId, body: &str) -> Result<()> {
        let url = format!("{}/issues/comments/{id}", repo_path(repo));
        self.write(
            repo,
            self.send(Method::PATCH, &url, Some(&json!({ "body": body })), None),
        )
        .await?;
        Ok(())
    }

    /// Who reacted to a comment, and how: (content, login).
    pub async fn comment_reactions(
        &self,
        repo: &RepoName,
        id: CommentId,
    ) -> Result<Vec<(String, String)>> {
        let url = format!("{}/issues/comments/{id}/reactions", repo_path(repo));
        let reactions: Vec<wire::Reaction> =
            decode_all("a reaction", self.all_pages(&url, 10).await?)?;
        Ok(reactions
            .into_iter()
            .map(|r| (r.content, wire::login_of(r.user).0))
            .collect())
    }

    /// Reacts to a comment (`+1`, `confused`); reacting twice is harmless.
    pub async fn react(&self, repo: &RepoName, id: CommentId, content: &str) -> Result<()> {
        let url = format!("{}/issues/comments/{id}/reactions", repo_path(repo));
        self.write(
            repo,
            self.send(
                Method::POST,
                &url,
                Some(&json!({ "content": content })),
                None,
            ),
        )
        .await?;
        Ok(())
    }

    /// Whether the repository has a label of exactly this name.
    pub async fn label_exists(&self, repo: &RepoName, name: &str) -> Result<bool> {
        let url = format!("{}/labels/{}", repo_path(repo), encode(name));
        match self.send(Method::GET, &url, None, None).await {
            Ok(answer) => Ok(decode::<wire::Label>("a label", answer.json()?)?.name == name),
            Err(GitHubError::Status { status: 404, .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }
}

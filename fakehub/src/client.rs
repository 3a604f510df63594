//! A typed client for the control API, so tests read like stories:
//! `hub.label("acme/widgets", 7, "alice", &["high priority"])`, then read
//! the issue back. Every action returns once the webhooks it caused have
//! been answered.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use crate::state::{
    CommentState, ItemState, LoggedRequest, NewItem, NewPull, PullState, ReactionState,
};
use crate::{Fault, Hook};

/// What went wrong talking to fakehub's control API.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("fakehub control request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("fakehub answered {status}: {body}")]
    Status { status: u16, body: String },
}

pub type Result<T> = std::result::Result<T, ControlError>;

/// A notification GitHub would have sent.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct NotificationState {
    pub user: String,
    /// `mention` or `team_mention`.
    pub reason: String,
    pub repo: String,
    pub number: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct CheckRunState {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub output: Value,
}

/// A recorded webhook delivery.
#[derive(Debug, Clone, Deserialize)]
pub struct DeliveryState {
    pub id: u64,
    pub guid: String,
    pub event: String,
    pub action: Option<String>,
    pub hook_url: String,
    pub status_code: u16,
    pub duration_ms: u64,
    pub redelivery: bool,
    pub sender: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Control {
    base: String,
    http: reqwest::Client,
}

impl Control {
    pub fn new(base_url: &str) -> Self {
        Control {
            base: format!("{}/_fakehub", base_url.trim_end_matches('/')),
            http: reqwest::Client::new(),
        }
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T> {
        let response = request.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if !status.is_success() {
            return Err(ControlError::Status {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        let bytes = if bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes).map_err(|e| ControlError::Status {
            status: status.as_u16(),
            body: format!("unexpected answer: {e}"),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn repo_url(&self, repo: &str, path: &str) -> String {
        format!("{}/repos/{repo}{path}", self.base)
    }

    /// Opens an issue as `item.author`; returns its number.
    pub async fn open_issue(&self, repo: &str, item: NewItem) -> Result<u64> {
        let answer: Value = self
            .send(self.http.post(self.repo_url(repo, "/issues")).json(&item))
            .await?;
        Ok(answer["number"].as_u64().unwrap_or_default())
    }

    /// Opens a pull request as `item.author`; returns its number.
    pub async fn open_pull(&self, repo: &str, mut item: NewItem, pull: NewPull) -> Result<u64> {
        item.pull = Some(pull);
        self.open_issue(repo, item).await
    }

    pub async fn label(&self, repo: &str, number: u64, actor: &str, labels: &[&str]) -> Result<()> {
        let body = json!({"actor": actor, "labels": labels});
        self.send(
            self.http
                .post(self.repo_url(repo, &format!("/issues/{number}/labels")))
                .json(&body),
        )
        .await
    }

    pub async fn unlabel(&self, repo: &str, number: u64, actor: &str, label: &str) -> Result<()> {
        let url = self.repo_url(
            repo,
            &format!("/issues/{number}/labels/{}", encode_segment(label)),
        );
        self.send(self.http.delete(url).query(&[("actor", actor)]))
            .await
    }

    pub async fn edit_body(&self, repo: &str, number: u64, actor: &str, body: &str) -> Result<()> {
        self.edit_item(repo, number, json!({"actor": actor, "body": body}))
            .await
    }

    pub async fn edit_title(
        &self,
        repo: &str,
        number: u64,
        actor: &str,
        title: &str,
    ) -> Result<()> {
        self.edit_item(repo, number, json!({"actor": actor, "title": title}))
            .await
    }

    /// `state` is `open` or `closed`.
    pub async fn set_state(&self, repo: &str, number: u64, actor: &str, state: &str) -> Result<()> {
        self.edit_item(repo, number, json!({"actor": actor, "state": state}))
            .await
    }

    async fn edit_item(&self, repo: &str, number: u64, edit: Value) -> Result<()> {
        let url = self.repo_url(repo, &format!("/issues/{number}"));
        self.send(self.http.patch(url).json(&edit)).await
    }

    pub async fn comment(&self, repo: &str, number: u64, actor: &str, body: &str) -> Result<u64> {
        let body = json!({"actor": actor, "body": body});
        let answer: Value = self
            .send(
                self.http
                    .post(self.repo_url(repo, &format!("/issues/{number}/comments")))
                    .json(&body),
            )
            .await?;
        Ok(answer["id"].as_u64().unwrap_or_default())
    }

    /// Pushes a commit to a pull request; returns the new head sha.
    pub async fn push(
        &self,
        repo: &str,
        number: u64,
        actor: &str,
        files: &[&str],
    ) -> Result<String> {
        let body = json!({"actor": actor, "files": files});
        let answer: Value = self
            .send(
                self.http
                    .post(self.repo_url(repo, &format!("/pulls/{number}/push")))
                    .json(&body),
            )
            .await?;
        Ok(answer["head_sha"].as_str().unwrap_or_default().to_owned())
    }

    /// Pushes a commit that writes `contents` (path -> text) to a pull request.
    pub async fn push_contents(
        &self,
        repo: &str,
        number: u64,
        actor: &str,
        contents: &[(&str, &str)],
    ) -> Result<String> {
        let files: Vec<&str> = contents.iter().map(|(p, _)| *p).collect();
        let contents: serde_json::Map<String, Value> = contents
            .iter()
            .map(|(p, t)| (p.to_string(), json!(t)))
            .collect();
        let body = json!({"actor": actor, "files": files, "contents": contents});
        let answer: Value = self
            .send(
                self.http
                    .post(self.repo_url(repo, &format!("/pulls/{number}/push")))
                    .json(&body),
            )
            .await?;
        Ok(answer["head_sha"].as_str().unwrap_or_default().to_owned())
    }

    pub async fn merge(&self, repo: &str, number: u64, actor: &str) -> Result<()> {
        self.send(
            self.http
                .post(self.repo_url(repo, &format!("/pulls/{number}/merge")))
                .json(&json!({"actor": actor})),
        )
        .await
    }

    /// Commits files to a branch (the default one when `None`); a `None`
    /// text deletes the file.
    pub async fn write_files(
        &self,
        repo: &str,
        actor: &str,
        branch: Option<&str>,
        files: &[(&str, Option<&str>)],
    ) -> Result<()> {
        let files: serde_json::Map<String, Value> = files
            .iter()
            .map(|(p, t)| (p.to_string(), json!(t)))
            .collect();
        let body = json!({"actor": actor, "branch": branch, "files": files});
        self.send(self.http.post(self.repo_url(repo, "/files")).json(&body))
            .await
    }

    pub async fn issue(&self, repo: &str, number: u64) -> Result<ItemState> {
        self.send(
            self.http
                .get(self.repo_url(repo, &format!("/issues/{number}"))),
        )
        .await
    }

    pub async fn refs(&self, repo: &str) -> Result<std::collections::BTreeMap<String, String>> {
        self.send(self.http.get(self.repo_url(repo, "/refs"))).await
    }

    pub async fn dispatches(&self, repo: &str) -> Result<Vec<Value>> {
        self.send(self.http.get(self.repo_url(repo, "/dispatches")))
            .await
    }

    pub async fn check_runs(&self, repo: &str) -> Result<Vec<CheckRunState>> {
        self.send(self.http.get(self.repo_url(repo, "/check-runs")))
            .await
    }

    pub async fn deliveries(&self) -> Result<Vec<DeliveryState>> {
        self.send(self.http.get(self.url("/deliveries"))).await
    }

    /// The payload of a recorded delivery.
    pub async fn delivery_payload(&self, id: u64) -> Result<Value> {
        self.send(self.http.get(self.url(&format!("/deliveries/{id}"))))
            .await
    }

    /// Sends a recorded delivery again, with its GUID, and waits for it.
    pub async fn redeliver(&self, id: u64) -> Result<()> {
        self.send(
            self.http
                .post(self.url(&format!("/deliveries/{id}/redeliver"))),
        )
        .await
    }

    /// Marks a pull request ready for review, or (`ready = false`) converts
    /// it to a draft, as `actor`.
    pub async fn set_ready(&self, repo: &str, number: u64, actor: &str, ready: bool) -> Result<()> {
        let verb = if ready { "ready" } else { "draft" };
        self.send(
            self.http
                .post(self.repo_url(repo, &format!("/pulls/{number}/{verb}")))
                .json(&json!({"actor": actor})),
        )
        .await
    }

    /// Every notification sent to `user` so far, oldest first (after
    /// waiting for pending deliveries).
    pub async fn notifications(&self, user: &str) -> Result<Vec<NotificationState>> {
        self.send(
            self.http
                .get(self.url("/notifications"))
                .query(&[("user", user)]),
        )
        .await
    }

    /// Every API request so far (after waiting for pending deliveries).
    pub async fn requests(&self) -> Result<Vec<LoggedRequest>> {
        self.send(self.http.get(self.url("/requests"))).await
    }

    /// The request log this moment, without settling first: what a bot
    /// has sent so far, mid-burst.
    pub async fn requests_now(&self) -> Result<Vec<LoggedRequest>> {
        self.send(self.http.get(self.url("/requests?now=true")))
            .await
    }

    /// Requests so far, counted by `METHOD /path`.
    pub async fn request_counts(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        self.send(self.http.get(self.url("/requests/counts"))).await
    }

    /// Installs the seeded app on `repos` as `actor`; sends
    /// `installation.created`.
    pub async fn install(&self, actor: &str, id: u64, account: &str, repos: &[&str]) -> Result<()> {
        let body = json!({"actor": actor, "id": id, "account": account, "repos": repos});
        self.send(self.http.post(self.url("/installations")).json(&body))
            .await
    }

    pub async fn clear_requests(&self) -> Result<()> {
        self.send(self.http.delete(self.url("/requests"))).await
    }

    pub async fn fault(&self, fault: Fault) -> Result<()> {
        self.send(self.http.post(self.url("/faults")).json(&fault))
            .await
    }

    pub async fn clear_faults(&self) -> Result<()> {
        self.send(self.http.delete(self.url("/faults"))).await
    }

    /// Sets the latency of every REST request from now on.
    pub async fn set_latency(&self, latency: crate::Latency) -> Result<()> {
        self.send(self.http.post(self.url("/latency")).json(&latency))
            .await
    }

    pub async fn enforce_rate_limits(&self, enforce: bool) -> Result<()> {
        self.send(
            self.http
                .post(self.url("/rate-limits"))
                .json(&json!({"enforce": enforce})),
        )
        .await
    }

    pub async fn add_hook(&self, hook: &Hook) -> Result<()> {
        self.send(self.http.post(self.url("/hooks")).json(hook))
            .await
    }

    /// Pauses (`false`) or resumes (`true`) the hook at `url`.
    pub async fn set_hook_active(&self, url: &str, active: bool) -> Result<()> {
        self.send(
            self.http
                .patch(self.url("/hooks"))
                .json(&json!({"url": url, "active": active})),
        )
        .await
    }

    /// A personal access token acting as `login`.
    pub async fn mint_token(&self, login: &str) -> Result<String> {
        let answer: Value = self
            .send(
                self.http
                    .post(self.url("/tokens"))
                    .json(&json!({"login": login})),
            )
            .await?;
        Ok(answer["token"].as_str().unwrap_or_default().to_owned())
    }

    pub async fn settle(&self) -> Result<()> {
        self.send(self.http.post(self.url("/settle"))).await
    }

    pub async fn reset(&self) -> Result<()> {
        self.send(self.http.post(self.url("/reset"))).await
    }
}

/// Percent-encodes one path segment, `/` included (label names carry it).
fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

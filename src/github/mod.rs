//! The one GitHub client: the handful of calls the bot makes, over
//! octocrab, with retries, rate-limit waits and per-repository write order.
//!
//! Owns authentication (an App's installation tokens, cached by octocrab
//! until shortly before they expire, or a plain token) and the retry policy:
//! network errors and 5xx are retried with bounded backoff; 403/429 rate
//! limits wait for `Retry-After` (or the reset time) when that fits in the
//! delivery's deadline; other 4xx are final. Races it accepts: two bot
//! processes may write the same repository at once; GitHub orders them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use octocrab::models::{AppId, InstallationId};
use octocrab::Octocrab;

use serde_json::Value;
use tokio::time::Instant;

use crate::event::RepoName;

mod calls;
mod pacing;
mod people;

pub use calls::{CommentSnapshot, HookDelivery, ItemSnapshot, OpenItem};
pub use pacing::{with_patience, CommandRefusal, PER_HOUR, PER_MINUTE};
pub use people::{Access, Around};

/// How the bot authenticates.
#[derive(Clone)]
pub enum Auth {
    /// A GitHub App: its id and private key (PEM).
    App { id: u64, private_key: Vec<u8> },
    /// A personal access token or `GITHUB_TOKEN`.
    Token(String),
}

impl std::fmt::Debug for Auth {
    // Never print the key or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::App { id, .. } => write!(f, "App {{ id: {id}, private_key: <redacted> }}"),
            Auth::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

/// What went wrong talking to GitHub, after retries.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    #[error("GitHub could not be reached: {0}")]
    Transport(String),
    #[error("GitHub answered {status} to {request}: {message}")]
    Status {
        status: u16,
        message: String,
        /// The request that failed: `GET /repos/acme/widgets/issues/7`.
        request: String,
    },
    /// GitHub refused the installation a token: the App is not installed
    /// there (any more), or is suspended. Not "no rules": nothing can be
    /// read or written for it until it is installed again.
    #[error("GitHub refused installation {installation} a token ({status}: {message}): the App is not installed there any more, or is suspended")]
    Installation {
        installation: u64,
        status: u16,
        message: String,
    },
    #[error("rate limited by GitHub for {0:?} more, past this delivery's deadline")]
    RateLimited(Duration),
    /// A worker's write would wait `0` for its installation's budget (or
    /// for GitHub's `Retry-After`), longer than a worker holds an item: the
    /// item goes back to the queue till then (`pacing::patience`).
    #[error("the installation's writes have no room for {0:?}; the item waits its turn")]
    Deferred(Duration),
    #[error("GitHub's answer could not be read: {0}")]
    Decode(String),
    #[error("could not set up the GitHub client: {0}")]
    Setup(String),
}

impl GitHubError {
    /// Trying again later would fail the same way: GitHub said no (a 4xx
    /// other than a rate limit: gone, forbidden, invalid), or the delivery
    /// can't be acted on at all (no installation). Redelivering it is no use.
    pub fn is_permanent(&self) -> bool {
        match self {
            GitHubError::Status { status, .. } => (400..500).contains(status) && *status != 429,
            GitHubError::Installation { .. } | GitHubError::Setup(_) => true,
            GitHubError::Transport(_)
            | GitHubError::RateLimited(_)
            | GitHubError::Deferred(_)
            | GitHubError::Decode(_) => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            GitHubError::Status { status, .. } | GitHubError::Installation { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

type Result<T> = std::result::Result<T, GitHubError>;

/// An answer that may be "not modified" (a 304 costs no rate limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched<T> {
    NotModified,
    Missing,
    Found { value: T, etag: Option<String> },
}

/// Settings shared by every request.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Attempts for network errors and 5xx.
    pub attempts: u32,
    /// First backoff; doubles each retry.
    pub backoff: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            attempts: 4,
            backoff: Duration::from_millis(200),
        }
    }
}

/// The connection to GitHub, for every installation: authentication,
/// retry policy, write order. Cheap to clone. Work is done through a
/// [`Session`] it hands out.
#[derive(Clone)]
pub struct GitHub {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    root: Arc<Octocrab>,
    is_app: bool,
    /// Shared, not cloned: a clone of an `Octocrab` copies its token cache
    /// instead of sharing it, and would fetch a token of its own.
    installations: Mutex<HashMap<u64, Arc<Octocrab>>>,
    write_locks: Mutex<HashMap<RepoName, Arc<tokio::sync::Mutex<()>>>>,
    /// Per installation (`None`: the token), unless replicas share one.
    pacers: Mutex<HashMap<Option<u64>, pacing::Pacer>>,
    /// The budget replicas share through Redis, when they do.
    shared_budget: std::sync::OnceLock<crate::shared::Budget>,
    /// Per installation: commands' share of its writes, and each person's.
    command_gates: Mutex<HashMap<Option<u64>, pacing::CommandGate>>,
    policy: Policy,
}

impl GitHub {
    pub fn new(base_url: &str, auth: &Auth, policy: Policy) -> Result<Self> {
        let builder = Octocrab::builder()
            .base_uri(base_url)
            .map_err(|e| GitHubError::Setup(format!("bad GitHub API URL `{base_url}`: {e}")))?
            .set_connect_timeout(Some(Duration::from_secs(5)))
            .set_read_timeout(Some(Duration::from_secs(8)));
        let (root, is_app) = match auth {
            Auth::App { id, private_key } => {
                let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key).map_err(|e| {
                    GitHubError::Setup(format!("the App's private key is not an RSA PEM key: {e}"))
                })?;
                (builder.app(AppId(*id), key).build(), true)
            }
            Auth::Token(token) => (builder.personal_token(token.clone()).build(), false),
        };
        let root = root.map_err(|e| GitHubError::Setup(e.to_string()))?;
        Ok(GitHub {
            inner: Arc::new(ClientInner {
                root: Arc::new(root),
                is_app,
                installations: Mutex::new(HashMap::new()),
                write_locks: Mutex::new(HashMap::new()),
                pacers: Mutex::new(HashMap::new()),
                shared_budget: std::sync::OnceLock::new(),
                command_gates: Mutex::new(HashMap::new()),
                policy,
            }),
        })
    }

    /// Paces writes with `budget`, shared with other replicas, instead of
    /// in this process alone. Set once, before the first write.
    pub fn share_budget(&self, budget: crate::shared::Budget) {
        let _ = self.inner.shared_budget.set(budget);
    }

    /// Whether it authenticates as a GitHub App.
    pub fn is_app(&self) -> bool {
        self.inner.is_app
    }

    pub async fn whoami(&self) -> Result<String> {
        let api = Session {
            octo: Arc::clone(&self.inner.root),
            installation: None,
            deadline: Instant::now() + Duration::from_secs(30),
            client: self.clone(),
        };
        if self.inner.is_app {
            let app = api.get_json("/app").await?;
            let slug = app["slug"]
                .as_str()
                .ok_or_else(|| GitHubError::Decode("the app has no slug".into()))?;
            Ok(format!("{slug}[bot]"))
        } else {
            let user = api.get_json("/user").await?;
            user["login"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| GitHubError::Decode("the user has no login".into()))
        }
    }

    /// A handle acting as the App itself (its JWT), for the App's own
    /// endpoints: hook deliveries, installations.
    pub fn app_api(&self, deadline: Instant) -> Result<Session> {
        if !self.inner.is_app {
            return Err(GitHubError::Setup(
                "this needs a GitHub App (--app-id and a private key), not a token".into(),
            ));
        }
        Ok(Session {
            octo: Arc::clone(&self.inner.root),
            installation: None,
            deadline,
            client: self.clone(),
        })
    }

    /// The App's installation on `repo`, or `None` in token mode.
    pub async fn installation_of(&self, repo: &RepoName, deadline: Instant) -> Result<Option<u64>> {
        if !self.inner.is_app {
            return Ok(None);
        }
        let installation = self
            .app_api(deadline)?
            .get_json(&format!("{}/installation", repo_path(repo)))
            .await?;
        installation["id"]
            .as_u64()
            .map(Some)
            .ok_or_else(|| GitHubError::Decode("the installation has no id".into()))
    }

    /// Admits command comment `id` by `login` in `installation`: within
    /// the author's hourly quota and the commands' share of the
    /// installation's writes (across replicas, when they share a budget).
    /// Never waits; a comment admitted before is admitted again at no
    /// charge. Redis unreachable: this process's own gate decides.
    pub async fn admit_command(
        &self,
        installation: Option<u64>,
        login: &str,
        id: u64,
    ) -> std::result::Result<(), CommandRefusal> {
        if let Some(budget) = self.inner.shared_budget.get() {
            match budget.admit_command(installation, login, id).await {
                Ok(admitted) => return admitted,
                Err(error) => {
                    crate::metrics::shared_unreachable();
                    tracing::warn!(%error, "can't ask Redis to admit a command; this process decides alone");
                }
            }
        }
        let mut gates = self
            .inner
            .command_gates
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        gates
            .entry(installation)
            .or_default()
            .admit(Instant::now(), login, id)
    }

    /// A handle for one delivery: the installation's credentials and the
    /// time by which everything must be done.
    pub fn api(&self, installation: Option<u64>, deadline: Instant) -> Result<Session> {
        let octo = match (self.inner.is_app, installation) {
            (true, Some(id)) => {
                let mut installations = self
                    .inner
                    .installations
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                match installations.get(&id) {
                    Some(octo) => Arc::clone(octo),
                    None => {
                        let octo = Arc::new(
                            self.inner
                                .root
                                .installation(InstallationId(id))
                                .map_err(|e| GitHubError::Setup(e.to_string()))?,
                        );
                        installations.insert(id, Arc::clone(&octo));
                        octo
                    }
                }
            }
            (true, None) => {
                return Err(GitHubError::Setup(
                    "the delivery names no installation, and an App can only act through one"
                        .into(),
                ))
            }
            (false, _) => Arc::clone(&self.inner.root),
        };
        Ok(Session {
            octo,
            installation,
            deadline,
            client: self.clone(),
        })
    }

    fn write_lock(&self, repo: &RepoName) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .inner
            .write_locks
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        Arc::clone(locks.entry(repo.clone()).or_default())
    }
}

/// GitHub as one piece of work (a delivery, a reconcile) sees it: one
/// installation's credentials and the deadline for all its requests.
#[derive(Clone)]
pub struct Session {
    octo: Arc<Octocrab>,
    /// For metrics: whose rate limit the answers report.
    installation: Option<u64>,
    deadline: Instant,
    client: GitHub,
}

/// A raw answer.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).map_err(|e| GitHubError::Decode(e.to_string()))
    }

    fn etag(&self) -> Option<String> {
        self.headers
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    fn message(&self) -> String {
        serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&self.body)
                    .chars()
                    .take(200)
                    .collect()
            })
    }
}

fn repo_path(repo: &RepoName) -> String {
    format!("/repos/{}/{}", encode(&repo.owner), encode(&repo.name))
}

/// Percent-encodes one path segment.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

impl Session {
    /// Sends one request, retrying as the policy says.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        if_none_match: Option<&str>,
    ) -> Result<Answer> {
        let policy = &self.client.inner.policy;
        let mut backoff = policy.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self
                .send_once(method.clone(), path, body, if_none_match)
                .await;
            let wait = match &outcome {
                Ok(answer) if answer.status.is_server_error() && attempt < policy.attempts => {
                    Some(backoff)
                }
                Ok(answer) if is_rate_limited(answer) => {
                    let wait = rate_limit_wait(&answer.headers).unwrap_or(backoff);
                    if pacing::patience().is_some_and(|p| wait > p) {
                        return Err(GitHubError::Deferred(wait));
                    }
                    if Instant::now() + wait > self.deadline {
                        return Err(GitHubError::RateLimited(wait));
                    }
                    tracing::warn!(?wait, path, "rate limited by GitHub; waiting as asked");
                    Some(wait)
                }
                Ok(_) => None,
                // GitHub's own answers (an unknown installation's 404 when
                // asking for its token, say) are final; only the network is
                // worth trying again.
                Err(GitHubError::Transport(_)) if attempt < policy.attempts => Some(backoff),
                Err(_) => None,
            };
            match wait {
                Some(wait) if Instant::now() + wait <= self.deadline => {
                    tracing::debug!(attempt, ?wait, path, "retrying GitHub request");
                    tokio::time::sleep(wait).await;
                    backoff = backoff.saturating_mul(2);
                }
                _ => {
                    let answer = outcome?;
                    if answer.status.is_client_error() || answer.status.is_server_error() {
                        return Err(GitHubError::Status {
                            status: answer.status.as_u16(),
                            message: answer.message(),
                            request: format!("{method} {path}"),
                        });
                    }
                    return Ok(answer);
                }
            }
        }
    }

    async fn send_once(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        if_none_match: Option<&str>,
    ) -> Result<Answer> {
        let method_name = method.to_string();
        let method_name = method_name.as_str();
        let mut builder = Request::builder()
            .method(method.clone())
            // Relative: octocrab adds its base URI, and only then the
            // credentials (it never sends them to another host).
            .uri(path)
            .header(header::ACCEPT, "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28");
        if let Some(tag) = if_none_match.and_then(|t| HeaderValue::from_str(t).ok()) {
            builder = builder.header(header::IF_NONE_MATCH, tag);
        }
        let request = self
            .octo
            .build_request(builder, body)
            .map_err(|e| GitHubError::Transport(e.to_string()))?;
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let response = tokio::time::timeout(
            remaining.max(Duration::from_millis(1)),
            self.octo.execute(request),
        )
        .await
        .map_err(|_| GitHubError::Transport(format!("{method_name} {path} timed out")))?
        .map_err(|e| self.octocrab_error(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        crate::metrics::github_request(method_name, path, status.as_u16());
        if let Some(remaining) = headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
        {
            crate::metrics::rate_limit_remaining(self.installation, remaining);
        }
        let body = self
            .octo
            .body_to_string(response)
            .await
            .map_err(|e| GitHubError::Transport(error_text(&e)))?;
        Ok(Answer {
            status,
            headers,
            body: body.into_bytes(),
        })
    }

    async fn get_json(&self, path: &str) -> Result<Value> {
        self.send(Method::GET, path, None, None).await?.json()
    }

    /// A GET answered in a shape of the caller's: the fields it reads,
    /// typed, and a clear error when they are not there.
    async fn typed<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        let value = self.get_json(path).await?;
        serde_json::from_value(value).map_err(|e| GitHubError::Decode(format!("{path}: {e}")))
    }

    /// A conditional GET: 304 and 404 are answers, not errors.
    async fn get_conditional(&self, path: &str, etag: Option<&str>) -> Result<Fetched<Value>> {
        match self.send(Method::GET, path, None, etag).await {
            Ok(answer) if answer.status == StatusCode::NOT_MODIFIED => Ok(Fetched::NotModified),
            Ok(answer) => Ok(Fetched::Found {
                value: answer.json()?,
                etag: answer.etag(),
            }),
            Err(GitHubError::Status { status: 404, .. }) => Ok(Fetched::Missing),
            Err(error) => Err(error),
        }
    }

    /// Every item of a paginated list, following `Link: rel="next"` for at
    /// most `max_pages` pages of 100.
    async fn all_pages(&self, url: &str, max_pages: u32) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let separator = if url.contains('?') { '&' } else { '?' };
        for page in 1..=max_pages {
            let answer = self
                .send(
                    Method::GET,
                    &format!("{url}{separator}per_page=100&page={page}"),
                    None,
                    None,
                )
                .await?;
            match answer.json()? {
                Value::Array(page_items) => items.extend(page_items),
                _ => return Err(GitHubError::Decode(format!("{url} did not answer a list"))),
            }
            let has_next = answer
                .headers
                .get(header::LINK)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|link| link.contains("rel=\"next\""));
            if !has_next {
                break;
            }
        }
        Ok(items)
    }

    /// Runs `write` paced within GitHub's secondary limits for this
    /// installation, and with this repository's writes serialized, as
    /// GitHub asks of integrators.
    async fn write<T>(
        &self,
        repo: &RepoName,
        write: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        // The slot is reserved once this write is next for its repository,
        // so it goes out at its slot: reserved first and sent after other
        // writes queued here, a write would arrive late, and with several
        // replicas one's late writes and another's on-time ones would meet
        // in one of GitHub's minutes.
        let lock = self.client.write_lock(repo);
        let _guard = lock.lock().await;
        let now = Instant::now();
        let patience = pacing::patience();
        let slot = match self.client.inner.shared_budget.get() {
            Some(budget) => {
                let reserved = budget
                    .reserve(self.installation, patience)
                    .await
                    .map_err(|e| GitHubError::Transport(e.to_string()))?;
                reserved.map(|wait| now + wait).map_err(|wait| now + wait)
            }
            None => self
                .client
                .inner
                .pacers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(self.installation)
                .or_default()
                .reserve_within(now, patience),
        };
        let slot = match slot {
            Ok(slot) => slot,
            Err(slot) => {
                crate::metrics::deferred();
                return Err(GitHubError::Deferred(slot - now));
            }
        };
        if slot > now {
            if slot > self.deadline {
                return Err(GitHubError::RateLimited(slot - now));
            }
            crate::metrics::paced(slot - now);
            tracing::debug!(wait = ?(slot - now), "pacing a write to stay inside GitHub's secondary limits");
            tokio::time::sleep_until(slot).await;
        }
        write.await
    }
}

fn is_rate_limited(answer: &Answer) -> bool {
    let remaining_zero = answer
        .headers
        .get("x-ratelimit-remaining")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "0");
    answer.status == StatusCode::TOO_MANY_REQUESTS
        || (answer.status == StatusCode::FORBIDDEN
            && (answer.headers.contains_key(header::RETRY_AFTER) || remaining_zero))
}

/// How long GitHub asks us to wait: `Retry-After`, or until the reset.
fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if let Some(seconds) = number("retry-after") {
        return Some(Duration::from_secs(seconds));
    }
    let reset = number("x-ratelimit-reset")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
}

impl Session {
    /// An octocrab error as ours. octocrab hands back the request's own
    /// answer whatever its status, so a GitHub answer as an error is the
    /// one it got fetching this installation's token: an installation
    /// GitHub does not know (any more), its own outcome. The rest is
    /// transport.
    fn octocrab_error(&self, error: &octocrab::Error) -> GitHubError {
        match (error, self.installation) {
            (octocrab::Error::GitHub { source, .. }, Some(installation)) => {
                GitHubError::Installation {
                    installation,
                    status: source.status_code.as_u16(),
                    message: source.message.clone(),
                }
            }
            (octocrab::Error::GitHub { source, .. }, None) => GitHubError::Status {
                status: source.status_code.as_u16(),
                message: source.message.clone(),
                request: "the token".to_owned(),
            },
            (other, _) => GitHubError::Transport(error_text(other)),
        }
    }
}

/// octocrab's errors, without backtraces.
fn error_text(error: &octocrab::Error) -> String {
    match error {
        octocrab::Error::GitHub { source, .. } => {
            format!("{} ({})", source.message, source.status_code)
        }
        octocrab::Error::Hyper { source, .. } => source.to_string(),
        octocrab::Error::Service { source, .. } => source.to_string(),
        other => {
            let text = other.to_string();
            text.lines().next().unwrap_or_default().to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_debug_never_shows_secrets() {
        let app = Auth::App {
            id: 1,
            private_key: b"-----BEGIN RSA PRIVATE KEY-----secret".to_vec(),
        };
        assert!(!format!("{app:?}").contains("secret"));
        assert!(!format!("{:?}", Auth::Token("ghp_secret".into())).contains("secret"));
    }

    #[test]
    fn waits_follow_retry_after_then_the_reset() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(rate_limit_wait(&headers), Some(Duration::from_secs(3)));
        let mut headers = HeaderMap::new();
        let soon = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 5;
        headers.insert(
            "x-ratelimit-reset",
            HeaderValue::from_str(&soon.to_string()).unwrap(),
        );
        let wait = rate_limit_wait(&headers).unwrap();
        assert!(wait <= Duration::from_secs(5) && wait >= Duration::from_secs(4));
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode("module: cuda"), "module%3A%20cuda");
    }
}

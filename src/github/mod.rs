//! The one GitHub client: the handful of calls the bot makes, over
//! octocrab, with retries, rate-limit waits and per-repository write order.
//!
//! Owns authentication (an App's installation tokens, cached by octocrab
//! until shortly before they expire, or a plain token) and the retry policy:
//! network errors and 5xx are retried with bounded backoff; 403/429 rate
//! limits wait for `Retry-After` (or the reset time) when that fits in the
//! delivery's deadline; other 4xx are final. Races it accepts: two bot
//! processes may write the same repository at once; GitHub orders them.

use crate::event::CommentId;
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
mod session;
mod wire;

pub use calls::{CommentSnapshot, HookDelivery, ItemSnapshot, OpenItem};
pub use pacing::{
    with_patience, BoxFuture, CommandRefusal, SharedBudget, Unreachable, PER_HOUR, PER_MINUTE,
};
pub use people::{Access, Around};
pub use session::Session;

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
    shared_budget: std::sync::OnceLock<Arc<dyn SharedBudget>>,
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
    pub fn share_budget(&self, budget: Arc<dyn SharedBudget>) {
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
            let app: wire::App = wire::decode("the app", api.get_json("/app").await?)?;
            Ok(format!("{}[bot]", app.slug))
        } else {
            let user: wire::User = wire::decode("the user", api.get_json("/user").await?)?;
            Ok(user.login)
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
        let installation: wire::Installation = wire::decode("the installation", installation)?;
        Ok(Some(installation.id))
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
        id: CommentId,
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

#[cfg(test)]
mod tests {
    use super::session::rate_limit_wait;
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

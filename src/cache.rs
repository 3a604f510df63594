//! Per-repository caches of what the bot reads on every delivery: the
//! rules file and the tracking issue. Both are revalidated with ETags on
//! each use (a 304 costs no rate limit), so every running copy of the bot
//! sees an edit, not only the one that received its webhook.
//!
//! And the check of rules files that pull requests change, by content:
//! each text is checked once, whatever the pushes and events that show it.
//!
//! Races it accepts: two deliveries for one repository may revalidate at
//! once; both store the same answer. Two events showing one new rules
//! file at once may both check it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::config::{self, Ruleset, RULES_PATH};
use crate::event::RepoName;
use crate::github::{Fetched, GitHubError, Session};
use crate::limits::CHECK_BUDGET;
use crate::plan::{review_within, HeadReview};
use crate::subscriptions::Subscriptions;

/// A repository's rules as last read from its default branch.
#[derive(Debug, Clone)]
pub enum LoadedRules {
    /// No `.github/probot.toml`: nothing to do, and nothing to complain of.
    Missing,
    /// The file fails `check` (logged when read).
    Invalid,
    Loaded(Arc<Ruleset>),
}

#[derive(Clone)]
struct Entry<T> {
    etag: Option<String>,
    value: T,
}

/// How a read went, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    /// Read in full (first time, or it changed).
    Fetched,
    /// GitHub said 304: the cached copy is current.
    Revalidated,
    /// GitHub could not be asked; the last good copy was used.
    Stale,
}

impl Freshness {
    fn count(self, kind: &'static str) {
        let result = match self {
            Freshness::Fetched => "miss",
            Freshness::Revalidated => "revalidated",
            Freshness::Stale => "stale",
        };
        crate::metrics::cache(kind, result);
    }
}

/// A tracking issue: its repository and number.
type TrackingIssue = (RepoName, u64);

#[derive(Default)]
pub struct Caches {
    rules: Mutex<HashMap<RepoName, Entry<LoadedRules>>>,
    /// The last rules that passed `check`, used when a read fails.
    last_good: Mutex<HashMap<RepoName, Arc<Ruleset>>>,
    tracking: Mutex<HashMap<TrackingIssue, Entry<Arc<Subscriptions>>>>,
    /// Pull requests' rules files, checked, by the SHA-256 of their text
    /// (content-addressed, as git's blob sha is).
    head_reviews: Mutex<HashMap<[u8; 32], Arc<HeadReview>>>,
}

/// Checked rules files kept at once: a check run's text is at most 64 KiB.
const MAX_HEAD_REVIEWS: usize = 64;

fn unexpected_304() -> GitHubError {
    GitHubError::Decode("304 Not Modified for a request without an ETag".into())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Caches {
    /// A pull request's rules file checked, once per content: the check is
    /// CPU work on input anyone can write, so it runs off the async
    /// workers, within `CHECK_BUDGET`, which ends it.
    pub async fn head_review(&self, text: String) -> Arc<HeadReview> {
        use sha2::Digest;
        let key: [u8; 32] = sha2::Sha256::digest(text.as_bytes()).into();
        if let Some(review) = lock(&self.head_reviews).get(&key) {
            crate::metrics::cache("head_rules", "hit");
            return Arc::clone(review);
        }
        crate::metrics::cache("head_rules", "miss");
        let review = tokio::task::spawn_blocking(move || review_within(&text, CHECK_BUDGET))
            .await
            .unwrap_or_else(|_| HeadReview::unchecked(CHECK_BUDGET));
        let review = Arc::new(review);
        let mut reviews = lock(&self.head_reviews);
        if reviews.len() >= MAX_HEAD_REVIEWS {
            reviews.clear();
        }
        reviews.insert(key, Arc::clone(&review));
        review
    }

    /// The rules on the default branch, revalidated.
    pub async fn rules(&self, api: &Session, repo: &RepoName) -> Result<LoadedRules, GitHubError> {
        let (rules, freshness) = self.read_rules(api, repo).await?;
        freshness.count("rules");
        Ok(rules)
    }

    async fn read_rules(
        &self,
        api: &Session,
        repo: &RepoName,
    ) -> Result<(LoadedRules, Freshness), GitHubError> {
        let cached = lock(&self.rules).get(repo).cloned();
        let etag = cached.as_ref().and_then(|c| c.etag.clone());
        let fetched = match api.file(repo, RULES_PATH, None, etag.as_deref()).await {
            Ok(fetched) => fetched,
            Err(error) => {
                let last_good = lock(&self.last_good).get(repo).cloned();
                return match last_good {
                    Some(rules) => {
                        tracing::warn!(%repo, %error, "could not read the rules; using the last good copy");
                        Ok((LoadedRules::Loaded(rules), Freshness::Stale))
                    }
                    None => Err(error),
                };
            }
        };
        let (rules, etag) = match (fetched, cached) {
            (Fetched::NotModified, Some(cached)) => {
                return Ok((cached.value, Freshness::Revalidated))
            }
            // An ETag is only sent with a cached copy, so GitHub can't say 304.
            (Fetched::NotModified, None) => return Err(unexpected_304()),
            (Fetched::Missing, _) => (LoadedRules::Missing, None),
            (Fetched::Found { value: text, etag }, _) => (self.checked(repo, &text), etag),
        };
        lock(&self.rules).insert(
            repo.clone(),
            Entry {
                etag,
                value: rules.clone(),
            },
        );
        Ok((rules, Freshness::Fetched))
    }

    fn checked(&self, repo: &RepoName, text: &str) -> LoadedRules {
        match config::load(text) {
            Ok(ruleset) => {
                let ruleset = Arc::new(ruleset);
                lock(&self.last_good).insert(repo.clone(), Arc::clone(&ruleset));
                LoadedRules::Loaded(ruleset)
            }
            Err(problems) => {
                let problems: Vec<String> = problems
                    .iter()
                    .filter(|p| p.is_error())
                    .map(|p| {
                        let at = p
                            .location
                            .as_ref()
                            .map_or(String::new(), |l| format!(":{}:{}", l.line, l.column));
                        format!("{RULES_PATH}{at}: {}", p.message)
                    })
                    .collect();
                tracing::warn!(%repo, ?problems, "the rules file has errors; doing nothing for this repository");
                LoadedRules::Invalid
            }
        }
    }

    /// The rules as last read, without asking GitHub: what the bot plans
    /// its reads with while it revalidates them.
    pub fn known_rules(&self, repo: &RepoName) -> Option<Arc<Ruleset>> {
        match lock(&self.rules).get(repo).map(|entry| &entry.value) {
            Some(LoadedRules::Loaded(ruleset)) => Some(Arc::clone(ruleset)),
            _ => None,
        }
    }

    /// A tracking issue's subscriptions as last read, without asking GitHub.
    pub fn known_subscriptions(&self, repo: &RepoName, number: u64) -> Option<Arc<Subscriptions>> {
        lock(&self.tracking)
            .get(&(repo.clone(), number))
            .map(|entry| Arc::clone(&entry.value))
    }

    /// Forgets a repository's rules, after a push that changed them.
    pub fn drop_rules(&self, repo: &RepoName) {
        lock(&self.rules).remove(repo);
    }

    /// The tracking issue's subscriptions, revalidated. A missing issue
    /// subscribes nobody.
    pub async fn subscriptions(
        &self,
        api: &Session,
        repo: &RepoName,
        number: u64,
    ) -> Result<Arc<Subscriptions>, GitHubError> {
        let (subscriptions, freshness) = self.read_subscriptions(api, repo, number).await?;
        freshness.count("tracking_issue");
        Ok(subscriptions)
    }

    async fn read_subscriptions(
        &self,
        api: &Session,
        repo: &RepoName,
        number: u64,
    ) -> Result<(Arc<Subscriptions>, Freshness), GitHubError> {
        let key = (repo.clone(), number);
        let cached = lock(&self.tracking).get(&key).cloned();
        let etag = cached.as_ref().and_then(|c| c.etag.clone());
        let fetched = match api.item(repo, number, etag.as_deref()).await {
            Ok(fetched) => fetched,
            Err(error) => {
                return match cached {
                    Some(cached) => {
                        tracing::warn!(%repo, number, %error, "could not read the tracking issue; using the last copy");
                        Ok((cached.value, Freshness::Stale))
                    }
                    None => Err(error),
                }
            }
        };
        let (subscriptions, etag) = match (fetched, cached) {
            (Fetched::NotModified, Some(cached)) => {
                return Ok((cached.value, Freshness::Revalidated))
            }
            (Fetched::NotModified, None) => return Err(unexpected_304()),
            (Fetched::Missing, _) => {
                tracing::warn!(%repo, number, "the tracking issue does not exist; nobody is subscribed");
                (Arc::new(Subscriptions::default()), None)
            }
            (Fetched::Found { value, etag }, _) => {
                let subscriptions = Subscriptions::parse(&value.body);
                for problem in subscriptions.problems() {
                    tracing::warn!(%repo, number, %problem, "a tracking issue line that can't be read");
                }
                (Arc::new(subscriptions), etag)
            }
        };
        lock(&self.tracking).insert(
            key,
            Entry {
                etag,
                value: Arc::clone(&subscriptions),
            },
        );
        Ok((subscriptions, Freshness::Fetched))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pull request's rules file is checked once per content, however
    /// many pushes and events show it: the second ask is the first answer.
    #[tokio::test]
    async fn a_rules_file_is_checked_once_per_content() {
        let caches = Caches::default();
        let text = "[[rules]]\nwhen.title = '(?i)\\pL{9}'\nadd = ['x']\n".to_owned();
        let first = caches.head_review(text.clone()).await;
        let again = caches.head_review(text).await;
        assert!(Arc::ptr_eq(&first, &again), "checked again");
        let other = caches
            .head_review("[cc]\ntracking_issue = 0\n".to_owned())
            .await;
        assert!(!Arc::ptr_eq(&first, &other));
        assert_ne!(*first, *other);
    }
}

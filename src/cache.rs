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

use crate::event::IssueNumber;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::config::{self, RulesRef, Ruleset, RULES_PATH};
use crate::event::RepoName;
use crate::github::{Fetched, GitHubError, Session};
use crate::limits::CHECK_BUDGET;
use crate::plan::cc::Subscriptions;
use crate::plan::{review_within, HeadReview};

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
type TrackingIssue = (RepoName, IssueNumber);

/// A repository's rules as last read: its own file (by ETag), the base
/// they were merged onto (by its ETag), and the rules compiled from both.
#[derive(Clone)]
struct RulesEntry {
    etag: Option<String>,
    /// The repository's own file; `None` when it has none.
    text: Option<Arc<str>>,
    /// The base its rules were compiled with, and its ETag then.
    base: Option<(RulesRef, Option<String>)>,
    value: LoadedRules,
}

/// A base file as last read: `None` when it is missing or unreadable.
type BaseText = Option<Arc<str>>;

#[derive(Default)]
pub struct Caches {
    rules: Mutex<HashMap<RepoName, RulesEntry>>,
    /// Base files (`extends` targets, organizations' files), shared by
    /// every repository that uses them, revalidated by ETag.
    bases: Mutex<HashMap<RulesRef, Entry<BaseText>>>,
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
    ///
    /// A file that extends the base the default branch's rules use is
    /// checked merged onto that base, as read for them; one that names
    /// another is checked alone (and told so): a fork's file never makes
    /// the bot read anything.
    pub async fn head_review(&self, repo: &RepoName, text: String) -> Arc<HeadReview> {
        use sha2::Digest;
        let base = config::extends_of(&text)
            .and_then(|e| RulesRef::extended(&e, &repo.owner))
            .and_then(|named| self.known_base(repo).filter(|(known, _)| *known == named));
        let mut hasher = sha2::Sha256::new();
        hasher.update(text.as_bytes());
        if let Some((name, base_text)) = &base {
            hasher.update(name.to_string().as_bytes());
            hasher.update(base_text.as_bytes());
        }
        let key: [u8; 32] = hasher.finalize().into();
        if let Some(review) = lock(&self.head_reviews).get(&key) {
            crate::metrics::cache("head_rules", "hit");
            return Arc::clone(review);
        }
        crate::metrics::cache("head_rules", "miss");
        let own = RulesRef::of_repository(&repo.owner, &repo.name);
        let review = tokio::task::spawn_blocking(move || {
            let base = base.as_ref().map(|(name, text)| config::Base {
                name,
                text,
                of: Some(&own),
            });
            review_within(&text, base, CHECK_BUDGET)
        })
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

    /// Reads the repository's rules file and, at the same time, revalidates
    /// the base it used last time (so an unchanged pair costs one round
    /// trip of two free 304s); reads a base it did not use before only
    /// when the file names a new one. A repository without a file uses its
    /// organization's (`{owner}/.github`), as if it were its own.
    async fn read_rules(
        &self,
        api: &Session,
        repo: &RepoName,
    ) -> Result<(LoadedRules, Freshness), GitHubError> {
        let cached = lock(&self.rules).get(repo).cloned();
        let etag = cached.as_ref().and_then(|c| c.etag.clone());
        let known_base = cached.as_ref().and_then(|c| c.base.clone()).map(|(r, _)| r);
        let (own, revalidated) =
            tokio::join!(api.file(repo, RULES_PATH, None, etag.as_deref()), async {
                match &known_base {
                    Some(base) => Some(self.base_file(api, base).await),
                    None => None,
                }
            });
        let own = match own {
            Ok(own) => own,
            Err(error) => return self.last_good(repo, error),
        };
        let (text, etag, own_changed) = match (own, &cached) {
            (Fetched::NotModified, Some(cached)) => {
                (cached.text.clone(), cached.etag.clone(), false)
            }
            // An ETag is only sent with a cached copy, so GitHub can't say 304.
            (Fetched::NotModified, None) => return Err(unexpected_304()),
            (Fetched::Missing, _) => (None, None, true),
            (Fetched::Found { value, etag }, _) => (Some(Arc::from(value)), etag, true),
        };
        // What the rules build on: the file's `extends`, or, without a
        // file, the organization's file (itself a file whose `extends` is
        // followed, one level).
        let own_ref = RulesRef::of_repository(&repo.owner, &repo.name);
        let fallback = text.is_none() && repo.name != config::ORGANIZATION_REPO;
        let needed = match &text {
            Some(text) => config::extends_of(text).map(|e| RulesRef::extended(&e, &repo.owner)),
            None if fallback => Some(Some(RulesRef::organization(&repo.owner))),
            None => None,
        };
        let base = match (needed, revalidated) {
            (None, _) => None,
            // Named but unreadable as a reference: `check` says why.
            (Some(None), _) => None,
            (Some(Some(needed)), Some(read)) if Some(&needed) == known_base.as_ref() => {
                Some((needed, read))
            }
            (Some(Some(needed)), _) => {
                let read = self.base_file(api, &needed).await;
                Some((needed, read))
            }
        };
        let base = match base {
            Some((name, Ok((text, etag, changed)))) => Some((name, text, etag, changed)),
            Some((_, Err(error))) => return self.last_good(repo, error),
            None => None,
        };
        let base_changed = base.as_ref().is_some_and(|b| b.3)
            || base.as_ref().map(|b| &b.0) != known_base.as_ref();
        if let (Some(cached), false, false) = (&cached, own_changed, base_changed) {
            return Ok((cached.value.clone(), Freshness::Revalidated));
        }
        let value = match (&text, &base) {
            (None, None) => LoadedRules::Missing,
            // No file of its own, and the organization has none either.
            (None, Some((_, None, _, _))) => LoadedRules::Missing,
            // The organization's file as the repository's own. It is what
            // repositories without rules fall back on, so it stands alone:
            // one level of sharing.
            (None, Some((org, Some(org_text), _, _))) => match config::extends_of(org_text) {
                None => self.checked(repo, org, org_text, None),
                Some(further) => {
                    tracing::warn!(%repo, base = %org, extends = further, "the organization's file extends another; repositories without rules can't use it, so nothing is done for this one");
                    LoadedRules::Invalid
                }
            },
            (Some(text), None) => self.checked(repo, &own_ref, text, None),
            (Some(text), Some((name, base_text, _, _))) => match base_text {
                Some(base_text) => self.checked(
                    repo,
                    &own_ref,
                    text,
                    Some(config::Base {
                        name,
                        text: base_text,
                        of: Some(&own_ref),
                    }),
                ),
                None => {
                    tracing::warn!(%repo, base = %name, "the rules extend a file that is missing, or that the App can't read; doing nothing for this repository");
                    LoadedRules::Invalid
                }
            },
        };
        lock(&self.rules).insert(
            repo.clone(),
            RulesEntry {
                etag,
                text,
                base: base.map(|(name, _, etag, _)| (name, etag)),
                value: value.clone(),
            },
        );
        Ok((value, Freshness::Fetched))
    }

    /// The last rules that passed `check`, when a read fails.
    fn last_good(
        &self,
        repo: &RepoName,
        error: GitHubError,
    ) -> Result<(LoadedRules, Freshness), GitHubError> {
        match lock(&self.last_good).get(repo).cloned() {
            Some(rules) => {
                tracing::warn!(%repo, %error, "could not read the rules; using the last good copy");
                Ok((LoadedRules::Loaded(rules), Freshness::Stale))
            }
            None => Err(error),
        }
    }

    /// A base file, revalidated: its text (`None`: missing, or not
    /// readable with the installation's token, which is what keeps a
    /// repository from extending what the App may not read), its ETag, and
    /// whether it changed since last read.
    async fn base_file(
        &self,
        api: &Session,
        at: &RulesRef,
    ) -> Result<(BaseText, Option<String>, bool), GitHubError> {
        let cached = lock(&self.bases).get(at).cloned();
        let repo = RepoName::new(&at.owner, &at.name);
        let etag = cached.as_ref().and_then(|c| c.etag.clone());
        let read = match api.file(&repo, &at.path, None, etag.as_deref()).await {
            Ok(read) => read,
            // Not readable with this installation's token: as missing.
            Err(GitHubError::Status { status: 403, .. }) => Fetched::Missing,
            Err(error) => return Err(error),
        };
        let (text, etag) = match (read, cached) {
            (Fetched::NotModified, Some(cached)) => {
                crate::metrics::cache("base_rules", "revalidated");
                return Ok((cached.value, cached.etag, false));
            }
            (Fetched::NotModified, None) => return Err(unexpected_304()),
            (Fetched::Missing, _) => (None, None),
            (Fetched::Found { value, etag }, _) => (Some(Arc::from(value)), etag),
        };
        crate::metrics::cache("base_rules", "miss");
        lock(&self.bases).insert(
            at.clone(),
            Entry {
                etag: etag.clone(),
                value: text.clone(),
            },
        );
        Ok((text, etag, true))
    }

    /// The base a repository's rules were merged onto, as last read: what
    /// a pull request's rules file naming the same base is checked with.
    pub fn known_base(&self, repo: &RepoName) -> Option<(RulesRef, Arc<str>)> {
        let (name, _) = lock(&self.rules).get(repo)?.base.clone()?;
        let text = lock(&self.bases).get(&name)?.value.clone()?;
        Some((name, text))
    }

    fn checked(
        &self,
        repo: &RepoName,
        file: &RulesRef,
        text: &str,
        base: Option<config::Base<'_>>,
    ) -> LoadedRules {
        let checked = config::check_extending(text, base);
        match checked.ruleset {
            Some(ruleset) => {
                let ruleset = Arc::new(ruleset);
                lock(&self.last_good).insert(repo.clone(), Arc::clone(&ruleset));
                LoadedRules::Loaded(ruleset)
            }
            None => {
                let problems: Vec<String> = checked
                    .problems
                    .iter()
                    .filter(|p| p.is_error())
                    .map(|p| {
                        let at = p
                            .location
                            .as_ref()
                            .map_or(String::new(), |l| format!(":{}:{}", l.line, l.column));
                        let in_file = p.file.clone().unwrap_or_else(|| file.to_string());
                        format!("{in_file}{at}: {}", p.message)
                    })
                    .collect();
                tracing::warn!(%repo, ?problems, "the rules have errors; doing nothing for this repository");
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
    pub fn known_subscriptions(
        &self,
        repo: &RepoName,
        number: IssueNumber,
    ) -> Option<Arc<Subscriptions>> {
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
        number: IssueNumber,
    ) -> Result<Arc<Subscriptions>, GitHubError> {
        let (subscriptions, freshness) = self.read_subscriptions(api, repo, number).await?;
        freshness.count("tracking_issue");
        Ok(subscriptions)
    }

    async fn read_subscriptions(
        &self,
        api: &Session,
        repo: &RepoName,
        number: IssueNumber,
    ) -> Result<(Arc<Subscriptions>, Freshness), GitHubError> {
        let key = (repo.clone(), number);
        let cached = lock(&self.tracking).get(&key).cloned();
        let etag = cached.as_ref().and_then(|c| c.etag.clone());
        let fetched = match api.item(repo, number, etag.as_deref()).await {
            Ok(fetched) => fetched,
            Err(error) => {
                return match cached {
                    Some(cached) => {
                        tracing::warn!(%repo, %number, %error, "could not read the tracking issue; using the last copy");
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
                tracing::warn!(%repo, %number, "the tracking issue does not exist; nobody is subscribed");
                (Arc::new(Subscriptions::default()), None)
            }
            (Fetched::Found { value, etag }, _) => {
                let subscriptions = Subscriptions::parse(&value.body);
                for problem in subscriptions.problems() {
                    tracing::warn!(%repo, %number, %problem, "a tracking issue line that can't be read");
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
        let repo = RepoName::new("acme", "widgets");
        let first = caches.head_review(&repo, text.clone()).await;
        let again = caches.head_review(&repo, text).await;
        assert!(Arc::ptr_eq(&first, &again), "checked again");
        let other = caches
            .head_review(&repo, "[cc]\ntracking_issue = 0\n".to_owned())
            .await;
        assert!(!Arc::ptr_eq(&first, &other));
        assert_ne!(*first, *other);
    }
}

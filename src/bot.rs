//! The bot: one delivery in, GitHub brought in line with the plan.
//!
//! For an issue or pull request event it gathers the facts the planner asks
//! for (rules, subscriptions, changed files), plans, and, when the plan
//! would write, reads the item fresh and plans again on that, so a
//! duplicate or stale delivery writes nothing. Races it accepts: two copies
//! of the bot handling one event at once may both write; every write is
//! level-based, so they end in the same state.

use std::sync::Arc;

use tokio::time::Instant;

use crate::apply::{self, Write};
use crate::cache::{Caches, Rules};
use crate::config::RULES_PATH;
use crate::event::{Event, ItemEvent, RepoName};
use crate::github::{Api, Client, Fetched, GitHubError};
use crate::plan::{self, Action, PlanInput, Ruleset, Trust, Whose};
use crate::subscriptions::Subscriptions;

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing for the bot in it; says why.
    Ignored(&'static str),
    /// The repository has no rules file.
    NoRules,
    /// Planned and applied; the writes made (none when all was so already).
    Done(Vec<Write>),
}

/// A delivery the bot could not handle; GitHub should see it failed.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error(transparent)]
    GitHub(#[from] GitHubError),
}

pub struct Bot {
    github: Client,
    login: String,
    caches: Caches,
    /// Planned with when a repository has no usable rules: still checks
    /// rules files in pull requests.
    no_rules: Arc<Ruleset>,
}

impl Bot {
    /// `login` is the bot's own, as `Client::whoami` tells.
    pub fn new(github: Client, login: String) -> Self {
        Bot {
            github,
            login,
            caches: Caches::default(),
            no_rules: Arc::new(Ruleset::new(Default::default())),
        }
    }

    /// Handles one delivery; everything must be done by `deadline`.
    pub async fn handle(&self, event: &Event, deadline: Instant) -> Result<Outcome, HandleError> {
        match event {
            Event::Ping => Ok(Outcome::Ignored("ping")),
            Event::Ignored { .. } => Ok(Outcome::Ignored("not an event the bot acts on")),
            Event::Push(push) => {
                if push.to_default_branch() && push.touched.iter().any(|p| p == RULES_PATH) {
                    self.caches.drop_rules(&push.repo);
                    return Ok(Outcome::Ignored(
                        "the rules changed; dropped from the cache",
                    ));
                }
                Ok(Outcome::Ignored("a push that does not change the rules"))
            }
            Event::Item(item) if item.sender.login.eq_ignore_ascii_case(&self.login) => {
                Ok(Outcome::Ignored("the bot's own event"))
            }
            Event::Item(item) if !plan::acts_on(item) => {
                Ok(Outcome::Ignored("no rule acts on this action"))
            }
            Event::Item(item) => self.handle_item(item, deadline).await,
        }
    }

    async fn handle_item(
        &self,
        item: &ItemEvent,
        deadline: Instant,
    ) -> Result<Outcome, HandleError> {
        let api = self.github.api(item.installation, deadline)?;
        let (rules, freshness) = self.caches.rules(&api, &item.repo).await?;
        crate::metrics::cache("rules", freshness);
        let (ruleset, has_rules) = match &rules {
            Rules::Loaded(ruleset) => (Arc::clone(ruleset), true),
            Rules::Missing | Rules::Invalid { .. } => (Arc::clone(&self.no_rules), false),
        };
        let facts = self.gather(&api, item, &ruleset).await?;
        let plan_for = |item: &ItemEvent| {
            plan::plan(&PlanInput {
                event: &Event::Item(item.clone()),
                rules: &ruleset,
                subscriptions: facts.subscriptions.as_deref(),
                changed_files: facts.files.as_deref(),
                head_rules: facts.head_rules.as_deref(),
                trust: facts.trust,
                bot: &self.login,
            })
        };
        let mut actions = plan_for(item);
        if actions.is_empty() {
            return Ok(if has_rules {
                Outcome::Done(Vec::new())
            } else {
                Outcome::NoRules
            });
        }

        // The payload may be stale (a duplicate delivery, a label added
        // since): plan again on the item as it is now.
        let touches_item = actions
            .iter()
            .any(|a| matches!(a, Action::AddLabels { .. } | Action::Cc { .. }));
        let fresh = match touches_item {
            false => None,
            true => match api.item(&item.repo, item.number, None).await? {
                Fetched::Found { value, .. } => {
                    let mut now = item.clone();
                    now.labels = value.labels.clone();
                    now.body = value.body.clone();
                    actions = plan_for(&now);
                    Some(value)
                }
                Fetched::Missing | Fetched::NotModified => {
                    return Ok(Outcome::Ignored("the item is gone"))
                }
            },
        };
        let writes = apply::apply(&api, item, &actions, fresh.as_ref(), &self.login).await?;
        Ok(Outcome::Done(writes))
    }

    /// Reads the facts the planner asked for, and no more.
    async fn gather(
        &self,
        api: &Api,
        item: &ItemEvent,
        ruleset: &Ruleset,
    ) -> Result<Facts, HandleError> {
        let needs = plan::needs(&Event::Item(item.clone()), ruleset, &self.login);
        let subscriptions = match (&ruleset.rules.cc, needs.subscriptions) {
            (Some(cc), true) => {
                let repo = cc
                    .repository
                    .as_deref()
                    .and_then(RepoName::parse)
                    .unwrap_or_else(|| item.repo.clone());
                let (subscriptions, freshness) = self
                    .caches
                    .subscriptions(api, &repo, cc.tracking_issue)
                    .await?;
                crate::metrics::cache("tracking_issue", freshness);
                Some(subscriptions)
            }
            _ => None,
        };
        let files = match needs.changed_files {
            true => Some(api.pull_files(&item.repo, item.number).await?),
            false => None,
        };
        let head_rules = match (&files, &item.pull) {
            (Some(files), Some(pull)) if plan::changes_rules(item, files) => {
                match api
                    .file(&item.repo, RULES_PATH, Some(&pull.head_sha), None)
                    .await?
                {
                    Fetched::Found { value, .. } => Some(value),
                    Fetched::Missing | Fetched::NotModified => None,
                }
            }
            _ => None,
        };
        // Only the access the plan reads: the sender's for a label, the
        // author's for new commits.
        let trust = match needs.trust {
            Whose::Nobody => None,
            Whose::Sender => Some(Trust {
                author_can_write: false,
                sender_can_write: api
                    .access(&item.repo, &item.sender.login)
                    .await?
                    .can_write(),
            }),
            Whose::Author => Some(Trust {
                author_can_write: api.access(&item.repo, &item.author).await?.can_write(),
                sender_can_write: false,
            }),
        };
        Ok(Facts {
            subscriptions,
            files,
            head_rules,
            trust,
        })
    }
}

/// What the planner reads besides the event and the rules.
struct Facts {
    subscriptions: Option<Arc<Subscriptions>>,
    files: Option<Vec<String>>,
    head_rules: Option<String>,
    trust: Option<Trust>,
}

//! What a rules change would do, before it lands: the old and the new
//! rules planned against the repository's last updated issues and pull
//! requests, each as if it had just been opened carrying the labels people
//! gave it (the labels it has now, less those the bot added: what the old
//! rules added is what a change may take away), and every item whose
//! outcome differs, with the reasons.
//!
//! Reads only, and few: one list of the items; per labelled item its
//! events (who added which label); per pull request its head and its
//! changed files; the tracking issue through the cache. Every other fact a
//! plan may ask for (someone's access, a team, who removed a label,
//! reviewers' load) is taken as nobody and nothing, the same for both rule
//! sets, so a difference is the rules' own. At the default 30 items that
//! is at most 91 requests, under 2% of an installation's 5,000 an hour;
//! `MAX_BACKTEST_ITEMS` (100) caps it at 301.

use std::collections::BTreeMap;

use crate::cache::Caches;
use crate::config::Ruleset;
use crate::event::{Actor, Edits, ItemAction, ItemEvent, ItemKind, RepoName};
use crate::github::{GitHubError, OpenItem, Session};
use crate::limits::MAX_BACKTEST_ITEMS;
use crate::plan::{self, compare, Backtest, FactSource, Facts, ItemDifference, Needs};

/// A backtest from a terminal (`probot plan --backtest`): the session of
/// the repository's installation (or the token), then [`backtest`].
///
/// `old`: the rules to compare with; `None` for the repository's own, as
/// the bot reads them (with their base, or the organization's).
pub async fn of_repository(
    client: &crate::github::GitHub,
    repo: &RepoName,
    old: Option<&Ruleset>,
    new: &Ruleset,
    count: usize,
    bot: &str,
) -> Result<Backtest, GitHubError> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(600);
    let installation = client.installation_of(repo, deadline).await?;
    let api = client.api(installation, deadline)?;
    let caches = Caches::default();
    let in_force = match old {
        Some(_) => None,
        None => match caches.rules(&api, repo).await? {
            crate::cache::LoadedRules::Loaded(rules) => Some(rules),
            _ => Some(std::sync::Arc::new(Ruleset::default())),
        },
    };
    let old = old.or(in_force.as_deref()).unwrap_or(new);
    backtest(&api, &caches, repo, old, new, count, bot).await
}

/// Plans `count` recent items (at most `MAX_BACKTEST_ITEMS`) with both rule
/// sets.
pub(crate) async fn backtest(
    api: &Session,
    caches: &Caches,
    repo: &RepoName,
    old: &Ruleset,
    new: &Ruleset,
    count: usize,
    bot: &str,
) -> Result<Backtest, GitHubError> {
    let items = api
        .recent_items(repo, count.clamp(1, MAX_BACKTEST_ITEMS))
        .await?;
    let mut backtest = Backtest {
        items: items.len(),
        differing: Vec::new(),
    };
    for mut item in items {
        if !item.snapshot.labels.is_empty() {
            let history = api.history(repo, item.number).await?;
            let mut adders = BTreeMap::new();
            for event in history.labels.iter().filter(|e| e.added) {
                adders.insert(event.label.as_str(), event.actor.as_str());
            }
            item.snapshot.labels.retain(|label| {
                !adders
                    .get(label.as_str())
                    .is_some_and(|who| who.eq_ignore_ascii_case(bot))
            });
        }
        let event = arrived(api, repo, &item).await?;
        let mut source = Recorded {
            api,
            caches,
            item: &event,
        };
        let mut facts = Facts::default();
        let mut decisions = Vec::new();
        for rules in [old, new] {
            facts = plan::settle(&mut source, facts, |facts| {
                plan::needs(&event, rules, facts, bot)
            })
            .await
            .map_err(|error| match error {
                plan::SettleError::Source(error) => error,
                unsettled => GitHubError::Decode(unsettled.to_string()),
            })?;
            decisions.push(plan::decide(&event, rules, &facts, bot));
        }
        let changes = compare(&decisions[0], &decisions[1]);
        if !changes.is_empty() {
            backtest.differing.push(ItemDifference {
                number: item.number,
                title: item.title,
                changes,
            });
        }
    }
    Ok(backtest)
}

/// The item as if it had just been opened, by its author, with the labels
/// it has now.
async fn arrived(
    api: &Session,
    repo: &RepoName,
    item: &OpenItem,
) -> Result<ItemEvent, GitHubError> {
    let pull = match item.is_pull {
        true => Some(api.pull_head(repo, item.number).await?),
        false => None,
    };
    Ok(ItemEvent {
        kind: match item.is_pull {
            true => ItemKind::PullRequest,
            false => ItemKind::Issue,
        },
        action: ItemAction::Opened,
        repo: repo.clone(),
        installation: None,
        number: item.number,
        title: item.title.clone(),
        body: item.snapshot.body.clone(),
        author: item.snapshot.author.clone(),
        association: item.association.clone(),
        edits: Edits::default(),
        labels: item.snapshot.labels.clone(),
        open: item.snapshot.open,
        sender: Actor {
            login: item.snapshot.author.clone(),
        },
        pull,
        replay_of: None,
    })
}

/// The facts of a backtest: the changed files and the tracking issue as
/// they are; everything else as nobody and nothing (see the module's
/// docs).
struct Recorded<'a> {
    api: &'a Session,
    caches: &'a Caches,
    item: &'a ItemEvent,
}

impl FactSource for Recorded<'_> {
    type Error = GitHubError;

    async fn read(&mut self, needs: Needs, facts: &mut Facts) -> Result<(), GitHubError> {
        let (api, item) = (self.api, self.item);
        if needs.changed_files {
            facts.changed_files = Some(api.pull_files(&item.repo, item.number).await?);
        }
        if let Some(issue) = &needs.tracking_issue {
            let subscriptions = self
                .caches
                .subscriptions(api, &issue.repo, issue.number)
                .await?;
            facts.subscriptions = Some(subscriptions);
        }
        // The rest is not known of the past: no rules file at the head, no
        // access, nobody around, as the plan takes GitHub saying "none".
        facts.assume_nothing(needs);
        Ok(())
    }
}

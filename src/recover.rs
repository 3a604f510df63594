//! Catching up after downtime. The bot keeps no state, so what it missed
//! is recovered from GitHub: failed webhook deliveries are redelivered, and
//! the level-based state of open items is reconciled with the rules.

use crate::event::IssueNumber;
use std::collections::BTreeMap;

use tokio::time::{Duration, Instant};

use crate::apply::{self, Write};
use crate::bot::HandleError;
use crate::cache::{Caches, LoadedRules};
use crate::event::{Actor, ItemEvent, ItemKind, RepoName};
use crate::facts::GitHubFacts;
use std::sync::Arc;

use crate::config::Ruleset;
use crate::github::{GitHub, GitHubError, HookDelivery, OpenItem, Session};
use crate::plan::cc::Subscriptions;
use crate::plan::{self, Action, Facts};

/// The deliveries to ask again for: the latest attempt of each delivery
/// (by GUID) none of whose attempts succeeded, unless it failed for good:
/// a 4xx (a payload the bot refused, a bad signature) would fail the same
/// way again. A timeout (408), a rate limit (429), a 5xx or no answer at
/// all (0: the bot was down) may pass next time.
pub fn to_redeliver(deliveries: &[HookDelivery]) -> Vec<&HookDelivery> {
    let for_good = |d: &HookDelivery| {
        (400..500).contains(&d.status_code) && !matches!(d.status_code, 408 | 429)
    };
    let mut by_guid: BTreeMap<&str, Vec<&HookDelivery>> = BTreeMap::new();
    for delivery in deliveries {
        by_guid.entry(&delivery.guid).or_default().push(delivery);
    }
    let mut failed: Vec<&HookDelivery> = by_guid
        .into_values()
        .filter(|attempts| !attempts.iter().any(|a| (200..300).contains(&a.status_code)))
        .filter_map(|attempts| attempts.into_iter().max_by_key(|a| a.id))
        .filter(|latest| !for_good(latest))
        .collect();
    failed.sort_by_key(|d| d.id);
    failed
}

/// What `redeliver` chose, and which of those GitHub would not redeliver.
#[derive(Debug, Default)]
pub struct Redelivered {
    pub chosen: Vec<HookDelivery>,
    /// Deliveries whose redelivery failed, with why; the others were asked
    /// for all the same.
    pub failed: Vec<(HookDelivery, GitHubError)>,
}

/// Lists the App's deliveries since `since` (RFC 3339, UTC) and redelivers
/// the failed ones, unless `dry_run`. A redelivery that fails does not stop
/// the rest.
pub async fn redeliver(
    client: &GitHub,
    since: &str,
    dry_run: bool,
) -> Result<Redelivered, GitHubError> {
    let api = client.app_api(Instant::now() + Duration::from_secs(300))?;
    let deliveries = api.hook_deliveries(since, 10_000).await?;
    let chosen: Vec<HookDelivery> = to_redeliver(&deliveries).into_iter().cloned().collect();
    let mut failed = Vec::new();
    if !dry_run {
        for delivery in &chosen {
            if let Err(error) = api.redeliver(delivery.id).await {
                failed.push((delivery.clone(), error));
            }
        }
    }
    Ok(Redelivered { chosen, failed })
}

/// Redelivers, every `every`, the App's deliveries that failed since the
/// last sweep and were not redelivered by a sweep before (each delivery
/// once, remembered for three days; in Redis with replicas, where one
/// replica sweeps each period). Permanent failures (4xx) are left, as
/// `redeliver` leaves them. Runs until the process stops.
pub async fn sweep_forever(
    client: GitHub,
    every: Duration,
    shared: Option<Arc<crate::shared::Shared>>,
) {
    let mut redelivered_here = std::collections::HashSet::new();
    loop {
        tokio::time::sleep(every).await;
        if let Some(shared) = &shared {
            match shared.sweep_turn(every).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::warn!(%error, "can't take the redelivery sweep's turn in Redis");
                    continue;
                }
            }
        }
        // Twice the period: a sweep that ran late misses nothing.
        let since = (chrono::Utc::now()
            - chrono::Duration::from_std(every * 2).unwrap_or(chrono::Duration::hours(1)))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
        match sweep(&client, &since, shared.as_deref(), &mut redelivered_here).await {
            Ok(0) => tracing::debug!(since, "redelivery sweep: nothing failed"),
            Ok(count) => tracing::info!(
                since,
                count,
                "redelivery sweep: asked GitHub to redeliver failed deliveries"
            ),
            Err(error) => {
                tracing::warn!(%error, since, "redelivery sweep failed; the next one tries again")
            }
        }
    }
}

async fn sweep(
    client: &GitHub,
    since: &str,
    shared: Option<&crate::shared::Shared>,
    redelivered_here: &mut std::collections::HashSet<String>,
) -> Result<usize, GitHubError> {
    let api = client.app_api(Instant::now() + Duration::from_secs(120))?;
    let deliveries = api.hook_deliveries(since, 10_000).await?;
    let mut count = 0;
    for delivery in to_redeliver(&deliveries) {
        let first = match shared {
            Some(shared) => shared
                .first_redelivery(&delivery.guid)
                .await
                .unwrap_or(false),
            None => redelivered_here.insert(delivery.guid.clone()),
        };
        if !first {
            continue;
        }
        match api.redeliver(delivery.id).await {
            Ok(()) => count += 1,
            Err(error) => tracing::warn!(%error, guid = %delivery.guid, "could not redeliver"),
        }
    }
    // Forget deliveries past GitHub's three-day log.
    if redelivered_here.len() > 100_000 {
        redelivered_here.clear();
    }
    Ok(count)
}

/// The issue and pull request deliveries since `since` (RFC 3339, UTC)
/// that a bot answered 202 (queued) and so may not have finished, each
/// once, oldest first, as events to handle again: what a bot restarted
/// after a crash replays. Each event is marked with when it was first
/// delivered, so its plan undoes no change a person made since.
pub async fn replayable(
    client: &GitHub,
    since: &str,
) -> Result<Vec<(String, ItemEvent)>, GitHubError> {
    let api = client.app_api(Instant::now() + Duration::from_secs(300))?;
    let deliveries = api.hook_deliveries(since, 10_000).await?;
    let mut seen = std::collections::HashSet::new();
    let mut chosen: Vec<&HookDelivery> = deliveries
        .iter()
        .filter(|d| d.status_code == 202 && matches!(d.event.as_str(), "issues" | "pull_request"))
        .filter(|d| seen.insert(d.guid.clone()))
        .collect();
    chosen.sort_by_key(|d| d.id);
    let mut events = Vec::new();
    for delivery in chosen {
        let payload = api.hook_delivery_payload(delivery.id).await?;
        let bytes = serde_json::to_vec(&payload).unwrap_or_default();
        // A payload that no longer parses is skipped; the rest still count.
        if let Ok(crate::event::Event::Item(mut item)) =
            crate::event::parse(&delivery.event, &bytes)
        {
            item.replay_of = Some(delivery.delivered_at.clone());
            events.push((delivery.guid.clone(), item));
        }
    }
    Ok(events)
}

/// What reconcile did (or, dry, would do) to one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub number: IssueNumber,
    pub actions: Vec<Action>,
    pub writes: Vec<Write>,
    /// Why the item could not be brought in line, when it could not; the
    /// other items were all the same.
    pub error: Option<String>,
}

/// Brings the cc lines and CI tags of `repo`'s open items in line with
/// its rules.
pub async fn reconcile(
    client: &GitHub,
    bot: &str,
    repo: &RepoName,
    dry_run: bool,
) -> Result<Vec<Reconciled>, GitHubError> {
    let deadline = Instant::now() + Duration::from_secs(600);
    let installation = client.installation_of(repo, deadline).await?;
    let api = client.api(installation, deadline)?;
    let caches = Caches::default();
    let ruleset = match caches.rules(&api, repo).await? {
        LoadedRules::Loaded(ruleset) => ruleset,
        LoadedRules::Missing | LoadedRules::Invalid => return Ok(Vec::new()),
    };
    let mut results = Vec::new();
    // Read once for every item, not revalidated per item.
    let mut subscriptions = None;
    for open in api.open_items(repo).await? {
        let number = open.number;
        let item = Item {
            session: &api,
            caches: &caches,
            ruleset: &ruleset,
            bot,
            installation,
            dry_run,
        };
        let reconciled = match item.reconcile(repo, open, &mut subscriptions).await {
            Ok(reconciled) => reconciled,
            Err(error) => Reconciled {
                number,
                actions: Vec::new(),
                writes: Vec::new(),
                error: Some(error.to_string()),
            },
        };
        results.push(reconciled);
    }
    Ok(results)
}

/// What reconciling one item needs.
struct Item<'a> {
    session: &'a Session,
    caches: &'a Caches,
    ruleset: &'a Ruleset,
    bot: &'a str,
    installation: Option<u64>,
    dry_run: bool,
}

impl Item<'_> {
    async fn reconcile(
        &self,
        repo: &RepoName,
        open: OpenItem,
        subscriptions: &mut Option<Arc<Subscriptions>>,
    ) -> Result<Reconciled, HandleError> {
        let api = self.session;
        let pull = match open.is_pull {
            true => Some(api.pull_head(repo, open.number).await?),
            false => None,
        };
        let item = ItemEvent {
            kind: if open.is_pull {
                ItemKind::PullRequest
            } else {
                ItemKind::Issue
            },
            action: crate::event::ItemAction::Reopened,
            repo: repo.clone(),
            installation: self.installation,
            number: open.number,
            title: String::new(),
            body: open.snapshot.body.clone(),
            association: String::new(),
            edits: Default::default(),
            author: open.snapshot.author.clone(),
            labels: open.snapshot.labels.clone(),
            open: true,
            sender: Actor {
                login: self.bot.into(),
            },
            pull,
            replay_of: None,
        };
        // The tracking issue is read once for every item.
        let known = Facts {
            subscriptions: subscriptions.clone(),
            ..Facts::default()
        };
        let mut source = GitHubFacts {
            api,
            caches: self.caches,
            item: &item,
            rules: self.ruleset,
            bot: self.bot,
        };
        let facts = plan::settle(&mut source, known, |facts| {
            plan::reconcile_needs(&item, self.ruleset, facts, self.bot)
        })
        .await?;
        subscriptions.clone_from(&facts.subscriptions);
        let actions = plan::reconcile(&item, self.ruleset, &facts, self.bot);
        let writes = match (self.dry_run, actions.is_empty()) {
            (false, false) => {
                let target = apply::Target {
                    api,
                    repo: &item.repo,
                    number: item.number,
                    bot: self.bot,
                };
                apply::apply(&target, &actions, Some(&open.snapshot)).await?
            }
            _ => Vec::new(),
        };
        Ok(Reconciled {
            number: open.number,
            actions,
            writes,
            error: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(id: u64, guid: &str, status_code: u16) -> HookDelivery {
        HookDelivery {
            id,
            guid: guid.into(),
            delivered_at: "2026-11-27T10:00:00Z".into(),
            status_code,
            event: "issues".into(),
            action: Some("labeled".into()),
            redelivery: false,
        }
    }

    #[test]
    fn only_deliveries_that_never_succeeded_are_redelivered_once() {
        let deliveries = vec![
            attempt(1, "a", 502),
            attempt(2, "a", 200), // redelivered and fine since
            attempt(3, "b", 0),   // the bot was down
            attempt(4, "b", 503),
            attempt(5, "c", 202),
            attempt(6, "d", 400), // a payload refused: it would be again
            attempt(7, "e", 401), // a bad signature
            attempt(8, "f", 429), // a rate limit passes
            attempt(9, "g", 503),
            attempt(10, "g", 408), // a timeout passes too
        ];
        let chosen: Vec<u64> = to_redeliver(&deliveries).iter().map(|d| d.id).collect();
        assert_eq!(chosen, [4, 8, 10]);
    }
}

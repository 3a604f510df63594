//! GitHub as the source of an item's facts, for the bot and `reconcile`:
//! what `plan::needs` asks for, read at once where the reads are
//! independent (`plan::settle` runs the rounds). Reads only.

use std::sync::Arc;

use crate::cache::Caches;
use crate::config::{Ruleset, RULES_PATH};
use crate::event::ItemEvent;
use crate::github::{Fetched, GitHubError, Session};
use crate::plan::{self, Facts, Needs};

/// GitHub as the source of an item's facts: the bot's and `reconcile`'s.
pub(crate) struct GitHubFacts<'a> {
    pub api: &'a Session,
    pub caches: &'a Caches,
    pub item: &'a ItemEvent,
    /// The rules in force, and the bot's login: what a backtest compares a
    /// pull request's rules with, and plans as.
    pub rules: &'a Ruleset,
    pub bot: &'a str,
}

impl plan::FactSource for GitHubFacts<'_> {
    type Error = GitHubError;

    async fn read(&mut self, needs: Needs, facts: &mut Facts) -> Result<(), GitHubError> {
        if let Some(count) = needs.backtest {
            // Needs the rules at the head, read in an earlier round.
            let new = facts
                .rules_at_head
                .clone()
                .flatten()
                .and_then(|review| review.ruleset().cloned());
            let backtest = match new {
                Some(new) => {
                    let item = self.item;
                    // Boxed: a rare, large future kept off the delivery's.
                    Box::pin(crate::backtest::backtest(
                        self.api,
                        self.caches,
                        &item.repo,
                        self.rules,
                        &new,
                        count,
                        self.bot,
                    ))
                    .await?
                }
                None => plan::Backtest::default(),
            };
            facts.backtest = Some(Arc::new(backtest));
        }
        if needs.rules_users {
            facts.rules_users = Some(Box::pin(rules_users(self.api, &self.item.repo.owner)).await?);
        }
        read_facts(self.api, self.caches, self.item, needs, facts).await
    }
}

/// Reads what `needs` asks for into `facts`, the independent reads at once.
/// Shared by the bot and `reconcile`.
pub(crate) async fn read_facts(
    api: &Session,
    caches: &Caches,
    item: &ItemEvent,
    needs: Needs,
    facts: &mut Facts,
) -> Result<(), GitHubError> {
    let subscriptions = async {
        match &needs.tracking_issue {
            None => Ok(None),
            Some(issue) => {
                let subscriptions = caches.subscriptions(api, &issue.repo, issue.number).await?;
                Ok::<_, GitHubError>(Some(subscriptions))
            }
        }
    };
    let files = async {
        match needs.changed_files {
            false => Ok(None),
            true => api.pull_files(&item.repo, item.number).await.map(Some),
        }
    };
    let rules_at_head = async {
        match &needs.rules_at {
            None => Ok::<_, GitHubError>(None),
            Some(sha) => match api
                .file(&item.repo, RULES_PATH, Some(sha.as_str()), None)
                .await?
            {
                Fetched::Found { value, .. } => {
                    Ok(Some(Some(caches.head_review(&item.repo, value).await)))
                }
                Fetched::Missing | Fetched::NotModified => Ok(Some(None)),
            },
        }
    };
    // One person, or none, in practice: read in turn.
    let access = async {
        let mut access = Vec::new();
        for login in &needs.write_access {
            access.push((login, api.access(&item.repo, login).await?.can_write()));
        }
        Ok::<_, GitHubError>(access)
    };
    // A replay's own time, or the re-add guard's window back from now.
    let since = needs.label_removals_since.clone().or_else(|| {
        needs.label_removals_within.map(|secs| {
            // At most a year (`check` refuses more), so this cannot overflow.
            let window =
                chrono::Duration::try_seconds(secs.min(366 * 86_400) as i64).unwrap_or_default();
            let at = chrono::Utc::now() - window;
            at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        })
    });
    // One read of the item's events answers every question asked of them.
    let history = async {
        match since.is_some() || needs.label_adders || needs.people {
            false => Ok(None),
            true => api.history(&item.repo, item.number).await.map(Some),
        }
    };
    // A rule names one team or two: read in turn.
    let teams = async {
        let mut teams = Vec::new();
        for team in &needs.author_teams {
            teams.push((team, api.team_member(team, &item.author).await?));
        }
        Ok::<_, GitHubError>(teams)
    };
    // Boxed: joined inline, these reads made the delivery's future too
    // large for a thread's stack in debug builds.
    let people = Box::pin(read_people(api, item, &needs));
    let (subscriptions, files, rules_at_head, access, history, teams, people) = tokio::join!(
        subscriptions,
        files,
        rules_at_head,
        access,
        history,
        teams,
        people
    );
    let PeopleRead {
        around,
        members,
        load,
    } = people?;
    for (team, member) in teams? {
        facts.author_teams.insert(team.clone(), member);
    }
    facts.team_members.extend(members);
    facts.load.extend(load);
    let history = history?;
    if let Some(around) = around {
        facts.people = Some(plan::People {
            requested: around.requested,
            assigned: around.assigned,
            reviewed: around.reviewed,
            taken_off: history
                .as_ref()
                .map(|h| h.taken_off.clone())
                .unwrap_or_default(),
        });
    }
    let history = history.map(|h| h.labels);
    let removed = history
        .as_ref()
        .zip(since.as_deref())
        .map(|(events, since)| {
            events
                .iter()
                .filter(|e| !e.added && e.at.as_str() >= since)
                .map(|e| e.label.clone())
                .collect::<Vec<_>>()
        });
    if needs.label_adders {
        // The last `labeled` event of a label says who added it.
        facts.label_adders = history.as_ref().map(|events| {
            events
                .iter()
                .filter(|e| e.added)
                .map(|e| (e.label.clone(), e.actor.clone()))
                .collect()
        });
    }
    if let Some(removed) = removed {
        facts.labels_removed = Some(removed);
    }
    if let Some(subscriptions) = subscriptions? {
        facts.subscriptions = Some(subscriptions);
    }
    if let Some(files) = files? {
        facts.changed_files = Some(files);
    }
    if let Some(rules) = rules_at_head? {
        facts.rules_at_head = Some(rules);
    }
    for (login, can_write) in access? {
        facts.set_write_access(login, can_write);
    }
    Ok(())
}

/// Which of the installation's repositories use the organization's rules:
/// those without a rules file, and those that extend them; one read each,
/// of at most `MAX_RULES_USERS_READ`.
async fn rules_users(api: &Session, owner: &str) -> Result<plan::RulesUsers, GitHubError> {
    use crate::limits::MAX_RULES_USERS_READ;
    let organization = crate::config::RulesRef::organization(owner);
    let listed = api
        .installation_repositories(MAX_RULES_USERS_READ + 1)
        .await?;
    let more = listed.len() > MAX_RULES_USERS_READ;
    let mut users = plan::RulesUsers {
        more,
        ..plan::RulesUsers::default()
    };
    for full in listed.iter().take(MAX_RULES_USERS_READ) {
        let Some(repo) = crate::event::RepoName::parse(full) else {
            continue;
        };
        if repo.name == crate::config::ORGANIZATION_REPO {
            continue;
        }
        users.read += 1;
        let uses = match api.file(&repo, RULES_PATH, None, None).await? {
            Fetched::Missing => repo.owner.eq_ignore_ascii_case(owner),
            Fetched::Found { value, .. } => crate::config::extends_of(&value)
                .and_then(|e| crate::config::RulesRef::extended(&e, &repo.owner))
                .is_some_and(|base| base == organization),
            Fetched::NotModified => false,
        };
        if uses {
            users.repositories.push(full.clone());
        }
    }
    Ok(users)
}

/// What picking reviewers and assignees read: who is around the item (when
/// asked), the teams' members, and people's load.
struct PeopleRead {
    around: Option<crate::github::Around>,
    members: Vec<(String, Vec<String>)>,
    load: Vec<((crate::config::Role, String), u64)>,
}

/// Reads for picking reviewers and assignees, at once.
async fn read_people(
    api: &Session,
    item: &ItemEvent,
    needs: &Needs,
) -> Result<PeopleRead, GitHubError> {
    let around = async {
        let is_pull = item.kind == crate::event::ItemKind::PullRequest;
        match needs.people {
            false => Ok(None),
            true => api.around(&item.repo, item.number, is_pull).await.map(Some),
        }
    };
    // A rule names a team or two: read in turn.
    let members = async {
        let mut members = Vec::new();
        for team in &needs.team_members {
            members.push((team.clone(), api.team_members(team).await?));
        }
        Ok::<_, GitHubError>(members)
    };
    // One search per person, in turn: GitHub allows 30 a minute, and a
    // burst of them is what its secondary limits punish.
    let load = async {
        let mut load = Vec::new();
        for (role, login) in &needs.load {
            load.push((
                (*role, login.clone()),
                api.load(&item.repo, *role, login).await?,
            ));
        }
        Ok::<_, GitHubError>(load)
    };
    let (around, members, load) = tokio::join!(around, members, load);
    Ok(PeopleRead {
        around: around?,
        members: members?,
        load: load?,
    })
}

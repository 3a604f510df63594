//! Picking reviewers and assignees for the rules that ask for them
//! (`request_reviewers`, `assign`): an effect of a rule, like its labels,
//! so `labels.rs` hands over the rules that fired and this file decides
//! whom they pick.
//!
//! A rule picks among its people (teams stand for their members), less the
//! author and the bot. People it is already "done" with count as picked:
//! those asked (or assigned), those who reviewed, and those a person took
//! off (the re-add guard: nobody is asked again after a maintainer removed
//! the request, and nobody else in their place). The rest are ordered by
//! their open requests in the repository (read only when there is a choice
//! to make, or a `max_load`), ties broken by a hash of the item and the
//! login: the same item picks the same people on every delivery, while
//! different items spread over equals.
//!
//! Races: the plan is made on what was read; `apply.rs` reads who is asked
//! just before writing and asks only as many as are still missing
//! ([`Ask::still_to_ask`]), so two copies of the bot, or a person asking
//! meanwhile, don't make a rule ask for more than its `count`.

use crate::event::IssueNumber;
use std::collections::BTreeSet;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Action, Decision, Facts, Needs, Situation};
use crate::config::{Pick, Role};
use crate::event::{ItemEvent, ItemKind};
use crate::limits::MAX_PICK_CANDIDATES;

/// The people around an item, as read before picking. Logins as GitHub
/// spells them; compared without case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct People {
    /// Asked to review, and not yet reviewed.
    pub requested: Vec<String>,
    pub assigned: Vec<String>,
    /// Submitted a review.
    pub reviewed: Vec<String>,
    /// Review requests and assignments taken off, and by whom.
    pub taken_off: Vec<TakenOff>,
}

/// A review request or an assignment taken off, as the item's events say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenOff {
    pub role: Role,
    pub login: String,
    /// Who took it off.
    pub by: String,
}

impl People {
    /// Those a rule picking for `role` is done with: asked, reviewed, or
    /// taken off by a person.
    fn done<'p>(&'p self, role: Role, bot: &'p str) -> impl Iterator<Item = &'p String> {
        let (now, before): (&[String], &[String]) = match role {
            Role::Reviewer => (&self.requested, &self.reviewed),
            Role::Assignee => (&self.assigned, &[]),
        };
        let taken_off = self
            .taken_off
            .iter()
            .filter(move |t| t.role == role && !t.by.eq_ignore_ascii_case(bot))
            .map(|t| &t.login);
        now.iter().chain(before).chain(taken_off)
    }

    /// Those asked (or assigned) now.
    fn asked(&self, role: Role) -> &[String] {
        match role {
            Role::Reviewer => &self.requested,
            Role::Assignee => &self.assigned,
        }
    }
}

/// People to ask to review (or to assign): as many of `people` as are
/// still missing when written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ask {
    /// The pull request or issue.
    pub number: IssueNumber,
    /// Whom to ask, best first.
    pub people: Vec<String>,
    /// Every candidate of the rule, lowercased: one of them asked by
    /// someone else after the plan stands in for one of `people`.
    pub among: Vec<String>,
    /// Those of `among` already asked when planned, lowercased.
    pub asked: Vec<String>,
}

impl Ask {
    /// Whom to ask, given who is asked now (read just before writing).
    pub fn still_to_ask(&self, now: &[String]) -> Vec<String> {
        let now: BTreeSet<String> = now.iter().map(|l| l.to_lowercase()).collect();
        let late = self
            .among
            .iter()
            .filter(|l| now.contains(*l) && !self.asked.contains(l))
            .count();
        self.people
            .iter()
            .filter(|l| !now.contains(&l.to_lowercase()))
            .take(self.people.len().saturating_sub(late))
            .cloned()
            .collect()
    }
}

/// A rule that fired with people to pick, and why it fired.
pub(super) struct Fired<'r> {
    pub pick: &'r Pick,
    pub why: String,
}

/// What picking needs read: the people around the item and the rules'
/// teams first, then the load of those there is a choice between.
pub(super) fn needs(situation: &Situation<'_>, fired: &[Fired<'_>]) -> Needs {
    fired
        .iter()
        .filter_map(|f| match choose(situation, f.pick) {
            Choice::Read(needs) => Some(needs),
            _ => None,
        })
        .fold(Needs::default(), Needs::union)
}

/// The asks of the rules that fired, each with why.
pub(super) fn decide(situation: &Situation<'_>, fired: &[Fired<'_>]) -> Vec<Decision> {
    let mut decisions = Vec::new();
    for f in fired {
        let Choice::Ask { ask, why } = choose(situation, f.pick) else {
            continue;
        };
        let action = match f.pick.role {
            Role::Reviewer => Action::RequestReviewers(ask),
            Role::Assignee => Action::Assign(ask),
        };
        decisions.push(Decision::one(action, format!("{}; {why}", f.why)));
    }
    decisions
}

enum Choice {
    /// Nobody to ask.
    Nobody,
    /// Reading these tells.
    Read(Needs),
    Ask {
        ask: Ask,
        why: String,
    },
}

fn choose(situation: &Situation<'_>, pick: &Pick) -> Choice {
    let (item, facts) = (situation.item, situation.facts);
    if pick.role == Role::Reviewer && item.kind != ItemKind::PullRequest {
        return Choice::Nobody;
    }
    let unread_teams: BTreeSet<String> = pick
        .teams
        .iter()
        .filter(|t| !facts.team_members.contains_key(*t))
        .cloned()
        .collect();
    let Some(people) = facts.people.as_ref().filter(|_| unread_teams.is_empty()) else {
        return Choice::Read(Needs {
            people: facts.people.is_none(),
            team_members: unread_teams,
            ..Needs::default()
        });
    };
    let lower = |l: &String| l.to_lowercase();
    let done: BTreeSet<String> = people.done(pick.role, situation.bot).map(lower).collect();
    let mut candidates = candidates(pick, facts, item, situation.bot);
    let among: Vec<String> = candidates.iter().map(lower).collect();
    let finished = among.iter().filter(|l| done.contains(*l)).count();
    let wanted = match pick.count {
        Some(count) => count.saturating_sub(finished),
        None => usize::MAX,
    };
    candidates.retain(|l| !done.contains(&lower(l)));
    candidates.truncate(MAX_PICK_CANDIDATES);
    if wanted == 0 || candidates.is_empty() {
        return Choice::Nobody;
    }
    // The load tells only when there is a choice, or a limit.
    let weighed = pick.max_load.is_some() || wanted < candidates.len();
    if weighed {
        let unread: BTreeSet<(Role, String)> = candidates
            .iter()
            .map(|l| (pick.role, lower(l)))
            .filter(|key| !facts.load.contains_key(key))
            .collect();
        if !unread.is_empty() {
            return Choice::Read(Needs {
                load: unread,
                ..Needs::default()
            });
        }
    }
    let load = |login: &String| facts.load.get(&(pick.role, lower(login))).copied();
    let mut over = Vec::new();
    if let Some(max) = pick.max_load {
        let (under, at_max): (Vec<String>, Vec<String>) = candidates
            .into_iter()
            .partition(|l| load(l).is_some_and(|n| n < max));
        candidates = under;
        over = at_max;
    }
    // Stable: equal loads keep the item's own order.
    candidates.sort_by_key(|l| load(l).unwrap_or(0));
    let ranked: Vec<String> = candidates
        .iter()
        .map(|l| match load(l) {
            Some(n) => format!("{l} ({n})"),
            None => l.clone(),
        })
        .collect();
    let chosen: Vec<String> = candidates.into_iter().take(wanted).collect();
    if chosen.is_empty() {
        return Choice::Nobody;
    }
    let mut why = match weighed {
        true => format!(
            "picked {} by fewest open {}: {}",
            listed(&chosen),
            match pick.role {
                Role::Reviewer => "review requests",
                Role::Assignee => "assignments",
            },
            ranked.join(", ")
        ),
        false => format!("picked {}: every candidate not asked yet", listed(&chosen)),
    };
    if finished > 0 {
        why.push_str(&format!(
            "; {finished} counted as picked (asked, reviewed, or taken off by a person)"
        ));
    }
    if !over.is_empty() {
        why.push_str(&format!("; at their limit: {}", listed(&over)));
    }
    let asked = people
        .asked(pick.role)
        .iter()
        .map(lower)
        .collect::<BTreeSet<_>>();
    Choice::Ask {
        ask: Ask {
            number: item.number,
            people: chosen,
            asked: among
                .iter()
                .filter(|l| asked.contains(*l))
                .cloned()
                .collect(),
            among,
        },
        why,
    }
}

/// The rule's people, teams expanded, without the author and the bot, each
/// once, in this item's own order.
fn candidates(pick: &Pick, facts: &Facts, item: &ItemEvent, bot: &str) -> Vec<String> {
    let members = pick
        .teams
        .iter()
        .flat_map(|team| facts.team_members.get(team).into_iter().flatten());
    let mut seen = BTreeSet::new();
    let mut people: Vec<String> = pick
        .logins
        .iter()
        .chain(members)
        .filter(|l| !l.eq_ignore_ascii_case(&item.author) && !l.eq_ignore_ascii_case(bot))
        .filter(|l| seen.insert(l.to_lowercase()))
        .cloned()
        .collect();
    people.sort_by_cached_key(|login| order(item, login));
    people
}

/// A person's place among equals for this item: the same on every
/// delivery, different from item to item.
fn order(item: &ItemEvent, login: &str) -> [u8; 8] {
    let digest = Sha256::new()
        .chain_update(item.repo.to_string())
        .chain_update(item.number.0.to_be_bytes())
        .chain_update(login.to_lowercase())
        .finalize();
    let mut first = [0; 8];
    first.copy_from_slice(&digest[..8]);
    first
}

fn listed(logins: &[String]) -> String {
    let named: Vec<String> = logins.iter().map(|l| format!("@{l}")).collect();
    named.join(", ")
}

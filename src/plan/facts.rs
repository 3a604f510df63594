//! What a plan reads before it decides: [`Needs`], the facts the
//! capabilities ask for, and [`Facts`], what was read. Each need has its
//! fact, paired once in `unmet`; `union` and `unmet` take both structs
//! apart field by field, so the compiler keeps them in step, and
//! `settle`'s error names a need no source fills.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::cc::Subscriptions;
use super::{Backtest, HeadReview, IssueRef, People};
use crate::config::Role;

/// The facts a plan needs read first. Each capability says what it needs;
/// the shell reads their union, each fact once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// The subscriptions listed in this tracking issue.
    pub tracking_issue: Option<IssueRef>,
    /// The pull request's changed files.
    pub changed_files: bool,
    /// The rules file at this commit (a pull request's head).
    pub rules_at: Option<crate::event::CommitSha>,
    /// Whether these people (logins) have write access.
    pub write_access: BTreeSet<String>,
    /// The labels a person removed from the item since this time (RFC
    /// 3339): asked for a replayed event only, from the item's events.
    pub label_removals_since: Option<String>,
    /// The labels a person removed from the item within this many seconds
    /// before now (the shell knows the time; the planner does not).
    pub label_removals_within: Option<u64>,
    /// Who last added each of the item's labels, from its events.
    pub label_adders: bool,
    /// Whether the item's author is in these teams (`org/team`).
    pub author_teams: BTreeSet<String>,
    /// Who is asked to review the item, assigned, who reviewed, and whom a
    /// person took off.
    pub people: bool,
    /// The members of these teams (`org/team`).
    pub team_members: BTreeSet<String>,
    /// How many open requests (or assignments) these people (lowercased)
    /// have in the repository.
    pub load: BTreeSet<(Role, String)>,
    /// The old and new rules planned on this many recent items (a pull
    /// request changing the rules).
    pub backtest: Option<usize>,
    /// Which of the installation's repositories use the organization's
    /// rules (a pull request changing them).
    pub rules_users: bool,
}

impl Needs {
    pub fn is_empty(&self) -> bool {
        *self == Needs::default()
    }

    /// Both sets of needs. Destructured field by field, so a new need that
    /// is not merged here does not compile.
    pub(super) fn union(self, other: Needs) -> Needs {
        let Needs {
            tracking_issue,
            changed_files,
            rules_at,
            mut write_access,
            label_removals_since,
            label_removals_within,
            label_adders,
            mut author_teams,
            people,
            mut team_members,
            mut load,
            backtest,
            rules_users,
        } = self;
        write_access.extend(other.write_access);
        author_teams.extend(other.author_teams);
        team_members.extend(other.team_members);
        load.extend(other.load);
        Needs {
            tracking_issue: tracking_issue.or(other.tracking_issue),
            changed_files: changed_files || other.changed_files,
            rules_at: rules_at.or(other.rules_at),
            write_access,
            label_removals_since: label_removals_since.or(other.label_removals_since),
            label_removals_within: label_removals_within.or(other.label_removals_within),
            label_adders: label_adders || other.label_adders,
            author_teams,
            people: people || other.people,
            team_members,
            load,
            backtest: backtest.or(other.backtest),
            rules_users: rules_users || other.rules_users,
        }
    }

    /// What of this is not in `facts` yet. Each need is paired with its
    /// fact here, once; both sides are destructured field by field, so a
    /// need or a fact added without its pair does not compile.
    pub(super) fn unmet(self, facts: &Facts) -> Needs {
        let Needs {
            tracking_issue,
            changed_files,
            rules_at,
            mut write_access,
            label_removals_since,
            label_removals_within,
            label_adders,
            mut author_teams,
            people,
            mut team_members,
            mut load,
            backtest,
            rules_users,
        } = self;
        let Facts {
            subscriptions: read_subscriptions,
            changed_files: read_files,
            rules_at_head: read_rules_at_head,
            write_access: read_access,
            labels_removed: read_removed,
            label_adders: read_adders,
            author_teams: read_teams,
            people: read_people,
            team_members: read_members,
            load: read_load,
            backtest: read_backtest,
            rules_users: read_users,
        } = facts;
        write_access.retain(|login| !read_access.contains_key(&login.to_lowercase()));
        author_teams.retain(|team| !read_teams.contains_key(team));
        team_members.retain(|team| !read_members.contains_key(team));
        load.retain(|key| !read_load.contains_key(key));
        Needs {
            tracking_issue: tracking_issue.filter(|_| read_subscriptions.is_none()),
            changed_files: changed_files && read_files.is_none(),
            rules_at: rules_at.filter(|_| read_rules_at_head.is_none()),
            write_access,
            label_removals_since: label_removals_since.filter(|_| read_removed.is_none()),
            label_removals_within: label_removals_within.filter(|_| read_removed.is_none()),
            label_adders: label_adders && read_adders.is_none(),
            author_teams,
            people: people && read_people.is_none(),
            team_members,
            load,
            backtest: backtest.filter(|_| read_backtest.is_none()),
            rules_users: rules_users && read_users.is_none(),
        }
    }
}

/// What the shell read for a plan, as `needs` asked. A fact not read is
/// `None` (or absent), and the capability that would use it plans nothing
/// that depends on it.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub subscriptions: Option<Arc<Subscriptions>>,
    pub changed_files: Option<Vec<String>>,
    /// The rules file at the pull request's head, checked; `Some(None)`
    /// when the head has none.
    pub rules_at_head: Option<Option<Arc<HeadReview>>>,
    /// Write access by login, lowercased (GitHub logins ignore case).
    pub write_access: BTreeMap<String, bool>,
    /// Labels a person removed from the item: since a replayed event was
    /// first delivered, or within `labels.respect_removals_for`.
    pub labels_removed: Option<Vec<String>>,
    /// Who last added each label: label -> login.
    pub label_adders: Option<BTreeMap<String, String>>,
    /// Whether the author is in each team asked about (`org/team`,
    /// lowercased).
    pub author_teams: BTreeMap<String, bool>,
    /// The people around the item.
    pub people: Option<People>,
    /// Each team's members, as read (`org/team` as asked).
    pub team_members: BTreeMap<String, Vec<String>>,
    /// Open requests (or assignments) per person (lowercased).
    pub load: BTreeMap<(Role, String), u64>,
    /// The rules at a pull request's head against those in force, on
    /// recent items.
    pub backtest: Option<Arc<Backtest>>,
    /// The repositories that use the organization's rules, as far as read.
    pub rules_users: Option<RulesUsers>,
}

/// Which repositories use an organization's rules: those without rules of
/// their own, and those that extend them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesUsers {
    pub repositories: Vec<String>,
    /// Repositories read to find them.
    pub read: usize,
    /// Whether the installation has more than were read.
    pub more: bool,
}

impl Facts {
    /// Answers every need of `needs` not met yet with "nothing known": no
    /// subscriptions, no changed files, no rules file at the head, no write
    /// access, no label removed lately, no adder known, in no team, nobody
    /// around the item, teams without members, no load, an empty backtest,
    /// no repository using the rules. For a source that can't read a fact
    /// (the command line, a recorded history): the plan does what it does
    /// when GitHub says "none". Taken apart field by field, so a new need
    /// says here what knowing nothing about it means, and every source
    /// that calls this answers it.
    pub fn assume_nothing(&mut self, needs: Needs) {
        let Needs {
            tracking_issue,
            changed_files,
            rules_at,
            write_access,
            label_removals_since,
            label_removals_within,
            label_adders,
            author_teams,
            people,
            team_members,
            load,
            backtest,
            rules_users,
        } = needs.unmet(self);
        if tracking_issue.is_some() {
            self.subscriptions = Some(Arc::default());
        }
        if changed_files {
            self.changed_files = Some(Vec::new());
        }
        if rules_at.is_some() {
            self.rules_at_head = Some(None);
        }
        for login in write_access {
            self.set_write_access(&login, false);
        }
        if label_removals_since.is_some() || label_removals_within.is_some() {
            self.labels_removed = Some(Vec::new());
        }
        if label_adders {
            self.label_adders = Some(BTreeMap::new());
        }
        for team in author_teams {
            self.author_teams.insert(team, false);
        }
        if people {
            self.people = Some(People::default());
        }
        for team in team_members {
            self.team_members.insert(team, Vec::new());
        }
        for key in load {
            self.load.insert(key, 0);
        }
        if backtest.is_some() {
            self.backtest = Some(Arc::default());
        }
        if rules_users {
            self.rules_users = Some(RulesUsers::default());
        }
    }

    /// Records whether `login` can write.
    pub fn set_write_access(&mut self, login: &str, can_write: bool) {
        self.write_access.insert(login.to_lowercase(), can_write);
    }

    /// Whether `login` can write, when it was read; unknown counts as no.
    pub(super) fn can_write(&self, login: &str) -> bool {
        self.write_access
            .get(&login.to_lowercase())
            .copied()
            .unwrap_or(false)
    }
}

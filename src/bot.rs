//! The bot: one delivery in, GitHub brought in line with the plan. It
//! names no capability: what to read comes from `plan::needs`, what to do
//! from `plan::decide`, and `apply` writes it.
//!
//! For an issue or pull request event it reads what the planner asks for
//! (rules, subscriptions, changed files, access: independent reads at
//! once), plans, and, when an action says it depends on the item's current
//! state, reads the item fresh and plans again on that, so a duplicate or
//! stale delivery writes nothing. Races it accepts: two copies of the bot
//! handling one event at once may both write; every write is level-based,
//! so they end in the same state.

use std::sync::Arc;

use tokio::time::Instant;

use crate::apply::{self, Write};
use crate::cache::{Caches, LoadedRules};
use crate::commands::{parse_commands, Command, CommandError};
use crate::config::{Ruleset, RULES_PATH};
use crate::event::{CommentEvent, Event, ItemAction, ItemEvent, ItemKind};
use crate::facts::GitHubFacts;
use crate::github::ItemSnapshot;
use crate::github::{Fetched, GitHub, GitHubError, OpenItem, Session};
use crate::label_commands;
use crate::plan::cc::commands as subscribe;
use crate::plan::{self, Action, Facts};

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing for the bot in it; says why.
    Ignored(&'static str),
    /// The repository has no rules file.
    NoRules,
    /// Planned and applied: the writes made (none when all was so
    /// already), and why each action was planned.
    Done {
        writes: Vec<Write>,
        because: Vec<String>,
    },
}

/// A delivery the bot could not handle; GitHub should see it failed.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// A bug: the planner kept asking for a fact nobody reads.
    #[error("{0}")]
    Unsettled(String),
}

impl From<plan::SettleError<GitHubError>> for HandleError {
    fn from(error: plan::SettleError<GitHubError>) -> Self {
        match error {
            plan::SettleError::Source(error) => HandleError::GitHub(error),
            unsettled => HandleError::Unsettled(unsettled.to_string()),
        }
    }
}

pub struct Bot {
    github: GitHub,
    login: String,
    caches: Caches,
    /// Planned with when a repository has no usable rules: still checks
    /// rules files in pull requests.
    no_rules: Arc<Ruleset>,
}

impl Bot {
    /// `login` is the bot's own, as `GitHub::whoami` tells.
    pub fn new(github: GitHub, login: String) -> Self {
        Bot {
            github,
            login,
            caches: Caches::default(),
            no_rules: Arc::new(Ruleset::default()),
        }
    }

    /// Its connection to GitHub.
    pub fn github(&self) -> &GitHub {
        &self.github
    }

    /// Whether the bot acts as a GitHub App (through installations).
    pub fn is_app(&self) -> bool {
        self.github.is_app()
    }

    /// Why the bot has nothing to do with this item event, before reading
    /// anything.
    pub fn ignores(&self, item: &ItemEvent) -> Option<&'static str> {
        plan::ignored(item, &self.login)
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
            Event::Item(item) => match self.ignores(item) {
                Some(reason) => Ok(Outcome::Ignored(reason)),
                None => self.handle_item(item, deadline).await,
            },
            Event::Comment(comment) => self.handle_comment(comment, deadline).await,
        }
    }

    async fn handle_item(
        &self,
        item: &ItemEvent,
        deadline: Instant,
    ) -> Result<Outcome, HandleError> {
        let api = self.github.api(item.installation, deadline)?;
        // Every read at once: the rules are revalidated while the facts are
        // read as the rules last known ask, and the item is read fresh when
        // a plan on what is known would need it. Only when the rules
        // changed are the facts read again.
        let known = self.caches.known_rules(&item.repo);
        let fresh_likely = known
            .as_deref()
            .is_some_and(|ruleset| self.would_need_fresh(item, ruleset));
        let (rules, known_facts, speculative_fresh) = tokio::join!(
            self.caches.rules(&api, &item.repo),
            async {
                match &known {
                    Some(ruleset) => Some(self.gather(&api, item, ruleset).await),
                    None => None,
                }
            },
            async {
                match fresh_likely {
                    true => Some(api.item(&item.repo, item.number, None).await),
                    false => None,
                }
            },
        );
        let (ruleset, has_rules) = match rules? {
            LoadedRules::Loaded(ruleset) => (ruleset, true),
            LoadedRules::Missing | LoadedRules::Invalid => (Arc::clone(&self.no_rules), false),
        };
        let unchanged = known.as_ref().is_some_and(|k| Arc::ptr_eq(k, &ruleset));
        let facts = match (unchanged, known_facts) {
            (true, Some(facts)) => facts?,
            _ => self.gather(&api, item, &ruleset).await?,
        };
        let mut decisions = plan::decide(item, &ruleset, &facts, &self.login);
        if decisions.is_empty() {
            return Ok(match has_rules {
                true => Outcome::Done {
                    writes: Vec::new(),
                    because: Vec::new(),
                },
                false => Outcome::NoRules,
            });
        }

        // The payload may be stale (a duplicate delivery, a label added
        // since): plan again on the item as it is now.
        let fresh = match decisions.iter().any(|d| d.action.needs_fresh_item()) {
            false => None,
            true => match match speculative_fresh {
                Some(read) => read?,
                None => api.item(&item.repo, item.number, None).await?,
            } {
                Fetched::Found { value, .. } => {
                    let now = item.as_now(&value.labels, &value.body, value.open);
                    decisions = plan::decide(&now, &ruleset, &facts, &self.login);
                    Some(value)
                }
                Fetched::Missing | Fetched::NotModified => {
                    return Ok(Outcome::Ignored("the item is gone"))
                }
            },
        };
        let target = apply::Target {
            api: &api,
            repo: &item.repo,
            number: item.number,
            bot: &self.login,
        };
        let because = decisions.iter().flat_map(|d| d.because.clone()).collect();
        let actions = plan::actions(decisions);
        let writes = apply::apply(&target, &actions, fresh.as_ref()).await?;
        Ok(Outcome::Done { writes, because })
    }

    /// Why the bot has nothing to do with this comment, before reading
    /// anything: its own, comments without a command, and commands past
    /// their author's quota or the commands' share of the writes (anyone
    /// can comment: a flood stops here, before it costs a read or a place
    /// in the queue, and never spends what triage needs).
    pub async fn ignores_comment(&self, comment: &CommentEvent) -> Option<&'static str> {
        let parsed = parse_commands(&comment.body, &self.login);
        self.refuses(comment, &parsed).await
    }

    /// `ignores_comment` on a comment's commands as parsed.
    async fn refuses(
        &self,
        comment: &CommentEvent,
        parsed: &[Result<Command, CommandError>],
    ) -> Option<&'static str> {
        if comment.sender.login.eq_ignore_ascii_case(&self.login) {
            return Some("the bot's own event");
        } else if parsed.is_empty() {
            return Some("a comment with no command");
        }
        let admitted = self
            .github
            .admit_command(comment.installation, &comment.author, comment.comment_id)
            .await;
        match admitted {
            Ok(()) => None,
            Err(refused) => {
                crate::metrics::command_refused(refused.name());
                Some(refused.reason())
            }
        }
    }

    /// A comment: label commands (on any item, when the rules allow them),
    /// subscription commands (on the tracking issue), or nothing. Only a
    /// comment that holds a command costs an API call.
    async fn handle_comment(
        &self,
        comment: &CommentEvent,
        deadline: Instant,
    ) -> Result<Outcome, HandleError> {
        // Parsed once here (the intake parsed it to filter, in another
        // process perhaps); each kind of command takes its own part.
        let parsed = parse_commands(&comment.body, &self.login);
        if let Some(reason) = self.refuses(comment, &parsed).await {
            return Ok(Outcome::Ignored(reason));
        }
        let api = self.github.api(comment.installation, deadline)?;
        let LoadedRules::Loaded(ruleset) = self.caches.rules(&api, &comment.repo).await? else {
            return Ok(Outcome::NoRules);
        };
        let on_tracking_issue = ruleset.file.cc.as_ref().is_some_and(|cc| {
            crate::event::IssueNumber(cc.tracking_issue) == comment.number
                && cc
                    .repository
                    .as_deref()
                    .is_none_or(|r| r.eq_ignore_ascii_case(&comment.repo.to_string()))
        });
        let labelling = label_commands::read(&parsed);
        let labelling = (ruleset.label_commands_on() && !labelling.is_empty()).then_some(labelling);
        let subscribing = Some(subscribe::read(&parsed, &comment.author)).filter(|read| {
            on_tracking_issue && (!read.wishes.is_empty() || !read.errors.is_empty())
        });
        if labelling.is_none() && subscribing.is_none() {
            return Ok(Outcome::Ignored(
                "no command these rules take here (label commands are off, or it is not the tracking issue)",
            ));
        }

        // The bot's reaction marks a comment answered: a duplicate delivery
        // stops here, for label and subscription commands alike.
        let reactions = api
            .comment_reactions(&comment.repo, comment.comment_id)
            .await?;
        if reactions
            .iter()
            .any(|(_, login)| login.eq_ignore_ascii_case(&self.login))
        {
            return Ok(Outcome::Ignored("a command answered already"));
        }
        let mut actions = Vec::new();
        let mut because = Vec::new();
        let mut changed = None;
        // The tracking issue as the subscription commands read it: the
        // first round of writing their wishes starts from it.
        let mut read = None;
        if let Some(commands) = &labelling {
            let Some(answer) = label_commands::answer(&api, &ruleset, comment, commands).await?
            else {
                return Ok(Outcome::Ignored("the item commented on is gone"));
            };
            actions.extend(answer.actions);
            because.push(format!("label commands by @{}", comment.author));
            changed = Some((answer.item, answer.added, answer.removed));
        }
        if let Some(commands) = &subscribing {
            match answer_subscriptions(&api, comment, commands).await? {
                Some((answered, item)) => {
                    actions.extend(answered);
                    read = Some(item);
                    because.push(format!(
                        "commands by @{} on the tracking issue",
                        comment.author
                    ));
                }
                None if actions.is_empty() => {
                    return Ok(Outcome::Ignored("the tracking issue is gone"))
                }
                None => {}
            }
        }
        let target = apply::Target {
            api: &api,
            repo: &comment.repo,
            number: comment.number,
            bot: &self.login,
        };
        let mut writes = apply::apply(&target, &one_reaction(actions), read.as_ref()).await?;
        if let Some((item, added, removed)) = changed {
            let (more, why) = self
                .as_if_labelled_by(&api, comment, item, added, removed, deadline)
                .await?;
            writes.extend(more);
            because.extend(why);
        }
        Ok(Outcome::Done { writes, because })
    }

    /// Handles the item as if the commenter had added `added` and taken off
    /// `removed` by hand: a label added by command is a label like any
    /// other, and the commenter (not the bot) is the actor CI's trust gate
    /// judges. The bot's own `labeled` webhooks are ignored, so this is the
    /// one place those labels take effect.
    async fn as_if_labelled_by(
        &self,
        api: &Session,
        comment: &CommentEvent,
        mut item: OpenItem,
        added: Vec<String>,
        removed: Vec<String>,
        deadline: Instant,
    ) -> Result<(Vec<Write>, Vec<String>), HandleError> {
        // The item as the commands left it (the planner reads it fresh).
        let labels = &mut item.snapshot.labels;
        labels.retain(|l| !removed.contains(l));
        labels.extend(added.iter().cloned());
        let pull = match item.is_pull {
            true => Some(api.pull_head(&comment.repo, comment.number).await?),
            false => None,
        };
        let event = |action: ItemAction| ItemEvent {
            kind: if item.is_pull {
                ItemKind::PullRequest
            } else {
                ItemKind::Issue
            },
            action,
            repo: comment.repo.clone(),
            installation: comment.installation,
            number: comment.number,
            title: item.title.clone(),
            body: item.snapshot.body.clone(),
            author: item.snapshot.author.clone(),
            association: String::new(),
            edits: Default::default(),
            labels: item.snapshot.labels.clone(),
            open: item.snapshot.open,
            sender: comment.sender.clone(),
            pull: pull.clone(),
            replay_of: None,
        };
        let mut events: Vec<ItemEvent> = removed
            .into_iter()
            .map(|label| event(ItemAction::Unlabeled(label)))
            .collect();
        if !added.is_empty() {
            events.push(event(ItemAction::Labeled(added)));
        }
        let mut writes = Vec::new();
        let mut because = Vec::new();
        for event in events {
            if let Outcome::Done {
                writes: more,
                because: why,
            } = self.handle_item(&event, deadline).await?
            {
                writes.extend(more);
                because.extend(why);
            }
        }
        Ok((writes, because))
    }

    /// Reads what `plan::needs` asks, round by round.
    async fn gather(
        &self,
        api: &Session,
        item: &ItemEvent,
        ruleset: &Ruleset,
    ) -> Result<Facts, HandleError> {
        let mut source = GitHubFacts {
            api,
            caches: &self.caches,
            item,
            rules: ruleset,
            bot: &self.login,
        };
        Ok(plan::settle(&mut source, Facts::default(), |facts| {
            plan::needs(item, ruleset, facts, &self.login)
        })
        .await?)
    }

    /// Whether a plan on what the bot already knows (the payload, the
    /// subscriptions as last read) would read the item fresh: then it is
    /// read at once with everything else, not after.
    fn would_need_fresh(&self, item: &ItemEvent, ruleset: &Ruleset) -> bool {
        let needs = plan::needs(item, ruleset, &Facts::default(), &self.login);
        let facts = Facts {
            subscriptions: needs
                .tracking_issue
                .and_then(|issue| self.caches.known_subscriptions(&issue.repo, issue.number)),
            ..Facts::default()
        };
        plan::actions_for(item, ruleset, &facts, &self.login)
            .iter()
            .any(Action::needs_fresh_item)
    }
}

/// The answers of label and subscription commands in one comment carry a
/// reaction each; the comment gets one, last: `+1` when both were.
fn one_reaction(actions: Vec<Action>) -> Vec<Action> {
    let (reactions, mut rest): (Vec<Action>, Vec<Action>) = actions
        .into_iter()
        .partition(|a| matches!(a, Action::React { .. }));
    let mut merged: Option<Action> = None;
    for reaction in reactions {
        merged = Some(match (merged, reaction) {
            (
                Some(Action::React {
                    comment_id,
                    content: first,
                }),
                Action::React { content, .. },
            ) => Action::React {
                comment_id,
                content: if first == "+1" { content } else { first },
            },
            (_, reaction) => reaction,
        });
    }
    rest.extend(merged);
    rest
}

/// Reads what a comment's subscription commands need (the commenter's
/// access when they act for others, the tracking issue's body, the labels
/// it has no line for) and has `subscribe::decide` answer them: the
/// actions, for `apply.rs`, and the issue as read; `None` when it is gone. The caller has
/// checked that the comment is on the tracking issue and not answered.
async fn answer_subscriptions(
    api: &Session,
    comment: &CommentEvent,
    commands: &subscribe::Commands,
) -> Result<Option<(Vec<plan::Action>, ItemSnapshot)>, GitHubError> {
    let repo = &comment.repo;
    let allowed_for_others = match commands.for_others {
        false => true,
        true => api.access(repo, &comment.author).await?.can_triage(),
    };
    let Fetched::Found { value: item, .. } = api.item(repo, comment.number, None).await? else {
        return Ok(None);
    };
    let mut known = Vec::new();
    for label in subscribe::lookups(&item.body, commands, &comment.author, allowed_for_others) {
        let exists = api.label_exists(repo, &label).await?;
        known.push((label, exists));
    }
    let actions = subscribe::decide(comment, &item.body, commands, allowed_for_others, &known);
    Ok(Some((actions, item)))
}

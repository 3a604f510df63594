//! Labels by comment, for people without write access: `@probot label
//! module: cuda, needs repro`, `@probot unlabel triaged`, `@probot label
//! +A-foo -B-bar` on any issue or pull request, open or closed. The rules
//! file says who may change which labels (`[[commands.labels]]`); without
//! it, label commands are off. The grammar is `commands.rs`'s.
//!
//! The decision is pure ([`decide`]); [`answer`] reads what it needs (the
//! item's labels, the commenter's access
//! only when a label needs more than `anyone`, and whether each label to add
//! exists, at most `MAX_LABEL_LOOKUPS_PER_COMMENT`) and returns the actions
//! for `apply.rs`: the labels added and taken off, a reply only when
//! something was refused (each label and why), and one reaction last, which
//! marks the comment answered for duplicate deliveries.
//!
//! A label added by command is then a label like any other: `bot.rs`
//! handles the item as if the commenter had labelled it, so rules, cc and
//! CI react, and CI's trust gate judges the commenter, not the bot.
//!
//! Races it accepts: two copies of one delivery handled at the same
//! instant may both reply (labels are level-based: added once).

use crate::commands::{Command, CommandError, Verb};
use crate::config::{Ruleset, Who};
use crate::event::CommentEvent;
use crate::github::{Access, GitHubError, Session};
use crate::limits::{MAX_LABELS_PER_ITEM, MAX_LABEL_LOOKUPS_PER_COMMENT};
use crate::plan::Action;

/// The label commands of one comment, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelCommands {
    /// Labels to add, in order, each once.
    pub add: Vec<String>,
    /// Labels to take off, in order, each once.
    pub remove: Vec<String>,
    /// Label command lines that could not be read.
    pub errors: Vec<CommandError>,
}

impl LabelCommands {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty() && self.errors.is_empty()
    }
}

/// Reads the label commands of `comment`. Pure and linear; a label both
/// added and taken off ends as the last command says.
pub fn read(parsed: &[Result<Command, CommandError>]) -> LabelCommands {
    let mut read = LabelCommands::default();
    for command in parsed {
        match command {
            Ok(command) if !command.verb.is_subscription() => {
                for label in command.labels.iter().cloned() {
                    read.add.retain(|l| *l != label);
                    read.remove.retain(|l| *l != label);
                    match command.verb {
                        Verb::Label => read.add.push(label),
                        _ => read.remove.push(label),
                    }
                }
            }
            Err(error) if error.is_about_labels() => read.errors.push(error.clone()),
            _ => {}
        }
    }
    read
}

/// Why a label was not changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The repository has no such label.
    Unknown,
    /// The rules let people with this access (or more) change it.
    NeedsAccess(Who),
    /// No entry of `commands.labels` names it.
    NotOpen,
    /// It would be the item's 101st.
    OverCap,
    /// More labels than are looked up for one comment.
    NotLookedUp,
}

/// What one requested change came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    /// Already on (or already off) the item.
    AlreadySo,
    Refused(Refusal),
}

/// Whether deciding needs the commenter's access: some label asked for
/// needs more than `anyone`.
pub fn needs_access(ruleset: &Ruleset, commands: &LabelCommands) -> bool {
    commands.add.iter().chain(&commands.remove).any(|label| {
        ruleset
            .label_command_access(label)
            .is_some_and(|who| who > Who::Anyone)
    })
}

/// The access level GitHub's permission stands for.
pub fn level(access: Access) -> Who {
    match access {
        Access::Admin => Who::Admin,
        Access::Maintain => Who::Maintain,
        Access::Write => Who::Write,
        Access::Triage => Who::Triage,
        Access::Read | Access::None => Who::Anyone,
    }
}

/// Labels to look up: to be added, allowed, not on the item; each once, at
/// most `MAX_LABEL_LOOKUPS_PER_COMMENT`.
pub fn lookups(
    ruleset: &Ruleset,
    commands: &LabelCommands,
    labels: &[String],
    who: Who,
) -> Vec<String> {
    commands
        .add
        .iter()
        .filter(|label| !labels.iter().any(|l| l == *label))
        .filter(|label| {
            ruleset
                .label_command_access(label)
                .is_some_and(|needs| who >= needs)
        })
        .take(MAX_LABEL_LOOKUPS_PER_COMMENT)
        .cloned()
        .collect()
}

/// Each requested change's outcome, in order: adds, then removals. Pure.
pub fn outcomes(
    ruleset: &Ruleset,
    commands: &LabelCommands,
    labels: &[String],
    who: Who,
    known: &[(String, bool)],
) -> Vec<(String, Change)> {
    let allowed = |label: &str| match ruleset.label_command_access(label) {
        None => Err(Refusal::NotOpen),
        Some(needs) if who < needs => Err(Refusal::NeedsAccess(needs)),
        Some(_) => Ok(()),
    };
    let on = |label: &str| labels.iter().any(|l| l == label);
    let removed = commands
        .remove
        .iter()
        .filter(|l| on(l) && allowed(l).is_ok())
        .count();
    let mut count = labels.len() - removed;
    let mut decided = Vec::new();
    for label in &commands.add {
        let change = if on(label) {
            Change::AlreadySo
        } else if let Err(refusal) = allowed(label) {
            Change::Refused(refusal)
        } else {
            match known.iter().find(|(l, _)| l == label) {
                None => Change::Refused(Refusal::NotLookedUp),
                Some((_, false)) => Change::Refused(Refusal::Unknown),
                Some((_, true)) if count >= MAX_LABELS_PER_ITEM => {
                    Change::Refused(Refusal::OverCap)
                }
                Some((_, true)) => {
                    count += 1;
                    Change::Added
                }
            }
        };
        decided.push((label.clone(), change));
    }
    for label in &commands.remove {
        let change = match (on(label), allowed(label)) {
            (false, _) => Change::AlreadySo,
            (true, Err(refusal)) => Change::Refused(refusal),
            (true, Ok(())) => Change::Removed,
        };
        decided.push((label.clone(), change));
    }
    decided
}

/// The answer to the comment's label commands: the labels to add and to
/// take off, a reply when something was refused, the reaction last.
pub fn decide(
    comment: &CommentEvent,
    commands: &LabelCommands,
    outcomes: &[(String, Change)],
) -> Vec<Action> {
    let pick = |wanted: Change| -> Vec<String> {
        outcomes
            .iter()
            .filter(|(_, change)| *change == wanted)
            .map(|(label, _)| label.clone())
            .collect()
    };
    let mut actions = Vec::new();
    let added = pick(Change::Added);
    if !added.is_empty() {
        actions.push(Action::AddLabels { labels: added });
    }
    let removed = pick(Change::Removed);
    if !removed.is_empty() {
        actions.push(Action::RemoveLabels { labels: removed });
    }
    let refused: Vec<String> = outcomes
        .iter()
        .filter_map(|(label, change)| match change {
            Change::Refused(refusal) => Some(format!("- `{label}`: {}", why(refusal))),
            _ => None,
        })
        .chain(commands.errors.iter().map(|e| format!("- {e}")))
        .collect();
    let all_done = refused.is_empty();
    if !all_done {
        actions.push(Action::Reply {
            number: comment.number,
            body: format!("@{}, not done:\n\n{}", comment.author, refused.join("\n")),
        });
    }
    actions.push(Action::React {
        comment_id: comment.comment_id,
        content: if all_done { "+1" } else { "confused" }.to_owned(),
    });
    actions
}

fn why(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Unknown => "no such label in this repository".into(),
        Refusal::NeedsAccess(who) => {
            format!("needs {} access to this repository, or more", who.name())
        }
        Refusal::NotOpen => "the rules don't let anyone change it by command".into(),
        Refusal::OverCap => {
            format!("it would pass GitHub's cap of {MAX_LABELS_PER_ITEM} labels on one item")
        }
        Refusal::NotLookedUp => {
            format!("not looked up: at most {MAX_LABEL_LOOKUPS_PER_COMMENT} new labels a comment")
        }
    }
}

/// What answering a comment's label commands comes to.
#[derive(Debug, Clone)]
pub struct Answer {
    pub actions: Vec<Action>,
    /// Labels added and taken off: the item's rules, cc and CI react to
    /// them as to the commenter's own.
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// The item as read to decide (its labels before the changes).
    pub item: crate::github::OpenItem,
}

/// Reads what the label commands of `comment` need and decides; `None`
/// when the item is gone. The caller has checked the comment is not
/// answered already.
pub async fn answer(
    api: &Session,
    ruleset: &Ruleset,
    comment: &CommentEvent,
    commands: &LabelCommands,
) -> Result<Option<Answer>, GitHubError> {
    let repo = &comment.repo;
    let Some(item) = api.whole_item(repo, comment.number).await? else {
        return Ok(None);
    };
    let who = match needs_access(ruleset, commands) {
        true => level(api.access(repo, &comment.author).await?),
        false => Who::Anyone,
    };
    let labels = &item.snapshot.labels;
    let mut known = Vec::new();
    for label in lookups(ruleset, commands, labels, who) {
        let exists = api.label_exists(repo, &label).await?;
        known.push((label, exists));
    }
    let outcomes = outcomes(ruleset, commands, labels, who, &known);
    let pick = |wanted: Change| {
        outcomes
            .iter()
            .filter(|(_, c)| *c == wanted)
            .map(|(l, _)| l.clone())
            .collect()
    };
    Ok(Some(Answer {
        actions: decide(comment, commands, &outcomes),
        added: pick(Change::Added),
        removed: pick(Change::Removed),
        item,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A comment's label commands, parsed as the bot parses them.
    fn read(comment: &str, bot: &str) -> LabelCommands {
        super::read(&crate::commands::parse_commands(comment, bot))
    }

    const RULES: &str = r#"
[[commands.labels]]
labels = ["module: *", "needs repro", "ciflow/*"]

[[commands.labels]]
labels = ["high priority"]
who = "triage"
"#;

    fn ruleset() -> Ruleset {
        crate::config::load(RULES).expect("valid rules")
    }

    fn labels(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_comment_reads_into_labels_to_add_and_to_take_off() {
        let commands = read(
            "@probot label a, b\n@probot unlabel a\n@probot label +c -d",
            "probot[bot]",
        );
        assert_eq!(commands.add, labels(&["b", "c"]));
        assert_eq!(
            commands.remove,
            labels(&["a", "d"]),
            "the last command on a label wins"
        );
        assert!(commands.errors.is_empty());
        assert!(
            read("@probot subscribe bug", "probot[bot]").is_empty(),
            "subscriptions are not label commands"
        );
    }

    #[test]
    fn changes_apply_left_to_right_as_triagebot_documents() {
        // forge.rust-lang.org/triagebot/labeling.html: this command "will
        // be executed as `+Alpaca +Esteban +Dwight -Carlo`" (Bench ends added).
        let commands = read(
            "@probot label +Alpaca -Bench -Carlo +Esteban +Dwight +Bench",
            "probot[bot]",
        );
        assert_eq!(
            commands.add,
            labels(&["Alpaca", "Esteban", "Dwight", "Bench"])
        );
        assert_eq!(commands.remove, labels(&["Carlo"]));
        let quoted = read(
            "@probot label \"+good first issue\" \"-needs triage\"",
            "probot[bot]",
        );
        assert_eq!(quoted.add, labels(&["good first issue"]));
        assert_eq!(quoted.remove, labels(&["needs triage"]));
    }

    #[test]
    fn each_label_is_allowed_refused_or_already_so_and_says_why() {
        let ruleset = ruleset();
        let commands = read(
            "@probot label module: cuda, high priority, wontfix, needs repro, module: ghost\n@probot unlabel triaged",
            "probot[bot]",
        );
        assert!(needs_access(&ruleset, &commands));
        let on = labels(&["needs repro", "triaged"]);
        assert_eq!(
            lookups(&ruleset, &commands, &on, Who::Anyone),
            labels(&["module: cuda", "module: ghost"]),
            "only allowed labels not on the item are looked up"
        );
        let known = [
            ("module: cuda".to_owned(), true),
            ("module: ghost".to_owned(), false),
        ];
        let outcomes = outcomes(&ruleset, &commands, &on, Who::Anyone, &known);
        assert_eq!(
            outcomes,
            [
                ("module: cuda".to_owned(), Change::Added),
                (
                    "high priority".to_owned(),
                    Change::Refused(Refusal::NeedsAccess(Who::Triage))
                ),
                ("wontfix".to_owned(), Change::Refused(Refusal::NotOpen)),
                ("needs repro".to_owned(), Change::AlreadySo),
                (
                    "module: ghost".to_owned(),
                    Change::Refused(Refusal::Unknown)
                ),
                ("triaged".to_owned(), Change::Refused(Refusal::NotOpen)),
            ]
        );
        let triager = super::outcomes(
            &ruleset,
            &commands,
            &on,
            Who::Triage,
            &[("high priority".into(), true)],
        );
        assert_eq!(triager[1], ("high priority".to_owned(), Change::Added));
    }

    #[test]
    fn the_101st_label_is_refused() {
        let ruleset = ruleset();
        let on: Vec<String> = (0..MAX_LABELS_PER_ITEM)
            .map(|i| format!("module: {i}"))
            .collect();
        let commands = read(
            "@probot label module: new\n@probot label +module:x",
            "probot[bot]",
        );
        let known = [
            ("module: new".to_owned(), true),
            ("module:x".to_owned(), true),
        ];
        let decided = outcomes(&ruleset, &commands, &on, Who::Anyone, &known);
        assert_eq!(decided[0].1, Change::Refused(Refusal::OverCap));
        // Taking one off makes room for one.
        let commands = read(
            "@probot label module: new\n@probot unlabel module: 0",
            "probot[bot]",
        );
        let decided = outcomes(&ruleset, &commands, &on, Who::Anyone, &known);
        assert_eq!(decided[0].1, Change::Added);
    }

    #[test]
    fn a_reply_only_when_something_was_refused_and_one_reaction() {
        let comment = CommentEvent {
            repo: crate::event::RepoName::new("acme", "widgets"),
            installation: None,
            number: crate::event::IssueNumber(7),
            comment_id: crate::event::CommentId(70),
            body: String::new(),
            author: "contributor".into(),
            sender: crate::event::Actor {
                login: "contributor".into(),
            },
        };
        let commands = LabelCommands::default();
        let done = decide(&comment, &commands, &[("a".into(), Change::Added)]);
        assert_eq!(
            done,
            [
                Action::AddLabels {
                    labels: labels(&["a"])
                },
                Action::React {
                    comment_id: crate::event::CommentId(70),
                    content: "+1".into()
                },
            ]
        );
        let refused = decide(
            &comment,
            &commands,
            &[("b".into(), Change::Refused(Refusal::Unknown))],
        );
        assert!(
            matches!(&refused[0], Action::Reply { body, .. } if body.contains("`b`: no such label"))
        );
        assert!(matches!(&refused[1], Action::React { content, .. } if content == "confused"));
    }
}

//! Self-service subscriptions: `@probot subscribe module: cuda` in a
//! comment on the tracking issue edits the issue's body for the commenter
//! (or, for people with triage access, for others and teams), then answers
//! with a reaction, and a short reply when something was not done.
//!
//! The decision is pure ([`requests`], [`reply`]); [`answer`] does the
//! reads and returns the actions (the wishes for the tracking issue, a
//! reply, a reaction), which `apply.rs` writes like every other action. A
//! comment that holds no command costs no API call: the grammar is checked
//! before anything is read.
//!
//! Races it accepts, and how they are closed: GitHub has no conditional
//! update for an issue body, so two commands handled at once (by two copies
//! of the bot, or a person editing the issue meanwhile) can overwrite each
//! other's edit. Every command's wish is level-based ("@alice is on the
//! `bug` line"), so `apply.rs` writes, waits a moment, reads the body again
//! and re-applies whatever is missing, for a few rounds: a lost update is
//! repaired by whichever writer reads last. A duplicate delivery finds the
//! bot's reaction on the comment and does nothing; two copies of one
//! delivery handled at the same instant may both reply.

use super::edit::{apply_wishes, has_line, Wish};
use super::tracking_issue::{LineProblem, Subscriptions};
use crate::commands::{Command, CommandError, Verb};
use crate::event::CommentEvent;
use crate::limits::MAX_LABEL_LOOKUPS_PER_COMMENT;
use crate::plan::Action;

/// Marks the bot's replies to commands.
pub const REPLY_MARKER: &str = "<!-- probot:subscribe-reply -->";

/// What became of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Done,
    AlreadySo,
    UnknownLabel,
    NotAllowed,
    /// The comment named more unknown labels than are looked up for one.
    NotLookedUp,
}

/// The commands' requests, and whether any acts for someone other than
/// the commenter (which needs triage access).
pub fn requests(commands: &[Command], commenter: &str) -> (Vec<Wish>, bool) {
    let mut requests = Vec::new();
    let mut for_others = false;
    for command in commands {
        let whom: Vec<&str> = match command.for_whom.is_empty() {
            true => vec![commenter],
            false => command.for_whom.iter().map(String::as_str).collect(),
        };
        for_others |= whom.iter().any(|w| !w.eq_ignore_ascii_case(commenter));
        for label in &command.labels {
            for who in &whom {
                let request = Wish {
                    verb: command.verb,
                    label: label.clone(),
                    who: (*who).to_owned(),
                };
                if !requests.contains(&request) {
                    requests.push(request);
                }
            }
        }
    }
    (requests, for_others)
}

/// The reply to a command's author: what was not done as asked, and why.
/// `None` when nothing was refused: a wish that held already is answered
/// by the reaction alone (every reply spends the installation's writes),
/// and named only in a reply that is sent anyway.
pub fn reply(
    commenter: &str,
    outcomes: &[(Wish, Verdict)],
    errors: &[CommandError],
    unreadable: &[LineProblem],
) -> Option<String> {
    let mut lines: Vec<String> = errors.iter().map(|e| format!("- {e}")).collect();
    lines.extend(
        unreadable
            .iter()
            .map(|p| format!("- this issue's {p}; that line is skipped")),
    );
    for (request, outcome) in outcomes {
        let (label, who) = (&request.label, &request.who);
        let verb = match request.verb {
            Verb::Subscribe => "subscribed",
            // Wishes are subscriptions only (`read` keeps no other verb).
            Verb::Unsubscribe | Verb::Label | Verb::Unlabel => "unsubscribed",
        };
        let line = match outcome {
            Verdict::Done => continue,
            Verdict::AlreadySo if request.verb == Verb::Subscribe => {
                format!("- @{who} is already subscribed to `{label}`")
            }
            Verdict::AlreadySo => format!("- @{who} was not subscribed to `{label}`"),
            Verdict::UnknownLabel => {
                format!("- `{label}`: no such label in this repository, so @{who} was not {verb}")
            }
            Verdict::NotLookedUp => format!(
                "- `{label}` was not looked up: one comment may name at most {MAX_LABEL_LOOKUPS_PER_COMMENT} labels the tracking issue has no line for"
            ),
            Verdict::NotAllowed => format!(
                "- @{who} was not {verb} to `{label}`: only people with triage access can subscribe others and teams"
            ),
        };
        lines.push(line);
    }
    let refused = !errors.is_empty()
        || !unreadable.is_empty()
        || outcomes
            .iter()
            .any(|(_, o)| !matches!(o, Verdict::Done | Verdict::AlreadySo));
    if !refused {
        return None;
    }
    Some(format!(
        "{REPLY_MARKER}\n@{commenter}, not everything was done:\n\n{}",
        lines.join("\n")
    ))
}

/// The commands of one comment, read: the wishes they make, the lines that
/// could not be read, and whether any acts for someone other than the
/// commenter (which needs triage access).
#[derive(Debug, Clone, Default)]
pub struct Commands {
    pub wishes: Vec<Wish>,
    pub errors: Vec<CommandError>,
    pub for_others: bool,
}

/// The subscription commands of a comment by `commenter`, from its parse.
/// Pure and linear.
pub fn read(parsed: &[Result<Command, CommandError>], commenter: &str) -> Commands {
    // Label commands are `label_commands.rs`'s.
    let mut commands = Vec::new();
    let mut errors = Vec::new();
    for command in parsed {
        match command {
            Ok(command) if command.verb.is_subscription() => commands.push(command.clone()),
            Err(error) if !error.is_about_labels() => errors.push(error.clone()),
            _ => {}
        }
    }
    let (wishes, for_others) = requests(&commands, commenter);
    Commands {
        wishes,
        errors,
        for_others,
    }
}

/// The labels to look up before deciding: subscribed to without a line in
/// the body, by a wish that is allowed, each once, at most
/// `MAX_LABEL_LOOKUPS_PER_COMMENT`.
pub fn lookups(
    body: &str,
    commands: &Commands,
    commenter: &str,
    allowed_for_others: bool,
) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for wish in &commands.wishes {
        let allowed = allowed_for_others || wish.who.eq_ignore_ascii_case(commenter);
        let unknown = allowed
            && wish.verb == Verb::Subscribe
            && !has_line(body, &wish.label)
            && apply_wishes(body, std::slice::from_ref(wish)).is_some();
        if unknown && !labels.contains(&wish.label) {
            if labels.len() == MAX_LABEL_LOOKUPS_PER_COMMENT {
                break;
            }
            labels.push(wish.label.clone());
        }
    }
    labels
}

/// The answer to a comment's commands, pure: its wishes for the tracking
/// issue (when any changes it), a reply when something was refused, and
/// the reaction last, which marks the comment answered for duplicates.
/// `known` says which looked-up labels exist; a label without a line that
/// is not in it was not looked up.
pub fn decide(
    comment: &CommentEvent,
    body: &str,
    commands: &Commands,
    allowed_for_others: bool,
    known: &[(String, bool)],
) -> Vec<Action> {
    let outcomes: Vec<(Wish, Verdict)> = commands
        .wishes
        .iter()
        .map(|wish| {
            let outcome = if !allowed_for_others && !wish.who.eq_ignore_ascii_case(&comment.author)
            {
                Verdict::NotAllowed
            } else if apply_wishes(body, std::slice::from_ref(wish)).is_none() {
                Verdict::AlreadySo
            } else if wish.verb == Verb::Unsubscribe || has_line(body, &wish.label) {
                Verdict::Done
            } else {
                match known.iter().find(|(label, _)| *label == wish.label) {
                    Some((_, true)) => Verdict::Done,
                    Some((_, false)) => Verdict::UnknownLabel,
                    None => Verdict::NotLookedUp,
                }
            };
            (wish.clone(), outcome)
        })
        .collect();
    let wishes: Vec<Wish> = outcomes
        .iter()
        .filter(|(_, outcome)| *outcome == Verdict::Done)
        .map(|(wish, _)| wish.clone())
        .collect();
    let mut actions = Vec::new();
    let edited = apply_wishes(body, &wishes);
    if edited.is_some() {
        actions.push(Action::Subscriptions {
            number: comment.number,
            wishes,
        });
    }
    let all_done = outcomes
        .iter()
        .all(|(_, o)| matches!(o, Verdict::Done | Verdict::AlreadySo))
        && commands.errors.is_empty();
    let after = edited.as_deref().unwrap_or(body);
    let unreadable = Subscriptions::parse(after).problems().to_vec();
    if let Some(text) = reply(&comment.author, &outcomes, &commands.errors, &unreadable) {
        actions.push(Action::Reply {
            number: comment.number,
            body: text,
        });
    }
    actions.push(Action::React {
        comment_id: comment.comment_id,
        content: if all_done { "+1" } else { "confused" }.to_owned(),
    });
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(verb: Verb, labels: &[&str], whom: &[&str]) -> Command {
        Command {
            verb,
            labels: labels.iter().map(|s| s.to_string()).collect(),
            for_whom: whom.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_command_for_oneself_needs_no_access_and_one_for_others_does() {
        let (mine, others) = requests(&[command(Verb::Subscribe, &["a", "b"], &[])], "alice");
        assert!(!others);
        assert_eq!(mine.len(), 2);
        assert_eq!(mine[0].who, "alice");
        let (_, others) = requests(&[command(Verb::Subscribe, &["a"], &["Alice"])], "alice");
        assert!(!others, "naming oneself is no one else");
        let (theirs, others) = requests(
            &[command(Verb::Subscribe, &["a"], &["bob", "acme/t"])],
            "alice",
        );
        assert!(others);
        assert_eq!(theirs.len(), 2);
    }

    #[test]
    fn requests_apply_in_order_and_hold_when_applied_again() {
        let body = "* bug @x\n";
        let requests = vec![
            Wish {
                verb: Verb::Subscribe,
                label: "bug".into(),
                who: "alice".into(),
            },
            Wish {
                verb: Verb::Unsubscribe,
                label: "bug".into(),
                who: "x".into(),
            },
            Wish {
                verb: Verb::Subscribe,
                label: "docs".into(),
                who: "alice".into(),
            },
        ];
        let edited = apply_wishes(body, &requests).unwrap();
        assert_eq!(edited, "* bug @alice\n* docs @alice\n");
        assert_eq!(apply_wishes(&edited, &requests), None);
    }

    #[test]
    fn a_lost_update_is_seen_and_repaired_by_applying_again() {
        // Two writers read the same body; the second overwrote the first.
        let base = "* bug @x\n";
        let alice = Wish {
            verb: Verb::Subscribe,
            label: "bug".into(),
            who: "alice".into(),
        };
        let bob = Wish {
            verb: Verb::Subscribe,
            label: "bug".into(),
            who: "bob".into(),
        };
        let bobs_write = apply_wishes(base, std::slice::from_ref(&bob)).unwrap();
        let repaired = apply_wishes(&bobs_write, std::slice::from_ref(&alice)).unwrap();
        assert_eq!(repaired, "* bug @x @bob @alice\n");
        assert_eq!(apply_wishes(&repaired, &[alice, bob]), None);
    }

    #[test]
    fn a_label_with_a_line_needs_no_lookup() {
        use has_line;
        assert!(has_line("* bug @x\n", "bug"));
        assert!(has_line("* docs\n", "docs"));
        assert!(!has_line("* bug @x\n", "docs"));
        assert!(!has_line("", "docs"));
    }

    #[test]
    fn the_reply_says_what_was_not_done_and_nothing_when_all_was() {
        let request = |label: &str| Wish {
            verb: Verb::Subscribe,
            label: label.into(),
            who: "bob".into(),
        };
        assert_eq!(
            reply("alice", &[(request("bug"), Verdict::Done)], &[], &[]),
            None
        );
        assert_eq!(
            reply("alice", &[(request("bug"), Verdict::AlreadySo)], &[], &[]),
            None,
            "a wish that held already needs no reply: the reaction says it"
        );
        let text = reply(
            "alice",
            &[
                (request("bug"), Verdict::AlreadySo),
                (request("nope"), Verdict::UnknownLabel),
                (request("x"), Verdict::NotAllowed),
            ],
            &[CommandError::NoLabel("@probot subscribe".into())],
            &[LineProblem {
                line: 4,
                message: "`src/[` is not a valid glob".into(),
            }],
        )
        .unwrap();
        assert!(text.starts_with(REPLY_MARKER));
        assert!(text.contains("@bob is already subscribed to `bug`"));
        assert!(text.contains("`nope`: no such label"));
        assert!(text.contains("only people with triage access"));
        assert!(text.contains("names no label"));
        assert!(text.contains("line 4: `src/[` is not a valid glob"));
    }
}

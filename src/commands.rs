//! Commands in comments: subscriptions, on the tracking issue, and labels,
//! on any issue or pull request (when the rules allow them):
//!
//! ```text
//! @probot subscribe module: cuda, oncall: jit
//! @probot unsubscribe module: cuda
//! @probot subscribe module: docs for @alice @acme/docs-team
//! @probot label module: cuda, triaged
//! @probot unlabel needs repro
//! @probot label +module:cuda -"needs repro"
//! ```
//!
//! Labels are separated by commas; a label is everything between two
//! commas, spaces included (`needs repro`). A label in double quotes or
//! backticks is taken as written, commas included: `"bug, regression"`;
//! in backticks a leading `+` or `-` too. An item that starts with `+` or
//! `-` (or `"+`, `"-`) is a list of changes separated by blanks, as
//! triagebot's `@rustbot label +A-foo -B-bar "+good first issue"`
//! (documented at forge.rust-lang.org/triagebot/labeling.html); `-` takes
//! the label off, and changes apply left to right, the last one on a
//! label winning. Unlike triagebot, unsigned labels are separated by
//! commas, not blanks, so that `module: cuda` is one label.
//!
//! A command is a line of its own that starts with the bot's mention
//! (`@<app slug>` or `@<app slug>[bot]`, any case, after at most three
//! spaces), then `subscribe` or `unsubscribe`, then labels separated by
//! commas, then optionally `for` and mentions. A label may be wrapped in
//! backticks or double quotes (a label with a comma in its name can't be
//! named here). Never a command: a line in a fenced code
//! block or an HTML comment, an indented code line (four spaces or a tab),
//! a quoted line (`> @probot …`), or a mention in the middle of a line,
//! so quoting someone's command or showing it in code does nothing.
//!
//! Lines that mention the bot with another first word are left alone (they
//! may be meant for a person reading); a `subscribe` line that can't be
//! read is an error the bot answers.

use crate::limits::{MAX_COMMANDS_PER_COMMENT, MAX_COMMENT_BYTES, MAX_LABELS_PER_COMMAND};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verb {
    Subscribe,
    Unsubscribe,
    /// Add these labels to the item commented on.
    Label,
    /// Take these labels off it.
    Unlabel,
}

impl Verb {
    /// A command on the tracking issue's subscriptions.
    pub fn is_subscription(self) -> bool {
        matches!(self, Verb::Subscribe | Verb::Unsubscribe)
    }
}

/// One command, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub verb: Verb,
    pub labels: Vec<String>,
    /// Logins and `org/team`s, without `@`; empty for the commenter.
    pub for_whom: Vec<String>,
}

/// A command line that could not be read: what to tell its author.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("`{0}` names no label")]
    NoLabel(String),
    #[error("`{0}`: after `for`, only mentions (`@login`, `@org/team`)")]
    BadTarget(String),
    #[error("`{0}` names more than {MAX_LABELS_PER_COMMAND} labels")]
    TooManyLabels(String),
    #[error(
        "more than {MAX_COMMANDS_PER_COMMENT} commands in one comment; the rest were not read"
    )]
    TooManyCommands,
    #[error("`{0}`: a quote is not closed")]
    OpenQuote(String),
    #[error("`{0}`: after `+` or `-`, every change starts with `+` or `-` (quote a name with a blank: `+\"needs repro\"`)")]
    MixedChanges(String),
    #[error("`{0}`: labels change on the item commented on; `for` is for subscriptions")]
    LabelFor(String),
}

impl CommandError {
    /// Whether the line was a label command (answered by label commands,
    /// not subscriptions).
    pub fn is_about_labels(&self) -> bool {
        match self {
            CommandError::TooManyCommands => false,
            CommandError::NoLabel(line)
            | CommandError::BadTarget(line)
            | CommandError::TooManyLabels(line)
            | CommandError::OpenQuote(line)
            | CommandError::MixedChanges(line)
            | CommandError::LabelFor(line) => is_label_line(line),
        }
    }
}

/// A command line whose verb is `label` or `unlabel`.
fn is_label_line(line: &str) -> bool {
    line.split_whitespace().nth(1).is_some_and(|verb| {
        verb.eq_ignore_ascii_case("label") || verb.eq_ignore_ascii_case("unlabel")
    })
}

/// The commands in a comment to the bot `bot` (its login, `slug[bot]`),
/// in order. Linear in the comment; at most `MAX_COMMENT_BYTES` are read.
pub fn parse_commands(comment: &str, bot: &str) -> Vec<Result<Command, CommandError>> {
    let slug = bot.strip_suffix("[bot]").unwrap_or(bot);
    let mut end = comment.len().min(MAX_COMMENT_BYTES);
    while !comment.is_char_boundary(end) {
        end -= 1;
    }
    let mut commands = Vec::new();
    let mut fence: Option<&str> = None;
    let mut in_html_comment = false;
    for line in comment[..end].split(['\n', '\r']) {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let text = line.trim_start_matches(' ');
        if let Some(marker) = fence {
            if indent < 4 && text.starts_with(marker) {
                fence = None;
            }
            continue;
        }
        if indent < 4 {
            if let Some(marker) = ["```", "~~~"].into_iter().find(|m| text.starts_with(m)) {
                fence = Some(marker);
                continue;
            }
        }
        if in_html_comment || text.starts_with("<!--") {
            in_html_comment = !line.contains("-->");
            continue;
        }
        if indent >= 4 || line.starts_with('\t') {
            continue;
        }
        let Some(rest) = strip_mention(text, slug) else {
            continue;
        };
        let Some((verb, args)) = verb(rest) else {
            continue;
        };
        if commands.len() >= MAX_COMMANDS_PER_COMMENT {
            commands.push(Err(CommandError::TooManyCommands));
            break;
        }
        match verb {
            Verb::Label | Verb::Unlabel => match label_command(verb, args, text.trim()) {
                Ok(changes) => commands.extend(changes.into_iter().map(Ok)),
                Err(error) => commands.push(Err(error)),
            },
            _ => commands.push(command(verb, args, text.trim())),
        }
    }
    commands
}

/// The text after `@slug` or `@slug[bot]` and a blank, when the line
/// starts with it.
fn strip_mention<'a>(text: &'a str, slug: &str) -> Option<&'a str> {
    let rest = text.strip_prefix('@')?;
    let name = rest.get(..slug.len())?;
    if !name.eq_ignore_ascii_case(slug) {
        return None;
    }
    let rest = &rest[slug.len()..];
    let rest = rest.strip_prefix("[bot]").unwrap_or(rest);
    rest.starts_with([' ', '\t']).then_some(rest)
}

fn verb(rest: &str) -> Option<(Verb, &str)> {
    let rest = rest.trim_start();
    let word_end = rest.find([' ', '\t']).unwrap_or(rest.len());
    let verb = match rest[..word_end].to_ascii_lowercase().as_str() {
        "subscribe" => Verb::Subscribe,
        "unsubscribe" => Verb::Unsubscribe,
        "label" => Verb::Label,
        "unlabel" => Verb::Unlabel,
        _ => return None,
    };
    Some((verb, &rest[word_end..]))
}

fn command(verb: Verb, args: &str, line: &str) -> Result<Command, CommandError> {
    let found = mentions(args);
    let (label_part, for_whom) = match found.first() {
        None => (args, Vec::new()),
        Some(first) => {
            let head = args[..first.start].trim_end();
            let Some(labels) = strip_word_suffix(head, "for") else {
                return Err(CommandError::BadTarget(line.to_owned()));
            };
            // Between and after the mentions: only blanks and commas.
            let mut at = first.start;
            for mention in &found {
                if !args[at..mention.start]
                    .chars()
                    .all(|c| c == ',' || c.is_whitespace())
                {
                    return Err(CommandError::BadTarget(line.to_owned()));
                }
                at = mention.end;
            }
            if !args[at..].chars().all(|c| c == ',' || c.is_whitespace()) {
                return Err(CommandError::BadTarget(line.to_owned()));
            }
            let whom = found
                .iter()
                .map(|m| args[m.start + 1..m.end].to_owned())
                .collect();
            (labels, whom)
        }
    };
    let labels: Vec<String> = label_part
        .split(',')
        .map(unquote)
        .filter(|label| !label.is_empty())
        .map(str::to_owned)
        .collect();
    if labels.is_empty() {
        return Err(CommandError::NoLabel(line.to_owned()));
    }
    if labels.len() > MAX_LABELS_PER_COMMAND {
        return Err(CommandError::TooManyLabels(line.to_owned()));
    }
    Ok(Command {
        verb,
        labels,
        for_whom,
    })
}

/// A `label` or `unlabel` line: the labels to add (one `Label` command)
/// and to take off (one `Unlabel`), whichever it names.
fn label_command(verb: Verb, args: &str, line: &str) -> Result<Vec<Command>, CommandError> {
    if !mentions(args).is_empty() {
        return Err(CommandError::LabelFor(line.to_owned()));
    }
    // (adds, label), in the order written: later changes win, as
    // triagebot applies them left to right.
    let mut changes: Vec<(bool, String)> = Vec::new();
    for item in split_outside_quotes(args, |c| c == ',')
        .ok_or_else(|| CommandError::OpenQuote(line.to_owned()))?
    {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        if !is_change(item) {
            changes.push((verb == Verb::Label, unquote(item).to_owned()));
            continue;
        }
        let tokens = split_outside_quotes(item, char::is_whitespace)
            .ok_or_else(|| CommandError::OpenQuote(line.to_owned()))?;
        for token in tokens.into_iter().filter(|t| !t.is_empty()) {
            // `+name`, `-"a name"`, or triagebot's `"+a name"`.
            let token = token
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .filter(|t| t.starts_with(['+', '-']))
                .unwrap_or(token);
            let Some(sign) = token.chars().next().filter(|c| matches!(c, '+' | '-')) else {
                return Err(CommandError::MixedChanges(line.to_owned()));
            };
            let name = unquote(&token[1..]);
            if name.is_empty() {
                return Err(CommandError::MixedChanges(line.to_owned()));
            }
            changes.push((sign == '+', name.to_owned()));
        }
    }
    if changes.is_empty() {
        return Err(CommandError::NoLabel(line.to_owned()));
    }
    if changes.len() > MAX_LABELS_PER_COMMAND {
        return Err(CommandError::TooManyLabels(line.to_owned()));
    }
    // One command per run of adds or of removals, in order.
    let mut commands: Vec<Command> = Vec::new();
    for (adds, label) in changes {
        let verb = if adds { Verb::Label } else { Verb::Unlabel };
        match commands.last_mut() {
            Some(last) if last.verb == verb => last.labels.push(label),
            _ => commands.push(Command {
                verb,
                labels: vec![label],
                for_whom: Vec::new(),
            }),
        }
    }
    Ok(commands)
}

/// An item of changes: `+a -b`, or triagebot's quoted `"+a name"`.
fn is_change(item: &str) -> bool {
    item.starts_with(['+', '-']) || item.starts_with("\"+") || item.starts_with("\"-")
}

/// `text` split where `split` says, except inside double quotes or
/// backticks; `None` when a quote is left open. Linear.
fn split_outside_quotes(text: &str, split: impl Fn(char) -> bool) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    for (at, c) in text.char_indices() {
        match quote {
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None if c == '"' || c == '`' => quote = Some(c),
            None if split(c) => {
                parts.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            None => {}
        }
    }
    if quote.is_some() {
        return None;
    }
    parts.push(&text[start..]);
    Some(parts)
}

/// `text` without a last word `word` (any case), when it ends with it.
fn strip_word_suffix<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let start = text.len().checked_sub(word.len())?;
    let tail = text.get(start..)?;
    let before = &text[..start];
    (tail.eq_ignore_ascii_case(word) && (before.is_empty() || before.ends_with([' ', '\t'])))
        .then_some(before)
}

fn unquote(label: &str) -> &str {
    let label = label.trim();
    for quote in ['`', '"'] {
        if let Some(inner) = label
            .strip_prefix(quote)
            .and_then(|l| l.strip_suffix(quote))
        {
            return inner.trim();
        }
    }
    label
}

/// The mentions in `text`, as byte ranges that start at the `@`.
pub fn mentions(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'@' && (i == 0 || !is_email_local_char(bytes[i - 1])) {
            if let Some(len) = mention_len(&bytes[i + 1..]) {
                found.push(i..i + 1 + len);
                i += 1 + len;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// The length of a login, or `org/team`, at the start of `bytes`.
fn mention_len(bytes: &[u8]) -> Option<usize> {
    let login = bytes.iter().take_while(|&&b| is_login_char(b)).count();
    if login == 0 {
        return None;
    }
    let after = &bytes[login..];
    // A mention glued to more word characters (`@alice_x`, `@a.b.org`) is
    // not one: an e-mail domain or a different word.
    let team = match after.first() {
        Some(b'/') => after[1..].iter().take_while(|&&b| is_team_char(b)).count(),
        _ => 0,
    };
    let end = if team > 0 { login + 1 + team } else { login };
    // A letter outside ASCII glued to it (`@l\u{43e}okalike`, a look-alike)
    // makes it no mention at all, rather than a mention of `@l`.
    match bytes.get(end) {
        Some(&b)
            if b == b'_'
                || b >= 0x80
                || (b == b'.'
                    && bytes
                        .get(end + 1)
                        .is_some_and(|&n| n.is_ascii_alphanumeric())) =>
        {
            None
        }
        Some(b'/') if team == 0 => None,
        _ => Some(end),
    }
}

fn is_login_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn is_team_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// A character that can stand before the `@` of an e-mail address.
fn is_email_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOT: &str = "probot[bot]";

    fn ok(comment: &str) -> Vec<Command> {
        parse_commands(comment, BOT)
            .into_iter()
            .map(|c| c.unwrap())
            .collect()
    }

    fn cmd(verb: Verb, labels: &[&str], whom: &[&str]) -> Command {
        Command {
            verb,
            labels: labels.iter().map(|s| s.to_string()).collect(),
            for_whom: whom.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn label_commands_take_names_with_blanks_quotes_and_signs() {
        assert_eq!(
            ok("@probot label module: cuda, needs repro\n@probot unlabel `triaged`"),
            [
                cmd(Verb::Label, &["module: cuda", "needs repro"], &[]),
                cmd(Verb::Unlabel, &["triaged"], &[]),
            ]
        );
        assert_eq!(
            ok("@probot label \"bug, regression\", `-1`"),
            [cmd(Verb::Label, &["bug, regression", "-1"], &[])],
            "quotes keep commas, backticks signs"
        );
        assert_eq!(
            ok("@probot label +A-foo -B-bar +\"needs repro\" \"+good first issue\""),
            [
                cmd(Verb::Label, &["A-foo"], &[]),
                cmd(Verb::Unlabel, &["B-bar"], &[]),
                cmd(Verb::Label, &["needs repro", "good first issue"], &[]),
            ],
            "triagebot's form, in order"
        );
    }

    #[test]
    fn label_commands_that_cant_be_read_say_why() {
        let errors = |comment: &str| -> Vec<CommandError> {
            parse_commands(comment, BOT)
                .into_iter()
                .filter_map(Result::err)
                .collect()
        };
        assert!(matches!(
            errors("@probot label \"open")[..],
            [CommandError::OpenQuote(_)]
        ));
        assert!(matches!(
            errors("@probot label +a b")[..],
            [CommandError::MixedChanges(_)]
        ));
        assert!(matches!(
            errors("@probot label bug for @alice")[..],
            [CommandError::LabelFor(_)]
        ));
        assert!(matches!(
            errors("@probot label , ,")[..],
            [CommandError::NoLabel(_)]
        ));
        assert!(errors("@probot label , ,")[0].is_about_labels());
        assert!(!errors("@probot subscribe")[0].is_about_labels());
    }

    #[test]
    fn subscribe_and_unsubscribe_with_labels_separated_by_commas() {
        assert_eq!(
            ok("@probot subscribe module: cuda, oncall: jit\n@ProBot UNSUBSCRIBE `module: nn`"),
            [
                cmd(Verb::Subscribe, &["module: cuda", "oncall: jit"], &[]),
                cmd(Verb::Unsubscribe, &["module: nn"], &[]),
            ]
        );
    }

    #[test]
    fn the_bot_may_be_named_with_its_bot_suffix_and_a_little_indent() {
        assert_eq!(
            ok("  @probot[bot] subscribe bug"),
            [cmd(Verb::Subscribe, &["bug"], &[])]
        );
    }

    #[test]
    fn subscribing_others_and_teams_with_for() {
        assert_eq!(
            ok("@probot subscribe module: docs, \"oncall: jit\" for @alice, @acme/docs-team"),
            [cmd(
                Verb::Subscribe,
                &["module: docs", "oncall: jit"],
                &["alice", "acme/docs-team"]
            )]
        );
        assert_eq!(
            ok("@probot subscribe bug FOR @bob"),
            [cmd(Verb::Subscribe, &["bug"], &["bob"])]
        );
    }

    #[test]
    fn quoted_fenced_indented_and_inline_commands_do_nothing() {
        let comment = "\
> @probot subscribe quoted
```
@probot subscribe fenced
```
~~~md
@probot subscribe tilde-fenced
~~~
    @probot subscribe indented
\t@probot subscribe tabbed
<!--
@probot subscribe hidden
-->
Please run `@probot subscribe inline` yourself.
I asked @probot subscribe mid-line.
";
        assert!(parse_commands(comment, BOT).is_empty());
    }

    #[test]
    fn other_words_to_the_bot_and_other_bots_are_not_commands() {
        assert!(parse_commands(
            "@probot thanks!\n@probot-two subscribe x\n@probotx subscribe y",
            BOT
        )
        .is_empty());
        assert!(parse_commands("@probot\n@probot subscribes x", BOT).is_empty());
    }

    #[test]
    fn look_alikes_and_email_addresses_are_not_the_bot() {
        // Cyrillic `о` in the bot's name; an address ending in the slug.
        assert!(parse_commands("@pr\u{43e}bot subscribe bug", BOT).is_empty());
        assert!(parse_commands("me@probot subscribe bug", BOT).is_empty());
    }

    #[test]
    fn unreadable_commands_are_errors_to_answer() {
        let errors: Vec<CommandError> = parse_commands(
            "@probot subscribe\n@probot subscribe bug @alice\n@probot subscribe bug for @alice and @bob",
            BOT,
        )
        .into_iter()
        .map(|c| c.unwrap_err())
        .collect();
        assert!(matches!(errors[0], CommandError::NoLabel(_)));
        assert!(matches!(errors[1], CommandError::BadTarget(_)));
        assert!(matches!(errors[2], CommandError::BadTarget(_)));
    }

    #[test]
    fn the_number_of_commands_and_labels_is_bounded() {
        let many = "@probot subscribe a\n".repeat(50);
        let parsed = parse_commands(&many, BOT);
        assert_eq!(parsed.len(), MAX_COMMANDS_PER_COMMENT + 1);
        assert_eq!(parsed.last(), Some(&Err(CommandError::TooManyCommands)));
        let labels = vec!["x"; MAX_LABELS_PER_COMMAND + 1].join(", ");
        assert!(matches!(
            parse_commands(&format!("@probot subscribe {labels}"), BOT)[0],
            Err(CommandError::TooManyLabels(_))
        ));
    }

    #[test]
    fn a_huge_comment_costs_linear_time() {
        let comment = "@probot subscribe a, b for @c\n".repeat(100_000);
        let started = std::time::Instant::now();
        parse_commands(&comment, BOT);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}

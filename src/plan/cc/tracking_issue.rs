//! The tracking issue: who subscribes to which label, and to which paths.
//!
//! The label grammar is the one PyTorch-style projects keep today, so an
//! existing tracking issue parses to the subscriptions it had under the
//! original bot:
//!
//! - A subscription line starts at column 0 with `*` and one or more spaces.
//! - The label is the text up to the first mention, trimmed.
//! - The users are the mentions on the line: `@login` (letters, digits,
//!   hyphens) or `@org/team`.
//! - A line without mentions, or with an empty label, is prose. So is every
//!   line that does not start with `* `.
//!
//! A path line is a subscription line whose subject is one or more globs,
//! each in backticks (a code span), and nothing else:
//! `` * `torch/cuda/**` `*.cu` @alice ``. A label's name never starts with
//! a backtick in this grammar, so the two can't be mistaken for each other;
//! a line whose subject starts with a backtick but is not only code spans,
//! or whose glob does not compile, is reported (a [`LineProblem`]) and
//! read as nothing.
//!
//! Fixed on purpose, against the original: CRLF bodies parse like LF ones; a
//! label on two lines gets the union of both (the original let the last
//! win); an e-mail address (`a@b.org`) is not a mention; labels match
//! exactly, case and all.

use std::collections::{BTreeMap, HashSet};

use crate::limits::{
    MAX_PATH_LINES, MAX_PATTERNS_PER_RULE, MAX_SUBSCRIBERS_PER_LABEL, MAX_TRACKING_ISSUE_BYTES,
};

use crate::commands::mentions;
use crate::paths::{check_globs, PathSubscriptions};

/// Problems reported for one tracking issue; the rest are counted.
const MAX_LINE_PROBLEMS: usize = 20;

/// Label -> subscribers, in the order they first appear in the issue, and
/// the path subscriptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscriptions {
    by_label: BTreeMap<String, Vec<String>>,
    by_path: PathSubscriptions,
    problems: Vec<LineProblem>,
}

/// A line of the tracking issue that looks like a subscription but can't
/// be read as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl Subscriptions {
    /// Parses a tracking issue's body. Never fails: what does not fit the
    /// grammar is prose, and a path line that can't be read is a problem.
    /// Linear in the body: at most `MAX_TRACKING_ISSUE_BYTES` of it are
    /// read, `MAX_SUBSCRIBERS_PER_LABEL` subscribers kept per label and
    /// `MAX_PATH_LINES` path lines.
    pub fn parse(body: &str) -> Self {
        let mut end = body.len().min(MAX_TRACKING_ISSUE_BYTES);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        let mut by_label: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut path_lines: Vec<(Vec<String>, Vec<String>)> = Vec::new();
        let mut problems = Vec::new();
        // Lowercased: GitHub logins ignore case.
        let mut seen: HashSet<(String, String)> = HashSet::new();
        // `\r` alone ends a line too (old Mac line endings).
        for (number, line) in body[..end].split(['\n', '\r']).enumerate() {
            let problem = match parse_line(line) {
                None => continue,
                Some(Line::Problem(message)) => message,
                Some(Line::Paths(globs, users)) => match check_globs(&globs) {
                    Ok(()) if path_lines.len() < MAX_PATH_LINES => {
                        path_lines.push((
                            globs,
                            users
                                .into_iter()
                                .take(MAX_SUBSCRIBERS_PER_LABEL)
                                .map(str::to_owned)
                                .collect(),
                        ));
                        continue;
                    }
                    Ok(()) => {
                        format!("more than {MAX_PATH_LINES} path lines; the rest are not read")
                    }
                    Err(message) => message,
                },
                Some(Line::Label(label, users)) => {
                    let subscribers = by_label.entry(label.to_owned()).or_default();
                    for user in users {
                        if subscribers.len() >= MAX_SUBSCRIBERS_PER_LABEL {
                            break;
                        }
                        if seen.insert((label.to_owned(), user.to_ascii_lowercase())) {
                            subscribers.push(user.to_owned());
                        }
                    }
                    continue;
                }
            };
            if problems.len() < MAX_LINE_PROBLEMS {
                problems.push(LineProblem {
                    line: number + 1,
                    message: problem,
                });
            }
        }
        Subscriptions {
            by_label,
            by_path: PathSubscriptions::new(path_lines),
            problems,
        }
    }

    /// Subscribers of `label` (exact, case-sensitive), logins without `@`.
    pub fn subscribers(&self, label: &str) -> &[String] {
        self.by_label.get(label).map_or(&[], Vec::as_slice)
    }

    /// The path subscriptions.
    pub fn paths(&self) -> &PathSubscriptions {
        &self.by_path
    }

    /// Lines that look like subscriptions but could not be read.
    pub fn problems(&self) -> &[LineProblem] {
        &self.problems
    }

    /// Labels with subscribers.
    pub fn len(&self) -> usize {
        self.by_label.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_label.is_empty() && self.by_path.is_empty()
    }
}

pub(super) enum Line<'a> {
    Label(&'a str, Vec<&'a str>),
    Paths(Vec<String>, Vec<&'a str>),
    Problem(String),
}

/// One line: `* label @a @b` -> ("label", ["a", "b"]); `` * `glob` @a ``
/// -> paths.
pub(super) fn parse_line(line: &str) -> Option<Line<'_>> {
    let rest = line.strip_prefix('*')?;
    if !rest.starts_with(' ') {
        return None;
    }
    let mentions = mentions(rest);
    let first = mentions.first()?;
    let subject = rest[..first.start].trim();
    if subject.is_empty() {
        return None;
    }
    let users: Vec<&str> = mentions.iter().map(|m| &rest[m.start + 1..m.end]).collect();
    if subject.starts_with('`') {
        return Some(match code_spans(subject) {
            Some(globs) if globs.len() <= MAX_PATTERNS_PER_RULE => Line::Paths(globs, users),
            Some(_) => Line::Problem(format!(
                "more than {MAX_PATTERNS_PER_RULE} globs on one line"
            )),
            None => Line::Problem(
                "a path line lists globs, each in backticks, and nothing else before the mentions"
                    .to_owned(),
            ),
        });
    }
    Some(Line::Label(subject, users))
}

/// `` `a/**` `*.md` `` -> ["a/**", "*.md"]; `None` unless the text is
/// only code spans, separated by spaces or commas.
fn code_spans(text: &str) -> Option<Vec<String>> {
    let mut spans = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Some(spans);
        }
        let inner = rest.strip_prefix('`')?;
        let close = inner.find('`')?;
        let glob = inner[..close].trim();
        if glob.is_empty() {
            return None;
        }
        spans.push(glob.to_owned());
        rest = &inner[close + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs(body: &str) -> Vec<(String, Vec<String>)> {
        Subscriptions::parse(body).by_label.into_iter().collect()
    }

    fn pair(label: &str, users: &[&str]) -> (String, Vec<String>) {
        (
            label.to_owned(),
            users.iter().map(|u| u.to_string()).collect(),
        )
    }

    #[test]
    fn reads_a_pytorch_style_tracking_issue() {
        let body = "\
Please add yourself to the list below to be CC'd on issues with a label.
Edit this issue; the bot reads it.

* high priority @ezyang @gchanan
* module: cuda @ngimel, @ptrblck @csarofeen
* oncall: distributed @pytorch/oncall-distributed @mrshenli
* module: docs
Some prose that mentions @someone without a bullet.
";
        assert_eq!(
            subs(body),
            vec![
                pair("high priority", &["ezyang", "gchanan"]),
                pair("module: cuda", &["ngimel", "ptrblck", "csarofeen"]),
                pair(
                    "oncall: distributed",
                    &["pytorch/oncall-distributed", "mrshenli"]
                ),
            ]
        );
    }

    #[test]
    fn crlf_bodies_parse_like_lf_bodies() {
        let lf = "* a @x @y\n* b c @z\n";
        let crlf = "* a @x @y\r\n* b c @z\r\n";
        assert_eq!(Subscriptions::parse(lf), Subscriptions::parse(crlf));
        assert_eq!(Subscriptions::parse(crlf).subscribers("b c"), ["z"]);
    }

    #[test]
    fn a_label_on_two_lines_gets_the_union_without_duplicates() {
        let s = Subscriptions::parse("* triaged @a @b\nprose\n* triaged @b @c\n");
        assert_eq!(s.subscribers("triaged"), ["a", "b", "c"]);
    }

    #[test]
    fn a_login_repeated_in_another_case_is_one_subscriber() {
        let s = Subscriptions::parse("* x @Alice @alice\n");
        assert_eq!(s.subscribers("x"), ["Alice"]);
    }

    #[test]
    fn email_addresses_are_not_mentions() {
        let s = Subscriptions::parse(
            "* module: build contact build@example.org @alice\n* y a.b@c.io\n",
        );
        assert_eq!(
            s.subscribers("module: build contact build@example.org"),
            ["alice"]
        );
        assert!(s.subscribers("y a.b@c.io").is_empty());
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn odd_spacing_is_tolerated_but_the_bullet_must_start_the_line() {
        let body =
            "*    spaced   label    @a   @b\n  * indented @c\n*nospace @d\n- dash @e\n*\t tab @f\n";
        assert_eq!(subs(body), vec![pair("spaced   label", &["a", "b"])]);
    }

    #[test]
    fn labels_match_exactly_and_case_sensitively() {
        let s = Subscriptions::parse("* Module: CUDA @a\n");
        assert!(s.subscribers("module: cuda").is_empty());
        assert_eq!(s.subscribers("Module: CUDA"), ["a"]);
    }

    #[test]
    fn lines_without_users_or_without_a_label_are_prose() {
        assert!(Subscriptions::parse("* just a bullet\n*   @orphan\n* @x\n").is_empty());
    }

    #[test]
    fn mentions_stop_at_punctuation() {
        let s = Subscriptions::parse("* a @x, @y. (@z); @org/team-1!\n");
        assert_eq!(s.subscribers("a"), ["x", "y", "z", "org/team-1"]);
    }

    #[test]
    fn a_long_list_keeps_its_order() {
        let users: Vec<String> = (0..300).map(|i| format!("user-{i}")).collect();
        let line = format!(
            "* big {}\n",
            users
                .iter()
                .map(|u| format!("@{u}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert_eq!(
            Subscriptions::parse(&line).subscribers("big"),
            users.as_slice()
        );
    }

    #[test]
    fn text_after_the_first_mention_is_not_part_of_the_label() {
        let s = Subscriptions::parse("* module: nn @alice and also @bob\n");
        assert_eq!(s.subscribers("module: nn"), ["alice", "bob"]);
    }

    #[test]
    fn carriage_returns_alone_end_lines_too() {
        let s = Subscriptions::parse("* bug @alice\r* module: nn @bob\r");
        assert_eq!(s.subscribers("bug"), ["alice"]);
        assert_eq!(s.subscribers("module: nn"), ["bob"]);
    }

    #[test]
    fn a_look_alike_letter_makes_no_mention_rather_than_a_short_one() {
        // Cyrillic `о` in the middle: not `@l`, and not anyone else.
        assert!(mentions("@l\u{43e}okalike").is_empty());
        let s = Subscriptions::parse("* bug @l\u{43e}okalike\n* bug @real\n");
        assert_eq!(s.subscribers("bug"), ["real"]);
    }

    #[test]
    fn parsing_is_linear_in_subscribers() {
        // 8,000 subscribers fill a body at GitHub's cap; the old scan for
        // duplicates made 32,000 cost seconds.
        let body = |n: usize| {
            let users: Vec<String> = (0..n).map(|i| format!("@u{i}")).collect();
            users
                .chunks(20)
                .enumerate()
                .map(|(i, chunk)| format!("* label-{} {}\n", i % 10, chunk.join(" ")))
                .collect::<String>()
        };
        let small = body(8_000);
        let started = std::time::Instant::now();
        let parsed = Subscriptions::parse(&small);
        let took = started.elapsed();
        assert_eq!(
            parsed.subscribers("label-0").len(),
            MAX_SUBSCRIBERS_PER_LABEL
        );
        assert!(took < std::time::Duration::from_secs(2), "{took:?}");
        // Only the first MAX_TRACKING_ISSUE_BYTES are read, whatever the size.
        let huge = body(200_000);
        assert!(huge.len() > MAX_TRACKING_ISSUE_BYTES);
        let started = std::time::Instant::now();
        Subscriptions::parse(&huge);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn path_lines_are_globs_in_backticks_and_never_labels() {
        let body = "* `torch/cuda/**` `*.cu` @alice @acme/gpu\n* module: cuda @bob\n";
        let s = Subscriptions::parse(body);
        assert_eq!(s.len(), 1);
        assert!(s.subscribers("`torch/cuda/**` `*.cu`").is_empty());
        let files = ["torch/cuda/memory.py".to_owned()];
        assert_eq!(
            s.paths().subscribers(&files),
            [("alice", "torch/cuda/**"), ("acme/gpu", "torch/cuda/**")]
        );
        assert!(s.problems().is_empty());
    }

    #[test]
    fn unreadable_path_lines_are_reported_with_their_line_and_read_as_nothing() {
        let body = "intro\n* `src/[` @alice\n* `docs/**` and more @bob\n* `ok/**` @carol\n";
        let s = Subscriptions::parse(body);
        let lines: Vec<usize> = s.problems().iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 3]);
        assert!(s.problems()[0].message.contains("not a valid glob"));
        assert_eq!(
            s.paths()
                .subscribers(&["ok/x".to_owned(), "src/a".to_owned(), "docs/a".to_owned()]),
            [("carol", "ok/**")]
        );
    }
}

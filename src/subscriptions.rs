//! The tracking issue: who subscribes to which label.
//!
//! The grammar is the one PyTorch-style projects keep today, so an existing
//! tracking issue parses to the subscriptions it had under the original bot:
//!
//! - A subscription line starts at column 0 with `*` and one or more spaces.
//! - The label is the text up to the first mention, trimmed.
//! - The users are the mentions on the line: `@login` (letters, digits,
//!   hyphens) or `@org/team`.
//! - A line without mentions, or with an empty label, is prose. So is every
//!   line that does not start with `* `.
//!
//! Fixed on purpose, against the original: CRLF bodies parse like LF ones; a
//! label on two lines gets the union of both (the original let the last
//! win); an e-mail address (`a@b.org`) is not a mention; labels match
//! exactly, case and all.

use std::collections::{BTreeMap, HashSet};

use crate::limits::{MAX_SUBSCRIBERS_PER_LABEL, MAX_TRACKING_ISSUE_BYTES};

/// Label -> subscribers, in the order they first appear in the issue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscriptions {
    by_label: BTreeMap<String, Vec<String>>,
}

impl Subscriptions {
    /// Parses a tracking issue's body. Never fails: what does not fit the
    /// grammar is prose.
    /// Linear in the body: at most `MAX_TRACKING_ISSUE_BYTES` of it are
    /// read, and `MAX_SUBSCRIBERS_PER_LABEL` subscribers kept per label.
    pub fn parse(body: &str) -> Self {
        let mut end = body.len().min(MAX_TRACKING_ISSUE_BYTES);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        let mut by_label: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // Lowercased: GitHub logins ignore case.
        let mut seen: HashSet<(String, String)> = HashSet::new();
        // `\r` alone ends a line too (old Mac line endings).
        for line in body[..end].split(['\n', '\r']) {
            let Some((label, users)) = parse_line(line) else {
                continue;
            };
            let subscribers = by_label.entry(label.to_owned()).or_default();
            for user in users {
                if subscribers.len() >= MAX_SUBSCRIBERS_PER_LABEL {
                    break;
                }
                if seen.insert((label.to_owned(), user.to_ascii_lowercase())) {
                    subscribers.push(user.to_owned());
                }
            }
        }
        Subscriptions { by_label }
    }

    /// Subscribers of `label` (exact, case-sensitive), logins without `@`.
    pub fn subscribers(&self, label: &str) -> &[String] {
        self.by_label.get(label).map_or(&[], Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.by_label.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_label.is_empty()
    }
}

/// One line: `* label @a @b` -> ("label", ["a", "b"]).
fn parse_line(line: &str) -> Option<(&str, Vec<&str>)> {
    let rest = line.strip_prefix('*')?;
    if !rest.starts_with(' ') {
        return None;
    }
    let mentions = mentions(rest);
    let first = mentions.first()?;
    let label = rest[..first.start].trim();
    if label.is_empty() {
        return None;
    }
    Some((
        label,
        mentions.iter().map(|m| &rest[m.start + 1..m.end]).collect(),
    ))
}

/// The mentions in `text`, as byte ranges that start at the `@`.
pub(crate) fn mentions(text: &str) -> Vec<std::ops::Range<usize>> {
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
}

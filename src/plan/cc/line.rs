//! The line the bot keeps in an issue or pull request body: `cc @alice @bob`.
//!
//! Merging is conservative: every name already on the line stays, new names
//! are added once, and when nothing new is added the body comes back byte
//! for byte, so the caller can skip the write. Every other byte of the body
//! is preserved. Whom to add (never the author or the bot) is the
//! planner's decision, not this file's.
//!
//! In `comment` mode the names go to the bot's own comment instead
//! ([`comment`]), merged the same way: names are only ever added.

use crate::commands::mentions;

/// Logins on the cc line in `body`, without `@`, if it has one.
pub fn parse(body: &str) -> Option<Vec<String>> {
    find(body).map(|line| line.users)
}

/// `cc @a @b`.
pub fn render(users: &[String]) -> String {
    let mut line = String::from("cc");
    for user in users {
        line.push_str(" @");
        line.push_str(user);
    }
    line
}

/// The body with `users` merged into its cc line. Returns `None` when
/// nothing would change.
pub fn merge(body: &str, users: &[String]) -> Option<String> {
    let existing = find(body);
    let known = existing
        .as_ref()
        .map_or(&[][..], |line| line.users.as_slice());
    // Lowercased, as GitHub logins ignore case.
    let mut seen: std::collections::HashSet<String> =
        known.iter().map(|k| k.to_ascii_lowercase()).collect();
    let mut added: Vec<String> = Vec::new();
    for user in users {
        if seen.insert(user.to_ascii_lowercase()) {
            added.push(user.clone());
        }
    }
    if added.is_empty() {
        return None;
    }
    match existing {
        Some(line) => {
            let mut all = line.users;
            all.extend(added);
            let mut merged = String::with_capacity(body.len() + 32);
            merged.push_str(&body[..line.span.start]);
            merged.push_str(&render(&all));
            merged.push_str(&body[line.span.end..]);
            Some(merged)
        }
        None => Some(append_line(body, &render(&added))),
    }
}

/// Appends `line` after a blank line, in the body's own line ending.
fn append_line(body: &str, line: &str) -> String {
    if body.trim().is_empty() {
        return line.to_owned();
    }
    let newline = if body.contains("\r\n") { "\r\n" } else { "\n" };
    let trailing = body.len() - body.trim_end_matches(['\r', '\n']).len();
    let ends_with_blank_line = body[body.len() - trailing..].matches('\n').count() >= 2;
    let separator = match (trailing, ends_with_blank_line) {
        (0, _) => format!("{newline}{newline}"),
        (_, false) => newline.to_owned(),
        (_, true) => String::new(),
    };
    format!("{body}{separator}{line}")
}

struct CcLine {
    /// Byte range of the line's text, without its line ending.
    span: std::ops::Range<usize>,
    users: Vec<String>,
}

/// The first line that is exactly `cc` followed by mentions (surrounding
/// spaces and commas between names allowed). A line that says more (`cc @a for review`) is prose.
fn find(body: &str) -> Option<CcLine> {
    let mut offset = 0;
    for raw in body.split_inclusive('\n') {
        let text = raw.trim_end_matches(['\n', '\r']);
        let start = offset + (text.len() - text.trim_start().len());
        offset += raw.len();
        let trimmed = text.trim();
        let Some(rest) = trimmed.strip_prefix("cc") else {
            continue;
        };
        if !rest.starts_with([' ', '\t']) {
            continue;
        }
        let found = mentions(rest);
        let covered: usize = found.iter().map(|m| m.len()).sum();
        // Commas between names are allowed: `cc @a, @b`.
        let rest_len: usize = rest
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ',')
            .map(char::len_utf8)
            .sum();
        let only_mentions = !found.is_empty() && covered == rest_len;
        if only_mentions {
            return Some(CcLine {
                span: start..start + trimmed.len(),
                users: found
                    .iter()
                    .map(|m| rest[m.start + 1..m.end].to_owned())
                    .collect(),
            });
        }
    }
    None
}

/// Marks the bot's cc comment in `comment` mode.
pub const CC_COMMENT_MARKER: &str = "<!-- probot:cc -->";

/// One person to CC, and what they subscribed to that brought them here:
/// labels, and globs in backticks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CcEntry {
    pub login: String,
    pub because: Vec<String>,
}

impl CcEntry {
    /// `@alice`, or `@alice (module: cuda, `docs/**`)` with reasons.
    pub fn render(&self, reasons: bool) -> String {
        match reasons && !self.because.is_empty() {
            true => format!("@{} ({})", self.login, self.because.join(", ")),
            false => format!("@{}", self.login),
        }
    }
}

/// The bot's cc comment with `users` it lacks added; `None` when it names
/// them all. `existing` is the comment's body, when there is one.
pub fn comment(existing: Option<&str>, users: &[CcEntry], reasons: bool) -> Option<String> {
    let named: Vec<String> = existing
        .map(|body| {
            crate::commands::mentions(body)
                .into_iter()
                .map(|m| body[m.start + 1..m.end].to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let missing: Vec<String> = users
        .iter()
        .filter(|u| !named.contains(&u.login.to_ascii_lowercase()))
        .map(|u| u.render(reasons))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let start = match existing {
        Some(body) => body.trim_end().to_owned(),
        None => format!("{CC_COMMENT_MARKER}\ncc"),
    };
    Some(format!("{start} {}", missing.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn appends_a_cc_line_after_a_blank_line() {
        let merged = merge("Steps to reproduce:\n1. run it", &users(&["b", "a"]));
        assert_eq!(
            merged.as_deref(),
            Some("Steps to reproduce:\n1. run it\n\ncc @b @a")
        );
    }

    #[test]
    fn a_trailing_newline_is_not_doubled() {
        assert_eq!(
            merge("text\n", &users(&["a"])).as_deref(),
            Some("text\n\ncc @a")
        );
        assert_eq!(
            merge("text\n\n", &users(&["a"])).as_deref(),
            Some("text\n\ncc @a")
        );
    }

    #[test]
    fn an_empty_body_becomes_just_the_cc_line() {
        assert_eq!(merge("", &users(&["a", "b"])).as_deref(), Some("cc @a @b"));
        assert_eq!(merge("  \n", &users(&["a"])).as_deref(), Some("cc @a"));
    }

    #[test]
    fn keeps_existing_names_and_adds_new_ones_once() {
        let body = "Intro\n\ncc @zed @alice\n\nOutro";
        let merged = merge(body, &users(&["alice", "bob", "bob", "Zed"]));
        assert_eq!(
            merged.as_deref(),
            Some("Intro\n\ncc @zed @alice @bob\n\nOutro")
        );
    }

    #[test]
    fn nothing_new_means_no_change() {
        let body = "x\r\n\r\ncc @alice @org/team\r\n";
        assert_eq!(merge(body, &users(&["alice", "org/team"])), None);
        assert_eq!(merge(body, &[]), None);
    }

    #[test]
    fn crlf_bodies_keep_their_line_endings() {
        assert_eq!(
            merge("a\r\nb", &users(&["x"])).as_deref(),
            Some("a\r\nb\r\n\r\ncc @x")
        );
        let merged = merge("a\r\ncc @x\r\nb", &users(&["y"]));
        assert_eq!(merged.as_deref(), Some("a\r\ncc @x @y\r\nb"));
    }

    #[test]
    fn a_sentence_starting_with_cc_is_not_the_cc_line() {
        let body = "cc @alice for review please";
        assert_eq!(parse(body), None);
        assert_eq!(
            merge(body, &users(&["b"])).as_deref(),
            Some("cc @alice for review please\n\ncc @b")
        );
    }

    #[test]
    fn parses_and_renders_round_trip() {
        let line = render(&users(&["a", "org/t"]));
        assert_eq!(line, "cc @a @org/t");
        assert_eq!(
            parse(&format!("body\n\n  {line}  \n")),
            Some(users(&["a", "org/t"]))
        );
    }

    #[test]
    fn every_other_byte_survives() {
        let body = "émoji 🎉\ttabs\n```\ncode @not-cc\n```\n\ncc @a\n<!-- hidden -->";
        let merged = merge(body, &users(&["b"])).unwrap();
        assert_eq!(merged, body.replace("cc @a", "cc @a @b"));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn login() -> impl Strategy<Value = String> {
        "[A-Za-z0-9][A-Za-z0-9-]{0,8}"
    }

    fn body() -> impl Strategy<Value = String> {
        // Prose, blank lines, CRLF, and sometimes a cc line of its own.
        proptest::collection::vec(
            prop_oneof![
                "[ -~]{0,30}",
                Just(String::new()),
                Just("cc @alice @Bob".to_owned()),
                Just("cc @a for review".to_owned()),
            ],
            0..6,
        )
        .prop_flat_map(|lines| {
            prop_oneof![Just("\n"), Just("\r\n")].prop_map(move |nl| lines.join(nl))
        })
    }

    proptest! {
        #[test]
        fn merging_is_idempotent(body in body(), users in proptest::collection::vec(login(), 0..6)) {
            if let Some(merged) = merge(&body, &users) {
                prop_assert_eq!(merge(&merged, &users), None);
            }
        }

        #[test]
        fn merging_keeps_every_other_line_in_order(body in body(), users in proptest::collection::vec(login(), 1..6)) {
            let merged = merge(&body, &users).unwrap_or_else(|| body.clone());
            let cc = find(&body).map(|line| line.span);
            let mut kept = merged.lines();
            let mut offset = 0;
            for line in body.split_inclusive('\n') {
                let start = offset;
                offset += line.len();
                if cc.as_ref().is_some_and(|span| span.start >= start && span.start < offset) {
                    continue;
                }
                let text = line.trim_end_matches(['\n', '\r']);
                if text.trim().is_empty() {
                    continue; // blank lines around the cc line may change
                }
                prop_assert!(kept.any(|l| l.trim_end_matches('\r') == text), "lost {:?}", text);
            }
        }

        #[test]
        fn merging_never_names_anyone_twice(body in body(), users in proptest::collection::vec(login(), 0..8)) {
            let merged = merge(&body, &users).unwrap_or(body);
            let names = parse(&merged).unwrap_or_default();
            let unique: std::collections::HashSet<String> =
                names.iter().map(|n| n.to_ascii_lowercase()).collect();
            prop_assert_eq!(unique.len(), names.len());
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,200}") {
            let _ = parse(&text);
            let _ = crate::plan::cc::Subscriptions::parse(&text);
        }
    }
}

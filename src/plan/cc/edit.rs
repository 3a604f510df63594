//! Editing the tracking issue for a subscribe or unsubscribe command: one
//! mention added to (or taken from) a label's lines, and every other byte
//! of the body left as it was, so a person's prose, order and spacing
//! survive the bot.

use super::tracking_issue::{parse_line, Line};
use crate::commands::{mentions, Verb};

/// One wish about the tracking issue: `who` (a login or `org/team`,
/// without `@`) subscribed to `label`, or not. Level-based: applying it
/// again to a body where it holds changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Wish {
    pub verb: Verb,
    pub label: String,
    pub who: String,
}

/// The body with every wish applied, in order; `None` when all hold.
pub fn apply_wishes(body: &str, wishes: &[Wish]) -> Option<String> {
    let mut current: Option<String> = None;
    for wish in wishes {
        let text = current.as_deref().unwrap_or(body);
        let edited = match wish.verb {
            Verb::Subscribe => subscribe(text, &wish.label, &wish.who),
            Verb::Unsubscribe => unsubscribe(text, &wish.label, &wish.who),
            // Not a subscription: nothing in the tracking issue changes.
            Verb::Label | Verb::Unlabel => None,
        };
        if let Some(edited) = edited {
            current = Some(edited);
        }
    }
    current
}

/// The body with `who` (a login or `org/team`, without `@`) subscribed to
/// `label`: appended to the label's first line, or to a bare `* label`
/// line, or on a new line at the end. `None` when `who` is subscribed
/// already.
pub fn subscribe(body: &str, label: &str, who: &str) -> Option<String> {
    let mut first_line: Option<std::ops::Range<usize>> = None;
    let mut bare_line: Option<std::ops::Range<usize>> = None;
    for line in lines(body) {
        let text = &body[line.clone()];
        match parse_line(text) {
            Some(Line::Label(name, users)) if name == label => {
                if users.iter().any(|u| u.eq_ignore_ascii_case(who)) {
                    return None;
                }
                first_line.get_or_insert(line);
            }
            None if bare_line.is_none() && is_bare_label_line(text, label) => {
                bare_line = Some(line);
            }
            _ => {}
        }
    }
    let mention = format!(" @{who}");
    if let Some(line) = first_line.or(bare_line) {
        let end = line.start + body[line.clone()].trim_end().len();
        let mut edited = String::with_capacity(body.len() + mention.len());
        edited.push_str(&body[..end]);
        edited.push_str(&mention);
        edited.push_str(&body[end..]);
        return Some(edited);
    }
    let newline = if body.contains("\r\n") { "\r\n" } else { "\n" };
    let separator = match body.is_empty() || body.ends_with(['\n', '\r']) {
        true => "",
        false => newline,
    };
    Some(format!("{body}{separator}* {label}{mention}{newline}"))
}

/// The body with every mention of `who` taken from `label`'s lines. A line
/// left without mentions stays, as prose (`* label`), ready for the next
/// subscriber. `None` when `who` was not subscribed.
pub fn unsubscribe(body: &str, label: &str, who: &str) -> Option<String> {
    let mut cuts: Vec<std::ops::Range<usize>> = Vec::new();
    for line in lines(body) {
        let text = &body[line.clone()];
        if !matches!(parse_line(text), Some(Line::Label(name, _)) if name == label) {
            continue;
        }
        // Mentions after the `*`, as `parse_line` reads them.
        for mention in mentions(&text[1..]) {
            let (start, end) = (line.start + 1 + mention.start, line.start + 1 + mention.end);
            if !body[start + 1..end].eq_ignore_ascii_case(who) {
                continue;
            }
            cuts.push(cut_around(body, line.clone(), start, end));
        }
    }
    if cuts.is_empty() {
        return None;
    }
    let mut edited = String::with_capacity(body.len());
    let mut at = 0;
    for cut in cuts {
        edited.push_str(&body[at..cut.start]);
        at = cut.end;
    }
    edited.push_str(&body[at..]);
    Some(edited)
}

/// The bytes to remove with the mention at `start..end`: the blanks before
/// it, and a comma right after it (or, for the last mention, the comma
/// before it), so `@a, @b` loses either name cleanly.
fn cut_around(
    body: &str,
    line: std::ops::Range<usize>,
    start: usize,
    end: usize,
) -> std::ops::Range<usize> {
    let bytes = body.as_bytes();
    let mut from = start;
    while from > line.start && matches!(bytes[from - 1], b' ' | b'\t') {
        from -= 1;
    }
    let mut to = end;
    if bytes.get(to) == Some(&b',') {
        to += 1;
    } else if body[to..line.end].trim().is_empty() && from > line.start && bytes[from - 1] == b',' {
        from -= 1;
    }
    from..to
}

/// Whether `label` has a line in the body, with subscribers or bare.
pub fn has_line(body: &str, label: &str) -> bool {
    lines(body).any(|line| {
        let text = &body[line];
        matches!(parse_line(text), Some(Line::Label(name, _)) if name == label)
            || is_bare_label_line(text, label)
    })
}

/// `* label`, nothing else: a line waiting for its first subscriber.
fn is_bare_label_line(text: &str, label: &str) -> bool {
    text.strip_prefix("* ")
        .is_some_and(|rest| rest.trim() == label)
}

/// Byte ranges of the body's lines, without their line endings.
fn lines(body: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut start = 0;
    body.split(['\n', '\r']).map(move |line| {
        let range = start..start + line.len();
        start += line.len() + 1;
        range
    })
}

#[cfg(test)]
mod tests {
    use super::super::Subscriptions;
    use super::*;

    const BODY: &str =
        "Subscribe below.\n\n* module: cuda @ngimel, @ptrblck\n* module: docs\n\nThanks!\n";

    #[test]
    fn subscribing_appends_to_the_label_line_and_keeps_every_other_byte() {
        let edited = subscribe(BODY, "module: cuda", "alice").unwrap();
        assert_eq!(
            edited,
            "Subscribe below.\n\n* module: cuda @ngimel, @ptrblck @alice\n* module: docs\n\nThanks!\n"
        );
        assert_eq!(
            Subscriptions::parse(&edited).subscribers("module: cuda"),
            ["ngimel", "ptrblck", "alice"]
        );
    }

    #[test]
    fn subscribing_twice_changes_nothing_whatever_the_case() {
        assert_eq!(subscribe(BODY, "module: cuda", "NGimel"), None);
    }

    #[test]
    fn a_bare_label_line_takes_its_first_subscriber() {
        let edited = subscribe(BODY, "module: docs", "bob").unwrap();
        assert!(
            edited.contains("\n* module: docs @bob\n\nThanks!"),
            "{edited}"
        );
    }

    #[test]
    fn a_new_label_gets_a_line_at_the_end_in_the_body_s_line_ending() {
        let edited = subscribe("intro\r\n* a @x", "oncall: jit", "acme/jit").unwrap();
        assert_eq!(edited, "intro\r\n* a @x\r\n* oncall: jit @acme/jit\r\n");
        assert_eq!(subscribe("", "bug", "a").unwrap(), "* bug @a\n");
    }

    #[test]
    fn unsubscribing_takes_the_name_and_its_separator_only() {
        let first = unsubscribe(BODY, "module: cuda", "ngimel").unwrap();
        assert!(first.contains("\n* module: cuda @ptrblck\n"), "{first}");
        let last = unsubscribe(BODY, "module: cuda", "PTRBLCK").unwrap();
        assert!(last.contains("\n* module: cuda @ngimel\n"), "{last}");
        assert!(last.ends_with("* module: docs\n\nThanks!\n"));
        let both = unsubscribe(&last, "module: cuda", "ngimel").unwrap();
        assert!(both.contains("\n* module: cuda\n"), "{both}");
        assert!(Subscriptions::parse(&both)
            .subscribers("module: cuda")
            .is_empty());
    }

    #[test]
    fn unsubscribing_someone_not_there_or_from_another_label_changes_nothing() {
        assert_eq!(unsubscribe(BODY, "module: cuda", "alice"), None);
        assert_eq!(unsubscribe(BODY, "module: docs", "ngimel"), None);
        // A mention in prose is no subscription.
        assert_eq!(unsubscribe("see @ngimel\n", "x", "ngimel"), None);
    }

    #[test]
    fn unsubscribing_reaches_every_line_of_the_label() {
        let body = "* bug @a @b\n* bug @a\n";
        assert_eq!(unsubscribe(body, "bug", "a").unwrap(), "* bug @b\n* bug\n");
    }
}

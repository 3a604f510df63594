//! Conditions compiled for matching: globs into glob sets, regexes into
//! automata, team names split from logins, and the set of events on which
//! a rule is looked at.
//!
//! Conditions nest, and the rules file may come from a stranger's fork (the
//! config check reads it). `check` refuses a document nested deeper than
//! [`crate::limits::MAX_RULES_DEPTH`] before anything here runs, so the
//! recursion below is bounded. Regexes use the `regex` crate, whose matching
//! is linear in the text for every pattern (no backtracking), and are
//! compiled with a size limit, so neither a pattern nor a title can make
//! the bot slow.

use regex::{Regex, RegexBuilder};

use super::diagnostic::{KeyPath, Problem};
use super::rule::{Condition, EventName, FilesCondition, Kind};

use super::diagnostic::report;
pub(crate) use crate::matchers::Quantifier;
use crate::matchers::{file_glob, FileGlob, LabelMatcher};

/// The most memory one compiled regex may take.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A set of events, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Events(u16);

impl Events {
    pub(crate) fn of(names: &[EventName]) -> Events {
        Events(names.iter().fold(0, |bits, name| bits | name.bit()))
    }

    pub(crate) fn contains(self, name: EventName) -> bool {
        self.0 & name.bit() != 0
    }

    fn union(self, other: Events) -> Events {
        Events(self.0 | other.0)
    }

    fn intersection(self, other: Events) -> Events {
        Events(self.0 & other.0)
    }
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Leaf(Leaf),
}

/// One test, with the words that say it in an explanation.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub test: Test,
    /// `title matches /^\[ROCm\]/`.
    pub text: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    LabelsAny(LabelMatcher),
    /// Each pattern, with its own matcher, must match some label.
    LabelsAll(Vec<(String, LabelMatcher)>),
    LabelsNone(LabelMatcher),
    LabelAdded(LabelMatcher),
    /// The globs `first..first + count` of the ruleset's file index.
    Files {
        quantifier: Quantifier,
        first: usize,
        count: usize,
    },
    Title(Regex),
    Body(Regex),
    /// Logins lowercased; teams as `org/team`, lowercased.
    Author {
        logins: Vec<String>,
        teams: Vec<String>,
    },
    /// GitHub's names: `FIRST_TIME_CONTRIBUTOR`.
    Association(Vec<&'static str>),
    Draft(bool),
    /// A pull request's size from its payload, within `min..=max`.
    Size {
        measure: Measure,
        min: u64,
        max: u64,
    },
    Base(LabelMatcher),
    Head(LabelMatcher),
    Kind(Kind),
    Event(Events),
}

/// What a size condition counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measure {
    ChangedFiles,
    Additions,
    Deletions,
}

impl Cond {
    /// The events on which a rule with this condition is looked at: those
    /// that can change what it reads, or those it names.
    pub(crate) fn triggers(&self) -> Events {
        use EventName::*;
        match self {
            // An `event` among the parts that must all hold says when the
            // rule can hold at all: looking at it on other events would
            // only cost reads.
            Cond::All(conds) if conds.iter().any(Cond::is_event) => conds
                .iter()
                .filter(|c| c.is_event())
                .fold(Events(u16::MAX), |events, c| {
                    events.intersection(c.triggers())
                }),
            Cond::All(conds) | Cond::Any(conds) => conds
                .iter()
                .fold(Events::default(), |events, c| events.union(c.triggers())),
            Cond::Not(cond) => cond.triggers(),
            Cond::Leaf(leaf) => match &leaf.test {
                Test::LabelsAny(_) | Test::LabelsAll(_) | Test::LabelsNone(_) => {
                    Events::of(&[Opened, Reopened, Labeled, Unlabeled])
                }
                Test::LabelAdded(_) => Events::of(&[Opened, Reopened, Labeled]),
                Test::Files { .. } | Test::Size { .. } => {
                    Events::of(&[Opened, Reopened, Synchronize, ReadyForReview])
                }
                Test::Title(_) => Events::of(&[Opened, Reopened, TitleEdited]),
                Test::Body(_) => Events::of(&[Opened, Reopened, BodyEdited]),
                Test::Draft(_) => Events::of(&[Opened, Reopened, ReadyForReview, ConvertedToDraft]),
                Test::Author { .. }
                | Test::Association(_)
                | Test::Base(_)
                | Test::Head(_)
                | Test::Kind(_) => Events::of(&[Opened, Reopened]),
                Test::Event(events) => *events,
            },
        }
    }

    /// The condition in words.
    pub(crate) fn describe(&self) -> String {
        let joined = |conds: &[Cond], with: &str| {
            let parts: Vec<String> = conds
                .iter()
                .map(|c| match c {
                    Cond::Leaf(_) => c.describe(),
                    _ => format!("({})", c.describe()),
                })
                .collect();
            parts.join(with)
        };
        match self {
            Cond::All(conds) => joined(conds, " and "),
            Cond::Any(conds) => joined(conds, " or "),
            Cond::Not(cond) => format!("not ({})", cond.describe()),
            Cond::Leaf(leaf) => leaf.text.clone(),
        }
    }

    fn is_event(&self) -> bool {
        matches!(
            self,
            Cond::Leaf(Leaf {
                test: Test::Event(_),
                ..
            })
        )
    }

    /// Whether the condition, as a conjunction at its top, asks for a pull
    /// request ready for review: such a rule takes its labels back when the
    /// pull request turns draft.
    pub(crate) fn wants_ready(&self) -> bool {
        match self {
            Cond::Leaf(Leaf {
                test: Test::Draft(false),
                ..
            }) => true,
            Cond::All(conds) => conds.iter().any(Cond::wants_ready),
            _ => false,
        }
    }
}

/// Compiles a rule's condition at `at`, reporting what can't be compiled.
/// The depth is bounded by `check` before this runs.
/// The globs of `files` conditions go to `globs`, the ruleset's file index.
pub(crate) fn compile(
    condition: &Condition,
    at: &KeyPath,
    problems: &mut Vec<Problem>,
    globs: &mut Vec<FileGlob>,
) -> Cond {
    let mut parts = Vec::new();
    let leaf = |test: Test, text: String| Cond::Leaf(Leaf { test, text });
    if let Some(any) = &condition.any {
        let conds = any
            .iter()
            .enumerate()
            .map(|(i, c)| compile(c, &at.join("any").join(i), problems, globs))
            .collect();
        parts.push(Cond::Any(conds));
    }
    if let Some(all) = &condition.all {
        let conds = all
            .iter()
            .enumerate()
            .map(|(i, c)| compile(c, &at.join("all").join(i), problems, globs))
            .collect();
        parts.push(Cond::All(conds));
    }
    if let Some(not) = &condition.not {
        parts.push(Cond::Not(Box::new(compile(
            not,
            &at.join("not"),
            problems,
            globs,
        ))));
    }
    if let Some(labels) = &condition.labels {
        let at = at.join("labels");
        if let Some(any) = &labels.any {
            let matcher = report(LabelMatcher::compile(any), &at.join("any"), problems);
            parts.push(leaf(
                Test::LabelsAny(matcher),
                format!("a label matches {}", listed(any)),
            ));
        }
        if let Some(all) = &labels.all {
            let matchers =
                all.iter()
                    .enumerate()
                    .map(|(i, pattern)| {
                        let one = std::slice::from_ref(pattern);
                        let matcher = LabelMatcher::compile(one).unwrap_or_else(|errors| {
                            problems.extend(errors.into_iter().map(|(_, message)| {
                                Problem::error(at.join("all").join(i), message)
                            }));
                            LabelMatcher::default()
                        });
                        (pattern.clone(), matcher)
                    })
                    .collect();
            parts.push(leaf(
                Test::LabelsAll(matchers),
                format!("labels match each of {}", listed(all)),
            ));
        }
        if let Some(none) = &labels.none {
            let matcher = report(LabelMatcher::compile(none), &at.join("none"), problems);
            parts.push(leaf(
                Test::LabelsNone(matcher),
                format!("no label matches {}", listed(none)),
            ));
        }
        if labels.any.is_none() && labels.all.is_none() && labels.none.is_none() {
            problems.push(
                Problem::error(at, "`labels` says nothing")
                    .with_help("give `any`, `all` or `none`"),
            );
        }
    }
    if let Some(added) = &condition.label_added {
        let matcher = report(
            LabelMatcher::compile(added),
            &at.join("label_added"),
            problems,
        );
        parts.push(leaf(
            Test::LabelAdded(matcher),
            format!("a label matching {} arrived", listed(added)),
        ));
    }
    if let Some(files) = &condition.files {
        compile_files(files, &at.join("files"), problems, globs, &mut parts);
    }
    if let Some(pattern) = &condition.title {
        parts.push(match regex(pattern, &at.join("title"), problems) {
            Some(regex) => leaf(Test::Title(regex), format!("title matches /{pattern}/")),
            None => Cond::Any(Vec::new()),
        });
    }
    if let Some(pattern) = &condition.body {
        parts.push(match regex(pattern, &at.join("body"), problems) {
            Some(regex) => leaf(Test::Body(regex), format!("body matches /{pattern}/")),
            None => Cond::Any(Vec::new()),
        });
    }
    if let Some(authors) = &condition.author {
        let mut logins = Vec::new();
        let mut teams = Vec::new();
        for (i, author) in authors.iter().enumerate() {
            let name = author.strip_prefix('@').unwrap_or(author);
            let valid = |s: &str| {
                !s.is_empty()
                    && s.len() <= 100
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            };
            match name.split_once('/') {
                Some((org, team)) if valid(org) && valid(team) => {
                    teams.push(name.to_ascii_lowercase())
                }
                None if valid(name) => logins.push(name.to_ascii_lowercase()),
                _ => problems.push(
                    Problem::error(
                        at.join("author").join(i),
                        format!("`{author}` is not a login or `@org/team`"),
                    )
                    .with_help("write `alice`, or `@org/team` for a team"),
                ),
            }
        }
        parts.push(leaf(
            Test::Author { logins, teams },
            format!("author is {}", listed(authors)),
        ));
    }
    if let Some(associations) = &condition.author_association {
        let names: Vec<&'static str> = associations.iter().map(|a| a.github_name()).collect();
        parts.push(leaf(
            Test::Association(names.clone()),
            format!("author association is {}", names.join(" or ")),
        ));
    }
    for (key, size, measure, counted) in [
        (
            "changed_files",
            condition.changed_files,
            Measure::ChangedFiles,
            "changed files",
        ),
        (
            "additions",
            condition.additions,
            Measure::Additions,
            "lines added",
        ),
        (
            "deletions",
            condition.deletions,
            Measure::Deletions,
            "lines deleted",
        ),
    ] {
        let Some(size) = size else { continue };
        let (min, max) = (size.min.unwrap_or(0), size.max.unwrap_or(u64::MAX));
        let text = match (size.min, size.max) {
            (Some(min), Some(max)) => format!("{min} to {max} {counted}"),
            (Some(min), None) => format!("at least {min} {counted}"),
            (None, Some(max)) => format!("at most {max} {counted}"),
            (None, None) => {
                problems.push(
                    Problem::error(at.join(key), format!("`{key}` says nothing"))
                        .with_help("give `min`, `max` or both"),
                );
                continue;
            }
        };
        if min > max {
            problems.push(Problem::error(
                at.join(key),
                format!("`{key}` has `min` {min} above `max` {max}, so it never holds"),
            ));
            continue;
        }
        parts.push(leaf(Test::Size { measure, min, max }, text));
    }
    if let Some(draft) = condition.draft {
        let text = match draft {
            true => "a draft pull request",
            false => "a pull request ready for review",
        };
        parts.push(leaf(Test::Draft(draft), text.to_owned()));
    }
    for (key, branches) in [("base", &condition.base), ("head", &condition.head)] {
        if let Some(branches) = branches {
            let matcher = report(LabelMatcher::compile(branches), &at.join(key), problems);
            let text = format!("{key} branch matches {}", listed(branches));
            let test = match key {
                "base" => Test::Base(matcher),
                _ => Test::Head(matcher),
            };
            parts.push(leaf(test, text));
        }
    }
    if let Some(kind) = condition.kind {
        let text = match kind {
            Kind::Issue => "an issue",
            Kind::PullRequest => "a pull request",
        };
        parts.push(leaf(Test::Kind(kind), text.to_owned()));
    }
    if let Some(events) = &condition.event {
        let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
        parts.push(leaf(
            Test::Event(Events::of(events)),
            format!("event is {}", names.join(" or ")),
        ));
    }
    if parts.is_empty() {
        problems.push(
            Problem::error(
                at.clone(),
                "this condition says nothing, so it would always hold",
            )
            .with_help("give at least one key, such as `labels`, `title` or `files`"),
        );
    }
    match parts.len() {
        1 => parts.pop().unwrap_or(Cond::All(Vec::new())),
        _ => Cond::All(parts),
    }
}

fn compile_files(
    files: &FilesCondition,
    at: &KeyPath,
    problems: &mut Vec<Problem>,
    index: &mut Vec<FileGlob>,
    parts: &mut Vec<Cond>,
) {
    let quantified = [
        (
            "any_glob_to_any_file",
            &files.any_glob_to_any_file,
            Quantifier::AnyGlobToAnyFile,
            "a changed file matches",
        ),
        (
            "any_glob_to_all_files",
            &files.any_glob_to_all_files,
            Quantifier::AnyGlobToAllFiles,
            "one glob matches every changed file of",
        ),
        (
            "all_globs_to_any_file",
            &files.all_globs_to_any_file,
            Quantifier::AllGlobsToAnyFile,
            "a changed file matches all of",
        ),
        (
            "all_globs_to_all_files",
            &files.all_globs_to_all_files,
            Quantifier::AllGlobsToAllFiles,
            "every changed file matches all of",
        ),
        (
            "all_files_to_any_glob",
            &files.all_files_to_any_glob,
            Quantifier::AllFilesToAnyGlob,
            "every changed file matches one of",
        ),
    ];
    let before = parts.len();
    for (key, globs, quantifier, words) in quantified {
        if let Some(globs) = globs {
            parts.push(Cond::Leaf(Leaf {
                test: files_test(quantifier, globs, &at.join(key), problems, index),
                text: format!("{words} {}", listed(globs)),
            }));
        }
    }
    if parts.len() == before {
        problems.push(
            Problem::error(at.clone(), "`files` says nothing")
                .with_help("give `any_glob_to_any_file` or one of the other quantifiers"),
        );
    }
}

/// A files test over `globs`, which join the file index; a glob that
/// does not compile is reported and left out.
pub(crate) fn files_test(
    quantifier: Quantifier,
    globs: &[String],
    at: &KeyPath,
    problems: &mut Vec<Problem>,
    index: &mut Vec<FileGlob>,
) -> Test {
    let first = index.len();
    for (i, pattern) in globs.iter().enumerate() {
        match file_glob(pattern) {
            Ok(glob) => index.push(glob),
            Err(message) => problems.push(Problem::error(at.join(i), message)),
        }
    }
    Test::Files {
        quantifier,
        first,
        count: index.len() - first,
    }
}

thread_local! {
    /// When the check running on this thread must stop compiling regexes
    /// (`check_within`), and whether it had to: compiling is the one part
    /// of a check whose cost a file's author can push far up (case-folded
    /// Unicode classes), so the budget is enforced between regexes.
    static DEADLINE: std::cell::Cell<(Option<std::time::Instant>, bool)> =
        const { std::cell::Cell::new((None, false)) };
}

/// Runs `check` with regex compilation cut off at `deadline`; `true` when
/// it was cut off.
pub(crate) fn within_deadline<T>(
    deadline: std::time::Instant,
    check: impl FnOnce() -> T,
) -> (T, bool) {
    DEADLINE.with(|d| d.set((Some(deadline), false)));
    let value = check();
    let (_, ran_out) = DEADLINE.with(|d| d.replace((None, false)));
    (value, ran_out)
}

/// A regex from the rules file, compiled with a size limit; `None`, with
/// the problem reported, when it can't be (or the check's time ran out).
fn regex(pattern: &str, at: &KeyPath, problems: &mut Vec<Problem>) -> Option<Regex> {
    let (deadline, _) = DEADLINE.with(|d| d.get());
    if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
        DEADLINE.with(|d| d.set((deadline, true)));
        problems.push(Problem::error(
            at.clone(),
            "not compiled: the check ran out of time",
        ));
        return None;
    }
    let compiled = RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build();
    match compiled {
        Ok(regex) => Some(regex),
        Err(error) => {
            let reason = match &error {
                regex::Error::CompiledTooBig(_) => {
                    "it compiles to more than 1 MiB; simplify it (bounded repetitions like {1000} multiply)".to_owned()
                }
                other => first_line(&other.to_string()),
            };
            problems.push(Problem::error(
                at.clone(),
                format!("`{pattern}` is not a regular expression probot can use: {reason}"),
            ));
            None
        }
    }
}

/// The regex crate's messages draw the pattern with a caret over several
/// lines; the last line says what is wrong.
fn first_line(message: &str) -> String {
    message
        .lines()
        .rev()
        .find(|line| line.trim_start().starts_with("error:"))
        .map(|line| {
            line.trim_start()
                .trim_start_matches("error:")
                .trim()
                .to_owned()
        })
        .unwrap_or_else(|| message.lines().last().unwrap_or_default().to_owned())
}

/// `` `a`, `b` `` for an explanation, at most five named.
fn listed(items: &[String]) -> String {
    let mut named: Vec<String> = items.iter().take(5).map(|i| format!("`{i}`")).collect();
    if items.len() > 5 {
        named.push(format!("{} more", items.len() - 5));
    }
    named.join(", ")
}

/// How many regexes a condition holds (each `title` and `body`).
pub(crate) fn regexes(condition: &Condition) -> usize {
    // An explicit stack: depth is checked before, but this runs on the
    // rules of a fork too, so it does not lean on that.
    let mut stack = vec![condition];
    let mut count = 0;
    while let Some(condition) = stack.pop() {
        stack.extend(condition.any.iter().flatten());
        stack.extend(condition.all.iter().flatten());
        stack.extend(condition.not.as_deref());
        count += usize::from(condition.title.is_some()) + usize::from(condition.body.is_some());
    }
    count
}

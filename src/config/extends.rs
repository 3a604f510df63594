//! Rules shared across repositories: a file that `extends` another (or the
//! organization's file, which a repository without rules uses), merged
//! before it is checked, with every problem located in the file it is in.
//!
//! The merge, on the parsed documents: tables merge key by key, the
//! extending file winning on every other value (scalars and lists of
//! scalars); lists of tables (`rules`, `labels.implies`, …) are the base's
//! first, then the extending file's, less the base's rules it names in
//! `disable`. One level only: a base that extends another file is refused,
//! and named with both files (a cycle when it names the extending one).
//!
//! Both documents are bounded in depth before they merge (`check`'s
//! `MAX_RULES_DEPTH`), so the merge's recursion is too.

use std::fmt;

use serde_json::{Map, Value as Json};

use super::diagnostic::{KeyPath, Location, Problem, Segment};
use super::spans::{Part, SpannedDocument};
use super::RULES_PATH;

/// The organization's own repository, where GitHub keeps organization
/// defaults, and where a repository without rules finds them.
pub const ORGANIZATION_REPO: &str = ".github";

/// A rules file somewhere: a repository (`owner/name`) and a path in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RulesRef {
    pub owner: String,
    pub name: String,
    pub path: String,
}

impl RulesRef {
    /// The organization's file for a repository of `owner`.
    pub fn organization(owner: &str) -> RulesRef {
        RulesRef {
            owner: owner.to_owned(),
            name: ORGANIZATION_REPO.to_owned(),
            path: RULES_PATH.to_owned(),
        }
    }

    /// A repository's own rules file.
    pub fn of_repository(owner: &str, name: &str) -> RulesRef {
        RulesRef {
            owner: owner.to_owned(),
            name: name.to_owned(),
            path: RULES_PATH.to_owned(),
        }
    }

    /// What `extends = "…"` names, for a file of a repository of `owner`:
    /// `".github"`, `"ORG/REPO"` or `"ORG/REPO:PATH"`. `None` for anything
    /// else (the schema says why).
    pub fn extended(value: &str, owner: &str) -> Option<RulesRef> {
        if value == ORGANIZATION_REPO {
            return Some(RulesRef::organization(owner));
        }
        let (repo, path) = match value.split_once(':') {
            Some((repo, path)) if !path.is_empty() => (repo, path),
            Some(_) => return None,
            None => (value, RULES_PATH),
        };
        let (org, name) = repo.split_once('/')?;
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        let path_ok = !path.starts_with('/') && !path.split('/').any(|p| p == ".." || p.is_empty());
        (plain(org) && plain(name) && path_ok).then(|| RulesRef {
            owner: org.to_owned(),
            name: name.to_owned(),
            path: path.to_owned(),
        })
    }
}

impl fmt::Display for RulesRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.owner.is_empty() {
            // A file given by its path (`probot check --base`).
            true => f.write_str(&self.path),
            false => write!(f, "{}/{}:{}", self.owner, self.name, self.path),
        }
    }
}

/// The `extends` a rules text names, read before the file is checked (a
/// text that does not parse names none: `check` says why).
pub fn extends_of(text: &str) -> Option<String> {
    if text.len() > crate::limits::MAX_RULES_BYTES {
        return None;
    }
    let table: toml::Table = text.parse().ok()?;
    table.get("extends")?.as_str().map(str::to_owned)
}

/// A base file, as read: its name for messages and its text.
#[derive(Debug, Clone, Copy)]
pub struct Base<'a> {
    pub name: &'a RulesRef,
    pub text: &'a str,
    /// The file that extends it, when known: a base extending it back is
    /// a cycle, named so.
    pub of: Option<&'a RulesRef>,
}

/// Which file a part of the merged rules comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Own,
    Base,
}

/// The merged rules, and where each part of them comes from.
pub(super) struct Merged {
    pub json: Json,
    /// Lists of tables made of both files': where, and which of the base's
    /// entries were kept (by their index in the base), in order.
    concatenated: Vec<(KeyPath, Vec<usize>)>,
}

/// Merges `own` onto `base` (both parsed), leaving out the base's rules
/// that `own` disables; a name `disable` lists that no base rule has is a
/// problem of `own`'s.
pub(super) fn merge(base: &Json, own: &Json, problems: &mut Vec<Problem>) -> Merged {
    let mut concatenated = Vec::new();
    let mut json = merge_at(base, own, KeyPath::root(), &mut concatenated);
    let disabled: Vec<&str> = own
        .get("disable")
        .and_then(Json::as_array)
        .map(|names| names.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let rules_at = KeyPath::root().join("rules");
    let base_rules = base.get("rules").and_then(Json::as_array);
    for (i, name) in disabled.iter().enumerate() {
        let known = base_rules.is_some_and(|rules| {
            rules
                .iter()
                .any(|r| r.get("name").and_then(Json::as_str) == Some(name))
        });
        if !known {
            problems.push(
                Problem::error(
                    KeyPath::root().join("disable").join(i),
                    format!("no rule of the base is named `{name}`"),
                )
                .with_help("`disable` leaves out the base's rules by their `name`"),
            );
        }
    }
    if !disabled.is_empty() {
        if let Some((_, kept)) = concatenated.iter_mut().find(|(at, _)| *at == rules_at) {
            let named = |i: &usize| {
                base_rules
                    .and_then(|rules| rules.get(*i))
                    .and_then(|r| r.get("name"))
                    .and_then(Json::as_str)
                    .is_some_and(|name| disabled.contains(&name))
            };
            let left_out: Vec<usize> = kept
                .iter()
                .enumerate()
                .filter(|(_, i)| named(i))
                .map(|(at, _)| at)
                .collect();
            if let Some(Json::Array(rules)) = json.get_mut("rules") {
                for at in left_out.iter().rev() {
                    rules.remove(*at);
                    kept.remove(*at);
                }
            }
        }
    }
    Merged { json, concatenated }
}

fn is_list_of_tables(value: &Json) -> bool {
    value
        .as_array()
        .is_some_and(|items| items.iter().all(Json::is_object))
}

fn merge_at(
    base: &Json,
    own: &Json,
    at: KeyPath,
    concatenated: &mut Vec<(KeyPath, Vec<usize>)>,
) -> Json {
    match (base, own) {
        (Json::Object(base), Json::Object(own)) => {
            let mut merged: Map<String, Json> = base.clone();
            for (key, value) in own {
                let value = match base.get(key) {
                    Some(under) => merge_at(under, value, at.join(key.as_str()), concatenated),
                    None => value.clone(),
                };
                merged.insert(key.clone(), value);
            }
            Json::Object(merged)
        }
        (Json::Array(base_items), Json::Array(own_items))
            if is_list_of_tables(base) && is_list_of_tables(own) =>
        {
            concatenated.push((at, (0..base_items.len()).collect()));
            Json::Array(base_items.iter().chain(own_items).cloned().collect())
        }
        (_, own) => own.clone(),
    }
}

impl Merged {
    /// The file a part of the merged rules is in, and where in it.
    pub(super) fn origin(&self, path: &KeyPath, own: &Json, base: &Json) -> (Side, KeyPath) {
        let segments = path.segments();
        for (prefix, kept) in &self.concatenated {
            let n = prefix.segments().len();
            if segments.len() <= n || segments[..n] != *prefix.segments() {
                continue;
            }
            let Segment::Index(i) = segments[n] else {
                continue;
            };
            let rest = &segments[n + 1..];
            let (side, index) = match kept.get(i) {
                Some(original) => (Side::Base, *original),
                None => (Side::Own, i - kept.len()),
            };
            let mut mapped = prefix.join(index);
            mapped.0.extend(rest.iter().cloned());
            return (side, mapped);
        }
        match (found(own, path), found(base, path)) {
            (false, true) => (Side::Base, path.clone()),
            _ => (Side::Own, path.clone()),
        }
    }
}

/// Whether `path` leads somewhere in `json`.
fn found(json: &Json, path: &KeyPath) -> bool {
    let mut here = json;
    for segment in path.segments() {
        let next = match segment {
            Segment::Key(key) => here.get(key.as_str()),
            Segment::Index(i) => here.get(*i),
        };
        match next {
            Some(next) => here = next,
            None => return false,
        }
    }
    true
}

/// One file taking part in a check: its text and parsed document.
pub(super) struct Source<'s> {
    pub text: &'s str,
    pub document: SpannedDocument<'s>,
    pub json: Json,
}

/// Where problems of the merged rules are pointed at: the file each part
/// comes from.
pub(super) struct Locator<'s> {
    pub own: Source<'s>,
    /// The base, its name, and the merge.
    pub base: Option<(Source<'s>, &'s RulesRef, Merged)>,
}

impl Locator<'_> {
    /// The problem located in the file its place comes from; a base's
    /// problem names the base.
    pub(super) fn locate(&self, mut problem: Problem, part: Part) -> Problem {
        if problem.location.is_some() {
            return problem;
        }
        let (source, path) = match &self.base {
            Some((base, name, merged)) => {
                match merged.origin(&problem.path, &self.own.json, &base.json) {
                    (Side::Base, path) => {
                        problem.file = Some(name.to_string());
                        (base, path)
                    }
                    (Side::Own, path) => (&self.own, path),
                }
            }
            None => (&self.own, problem.path.clone()),
        };
        problem.location = source
            .document
            .span(&path, part)
            .map(|span| Location::of(source.text, span));
        problem.path = path;
        problem
    }

    /// Where a rule of the merged rules is: the file (when the base), the
    /// path in it, and the line it starts on.
    pub(super) fn place_of(&self, path: &KeyPath) -> (Option<String>, KeyPath, Option<usize>) {
        let located = self.locate(Problem::error(path.clone(), String::new()), Part::Value);
        (located.file, located.path, located.location.map(|l| l.line))
    }
}

//! Rules compiled for matching, once per loaded rules file: the form the
//! planner reads. `check` builds it while it validates, with the same
//! options, so no glob that `check` refused can ever reach a plan.

use std::collections::HashSet;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use super::condition::{Cond, Events};
use super::Rules;

/// Matches label names against a rule's `when` or `unless` list. An entry
/// always matches the label of exactly its name; an entry with glob
/// characters (`*`, `?`, `[`, `{`) also matches as a glob.
#[derive(Debug, Clone, Default)]
pub struct LabelMatcher {
    exact: HashSet<String>,
    globs: Option<GlobSet>,
}

/// Why one pattern of a list can't be compiled: its index and the reason.
pub(crate) type PatternError = (usize, String);

impl LabelMatcher {
    /// Compiles `patterns`, or says which of them are not valid globs.
    pub(crate) fn compile(patterns: &[String]) -> Result<Self, Vec<PatternError>> {
        let mut builder = GlobSetBuilder::new();
        let mut errors = Vec::new();
        let mut any_glob = false;
        for (i, pattern) in patterns.iter().enumerate() {
            if pattern.trim().is_empty() {
                errors.push((i, "an empty pattern matches nothing".to_owned()));
            } else if pattern.contains(['*', '?', '[', '{']) {
                match Glob::new(pattern) {
                    Ok(glob) => {
                        builder.add(glob);
                        any_glob = true;
                    }
                    Err(error) => errors.push((i, glob_error(pattern, &error))),
                }
            }
        }
        let globs = match any_glob {
            false => None,
            true => Some(builder.build().map_err(|e| vec![(0, e.to_string())])?),
        };
        match errors.is_empty() {
            true => Ok(LabelMatcher {
                exact: patterns.iter().cloned().collect(),
                globs,
            }),
            false => Err(errors),
        }
    }

    pub fn matches(&self, label: &str) -> bool {
        self.exact.contains(label) || self.globs.as_ref().is_some_and(|g| g.is_match(label))
    }

    pub fn matches_any<'a>(&self, mut labels: impl Iterator<Item = &'a str>) -> bool {
        labels.any(|label| self.matches(label))
    }
}

/// Matches changed file paths. `*` stays within one directory; a pattern
/// without `/` matches a file name in any directory, as in `.gitignore`.
#[derive(Debug, Clone, Default)]
pub struct PathMatcher {
    globs: GlobSet,
}

impl PathMatcher {
    /// Compiles `patterns`, or says which of them are not valid globs.
    pub(crate) fn compile(patterns: &[String]) -> Result<Self, Vec<PatternError>> {
        let mut builder = GlobSetBuilder::new();
        let mut errors = Vec::new();
        for (i, pattern) in patterns.iter().enumerate() {
            match path_glob(pattern) {
                Ok(glob) => {
                    builder.add(glob);
                }
                Err(error) => errors.push((i, error)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let globs = builder.build().map_err(|e| vec![(0, e.to_string())])?;
        Ok(PathMatcher { globs })
    }

    pub fn matches(&self, path: &str) -> bool {
        self.globs.is_match(path)
    }

    /// The indexes of the patterns that match `path`.
    pub fn matching(&self, path: &str) -> Vec<usize> {
        self.globs.matches(path)
    }
}

/// One path glob, anchored as `PathMatcher` has it, or why it is not one.
pub(crate) fn path_glob(pattern: &str) -> Result<Glob, String> {
    if pattern.trim().is_empty() {
        return Err("an empty pattern matches nothing".to_owned());
    }
    let rooted = pattern.trim_start_matches('/');
    let anchored = match rooted.contains('/') {
        true => rooted.to_owned(),
        false => format!("**/{rooted}"),
    };
    GlobBuilder::new(&anchored)
        .literal_separator(true)
        .build()
        .map_err(|error| glob_error(pattern, &error))
}

/// Every glob of the label rules' `files` conditions in one set: one pass
/// per changed file answers every rule, instead of one pass per rule.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileIndex {
    globs: GlobSet,
    len: usize,
}

/// Which globs of a [`FileIndex`] each changed file matches.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileHits {
    /// Per file, the indexes of the globs it matches, in order.
    per_file: Vec<Vec<usize>>,
    /// Per glob, whether some file matches it.
    any_file: Vec<bool>,
}

impl FileIndex {
    pub(crate) fn new(globs: Vec<Glob>) -> Result<Self, String> {
        let len = globs.len();
        let mut builder = GlobSetBuilder::new();
        for glob in globs {
            builder.add(glob);
        }
        let globs = builder.build().map_err(|e| e.to_string())?;
        Ok(FileIndex { globs, len })
    }

    pub(crate) fn hits(&self, files: &[String]) -> FileHits {
        let mut any_file = vec![false; self.len];
        let per_file = files
            .iter()
            .map(|file| {
                let mut matched = self.globs.matches(file);
                matched.sort_unstable();
                for &g in &matched {
                    any_file[g] = true;
                }
                matched
            })
            .collect();
        FileHits { per_file, any_file }
    }
}

impl FileHits {
    /// How many of the globs `first..first + count` file `file` matches.
    fn matched(&self, file: usize, first: usize, count: usize) -> usize {
        let hits = &self.per_file[file];
        hits.partition_point(|&g| g < first + count) - hits.partition_point(|&g| g < first)
    }

    /// actions/labeler's four quantifiers over the globs
    /// `first..first + count`. The "every file" ones need a file.
    pub(crate) fn quantify(
        &self,
        quantifier: super::Quantifier,
        first: usize,
        count: usize,
    ) -> bool {
        use super::Quantifier::*;
        let files = 0..self.per_file.len();
        let some_file = !self.per_file.is_empty();
        match quantifier {
            AnyGlobToAnyFile => self.any_file[first..first + count].iter().any(|&hit| hit),
            AnyGlobToAllFiles => {
                some_file && files.into_iter().all(|f| self.matched(f, first, count) > 0)
            }
            AllGlobsToAnyFile => files
                .into_iter()
                .any(|f| self.matched(f, first, count) == count),
            AllGlobsToAllFiles => {
                some_file
                    && files
                        .into_iter()
                        .all(|f| self.matched(f, first, count) == count)
            }
        }
    }

    /// The first file matching one of the globs `first..first + count`.
    pub(crate) fn first_match(&self, first: usize, count: usize) -> Option<usize> {
        (0..self.per_file.len()).find(|&f| self.matched(f, first, count) > 0)
    }
}

fn glob_error(pattern: &str, error: &globset::Error) -> String {
    format!("`{pattern}` is not a valid glob: {}", error.kind())
}

/// A rule that adds or removes labels or keeps a comment: a `[[rules]]`
/// entry, or the rule an implication or a path rule is shorthand for.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    /// Where the rule is in the file: `rules[3]`, `labels.paths[0]`.
    pub at: super::diagnostic::KeyPath,
    /// The line it starts on, once `check` has located it.
    pub line: Option<usize>,
    pub name: Option<String>,
    pub when: Cond,
    /// The events on which the rule is looked at.
    pub triggers: Events,
    /// Its condition asks for a pull request ready for review: its labels
    /// go when the pull request turns draft.
    pub wants_ready: bool,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    /// The hidden marker and the whole body of the rule's comment.
    pub comment: Option<(String, String)>,
    pub sync: bool,
}

impl CompiledRule {
    pub(crate) fn new(at: super::diagnostic::KeyPath, when: Cond) -> Self {
        CompiledRule {
            at,
            line: None,
            name: None,
            triggers: when.triggers(),
            wants_ready: when.wants_ready(),
            when,
            add: Vec::new(),
            remove: Vec::new(),
            comment: None,
            sync: false,
        }
    }

    /// What the rule does, in one line: `rules[3] "rocm" (line 12): when
    /// title matches /^\[ROCm\]/, add `module: rocm``.
    pub(crate) fn describe(&self) -> String {
        let mut effects = Vec::new();
        let listed = |labels: &[String]| {
            let quoted: Vec<String> = labels.iter().map(|l| format!("`{l}`")).collect();
            quoted.join(", ")
        };
        if !self.add.is_empty() {
            effects.push(format!("add {}", listed(&self.add)));
        }
        if !self.remove.is_empty() {
            effects.push(format!("remove {}", listed(&self.remove)));
        }
        if self.comment.is_some() {
            effects.push("keep its comment".to_owned());
        }
        if self.sync {
            effects.push("take its labels back when it stops holding".to_owned());
        }
        format!(
            "{}: when {}, {}",
            self.origin(),
            self.when.describe(),
            effects.join("; ")
        )
    }

    /// `rules[3] "rocm" (line 12)`: how explanations name the rule.
    pub(crate) fn origin(&self) -> String {
        let mut origin = self.at.to_string();
        if let Some(name) = &self.name {
            origin.push_str(&format!(" {name:?}"));
        }
        if let Some(line) = self.line {
            origin.push_str(&format!(" (line {line})"));
        }
        origin
    }
}

/// A repository's rules, checked and compiled, ready to plan with. Made
/// only by `config::load` and `config::check`.
#[derive(Debug, Clone, Default)]
pub struct Ruleset {
    pub rules: Rules,
    /// `labels.paths`, then `labels.implies`, then `rules`, in the
    /// file's order within each.
    pub(crate) label_rules: Vec<CompiledRule>,
    /// The globs of their `files` conditions.
    pub(crate) file_index: FileIndex,
    /// `cc.paths`, compiled.
    pub(crate) cc_paths: crate::subscriptions::PathSubscriptions,
    /// `labels.respect_removals_for`, in seconds.
    pub(crate) respect_removals_for: Option<u64>,
    /// `labels.issues_only` and `labels.pull_requests_only`.
    pub(crate) issues_only: LabelMatcher,
    pub(crate) pull_requests_only: LabelMatcher,
    /// `labels.required[i].one_of`, compiled, in order.
    pub(crate) required: Vec<LabelMatcher>,
}

impl Ruleset {
    /// Each rule that adds or removes labels, in words, in the order they
    /// run: for the check run of a pull request that changes the rules.
    pub fn describe_label_rules(&self) -> Vec<String> {
        self.label_rules
            .iter()
            .map(CompiledRule::describe)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn label_globs_and_exact_names() {
        let m = LabelMatcher::compile(&strings(&["module: *", "bug", "[RFC]"])).unwrap();
        assert!(m.matches("module: cuda"));
        assert!(m.matches("bug"));
        assert!(m.matches("[RFC]"));
        assert!(!m.matches("Bug"));
        assert!(!m.matches("oncall: jit"));
    }

    #[test]
    fn path_globs_follow_gitignore_habits() {
        let m = PathMatcher::compile(&strings(&["docs/**", "*.md", "/torch/cuda/*.py"])).unwrap();
        assert!(m.matches("docs/source/index.rst"));
        assert!(m.matches("README.md"));
        assert!(m.matches("third_party/x/NOTES.md"));
        assert!(m.matches("torch/cuda/memory.py"));
        assert!(!m.matches("torch/cuda/amp/autocast.py"));
        assert!(!m.matches("src/docs.rs"));
    }

    #[test]
    fn bad_patterns_are_named_by_index() {
        let errors = PathMatcher::compile(&strings(&["ok/**", "src/[", " "])).unwrap_err();
        let at: Vec<usize> = errors.iter().map(|(i, _)| *i).collect();
        assert_eq!(at, [1, 2]);
        assert!(errors[0].1.contains("not a valid glob"), "{:?}", errors[0]);
        assert!(LabelMatcher::compile(&strings(&["module: {cuda"])).is_err());
        assert!(LabelMatcher::compile(&strings(&["plain name"])).is_ok());
    }
}

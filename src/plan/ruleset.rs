//! Rules compiled for matching: globs built once per loaded rules file, not
//! once per event.

use std::collections::HashSet;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::config::{Implication, PathRule, Rules};

/// Matches label names against a rule's `when` or `unless` list. An entry
/// always matches the label of exactly its name; an entry with glob
/// characters (`*`, `?`, `[`, `{`) also matches as a glob.
#[derive(Debug, Clone, Default)]
pub struct LabelMatcher {
    exact: HashSet<String>,
    globs: Option<GlobSet>,
}

impl LabelMatcher {
    /// Patterns that are not valid globs match only themselves; `check`
    /// reports them, and rules with errors are never loaded.
    pub fn new(patterns: &[String]) -> Self {
        let mut builder = GlobSetBuilder::new();
        let mut any_glob = false;
        for pattern in patterns {
            if pattern.contains(['*', '?', '[', '{']) {
                if let Ok(glob) = Glob::new(pattern) {
                    builder.add(glob);
                    any_glob = true;
                }
            }
        }
        LabelMatcher {
            exact: patterns.iter().cloned().collect(),
            globs: if any_glob { builder.build().ok() } else { None },
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
#[derive(Debug, Clone)]
pub struct PathMatcher {
    globs: GlobSet,
}

impl PathMatcher {
    pub fn new(patterns: &[String]) -> Self {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let pattern = pattern.trim_start_matches('/');
            let anchored = if pattern.contains('/') {
                pattern.to_owned()
            } else {
                format!("**/{pattern}")
            };
            if let Ok(glob) = GlobBuilder::new(&anchored).literal_separator(true).build() {
                builder.add(glob);
            }
        }
        PathMatcher {
            globs: builder.build().unwrap_or_else(|_| GlobSet::empty()),
        }
    }

    pub fn matches(&self, path: &str) -> bool {
        self.globs.is_match(path)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledImplication {
    pub when: LabelMatcher,
    pub unless: LabelMatcher,
    pub add: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledPathRule {
    pub files: PathMatcher,
    pub add: Vec<String>,
}

/// A repository's rules, ready to plan with.
#[derive(Debug, Clone)]
pub struct Ruleset {
    pub rules: Rules,
    pub(crate) implies: Vec<CompiledImplication>,
    pub(crate) paths: Vec<CompiledPathRule>,
}

impl Ruleset {
    pub fn new(rules: Rules) -> Self {
        let implies = rules
            .labels
            .implies
            .iter()
            .map(|Implication { when, add, unless }| CompiledImplication {
                when: LabelMatcher::new(when),
                unless: LabelMatcher::new(unless),
                add: add.clone(),
            })
            .collect();
        let paths = rules
            .labels
            .paths
            .iter()
            .map(|PathRule { files, add }| CompiledPathRule {
                files: PathMatcher::new(files),
                add: add.clone(),
            })
            .collect();
        Ruleset {
            rules,
            implies,
            paths,
        }
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
        let m = LabelMatcher::new(&strings(&["module: *", "bug", "[RFC]"]));
        assert!(m.matches("module: cuda"));
        assert!(m.matches("bug"));
        assert!(m.matches("[RFC]"));
        assert!(!m.matches("Bug"));
        assert!(!m.matches("oncall: jit"));
    }

    #[test]
    fn path_globs_follow_gitignore_habits() {
        let m = PathMatcher::new(&strings(&["docs/**", "*.md", "/torch/cuda/*.py"]));
        assert!(m.matches("docs/source/index.rst"));
        assert!(m.matches("README.md"));
        assert!(m.matches("third_party/x/NOTES.md"));
        assert!(m.matches("torch/cuda/memory.py"));
        assert!(!m.matches("torch/cuda/amp/autocast.py"));
        assert!(!m.matches("src/docs.rs"));
    }
}

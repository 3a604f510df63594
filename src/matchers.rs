//! Matchers for label names and changed paths, compiled once per loaded
//! rules file with the options the planner uses, and the one set of every
//! `files` glob that answers all rules in one pass per changed file.

use std::collections::HashSet;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

/// actions/labeler's four quantifiers over changed files and globs, with
/// labeler's meaning, and one of probot's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quantifier {
    /// Some glob matches some file.
    AnyGlobToAnyFile,
    /// Some one glob matches every file.
    AnyGlobToAllFiles,
    /// Some one file matches every glob.
    AllGlobsToAnyFile,
    /// Every glob matches every file.
    AllGlobsToAllFiles,
    /// Every file matches some glob, perhaps each another ("only docs and
    /// markdown changed"): not one of labeler's.
    AllFilesToAnyGlob,
}

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

    /// Whether any pattern matches: the tests' question (the planner asks
    /// which ones, `matching`).
    #[cfg(test)]
    pub fn matches(&self, path: &str) -> bool {
        self.globs.is_match(path)
    }

    /// The indexes of the patterns that match `path`.
    pub fn matching(&self, path: &str) -> Vec<usize> {
        self.globs.matches(path)
    }
}

/// One path glob, anchored as `PathMatcher` has it, or why it is not one:
/// as in `.gitignore`, a pattern with a `/` (a leading one too) is relative
/// to the repository's root, and one without matches in any directory.
pub(crate) fn path_glob(pattern: &str) -> Result<Glob, String> {
    if pattern.trim().is_empty() {
        return Err("an empty pattern matches nothing".to_owned());
    }
    let anchored = match pattern.strip_prefix('/') {
        Some(rooted) => rooted.trim_start_matches('/').to_owned(),
        None if pattern.contains('/') => pattern.to_owned(),
        None => format!("**/{pattern}"),
    };
    if anchored.is_empty() {
        return Err("`/` alone matches no file".to_owned());
    }
    GlobBuilder::new(&anchored)
        .literal_separator(true)
        .build()
        .map_err(|error| glob_error(pattern, &error))
}

/// A glob of a `files` condition: `!pattern` matches every file that
/// `pattern` does not, as in labeler (minimatch's negation).
#[derive(Debug, Clone)]
pub(crate) struct FileGlob {
    glob: Glob,
    negated: bool,
}

/// One glob of a `files` condition, or why it is not one.
pub(crate) fn file_glob(pattern: &str) -> Result<FileGlob, String> {
    let (negated, positive) = match pattern.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    Ok(FileGlob {
        glob: path_glob(positive)?,
        negated,
    })
}

/// Every glob of the label rules' `files` conditions in one set: one pass
/// per changed file answers every rule, instead of one pass per rule.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileIndex {
    globs: GlobSet,
    negated: Vec<bool>,
}

/// Which globs of a [`FileIndex`] each changed file matches.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileHits {
    /// Per file, the indexes of the globs whose pattern (before any `!`)
    /// it matches, in order.
    per_file: Vec<Vec<usize>>,
    /// Per glob, how many files its pattern matches.
    files_hit: Vec<usize>,
    negated: Vec<bool>,
}

impl FileIndex {
    pub(crate) fn new(globs: Vec<FileGlob>) -> Result<Self, String> {
        let mut builder = GlobSetBuilder::new();
        let mut negated = Vec::with_capacity(globs.len());
        for glob in globs {
            builder.add(glob.glob);
            negated.push(glob.negated);
        }
        let globs = builder.build().map_err(|e| e.to_string())?;
        Ok(FileIndex { globs, negated })
    }

    pub(crate) fn hits(&self, files: &[String]) -> FileHits {
        let mut files_hit = vec![0; self.negated.len()];
        let per_file = files
            .iter()
            .map(|file| {
                let mut matched = self.globs.matches(file);
                matched.sort_unstable();
                for &g in &matched {
                    files_hit[g] += 1;
                }
                matched
            })
            .collect();
        FileHits {
            per_file,
            files_hit,
            negated: self.negated.clone(),
        }
    }
}

impl FileHits {
    /// How many of the globs `first..first + count` match file `file`, a
    /// negated one matching where its pattern does not.
    fn matched(&self, file: usize, first: usize, count: usize) -> usize {
        let hits = &self.per_file[file];
        let hits = &hits[hits.partition_point(|&g| g < first)..];
        let hits = &hits[..hits.partition_point(|&g| g < first + count)];
        let negated_hits = hits.iter().filter(|&&g| self.negated[g]).count();
        let negated = self.negated[first..first + count]
            .iter()
            .filter(|&&n| n)
            .count();
        hits.len() - negated_hits + (negated - negated_hits)
    }

    /// How many files glob `g` matches.
    fn files_matching(&self, g: usize) -> usize {
        match self.negated[g] {
            true => self.per_file.len() - self.files_hit[g],
            false => self.files_hit[g],
        }
    }

    /// The quantifiers over the globs `first..first + count`, with
    /// labeler's meaning. The "every file" ones need a file (labeler holds
    /// them of a pull request that changes none).
    pub(crate) fn quantify(&self, quantifier: Quantifier, first: usize, count: usize) -> bool {
        use Quantifier::*;
        let files = self.per_file.len();
        let mut globs = first..first + count;
        match quantifier {
            AnyGlobToAnyFile => globs.any(|g| self.files_matching(g) > 0),
            AnyGlobToAllFiles => files > 0 && globs.any(|g| self.files_matching(g) == files),
            AllGlobsToAnyFile => (0..files).any(|f| self.matched(f, first, count) == count),
            AllGlobsToAllFiles => {
                files > 0 && (0..files).all(|f| self.matched(f, first, count) == count)
            }
            AllFilesToAnyGlob => files > 0 && (0..files).all(|f| self.matched(f, first, count) > 0),
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
        // A leading `/` anchors a name at the root, as in `.gitignore`.
        let rooted = PathMatcher::compile(&strings(&["/DEPS", "/*.toml"])).unwrap();
        assert!(rooted.matches("DEPS"));
        assert!(!rooted.matches("third_party/DEPS"));
        assert!(rooted.matches("Cargo.toml"));
        assert!(!rooted.matches("fakehub/Cargo.toml"));
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

//! Path subscriptions: people CC'd on the pull requests that change files
//! matching their globs. From the tracking issue (`` * `docs/**` @alice ``)
//! and from the rules file (`[[cc.paths]]`). All globs compile into one
//! set, so matching a pull request costs one pass over its files, however
//! many lines subscribe.

use crate::matchers::PathMatcher;

/// Globs and who subscribes to them, in the order they were written.
#[derive(Debug, Clone, Default)]
pub struct PathSubscriptions {
    lines: Vec<PathLine>,
    /// Every line's globs in one set; `owner[i]` is the line of glob `i`.
    matcher: PathMatcher,
    owner: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PathLine {
    globs: Vec<String>,
    users: Vec<String>,
}

impl PartialEq for PathSubscriptions {
    fn eq(&self, other: &Self) -> bool {
        self.lines == other.lines
    }
}

impl Eq for PathSubscriptions {}

impl PathSubscriptions {
    /// Lines of (globs, users); a line whose globs do not compile is
    /// dropped: callers check lines first with [`check_globs`].
    pub fn new(lines: impl IntoIterator<Item = (Vec<String>, Vec<String>)>) -> Self {
        let lines: Vec<PathLine> = lines
            .into_iter()
            .filter(|(globs, users)| {
                !users.is_empty() && !globs.is_empty() && check_globs(globs).is_ok()
            })
            .map(|(globs, users)| PathLine { globs, users })
            .collect();
        let owner: Vec<usize> = lines
            .iter()
            .enumerate()
            .flat_map(|(i, line)| line.globs.iter().map(move |_| i))
            .collect();
        let all: Vec<String> = lines.iter().flat_map(|l| l.globs.clone()).collect();
        let matcher = PathMatcher::compile(&all).unwrap_or_default();
        PathSubscriptions {
            lines,
            matcher,
            owner,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Subscribers of the paths among `files`, each with the first glob
    /// that brought them, in line order.
    pub fn subscribers<'a>(&'a self, files: &[String]) -> Vec<(&'a str, &'a str)> {
        let mut matched_globs = vec![false; self.owner.len()];
        for file in files {
            for glob in self.matcher.matching(file) {
                matched_globs[glob] = true;
            }
        }
        let mut found = Vec::new();
        let mut line_done = vec![false; self.lines.len()];
        for (glob, matched) in matched_globs.into_iter().enumerate() {
            let line = self.owner[glob];
            if !matched || line_done[line] {
                continue;
            }
            line_done[line] = true;
            let first_glob = glob - self.owner.iter().position(|&o| o == line).unwrap_or(glob);
            let why = self.lines[line].globs[first_glob].as_str();
            found.extend(self.lines[line].users.iter().map(|u| (u.as_str(), why)));
        }
        found
    }
}

/// Whether every glob compiles; the first problem otherwise.
pub fn check_globs(globs: &[String]) -> Result<(), String> {
    PathMatcher::compile(globs).map(|_| ()).map_err(|errors| {
        errors
            .into_iter()
            .next()
            .map(|(_, m)| m)
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn subscribers_of_the_changed_paths_in_line_order_with_the_glob_that_matched() {
        let subs = PathSubscriptions::new([
            (strings(&["docs/**"]), strings(&["alice"])),
            (
                strings(&["*.cu", "torch/cuda/**"]),
                strings(&["bob", "acme/gpu"]),
            ),
            (strings(&["never/**"]), strings(&["carol"])),
        ]);
        let found = subs.subscribers(&strings(&["torch/cuda/x.py", "docs/a.md"]));
        assert_eq!(
            found,
            [
                ("alice", "docs/**"),
                ("bob", "torch/cuda/**"),
                ("acme/gpu", "torch/cuda/**")
            ]
        );
        assert!(subs.subscribers(&strings(&["src/lib.rs"])).is_empty());
    }

    #[test]
    fn a_line_with_a_bad_glob_is_dropped_and_the_others_stay() {
        let subs = PathSubscriptions::new([
            (strings(&["src/["]), strings(&["alice"])),
            (strings(&["src/**"]), strings(&["bob"])),
        ]);
        assert_eq!(subs.subscribers(&strings(&["src/a"])), [("bob", "src/**")]);
        assert!(check_globs(&strings(&["src/["])).is_err());
    }
}

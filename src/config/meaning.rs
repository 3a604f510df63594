//! The meaning pass of `check`: what the schema cannot say, found while
//! the rules compile into the matchers the planner uses.

use std::collections::BTreeMap;

use super::condition::{self, Cond, Leaf, Quantifier, Test};
use super::diagnostic::report;
use super::diagnostic::{KeyPath, Problem};
use super::rule::{Kind, Person, Rule};
use super::ruleset::{CompiledRule, Pick, Role};
use super::{CiTarget, Rules, Via};
use crate::matchers::{FileIndex, LabelMatcher, PathMatcher};

/// `when` labels imply `add`, unless a label matching `unless` is there:
/// kept apart to look for cycles.
struct CompiledImplication {
    when: LabelMatcher,
}
use crate::paths::PathSubscriptions;

/// GitHub's limit on a `repository_dispatch` event type.
const MAX_EVENT_TYPE_LEN: usize = 100;

/// The rules' matchers, one per rule and in the rules' order; a list that
/// failed to compile stands in as a matcher of nothing (its problem is
/// reported, and rules with errors are never used).
#[derive(Default)]
pub(super) struct Compiled {
    pub label_rules: Vec<CompiledRule>,
    pub file_index: FileIndex,
    pub cc_paths: PathSubscriptions,
    pub issues_only: LabelMatcher,
    pub pull_requests_only: LabelMatcher,
    pub required: Vec<LabelMatcher>,
    pub label_commands: Vec<(LabelMatcher, super::Who)>,
}

/// What the schema cannot say, found while compiling the rules: globs that
/// don't compile, labels that imply themselves or each other, CI mappings
/// that can't work.
pub(super) fn compile(rules: &Rules) -> (Compiled, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut label_rules = Vec::new();
    let mut file_globs = Vec::new();
    let implies_at = KeyPath::root().join("labels").join("implies");
    let mut implies = Vec::with_capacity(rules.labels.implies.len());
    let mut implied_rules = Vec::with_capacity(rules.labels.implies.len());
    for (i, rule) in rules.labels.implies.iter().enumerate() {
        let at = implies_at.join(i);
        let when = report(
            LabelMatcher::compile(&rule.when),
            &at.join("when"),
            &mut problems,
        );
        let unless = report(
            LabelMatcher::compile(&rule.unless),
            &at.join("unless"),
            &mut problems,
        );
        check_label_names(&at.join("add"), &rule.add, &mut problems);
        for (j, label) in rule.add.iter().enumerate() {
            if rule.when.contains(label) {
                problems.push(
                    Problem::error(at.join("add").join(j), format!("`{label}` implies itself"))
                        .with_help(format!("remove `{label}` from `add`, or from `when`")),
                );
            }
        }
        // Shorthand for `when = { label_added = when, labels.none = unless }`.
        let mut conds = vec![leaf(
            Test::LabelAdded(when.clone()),
            format!("a label matching {} arrived", quoted(&rule.when)),
        )];
        if !rule.unless.is_empty() {
            conds.push(leaf(
                Test::LabelsNone(unless),
                format!("no label matches {}", quoted(&rule.unless)),
            ));
        }
        let mut compiled = CompiledRule::new(at.clone(), Cond::All(conds));
        compiled.add = rule.add.clone();
        implied_rules.push(compiled);
        implies.push(CompiledImplication { when });
    }
    if let Some(cycle) = find_cycle(rules, &implies) {
        let chain = cycle_chain(rules, &implies, &cycle);
        problems.push(
            Problem::warning(
                implies_at.join(cycle[0]),
                format!(
                    "label implications form a cycle: {}; harmless, since each label is added once",
                    chain.join(" -> ")
                ),
            )
            .with_help("a cycle usually means one rule is written backwards"),
        );
    }

    let paths_at = KeyPath::root().join("labels").join("paths");
    for (i, rule) in rules.labels.paths.iter().enumerate() {
        let at = paths_at.join(i);
        let files = condition::files_test(
            Quantifier::AnyGlobToAnyFile,
            &rule.files,
            &at.join("files"),
            &mut problems,
            &mut file_globs,
        );
        check_label_names(&at.join("add"), &rule.add, &mut problems);
        // Shorthand for a pull request ready for review changing some file
        // matching `files`: the labels wait while it is a draft, and go
        // again (those the bot added) when it turns draft.
        let when = Cond::All(vec![
            leaf(Test::Kind(Kind::PullRequest), "a pull request".to_owned()),
            leaf(Test::Draft(false), "ready for review".to_owned()),
            leaf(
                files,
                format!("a changed file matches {}", quoted(&rule.files)),
            ),
        ]);
        let mut compiled = CompiledRule::new(at, when);
        compiled.add = rule.add.clone();
        label_rules.push(compiled);
    }
    label_rules.extend(implied_rules);
    label_rules.extend(compile_rules(rules, &mut problems, &mut file_globs));
    let file_index = FileIndex::new(file_globs).unwrap_or_else(|error| {
        problems.push(Problem::error(KeyPath::root(), error));
        FileIndex::default()
    });

    if let Some(window) = &rules.labels.respect_removals_for {
        if super::duration_secs(window).is_none() {
            problems.push(
                Problem::error(
                    KeyPath::root().join("labels").join("respect_removals_for"),
                    format!("`{window}` is not a duration like 30m, 1h or 2d, of a year at most"),
                )
                .with_help("a number, then m (minutes), h (hours) or d (days)"),
            );
        }
    }
    let cc_paths = compile_cc_paths(rules, &mut problems);
    let labels_at = KeyPath::root().join("labels");
    let issues_only = report(
        LabelMatcher::compile(&rules.labels.issues_only),
        &labels_at.join("issues_only"),
        &mut problems,
    );
    let pull_requests_only = report(
        LabelMatcher::compile(&rules.labels.pull_requests_only),
        &labels_at.join("pull_requests_only"),
        &mut problems,
    );
    let required = rules
        .labels
        .required
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            report(
                LabelMatcher::compile(&rule.one_of),
                &labels_at.join("required").join(i).join("one_of"),
                &mut problems,
            )
        })
        .collect();
    let commands_at = KeyPath::root().join("commands").join("labels");
    let label_commands = rules
        .commands
        .labels
        .iter()
        .enumerate()
        .map(|(i, permission)| {
            let matcher = report(
                LabelMatcher::compile(&permission.labels),
                &commands_at.join(i).join("labels"),
                &mut problems,
            );
            (matcher, permission.who)
        })
        .collect();
    check_ci(rules, &mut problems);
    (
        Compiled {
            label_commands,
            label_rules,
            file_index,
            cc_paths,
            issues_only,
            pull_requests_only,
            required,
        },
        problems,
    )
}

fn leaf(test: Test, text: String) -> Cond {
    Cond::Leaf(Leaf { test, text })
}

fn quoted(items: &[String]) -> String {
    let named: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    named.join(", ")
}

/// The marker of a rule's comment: its name, else where it is.
pub(crate) fn rule_marker(key: &str) -> String {
    format!("<!-- probot:rule:{key} -->")
}

/// `[[rules]]`: conditions that compile, and rules that do something.
fn compile_rules(
    rules: &Rules,
    problems: &mut Vec<Problem>,
    file_globs: &mut Vec<crate::matchers::FileGlob>,
) -> Vec<CompiledRule> {
    let at = KeyPath::root().join("rules");
    let mut names = std::collections::HashSet::new();
    let mut compiled = Vec::with_capacity(rules.rules.len());
    for (i, rule) in rules.rules.iter().enumerate() {
        let at = at.join(i);
        let when = condition::compile(&rule.when, &at.join("when"), problems, file_globs);
        check_label_names(&at.join("add"), &rule.add, problems);
        check_label_names(&at.join("remove"), &rule.remove, problems);
        let picks = compile_picks(rule, &at, problems);
        if rule.add.is_empty()
            && rule.remove.is_empty()
            && rule.comment.is_none()
            && picks.is_empty()
        {
            problems.push(
                Problem::error(at.clone(), "this rule does nothing when it holds")
                    .with_help("give `add`, `remove`, `comment`, `request_reviewers` or `assign`"),
            );
        }
        if rule.sync && rule.add.is_empty() {
            problems.push(
                Problem::error(
                    at.join("sync"),
                    "`sync` takes off the labels in `add`, and there are none",
                )
                .with_help("add labels to `add`, or remove `sync`"),
            );
        }
        for (j, label) in rule.remove.iter().enumerate() {
            if rule.add.contains(label) {
                problems.push(Problem::error(
                    at.join("remove").join(j),
                    format!("`{label}` is both added and removed by this rule"),
                ));
            }
        }
        if let Some(name) = &rule.name {
            if !names.insert(name.as_str()) {
                problems.push(
                    Problem::error(at.join("name"), format!("another rule is named `{name}`"))
                        .with_help("names key the rules' comments: make them unique"),
                );
            }
        }
        let mut out = CompiledRule::new(at.clone(), when);
        out.name = rule.name.clone();
        out.add = rule.add.clone();
        out.remove = rule.remove.clone();
        out.sync = rule.sync;
        out.picks = picks;
        out.comment = rule.comment.as_ref().map(|text| {
            let key = rule.name.clone().unwrap_or_else(|| format!("rules[{i}]"));
            let marker = rule_marker(&key);
            (marker.clone(), format!("{marker}\n{text}"))
        });
        compiled.push(out);
    }
    compiled
}

/// `request_reviewers` and `assign`, with their `count` and `max_load`.
fn compile_picks(rule: &Rule, at: &KeyPath, problems: &mut Vec<Problem>) -> Vec<Pick> {
    let mut picks = Vec::new();
    for (role, key, people) in [
        (Role::Reviewer, "request_reviewers", &rule.request_reviewers),
        (Role::Assignee, "assign", &rule.assign),
    ] {
        if people.is_empty() {
            continue;
        }
        let (mut logins, mut teams) = (Vec::new(), Vec::new());
        for Person(person) in people {
            let name = person.strip_prefix('@').unwrap_or(person);
            match name.contains('/') {
                true => teams.push(name.to_owned()),
                false => logins.push(name.to_owned()),
            }
        }
        if role == Role::Reviewer && rule.when.kind == Some(Kind::Issue) {
            problems.push(Problem::error(
                at.join(key),
                "only pull requests have reviewers, and this rule holds for issues only",
            ));
        }
        picks.push(Pick {
            role,
            logins,
            teams,
            count: rule.count.map(|c| c as usize),
            max_load: rule.max_load.map(u64::from),
        });
    }
    for key in ["count", "max_load"] {
        let given = match key {
            "count" => rule.count.is_some(),
            _ => rule.max_load.is_some(),
        };
        if given && picks.is_empty() {
            problems.push(
                Problem::error(
                    at.join(key),
                    format!(
                        "`{key}` picks among `request_reviewers` or `assign`, and there are none"
                    ),
                )
                .with_help("add people to `request_reviewers` or `assign`, or remove it"),
            );
        }
    }
    picks
}

/// `cc.paths`: globs that compile, and users that are logins or teams.
fn compile_cc_paths(rules: &Rules, problems: &mut Vec<Problem>) -> PathSubscriptions {
    let Some(cc) = &rules.cc else {
        return PathSubscriptions::default();
    };
    let at = KeyPath::root().join("cc").join("paths");
    let mut lines = Vec::new();
    for (i, rule) in cc.paths.iter().enumerate() {
        let before = problems.len();
        report(
            PathMatcher::compile(&rule.files),
            &at.join(i).join("files"),
            problems,
        );
        let mut users = Vec::new();
        for (j, user) in rule.users.iter().enumerate() {
            let login = user.strip_prefix('@').unwrap_or(user);
            let mention = format!("@{login}");
            match crate::commands::mentions(&mention).as_slice() {
                [only] if only.end == mention.len() => users.push(login.to_owned()),
                _ => problems.push(
                    Problem::error(
                        at.join(i).join("users").join(j),
                        format!("`{user}` is not a login or `org/team`"),
                    )
                    .with_help("write `alice` or `@alice`, or `@org/team`"),
                ),
            }
        }
        if problems.len() == before {
            lines.push((rule.files.clone(), users));
        }
    }
    PathSubscriptions::new(lines)
}

fn check_label_names(at: &KeyPath, labels: &[String], problems: &mut Vec<Problem>) {
    for (i, label) in labels.iter().enumerate() {
        if label.trim().is_empty() {
            problems.push(Problem::error(at.join(i), "a label name can't be empty"));
        }
    }
}

/// The labels around a cycle of rules, first label repeated at the end:
/// `a -> b -> a`.
fn cycle_chain(rules: &Rules, compiled: &[CompiledImplication], cycle: &[usize]) -> Vec<String> {
    let implies = &rules.labels.implies;
    // The label rule `cycle[k]` adds that triggers the next rule round.
    let links: Vec<String> = (0..cycle.len())
        .map(|k| {
            let next = &compiled[cycle[(k + 1) % cycle.len()]].when;
            let adds = &implies[cycle[k]].add;
            adds.iter()
                .find(|l| next.matches(l))
                .unwrap_or(&adds[0])
                .clone()
        })
        .collect();
    let mut chain = vec![format!("`{}`", links[links.len() - 1])];
    chain.extend(links.iter().map(|l| format!("`{l}`")));
    chain
}

/// Indexes of implication rules that feed each other in a loop, if any.
/// Rule A feeds rule B when a label A adds matches B's `when`. A rule that
/// names the same label in `when` and `add` is reported as an error on its
/// own, so it is not a cycle here.
fn find_cycle(rules: &Rules, compiled: &[CompiledImplication]) -> Option<Vec<usize>> {
    let matchers: Vec<&LabelMatcher> = compiled.iter().map(|rule| &rule.when).collect();
    let feeds: Vec<Vec<usize>> = rules
        .labels
        .implies
        .iter()
        .enumerate()
        .map(|(a, rule)| {
            (0..matchers.len())
                .filter(|&b| {
                    rule.add.iter().any(|label| {
                        matchers[b].matches(label) && !(a == b && rule.when.contains(label))
                    })
                })
                .collect()
        })
        .collect();

    // Depth-first search with colours, on an explicit stack (a long chain
    // of rules must not overflow the thread's); the first back edge closes
    // a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let mut colour = vec![Colour::White; feeds.len()];
    for root in 0..feeds.len() {
        if colour[root] != Colour::White {
            continue;
        }
        colour[root] = Colour::Grey;
        // (rule, index of the next edge to follow)
        let mut path: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some((node, edge)) = path.last_mut() {
            let Some(&next) = feeds[*node].get(*edge) else {
                colour[*node] = Colour::Black;
                path.pop();
                continue;
            };
            *edge += 1;
            match colour[next] {
                Colour::Grey => {
                    let start = path.iter().position(|&(n, _)| n == next).unwrap_or(0);
                    return Some(path[start..].iter().map(|&(n, _)| n).collect());
                }
                Colour::White => {
                    colour[next] = Colour::Grey;
                    path.push((next, 0));
                }
                Colour::Black => {}
            }
        }
    }
    None
}

fn check_ci(rules: &Rules, problems: &mut Vec<Problem>) {
    let exempt_at = KeyPath::root().join("ci").join("exempt");
    for (i, exempt) in rules.ci.exempt.iter().enumerate() {
        if !rules
            .ci
            .prefixes
            .iter()
            .any(|p| exempt.starts_with(p.as_str()))
        {
            problems.push(
                Problem::warning(
                    exempt_at.join(i),
                    format!("`{exempt}` is under none of `ci.prefixes`, so it exempts nothing"),
                )
                .with_help("an exempt prefix narrows a CI prefix, such as `ciflow/nightly/` under `ciflow/`"),
            );
        }
    }
    let labels = KeyPath::root().join("ci").join("labels");
    // GitHub label names are unique regardless of case, so these two keys
    // would name one label.
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (label, target) in &rules.ci.labels {
        let at = labels.join(label.as_str());
        if let Some(first) = seen.insert(label.to_lowercase(), label) {
            problems.push(
                Problem::error(
                    at.clone(),
                    format!("`{label}` is mapped twice (also as `{first}`)"),
                )
                .with_help("GitHub label names ignore case: keep one mapping"),
            );
        }
        if label.trim().is_empty() {
            problems.push(Problem::error(at.clone(), "a label name can't be empty"));
        }
        let workflow_at = match target {
            CiTarget::Workflow(_) => at.clone(),
            CiTarget::Job(_) => at.join("workflow"),
        };
        if let Some(workflow) = target.workflow() {
            if !is_workflow_name(workflow) {
                problems.push(
                    Problem::error(
                        workflow_at,
                        format!("`{workflow}` is neither a workflow file name nor a workflow id"),
                    )
                    .with_help("name the file in .github/workflows, such as `trunk.yml`, or its numeric id"),
                );
            }
        }
        let CiTarget::Job(job) = target else {
            check_tag_label(label, &at, problems);
            continue;
        };
        match job.via {
            Via::Tag => check_tag_label(label, &at, problems),
            Via::WorkflowDispatch if job.workflow.is_none() => problems.push(
                Problem::error(
                    at.clone(),
                    format!("`{label}` uses workflow_dispatch but names no workflow"),
                )
                .with_help("add `workflow = \"name.yml\"`"),
            ),
            Via::WorkflowDispatch => {}
            Via::RepositoryDispatch => {
                let event_type = job.event_type.as_deref().unwrap_or(label);
                if event_type.chars().count() > MAX_EVENT_TYPE_LEN {
                    problems.push(Problem::error(
                        at.join("event_type"),
                        format!(
                            "the event type is {} characters long; GitHub allows at most {MAX_EVENT_TYPE_LEN}",
                            event_type.chars().count()
                        ),
                    ));
                }
            }
        }
        if job.event_type.is_some() && job.via != Via::RepositoryDispatch {
            problems.push(Problem::warning(
                at.join("event_type"),
                "`event_type` is only used with `via = \"repository_dispatch\"`",
            ));
        }
    }
    for (i, prefix) in rules.ci.prefixes.iter().enumerate() {
        if prefix.is_empty() {
            problems.push(Problem::error(
                KeyPath::root().join("ci").join("prefixes").join(i),
                "an empty prefix would mark every label as a CI label",
            ));
        }
    }
}

/// A workflow is named by its file (`trunk.yml`) or its numeric id.
fn is_workflow_name(workflow: &str) -> bool {
    let is_id = !workflow.is_empty() && workflow.bytes().all(|b| b.is_ascii_digit());
    let is_file = (workflow.ends_with(".yml") || workflow.ends_with(".yaml"))
        && !workflow.contains('/')
        && workflow.len() > ".yml".len();
    is_id || is_file
}

/// In tag mode the label becomes part of a git tag, `<label>/<number>`.
fn check_tag_label(label: &str, at: &KeyPath, problems: &mut Vec<Problem>) {
    if let Some(reason) = git_ref_problem(label) {
        problems.push(
            Problem::error(
                at.clone(),
                format!("`{label}` can't be part of a git tag name: {reason}"),
            )
            .with_help(
                "rename the label, or start the workflow with `via = \"workflow_dispatch\"`",
            ),
        );
    }
}

/// Why `name` can't be a component of a git ref, after `git check-ref-format`.
fn git_ref_problem(name: &str) -> Option<&'static str> {
    if name.chars().any(|c| c.is_ascii_control() || c == ' ') {
        return Some("it contains a space or a control character");
    }
    if name
        .chars()
        .any(|c| matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
    {
        return Some("it contains one of ~ ^ : ? * [ \\");
    }
    if name.contains("..") || name.contains("@{") || name.contains("//") {
        return Some("it contains `..`, `@{` or `//`");
    }
    if name.starts_with('/') || name.ends_with('/') || name.ends_with('.') {
        return Some("it starts or ends with `/`, or ends with `.`");
    }
    if name
        .split('/')
        .any(|part| part.starts_with('.') || part.ends_with(".lock"))
    {
        return Some("a part starts with `.` or ends with `.lock`");
    }
    None
}

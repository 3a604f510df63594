//! `[[rules]]`, event by event: conditions, effects, what is read for
//! them and when, and the explanations.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::config::{self, Role};
use crate::event::{Actor, Edits, PullRequestInfo, RepoName};

const BOT: &str = "probot[bot]";

fn rules(toml: &str) -> Ruleset {
    config::load(toml).unwrap_or_else(|problems| panic!("test rules invalid: {problems:?}"))
}

fn issue(action: ItemAction, title: &str, labels: &[&str]) -> ItemEvent {
    ItemEvent {
        kind: ItemKind::Issue,
        action,
        repo: RepoName::new("pytorch", "pytorch"),
        installation: None,
        number: crate::event::IssueNumber(7),
        title: title.into(),
        body: String::new(),
        author: "reporter".into(),
        association: "NONE".into(),
        edits: Edits::default(),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        open: true,
        sender: Actor {
            login: "maintainer".into(),
        },
        pull: None,
        replay_of: None,
    }
}

fn pull(action: ItemAction, title: &str, labels: &[&str]) -> ItemEvent {
    ItemEvent {
        kind: ItemKind::PullRequest,
        pull: Some(PullRequestInfo {
            head_sha: "abc".into(),
            head_ref: "gh/alice/1/head".into(),
            from_fork: false,
            base_ref: "main".into(),
            merged: false,
            draft: false,
            size: Default::default(),
        }),
        ..issue(action, title, labels)
    }
}

fn draft(mut item: ItemEvent, draft: bool) -> ItemEvent {
    if let Some(pull) = item.pull.as_mut() {
        pull.draft = draft;
    }
    item
}

fn labeled(label: &str, others: &[&str]) -> ItemEvent {
    let mut labels = others.to_vec();
    labels.push(label);
    issue(ItemAction::Labeled(vec![label.into()]), "A title", &labels)
}

/// What GitHub would answer, and which facts the plan read.
#[derive(Default)]
struct World {
    files: Vec<String>,
    /// Teams the author is in.
    teams: Vec<String>,
    /// Who added each label.
    adders: BTreeMap<String, String>,
    /// Who is asked, assigned, reviewed, taken off.
    people: People,
    /// Each team's members.
    members: BTreeMap<String, Vec<String>>,
    /// Open review requests (or assignments) per person.
    load: BTreeMap<String, u64>,
    reads: RefCell<Vec<String>>,
}

impl World {
    fn files(mut self, files: &[&str]) -> Self {
        self.files = files.iter().map(|f| f.to_string()).collect();
        self
    }

    fn in_team(mut self, team: &str) -> Self {
        self.teams.push(team.into());
        self
    }

    fn team(mut self, team: &str, members: &[&str]) -> Self {
        self.members
            .insert(team.into(), members.iter().map(|m| m.to_string()).collect());
        self
    }

    fn load(mut self, loads: &[(&str, u64)]) -> Self {
        self.load
            .extend(loads.iter().map(|(login, n)| (login.to_string(), *n)));
        self
    }

    fn requested(mut self, logins: &[&str]) -> Self {
        self.people.requested = logins.iter().map(|l| l.to_string()).collect();
        self
    }

    fn reviewed(mut self, logins: &[&str]) -> Self {
        self.people.reviewed = logins.iter().map(|l| l.to_string()).collect();
        self
    }

    fn taken_off(mut self, login: &str, by: &str) -> Self {
        self.people.taken_off.push(TakenOff {
            role: Role::Reviewer,
            login: login.into(),
            by: by.into(),
        });
        self
    }

    fn added_by(mut self, label: &str, who: &str) -> Self {
        self.adders.insert(label.into(), who.into());
        self
    }

    fn decide(&self, rules: &Ruleset, item: &ItemEvent) -> Vec<Decision> {
        let mut source = self;
        let settled = settle(&mut source, Facts::default(), |facts| {
            needs(item, rules, facts, BOT)
        });
        let facts = futures_util::FutureExt::now_or_never(settled)
            .expect("the world answers at once")
            .unwrap_or_else(|error| panic!("{error}"));
        decide(item, rules, &facts, BOT)
    }

    fn plan(&self, rules: &Ruleset, item: &ItemEvent) -> Vec<Action> {
        actions(self.decide(rules, item))
    }

    fn reads(&self) -> Vec<String> {
        self.reads.borrow().clone()
    }
}

/// What GitHub would answer, recording what was read.
impl FactSource for &World {
    type Error = std::convert::Infallible;

    async fn read(&mut self, needs: Needs, facts: &mut Facts) -> Result<(), Self::Error> {
        let mut reads = self.reads.borrow_mut();
        if needs.changed_files {
            reads.push("files".into());
            facts.changed_files = Some(self.files.clone());
        }
        for team in &needs.author_teams {
            reads.push(format!("team {team}"));
            facts
                .author_teams
                .insert(team.clone(), self.teams.contains(team));
        }
        if needs.label_adders {
            reads.push("label events".into());
            facts.label_adders = Some(self.adders.clone());
        }
        if needs.label_removals_since.is_some() || needs.label_removals_within.is_some() {
            reads.push("label events".into());
            facts.labels_removed = Some(Vec::new());
        }
        if needs.people {
            reads.push("people".into());
            facts.people = Some(self.people.clone());
        }
        for team in &needs.team_members {
            reads.push(format!("members {team}"));
            let members = self.members.get(team).cloned().unwrap_or_default();
            facts.team_members.insert(team.clone(), members);
        }
        for (role, login) in &needs.load {
            reads.push(format!("load {login}"));
            let load = self.load.get(login).copied().unwrap_or(0);
            facts.load.insert((*role, login.clone()), load);
        }
        Ok(())
    }
}

fn add(labels: &[&str]) -> Action {
    Action::AddLabels {
        labels: labels.iter().map(|l| l.to_string()).collect(),
    }
}

fn remove(labels: &[&str]) -> Action {
    Action::RemoveLabels {
        labels: labels.iter().map(|l| l.to_string()).collect(),
    }
}

const TITLES: &str = r#"
[[rules]]
name = "rocm"
when = { title = '^\[ROCm\]' }
add = ["module: rocm"]

[[rules]]
name = "reverts"
when = { title = '(?i)^(revert|reland)\b', kind = "pull_request" }
add = ["reverts or relands"]
"#;

#[test]
fn a_title_pattern_labels_an_item_when_it_opens_and_when_its_title_is_edited() {
    let rules = rules(TITLES);
    let world = World::default();
    assert_eq!(
        world.plan(
            &rules,
            &issue(ItemAction::Opened, "[ROCm] hipblas fails", &[])
        ),
        [add(&["module: rocm"])]
    );
    assert_eq!(
        world.plan(&rules, &pull(ItemAction::Opened, "Revert \"x\"", &[])),
        [add(&["reverts or relands"])]
    );
    // An issue titled "Revert" is not a pull request.
    assert_eq!(
        world.plan(&rules, &issue(ItemAction::Opened, "Revert the API", &[])),
        []
    );
    let mut edited = issue(ItemAction::Edited, "[ROCm] crash", &[]);
    edited.edits = Edits {
        title: true,
        body: false,
    };
    assert_eq!(world.plan(&rules, &edited), [add(&["module: rocm"])]);
    // An edit of the body alone does not look at the title again, nor
    // does a label: a maintainer who took the label off keeps it off.
    edited.edits = Edits {
        title: false,
        body: true,
    };
    assert_eq!(world.plan(&rules, &edited), []);
    let relabeled = ItemEvent {
        title: "[ROCm] crash".into(),
        ..labeled("bug", &[])
    };
    assert_eq!(world.plan(&rules, &relabeled), []);
    // (A pull request's files are read anyway, to see whether it changes
    // the rules file; nothing else is.)
    assert_eq!(world.reads(), ["files"]);
}

#[test]
fn labels_all_fires_when_the_last_of_the_set_arrives() {
    let rules = rules(
        r#"
[[rules]]
when = { labels.all = ["high priority", "module: *"] }
add = ["triage review"]
"#,
    );
    let world = World::default();
    assert_eq!(world.plan(&rules, &labeled("high priority", &[])), []);
    assert_eq!(
        world.plan(&rules, &labeled("module: cuda", &["high priority"])),
        [add(&["triage review"])]
    );
}

#[test]
fn files_quantifiers_say_docs_only_and_every_file_under_one_directory() {
    let rules = rules(
        r#"
[[rules]]
when.files.all_files_to_any_glob = ["docs/**", "*.md"]
add = ["docs only"]

[[rules]]
when.files.all_globs_to_any_file = ["torch/**", "*.cu"]
add = ["cuda kernels"]

[[rules]]
when.files.all_globs_to_all_files = ["test/**", "*.py"]
add = ["python tests only"]
"#,
    );
    let opened = pull(ItemAction::Opened, "x", &[]);
    let docs = World::default().files(&["docs/index.rst", "README.md"]);
    assert_eq!(docs.plan(&rules, &opened), [add(&["docs only"])]);
    let mixed = World::default().files(&["docs/index.rst", "torch/cuda/x.cu"]);
    assert_eq!(mixed.plan(&rules, &opened), [add(&["cuda kernels"])]);
    let tests = World::default().files(&["test/test_nn.py", "test/a/b.py"]);
    assert_eq!(tests.plan(&rules, &opened), [add(&["python tests only"])]);
    let none = World::default();
    assert_eq!(
        none.plan(&rules, &opened),
        [],
        "no files: no every-file rule"
    );
    // The files are read once for all rules.
    assert_eq!(docs.reads(), ["files"]);
}

/// A rule on `labels.all` (what `import` and the PyTorch example write)
/// is edge-based too: a maintainer who removes the label it added keeps
/// it removed, on that `unlabeled` and on unrelated labels after it, until
/// the labels that brought it change.
#[test]
fn a_label_a_maintainer_removed_stays_removed_while_the_rules_inputs_stand() {
    let rules = rules(
        r#"
[[rules]]
when.labels.all = ["high priority", "module: *"]
add = ["oncall: triage"]
"#,
    );
    let world = World::default();
    let present = ["high priority", "module: cuda"];
    let removed = issue(
        ItemAction::Unlabeled("oncall: triage".into()),
        "x",
        &present,
    );
    assert_eq!(world.plan(&rules, &removed), []);
    assert_eq!(world.plan(&rules, &labeled("docs", &present)), []);
    // An input arriving makes it hold: then it fires.
    assert_eq!(
        world.plan(&rules, &labeled("module: cuda", &["high priority"])),
        [add(&["oncall: triage"])]
    );
}

/// GitHub allows 100 labels on an item: the 101st is never planned, and
/// the plan says why.
#[test]
fn no_rule_plans_a_101st_label() {
    let rules = rules(
        r#"
[[rules]]
when.label_added = ["high priority"]
add = ["triage review", "oncall"]
"#,
    );
    let others: Vec<String> = (0..98).map(|i| format!("label {i}")).collect();
    let mut present: Vec<&str> = others.iter().map(String::as_str).collect();
    let item = labeled("high priority", &present);
    let decisions = World::default().decide(&rules, &item);
    assert_eq!(actions(decisions.clone()), [add(&["triage review"])]);
    assert!(
        decisions[0]
            .because
            .iter()
            .any(|b| b.contains("`oncall` not added: GitHub allows at most 100 labels")),
        "{:?}",
        decisions[0].because
    );
    present.push("one more");
    let full = labeled("high priority", &present);
    assert_eq!(World::default().plan(&rules, &full), []);
}

/// Size labels, from the payload's counts.
#[test]
fn size_labels_come_from_the_payload_with_no_read() {
    let rules = rules(
        r#"
[[rules]]
when.changed_files.max = 5
when.additions.max = 99
add = ["size: small"]

[[rules]]
when.any = [{ changed_files.min = 100 }, { additions.min = 1000 }, { deletions.min = 1000 }]
add = ["size: huge"]
"#,
    );
    let sized = |files, additions, deletions| {
        let mut item = pull(ItemAction::Synchronize, "x", &[]);
        if let Some(pull) = item.pull.as_mut() {
            pull.size = crate::event::PullSize {
                changed_files: Some(files),
                additions: Some(additions),
                deletions: Some(deletions),
            };
        }
        item
    };
    let world = World::default();
    assert_eq!(
        world.plan(&rules, &sized(2, 40, 3)),
        [add(&["size: small"])]
    );
    assert_eq!(
        world.plan(&rules, &sized(2, 99, 0)),
        [add(&["size: small"])]
    );
    assert_eq!(world.plan(&rules, &sized(6, 40, 3)), []);
    assert_eq!(
        world.plan(&rules, &sized(300, 10, 0)),
        [add(&["size: huge"])]
    );
    assert_eq!(
        world.plan(&rules, &sized(3, 10, 5000)),
        [add(&["size: small", "size: huge"])]
    );
    // A payload that does not say (an `issues` event) holds no size.
    assert_eq!(world.plan(&rules, &pull(ItemAction::Opened, "x", &[])), []);
    assert!(crate::config::load("[[rules]]\nwhen.additions = {}\nadd = ['x']\n").is_err());
    assert!(
        crate::config::load("[[rules]]\nwhen.additions = { min = 5, max = 1 }\nadd = ['x']\n")
            .is_err()
    );
}

/// actions/labeler's own meaning of its quantifiers (v5 README and
/// `__tests__/changedFiles.test.ts`), negated globs included.
#[test]
fn labelers_quantifiers_keep_labelers_meaning_with_negated_globs() {
    let rules = rules(
        r#"
[[rules]]
when.files.any_glob_to_all_files = ["docs/**", "*.md"]
add = ["one glob covers all"]

[[rules]]
when.all = [{ files.any_glob_to_any_file = ["src/**"] }, { files.all_globs_to_all_files = ["!src/docs/*"] }]
add = ["source"]

[[rules]]
when.files.all_globs_to_any_file = ["torch/**", "!**/test_*"]
add = ["torch, not a test"]
"#,
    );
    let opened = pull(ItemAction::Opened, "x", &[]);
    let plan = |files: &[&str]| World::default().files(files).plan(&rules, &opened);
    // Each file is matched by a glob, but by different ones: labeler says
    // no glob matches them all.
    assert_eq!(plan(&["docs/index.rst", "README.md"]), []);
    assert_eq!(
        plan(&["docs/index.rst", "docs/a/b.md"]),
        [add(&["one glob covers all"])]
    );
    // labeler's README: "source" for src files except the docs sub-folder.
    assert_eq!(plan(&["src/main.rs"]), [add(&["source"])]);
    assert_eq!(plan(&["src/main.rs", "src/docs/x.md"]), []);
    assert_eq!(plan(&["torch/nn/test_x.py"]), []);
    assert_eq!(
        plan(&["torch/nn/test_x.py", "torch/nn/linear.py"]),
        [add(&["torch, not a test"])]
    );
}

const AUTHORS: &str = r#"
[[rules]]
name = "bots"
when = { author = ["pytorchbot", "@pytorch/release-team"], kind = "pull_request" }
add = ["release notes: skip"]

[[rules]]
name = "first time"
when = { author_association = ["first_time_contributor", "first_timer"] }
add = ["open source"]
"#;

#[test]
fn an_author_rule_reads_a_team_only_when_no_login_matched_and_the_rest_holds() {
    let rules = rules(AUTHORS);
    let mut by_bot = pull(ItemAction::Opened, "x", &[]);
    by_bot.author = "PyTorchBot".into();
    let world = World::default();
    assert_eq!(world.plan(&rules, &by_bot), [add(&["release notes: skip"])]);
    assert_eq!(world.reads(), ["files"], "a login matched: no team read");

    // An issue fails `kind` first: the team is not read.
    let world = World::default();
    assert_eq!(world.plan(&rules, &issue(ItemAction::Opened, "x", &[])), []);
    assert!(world.reads().is_empty(), "{:?}", world.reads());

    let member = World::default().in_team("pytorch/release-team");
    let opened = pull(ItemAction::Opened, "x", &[]);
    assert_eq!(
        member.plan(&rules, &opened),
        [add(&["release notes: skip"])]
    );
    assert_eq!(member.reads(), ["files", "team pytorch/release-team"]);
    let stranger = World::default();
    assert_eq!(stranger.plan(&rules, &opened), []);
}

#[test]
fn author_association_comes_with_the_event() {
    let rules = rules(AUTHORS);
    let mut newcomer = issue(ItemAction::Opened, "x", &[]);
    newcomer.association = "FIRST_TIME_CONTRIBUTOR".into();
    let world = World::default();
    assert_eq!(world.plan(&rules, &newcomer), [add(&["open source"])]);
    assert!(world.reads().is_empty());
}

#[test]
fn any_all_and_not_combine_branches_kinds_and_events() {
    let rules = rules(
        r#"
[[rules]]
name = "cherry-picks"
add = ["cherry-pick"]
[rules.when]
event = ["opened"]
kind = "pull_request"
any = [{ base = ["release/*"] }, { head = ["cherry-pick/*"] }]
not = { labels.any = ["skip"] }
"#,
    );
    let world = World::default();
    let mut to_release = pull(ItemAction::Opened, "x", &[]);
    to_release.pull.as_mut().unwrap().base_ref = "release/2.5".into();
    assert_eq!(world.plan(&rules, &to_release), [add(&["cherry-pick"])]);
    let mut skipped = to_release.clone();
    skipped.labels = vec!["skip".into()];
    assert_eq!(world.plan(&rules, &skipped), []);
    assert_eq!(
        world.plan(&rules, &pull(ItemAction::Opened, "x", &[])),
        [],
        "base main, head gh/…"
    );
    let mut reopened = to_release.clone();
    reopened.action = ItemAction::Reopened;
    assert_eq!(world.plan(&rules, &reopened), [], "event is opened only");
}

const DRAFTS: &str = r#"
[[rules]]
name = "title labels"
when = { title = '^\[inductor\]', draft = false }
add = ["module: inductor"]
"#;

#[test]
fn a_rule_asking_for_ready_waits_for_ready_and_takes_back_only_its_own_label() {
    let rules = rules(DRAFTS);
    let world = World::default();
    let opened = draft(pull(ItemAction::Opened, "[inductor] fuse", &[]), true);
    assert_eq!(world.plan(&rules, &opened), [], "a draft waits");
    let ready = pull(ItemAction::ReadyForReview, "[inductor] fuse", &[]);
    assert_eq!(world.plan(&rules, &ready), [add(&["module: inductor"])]);

    let back = draft(
        pull(
            ItemAction::ConvertedToDraft,
            "[inductor] fuse",
            &["module: inductor"],
        ),
        true,
    );
    let bot_added = World::default().added_by("module: inductor", BOT);
    assert_eq!(
        bot_added.plan(&rules, &back),
        [remove(&["module: inductor"])]
    );
    assert_eq!(bot_added.reads(), ["label events"]);
    let person_added = World::default().added_by("module: inductor", "alice");
    assert_eq!(person_added.plan(&rules, &back), []);
}

#[test]
fn sync_takes_off_the_bots_label_when_the_condition_stops_holding() {
    let rules = rules(
        r#"
[[rules]]
when.files.any_glob_to_any_file = ["torch/cuda/**"]
add = ["module: cuda"]
sync = true
"#,
    );
    let pushed = pull(ItemAction::Synchronize, "x", &["module: cuda"]);
    let moved_away = World::default()
        .files(&["torch/nn/x.py"])
        .added_by("module: cuda", BOT);
    assert_eq!(
        moved_away.plan(&rules, &pushed),
        [remove(&["module: cuda"])]
    );
    assert_eq!(moved_away.reads(), ["files", "label events"]);
    let by_person = World::default()
        .files(&["torch/nn/x.py"])
        .added_by("module: cuda", "alice");
    assert_eq!(by_person.plan(&rules, &pushed), []);
    // Still holding: nothing to take back, and no label history read.
    let still = World::default().files(&["torch/cuda/x.cu"]);
    assert_eq!(still.plan(&rules, &pushed), []);
    assert_eq!(still.reads(), ["files"]);
}

#[test]
fn rules_chain_remove_labels_and_keep_one_comment_each() {
    let rules = rules(
        r#"
[[rules]]
name = "disabled tests"
when = { title = '^DISABLED test', kind = "issue" }
add = ["skipped"]
remove = ["needs reproduction"]
comment = "This test is now skipped in CI."

[[rules]]
when = { label_added = ["skipped"] }
add = ["module: flaky-tests"]
"#,
    );
    let opened = issue(
        ItemAction::Opened,
        "DISABLED test_conv (__main__.TestNN)",
        &["needs reproduction"],
    );
    let decisions = World::default().decide(&rules, &opened);
    let marker = "<!-- probot:rule:disabled tests -->";
    assert_eq!(
        actions(decisions.clone()),
        [
            add(&["skipped", "module: flaky-tests"]),
            remove(&["needs reproduction"]),
            Action::Comment {
                marker: marker.into(),
                body: format!("{marker}\nThis test is now skipped in CI."),
            }
        ]
    );
    // Every label says which rule, where, and what held.
    let because = &decisions[0].because;
    assert_eq!(
        because[0],
        "`skipped`: rules[0] \"disabled tests\" (line 2): title matches /^DISABLED test/, an issue"
    );
    assert_eq!(
        because[1],
        "`module: flaky-tests`: rules[1] (line 9): label `skipped` arrived"
    );
}

#[test]
fn an_implication_is_a_rule_and_says_so() {
    let rules = rules(
        r#"
[[labels.implies]]
when = ["high priority"]
add = ["triage review"]
unless = ["triaged"]
"#,
    );
    let decisions = World::default().decide(&rules, &labeled("high priority", &[]));
    assert_eq!(
        decisions,
        [Decision::one(
            add(&["triage review"]),
            "`triage review`: labels.implies[0] (line 2): label `high priority` arrived, no label matches `triaged`"
        )]
    );
}

#[test]
fn unreadable_conditions_are_located_by_check() {
    let source = r#"
[[rules]]
when = { title = '(unclosed', author = ["not a login!"] }
add = ["x"]

[[rules]]
when = {}
add = ["y"]

[[rules]]
when = { title = 'a{1000}{1000}' }
add = ["z"]
"#;
    let checked = config::check(source);
    let problems: Vec<(String, usize)> = checked
        .problems
        .iter()
        .map(|p| (p.message.clone(), p.location.as_ref().map_or(0, |l| l.line)))
        .collect();
    assert!(checked.ruleset.is_none());
    assert!(
        problems
            .iter()
            .any(|(m, line)| m.contains("`(unclosed` is not a regular expression") && *line == 3),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|(m, line)| m.contains("`not a login!` is not a login") && *line == 3),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|(m, line)| m.contains("says nothing") && *line == 7),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|(m, line)| m.contains("more than 1 MiB") && *line == 11),
        "{problems:?}"
    );
}

#[test]
fn empty_parts_duplicate_names_and_sync_without_labels_are_located() {
    let source = r#"[[rules]]
name = "dup"
when = { labels = {}, files = {}, author = ["@org/"] }
add = ["x"]

[[rules]]
name = "dup"
when = { title = "a" }
remove = ["y"]
sync = true
"#;
    let checked = config::check(source);
    let found: Vec<(usize, usize, &str)> = checked
        .problems
        .iter()
        .map(|p| {
            let at = p.location.as_ref().map_or((0, 0), |l| (l.line, l.column));
            (at.0, at.1, p.message.as_str())
        })
        .collect();
    assert_eq!(
        found,
        [
            (3, 19, "`labels` says nothing"),
            (3, 31, "`files` says nothing"),
            (3, 45, "`@org/` is not a login or `@org/team`"),
            (7, 8, "another rule is named `dup`"),
            (
                10,
                8,
                "`sync` takes off the labels in `add`, and there are none"
            ),
        ]
    );
}

#[test]
fn the_schema_offers_no_null_since_toml_has_none() {
    let schema = config::schema_json();
    assert!(!schema.contains("\"null\""));
    let checked = config::check("[[rules]]\nwhen = { draft = \"no\" }\nadd = [\"x\"]\n");
    assert_eq!(
        checked.problems[0].message,
        "`rules[0].when.draft` must be true or false, not the string \"no\""
    );
}

#[test]
fn a_body_pattern_is_looked_at_when_the_body_changes_not_the_title() {
    let rules = rules(
        r#"
[[rules]]
when = { body = '(?m)^### Versions\s*$', kind = "issue" }
add = ["has versions"]
"#,
    );
    let world = World::default();
    let mut opened = issue(ItemAction::Opened, "Crash", &[]);
    opened.body = "Steps\n\n### Versions\nPyTorch 2.5".into();
    assert_eq!(world.plan(&rules, &opened), [add(&["has versions"])]);
    let mut edited = opened.clone();
    edited.action = ItemAction::Edited;
    edited.edits = Edits {
        title: true,
        body: false,
    };
    assert_eq!(world.plan(&rules, &edited), [], "only the title changed");
    edited.edits = Edits {
        title: false,
        body: true,
    };
    assert_eq!(world.plan(&rules, &edited), [add(&["has versions"])]);
    let mut without = opened.clone();
    without.body = "Steps only".into();
    assert_eq!(world.plan(&rules, &without), []);
}

fn ask_reviews(people: &[&str]) -> Vec<String> {
    people.iter().map(|p| p.to_string()).collect()
}

/// The people each action asks, by kind: reviews and assignments.
fn asked(actions: &[Action]) -> Vec<(&'static str, Vec<String>)> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::RequestReviewers(ask) => Some(("review", ask.people.clone())),
            Action::Assign(ask) => Some(("assign", ask.people.clone())),
            _ => None,
        })
        .collect()
}

const OWNERS: &str = r#"
[[rules]]
name = "cuda owners"
when.files.any_glob_to_any_file = ["aten/src/ATen/cuda/**"]
request_reviewers = ["alice", "bob", "carol"]
count = 1

[[rules]]
name = "docs owners"
when.files.any_glob_to_any_file = ["docs/**"]
request_reviewers = ["dave", "erin"]
count = 1
"#;

#[test]
fn a_pull_request_touching_two_owned_paths_gets_the_least_loaded_owner_of_each() {
    let rules = rules(OWNERS);
    let world = World::default()
        .files(&["aten/src/ATen/cuda/Blas.cpp", "docs/index.md"])
        .load(&[
            ("alice", 4),
            ("bob", 1),
            ("carol", 2),
            ("dave", 0),
            ("erin", 3),
        ]);
    let opened = pull(ItemAction::Opened, "Faster gemm", &[]);
    let decisions = world.decide(&rules, &opened);
    assert_eq!(
        asked(&actions(decisions.clone())),
        [
            ("review", ask_reviews(&["bob"])),
            ("review", ask_reviews(&["dave"]))
        ]
    );
    let why = &decisions[0].because[0];
    assert!(
        why.contains("\"cuda owners\"") && why.contains("bob (1), carol (2), alice (4)"),
        "{why}"
    );
    // The files first, then who is around the item, then each owner's load.
    assert_eq!(
        world.reads()[..2],
        ["files".to_owned(), "people".to_owned()]
    );
    assert_eq!(world.reads().len(), 2 + 5, "{:?}", world.reads());
}

#[test]
fn a_redelivery_picks_the_same_people_and_equals_spread_over_items() {
    let rules = rules(
        r#"
[[rules]]
when.kind = "pull_request"
request_reviewers = ["alice", "bob", "carol", "dave"]
count = 1
"#,
    );
    let world = World::default();
    let mut picked = BTreeSet::new();
    for number in 1..=20 {
        let mut opened = pull(ItemAction::Opened, "A change", &[]);
        opened.number = crate::event::IssueNumber(number);
        let first = asked(&world.plan(&rules, &opened));
        assert_eq!(first, asked(&world.plan(&rules, &opened)), "#{number}");
        picked.extend(first.into_iter().flat_map(|(_, people)| people));
    }
    assert!(picked.len() >= 3, "equal loads all went to {picked:?}");
}

#[test]
fn people_already_asked_or_who_reviewed_count_as_picked_and_the_author_is_never_picked() {
    let rules = rules(OWNERS);
    let touched = || World::default().files(&["aten/src/ATen/cuda/Blas.cpp"]);
    let pushed = pull(ItemAction::Synchronize, "Faster gemm", &[]);
    assert_eq!(
        asked(&touched().requested(&["carol"]).plan(&rules, &pushed)),
        []
    );
    assert_eq!(
        asked(&touched().reviewed(&["alice"]).plan(&rules, &pushed)),
        []
    );
    // Someone outside the rule's people doesn't count.
    let mut by_bob = pushed.clone();
    by_bob.author = "bob".into();
    let world = touched()
        .requested(&["zed"])
        .load(&[("alice", 3), ("carol", 5)]);
    assert_eq!(
        asked(&world.plan(&rules, &by_bob)),
        [("review", ask_reviews(&["alice"]))]
    );
}

#[test]
fn a_request_a_person_took_off_is_not_made_again_nor_given_to_someone_else() {
    let rules = rules(OWNERS);
    let pushed = pull(ItemAction::Synchronize, "Faster gemm", &[]);
    let world = World::default()
        .files(&["aten/src/ATen/cuda/Blas.cpp"])
        .taken_off("bob", "maintainer");
    assert_eq!(asked(&world.plan(&rules, &pushed)), []);
    // What the bot itself took off is no person's choice.
    let world = World::default()
        .files(&["aten/src/ATen/cuda/Blas.cpp"])
        .taken_off("bob", BOT)
        .load(&[("alice", 1), ("carol", 1)]);
    assert_eq!(
        asked(&world.plan(&rules, &pushed)),
        [("review", ask_reviews(&["bob"]))]
    );
}

#[test]
fn people_at_their_limit_are_skipped_and_the_reason_names_them() {
    let rules = rules(
        r#"
[[rules]]
name = "reviewers"
when.kind = "pull_request"
request_reviewers = ["alice", "bob", "carol"]
count = 2
max_load = 2
"#,
    );
    let world = World::default().load(&[("alice", 2), ("bob", 1), ("carol", 0)]);
    let decisions = world.decide(&rules, &pull(ItemAction::Opened, "A change", &[]));
    assert_eq!(
        asked(&actions(decisions.clone())),
        [("review", ask_reviews(&["carol", "bob"]))]
    );
    assert!(
        decisions[0].because[0].contains("at their limit: @alice"),
        "{:?}",
        decisions[0].because
    );
    // Everyone at the limit: nobody is asked.
    let busy = World::default().load(&[("alice", 2), ("bob", 7), ("carol", 2)]);
    assert_eq!(
        asked(&busy.plan(&rules, &pull(ItemAction::Opened, "A change", &[]))),
        []
    );
}

#[test]
fn a_team_stands_for_its_members_and_without_a_choice_no_load_is_read() {
    let rules = rules(
        r#"
[[rules]]
when.kind = "pull_request"
request_reviewers = ["@pytorch/cuda", "alice"]
"#,
    );
    // The author is in the team: never asked to review their own work.
    let world = World::default().team("pytorch/cuda", &["alice", "bob", "reporter"]);
    let planned = asked(&world.plan(&rules, &pull(ItemAction::Opened, "A change", &[])));
    assert_eq!(planned.len(), 1);
    let mut people = planned[0].1.clone();
    people.sort();
    assert_eq!(people, ["alice", "bob"]);
    let reads = world.reads();
    assert!(
        reads.contains(&"members pytorch/cuda".to_owned()),
        "{reads:?}"
    );
    assert!(!reads.iter().any(|r| r.starts_with("load")), "{reads:?}");
}

#[test]
fn issues_get_assignees_and_never_reviewers() {
    let rules = rules(
        r#"
[[rules]]
name = "mentor"
when.labels.any = ["good first issue"]
assign = ["mentor-a", "mentor-b"]
count = 1

[[rules]]
when.labels.any = ["good first issue"]
request_reviewers = ["alice"]
"#,
    );
    let world = World::default().load(&[("mentor-a", 5), ("mentor-b", 2)]);
    let opened = issue(ItemAction::Opened, "Typo", &["good first issue"]);
    assert_eq!(
        asked(&world.plan(&rules, &opened)),
        [("assign", ask_reviews(&["mentor-b"]))]
    );
}

#[test]
fn an_ask_leaves_out_whom_someone_else_asked_meanwhile() {
    let ask = Ask {
        number: crate::event::IssueNumber(7),
        people: ask_reviews(&["Bob"]),
        among: ask_reviews(&["alice", "bob", "carol"]),
        asked: Vec::new(),
    };
    assert_eq!(ask.still_to_ask(&[]), ["Bob"]);
    // Asked already (a redelivery, another copy of the bot): nothing.
    assert!(ask.still_to_ask(&ask_reviews(&["bob"])).is_empty());
    // Another of the rule's people asked meanwhile stands in for Bob.
    assert!(ask.still_to_ask(&ask_reviews(&["carol"])).is_empty());
    // Someone outside the rule changes nothing.
    assert_eq!(ask.still_to_ask(&ask_reviews(&["zed"])), ["Bob"]);
}

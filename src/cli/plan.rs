//! `probot plan`: the planner on a saved payload, offline.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use std::sync::Arc;

use clap::ValueEnum;
use probot::commands::{Command, CommandError};
use probot::config;
use probot::event::{self, Event};
use probot::plan::cc::Subscriptions;
use probot::plan::{self, Decision, Facts};

use super::Format;

#[derive(Args)]
pub struct PlanArgs {
    /// The rules file.
    #[arg(long, default_value = config::RULES_PATH)]
    config: PathBuf,
    /// The webhook event name, as in `X-GitHub-Event` (`issues`, `pull_request`).
    #[arg(long, required_unless_present = "backtest")]
    event: Option<String>,
    /// A file holding the webhook payload (JSON).
    #[arg(long, required_unless_present = "backtest")]
    payload: Option<PathBuf>,
    /// Instead of one event: plan `--config` and the rules in force (or
    /// `--base-config`) on the repository's last N updated issues and pull
    /// requests, read from GitHub, and show every item they would treat
    /// differently (at most 100).
    #[arg(long, value_name = "N", requires = "repo")]
    backtest: Option<usize>,
    /// The repository to backtest on, `owner/name`.
    #[arg(long)]
    repo: Option<String>,
    /// The rules to compare with (default: the repository's, as the bot
    /// reads them, with their base).
    #[arg(long)]
    base_config: Option<PathBuf>,
    #[command(flatten)]
    github: super::serve::GitHubArgs,
    /// A file holding the tracking issue's body.
    #[arg(long)]
    tracking_issue: Option<PathBuf>,
    /// A file listing the pull request's changed paths, one a line.
    #[arg(long)]
    files: Option<PathBuf>,
    /// The rules file at the pull request's head, for the check the bot
    /// reports when a pull request changes the rules.
    #[arg(long)]
    head_rules: Option<PathBuf>,
    /// Whether the people the plan asks about (the labeller, the author)
    /// have write access: CI starts only for those who do.
    #[arg(long, value_enum, default_value_t)]
    trust: TrustArg,
    /// Teams (`org/team`) the item's author is in, for rules on `author`.
    #[arg(long, value_delimiter = ',')]
    author_teams: Vec<String>,
    /// Labels on the item that the bot added, for rules that take their
    /// labels back (`sync`, and `draft = false` when a pull request turns
    /// draft). Others count as added by a person.
    #[arg(long, value_delimiter = ',')]
    bot_added: Vec<String>,
    /// The labels the item commented on carries, for label commands (the
    /// comment's payload does not say).
    #[arg(long, value_delimiter = ',')]
    item_labels: Vec<String>,
    /// A team's members, for rules that pick reviewers or assignees
    /// among teams: `org/team=alice,bob`; repeat for each team. A team
    /// not given has no members.
    #[arg(long, value_name = "TEAM=LOGINS")]
    team: Vec<String>,
    /// People's open review requests (or assignments) in the repository,
    /// for rules that pick by load: `alice=3`; repeat, or separate with
    /// commas. Nobody given has any.
    #[arg(long, value_name = "LOGIN=COUNT", value_delimiter = ',')]
    load: Vec<String>,
    /// People already asked to review the pull request, or assigned.
    #[arg(long, value_delimiter = ',')]
    asked: Vec<String>,
    /// The bot's login: its own events plan nothing and it is never CC'd.
    #[arg(long, default_value = "probot[bot]")]
    bot: String,
    /// `text` for people, `json` for machines.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Write access assumed for everyone the plan asks about.
#[derive(Clone, Copy, Default, ValueEnum)]
enum TrustArg {
    /// Admin, maintain or write.
    Write,
    /// Read or triage at most.
    #[default]
    None,
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("can't read {}", path.display()))
}

/// Rules from a file, checked; `None` (with the problems printed) when
/// they can't be used.
fn rules_from(path: &PathBuf) -> anyhow::Result<Option<config::Ruleset>> {
    let source = read(path)?;
    let checked = config::check(&source);
    let name = path.display().to_string();
    for problem in &checked.problems {
        eprintln!("{}", problem.render(&name, &source));
    }
    if checked.ruleset.is_none() {
        eprintln!("{name} has errors; nothing planned");
    }
    Ok(checked.ruleset)
}

pub async fn run(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let Some(ruleset) = rules_from(&args.config)? else {
        return Ok(ExitCode::from(1));
    };
    if let Some(count) = args.backtest {
        return backtest(&args, &ruleset, count).await;
    }
    let (Some(event_name), Some(payload_path)) = (&args.event, &args.payload) else {
        anyhow::bail!("--event and --payload say what to plan");
    };
    let payload = std::fs::read(payload_path)
        .with_context(|| format!("can't read {}", payload_path.display()))?;
    let event = event::parse(event_name, &payload)?;
    let tracking_text = args.tracking_issue.as_ref().map(read).transpose()?;
    let Event::Item(item) = &event else {
        // Every event plans, in either format: a comment's commands as the
        // server would answer them, anything else as nothing to do.
        let planned = match &event {
            Event::Comment(comment) => {
                plan_comment(comment, &ruleset, tracking_text.as_deref(), &args)
            }
            _ => Vec::new(),
        };
        match args.format {
            Format::Json => println!("{}", serde_json::to_string_pretty(&planned)?),
            Format::Text => print!("{}", describe(&event, &planned)),
        }
        return Ok(ExitCode::SUCCESS);
    };
    let subscriptions = match &tracking_text {
        Some(text) => Subscriptions::parse(text),
        None => Subscriptions::default(),
    };
    let files: Vec<String> = match &args.files {
        Some(path) => read(path)?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        None => Vec::new(),
    };
    let head_rules = args.head_rules.as_ref().map(read).transpose()?;

    // The same rounds of reads the bot makes, answered from the files.
    let mut source = Offline {
        args: &args,
        item,
        subscriptions: Arc::new(subscriptions),
        files,
        head_rules: head_rules.map(|text| Arc::new(plan::review(&text))),
    };
    let facts = plan::settle(&mut source, Facts::default(), |facts| {
        plan::needs(item, &ruleset, facts, &args.bot)
    })
    .await?;
    let decisions = plan::decide(item, &ruleset, &facts, &args.bot);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&decisions)?),
        Format::Text => print!("{}", describe(&event, &decisions)),
    }
    Ok(ExitCode::SUCCESS)
}

/// The facts a plan asks for, from the command line's files and flags.
struct Offline<'a> {
    args: &'a PlanArgs,
    item: &'a event::ItemEvent,
    subscriptions: Arc<Subscriptions>,
    files: Vec<String>,
    head_rules: Option<Arc<plan::HeadReview>>,
}

impl plan::FactSource for Offline<'_> {
    type Error = std::convert::Infallible;

    async fn read(&mut self, needs: plan::Needs, facts: &mut Facts) -> Result<(), Self::Error> {
        let (args, item) = (self.args, self.item);
        if needs.tracking_issue.is_some() {
            if args.tracking_issue.is_none() {
                eprintln!("note: no --tracking-issue given, so nobody is subscribed");
            }
            facts.subscriptions = Some(Arc::clone(&self.subscriptions));
        }
        if needs.changed_files {
            if args.files.is_none() {
                eprintln!("note: no --files given, so path rules see no changed files");
            }
            facts.changed_files = Some(self.files.clone());
        }
        if needs.rules_at.is_some() {
            if self.head_rules.is_none() {
                eprintln!("note: no --head-rules given, so the changed rules file is not checked");
            }
            facts.rules_at_head = Some(self.head_rules.clone());
        }
        for login in &needs.write_access {
            facts.set_write_access(login, matches!(args.trust, TrustArg::Write));
        }
        for team in &needs.author_teams {
            let member = args
                .author_teams
                .iter()
                .any(|t| t.trim_start_matches('@').eq_ignore_ascii_case(team));
            facts.author_teams.insert(team.clone(), member);
        }
        if needs.label_adders {
            facts.label_adders = Some(
                item.labels
                    .iter()
                    .map(|label| match args.bot_added.contains(label) {
                        true => (label.clone(), args.bot.clone()),
                        false => (label.clone(), String::new()),
                    })
                    .collect(),
            );
        }
        if needs.people {
            facts.people = Some(plan::People {
                requested: args.asked.clone(),
                assigned: args.asked.clone(),
                ..plan::People::default()
            });
        }
        for team in &needs.team_members {
            let members = args.team.iter().find_map(|given| {
                let (name, logins) = given.split_once('=')?;
                let name = name.trim_start_matches('@');
                name.eq_ignore_ascii_case(team)
                    .then(|| logins.split(',').map(|l| l.trim().to_owned()).collect())
            });
            facts
                .team_members
                .insert(team.clone(), members.unwrap_or_default());
        }
        for (role, login) in &needs.load {
            let given = args.load.iter().find_map(|given| {
                let (name, count) = given.split_once('=')?;
                name.eq_ignore_ascii_case(login)
                    .then(|| count.trim().parse().ok())?
            });
            facts
                .load
                .insert((*role, login.clone()), given.unwrap_or(0));
        }
        // Offline, nobody removed a label lately, and whatever else no
        // flag gives is not known.
        facts.assume_nothing(needs);
        Ok(())
    }
}

/// `--backtest`: the rules against those in force on recent items.
async fn backtest(
    args: &PlanArgs,
    new: &config::Ruleset,
    count: usize,
) -> anyhow::Result<ExitCode> {
    let Some(repo) = args.repo.as_deref().and_then(event::RepoName::parse) else {
        anyhow::bail!("--repo must be owner/name");
    };
    let old = match &args.base_config {
        Some(path) => match rules_from(path)? {
            Some(rules) => Some(rules),
            None => return Ok(ExitCode::from(1)),
        },
        None => None,
    };
    let client = args.github.client()?;
    let result =
        probot::backtest::of_repository(&client, &repo, old.as_ref(), new, count, &args.bot)
            .await
            .context("backtesting")?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&result)?),
        Format::Text => print!("{}", result.to_markdown(usize::MAX)),
    }
    Ok(ExitCode::SUCCESS)
}

/// What the server would do with a comment's commands, offline: its label
/// commands (decided by `label_commands`, the item's labels from
/// `--item-labels`), then its subscribe commands (by `subscribe::decide`,
/// the tracking issue's body from `--tracking-issue`); access from
/// `--trust`, and every label looked up taken to exist (the server asks).
fn plan_comment(
    comment: &event::CommentEvent,
    ruleset: &config::Ruleset,
    tracking: Option<&str>,
    args: &PlanArgs,
) -> Vec<Decision> {
    if comment.sender.login.eq_ignore_ascii_case(&args.bot) {
        return Vec::new();
    }
    // Parsed once, as the server does; each kind takes its own.
    let parsed = probot::commands::parse_commands(&comment.body, &args.bot);
    let mut planned = plan_label_commands(comment, &parsed, ruleset, args);
    planned.extend(plan_subscriptions(
        comment, &parsed, ruleset, tracking, args,
    ));
    planned
}

fn plan_label_commands(
    comment: &event::CommentEvent,
    parsed: &[Result<Command, CommandError>],
    ruleset: &config::Ruleset,
    args: &PlanArgs,
) -> Vec<Decision> {
    use probot::label_commands;
    let commands = label_commands::read(parsed);
    if commands.is_empty() {
        return Vec::new();
    }
    if !ruleset.label_commands_on() {
        eprintln!("note: label commands are off: the rules have no [[commands.labels]]");
        return Vec::new();
    }
    let who = match args.trust {
        TrustArg::Write => config::Who::Write,
        TrustArg::None => config::Who::Anyone,
    };
    let known: Vec<(String, bool)> =
        label_commands::lookups(ruleset, &commands, &args.item_labels, who)
            .into_iter()
            .map(|label| {
                eprintln!("note: `{label}` is taken to exist; the server looks it up");
                (label, true)
            })
            .collect();
    let outcomes = label_commands::outcomes(ruleset, &commands, &args.item_labels, who, &known);
    label_commands::decide(comment, &commands, &outcomes)
        .into_iter()
        .map(|action| Decision {
            because: vec![format!("label commands by @{}", comment.author)],
            action,
        })
        .collect()
}

fn plan_subscriptions(
    comment: &event::CommentEvent,
    parsed: &[Result<Command, CommandError>],
    ruleset: &config::Ruleset,
    tracking: Option<&str>,
    args: &PlanArgs,
) -> Vec<Decision> {
    use probot::plan::cc::commands as subscribe;
    let commands = subscribe::read(parsed, &comment.author);
    let no_commands = commands.wishes.is_empty() && commands.errors.is_empty();
    if no_commands {
        return Vec::new();
    }
    let on_tracking = ruleset.file.cc.as_ref().is_some_and(|cc| {
        event::IssueNumber(cc.tracking_issue) == comment.number && cc.repository.is_none()
    });
    if !on_tracking {
        eprintln!(
            "note: commands count only on the tracking issue; this comment is on #{}",
            comment.number
        );
        return Vec::new();
    }
    if tracking.is_none() {
        eprintln!("note: no --tracking-issue given, so its body is taken to be empty");
    }
    let body = tracking.unwrap_or_default();
    let allowed_for_others = matches!(args.trust, TrustArg::Write);
    let known: Vec<(String, bool)> =
        subscribe::lookups(body, &commands, &comment.author, allowed_for_others)
            .into_iter()
            .map(|label| {
                eprintln!("note: `{label}` has no line in the tracking issue; the server looks it up, here it is taken to exist");
                (label, true)
            })
            .collect();
    subscribe::decide(comment, body, &commands, allowed_for_others, &known)
        .into_iter()
        .map(|action| Decision {
            because: vec![format!(
                "commands by @{} on the tracking issue",
                comment.author
            )],
            action,
        })
        .collect()
}

fn describe(event: &event::Event, decisions: &[Decision]) -> String {
    let mut out = String::new();
    match event {
        event::Event::Item(item) => out.push_str(&format!(
            "{} {}#{} {} by @{}:\n",
            item.kind, item.repo, item.number, item.action, item.sender.login
        )),
        event::Event::Comment(c) => out.push_str(&format!(
            "comment on {}#{} by @{}:\n",
            c.repo, c.number, c.author
        )),
        _ => {}
    }
    if decisions.is_empty() {
        out.push_str("  nothing to do\n");
    }
    for decision in decisions {
        out.push_str(&format!("  {}\n", decision.action));
        for reason in &decision.because {
            out.push_str(&format!("    because {reason}\n"));
        }
    }
    out
}

//! `probot demo`: fakehub and the bot on this machine, and a scripted story
//! played as users, with a transcript of every webhook, every GitHub call
//! the bot made, and the state after each step.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use fakehub::client::{ItemState, NewItem, NewPull};
use fakehub::{Control, Seed};
use probot::harness::Local;

const REPO: &str = "acme/widgets";
const SEED: &str = include_str!("../../examples/demo/seed.toml");
const RULES: &str = include_str!("../../examples/demo/probot.toml");
const TRACKING: &str = include_str!("../../examples/demo/tracking-issue.md");

#[derive(Args)]
pub struct DemoArgs {
    /// Leave fakehub and the bot running afterwards, to try things by hand.
    #[arg(long)]
    keep_running: bool,
}

/// The embedded seed, with the files it names on disk filled in, so the
/// demo runs from any directory.
fn seed() -> anyhow::Result<Seed> {
    let mut seed = Seed::from_toml(SEED, None).map_err(anyhow::Error::msg)?;
    let repo = seed
        .repos
        .first_mut()
        .context("the demo seed has no repository")?;
    repo.files_from.clear();
    repo.files
        .insert(".github/probot.toml".into(), RULES.into());
    let tracking = repo
        .issues
        .first_mut()
        .context("the demo seed has no tracking issue")?;
    tracking.body_from = None;
    tracking.body = TRACKING.into();
    Ok(seed)
}

struct Story {
    local: Local,
    hub: Control,
    step: usize,
    deliveries_seen: usize,
    /// API calls the bot made, per step, for the figures.
    calls: Vec<(String, usize)>,
}

impl Story {
    async fn step(&mut self, title: &str) -> anyhow::Result<()> {
        self.step += 1;
        println!("\n{}. {title}", self.step);
        self.report(title).await
    }

    /// Prints what happened since the last step.
    async fn report(&mut self, title: &str) -> anyhow::Result<()> {
        let deliveries = self.hub.deliveries().await?;
        for d in &deliveries[self.deliveries_seen.min(deliveries.len())..] {
            let action = d
                .action
                .as_deref()
                .map(|a| format!(".{a}"))
                .unwrap_or_default();
            let redelivery = if d.redelivery { " (redelivery)" } else { "" };
            let sender = d
                .sender
                .as_deref()
                .map(|s| format!(" by @{s}"))
                .unwrap_or_default();
            println!(
                "   webhook   {}{action}{sender}{redelivery} -> bot answered {}",
                d.event, d.status_code
            );
        }
        self.deliveries_seen = deliveries.len();
        let requests = self.hub.requests().await?;
        let bot_calls: Vec<_> = requests
            .iter()
            .filter(|r| !r.token.starts_with("user:"))
            .collect();
        if bot_calls.is_empty() {
            println!("   GitHub    (the bot made no calls)");
        }
        for r in &bot_calls {
            println!("   GitHub    {:<6} {} -> {}", r.method, r.path, r.status);
        }
        self.calls.push((title.to_owned(), bot_calls.len()));
        self.hub.clear_requests().await?;
        Ok(())
    }

    /// Why the bot did what it did for the last `event.action` delivery:
    /// the planner on its payload, as `probot plan` shows it.
    async fn explain(&self, event: &str, action: &str) -> anyhow::Result<()> {
        let delivery = self
            .hub
            .deliveries()
            .await?
            .into_iter()
            .rev()
            .find(|d| d.event == event && d.action.as_deref() == Some(action))
            .context("the delivery to explain")?;
        let payload = self.hub.delivery_payload(delivery.id).await?;
        let parsed = probot::event::parse(event, &serde_json::to_vec(&payload)?)?;
        let probot::event::Event::Item(item) = parsed else {
            return Ok(());
        };
        let rules = probot::config::load(RULES)
            .map_err(|_| anyhow::anyhow!("the demo rules do not load"))?;
        let facts = probot::plan::Facts::default();
        for decision in probot::plan::decide(&item, &rules, &facts, "probot[bot]") {
            if let probot::plan::Action::AddLabels { .. } = decision.action {
                for reason in decision.because {
                    println!("   why       {reason}");
                }
            }
        }
        Ok(())
    }

    async fn show_ref(&self, git_ref: &str) -> anyhow::Result<Option<String>> {
        let sha = self.hub.refs(REPO).await?.get(git_ref).cloned();
        match &sha {
            Some(sha) => println!("   state     {git_ref} -> {}", &sha[..7.min(sha.len())]),
            None => println!("   state     {git_ref} does not exist"),
        }
        Ok(sha)
    }

    async fn show(&self, number: u64) -> anyhow::Result<ItemState> {
        let item = self.hub.issue(REPO, number).await?;
        let kind = if item.pull.is_some() {
            "pull request"
        } else {
            "issue"
        };
        println!(
            "   state     {kind} #{number} labels: {}",
            item.labels.join(", ")
        );
        let cc = item.body.lines().rev().find(|l| l.starts_with("cc @"));
        println!("             cc line: {}", cc.unwrap_or("(none)"));
        Ok(item)
    }
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    // One webhook at a time, so the transcript reads the same every run.
    let options = fakehub::Options {
        sequential_webhooks: true,
        ..fakehub::Options::default()
    };
    let local = Local::start_with(seed()?, options)
        .await
        .context("starting fakehub and the bot")?;
    let hub = local.control();
    println!(
        "probot demo: a fake GitHub (fakehub) and the bot, talking over HTTP on this machine."
    );
    println!("fakehub  {}", local.hub.url());
    println!("bot      {}", Local::hook_url(&local.bots[0]));
    println!("repository {REPO}: rules in .github/probot.toml, subscriptions in issue #1:");
    for line in TRACKING.lines().filter(|l| l.starts_with("* ")) {
        println!("    {line}");
    }
    let mut story = Story {
        local,
        hub,
        step: 0,
        deliveries_seen: 0,
        calls: Vec::new(),
    };
    story.hub.clear_requests().await?;

    story
        .hub
        .label(REPO, 2, "maintainer", &["high priority"])
        .await?;
    story
        .step("@maintainer labels issue #2 \"high priority\"")
        .await?;
    let issue = story.show(2).await?;
    check(
        issue.labels.contains(&"triage review".to_owned()),
        "triage review was implied",
    )?;

    let first_label = story
        .hub
        .deliveries()
        .await?
        .into_iter()
        .find(|d| {
            d.event == "issues"
                && d.action.as_deref() == Some("labeled")
                && d.sender.as_deref() == Some("maintainer")
        })
        .context("the first labeled delivery")?;
    let before = story.hub.issue(REPO, 2).await?;
    story.hub.redeliver(first_label.id).await?;
    story
        .step("GitHub delivers step 1's webhook again (same delivery id): nothing changes")
        .await?;
    let after = story.show(2).await?;
    check(after == before, "the duplicate changed nothing")?;

    let command = story
        .hub
        .comment(REPO, 1, "dora", "@probot subscribe bug")
        .await?;
    story
        .step("@dora comments \"@probot subscribe bug\" on the tracking issue")
        .await?;
    let tracking = story.hub.issue(REPO, 1).await?;
    let line = tracking.body.lines().find(|l| l.starts_with("* bug"));
    println!(
        "   state     tracking issue line: {}",
        line.unwrap_or("(none)")
    );
    let reacted = tracking
        .comments
        .iter()
        .find(|c| c.id == command)
        .map(|c| {
            c.reactions
                .iter()
                .map(|r| r.content.clone())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    println!(
        "             reaction on the comment: {}",
        reacted.join(" ")
    );
    check(line == Some("* bug @dora"), "dora was subscribed")?;

    let number = story
        .hub
        .open_issue(
            REPO,
            NewItem {
                title: "DataLoader hangs with 0 workers".into(),
                body: "Minimal repro attached.".into(),
                author: "reporter".into(),
                labels: vec!["bug".into()],
                ..NewItem::default()
            },
        )
        .await?;
    story
        .step(&format!(
            "@reporter opens issue #{number} with the label \"bug\""
        ))
        .await?;
    let issue = story.show(number).await?;
    check(issue.body.contains("@dora"), "dora was CC'd")?;
    let notified: Vec<String> = story
        .hub
        .notifications("dora")
        .await?
        .into_iter()
        .filter(|n| n.number == number)
        .map(|n| n.reason)
        .collect();
    println!(
        "             @dora's notifications about #{number}: {}",
        notified.join(", ")
    );
    check(notified == ["mention"], "dora was notified once")?;

    let pr = story
        .hub
        .open_pull(
            REPO,
            NewItem {
                title: "Document memory_stats".into(),
                body: "Adds a page on memory statistics.".into(),
                author: "contributor".into(),
                ..NewItem::default()
            },
            NewPull {
                head_ref: Some("docs-memory-stats".into()),
                fork: true,
                files: vec!["docs/source/memory.rst".into()],
                ..NewPull::default()
            },
        )
        .await?;
    story
        .step(&format!(
            "@contributor opens pull request #{pr} from a fork, changing docs/source/memory.rst"
        ))
        .await?;
    let pull = story.show(pr).await?;
    check(
        pull.labels.contains(&"module: docs".to_owned()),
        "the docs label was added",
    )?;

    let pr = story
        .hub
        .open_pull(
            REPO,
            NewItem {
                title: "Faster allocator".into(),
                body: "Needs the full CI.".into(),
                author: "alice".into(),
                ..NewItem::default()
            },
            NewPull {
                head_ref: Some("faster-allocator".into()),
                files: vec!["src/alloc.rs".into()],
                ..NewPull::default()
            },
        )
        .await?;
    story
        .step(&format!("@alice (write access) opens pull request #{pr}"))
        .await?;
    story
        .hub
        .label(REPO, pr, "maintainer", &["ciflow/trunk"])
        .await?;
    story
        .step(&format!(
            "@maintainer labels #{pr} \"ciflow/trunk\": its CI runs on the tag ciflow/trunk/{pr}"
        ))
        .await?;
    let tag = format!("refs/tags/ciflow/trunk/{pr}");
    story.show_ref(&tag).await?;
    let head = story.hub.push(REPO, pr, "alice", &["src/alloc.rs"]).await?;
    story
        .step(&format!(
            "@alice pushes a commit to #{pr}: the tag follows the new head"
        ))
        .await?;
    check(
        story.show_ref(&tag).await? == Some(head),
        "the tag moved to the new head",
    )?;
    story
        .hub
        .unlabel(REPO, pr, "maintainer", "ciflow/trunk")
        .await?;
    story
        .step(&format!(
            "@maintainer removes \"ciflow/trunk\" from #{pr}: the tag goes"
        ))
        .await?;
    check(story.show_ref(&tag).await?.is_none(), "the tag was deleted")?;

    let number = story
        .hub
        .open_issue(
            REPO,
            NewItem {
                title: "DISABLED test_conv2d (__main__.TestNN)".into(),
                body: "Flaky on linux.".into(),
                author: "reporter".into(),
                ..NewItem::default()
            },
        )
        .await?;
    story
        .step(&format!(
            "@reporter opens issue #{number} \"DISABLED test_conv2d (__main__.TestNN)\": a [[rules]] title rule labels it"
        ))
        .await?;
    let issue = story.show(number).await?;
    check(
        issue.labels.contains(&"skipped".to_owned()),
        "the title rule added `skipped`",
    )?;
    story.explain("issues", "opened").await?;

    println!("\nGitHub API calls the bot made, per step:");
    for (title, calls) in &story.calls {
        println!("  {calls:>2}  {title}");
    }
    if args.keep_running {
        keep_running(&story.local).await?;
    }
    Ok(ExitCode::SUCCESS)
}

fn check(ok: bool, what: &str) -> anyhow::Result<()> {
    if ok {
        Ok(())
    } else {
        anyhow::bail!("the demo went wrong: expected that {what}")
    }
}

async fn keep_running(local: &Local) -> anyhow::Result<()> {
    let url = local.hub.url();
    println!("\nfakehub and the bot keep running. Act as a user, then read the issue back:");
    println!("  curl -X POST {url}/_fakehub/repos/{REPO}/issues/2/labels -H 'content-type: application/json' \\");
    println!("       -d '{{\"actor\": \"maintainer\", \"labels\": [\"critical\"]}}'");
    println!("  curl {url}/_fakehub/repos/{REPO}/issues/2");
    println!("  curl {url}/_fakehub/requests     # every API call, with who made it");
    println!("Ctrl-C stops them.");
    tokio::signal::ctrl_c().await?;
    Ok(())
}

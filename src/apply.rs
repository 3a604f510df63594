//! The doing step: turns a plan into GitHub writes. The only writer; it
//! decides nothing the plan did not.
//!
//! It writes only what would change something: the plan was made on the
//! item as read right before, and the cc line is merged into that body, so
//! another tool's edit made since the webhook was sent survives. Races it
//! accepts: an edit landing between that read and our write is
//! overwritten, as on GitHub's own UI.

use crate::config::Role;
use crate::event::RepoName;
use crate::event::{CommitSha, IssueNumber};
use std::time::Duration;

use crate::github::{CommentSnapshot, Fetched, GitHubError, ItemSnapshot, Session};
use crate::plan::cc::{apply_wishes, line as cc_line, Wish};
use crate::plan::{Action, Ask, CcEntry, Dispatch, DispatchKind, CC_COMMENT_MARKER};

/// One write made, described for logs and the demo transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write(pub String);

/// Where the actions go: the session, the item (a repository's issue or
/// pull request), and the bot's own login (its comments are the only ones
/// it keeps).
pub struct Target<'a> {
    pub api: &'a Session,
    pub repo: &'a RepoName,
    pub number: IssueNumber,
    pub bot: &'a str,
}

/// Applies `actions` to the item of `item`. `fresh` is the item as read
/// just before, which actions that `needs_fresh_item` were planned on.
pub async fn apply(
    target: &Target<'_>,
    actions: &[Action],
    fresh: Option<&ItemSnapshot>,
) -> Result<Vec<Write>, GitHubError> {
    let (api, item) = (target.api, target);
    let mut writes = Vec::new();
    for action in actions {
        match action {
            Action::AddLabels { labels } => {
                api.add_labels(item.repo, item.number, labels).await?;
                writes.push(Write(action.to_string()));
            }
            Action::RemoveLabels { labels } => {
                for label in labels {
                    api.remove_label(item.repo, item.number, label).await?;
                }
                writes.push(Write(action.to_string()));
            }
            Action::Cc { users } => {
                let Some(fresh) = fresh else {
                    continue;
                };
                if let Some(body) = cc_line::merge(&fresh.body, users) {
                    api.set_body(item.repo, item.number, &body).await?;
                    writes.push(Write(action.to_string()));
                }
            }
            Action::CcComment { users, reasons } => {
                if keep_cc_comment(target, users, *reasons).await? {
                    writes.push(Write(action.to_string()));
                }
            }
            Action::CheckRun(run) => {
                api.create_check_run(item.repo, &run.to_request()).await?;
                writes.push(Write(action.to_string()));
            }
            Action::SyncTag { tag, sha } => {
                if sync_tag(api, item.repo, tag, sha).await? {
                    writes.push(Write(action.to_string()));
                }
            }
            Action::DeleteTag { tag } => {
                if api.delete_ref(item.repo, &Action::tag_ref(tag)).await? {
                    writes.push(Write(action.to_string()));
                }
            }
            Action::Dispatch(dispatch) => {
                if dispatch_once(api, item.repo, dispatch).await? {
                    writes.push(Write(action.to_string()));
                }
            }
            Action::Comment { marker, body } => {
                if keep_comment(target, marker, body).await? {
                    writes.push(Write(action.to_string()));
                }
            }
            Action::UpdateComment { marker, body } => {
                let comments = api.comments(item.repo, item.number).await?;
                if let Some(found) = bots_comment(&comments, target.bot, marker) {
                    if found.body != *body {
                        api.update_comment(item.repo, found.id, body).await?;
                        writes.push(Write(action.to_string()));
                    }
                }
            }
            Action::ForgetDispatches { number } => {
                let prefix = Dispatch::records_of(*number);
                for git_ref in api.matching_refs(item.repo, &prefix).await? {
                    api.delete_ref(item.repo, &git_ref).await?;
                }
            }
            Action::Subscriptions { number, wishes } => {
                // The body the wishes were decided on, when it is this
                // item's: the first round writes from it, unread again.
                let read = fresh.filter(|_| *number == item.number);
                let body = read.map(|fresh| fresh.body.as_str());
                let rounds = keep_wishes(api, item.repo, *number, wishes, body).await?;
                if rounds > 0 {
                    writes.push(Write(format!("{action} in {rounds} rounds")));
                }
            }
            Action::Reply { number, body } => {
                api.create_comment(item.repo, *number, body).await?;
                writes.push(Write(action.to_string()));
            }
            Action::React {
                comment_id,
                content,
            } => {
                api.react(item.repo, *comment_id, content).await?;
                writes.push(Write(action.to_string()));
            }
            Action::RequestReviewers(ask) => {
                writes.extend(ask_people(api, item.repo, Role::Reviewer, ask).await?);
            }
            Action::Assign(ask) => {
                writes.extend(ask_people(api, item.repo, Role::Assignee, ask).await?);
            }
        }
    }
    Ok(writes)
}

/// Asks as many of `ask`'s people as are still missing, read just before:
/// someone asked meanwhile (a person, another copy of the bot) stands in
/// for one of them, so a rule never asks for more than its count.
async fn ask_people(
    api: &Session,
    repo: &RepoName,
    role: Role,
    ask: &Ask,
) -> Result<Option<Write>, GitHubError> {
    let now = api.asked(repo, ask.number, role).await?;
    let mut people = ask.still_to_ask(&now);
    if people.is_empty() {
        return Ok(None);
    }
    match api.ask(repo, ask.number, role, &people).await {
        Ok(()) => {}
        // GitHub refuses the whole request for one person it won't take
        // (not a collaborator, say): ask each alone, and skip who is
        // refused, which no retry would change.
        Err(GitHubError::Status { status: 422, .. }) => {
            let mut taken = Vec::new();
            for person in people {
                match api
                    .ask(repo, ask.number, role, std::slice::from_ref(&person))
                    .await
                {
                    Ok(()) => taken.push(person),
                    Err(GitHubError::Status {
                        status: 422,
                        message,
                        ..
                    }) => {
                        tracing::warn!(%repo, number = %ask.number, person, %message, "GitHub refused to ask them; skipped");
                    }
                    Err(error) => return Err(error),
                }
            }
            people = taken;
        }
        Err(error) => return Err(error),
    }
    if people.is_empty() {
        return Ok(None);
    }
    let done = Ask {
        people,
        ..ask.clone()
    };
    Ok(Some(Write(
        match role {
            Role::Reviewer => Action::RequestReviewers(done),
            Role::Assignee => Action::Assign(done),
        }
        .to_string(),
    )))
}

/// Rounds of write-then-verify before giving up on a body that keeps
/// changing under the bot.
const MAX_WISH_ROUNDS: usize = 5;

/// How long a writer waits before reading back what it wrote: longer than
/// another writer's read-then-write takes at GitHub's latency, so that the
/// read sees any edit that raced it. Jittered, so two writers don't verify
/// in lockstep.
const SETTLE: Duration = Duration::from_millis(400);

/// Makes `wishes` hold in issue `number`'s body: GitHub has no conditional
/// update for a body, so it writes, waits, reads back, and writes again
/// what a racing edit lost; whichever writer reads last repairs the loss.
/// `read` is the body the wishes were decided on, read moments before,
/// when there is one (it saves a read); the read-back after each write
/// catches what changed since, as it catches a racing write. Returns the
/// writes made.
async fn keep_wishes(
    api: &Session,
    repo: &RepoName,
    number: IssueNumber,
    wishes: &[Wish],
    read: Option<&str>,
) -> Result<usize, GitHubError> {
    let mut rounds = 0;
    let mut body = match read {
        Some(body) => body.to_owned(),
        None => match api.item(repo, number, None).await? {
            Fetched::Found { value, .. } => value.body,
            Fetched::Missing | Fetched::NotModified => return Ok(0),
        },
    };
    while rounds < MAX_WISH_ROUNDS {
        let Some(edited) = apply_wishes(&body, wishes) else {
            break;
        };
        rounds += 1;
        api.set_body(repo, number, &edited).await?;
        tokio::time::sleep(SETTLE + jitter(number, rounds, &edited)).await;
        body = match api.item(repo, number, None).await? {
            Fetched::Found { value, .. } => value.body,
            Fetched::Missing | Fetched::NotModified => break,
        };
    }
    Ok(rounds)
}

/// Up to 400 ms more, different per write and round, without a random
/// source: enough that two writers rarely read back at the same instant.
fn jitter(number: IssueNumber, round: usize, written: &str) -> Duration {
    let seed = written
        .bytes()
        .fold(number.0, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
    let mixed = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(round as u64 * 0x6A09_E667)
        .rotate_left(17);
    Duration::from_millis(mixed % 400)
}

/// Points the tag at `sha`, creating or moving it; `false` when it was
/// there already.
async fn sync_tag(
    api: &Session,
    repo: &RepoName,
    tag: &str,
    sha: &CommitSha,
) -> Result<bool, GitHubError> {
    let git_ref = Action::tag_ref(tag);
    match api.git_ref(repo, &git_ref).await? {
        Some(current) if current == *sha => Ok(false),
        Some(_) => api.move_ref(repo, &git_ref, sha).await.map(|()| true),
        None => {
            if api.create_ref(repo, &git_ref, sha).await? {
                return Ok(true);
            }
            // Created meanwhile by another delivery: make sure it's ours.
            match api.git_ref(repo, &git_ref).await? {
                Some(current) if current == *sha => Ok(false),
                _ => api.move_ref(repo, &git_ref, sha).await.map(|()| true),
            }
        }
    }
}

/// Starts the workflow unless this (label, head) was started before. If
/// the dispatch fails, the record goes too, so a redelivery tries again.
/// The race that remains: a crash between the record and the dispatch
/// leaves a record without a run, until the label is applied again on a
/// new commit.
async fn dispatch_once(
    api: &Session,
    repo: &RepoName,
    dispatch: &Dispatch,
) -> Result<bool, GitHubError> {
    let record = dispatch.record_ref();
    if !api.create_ref(repo, &record, &dispatch.head_sha).await? {
        return Ok(false);
    }
    let started = match &dispatch.kind {
        DispatchKind::WorkflowDispatch {
            workflow,
            git_ref,
            inputs,
        } => api.dispatch_workflow(repo, workflow, git_ref, inputs).await,
        DispatchKind::RepositoryDispatch {
            event_type,
            client_payload,
        } => {
            api.repository_dispatch(repo, event_type, client_payload)
                .await
        }
    };
    if let Err(error) = started {
        let _ = api.delete_ref(repo, &record).await;
        return Err(error);
    }
    Ok(true)
}

/// The bot's own comment carrying `marker`: a person's comment quoting the
/// marker is not it, and is never edited.
fn bots_comment<'c>(
    comments: &'c [CommentSnapshot],
    bot: &str,
    marker: &str,
) -> Option<&'c CommentSnapshot> {
    comments
        .iter()
        .find(|c| c.author.eq_ignore_ascii_case(bot) && c.body.contains(marker))
}

/// Keeps one comment with `marker`: created once, then edited in place.
async fn keep_comment(target: &Target<'_>, marker: &str, body: &str) -> Result<bool, GitHubError> {
    let (api, item) = (target.api, target);
    let comments = api.comments(item.repo, item.number).await?;
    match bots_comment(&comments, target.bot, marker) {
        Some(found) if found.body == body => Ok(false),
        Some(found) => api
            .update_comment(item.repo, found.id, body)
            .await
            .map(|()| true),
        None => api
            .create_comment(item.repo, item.number, body)
            .await
            .map(|()| true),
    }
}

/// Adds to the bot's cc comment the people it lacks, creating it once.
async fn keep_cc_comment(
    target: &Target<'_>,
    users: &[CcEntry],
    reasons: bool,
) -> Result<bool, GitHubError> {
    let (api, item) = (target.api, target);
    let comments = api.comments(item.repo, item.number).await?;
    let existing = bots_comment(&comments, target.bot, CC_COMMENT_MARKER);
    let Some(body) = cc_line::comment(existing.map(|c| c.body.as_str()), users, reasons) else {
        return Ok(false);
    };
    match existing {
        Some(found) => api.update_comment(item.repo, found.id, &body).await?,
        None => api.create_comment(item.repo, item.number, &body).await?,
    }
    Ok(true)
}

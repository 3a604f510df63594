//! What people do around an item, as GitHub shows it: the item's events,
//! reactions, notifications, reviews.

use serde_json::{json, Value};

use super::{timestamp, user};
use crate::state::{IssueEvent, Repo, Subject, World};

/// One of an item's events, as `GET /issues/{number}/events` lists it:
/// the label, or the person assigned (with who assigned) or asked to
/// review (with who asked).
pub fn issue_event(world: &World, repo: &Repo, event: &IssueEvent) -> Value {
    let mut shape = json!({
        "id": event.id,
        "node_id": format!("LE_fake{}", event.id),
        "url": format!("{}/repos/{}/issues/events/{}", world.base_url, repo.full_name(), event.id),
        "actor": user(world, &event.actor),
        "event": event.event,
        "commit_id": null,
        "commit_url": null,
        "created_at": timestamp(event.created_at),
        "performed_via_github_app": null,
    });
    match &event.subject {
        Subject::Label(name) => {
            shape["label"] = repo.labels.get(name).map_or_else(
                || json!({"name": name}),
                |l| json!({"name": l.name, "color": l.color}),
            );
        }
        Subject::Person(login) if event.event.contains("review") => {
            shape["requested_reviewer"] = user(world, login);
            shape["review_requester"] = user(world, &event.actor);
        }
        Subject::Person(login) => {
            shape["assignee"] = user(world, login);
            shape["assigner"] = user(world, &event.actor);
        }
    }
    shape
}

pub fn reaction(world: &World, reaction: &crate::state::Reaction) -> Value {
    json!({
        "id": reaction.id,
        "node_id": format!("MDg6UmVhY3Rpb24{}", reaction.id),
        "user": user(world, &reaction.user),
        "content": reaction.content,
        "created_at": timestamp(reaction.created_at),
    })
}

/// A notification thread, as `GET /notifications` lists it.
pub fn notification(world: &World, n: &crate::state::Notification) -> Value {
    let base = &world.base_url;
    let (kind, path) = match n.is_pull {
        true => ("PullRequest", "pulls"),
        false => ("Issue", "issues"),
    };
    let repo = world.repos.get(&n.repo);
    json!({
        "id": n.id.to_string(),
        "unread": true,
        "reason": n.reason,
        "updated_at": timestamp(n.at),
        "last_read_at": null,
        "subject": {
            "title": n.title,
            "url": format!("{base}/repos/{}/{path}/{}", n.repo, n.number),
            "latest_comment_url": format!("{base}/repos/{}/issues/{}", n.repo, n.number),
            "type": kind,
        },
        "repository": repo.map(|r| super::repo(world, r)),
        "url": format!("{base}/notifications/threads/{}", n.id),
        "subscription_url": format!("{base}/notifications/threads/{}/subscription", n.id),
    })
}

/// A pull request review, as `GET /pulls/{n}/reviews` lists it.
pub fn review(world: &World, repo: &Repo, number: u64, review: &crate::state::Review) -> Value {
    let base = &world.base_url;
    let full = repo.full_name();
    json!({
        "id": review.id,
        "node_id": format!("PRR_fake{}", review.id),
        "user": user(world, &review.user),
        "body": review.body,
        "state": review.state,
        "html_url": format!("{base}/{full}/pull/{number}#pullrequestreview-{}", review.id),
        "pull_request_url": format!("{base}/repos/{full}/pulls/{number}"),
        "author_association": super::association(world, repo, &review.user),
        "_links": {
            "html": {"href": format!("{base}/{full}/pull/{number}#pullrequestreview-{}", review.id)},
            "pull_request": {"href": format!("{base}/repos/{full}/pulls/{number}")},
        },
        "submitted_at": timestamp(review.submitted_at),
        "commit_id": review.commit_id,
    })
}

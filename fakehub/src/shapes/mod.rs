//! GitHub's JSON shapes, rendered from fakehub's state. The keys follow the
//! examples in GitHub's REST description (kept in `tests/fixtures/github/rest/`),
//! so real clients (octocrab) deserialize them, and webhook payloads reuse
//! the same renderers, as GitHub's do.

use serde_json::{json, Value};

use crate::state::{Comment, Issue, Label, Repo, World};

pub use crate::state::timestamp;

mod actions;
mod activity;
mod git;
pub use actions::{check_run, workflow, workflow_run};
pub use activity::{issue_event, notification, reaction, review};
pub use git::{branch, commit};

pub fn user(world: &World, login: &str) -> Value {
    let base = &world.base_url;
    let id = world.user_id(login);
    let kind = if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    };
    // In URLs, `probot[bot]` is `probot%5Bbot%5D`, as GitHub writes it.
    let path = encode(login);
    json!({
        "login": login,
        "id": id,
        "node_id": format!("MDQ6VXNlcnt{id}"),
        "avatar_url": format!("{base}/avatars/{id}"),
        "gravatar_id": "",
        "url": format!("{base}/users/{path}"),
        "html_url": format!("{base}/{}", if kind == "Bot" { format!("apps/{}", login.trim_end_matches("[bot]")) } else { path.clone() }),
        "followers_url": format!("{base}/users/{path}/followers"),
        "following_url": format!("{base}/users/{path}/following{{/other_user}}"),
        "gists_url": format!("{base}/users/{path}/gists{{/gist_id}}"),
        "starred_url": format!("{base}/users/{path}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{base}/users/{path}/subscriptions"),
        "organizations_url": format!("{base}/users/{path}/orgs"),
        "repos_url": format!("{base}/users/{path}/repos"),
        "events_url": format!("{base}/users/{path}/events{{/privacy}}"),
        "received_events_url": format!("{base}/users/{path}/received_events"),
        "type": kind,
        "user_view_type": "public",
        "site_admin": false,
    })
}

pub fn repo(world: &World, repo: &Repo) -> Value {
    let base = &world.base_url;
    let full = repo.full_name();
    let api = format!("{base}/repos/{full}");
    let created = timestamp(world.started_at);
    let mut value = json!({
        "id": repo.id,
        "node_id": format!("MDEwOlJlcG9zaXRvcnk{}", repo.id),
        "name": repo.name,
        "full_name": full,
        "owner": user(world, &repo.owner),
        "private": false,
        "html_url": format!("{base}/{full}"),
        "description": repo.description,
        "fork": false,
        "url": api,
        "archive_url": format!("{api}/{{archive_format}}{{/ref}}"),
        "assignees_url": format!("{api}/assignees{{/user}}"),
        "blobs_url": format!("{api}/git/blobs{{/sha}}"),
        "branches_url": format!("{api}/branches{{/branch}}"),
        "collaborators_url": format!("{api}/collaborators{{/collaborator}}"),
        "comments_url": format!("{api}/comments{{/number}}"),
        "commits_url": format!("{api}/commits{{/sha}}"),
        "compare_url": format!("{api}/compare/{{base}}...{{head}}"),
        "contents_url": format!("{api}/contents/{{+path}}"),
        "contributors_url": format!("{api}/contributors"),
        "deployments_url": format!("{api}/deployments"),
        "downloads_url": format!("{api}/downloads"),
        "events_url": format!("{api}/events"),
        "forks_url": format!("{api}/forks"),
        "git_commits_url": format!("{api}/git/commits{{/sha}}"),
        "git_refs_url": format!("{api}/git/refs{{/sha}}"),
        "git_tags_url": format!("{api}/git/tags{{/sha}}"),
        "git_url": format!("git://fakehub/{full}.git"),
        "issue_comment_url": format!("{api}/issues/comments{{/number}}"),
        "issue_events_url": format!("{api}/issues/events{{/number}}"),
        "issues_url": format!("{api}/issues{{/number}}"),
        "keys_url": format!("{api}/keys{{/key_id}}"),
        "labels_url": format!("{api}/labels{{/name}}"),
        "languages_url": format!("{api}/languages"),
        "merges_url": format!("{api}/merges"),
        "milestones_url": format!("{api}/milestones{{/number}}"),
        "notifications_url": format!("{api}/notifications{{?since,all,participating}}"),
        "pulls_url": format!("{api}/pulls{{/number}}"),
        "releases_url": format!("{api}/releases{{/id}}"),
        "ssh_url": format!("git@fakehub:{full}.git"),
        "stargazers_url": format!("{api}/stargazers"),
        "statuses_url": format!("{api}/statuses/{{sha}}"),
        "subscribers_url": format!("{api}/subscribers"),
        "subscription_url": format!("{api}/subscription"),
        "tags_url": format!("{api}/tags"),
        "teams_url": format!("{api}/teams"),
        "trees_url": format!("{api}/git/trees{{/sha}}"),
        "clone_url": format!("{base}/{full}.git"),
        "hooks_url": format!("{api}/hooks"),
        "svn_url": format!("{base}/{full}"),
        "homepage": null,
        "language": null,
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 0,
        "default_branch": repo.default_branch,
        "open_issues_count": repo.issues.values().filter(|i| i.open).count(),
        "open_issues": repo.issues.values().filter(|i| i.open).count(),
        "is_template": false,
        "topics": [],
        "has_issues": true,
        "has_projects": true,
        "has_wiki": true,
        "has_pages": false,
        "has_downloads": true,
        "archived": false,
        "disabled": false,
        "visibility": "public",
        "pushed_at": created,
        "created_at": created,
        "updated_at": created,
        "allow_rebase_merge": true,
        "allow_squash_merge": true,
        "allow_merge_commit": true,
        "allow_auto_merge": false,
        "delete_branch_on_merge": false,
        "allow_forking": true,
        "web_commit_signoff_required": false,
        "license": null,
        "mirror_url": null,
        "custom_properties": {},
    });
    // Past what one `json!` expands.
    value["has_discussions"] = json!(false);
    value
}

pub fn label(world: &World, repo: &Repo, label: &Label) -> Value {
    json!({
        "id": label.id,
        "node_id": format!("MDU6TGFiZWw{}", label.id),
        "url": format!("{}/repos/{}/labels/{}", world.base_url, repo.full_name(), encode(&label.name)),
        "name": label.name,
        "description": label.description,
        "color": label.color,
        "default": false,
    })
}

pub fn labels_of(world: &World, repo: &Repo, names: &[String]) -> Value {
    Value::Array(
        names
            .iter()
            .filter_map(|name| repo.labels.get(name))
            .map(|l| label(world, repo, l))
            .collect(),
    )
}

fn item_common(world: &World, repo: &Repo, issue: &Issue) -> Value {
    let base = &world.base_url;
    let full = repo.full_name();
    let api = format!("{base}/repos/{full}/issues/{}", issue.number);
    json!({
        "id": issue.id,
        "node_id": format!("MDU6SXNzdWU{}", issue.id),
        "url": api,
        "repository_url": format!("{base}/repos/{full}"),
        "labels_url": format!("{api}/labels{{/name}}"),
        "comments_url": format!("{api}/comments"),
        "events_url": format!("{api}/events"),
        "html_url": format!("{base}/{full}/{}/{}", if issue.pull.is_some() { "pull" } else { "issues" }, issue.number),
        "number": issue.number,
        "state": if issue.open { "open" } else { "closed" },
        "state_reason": issue.state_reason,
        "title": issue.title,
        "body": issue.body,
        "user": user(world, &issue.author),
        "labels": labels_of(world, repo, &issue.labels),
        "assignee": issue.assignees.first().map(|login| user(world, login)),
        "assignees": issue.assignees.iter().map(|login| user(world, login)).collect::<Vec<_>>(),
        "milestone": null,
        "locked": false,
        "active_lock_reason": null,
        "comments": repo.comments.iter().filter(|c| c.issue == issue.number).count(),
        "closed_at": issue.closed_at.map(timestamp),
        "created_at": timestamp(issue.created_at),
        "updated_at": timestamp(issue.updated_at),
        "closed_by": issue.closed_by.as_deref().map(|login| user(world, login)),
        "author_association": association(world, repo, &issue.author),
        "reactions": reactions_summary(
            &format!("{api}/reactions"),
            &issue.reactions.iter().map(|r| r.content.as_str()).collect::<Vec<_>>(),
        ),
        "timeline_url": format!("{api}/timeline"),
        "performed_via_github_app": null,
    })
}

/// The `reactions` object GitHub puts in issues and comments: counts by
/// content.
pub fn reactions_summary(url: &str, contents: &[&str]) -> Value {
    let count = |c: &str| contents.iter().filter(|x| **x == c).count();
    json!({
        "url": url,
        "total_count": contents.len(),
        "+1": count("+1"), "-1": count("-1"), "laugh": count("laugh"), "hooray": count("hooray"),
        "confused": count("confused"), "heart": count("heart"), "rocket": count("rocket"), "eyes": count("eyes"),
    })
}

/// GitHub's `author_association`, in its order of precedence: the owner;
/// a member of a team of the owning organization; a collaborator; someone
/// with a merged pull request here (a contributor); someone whose pull
/// requests here are not merged yet (a first-time contributor); else none.
pub(super) fn association(world: &World, repo: &Repo, login: &str) -> &'static str {
    let same = |other: &str| other.eq_ignore_ascii_case(login);
    let org_prefix = format!("{}/", repo.owner.to_ascii_lowercase());
    let member = world
        .teams
        .iter()
        .any(|(team, members)| team.starts_with(&org_prefix) && members.iter().any(|m| same(m)));
    let pulls = || {
        repo.issues
            .values()
            .filter(move |issue| same(&issue.author))
            .filter_map(|issue| issue.pull.as_ref())
    };
    if same(&repo.owner) {
        "OWNER"
    } else if member {
        "MEMBER"
    } else if repo.collaborators.keys().any(|c| same(c)) {
        "COLLABORATOR"
    } else if pulls().any(|pull| pull.merged_at.is_some()) {
        "CONTRIBUTOR"
    } else if pulls().next().is_some() {
        "FIRST_TIME_CONTRIBUTOR"
    } else {
        "NONE"
    }
}

/// An issue as `GET /issues/{n}` answers; pull requests carry a
/// `pull_request` object there.
pub fn issue(world: &World, repo: &Repo, issue: &Issue) -> Value {
    let mut value = item_common(world, repo, issue);
    if issue.pull.is_some() {
        let base = &world.base_url;
        let full = repo.full_name();
        let n = issue.number;
        value["pull_request"] = json!({
            "url": format!("{base}/repos/{full}/pulls/{n}"),
            "html_url": format!("{base}/{full}/pull/{n}"),
            "diff_url": format!("{base}/{full}/pull/{n}.diff"),
            "patch_url": format!("{base}/{full}/pull/{n}.patch"),
            "merged_at": issue.pull.as_ref().and_then(|p| p.merged_at).map(timestamp),
        });
    }
    value
}

/// A pull request as `GET /pulls/{n}` answers.
pub fn pull(world: &World, repo: &Repo, issue: &Issue) -> Value {
    let base = &world.base_url;
    let full = repo.full_name();
    let n = issue.number;
    let api = format!("{base}/repos/{full}/pulls/{n}");
    let Some(pr) = &issue.pull else {
        return Value::Null;
    };
    let mut value = item_common(world, repo, issue);
    let head_repo = if pr.fork {
        let mut fork = self::repo(world, repo);
        let fork_owner = issue.author.clone();
        fork["full_name"] = json!(format!("{fork_owner}/{}", repo.name));
        fork["owner"] = user(world, &fork_owner);
        fork["fork"] = json!(true);
        fork["id"] = json!(repo.id + 1_000_000 + world.user_id(&fork_owner));
        fork
    } else {
        self::repo(world, repo)
    };
    let head_owner = if pr.fork {
        issue.author.clone()
    } else {
        repo.owner.clone()
    };
    let Value::Object(obj) = &mut value else {
        return value;
    };
    // A pull request's labels say `description` as a string (the REST
    // description), never null: "" when a label has none.
    if let Some(Value::Array(labels)) = obj.get_mut("labels") {
        for label in labels {
            if label["description"].is_null() {
                label["description"] = json!("");
            }
        }
    }
    // Fields of issues that a pull request object does not have.
    for issue_only in [
        "repository_url",
        "labels_url",
        "events_url",
        "closed_by",
        "state_reason",
        "reactions",
        "timeline_url",
        "performed_via_github_app",
    ] {
        obj.remove(issue_only);
    }
    obj.insert("url".into(), json!(api));
    obj.insert(
        "issue_url".into(),
        json!(format!("{base}/repos/{full}/issues/{n}")),
    );
    obj.insert(
        "diff_url".into(),
        json!(format!("{base}/{full}/pull/{n}.diff")),
    );
    obj.insert(
        "patch_url".into(),
        json!(format!("{base}/{full}/pull/{n}.patch")),
    );
    obj.insert("commits_url".into(), json!(format!("{api}/commits")));
    obj.insert(
        "review_comments_url".into(),
        json!(format!("{api}/comments")),
    );
    obj.insert(
        "review_comment_url".into(),
        json!(format!("{base}/repos/{full}/pulls/comments{{/number}}")),
    );
    obj.insert(
        "statuses_url".into(),
        json!(format!("{base}/repos/{full}/statuses/{}", pr.head_sha)),
    );
    obj.insert("merged_at".into(), json!(pr.merged_at.map(timestamp)));
    obj.insert("merge_commit_sha".into(), json!(pr.merge_sha));
    obj.insert(
        "requested_reviewers".into(),
        Value::Array(
            pr.requested_reviewers
                .iter()
                .map(|r| user(world, r))
                .collect(),
        ),
    );
    obj.insert("requested_teams".into(), json!([]));
    obj.insert(
        "head".into(),
        json!({
            "label": format!("{head_owner}:{}", pr.head_ref),
            "ref": pr.head_ref,
            "sha": pr.head_sha,
            "user": user(world, &head_owner),
            "repo": head_repo,
        }),
    );
    obj.insert(
        "base".into(),
        json!({
            "label": format!("{}:{}", repo.owner, pr.base_ref),
            "ref": pr.base_ref,
            "sha": repo.refs.get(&format!("refs/heads/{}", pr.base_ref)).cloned().unwrap_or_default(),
            "user": user(world, &repo.owner),
            "repo": self::repo(world, repo),
        }),
    );
    obj.insert(
        "_links".into(),
        json!({
            "self": {"href": api},
            "html": {"href": format!("{base}/{full}/pull/{n}")},
            "issue": {"href": format!("{base}/repos/{full}/issues/{n}")},
            "comments": {"href": format!("{base}/repos/{full}/issues/{n}/comments")},
            "review_comments": {"href": format!("{api}/comments")},
            "review_comment": {"href": format!("{base}/repos/{full}/pulls/comments{{/number}}")},
            "commits": {"href": format!("{api}/commits")},
            "statuses": {"href": format!("{base}/repos/{full}/statuses/{}", pr.head_sha)},
        }),
    );
    obj.insert("auto_merge".into(), Value::Null);
    obj.insert("draft".into(), json!(pr.draft));
    obj.insert("merged".into(), json!(pr.merged_at.is_some()));
    obj.insert("mergeable".into(), json!(true));
    obj.insert("rebaseable".into(), json!(true));
    obj.insert("mergeable_state".into(), json!("clean"));
    obj.insert(
        "merged_by".into(),
        pr.merged_by
            .as_deref()
            .map_or(Value::Null, |by| user(world, by)),
    );
    obj.insert("review_comments".into(), json!(0));
    obj.insert("maintainer_can_modify".into(), json!(pr.fork));
    obj.insert("commits".into(), json!(pr.commits));
    obj.insert("additions".into(), json!(pr.files.len() * 10));
    obj.insert("deletions".into(), json!(0));
    obj.insert("changed_files".into(), json!(pr.files.len()));
    value
}

pub fn pull_file(path: &str, sha: &str) -> Value {
    json!({
        "sha": sha,
        "filename": path,
        "status": "modified",
        "additions": 10,
        "deletions": 0,
        "changes": 10,
        "blob_url": format!("https://fakehub.invalid/blob/{sha}/{path}"),
        "raw_url": format!("https://fakehub.invalid/raw/{sha}/{path}"),
        "contents_url": format!("https://fakehub.invalid/contents/{path}?ref={sha}"),
        "patch": "@@ -1 +1 @@",
    })
}

pub fn comment(world: &World, repo: &Repo, comment: &Comment) -> Value {
    let base = &world.base_url;
    let full = repo.full_name();
    json!({
        "id": comment.id,
        "node_id": format!("MDEyOklzc3VlQ29tbWVudD{}", comment.id),
        "url": format!("{base}/repos/{full}/issues/comments/{}", comment.id),
        "html_url": format!("{base}/{full}/issues/{}#issuecomment-{}", comment.issue, comment.id),
        "issue_url": format!("{base}/repos/{full}/issues/{}", comment.issue),
        "body": comment.body,
        "user": user(world, &comment.author),
        "created_at": timestamp(comment.created_at),
        "updated_at": timestamp(comment.updated_at),
        "author_association": association(world, repo, &comment.author),
        "reactions": reactions_summary(
            &format!("{base}/repos/{full}/issues/comments/{}/reactions", comment.id),
            &comment.reactions.iter().map(|r| r.content.as_str()).collect::<Vec<_>>(),
        ),
        "performed_via_github_app": null,
    })
}

pub fn git_ref(world: &World, repo: &Repo, name: &str, sha: &str) -> Value {
    json!({
        "ref": name,
        "node_id": format!("MDM6UmVm{}", encode(name)),
        "url": format!("{}/repos/{}/git/{}", world.base_url, repo.full_name(), name),
        "object": {
            "type": "commit",
            "sha": sha,
            "url": format!("{}/repos/{}/git/commits/{sha}", world.base_url, repo.full_name()),
        },
    })
}

pub fn content(world: &World, repo: &Repo, path: &str, text: &str, sha: &str) -> Value {
    use base64::Engine;
    let base = &world.base_url;
    let full = repo.full_name();
    // GitHub wraps base64 at 60 characters with newlines.
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let wrapped = encoded
        .as_bytes()
        .chunks(60)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let name = path.rsplit('/').next().unwrap_or(path);
    json!({
        "type": "file",
        "encoding": "base64",
        "size": text.len(),
        "name": name,
        "path": path,
        "content": wrapped,
        "sha": sha,
        "url": format!("{base}/repos/{full}/contents/{path}"),
        "git_url": format!("{base}/repos/{full}/git/blobs/{sha}"),
        "html_url": format!("{base}/{full}/blob/{}/{path}", repo.default_branch),
        "download_url": format!("{base}/raw/{full}/{}/{path}", repo.default_branch),
        "_links": {
            "self": format!("{base}/repos/{full}/contents/{path}"),
            "git": format!("{base}/repos/{full}/git/blobs/{sha}"),
            "html": format!("{base}/{full}/blob/{}/{path}", repo.default_branch),
        },
    })
}

pub fn app(world: &World) -> Value {
    let Some(app) = &world.app else {
        return Value::Null;
    };
    let now = timestamp(world.started_at);
    json!({
        "id": app.id,
        "slug": app.slug,
        "client_id": format!("Iv1.fakehub{}", app.id),
        "node_id": format!("MDExOkludGVncmF0aW9u{}", app.id),
        "owner": user(world, &app.owner),
        "name": app.name,
        "description": "",
        "external_url": format!("{}/apps/{}", world.base_url, app.slug),
        "html_url": format!("{}/apps/{}", world.base_url, app.slug),
        "created_at": now,
        "updated_at": now,
        "permissions": {"issues": "write", "pull_requests": "write", "contents": "write", "checks": "write", "actions": "write", "metadata": "read", "members": "read"},
        "events": ["issues", "pull_request", "push", "issue_comment"],
    })
}

pub fn installation(world: &World, id: u64, account: &str) -> Value {
    let now = timestamp(world.started_at);
    let base = &world.base_url;
    let app_id = world.app.as_ref().map_or(0, |a| a.id);
    let slug = world.app.as_ref().map_or("", |a| a.slug.as_str());
    json!({
        "id": id,
        "account": user(world, account),
        "repository_selection": "selected",
        "access_tokens_url": format!("{base}/app/installations/{id}/access_tokens"),
        "repositories_url": format!("{base}/installation/repositories"),
        "html_url": format!("{base}/settings/installations/{id}"),
        "app_id": app_id,
        "client_id": format!("Iv1.fakehub{app_id}"),
        "target_id": world.user_id(account),
        "target_type": "Organization",
        "permissions": {"issues": "write", "pull_requests": "write", "contents": "write", "checks": "write", "actions": "write", "metadata": "read"},
        "events": ["issues", "pull_request", "push", "issue_comment"],
        "created_at": now,
        "updated_at": now,
        "single_file_name": null,
        "app_slug": slug,
        "suspended_at": null,
        "suspended_by": null,
    })
}

pub fn error(message: &str, status: u16) -> Value {
    json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": status.to_string()})
}

/// Percent-encodes a path segment (label names carry spaces and colons).
pub fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

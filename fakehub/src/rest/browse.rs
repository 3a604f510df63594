//! Everyday reads a bot meets first: branches, commits by sha, all refs,
//! assignees, and an item's timeline.

use super::*;

/// `GET /git/refs`, and `GET /git/refs/{prefix}`: every ref, or those
/// under a prefix (`tags`, `heads/feature`), as an array.
pub(super) async fn list_all_refs(scope: Scope) -> ApiResult {
    refs_under(&scope, "refs/")
}

pub(super) async fn list_refs_under(
    scope: Scope,
    Path((_, _, prefix)): Path<(String, String, String)>,
) -> ApiResult {
    refs_under(&scope, &refs::full_ref(&prefix))
}

fn refs_under(scope: &Scope, prefix: &str) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let items: Vec<Value> = repo
        .refs
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(name, sha)| shapes::git_ref(&world, repo, name, sha))
        .collect();
    ok(Value::Array(items))
}

fn branch_shape(world: &World, full: &str, name: &str, sha: &str, default: bool) -> Value {
    json!({
        "name": name,
        "commit": {"sha": sha, "url": format!("{}/repos/{full}/commits/{sha}", world.base_url)},
        "protected": default,
    })
}

pub(super) async fn list_branches(
    scope: Scope,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let items = repo
        .refs
        .iter()
        .filter_map(|(name, sha)| Some((name.strip_prefix("refs/heads/")?, sha)))
        .map(|(name, sha)| {
            branch_shape(&world, &scope.full, name, sha, name == repo.default_branch)
        })
        .collect();
    Ok(paginate(items, &page, &world.base_url, &uri))
}

pub(super) async fn get_branch(
    scope: Scope,
    Path((_, _, branch)): Path<(String, String, String)>,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let sha = repo
        .refs
        .get(&format!("refs/heads/{branch}"))
        .ok_or_else(|| ApiError::new(404, "Branch not found"))?;
    // One branch is the description's branch with protection: the whole
    // commit, links, and what protection there is (none).
    let base = &world.base_url;
    let full = &scope.full;
    let mut value = branch_shape(&world, full, &branch, sha, branch == repo.default_branch);
    value["commit"] = commit_shape(&world, full, sha, Vec::new());
    value["_links"] = json!({
        "html": format!("{base}/{full}/tree/{}", shapes::encode(&branch)),
        "self": format!("{base}/repos/{full}/branches/{}", shapes::encode(&branch)),
    });
    value["protection"] = json!({"enabled": false, "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []}});
    value["protection_url"] = json!(format!(
        "{base}/repos/{full}/branches/{}/protection",
        shapes::encode(&branch)
    ));
    ok(value)
}

/// A commit fakehub knows: a branch or tag head, or a pull request's head.
pub(super) async fn get_commit(
    scope: Scope,
    Path((_, _, sha)): Path<(String, String, String)>,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let resolved = repo
        .refs
        .get(&format!("refs/heads/{sha}"))
        .cloned()
        .unwrap_or_else(|| sha.clone());
    let pull = repo
        .issues
        .values()
        .filter_map(|i| i.pull.as_ref())
        .find(|p| p.head_sha == resolved);
    let known = pull.is_some() || repo.refs.values().any(|s| *s == resolved);
    if !known {
        return Err(ApiError::new(
            422,
            format!("No commit found for SHA: {sha}"),
        ));
    }
    let files: Vec<Value> = pull
        .map(|p| {
            p.files
                .iter()
                .map(|f| shapes::pull_file(f, &p.head_sha))
                .collect()
        })
        .unwrap_or_default();
    ok(commit_shape(&world, &scope.full, &resolved, files))
}

/// A pull request's commits: fakehub keeps its head, the one commit.
pub(super) async fn list_pull_commits(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let pull = repo
        .issues
        .get(&number)
        .and_then(|i| i.pull.as_ref())
        .ok_or_else(ApiError::not_found)?;
    let head = commit_shape(&world, &scope.full, &pull.head_sha, Vec::new());
    Ok(paginate(vec![head], &page, &world.base_url, &uri))
}

/// A commit as GitHub's REST description has it, made up but whole.
fn commit_shape(world: &World, full: &str, sha: &str, files: Vec<Value>) -> Value {
    let base = &world.base_url;
    let by = json!({"name": "fakehub", "email": "fakehub@example.invalid", "date": crate::state::timestamp(world.started_at)});
    json!({
        "sha": sha,
        "node_id": format!("C_fake{}", &sha[..8.min(sha.len())]),
        "url": format!("{base}/repos/{full}/commits/{sha}"),
        "html_url": format!("{base}/{full}/commit/{sha}"),
        "comments_url": format!("{base}/repos/{full}/commits/{sha}/comments"),
        "commit": {
            "url": format!("{base}/repos/{full}/git/commits/{sha}"),
            "message": "A commit fakehub made up",
            "comment_count": 0,
            "tree": {"sha": sha_of(&format!("tree:{sha}")), "url": format!("{base}/repos/{full}/git/trees/{}", sha_of(&format!("tree:{sha}")))},
            "author": by,
            "committer": by,
        },
        "author": null,
        "committer": null,
        "parents": [],
        "files": files,
    })
}

/// Who may be assigned: the repository's collaborators.
pub(super) async fn list_assignees(
    scope: Scope,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let items = repo
        .collaborators
        .keys()
        .map(|login| shapes::user(&world, login))
        .collect();
    Ok(paginate(items, &page, &world.base_url, &uri))
}

/// The item's timeline: its label events and comments, oldest first.
pub(super) async fn list_timeline(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    let mut events: Vec<(u64, u64, Value)> = issue
        .events
        .iter()
        .map(|e| (e.created_at, e.id, shapes::issue_event(&world, repo, e)))
        .collect();
    for comment in repo.comments.iter().filter(|c| c.issue == number) {
        let mut shape = shapes::comment(&world, repo, comment);
        shape["event"] = json!("commented");
        shape["actor"] = shapes::user(&world, &comment.author);
        events.push((comment.created_at, comment.id, shape));
    }
    events.sort_by_key(|(at, id, _)| (*at, *id));
    Ok(paginate(
        events.into_iter().map(|(_, _, v)| v).collect(),
        &page,
        &world.base_url,
        &uri,
    ))
}

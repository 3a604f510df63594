//! Git refs: exact, by prefix, created, moved, deleted.

use super::*;

pub(super) fn full_ref(git_ref: &str) -> String {
    format!("refs/{}", git_ref.trim_start_matches('/'))
}

pub(super) async fn get_ref(
    scope: Scope,
    Path((_, _, git_ref)): Path<(String, String, String)>,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let name = full_ref(&git_ref);
    let sha = repo.refs.get(&name).ok_or_else(ApiError::not_found)?;
    ok(shapes::git_ref(&world, repo, &name, sha))
}

/// Prefix match, as GitHub's: `tags/ciflow/trunk/12` also returns `…/123`.
pub(super) async fn matching_refs(
    scope: Scope,
    Path((_, _, git_ref)): Path<(String, String, String)>,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let prefix = full_ref(&git_ref);
    let items = repo
        .refs
        .iter()
        .filter(|(name, _)| name.starts_with(&prefix))
        .map(|(name, sha)| shapes::git_ref(&world, repo, name, sha))
        .collect();
    ok(Value::Array(items))
}

#[derive(Deserialize)]
pub(super) struct NewRef {
    #[serde(rename = "ref")]
    git_ref: String,
    sha: String,
}

pub(super) async fn create_ref(scope: Scope, Json(input): Json<NewRef>) -> ApiResult {
    created(scope.write(|world, full, actor| {
        let changes = world.create_ref(full, &input.git_ref, &input.sha, actor)?;
        let repo = world.repo(full)?;
        Ok((
            changes,
            shapes::git_ref(world, repo, &input.git_ref, &input.sha),
        ))
    })?)
}

#[derive(Deserialize)]
pub(super) struct RefUpdate {
    sha: String,
    #[serde(default)]
    #[allow(dead_code)]
    force: bool,
}

pub(super) async fn update_ref(
    scope: Scope,
    Path((_, _, git_ref)): Path<(String, String, String)>,
    Json(input): Json<RefUpdate>,
) -> ApiResult {
    let name = full_ref(&git_ref);
    ok(scope.write(|world, full, actor| {
        let changes = world.update_ref(full, &name, &input.sha, actor)?;
        let repo = world.repo(full)?;
        Ok((changes, shapes::git_ref(world, repo, &name, &input.sha)))
    })?)
}

pub(super) async fn delete_ref(
    scope: Scope,
    Path((_, _, git_ref)): Path<(String, String, String)>,
) -> ApiResult {
    scope.write(|world, full, actor| {
        Ok((
            world.delete_ref(full, &full_ref(&git_ref), actor)?,
            Value::Null,
        ))
    })?;
    no_content()
}

/// `GET /git/refs`, and `GET /git/refs/{prefix}`: every ref, or those
/// under a prefix (`tags`, `heads/feature`), as an array.
pub(super) async fn list_all_refs(scope: Scope) -> ApiResult {
    refs_under(&scope, "refs/")
}

pub(super) async fn list_refs_under(
    scope: Scope,
    Path((_, _, prefix)): Path<(String, String, String)>,
) -> ApiResult {
    refs_under(&scope, &full_ref(&prefix))
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
    ok(shapes::commit(&world, &scope.full, &resolved, files))
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

//! Repositories and file contents.

use super::*;

pub(super) async fn get_repo(scope: Scope) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    ok(shapes::repo(&world, world.repo(&full)?))
}

#[derive(Deserialize)]
pub(super) struct RefQuery {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
}

pub(super) async fn get_content(
    scope: Scope,
    Path((_, _, path)): Path<(String, String, String)>,
    Query(query): Query<RefQuery>,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let wanted = query.git_ref.unwrap_or_else(|| repo.default_branch.clone());
    let wanted = wanted
        .strip_prefix("refs/heads/")
        .unwrap_or(&wanted)
        .to_owned();
    // A pull request's head (by sha, or by branch for same-repository pull
    // requests) sees its own changes over its base branch.
    let pull = repo
        .issues
        .values()
        .filter_map(|i| i.pull.as_ref())
        .find(|p| p.head_sha == wanted || (!p.fork && p.head_ref == wanted));
    if let Some(pr) = pull {
        if let Some(text) = pr.contents.get(&path) {
            return ok(shapes::content(&world, repo, &path, text, &sha_of(text)));
        }
        if pr.files.contains(&path) {
            return Err(ApiError::not_found());
        }
    }
    let branch = pull.map(|p| p.base_ref.clone()).unwrap_or_else(|| {
        // A sha names the branch whose head it is.
        repo.refs
            .iter()
            .find(|(_, sha)| **sha == wanted)
            .and_then(|(name, _)| name.strip_prefix("refs/heads/"))
            .map_or(wanted.clone(), str::to_owned)
    });
    let file = repo
        .files
        .get(&(branch, path.clone()))
        .ok_or_else(ApiError::not_found)?;
    ok(shapes::content(&world, repo, &path, &file.text, &file.sha))
}

//! Repositories and file contents.

use super::*;

/// The repository, with `permissions` for a user who asks (their role, as
/// GitHub reports it to them).
pub(super) async fn get_repo(scope: Scope) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let mut value = shapes::repo(&world, repo);
    // The full repository has these too (GitHub's REST description).
    value["network_count"] = json!(0);
    value["subscribers_count"] = json!(0);
    if let Identity::User(login) = &scope.who {
        let role = match repo.collaborators.get(login).map(String::as_str) {
            _ if *login == repo.owner => "admin",
            Some(role) => role,
            None => "read",
        };
        let at_least = |levels: &[&str]| levels.contains(&role);
        value["permissions"] = json!({
            "admin": at_least(&["admin"]),
            "maintain": at_least(&["admin", "maintain"]),
            "push": at_least(&["admin", "maintain", "write"]),
            "triage": at_least(&["admin", "maintain", "write", "triage"]),
            "pull": true,
        });
    }
    ok(value)
}

#[derive(Deserialize)]
pub(super) struct RefQuery {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
}

/// A file's contents in the form the `Accept` header asks: the JSON object
/// (base64) by default; the text itself for `application/vnd.github.raw`
/// (and `.raw+json`), as Probot's config loader asks; HTML is not
/// rendered, so `.html` is refused.
fn content_as(accept: Option<&str>, object: Value, text: &str) -> ApiResult {
    let accept = accept.unwrap_or_default();
    if accept.contains("application/vnd.github.html") {
        return Err(ApiError::new(
            415,
            "fakehub does not render HTML; ask for application/vnd.github.raw or JSON",
        ));
    }
    if accept.contains("application/vnd.github.raw")
        || accept.contains("application/vnd.github.v3.raw")
    {
        return Ok((
            [(
                header::CONTENT_TYPE,
                "application/vnd.github.raw; charset=utf-8",
            )],
            text.to_owned(),
        )
            .into_response());
    }
    ok(object)
}

pub(super) async fn get_content(
    scope: Scope,
    Path((_, _, path)): Path<(String, String, String)>,
    Query(query): Query<RefQuery>,
    headers: HeaderMap,
) -> ApiResult {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let path = path.trim_end_matches('/').to_owned();
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
            let object = shapes::content(&world, repo, &path, text, &sha_of(text));
            return content_as(accept, object, text);
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
    if let Some(file) = repo.files.get(&(branch.clone(), path.clone())) {
        let object = shapes::content(&world, repo, &path, &file.text, &file.sha);
        return content_as(accept, object, &file.text);
    }
    // A directory: its entries, files and subdirectories, as an array.
    let prefix = format!("{path}/");
    let mut entries: std::collections::BTreeMap<String, Value> = std::collections::BTreeMap::new();
    for ((file_branch, file_path), file) in &repo.files {
        let Some(rest) = file_path.strip_prefix(&prefix) else {
            continue;
        };
        if *file_branch != branch {
            continue;
        }
        let (name, is_dir) = match rest.split_once('/') {
            Some((dir, _)) => (dir, true),
            None => (rest, false),
        };
        let entry_path = format!("{prefix}{name}");
        let entry = match is_dir {
            false => {
                let mut shape = shapes::content(&world, repo, &entry_path, &file.text, &file.sha);
                if let Some(object) = shape.as_object_mut() {
                    object.remove("content");
                    object.remove("encoding");
                }
                shape
            }
            true => json!({
                "type": "dir", "name": name, "path": entry_path, "sha": sha_of(&entry_path), "size": 0,
                "url": format!("{}/repos/{full}/contents/{entry_path}", world.base_url),
            }),
        };
        entries.entry(entry_path).or_insert(entry);
    }
    if entries.is_empty() {
        return Err(ApiError::not_found());
    }
    ok(Value::Array(entries.into_values().collect()))
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
            shapes::branch(&world, &scope.full, name, sha, name == repo.default_branch)
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
    let mut value = shapes::branch(&world, full, &branch, sha, branch == repo.default_branch);
    value["commit"] = shapes::commit(&world, full, sha, Vec::new());
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

//! Branches and commits, as GitHub's REST description has them.

use serde_json::{json, Value};

use crate::state::{sha_of, World};

pub fn branch(world: &World, full: &str, name: &str, sha: &str, default: bool) -> Value {
    json!({
        "name": name,
        "commit": {"sha": sha, "url": format!("{}/repos/{full}/commits/{sha}", world.base_url)},
        "protected": default,
    })
}

/// A commit as GitHub's REST description has it, made up but whole.
pub fn commit(world: &World, full: &str, sha: &str, files: Vec<Value>) -> Value {
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

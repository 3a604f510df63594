//! Teams: membership, as `GET /orgs/{org}/teams/{team_slug}/memberships/{username}`
//! answers it. Teams come from the seed (`teams`, keyed `org/team`).

use axum::extract::{Path, State};
use serde_json::json;

use super::{ok, ApiError, ApiResult, Shared};

pub(super) async fn team_membership(
    State(hub): Shared,
    Path((org, team, user)): Path<(String, String, String)>,
) -> ApiResult {
    let world = hub.world();
    let key = format!("{org}/{team}").to_ascii_lowercase();
    let member = world
        .teams
        .get(&key)
        .is_some_and(|members| members.iter().any(|m| m.eq_ignore_ascii_case(&user)));
    if !member {
        // GitHub answers the same for a missing team and a non-member.
        return Err(ApiError::new(404, "Not Found"));
    }
    let base = &world.base_url;
    ok(json!({
        "url": format!("{base}/orgs/{org}/teams/{team}/memberships/{user}"),
        "role": "member",
        "state": "active",
    }))
}

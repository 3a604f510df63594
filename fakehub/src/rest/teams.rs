//! Teams: membership, as `GET /orgs/{org}/teams/{team_slug}/memberships/{username}`
//! answers it, and members, as `GET /orgs/{org}/teams/{team_slug}/members`.
//! Teams come from the seed (`teams`, keyed `org/team`).

use axum::extract::{OriginalUri, Path, Query, State};
use serde_json::json;

use super::{ok, paginate, ApiError, ApiResult, Page, Shared};
use crate::shapes;

/// A team's members, as users, paginated; 404 for a team fakehub doesn't
/// have, as GitHub answers for one the caller can't see.
pub(super) async fn team_members(
    State(hub): Shared,
    Path((org, team)): Path<(String, String)>,
    Query(page): Query<Page>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult {
    let world = hub.world();
    let key = format!("{org}/{team}").to_ascii_lowercase();
    let members = world
        .teams
        .get(&key)
        .ok_or_else(|| ApiError::new(404, "Not Found"))?;
    let users = members.iter().map(|m| shapes::user(&world, m)).collect();
    Ok(paginate(users, &page, &world.base_url, &uri))
}

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

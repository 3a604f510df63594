//! People, apps, installations, tokens and hook deliveries.

use super::*;

pub(super) async fn permission(
    scope: Scope,
    Path((_, _, user)): Path<(String, String, String)>,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let role = if user == repo.owner {
        "admin".to_owned()
    } else {
        repo.collaborators
            .get(&user)
            .cloned()
            .unwrap_or_else(|| "read".into())
    };
    // `permission` is the legacy coarse value; `role_name` the real role.
    let permission = match role.as_str() {
        "admin" => "admin",
        "maintain" | "write" => "write",
        "triage" | "read" => "read",
        _ => "none",
    };
    let mut user_json = shapes::user(&world, &user);
    user_json["permissions"] = json!({"admin": role == "admin", "maintain": role == "maintain" || role == "admin",
        "push": permission != "read", "triage": true, "pull": true});
    user_json["role_name"] = json!(role);
    ok(json!({"permission": permission, "role_name": role, "user": user_json}))
}

pub(super) fn require_app(who: &Identity) -> Result<(), ApiError> {
    if *who == Identity::App {
        Ok(())
    } else {
        Err(ApiError::new(401, "A JSON web token could not be decoded"))
    }
}

pub(super) async fn get_app(State(hub): Shared, Extension(who): Who) -> ApiResult {
    require_app(&who)?;
    ok(shapes::app(&hub.world()))
}

pub(super) async fn list_installations(State(hub): Shared, Extension(who): Who) -> ApiResult {
    require_app(&who)?;
    let world = hub.world();
    ok(Value::Array(
        world
            .installations
            .iter()
            .map(|i| shapes::installation(&world, i.id, &i.account))
            .collect(),
    ))
}

/// The App's own view (its JWT), not a token's: no `Scope`.
pub(super) async fn repo_installation(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult {
    require_app(&who)?;
    let world = hub.world();
    let full = format!("{owner}/{repo}");
    let installation = world
        .installations
        .iter()
        .find(|i| i.repos.contains(&full))
        .ok_or_else(ApiError::not_found)?;
    ok(shapes::installation(
        &world,
        installation.id,
        &installation.account,
    ))
}

pub(super) async fn create_token(
    State(hub): Shared,
    Extension(who): Who,
    Path(id): Path<u64>,
) -> ApiResult {
    require_app(&who)?;
    let (token, expires_at) = hub.world().issue_token(id)?;
    created(json!({
        "token": token,
        "expires_at": shapes::timestamp(expires_at),
        "permissions": {"issues": "write", "pull_requests": "write", "contents": "write", "checks": "write", "actions": "write", "metadata": "read"},
        "repository_selection": "selected",
    }))
}

pub(super) async fn installation_repositories(
    State(hub): Shared,
    Extension(who): Who,
) -> ApiResult {
    let Identity::Installation(id) = who else {
        return Err(ApiError::new(
            403,
            "This endpoint requires an installation token",
        ));
    };
    let world = hub.world();
    let repos: Vec<Value> = world
        .installations
        .iter()
        .filter(|i| i.id == id)
        .flat_map(|i| i.repos.iter())
        .filter_map(|full| world.repos.get(full))
        .map(|r| shapes::repo(&world, r))
        .collect();
    ok(
        json!({"total_count": repos.len(), "repository_selection": "selected", "repositories": repos}),
    )
}

pub(super) fn delivery_json(d: &crate::Delivery) -> Value {
    json!({"id": d.id, "guid": d.guid, "delivered_at": d.delivered_at, "redelivery": d.redelivery,
        "duration": d.duration_ms as f64 / 1000.0, "status": d.status, "status_code": d.status_code,
        "event": d.event, "action": d.action, "installation_id": d.installation_id, "repository_id": d.repository_id,
        "throttled_at": null})
}

#[derive(Deserialize)]
pub(super) struct DeliveryPage {
    per_page: Option<usize>,
    cursor: Option<u64>,
}

/// Newest first; `cursor` is the id to continue below, as in GitHub's
/// cursor pagination.
pub(super) async fn list_deliveries(
    State(hub): Shared,
    Extension(who): Who,
    Query(page): Query<DeliveryPage>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    require_app(&who)?;
    let world = hub.world();
    let per_page = page.per_page.unwrap_or(30).clamp(1, 100);
    let mut newest_first: Vec<&crate::Delivery> = world
        .deliveries
        .iter()
        .rev()
        .filter(|d| page.cursor.is_none_or(|c| d.id < c))
        .collect();
    let more = newest_first.len() > per_page;
    newest_first.truncate(per_page);
    let mut response = Json(Value::Array(
        newest_first.iter().map(|d| delivery_json(d)).collect(),
    ))
    .into_response();
    if let (true, Some(last)) = (more, newest_first.last()) {
        let link = format!(
            "<{}{}?per_page={per_page}&cursor={}>; rel=\"next\"",
            world.base_url,
            uri.path(),
            last.id
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

pub(super) async fn get_delivery(
    State(hub): Shared,
    Extension(who): Who,
    Path(id): Path<u64>,
) -> ApiResult {
    require_app(&who)?;
    let world = hub.world();
    let delivery = world
        .deliveries
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(ApiError::not_found)?;
    let mut value = delivery_json(delivery);
    value["request"] =
        json!({"headers": {"X-GitHub-Event": delivery.event}, "payload": delivery.payload});
    value["response"] = json!({"headers": {}, "payload": null});
    ok(value)
}

/// Redelivers with the same GUID, to the hook it first went to.
pub(super) async fn redeliver(
    State(hub): Shared,
    Extension(who): Who,
    Path(id): Path<u64>,
) -> ApiResult {
    require_app(&who)?;
    if !hub.redeliver(id) {
        return Err(ApiError::not_found());
    }
    Ok((StatusCode::ACCEPTED, Json(json!({}))).into_response())
}

/// The token's user; installations and apps have none, as on GitHub.
pub(super) async fn authenticated_user(State(hub): Shared, Extension(who): Who) -> ApiResult {
    let Identity::User(login) = who else {
        return Err(ApiError::new(403, "Resource not accessible by integration"));
    };
    let world = hub.world();
    // The signed-in user's profile, as the REST description's public user.
    let mut user = shapes::user(&world, &login);
    let since = crate::state::timestamp(world.started_at);
    for (key, value) in [
        ("name", json!(login)),
        ("company", json!(null)),
        ("blog", json!("")),
        ("location", json!(null)),
        ("email", json!(null)),
        ("hireable", json!(null)),
        ("bio", json!(null)),
        ("public_repos", json!(0)),
        ("public_gists", json!(0)),
        ("followers", json!(0)),
        ("following", json!(0)),
        ("created_at", json!(since)),
        ("updated_at", json!(since)),
    ] {
        user[key] = value;
    }
    ok(user)
}

pub(super) async fn rate_limit(State(hub): Shared, Extension(who): Who) -> ApiResult {
    let world = hub.world();
    let used = world.rate_used.get(&who.describe()).copied().unwrap_or(0);
    let core = json!({"limit": PRIMARY_LIMIT, "used": used, "remaining": PRIMARY_LIMIT.saturating_sub(used), "reset": world.started_at + 3600});
    ok(
        json!({"resources": {"core": core, "search": {"limit": 30, "used": 0, "remaining": 30, "reset": world.started_at + 60}}, "rate": core}),
    )
}

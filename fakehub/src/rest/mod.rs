//! The REST API, as GitHub answers it: paths, methods, status codes,
//! shapes, conditional requests, pagination, rate-limit headers.
//!
//! Every request passes one gate first (`gate.rs`): injected faults, then
//! the token, then the rate limit; after the handler, ETags and the request
//! log. The handlers live in one file per GitHub resource.

mod actions;
mod apps;
mod gate;
mod issues;
mod labels;
mod notifications;
mod pulls;
mod refs;
mod repos;
mod search;
mod teams;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::state::{now, sha_of, Change, Identity, LoggedRequest, Refusal, Token, World};
use crate::{shapes, Hub};

use self::{
    actions::*, apps::*, gate::*, issues::*, labels::*, notifications::*, pulls::*, refs::*,
    repos::*, search::*, teams::*,
};

const PRIMARY_LIMIT: u64 = 5_000;
/// GitHub's secondary limits, as its documentation gives them: content-
/// creating requests per minute and per hour, and requests at once.
const SECONDARY_WRITES_PER_MINUTE: usize = 80;
const SECONDARY_WRITES_PER_HOUR: usize = 500;
const SECONDARY_CONCURRENT_REQUESTS: usize = 100;

type Shared = State<Arc<Hub>>;
type Who = Extension<Identity>;

/// A GitHub error answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message: message.into(),
            headers: Vec::new(),
        }
    }

    fn not_found() -> Self {
        ApiError::new(404, "Not Found")
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        ApiError::new(refusal.status, refusal.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(shapes::error(&self.message, self.status.as_u16())),
        )
            .into_response();
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

type ApiResult = Result<Response, ApiError>;

fn ok(value: Value) -> ApiResult {
    Ok(Json(value).into_response())
}

fn created(value: Value) -> ApiResult {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) fn router(hub: Arc<Hub>) -> Router {
    let repo = Router::new()
        .route("/", get(get_repo))
        .route("/contents/{*path}", get(get_content))
        .route("/issues", get(list_issues))
        .route("/issues/{number}", get(get_issue).patch(patch_issue))
        .route("/issues/{number}/events", get(list_issue_events))
        .route("/issues/{number}/timeline", get(list_timeline))
        .route("/assignees", get(list_assignees))
        .route("/branches", get(list_branches))
        .route("/branches/{branch}", get(get_branch))
        .route("/commits/{sha}", get(get_commit))
        .route(
            "/issues/{number}/comments",
            get(list_comments).post(create_comment),
        )
        // GitHub takes POST as an alias of PATCH here, and octocrab uses it.
        .route(
            "/issues/comments/{id}",
            patch(edit_comment).post(edit_comment),
        )
        .route(
            "/issues/comments/{id}/reactions",
            get(list_comment_reactions).post(react_to_comment),
        )
        .route(
            "/issues/{number}/reactions",
            get(list_item_reactions).post(react_to_item),
        )
        .route(
            "/issues/{number}/assignees",
            post(add_assignees).delete(remove_assignees),
        )
        .route(
            "/issues/{number}/labels",
            get(list_item_labels)
                .post(add_labels)
                .put(set_labels)
                .delete(clear_labels),
        )
        .route(
            "/issues/{number}/labels/{name}",
            axum::routing::delete(remove_label),
        )
        .route("/labels", get(list_repo_labels).post(create_repo_label))
        .route(
            "/labels/{name}",
            get(get_repo_label)
                .patch(edit_repo_label)
                .delete(delete_repo_label),
        )
        .route("/pulls", get(list_pulls))
        .route("/pulls/{number}", get(get_pull).patch(patch_pull))
        .route("/pulls/{number}/files", get(list_pull_files))
        .route("/pulls/{number}/commits", get(list_pull_commits))
        .route(
            "/pulls/{number}/reviews",
            get(list_reviews).post(create_review),
        )
        .route(
            "/pulls/{number}/requested_reviewers",
            get(list_requested_reviewers)
                .post(request_reviewers)
                .delete(remove_requested_reviewers),
        )
        .route("/git/ref/{*git_ref}", get(get_ref))
        .route("/git/matching-refs/{*git_ref}", get(matching_refs))
        .route("/git/refs", get(list_all_refs).post(create_ref))
        .route(
            "/git/refs/{*git_ref}",
            get(list_refs_under).patch(update_ref).delete(delete_ref),
        )
        .route("/actions/workflows", get(list_workflows))
        .route(
            "/actions/workflows/{workflow}/dispatches",
            post(dispatch_workflow),
        )
        .route("/actions/runs", get(list_runs))
        .route("/dispatches", post(repository_dispatch))
        .route("/check-runs", post(create_check_run))
        .route("/check-runs/{id}", patch(update_check_run))
        .route("/commits/{sha}/check-runs", get(list_check_runs))
        .route("/collaborators/{user}/permission", get(permission))
        .route("/installation", get(repo_installation));
    let api = Router::new()
        .nest("/repos/{owner}/{repo}", repo)
        .route("/app", get(get_app))
        .route("/app/installations", get(list_installations))
        .route("/app/installations/{id}/access_tokens", post(create_token))
        .route("/installation/repositories", get(installation_repositories))
        .route("/app/hook/deliveries", get(list_deliveries))
        .route("/app/hook/deliveries/{id}", get(get_delivery))
        .route("/app/hook/deliveries/{id}/attempts", post(redeliver))
        .route("/rate_limit", get(rate_limit))
        .route("/user", get(authenticated_user))
        .route("/notifications", get(list_notifications))
        .route("/search/issues", get(search_issues))
        .route(
            "/orgs/{org}/teams/{team}/memberships/{user}",
            get(team_membership),
        )
        .route("/orgs/{org}/teams/{team}/members", get(team_members));
    // GitHub Enterprise clients put the REST API under `/api/v3`.
    Router::new()
        .merge(api.clone())
        .nest("/api/v3", api)
        .route("/graphql", post(graphql))
        .route("/api/graphql", post(graphql))
        .fallback(not_implemented)
        .method_not_allowed_fallback(|| async { ApiError::new(405, "Method Not Allowed") })
        .layer(middleware::from_fn(known_parameters))
        .layer(middleware::from_fn_with_state(Arc::clone(&hub), gate))
        .with_state(hub)
}

/// GraphQL: the subset `graphql.rs` implements, in GitHub's answer shape
/// (HTTP 200 with `data` or `errors`).
async fn graphql(State(hub): Shared, Extension(who): Who, Json(body): Json<Value>) -> Response {
    let (answer, events) = {
        let mut world = hub.world();
        let (answer, changes) = crate::graphql::execute(&mut world, &who, &body);
        (answer, crate::events::render(&world, changes))
    };
    hub.emit(events);
    Json(answer).into_response()
}

/// A path fakehub does not serve: 404 as GitHub answers an unknown path,
/// with a message that says it is fakehub's gap, not the caller's mistake.
async fn not_implemented(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        404,
        format!(
            "Not Found (fakehub does not implement {method} {}; its README lists what it does)",
            uri.path()
        ),
    )
}

/// Query parameters each listing understands. Any other parameter is
/// refused with 422, never ignored: a filter fakehub silently dropped would
/// make a bot act on every item and its tests pass.
fn parameters_for(path: &str) -> Option<&'static [&'static str]> {
    let path = path.strip_prefix("/api/v3").unwrap_or(path);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    const PAGE: &[&str] = &["page", "per_page"];
    Some(match segments.as_slice() {
        ["repos", _, _, "issues"] => &[
            "page",
            "per_page",
            "state",
            "labels",
            "creator",
            "mentioned",
            "since",
            "sort",
            "direction",
        ],
        ["repos", _, _, "pulls"] => &[
            "page",
            "per_page",
            "state",
            "head",
            "base",
            "sort",
            "direction",
        ],
        ["repos", _, _, "contents", ..] => &["ref"],
        ["repos", _, _, "actions", "runs"] => &["page", "per_page", "head_sha", "event", "status"],
        ["repos", _, _, "commits", _, "check-runs"] => {
            &["page", "per_page", "check_name", "status"]
        }
        ["app", "hook", "deliveries"] => &["per_page", "cursor"],
        ["search", "issues"] => &["q", "page", "per_page", "sort", "order"],
        ["notifications"] => &["page", "per_page", "all", "participating"],
        _ => PAGE,
    })
}

async fn known_parameters(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/_fakehub") {
        return next.run(request).await;
    }
    if let (Some(query), Some(known)) = (request.uri().query(), parameters_for(&path)) {
        let unknown: Vec<String> = url_pairs(query)
            .into_iter()
            .map(|(key, _)| key)
            .filter(|key| !known.contains(&key.as_str()))
            .collect();
        if !unknown.is_empty() {
            return ApiError::new(
                422,
                format!(
                    "fakehub does not implement the query parameter(s) {} here; it answers only to {}",
                    unknown.join(", "),
                    known.join(", ")
                ),
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// `a=1&b=x%20y` -> [("a", "1"), ("b", "x y")].
pub(crate) fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes[i] {
            b'%' => text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok()),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
                continue;
            }
            (None, b'+') => out.push(b' '),
            (None, byte) => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The repository's full name, when the caller may see it.
fn visible(world: &World, who: &Identity, owner: &str, repo: &str) -> Result<String, ApiError> {
    let full = format!("{owner}/{repo}");
    if !world.repos.contains_key(&full) || !world.can_access(who, &full) {
        return Err(ApiError::not_found());
    }
    Ok(full)
}

/// The opening every repository handler shares: the hub, who asks, and
/// the repository the path names, when they may see it (404 otherwise, as
/// GitHub hides what a token can't see).
pub(super) struct Scope {
    hub: Arc<Hub>,
    who: Identity,
    full: String,
}

impl Scope {
    /// The repository and who writes to it: a user, or an installation of
    /// the repository (the App itself can't).
    fn writer(&self, world: &World) -> Result<(String, String), ApiError> {
        writer(world, &self.who, &self.full)
    }

    /// Every write handler's one skeleton: the world locked, the writer
    /// checked, `change` made (given the repository's full name and the
    /// actor; it answers what changed and the response's body, shaped from
    /// the world it left), the changes rendered into webhooks while the
    /// world is as the change left it, and the webhooks sent once the lock
    /// is released, since their receivers may call fakehub back.
    fn write(
        &self,
        change: impl FnOnce(&mut World, &str, &str) -> Result<(Vec<Change>, Value), ApiError>,
    ) -> Result<Value, ApiError> {
        let (events, value) = {
            let mut world = self.hub.world();
            let (full, actor) = self.writer(&world)?;
            let (changes, value) = change(&mut world, &full, &actor)?;
            (crate::events::render(&world, changes), value)
        };
        self.hub.emit(events);
        Ok(value)
    }
}

impl axum::extract::FromRequestParts<Arc<Hub>> for Scope {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        hub: &Arc<Hub>,
    ) -> Result<Self, ApiError> {
        let Path(params) =
            Path::<std::collections::HashMap<String, String>>::from_request_parts(parts, hub)
                .await
                .map_err(|_| ApiError::not_found())?;
        let who = parts
            .extensions
            .get::<Identity>()
            .cloned()
            .ok_or_else(|| ApiError::new(401, "Requires authentication"))?;
        let (Some(owner), Some(repo)) = (params.get("owner"), params.get("repo")) else {
            return Err(ApiError::not_found());
        };
        let full = visible(&hub.world(), &who, owner, repo)?;
        Ok(Scope {
            hub: Arc::clone(hub),
            who,
            full,
        })
    }
}

/// Writes need a user, or an installation of the repository.
fn writer(world: &World, who: &Identity, full: &str) -> Result<(String, String), ApiError> {
    if *who == Identity::App {
        return Err(ApiError::new(403, "Resource not accessible by integration"));
    }
    Ok((full.to_owned(), world.actor(who)))
}

#[derive(Deserialize, Default)]
struct Page {
    page: Option<usize>,
    per_page: Option<usize>,
}

/// A page of `items`, with GitHub's `Link` header when there are more.
/// Each link is the request's own URL (every filter, sort and state it
/// asked for) with only `page` and `per_page` changed, as GitHub's are:
/// a client that follows `rel="next"` gets the next page of the same
/// query.
fn paginate(items: Vec<Value>, page: &Page, base_url: &str, uri: &axum::http::Uri) -> Response {
    let per_page = page.per_page.unwrap_or(30).clamp(1, 100);
    let current = page.page.unwrap_or(1).max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let slice: Vec<Value> = items
        .into_iter()
        .skip((current - 1) * per_page)
        .take(per_page)
        .collect();
    let mut response = Json(Value::Array(slice)).into_response();
    let kept: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            !pair.is_empty() && name != "page" && name != "per_page"
        })
        .collect();
    let link_to = |n: usize| {
        let mut query = kept.clone();
        let (per, at) = (format!("per_page={per_page}"), format!("page={n}"));
        query.push(&per);
        query.push(&at);
        format!("<{base_url}{}?{}>", uri.path(), query.join("&"))
    };
    let mut links = Vec::new();
    if current < last {
        links.push(format!("{}; rel=\"next\"", link_to(current + 1)));
        links.push(format!("{}; rel=\"last\"", link_to(last)));
    }
    if current > 1 {
        links.push(format!("{}; rel=\"first\"", link_to(1)));
        links.push(format!("{}; rel=\"prev\"", link_to(current - 1)));
    }
    if !links.is_empty() {
        if let Ok(value) = HeaderValue::from_str(&links.join(", ")) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

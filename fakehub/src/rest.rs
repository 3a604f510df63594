//! The REST API, as GitHub answers it: paths, methods, status codes,
//! shapes, conditional requests, pagination, rate-limit headers.
//!
//! Every request passes one gate first: injected faults, then the token,
//! then the rate limit; after the handler, ETags and the request log.

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

use crate::state::{now, sha_of, Dispatch, Identity, LoggedRequest, Refusal, Token, World};
use crate::{shapes, Hub};

const PRIMARY_LIMIT: u64 = 5_000;
const SECONDARY_WRITES_PER_MINUTE: usize = 80;
const TOKEN_LIFETIME_SECS: u64 = 3_600;

type Shared = State<Arc<Hub>>;
type Who = Extension<Identity>;

/// A GitHub error answer.
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
        .route("/pulls/{number}", get(get_pull).patch(patch_pull))
        .route("/pulls/{number}/files", get(list_pull_files))
        .route("/git/ref/{*git_ref}", get(get_ref))
        .route("/git/matching-refs/{*git_ref}", get(matching_refs))
        .route("/git/refs", post(create_ref))
        .route("/git/refs/{*git_ref}", patch(update_ref).delete(delete_ref))
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
    Router::new()
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
        .fallback(|| async { ApiError::not_found() })
        .layer(middleware::from_fn_with_state(Arc::clone(&hub), gate))
        .with_state(hub)
}

// ---------------------------------------------------------------------------
// The gate

async fn gate(State(hub): Shared, mut request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or(path.clone(), |p| p.to_string());

    let fault = {
        let mut faults = hub.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults
            .iter_mut()
            .find(|f| f.matches(method.as_str(), &path))
            .map(|f| {
                f.times -= 1;
                f.clone()
            })
    };
    if let Some(latency) = fault.as_ref().and_then(|f| f.latency_ms) {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }

    let identity = authenticate(&hub, request.headers());
    let who = identity
        .as_ref()
        .map_or_else(|_| "none".to_owned(), Identity::describe);
    let response = match (fault, identity) {
        (Some(fault), _) if fault.drop_connection => dropped_connection(),
        (Some(fault), _) if fault.status.is_some() => fault_response(&fault),
        (_, Err(error)) => error.into_response(),
        (_, Ok(identity)) => {
            // `/rate_limit` itself is free, as on GitHub.
            let spent = if path == "/rate_limit" {
                Ok(())
            } else {
                spend_rate_limit(&hub, &identity, &method)
            };
            if let Err(limited) = spent {
                limited.into_response()
            } else {
                let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
                request.extensions_mut().insert(identity.clone());
                let response = next.run(request).await;
                let response = conditional(response, if_none_match, &method).await;
                if response.status() == StatusCode::NOT_MODIFIED {
                    // Conditional requests answered 304 don't count.
                    refund(&hub, &identity);
                }
                with_rate_headers(&hub, &identity, response)
            }
        }
    };
    hub.world().log_request(LoggedRequest {
        method: method.to_string(),
        path: path_and_query,
        token: who,
        status: response.status().as_u16(),
    });
    response
}

fn fault_response(fault: &crate::Fault) -> Response {
    let status = fault.status.unwrap_or(500);
    let mut error = ApiError::new(
        status,
        fault
            .message
            .clone()
            .unwrap_or_else(|| "fakehub: injected fault".into()),
    );
    if let Some(seconds) = fault.retry_after {
        error.headers.push(("retry-after", seconds.to_string()));
    }
    if let Some(reset_in) = fault.rate_limit_reset_in {
        error
            .headers
            .push(("x-ratelimit-limit", PRIMARY_LIMIT.to_string()));
        error.headers.push(("x-ratelimit-remaining", "0".into()));
        error
            .headers
            .push(("x-ratelimit-reset", (now() + reset_in).to_string()));
    }
    error.into_response()
}

/// Headers, then a body that fails: the client sees the connection close
/// before the answer is complete.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fakehub: dropped",
        ))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "1000")
        .body(Body::from_stream(failing))
        .unwrap_or_default()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .then_some(token.trim())
}

fn authenticate(hub: &Hub, headers: &HeaderMap) -> Result<Identity, ApiError> {
    let Some(token) = bearer(headers) else {
        return Err(ApiError::new(401, "Requires authentication"));
    };
    let world = hub.world();
    if token.matches('.').count() == 2 {
        return verify_jwt(&world, token);
    }
    match world.tokens.get(token) {
        Some(Token {
            expires_at: Some(at),
            ..
        }) if *at <= now() => Err(ApiError::new(401, "Bad credentials")),
        Some(known) => Ok(known.identity.clone()),
        None => Err(ApiError::new(401, "Bad credentials")),
    }
}

fn verify_jwt(world: &World, token: &str) -> Result<Identity, ApiError> {
    #[derive(Deserialize)]
    struct Claims {
        iss: Value,
        iat: u64,
        exp: u64,
    }
    let bad =
        |why: &str| ApiError::new(401, format!("A JSON web token could not be decoded: {why}"));
    let app = world
        .app
        .as_ref()
        .ok_or_else(|| bad("no app is installed on this fakehub"))?;
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(app.public_key.as_bytes())
        .map_err(|_| bad("the app's key"))?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.leeway = 60;
    // `iss` is checked below: octocrab sends it as a number, which the
    // library's own check would call missing.
    validation.required_spec_claims = ["exp", "iat"].into_iter().map(String::from).collect();
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map_err(|e| bad(&e.to_string()))?;
    let claims = data.claims;
    let issuer_matches = match &claims.iss {
        Value::String(s) => s == &app.id.to_string(),
        Value::Number(n) => n.as_u64() == Some(app.id),
        _ => false,
    };
    if !issuer_matches {
        return Err(bad("'Issuer' claim ('iss') must be the app's id"));
    }
    // GitHub refuses JWTs that live longer than ten minutes.
    if claims.exp.saturating_sub(claims.iat) > 660 {
        return Err(bad(
            "'Expiration time' claim ('exp') is too far in the future",
        ));
    }
    Ok(Identity::App)
}

fn spend_rate_limit(hub: &Hub, identity: &Identity, method: &Method) -> Result<(), ApiError> {
    let enforce = hub
        .enforce_rate_limits
        .load(std::sync::atomic::Ordering::SeqCst);
    let mut world = hub.world();
    let key = identity.describe();
    let used = world.rate_used.entry(key.clone()).or_insert(0);
    if enforce && *used >= PRIMARY_LIMIT {
        let mut error = ApiError::new(403, format!("API rate limit exceeded for {key}."));
        error.headers.push(("x-ratelimit-remaining", "0".into()));
        error
            .headers
            .push(("x-ratelimit-reset", (world.started_at + 3600).to_string()));
        return Err(error);
    }
    *used += 1;
    let writes = *method != Method::GET && *method != Method::HEAD;
    if enforce && writes {
        let t = now();
        let recent = world.recent_writes.entry(key).or_default();
        recent.retain(|at| *at + 60 > t);
        if recent.len() >= SECONDARY_WRITES_PER_MINUTE {
            let mut error = ApiError::new(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.");
            error.headers.push(("retry-after", "60".into()));
            return Err(error);
        }
        recent.push_back(t);
    }
    Ok(())
}

fn refund(hub: &Hub, identity: &Identity) {
    if let Some(used) = hub.world().rate_used.get_mut(&identity.describe()) {
        *used = used.saturating_sub(1);
    }
}

fn with_rate_headers(hub: &Hub, identity: &Identity, mut response: Response) -> Response {
    let world = hub.world();
    let used = world
        .rate_used
        .get(&identity.describe())
        .copied()
        .unwrap_or(0);
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("x-ratelimit-limit", PRIMARY_LIMIT.to_string());
    set(
        "x-ratelimit-remaining",
        PRIMARY_LIMIT.saturating_sub(used).to_string(),
    );
    set("x-ratelimit-used", used.to_string());
    set("x-ratelimit-reset", (world.started_at + 3600).to_string());
    set("x-ratelimit-resource", "core".into());
    response
}

/// ETags on every successful GET; a matching `If-None-Match` gets 304.
async fn conditional(
    response: Response,
    if_none_match: Option<HeaderValue>,
    method: &Method,
) -> Response {
    if *method != Method::GET || response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let etag = format!("\"{}\"", sha_of(&String::from_utf8_lossy(&bytes)));
    let matches = if_none_match
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim().trim_start_matches("W/") == etag)
        });
    if let Ok(value) = HeaderValue::from_str(&etag) {
        parts.headers.insert(header::ETAG, value);
    }
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

// ---------------------------------------------------------------------------
// Helpers

/// The repository's full name, when the caller may see it.
fn visible(world: &World, who: &Identity, owner: &str, repo: &str) -> Result<String, ApiError> {
    let full = format!("{owner}/{repo}");
    if !world.repos.contains_key(&full) || !world.can_access(who, &full) {
        return Err(ApiError::not_found());
    }
    Ok(full)
}

/// Writes need a user, or an installation of the repository.
fn writer(
    world: &World,
    who: &Identity,
    owner: &str,
    repo: &str,
) -> Result<(String, String), ApiError> {
    let full = visible(world, who, owner, repo)?;
    if *who == Identity::App {
        return Err(ApiError::new(403, "Resource not accessible by integration"));
    }
    Ok((full, world.actor(who)))
}

#[derive(Deserialize, Default)]
struct Page {
    page: Option<usize>,
    per_page: Option<usize>,
}

/// A page of `items`, with GitHub's `Link` header when there are more.
fn paginate(items: Vec<Value>, page: &Page, url: &str) -> Response {
    let per_page = page.per_page.unwrap_or(30).clamp(1, 100);
    let current = page.page.unwrap_or(1).max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let slice: Vec<Value> = items
        .into_iter()
        .skip((current - 1) * per_page)
        .take(per_page)
        .collect();
    let mut response = Json(Value::Array(slice)).into_response();
    let link_to = |n: usize| format!("<{url}?per_page={per_page}&page={n}>");
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

// ---------------------------------------------------------------------------
// Repositories, contents

async fn get_repo(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    ok(shapes::repo(&world, world.repo(&full)?))
}

#[derive(Deserialize)]
struct RefQuery {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
}

async fn get_content(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, path)): Path<(String, String, String)>,
    Query(query): Query<RefQuery>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
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

// ---------------------------------------------------------------------------
// Issues and pull requests

async fn get_issue(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let repo = world.repo(&full)?;
    let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    ok(shapes::issue(&world, repo, issue))
}

#[derive(Deserialize)]
struct IssueQuery {
    state: Option<String>,
    // Not a flattened `Page`: query strings can't carry numbers through
    // serde's flatten.
    page: Option<usize>,
    per_page: Option<usize>,
}

/// Issues and pull requests, open ones by default, as GitHub lists them.
async fn list_issues(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<IssueQuery>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let repo = world.repo(&full)?;
    let wanted = |open: bool| match query.state.as_deref() {
        Some("all") => true,
        Some("closed") => !open,
        _ => open,
    };
    let items = repo
        .issues
        .values()
        .rev()
        .filter(|i| wanted(i.open))
        .map(|i| shapes::issue(&world, repo, i))
        .collect();
    let page = Page {
        page: query.page,
        per_page: query.per_page,
    };
    Ok(paginate(
        items,
        &page,
        &format!("{}{}", world.base_url, uri.path()),
    ))
}

async fn get_pull(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let repo = world.repo(&full)?;
    let issue = repo
        .issues
        .get(&number)
        .filter(|i| i.pull.is_some())
        .ok_or_else(ApiError::not_found)?;
    ok(shapes::pull(&world, repo, issue))
}

#[derive(Deserialize)]
struct IssuePatch {
    title: Option<String>,
    body: Option<String>,
    state: Option<String>,
    labels: Option<Vec<Value>>,
}

async fn patch_issue(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(edit): Json<IssuePatch>,
) -> ApiResult {
    edit_item(&hub, &who, (owner, repo, number), edit, false)
}

async fn patch_pull(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(edit): Json<IssuePatch>,
) -> ApiResult {
    edit_item(&hub, &who, (owner, repo, number), edit, true)
}

/// `PATCH /issues/{n}` and `PATCH /pulls/{n}`: the same edit, answered in
/// the shape of the path.
fn edit_item(
    hub: &Arc<Hub>,
    who: &Identity,
    (owner, repo, number): (String, String, u64),
    edit: IssuePatch,
    is_pulls: bool,
) -> ApiResult {
    let (events, value) = {
        let mut world = hub.world();
        let (full, actor) = writer(&world, who, &owner, &repo)?;
        if is_pulls && world.issue(&full, number)?.pull.is_none() {
            return Err(ApiError::not_found());
        }
        let mut events = world.edit_item(
            &full,
            number,
            crate::state::ItemEdit {
                title: edit.title,
                body: edit.body,
                state: edit.state,
            },
            &actor,
        )?;
        if let Some(labels) = edit.labels {
            events.extend(world.set_labels(&full, number, &label_names(&labels), &actor)?);
        }
        let repo = world.repo(&full)?;
        let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
        let value = if is_pulls {
            shapes::pull(&world, repo, issue)
        } else {
            shapes::issue(&world, repo, issue)
        };
        (events, value)
    };
    hub.emit(events);
    ok(value)
}

async fn list_comments(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(request_uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let repo = world.repo(&full)?;
    repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    let items = repo
        .comments
        .iter()
        .filter(|c| c.issue == number)
        .map(|c| shapes::comment(&world, repo, c))
        .collect();
    Ok(paginate(
        items,
        &page,
        &format!("{}{}", world.base_url, request_uri.path()),
    ))
}

#[derive(Deserialize)]
struct BodyOnly {
    body: String,
}

async fn create_comment(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(input): Json<BodyOnly>,
) -> ApiResult {
    let (events, value) = {
        let mut world = hub.world();
        let (full, actor) = writer(&world, &who, &owner, &repo)?;
        let (id, events) = world.add_comment(&full, number, &input.body, &actor)?;
        let repo = world.repo(&full)?;
        let comment = repo
            .comments
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(ApiError::not_found)?;
        (events, shapes::comment(&world, repo, comment))
    };
    hub.emit(events);
    created(value)
}

async fn edit_comment(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(input): Json<BodyOnly>,
) -> ApiResult {
    let (events, value) = {
        let mut world = hub.world();
        let (full, actor) = writer(&world, &who, &owner, &repo)?;
        let events = world.edit_comment(&full, id, &input.body, &actor)?;
        let repo = world.repo(&full)?;
        let comment = repo
            .comments
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(ApiError::not_found)?;
        (events, shapes::comment(&world, repo, comment))
    };
    hub.emit(events);
    ok(value)
}

// ---------------------------------------------------------------------------
// Labels

/// Label lists arrive as `["a"]`, `{"labels": ["a"]}` or
/// `{"labels": [{"name": "a"}]}`; GitHub takes all three.
fn label_names(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        })
        .collect()
}

fn labels_body(body: &Value) -> Result<Vec<String>, ApiError> {
    let list = match body {
        Value::Array(items) => items.as_slice(),
        Value::Object(o) => o
            .get("labels")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice),
        _ => &[],
    };
    let names = label_names(list);
    if names.iter().any(|n| n.trim().is_empty()) {
        return Err(ApiError::new(
            422,
            "Validation Failed: label name can't be blank",
        ));
    }
    Ok(names)
}

fn item_labels(world: &World, full: &str, number: u64) -> Result<Value, ApiError> {
    let repo = world.repo(full)?;
    let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    Ok(shapes::labels_of(world, repo, &issue.labels))
}

async fn list_item_labels(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    ok(item_labels(&world, &full, number)?)
}

async fn add_labels(
    State(hub): Shared,
    Extension(who): Who,
    Path(item): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> ApiResult {
    change_labels(&hub, &who, item, &body, World::add_labels)
}

async fn set_labels(
    State(hub): Shared,
    Extension(who): Who,
    Path(item): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> ApiResult {
    change_labels(&hub, &who, item, &body, World::set_labels)
}

type LabelChange = fn(
    &mut World,
    &str,
    u64,
    &[String],
    &str,
) -> crate::state::Outcome<Vec<crate::state::Outgoing>>;

/// Adds or replaces labels, answering the item's labels as GitHub does.
fn change_labels(
    hub: &Arc<Hub>,
    who: &Identity,
    (owner, repo, number): (String, String, u64),
    body: &Value,
    change: LabelChange,
) -> ApiResult {
    let names = labels_body(body)?;
    let (events, value) = {
        let mut world = hub.world();
        let (full, actor) = writer(&world, who, &owner, &repo)?;
        let events = change(&mut world, &full, number, &names, &actor)?;
        (events, item_labels(&world, &full, number)?)
    };
    hub.emit(events);
    ok(value)
}

async fn clear_labels(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> ApiResult {
    let events = {
        let mut world = hub.world();
        let (full, actor) = writer(&world, &who, &owner, &repo)?;
        world.set_labels(&full, number, &[], &actor)?
    };
    hub.emit(events);
    no_content()
}

async fn remove_label(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, number, name)): Path<(String, String, u64, String)>,
) -> ApiResult {
    let (events, value) = {
        let mut world = hub.world();
        let (full, actor) = writer(&world, &who, &owner, &repo)?;
        let events = world.remove_label(&full, number, &name, &actor)?;
        (events, item_labels(&world, &full, number)?)
    };
    hub.emit(events);
    ok(value)
}

async fn list_repo_labels(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let repo = world.repo(&full)?;
    let items = repo
        .labels
        .values()
        .map(|l| shapes::label(&world, repo, l))
        .collect();
    Ok(paginate(
        items,
        &page,
        &format!("{}{}", world.base_url, uri.path()),
    ))
}

#[derive(Deserialize)]
struct NewLabel {
    name: String,
    color: Option<String>,
    description: Option<String>,
}

async fn create_repo_label(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
    Json(input): Json<NewLabel>,
) -> ApiResult {
    let mut world = hub.world();
    let (full, _) = writer(&world, &who, &owner, &repo)?;
    let id = world.id();
    let repo = world.repo_mut(&full)?;
    if repo
        .labels
        .keys()
        .any(|l| l.eq_ignore_ascii_case(&input.name))
    {
        return Err(ApiError::new(422, "Validation Failed: already_exists"));
    }
    let label = crate::state::Label {
        id,
        name: input.name.clone(),
        color: input.color.unwrap_or_else(|| "ededed".into()),
        description: input.description,
    };
    repo.labels.insert(input.name, label.clone());
    let repo = world.repo(&full)?;
    created(shapes::label(&world, repo, &label))
}

async fn list_pull_files(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let issue = world.issue(&full, number)?;
    let pr = issue.pull.as_ref().ok_or_else(ApiError::not_found)?;
    let items = pr
        .files
        .iter()
        .map(|f| shapes::pull_file(f, &pr.head_sha))
        .collect();
    Ok(paginate(
        items,
        &page,
        &format!("{}{}", world.base_url, uri.path()),
    ))
}

// ---------------------------------------------------------------------------
// Git refs

fn full_ref(git_ref: &str) -> String {
    format!("refs/{}", git_ref.trim_start_matches('/'))
}

async fn get_ref(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let repo = world.repo(&full)?;
    let name = full_ref(&git_ref);
    let sha = repo.refs.get(&name).ok_or_else(ApiError::not_found)?;
    ok(shapes::git_ref(&world, repo, &name, sha))
}

/// Prefix match, as GitHub's: `tags/ciflow/trunk/12` also returns `…/123`.
async fn matching_refs(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
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
struct NewRef {
    #[serde(rename = "ref")]
    git_ref: String,
    sha: String,
}

async fn create_ref(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
    Json(input): Json<NewRef>,
) -> ApiResult {
    let (events, value) = {
        let mut world = hub.world();
        let (full, actor) = writer(&world, &who, &owner, &repo)?;
        let events = world.create_ref(&full, &input.git_ref, &input.sha, &actor)?;
        let repo = world.repo(&full)?;
        (
            events,
            shapes::git_ref(&world, repo, &input.git_ref, &input.sha),
        )
    };
    hub.emit(events);
    created(value)
}

#[derive(Deserialize)]
struct RefUpdate {
    sha: String,
    #[serde(default)]
    #[allow(dead_code)]
    force: bool,
}

async fn update_ref(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    Json(input): Json<RefUpdate>,
) -> ApiResult {
    let name = full_ref(&git_ref);
    let (events, value) = {
        let mut world = hub.world();
        let (full, actor) = writer(&world, &who, &owner, &repo)?;
        let events = world.update_ref(&full, &name, &input.sha, &actor)?;
        let repo = world.repo(&full)?;
        (events, shapes::git_ref(&world, repo, &name, &input.sha))
    };
    hub.emit(events);
    ok(value)
}

async fn delete_ref(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> ApiResult {
    let events = {
        let mut world = hub.world();
        let (full, actor) = writer(&world, &who, &owner, &repo)?;
        world.delete_ref(&full, &full_ref(&git_ref), &actor)?
    };
    hub.emit(events);
    no_content()
}

// ---------------------------------------------------------------------------
// Actions, dispatches, check runs

async fn list_workflows(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let repo = world.repo(&full)?;
    let workflows: Vec<Value> = repo
        .workflows
        .iter()
        .map(|w| json!({"id": w.id, "node_id": format!("W_{}", w.id), "name": w.name, "path": w.path, "state": "active",
            "created_at": shapes::timestamp(world.started_at), "updated_at": shapes::timestamp(world.started_at),
            "url": format!("{}/repos/{full}/actions/workflows/{}", world.base_url, w.id),
            "html_url": format!("{}/{full}/blob/{}/{}", world.base_url, repo.default_branch, w.path),
            "badge_url": format!("{}/{full}/workflows/{}/badge.svg", world.base_url, w.name)}))
        .collect();
    ok(json!({"total_count": workflows.len(), "workflows": workflows}))
}

#[derive(Deserialize)]
struct WorkflowDispatch {
    #[serde(rename = "ref")]
    git_ref: String,
    #[serde(default)]
    inputs: Value,
}

async fn dispatch_workflow(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, workflow)): Path<(String, String, String)>,
    Json(input): Json<WorkflowDispatch>,
) -> ApiResult {
    let mut world = hub.world();
    let (full, actor) = writer(&world, &who, &owner, &repo)?;
    let run_id = world.id();
    let repo = world.repo_mut(&full)?;
    let file = repo
        .workflows
        .iter()
        .find(|w| {
            w.id.to_string() == workflow || w.path.rsplit('/').next() == Some(workflow.as_str())
        })
        .map(|w| w.path.rsplit('/').next().unwrap_or(&w.path).to_owned())
        .ok_or_else(ApiError::not_found)?;
    let candidates = [
        input.git_ref.clone(),
        format!("refs/heads/{}", input.git_ref),
        format!("refs/tags/{}", input.git_ref),
    ];
    let Some(head_sha) = candidates.iter().find_map(|r| repo.refs.get(r)).cloned() else {
        return Err(ApiError::new(
            422,
            format!("No ref found for: {}", input.git_ref),
        ));
    };
    repo.dispatches.push(Dispatch {
        kind: "workflow_dispatch",
        target: file,
        git_ref: Some(input.git_ref),
        head_sha,
        inputs: input.inputs,
        actor,
        run_id,
    });
    no_content()
}

#[derive(Deserialize)]
struct RepositoryDispatch {
    event_type: String,
    #[serde(default)]
    client_payload: Value,
}

async fn repository_dispatch(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
    Json(input): Json<RepositoryDispatch>,
) -> ApiResult {
    if input.event_type.is_empty() || input.event_type.chars().count() > 100 {
        return Err(ApiError::new(
            422,
            "Validation Failed: event_type must be 1 to 100 characters",
        ));
    }
    let mut world = hub.world();
    let (full, actor) = writer(&world, &who, &owner, &repo)?;
    let run_id = world.id();
    let repo = world.repo_mut(&full)?;
    let head_sha = repo
        .refs
        .get(&format!("refs/heads/{}", repo.default_branch))
        .cloned()
        .unwrap_or_default();
    repo.dispatches.push(Dispatch {
        kind: "repository_dispatch",
        target: input.event_type,
        git_ref: None,
        head_sha,
        inputs: input.client_payload,
        actor,
        run_id,
    });
    no_content()
}

#[derive(Deserialize)]
struct RunsQuery {
    head_sha: Option<String>,
    event: Option<String>,
}

/// Workflow runs: one per accepted dispatch.
async fn list_runs(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<RunsQuery>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let repo = world.repo(&full)?;
    let runs: Vec<Value> = repo
        .dispatches
        .iter()
        .filter(|d| query.head_sha.as_ref().is_none_or(|s| *s == d.head_sha))
        .filter(|d| query.event.as_ref().is_none_or(|e| e == d.kind))
        .map(|d| shapes::workflow_run(&world, repo, d))
        .collect();
    ok(json!({"total_count": runs.len(), "workflow_runs": runs}))
}

#[derive(Deserialize)]
struct CheckRunInput {
    name: Option<String>,
    head_sha: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    #[serde(default)]
    output: Value,
}

async fn create_check_run(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
    Json(input): Json<CheckRunInput>,
) -> ApiResult {
    let mut world = hub.world();
    let (full, _) = writer(&world, &who, &owner, &repo)?;
    if !matches!(who, Identity::Installation(_)) {
        return Err(ApiError::new(
            403,
            "You must authenticate via a GitHub App.",
        ));
    }
    let (Some(name), Some(head_sha)) = (input.name, input.head_sha) else {
        return Err(ApiError::new(
            422,
            "Validation Failed: name and head_sha are required",
        ));
    };
    let id = world.id();
    let t = now();
    let status = if input.conclusion.is_some() {
        "completed".to_owned()
    } else {
        input.status.unwrap_or_else(|| "queued".into())
    };
    let run = crate::state::CheckRun {
        id,
        name,
        head_sha,
        status,
        conclusion: input.conclusion,
        output: input.output,
        created_at: t,
        updated_at: t,
    };
    world.repo_mut(&full)?.check_runs.push(run.clone());
    let repo = world.repo(&full)?;
    created(shapes::check_run(&world, repo, &run))
}

async fn update_check_run(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(input): Json<CheckRunInput>,
) -> ApiResult {
    let mut world = hub.world();
    let (full, _) = writer(&world, &who, &owner, &repo)?;
    let repo = world.repo_mut(&full)?;
    let run = repo
        .check_runs
        .iter_mut()
        .find(|r| r.id == id)
        .ok_or_else(ApiError::not_found)?;
    if let Some(name) = input.name {
        run.name = name;
    }
    if let Some(status) = input.status {
        run.status = status;
    }
    if input.conclusion.is_some() {
        run.conclusion = input.conclusion;
        run.status = "completed".into();
    }
    if !input.output.is_null() {
        run.output = input.output;
    }
    run.updated_at = now();
    let run = run.clone();
    let repo = world.repo(&full)?;
    ok(shapes::check_run(&world, repo, &run))
}

async fn list_check_runs(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, sha)): Path<(String, String, String)>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let repo = world.repo(&full)?;
    let runs: Vec<Value> = repo
        .check_runs
        .iter()
        .filter(|r| r.head_sha == sha)
        .map(|r| shapes::check_run(&world, repo, r))
        .collect();
    ok(json!({"total_count": runs.len(), "check_runs": runs}))
}

// ---------------------------------------------------------------------------
// People, apps, installations

async fn permission(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, user)): Path<(String, String, String)>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
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

fn require_app(who: &Identity) -> Result<(), ApiError> {
    if *who == Identity::App {
        Ok(())
    } else {
        Err(ApiError::new(401, "A JSON web token could not be decoded"))
    }
}

async fn get_app(State(hub): Shared, Extension(who): Who) -> ApiResult {
    require_app(&who)?;
    ok(shapes::app(&hub.world()))
}

async fn list_installations(State(hub): Shared, Extension(who): Who) -> ApiResult {
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

async fn repo_installation(
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

async fn create_token(State(hub): Shared, Extension(who): Who, Path(id): Path<u64>) -> ApiResult {
    require_app(&who)?;
    let mut world = hub.world();
    if !world.installations.iter().any(|i| i.id == id) {
        return Err(ApiError::not_found());
    }
    let serial = world.id();
    let token = format!(
        "ghs_fake{}",
        &sha_of(&format!("{id}:{serial}:{}", now()))[..30]
    );
    let expires_at = now() + TOKEN_LIFETIME_SECS;
    world.tokens.insert(
        token.clone(),
        Token {
            identity: Identity::Installation(id),
            expires_at: Some(expires_at),
        },
    );
    created(json!({
        "token": token,
        "expires_at": shapes::timestamp(expires_at),
        "permissions": {"issues": "write", "pull_requests": "write", "contents": "write", "checks": "write", "actions": "write", "metadata": "read"},
        "repository_selection": "selected",
    }))
}

async fn installation_repositories(State(hub): Shared, Extension(who): Who) -> ApiResult {
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

fn delivery_json(d: &crate::Delivery) -> Value {
    json!({"id": d.id, "guid": d.guid, "delivered_at": d.delivered_at, "redelivery": d.redelivery,
        "duration": d.duration_ms as f64 / 1000.0, "status": d.status, "status_code": d.status_code,
        "event": d.event, "action": d.action, "installation_id": d.installation_id, "repository_id": d.repository_id,
        "throttled_at": null})
}

#[derive(Deserialize)]
struct DeliveryPage {
    per_page: Option<usize>,
    cursor: Option<u64>,
}

/// Newest first; `cursor` is the id to continue below, as in GitHub's
/// cursor pagination.
async fn list_deliveries(
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

async fn get_delivery(State(hub): Shared, Extension(who): Who, Path(id): Path<u64>) -> ApiResult {
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
async fn redeliver(State(hub): Shared, Extension(who): Who, Path(id): Path<u64>) -> ApiResult {
    require_app(&who)?;
    if !hub.redeliver(id) {
        return Err(ApiError::not_found());
    }
    Ok((StatusCode::ACCEPTED, Json(json!({}))).into_response())
}

/// The token's user; installations and apps have none, as on GitHub.
async fn authenticated_user(State(hub): Shared, Extension(who): Who) -> ApiResult {
    let Identity::User(login) = who else {
        return Err(ApiError::new(403, "Resource not accessible by integration"));
    };
    let world = hub.world();
    ok(shapes::user(&world, &login))
}

async fn rate_limit(State(hub): Shared, Extension(who): Who) -> ApiResult {
    let world = hub.world();
    let used = world.rate_used.get(&who.describe()).copied().unwrap_or(0);
    let core = json!({"limit": PRIMARY_LIMIT, "used": used, "remaining": PRIMARY_LIMIT.saturating_sub(used), "reset": world.started_at + 3600});
    ok(
        json!({"resources": {"core": core, "search": {"limit": 30, "used": 0, "remaining": 30, "reset": world.started_at + 60}}, "rate": core}),
    )
}

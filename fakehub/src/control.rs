//! The control API, under `/_fakehub/`: act as a user, read state, read the
//! request log, inject faults, reset. Every action waits until the webhooks
//! it caused (and those caused by the answers to them) have been answered,
//! so a test can assert right after it, without sleeping.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::rest::ApiError;
use crate::state::{Change, Identity, ItemEdit, NewItem, PullPush, Token, World};
use crate::{Fault, Hook, Hub};

type Shared = State<Arc<Hub>>;
type Result<T = Response> = std::result::Result<T, ApiError>;

pub(crate) fn router(hub: Arc<Hub>) -> Router {
    let repo = Router::new()
        .route("/issues", post(open_item))
        .route("/issues/{number}", get(read_item).patch(edit_item))
        .route("/issues/{number}/labels", post(label))
        .route("/issues/{number}/labels/{name}", delete(unlabel))
        .route("/issues/{number}/comments", post(comment))
        .route("/pulls/{number}/push", post(push_to_pull))
        .route("/pulls/{number}/merge", post(merge))
        .route("/pulls/{number}/ready", post(mark_ready))
        .route("/pulls/{number}/draft", post(mark_draft))
        .route("/files", post(write_files))
        .route("/refs", get(read_refs))
        .route("/dispatches", get(read_dispatches))
        .route("/check-runs", get(read_check_runs));
    Router::new()
        .nest("/_fakehub/repos/{owner}/{repo}", repo)
        .route("/_fakehub/hooks", post(add_hook).patch(set_hook_active))
        .route("/_fakehub/tokens", post(mint_token))
        .route("/_fakehub/deliveries", get(read_deliveries))
        .route(
            "/_fakehub/responses",
            post(record_responses).get(read_responses),
        )
        .route("/_fakehub/deliveries/{id}", get(read_delivery_payload))
        .route("/_fakehub/deliveries/{id}/redeliver", post(redeliver))
        .route(
            "/_fakehub/requests",
            get(read_requests).delete(clear_requests),
        )
        .route("/_fakehub/requests/counts", get(count_requests))
        .route("/_fakehub/installations", post(install_app))
        .route("/_fakehub/faults", post(add_fault).delete(clear_faults))
        .route("/_fakehub/rate-limits", post(set_rate_limits))
        .route("/_fakehub/latency", post(set_latency))
        .route("/_fakehub/settle", post(settle))
        .route("/_fakehub/reset", post(reset))
        .route("/_fakehub/notifications", get(read_notifications))
        .with_state(hub)
}

/// Runs a change, sends its webhooks, and waits for them all.
async fn act<T>(
    hub: &Arc<Hub>,
    change: impl FnOnce(&mut World) -> crate::state::Outcome<(T, Vec<Change>)>,
) -> Result<T> {
    let (value, events) = {
        let mut world = hub.world();
        let (value, changes) = change(&mut world)?;
        (value, crate::events::render(&world, changes))
    };
    hub.emit(events);
    hub.settle().await;
    Ok(value)
}

fn full(owner: &str, repo: &str) -> String {
    format!("{owner}/{repo}")
}

#[derive(Deserialize)]
struct Actor {
    actor: String,
}

async fn open_item(
    State(hub): Shared,
    Path((owner, repo)): Path<(String, String)>,
    Json(item): Json<NewItem>,
) -> Result {
    let author = item.author.clone();
    let number = act(&hub, |w| w.open_item(&full(&owner, &repo), item, &author)).await?;
    Ok((StatusCode::CREATED, Json(json!({"number": number}))).into_response())
}

#[derive(Deserialize)]
struct LabelAction {
    actor: String,
    labels: Vec<String>,
}

async fn label(
    State(hub): Shared,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(input): Json<LabelAction>,
) -> Result {
    act(&hub, |w| {
        Ok((
            (),
            w.add_labels(&full(&owner, &repo), number, &input.labels, &input.actor)?,
        ))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn unlabel(
    State(hub): Shared,
    Path((owner, repo, number, name)): Path<(String, String, u64, String)>,
    axum::extract::Query(input): axum::extract::Query<Actor>,
) -> Result {
    act(&hub, |w| {
        Ok((
            (),
            w.remove_label(&full(&owner, &repo), number, &name, &input.actor)?,
        ))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct EditAction {
    actor: String,
    #[serde(flatten)]
    edit: ItemEdit,
}

async fn edit_item(
    State(hub): Shared,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(input): Json<EditAction>,
) -> Result {
    act(&hub, |w| {
        Ok((
            (),
            w.edit_item(&full(&owner, &repo), number, input.edit, &input.actor)?,
        ))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct CommentAction {
    actor: String,
    body: String,
}

async fn comment(
    State(hub): Shared,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(input): Json<CommentAction>,
) -> Result {
    let id = act(&hub, |w| {
        w.add_comment(&full(&owner, &repo), number, &input.body, &input.actor)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

#[derive(Deserialize)]
struct PushAction {
    actor: String,
    #[serde(flatten)]
    push: PullPush,
}

async fn push_to_pull(
    State(hub): Shared,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(input): Json<PushAction>,
) -> Result {
    let full = full(&owner, &repo);
    let sha = act(&hub, |w| {
        let events = w.push_to_pull(&full, number, input.push, &input.actor)?;
        let sha = w
            .issue(&full, number)?
            .pull
            .as_ref()
            .map(|p| p.head_sha.clone())
            .unwrap_or_default();
        Ok((sha, events))
    })
    .await?;
    Ok(Json(json!({"head_sha": sha})).into_response())
}

async fn merge(
    State(hub): Shared,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(input): Json<Actor>,
) -> Result {
    act(&hub, |w| {
        Ok(((), w.merge(&full(&owner, &repo), number, &input.actor)?))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// What GitHub's "Ready for review" button does: `ready_for_review`.
async fn mark_ready(
    state: Shared,
    path: Path<(String, String, u64)>,
    input: Json<Actor>,
) -> Result {
    set_draft(state, path, input, true).await
}

/// "Convert to draft": `converted_to_draft`.
async fn mark_draft(
    state: Shared,
    path: Path<(String, String, u64)>,
    input: Json<Actor>,
) -> Result {
    set_draft(state, path, input, false).await
}

async fn set_draft(
    State(hub): Shared,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(input): Json<Actor>,
    ready: bool,
) -> Result {
    act(&hub, |w| {
        Ok((
            (),
            w.set_draft(&full(&owner, &repo), number, ready, &input.actor)?,
        ))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct FilesAction {
    actor: String,
    /// The default branch when absent.
    branch: Option<String>,
    /// Path -> new text, or `null` to delete.
    files: BTreeMap<String, Option<String>>,
}

async fn write_files(
    State(hub): Shared,
    Path((owner, repo)): Path<(String, String)>,
    Json(input): Json<FilesAction>,
) -> Result {
    let full = full(&owner, &repo);
    act(&hub, |w| {
        let branch = match input.branch {
            Some(branch) => branch,
            None => w.repo(&full)?.default_branch.clone(),
        };
        let changes: Vec<(String, Option<String>)> = input.files.into_iter().collect();
        Ok(((), w.commit(&full, &branch, &changes, &input.actor, None)?))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn read_item(
    State(hub): Shared,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Result {
    let world = hub.world();
    let full = full(&owner, &repo);
    let repo = world.repo(&full)?;
    let issue = world.issue(&full, number)?;
    Ok(Json(crate::state::ItemState::of(repo, issue)).into_response())
}

async fn read_refs(State(hub): Shared, Path((owner, repo)): Path<(String, String)>) -> Result {
    let world = hub.world();
    Ok(Json(json!(world.repo(&full(&owner, &repo))?.refs)).into_response())
}

async fn read_dispatches(
    State(hub): Shared,
    Path((owner, repo)): Path<(String, String)>,
) -> Result {
    let world = hub.world();
    Ok(Json(json!(world.repo(&full(&owner, &repo))?.dispatches)).into_response())
}

async fn read_check_runs(
    State(hub): Shared,
    Path((owner, repo)): Path<(String, String)>,
) -> Result {
    let world = hub.world();
    let runs: Vec<Value> = world
        .repo(&full(&owner, &repo))?
        .check_runs
        .iter()
        .map(|r| json!({"id": r.id, "name": r.name, "head_sha": r.head_sha, "status": r.status, "conclusion": r.conclusion, "output": r.output}))
        .collect();
    Ok(Json(Value::Array(runs)).into_response())
}

async fn add_hook(State(hub): Shared, Json(hook): Json<Hook>) -> Result {
    hub.add_hook(hook);
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct HookState {
    url: String,
    active: bool,
}

/// Pauses (or resumes) a hook: deliveries meanwhile are not sent to it.
async fn set_hook_active(State(hub): Shared, Json(input): Json<HookState>) -> Result {
    hub.settle().await;
    if !hub.set_hook_active(&input.url, input.active) {
        return Err(ApiError::new(404, format!("no hook at {}", input.url)));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct MintToken {
    login: String,
}

/// A personal access token for a user, for bots that run with one.
async fn mint_token(State(hub): Shared, Json(input): Json<MintToken>) -> Result {
    let mut world = hub.world();
    world.remember_user(&input.login);
    let serial = world.id();
    let token = format!(
        "ghp_fake{}",
        &crate::state::sha_of(&format!("{}:{serial}", input.login))[..30]
    );
    world.tokens.insert(
        token.clone(),
        Token {
            identity: Identity::User(input.login),
            expires_at: None,
        },
    );
    Ok((StatusCode::CREATED, Json(json!({"token": token}))).into_response())
}

/// Starts recording the JSON responses the REST API sends (anew).
async fn record_responses(State(hub): Shared) -> Result {
    *hub.responses.lock().unwrap_or_else(|p| p.into_inner()) = Some(Vec::new());
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The responses recorded since recording started: method, path, status
/// and body of each.
async fn read_responses(State(hub): Shared) -> Result {
    let recorded = hub
        .responses
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .unwrap_or_default();
    Ok(Json(json!(recorded)).into_response())
}

async fn read_deliveries(State(hub): Shared) -> Result {
    hub.settle().await;
    let world = hub.world();
    Ok(Json(json!(world.deliveries)).into_response())
}

/// The payload a delivery carried.
async fn read_delivery_payload(State(hub): Shared, Path(id): Path<u64>) -> Result {
    hub.settle().await;
    let world = hub.world();
    let delivery = world
        .deliveries
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| ApiError::new(404, format!("no delivery {id}")))?;
    Ok(Json(delivery.payload.clone()).into_response())
}

/// Sends a delivery again, with the same GUID, as GitHub's "Redeliver".
async fn redeliver(State(hub): Shared, Path(id): Path<u64>) -> Result {
    hub.settle().await;
    if !hub.redeliver(id) {
        return Err(ApiError::new(404, format!("no delivery {id}")));
    }
    hub.settle().await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct ReadRequests {
    /// `true`: the log as it is this moment, without settling first (to
    /// look at a bot mid-burst).
    #[serde(default)]
    now: bool,
}

async fn read_requests(
    State(hub): Shared,
    axum::extract::Query(read): axum::extract::Query<ReadRequests>,
) -> Result {
    if !read.now {
        hub.settle().await;
    }
    let world = hub.world();
    Ok(Json(json!(world.requests)).into_response())
}

/// Requests so far, counted by method and path (`GET /repos/a/b/issues/1`).
async fn count_requests(State(hub): Shared) -> Result {
    hub.settle().await;
    let world = hub.world();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for request in &world.requests {
        let path = request.path.split('?').next().unwrap_or(&request.path);
        *counts
            .entry(format!("{} {path}", request.method))
            .or_default() += 1;
    }
    Ok(Json(json!(counts)).into_response())
}

#[derive(Deserialize)]
struct Install {
    /// Who installs it.
    actor: String,
    id: u64,
    account: String,
    repos: Vec<String>,
}

/// Installs the app on repositories, as a user does in GitHub's settings:
/// an `installation.created` webhook follows.
async fn install_app(State(hub): Shared, Json(input): Json<Install>) -> Result {
    act(&hub, |w| {
        Ok((
            (),
            w.install(input.id, &input.account, &input.repos, &input.actor)?,
        ))
    })
    .await?;
    Ok(StatusCode::CREATED.into_response())
}

async fn clear_requests(State(hub): Shared) -> Result {
    hub.settle().await;
    hub.world().requests.clear();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn add_fault(State(hub): Shared, Json(fault): Json<Fault>) -> Result {
    hub.faults
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(fault);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn clear_faults(State(hub): Shared) -> Result {
    hub.faults.lock().unwrap_or_else(|p| p.into_inner()).clear();
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct RateLimits {
    enforce: bool,
}

async fn set_latency(State(hub): Shared, Json(latency): Json<crate::Latency>) -> Result {
    *hub.latency.lock().unwrap_or_else(|p| p.into_inner()) = latency;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn set_rate_limits(State(hub): Shared, Json(input): Json<RateLimits>) -> Result {
    hub.enforce_rate_limits
        .store(input.enforce, std::sync::atomic::Ordering::SeqCst);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn settle(State(hub): Shared) -> Result {
    hub.settle().await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Back to the seed: state, tokens, deliveries, log and faults. Hooks stay.
async fn reset(State(hub): Shared) -> Result {
    hub.settle().await;
    let fresh = {
        let world = hub.world();
        hub.seed.build(&world.base_url)
    };
    let fresh = fresh.map_err(|e| ApiError::new(500, e))?;
    *hub.world() = fresh;
    hub.faults.lock().unwrap_or_else(|p| p.into_inner()).clear();
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct ForUser {
    user: Option<String>,
}

/// Every notification sent (to `user`, when given), oldest first: what a
/// test counts, where `GET /notifications` shows threads.
async fn read_notifications(
    State(hub): Shared,
    axum::extract::Query(query): axum::extract::Query<ForUser>,
) -> Result {
    hub.settle().await;
    let world = hub.world();
    let sent: Vec<Value> = world
        .notifications
        .iter()
        .filter(|n| {
            query
                .user
                .as_deref()
                .is_none_or(|u| n.user.eq_ignore_ascii_case(u))
        })
        .map(|n| json!({"user": n.user, "reason": n.reason, "repo": n.repo, "number": n.number}))
        .collect();
    Ok(Json(json!(sent)).into_response())
}

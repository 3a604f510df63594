//! GitHub's App manifest flow, as GitHub runs it for a person: a page
//! posts a manifest to `/settings/apps/new` (or an organization's
//! `/organizations/{org}/settings/apps/new`) with a `state`; GitHub shows
//! the App to create; the click creates it and redirects to the manifest's
//! `redirect_url` with a `code` and the `state`; the App's server trades
//! the code for the App's id, slug, key and webhook secret with
//! `POST /app-manifests/{code}/conversions` (no authentication), once and
//! within an hour.
//!
//! fakehub keeps one App: the flow creates it when the seed has none, and
//! hooks its webhook URL up with the new secret. Every App fakehub creates
//! signs with fakehub's test key (`testdata/app-private-key.pem`), which
//! the conversion hands over as GitHub hands over a new one.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::state::{now, App, ManifestCode};
use crate::{Hook, Hub};

const TEST_PRIVATE_KEY: &str = include_str!("../testdata/app-private-key.pem");
const TEST_PUBLIC_KEY: &str = include_str!("../testdata/app-public-key.pem");

/// How long a code may be traded, as GitHub says: one hour.
const CODE_LIFETIME_SECS: u64 = 3_600;

pub(crate) fn router(hub: Arc<Hub>) -> Router {
    let conversions = post(convert);
    Router::new()
        .route("/settings/apps/new", post(review_for_user))
        .route(
            "/organizations/{org}/settings/apps/new",
            post(review_for_organization),
        )
        .route("/settings/apps/new/create", post(create))
        .route("/app-manifests/{code}/conversions", conversions.clone())
        .route("/api/v3/app-manifests/{code}/conversions", conversions)
        .with_state(hub)
}

#[derive(Deserialize)]
struct Posted {
    manifest: String,
}

#[derive(Deserialize)]
struct StateQuery {
    #[serde(default)]
    state: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn refused(message: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Html(format!("<p>{}</p>", escape(message))),
    )
        .into_response()
}

async fn review_for_user(
    State(hub): State<Arc<Hub>>,
    Query(query): Query<StateQuery>,
    Form(posted): Form<Posted>,
) -> Response {
    review(&hub, "octocat", &query.state, &posted.manifest)
}

async fn review_for_organization(
    State(hub): State<Arc<Hub>>,
    Path(org): Path<String>,
    Query(query): Query<StateQuery>,
    Form(posted): Form<Posted>,
) -> Response {
    review(&hub, &org, &query.state, &posted.manifest)
}

/// The page GitHub shows before creating the App: its name and owner, and
/// one button.
fn review(hub: &Hub, owner: &str, state: &str, manifest: &str) -> Response {
    let Ok(parsed) = serde_json::from_str::<Value>(manifest) else {
        return refused("The manifest is not JSON.");
    };
    let name = parsed["name"].as_str().unwrap_or_default();
    let redirect = parsed["redirect_url"].as_str().unwrap_or_default();
    let hook = parsed["hook_attributes"]["url"]
        .as_str()
        .unwrap_or_default();
    if name.is_empty() || parsed["url"].as_str().is_none_or(str::is_empty) {
        return refused("The manifest needs a name and a url.");
    }
    if redirect.is_empty() || hook.is_empty() {
        return refused("fakehub needs the manifest's redirect_url and hook_attributes.url.");
    }
    if hub.world().app.is_some() {
        return refused("fakehub keeps one App, and it has one already.");
    }
    Html(format!(
        r#"<!doctype html>
<html><head><title>Create GitHub App</title></head>
<body>
<h1>Create GitHub App for {owner}</h1>
<p>Name: <strong id="app-name">{name}</strong></p>
<p>Webhook URL: <code>{hook}</code></p>
<form method="post" action="/settings/apps/new/create">
<input type="hidden" name="manifest" value="{manifest}">
<input type="hidden" name="state" value="{state}">
<input type="hidden" name="owner" value="{owner}">
<button type="submit" id="create">Create GitHub App for {owner}</button>
</form>
</body></html>"#,
        owner = escape(owner),
        name = escape(name),
        hook = escape(hook),
        manifest = escape(manifest),
        state = escape(state),
    ))
    .into_response()
}

#[derive(Deserialize)]
struct Confirmed {
    manifest: String,
    #[serde(default)]
    state: String,
    owner: String,
}

/// The click: the App is created, its webhook hooked up, and the person
/// sent back to the App's server with a code.
async fn create(State(hub): State<Arc<Hub>>, Form(form): Form<Confirmed>) -> Response {
    let Ok(manifest) = serde_json::from_str::<Value>(&form.manifest) else {
        return refused("The manifest is not JSON.");
    };
    let name = manifest["name"].as_str().unwrap_or("app").to_owned();
    let hook_url = manifest["hook_attributes"]["url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let Some(redirect) = manifest["redirect_url"].as_str().map(str::to_owned) else {
        return refused("The manifest has no redirect_url.");
    };
    let slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let (code, secret) = {
        let mut world = hub.world();
        if world.app.is_some() {
            return refused("fakehub keeps one App, and it has one already.");
        }
        let app = App {
            id: world.id(),
            slug,
            name,
            owner: form.owner.clone(),
            public_key: TEST_PUBLIC_KEY.to_owned(),
        };
        let code = format!("fakehub-code-{}", world.id());
        let secret = format!("fakehub-secret-{}-{}", world.id(), now());
        world.app = Some(app.clone());
        world.manifest_codes.insert(
            code.clone(),
            ManifestCode {
                app,
                webhook_secret: secret.clone(),
                created_at: now(),
                used: false,
                manifest: manifest.clone(),
            },
        );
        (code, secret)
    };
    hub.add_hook(Hook {
        url: hook_url,
        secret,
        idle_url: None,
    });
    let separator = if redirect.contains('?') { '&' } else { '?' };
    let location = format!(
        "{redirect}{separator}code={}&state={}",
        crate::shapes::encode(&code),
        crate::shapes::encode(&form.state)
    );
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// The code, traded once within the hour for what the App's server keeps.
async fn convert(State(hub): State<Arc<Hub>>, Path(code): Path<String>) -> Response {
    let mut world = hub.world();
    let base = world.base_url.clone();
    let Some(entry) = world.manifest_codes.get_mut(&code) else {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response();
    };
    if entry.used || now().saturating_sub(entry.created_at) > CODE_LIFETIME_SECS {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response();
    }
    entry.used = true;
    let app = &entry.app;
    let manifest = &entry.manifest;
    let created = crate::state::timestamp(entry.created_at);
    let body = json!({
        "id": app.id,
        "slug": app.slug,
        "node_id": format!("A_fake{}", app.id),
        "name": app.name,
        "description": manifest["description"].as_str().unwrap_or_default(),
        "external_url": manifest["url"],
        "html_url": format!("{base}/apps/{}", app.slug),
        "owner": { "login": app.owner, "id": 1, "type": "User" },
        "created_at": created,
        "updated_at": created,
        "permissions": manifest["default_permissions"].clone(),
        "events": manifest["default_events"].clone(),
        "client_id": format!("Iv1.fake{}", app.id),
        "client_secret": format!("fake-client-secret-{}", app.id),
        "webhook_secret": entry.webhook_secret,
        "pem": TEST_PRIVATE_KEY,
    });
    (StatusCode::CREATED, Json(body)).into_response()
}

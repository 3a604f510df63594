//! The gate every request passes: injected faults, the token, the rate limit; after the handler, ETags and the request log.

use super::*;

pub(super) async fn gate(State(hub): Shared, mut request: Request, next: Next) -> Response {
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
    // Waiting for the answer counts as in flight, as it does on GitHub.
    let in_flight = InFlight::enter(&hub);
    let latency = hub
        .latency
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .sample();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
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
            } else if in_flight.count > SECONDARY_CONCURRENT_REQUESTS && hub.enforcing() {
                Err(secondary_limit())
            } else {
                spend_rate_limit(&hub, &identity, &method)
                    .and_then(|()| spend_search_limit(&hub, &identity, &path))
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
    record(&hub, &method, &path, response).await
}

/// Responses recorded at most, and the largest body kept: enough for a
/// conformance run, bounded for a long-lived fakehub left recording.
const MAX_RECORDED: usize = 20_000;
const MAX_RECORDED_BODY: usize = 1 << 20;

/// Keeps a JSON response, while recording, for checking against GitHub's
/// REST description.
async fn record(hub: &Hub, method: &Method, path: &str, response: Response) -> Response {
    let recording = hub
        .responses
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .is_some_and(|r| r.len() < MAX_RECORDED);
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("json"));
    if !recording || !json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_RECORDED_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(body) = serde_json::from_slice::<Value>(&bytes) {
        let entry = json!({
            "method": method.as_str(),
            "path": path,
            "status": parts.status.as_u16(),
            "body": body,
        });
        if let Some(recorded) = hub
            .responses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            recorded.push(entry);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

pub(super) fn fault_response(fault: &crate::Fault) -> Response {
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
pub(super) fn dropped_connection() -> Response {
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

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .then_some(token.trim())
}

pub(super) fn authenticate(hub: &Hub, headers: &HeaderMap) -> Result<Identity, ApiError> {
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

pub(super) fn verify_jwt(world: &World, token: &str) -> Result<Identity, ApiError> {
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

pub(super) fn spend_rate_limit(
    hub: &Hub,
    identity: &Identity,
    method: &Method,
) -> Result<(), ApiError> {
    let enforce = hub.enforcing();
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
        recent.retain(|at| *at + 3_600 > t);
        let last_minute = recent.iter().rev().take_while(|at| **at + 60 > t).count();
        if last_minute >= SECONDARY_WRITES_PER_MINUTE || recent.len() >= SECONDARY_WRITES_PER_HOUR {
            return Err(secondary_limit());
        }
        recent.push_back(t);
    }
    Ok(())
}

/// Searches an identity may make a minute: GitHub's search API has its own
/// limit, 30 a minute for an authenticated user or an installation.
const SEARCHES_PER_MINUTE: usize = 30;

/// The search API's own limit, when enforced: past it, 403 as GitHub
/// answers it (`x-ratelimit-resource: search`, nothing remaining, and when
/// the window frees a search).
fn spend_search_limit(hub: &Hub, identity: &Identity, path: &str) -> Result<(), ApiError> {
    let searching = path.starts_with("/search/") || path.starts_with("/api/v3/search/");
    if !searching || !hub.enforcing() {
        return Ok(());
    }
    let mut world = hub.world();
    let key = identity.describe();
    let t = now();
    let recent = world.recent_searches.entry(key.clone()).or_default();
    recent.retain(|at| *at + 60 > t);
    if recent.len() >= SEARCHES_PER_MINUTE {
        let reset = recent.front().map_or(t + 60, |first| first + 60);
        let mut error = ApiError::new(403, format!("API rate limit exceeded for {key}."));
        error
            .headers
            .push(("x-ratelimit-resource", "search".into()));
        error
            .headers
            .push(("x-ratelimit-limit", SEARCHES_PER_MINUTE.to_string()));
        error.headers.push(("x-ratelimit-remaining", "0".into()));
        error.headers.push(("x-ratelimit-reset", reset.to_string()));
        return Err(error);
    }
    recent.push_back(t);
    Ok(())
}

/// GitHub's answer when a secondary limit is hit.
fn secondary_limit() -> ApiError {
    let mut error = ApiError::new(
        403,
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
    );
    error.headers.push(("retry-after", "60".into()));
    error
}

/// Counts a request as in flight until it is answered.
struct InFlight<'h> {
    hub: &'h Hub,
    /// Requests in flight, this one included, when it came in.
    count: usize,
}

impl<'h> InFlight<'h> {
    fn enter(hub: &'h Hub) -> Self {
        let count = hub
            .in_flight
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        InFlight { hub, count }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.hub
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

pub(super) fn refund(hub: &Hub, identity: &Identity) {
    if let Some(used) = hub.world().rate_used.get_mut(&identity.describe()) {
        *used = used.saturating_sub(1);
    }
}

pub(super) fn with_rate_headers(
    hub: &Hub,
    identity: &Identity,
    mut response: Response,
) -> Response {
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
pub(super) async fn conditional(
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

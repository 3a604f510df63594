//! A `Session`: GitHub as one piece of work sees it (one installation,
//! one deadline), and its one way to send a request: retries, rate-limit
//! waits, conditional reads, pages, and writes paced and serialized.

use super::*;

/// GitHub as one piece of work (a delivery, a reconcile) sees it: one
/// installation's credentials and the deadline for all its requests.
#[derive(Clone)]
pub struct Session {
    pub(super) octo: Arc<Octocrab>,
    /// For metrics: whose rate limit the answers report.
    pub(super) installation: Option<u64>,
    pub(super) deadline: Instant,
    pub(super) client: GitHub,
}

/// A raw answer.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
}

impl Answer {
    pub(super) fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).map_err(|e| GitHubError::Decode(e.to_string()))
    }

    pub(super) fn etag(&self) -> Option<String> {
        self.headers
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    pub(super) fn message(&self) -> String {
        serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&self.body)
                    .chars()
                    .take(200)
                    .collect()
            })
    }
}

impl Session {
    /// Sends one request, retrying as the policy says.
    pub(super) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        if_none_match: Option<&str>,
    ) -> Result<Answer> {
        let policy = &self.client.inner.policy;
        let mut backoff = policy.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self
                .send_once(method.clone(), path, body, if_none_match)
                .await;
            let wait = match &outcome {
                Ok(answer) if answer.status.is_server_error() && attempt < policy.attempts => {
                    Some(backoff)
                }
                Ok(answer) if is_rate_limited(answer) => {
                    let wait = rate_limit_wait(&answer.headers).unwrap_or(backoff);
                    if pacing::patience().is_some_and(|p| wait > p) {
                        return Err(GitHubError::Deferred(wait));
                    }
                    if Instant::now() + wait > self.deadline {
                        return Err(GitHubError::RateLimited(wait));
                    }
                    tracing::warn!(?wait, path, "rate limited by GitHub; waiting as asked");
                    Some(wait)
                }
                Ok(_) => None,
                // GitHub's own answers (an unknown installation's 404 when
                // asking for its token, say) are final; only the network is
                // worth trying again.
                Err(GitHubError::Transport(_)) if attempt < policy.attempts => Some(backoff),
                Err(_) => None,
            };
            match wait {
                Some(wait) if Instant::now() + wait <= self.deadline => {
                    tracing::debug!(attempt, ?wait, path, "retrying GitHub request");
                    tokio::time::sleep(wait).await;
                    backoff = backoff.saturating_mul(2);
                }
                _ => {
                    let answer = outcome?;
                    if answer.status.is_client_error() || answer.status.is_server_error() {
                        return Err(GitHubError::Status {
                            status: answer.status.as_u16(),
                            message: answer.message(),
                            request: format!("{method} {path}"),
                        });
                    }
                    return Ok(answer);
                }
            }
        }
    }

    pub(super) async fn send_once(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        if_none_match: Option<&str>,
    ) -> Result<Answer> {
        let method_name = method.to_string();
        let method_name = method_name.as_str();
        let mut builder = Request::builder()
            .method(method.clone())
            // Relative: octocrab adds its base URI, and only then the
            // credentials (it never sends them to another host).
            .uri(path)
            .header(header::ACCEPT, "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28");
        if let Some(tag) = if_none_match.and_then(|t| HeaderValue::from_str(t).ok()) {
            builder = builder.header(header::IF_NONE_MATCH, tag);
        }
        let request = self
            .octo
            .build_request(builder, body)
            .map_err(|e| GitHubError::Transport(e.to_string()))?;
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let response = tokio::time::timeout(
            remaining.max(Duration::from_millis(1)),
            self.octo.execute(request),
        )
        .await
        .map_err(|_| GitHubError::Transport(format!("{method_name} {path} timed out")))?
        .map_err(|e| self.octocrab_error(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        crate::metrics::github_request(method_name, path, status.as_u16());
        if let Some(remaining) = headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
        {
            crate::metrics::rate_limit_remaining(self.installation, remaining);
        }
        let body = self
            .octo
            .body_to_string(response)
            .await
            .map_err(|e| GitHubError::Transport(error_text(&e)))?;
        Ok(Answer {
            status,
            headers,
            body: body.into_bytes(),
        })
    }

    pub(super) async fn get_json(&self, path: &str) -> Result<Value> {
        self.send(Method::GET, path, None, None).await?.json()
    }

    /// A GET answered in a shape of the caller's: the fields it reads,
    /// typed, and a clear error when they are not there.
    pub(super) async fn typed<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        let value = self.get_json(path).await?;
        serde_json::from_value(value).map_err(|e| GitHubError::Decode(format!("{path}: {e}")))
    }

    /// A conditional GET: 304 and 404 are answers, not errors.
    pub(super) async fn get_conditional(
        &self,
        path: &str,
        etag: Option<&str>,
    ) -> Result<Fetched<Value>> {
        match self.send(Method::GET, path, None, etag).await {
            Ok(answer) if answer.status == StatusCode::NOT_MODIFIED => Ok(Fetched::NotModified),
            Ok(answer) => Ok(Fetched::Found {
                value: answer.json()?,
                etag: answer.etag(),
            }),
            Err(GitHubError::Status { status: 404, .. }) => Ok(Fetched::Missing),
            Err(error) => Err(error),
        }
    }

    /// Every item of a paginated list, following `Link: rel="next"` for at
    /// most `max_pages` pages of 100.
    pub(super) async fn all_pages(&self, url: &str, max_pages: u32) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let separator = if url.contains('?') { '&' } else { '?' };
        for page in 1..=max_pages {
            let answer = self
                .send(
                    Method::GET,
                    &format!("{url}{separator}per_page=100&page={page}"),
                    None,
                    None,
                )
                .await?;
            match answer.json()? {
                Value::Array(page_items) => items.extend(page_items),
                _ => return Err(GitHubError::Decode(format!("{url} did not answer a list"))),
            }
            let has_next = answer
                .headers
                .get(header::LINK)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|link| link.contains("rel=\"next\""));
            if !has_next {
                break;
            }
        }
        Ok(items)
    }

    /// Runs `write` paced within GitHub's secondary limits for this
    /// installation, and with this repository's writes serialized, as
    /// GitHub asks of integrators.
    pub(super) async fn write<T>(
        &self,
        repo: &RepoName,
        write: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        // The slot is reserved once this write is next for its repository,
        // so it goes out at its slot: reserved first and sent after other
        // writes queued here, a write would arrive late, and with several
        // replicas one's late writes and another's on-time ones would meet
        // in one of GitHub's minutes.
        let lock = self.client.write_lock(repo);
        let _guard = lock.lock().await;
        let now = Instant::now();
        let patience = pacing::patience();
        let slot = match self.client.inner.shared_budget.get() {
            Some(budget) => {
                let reserved = budget
                    .reserve(self.installation, patience)
                    .await
                    .map_err(|e| GitHubError::Transport(e.to_string()))?;
                reserved.map(|wait| now + wait).map_err(|wait| now + wait)
            }
            None => self
                .client
                .inner
                .pacers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(self.installation)
                .or_default()
                .reserve_within(now, patience),
        };
        let slot = match slot {
            Ok(slot) => slot,
            Err(slot) => {
                crate::metrics::deferred();
                return Err(GitHubError::Deferred(slot - now));
            }
        };
        if slot > now {
            if slot > self.deadline {
                return Err(GitHubError::RateLimited(slot - now));
            }
            crate::metrics::paced(slot - now);
            tracing::debug!(wait = ?(slot - now), "pacing a write to stay inside GitHub's secondary limits");
            tokio::time::sleep_until(slot).await;
        }
        write.await
    }
}

pub(super) fn is_rate_limited(answer: &Answer) -> bool {
    let remaining_zero = answer
        .headers
        .get("x-ratelimit-remaining")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "0");
    answer.status == StatusCode::TOO_MANY_REQUESTS
        || (answer.status == StatusCode::FORBIDDEN
            && (answer.headers.contains_key(header::RETRY_AFTER) || remaining_zero))
}

/// How long GitHub asks us to wait: `Retry-After`, or until the reset.
pub(super) fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if let Some(seconds) = number("retry-after") {
        return Some(Duration::from_secs(seconds));
    }
    let reset = number("x-ratelimit-reset")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
}

impl Session {
    /// An octocrab error as ours. octocrab hands back the request's own
    /// answer whatever its status, so a GitHub answer as an error is the
    /// one it got fetching this installation's token: an installation
    /// GitHub does not know (any more), its own outcome. The rest is
    /// transport.
    pub(super) fn octocrab_error(&self, error: &octocrab::Error) -> GitHubError {
        match (error, self.installation) {
            (octocrab::Error::GitHub { source, .. }, Some(installation)) => {
                GitHubError::Installation {
                    installation,
                    status: source.status_code.as_u16(),
                    message: source.message.clone(),
                }
            }
            (octocrab::Error::GitHub { source, .. }, None) => GitHubError::Status {
                status: source.status_code.as_u16(),
                message: source.message.clone(),
                request: "the token".to_owned(),
            },
            (other, _) => GitHubError::Transport(error_text(other)),
        }
    }
}

/// octocrab's errors, without backtraces.
pub(super) fn error_text(error: &octocrab::Error) -> String {
    match error {
        octocrab::Error::GitHub { source, .. } => {
            format!("{} ({})", source.message, source.status_code)
        }
        octocrab::Error::Hyper { source, .. } => source.to_string(),
        octocrab::Error::Service { source, .. } => source.to_string(),
        other => {
            let text = other.to_string();
            text.lines().next().unwrap_or_default().to_owned()
        }
    }
}

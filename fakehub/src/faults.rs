//! Injected faults: the next N requests matching a method and a path
//! pattern answer a given status, wait, or lose their connection.

use serde::{Deserialize, Serialize};

/// A fault to inject. `path` is matched against the request path; `*`
/// matches any run of characters (`/repos/*/issues/*/labels`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Fault {
    /// `GET`, `POST`, …; any method when absent.
    #[serde(default)]
    pub method: Option<String>,
    pub path: String,
    /// How many matching requests it affects.
    #[serde(default = "one")]
    pub times: u32,
    /// Answer this status instead of serving the request.
    #[serde(default)]
    pub status: Option<u16>,
    /// With `status`: a `Retry-After` header, in seconds.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// With `status`: answer as a spent primary rate limit
    /// (`x-ratelimit-remaining: 0`, reset this many seconds from now).
    #[serde(default)]
    pub rate_limit_reset_in: Option<u64>,
    /// With `status`: the error message.
    #[serde(default)]
    pub message: Option<String>,
    /// Wait this long before serving (or failing) the request.
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// Close the connection without a complete answer.
    #[serde(default)]
    pub drop_connection: bool,
}

fn one() -> u32 {
    1
}

/// One matching request, of any method, on no path until one is set.
impl Default for Fault {
    fn default() -> Self {
        Fault {
            method: None,
            path: String::new(),
            times: 1,
            status: None,
            retry_after: None,
            rate_limit_reset_in: None,
            message: None,
            latency_ms: None,
            drop_connection: false,
        }
    }
}

impl Fault {
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.times > 0
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && wildcard_match(&self.path, path)
    }
}

/// `*` matches any run of characters, everything else itself.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, rest) = (parts[0], &parts[1..]);
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    for (i, part) in rest.iter().enumerate() {
        let last = i == rest.len() - 1;
        if last {
            return remaining.ends_with(part);
        }
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards() {
        assert!(wildcard_match(
            "/repos/*/issues/*/labels",
            "/repos/a/b/issues/3/labels"
        ));
        assert!(!wildcard_match(
            "/repos/*/issues/*/labels",
            "/repos/a/b/issues/3/labels/x"
        ));
        assert!(wildcard_match("*", "/anything"));
        assert!(wildcard_match("/rate_limit", "/rate_limit"));
        assert!(!wildcard_match("/rate_limit", "/rate_limits"));
    }
}

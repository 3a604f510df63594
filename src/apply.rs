//! The doing step: turns a plan into GitHub writes. The only writer.
//!
//! It writes only what would change something: labels the fresh read shows
//! missing were already filtered by the plan, and the cc line is merged into
//! the body as read right before the write, so another tool's edit made
//! since the webhook was sent survives. Races it accepts: an edit landing
//! between that read and our write is overwritten, as on GitHub's own UI.

use crate::cc_line::{self, Exclude};
use crate::event::ItemEvent;
use crate::github::{Api, GitHubError, ItemSnapshot};
use crate::plan::Action;

/// One write made, described for logs and the demo transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write(pub String);

/// Applies `actions` to the item of `item`. `fresh` is the item as read
/// just before; needed for `Cc`.
pub async fn apply(
    api: &Api,
    item: &ItemEvent,
    actions: &[Action],
    fresh: Option<&ItemSnapshot>,
    bot: &str,
) -> Result<Vec<Write>, GitHubError> {
    let mut writes = Vec::new();
    for action in actions {
        match action {
            Action::AddLabels { labels } => {
                api.add_labels(&item.repo, item.number, labels).await?;
                writes.push(Write(action.to_string()));
            }
            Action::Cc { users } => {
                let Some(fresh) = fresh else {
                    continue;
                };
                let exclude = Exclude {
                    author: &fresh.author,
                    bot,
                };
                if let Some(body) = cc_line::merge(&fresh.body, users, exclude) {
                    api.set_body(&item.repo, item.number, &body).await?;
                    writes.push(Write(action.to_string()));
                }
            }
            Action::CheckRun(run) => {
                api.create_check_run(&item.repo, run).await?;
                writes.push(Write(action.to_string()));
            }
        }
    }
    Ok(writes)
}

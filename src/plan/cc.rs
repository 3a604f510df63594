//! Whom to CC: the subscribers of every label the item carries once the
//! plan's labels are added. Level-based: the cc line merge makes repeating
//! it harmless, so it is planned on every arrival and every label.

use super::{is_arrival, is_pull_request, Ruleset};
use crate::event::{ItemAction, ItemEvent};
use crate::subscriptions::Subscriptions;

/// Whether CC applies to this event at all, so the shell should load the
/// tracking issue.
pub(super) fn wanted(item: &ItemEvent, rules: &Ruleset) -> bool {
    let Some(cc) = &rules.rules.cc else {
        return false;
    };
    let kind_enabled = if is_pull_request(item) {
        cc.pull_requests
    } else {
        cc.issues
    };
    // A push can add path labels, and their subscribers must hear of it
    // now: the bot ignores the `labeled` events of its own writes.
    let labels_may_change = is_arrival(item)
        || matches!(item.action, ItemAction::Labeled(_))
        || super::labels::wants_changed_files(item, rules);
    kind_enabled && labels_may_change
}

/// Subscribers to CC, in label order then tracking-issue order, each once,
/// never the author or the bot.
pub(super) fn users(
    item: &ItemEvent,
    added: &[String],
    rules: &Ruleset,
    subscriptions: &Subscriptions,
    bot: &str,
) -> Vec<String> {
    if !wanted(item, rules) {
        return Vec::new();
    }
    let mut users: Vec<String> = Vec::new();
    for label in item.labels.iter().chain(added) {
        for user in subscriptions.subscribers(label) {
            let skip = user.eq_ignore_ascii_case(&item.author)
                || user.eq_ignore_ascii_case(bot)
                || users.iter().any(|u| u.eq_ignore_ascii_case(user));
            if !skip {
                users.push(user.clone());
            }
        }
    }
    users
}

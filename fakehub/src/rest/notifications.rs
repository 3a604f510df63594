//! `GET /notifications`: a user's notification threads, as GitHub lists
//! them (one per item, the latest reason). Only a user's own token reads
//! them; installations get 403, as on GitHub.

use super::*;

pub(super) async fn list_notifications(
    State(hub): Shared,
    Extension(who): Who,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(request_uri): axum::extract::OriginalUri,
) -> ApiResult {
    let Identity::User(login) = who else {
        return Err(ApiError::new(403, "Resource not accessible by integration"));
    };
    let world = hub.world();
    // The newest notification of each thread, newest thread first.
    let mut threads: Vec<&crate::state::Notification> = Vec::new();
    for notification in world.notifications.iter().rev() {
        let same_thread = |t: &&crate::state::Notification| {
            t.repo == notification.repo && t.number == notification.number
        };
        if notification.user.eq_ignore_ascii_case(&login) && !threads.iter().any(same_thread) {
            threads.push(notification);
        }
    }
    let items = threads
        .into_iter()
        .map(|n| shapes::notification(&world, n))
        .collect();
    Ok(paginate(items, &page, &world.base_url, &request_uri))
}

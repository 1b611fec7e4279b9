//! A sign-in session can end (logout, a reused refresh token) while sockets it opened are still
//! open. Requests check their session each time; a socket instead watches its session and is
//! closed when it ends, on whichever instance it is open.

use futures_util::Stream;
use futures_util::stream;
use tokio::sync::broadcast::error::RecvError;

use crate::db::sessions::SessionFeed;
use crate::db::{Db, DbError};

/// What a socket closed for its session says to its client.
pub(crate) const SESSION_ENDED: &str = "the session has ended: sign in again";

/// Whether `session_id` is live and still `user_id`'s.
pub(crate) async fn signed_in(db: &Db, session_id: &str, user_id: &str) -> Result<bool, DbError> {
    Ok(db
        .live_session(session_id)
        .await?
        .is_some_and(|session| session.user_id == user_id))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionNews {
    /// The session was revoked.
    Ended,
    /// News may have been missed: ask the database with [`signed_in`].
    Unsure,
}

/// News of `session_id`, from the moment of this call. It starts with [`SessionNews::Unsure`]:
/// the session may have ended between the check that let the socket open and this call.
pub(crate) fn watch(db: &Db, session_id: String) -> impl Stream<Item = SessionNews> + 'static {
    let feed = db.subscribe_session_ends();
    let later = stream::unfold((feed, session_id), |(mut feed, id)| async move {
        loop {
            let news = match feed.recv().await {
                Ok(SessionFeed::Ended { session_id }) if session_id == id => SessionNews::Ended,
                Ok(SessionFeed::Ended { .. }) => continue,
                Ok(SessionFeed::Gap) | Err(RecvError::Lagged(_)) => SessionNews::Unsure,
                Err(RecvError::Closed) => return None,
            };
            return Some((news, (feed, id)));
        }
    });
    futures_util::StreamExt::chain(stream::iter([SessionNews::Unsure]), later)
}

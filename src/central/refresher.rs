//! Keeps a fresh token published for the Batcher and the Senders: refreshes it when due, keeps
//! the last good one while AxwayID is failing, and retries with backoff.

use super::token::{Token, TokenError, TokenSource};
use crate::pipeline::Backoff;
use crate::telemetry::{ActorState, StatusHandle};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The current token, `None` when Central authentication is off.
pub type TokenWatch = watch::Receiver<Option<Arc<Token>>>;

/// A watch that never holds a token: events go without `fields.token`.
pub fn no_token() -> TokenWatch {
    watch::channel(None).1
}

/// Gets the first token, retrying with backoff while AxwayID is unreachable or answers badly; a
/// refusal (wrong client id or key) is returned at once: retrying will not fix it.
pub async fn first_token(source: &TokenSource, status: &StatusHandle) -> Result<Arc<Token>, TokenError> {
    let mut retry = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    loop {
        match source.token().await {
            Ok(token) => return Ok(token),
            Err(e) if e.is_refusal() => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "no AxwayID token yet; nothing is sent until one is obtained");
                status.fail(e.to_string());
                tokio::time::sleep(retry.next_wait()).await;
            }
        }
    }
}

/// Publishes `first`, then refreshes it in the background until every receiver is dropped.
pub fn start_refresher(source: Arc<TokenSource>, first: Arc<Token>, status: StatusHandle) -> TokenWatch {
    let (tx, rx) = watch::channel(Some(first));
    status.set(ActorState::Running);
    tokio::spawn(async move {
        let mut retry = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        loop {
            let due = tokio::time::Instant::from_std(source.refresh_due().await);
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = tx.closed() => return,
            }
            match source.token().await {
                Ok(token) => {
                    retry.reset();
                    status.set(ActorState::Running);
                    tx.send_replace(Some(token));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot refresh the AxwayID token; events keep the last one until this succeeds");
                    status.fail(e.to_string());
                    tokio::select! {
                        _ = tokio::time::sleep(retry.next_wait()) => {}
                        _ = tx.closed() => return,
                    }
                }
            }
        }
    });
    rx
}

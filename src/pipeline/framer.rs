//! Frames windows (Lumberjack `W` + `J`/`C` frames) with the current Central token stamped into
//! each event's `fields.token`, and tells whether a window was framed with an older token.

use crate::central::{no_token, TokenWatch};
use crate::lumberjack::encode_window_with;
use bytes::Bytes;

/// Shared by the Batcher (first framing) and the Senders (re-framing after a token refresh, a
/// partial ACK or a slow-start split).
#[derive(Debug, Clone)]
pub struct Framer {
    compression_level: u32,
    token: TokenWatch,
}

impl Framer {
    pub fn new(compression_level: u32, token: TokenWatch) -> Framer {
        Framer { compression_level, token }
    }

    /// No token: events go as built.
    pub fn plain(compression_level: u32) -> Framer {
        Framer::new(compression_level, no_token())
    }

    /// The generation of the current token, 0 without one.
    pub fn generation(&self) -> u64 {
        self.token.borrow().as_ref().map_or(0, |t| t.generation)
    }

    /// The window's bytes and the token generation they carry.
    pub fn frame(&self, events: &[Bytes]) -> (Bytes, u64) {
        if events.is_empty() {
            return (Bytes::new(), self.generation());
        }
        let token = self.token.borrow().clone();
        let member = token.as_ref().map(|t| crate::event::token_member(t.expose()));
        let generation = token.as_ref().map_or(0, |t| t.generation);
        (encode_window_with(events, self.compression_level, member.as_deref()), generation)
    }
}

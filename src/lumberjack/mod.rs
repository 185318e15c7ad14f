//! Lumberjack v2 (Beats protocol): frame codec, client connection and a scriptable receiver.
//!
//! The protocol facts this follows are in `shared/notes/lumberjack-v2.md`: a window frame, then one
//! compressed frame holding *all* the window's JSON frames (go-lumber servers read a `C` frame until
//! the window is full), sequence numbers restarting at 1 per window, cumulative ACKs, ACK(0) as keepalive.

pub mod client;
pub mod frame;
pub mod receiver;

#[cfg(test)]
mod tests;

pub use client::{ConnectError, Connection, SendError};
pub use frame::{encode_window, encode_window_with, Frame, FrameDecoder, FrameError};
pub use receiver::{ReceivedEvent, Receiver, ReceiverHandle, Reply};

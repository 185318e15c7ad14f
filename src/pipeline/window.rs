//! The Sender's bookkeeping, free of I/O: windows in flight in send order, how ACKs advance them,
//! what is resent after a failure, and slow start (the window size that grows on success).

use super::Framer;
use super::{Batch, Checkpoint};
use bytes::Bytes;
use std::collections::VecDeque;

/// One Lumberjack window: events numbered 1..=N on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub events: Vec<Bytes>,
    pub wire: Bytes,
    /// Completed by this window; forwarded once it and everything before it is acknowledged.
    pub checkpoints: Vec<Checkpoint>,
    /// Written on the current connection.
    pub written: bool,
    /// Events 1..=acked acknowledged so far.
    pub acked: u32,
    /// Set on the last window of a batch: its completion completes the batch.
    pub batch_id: Option<u64>,
    /// Generation of the Central token stamped into `wire`.
    pub generation: u64,
}

impl Window {
    pub fn count(&self) -> u32 {
        self.events.len() as u32
    }
}

/// What one ACK frame meant.
#[derive(Debug, PartialEq, Eq)]
pub enum AckOutcome {
    /// ACK(0): the receiver is alive but has not finished.
    Keepalive,
    /// Part of the front window is done.
    Partial,
    /// The front window is done; here it is (with the checkpoint-only windows behind it).
    Completed(Vec<Window>),
    /// An ACK no window explains: the connection must be dropped.
    Protocol { ack: u32, count: u32 },
}

/// Windows in send order. ACKs always apply to the first written window.
#[derive(Debug, Default)]
pub struct InFlight {
    windows: VecDeque<Window>,
}

impl InFlight {
    pub fn push(&mut self, w: Window) {
        self.windows.push_back(w);
    }
    pub fn len(&self) -> usize {
        self.windows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
    /// Windows written and not yet fully acknowledged.
    pub fn written(&self) -> usize {
        self.windows.iter().filter(|w| w.written).count()
    }
    /// The next window to write, if any.
    pub fn next_unwritten(&mut self) -> Option<&mut Window> {
        self.windows.iter_mut().find(|w| !w.written && w.count() > 0)
    }
    /// Leading windows that carry only checkpoints: done as soon as they reach the front.
    pub fn take_done(&mut self) -> Vec<Window> {
        let mut done = Vec::new();
        while self.windows.front().is_some_and(|w| w.count() == 0) {
            done.extend(self.windows.pop_front());
        }
        done
    }

    pub fn on_ack(&mut self, ack: u32) -> AckOutcome {
        let Some(front) = self.windows.front_mut().filter(|w| w.written) else {
            return if ack == 0 { AckOutcome::Keepalive } else { AckOutcome::Protocol { ack, count: 0 } };
        };
        let count = front.count();
        match ack {
            0 => AckOutcome::Keepalive,
            n if n > count => AckOutcome::Protocol { ack: n, count },
            n if n == count => {
                let mut done = vec![self.windows.pop_front().expect("front exists")];
                done.extend(self.take_done());
                AckOutcome::Completed(done)
            }
            n => {
                front.acked = front.acked.max(n);
                AckOutcome::Partial
            }
        }
    }

    /// After a failed connection: nothing is written any more; the front window keeps only its
    /// unacknowledged tail, re-framed from sequence 1. Returns how many events were acknowledged
    /// in that front window before the failure.
    pub fn on_failure(&mut self, framer: &Framer) -> u32 {
        let mut acked = 0;
        if let Some(front) = self.windows.front_mut().filter(|w| w.acked > 0) {
            acked = front.acked;
            front.events.drain(..acked as usize);
            (front.wire, front.generation) = framer.frame(&front.events);
            front.acked = 0;
        }
        for w in &mut self.windows {
            w.written = false;
        }
        acked
    }
}

/// Window size: fixed at `bulk_max_size`, or with slow start from 10, x1.5 after each fully
/// acknowledged window up to `bulk_max_size`, halved (min 1) after an error, as libbeat.
#[derive(Debug, Clone)]
pub struct WindowSizer {
    size: usize,
    max: usize,
    slow_start: bool,
}

impl WindowSizer {
    pub fn new(max: usize, slow_start: bool) -> WindowSizer {
        WindowSizer { size: if slow_start { 10.min(max) } else { max }, max, slow_start }
    }
    pub fn size(&self) -> usize {
        self.size
    }
    pub fn on_success(&mut self) {
        if self.slow_start {
            self.size = (self.size + self.size.div_ceil(2)).min(self.max);
        }
    }
    pub fn on_error(&mut self) {
        if self.slow_start {
            self.size = (self.size / 2).max(1);
        }
    }

    /// Cuts a batch into windows of the current size; the checkpoints go with the last one.
    /// A batch that fits keeps the framing the Batcher already did.
    pub fn split(&self, batch: Batch, framer: &Framer) -> Vec<Window> {
        let id = batch.id;
        let window = |events: Vec<Bytes>, (wire, generation): (Bytes, u64), checkpoints, last: bool| Window {
            events,
            wire,
            checkpoints,
            written: false,
            acked: 0,
            batch_id: last.then_some(id),
            generation,
        };
        if batch.events.len() <= self.size {
            return vec![window(batch.events, (batch.wire, batch.generation), batch.checkpoints, true)];
        }
        let chunks: Vec<Vec<Bytes>> = batch.events.chunks(self.size).map(<[Bytes]>::to_vec).collect();
        let last = chunks.len() - 1;
        let mut checkpoints = Some(batch.checkpoints);
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, events)| {
                let wire = framer.frame(&events);
                let checkpoints = if i == last { checkpoints.take().unwrap_or_default() } else { Vec::new() };
                window(events, wire, checkpoints, i == last)
            })
            .collect()
    }
}

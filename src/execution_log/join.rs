//! The bounded join of execution-log lines to access-log calls. Calls wait, chunk by chunk and in
//! order, until their request's `Method completed` line has been seen or `max_wait` has passed;
//! at most `max_pending` calls and `max_pending` requests' lines are held, and the oldest chunk is
//! let go early when more arrive. A chunk's checkpoint leaves with it, so nothing is checkpointed
//! before it is sent.

use super::ExecutionLine;
use crate::access_log::ApiCall;
use crate::pipeline::Checkpoint;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// `aws.execution_logs.*`
#[derive(Debug, Clone, Copy)]
pub struct JoinSettings {
    pub max_pending: usize,
    pub max_wait: Duration,
}

#[derive(Debug, Default)]
struct Lines {
    query: Option<Vec<(String, String)>>,
    request_headers: Option<Vec<(String, String)>>,
    response_headers: Option<Vec<(String, String)>>,
    completed: bool,
}

struct Waiting {
    calls: Vec<ApiCall>,
    checkpoint: Option<Checkpoint>,
    deadline: Instant,
}

/// Holds calls until their execution lines are in, within the bounds of [`JoinSettings`].
pub struct HeaderJoin {
    settings: JoinSettings,
    lines: HashMap<String, Lines>,
    /// Requests in the order their first line came, to expire and evict lines.
    arrivals: VecDeque<(String, Instant)>,
    queue: VecDeque<Waiting>,
    waiting_calls: usize,
    stats: JoinStats,
}

/// Calls let go since the last [`HeaderJoin::take_stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JoinStats {
    /// With their execution lines.
    pub joined: u64,
    /// Without: none came in time.
    pub without_lines: u64,
    /// Before `max_wait`, because `max_pending` was reached (also counted as joined or not).
    pub early: u64,
}

impl HeaderJoin {
    pub fn new(settings: JoinSettings) -> HeaderJoin {
        HeaderJoin {
            settings: JoinSettings { max_pending: settings.max_pending.max(1), ..settings },
            lines: HashMap::new(),
            arrivals: VecDeque::new(),
            queue: VecDeque::new(),
            waiting_calls: 0,
            stats: JoinStats::default(),
        }
    }

    pub fn max_wait(&self) -> Duration {
        self.settings.max_wait
    }

    /// The counts since the last call.
    pub fn take_stats(&mut self) -> JoinStats {
        std::mem::take(&mut self.stats)
    }

    /// Calls held now.
    pub fn waiting_calls(&self) -> usize {
        self.waiting_calls
    }

    /// Requests whose lines are held now.
    pub fn held_requests(&self) -> usize {
        self.lines.len()
    }

    /// Records one execution-log line.
    pub fn add_line(&mut self, request_id: &str, line: ExecutionLine, now: Instant) {
        self.expire_lines(now);
        if !self.lines.contains_key(request_id) {
            while self.lines.len() >= self.settings.max_pending {
                let Some((oldest, _)) = self.arrivals.pop_front() else { break };
                self.lines.remove(&oldest);
            }
            self.arrivals.push_back((request_id.to_string(), now));
        }
        let entry = self.lines.entry(request_id.to_string()).or_default();
        match line {
            ExecutionLine::Query(q) => entry.query = Some(q),
            ExecutionLine::RequestHeaders(h) => entry.request_headers = Some(h),
            ExecutionLine::ResponseHeaders(h) => entry.response_headers = Some(h),
            ExecutionLine::Completed => entry.completed = true,
        }
    }

    /// Queues the calls of one access-log chunk (possibly none, for its checkpoint alone).
    pub fn add_calls(&mut self, calls: Vec<ApiCall>, checkpoint: Option<Checkpoint>, now: Instant) {
        self.waiting_calls += calls.len();
        self.queue.push_back(Waiting { calls, checkpoint, deadline: now + self.settings.max_wait });
    }

    /// The chunks ready at `now`, in order: complete, timed out, or pushed out by `max_pending`.
    pub fn release(&mut self, now: Instant) -> Vec<(Vec<ApiCall>, Option<Checkpoint>)> {
        self.expire_lines(now);
        let mut out = Vec::new();
        while let Some(front) = self.queue.front() {
            let over = self.waiting_calls > self.settings.max_pending;
            let complete = front.calls.iter().all(|c| self.lines.get(&c.request_id).is_some_and(|l| l.completed));
            if !(complete || now >= front.deadline || over) {
                break;
            }
            let w = self.queue.pop_front().expect("front exists");
            if over && !complete && now < w.deadline {
                self.stats.early += w.calls.len() as u64;
            }
            out.push(self.merge(w));
        }
        out
    }

    /// Everything held, e.g. at shutdown.
    pub fn release_all(&mut self) -> Vec<(Vec<ApiCall>, Option<Checkpoint>)> {
        let all: Vec<Waiting> = self.queue.drain(..).collect();
        all.into_iter().map(|w| self.merge(w)).collect()
    }

    fn merge(&mut self, w: Waiting) -> (Vec<ApiCall>, Option<Checkpoint>) {
        self.waiting_calls -= w.calls.len();
        let mut calls = w.calls;
        for call in &mut calls {
            match self.lines.remove(&call.request_id) {
                Some(l) => {
                    self.stats.joined += 1;
                    call.query = l.query.unwrap_or_default();
                    call.request_headers = l.request_headers.unwrap_or_default();
                    call.response_headers = l.response_headers.unwrap_or_default();
                }
                None => self.stats.without_lines += 1,
            }
        }
        (calls, w.checkpoint)
    }

    /// Lines whose call never came (filtered, sampled, rejected) are dropped after twice `max_wait`:
    /// a call waits at most `max_wait` itself and at most `max_wait` behind the chunks before it.
    fn expire_lines(&mut self, now: Instant) {
        let keep_for = self.settings.max_wait * 2;
        while let Some((id, at)) = self.arrivals.front() {
            if now.saturating_duration_since(*at) < keep_for && self.arrivals.len() <= self.settings.max_pending {
                break;
            }
            // Lines already taken by a call leave a stale arrival behind: skip it.
            self.lines.remove(id.as_str());
            self.arrivals.pop_front();
        }
    }
}

//! Reads one log group with FilterLogEvents over windows [start, now - latency], following
//! `nextToken` until it is absent (pages can be empty while more remains).

use super::{LogSource, SourceError, Step};
use crate::aws::RateLimits;
use crate::config::{PollConfig, StartPosition};
use crate::pipeline::{Checkpoint, LogChunk, LogRecord};
use crate::telemetry::Metrics;
use aws_sdk_cloudwatchlogs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// CloudWatch Logs accepts events up to 14 days older than their ingestion.
const MAX_EVENT_AGE_MS: i64 = 14 * 24 * 3600 * 1000;

#[derive(Debug)]
struct Window {
    start: i64,
    end: i64,
    token: Option<String>,
    records: usize,
    /// Narrowed once already (see `next`).
    narrowed: bool,
}

/// Reader of one log group.
pub struct CloudWatchSource {
    client: aws_sdk_cloudwatchlogs::Client,
    group: Arc<str>,
    next_start_ms: Option<i64>,
    start_position: StartPosition,
    latency_ms: i64,
    max_window_ms: i64,
    /// Windows grow while they come back empty (no rework to bound there) and reset on data.
    span_ms: i64,
    page_size: i32,
    window: Option<Window>,
    metrics: Metrics,
    overlap_ms: i64,
    /// eventIds read with timestamps inside the overlap of the next window.
    seen: Dedupe,
    limits: RateLimits,
    /// `aws.log_streams` / `aws.log_stream_prefix` (FilterLogEvents takes one or the other).
    streams: Vec<String>,
    stream_prefix: Option<String>,
}

impl CloudWatchSource {
    /// `resume_from` is the checkpoint, if any; otherwise `poll.start_position` decides.
    pub fn new(
        client: aws_sdk_cloudwatchlogs::Client,
        group: &str,
        resume_from: Option<i64>,
        poll: &PollConfig,
        metrics: Metrics,
    ) -> Self {
        let max_window_ms = poll.max_window.get().as_millis().max(1) as i64;
        CloudWatchSource {
            client,
            group: group.into(),
            next_start_ms: resume_from,
            start_position: poll.start_position,
            latency_ms: poll.latency.get().as_millis() as i64,
            max_window_ms,
            span_ms: max_window_ms,
            page_size: poll.page_size as i32,
            window: None,
            metrics,
            overlap_ms: poll.overlap.get().as_millis() as i64,
            seen: Dedupe::new(poll.dedupe_capacity),
            limits: RateLimits::unlimited(),
            streams: Vec::new(),
            stream_prefix: None,
        }
    }

    /// Reads only these streams, or the streams starting with `prefix`.
    pub fn with_streams(mut self, streams: &[String], prefix: &str) -> Self {
        self.streams = streams.to_vec();
        self.stream_prefix = Some(prefix.to_string()).filter(|p| !p.is_empty());
        self
    }

    /// Shares these API rate limits (`aws.rate_limits`) with the other readers.
    pub fn with_rate_limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }

    fn aws_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
        &self,
        api: &'static str,
        e: SdkError<E>,
    ) -> SourceError {
        aws_error(api, &self.group, e, &self.metrics)
    }

    /// Without a checkpoint: `end` is now; `beginning` is the oldest event the group can hold,
    /// 14 days before the group was created.
    async fn initial_start(&self) -> Result<i64, SourceError> {
        match self.start_position {
            StartPosition::End => return Ok(now_ms() - self.latency_ms),
            StartPosition::At(ms) => return Ok(ms),
            StartPosition::Beginning => {}
        }
        self.limits.describe_log_groups.acquire_counted(&self.metrics).await;
        let resp = self.client.describe_log_groups().log_group_name_prefix(self.group.as_ref()).send().await;
        let resp = resp.map_err(|e| self.aws_error("DescribeLogGroups", e))?;
        self.metrics.aws_request("DescribeLogGroups", "ok");
        let created = resp
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(self.group.as_ref()))
            .map(|g| g.creation_time().unwrap_or(0))
            .ok_or_else(|| SourceError::Aws {
                api: "DescribeLogGroups",
                log_group: self.group.to_string(),
                message: "ResourceNotFoundException: the log group does not exist".into(),
                throttled: false,
            })?;
        Ok((created - MAX_EVENT_AGE_MS).max(0))
    }
}

impl LogSource for CloudWatchSource {
    fn log_group(&self) -> &Arc<str> {
        &self.group
    }

    async fn next(&mut self) -> Result<Step, SourceError> {
        if self.window.is_none() {
            let start = match self.next_start_ms {
                Some(s) => s,
                None => {
                    let s = self.initial_start().await?;
                    self.next_start_ms = Some(s);
                    s
                }
            };
            let newest = now_ms() - self.latency_ms;
            if start > newest {
                return Ok(Step::CaughtUp);
            }
            let end = newest.min(start.saturating_add(self.span_ms - 1));
            self.window = Some(Window { start, end, token: None, records: 0, narrowed: false });
        }
        let _slot = self.limits.read_slot().await;
        self.limits.filter_log_events.acquire_counted(&self.metrics).await;
        let w = self.window.as_ref().expect("window set above");
        let resp = self
            .client
            .filter_log_events()
            .log_group_name(self.group.as_ref())
            .start_time((w.start - self.overlap_ms).max(0))
            .end_time(w.end)
            .limit(self.page_size)
            .set_next_token(w.token.clone())
            .set_log_stream_names(Some(self.streams.clone()).filter(|s| !s.is_empty()))
            .set_log_stream_name_prefix(self.stream_prefix.clone())
            .send()
            .await
            .map_err(|e| self.aws_error("FilterLogEvents", e))?;
        self.metrics.aws_request("FilterLogEvents", "ok");
        let mut records: Vec<LogRecord> = resp
            .events()
            .iter()
            .map(|e| LogRecord {
                event_id: e.event_id().unwrap_or_default().to_string(),
                timestamp_ms: e.timestamp().unwrap_or(0),
                message: e.message().unwrap_or_default().to_string(),
            })
            .collect();
        // A window widened over empty time that finds data is narrowed to `max_window` from its
        // first event and read again from its start: the position after a long empty stretch then
        // advances in `max_window` steps, which is what bounds the re-reading after a crash.
        let w = self.window.as_mut().expect("window set above");
        if w.token.is_none() && !w.narrowed && w.end - w.start + 1 > self.max_window_ms {
            if let Some(first) = records.iter().map(|r| r.timestamp_ms).min() {
                w.end = w.end.min(first.max(w.start).saturating_add(self.max_window_ms - 1));
                w.narrowed = true;
                self.span_ms = self.max_window_ms;
                return Ok(Step::Chunk(LogChunk {
                    log_group: self.group.clone(),
                    records: Vec::new(),
                    checkpoint: None,
                }));
            }
        }
        if self.overlap_ms > 0 {
            let before = records.len();
            records.retain(|r| self.seen.insert(&r.event_id, r.timestamp_ms));
            self.metrics.records_deduplicated(&self.group, before - records.len());
        }
        self.metrics.records_read(&self.group, records.len());
        let w = self.window.as_mut().expect("window set above");
        w.records += records.len();
        let next_token =
            resp.next_token().filter(|t| !t.is_empty() && Some(*t) != w.token.as_deref()).map(str::to_string);
        let checkpoint = match next_token {
            Some(token) => {
                w.token = Some(token);
                None
            }
            None => {
                let done = self.window.take().expect("window set above");
                self.span_ms = if done.records == 0 {
                    self.span_ms.saturating_mul(2).min(MAX_EVENT_AGE_MS * 8)
                } else {
                    self.max_window_ms
                };
                self.next_start_ms = Some(done.end + 1);
                if self.overlap_ms > 0 {
                    self.seen.forget_before(done.end + 1 - self.overlap_ms);
                }
                Some(Checkpoint { log_group: self.group.clone(), next_start_ms: done.end + 1 })
            }
        };
        Ok(Step::Chunk(LogChunk { log_group: self.group.clone(), records, checkpoint }))
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_millis() as i64
}

/// A failed CloudWatch Logs call, counted, with AWS's error code when it gave one.
pub(super) fn aws_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    api: &'static str,
    log_group: &str,
    e: SdkError<E>,
    metrics: &Metrics,
) -> SourceError {
    let code = e.code().map(str::to_string);
    let throttled = code.as_deref() == Some("ThrottlingException");
    metrics.aws_request(api, if throttled { "throttled" } else { "error" });
    let message = match code {
        Some(code) => format!("{code}: {}", e.message().unwrap_or("no message")),
        None => DisplayErrorContext(&e).to_string(),
    };
    SourceError::Aws { api, log_group: log_group.to_string(), message, throttled }
}

/// The eventIds read whose timestamps fall in the next window's overlap, bounded in number.
#[derive(Debug)]
struct Dedupe {
    ids: std::collections::HashMap<String, i64>,
    capacity: usize,
}

impl Dedupe {
    fn new(capacity: usize) -> Dedupe {
        Dedupe { ids: std::collections::HashMap::new(), capacity: capacity.max(1) }
    }

    /// False when `id` was read already.
    fn insert(&mut self, id: &str, timestamp_ms: i64) -> bool {
        if self.ids.contains_key(id) {
            return false;
        }
        if self.ids.len() >= self.capacity {
            // Full: forget the older half (a late event among them could then be sent twice).
            let mut times: Vec<i64> = self.ids.values().copied().collect();
            let mid = times.len() / 2;
            let cutoff = *times.select_nth_unstable(mid).1;
            self.ids.retain(|_, t| *t > cutoff);
            tracing::warn!(
                capacity = self.capacity,
                "aws.poll.dedupe_capacity reached; forgetting the oldest eventIds"
            );
        }
        self.ids.insert(id.to_string(), timestamp_ms);
        true
    }

    fn forget_before(&mut self, cutoff_ms: i64) {
        self.ids.retain(|_, t| *t >= cutoff_ms);
    }
}

//! Tests of execution-log parsing and of the bounded join, with time passed in by the test.

use super::*;
use crate::access_log::ApiCall;
use crate::pipeline::Checkpoint;
use std::time::{Duration, Instant};

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn the_lines_the_join_uses_parse_and_the_others_are_ignored() {
    let id = "c0ffee00-1111-4222-8333-444455556666";
    assert_eq!(
        parse_line(&format!("({id}) Method request headers: {{Accept=application/json, If-Modified-Since=Fri, 04 Dec 2026 14:44:25 GMT, X-Forwarded-For=198.51.100.7, 10.0.0.1, X-Trace=Root=1-abc}}")),
        Some((
            id,
            ExecutionLine::RequestHeaders(pairs(&[
                ("Accept", "application/json"),
                ("If-Modified-Since", "Fri, 04 Dec 2026 14:44:25 GMT"),
                ("X-Forwarded-For", "198.51.100.7, 10.0.0.1"),
                ("X-Trace", "Root=1-abc"),
            ]))
        ))
    );
    assert_eq!(
        parse_line(&format!("({id}) Method request query string: {{q=a b, limit=10}}")),
        Some((id, ExecutionLine::Query(pairs(&[("q", "a b"), ("limit", "10")]))))
    );
    assert_eq!(
        parse_line(&format!("({id}) Endpoint response headers: {{Content-Type=application/json}}")),
        Some((id, ExecutionLine::ResponseHeaders(pairs(&[("Content-Type", "application/json")]))))
    );
    assert_eq!(parse_line(&format!("({id}) Method completed with status: 200")), Some((id, ExecutionLine::Completed)));
    assert_eq!(
        parse_line(&format!("({id}) Method request headers: {{}}")),
        Some((id, ExecutionLine::RequestHeaders(vec![])))
    );
    // Truncated by CloudWatch at 1024 bytes: the cut pair is dropped.
    assert_eq!(
        parse_line(&format!("({id}) Method request headers: {{A=1, B=2, Cookie=abc12 [TRUNCATED]")),
        Some((id, ExecutionLine::RequestHeaders(pairs(&[("A", "1"), ("B", "2")]))))
    );
    for other in [
        format!("({id}) Extended Request Id: XyZ1aH3oFiAEJbQ="),
        format!("({id}) Method request body before transformations: {{\"a\":1}}"),
        "Method request headers: {A=1}".to_string(),
        "() Method completed with status: 200".to_string(),
        String::new(),
    ] {
        assert_eq!(parse_line(&other), None, "{other}");
    }
}

fn call(id: &str) -> ApiCall {
    ApiCall { request_id: id.into(), ..ApiCall::default() }
}

fn cp(ms: i64) -> Option<Checkpoint> {
    Some(Checkpoint { log_group: "/access".into(), next_start_ms: ms })
}

fn complete(join: &mut HeaderJoin, id: &str, now: Instant) {
    join.add_line(id, ExecutionLine::RequestHeaders(pairs(&[("Accept", id)])), now);
    join.add_line(id, ExecutionLine::ResponseHeaders(pairs(&[("Server", "x")])), now);
    join.add_line(id, ExecutionLine::Completed, now);
}

#[test]
fn calls_wait_in_order_for_their_lines_or_their_time() {
    let t0 = Instant::now();
    let mut join = HeaderJoin::new(JoinSettings { max_pending: 100, max_wait: Duration::from_secs(10) });
    // Lines may come before the call.
    complete(&mut join, "a", t0);
    join.add_calls(vec![call("a")], cp(1), t0);
    join.add_calls(vec![call("b"), call("c")], cp(2), t0);
    join.add_calls(vec![call("d")], cp(3), t0 + Duration::from_secs(5));
    let first = join.release(t0);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].0[0].request_headers, pairs(&[("Accept", "a")]));
    assert_eq!(first[0].1, cp(1));
    // d is complete, but waits behind b and c: order (and so checkpoints) is kept.
    complete(&mut join, "d", t0 + Duration::from_secs(6));
    complete(&mut join, "b", t0 + Duration::from_secs(6));
    assert!(join.release(t0 + Duration::from_secs(6)).is_empty());
    // c's lines never come: at its deadline it goes without them, and d follows.
    let rest = join.release(t0 + Duration::from_secs(10));
    assert_eq!(rest.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>(), vec![cp(2), cp(3)]);
    let (bc, d) = (&rest[0].0, &rest[1].0);
    assert_eq!((bc[0].request_headers.len(), bc[1].request_headers.len()), (1, 0));
    assert_eq!(d[0].response_headers, pairs(&[("Server", "x")]));
    assert_eq!((join.waiting_calls(), join.held_requests()), (0, 0));
    assert_eq!(join.take_stats(), JoinStats { joined: 3, without_lines: 1, early: 0 });
}

/// Execution lines missing for most calls: the join never holds more than `max_pending` calls or
/// requests' lines, lets every call go exactly once, in order, and joins those whose lines came.
#[test]
fn memory_stays_bounded_when_most_execution_lines_never_come() {
    let max_pending = 500;
    let mut join = HeaderJoin::new(JoinSettings { max_pending, max_wait: Duration::from_secs(30) });
    let t0 = Instant::now();
    let (mut released, mut with_headers, mut checkpoints) = (Vec::new(), 0, Vec::new());
    for chunk in 0..2_000u32 {
        let now = t0 + Duration::from_millis(chunk as u64);
        let ids: Vec<String> = (0..50).map(|i| format!("r{}", chunk * 50 + i)).collect();
        // One call in ten gets its lines, half of them before the call.
        for (i, id) in ids.iter().enumerate() {
            if i % 10 == 0 && i % 20 == 0 {
                complete(&mut join, id, now);
            }
        }
        join.add_calls(ids.iter().map(|id| call(id)).collect(), cp(chunk as i64), now);
        for (i, id) in ids.iter().enumerate() {
            if i % 10 == 0 && i % 20 != 0 {
                complete(&mut join, id, now);
            }
        }
        // Lines for requests whose call never comes (filtered out upstream).
        join.add_line(&format!("orphan-{chunk}"), ExecutionLine::Completed, now);
        for (calls, c) in join.release(now) {
            with_headers += calls.iter().filter(|c| !c.request_headers.is_empty()).count();
            released.extend(calls.into_iter().map(|c| c.request_id));
            checkpoints.push(c);
        }
        assert!(join.waiting_calls() <= max_pending + 50, "{} calls held", join.waiting_calls());
        assert!(join.held_requests() <= max_pending, "{} requests' lines held", join.held_requests());
    }
    for (calls, c) in join.release_all() {
        with_headers += calls.iter().filter(|c| !c.request_headers.is_empty()).count();
        released.extend(calls.into_iter().map(|c| c.request_id));
        checkpoints.push(c);
    }
    let expected: Vec<String> = (0..100_000).map(|i| format!("r{i}")).collect();
    assert_eq!(released, expected, "every call exactly once, in order");
    assert_eq!(checkpoints, (0..2_000).map(cp).collect::<Vec<_>>());
    let stats = join.take_stats();
    assert!(stats.early > 90_000, "pushed out early: {stats:?}");
    assert_eq!(stats.joined + stats.without_lines, 100_000);
    // Every call whose lines came was joined, whether they came before or after it.
    assert_eq!((stats.joined, with_headers), (10_000, 10_000));
}

//! Fuzzes the access-log parser (JSON and CLF) with arbitrary lines: it must never panic, and
//! whatever it accepts must have a request id and a valid HTTP status.
#![no_main]

#[path = "../../src/access_log/mod.rs"]
#[allow(dead_code)]
mod access_log;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    if let Ok(call) = access_log::parse(line, 1_796_395_465_000) {
        assert!(!call.request_id.is_empty(), "accepted a line without a request id: {line:?}");
        assert!((100..=599).contains(&call.status), "accepted status {} from {line:?}", call.status);
    }
});

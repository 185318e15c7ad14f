//! `demo --chaos`: the same traffic, but the receiver injects faults at random (seeded: partial
//! ACKs, closes, resets, keepalive storms, slow and silent ACKs, garbage) and the pipeline, run as
//! a child process, is killed with SIGKILL twice and restarted from its state file. The receiver
//! lives in this process, so it counts what every run delivered.

use super::{tally, DemoOptions, DemoReport};
use crate::lumberjack::{Receiver, Reply};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The faults, by name, with how often each was injected.
const FAULTS: [&str; 8] = [
    "partial ACK then close",
    "close",
    "ACK then reset",
    "keepalives",
    "slow ACK",
    "garbage",
    "silence",
    "keep then close",
];

/// splitmix64: the n-th window's fault depends only on the seed.
fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// About one window in four gets a fault.
fn chaos_reply(seed: u64, window: u64) -> (Reply, Option<usize>) {
    let r = mix(seed, window);
    match r % 100 {
        0..=74 => (Reply::AckAll, None),
        75..=78 => (Reply::AckPartialThenClose(1 + (r >> 8) as u32 % 100), Some(0)),
        79..=81 => (Reply::Close, Some(1)),
        82..=84 => (Reply::AckThenReset, Some(2)),
        85..=88 => (Reply::KeepalivesThenAck(5), Some(3)),
        89..=92 => (Reply::AckAfter(Duration::from_millis(100)), Some(4)),
        93..=95 => (Reply::Garbage, Some(5)),
        96..=97 => (Reply::Silent, Some(6)),
        _ => (Reply::KeepThenClose, Some(7)),
    }
}

/// Runs the chaos demo; `worker` is the command that runs one pipeline (this binary's hidden
/// `demo-worker`).
pub async fn run(opts: &DemoOptions, worker: &std::path::Path) -> anyhow::Result<DemoReport> {
    let counts: Arc<[AtomicU64; 8]> = Arc::new(Default::default());
    let (seed, injected) = (opts.seed, counts.clone());
    let receiver = Receiver::start(
        "127.0.0.1:0",
        None,
        Arc::new(move |w| {
            let (reply, fault) = chaos_reply(seed, w);
            if let Some(i) = fault {
                injected[i].fetch_add(1, Ordering::Relaxed);
            }
            reply
        }),
    )
    .await?;
    let dir = super::tempfile_dir()?;
    let state = dir.join("state.json");
    let spawn = || -> anyhow::Result<Child> {
        Ok(Command::new(worker)
            .args(["demo-worker", "--receiver", &receiver.host(), "--state", &state.display().to_string()])
            .args(["--records", &opts.records.to_string(), "--seed", &opts.seed.to_string()])
            // The faults make the pipeline warn at every window; say only what is worse.
            .env("LOG_LEVEL", std::env::var("LOG_LEVEL").unwrap_or_else(|_| "error".into()))
            .stdin(Stdio::null())
            .spawn()?)
    };
    let started = std::time::Instant::now();
    // Kill points, as shares of the events expected (two per record), jittered by the seed.
    let total = 2 * opts.records as usize;
    let points =
        [total * (20 + (mix(seed, u64::MAX) % 10) as usize) / 100, total * (50 + (mix(seed, 7) % 10) as usize) / 100];
    let mut crashes = 0;
    for point in points {
        let mut child = spawn()?;
        loop {
            if receiver.events().len() >= point {
                child.kill()?; // SIGKILL: no flush, no goodbye.
                child.wait()?;
                crashes += 1;
                break;
            }
            if let Some(status) = child.try_wait()? {
                anyhow::bail!("the pipeline ended ({status}) before the planned crash at {point} events");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let last = spawn()?;
    let status = tokio::task::spawn_blocking(move || {
        let mut last = last;
        last.wait()
    })
    .await??;
    anyhow::ensure!(status.success(), "the last pipeline run failed: {status}");
    let events = receiver.events();
    let faults: Vec<String> =
        FAULTS.iter().zip(counts.iter()).map(|(name, n)| format!("{name} {}", n.load(Ordering::Relaxed))).collect();
    eprintln!(
        "demo --chaos (seed {}): {} records, {} events received in {:.1}s; pipeline killed with SIGKILL {crashes} times and restarted from {}; faults injected: {}",
        opts.seed,
        opts.records,
        events.len(),
        started.elapsed().as_secs_f64(),
        state.display(),
        faults.join(", ")
    );
    let report = tally(opts.records, &events);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_a_function_of_the_seed_and_about_one_window_in_four() {
        let faults = |seed| (0..1000).filter(|w| chaos_reply(seed, *w).1.is_some()).count();
        assert_eq!(faults(1), faults(1));
        assert!((150..350).contains(&faults(1)), "{}", faults(1));
        let kinds: std::collections::BTreeSet<_> = (0..1000).filter_map(|w| chaos_reply(3, w).1).collect();
        assert_eq!(kinds.len(), FAULTS.len(), "every fault kind occurs");
        assert_ne!(
            (0..50).map(|w| chaos_reply(1, w).0).collect::<Vec<_>>(),
            (0..50).map(|w| chaos_reply(2, w).0).collect::<Vec<_>>()
        );
    }
}

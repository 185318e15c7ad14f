//! Tests of the Lumberjack codec, client and scripted receiver against each other.

use super::frame::{encode_ack, encode_window, Frame, FrameDecoder, FrameError, MAX_FRAME_PAYLOAD};
use super::receiver::{Receiver, Reply};
use super::{client::SendFailure, Connection};
use bytes::{BufMut, Bytes, BytesMut};
use std::sync::Arc;
use std::time::Duration;

fn events(n: usize) -> Vec<Bytes> {
    (0..n).map(|i| Bytes::from(format!("{{\"n\":{i}}}"))).collect()
}

fn decode_all(mut buf: BytesMut) -> Vec<Frame> {
    let mut out = Vec::new();
    while let Some(f) = FrameDecoder.decode(&mut buf).expect("valid frames") {
        out.push(f);
    }
    assert!(buf.is_empty(), "bytes left over: {buf:?}");
    out
}

#[test]
fn plain_window_is_w_then_numbered_j_frames() {
    let wire = encode_window(&events(3), 0);
    assert_eq!(&wire[..6], b"2W\0\0\0\x03");
    let frames = decode_all(BytesMut::from(&wire[..]));
    assert_eq!(frames.len(), 4);
    assert_eq!(frames[1], Frame::Json { seq: 1, payload: Bytes::from_static(b"{\"n\":0}") });
    assert_eq!(frames[3], Frame::Json { seq: 3, payload: Bytes::from_static(b"{\"n\":2}") });
}

#[test]
fn compressed_window_is_one_zlib_c_frame_holding_every_event() {
    let wire = encode_window(&events(50), 6);
    // W frame, then a C frame whose payload starts with a zlib header (0x78).
    assert_eq!(&wire[..8], b"2W\0\0\0\x322C");
    assert_eq!(wire[12], 0x78);
    let frames = decode_all(BytesMut::from(&wire[..]));
    assert_eq!(frames.len(), 2);
    let Frame::Compressed(inner) = &frames[1] else { panic!("expected C frame, got {:?}", frames[1]) };
    let seqs: Vec<u32> = inner
        .iter()
        .map(|f| match f {
            Frame::Json { seq, .. } => *seq,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(seqs, (1..=50).collect::<Vec<_>>());
}

#[test]
fn decoder_waits_for_a_complete_frame_without_consuming() {
    let wire = encode_window(&events(1), 0);
    let mut buf = BytesMut::from(&wire[..wire.len() - 1]);
    assert_eq!(FrameDecoder.decode(&mut buf).unwrap(), Some(Frame::Window(1)));
    let before = buf.len();
    assert_eq!(FrameDecoder.decode(&mut buf).unwrap(), None);
    assert_eq!(buf.len(), before);
    buf.put_u8(*wire.last().unwrap());
    assert!(matches!(FrameDecoder.decode(&mut buf).unwrap(), Some(Frame::Json { seq: 1, .. })));
}

#[test]
fn decoder_rejects_garbage_and_oversized_frames() {
    assert_eq!(FrameDecoder.decode(&mut BytesMut::from(&b"HTTP/1.1"[..])), Err(FrameError::Version(b'H')));
    assert_eq!(FrameDecoder.decode(&mut BytesMut::from(&b"2X\0\0"[..])), Err(FrameError::Type(b'X')));
    let mut big = BytesMut::from(&b"2J\0\0\0\x01"[..]);
    big.put_u32(MAX_FRAME_PAYLOAD as u32 + 1);
    assert_eq!(FrameDecoder.decode(&mut big), Err(FrameError::TooLarge(MAX_FRAME_PAYLOAD + 1)));
    let mut bad_zlib = BytesMut::from(&b"2C\0\0\0\x03abc"[..]);
    assert!(matches!(FrameDecoder.decode(&mut bad_zlib), Err(FrameError::Zlib(_))));
    assert_eq!(encode_ack(7), *b"2A\0\0\0\x07");
}

async fn receiver(reply: impl Fn(u64) -> Reply + Send + Sync + 'static) -> super::ReceiverHandle {
    Receiver::start("127.0.0.1:0", None, Arc::new(reply)).await.expect("bind receiver")
}

const T: Duration = Duration::from_secs(5);

#[tokio::test]
async fn client_sends_windows_and_receiver_keeps_them_in_order() {
    let rx = receiver(|_| Reply::AckAll).await;
    let mut conn = Connection::connect(&rx.host(), None, T).await.unwrap();
    for level in [0, 3] {
        let ev = events(10);
        conn.send_window(&encode_window(&ev, level), 10, T).await.unwrap();
    }
    let got = rx.events();
    assert_eq!(got.len(), 20);
    assert_eq!(got.iter().map(|e| e.window).collect::<std::collections::BTreeSet<_>>().len(), 2);
    assert_eq!(got[19].payload, Bytes::from_static(b"{\"n\":9}"));
}

#[tokio::test]
async fn keepalives_are_counted_and_do_not_end_the_window() {
    let rx = receiver(|_| Reply::KeepalivesThenAck(3)).await;
    let mut conn = Connection::connect(&rx.host(), None, T).await.unwrap();
    let acked = conn.send_window(&encode_window(&events(4), 1), 4, T).await.unwrap();
    assert_eq!(acked.keepalives, 3);
    assert_eq!(rx.events().len(), 4);
}

#[tokio::test]
async fn partial_ack_then_close_reports_how_many_were_acknowledged() {
    let rx = receiver(|_| Reply::AckPartialThenClose(6)).await;
    let mut conn = Connection::connect(&rx.host(), None, T).await.unwrap();
    let err = conn.send_window(&encode_window(&events(10), 1), 10, T).await.unwrap_err();
    assert_eq!(err.acked, 6);
    assert!(matches!(err.kind, SendFailure::Closed), "{err}");
    assert_eq!(rx.events().len(), 6);
}

#[tokio::test]
async fn garbage_and_silence_are_errors_not_hangs() {
    let rx = receiver(|_| Reply::Garbage).await;
    let mut conn = Connection::connect(&rx.host(), None, T).await.unwrap();
    let err = conn.send_window(&encode_window(&events(2), 0), 2, T).await.unwrap_err();
    assert!(matches!(err.kind, SendFailure::Garbage(FrameError::Version(b'H'))), "{err}");

    let rx = receiver(|_| Reply::Silent).await;
    let mut conn = Connection::connect(&rx.host(), None, T).await.unwrap();
    tokio::time::pause();
    let err = conn.send_window(&encode_window(&events(2), 0), 2, Duration::from_secs(30)).await.unwrap_err();
    assert!(matches!(err.kind, SendFailure::Timeout(d) if d == Duration::from_secs(30)), "{err}");
}

#[tokio::test]
async fn dial_to_a_closed_port_names_the_host() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let host = format!("127.0.0.1:{port}");
    let err = Connection::connect(&host, None, T).await.unwrap_err();
    assert!(err.to_string().starts_with(&format!("connecting to {host}: ")), "{err}");
}

#[test]
fn the_decoder_never_panics_on_random_or_truncated_input() {
    use rand::{rngs::StdRng, Rng, SeedableRng};
    let mut rng = StdRng::seed_from_u64(42);
    let valid = encode_window(&events(20), 3);
    for i in 0..20_000 {
        let mut bytes: Vec<u8> = if i % 2 == 0 {
            (0..rng.random_range(0..64)).map(|_| rng.random()).collect()
        } else {
            // A valid window with a few bytes flipped or cut.
            let mut v = valid.to_vec();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..v.len());
                v[at] = rng.random();
            }
            v.truncate(rng.random_range(0..=v.len()));
            v
        };
        if i % 7 == 0 {
            bytes.splice(0..0, *b"2");
        }
        let mut buf = BytesMut::from(&bytes[..]);
        while let Ok(Some(_)) = FrameDecoder.decode(&mut buf) {}
    }
}

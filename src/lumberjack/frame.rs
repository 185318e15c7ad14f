//! Lumberjack v2 frames: encoding windows for the client, and a decoder that checks a frame is
//! complete before parsing it (used by our receiver and by the client's ACK reader).

use bytes::{Buf, BufMut, Bytes, BytesMut};
use flate2::{write::ZlibEncoder, Compression};
use std::io::Write;

/// Protocol version byte of Lumberjack v2.
pub const VERSION: u8 = b'2';
/// Upper bound on any single frame payload (and on a `C` frame once decompressed). A peer that
/// announces more is treated as broken rather than trusted with our memory.
pub const MAX_FRAME_PAYLOAD: usize = 64 * 1024 * 1024;

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// `2W count`: the number of events in the window that follows.
    Window(u32),
    /// `2J seq len payload`: one JSON event.
    Json { seq: u32, payload: Bytes },
    /// `2C len zlib`: decompressed into the frames it held.
    Compressed(Vec<Frame>),
    /// `2A seq`: cumulative acknowledgement (0 = keepalive).
    Ack(u32),
}

/// Why bytes could not be decoded as Lumberjack v2.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("unsupported protocol version byte 0x{0:02x} (expected '2')")]
    Version(u8),
    #[error("unknown frame type 0x{0:02x}")]
    Type(u8),
    #[error("frame payload of {0} bytes exceeds the {MAX_FRAME_PAYLOAD}-byte limit")]
    TooLarge(usize),
    #[error("compressed frame is not a valid zlib stream: {0}")]
    Zlib(String),
    #[error("compressed frame ends in the middle of an inner frame")]
    TruncatedInner,
}

/// Encodes one window: `W count`, then either plain `J` frames (level 0) or one `C` frame holding
/// all of them (levels 1-9). `events` are JSON documents; they are numbered 1..=N.
pub fn encode_window(events: &[Bytes], compression_level: u32) -> Bytes {
    encode_window_with(events, compression_level, None)
}

/// As [`encode_window`], adding `member` (e.g. `"token":"…"`) as the last member of each event's
/// last object: Beats events built by [`crate::event`] end with their `fields` object, `…}}`.
pub fn encode_window_with(events: &[Bytes], compression_level: u32, member: Option<&[u8]>) -> Bytes {
    let extra = member.map_or(0, |m| m.len() + 1);
    let json_len: usize = events.iter().map(|e| e.len() + extra + 10).sum();
    let mut plain = BytesMut::with_capacity(json_len);
    for (i, event) in events.iter().enumerate() {
        plain.put_u8(VERSION);
        plain.put_u8(b'J');
        plain.put_u32(i as u32 + 1);
        match member {
            Some(member) if event.len() >= 3 && event.ends_with(b"}}") => {
                let (head, tail) = event.split_at(event.len() - 2);
                let comma = head.last() != Some(&b'{');
                plain.put_u32((event.len() + member.len() + usize::from(comma)) as u32);
                plain.put_slice(head);
                if comma {
                    plain.put_u8(b',');
                }
                plain.put_slice(member);
                plain.put_slice(tail);
            }
            _ => {
                plain.put_u32(event.len() as u32);
                plain.put_slice(event);
            }
        }
    }
    let mut out = BytesMut::with_capacity(6 + if compression_level == 0 { json_len } else { json_len / 4 + 64 });
    out.put_u8(VERSION);
    out.put_u8(b'W');
    out.put_u32(events.len() as u32);
    if compression_level == 0 {
        out.extend_from_slice(&plain);
    } else {
        let mut enc =
            ZlibEncoder::new(Vec::with_capacity(json_len / 4 + 64), Compression::new(compression_level.min(9)));
        // Writing to a Vec cannot fail.
        enc.write_all(&plain).expect("zlib into memory");
        let compressed = enc.finish().expect("zlib into memory");
        out.put_u8(VERSION);
        out.put_u8(b'C');
        out.put_u32(compressed.len() as u32);
        out.extend_from_slice(&compressed);
    }
    out.freeze()
}

/// Encodes an ACK frame (what a receiver sends).
pub fn encode_ack(seq: u32) -> [u8; 6] {
    let s = seq.to_be_bytes();
    [VERSION, b'A', s[0], s[1], s[2], s[3]]
}

/// Incremental decoder: feed bytes into a `BytesMut`, call [`FrameDecoder::decode`] until it
/// returns `Ok(None)` (more bytes needed).
#[derive(Debug, Default)]
pub struct FrameDecoder;

impl FrameDecoder {
    /// Decodes one complete frame from the front of `buf`, or returns `Ok(None)` without consuming
    /// anything when the frame is not complete yet.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        match frame_len(buf)? {
            None => Ok(None),
            Some(len) => {
                let mut frame = buf.split_to(len).freeze();
                parse_complete(&mut frame).map(Some)
            }
        }
    }
}

/// Returns the total length of the frame at the front of `buf` if it is complete.
fn frame_len(buf: &[u8]) -> Result<Option<usize>, FrameError> {
    if buf.len() < 2 {
        return Ok(None);
    }
    if buf[0] != VERSION {
        return Err(FrameError::Version(buf[0]));
    }
    let header = match buf[1] {
        b'W' | b'A' => return Ok((buf.len() >= 6).then_some(6)),
        b'J' => 10,
        b'C' => 6,
        other => return Err(FrameError::Type(other)),
    };
    if buf.len() < header {
        return Ok(None);
    }
    let len = u32::from_be_bytes(buf[header - 4..header].try_into().expect("4 bytes")) as usize;
    if len > MAX_FRAME_PAYLOAD {
        return Err(FrameError::TooLarge(len));
    }
    Ok((buf.len() >= header + len).then_some(header + len))
}

/// Parses a frame already known to be complete.
fn parse_complete(frame: &mut Bytes) -> Result<Frame, FrameError> {
    frame.advance(1);
    let kind = frame.get_u8();
    Ok(match kind {
        b'W' => Frame::Window(frame.get_u32()),
        b'A' => Frame::Ack(frame.get_u32()),
        b'J' => {
            let seq = frame.get_u32();
            let len = frame.get_u32() as usize;
            Frame::Json { seq, payload: frame.split_to(len) }
        }
        b'C' => {
            let len = frame.get_u32() as usize;
            let inner = inflate_capped(&frame[..len])?;
            let mut inner = BytesMut::from(&inner[..]);
            let mut frames = Vec::new();
            while !inner.is_empty() {
                match frame_len(&inner)? {
                    Some(n) => {
                        let mut f = inner.split_to(n).freeze();
                        frames.push(parse_complete(&mut f)?);
                    }
                    None => return Err(FrameError::TruncatedInner),
                }
            }
            Frame::Compressed(frames)
        }
        other => return Err(FrameError::Type(other)),
    })
}

/// Inflates a zlib stream, refusing output larger than [`MAX_FRAME_PAYLOAD`] (zlib bombs).
fn inflate_capped(data: &[u8]) -> Result<Vec<u8>, FrameError> {
    use std::io::Read;
    let mut out = Vec::with_capacity(data.len() * 4);
    let mut dec = flate2::read::ZlibDecoder::new(data).take(MAX_FRAME_PAYLOAD as u64 + 1);
    dec.read_to_end(&mut out).map_err(|e| FrameError::Zlib(e.to_string()))?;
    if out.len() > MAX_FRAME_PAYLOAD {
        return Err(FrameError::TooLarge(out.len()));
    }
    Ok(out)
}

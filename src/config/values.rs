//! Value types used by the configuration: durations ("30s"), secrets (masked), comma lists.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// A duration written as Go and libbeat users write them: `500ms`, `30s`, `5m`, `1h`, `1m30s`.
/// A bare number means seconds, as in libbeat.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Dur(pub Duration);

impl Dur {
    pub const fn secs(s: u64) -> Dur {
        Dur(Duration::from_secs(s))
    }
    pub const fn millis(ms: u64) -> Dur {
        Dur(Duration::from_millis(ms))
    }
    pub fn get(self) -> Duration {
        self.0
    }
}

impl fmt::Debug for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string())
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms == 0 {
            f.write_str("0s")
        } else if !ms.is_multiple_of(1000) {
            write!(f, "{ms}ms")
        } else {
            let s = ms / 1000;
            let (h, m, s) = (s / 3600, s % 3600 / 60, s % 60);
            if h > 0 {
                write!(f, "{h}h")?;
            }
            if m > 0 {
                write!(f, "{m}m")?;
            }
            if s > 0 {
                write!(f, "{s}s")?;
            }
            Ok(())
        }
    }
}

/// Parses `1h30m`, `500ms`, `45s` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Dur, String> {
    let t = text.trim();
    let expected = || format!("'{text}' is not a duration; expected a number with a unit such as 500ms, 30s, 5m or 1h");
    if t.is_empty() {
        return Err(expected());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Dur::secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(expected());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| expected())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            _ => return Err(expected()),
        };
        total += unit;
        rest = &rest[unit_len..];
    }
    Ok(Dur(total))
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as 500ms, 30s, 5m or 1h")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                Ok(Dur::secs(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                u64::try_from(v)
                    .map(Dur::secs)
                    .map_err(|_| E::custom(format!("'{v}' is negative; a duration must be >= 0")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A secret value (key, token, password). Debug, Display and Serialize never show it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The real value: only for handing to the code that authenticates.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn masked(&self) -> &'static str {
        if self.0.is_empty() {
            ""
        } else {
            "********"
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({:?})", self.masked())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.masked())
    }
}

impl<'de> Deserialize<'de> for Secret {
    /// Accepts any scalar so that a type error can never echo the value back in a message.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a secret string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Secret, E> {
                Ok(Secret::new(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Secret, E> {
                Ok(Secret::new(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Secret, E> {
                Ok(Secret::new(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Secret, E> {
                Ok(Secret::new(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Secret, E> {
                Ok(Secret::new(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Secret, E> {
                Ok(Secret::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Secret, E> {
                Ok(Secret::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// A list given either as a YAML sequence or as one comma-separated string (as env vars are).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct List(pub Vec<String>);

impl List {
    pub fn of(items: &[&str]) -> List {
        List(items.iter().map(|s| s.to_string()).collect())
    }
}

impl std::ops::Deref for List {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let items = match Option::<Raw>::deserialize(d)? {
            None => Vec::new(),
            Some(Raw::One(s)) => s.split(',').map(str::to_string).collect(),
            Some(Raw::Many(v)) => v,
        };
        Ok(List(items.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()))
    }
}

/// Where reading starts when a log group has no checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartPosition {
    /// The oldest event the group can hold.
    Beginning,
    /// Now: only what comes next.
    End,
    /// A point in time, ms since the epoch (written as RFC 3339).
    At(i64),
}

impl fmt::Display for StartPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartPosition::Beginning => f.write_str("beginning"),
            StartPosition::End => f.write_str("end"),
            StartPosition::At(ms) => {
                let t =
                    time::OffsetDateTime::from_unix_timestamp_nanos(*ms as i128 * 1_000_000).map_err(|_| fmt::Error)?;
                f.write_str(&t.format(&time::format_description::well_known::Rfc3339).map_err(|_| fmt::Error)?)
            }
        }
    }
}

impl std::str::FromStr for StartPosition {
    type Err = String;
    fn from_str(text: &str) -> Result<StartPosition, String> {
        match text.trim() {
            "beginning" => Ok(StartPosition::Beginning),
            "end" => Ok(StartPosition::End),
            t => time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map(|t| StartPosition::At((t.unix_timestamp_nanos() / 1_000_000) as i64))
                .map_err(|_| format!("'{t}' is not a start position; expected beginning, end or an RFC 3339 time such as 2026-12-01T00:00:00Z")),
        }
    }
}

impl Serialize for StartPosition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StartPosition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(de::Error::custom)
    }
}

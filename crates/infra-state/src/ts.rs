//! Timestamps: UTC, stored as fixed-width text so that they sort as text.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::StateError;

const STORED: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
const SHOWN: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
const COMPACT: &[FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// Now, truncated to what the database stores (microseconds).
pub(crate) fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000)
        .unwrap_or(t)
}

pub fn store(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    t.format(STORED)
        .unwrap_or_else(|_| "0000-01-01T00:00:00.000000Z".to_string())
}

pub(crate) fn load(s: &str, what: &str) -> Result<OffsetDateTime, StateError> {
    parse(s).map_err(|why| StateError::data(what, why))
}

/// A stored timestamp, or why it is not one.
pub(crate) fn parse(s: &str) -> Result<OffsetDateTime, String> {
    PrimitiveDateTime::parse(s, STORED)
        .map(PrimitiveDateTime::assume_utc)
        .map_err(|e| format!("bad timestamp `{s}`: {e}"))
}

pub fn display(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(SHOWN)
        .unwrap_or_else(|_| t.to_string())
}

pub(crate) fn compact(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(COMPACT)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// `#[serde(with = "crate::ts::serde_ts")]` for domain types.
pub(crate) mod serde_ts {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::store(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let s = String::deserialize(d)?;
        super::load(&s, "timestamp").map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = "crate::ts::serde_uuid")]` for domain types.
pub(crate) mod serde_uuid {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(u: &uuid::Uuid, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&u.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<uuid::Uuid, D::Error> {
        let s = String::deserialize(d)?;
        uuid::Uuid::parse_str(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_timestamps_round_trip_and_sort() {
        let a = now();
        let s = store(a);
        assert_eq!(s.len(), "2025-01-01T00:00:00.000000Z".len());
        assert_eq!(load(&s, "t").unwrap(), a);
        let b = a + time::Duration::microseconds(1);
        assert!(store(b) > s);
        assert!(load("yesterday", "t").is_err());
    }
}

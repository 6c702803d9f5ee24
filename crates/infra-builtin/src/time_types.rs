//! `time_sleep` and `time_static` (terraform-provider-time).

use std::time::Duration;

use infra_model::Value;
use infra_provider::ProviderError;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::{attrs, duration, rejected, string_arg};

/// RFC 3339 in UTC with whole seconds, as Go's `t.UTC().Format(time.RFC3339)`.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

/// Create returns at once with the creation time as id; [`time_sleep_wait`] sleeps.
pub(crate) fn time_sleep_create(config: &Value) -> Result<Value, ProviderError> {
    duration::arg(config, "create_duration")?;
    duration::arg(config, "destroy_duration")?;
    let mut out = attrs(config);
    out.insert(
        "id".into(),
        Value::string(rfc3339(OffsetDateTime::now_utc())),
    );
    Ok(Value::Map(out))
}

/// What is left of `create_duration`, counted from the creation time in the id (rounded
/// so that the whole duration is always slept).
pub(crate) fn remaining(current: &Value) -> Result<Duration, ProviderError> {
    let Some(total) = duration::arg(current, "create_duration")? else {
        return Ok(Duration::ZERO);
    };
    let elapsed = string_arg(current, "id")
        .and_then(|id| OffsetDateTime::parse(id, &Rfc3339).ok())
        .map(|created| (OffsetDateTime::now_utc() - created).max(time::Duration::ZERO))
        .and_then(|d| Duration::try_from(d).ok())
        .unwrap_or(Duration::ZERO);
    // the id has whole seconds: the creation was up to a second later than it says
    Ok(total.saturating_sub(elapsed.saturating_sub(Duration::from_secs(1))))
}

pub(crate) async fn time_sleep_wait(current: &Value) -> Result<(), ProviderError> {
    let left = remaining(current)?;
    if !left.is_zero() {
        tokio::time::sleep(left).await;
    }
    Ok(())
}

/// A `time_static`: `rfc3339` as configured or the creation time, and its parts.
pub(crate) fn time_static(config: &Value) -> Result<Value, ProviderError> {
    let t = match string_arg(config, "rfc3339") {
        Some(s) => OffsetDateTime::parse(s, &Rfc3339).map_err(|e| {
            rejected(format!(
                "rfc3339: \"{s}\" is not an RFC 3339 timestamp ({e}); write it like \"2024-01-02T15:04:05Z\""
            ))
        })?,
        None => OffsetDateTime::now_utc(),
    };
    let text = match string_arg(config, "rfc3339") {
        Some(s) => s.to_string(),
        None => rfc3339(t),
    };
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut out = attrs(config);
    let num = |n: i64| Value::Number(n as f64);
    out.insert("rfc3339".into(), Value::string(&text));
    out.insert("id".into(), Value::string(&text));
    out.insert("year".into(), num(t.year() as i64));
    out.insert("month".into(), num(u8::from(t.month()) as i64));
    out.insert("day".into(), num(t.day() as i64));
    out.insert("hour".into(), num(t.hour() as i64));
    out.insert("minute".into(), num(t.minute() as i64));
    out.insert("second".into(), num(t.second() as i64));
    out.insert("unix".into(), num(t.unix_timestamp()));
    Ok(Value::Map(out))
}

//! Go's duration syntax (`time.ParseDuration`), which `time_sleep` takes: a sequence of
//! decimal numbers with units, such as "30s", "1m30s", "1.5h", "300ms".

use std::time::Duration;

use infra_model::Value;
use infra_provider::ProviderError;

use crate::{rejected, string_arg};

/// Parse a Go duration. Negative durations are refused (a sleep cannot be negative).
pub fn parse(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration \"{s}\"; write it like \"30s\", \"2m\" or \"1h30m\"");
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.is_empty() || rest.starts_with('-') {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (num, tail) = rest.split_at(n);
        if num.is_empty() || num == "." {
            return Err(bad());
        }
        let value: f64 = num.parse().map_err(|_| bad())?;
        let u = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(u);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += value * scale;
        rest = tail;
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// The duration in attribute `name` of `v`, if set.
pub(crate) fn arg(v: &Value, name: &str) -> Result<Option<Duration>, ProviderError> {
    match string_arg(v, name) {
        None => Ok(None),
        Some(s) => parse(s)
            .map(Some)
            .map_err(|e| rejected(format!("{name}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("300ms").unwrap(), Duration::from_millis(300));
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
        assert_eq!(
            parse("2h45m0.5s").unwrap(),
            Duration::from_millis(9_900_500)
        );
        for bad in ["", "30", "s", "1d", "-5s", "1m30", "abc"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}

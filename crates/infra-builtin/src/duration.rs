//! Go's duration syntax (`time.ParseDuration`), which `time_sleep` takes: a sequence of
//! decimal numbers with units, such as "30s", "1m30s", "1.5h", "300ms".

use std::time::Duration;

use infra_model::Value;
use infra_provider::ProviderError;

use crate::{rejected, string_arg};

/// Parse a Go duration (`infra_model::duration::go_nanos`). Negative durations are refused
/// (a sleep cannot be negative).
pub fn parse(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration \"{s}\"; write it like \"30s\", \"2m\" or \"1h30m\"");
    let nanos = infra_model::duration::go_nanos(s).ok_or_else(bad)?;
    u64::try_from(nanos)
        .map(Duration::from_nanos)
        .map_err(|_| bad())
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

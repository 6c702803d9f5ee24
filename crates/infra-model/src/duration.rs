//! Go's duration syntax (`time.ParseDuration`), which Terraform's `timeadd` and the time
//! provider's `time_sleep` take: an optional sign, then decimal numbers with units (`ns`,
//! `us`/`µs`, `ms`, `s`, `m`, `h`), such as "30s", "-1h30m", "1.5h"; "0" alone is zero.

/// The duration in nanoseconds, or `None` when `s` is not Go's syntax.
pub fn go_nanos(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." {
            return None;
        }
        let n: f64 = num.parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += n * scale;
    }
    let nanos = total.round() as i128;
    Some(if neg { -nanos } else { nanos })
}

#[cfg(test)]
mod tests {
    use super::go_nanos;

    #[test]
    fn go_durations() {
        assert_eq!(go_nanos("0"), Some(0));
        assert_eq!(go_nanos("1m30s"), Some(90_000_000_000));
        assert_eq!(go_nanos("-1h30m"), Some(-5_400_000_000_000));
        assert_eq!(go_nanos("1.5s"), Some(1_500_000_000));
        assert_eq!(go_nanos("300ms"), Some(300_000_000));
        for bad in ["", "-", "10", "10 m", "5d", "m", "."] {
            assert_eq!(go_nanos(bad), None, "{bad:?}");
        }
    }
}

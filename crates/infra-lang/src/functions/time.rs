//! `formatdate`, `timeadd` and `timecmp` over RFC 3339 timestamps, as Terraform (go-cty's
//! datetime functions) defines them. `timestamp` and `plantimestamp` are in `impure.rs`:
//! their time is handed in by whoever evaluates (this crate reads no clock).

use infra_model::Value;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use super::{Args, FnResult};

pub(super) fn call(a: Args) -> FnResult {
    match a.f {
        "formatdate" => {
            let spec = a.string(0, "spec")?;
            let t = parse(&a, 1, "timestamp")?;
            format(&spec, t)
                .map(Value::String)
                .map_err(|e| a.bad("spec", e))
        }
        "timeadd" => {
            let t = parse(&a, 0, "timestamp")?;
            let d = a.string(1, "duration")?;
            let nanos = infra_model::duration::go_nanos(&d).ok_or_else(|| {
                a.bad(
                    "duration",
                    format!("\"{d}\" is not a duration (a number and a unit, e.g. \"1h30m\", \"-10m\", \"90s\")"),
                )
            })?;
            let secs = nanos.div_euclid(1_000_000_000);
            let sub = nanos.rem_euclid(1_000_000_000);
            let d = i64::try_from(secs)
                .ok()
                .map(|s| Duration::new(s, sub as i32))
                .ok_or_else(|| a.bad("duration", "out of range"))?;
            let out = t
                .checked_add(d)
                .ok_or_else(|| a.bad("duration", "the result is out of range"))?;
            Ok(Value::String(rfc3339(out)))
        }
        "timecmp" => {
            let x = parse(&a, 0, "timestamp_a")?;
            let y = parse(&a, 1, "timestamp_b")?;
            Ok(Value::Number(match x.cmp(&y) {
                std::cmp::Ordering::Less => -1.0,
                std::cmp::Ordering::Equal => 0.0,
                std::cmp::Ordering::Greater => 1.0,
            }))
        }
        other => Err(format!("{other} is not a time function")),
    }
}

fn parse(a: &Args, i: usize, param: &str) -> Result<OffsetDateTime, String> {
    let text = a.string(i, param)?;
    OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| {
        a.bad(
            param,
            format!("\"{text}\" is not an RFC 3339 timestamp, e.g. \"2024-05-01T13:00:00Z\""),
        )
    })
}

/// Go's `time.RFC3339` layout: whole seconds, `Z` for a zero offset.
pub(super) fn rfc3339(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        offset(t.offset(), true, "Z")
    )
}

/// `+02:00` (colon) or `+0200`, or `utc` for a zero offset when given.
fn offset(o: UtcOffset, colon: bool, utc: &str) -> String {
    if o.is_utc() && !utc.is_empty() {
        return utc.to_string();
    }
    let (h, m, _) = o.as_hms();
    let sign = if o.is_negative() { '-' } else { '+' };
    let sep = if colon { ":" } else { "" };
    format!("{sign}{:02}{sep}{:02}", h.unsigned_abs(), m.unsigned_abs())
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Terraform's `formatdate` spec: runs of one letter are verbs, `'...'` is literal text
/// (`''` a quote), anything else is copied.
fn format(spec: &str, t: OffsetDateTime) -> Result<String, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // quoted literal; '' inside (or alone) is a quote
            let mut j = i + 1;
            if chars.get(j) == Some(&'\'') {
                out.push('\'');
                i = j + 1;
                continue;
            }
            loop {
                match chars.get(j) {
                    None => return Err("unterminated quoted literal ('...')".into()),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(&x) => {
                        out.push(x);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && chars[j] == c {
            j += 1;
        }
        let verb: String = chars[i..j].iter().collect();
        let h12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let month = usize::from(u8::from(t.month())) - 1;
        let day = usize::from(t.weekday().number_days_from_monday());
        out.push_str(&match verb.as_str() {
            "YYYY" => format!("{:04}", t.year()),
            "YY" => format!("{:02}", t.year().rem_euclid(100)),
            "MMMM" => MONTHS[month].to_string(),
            "MMM" => MONTHS[month][..3].to_string(),
            "MM" => format!("{:02}", month + 1),
            "M" => format!("{}", month + 1),
            "DD" => format!("{:02}", t.day()),
            "D" => format!("{}", t.day()),
            "EEEE" => DAYS[day].to_string(),
            "EEE" => DAYS[day][..3].to_string(),
            "hh" => format!("{:02}", t.hour()),
            "h" => format!("{}", t.hour()),
            "HH" => format!("{h12:02}"),
            "H" => format!("{h12}"),
            "AA" => (if t.hour() < 12 { "AM" } else { "PM" }).to_string(),
            "aa" => (if t.hour() < 12 { "am" } else { "pm" }).to_string(),
            "mm" => format!("{:02}", t.minute()),
            "m" => format!("{}", t.minute()),
            "ss" => format!("{:02}", t.second()),
            "s" => format!("{}", t.second()),
            "ZZZZZ" => offset(t.offset(), true, ""),
            "ZZZZ" => offset(t.offset(), false, ""),
            "ZZZ" => offset(t.offset(), false, "UTC"),
            "Z" => offset(t.offset(), true, "Z"),
            other => {
                return Err(format!(
                    "invalid date format verb \"{other}\"; put literal text in single quotes, e.g. 'at'"
                ))
            }
        });
        i = j;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use infra_model::Value;

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn formatdate_as_terraform_documents_it() {
        let f = |spec: &str, ts: &str| call("formatdate", vec![s(spec), s(ts)]);
        assert_eq!(
            f("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z").unwrap(),
            s("02 Jan 2018 23:12 UTC")
        );
        assert_eq!(
            f("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2018-01-02T23:12:01Z").unwrap(),
            s("Tuesday, 02-Jan-18 23:12:01 UTC")
        );
        assert_eq!(
            f("EEE, DD MMM YYYY hh:mm:ss ZZZ", "2018-01-02T23:12:01-08:00").unwrap(),
            s("Tue, 02 Jan 2018 23:12:01 -0800")
        );
        assert_eq!(
            f("MMM D, YYYY", "2018-01-02T23:12:01Z").unwrap(),
            s("Jan 2, 2018")
        );
        assert_eq!(f("H:mmaa", "2018-01-02T23:12:01Z").unwrap(), s("11:12pm"));
        assert_eq!(
            f("YYYY-MM-DD'T'hh:mm:ssZ", "2018-01-02T23:12:01+05:30").unwrap(),
            s("2018-01-02T23:12:01+05:30")
        );
        assert_eq!(
            f("'it''s' h'h'", "2018-01-02T03:00:00Z").unwrap(),
            s("it's 3h")
        );
        let err = f("YYYY-QQ", "2018-01-02T23:12:01Z").unwrap_err();
        assert!(err.contains("\"QQ\""), "{err}");
        let err = f("YYYY", "yesterday").unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
    }

    #[test]
    fn timeadd_and_timecmp() {
        let add = |ts: &str, d: &str| call("timeadd", vec![s(ts), s(d)]);
        assert_eq!(
            add("2017-11-22T00:00:00Z", "10m").unwrap(),
            s("2017-11-22T00:10:00Z")
        );
        assert_eq!(
            add("2017-11-22T00:00:00Z", "-1h30m").unwrap(),
            s("2017-11-21T22:30:00Z")
        );
        assert_eq!(
            add("2024-02-28T12:00:00+02:00", "24h").unwrap(),
            s("2024-02-29T12:00:00+02:00")
        );
        assert_eq!(
            add("2017-11-22T00:00:00Z", "4380h").unwrap(),
            s("2018-05-23T12:00:00Z")
        );
        assert_eq!(
            add("2017-11-22T00:00:00Z", "1.5s").unwrap(),
            s("2017-11-22T00:00:01Z")
        );
        assert!(add("2017-11-22T00:00:00Z", "10 minutes").is_err());
        assert!(add("2017-11-22T00:00:00Z", "").is_err());
        let cmp = |x: &str, y: &str| call("timecmp", vec![s(x), s(y)]).unwrap();
        assert_eq!(
            cmp("2017-11-22T00:00:00Z", "2017-11-22T00:00:00Z"),
            Value::Number(0.0)
        );
        assert_eq!(
            cmp("2017-11-22T00:00:00Z", "2017-11-22T01:00:00Z"),
            Value::Number(-1.0)
        );
        assert_eq!(
            cmp("2017-11-22T01:00:00Z", "2017-11-22T01:00:00+01:00"),
            Value::Number(1.0)
        );
    }
}

//! `timestamp`, `uuid`, `bcrypt` and `plantimestamp`: the functions whose value is not
//! given by their arguments. As in Terraform, the first three are unknown at plan time
//! ("known after apply") and get their value when apply evaluates the configuration
//! again, from the [`ApplyClock`](super::context::ApplyClock) it sets; `plantimestamp` is
//! the time the plan was made, the same during its apply (see [`super::context`]).

use std::time::SystemTime;

use infra_model::Value;

use super::{context, Args, FnResult};

pub(super) fn call(a: Args) -> FnResult {
    match a.f {
        "timestamp" => Ok(context::now().map_or(Value::Unknown, |t| Value::String(rfc3339(t)))),
        "plantimestamp" => Ok(context::env(|e| e.and_then(|e| e.plan_time))
            .map_or(Value::Unknown, |t| Value::String(rfc3339(t)))),
        "uuid" => Ok(context::random::<16>().map_or(Value::Unknown, |bytes| {
            Value::String(
                uuid::Builder::from_random_bytes(bytes)
                    .into_uuid()
                    .hyphenated()
                    .to_string(),
            )
        })),
        "bcrypt" => bcrypt(&a),
        other => Err(format!("{other} is not a clock or random function")),
    }
}

/// Go's `time.RFC3339` of the UTC time: `2026-12-06T09:00:00Z` (whole seconds).
fn rfc3339(t: SystemTime) -> String {
    super::time::rfc3339(time::OffsetDateTime::from(t))
}

/// Go's `bcrypt.DefaultCost`, which Terraform's `bcrypt` uses when no cost is given.
const DEFAULT_COST: i64 = 10;
/// Go's `bcrypt.MaxCost`; a cost below `MinCost` (4) is taken as the default, as Go does.
const MAX_COST: i64 = 31;
const MIN_COST: i64 = 4;
/// What bcrypt reads of a password: a longer one is refused, as Go's bcrypt does.
const MAX_PASSWORD: usize = 72;

/// `bcrypt(str, cost)`: the arguments are checked at plan time too; the hash (a random
/// salt) only at apply time.
fn bcrypt(a: &Args) -> FnResult {
    let password = a.string(0, "str")?;
    let cost = if a.args.len() > 1 {
        a.int(1, "cost")?
    } else {
        DEFAULT_COST
    };
    if cost > MAX_COST {
        return Err(a.bad(
            "cost",
            format!("{cost} is outside the allowed range ({MIN_COST} to {MAX_COST})"),
        ));
    }
    let cost = if cost < MIN_COST { DEFAULT_COST } else { cost };
    if password.len() > MAX_PASSWORD {
        return Err(a.bad(
            "str",
            format!(
                "bcrypt hashes at most {MAX_PASSWORD} bytes, got {}",
                password.len()
            ),
        ));
    }
    let Some(salt) = context::random::<16>() else {
        return Ok(Value::Unknown);
    };
    hash(&password, cost as u32, salt).map(Value::String)
}

/// The `$2a$` hash of `password` (Go's bcrypt writes that prefix).
pub(crate) fn hash(password: &str, cost: u32, salt: [u8; 16]) -> Result<String, String> {
    bcrypt::non_truncating_hash_with_salt(password, cost, salt)
        .map(|h| h.format_for_version(bcrypt::Version::TwoA))
        .map_err(|e| format!("bcrypt: {e}"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    use infra_model::Value;

    use super::super::call;
    use super::super::context::{fork_clock, with_clock, with_stack_env, ApplyClock, StackEnv};

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    /// 2026-12-06T09:00:00Z, and half a second more
    fn at() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_796_547_600_500)
    }

    fn clock() -> Option<ApplyClock> {
        Some(ApplyClock::new(at(), [7; 32]))
    }

    #[test]
    fn at_plan_time_timestamp_uuid_and_bcrypt_are_unknown() {
        assert_eq!(call("timestamp", vec![]), Ok(Value::Unknown));
        assert_eq!(call("uuid", vec![]), Ok(Value::Unknown));
        assert_eq!(call("bcrypt", vec![s("hunter2")]), Ok(Value::Unknown));
        assert_eq!(
            call("bcrypt", vec![s("hunter2"), Value::Number(5.0)]),
            Ok(Value::Unknown)
        );
        // with no plan time (validate), plantimestamp too
        assert_eq!(call("plantimestamp", vec![]), Ok(Value::Unknown));
        // a marked argument marks the unknown result
        let marked = call("bcrypt", vec![s("hunter2").mark()]).unwrap();
        assert!(marked.has_marks());
    }

    #[test]
    fn arguments_are_checked_at_plan_time_too() {
        let err = call("timestamp", vec![s("x")]).unwrap_err();
        assert_eq!(err, "timestamp takes 0 arguments, got 1");
        let err = call("bcrypt", vec![]).unwrap_err();
        assert!(err.contains("1 to 2 arguments"), "{err}");
        let err = call("bcrypt", vec![s("pw"), Value::Number(32.0)]).unwrap_err();
        assert_eq!(
            err,
            "bcrypt: invalid value for \"cost\": 32 is outside the allowed range (4 to 31)"
        );
        let err = call("bcrypt", vec![s("pw"), Value::Number(4.5)]).unwrap_err();
        assert!(err.contains("whole number"), "{err}");
        let err = call("bcrypt", vec![s("pw"), s("ten")]).unwrap_err();
        assert!(err.contains("expected number"), "{err}");
        let err = call("bcrypt", vec![s(&"x".repeat(73))]).unwrap_err();
        assert!(err.contains("at most 72 bytes, got 73"), "{err}");
        let err = call("bcrypt", vec![Value::List(vec![])]).unwrap_err();
        assert!(err.contains("\"str\""), "{err}");
    }

    #[test]
    fn timestamp_at_apply_time_is_the_clock_in_rfc3339_utc_seconds() {
        let got = with_clock(clock(), || call("timestamp", vec![]));
        assert_eq!(got, Ok(s("2026-12-06T09:00:00Z")));
        // the clock is gone after the evaluation
        assert_eq!(call("timestamp", vec![]), Ok(Value::Unknown));
    }

    #[test]
    fn plantimestamp_is_the_plan_time_whether_planning_or_applying() {
        let env = Arc::new(StackEnv {
            plan_time: Some(at()),
            ..StackEnv::default()
        });
        let plan = with_stack_env(env.clone(), || call("plantimestamp", vec![]));
        assert_eq!(plan, Ok(s("2026-12-06T09:00:00Z")));
        let later = Some(ApplyClock::new(at() + Duration::from_secs(3600), [1; 32]));
        let apply = with_stack_env(env, || with_clock(later, || call("plantimestamp", vec![])));
        assert_eq!(apply, Ok(s("2026-12-06T09:00:00Z")));
    }

    fn uuid_shape(u: &str) -> bool {
        let groups: Vec<&str> = u.split('-').collect();
        groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && u.chars()
                .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
            && groups[2].starts_with('4')
            && matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b')
    }

    #[test]
    fn uuid_at_apply_time_is_a_new_v4_uuid_on_every_call() {
        let (a, b) = with_clock(clock(), || {
            (call("uuid", vec![]).unwrap(), call("uuid", vec![]).unwrap())
        });
        let (Value::String(a), Value::String(b)) = (a, b) else {
            panic!("uuid() gives strings");
        };
        assert!(uuid_shape(&a), "{a}");
        assert!(uuid_shape(&b), "{b}");
        assert_ne!(a, b);
        // the stream is the seed's: the same clock gives the same values again
        let again = with_clock(clock(), || call("uuid", vec![]).unwrap());
        assert_eq!(again, s(&a));
        // another seed, other values
        let other = with_clock(Some(ApplyClock::new(at(), [8; 32])), || {
            call("uuid", vec![]).unwrap()
        });
        assert_ne!(other, s(&a));
    }

    #[test]
    fn a_forked_clock_keeps_the_time_and_draws_another_stream() {
        let (mine, forked) = with_clock(clock(), || {
            let forked = fork_clock().expect("a clock is in force");
            (call("uuid", vec![]).unwrap(), forked)
        });
        assert_eq!(forked.now(), at());
        let theirs = with_clock(Some(forked), || call("uuid", vec![]).unwrap());
        assert_ne!(mine, theirs);
        assert!(fork_clock().is_none());
    }

    #[test]
    fn bcrypt_at_apply_time_hashes_with_a_random_salt_and_2a_prefix() {
        let (a, b) = with_clock(clock(), || {
            (
                call("bcrypt", vec![s("hunter2"), Value::Number(4.0)]).unwrap(),
                call("bcrypt", vec![s("hunter2"), Value::Number(4.0)]).unwrap(),
            )
        });
        let (Value::String(a), Value::String(b)) = (a, b) else {
            panic!("bcrypt() gives strings");
        };
        assert!(a.starts_with("$2a$04$"), "{a}");
        assert_eq!(a.len(), 60, "{a}");
        assert_ne!(a, b, "each call draws a new salt");
        assert!(bcrypt::verify("hunter2", &a).unwrap());
        assert!(bcrypt::verify("hunter2", &b).unwrap());
        assert!(!bcrypt::verify("hunter3", &a).unwrap());
        // a cost below 4 is the default, 10 (as Go's bcrypt)
        let low = with_clock(clock(), || {
            call("bcrypt", vec![s("pw"), Value::Number(1.0)]).unwrap()
        });
        assert!(
            matches!(&low, Value::String(h) if h.starts_with("$2a$10$")),
            "{low}"
        );
        // a sensitive password gives a sensitive hash
        let marked = with_clock(clock(), || {
            call("bcrypt", vec![s("pw").mark(), Value::Number(4.0)]).unwrap()
        });
        assert!(marked.has_marks());
    }

    #[test]
    fn bcrypt_default_cost_is_10() {
        let h = with_clock(clock(), || call("bcrypt", vec![s("pw")]).unwrap());
        assert!(
            matches!(&h, Value::String(h) if h.starts_with("$2a$10$")),
            "{h}"
        );
    }

    #[test]
    fn bcrypt_matches_go_for_a_given_salt() {
        // the salt "XajjQvNhvvRt5GSeFk1xFe" in bcrypt's base64; Go's bcrypt gives this
        // hash of "allmine" at cost 10
        let salt = [
            0x65, 0xc9, 0x65, 0x4b, 0x13, 0xe3, 0xc7, 0x14, 0xef, 0xec, 0x85, 0x20, 0x1e, 0x6d,
            0xf3, 0x1e,
        ];
        assert_eq!(
            super::hash("allmine", 10, salt).unwrap(),
            "$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga"
        );
    }
}

//! The clock and the entropy of a run, read here in the binary and handed to the pure
//! crates (infra-lang's functions read neither): the time a plan is made
//! (`plantimestamp()`, kept in a saved plan), and the apply-time clock of `timestamp()`,
//! `uuid()` and `bcrypt()`, which are unknown until apply evaluates the configuration
//! again.

use std::time::{Duration, SystemTime};

/// Now, to the second (what `plantimestamp()` shows, so a saved plan's text gives it back
/// exactly).
pub fn plan_time() -> SystemTime {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// A clock for one apply-time evaluation: now, and a fresh random seed.
pub fn apply_clock() -> infra_lang::ApplyClock {
    infra_lang::ApplyClock::new(SystemTime::now(), rand::random())
}

/// `2026-12-06T09:00:00Z`, as a saved plan records the plan's time.
pub fn format(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The plan's time from a saved plan.
pub fn parse(text: &str) -> anyhow::Result<SystemTime> {
    humantime::parse_rfc3339(text).map_err(|e| {
        anyhow::anyhow!("the plan file's timestamp `{text}` is not an RFC 3339 time ({e}); run `infra plan --out` again")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn plan_time_is_whole_seconds_and_round_trips_through_a_plan_file() {
        let t = super::plan_time();
        let text = super::format(t);
        assert!(text.ends_with('Z') && !text.contains('.'), "{text}");
        assert_eq!(super::parse(&text).unwrap(), t);
        assert!(super::parse("yesterday").is_err());
    }
}

/// Wall time of a command's phases, as debug events of the target `timing`
/// (`--log timing=debug`): where a slow plan spends its time, without a profiler.
pub struct Phases {
    last: std::cell::Cell<std::time::Instant>,
}

impl Phases {
    pub fn start() -> Phases {
        Phases {
            last: std::cell::Cell::new(std::time::Instant::now()),
        }
    }

    /// The time since the last lap (or the start), named `phase`.
    pub fn lap(&self, phase: &str) {
        let now = std::time::Instant::now();
        let took = now.duration_since(self.last.replace(now));
        tracing::debug!(target: "timing", "{phase}: {:.1} ms", took.as_secs_f64() * 1000.0);
    }
}

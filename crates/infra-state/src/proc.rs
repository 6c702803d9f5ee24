//! Is a process alive, and when did it start? Read from /proc (Linux), without unsafe code.

/// What /proc says about a pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProcState {
    /// Running (or sleeping), started at this many clock ticks after boot.
    Alive { start: u64 },
    /// No such process, or a zombie.
    Dead,
    /// /proc is not available: assume alive.
    Unknown,
}

pub(crate) fn proc_state(pid: u32) -> ProcState {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => match parse_stat(&stat) {
            Some((state, _)) if state == 'Z' || state == 'X' || state == 'x' => ProcState::Dead,
            Some((_, start)) => ProcState::Alive { start },
            None => ProcState::Unknown,
        },
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                && std::path::Path::new("/proc/self/stat").exists() =>
        {
            ProcState::Dead
        }
        Err(_) => ProcState::Unknown,
    }
}

/// The start time of this process (field 22 of /proc/self/stat), if known.
pub(crate) fn own_start() -> Option<u64> {
    match proc_state(std::process::id()) {
        ProcState::Alive { start } => Some(start),
        _ => None,
    }
}

/// The state character (field 3) and start time (field 22) of a /proc/<pid>/stat line.
/// The command name (field 2) may hold spaces and parentheses, so split after the last `)`.
fn parse_stat(stat: &str) -> Option<(char, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // `state` is field 3; field 22 is 19 fields further
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_command_names() {
        let line = "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(parse_stat(line), Some(('S', 987654)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn own_process_is_alive() {
        assert!(matches!(
            proc_state(std::process::id()),
            ProcState::Alive { .. }
        ));
        assert!(own_start().is_some());
    }
}

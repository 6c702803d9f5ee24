//! Value rules of `aws_sqs_queue`, `aws_cloudwatch_event_rule` and
//! `aws_cloudwatch_event_target` that the Terraform AWS provider checks before calling AWS
//! (ranges, names, arguments that exclude each other; the emulator checks few of them).

use infra_model::Value;

use super::logs::one_of;

type Problems = Vec<(String, String)>;

fn set(c: &Value, key: &str) -> bool {
    !c.get(key).is_null()
}

/// Both of `a` and `b` written: Terraform's ConflictsWith.
fn conflict(c: &Value, a: &str, b: &str, out: &mut Problems) {
    if set(c, a) && set(c, b) {
        out.push((
            format!("{a} and {b} are both set"),
            format!("keep one of {a} and {b}"),
        ));
    }
}

fn within(c: &Value, key: &str, min: f64, max: f64, out: &mut Problems) {
    if let Some(n) = c.get(key).as_f64() {
        if n < min || n > max || n.fract() != 0.0 {
            out.push((
                format!("{key}: {n} is outside {min} .. {max}"),
                format!("set {key} to a whole number from {min} to {max}"),
            ));
        }
    }
}

pub(super) fn queue(c: &Value) -> Problems {
    let mut out = Vec::new();
    conflict(c, "name", "name_prefix", &mut out);
    conflict(c, "kms_master_key_id", "sqs_managed_sse_enabled", &mut out);
    let fifo = c.get("fifo_queue").as_bool() == Some(true);
    if let Some(name) = c.get("name").as_str() {
        let base = if fifo {
            name.strip_suffix(".fifo")
        } else {
            Some(name)
        };
        let max = if fifo { 75 } else { 80 };
        let valid = base.is_some_and(|b| {
            !b.is_empty()
                && b.len() <= max
                && b.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        });
        if !valid {
            out.push((
                format!("name: `{name}` is not a valid queue name"),
                if fifo {
                    "a FIFO queue's name is 1 to 75 letters, digits, - or _, then `.fifo`".into()
                } else {
                    "a queue's name is 1 to 80 letters, digits, - or _".into()
                },
            ));
        }
    }
    if !fifo && c.get("content_based_deduplication").as_bool() == Some(true) {
        out.push((
            "content_based_deduplication is set on a queue that is not FIFO".into(),
            "set fifo_queue = true, or leave content_based_deduplication out".into(),
        ));
    }
    within(c, "delay_seconds", 0.0, 900.0, &mut out);
    within(c, "max_message_size", 1024.0, 1_048_576.0, &mut out);
    within(c, "message_retention_seconds", 60.0, 1_209_600.0, &mut out);
    within(c, "receive_wait_time_seconds", 0.0, 20.0, &mut out);
    within(c, "visibility_timeout_seconds", 0.0, 43_200.0, &mut out);
    within(
        c,
        "kms_data_key_reuse_period_seconds",
        60.0,
        86_400.0,
        &mut out,
    );
    one_of(
        c,
        "deduplication_scope",
        &["messageGroup", "queue"],
        &mut out,
    );
    one_of(
        c,
        "fifo_throughput_limit",
        &["perQueue", "perMessageGroupId"],
        &mut out,
    );
    out
}

pub(super) fn rule(c: &Value) -> Problems {
    let mut out = Vec::new();
    conflict(c, "name", "name_prefix", &mut out);
    conflict(c, "state", "is_enabled", &mut out);
    // an unknown value (made by this apply) counts as set
    if !set(c, "event_pattern") && !set(c, "schedule_expression") {
        out.push((
            "a rule needs event_pattern or schedule_expression".into(),
            "set event_pattern (the events it matches) or schedule_expression (when it runs)"
                .into(),
        ));
    }
    one_of(
        c,
        "state",
        &[
            "ENABLED",
            "DISABLED",
            "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
        ],
        &mut out,
    );
    out
}

pub(super) fn target(c: &Value) -> Problems {
    let mut out = Vec::new();
    let transformer = c
        .get("input_transformer")
        .as_list()
        .is_some_and(|l| !l.is_empty());
    let given: Vec<&str> = [
        ("input", set(c, "input")),
        ("input_path", set(c, "input_path")),
        ("input_transformer", transformer),
    ]
    .into_iter()
    .filter_map(|(k, on)| on.then_some(k))
    .collect();
    if given.len() > 1 {
        out.push((
            format!("{} are all set", given.join(" and ")),
            "keep one of input, input_path and input_transformer".into(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_rules_and_targets_are_checked_as_terraform_does() {
        let karpenter = Value::map([
            ("name", Value::string("Karpenter-prod")),
            ("message_retention_seconds", Value::Number(300.0)),
            ("sqs_managed_sse_enabled", Value::Bool(true)),
            ("kms_master_key_id", Value::Null),
            ("fifo_queue", Value::Bool(false)),
        ]);
        assert!(queue(&karpenter).is_empty(), "{:?}", queue(&karpenter));
        let bad = Value::map([
            ("name", Value::string("jobs.fifo")),
            ("content_based_deduplication", Value::Bool(true)),
            ("delay_seconds", Value::Number(901.0)),
            ("deduplication_scope", Value::string("group")),
        ]);
        assert_eq!(queue(&bad).len(), 4, "{:?}", queue(&bad));
        let fifo = Value::map([
            ("name", Value::string("jobs.fifo")),
            ("fifo_queue", Value::Bool(true)),
            ("content_based_deduplication", Value::Bool(true)),
        ]);
        assert!(queue(&fifo).is_empty(), "{:?}", queue(&fifo));

        let pattern = Value::map([("event_pattern", Value::Unknown)]);
        assert!(rule(&pattern).is_empty());
        let neither = Value::map([
            ("state", Value::string("ON")),
            ("is_enabled", Value::Bool(true)),
        ]);
        assert_eq!(rule(&neither).len(), 3, "{:?}", rule(&neither));

        let two = Value::map([
            ("input", Value::string("{}")),
            (
                "input_transformer",
                Value::List(vec![Value::map([("input_template", Value::string("x"))])]),
            ),
        ]);
        assert_eq!(target(&two).len(), 1);
        let one = Value::map([
            ("input_path", Value::string("$.detail")),
            ("input_transformer", Value::List(vec![])),
        ]);
        assert!(target(&one).is_empty());
    }
}

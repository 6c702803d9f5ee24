//! Value rules of `aws_cloudwatch_log_group` and `aws_flow_log` that the Terraform AWS
//! provider checks before calling AWS (and that the emulator does not check at all).

use infra_model::Value;

/// The retention periods CloudWatch Logs accepts (0: never expire).
const RETENTION_DAYS: &[i64] = &[
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

const CLASSES: &[&str] = &["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"];

pub(super) fn log_group(c: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(days) = c.get("retention_in_days").as_f64() {
        if days.fract() != 0.0 || !RETENTION_DAYS.contains(&(days as i64)) {
            out.push((
                format!("retention_in_days: {days} is not a retention CloudWatch Logs offers"),
                format!(
                    "use one of {} (0: never expire)",
                    RETENTION_DAYS
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    if let Some(class) = c.get("log_group_class").as_str() {
        if !CLASSES.contains(&class) {
            out.push((
                format!("log_group_class: `{class}` is not a log group class"),
                format!("use one of {}", CLASSES.join(", ")),
            ));
        }
    }
    if !c.get("name").is_null() && !c.get("name_prefix").is_null() {
        out.push((
            "name and name_prefix are both set".into(),
            "keep one of them: name_prefix makes a unique name from the prefix".into(),
        ));
    }
    out
}

const TARGETS: &[&str] = &[
    "vpc_id",
    "subnet_id",
    "eni_id",
    "transit_gateway_id",
    "transit_gateway_attachment_id",
    "regional_nat_gateway_id",
];

pub(super) fn one_of(c: &Value, key: &str, allowed: &[&str], out: &mut Vec<(String, String)>) {
    if let Some(v) = c.get(key).as_str() {
        if !allowed.contains(&v) {
            out.push((
                format!("{key}: `{v}` is not one of {}", allowed.join(", ")),
                format!("set {key} to one of {}", allowed.join(", ")),
            ));
        }
    }
}

pub(super) fn flow_log(c: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    // an unknown value (an id made by this apply) counts as set
    let set: Vec<&str> = TARGETS
        .iter()
        .copied()
        .filter(|t| !c.get(t).is_null())
        .collect();
    if set.len() != 1 {
        out.push((
            format!(
                "a flow log needs exactly one of {} (found {})",
                TARGETS.join(", "),
                if set.is_empty() {
                    "none".to_string()
                } else {
                    set.join(", ")
                }
            ),
            "set the one VPC, subnet, network interface or transit gateway it watches".into(),
        ));
    }
    let tgw = set.iter().any(|t| t.starts_with("transit_gateway"));
    if set.len() == 1 && !tgw && c.get("traffic_type").is_null() {
        out.push((
            "a flow log of a VPC, subnet or network interface needs a traffic_type".into(),
            "add traffic_type = \"ALL\" (or \"ACCEPT\", \"REJECT\")".into(),
        ));
    }
    one_of(c, "traffic_type", &["ACCEPT", "REJECT", "ALL"], &mut out);
    one_of(
        c,
        "log_destination_type",
        &["cloud-watch-logs", "s3", "kinesis-data-firehose"],
        &mut out,
    );
    if let Some(n) = c.get("max_aggregation_interval").as_f64() {
        if n != 60.0 && n != 600.0 {
            out.push((
                format!("max_aggregation_interval: {n} is neither 60 nor 600"),
                "set max_aggregation_interval to 60 or 600 (seconds)".into(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_class_and_targets_are_checked() {
        let ok = Value::map([("retention_in_days", Value::Number(14.0))]);
        assert!(log_group(&ok).is_empty());
        let bad = Value::map([
            ("retention_in_days", Value::Number(8.0)),
            ("log_group_class", Value::string("COLD")),
            ("name", Value::string("a")),
            ("name_prefix", Value::string("b")),
        ]);
        assert_eq!(log_group(&bad).len(), 3, "{:?}", log_group(&bad));

        let vpc = Value::map([
            ("vpc_id", Value::Unknown),
            ("traffic_type", Value::string("ALL")),
            ("max_aggregation_interval", Value::Number(600.0)),
        ]);
        assert!(flow_log(&vpc).is_empty(), "{:?}", flow_log(&vpc));
        let none = Value::map([("traffic_type", Value::string("ALL"))]);
        assert!(flow_log(&none)[0].0.contains("found none"));
        let two = Value::map([
            ("vpc_id", Value::string("vpc-1")),
            ("subnet_id", Value::string("subnet-1")),
            ("traffic_type", Value::string("SOME")),
            ("max_aggregation_interval", Value::Number(120.0)),
        ]);
        let found = flow_log(&two);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].0.contains("vpc_id, subnet_id"), "{found:?}");
        let untyped = Value::map([("subnet_id", Value::string("subnet-1"))]);
        assert!(flow_log(&untyped)[0].0.contains("traffic_type"));
        let tgw = Value::map([("transit_gateway_id", Value::string("tgw-1"))]);
        assert!(flow_log(&tgw).is_empty());
    }
}

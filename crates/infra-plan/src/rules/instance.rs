//! Value rules of `aws_instance` the Terraform AWS provider checks before it calls EC2
//! (its `ConflictsWith`, `AtLeastOneOf` and `StringInSlice` validators), the blocks infra
//! accepts only empty, and its one conditional replacement: with
//! `user_data_replace_on_change`, a change of `user_data` or `user_data_base64` replaces
//! the instance instead of stopping and starting it (the provider's `ForceNewIf`).

use infra_model::schema::UNSUPPORTED_INSTANCE_BLOCKS;
use infra_model::Value;

use crate::diff::AttrChange;

fn block<'a>(c: &'a Value, name: &str) -> Option<&'a Value> {
    c.get(name).as_list().and_then(|l| l.first())
}

fn one_of(out: &mut Vec<(String, String)>, path: &str, v: &Value, allowed: &[&str]) {
    if let Some(s) = v.as_str() {
        if !allowed.contains(&s) {
            out.push((
                format!("{path}: `{s}` is not a valid value"),
                format!("use one of {}", allowed.join(", ")),
            ));
        }
    }
}

pub(super) fn instance(c: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for b in UNSUPPORTED_INSTANCE_BLOCKS {
        if c.get(b).as_list().is_some_and(|l| !l.is_empty()) {
            out.push((
                format!("the `{b}` block of aws_instance is not supported by infra yet"),
                "remove it (docs/compatibility.md lists what aws_instance supports)".into(),
            ));
        }
    }
    let set = |k: &str| !c.get(k).is_null();
    if set("user_data") && set("user_data_base64") {
        out.push((
            "user_data and user_data_base64 conflict".into(),
            "set one of them: user_data_base64 for data that is not UTF-8 text".into(),
        ));
    }
    let template = block(c, "launch_template");
    if !set("ami") && template.is_none() {
        out.push((
            "ami is required unless a launch_template gives the image".into(),
            "set `ami` (data \"aws_ami\" finds one) or a `launch_template` block".into(),
        ));
    }
    if !set("instance_type") && template.is_none() {
        out.push((
            "instance_type is required unless a launch_template gives it".into(),
            "set `instance_type`, e.g. \"t3.micro\"".into(),
        ));
    }
    if let Some(t) = template {
        if t.get("id").is_null() == t.get("name").is_null() && t.is_wholly_known() {
            out.push((
                "launch_template: set exactly one of `id` and `name`".into(),
                "name the launch template by its id or by its name".into(),
            ));
        }
    }
    if set("ipv6_address_count")
        && c.get("ipv6_addresses")
            .as_list()
            .is_some_and(|l| !l.is_empty())
    {
        out.push((
            "ipv6_address_count and ipv6_addresses conflict".into(),
            "set the number of addresses or the addresses, not both".into(),
        ));
    }
    one_of(
        &mut out,
        "tenancy",
        c.get("tenancy"),
        &["default", "dedicated", "host"],
    );
    one_of(
        &mut out,
        "instance_initiated_shutdown_behavior",
        c.get("instance_initiated_shutdown_behavior"),
        &["stop", "terminate"],
    );
    if let Some(cs) = block(c, "credit_specification") {
        one_of(
            &mut out,
            "credit_specification.cpu_credits",
            cs.get("cpu_credits"),
            &["standard", "unlimited"],
        );
    }
    if let Some(m) = block(c, "metadata_options") {
        let ed = ["enabled", "disabled"];
        one_of(
            &mut out,
            "metadata_options.http_endpoint",
            m.get("http_endpoint"),
            &ed,
        );
        one_of(
            &mut out,
            "metadata_options.http_protocol_ipv6",
            m.get("http_protocol_ipv6"),
            &ed,
        );
        one_of(
            &mut out,
            "metadata_options.instance_metadata_tags",
            m.get("instance_metadata_tags"),
            &ed,
        );
        one_of(
            &mut out,
            "metadata_options.http_tokens",
            m.get("http_tokens"),
            &["optional", "required"],
        );
        if let Some(n) = m.get("http_put_response_hop_limit").as_f64() {
            if n.fract() != 0.0 || !(1.0..=64.0).contains(&n) {
                out.push((
                    format!("metadata_options.http_put_response_hop_limit: {n} is out of range"),
                    "use a whole number from 1 to 64".into(),
                ));
            }
        }
    }
    let volume_types = ["standard", "gp2", "gp3", "io1", "io2", "sc1", "st1"];
    if let Some(r) = block(c, "root_block_device") {
        one_of(
            &mut out,
            "root_block_device.volume_type",
            r.get("volume_type"),
            &volume_types,
        );
    }
    for b in c.get("ebs_block_device").as_list().unwrap_or_default() {
        one_of(
            &mut out,
            "ebs_block_device.volume_type",
            b.get("volume_type"),
            &volume_types,
        );
    }
    if let Some(Value::Map(tags)) = Some(c.get("volume_tags")) {
        let blocks_tag = block(c, "root_block_device").is_some_and(|r| !r.get("tags").is_null())
            || c.get("ebs_block_device")
                .as_list()
                .unwrap_or_default()
                .iter()
                .any(|b| !b.get("tags").is_null());
        if blocks_tag && !tags.is_empty() {
            out.push((
                "volume_tags conflicts with the tags of root_block_device and ebs_block_device"
                    .into(),
                "tag the volumes with volume_tags or in their blocks, not both".into(),
            ));
        }
    }
    out
}

/// Mark the changes of an `aws_instance` that `user_data_replace_on_change` turns into a
/// replacement.
pub(crate) fn forces_new(type_name: &str, planned: &Value, changes: &mut [AttrChange]) {
    if type_name != "aws_instance"
        || planned.get("user_data_replace_on_change").as_bool() != Some(true)
    {
        return;
    }
    for c in changes {
        if c.path == "user_data" || c.path == "user_data_base64" {
            c.force_new = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(c: Value) -> Vec<String> {
        instance(&c).into_iter().map(|(s, _)| s).collect()
    }

    #[test]
    fn arguments_the_provider_refuses_are_named() {
        let ok = Value::map([
            ("ami", Value::string("ami-1")),
            ("instance_type", Value::string("t3.micro")),
        ]);
        assert!(problems(ok.clone()).is_empty());
        let mut m = ok.as_map().unwrap().clone();
        m.insert("user_data".into(), Value::string("a"));
        m.insert("user_data_base64".into(), Value::string("YQ=="));
        m.insert("tenancy".into(), Value::string("shared"));
        m.insert(
            "metadata_options".into(),
            Value::List(vec![Value::map([
                ("http_tokens", Value::string("always")),
                ("http_put_response_hop_limit", Value::Number(65.0)),
            ])]),
        );
        m.insert(
            "instance_market_options".into(),
            Value::List(vec![Value::map([("market_type", Value::string("spot"))])]),
        );
        let got = problems(Value::Map(m));
        assert_eq!(got.len(), 5, "{got:?}");
        assert!(got
            .iter()
            .any(|p| p.contains("user_data and user_data_base64")));
        assert!(got.iter().any(|p| p.starts_with("tenancy")));
        assert!(got.iter().any(|p| p.contains("http_tokens")));
        assert!(got.iter().any(|p| p.contains("hop_limit")));
        assert!(got.iter().any(|p| p.contains("`instance_market_options`")));
        // an empty dynamic block is fine; no ami without a launch template is not
        let got = problems(Value::map([
            ("instance_type", Value::string("t3.micro")),
            ("instance_market_options", Value::List(vec![])),
        ]));
        assert_eq!(
            got,
            ["ami is required unless a launch_template gives the image"]
        );
    }

    #[test]
    fn user_data_replaces_only_with_replace_on_change() {
        let change = || {
            vec![
                AttrChange {
                    path: "user_data".into(),
                    force_new: false,
                },
                AttrChange {
                    path: "tags".into(),
                    force_new: false,
                },
            ]
        };
        let mut c = change();
        forces_new("aws_instance", &Value::map::<&str>([]), &mut c);
        assert!(!c[0].force_new);
        let planned = Value::map([("user_data_replace_on_change", Value::Bool(true))]);
        let mut c = change();
        forces_new("aws_instance", &planned, &mut c);
        assert!(c[0].force_new && !c[1].force_new);
    }
}

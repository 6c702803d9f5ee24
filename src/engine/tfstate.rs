//! Terraform's state file, format version 4 (`terraform.tfstate`), read for
//! `infra state migrate-from-terraform`. The serde types follow Terraform's
//! `internal/states/statefile/version4.go`; only what migration needs is kept, unknown
//! fields are ignored.

use infra_model::{Address, InstanceKey, Mode};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct StateV4 {
    /// Checked before deserializing (see [`parse`]).
    #[allow(dead_code)]
    pub version: u64,
    #[serde(default)]
    pub terraform_version: String,
    #[serde(default)]
    pub serial: u64,
    #[serde(default)]
    pub lineage: String,
    #[serde(default)]
    pub resources: Vec<ResourceV4>,
}

#[derive(Debug, Deserialize)]
pub struct ResourceV4 {
    /// `module.net` or `module.env["prod"].module.net`; absent for the root module.
    #[serde(default)]
    pub module: Option<String>,
    pub mode: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub name: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub instances: Vec<InstanceV4>,
}

#[derive(Debug, Deserialize)]
pub struct InstanceV4 {
    /// A number (`count`) or a string (`for_each`).
    #[serde(default)]
    pub index_key: Option<serde_json::Value>,
    /// `tainted` when set.
    #[serde(default)]
    pub status: Option<String>,
    /// A create_before_destroy replacement's old object.
    #[serde(default)]
    pub deposed: Option<String>,
    #[serde(default)]
    pub attributes: Option<serde_json::Value>,
}

/// One managed instance to adopt: its address and Terraform's import ID for it.
#[derive(Debug, Clone, PartialEq)]
pub struct TfInstance {
    pub address: Address,
    pub import_id: String,
    pub tainted: bool,
}

pub fn parse(text: &str) -> Result<StateV4, String> {
    let probe: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("not a Terraform state file (invalid JSON: {e})"))?;
    match probe.get("version").and_then(|v| v.as_u64()) {
        Some(4) => {}
        Some(v) => {
            return Err(format!("state format version {v} is not supported; only version 4 (Terraform 0.12 and later): run `terraform state pull` with a current Terraform to upgrade it"))
        }
        None => return Err("not a Terraform state file: it has no `version`".into()),
    }
    serde_json::from_value(probe).map_err(|e| format!("not a Terraform state file: {e}"))
}

/// Every current managed instance (data sources are read again; deposed objects are
/// left to Terraform), with its import ID.
pub fn managed_instances(state: &StateV4) -> Result<Vec<TfInstance>, String> {
    let mut out = Vec::new();
    for r in state.resources.iter().filter(|r| r.mode == "managed") {
        if !r.provider.is_empty() && !r.provider.contains("hashicorp/aws") {
            return Err(format!(
                "{}.{} uses the provider {}; infra supports only hashicorp/aws",
                r.type_name, r.name, r.provider
            ));
        }
        for inst in r.instances.iter().filter(|i| i.deposed.is_none()) {
            let address = address(r, inst)?;
            let attrs = inst.attributes.clone().unwrap_or_default();
            let import_id = import_id(&r.type_name, &attrs)
                .ok_or_else(|| format!("{address}: its attributes have no id to import it by"))?;
            out.push(TfInstance {
                address,
                import_id,
                tainted: inst.status.as_deref() == Some("tainted"),
            });
        }
    }
    Ok(out)
}

fn address(r: &ResourceV4, inst: &InstanceV4) -> Result<Address, String> {
    let mut text = String::new();
    if let Some(m) = r.module.as_deref().filter(|m| !m.is_empty()) {
        text.push_str(m);
        text.push('.');
    }
    text.push_str(&format!("{}.{}", r.type_name, r.name));
    let mut a = Address::parse(&text).map_err(|e| format!("resource {text}: {e}"))?;
    a.mode = Mode::Managed;
    a.key = match &inst.index_key {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => Some(InstanceKey::Int(
            n.as_i64()
                .ok_or_else(|| format!("{text}: invalid index_key {n}"))?,
        )),
        Some(serde_json::Value::String(s)) => Some(InstanceKey::Str(s.clone())),
        Some(other) => return Err(format!("{text}: invalid index_key {other}")),
    };
    Ok(a)
}

/// Terraform's import ID of an object from its state attributes: the id, except where
/// the provider's id is not what `terraform import` takes.
pub fn import_id(type_name: &str, attrs: &serde_json::Value) -> Option<String> {
    let s = |k: &str| {
        attrs
            .get(k)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
    };
    match type_name {
        // the state's id is `<role>-<timestamp>`
        "aws_iam_role_policy_attachment" => Some(format!("{}/{}", s("role")?, s("policy_arn")?)),
        // the state's id is `r-<table><hash>`
        "aws_route" => Some(format!(
            "{}_{}",
            s("route_table_id")?,
            s("destination_cidr_block")?
        )),
        // the state's id is `<rule>-<target_id>`, which cannot be parsed
        "aws_cloudwatch_event_target" => Some(format!(
            "{}/{}/{}",
            s("event_bus_name").unwrap_or("default"),
            s("rule")?,
            s("target_id")?
        )),
        _ => s("id").map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_target_is_imported_by_bus_rule_and_target_id() {
        let attrs = serde_json::json!({
            "id": "spot-KarpenterInterruptionQueueTarget",
            "rule": "spot",
            "target_id": "KarpenterInterruptionQueueTarget",
            "event_bus_name": "default",
        });
        assert_eq!(
            import_id("aws_cloudwatch_event_target", &attrs).as_deref(),
            Some("default/spot/KarpenterInterruptionQueueTarget")
        );
        let no_rule = serde_json::json!({"id": "x-y", "target_id": "y"});
        assert_eq!(import_id("aws_cloudwatch_event_target", &no_rule), None);
    }

    #[test]
    fn versions_other_than_4_are_refused_with_what_to_do() {
        let e = parse(r#"{"version": 3, "serial": 1, "modules": []}"#).unwrap_err();
        assert!(e.contains("only version 4"), "{e}");
        assert!(parse("not json").unwrap_err().contains("invalid JSON"));
    }

    #[test]
    fn addresses_and_import_ids() {
        let state = parse(
            r#"{"version": 4, "terraform_version": "1.9.8", "serial": 3, "lineage": "l", "outputs": {},
            "resources": [
              {"module": "module.eks", "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "node", "each": "map",
               "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
               "instances": [{"index_key": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy", "schema_version": 0,
                 "attributes": {"id": "r-20240101", "role": "n", "policy_arn": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"},
                 "sensitive_attributes": [], "dependencies": []}]},
              {"mode": "managed", "type": "aws_route", "name": "r", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
               "instances": [{"index_key": 0, "schema_version": 0, "attributes": {"id": "r-rtb-11080289494", "route_table_id": "rtb-1", "destination_cidr_block": "0.0.0.0/0"}, "sensitive_attributes": []}]},
              {"mode": "data", "type": "aws_region", "name": "here", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
               "instances": [{"schema_version": 0, "attributes": {"id": "us-east-1"}, "sensitive_attributes": []}]}
            ], "check_results": null}"#,
        )
        .unwrap();
        let got = managed_instances(&state).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].address.to_string(),
            "module.eks.aws_iam_role_policy_attachment.node[\"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy\"]"
        );
        assert_eq!(
            got[0].import_id,
            "n/arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
        );
        assert_eq!(got[1].address.to_string(), "aws_route.r[0]");
        assert_eq!(got[1].import_id, "rtb-1_0.0.0.0/0");
    }
}

//! The fake cloud's object model: ids, computed attributes, tags and in-place updates,
//! shaped like what the AWS provider returns.

use std::collections::BTreeMap;

use infra_model::schema::{self, AttrType, ResourceSchema};
use infra_model::{tags, Mode, Value};

use super::{ACCOUNT_ID, REGION, ZONES};
use crate::{CreateRequest, ErrorKind, ProviderError};

pub(super) fn code_for(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "NotFound",
        ErrorKind::Throttled => "RequestLimitExceeded",
        ErrorKind::Transient => "InternalError",
        ErrorKind::Credentials => "AuthFailure",
        ErrorKind::Rejected => "InvalidParameterValue",
        ErrorKind::Timeout => "WaiterTimeout",
        ErrorKind::Cancelled => "Cancelled",
        ErrorKind::Other => "Unknown",
    }
}

/// The id prefix AWS uses for a type.
pub fn id_prefix(type_name: &str) -> &str {
    match type_name {
        "aws_vpc" => "vpc",
        "aws_subnet" => "subnet",
        "aws_internet_gateway" => "igw",
        "aws_eip" => "eipalloc",
        "aws_nat_gateway" => "nat",
        "aws_route_table" => "rtb",
        "aws_route" => "r",
        "aws_route_table_association" => "rtbassoc",
        "aws_security_group" => "sg",
        other => other.strip_prefix("aws_").unwrap_or(other),
    }
}

/// `aws_internet_gateway` -> `InternetGateways`, for counted API names.
pub(super) fn api_noun(type_name: &str) -> String {
    let base = type_name.strip_prefix("aws_").unwrap_or(type_name);
    let mut out: String = base
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    out.push('s');
    out
}

pub(super) fn is_infra_tag(key: &str) -> bool {
    key == tags::STACK || key == tags::ADDRESS || key.starts_with("infra:")
}

/// The stored object without the `infra:*` tags.
pub(super) fn public_view(stored: &Value) -> Value {
    let mut v = stored.clone();
    if let Value::Map(obj) = &mut v {
        for field in ["tags", "tags_all"] {
            if let Some(Value::Map(t)) = obj.get_mut(field) {
                t.retain(|k, _| !is_infra_tag(k));
            }
        }
    }
    v
}

pub(super) fn managed_schema(type_name: &str) -> Result<&'static ResourceSchema, ProviderError> {
    schema::lookup(Mode::Managed, type_name).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "unsupported resource type `{type_name}`; use one of {}",
                schema::type_names(Mode::Managed).join(", ")
            ),
        )
    })
}

pub(super) fn computed_value(
    name: &str,
    ty: &AttrType,
    type_name: &str,
    id: &str,
    serial: u64,
) -> Value {
    let suffix = id.rsplit('-').next().unwrap_or(id);
    let octet = serial % 250 + 1;
    match ty {
        AttrType::String | AttrType::Json => {}
        AttrType::List(_) | AttrType::Set(_) => return Value::List(Vec::new()),
        AttrType::Map(_) => return Value::Map(BTreeMap::new()),
        AttrType::Bool => return Value::Bool(false),
        AttrType::Number => return Value::Number(0.0),
        AttrType::Any => return Value::Null,
    }
    let s = match name {
        "id" => id.to_string(),
        "arn" => format!(
            "arn:aws:ec2:{REGION}:{ACCOUNT_ID}:{}/{id}",
            type_name
                .strip_prefix("aws_")
                .unwrap_or(type_name)
                .replace('_', "-")
        ),
        "owner_id" => ACCOUNT_ID.to_string(),
        "allocation_id" => id.to_string(),
        "public_ip" => format!("203.0.113.{octet}"),
        "private_ip" => format!("10.0.{}.{octet}", serial / 250),
        "public_dns" => format!("ec2-203-0-113-{octet}.compute-1.amazonaws.com"),
        "availability_zone" => ZONES[0].to_string(),
        "availability_zone_id" => "use1-az1".to_string(),
        "association_id" => format!("eipassoc-{suffix}"),
        "network_interface" | "network_interface_id" => format!("eni-{suffix}"),
        "main_route_table_id" | "default_route_table_id" => format!("rtb-{suffix}"),
        "default_security_group_id" => format!("sg-{suffix}"),
        "default_network_acl_id" => format!("acl-{suffix}"),
        "vpc_id" => format!("vpc-{suffix}"),
        "name" => format!("terraform-{suffix}"),
        "origin" => "CreateRoute".to_string(),
        "state" => "active".to_string(),
        other => format!("{other}-{suffix}"),
    };
    Value::String(s)
}

pub(super) fn map_of(v: &Value) -> BTreeMap<String, Value> {
    v.as_map().cloned().unwrap_or_default()
}

/// Build the stored object for a create: every schema attribute, computed ones filled.
pub(super) fn build_object(
    schema: &ResourceSchema,
    req: &CreateRequest,
    id: &str,
    serial: u64,
) -> Value {
    let mut obj = BTreeMap::new();
    for a in &schema.attributes {
        let configured = req.config.get(a.name);
        let v = if a.name == "id" {
            Value::string(id)
        } else if !configured.is_null() && !configured.is_unknown() {
            configured.clone()
        } else if a.computed {
            computed_value(a.name, &a.ty, &req.type_name, id, serial)
        } else {
            a.default.clone().unwrap_or(Value::Null)
        };
        obj.insert(a.name.to_string(), v);
    }
    for b in &schema.blocks {
        let configured = req.config.get(b.name);
        obj.insert(
            b.name.to_string(),
            if configured.is_null() {
                Value::List(Vec::new())
            } else {
                configured.clone()
            },
        );
    }
    if schema.has_tags() {
        let mut all = map_of(req.config.get("tags_all"));
        for (k, v) in map_of(req.config.get("tags")) {
            all.insert(k, v);
        }
        all.insert(tags::STACK.to_string(), Value::string(&req.stack));
        all.insert(
            tags::ADDRESS.to_string(),
            Value::string(req.address.to_string()),
        );
        obj.insert("tags_all".to_string(), Value::Map(all));
        if obj.get("tags").is_none_or(Value::is_null) {
            obj.insert("tags".to_string(), Value::Map(BTreeMap::new()));
        }
    }
    Value::Map(obj)
}

/// Apply an in-place update: desired values replace stored ones, except the id and what
/// only the cloud computes; the `infra:*` tags stay.
pub(super) fn merge_update(schema: &ResourceSchema, stored: &Value, desired: &Value) -> Value {
    let mut obj = map_of(stored);
    let Some(want) = desired.as_map() else {
        return stored.clone();
    };
    for (k, v) in want {
        if k == "id" || k == "tags_all" || v.is_unknown() {
            continue;
        }
        let cloud_only = schema
            .attribute(k)
            .is_some_and(|a| a.computed && !a.optional && !a.required);
        if cloud_only {
            continue;
        }
        obj.insert(k.clone(), v.clone());
    }
    if schema.has_tags() {
        let kept: BTreeMap<String, Value> = map_of(stored.get("tags_all"))
            .into_iter()
            .filter(|(k, _)| is_infra_tag(k))
            .collect();
        let mut all = map_of(desired.get("tags_all"));
        for (k, v) in map_of(desired.get("tags")) {
            all.insert(k, v);
        }
        if !desired.get("tags").is_null() || !desired.get("tags_all").is_null() {
            all.extend(kept);
            obj.insert("tags_all".to_string(), Value::Map(all));
        }
    }
    Value::Map(obj)
}

/// The canned answers of the data sources: us-east-1, its three zones, one account.
pub(super) fn data_source(type_name: &str, args: &Value) -> Value {
    let strings = |xs: &[&str]| Value::List(xs.iter().map(|s| Value::string(*s)).collect());
    match type_name {
        "aws_availability_zones" => Value::map([
            ("id", Value::string(REGION)),
            ("names", strings(&ZONES)),
            ("zone_ids", strings(&["use1-az1", "use1-az2", "use1-az3"])),
            ("state", args.get("state").clone()),
        ]),
        "aws_region" => Value::map([
            ("id", Value::string(REGION)),
            ("name", Value::string(REGION)),
            ("description", Value::string("US East (N. Virginia)")),
            (
                "endpoint",
                Value::string(format!("ec2.{REGION}.amazonaws.com")),
            ),
        ]),
        _ => Value::map([
            ("id", Value::string(ACCOUNT_ID)),
            ("account_id", Value::string(ACCOUNT_ID)),
            (
                "arn",
                Value::string(format!("arn:aws:iam::{ACCOUNT_ID}:user/infra")),
            ),
            ("user_id", Value::string("AIDAFAKEUSER")),
        ]),
    }
}

//! `aws_launch_template`: EC2 launch templates, as EKS node groups use them.
//!
//! The template's data is versioned: an update of any of it makes a new version
//! (CreateLaunchTemplateVersion with the whole data), as Terraform does, and moves the
//! default version to it when `update_default_version` is set (ModifyLaunchTemplate).
//! Only the name forces a new template. A refresh lists the templates once
//! (DescribeLaunchTemplates: an id list fails whole when one id is gone, and there is no
//! id filter) and reads every template's latest version in one
//! DescribeLaunchTemplateVersions (`$Latest` without a template id). Templates are tagged
//! at creation and carry the create's ClientToken; adoption finds them by `infra:*` tags.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{
    Filter, InstanceType, LaunchTemplate, LaunchTemplateBlockDeviceMappingRequest,
    LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateHttpTokensState,
    LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateInstanceMetadataProtocolIpv6, LaunchTemplateInstanceMetadataTagsState,
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequest,
    LaunchTemplateTagSpecificationRequest, LaunchTemplateVersion, LaunchTemplatesMonitoringRequest,
    RequestLaunchTemplateData, ResourceType, ResponseLaunchTemplateData, Tag, VolumeType,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::is_not_found;
use crate::util::{ec2_arn, get_bool, get_i64, get_str, get_strings, opt, put_tags, tag_spec};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_launch_template";

// ---- configuration -> request ----

/// Terraform writes the template's booleans as strings ("true", "false", or unset).
fn str_bool(v: &Value, key: &str) -> Option<bool> {
    match v.get(key) {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn int(v: &Value, key: &str) -> Option<i32> {
    get_i64(v, key).and_then(|n| i32::try_from(n).ok())
}

fn blocks<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).as_list().map(|l| &l[..]).unwrap_or(&[])
}

fn ebs_request(e: &Value) -> LaunchTemplateEbsBlockDeviceRequest {
    LaunchTemplateEbsBlockDeviceRequest::builder()
        .set_delete_on_termination(str_bool(e, "delete_on_termination"))
        .set_encrypted(str_bool(e, "encrypted"))
        .set_iops(int(e, "iops"))
        .set_kms_key_id(get_str(e, "kms_key_id").map(str::to_string))
        .set_snapshot_id(get_str(e, "snapshot_id").map(str::to_string))
        .set_throughput(int(e, "throughput"))
        .set_volume_size(int(e, "volume_size"))
        .set_volume_type(get_str(e, "volume_type").map(VolumeType::from))
        .set_volume_initialization_rate(int(e, "volume_initialization_rate"))
        .build()
}

/// The template data of a configuration: what CreateLaunchTemplate and every new version
/// send.
pub(crate) fn data(c: &Value) -> RequestLaunchTemplateData {
    let bdm = blocks(c, "block_device_mappings")
        .iter()
        .map(|b| {
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .set_device_name(get_str(b, "device_name").map(str::to_string))
                .set_no_device(get_str(b, "no_device").map(str::to_string))
                .set_virtual_name(get_str(b, "virtual_name").map(str::to_string))
                .set_ebs(blocks(b, "ebs").first().map(ebs_request))
                .build()
        })
        .collect::<Vec<_>>();
    let metadata = blocks(c, "metadata_options").first().map(|m| {
        LaunchTemplateInstanceMetadataOptionsRequest::builder()
            .set_http_endpoint(
                get_str(m, "http_endpoint").map(LaunchTemplateInstanceMetadataEndpointState::from),
            )
            .set_http_tokens(get_str(m, "http_tokens").map(LaunchTemplateHttpTokensState::from))
            .set_http_put_response_hop_limit(int(m, "http_put_response_hop_limit"))
            .set_http_protocol_ipv6(
                get_str(m, "http_protocol_ipv6")
                    .map(LaunchTemplateInstanceMetadataProtocolIpv6::from),
            )
            .set_instance_metadata_tags(
                get_str(m, "instance_metadata_tags")
                    .map(LaunchTemplateInstanceMetadataTagsState::from),
            )
            .build()
    });
    let nics = blocks(c, "network_interfaces")
        .iter()
        .map(|n| {
            let groups = get_strings(n, "security_groups");
            let b = LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
                .set_associate_public_ip_address(str_bool(n, "associate_public_ip_address"))
                .set_delete_on_termination(str_bool(n, "delete_on_termination"))
                .set_description(get_str(n, "description").map(str::to_string))
                .set_device_index(int(n, "device_index"))
                .set_network_interface_id(get_str(n, "network_interface_id").map(str::to_string))
                .set_private_ip_address(get_str(n, "private_ip_address").map(str::to_string))
                .set_groups((!groups.is_empty()).then_some(groups))
                .set_subnet_id(get_str(n, "subnet_id").map(str::to_string));
            crate::launch_template_more::extend_nic(b, n).build()
        })
        .collect::<Vec<_>>();
    let tag_specs = blocks(c, "tag_specifications")
        .iter()
        .map(|t| {
            let tags = t
                .get("tags")
                .as_map()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some(Tag::builder().key(k).value(v.as_str()?).build()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            LaunchTemplateTagSpecificationRequest::builder()
                .set_resource_type(get_str(t, "resource_type").map(ResourceType::from))
                .set_tags(Some(tags))
                .build()
        })
        .collect::<Vec<_>>();
    let profile = blocks(c, "iam_instance_profile").first().map(|p| {
        LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
            .set_arn(get_str(p, "arn").map(str::to_string))
            .set_name(get_str(p, "name").map(str::to_string))
            .build()
    });
    let monitoring = blocks(c, "monitoring").first().map(|m| {
        LaunchTemplatesMonitoringRequest::builder()
            .set_enabled(get_bool(m, "enabled"))
            .build()
    });
    let sgs = get_strings(c, "vpc_security_group_ids");
    let sg_names = get_strings(c, "security_group_names");
    let b = RequestLaunchTemplateData::builder()
        .set_image_id(get_str(c, "image_id").map(str::to_string))
        .set_instance_type(get_str(c, "instance_type").map(InstanceType::from))
        .set_key_name(get_str(c, "key_name").map(str::to_string))
        .set_user_data(get_str(c, "user_data").map(str::to_string))
        .set_ebs_optimized(str_bool(c, "ebs_optimized"))
        .set_security_group_ids((!sgs.is_empty()).then_some(sgs))
        .set_security_groups((!sg_names.is_empty()).then_some(sg_names))
        .set_block_device_mappings((!bdm.is_empty()).then_some(bdm))
        .set_metadata_options(metadata)
        .set_network_interfaces((!nics.is_empty()).then_some(nics))
        .set_tag_specifications((!tag_specs.is_empty()).then_some(tag_specs))
        .set_iam_instance_profile(profile)
        .set_monitoring(monitoring);
    crate::launch_template_more::extend(b, c).build()
}

// ---- response -> value ----

fn bool_str(b: Option<bool>) -> Value {
    b.map(|b| Value::string(b.to_string()))
        .unwrap_or(Value::Null)
}

fn num(n: Option<i32>) -> Value {
    n.map(|n| Value::Number(f64::from(n)))
        .unwrap_or(Value::Null)
}

fn set(items: &[String]) -> Value {
    let mut v: Vec<&str> = items.iter().map(String::as_str).collect();
    v.sort_unstable();
    v.dedup();
    crate::util::strings(v)
}

fn data_value(m: &mut BTreeMap<String, Value>, d: &ResponseLaunchTemplateData) {
    m.insert("image_id".into(), opt(d.image_id()));
    m.insert(
        "instance_type".into(),
        opt(d.instance_type().map(InstanceType::as_str)),
    );
    m.insert("key_name".into(), opt(d.key_name()));
    m.insert("user_data".into(), opt(d.user_data()));
    m.insert("ebs_optimized".into(), bool_str(d.ebs_optimized()));
    m.insert("vpc_security_group_ids".into(), set(d.security_group_ids()));
    m.insert("security_group_names".into(), set(d.security_groups()));
    let bdm = d
        .block_device_mappings()
        .iter()
        .map(|b| {
            let ebs = b.ebs().map(|e| {
                Value::map([
                    ("delete_on_termination", bool_str(e.delete_on_termination())),
                    ("encrypted", bool_str(e.encrypted())),
                    ("iops", num(e.iops())),
                    ("kms_key_id", opt(e.kms_key_id())),
                    ("snapshot_id", opt(e.snapshot_id())),
                    ("throughput", num(e.throughput())),
                    ("volume_size", num(e.volume_size())),
                    ("volume_type", opt(e.volume_type().map(VolumeType::as_str))),
                    (
                        "volume_initialization_rate",
                        num(e.volume_initialization_rate()),
                    ),
                ])
            });
            Value::map([
                ("device_name", opt(b.device_name())),
                ("no_device", opt(b.no_device())),
                ("virtual_name", opt(b.virtual_name())),
                ("ebs", Value::List(ebs.into_iter().collect())),
            ])
        })
        .collect();
    m.insert("block_device_mappings".into(), Value::List(bdm));
    let metadata = d.metadata_options().map(|o| {
        Value::map([
            ("http_endpoint", opt(o.http_endpoint().map(|x| x.as_str()))),
            ("http_tokens", opt(o.http_tokens().map(|x| x.as_str()))),
            (
                "http_put_response_hop_limit",
                num(o.http_put_response_hop_limit()),
            ),
            (
                "http_protocol_ipv6",
                opt(o.http_protocol_ipv6().map(|x| x.as_str())),
            ),
            (
                "instance_metadata_tags",
                opt(o.instance_metadata_tags().map(|x| x.as_str())),
            ),
        ])
    });
    m.insert(
        "metadata_options".into(),
        Value::List(metadata.into_iter().collect()),
    );
    let nics = d
        .network_interfaces()
        .iter()
        .map(|n| {
            let mut v = vec![
                (
                    "associate_public_ip_address",
                    bool_str(n.associate_public_ip_address()),
                ),
                ("delete_on_termination", bool_str(n.delete_on_termination())),
                ("description", opt(n.description())),
                ("device_index", num(n.device_index())),
                ("network_interface_id", opt(n.network_interface_id())),
                ("private_ip_address", opt(n.private_ip_address())),
                ("security_groups", set(n.groups())),
                ("subnet_id", opt(n.subnet_id())),
            ];
            v.extend(crate::launch_template_read::nic_values(n));
            Value::map(v)
        })
        .collect();
    m.insert("network_interfaces".into(), Value::List(nics));
    // The emulator files the template's own tags (resource type `launch-template`, which
    // template data cannot hold on AWS) among the data's tag specifications.
    let specs = d
        .tag_specifications()
        .iter()
        .filter(|t| t.resource_type().map(|r| r.as_str()) != Some("launch-template"))
        .map(|t| {
            let tags: BTreeMap<String, Value> = t
                .tags()
                .iter()
                .filter_map(|x| Some((x.key()?.to_string(), Value::string(x.value()?))))
                .collect();
            Value::map([
                ("resource_type", opt(t.resource_type().map(|r| r.as_str()))),
                ("tags", Value::Map(tags)),
            ])
        })
        .collect();
    m.insert("tag_specifications".into(), Value::List(specs));
    let profile = d
        .iam_instance_profile()
        .map(|p| Value::map([("arn", opt(p.arn())), ("name", opt(p.name()))]));
    m.insert(
        "iam_instance_profile".into(),
        Value::List(profile.into_iter().collect()),
    );
    let monitoring = d.monitoring().map(|x| {
        Value::map([(
            "enabled",
            x.enabled().map(Value::Bool).unwrap_or(Value::Null),
        )])
    });
    m.insert(
        "monitoring".into(),
        Value::List(monitoring.into_iter().collect()),
    );
    crate::launch_template_read::values(m, d);
}

fn to_value(
    p: &AwsProvider,
    t: &LaunchTemplate,
    latest: Option<&LaunchTemplateVersion>,
    tags: &[Tag],
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    let id = t.launch_template_id()?.to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert(
        "arn".into(),
        ec2_arn(p, t.created_by().and_then(owner_of), "launch-template", &id),
    );
    m.insert("name".into(), opt(t.launch_template_name()));
    m.insert(
        "default_version".into(),
        t.default_version_number()
            .map(|n| Value::Number(n as f64))
            .unwrap_or(Value::Null),
    );
    m.insert(
        "latest_version".into(),
        t.latest_version_number()
            .map(|n| Value::Number(n as f64))
            .unwrap_or(Value::Null),
    );
    let carried = |k: &str| prior.map(|p| p.get(k).clone()).unwrap_or(Value::Null);
    // what the template does not report: how it was named, whether updates move the default
    m.insert(
        "name_prefix".into(),
        match carried("name_prefix") {
            Value::Unknown => Value::Null,
            v => v,
        },
    );
    m.insert(
        "update_default_version".into(),
        match carried("update_default_version") {
            Value::Unknown => Value::Null,
            v => v,
        },
    );
    m.insert(
        "description".into(),
        opt(latest.and_then(|v| v.version_description())),
    );
    if let Some(d) = latest.and_then(LaunchTemplateVersion::launch_template_data) {
        data_value(&mut m, d);
    }
    put_tags(&mut m, tags, prior);
    Some((id, Value::Map(m)))
}

/// The account of `arn:aws:iam::123456789012:root`.
fn owner_of(created_by: &str) -> Option<&str> {
    created_by.split(':').nth(4).filter(|s| !s.is_empty())
}

async fn describe(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<LaunchTemplate>, ProviderError> {
    p.paginate(
        "ec2:DescribeLaunchTemplates",
        |token| {
            p.ec2()
                .describe_launch_templates()
                .set_filters((!filters.is_empty()).then(|| filters.clone()))
                .max_results(200)
                .set_next_token(token)
                .send()
        },
        |page| page.launch_templates(),
        |page| page.next_token(),
    )
    .await
}

/// Every template's latest version, in one paginated call.
async fn latest_versions(
    p: &AwsProvider,
) -> Result<HashMap<String, LaunchTemplateVersion>, ProviderError> {
    let all = p
        .paginate(
            "ec2:DescribeLaunchTemplateVersions",
            |token| {
                p.ec2()
                    .describe_launch_template_versions()
                    .versions("$Latest")
                    .max_results(200)
                    .set_next_token(token)
                    .send()
            },
            |page| page.launch_template_versions(),
            |page| page.next_token(),
        )
        .await?;
    Ok(all
        .into_iter()
        .filter_map(|v| Some((v.launch_template_id()?.to_string(), v)))
        .collect())
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let templates: Vec<LaunchTemplate> = describe(p, vec![])
        .await?
        .into_iter()
        .filter(|t| {
            t.launch_template_id()
                .is_some_and(|id| priors.contains_key(id))
        })
        .collect();
    if templates.is_empty() {
        return Ok(BTreeMap::new());
    }
    let versions = latest_versions(p).await?;
    let tags = current_tags(p, &templates).await?;
    Ok(templates
        .iter()
        .filter_map(|t| {
            let id = t.launch_template_id()?;
            let now = tags.get(id).map(Vec::as_slice).unwrap_or(t.tags());
            to_value(p, t, versions.get(id), now, priors.get(id).copied())
        })
        .collect())
}

/// The templates' tags as they are now (DescribeTags, one call per 200 templates): the
/// emulator's DescribeLaunchTemplates answers the tags a template was created with, and
/// ignores CreateTags / DeleteTags made since.
async fn current_tags(
    p: &AwsProvider,
    templates: &[LaunchTemplate],
) -> Result<HashMap<String, Vec<Tag>>, ProviderError> {
    let mut out: HashMap<String, Vec<Tag>> = HashMap::new();
    for chunk in crate::util::id_chunks(
        templates
            .iter()
            .filter_map(LaunchTemplate::launch_template_id),
    ) {
        let found = p
            .paginate(
                "ec2:DescribeTags",
                |token| {
                    p.ec2()
                        .describe_tags()
                        .filters(crate::util::filter("resource-id", chunk.clone()))
                        .set_next_token(token)
                        .send()
                },
                |page| page.tags(),
                |page| page.next_token(),
            )
            .await?;
        for t in found {
            if let Some(id) = t.resource_id() {
                out.entry(id.to_string()).or_default().push(
                    Tag::builder()
                        .set_key(t.key().map(str::to_string))
                        .set_value(t.value().map(str::to_string))
                        .build(),
                );
            }
        }
        for id in chunk {
            out.entry(id).or_default();
        }
    }
    Ok(out)
}

/// The template's name: `name`, else `name_prefix` and a unique suffix, else
/// `terraform-` and one, as Terraform makes them (26 characters, here from the end of the
/// create's idempotency token, `<run>-<hash of the address>`, so a resent create names the
/// same template and two templates of one run never share a name).
fn name_of(req: &CreateRequest) -> String {
    if let Some(n) = get_str(&req.config, "name") {
        return n.to_string();
    }
    let prefix = get_str(&req.config, "name_prefix").unwrap_or("terraform-");
    crate::util::prefixed_name(prefix, &req.token, 128).to_ascii_lowercase()
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let name = name_of(req);
    let spec = tag_spec(ResourceType::LaunchTemplate, req);
    let body = data(c);
    let out = p
        .call("ec2:CreateLaunchTemplate", || {
            p.ec2()
                .create_launch_template()
                .launch_template_name(&name)
                .set_version_description(get_str(c, "description").map(str::to_string))
                .launch_template_data(body.clone())
                .client_token(&req.token)
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .launch_template()
        .and_then(LaunchTemplate::launch_template_id)
        .ok_or_else(|| ProviderError::new(ErrorKind::Other, "CreateLaunchTemplate returned no id"))?
        .to_string();
    // a default version asked for other than 1 is set once the versions exist: version 1
    // is the only one a new template has
    p.read_back(TYPE, &id, c).await
}

/// The template data of a value without what is not data (for comparing).
fn data_of(v: &Value) -> Value {
    const DATA: &[&str] = &[
        "description",
        "image_id",
        "instance_type",
        "key_name",
        "user_data",
        "ebs_optimized",
        "vpc_security_group_ids",
        "security_group_names",
        "block_device_mappings",
        "metadata_options",
        "network_interfaces",
        "tag_specifications",
        "iam_instance_profile",
        "monitoring",
    ];
    Value::map(
        DATA.iter()
            .chain(crate::launch_template_more::DATA)
            .map(|k| (*k, v.get(k).clone())),
    )
}

fn same(a: &Value, b: &Value) -> bool {
    fn norm(v: &Value) -> Value {
        match v {
            Value::List(l) if l.is_empty() => Value::Null,
            Value::List(l) => Value::List(l.iter().map(norm).collect()),
            Value::Map(m) => Value::Map(
                m.iter()
                    .filter(|(_, v)| !matches!(norm(v), Value::Null | Value::Unknown))
                    .map(|(k, v)| (k.clone(), norm(v)))
                    .collect(),
            ),
            Value::Number(n) => Value::string(n.to_string()),
            Value::Bool(b) => Value::string(b.to_string()),
            other => other.clone(),
        }
    }
    norm(a) == norm(b)
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let mut latest = get_i64(prior, "latest_version");
    if !same(&data_of(prior), &data_of(desired)) {
        let body = data(desired);
        let out = p
            .call("ec2:CreateLaunchTemplateVersion", || {
                p.ec2()
                    .create_launch_template_version()
                    .launch_template_id(id)
                    .set_version_description(get_str(desired, "description").map(str::to_string))
                    .launch_template_data(body.clone())
                    .send()
            })
            .await?;
        latest = out
            .launch_template_version()
            .and_then(LaunchTemplateVersion::version_number)
            .or(latest);
    }
    let wanted_default = if get_bool(desired, "update_default_version") == Some(true) {
        latest
    } else {
        get_i64(desired, "default_version")
    };
    if let Some(v) = wanted_default.filter(|v| Some(*v) != get_i64(prior, "default_version")) {
        p.call("ec2:ModifyLaunchTemplate", || {
            p.ec2()
                .modify_launch_template()
                .launch_template_id(id)
                .default_version(v.to_string())
                .send()
        })
        .await?;
    }
    crate::util::update_tags(p, id, prior, desired).await?;
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    match p
        .call("ec2:DeleteLaunchTemplate", || {
            p.ec2()
                .delete_launch_template()
                .launch_template_id(id)
                .send()
        })
        .await
    {
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(e),
        Ok(_) => Ok(()),
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found = crate::util::ours(
        describe(p, crate::util::infra_filters(req)).await?,
        req,
        LaunchTemplate::tags,
        LaunchTemplate::launch_template_id,
    );
    let Some(t) = found.first() else {
        return Ok(None);
    };
    let versions = latest_versions(p).await?;
    let id = t.launch_template_id().unwrap_or_default();
    Ok(to_value(p, t, versions.get(id), t.tags(), Some(&req.config)).map(|(_, v)| v))
}

#[cfg(test)]
#[path = "launch_template_tests.rs"]
mod tests;

//! `aws_instance`'s blocks as read back: the root and EBS block devices (the instance's
//! mappings and the volumes' details, one DescribeVolumes per refresh), `volume_tags`,
//! `metadata_options`, `cpu_options` and `enclave_options`. Where the answer leaves a field
//! out (the emulator: throughput, some metadata options), the record's value is kept.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{Instance, Volume};
use infra_model::Value;
use infra_provider::ProviderError;

use crate::instance::{first, kept, num, or_prior};
use crate::util::{filter, id_chunks, opt};
use crate::AwsProvider;

/// The volumes of `ids`, by volume id (one DescribeVolumes per 200).
pub(crate) async fn volumes(
    p: &AwsProvider,
    ids: Vec<String>,
) -> Result<HashMap<String, Volume>, ProviderError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let chunks = id_chunks(ids.iter().map(String::as_str));
    let found = crate::util::describe_chunks(chunks, |chunk| async move {
        p.paginate(
            "ec2:DescribeVolumes",
            |token| {
                p.ec2()
                    .describe_volumes()
                    .filters(filter("volume-id", chunk.clone()))
                    .set_next_token(token)
                    .send()
            },
            |page| page.volumes(),
            |page| page.next_token(),
        )
        .await
    })
    .await?;
    Ok(found
        .into_iter()
        .filter_map(|v| Some((v.volume_id()?.to_string(), v)))
        .collect())
}

/// The volume ids an instance lists.
pub(crate) fn volume_ids(i: &Instance) -> impl Iterator<Item = String> + '_ {
    i.block_device_mappings()
        .iter()
        .filter_map(|b| b.ebs()?.volume_id().map(str::to_string))
}

/// Tags of a volume (without `infra:*`) as a map value.
fn tag_map(tags: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, Value> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), Value::string(t.value().unwrap_or("")))))
        .filter(|(k, _)| !crate::util::is_infra(k))
        .collect()
}

/// One block device as a block value: the instance's mapping and the volume's details.
fn device(
    dev: &aws_sdk_ec2::types::InstanceBlockDeviceMapping,
    vols: &HashMap<String, Volume>,
    prior_block: &Value,
    root: bool,
) -> Value {
    let ebs = dev.ebs();
    let vol = ebs.and_then(|e| e.volume_id()).and_then(|id| vols.get(id));
    let mut m = BTreeMap::new();
    m.insert("device_name".into(), opt(dev.device_name()));
    m.insert("volume_id".into(), opt(ebs.and_then(|e| e.volume_id())));
    m.insert(
        "delete_on_termination".into(),
        ebs.and_then(|e| e.delete_on_termination())
            .map(Value::Bool)
            .unwrap_or_else(|| or_prior(Value::Null, prior_block, "delete_on_termination")),
    );
    m.insert(
        "encrypted".into(),
        vol.and_then(Volume::encrypted)
            .map(Value::Bool)
            .unwrap_or(Value::Null),
    );
    m.insert(
        "kms_key_id".into(),
        or_prior(
            opt(vol.and_then(Volume::kms_key_id)),
            prior_block,
            "kms_key_id",
        ),
    );
    m.insert(
        "volume_size".into(),
        or_prior(num(vol.and_then(Volume::size)), prior_block, "volume_size"),
    );
    m.insert(
        "volume_type".into(),
        or_prior(
            opt(vol.and_then(Volume::volume_type).map(|t| t.as_str())),
            prior_block,
            "volume_type",
        ),
    );
    m.insert(
        "iops".into(),
        or_prior(num(vol.and_then(Volume::iops)), prior_block, "iops"),
    );
    m.insert(
        "throughput".into(),
        or_prior(
            num(vol.and_then(Volume::throughput)),
            prior_block,
            "throughput",
        ),
    );
    if !root {
        m.insert(
            "snapshot_id".into(),
            or_prior(
                opt(vol.and_then(Volume::snapshot_id).filter(|s| !s.is_empty())),
                prior_block,
                "snapshot_id",
            ),
        );
    }
    let all = vol.map(|v| tag_map(v.tags())).unwrap_or_default();
    // `tags` is what the block configures; `tags_all` what the volume carries
    m.insert(
        "tags".into(),
        match prior_block.get("tags") {
            Value::Unknown => Value::Null,
            v => v.clone(),
        },
    );
    m.insert("tags_all".into(), Value::Map(all));
    Value::Map(m)
}

/// `volume_tags` as read: the prior's while the root volume carries each of them, else
/// the root volume's tags; null while not configured.
fn volume_tags(root: Option<&Volume>, prior: Option<&Value>) -> Value {
    let Some(Value::Map(want)) = prior.map(|p| p.get("volume_tags")) else {
        return Value::Null;
    };
    let Some(vol) = root else {
        return Value::Map(want.clone());
    };
    let have = tag_map(vol.tags());
    if want.iter().all(|(k, v)| have.get(k) == Some(v)) {
        Value::Map(want.clone())
    } else {
        Value::Map(have)
    }
}

/// Insert the blocks of `i` (and `volume_tags`) into `m`.
pub(crate) fn put_blocks(
    m: &mut BTreeMap<String, Value>,
    i: &Instance,
    vols: &HashMap<String, Volume>,
    prior: Option<&Value>,
) {
    let md = i.metadata_options();
    let prior_md = first(prior, "metadata_options");
    m.insert(
        "metadata_options".into(),
        match md {
            Some(md) => Value::List(vec![Value::map([
                (
                    "http_endpoint",
                    or_prior(
                        opt(md.http_endpoint().map(|v| v.as_str())),
                        prior_md,
                        "http_endpoint",
                    ),
                ),
                (
                    "http_tokens",
                    or_prior(
                        opt(md.http_tokens().map(|v| v.as_str())),
                        prior_md,
                        "http_tokens",
                    ),
                ),
                (
                    "http_put_response_hop_limit",
                    or_prior(
                        num(md.http_put_response_hop_limit()),
                        prior_md,
                        "http_put_response_hop_limit",
                    ),
                ),
                (
                    "http_protocol_ipv6",
                    or_prior(
                        opt(md.http_protocol_ipv6().map(|v| v.as_str())),
                        prior_md,
                        "http_protocol_ipv6",
                    ),
                ),
                (
                    "instance_metadata_tags",
                    or_prior(
                        opt(md.instance_metadata_tags().map(|v| v.as_str())),
                        prior_md,
                        "instance_metadata_tags",
                    ),
                ),
            ])]),
            None => kept(prior, "metadata_options"),
        },
    );
    m.insert(
        "cpu_options".into(),
        match i.cpu_options() {
            Some(c) => Value::List(vec![Value::map([
                ("core_count", num(c.core_count())),
                ("threads_per_core", num(c.threads_per_core())),
                ("amd_sev_snp", opt(c.amd_sev_snp().map(|v| v.as_str()))),
                (
                    "nested_virtualization",
                    opt(c.nested_virtualization().map(|v| v.as_str())),
                ),
            ])]),
            None => kept(prior, "cpu_options"),
        },
    );
    m.insert(
        "enclave_options".into(),
        match i.enclave_options().and_then(|e| e.enabled()) {
            Some(e) => Value::List(vec![Value::map([("enabled", Value::Bool(e))])]),
            None => kept(prior, "enclave_options"),
        },
    );
    // block devices: the root one and the others
    let root_name = i.root_device_name();
    let mut root = Vec::new();
    let mut others = Vec::new();
    let prior_root = first(prior, "root_block_device");
    let prior_ebs = prior.map(|p| p.get("ebs_block_device"));
    for dev in i.block_device_mappings() {
        if dev.device_name().is_some() && dev.device_name() == root_name {
            root.push(device(dev, vols, prior_root, true));
        } else {
            let prior_block = prior_ebs
                .and_then(Value::as_list)
                .and_then(|l| {
                    l.iter()
                        .find(|b| b.get("device_name").as_str() == dev.device_name())
                })
                .unwrap_or(&Value::Null);
            others.push(device(dev, vols, prior_block, false));
        }
    }
    let root_volume = i
        .block_device_mappings()
        .iter()
        .find(|d| d.device_name().is_some() && d.device_name() == root_name)
        .and_then(|d| d.ebs()?.volume_id())
        .and_then(|v| vols.get(v));
    m.insert("root_block_device".into(), Value::List(root));
    m.insert("ebs_block_device".into(), Value::List(others));
    m.insert("volume_tags".into(), volume_tags(root_volume, prior));
}

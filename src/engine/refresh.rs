//! Before planning: adopt what a killed run created (its intents), read every resource
//! in the state from the cloud in batches per type, and read data sources.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::join_all;
use infra_model::{Address, Mode, Value};
use infra_plan::PriorInstance;
use infra_provider::{with_provider_config, CreateRequest, Provider, ReadRequest};
use infra_state::{ResourceRecord, ResourceStatus, Store};

use crate::printer::Printer;

/// The state after refresh.
#[derive(Debug, Default)]
pub struct Refreshed {
    pub prior: Vec<PriorInstance>,
    /// Attributes of every current object (and data source), by address.
    pub values: BTreeMap<Address, Value>,
    /// Resources the state knows but the cloud no longer has.
    pub deleted_outside: Vec<Address>,
    /// Records whose attributes changed in the cloud, to be written back on apply.
    pub changed: Vec<ResourceRecord>,
    /// Rows (current and deposed) whose object the cloud no longer has, as
    /// `(address, deposed)`: apply and destroy remove them ([`forget_gone`]).
    pub gone: Vec<(String, Option<String>)>,
    /// Objects the stack's `import` blocks brought in, to be recorded on apply.
    pub imported: Vec<ResourceRecord>,
    /// `(old, new)`: what the stack's `moved` blocks renamed (already applied to the
    /// fields above; apply renames the state rows).
    pub moved: Vec<(Address, Address)>,
}

/// How long to keep looking for what an interrupted create made before concluding it was
/// never made. A request sent just before a kill may still be in flight in the cloud, and
/// a Describe right after a Create may not show it yet (eventual consistency).
const SETTLE: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(4)];

/// Adopt (or drop) the intents left by an interrupted run. Returns how many were adopted.
pub async fn reconcile_intents(
    store: &Store,
    stack: &str,
    provider: &dyn Provider,
    printer: &Printer,
) -> anyhow::Result<usize> {
    let intents = store.intents(stack).await?;
    if intents.is_empty() {
        return Ok(0);
    }
    let mut pending = Vec::new();
    let records = store.resources(stack).await?;
    for intent in intents {
        let address = Address::parse(&intent.address)?;
        // what the state already holds at this address (the old object of a
        // create_before_destroy replacement, tagged like the new one) is not what the
        // interrupted create made
        let known_ids = records
            .iter()
            .filter(|r| r.address == intent.address && !r.cloud_id.is_empty())
            .map(|r| r.cloud_id.clone())
            .collect();
        let req = CreateRequest {
            stack: stack.to_string(),
            address,
            type_name: intent.type_name.clone(),
            config: Value::from_json(&intent.config),
            token: intent.token.clone(),
            known_ids,
        };
        pending.push((req, intent.provider));
    }
    let mut adopted = 0;
    for round in 0..=SETTLE.len() {
        let mut not_found = Vec::new();
        for (req, config) in pending {
            let found = with_provider_config(&config, provider.adopt(&req))
                .await?
                .filter(|attrs| {
                    let id = attrs.get("id").as_str().unwrap_or_default();
                    !req.known_ids.iter().any(|k| k == id)
                });
            match found {
                Some(attrs) => {
                    let id = attrs.get("id").as_str().unwrap_or_default().to_string();
                    let mut record = ResourceRecord::new(
                        req.address.to_string(),
                        &req.type_name,
                        &id,
                        attrs.to_json(),
                    );
                    // the interrupted run may have been killed before the object was
                    // ready (an EKS cluster takes minutes): resume_waits waits for it
                    // before anything is built on it
                    record.status = ResourceStatus::Creating;
                    record.provider = config;
                    store.put_resource(stack, &record).await?;
                    printer.err(format!(
                        "{}: adopted {id}, created by an interrupted run",
                        req.address
                    ));
                    adopted += 1;
                }
                None => not_found.push((req, config)),
            }
        }
        pending = not_found;
        match SETTLE.get(round) {
            Some(wait) if !pending.is_empty() => tokio::time::sleep(*wait).await,
            _ => break,
        }
    }
    // never created: the plan will create them
    for (req, _) in pending {
        store.clear_intent(stack, &req.address.to_string()).await?;
    }
    Ok(adopted)
}

/// Finish waiting for resources a previous run created but stopped waiting on (Ctrl-C
/// while a NAT gateway or cluster was still pending): their rows say `creating`.
///
/// Before a destroy (`destroying`), a wait that fails is a warning: what did not become
/// ready (a peering connection nobody accepted, a NAT gateway that failed) is deleted all
/// the same.
pub async fn resume_waits(
    store: &Store,
    stack: &str,
    provider: &dyn Provider,
    printer: &Printer,
    destroying: bool,
) -> anyhow::Result<usize> {
    let mut resumed = 0;
    for record in store
        .resources_in_status(stack, ResourceStatus::Creating)
        .await?
    {
        if record.deposed.is_some() {
            continue;
        }
        printer.out(format!(
            "{}: resuming the wait for {} to become ready",
            record.address, record.cloud_id
        ));
        let current = Value::from_json(&record.attributes);
        let wait = provider.wait_ready(&record.type_name, &record.cloud_id, &current);
        let ready = match with_provider_config(&record.provider, wait).await {
            Ok(v) => v,
            // gone meanwhile: the refresh notices and the plan re-creates it
            Err(e) if e.kind == infra_provider::ErrorKind::NotFound => continue,
            // it failed for good (a NAT gateway in state `failed`): when the cloud now
            // counts it as gone, the refresh drops the row and the plan makes a new one, in
            // this run; otherwise the user must see why
            Err(e)
                if e.kind == infra_provider::ErrorKind::Rejected
                    && is_gone(provider, &record).await =>
            {
                printer.err(format!(
                    "warning: {} ({}) did not become ready: {e}; it no longer counts as existing, so this run creates it again",
                    record.address, record.cloud_id
                ));
                continue;
            }
            Err(e) if destroying => {
                printer.err(format!(
                    "warning: {} ({}) did not become ready: {e}; destroying it all the same",
                    record.address, record.cloud_id
                ));
                continue;
            }
            Err(e) => anyhow::bail!(
                "{} ({}) did not become ready: {e}",
                record.address,
                record.cloud_id
            ),
        };
        let mut done = record.clone();
        done.attributes = ready.to_json();
        done.status = ResourceStatus::Ready;
        store.put_resource(stack, &done).await?;
        resumed += 1;
    }
    Ok(resumed)
}

/// Whether the cloud no longer has `record`'s object (a read that fails says no).
async fn is_gone(provider: &dyn Provider, record: &ResourceRecord) -> bool {
    let item = ReadRequest {
        id: record.cloud_id.clone(),
        prior: Value::from_json(&record.attributes),
    };
    let items = [item];
    let read = provider.read(&record.type_name, &items);
    match with_provider_config(&record.provider, read).await {
        Ok(found) => !found.contains_key(&record.cloud_id),
        Err(_) => false,
    }
}

/// Every object of the state belongs to a provider configuration the stack still has:
/// otherwise (an aliased `provider "aws"` block removed while its objects remain) nothing
/// could refresh or destroy them, and the error names them and what to do, as
/// Terraform's "provider configuration not present".
pub fn check_provider_configs<A>(
    stack: &infra_config::Stack,
    records: &[ResourceRecord<A>],
) -> anyhow::Result<()> {
    let mut missing: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.mode == "managed") {
        let alias = infra_model::provider_alias(&r.provider);
        if !stack.providers().contains_key(alias) {
            missing.entry(alias).or_default().push(&r.address);
        }
    }
    let Some((alias, addresses)) = missing.into_iter().next() else {
        return Ok(());
    };
    let shown = addresses
        .iter()
        .take(5)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let more = match addresses.len() {
        n if n > 5 => format!(" and {} more", n - 5),
        _ => String::new(),
    };
    // a key `module.NAME[.ALIAS]` is a provider block inside a module
    let (path, inner) = infra_config::split_provider_key(alias);
    let block = match (path.is_empty(), inner.as_str()) {
        (true, a) => format!("`provider \"aws\"` with `alias = \"{a}\"`"),
        (false, "") => format!("the `provider \"aws\"` block of {}", module_path(&path)),
        (false, a) => format!(
            "the `provider \"aws\"` block with `alias = \"{a}\"` of {}",
            module_path(&path)
        ),
    };
    anyhow::bail!(
        "the state holds {shown}{more} under {block}, which the configuration no longer has; add that block back (with the region they are in) to refresh, change or destroy them, or `infra state rm` them to stop managing them"
    )
}

fn module_path(path: &[String]) -> String {
    path.iter()
        .map(|n| format!("module.{n}"))
        .collect::<Vec<_>>()
        .join(".")
}

/// Read every managed resource in the state, one batched call per type.
pub async fn refresh(
    store: &Store,
    stack: &str,
    provider: Option<&dyn Provider>,
) -> anyhow::Result<Refreshed> {
    refresh_records(store.resources_decoded(stack).await?, provider).await
}

/// [`refresh`] of the rows the caller already read from the state
/// (`store.resources_decoded`).
pub async fn refresh_records(
    records: Vec<ResourceRecord<Value>>,
    provider: Option<&dyn Provider>,
) -> anyhow::Result<Refreshed> {
    refresh_records_keeping(records, provider, true).await
}

/// [`refresh_records`], with `Refreshed::values` left empty unless `keep_values`: a plan
/// whose stack reads no state value after the refresh (no output, data source or import
/// block) skips a copy of every object (10,000 copies and a map of them, a tenth of a
/// no-op plan).
pub async fn refresh_records_keeping(
    records: Vec<ResourceRecord<Value>>,
    provider: Option<&dyn Provider>,
    keep_values: bool,
) -> anyhow::Result<Refreshed> {
    // one batch per type and provider configuration (each alias may be another region),
    // except that objects sharing an id (builtin types whose id is a timestamp, e.g. two
    // `time_sleep`s created in the same second) go to separate batches: a read answers by
    // id, so one batch could not tell them apart
    let mut batches: Vec<(String, Vec<usize>)> = Vec::new();
    let mut ids: Vec<std::collections::HashSet<&str>> = Vec::new();
    let mut of_type: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    // nothing to batch when nothing is read (`--refresh=false`)
    for (i, r) in records.iter().enumerate().filter(|_| provider.is_some()) {
        if r.mode != "managed" {
            continue;
        }
        let mine = of_type.entry((&r.type_name, &r.provider)).or_default();
        match mine
            .iter()
            .find(|&&b| !ids[b].contains(r.cloud_id.as_str()))
        {
            Some(&b) => {
                batches[b].1.push(i);
                ids[b].insert(&r.cloud_id);
            }
            None => {
                mine.push(batches.len());
                batches.push((r.type_name.clone(), vec![i]));
                ids.push(std::iter::once(r.cloud_id.as_str()).collect());
            }
        }
    }
    // what the cloud has for each record (by its index), `None` when it is gone
    let mut current: BTreeMap<usize, Option<Value>> = match provider {
        None => BTreeMap::new(),
        Some(p) => {
            let records = &records;
            let reads = batches.iter().map(|(ty, idx)| async move {
                let items: Vec<ReadRequest> = idx
                    .iter()
                    .map(|&i| ReadRequest {
                        id: records[i].cloud_id.clone(),
                        prior: records[i].attributes.clone(),
                    })
                    .collect();
                let config = &records[idx[0]].provider;
                (idx, with_provider_config(config, p.read(ty, &items)).await)
            });
            let mut out = BTreeMap::new();
            for (idx, res) in join_all(reads).await {
                let mut found = res?;
                for &i in idx {
                    out.insert(i, found.remove(&records[i].cloud_id));
                }
            }
            out
        }
    };
    let mut refreshed = Refreshed::default();
    // collected, then built in one go (10,000 inserts, each a chain of address
    // comparisons, cost a third of this function)
    let mut values = Vec::with_capacity(records.len());
    for (i, mut r) in records.into_iter().enumerate() {
        let address = Address::parse(&r.address)?;
        let mut attrs = std::mem::take(&mut r.attributes);
        if provider.is_some() && r.mode == "managed" {
            match current.remove(&i).flatten() {
                Some(now) => {
                    if now != attrs {
                        refreshed.changed.push(r.with_attributes(now.to_json()));
                    }
                    attrs = now;
                }
                None => {
                    if r.deposed.is_none() {
                        refreshed.deleted_outside.push(address.clone());
                    }
                    refreshed.gone.push((r.address.clone(), r.deposed.clone()));
                    continue;
                }
            }
        }
        let depends_on = r
            .dependencies
            .iter()
            .filter_map(|d| Address::parse(d).ok())
            .collect();
        if keep_values && r.deposed.is_none() {
            values.push((address.clone(), attrs.clone()));
        }
        refreshed.prior.push(PriorInstance {
            address,
            id: r.cloud_id.clone(),
            attributes: attrs,
            depends_on,
            deposed: r.deposed.clone(),
            provider: std::mem::take(&mut r.provider),
        });
    }
    refreshed.values = values.into_iter().collect();
    Ok(refreshed)
}

/// Read the objects of the stack's `import` blocks whose address the state does not hold
/// yet, and add them to `refreshed` as if they had been there (plan shows what apply would
/// change about them; apply records them). Each is evaluated after the ones before it,
/// so a subnet imported with its VPC sees the VPC's id.
pub async fn import_blocks(
    stack: &infra_config::Stack,
    refreshed: &mut Refreshed,
    data: &BTreeMap<Address, Value>,
    provider: &dyn Provider,
) -> anyhow::Result<()> {
    let mut all = None;
    for block in stack.import_blocks() {
        if refreshed.values.contains_key(&block.to) {
            continue; // already imported: the block is a no-op, as in Terraform
        }
        // walk the stack again only when the last walk has not got this instance with a
        // wholly known configuration: an import before it may be what it waits for (a
        // subnet's vpc_id). One walk serves every import that does not (an import
        // block's for_each over many objects).
        let stale = !all
            .as_ref()
            .and_then(|a: &BTreeMap<Address, _>| a.get(&block.to))
            .is_some_and(|w: &crate::engine::import::Desired| w.config.is_wholly_known());
        if stale {
            all = Some(crate::engine::import::desired(
                stack,
                &refreshed.values,
                data,
            ));
        }
        let Some(want) = all.as_ref().and_then(|a| a.get(&block.to)) else {
            anyhow::bail!("cannot import into `{}`: the configuration does not produce this instance (check its key against `count` / `for_each`)", block.to);
        };
        let record = crate::engine::import::import(provider, &block.to, &block.id, want).await?;
        if let Some(other) = refreshed
            .prior
            .iter()
            .find(|p| p.id == record.cloud_id && p.deposed.is_none())
        {
            anyhow::bail!(
                "cannot import {} into `{}`: the state already manages it as `{}`",
                record.cloud_id,
                block.to,
                other.address
            );
        }
        let attrs = Value::from_json(&record.attributes);
        refreshed.values.insert(block.to.clone(), attrs.clone());
        refreshed.prior.push(PriorInstance {
            address: block.to.clone(),
            id: record.cloud_id.clone(),
            attributes: attrs,
            depends_on: want.depends_on.clone(),
            deposed: None,
            provider: want.provider.clone(),
        });
        refreshed.imported.push(record);
    }
    Ok(())
}

/// Remove the rows whose object refresh found gone, before apply or destroy changes
/// anything. Without this, a destroy rerun after a killed destroy (or a deposed object
/// deleted meanwhile) leaves rows for objects that no longer exist, and no later run cleans
/// them up: a destroy plans nothing for them, nor does an apply once the resource is
/// removed from the configuration.
pub async fn forget_gone(store: &Store, stack: &str, refreshed: &Refreshed) -> anyhow::Result<()> {
    for (address, deposed) in &refreshed.gone {
        store
            .remove_resource(stack, address, deposed.as_deref())
            .await?;
    }
    Ok(())
}

/// Read the data sources whose arguments are known before planning, in rounds: a data
/// source whose arguments come from another data source (`aws_subnets` filtered on
/// `data.aws_vpc.this.id`, a policy document naming `data.aws_partition.current`) is read
/// once that one has been, as Terraform does during plan.
pub async fn read_data_sources(
    stack: &infra_config::Stack,
    prior: &BTreeMap<Address, Value>,
    provider: &dyn Provider,
) -> anyhow::Result<BTreeMap<Address, Value>> {
    Ok(read_data_sources_with_args(stack, prior, provider).await?.0)
}

/// [`read_data_sources`], plus the arguments each data source was read with: planning
/// reads it again during apply when its arguments come out different once the plan's
/// own changes are in (a policy document naming the ARN of a resource being replaced).
pub async fn read_data_sources_with_args(
    stack: &infra_config::Stack,
    prior: &BTreeMap<Address, Value>,
    provider: &dyn Provider,
) -> anyhow::Result<(BTreeMap<Address, Value>, BTreeMap<Address, Value>)> {
    let mut out: BTreeMap<Address, Value> = BTreeMap::new();
    let mut used: BTreeMap<Address, Value> = BTreeMap::new();
    loop {
        let mut requests = Vec::new();
        let _ = stack.walk_data_sources(&mut |inst| {
            if inst.address.mode == Mode::Data {
                if let Some(v) = out.get(&inst.address) {
                    return v.clone();
                }
                if inst.config.is_wholly_known() {
                    requests.push((
                        inst.address.clone(),
                        inst.config.clone().unmark_deep(),
                        inst.provider.clone(),
                    ));
                }
                Value::Unknown
            } else {
                prior.get(&inst.address).cloned().unwrap_or(Value::Unknown)
            }
        });
        // every round reads at least one more data source, or ends
        if requests.is_empty() {
            return Ok((out, used));
        }
        let reads = requests.iter().map(|(addr, args, config)| async move {
            let read = provider.read_data(&addr.type_name, args);
            (addr.clone(), with_provider_config(config, read).await)
        });
        for (addr, res) in join_all(reads).await {
            let v = res.map_err(|e| anyhow::anyhow!("reading {addr}: {e}"))?;
            out.insert(addr, v);
        }
        for (addr, args, _) in requests {
            used.insert(addr, args);
        }
    }
}

/// Before the cloud is read (and the SDK may log what it returns), remember the prior
/// values of every attribute the configuration marks sensitive: a value the
/// configuration no longer holds (a rotated password) is still in the cloud and the
/// state, and must not show in logs or diffs either.
pub fn register_prior_secrets(stack: &infra_config::Stack, records: &[ResourceRecord<Value>]) {
    // the walk below would find no configuration with marks (it is a whole evaluation of
    // the stack: at 10,000 resources it cost as much as the plan's own)
    if !stack.may_mark_values() {
        return;
    }
    let prior: BTreeMap<Address, &Value> = records
        .iter()
        .filter_map(|r| {
            let a = Address::parse(&r.address).ok()?;
            Some((a, &r.attributes))
        })
        .collect();
    let _ = stack.walk(&mut |inst| {
        let value = prior
            .get(&inst.address)
            .map_or(Value::Unknown, |v| (*v).clone());
        if inst.config.has_marks() {
            let marked = value.clone().with_mask(&inst.config.sensitive_mask());
            crate::redact::register_marked(&marked);
        }
        value
    });
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use infra_model::Address;
    use infra_provider::conformance::full_config;
    use infra_provider::fake::{FakeProvider, Target};
    use infra_provider::{CreateRequest, Provider};
    use infra_state::{Intent, ResourceStatus, Store};

    use super::{reconcile_intents, resume_waits};
    use crate::printer::Printer;

    /// A create killed before its object was ready: the rerun adopts it as still creating
    /// and waits for it before planning, so nothing is built on an unready object.
    #[tokio::test]
    async fn an_adopted_object_is_waited_for_before_it_counts_as_ready() {
        let store = Store::open_memory().await.unwrap();
        let provider = FakeProvider::new();
        provider.set_pending(Target::type_name("aws_vpc"), Duration::from_millis(200));
        let config = full_config("aws_vpc", &[("cidr_block", "10.0.0.0/16".into())]).unwrap();
        let intent = Intent::create("aws_vpc.main", "aws_vpc", config.to_json(), "run-1");
        store.record_intent("s", &intent).await.unwrap();
        // the killed run's create landed, its answer never recorded
        provider
            .create(&CreateRequest {
                stack: "s".into(),
                address: Address::managed("aws_vpc", "main"),
                type_name: "aws_vpc".into(),
                config,
                token: intent.token.clone(),
                known_ids: vec![],
            })
            .await
            .unwrap();
        let printer = Printer::new(true);
        assert_eq!(
            reconcile_intents(&store, "s", &provider, &printer)
                .await
                .unwrap(),
            1
        );
        let rows = store.resources("s").await.unwrap();
        assert_eq!(rows[0].status, ResourceStatus::Creating, "not ready yet");
        let waited = std::time::Instant::now();
        assert_eq!(
            resume_waits(&store, "s", &provider, &printer, false)
                .await
                .unwrap(),
            1
        );
        assert!(waited.elapsed() >= Duration::from_millis(150), "it waited");
        let rows = store.resources("s").await.unwrap();
        assert_eq!(rows[0].status, ResourceStatus::Ready);
        assert!(store.intents("s").await.unwrap().is_empty());
    }

    /// A row left `creating` whose object then failed for good (a NAT gateway in state
    /// `failed`, which the provider's read counts as gone): the rerun warns and goes on,
    /// so that its plan makes a new one in the same run, instead of failing every rerun.
    /// One that failed but still exists still stops the run, saying why.
    #[tokio::test]
    async fn a_creating_row_whose_object_failed_for_good_is_left_to_the_plan() {
        use infra_provider::fake::{Op, Times};
        use infra_provider::ErrorKind;
        use infra_state::ResourceRecord;

        for gone in [true, false] {
            let store = Store::open_memory().await.unwrap();
            let provider = FakeProvider::new();
            let config = full_config(
                "aws_nat_gateway",
                &[
                    ("subnet_id", "subnet-1".into()),
                    ("allocation_id", "eipalloc-1".into()),
                ],
            )
            .unwrap();
            let created = provider
                .create(&CreateRequest {
                    stack: "s".into(),
                    address: Address::managed("aws_nat_gateway", "this"),
                    type_name: "aws_nat_gateway".into(),
                    config,
                    token: "t".into(),
                    known_ids: vec![],
                })
                .await
                .unwrap();
            let id = created.get("id").as_str().unwrap().to_string();
            let mut row = ResourceRecord::new(
                "aws_nat_gateway.this",
                "aws_nat_gateway",
                &id,
                created.to_json(),
            );
            row.status = ResourceStatus::Creating;
            store.put_resource("s", &row).await.unwrap();
            provider.fail(
                Target::type_name("aws_nat_gateway"),
                Op::WaitReady,
                Times::Always,
                ErrorKind::Rejected,
            );
            if gone {
                provider.remove("aws_nat_gateway", &id);
            }
            let printer = Printer::new(true);
            let result = resume_waits(&store, "s", &provider, &printer, false).await;
            if gone {
                assert_eq!(
                    result.unwrap(),
                    0,
                    "nothing became ready, and the run goes on"
                );
            } else {
                let e = result.unwrap_err().to_string();
                assert!(
                    e.contains("aws_nat_gateway.this") && e.contains("did not become ready"),
                    "{e}"
                );
            }
        }
    }

    /// Two objects of one type with the same id (two `time_sleep`s created in the same
    /// second: the id is the creation time) are read in separate batches, so each keeps
    /// its own attributes instead of both getting the last one's.
    #[tokio::test]
    async fn objects_sharing_an_id_are_read_apart() {
        use infra_state::ResourceRecord;

        let store = Store::open_memory().await.unwrap();
        for name in ["a", "b"] {
            let attrs =
                serde_json::json!({"id": "2026-12-05T22:17:00Z", "triggers": {"name": name}});
            let row = ResourceRecord::new(
                &format!("time_sleep.{name}"),
                "time_sleep",
                "2026-12-05T22:17:00Z",
                attrs,
            );
            store.put_resource("s", &row).await.unwrap();
        }
        let provider = infra_builtin::Builtin::new();
        let refreshed = super::refresh(&store, "s", Some(&provider)).await.unwrap();
        for name in ["a", "b"] {
            let v = &refreshed.values[&Address::managed("time_sleep", name)];
            assert_eq!(v.get("triggers").get("name").as_str(), Some(name), "{v:?}");
        }
        assert!(refreshed.changed.is_empty());
        assert!(refreshed.gone.is_empty());
    }
}

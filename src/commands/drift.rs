//! `infra drift` and `infra plan --refresh-only`: read every resource of the state from
//! the cloud and report what changed outside infra, without planning or changing
//! anything. Exit 2 when there is drift (for a scheduled CI job), 0 when there is none.

use std::collections::BTreeMap;

use infra_model::Value;
use infra_state::ResourceRecord;

use crate::cli::{DriftArgs, PlanArgs, PlanFormat, StackArgs, StateArgs};
use crate::commands::common::api_calls_line;
use crate::engine::refresh::{refresh_records, register_prior_secrets};
use crate::engine::{load_stack, session, Session};
use crate::printer::Printer;

pub async fn run(args: DriftArgs, printer: Printer) -> anyhow::Result<u8> {
    drift(&args.stack, &args.state, args.json, printer).await
}

pub async fn from_plan(args: PlanArgs, printer: Printer) -> anyhow::Result<u8> {
    if args.out.is_some() || args.destroy {
        anyhow::bail!(
            "--refresh-only plans no changes: it cannot be combined with --out or --destroy"
        );
    }
    let json = args.json || args.format == Some(PlanFormat::Json);
    drift(&args.stack, &args.state, json, printer).await
}

/// One attribute that changed: `(name, recorded, now)`.
type AttrChange = (String, Value, Value);

async fn drift(
    stack: &StackArgs,
    state: &StateArgs,
    json: bool,
    printer: Printer,
) -> anyhow::Result<u8> {
    let loaded = load_stack(stack, &printer)?;
    let session = Session::for_plan(state, &loaded.name, &printer).await?;
    let result = async {
        let provider = session::provider(&loaded.stack, &session).await?;
        let records = session.store.resources(&session.stack).await?;
        let recorded: BTreeMap<(String, Option<String>), ResourceRecord> = records
            .iter()
            .map(|r| ((r.address.clone(), r.deposed.clone()), r.clone()))
            .collect();
        let decoded: Vec<_> = records
            .iter()
            .map(|r| r.with_attributes(Value::from_json(&r.attributes)))
            .collect();
        crate::engine::refresh::check_provider_configs(&loaded.stack, &decoded)?;
        register_prior_secrets(&loaded.stack, &decoded);
        let refreshed = refresh_records(decoded, Some(provider.as_ref())).await?;
        let mut changed: Vec<(&ResourceRecord, Vec<AttrChange>)> = Vec::new();
        for now in &refreshed.changed {
            let Some(was) = recorded.get(&(now.address.clone(), now.deposed.clone())) else {
                continue;
            };
            let diffs = attribute_changes(&was.attributes, &now.attributes);
            if !diffs.is_empty() {
                changed.push((was, diffs));
            }
        }
        let deleted: Vec<String> = refreshed
            .deleted_outside
            .iter()
            .map(ToString::to_string)
            .collect();
        let calls = provider.api_calls();
        let drifted = !changed.is_empty() || !deleted.is_empty();
        if json {
            printer.out(serde_json::to_string_pretty(&as_json(
                &loaded.name,
                &changed,
                &deleted,
                &recorded,
                &calls,
            ))?);
            printer.err(api_calls_line(&calls));
        } else {
            printer.out(as_text(&loaded.name, &changed, &deleted));
            printer.out(api_calls_line(&calls));
        }
        Ok(if drifted { 2 } else { 0 })
    }
    .await;
    session.release().await?;
    result
}

fn attribute_changes(was: &serde_json::Value, now: &serde_json::Value) -> Vec<AttrChange> {
    let (was, now) = (Value::from_json(was), Value::from_json(now));
    let (Some(a), Some(b)) = (was.as_map(), now.as_map()) else {
        return vec![("(object)".into(), was.clone(), now.clone())];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (
                a.get(k).cloned().unwrap_or(Value::Null),
                b.get(k).cloned().unwrap_or(Value::Null),
            );
            (x != y).then(|| (k.clone(), x, y))
        })
        .collect()
}

fn as_text(
    stack: &str,
    changed: &[(&ResourceRecord, Vec<AttrChange>)],
    deleted: &[String],
) -> String {
    if changed.is_empty() && deleted.is_empty() {
        return format!(
            "No drift: every resource of stack `{stack}` matches what infra last recorded."
        );
    }
    let mut s = format!(
        "Drift detected in stack `{stack}`: {} resource(s) changed and {} deleted outside infra.\n\n",
        changed.len(),
        deleted.len()
    );
    for (r, diffs) in changed {
        s.push_str(&format!(
            "  # {} ({}) changed outside infra\n",
            r.address, r.cloud_id
        ));
        let width = diffs.iter().map(|d| d.0.len()).max().unwrap_or(0);
        for (k, was, now) in diffs {
            s.push_str(&format!("      {k:width$} = {was} -> {now}\n"));
        }
    }
    for a in deleted {
        s.push_str(&format!("  # {a} was deleted outside infra\n"));
    }
    s.push_str("\nNothing was changed. `infra plan` shows what apply would do about it; `infra apply` puts the configuration back.");
    s
}

fn as_json(
    stack: &str,
    changed: &[(&ResourceRecord, Vec<AttrChange>)],
    deleted: &[String],
    recorded: &BTreeMap<(String, Option<String>), ResourceRecord>,
    calls: &infra_provider::ApiCalls,
) -> serde_json::Value {
    // Terraform's `resource_drift` entries
    let mut drift = Vec::new();
    for (r, diffs) in changed {
        let mut after = r.attributes.clone();
        for (k, _, now) in diffs {
            after[k] = now.to_json();
        }
        drift.push(entry(r, "update", r.attributes.clone(), after));
    }
    for a in deleted {
        if let Some(r) = recorded.get(&(a.clone(), None)) {
            drift.push(entry(
                r,
                "delete",
                r.attributes.clone(),
                serde_json::Value::Null,
            ));
        }
    }
    serde_json::json!({
        "resource_drift": drift,
        "infra": {"stack": stack, "drift": !drift.is_empty(), "api_calls": calls.0, "api_calls_total": calls.total()},
    })
}

fn entry(
    r: &ResourceRecord,
    action: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> serde_json::Value {
    let addr = infra_model::Address::parse(&r.address).ok();
    serde_json::json!({
        "address": r.address,
        "mode": r.mode,
        "type": r.type_name,
        "name": addr.as_ref().map(|a| a.name.clone()),
        "change": {"actions": [action], "before": before, "after": after},
    })
}

//! `infra output [NAME] [--json]`: outputs evaluated from the state, without the cloud.
//! An output only apply could know (`timestamp()`, `uuid()`, `plantimestamp()`) is the
//! value the last apply recorded.

use crate::cli::OutputArgs;
use crate::commands::common::render_outputs;
use crate::engine::load::load_stack_without_plan;
use crate::engine::refresh::refresh;
use crate::engine::Session;
use crate::printer::Printer;

pub async fn run(args: OutputArgs, printer: Printer) -> anyhow::Result<u8> {
    let loaded = load_stack_without_plan(&args.stack, &printer)?;
    let session = Session::unlocked(&args.state, &loaded.name).await?;
    let refreshed = refresh(&session.store, &session.stack, None).await;
    let recorded = session.store.outputs(&session.stack).await;
    session.release().await?;
    let refreshed = refreshed?;
    if refreshed.values.is_empty() {
        printer.err(format!(
            "warning: the state has nothing for stack `{}` yet; run `infra apply` first",
            loaded.name
        ));
    }
    let (mut outputs, _) = loaded.stack.evaluate_outputs(&refreshed.values);
    if let Some(recorded) = recorded? {
        for (name, out) in outputs.iter_mut() {
            if let Some(r) = recorded.get(name).filter(|_| !out.value.is_wholly_known()) {
                out.value = infra_model::Value::from_json(&r.value).mark_if(out.sensitive);
            }
        }
    }
    if let Some(name) = &args.name {
        let Some(out) = outputs.remove(name) else {
            let names: Vec<&str> = outputs.keys().map(String::as_str).collect();
            let hint = infra_model::schema::did_you_mean(name, names)
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            anyhow::bail!("no output named `{name}` in stack `{}`{hint}", loaded.name);
        };
        // a named output is shown even when sensitive, as in Terraform: the user asked
        // for exactly this value, so neither the marks nor the redactor hide it
        let value = out.value.unmark_deep();
        if args.json {
            printer.out_unredacted(serde_json::to_string_pretty(&value.to_json())?);
        } else {
            match &value {
                infra_model::Value::String(s) => printer.out_unredacted(s),
                v => printer.out_unredacted(v.to_string()),
            }
        }
        return Ok(0);
    }
    if args.json {
        let json: serde_json::Map<String, serde_json::Value> = outputs
            .iter()
            .map(|(k, o)| {
                let value = if o.sensitive {
                    serde_json::Value::Null
                } else {
                    o.value.to_json_redacted()
                };
                (
                    k.clone(),
                    serde_json::json!({ "sensitive": o.sensitive, "value": value }),
                )
            })
            .collect();
        printer.out(serde_json::to_string_pretty(&json)?);
    } else {
        printer.out(render_outputs(&outputs).trim_end());
    }
    Ok(0)
}

//! Load a stack directory and report every diagnostic at once.

use std::path::Path;

use anyhow::Context;
use infra_config::{Stack, StackInput};
use sha2::{Digest, Sha256};

use crate::cli::StackArgs;
use crate::diagnostics::{self, Sources};
use crate::env_vars;
use crate::printer::Printer;
use crate::Reported;

pub struct LoadedStack {
    pub name: String,
    pub stack: Stack,
    pub input: StackInput,
    pub sources: Sources,
    /// A digest of every file and variable that went into the stack; a saved plan records it.
    pub digest: String,
}

/// The stack's name in the state: `--stack-name`, else the directory's name.
pub fn stack_name(dir: &Path, explicit: Option<&str>) -> anyhow::Result<String> {
    if let Some(n) = explicit {
        return Ok(n.to_string());
    }
    let abs = std::fs::canonicalize(dir).with_context(|| {
        format!(
            "stack directory {} not found; pass --stack DIR",
            dir.display()
        )
    })?;
    Ok(abs
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".into()))
}

/// Load, for a plan made now (`plantimestamp()` is this moment) or for a command that
/// only looks.
pub fn load_stack(args: &StackArgs, printer: &Printer) -> anyhow::Result<LoadedStack> {
    load(
        args,
        tf_vars(),
        false,
        Some(super::clock::plan_time()),
        printer,
    )
}

/// Load for `validate`: a variable given no value is an unknown of its declared type, as
/// in Terraform's `validate`; values that are given are still checked.
/// Load for a command that makes no plan: `plantimestamp()` is unknown (`infra output`
/// then shows the value its last apply recorded).
pub fn load_stack_without_plan(args: &StackArgs, printer: &Printer) -> anyhow::Result<LoadedStack> {
    load(args, tf_vars(), false, None, printer)
}

/// `plantimestamp()` is unknown there (no plan is made).
pub fn load_stack_for_validate(args: &StackArgs, printer: &Printer) -> anyhow::Result<LoadedStack> {
    load(args, tf_vars(), true, None, printer)
}

fn tf_vars() -> Vec<(String, String)> {
    std::env::vars()
        .filter_map(|(k, v)| {
            k.strip_prefix(env_vars::TF_VAR_PREFIX)
                .map(|n| (n.to_string(), v))
        })
        .collect()
}

/// Load with `TF_VAR_*` values and the plan's time given explicitly (a saved plan pins
/// them).
pub fn load_stack_with_env(
    args: &StackArgs,
    env: Vec<(String, String)>,
    plan_time: Option<std::time::SystemTime>,
    printer: &Printer,
) -> anyhow::Result<LoadedStack> {
    load(args, env, false, plan_time, printer)
}

fn load(
    args: &StackArgs,
    env: Vec<(String, String)>,
    unset_variables_unknown: bool,
    plan_time: Option<std::time::SystemTime>,
    printer: &Printer,
) -> anyhow::Result<LoadedStack> {
    let name = stack_name(&args.stack, args.stack_name.as_deref())?;
    let mut cli_vars = Vec::new();
    for v in &args.vars {
        let Some((k, val)) = v.split_once('=') else {
            anyhow::bail!("invalid --var `{v}`: write it as --var name=value");
        };
        cli_vars.push((k.trim().to_string(), val.to_string()));
    }
    let input =
        // read_stack takes the environment as it is (`TF_VAR_name`); `env` holds names
        match infra_config::fs::read_stack(
            &args.stack,
            &args.var_files,
            cli_vars,
            env.into_iter()
                .map(|(k, v)| (format!("{}{k}", env_vars::TF_VAR_PREFIX), v)),
        )
        {
            Ok(i) => i,
            Err(d) => {
                printer.err(diagnostics::render(&d, &Sources::default(), printer.color));
                return Err(Reported(1).into());
            }
        };
    let input = StackInput {
        name: name.clone(),
        unset_variables_unknown,
        plan_time,
        ..input
    };
    let mut sources = Sources::default();
    for f in input
        .files
        .iter()
        .chain(&input.tfvars)
        .chain(input.modules.values().flatten())
    {
        sources.add(&f.path, &f.text);
    }
    let digest = digest(&input);
    let (stack, diags) = infra_config::load(&input);
    // sensitive variables' values are kept out of everything printed from here on
    for v in stack.iter().flat_map(|s| s.variables().values()) {
        crate::redact::register_marked(v);
    }
    report(&diags, &sources, printer);
    match stack {
        Some(stack) if !diags.iter().any(|d| d.is_error()) => Ok(LoadedStack {
            name,
            stack,
            input,
            sources,
            digest,
        }),
        _ => Err(Reported(1).into()),
    }
}

/// Print diagnostics (warnings and errors) on stderr.
pub fn report(diags: &[infra_model::Diagnostic], sources: &Sources, printer: &Printer) {
    for d in diags {
        printer.err(diagnostics::render(d, sources, printer.color));
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 1 {
        printer.err(format!("{errors} errors found"));
    }
}

fn digest(input: &StackInput) -> String {
    let mut h = Sha256::new();
    // files are keyed by their path relative to the root stack directory, so that the
    // directory's spelling (`stacks/dev`, `.`, or the absolute path a saved plan's apply
    // reloads it from) and moving it do not change the digest
    let root = input
        .files
        .first()
        .and_then(|f| std::path::Path::new(&*f.path).parent())
        .map(std::path::Path::to_path_buf);
    let relative = |path: &str| -> String {
        root.as_deref()
            .and_then(|r| std::path::Path::new(path).strip_prefix(r).ok())
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| path.to_string())
    };
    for f in input
        .files
        .iter()
        .chain(&input.tfvars)
        .chain(input.modules.values().flatten())
    {
        h.update(relative(&f.path).as_bytes());
        h.update([0]);
        h.update(f.text.as_bytes());
        h.update([0]);
    }
    // what file() and templatefile() may read changes the plan too
    for (path, bytes) in input.data_files.iter() {
        h.update(path.as_bytes());
        h.update([0]);
        h.update(bytes);
        h.update([0]);
    }
    for (k, v) in input.cli_vars.iter().chain(&input.env_vars) {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

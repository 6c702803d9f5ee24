//! Load a stack (a directory of `.tf` and `.tfvars` files) into declarations, resolved
//! variables and a config-level dependency graph, then evaluate it in dependency order
//! into [`DesiredInstance`]s for the planner.
//!
//! # Shape
//! - [`fs::read_stack`] is the only IO: it reads the files into a [`StackInput`].
//! - [`load`] parses, lowers the blocks into declarations, resolves variables (precedence,
//!   types, validation), checks resources against their schemas, resolves every reference
//!   and builds the [`ConfigGraph`] (cycles are errors). It reports all errors at once.
//! - [`Stack::walk`] evaluates everything in dependency order. Resource and data instances
//!   go through a visitor; the value it returns is what later references see (planned
//!   values during plan, real values during apply).
//! - [`Stack::evaluate_instance`] and [`Stack::evaluate_outputs`] re-evaluate from the
//!   current values of all instances (used by apply). `evaluate_instance` reads the other
//!   instances from those values in parts (`stored.rs`), so one step costs O(1) copies.
//!   The entry points are in `stack_eval.rs`, the walker in `eval.rs` (one instance in
//!   `Walker::instance`), the provider block in `provider_eval.rs`.
//!
//! # What this crate deliberately does not know
//! No IO outside [`fs`], no clock, no state, no provider. The time of the plan comes in
//! [`StackInput::plan_time`]; the apply-time clock of `timestamp()` / `uuid()` /
//! `bcrypt()` is set by the caller around [`Stack::evaluate_instance`] (and the walks
//! after apply) with `infra_lang::with_clock`, and the walks carry it to their
//! evaluation threads. It knows schemas only to check
//! configuration and convert values to the schema's types; defaults and computed values
//! are the planner's business.
//!
//! # Decisions worth knowing
//! - Variable precedence, lowest first: default, `TF_VAR_`, `terraform.tfvars`,
//!   `*.auto.tfvars`, `--var-file`, `--var`. Raw strings are literal for primitive and
//!   `any` types and parsed as HCL for complex types.
//! - Values do not tell lists from sets, so `for_each` rejects a list by looking at the
//!   expression (array literals, list-producing functions, list-typed variables, locals
//!   defined that way) and suggests `toset(...)`.
//! - Load-time errors (syntax, schema, references, variables, cycles) make [`load`] return
//!   `None`; evaluation errors (wrong types, invalid CIDRs, unknown `count`) come from
//!   [`Stack::walk`], which skips the faulty instance and keeps going.
//! - An instance's `depends_on` lists every resource or data block it refers to, directly
//!   or through locals, plus its explicit `depends_on`: one address per block and module
//!   instance, without an instance key, which selects all the block's instances
//!   (`Address::selects`). Listing each instance made dependencies, state rows and the
//!   planner quadratic in the size of a counted resource.
//!
//! # Modules
//! [`fs::read_stack`] reads every local module directory a stack calls (recursively) into
//! [`StackInput::modules`], keyed by the directory relative to the root stack
//! (`../modules/network`); `load` stays pure. `modules.rs` lowers each module once per
//! call path, so config addresses carry the module path (`module.net.aws_vpc.main`) and
//! graph nodes are module-qualified. Every node inside a module depends on its call
//! node, which expands `count` / `for_each` and carries the call's `depends_on`. The
//! walker keeps one scope per module instance (`module.env["prod"]`); inputs are
//! evaluated in the caller's scope, outputs are published to the caller as
//! `module.<name>`. Local sources (`./`, `../`) are joined to the calling module's
//! directory; any other source (registry, git, ...) is looked up by its dotted call path
//! in `.terraform/modules/modules.json`, as `terraform init` left it (`registry.rs`:
//! the recorded source must match, the installed version satisfy `version`). Diagnostics raised
//! inside a module carry the module instance as their address and a related note at
//! each call site.

// Diagnostics are the error type of the whole language API; boxing them buys nothing here.
#![allow(clippy::result_large_err)]

mod body;
mod cidr;
mod conditions;
mod decl;
mod eval;
mod expand;
pub mod fs;
mod graph;
mod imports;
mod meta;
mod modules;
mod moved;
mod pipeline;
mod provider_eval;
mod providers;
mod refs;
mod registry;
mod remote_state;
mod removed;
mod scope;
mod stack_eval;
mod statics;
mod stored;
mod timeouts;
mod unsupported;
mod value_checks;
mod variables;
mod version_constraint;
mod walk_modules;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use decl::{Expansion, ResourceConfig};
pub use graph::{ConfigGraph, Edge, EdgeKind, ModulePath, Node};
pub use imports::ImportBlock;
pub use infra_lang::SourceFile;
use infra_model::{Address, Diagnostic, Value};
pub use moved::{resolve_moves, MovedBlock};
pub use providers::split_key as split_provider_key;
pub use registry::{ManifestRecord, ModuleManifest, MANIFEST_PATH};
pub use removed::RemovedBlock;

/// Everything [`load`] needs, read by [`fs::read_stack`] (or built by tests).
#[derive(Debug, Clone, Default)]
pub struct StackInput {
    /// The stack's name (by default the directory's name).
    pub name: String,
    /// The `*.tf` files, sorted by name.
    pub files: Vec<SourceFile>,
    /// Variable files, lowest precedence first: `terraform.tfvars`, `*.auto.tfvars`
    /// sorted, then each `--var-file` in command-line order.
    pub tfvars: Vec<SourceFile>,
    /// `--var name=value`, in command-line order (later wins).
    pub cli_vars: Vec<(String, String)>,
    /// `TF_VAR_name=value` (name without the prefix, raw value); lowest precedence after defaults.
    pub env_vars: Vec<(String, String)>,
    /// The `*.tf` files of every module the stack calls, directly or not, keyed by
    /// the module directory relative to the root stack directory, normalized
    /// (`../modules/network`). File paths are shown relative to the root stack directory
    /// (`../modules/network/main.tf`).
    pub modules: BTreeMap<String, Vec<SourceFile>>,
    /// `.terraform/modules/modules.json`, when `terraform init` wrote one: where each
    /// remote module call (registry, git, ...) was downloaded; its directory's files are
    /// in [`StackInput::modules`] under that directory (`.terraform/modules/vpc`).
    pub module_manifest: Option<ModuleManifest>,
    /// The root stack directory as an absolute path: `path.cwd`, and what explains
    /// unresolved sources.
    pub root_dir: Option<String>,
    /// `validate`: a root variable that is given no value is an unknown value of its
    /// declared type (as in Terraform's `validate`), not an error.
    pub unset_variables_unknown: bool,
    /// The other files under the stack's and its modules' directories, for `file`,
    /// `templatefile`, ... (by path relative to the root stack directory).
    pub data_files: std::sync::Arc<infra_lang::Files>,
    /// The home directory (`HOME`, read by [`fs::read_stack`]), for `pathexpand`.
    pub home: Option<String>,
    /// When the plan is made, for `plantimestamp()`: set by the binary (this crate reads
    /// no clock), the saved plan's time when applying one. `None` (validate): unknown.
    pub plan_time: Option<std::time::SystemTime>,
}

/// The evaluated `provider "aws"` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderConfig {
    pub region: Option<String>,
    pub default_tags: BTreeMap<String, String>,
}

/// One output after evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputValue {
    pub value: Value,
    pub sensitive: bool,
    pub description: Option<String>,
}

/// The result of [`Stack::walk`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    pub outputs: BTreeMap<String, OutputValue>,
}

/// A loaded stack: declarations, resolved variables, provider settings and the graph.
#[derive(Debug, Clone)]
pub struct Stack {
    pub(crate) name: String,
    /// Every module by its call path (`[]` is the root, `["net"]` is `module.net`).
    pub(crate) modules: BTreeMap<Vec<String>, modules::Module>,
    /// Every file of every module (root first), for [`Stack::file`] and [`Stack::files`].
    pub(crate) all_files: Vec<SourceFile>,
    pub(crate) variables: BTreeMap<String, Value>,
    /// Every `aws` provider configuration by alias (`""`, the default, always there).
    pub(crate) providers: BTreeMap<String, ProviderConfig>,
    pub(crate) graph: ConfigGraph,
    /// The root module's `import` blocks, checked and with their ids evaluated.
    pub(crate) imports: Vec<ImportBlock>,
    /// What the file functions may read (see [`StackInput::data_files`]).
    pub(crate) data_files: std::sync::Arc<infra_lang::Files>,
    /// `path.cwd`: the root stack directory as an absolute path (Terraform's working
    /// directory, `-chdir`'s), `.` when the input has none.
    pub(crate) cwd: String,
    /// What `abspath`, `pathexpand` and `plantimestamp` read, set for every walk.
    pub(crate) lang_env: std::sync::Arc<infra_lang::StackEnv>,
}

/// Load a stack: parse, lower, resolve variables, check schemas and references, build the
/// graph. Returns `None` when there is any error; the diagnostics hold every error (and
/// warnings) found.
pub fn load(input: &StackInput) -> (Option<Stack>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut deferred = Vec::new();
    let stack = load_inner(input, &mut diags, &mut deferred);
    let ok = !diags.iter().any(Diagnostic::is_error);
    if !ok {
        // the walk that would report them does not run
        diags.extend(deferred);
    }
    (if ok { stack } else { None }, diags)
}

fn load_inner(
    input: &StackInput,
    diags: &mut Vec<Diagnostic>,
    deferred: &mut Vec<Diagnostic>,
) -> Option<Stack> {
    let mut tree = modules::load_tree(input, diags);
    *deferred = std::mem::take(&mut tree.deferred);
    let graph = ConfigGraph::build(&tree.modules, tree.edges);
    graph.check_cycles(diags);
    if diags.iter().any(Diagnostic::is_error) {
        return None;
    }
    let mut all_files = input.files.clone();
    let mut seen: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for m in tree.modules.values().filter(|m| m.dir != ".") {
        if seen.insert(&m.dir) {
            all_files.extend(m.files.iter().cloned());
        }
    }
    let mut stack = Stack {
        name: input.name.clone(),
        modules: tree.modules,
        all_files,
        variables: tree.variables,
        providers: BTreeMap::new(),
        graph,
        imports: Vec::new(),
        data_files: input.data_files.clone(),
        cwd: input.root_dir.clone().unwrap_or_else(|| ".".to_string()),
        lang_env: std::sync::Arc::new(infra_lang::StackEnv {
            root_dir: input.root_dir.clone(),
            home: input.home.clone(),
            plan_time: input.plan_time,
        }),
    };
    stack.providers = provider_eval::providers(&stack, diags);
    stack.imports = imports::imports(&stack, diags);
    Some(stack)
}

impl Stack {
    /// The stack's absolute directory: Terraform's working directory (`path.cwd`), in
    /// which the local provider resolves relative file names. `None` for a stack given
    /// as files only (tests).
    pub fn root_dir(&self) -> Option<&str> {
        self.lang_env.root_dir.as_deref()
    }

    /// The stack's name (keys its state rows and lock).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every input variable's final value (after precedence, conversion and validation).
    pub fn variables(&self) -> &BTreeMap<String, Value> {
        &self.variables
    }

    pub fn is_sensitive_variable(&self, name: &str) -> bool {
        self.root()
            .is_some_and(|m| m.decls.variables.get(name).is_some_and(|v| v.sensitive))
    }

    pub(crate) fn root(&self) -> Option<&modules::Module> {
        self.modules.get(&Vec::new())
    }

    /// The module a config address lives in (any instance keys are ignored).
    pub(crate) fn module_of(&self, address: &Address) -> Option<&modules::Module> {
        let path: Vec<String> = address.module.iter().map(|s| s.name.clone()).collect();
        self.modules.get(&path)
    }

    /// The default `aws` provider configuration (the `provider "aws"` block without
    /// `alias`, or an empty one).
    pub fn provider(&self) -> &ProviderConfig {
        self.provider_config("")
    }

    /// Every `aws` provider configuration by alias (`""` the default one, always there).
    pub fn providers(&self) -> &BTreeMap<String, ProviderConfig> {
        &self.providers
    }

    /// The configuration `key` (`DesiredInstance::provider`); the default one for a key
    /// the stack does not have.
    pub fn provider_config(&self, key: &str) -> &ProviderConfig {
        static NONE: ProviderConfig = ProviderConfig {
            region: None,
            default_tags: BTreeMap::new(),
        };
        self.providers
            .get(key)
            .or_else(|| self.providers.get(""))
            .unwrap_or(&NONE)
    }

    /// Each configuration's `default_tags`, for planning and apply.
    pub fn default_tags(&self) -> infra_model::DefaultTags {
        infra_model::DefaultTags(
            self.providers
                .iter()
                .map(|(k, p)| (k.clone(), p.default_tags.clone()))
                .collect(),
        )
    }

    /// The root module's `import { to, id }` blocks.
    pub fn import_blocks(&self) -> &[ImportBlock] {
        &self.imports
    }

    /// Every module's `moved` blocks, root first (endpoints carry the module path).
    pub fn moved_blocks(&self) -> Vec<MovedBlock> {
        self.modules
            .values()
            .flat_map(|m| m.decls.moved.iter().cloned())
            .collect()
    }

    /// Every module's `removed` blocks, root first (`from` carries the module path).
    pub fn removed_blocks(&self) -> Vec<RemovedBlock> {
        self.modules
            .values()
            .flat_map(|m| m.decls.removed.iter().cloned())
            .collect()
    }

    /// Config-level resource and data blocks of every module (addresses without keys,
    /// with the module path), sorted by module path then address.
    pub fn resources(&self) -> impl Iterator<Item = &ResourceConfig> {
        self.modules
            .values()
            .flat_map(|m| m.decls.resources.values())
    }

    /// One resource or data block by its address (instance and module keys are ignored).
    pub fn resource(&self, address: &Address) -> Option<&ResourceConfig> {
        self.module_of(address)?
            .decls
            .resources
            .get(&config_address(address))
    }

    /// Names of the root module's outputs, sorted.
    pub fn output_names(&self) -> impl Iterator<Item = &str> {
        self.root()
            .into_iter()
            .flat_map(|m| m.decls.outputs.keys().map(String::as_str))
    }

    /// The config-level dependency graph (variables, locals, resources, data, outputs).
    pub fn graph(&self) -> &ConfigGraph {
        &self.graph
    }

    /// A source file by the path shown in diagnostics (for snippet rendering).
    pub fn file(&self, path: &str) -> Option<&SourceFile> {
        self.all_files.iter().find(|f| &*f.path == path)
    }

    /// Every file of the root module and of the modules it calls.
    pub fn files(&self) -> &[SourceFile] {
        &self.all_files
    }

    /// Whether evaluating the stack can mark any value sensitive when nothing it reads is
    /// marked already. A mark starts only at a variable or output declared
    /// `sensitive = true` or at a call of `sensitive(...)` (every other mark is carried
    /// from one of those), and each spells the word in a file of the stack, so `false`
    /// is certain; `true` only means "maybe" (a comment, `nonsensitive`).
    pub fn may_mark_values(&self) -> bool {
        self.all_files.iter().any(|f| f.text.contains("sensitive"))
    }
}

/// An address without any key, neither its own nor its modules':
/// `module.env["prod"].aws_vpc.main[0]` → `module.env.aws_vpc.main`.
pub fn config_address(address: &Address) -> Address {
    let mut a = address.config_address();
    for s in &mut a.module {
        s.key = None;
    }
    a
}

//! Command-line arguments. Only turns arguments into settings; no logic.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::env_vars;

#[derive(Debug, Parser)]
#[command(
    name = "infra",
    version,
    about = "Infrastructure as code for AWS networks, EKS and DNS, with its own SQLite state"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Never use colours (also: NO_COLOR, or when output is not a terminal)
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Log level or filter for diagnostics on stderr (also: INFRA_LOG), e.g. `debug`
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a stack's files without touching the state or the cloud
    Validate(StackArgs),
    /// Show what apply would change
    Plan(PlanArgs),
    /// Apply changes (a saved plan file, or a fresh plan)
    Apply(ApplyArgs),
    /// Delete everything the stack manages, in reverse dependency order
    Destroy(DestroyArgs),
    /// Show the stack's outputs
    Output(OutputArgs),
    /// Draw the stack's dependency graph
    Graph(GraphArgs),
    /// Inspect and edit the state
    #[command(subcommand)]
    State(StateCommand),
    /// Release a stack's lock held by another host or a crashed run
    ForceUnlock(ForceUnlockArgs),
    /// Bring an existing object under management: `infra import ADDR ID` (Terraform's import ID)
    Import(ImportArgs),
    /// Report what changed in the cloud outside infra; exit 2 when anything did (changes nothing)
    Drift(DriftArgs),
}

#[derive(Debug, Clone, Args)]
pub struct StackArgs {
    /// The stack directory (default: the current directory)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub stack: PathBuf,

    /// The stack's name in the state (default: the directory's name)
    #[arg(long, value_name = "NAME")]
    pub stack_name: Option<String>,

    /// Set a variable: `--var name=value` (repeatable; highest precedence)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// Read variables from a .tfvars file (repeatable)
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    /// The SQLite state file
    #[arg(long = "state", value_name = "PATH", env = env_vars::INFRA_STATE, default_value = "state/infra.db")]
    pub path: PathBuf,

    /// Wait this long for the stack's lock instead of failing at once (e.g. `30s`)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,
}

#[derive(Debug, Clone, Args)]
pub struct PlanningArgs {
    /// Read the real state of every resource before planning (`--refresh=false` skips it)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub refresh: bool,

    /// Only plan these resources (and what they depend on); repeatable
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,

    /// Force replacement of these resources; repeatable
    #[arg(long = "replace", value_name = "ADDR")]
    pub replace: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub planning: PlanningArgs,

    /// Plan to destroy everything in the stack
    #[arg(long)]
    pub destroy: bool,

    /// Save the plan to a file for `infra apply FILE`
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Print the plan as JSON (Terraform's `resource_changes` shape)
    #[arg(long)]
    pub json: bool,

    /// Exit 0 when there are no changes, 2 when there are changes, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// How to print the plan: `text` (default), `json` (as --json) or `markdown` (for a
    /// pull-request comment)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<PlanFormat>,

    /// Also write the plan as Markdown to FILE (a pull-request comment's body)
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,

    /// Only report what changed outside infra (drift); plan no changes (as `infra drift`)
    #[arg(long)]
    pub refresh_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// Print the drift as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `infra plan --out FILE`
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,

    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub planning: PlanningArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub planning: PlanningArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Do not ask for confirmation
    #[arg(long)]
    pub auto_approve: bool,

    /// How many resource operations run at once
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Show only this output (sensitive outputs are shown when named)
    pub name: Option<String>,
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the resources in the state
    List(StateCmdArgs),
    /// Show one resource's attributes
    Show {
        address: String,
        #[command(flatten)]
        args: StateCmdArgs,
    },
    /// Forget a resource without deleting it in the cloud
    Rm {
        address: String,
        #[command(flatten)]
        args: StateCmdArgs,
    },
    /// Show the history of applies
    History(StateCmdArgs),
    /// Write the stack's state as JSON (to stdout, or --out FILE)
    Export {
        #[command(flatten)]
        args: StateCmdArgs,
        /// Write here instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
    /// Replace the stack's state with a JSON export (takes the stack's lock)
    Import {
        /// A file written by `infra state export`
        file: std::path::PathBuf,
        #[command(flatten)]
        args: StateCmdArgs,
    },
    /// Check the state file: SQLite's integrity check and the references between rows
    Check(StateCmdArgs),
    /// The state was lost: rebuild it from the cloud's infra:stack / infra:address tags
    Rebuild(RebuildArgs),
    /// Adopt a Terraform state file (format version 4) of the supported types
    MigrateFromTerraform(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Terraform's state file (`terraform.tfstate`, or the output of `terraform state pull`)
    pub file: PathBuf,
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Args)]
pub struct StateCmdArgs {
    /// The stack directory; its name keys the state rows
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub stack: PathBuf,
    /// The stack's name in the state (default: the directory's name)
    #[arg(long, value_name = "NAME")]
    pub stack_name: Option<String>,
    #[command(flatten)]
    pub state: StateArgs,
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The resource's address in the configuration, e.g. `aws_subnet.private["us-east-1a"]`
    pub address: String,
    /// Terraform's import ID of the object, e.g. `vpc-0abc123` or `cluster:nodegroup`
    pub id: String,
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    /// The lock id, as printed by the command that found the stack locked
    pub id: String,
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub stack: PathBuf,
    #[arg(long, value_name = "NAME")]
    pub stack_name: Option<String>,
    #[command(flatten)]
    pub state: StateArgs,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("invalid duration `{s}`: {e}; write it like `30s` or `2m`"))
}

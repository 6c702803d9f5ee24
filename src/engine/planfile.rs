//! Saved plan files (`infra plan --out FILE`, `infra apply FILE`). A plan file records
//! the stack, the state lineage and serial it was made against, and a digest of every
//! file and variable; apply refuses it when any of these changed. It also records when
//! the plan was made, which `plantimestamp()` gives back during its apply.

use std::path::{Path, PathBuf};

use anyhow::Context;
use infra_plan::Plan;
use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "infra-plan/1";

#[derive(Debug, Serialize, Deserialize)]
pub struct PlanFile {
    pub format: String,
    pub stack: String,
    pub stack_dir: PathBuf,
    pub lineage: String,
    pub serial: i64,
    pub digest: String,
    pub var_files: Vec<PathBuf>,
    pub vars: Vec<(String, String)>,
    pub env_vars: Vec<(String, String)>,
    pub destroy: bool,
    /// When the plan was made (RFC 3339, UTC): `plantimestamp()` during its apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_timestamp: Option<String>,
    pub plan: serde_json::Value,
}

impl PlanFile {
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_vec_pretty(self)?;
        let tmp = path.with_extension("tmp");
        // a plan holds variable values and planned attributes, some of them sensitive:
        // readable by the owner only, as the state database
        write_private(&tmp, &text)
            .with_context(|| format!("writing plan file {}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("writing plan file {}", path.display()))?;
        Ok(())
    }

    pub fn read(path: &Path) -> anyhow::Result<PlanFile> {
        let text =
            std::fs::read(path).with_context(|| format!("cannot read plan file {}; check the path, or save a plan with `infra plan --out FILE`", path.display()))?;
        let file: PlanFile = serde_json::from_slice(&text).with_context(|| {
            format!(
                "{} is not an infra plan file; create one with `infra plan --out FILE`",
                path.display()
            )
        })?;
        if file.format != FORMAT {
            anyhow::bail!("{} has plan format `{}`, this infra reads `{FORMAT}`; run `infra plan --out` again", path.display(), file.format);
        }
        Ok(file)
    }

    pub fn plan(&self) -> anyhow::Result<Plan> {
        infra_plan::from_file_json(&self.plan).map_err(|e| {
            anyhow::anyhow!("the plan file is damaged: {e}; run `infra plan --out` again")
        })
    }
}

/// Write `text` to a new file only its owner can read (mode 0600 on Unix).
fn write_private(path: &Path, text: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(0o600);
        // an existing file keeps its mode on open: tighten it first
        if let Ok(meta) = std::fs::metadata(path) {
            let mut perms = meta.permissions();
            perms.set_mode(0o600);
            std::fs::set_permissions(path, perms)?;
        }
    }
    let mut f = opts.open(path)?;
    f.write_all(text)?;
    f.sync_all()
}

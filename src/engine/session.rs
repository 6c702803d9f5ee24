//! An open state store with the stack's lock held, and the cloud provider.

use std::sync::Arc;

use anyhow::Context;
use infra_provider::Provider;
use infra_state::Store;

use crate::cli::StateArgs;
use crate::printer::Printer;

pub struct Session {
    pub store: Store,
    pub stack: String,
    lock_id: Option<String>,
    /// The state file does not exist: this read-only session works on an empty in-memory
    /// store and writes nothing to disk (`infra plan` before the first apply).
    pub ephemeral: bool,
    /// The state file's path, as given (a PostgreSQL URL without its password).
    pub path: std::path::PathBuf,
}

impl Session {
    /// Open the state and take the stack's lock for `operation`.
    pub async fn lock(
        state: &StateArgs,
        stack: &str,
        operation: &str,
        printer: &Printer,
    ) -> anyhow::Result<Session> {
        let store = open_store(state).await?;
        let acquired = store.lock(stack, operation, state.lock_timeout).await?;
        if let Some(stale) = &acquired.took_over {
            printer.err(format!(
                "{}: took over a stale lock on stack `{stack}` left by a run that is no longer alive ({} by {} on {}, pid {}, since {}); reconciling what it left behind",
                printer.yellow("warning"),
                stale.operation,
                stale.who,
                stale.host,
                stale.pid,
                stale.created
            ));
        }
        Ok(Session {
            store,
            stack: stack.to_string(),
            lock_id: Some(acquired.info.id.clone()),
            ephemeral: false,
            path: shown_path(state),
        })
    }

    /// For `plan`, which changes nothing: lock the state as [`Session::lock`] does when it
    /// exists; when there is no state file yet, plan against an empty in-memory state
    /// instead of creating one (as Terraform's plan creates no state file).
    pub async fn for_plan(
        state: &StateArgs,
        stack: &str,
        printer: &Printer,
    ) -> anyhow::Result<Session> {
        // a PostgreSQL state is a shared server, always there; a file may not exist yet
        let exists = match state.location()? {
            infra_state::StateLocation::File(path) => std::fs::symlink_metadata(path).is_ok(),
            infra_state::StateLocation::Postgres(_) => true,
        };
        if exists {
            return Session::lock(state, stack, "plan", printer).await;
        }
        Ok(Session {
            store: Store::open_memory().await?,
            stack: stack.to_string(),
            lock_id: None,
            ephemeral: true,
            path: shown_path(state),
        })
    }

    /// Open the state without locking (read-only commands).
    pub async fn unlocked(state: &StateArgs, stack: &str) -> anyhow::Result<Session> {
        let store = open_store(state).await?;
        Ok(Session {
            store,
            stack: stack.to_string(),
            lock_id: None,
            ephemeral: false,
            path: shown_path(state),
        })
    }

    /// Release the lock (if held) and close the state file cleanly, checkpointing the WAL.
    pub async fn release(mut self) -> anyhow::Result<()> {
        let unlocked = match self.lock_id.take() {
            Some(id) => self
                .store
                .unlock(&self.stack, &id)
                .await
                .context("releasing the stack's lock"),
            None => Ok(()),
        };
        self.store.close().await;
        unlocked
    }
}

pub async fn open_store(state: &StateArgs) -> anyhow::Result<Store> {
    Ok(Store::open_location(&state.location()?).await?)
}

/// The state's path as given, or a PostgreSQL URL without its password: what messages show.
fn shown_path(state: &StateArgs) -> std::path::PathBuf {
    match state.location() {
        Ok(location @ infra_state::StateLocation::Postgres(_)) => location.to_string().into(),
        _ => state.path.clone(),
    }
}

/// The AWS provider for the stack's region, from the standard credential chain and the
/// SDK's own `AWS_ENDPOINT_URL*` variables, with the built-in types (`random_*`,
/// `time_*`, `local_file`, ...) routed to `infra_builtin` (see [`crate::engine::router`]) and
/// `terraform_remote_state` answered from the session's state (see
/// [`crate::engine::remote_state`]).
pub async fn provider(
    stack: &infra_config::Stack,
    session: &Session,
) -> anyhow::Result<Arc<dyn Provider>> {
    Ok(routed(stack, session).await?.provider)
}

/// The routed provider, and the region each configuration (by alias) sends to.
pub struct Routed {
    pub provider: Arc<dyn Provider>,
    pub regions: std::collections::BTreeMap<String, String>,
}

/// [`provider`], with the region of each configuration: one AWS provider per region,
/// those of regions no configuration is in (a resource's own `region`) made on first use.
pub async fn routed(stack: &infra_config::Stack, session: &Session) -> anyhow::Result<Routed> {
    use std::collections::BTreeMap;
    let configs = stack.providers();
    // one AWS provider per region: the configurations of one region share it
    let mut by_region: BTreeMap<Option<String>, (Arc<dyn Provider>, String)> = BTreeMap::new();
    let mut aws = BTreeMap::new();
    let mut regions = BTreeMap::new();
    let default = (String::new(), infra_config::ProviderConfig::default());
    let implicit = (!configs.contains_key("")).then_some((&default.0, &default.1));
    for (key, config) in configs.iter().chain(implicit) {
        let (p, region) = match by_region.get(&config.region) {
            Some(made) => made.clone(),
            None => {
                let made = aws_provider(config.region.clone()).await?;
                by_region.insert(config.region.clone(), made.clone());
                made
            }
        };
        aws.insert(key.clone(), p);
        regions.insert(key.clone(), region);
    }
    let regional: BTreeMap<String, Arc<dyn Provider>> = by_region
        .into_values()
        .map(|(p, region)| (region, p))
        .collect();
    let make: crate::engine::router::MakeRegional =
        Arc::new(|region: String| Box::pin(async move { Ok(aws_provider(Some(region)).await?.0) }));
    // the local provider's relative file names are in the stack's directory (`path.cwd`)
    let mut builtin = infra_builtin::Builtin::new();
    if let Some(dir) = stack.root_dir() {
        builtin = builtin.with_root_dir(dir);
    }
    let routed = Arc::new(crate::engine::router::Router::new(
        aws,
        regional,
        Some(make),
        Arc::new(builtin),
    ));
    Ok(Routed {
        provider: crate::engine::remote_state::RemoteState::wrap_labelled(
            routed,
            session.store.clone(),
            session.path.clone(),
        ),
        regions,
    })
}

/// The AWS provider of `region` (the environment's when `None`), and the region it is for.
async fn aws_provider(region: Option<String>) -> anyhow::Result<(Arc<dyn Provider>, String)> {
    let mut p = infra_aws::AwsProvider::from_env(region).await?;
    for text in p.credential_texts() {
        crate::redact::register_credential(text);
    }
    if let Ok(raw) = std::env::var(crate::env_vars::INFRA_WAIT_TIMEOUT) {
        let timeout = humantime::parse_duration(&raw).map_err(|e| {
            anyhow::anyhow!(
                "invalid {}=`{raw}`: {e}; write it like `45m`",
                crate::env_vars::INFRA_WAIT_TIMEOUT
            )
        })?;
        p = p.with_wait_timeout(timeout).with_eks_wait_timeout(timeout);
    }
    let region = p.region().to_string();
    Ok((Arc::new(p), region))
}

//! `infra import ADDR ID`: bring one existing object under management, as
//! `terraform import` does. The address must be in the configuration; the object is read
//! by Terraform's import ID and recorded in the state, so the next plan compares it with
//! the configuration.

use crate::cli::ImportArgs;
use crate::engine::import::{desired, import};
use crate::engine::refresh::{read_data_sources, refresh};
use crate::engine::{load_stack, session, Session};
use crate::printer::Printer;
use infra_model::Address;

pub async fn run(args: ImportArgs, printer: Printer) -> anyhow::Result<u8> {
    let address = Address::parse(&args.address).map_err(|e| {
        anyhow::anyhow!(
            "{e}; write the resource's address, e.g. aws_subnet.private[\"us-east-1a\"]"
        )
    })?;
    let loaded = load_stack(&args.stack, &printer)?;
    crate::commands::validate::preflight(&loaded, &printer)?;
    if loaded.stack.resource(&address).is_none() || address.mode != infra_model::Mode::Managed {
        anyhow::bail!(
            "cannot import into `{address}`: the configuration of stack `{}` has no such resource; add a `resource \"{}\" \"{}\"` block first (import needs the configuration the object should match)",
            loaded.name, address.type_name, address.name
        );
    }
    let session = Session::lock(&args.state, &loaded.name, "import", &printer).await?;
    let result = async {
        if session
            .store
            .resource(&session.stack, &address.to_string())
            .await?
            .is_some()
        {
            anyhow::bail!("`{address}` is already in the state of stack `{}`; to import another object there, `infra state rm {address}` first", session.stack);
        }
        let provider =
            session::provider(&loaded.stack, &session).await?;
        let known = refresh(&session.store, &session.stack, None).await?;
        let data = read_data_sources(&loaded.stack, &known.values, provider.as_ref()).await?;
        let all = desired(&loaded.stack, &known.values, &data);
        let Some(want) = all.get(&address) else {
            anyhow::bail!("cannot import into `{address}`: the configuration does not produce this instance (check its key against `count` / `for_each`)");
        };
        let record = import(provider.as_ref(), &address, &args.id, want).await?;
        session.store.put_resource(&session.stack, &record).await?;
        crate::engine::persist::record_data_sources(&session.store, &session.stack, &data)
            .await?;
        printer.out(format!(
            "{address}: imported {} ({})",
            record.cloud_id, address.type_name
        ));
        printer.out(format!("Import successful! Run `infra plan` to compare it with the configuration.\n{}", crate::commands::common::api_calls_line(&provider.api_calls())));
        Ok(0)
    }
    .await;
    session.release().await?;
    result
}

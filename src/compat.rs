//! `docs/compatibility.md`, generated from the schemas (`infra_model::schema`) and the
//! function table (`infra_lang::FUNCTIONS`), so that it cannot drift: the test below fails
//! when the file differs from what the code supports. Regenerate it with
//! `INFRA_UPDATE_DOCS=1 cargo nextest run -p infra compatibility`.

use std::fmt::Write;

use infra_model::{schema, AttrSchema, AttrType, BlockSchema, Mode, Nesting};

/// Terraform's built-in functions (Terraform 1.9), to say which ones are missing.
const TERRAFORM_FUNCTIONS: &[&str] = &[
    "abs",
    "abspath",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "base64gzip",
    "base64sha256",
    "base64sha512",
    "basename",
    "bcrypt",
    "can",
    "ceil",
    "chomp",
    "chunklist",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "csvdecode",
    "dirname",
    "distinct",
    "element",
    "endswith",
    "file",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "fileexists",
    "filemd5",
    "fileset",
    "filesha1",
    "filesha256",
    "filesha512",
    "flatten",
    "floor",
    "format",
    "formatdate",
    "formatlist",
    "indent",
    "index",
    "issensitive",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "log",
    "lookup",
    "lower",
    "matchkeys",
    "max",
    "md5",
    "merge",
    "min",
    "nonsensitive",
    "one",
    "parseint",
    "pathexpand",
    "plantimestamp",
    "pow",
    "range",
    "regex",
    "regexall",
    "replace",
    "reverse",
    "rsadecrypt",
    "sensitive",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "sha1",
    "sha256",
    "sha512",
    "signum",
    "slice",
    "sort",
    "split",
    "startswith",
    "strcontains",
    "strrev",
    "substr",
    "sum",
    "templatefile",
    "templatestring",
    "textdecodebase64",
    "textencodebase64",
    "timeadd",
    "timecmp",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "transpose",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "try",
    "upper",
    "urlencode",
    "uuid",
    "uuidv5",
    "values",
    "yamldecode",
    "yamlencode",
    "zipmap",
];

/// Resource types that public AWS network / EKS / DNS configurations use (issue 12,
/// terraform-aws-vpc, terraform-aws-eks): those not in the schemas are listed as missing.
const WANTED_RESOURCES: &[&str] = &[
    "aws_cloudwatch_event_rule",
    "aws_cloudwatch_event_target",
    "aws_cloudwatch_log_group",
    "aws_customer_gateway",
    "aws_db_subnet_group",
    "aws_default_network_acl",
    "aws_default_route_table",
    "aws_default_security_group",
    "aws_default_vpc",
    "aws_egress_only_internet_gateway",
    "aws_eip",
    "aws_eks_access_entry",
    "aws_eks_access_policy_association",
    "aws_eks_addon",
    "aws_eks_cluster",
    "aws_eks_fargate_profile",
    "aws_eks_identity_provider_config",
    "aws_eks_node_group",
    "aws_elasticache_subnet_group",
    "aws_flow_log",
    "aws_iam_instance_profile",
    "aws_iam_openid_connect_provider",
    "aws_instance",
    "aws_key_pair",
    "aws_iam_policy",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_internet_gateway",
    "aws_kms_alias",
    "aws_kms_key",
    "aws_launch_template",
    "aws_nat_gateway",
    "aws_network_acl",
    "aws_network_acl_association",
    "aws_network_acl_rule",
    "aws_redshift_subnet_group",
    "aws_route",
    "aws_route53_delegation_set",
    "aws_route53_health_check",
    "aws_route53_record",
    "aws_route53_zone",
    "aws_route53_zone_association",
    "aws_route_table",
    "aws_route_table_association",
    "aws_s3_bucket",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_security_group",
    "aws_security_group_rule",
    "aws_sqs_queue",
    "aws_sqs_queue_policy",
    "aws_ssm_activation",
    "aws_subnet",
    "aws_vpc",
    "aws_vpc_block_public_access_exclusion",
    "aws_vpc_block_public_access_options",
    "aws_vpc_dhcp_options",
    "aws_vpc_dhcp_options_association",
    "aws_vpc_endpoint",
    "aws_vpc_ipv4_cidr_block_association",
    "aws_vpc_peering_connection",
    "aws_vpc_peering_connection_accepter",
    "aws_vpc_peering_connection_options",
    "aws_vpc_security_group_egress_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpn_gateway",
    "aws_vpn_gateway_attachment",
    "aws_vpn_gateway_route_propagation",
    "null_resource",
    "time_sleep",
    "tls_private_key",
    "local_file",
    "local_sensitive_file",
];

/// Data sources that the same configurations use.
const WANTED_DATA: &[&str] = &[
    "aws_ami",
    "aws_availability_zones",
    "aws_caller_identity",
    "aws_eks_addon_version",
    "aws_eks_cluster",
    "aws_eks_cluster_auth",
    "aws_iam_policy_document",
    "aws_iam_session_context",
    "aws_partition",
    "aws_region",
    "aws_route53_zone",
    "aws_ssm_parameter",
    "aws_subnets",
    "aws_vpc",
    "aws_vpc_peering_connection",
    "cloudinit_config",
    "terraform_remote_state",
    "tls_certificate",
];

/// Providers other than AWS that public examples use, and what `infra` does with them.
const OTHER_PROVIDERS: &[(&str, &str)] = &[
    ("null", "built in (`infra-builtin`): `null_resource` (id a random number, as the null provider's; a change of `triggers` replaces it). No API call; the state is what apply computed"),
    ("terraform (built in)", "`terraform_data`: `input` changes in place and `output` follows it; `triggers_replace` replaces it; the id is a UUID"),
    ("time", "built in: `time_sleep` (apply sleeps `create_duration` after the create, shown as `Still creating...`, Ctrl-C stops the sleep and the next apply sleeps only what is left; destroy sleeps `destroy_duration`; id = the RFC 3339 creation time) and `time_static`. `time_offset` and `time_rotating` are not supported"),
    ("random", "built in: `random_id`, `random_string`, `random_password` (result sensitive, never printed; `bcrypt_hash` not computed): values drawn once at create and kept in the state; `keepers` (and every argument) replace them. Import takes the provider's import IDs (`random_id`, `random_string`, `random_password`, `random_uuid`, `random_integer`'s `result,min,max[,seed]`). Also `random_uuid` (v4), `random_integer`, `random_shuffle` (`result_count` past the input's length repeats it, as the provider), `random_pet` (adverbs, an adjective and a name from the `petname` crate's medium word lists, not golang-petname's). A `seed` gives the same result on every create, from a ChaCha generator keyed by its SHA-256, not the provider's Go sequence (a seeded value imported from Terraform is kept). `random_bytes` is not supported"),
    ("tls", "built in: `tls_private_key` (`algorithm` RSA with `rsa_bits`, default 2048; ECDSA on `ecdsa_curve` P224, P256, P384 or P521, default P224; ED25519; `openssh_comment`): the key is generated once at create (RustCrypto's `rsa`, `p224`/`p256`/`p384`/`p521`, `ed25519-dalek`) and kept in the state, every argument replaces it, and it cannot be imported (as in the provider). `private_key_pem` (PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#8 `PRIVATE KEY` for ED25519), `private_key_pem_pkcs8` and `private_key_openssh` are sensitive and never printed; `public_key_pem`, `public_key_openssh` (with its trailing newline), `public_key_fingerprint_md5` (`aa:bb:...`), `public_key_fingerprint_sha256` (`SHA256:...`) and `id` (SHA-1 of the public key's DER) are the provider's; OpenSSH has no P-224 keys, so for P224 the OpenSSH values and fingerprints are empty, as in the provider. The OpenSSH private key's check bytes differ from Go's (derived from the key, not random). Data source `tls_public_key`: the same public values from `private_key_pem` (PKCS#1, SEC1 or PKCS#8) or an unencrypted `private_key_openssh`. Data source `tls_certificate` (`url` https:// or tls://host:port, or `content`; `verify_chain` against the system's trust store, `SSL_CERT_FILE` honoured): the certificates the server presents, root-most first as the tls provider lists them, with Go's names and formats; the id is a hash of the fingerprints (the provider's differs). On the emulator the cluster's OIDC issuer (`https://oidc.eks.<region>.amazonaws.com/id/...`, invented by moto) is not reachable, so terraform-aws-eks's `data.tls_certificate.this` (read when `enable_irsa` and `include_oidc_root_ca_thumbprint` are true, the defaults) fails at apply naming the URL, and the OIDC provider and what depends on it are skipped; set `include_oidc_root_ca_thumbprint = false` (IAM does not need a thumbprint for EKS issuers) or `enable_irsa = false` there. The certificate types (`tls_self_signed_cert`, `tls_locally_signed_cert`, `tls_cert_request`) are not supported"),
    ("cloudinit", "built in: data source `cloudinit_config`: the MIME multi-part document byte for byte as the provider renders it (id = its CRC-32); with `gzip = true` the gzip stream is valid but compressed by another deflate implementation, so its bytes differ from Terraform's. The deprecated `cloudinit_config` resource is not supported"),
    ("kubernetes", "not supported: a `kubernetes_*` resource or data source is an error naming it (a `provider \"kubernetes\"` block alone is a warning: it configures nothing infra uses); `infra validate` lists every one in one run; manage in-cluster objects with kubectl or Helm after apply"),
    ("helm", "not supported (same error); install charts after apply"),
    ("http", "built in: data source `http` (`url`, `method` GET/HEAD/POST, `request_headers`, `request_body`, `request_timeout_ms`, `retry` of connection failures and 5xx, `insecure`, `ca_cert_pem`): `status_code`, `response_headers` (Go's canonical names, repeated values joined with \", \"), `response_body` (and the deprecated `body`), `response_body_base64`; a non-2xx status is not an error, as in the provider (check it in a postcondition). Read before planning like any data source, and again during apply when its arguments change. Client certificates are not supported; bodies over 16 MiB are an error"),
    ("local", "built in: `local_file` and `local_sensitive_file` (the content from exactly one of `content`, `sensitive_content` (`local_file` only, deprecated), `content_base64` or `source`; `file_permission` and `directory_permission` 3 or 4 octal digits, checked at the file:line, default \"0777\" (\"0700\" for `local_sensitive_file`), applied before the umask; every argument replaces the file; `id` and `content_sha1` the hex SHA-1, `content_md5`, `content_sha256`, `content_base64sha256`, `content_sha512`, `content_base64sha512`): apply writes the file (making missing directories), a refresh that finds it missing or with other content plans to write it again, destroy removes it; `local_sensitive_file`'s content is sensitive in plans and `state show`. Data sources `local_file` and `local_sensitive_file` read a file (`content`, `content_base64`, the checksums). A relative `filename` or `source` is in the stack's directory (`path.cwd`, Terraform's working directory), whatever directory infra runs in. They cannot be imported (as in the provider). `local_command` and the ephemeral and action types are not supported"),
];

/// The language constructs of Terraform and whether `infra` takes them.
/// What a type's table cannot say: the provider's arguments infra lacks (each an error
/// naming it, or for a block accepted empty, an error when written with content) and how
/// infra differs.
const TYPE_NOTES: &[(&str, &str)] = &[
    (
        "aws_instance",
        "Not supported: the blocks `capacity_reservation_specification`, `ephemeral_block_device`, `instance_market_options` (spot), `maintenance_options`, `network_interface`, `primary_network_interface`, `private_dns_name_options` and `secondary_network_interface` are accepted only empty (a module's `dynamic` block with no elements) and are an error naming the block when written with content; the deprecated `cpu_core_count` / `cpu_threads_per_core` are an error naming them. How infra differs: a refresh is one DescribeInstances per 200 instances and one DescribeVolumes, so `disable_api_termination`, `disable_api_stop`, `instance_initiated_shutdown_behavior` and `user_data` (which only DescribeInstanceAttribute tells, one call per attribute and instance) are read at import and after a create but kept from the state on refresh: a change made outside infra to them is not seen; `user_data` is stored as the text written (Terraform stores its SHA-1); `credit_specification` and `launch_template` keep what was configured; `host_resource_group_arn` and `enable_primary_ipv6` replace the instance (the provider changes them in place with a stop/start); `force_destroy` lifts termination and stop protection before the destroy; the instance profile is changed by a disassociation and an association (the provider replaces the association in one call); volumes carry `volume_tags`, not the provider's default tags",
    ),
];

const LANGUAGE: &[(&str, &str)] = &[
    ("`variable`, `locals`, `output`, `module` (local paths, and remote sources installed by `terraform init`)", "supported"),
    ("`count`, `for_each`, `depends_on`, `lifecycle` (`create_before_destroy`, `prevent_destroy`, `ignore_changes`)", "supported"),
    ("`dynamic` blocks", "supported"),
    ("`for` expressions, with `if` and grouping (`...`)", "supported"),
    ("splats (`aws_subnet.x[*].id`, `module.m[*].out`)", "supported"),
    ("`try`, `can`", "supported"),
    ("`terraform { required_version, required_providers }`", "accepted (not enforced; `null`, `time`, `tls`, `cloudinit`, `random`, `http` and `local` entries name providers infra has built in); `backend` / `cloud` are errors: infra keeps its own state"),
    ("`provider` blocks of the built-in providers (`null`, `time`, `tls`, `cloudinit`, `random`, `http`, `local`)", "accepted: they have nothing to configure"),
    ("`provider \"aws\" { region, default_tags }`", "supported; `default_tags` are applied to every taggable resource"),
    ("`provider \"aws\"` blocks with `alias`, `provider = aws.x` on resources and data sources, module calls' `providers = { aws = aws.x, aws.y = aws.z }`", "supported: each block is a configuration of its own, with its own `region` (another region is read and changed there: one batched read per type and configuration) and `default_tags` (applied to its resources only); resources without `provider` use the block without `alias` (an empty configuration, region from the environment, when there is none, as in Terraform); a module inherits its caller's default configuration unless `providers` passes another, and an alias only when passed (an alias a module uses but is not passed, or a `providers` entry naming an alias the caller does not have, is an error at the file:line); the state records each object's configuration, so refresh, destroy and adoption after a kill go to its region; removing an aliased block while the state holds its objects is an error naming them (add it back or `infra state rm` them). A `provider \"aws\"` block inside a module (legacy, as Terraform still allows) configures that module and the modules it calls (its `region` and `default_tags` from the module's variables and locals; the state records it as `module.NAME`); such a module cannot be called with `count` or `for_each` (an error at the block, as in Terraform)"),
    ("`import` blocks (`to`, `id`, `for_each`)", "supported in the root module: plan shows `will be imported` and `Import: N to import.`, apply records the objects without creating them; `id` and `for_each` may use variables and locals; `for_each` takes a map (each.key its key), a set of strings (each.key = each.value) or a list of other values (each.key the index), and `to`'s index expressions (`[each.key]`) are evaluated per element; an address imported twice, a data source, or an address the configuration does not produce is an error naming the block; `provider = aws.x` is accepted when it is the resource's own configuration (the import goes there), an error otherwise"),
    ("`moved` blocks (resources, instances with index/key, modules; chains)", "supported: plan renames the state's objects (`# aws_vpc.a has moved to aws_vpc.b`, `previous_address` in JSON), no destroy/create; apply renames the rows first; a move onto an address the state already has is an error naming both blocks; a `from` not in the state does nothing"),
    ("`precondition` / `postcondition` in `lifecycle` (resources, data sources), `precondition` in outputs", "supported: checked at plan when known (postconditions with `self` = the planned value), preconditions again before each create/update, postconditions on the cloud's values after apply; a failure is an error naming the address, the block's file:line and the message; `destroy` checks none"),
    ("`check` blocks (`assert`, a scoped `data` block)", "supported: evaluated after plan and after apply; a failed assertion is a warning. The scoped `data` block is read like any data block (its failure is an error, not a warning as in Terraform)"),
    ("`timeouts` blocks (`create`, `update`, `delete`; `read` accepted)", "supported on every resource: durations such as \"10m\" or \"1h30m\" (from variables too) replace the wait timeout of that step (NAT gateways, EKS clusters, node groups, add-ons, deletes waiting for dependencies); a bad duration is an error at the argument"),
    ("per-resource `region` (AWS provider v6)", "supported: a resource or data source whose `region` differs from its provider configuration's is read, created, changed and deleted in that region, with its configuration's other settings (`default_tags`); refresh reads each region's objects of a type in one batch; the state records it (configuration `ALIAS@REGION`), so destroy and adoption after a kill go there; changing or removing `region` replaces the object (the old one deleted in its region); a `region` known only after apply is an error at plan, as is a string that is not a region name; the `region` attribute is not yet readable as `resource.region`"),
    ("`removed` blocks", "supported: `from` a resource or module call (no instance keys, relative to the declaring module; it must no longer be declared); `lifecycle { destroy = false }` forgets every object it covers (plan action `forget`, `.` in the text plan, apply drops the state rows and calls nothing; a destroy plan forgets them too), `destroy = true` (the default) destroys them as for any removed block; the outermost module's block wins; `provisioner` blocks are an error"),
    ("`timestamp`, `uuid`, `bcrypt`", "supported as in Terraform: unknown during plan (`(known after apply)`, so every plan of an argument built on them shows a change) and evaluated when apply evaluates the resource's configuration again, each call a new value (`timestamp` the UTC time in RFC 3339, whole seconds; `uuid` a random version-4 UUID; `bcrypt` a `$2a$` hash with a random salt, cost 10 by default, 4 to 31, a cost below 4 taken as 10 as Go's bcrypt does, at most 72 bytes); an output built on them is known after apply, recorded in the state and shown by `infra output`; a data source whose arguments use them is read during apply"),
    ("`plantimestamp`", "supported: the time the plan was made (UTC, RFC 3339), known during plan; a saved plan (`infra plan --out`) keeps it and its apply gives back the same value; unknown in `validate`"),
    ("`abspath`, `pathexpand`", "supported: `abspath` joins a relative path to the root stack directory (`path.cwd`, not the directory infra is started from) and cleans it as Go's `filepath.Abs`; `pathexpand` replaces a leading `~` with `HOME` (`~user` is an error, as in Terraform)"),
    ("`rsadecrypt`", "supported: RSA PKCS#1 v1.5 of base64 text, with a PEM key in PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`); an encrypted key, an OpenSSH-format key or a non-RSA key is an error saying so"),
    ("`templatefile`, `file`, `fileexists`, `fileset`, `filebase64`, `filemd5`, `filesha1`, `filesha256`, `filesha512`, `filebase64sha256`, `filebase64sha512`", "supported: they read the files under the stack's and its modules' directories (up to 1 MiB each, 4 levels deep, not hidden ones); `path.module` is the module's directory relative to the root, `path.root` is `.`, `path.cwd` the stack directory's absolute path (where Terraform would run: a value does not depend on the directory infra is started from, `--stack` or not); `templatefile` renders `${}`, `%{ for }`, `%{ if }` and `~`, and `templatestring` a string the same way (a template written in the call is refused, as Terraform does); `fileset` matches `*`, `?`, `**`, `[...]` and `{a,b}` over those files; a missing file is an error at the call"),
    ("`yamldecode`, `base64gzip`", "supported: `yamldecode` reads one YAML 1.2 document (core schema; scalar keys become strings; anchors resolved; an empty document is null); `base64gzip` writes a valid gzip stream with Go's header fields, but its deflate bytes come from another implementation than Terraform's, so the base64 text may differ while decompressing to the same string"),
    ("resource types and data sources infra does not support, behind `count`/`for_each`", "accepted when the expansion is known to be empty (a warning naming the type and file:line; references see zero instances: `x[*].id` is `[]`, `length(x)` is 0, `try(x[0].id, \"\")` is `\"\"`); with instances, or an expansion unknown at plan, an error naming the type and file:line:col; a misspelt type (two edits from a supported one) is always an error"),
    ("`provisioner`, `connection`", "not supported (error): infra manages cloud resources only"),
    ("remote module sources (registry, git, ...)", "supported after `terraform init`: infra downloads nothing; it reads `.terraform/modules/modules.json` and finds each call by its dotted path (`eks.kms`), checks that the recorded source is the call's (`registry.terraform.io/` added to a registry address) and that the installed `Version` satisfies `version` (Terraform's `~>`, `>=`, `!=`, `,` rules), and loads the directory `init` recorded; without the manifest, or with a call `init` has not installed, the error at the module block says to run `terraform init`. `version` on a local or git source is an error, as in Terraform. `TF_DATA_DIR` is not read: the manifest must be in the stack's `.terraform`"),
];

/// The whole of `docs/compatibility.md`.
pub fn render() -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# Compatibility with Terraform configurations\n");
    let _ = writeln!(
        w,
        "Generated from the schemas and the function table by `src/compat.rs`; a test fails when\n\
         this file and the code disagree. Regenerate it with\n\
         `INFRA_UPDATE_DOCS=1 cargo nextest run -p infra compatibility`.\n\n\
         Names and semantics are the Terraform AWS provider's. In the attribute tables:\n\
         **required**, **optional**, **computed** (set by AWS; *optional, computed* when AWS\n\
         fills in what is not written), and **forces new** when a change replaces the object.\n\
         A function not listed here is an error naming it and its file:line:col; so is a resource\n\
         type or data source not listed here, unless its `count`/`for_each` yields no instances\n\
         (then a warning). `infra validate` reports every one of them in one run, with the\n\
         structural errors.\n"
    );
    let managed = schema::type_names(Mode::Managed);
    let data = schema::type_names(Mode::Data);
    let _ = writeln!(w, "## Summary\n");
    let _ = writeln!(
        w,
        "- {} resource types, {} data sources, {} functions.",
        managed.len(),
        data.len(),
        infra_lang::FUNCTIONS.len()
    );
    let missing = |wanted: &[&'static str], have: &[&str]| -> Vec<&'static str> {
        wanted
            .iter()
            .copied()
            .filter(|t| !have.contains(t))
            .collect()
    };
    let list = |v: &[&str]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = writeln!(
        w,
        "- Resource types public AWS configurations use that are **missing**: {}.",
        list(&missing(WANTED_RESOURCES, &managed))
    );
    let _ = writeln!(
        w,
        "- Data sources they use that are **missing**: {}.",
        list(&missing(WANTED_DATA, &data))
    );
    let mut fmissing: Vec<&str> = TERRAFORM_FUNCTIONS
        .iter()
        .copied()
        .filter(|f| !infra_lang::FUNCTIONS.contains(f))
        .collect();
    fmissing.sort_unstable();
    let _ = writeln!(
        w,
        "- Terraform functions that are **missing**: {}.\n",
        list(&fmissing)
    );

    let _ = writeln!(w, "## Language\n\n| construct | status |\n|---|---|");
    for (c, s) in LANGUAGE {
        let _ = writeln!(w, "| {c} | {s} |");
    }
    let _ = writeln!(
        w,
        "\n## Providers other than AWS\n\n| provider | status |\n|---|---|"
    );
    for (p, s) in OTHER_PROVIDERS {
        let _ = writeln!(w, "| `{p}` | {s} |");
    }
    let _ = writeln!(w, "\n## Functions\n");
    let _ = writeln!(w, "{}\n", list(infra_lang::FUNCTIONS));

    for (title, mode, names) in [
        ("Resource types", Mode::Managed, &managed),
        ("Data sources", Mode::Data, &data),
    ] {
        let _ = writeln!(w, "## {title}\n");
        for t in names.iter() {
            let Some(s) = schema::lookup(mode, t) else {
                continue;
            };
            let _ = writeln!(w, "### `{t}`\n");
            if mode == Mode::Managed {
                if let Some((_, note)) = TYPE_NOTES.iter().find(|(n, _)| n == t) {
                    let _ = writeln!(w, "{note}.\n");
                }
            }
            attributes(w, &s.attributes);
            for b in &s.blocks {
                block(w, b, t);
            }
        }
    }
    out
}

fn flags(a: &AttrSchema) -> String {
    let mut f = Vec::new();
    if a.required {
        f.push("required");
    }
    match (a.optional, a.computed) {
        (true, true) => f.push("optional, computed"),
        (true, false) => f.push("optional"),
        (false, true) => f.push("computed"),
        _ => {}
    }
    if a.force_new {
        f.push("forces new");
    }
    if a.sensitive {
        f.push("sensitive");
    }
    f.join(", ")
}

fn ty(t: &AttrType) -> String {
    t.describe()
}

fn attributes(w: &mut String, attrs: &[AttrSchema]) {
    if attrs.is_empty() {
        return;
    }
    let _ = writeln!(w, "| attribute | type | | default |\n|---|---|---|---|");
    for a in attrs {
        let default = a
            .default
            .as_ref()
            .map(|d| format!("`{}`", d.to_json()))
            .unwrap_or_default();
        let _ = writeln!(
            w,
            "| `{}` | {} | {} | {default} |",
            a.name,
            ty(&a.ty),
            flags(a)
        );
    }
    let _ = writeln!(w);
}

fn block(w: &mut String, b: &BlockSchema, parent: &str) {
    let nesting = match b.nesting {
        Nesting::List => "list",
        Nesting::Set => "set",
    };
    let mut notes = vec![format!("{nesting} of blocks")];
    if let Some(m) = b.max_items {
        notes.push(format!("at most {m}"));
    }
    if b.min_items > 0 {
        notes.push(format!("at least {}", b.min_items));
    }
    if b.force_new {
        notes.push("forces new".into());
    }
    if b.computed {
        notes.push("kept as AWS has it when no block is written".into());
    }
    let _ = writeln!(
        w,
        "Block `{}` of `{parent}` ({}):\n",
        b.name,
        notes.join(", ")
    );
    attributes(w, &b.attributes);
    for inner in &b.blocks {
        block(w, inner, &format!("{parent}.{}", b.name));
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn docs_compatibility_md_is_generated_from_the_schemas() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/compatibility.md");
        let want = super::render();
        if std::env::var_os("INFRA_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/compatibility.md is out of date with the schemas; regenerate it with `INFRA_UPDATE_DOCS=1 cargo nextest run -p infra compatibility`"
        );
    }

    #[test]
    fn every_supported_type_is_listed() {
        let doc = super::render();
        for t in infra_model::schema::type_names(infra_model::Mode::Managed) {
            assert!(doc.contains(&format!("### `{t}`")), "{t}");
        }
        for f in infra_lang::FUNCTIONS {
            assert!(doc.contains(&format!("`{f}`")), "{f}");
        }
    }
}

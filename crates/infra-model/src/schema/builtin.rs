//! Types of the small non-AWS providers that real configurations use alongside AWS
//! (`null`, `time`, `random`, `tls`, `cloudinit`, and `local`, whose schemas are in
//! `local.rs`) and Terraform's built-in `terraform_data`. `infra-builtin` implements them
//! without any cloud call.
//!
//! Names, defaults and force-new marks are the providers' own (terraform-provider-null
//! `null_resource`, terraform-provider-time `time_sleep`/`time_static`,
//! terraform-provider-random `random_id`/`random_string`/`random_password`/`random_uuid`/
//! `random_integer`/`random_shuffle`/`random_pet`,
//! terraform-provider-tls `tls_private_key`, `data.tls_certificate`, `data.tls_public_key`,
//! terraform-provider-cloudinit
//! `data.cloudinit_config`).

use super::*;
use crate::Mode::{Data, Managed};

/// Providers whose types `infra` implements itself: their `provider` blocks and
/// `required_providers` entries are accepted (and have nothing to configure).
pub const BUILTIN_PROVIDERS: &[&str] = &[
    "null",
    "time",
    "random",
    "tls",
    "cloudinit",
    "http",
    "local",
];

/// Whether `type_name` (a resource type or data source) is one of the built-in types
/// rather than an AWS one.
pub fn is_builtin(type_name: &str) -> bool {
    // the http provider's one type is named after the provider itself
    type_name == "terraform_data"
        || type_name == "http"
        || BUILTIN_PROVIDERS.iter().any(|p| {
            type_name
                .strip_prefix(p)
                .is_some_and(|r| r.starts_with('_'))
        })
}

fn keepers(name: &'static str) -> AttrSchema {
    attr(name, map_s()).optional().force_new()
}

fn null_resource() -> ResourceSchema {
    resource(
        "null_resource",
        Managed,
        vec![keepers("triggers"), attr("id", s()).computed()],
        vec![],
    )
}

fn terraform_data() -> ResourceSchema {
    resource(
        "terraform_data",
        Managed,
        vec![
            attr("input", AttrType::Any).optional(),
            attr("output", AttrType::Any).computed(),
            attr("triggers_replace", AttrType::Any)
                .optional()
                .force_new(),
            attr("id", s()).computed(),
        ],
        vec![],
    )
}

fn time_sleep() -> ResourceSchema {
    resource(
        "time_sleep",
        Managed,
        vec![
            // Go durations: "30s", "1m30s"
            attr("create_duration", s()).optional(),
            attr("destroy_duration", s()).optional(),
            keepers("triggers"),
            attr("id", s()).computed(),
        ],
        vec![],
    )
}

fn time_static() -> ResourceSchema {
    let mut a = vec![
        attr("rfc3339", s()).optional().computed().force_new(),
        keepers("triggers"),
        attr("id", s()).computed(),
    ];
    for n_ in ["day", "hour", "minute", "month", "second", "unix", "year"] {
        a.push(attr(n_, n()).computed());
    }
    resource("time_static", Managed, a, vec![])
}

fn random_id() -> ResourceSchema {
    let mut a = vec![
        keepers("keepers"),
        attr("byte_length", n()).required().force_new(),
        attr("prefix", s()).optional().force_new(),
    ];
    a.extend(computed(&["b64_url", "b64_std", "hex", "dec"]));
    resource("random_id", Managed, a, vec![])
}

fn random_string_like(type_name: &'static str, sensitive: bool) -> ResourceSchema {
    let flag = |name: &'static str| attr(name, b()).optional().default(true).force_new();
    let min = |name: &'static str| {
        attr(name, n())
            .optional()
            .default(Value::Number(0.0))
            .force_new()
    };
    let mut result = attr("result", s()).computed();
    result.sensitive = sensitive;
    resource(
        type_name,
        Managed,
        vec![
            keepers("keepers"),
            attr("length", n()).required().force_new(),
            flag("special"),
            flag("upper"),
            flag("lower"),
            flag("numeric"),
            // deprecated spelling of `numeric`
            flag("number"),
            min("min_numeric"),
            min("min_upper"),
            min("min_lower"),
            min("min_special"),
            attr("override_special", s()).optional().force_new(),
            result,
            attr("id", s()).computed(),
        ],
        vec![],
    )
}

fn random_uuid() -> ResourceSchema {
    let mut a = vec![keepers("keepers")];
    a.extend(computed(&["result"]));
    resource("random_uuid", Managed, a, vec![])
}

fn random_integer() -> ResourceSchema {
    resource(
        "random_integer",
        Managed,
        vec![
            keepers("keepers"),
            attr("min", n()).required().force_new(),
            attr("max", n()).required().force_new(),
            attr("seed", s()).optional().force_new(),
            attr("result", n()).computed(),
            attr("id", s()).computed(),
        ],
        vec![],
    )
}

fn random_shuffle() -> ResourceSchema {
    resource(
        "random_shuffle",
        Managed,
        vec![
            keepers("keepers"),
            attr("input", AttrType::List(Box::new(AttrType::String)))
                .required()
                .force_new(),
            attr("result_count", n()).optional().force_new(),
            attr("seed", s()).optional().force_new(),
            attr("result", AttrType::List(Box::new(AttrType::String))).computed(),
            attr("id", s()).computed(),
        ],
        vec![],
    )
}

fn random_pet() -> ResourceSchema {
    resource(
        "random_pet",
        Managed,
        vec![
            keepers("keepers"),
            attr("length", n())
                .optional()
                .default(Value::Number(2.0))
                .force_new(),
            attr("prefix", s()).optional().force_new(),
            attr("separator", s()).optional().default("-").force_new(),
            attr("id", s()).computed(),
        ],
        vec![],
    )
}

fn tls_certificate() -> ResourceSchema {
    resource(
        "tls_certificate",
        Data,
        vec![
            // exactly one of `url` (https:// or tls://host:port) and `content` (PEM)
            attr("url", s()).optional(),
            attr("content", s()).optional(),
            attr("verify_chain", b()).optional().default(true),
            // objects: sha1_fingerprint, subject, issuer, not_before, not_after, is_ca,
            // cert_pem, public_key_algorithm, signature_algorithm, serial_number, version
            attr("certificates", AttrType::List(Box::new(AttrType::Any))).computed(),
            attr("id", s()).computed(),
        ],
        vec![],
    )
}

/// The key's public encodings, shared by `tls_private_key` and `data.tls_public_key`.
fn public_key_attrs() -> Vec<AttrSchema> {
    [
        "public_key_pem",
        "public_key_openssh",
        "public_key_fingerprint_md5",
        "public_key_fingerprint_sha256",
        "id",
    ]
    .into_iter()
    .map(|n_| attr(n_, s()).computed())
    .collect()
}

fn tls_private_key() -> ResourceSchema {
    let mut a = vec![
        // RSA, ECDSA or ED25519
        attr("algorithm", s()).required().force_new(),
        attr("rsa_bits", n())
            .optional()
            .default(Value::Number(2048.0))
            .force_new(),
        // P224, P256, P384 or P521
        attr("ecdsa_curve", s())
            .optional()
            .default("P224")
            .force_new(),
        attr("openssh_comment", s()).optional().force_new(),
        attr("private_key_pem", s()).computed().sensitive(),
        attr("private_key_pem_pkcs8", s()).computed().sensitive(),
        attr("private_key_openssh", s()).computed().sensitive(),
    ];
    a.extend(public_key_attrs());
    resource("tls_private_key", Managed, a, vec![])
}

fn tls_public_key() -> ResourceSchema {
    let mut a = vec![
        // exactly one of the two
        attr("private_key_pem", s()).optional().sensitive(),
        attr("private_key_openssh", s()).optional().sensitive(),
        attr("algorithm", s()).computed(),
    ];
    a.extend(public_key_attrs());
    resource("tls_public_key", Data, a, vec![])
}

fn http() -> ResourceSchema {
    let retry = block(
        "retry",
        Nesting::List,
        vec![
            attr("attempts", n()).optional(),
            attr("min_delay_ms", n()).optional(),
            attr("max_delay_ms", n()).optional(),
        ],
    )
    .max(1);
    resource(
        "http",
        Data,
        vec![
            attr("url", s()).required(),
            attr("method", s()).optional(),
            attr("request_headers", map_s()).optional(),
            attr("request_body", s()).optional(),
            attr("request_timeout_ms", n()).optional(),
            attr("insecure", b()).optional(),
            attr("ca_cert_pem", s()).optional(),
            attr("client_cert_pem", s()).optional(),
            attr("client_key_pem", s()).optional(),
            attr("response_body", s()).computed(),
            attr("body", s()).computed(),
            attr("response_body_base64", s()).computed(),
            attr("status_code", n()).computed(),
            attr("response_headers", map_s()).computed(),
            attr("id", s()).computed(),
        ],
        vec![retry],
    )
}

fn cloudinit_config() -> ResourceSchema {
    let part = block(
        "part",
        Nesting::List,
        vec![
            attr("content", s()).required(),
            attr("content_type", s()).optional(),
            attr("filename", s()).optional(),
            attr("merge_type", s()).optional(),
        ],
    )
    .min(1);
    resource(
        "cloudinit_config",
        Data,
        vec![
            attr("gzip", b()).optional().default(true),
            attr("base64_encode", b()).optional().default(true),
            attr("boundary", s()).optional().default("MIMEBOUNDARY"),
            attr("rendered", s()).computed(),
            attr("id", s()).computed(),
        ],
        vec![part],
    )
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    vec![
        null_resource(),
        terraform_data(),
        time_sleep(),
        time_static(),
        random_id(),
        random_string_like("random_string", false),
        random_string_like("random_password", true),
        random_uuid(),
        random_integer(),
        random_shuffle(),
        random_pet(),
        tls_certificate(),
        tls_private_key(),
        tls_public_key(),
        cloudinit_config(),
        http(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_types_are_recognised_by_prefix() {
        for t in [
            "null_resource",
            "terraform_data",
            "time_sleep",
            "random_password",
            "tls_certificate",
            "cloudinit_config",
            "local_file",
            "local_sensitive_file",
        ] {
            assert!(is_builtin(t), "{t}");
            assert!(
                lookup(Managed, t).is_some() || lookup(Data, t).is_some(),
                "{t}"
            );
        }
        for t in [
            "aws_vpc",
            "terraform_remote_state",
            "timer_x",
            "nullx",
            "localfile",
        ] {
            assert!(!is_builtin(t), "{t}");
        }
        let k = lookup(Managed, "tls_private_key").unwrap();
        assert!(k.attribute("private_key_pem").unwrap().sensitive);
        assert!(k.attribute("private_key_openssh").unwrap().sensitive);
        assert!(!k.attribute("public_key_openssh").unwrap().sensitive);
        assert!(k.attribute("algorithm").unwrap().force_new);
        assert!(lookup(Data, "tls_public_key").is_some());
        let p = lookup(Managed, "random_password").unwrap();
        assert!(p.attribute("result").unwrap().sensitive);
        assert!(p.attribute("keepers").unwrap().force_new);
        let f = lookup(Managed, "local_sensitive_file").unwrap();
        assert!(f.attribute("content").unwrap().sensitive);
        assert_eq!(
            f.attribute("file_permission").unwrap().default,
            Some(Value::string("0700"))
        );
        let f = lookup(Managed, "local_file").unwrap();
        assert!(!f.attribute("content").unwrap().sensitive);
        assert!(f.attribute("sensitive_content").unwrap().sensitive);
        assert!(f.attribute("filename").unwrap().force_new);
        assert_eq!(
            f.attribute("directory_permission").unwrap().default,
            Some(Value::string("0777"))
        );
        assert!(
            lookup(Data, "local_sensitive_file")
                .unwrap()
                .attribute("content")
                .unwrap()
                .sensitive
        );
    }
}

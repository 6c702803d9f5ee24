//! IAM: roles, managed policies and their attachments, inline role policies, instance
//! profiles, OIDC providers (IRSA), and the locally rendered `aws_iam_policy_document`
//! data source.

use super::*;

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    use Mode::{Data, Managed};
    let mut out = Vec::new();

    let mut a = vec![
        attr("name", s()).optional().computed().force_new(),
        attr("name_prefix", s()).optional().force_new(),
        attr("path", s()).optional().default("/").force_new(),
        attr("description", s()).optional(),
        attr("assume_role_policy", AttrType::Json).required(),
        attr("max_session_duration", n()).optional().default(3600.0),
        attr("permissions_boundary", s()).optional(),
        attr("force_detach_policies", b()).optional().default(false),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "unique_id", "create_date"]));
    out.push(resource("aws_iam_role", Managed, a, vec![]));

    let a = vec![
        attr("role", s()).required().force_new(),
        attr("policy_arn", s()).required().force_new(),
        attr("id", s()).computed(),
    ];
    out.push(resource(
        "aws_iam_role_policy_attachment",
        Managed,
        a,
        vec![],
    ));

    let mut a = vec![
        attr("name", s()).optional().computed().force_new(),
        attr("name_prefix", s()).optional().force_new(),
        attr("path", s()).optional().default("/").force_new(),
        attr("description", s()).optional().force_new(),
        attr("policy", AttrType::Json).required(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "policy_id"]));
    a.push(attr("attachment_count", n()).computed());
    out.push(resource("aws_iam_policy", Managed, a, vec![]));

    let a = vec![
        attr("role", s()).required().force_new(),
        attr("name", s()).optional().computed().force_new(),
        attr("name_prefix", s()).optional().force_new(),
        attr("policy", AttrType::Json).required(),
        attr("id", s()).computed(),
    ];
    out.push(resource("aws_iam_role_policy", Managed, a, vec![]));

    let mut a = vec![
        attr("name", s()).optional().computed().force_new(),
        attr("name_prefix", s()).optional().computed().force_new(),
        attr("path", s()).optional().default("/").force_new(),
        attr("role", s()).optional(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "unique_id", "create_date"]));
    out.push(resource("aws_iam_instance_profile", Managed, a, vec![]));

    let mut a = vec![
        attr("url", s()).required().force_new(),
        attr("client_id_list", set_s()).required(),
        attr("thumbprint_list", list_s()).optional().computed(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn"]));
    out.push(resource(
        "aws_iam_openid_connect_provider",
        Managed,
        a,
        vec![],
    ));

    // ---- data sources ----
    let principals = || {
        vec![
            attr("type", s()).required(),
            attr("identifiers", set_s()).required(),
        ]
    };
    let condition = vec![
        attr("test", s()).required(),
        attr("variable", s()).required(),
        // a list: Terraform keeps the order of condition values
        attr("values", list_s()).required(),
    ];
    let statement = block(
        "statement",
        Nesting::List,
        vec![
            attr("sid", s()).optional(),
            attr("effect", s()).optional().default("Allow"),
            attr("actions", set_s()).optional(),
            attr("not_actions", set_s()).optional(),
            attr("resources", set_s()).optional(),
            attr("not_resources", set_s()).optional(),
        ],
    )
    .blocks(vec![
        block("principals", Nesting::Set, principals()),
        block("not_principals", Nesting::Set, principals()),
        block("condition", Nesting::Set, condition),
    ]);
    out.push(resource(
        "aws_iam_policy_document",
        Data,
        vec![
            attr("policy_id", s()).optional(),
            // JSON documents merged before / after the statements (by `Sid`)
            attr("source_policy_documents", list_s()).optional(),
            attr("override_policy_documents", list_s()).optional(),
            attr("version", s()).optional().default("2012-10-17"),
            attr("id", s()).computed(),
            attr("json", AttrType::Json).computed(),
            attr("minified_json", AttrType::Json).computed(),
        ],
        vec![statement],
    ));
    out
}

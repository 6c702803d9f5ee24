//! What terraform-aws-eks's `karpenter` and `capability` sub-modules and its
//! `eks-capabilities` / `karpenter` examples add: EKS Pod Identity associations, EKS
//! capabilities (managed Argo CD, ACK, kro), and the data sources they read (IAM Identity
//! Center's instances and groups, and ECR Public's authorization token).

use super::*;

fn pod_identity_association() -> ResourceSchema {
    let mut a = vec![
        attr("cluster_name", s()).required().force_new(),
        attr("namespace", s()).required().force_new(),
        attr("service_account", s()).required().force_new(),
        attr("role_arn", s()).required(),
        attr("target_role_arn", s()).optional(),
        attr("disable_session_tags", b()).optional().default(false),
    ];
    a.extend(tags());
    a.extend(computed(&[
        "association_arn",
        "association_id",
        "external_id",
    ]));
    resource("aws_eks_pod_identity_association", Mode::Managed, a, vec![])
}

/// `configuration { argo_cd { ... } }`. EKS changes only the role mappings and the network
/// access of an Argo CD capability in place (UpdateCapability); its namespace and Identity
/// Center instance force a new capability.
fn capability_configuration() -> BlockSchema {
    let aws_idc = block(
        "aws_idc",
        Nesting::List,
        vec![
            attr("idc_instance_arn", s()).required(),
            attr("idc_region", s()).optional(),
        ],
    )
    .min(1)
    .max(1)
    .force_new();
    let network_access = block(
        "network_access",
        Nesting::List,
        vec![attr("vpce_ids", set_s()).optional()],
    )
    .max(1);
    let identity = block(
        "identity",
        Nesting::Set,
        vec![attr("id", s()).required(), attr("type", s()).required()],
    )
    .min(1);
    let mapping = block(
        "rbac_role_mapping",
        Nesting::Set,
        vec![attr("role", s()).required()],
    )
    .blocks(vec![identity]);
    let argo_cd = block(
        "argo_cd",
        Nesting::List,
        vec![attr("namespace", s()).optional().force_new()],
    )
    .max(1)
    .blocks(vec![aws_idc, network_access, mapping]);
    block("configuration", Nesting::List, vec![])
        .max(1)
        .blocks(vec![argo_cd])
}

fn capability() -> ResourceSchema {
    let mut a = vec![
        attr("capability_name", s()).required().force_new(),
        attr("cluster_name", s()).required().force_new(),
        attr("type", s()).required().force_new(),
        attr("role_arn", s()).required(),
        attr("delete_propagation_policy", s()).required(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "version", "status"]));
    resource(
        "aws_eks_capability",
        Mode::Managed,
        a,
        vec![capability_configuration()],
    )
}

fn attribute_pair(name: &'static str) -> BlockSchema {
    block(
        name,
        Nesting::List,
        vec![
            attr("attribute_path", s()).required(),
            attr("attribute_value", s()).required(),
        ],
    )
    .max(1)
}

fn identitystore_group() -> ResourceSchema {
    let external_id = block(
        "external_id",
        Nesting::List,
        vec![attr("id", s()).required(), attr("issuer", s()).required()],
    )
    .max(1);
    let alternate = block("alternate_identifier", Nesting::List, vec![])
        .max(1)
        .blocks(vec![external_id, attribute_pair("unique_attribute")]);
    resource(
        "aws_identitystore_group",
        Mode::Data,
        vec![
            attr("identity_store_id", s()).required(),
            attr("group_id", s()).optional().computed(),
            attr("id", s()).computed(),
            attr("display_name", s()).computed(),
            attr("description", s()).computed(),
            attr(
                "external_ids",
                AttrType::List(Box::new(AttrType::Map(Box::new(AttrType::String)))),
            )
            .computed(),
        ],
        vec![alternate, attribute_pair("filter")],
    )
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    vec![
        pod_identity_association(),
        capability(),
        resource(
            "aws_ssoadmin_instances",
            Mode::Data,
            vec![
                attr("id", s()).computed(),
                attr("arns", list_s()).computed(),
                attr("identity_store_ids", list_s()).computed(),
            ],
            vec![],
        ),
        identitystore_group(),
        // ECR Public lives in us-east-1 only: its `region` (the provider v6's per-resource
        // region) is an argument here, sent with the call, and may differ from the stack's
        resource(
            "aws_ecrpublic_authorization_token",
            Mode::Data,
            vec![
                attr("region", s()).optional().computed(),
                attr("id", s()).computed(),
                attr("authorization_token", s()).computed().sensitive(),
                attr("expires_at", s()).computed(),
                attr("password", s()).computed().sensitive(),
                attr("user_name", s()).computed(),
            ],
            vec![],
        ),
    ]
}

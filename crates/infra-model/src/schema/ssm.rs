//! `aws_ssm_activation`: a Systems Manager hybrid activation (the code and id with which
//! on-premises machines, such as EKS hybrid nodes, register), with the Terraform AWS
//! provider's (v6) names (`internal/service/ssm/activation.go`): every argument forces a
//! new activation, tags included (the provider has no update: SSM cannot tag an activation
//! after its creation), so a change of `default_tags` (`tags_all`) replaces it too; `id` is
//! the activation id and `activation_code` is only known from the create's answer.
//!
//! `registration_limit` is also computed here: SSM's default (1) is read back when it is not
//! configured, and the provider's plain Optional would plan a replacement on every run.

use super::*;

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    let a = vec![
        attr("name", s()).optional().force_new().empty_is_null(),
        attr("description", s())
            .optional()
            .force_new()
            .empty_is_null(),
        attr("iam_role", s()).required().force_new(),
        // RFC 3339; SSM's default is 24 hours after the create
        attr("expiration_date", s())
            .optional()
            .computed()
            .force_new(),
        attr("registration_limit", n())
            .optional()
            .computed()
            .force_new(),
        attr("tags", map_s()).optional().force_new(),
        attr("tags_all", map_s()).computed().force_new(),
        attr("id", s()).computed(),
        attr("activation_code", s()).computed().sensitive(),
        attr("expired", b()).computed(),
        attr("registration_count", n()).computed(),
    ];
    vec![resource("aws_ssm_activation", Mode::Managed, a, vec![])]
}

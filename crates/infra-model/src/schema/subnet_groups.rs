//! The subnet groups terraform-aws-vpc makes for its database, ElastiCache and Redshift
//! subnets: `aws_db_subnet_group`, `aws_elasticache_subnet_group`,
//! `aws_redshift_subnet_group`. The name forces a new group; description, subnets and
//! tags change in place (ModifyDBSubnetGroup, ModifyCacheSubnetGroup,
//! ModifyClusterSubnetGroup), as in the Terraform AWS provider.

use super::*;

const DESCRIPTION: &str = "Managed by Terraform";

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    use Mode::Managed;
    let mut out = Vec::new();

    let mut a = vec![
        attr("name", s()).optional().computed().force_new(),
        attr("name_prefix", s()).optional().force_new(),
        attr("description", s()).optional().default(DESCRIPTION),
        attr("subnet_ids", set_s()).required(),
        attr("supported_network_types", set_s()).computed(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "vpc_id"]));
    out.push(resource("aws_db_subnet_group", Managed, a, vec![]));

    let mut a = vec![
        attr("name", s()).required().force_new(),
        attr("description", s()).optional().default(DESCRIPTION),
        attr("subnet_ids", set_s()).required(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "vpc_id"]));
    out.push(resource("aws_elasticache_subnet_group", Managed, a, vec![]));

    let mut a = vec![
        attr("name", s()).required().force_new(),
        attr("description", s()).optional().default(DESCRIPTION),
        attr("subnet_ids", set_s()).required(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn"]));
    out.push(resource("aws_redshift_subnet_group", Managed, a, vec![]));

    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_force_new_groups_and_the_rest_changes_in_place() {
        for t in [
            "aws_db_subnet_group",
            "aws_elasticache_subnet_group",
            "aws_redshift_subnet_group",
        ] {
            let s = lookup(Mode::Managed, t).unwrap();
            assert!(s.attribute("name").unwrap().force_new, "{t}");
            for a in ["description", "subnet_ids", "tags"] {
                assert!(!s.attribute(a).unwrap().force_new, "{t}.{a}");
            }
            assert_eq!(
                s.attribute("description").unwrap().default,
                Some(Value::string(DESCRIPTION)),
                "{t}"
            );
        }
    }
}

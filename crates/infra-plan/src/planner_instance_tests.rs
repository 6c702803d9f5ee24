//! The planner with the `aws_instance` schema: what changes in place (with the public
//! address a stop and start changes known only after apply), what replaces, and
//! `user_data_replace_on_change`.

use super::*;
use serde_json::json;

fn recorded() -> serde_json::Value {
    json!({
        "id": "i-1", "arn": "arn:i-1", "ami": "ami-1", "instance_type": "t3.micro",
        "subnet_id": "subnet-1", "vpc_security_group_ids": ["sg-1"],
        "user_data": "#!/bin/sh\n", "user_data_replace_on_change": false,
        "public_ip": "54.1.2.3", "public_dns": "ec2-54-1-2-3", "private_ip": "10.0.1.4",
        "source_dest_check": true, "force_destroy": false, "get_password_data": false,
        "tags": {"Name": "web"}, "tags_all": {"Name": "web"}
    })
}

fn config(changes: serde_json::Value) -> serde_json::Value {
    let mut c = json!({
        "ami": "ami-1", "instance_type": "t3.micro", "subnet_id": "subnet-1",
        "vpc_security_group_ids": ["sg-1"], "user_data": "#!/bin/sh\n",
        "tags": {"Name": "web"}
    });
    for (k, v) in changes.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn plan_one(c: serde_json::Value) -> Plan {
    let (plan, diags) = run(
        PlanOptions::default(),
        vec![prior("aws_instance.web", recorded(), &[])],
        vec![desired("aws_instance.web", c, &[])],
    );
    assert!(diags.is_empty(), "{diags:?}");
    plan
}

#[test]
fn instances_update_in_place_or_replace_as_the_provider() {
    let same = plan_one(config(json!({})));
    assert_eq!(summary(&same), ["aws_instance.web NoOp"]);
    // in place: tags, groups, and (stopped and started) the type and the user data, whose
    // restart gives a new public address
    for change in [
        json!({"tags": {"Name": "api"}}),
        json!({"vpc_security_group_ids": ["sg-1", "sg-2"]}),
        json!({"instance_type": "t3.small"}),
        json!({"user_data": "#!/bin/sh\necho hi\n"}),
    ] {
        let plan = plan_one(config(change.clone()));
        assert_eq!(summary(&plan), ["aws_instance.web Update"], "{change}");
        let after = plan.changes[0].after.as_ref().unwrap();
        let restarts = change.get("instance_type").is_some() || change.get("user_data").is_some();
        assert_eq!(after.get("public_ip").is_unknown(), restarts, "{change}");
    }
    // replaced: the image, the subnet; the user data with user_data_replace_on_change
    for (change, path) in [
        (json!({"ami": "ami-2"}), "ami"),
        (json!({"subnet_id": "subnet-2"}), "subnet_id"),
        (
            json!({"user_data": "#!/bin/sh\necho hi\n", "user_data_replace_on_change": true}),
            "user_data",
        ),
    ] {
        let plan = plan_one(config(change.clone()));
        let s = summary(&plan);
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(s[0].contains("DeleteThenCreate"), "{change}: {s:?}");
        assert!(s[0].contains(&format!("\"{path}\"")), "{change}: {s:?}");
    }
}

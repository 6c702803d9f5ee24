//! The plan side of the CLI against the emulator: saved plans, --target, --replace,
//! --destroy, --refresh=false, --detailed-exitcode, the JSON shape, and apply without a
//! terminal.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::{
    change_list, changes, ec2, rt, run_with_deadline, small, tagged_no_nat, Run, Workspace,
};

fn destroy(ws: &Workspace) {
    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(
        rt().block_on(tagged_no_nat(&ws.stack_name)).is_empty(),
        "destroy leaves nothing"
    );
}

fn addresses(counts: &BTreeMap<String, usize>) -> Vec<String> {
    counts.keys().cloned().collect()
}

/// The live VPC's Name tag, read with an independent client.
fn vpc_name_tag(stack: &str) -> Option<String> {
    rt().block_on(async {
        let c = ec2().await;
        let out = c
            .describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("tag:infra:stack")
                    .values(stack)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        out.vpcs().first().and_then(|v| {
            v.tags()
                .iter()
                .find(|t| t.key() == Some("Name"))
                .and_then(|t| t.value().map(str::to_string))
        })
    })
}

fn refused(r: &Run, needles: &[&str]) {
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(!r.stderr.contains("panicked"), "{}", r.all());
    for n in needles {
        assert!(r.stderr.contains(n), "expected {n:?} in:\n{}", r.all());
    }
    assert!(
        !r.stdout.contains("Apply complete"),
        "nothing was applied:\n{}",
        r.all()
    );
}

#[test]
fn cli_saved_plan_applies_exactly_and_is_refused_when_stale() {
    let ws = small();
    let f1 = ws.dir.path().join("one.plan");
    let f2 = ws.dir.path().join("two.plan");
    let f1s = f1.to_str().unwrap();
    let f2s = f2.to_str().unwrap();
    for f in [f1s, f2s] {
        let r = ws.run(&["plan", "--out", f]);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(r.stdout.contains("4 to add"), "{}", r.all());
    }
    // planning before the first apply writes no state file (as Terraform's plan)
    assert!(
        !ws.state_path().exists(),
        "plan created {}",
        ws.state_path().display()
    );
    // a saved plan needs no --auto-approve, and prints the outputs
    let r = run_with_deadline(ws.cmd(&["apply", f1s]), Duration::from_secs(30));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("Apply complete! Resources: 4 added, 0 changed, 0 destroyed."),
        "{}",
        r.all()
    );
    assert!(r.stdout.contains("vpc_id"), "outputs printed:\n{}", r.all());
    assert!(
        r.stdout.contains("(sensitive value)"),
        "sensitive output redacted:\n{}",
        r.all()
    );
    let live = rt().block_on(tagged_no_nat(&ws.stack_name));
    assert_eq!(
        addresses(&live),
        [
            "aws_eip.ip",
            "aws_security_group.database",
            "aws_subnet.a",
            "aws_vpc.main"
        ]
    );
    assert!(live.values().all(|n| *n == 1), "{live:?}");

    // flags that would change a saved plan are refused, not ignored
    let r = ws.run(&[
        "apply",
        f2s,
        "--target",
        "aws_vpc.main",
        "--var",
        "cidr=10.9.0.0/16",
    ]);
    refused(&r, &["--target", "--var", "saved plan", "infra plan --out"]);
    assert_eq!(rt().block_on(tagged_no_nat(&ws.stack_name)), live);

    // the second plan was made before that apply: the state changed since
    let r = ws.run(&["apply", f2s]);
    refused(&r, &["changed since the plan", "infra plan --out"]);
    assert_eq!(
        rt().block_on(tagged_no_nat(&ws.stack_name)),
        live,
        "nothing changed"
    );

    // a plan whose stack files changed afterwards
    ws.edit("main.tf", "Name = \"small\"", "Name = \"small-2\"");
    let f3 = ws.dir.path().join("three.plan");
    let f3s = f3.to_str().unwrap();
    let r = ws.run(&["plan", "--out", f3s]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("1 to change"), "{}", r.all());
    ws.edit("main.tf", "Name = \"small-2\"", "Name = \"small-3\"");
    let r = ws.run(&["apply", f3s]);
    refused(&r, &["files", "changed", "infra plan --out"]);
    assert_eq!(vpc_name_tag(&ws.stack_name).as_deref(), Some("small"));

    // applied to another stack
    ws.edit("main.tf", "Name = \"small-3\"", "Name = \"small-2\"");
    let other = format!("{}-other", ws.stack_name);
    let r = ws
        .cmd_bare(&["apply", f3s, "--stack-name", &other])
        .output();
    let r = Run::from(r.unwrap());
    refused(&r, &[&ws.stack_name, &other]);
    assert_eq!(vpc_name_tag(&ws.stack_name).as_deref(), Some("small"));
    let list = ws
        .cmd_bare(&["state", "list", "--stack-name", &other])
        .output();
    let list = Run::from(list.unwrap());
    assert_eq!(list.stdout.trim(), "", "the other stack is untouched");

    // back to the files the plan saw: the refusals changed nothing, so it applies
    let r = ws.run(&["apply", f3s]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("Apply complete! Resources: 0 added, 1 changed, 0 destroyed."),
        "{}",
        r.all()
    );
    assert_eq!(vpc_name_tag(&ws.stack_name).as_deref(), Some("small-2"));
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    destroy(&ws);
}

#[test]
fn cli_target_replace_and_destroy_plans() {
    let ws = small();
    let plan = ws.plan_json(&["--target", "aws_subnet.a"]);
    assert_eq!(
        change_list(&plan),
        ["aws_subnet.a create", "aws_vpc.main create"],
        "a target brings its dependencies, nothing else"
    );
    let r = ws.run(&["apply", "--auto-approve", "--target", "aws_subnet.a"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        addresses(&rt().block_on(tagged_no_nat(&ws.stack_name))),
        ["aws_subnet.a", "aws_vpc.main"]
    );
    let r = ws.apply();
    assert!(r.stdout.contains("2 added, 0 changed"), "{}", r.all());

    // --replace: exactly one replacement, and a new subnet
    let plan = ws.plan_json(&["--replace", "aws_subnet.a"]);
    assert_eq!(change_list(&plan), ["aws_subnet.a delete,create"]);
    let before = subnet_id(&ws);
    let r = ws.run(&["apply", "--auto-approve", "--replace", "aws_subnet.a"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        r.all()
    );
    let after = subnet_id(&ws);
    assert_ne!(before, after, "the subnet was replaced");
    let live = rt().block_on(tagged_no_nat(&ws.stack_name));
    assert!(live.values().all(|n| *n == 1), "{live:?}");
    assert_eq!(live.len(), 4, "{live:?}");

    // plan --destroy shows every resource deleted, and changes nothing
    let plan = ws.plan_json(&["--destroy"]);
    assert_eq!(
        change_list(&plan),
        [
            "aws_eip.ip delete",
            "aws_security_group.database delete",
            "aws_subnet.a delete",
            "aws_vpc.main delete"
        ]
    );
    let text = ws.run(&["plan", "--destroy"]);
    assert!(
        text.stdout.contains("0 to add, 0 to change, 4 to destroy"),
        "{}",
        text.all()
    );
    assert_eq!(rt().block_on(tagged_no_nat(&ws.stack_name)), live);

    // a destroy target brings what depends on it
    let plan = ws.plan_json(&["--destroy", "--target", "aws_vpc.main"]);
    assert_eq!(
        change_list(&plan),
        [
            "aws_security_group.database delete",
            "aws_subnet.a delete",
            "aws_vpc.main delete"
        ]
    );

    // destroy --target removes only that
    let r = ws.run(&[
        "destroy",
        "--auto-approve",
        "--target",
        "aws_security_group.database",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("1 destroyed"), "{}", r.all());
    assert_eq!(
        addresses(&rt().block_on(tagged_no_nat(&ws.stack_name))),
        ["aws_eip.ip", "aws_subnet.a", "aws_vpc.main"]
    );
    let list = ws.run(&["state", "list"]);
    assert!(
        !list.stdout.contains("aws_security_group"),
        "{}",
        list.all()
    );
    assert!(list.stdout.contains("aws_subnet.a"), "{}", list.all());

    // a saved destroy plan applies too
    let f = ws.dir.path().join("destroy.plan");
    let fs = f.to_str().unwrap();
    let r = ws.run(&["plan", "--destroy", "--out", fs]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = ws.run(&["apply", fs]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("Destroy complete! Resources: 3 destroyed."),
        "{}",
        r.all()
    );
    assert!(rt().block_on(tagged_no_nat(&ws.stack_name)).is_empty());
    assert_eq!(ws.run(&["state", "list"]).stdout.trim(), "");
}

#[test]
fn cli_apply_of_a_missing_or_foreign_plan_file_is_refused() {
    let ws = Workspace::from_files(&[("main.tf", crate::common::SMALL_STACK)], false);
    let missing = ws.dir.path().join("nope.plan");
    let r = ws.run(&["apply", missing.to_str().unwrap()]);
    refused(&r, &["nope.plan", "infra plan --out"]);
    let junk = ws.dir.path().join("junk.plan");
    std::fs::write(&junk, "{\"not\": \"a plan\"}").unwrap();
    let r = ws.run(&["apply", junk.to_str().unwrap()]);
    refused(&r, &["junk.plan", "infra plan --out"]);
}

fn subnet_id(ws: &Workspace) -> String {
    let r = ws.run(&["state", "show", "aws_subnet.a", "--json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("subnet-"), "{v}");
    id
}

#[test]
fn cli_refresh_false_does_not_notice_a_deleted_resource() {
    let ws = small();
    ws.apply();
    let id = subnet_id(&ws);
    rt().block_on(async {
        ec2()
            .await
            .delete_subnet()
            .subnet_id(&id)
            .send()
            .await
            .unwrap();
    });

    let plan = ws.plan_json(&["--refresh=false"]);
    assert_eq!(changes(&plan), vec![], "no refresh, no drift noticed");
    let calls = plan["infra"]["api_calls"].as_object().unwrap();
    assert!(
        calls.keys().all(|k| !k.contains("Describe")),
        "--refresh=false reads nothing: {calls:?}"
    );
    let r = ws.run(&["plan", "--refresh=false", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", r.all());

    let plan = ws.plan_json(&[]);
    assert_eq!(change_list(&plan), ["aws_subnet.a create"]);
    assert!(
        plan["infra"]["api_calls"]["ec2:DescribeSubnets"]
            .as_u64()
            .is_some(),
        "{}",
        plan["infra"]
    );
    ws.apply();
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    destroy(&ws);
}

#[test]
fn cli_detailed_exitcode_and_json_shape() {
    let ws = small();
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "changes present:\n{}", r.all());
    assert!(
        r.stdout.contains("4 to add, 0 to change, 0 to destroy"),
        "{}",
        r.all()
    );

    let plan = ws.plan_json(&[]);
    let rc = plan["resource_changes"].as_array().unwrap();
    assert_eq!(rc.len(), 4);
    for c in rc {
        for key in ["address", "mode", "type", "name", "change"] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
        assert_eq!(c["mode"], "managed");
        assert_eq!(
            c["address"].as_str().unwrap(),
            format!(
                "{}.{}",
                c["type"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        );
        // as in Terraform, `index` is only there for count / for_each instances
        assert!(c.get("index").is_none_or(|i| i.is_null()), "{c}");
        for key in ["actions", "before", "after", "after_unknown"] {
            assert!(
                c["change"].get(key).is_some(),
                "change.{key} missing in {c}"
            );
        }
        assert_eq!(c["change"]["actions"], serde_json::json!(["create"]));
        assert!(c["change"]["before"].is_null());
        assert_eq!(c["change"]["after_unknown"]["id"], true, "{c}");
    }
    let infra = &plan["infra"];
    assert!(infra["api_calls"].is_object(), "{infra}");
    assert!(infra["api_calls_total"].is_u64(), "{infra}");
    assert_eq!(infra["stack"], ws.stack_name.as_str());

    insta::with_settings!({filters => vec![
        (ws.stack_name.as_str(), "[stack]"),
        (r"\b(vpc|subnet|sg|eipalloc|eipassoc|igw|nat|rtb)-[0-9a-f]+\b", "[id]"),
        (r"arn:aws:[^\x22]+", "[arn]"),
        (r"/tmp/[^\x22]+", "[path]"),
    ]}, {
        insta::assert_json_snapshot!("cli_small_stack_plan", plan);
    });

    ws.apply();
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "no changes:\n{}", r.all());
    let plan = ws.plan_json(&[]);
    for c in plan["resource_changes"].as_array().unwrap() {
        assert_eq!(c["change"]["actions"], serde_json::json!(["no-op"]), "{c}");
        assert_eq!(c["change"]["before"], c["change"]["after"], "{c}");
    }
    // a keyed instance carries its index
    destroy(&ws);
    let ex = Workspace::from_stack("example", true);
    let plan = ex.plan_json(&[]);
    let subnet = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "aws_subnet.public[\"us-east-1a\"]")
        .expect("a keyed subnet");
    assert_eq!(subnet["index"], "us-east-1a");
    assert_eq!(subnet["name"], "public");
}

#[test]
fn cli_apply_without_terminal_or_auto_approve_fails_at_once() {
    let ws = small();
    for cmd in [vec!["apply"], vec!["destroy"]] {
        let r = run_with_deadline(ws.cmd(&cmd), Duration::from_secs(20));
        if cmd[0] == "destroy" {
            // nothing to destroy yet: no question to ask
            assert_eq!(r.code, 0, "{}", r.all());
            continue;
        }
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.stderr.contains("no terminal"), "{}", r.all());
        assert!(
            r.stderr.contains("--auto-approve"),
            "says what to do:\n{}",
            r.all()
        );
    }
    assert!(rt().block_on(tagged_no_nat(&ws.stack_name)).is_empty());
    assert_eq!(ws.run(&["state", "list"]).stdout.trim(), "");
    // and the lock was released
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 2);

    // destroy asks too once there is something to destroy
    ws.apply();
    let r = run_with_deadline(ws.cmd(&["destroy"]), Duration::from_secs(20));
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("--auto-approve"), "{}", r.all());
    assert_eq!(rt().block_on(tagged_no_nat(&ws.stack_name)).len(), 4);
    destroy(&ws);
}

#[test]
fn cli_graph_dot_and_mermaid_show_the_edges() {
    let ws = Workspace::from_stack("example", false);
    let dot = ws.run(&["graph", "--format", "dot"]);
    assert_eq!(dot.code, 0, "{}", dot.all());
    assert!(
        dot.stdout.trim_start().starts_with("digraph"),
        "{}",
        dot.stdout
    );
    for edge in [
        "\"aws_subnet.public\" -> \"aws_vpc.main\"",
        "\"aws_nat_gateway.main\" -> \"aws_internet_gateway.main\"",
        "\"aws_route_table_association.private\" -> \"aws_route_table.private\"",
    ] {
        assert!(dot.stdout.contains(edge), "{edge} missing:\n{}", dot.stdout);
    }
    let default = ws.run(&["graph"]);
    assert_eq!(default.stdout, dot.stdout, "dot is the default");

    let mm = ws.run(&["graph", "--format", "mermaid"]);
    assert_eq!(mm.code, 0, "{}", mm.all());
    assert!(
        mm.stdout.trim_start().starts_with("flowchart"),
        "{}",
        mm.stdout
    );
    // node ids are declared as `nX["address"]`; edges as `nX --> nY`
    let mut ids = BTreeMap::new();
    for line in mm.stdout.lines() {
        let line = line.trim();
        if let Some((id, rest)) = line.split_once("[\"") {
            ids.insert(rest.trim_end_matches("\"]").to_string(), id.to_string());
        }
    }
    let edge = |from: &str, to: &str| format!("{} --> {}", ids[from], ids[to]);
    for (from, to) in [
        ("aws_subnet.public", "aws_vpc.main"),
        ("aws_nat_gateway.main", "aws_eip.nat"),
    ] {
        assert!(
            mm.stdout.lines().any(|l| l.trim() == edge(from, to)),
            "{from} -> {to} missing:\n{}",
            mm.stdout
        );
    }
}

//! Mistakes a user can make: each gets a clear error naming the file, line and column (or
//! the resource), no panic, and leaves the state untouched.

use crate::common::{Run, Workspace};

const VPC: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
"#;

/// Run `infra <args>` on a stack made of `files`; it must fail cleanly and mention every needle.
fn fails(files: &[(&str, &str)], args: &[&str], needles: &[&str]) -> Run {
    let ws = Workspace::from_files(files, false);
    let r = ws.run(args);
    assert_eq!(r.code, 1, "expected exit 1:\n{}", r.all());
    assert!(!r.stderr.contains("panicked"), "panic:\n{}", r.all());
    for n in needles {
        assert!(
            r.stderr.contains(n) || r.stdout.contains(n),
            "missing {n:?} in:\n{}",
            r.all()
        );
    }
    assert!(
        !ws.state_path().exists() || args[0] != "validate",
        "validate must not create a state file"
    );
    r
}

#[test]
fn syntax_error_names_file_line_and_column() {
    fails(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"main\" {\n  cidr_block = \n}\n",
        )],
        &["validate"],
        &["main.tf:2:16", "expected an expression"],
    );
}

#[test]
fn unknown_resource_type_suggests_the_closest() {
    fails(&[("main.tf", "resource \"aws_subnett\" \"a\" {\n  vpc_id = \"x\"\n  cidr_block = \"10.0.0.0/24\"\n}\n")], &["validate"], &["aws_subnett", "aws_subnet", "main.tf:1:"]);
}

#[test]
fn unknown_attribute_suggests_the_closest() {
    fails(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"main\" {\n  cidr_blok = \"10.0.0.0/16\"\n}\n",
        )],
        &["validate"],
        &["cidr_blok", "cidr_block", "main.tf:2:3"],
    );
}

#[test]
fn wrong_value_type() {
    fails(
        &[("main.tf", "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n  enable_dns_support = [\"yes\"]\n}\n")],
        &["validate"],
        &["enable_dns_support", "bool", "main.tf:3:"],
    );
}

#[test]
fn invalid_cidr() {
    fails(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/33\"\n}\n",
        )],
        &["validate"],
        &["10.0.0.0/33", "main.tf:2:"],
    );
}

#[test]
fn reference_to_something_undefined() {
    let files = [("main.tf", "resource \"aws_subnet\" \"a\" {\n  vpc_id     = aws_vpc.mian.id\n  cidr_block = var.subnet_cidr\n}\n"), ("vpc.tf", VPC)];
    let r = fails(
        &files,
        &["validate"],
        &[
            "aws_vpc.mian",
            "main.tf:2:",
            "var.subnet_cidr",
            "main.tf:3:",
        ],
    );
    assert!(
        r.stderr.contains("aws_vpc.main"),
        "suggests the declared resource:\n{}",
        r.stderr
    );
}

#[test]
fn a_cycle_names_every_address() {
    let files = [(
        "main.tf",
        r#"
resource "aws_security_group" "a" {
  vpc_id = "vpc-1"
  tags   = { peer = aws_security_group.b.id }
}
resource "aws_security_group" "b" {
  vpc_id = "vpc-1"
  tags   = { peer = aws_security_group.a.id }
}
"#,
    )];
    fails(
        &files,
        &["validate"],
        &[
            "cycle",
            "aws_security_group.a",
            "aws_security_group.b",
            "main.tf:4:",
            "aws_security_group.a refers to aws_security_group.b here",
            "aws_security_group.b refers to aws_security_group.a here",
        ],
    );
}

#[test]
fn missing_required_attribute() {
    fails(
        &[(
            "main.tf",
            "resource \"aws_subnet\" \"a\" {\n  cidr_block = \"10.0.1.0/24\"\n}\n",
        )],
        &["validate"],
        &["vpc_id", "main.tf:1:"],
    );
}

#[test]
fn variable_without_a_value_fails_without_a_terminal() {
    let files = [("main.tf", "variable \"cidr\" {\n  type = string\n}\nresource \"aws_vpc\" \"main\" {\n  cidr_block = var.cidr\n}\n")];
    fails(&files, &["plan"], &["cidr", "--var"]);
}

#[test]
fn bad_variable_value_type() {
    let files = [("main.tf", "variable \"n\" {\n  type = number\n}\nresource \"aws_vpc\" \"main\" {\n  cidr_block = cidrsubnet(\"10.0.0.0/8\", 8, var.n)\n}\n")];
    fails(&files, &["validate", "--var", "n=abc"], &["n", "number"]);
}

#[test]
fn locked_stack_names_the_holder() {
    let ws = Workspace::from_files(&[("main.tf", VPC)], false);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let lock = rt.block_on(async {
        let store = infra_state::Store::open(&ws.state_path()).await.unwrap();
        store.lock(&ws.stack_name, "apply", None).await.unwrap()
    });
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("locked"), "{}", r.all());
    assert!(
        r.stderr.contains(&std::process::id().to_string()),
        "names the holder's pid:\n{}",
        r.all()
    );
    assert!(
        r.stderr.contains(&lock.info.id),
        "names the lock id for force-unlock:\n{}",
        r.all()
    );
}

#[test]
fn corrupt_state_file_is_refused_and_untouched() {
    let ws = Workspace::from_files(&[("main.tf", VPC)], false);
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(ws.state_path(), &garbage).unwrap();
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(!r.stderr.contains("panicked"));
    assert!(
        r.stderr.contains(&ws.state_path().display().to_string()),
        "names the file:\n{}",
        r.all()
    );
    assert_eq!(
        std::fs::read(ws.state_path()).unwrap(),
        garbage,
        "the corrupt file is never overwritten"
    );
}

#[test]
fn no_credentials_is_a_clear_error() {
    let ws = Workspace::from_files(&[("main.tf", VPC)], false);
    let home = tempfile::tempdir().unwrap();
    let r: Run = ws
        .cmd(&["plan"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"))
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.to_lowercase().contains("credentials"),
        "{}",
        r.all()
    );
    assert!(!r.stderr.contains("panicked"));
}

#[test]
fn unreachable_endpoint_is_a_clear_error() {
    let ws = Workspace::from_files(&[("main.tf", VPC)], false);
    let r = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(!r.stderr.contains("panicked"));
    assert!(
        r.stderr.contains("127.0.0.1:9") || r.stderr.to_lowercase().contains("connect"),
        "says what it could not reach:\n{}",
        r.all()
    );
}

#[test]
fn aws_error_shows_its_code_and_message() {
    // a subnet outside its VPC's range: the API rejects it
    let files = [(
        "main.tf",
        r#"
resource "aws_vpc" "main" {
  cidr_block = "10.1.0.0/16"
}
resource "aws_subnet" "bad" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.2.0.0/24"
}
"#,
    )];
    let ws = Workspace::from_files(&files, true);
    let r = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("aws_subnet.bad"), "{}", r.all());
    assert!(
        r.stderr.contains("InvalidSubnet"),
        "shows the AWS error code:\n{}",
        r.all()
    );
    // what succeeded is recorded; destroy cleans it up
    let list = ws.run(&["state", "list"]);
    assert!(list.stdout.contains("aws_vpc.main"), "{}", list.all());
    assert_eq!(ws.run(&["destroy", "--auto-approve"]).code, 0);
}

#[test]
fn newer_state_file_is_refused_and_untouched() {
    let ws = Workspace::from_files(&[("main.tf", VPC)], false);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = infra_state::Store::open(&ws.state_path()).await.unwrap();
        // a migration this binary does not know, as a newer infra would have applied
        sqlx_insert_future_migration(store.pool()).await;
        store.close().await;
    });
    let before = std::fs::read(ws.state_path()).unwrap();
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("newer version of infra"), "{}", r.all());
    assert!(!r.stderr.contains("panicked"));
    assert_eq!(
        std::fs::read(ws.state_path()).unwrap(),
        before,
        "a newer state file is never modified"
    );
}

async fn sqlx_insert_future_migration(pool: &sqlx::AnyPool) {
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (99999, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)",
    )
    .execute(pool)
    .await
    .unwrap();
}

#[test]
fn eks_and_dns_rules_are_checked_before_anything_is_created() {
    let files = [(
        "main.tf",
        r#"
resource "aws_eks_node_group" "pool" {
  cluster_name    = "c"
  node_group_name = "pool"
  node_role_arn   = "arn:aws:iam::000000000000:role/node"
  subnet_ids      = ["subnet-1"]
  scaling_config {
    min_size     = 4
    max_size     = 2
    desired_size = 3
  }
}

resource "aws_route53_record" "failover" {
  zone_id = "Z1"
  name    = "app.example.com"
  type    = "A"
  ttl     = 60
  records = ["203.0.113.10"]
  failover_routing_policy {
    type = "PRIMARY"
  }
}

resource "aws_route53_record" "both" {
  zone_id = "Z1"
  name    = "www.example.com"
  type    = "AAA"
  records = ["203.0.113.10"]
  alias {
    name                   = "lb.example.com"
    zone_id                = "Z2"
    evaluate_target_health = true
  }
}
"#,
    )];
    fails(
        &files,
        &["validate"],
        &[
            "min_size 4 is greater than max_size 2 (aws_eks_node_group.pool)",
            "needs a set_identifier (aws_route53_record.failover)",
            "invalid record type `AAA`",
            "both an alias block and records (aws_route53_record.both)",
        ],
    );
}

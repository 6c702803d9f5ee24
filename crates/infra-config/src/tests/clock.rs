//! The functions that read more than their arguments: `timestamp`, `uuid` and `bcrypt`
//! (unknown in a plan's walk, known under the apply-time clock the caller sets, on every
//! evaluation thread), `plantimestamp` (the input's plan time), `abspath` (the stack's
//! directory) and `pathexpand` (the home directory `fs` read).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use infra_lang::{with_clock, ApplyClock};
use infra_model::{Address, Value};

use super::*;

const MAIN: &str = r#"
locals {
  stamp = timestamp()
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags = {
    Stamp = local.stamp
    Id    = uuid()
    Hash  = bcrypt("hunter2", 4)
    Plan  = plantimestamp()
    Abs   = abspath("files/../user_data.sh")
    Home  = pathexpand("~/.kube/config")
    Day   = formatdate("YYYY-MM-DD", plantimestamp())
  }
}

output "stamp" {
  value = timestamp()
}

output "plan" {
  value = plantimestamp()
}
"#;

/// 2026-12-06T09:00:00Z
fn plan_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_547_600)
}

fn stack_input(main: &str) -> StackInput {
    let mut i = input(&[("main.tf", main)]);
    i.root_dir = Some("/work/stacks/prod".into());
    i.home = Some("/home/ops".into());
    i.plan_time = Some(plan_time());
    i
}

fn tag<'v>(v: &'v Value, name: &str) -> &'v Value {
    v.get("tags").get(name)
}

#[test]
fn a_plan_leaves_timestamp_uuid_and_bcrypt_unknown_and_knows_the_rest() {
    let w = walk_with(&stack_input(MAIN), planned);
    assert_eq!(render(&w.diags), "");
    let config = &w.get("aws_vpc.main").config;
    for name in ["Stamp", "Id", "Hash"] {
        assert_eq!(tag(config, name), &Value::Unknown, "{name}");
    }
    assert_eq!(tag(config, "Plan"), &Value::from("2026-12-06T09:00:00Z"));
    assert_eq!(tag(config, "Day"), &Value::from("2026-12-06"));
    assert_eq!(
        tag(config, "Abs"),
        &Value::from("/work/stacks/prod/user_data.sh")
    );
    assert_eq!(tag(config, "Home"), &Value::from("/home/ops/.kube/config"));
    assert_eq!(w.output("stamp"), &Value::Unknown);
    assert_eq!(w.output("plan"), &Value::from("2026-12-06T09:00:00Z"));
}

#[test]
fn validate_has_no_plan_time() {
    let mut i = stack_input(MAIN);
    i.plan_time = None;
    let w = walk_with(&i, planned);
    assert_eq!(render(&w.diags), "");
    let config = &w.get("aws_vpc.main").config;
    assert_eq!(tag(config, "Plan"), &Value::Unknown);
    assert_eq!(tag(config, "Day"), &Value::Unknown);
}

#[test]
fn apply_time_evaluation_gets_the_callers_clock() {
    let stack = load_ok(&stack_input(MAIN));
    let later = plan_time() + Duration::from_secs(90);
    let clock = Some(ApplyClock::new(later, [3; 32]));
    let addr = Address::managed("aws_vpc", "main");
    let config = with_clock(clock.clone(), || {
        stack.evaluate_instance(&addr, &BTreeMap::new())
    })
    .unwrap();
    assert_eq!(tag(&config, "Stamp"), &Value::from("2026-12-06T09:01:30Z"));
    // the plan's time, not the apply's
    assert_eq!(tag(&config, "Plan"), &Value::from("2026-12-06T09:00:00Z"));
    let id = tag(&config, "Id").as_str().expect("a known uuid");
    assert_eq!(id.len(), 36, "{id}");
    let hash = tag(&config, "Hash").as_str().expect("a known hash");
    assert!(hash.starts_with("$2a$04$") && hash.len() == 60, "{hash}");
    // without the clock (a plan), unknown again
    let planned = stack.evaluate_instance(&addr, &BTreeMap::new()).unwrap();
    assert_eq!(tag(&planned, "Stamp"), &Value::Unknown);

    // outputs after apply: known, and the same for every evaluation with that clock
    let (outputs, diags) = with_clock(clock.clone(), || stack.evaluate_outputs(&BTreeMap::new()));
    assert_eq!(render(&diags), "");
    assert_eq!(outputs["stamp"].value, Value::from("2026-12-06T09:01:30Z"));
    let (again, _) = with_clock(clock, || stack.evaluate_outputs(&BTreeMap::new()));
    assert_eq!(again, outputs);
}

/// A block of 256 instances or more is evaluated on several threads: each sees the stack's
/// directory, the plan time and the caller's clock, and draws its own random values.
#[test]
fn evaluation_threads_get_the_clock_and_draw_their_own_values() {
    let main = r#"
resource "aws_vpc" "many" {
  count      = 600
  cidr_block = "10.0.0.0/16"
  tags = {
    Stamp = timestamp()
    Id    = uuid()
    Plan  = plantimestamp()
    Abs   = abspath("x")
  }
}
"#;
    let stack = load_ok(&stack_input(main));
    let now = plan_time() + Duration::from_secs(5);
    let mut configs = Vec::new();
    let (_, diags) = with_clock(Some(ApplyClock::new(now, [9; 32])), || {
        stack.walk(&mut |i| {
            configs.push(i.config.clone());
            planned(i)
        })
    });
    assert_eq!(render(&diags), "");
    assert_eq!(configs.len(), 600);
    let ids: std::collections::BTreeSet<&str> = configs
        .iter()
        .map(|c| tag(c, "Id").as_str().expect("a known uuid"))
        .collect();
    assert_eq!(ids.len(), 600, "every instance draws its own uuid");
    for c in &configs {
        assert_eq!(tag(c, "Stamp"), &Value::from("2026-12-06T09:00:05Z"));
        assert_eq!(tag(c, "Plan"), &Value::from("2026-12-06T09:00:00Z"));
        assert_eq!(tag(c, "Abs"), &Value::from("/work/stacks/prod/x"));
    }
}

#[test]
fn read_stack_reads_home_and_no_clock() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("main.tf"), "").unwrap();
    let input = crate::fs::read_stack(tmp.path(), &[], Vec::new(), std::iter::empty()).unwrap();
    assert_eq!(
        input.home,
        std::env::var("HOME").ok().filter(|h| !h.is_empty())
    );
    assert_eq!(input.plan_time, None, "the binary sets the plan's time");
}

//! Load arbitrary bytes as a stack's only .tf file (and, split at the first NUL, as its
//! terraform.tfvars), then walk it with every resource unknown.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (tf, vars) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let file = |path: &str, bytes: &[u8]| infra_config::SourceFile {
        path: path.into(),
        text: String::from_utf8_lossy(bytes).into_owned(),
    };
    let input = infra_config::StackInput {
        name: "fuzz".into(),
        files: vec![file("main.tf", tf)],
        tfvars: vars.map(|v| file("terraform.tfvars", v)).into_iter().collect(),
        ..Default::default()
    };
    let (stack, diags) = infra_config::load(&input);
    for d in &diags {
        if let Some(s) = &d.span {
            assert!(s.start <= s.end, "inverted span");
        }
    }
    if let Some(stack) = stack {
        let _ = stack.walk(&mut |_| infra_model::Value::Unknown);
    }
});

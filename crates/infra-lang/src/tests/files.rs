//! `file`, `fileexists`, `filebase64`, `templatefile` over a read-only map of files.

use std::collections::BTreeMap;
use std::sync::Arc;

use infra_model::Value;

use crate::{with_files, Files, SourceFile};

fn files() -> Arc<Files> {
    let mut f = Files::new();
    let mut put = |k: &str, v: &[u8]| {
        f.insert(k.to_string(), Arc::from(v.to_vec().into_boxed_slice()));
    };
    put("user_data.sh", b"#!/bin/sh\necho hi\n");
    put("bin.dat", &[0xff, 0x00, 0x01]);
    put(
        "../modules/net/tpl/hosts.tpl",
        b"%{ for name, ip in hosts ~}\n${name} ${ip}\n%{ endfor ~}\n%{ if admin != \"\" }admin: ${upper(admin)}%{ else }no admin%{ endif }\n",
    );
    put("bad.tpl", b"x = ${nope}\n");
    put("broken.tpl", b"x = ${\n");
    f.insert("empty".into(), Arc::from(Vec::new().into_boxed_slice()));
    Arc::new(f)
}

/// Evaluate `expr` (one line of `main.tf`) with `path.module` set, and compare the value,
/// or the error rendered as `line:col: summary`.
fn check(expr: &str, expected: Result<Value, &str>) {
    let text = format!("x = {expr}\n");
    let file = SourceFile {
        path: Arc::from("main.tf"),
        text,
    };
    let (body, diags) = crate::parse(&file);
    assert!(diags.is_empty(), "{diags:?}");
    let body = body.unwrap();
    let e = &body.get_attribute("x").unwrap().value;
    let mut scope: BTreeMap<String, Value> = BTreeMap::new();
    scope.insert(
        "path".into(),
        Value::map([
            ("module", Value::from("../modules/net")),
            ("root", Value::from(".")),
        ]),
    );
    let got = with_files(files(), || crate::eval(e, &scope, &file));
    match (got, expected) {
        (Ok(v), Ok(want)) => assert_eq!(v, want, "{expr}"),
        (Err(d), Err(want)) => {
            let at = d
                .span
                .map(|s| format!("{}:{}: ", s.line, s.col))
                .unwrap_or_default();
            assert_eq!(format!("{at}{}", d.summary), want, "{expr}")
        }
        (got, want) => panic!("{expr}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn file_functions_read_the_map() {
    check(
        r#"file("user_data.sh")"#,
        Ok(Value::from("#!/bin/sh\necho hi\n")),
    );
    check(
        r#"file("./sub/../user_data.sh")"#,
        Ok(Value::from("#!/bin/sh\necho hi\n")),
    );
    check(r#"fileexists("user_data.sh")"#, Ok(Value::Bool(true)));
    check(r#"fileexists("nope.sh")"#, Ok(Value::Bool(false)));
    check(r#"filebase64("bin.dat")"#, Ok(Value::from("/wAB")));
    check(r#"file("empty")"#, Ok(Value::from("")));
    check(
        r#"file("bin.dat")"#,
        Err("1:5: file: \"bin.dat\" is not valid UTF-8; use filebase64 for binary files"),
    );
    check(
        r#"file("${path.module}/missing.txt")"#,
        Err("1:5: file: no file \"../modules/net/missing.txt\" (looked for ../modules/net/missing.txt relative to the root stack directory); infra reads files in the stack's and its modules' directories, up to 1 MiB each"),
    );
}

#[test]
fn templatefile_renders_terraform_template_syntax() {
    check(
        r#"templatefile("${path.module}/tpl/hosts.tpl", { hosts = { a = "10.0.0.1", b = "10.0.0.2" }, admin = "ops" })"#,
        Ok(Value::from("a 10.0.0.1\nb 10.0.0.2\nadmin: OPS\n")),
    );
    check(
        r#"templatefile("${path.module}/tpl/hosts.tpl", { hosts = {}, admin = "" })"#,
        Ok(Value::from("no admin\n")),
    );
    // unknown variables make the result unknown, as in any template
    check(
        r#"templatefile("bad.tpl", { nope = x })"#,
        Err("1:38: unknown name \"x\""),
    );
    check(
        r#"templatefile("bad.tpl", {})"#,
        Err("1:5: templatefile: in bad.tpl: unknown name \"nope\""),
    );
    check(
        r#"templatefile("gone.tpl", {})"#,
        Err("1:5: templatefile: no file \"gone.tpl\" (looked for gone.tpl relative to the root stack directory); infra reads files in the stack's and its modules' directories, up to 1 MiB each"),
    );
    check(
        r#"templatefile("user_data.sh", {})"#,
        Ok(Value::from("#!/bin/sh\necho hi\n")),
    );
}

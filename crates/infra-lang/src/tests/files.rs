//! `file`, `fileexists`, `filebase64`, `fileset`, `templatefile`, `templatestring` over a read-only map of files.

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
    put("../modules/net/policies/a.json", b"{}");
    put("../modules/net/policies/b.json", b"{}");
    put("../modules/net/policies/deep/c.json", b"{}");
    put("../modules/net/policies/readme.md", b"");
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

#[test]
fn fileset_matches_names_under_a_directory() {
    let list = |xs: &[&str]| Value::List(xs.iter().map(|x| Value::from(*x)).collect());
    check(
        r#"fileset("${path.module}/policies", "*.json")"#,
        Ok(list(&["a.json", "b.json"])),
    );
    check(
        r#"fileset("${path.module}/policies", "**/*.json")"#,
        Ok(list(&["a.json", "b.json", "deep/c.json"])),
    );
    check(
        r#"fileset("${path.module}", "policies/{a,readme}.*")"#,
        Ok(list(&["policies/a.json", "policies/readme.md"])),
    );
    check(r#"fileset(".", "nothing/*")"#, Ok(list(&[])));
    check(
        r#"fileset(".", "[z-a]")"#,
        Err("1:5: fileset: invalid value for \"pattern\": invalid range; 'z' > 'a'"),
    );
}

#[test]
fn templatestring_renders_a_string_with_its_own_variables() {
    check(
        r#"templatestring(file("${path.module}/tpl/hosts.tpl"), { hosts = { a = "10.0.0.1" }, admin = "ops" })"#,
        Ok(Value::from("a 10.0.0.1\nadmin: OPS\n")),
    );
    check(
        r#"templatestring(file("bad.tpl"), { nope = "y" })"#,
        Ok(Value::from("x = y\n")),
    );
    // a template in the call would render in the caller's scope first: refused
    check(
        r#"templatestring("${upper(n)}", { n = "a" })"#,
        Err("1:20: templatestring: invalid value for \"template\": a template written in the call"),
    );
    check(
        r#"templatestring(file("bad.tpl"), {})"#,
        Err("1:5: templatestring: in <templatestring>: unknown name \"nope\""),
    );
    check(
        r#"templatestring(1, {})"#,
        Err("1:5: templatestring: invalid value for \"template\": a string is required, got number 1"),
    );
    check(
        r#"templatestring("x", "y")"#,
        Err("1:5: templatestring: invalid value for \"vars\": an object is required, got string \"y\""),
    );
}

#[test]
fn base64gzip_is_gzip_of_the_text() {
    use std::io::Read;
    let text = "#!/bin/sh\necho hello hello hello\n";
    let file = SourceFile {
        path: Arc::from("main.tf"),
        text: format!("x = base64gzip({text:?})\n"),
    };
    let (body, _) = crate::parse(&file);
    let body = body.unwrap();
    let e = &body.get_attribute("x").unwrap().value;
    let v = crate::eval(e, &BTreeMap::new(), &file).unwrap();
    let b64 = v.as_str().unwrap().to_string();
    let bytes = crate::functions::encoding::base64_decode(&b64).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "a gzip stream");
    assert_eq!(bytes[9], 255, "operating system unknown, as Go writes it");
    let mut out = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, text);
}

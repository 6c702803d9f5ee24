use super::{check_all, expr_of, render, scope};
use crate::{eval, parse};

#[test]
fn literals() {
    check_all(&[
        ("null", "null"),
        ("true", "true"),
        ("42", "42"),
        ("1.5", "1.5"),
        ("1e3", "1000"),
        ("\"hi\"", "\"hi\""),
        ("\"a\\nb\"", "\"a\\nb\""),
        ("[1, \"a\", true]", "[1, \"a\", true]"),
        ("[]", "[]"),
        ("{ a = 1, \"b\" = 2 }", "{a = 1, b = 2}"),
        ("{ (var.name) = 1 }", "{web = 1}"),
        ("{ a: 1 }", "{a = 1}"),
        ("{ \"${var.name}-x\" = 1 }", "{web-x = 1}"),
        ("{ (var.n) = true }", "{3 = true}"),
        ("{ (var.unknown) = 1 }", "(known after apply)"),
        (
            "{ (var.list) = 1 }",
            "error: object key must be a string, got list",
        ),
        ("(1)", "1"),
    ]);
}

#[test]
fn variables_and_traversals() {
    check_all(&[
        ("var.name", "\"web\""),
        ("local.prefix", "\"dev\""),
        ("var.list[1]", "\"b\""),
        ("var.list.1", "\"b\""),
        ("var.list[\"2\"]", "\"c\""),
        ("var.m[\"a\"]", "1"),
        ("var.m.b", "2"),
        ("var.obj.tags.env", "\"prod\""),
        ("var.obj[\"tags\"][\"env\"]", "\"prod\""),
        ("aws_subnet.private[\"a\"].id", "\"subnet-a\""),
        ("aws_subnet.public[1].id", "\"p1\""),
        ("aws_subnet.public[count.index].id", "\"p1\""),
        ("aws_subnet.private[each.key == \"k\" ? \"b\" : \"a\"].id", "\"subnet-b\""),
        ("count.index", "1"),
        ("each.value", "\"v\""),
        ("var.list[3]", "error: index 3 is out of range for a list of 3 elements (check the length with length(...) before indexing)"),
        ("var.list[-1]", "error: index -1 is out of range for a list of 3 elements (check the length with length(...) before indexing)"),
        ("var.list[0.5]", "error: list index must be a whole number, got number 0.5"),
        ("var.m[\"c\"]", "error: no element with key \"c\" (use lookup(map, key, default) when the key may be missing)"),
        ("var.nme", "error: unsupported attribute \"nme\" (did you mean \"name\"?)"),
        ("var.zzzzzz", "error: unsupported attribute \"zzzzzz\" (this object has no attribute named \"zzzzzz\")"),
        ("vr.name", "error: unknown name \"vr\" (did you mean \"var\"?)"),
        ("qqq", "error: unknown name \"qqq\" (declare it, or check the spelling (variables are referenced as var.NAME, locals as local.NAME))"),
        ("var.nothing.x", "error: cannot get attribute \"x\" of a null value (guard the access with a condition or try(...))"),
        ("var.nothing[0]", "error: cannot index a null value (guard the access with a condition or try(...))"),
        ("var.list.x", "error: cannot get attribute \"x\" of a list (use an index like [0].x or a splat like [*].x)"),
        ("var.name.x", "error: cannot get attribute \"x\" of string \"web\""),
        ("var.name[0]", "error: cannot index string \"web\" (only lists and maps can be indexed)"),
    ]);
}

#[test]
fn splats() {
    check_all(&[
        ("var.objs[*].id", "[\"i-1\", \"i-2\"]"),
        ("var.objs.*.id", "[\"i-1\", \"i-2\"]"),
        ("aws_subnet.public[*].id", "[\"p0\", \"p1\"]"),
        (
            "var.objs[*].id[0]",
            "[\"i\", \"i\"]"
                .replace(
                    "[\"i\", \"i\"]",
                    "error: cannot index string \"i-1\" (only lists and maps can be indexed)",
                )
                .leak(),
        ),
        ("var.objs.*.id[0]", "\"i-1\""),
        ("var.obj[*].id", "[\"o-1\"]"),
        ("var.nothing[*].id", "[]"),
        ("var.unknown[*].id", "(known after apply)"),
        ("var.list[*]", "[\"a\", \"b\", \"c\"]"),
        ("length(var.objs[*].id)", "2"),
        ("[[1, 2], [3]][*][0]", "[1, 3]"),
    ]);
}

#[test]
fn templates() {
    check_all(&[
        ("\"hello ${var.name}\"", "\"hello web\""),
        ("\"${var.n} items\"", "\"3 items\""),
        ("\"${var.half}\"", "0.5"),
        ("\"x${var.half}\"", "\"x0.5\""),
        ("\"${var.flag}!\"", "\"true!\""),
        ("\"${var.list}\"", "[\"a\", \"b\", \"c\"]"),
        ("\"a${var.list}\"", "error: cannot include a list in a string template; use join(...) or jsonencode(...)"),
        ("\"a${var.m}\"", "error: cannot include a map in a string template; use jsonencode(...)"),
        ("\"a${var.nothing}\"", "error: cannot include a null value in a string template; use coalesce(...) or a conditional"),
        ("\"id-${var.unknown}\"", "(known after apply)"),
        ("\"$${literal}\"", "\"${literal}\""),
        ("\"%%{literal}\"", "\"%{literal}\""),
        ("\"%{if var.flag}yes%{else}no%{endif}\"", "\"yes\""),
        ("\"%{if !var.flag}yes%{else}no%{endif}\"", "\"no\""),
        ("\"%{if var.unknown}yes%{endif}\"", "(known after apply)"),
        ("\"%{for x in var.list}${x},%{endfor}\"", "\"a,b,c,\""),
        ("\"%{for i, x in var.list}${i}=${x} %{endfor}\"", "\"0=a 1=b 2=c \""),
        ("\"%{for k, v in var.m}${k}:${v};%{endfor}\"", "\"a:1;b:2;\""),
        ("\"%{for x in var.unknown}${x}%{endfor}\"", "(known after apply)"),
        ("\"a   ${~var.name~}   b\"", "\"awebb\""),
        ("\"a   ${var.name~}   b\"", "\"a   webb\""),
        ("\"[ %{~ for x in var.list ~} ${x} %{~ endfor ~} ]\"", "\"[abc]\""),
        ("\"%{if var.flag} y %{~ else ~} n %{~ endif}\"", "\" y\""),
        ("\"%{for x in var.n}${x}%{endfor}\"", "error: %{for} needs a list or map, got number 3"),
        ("\"%{if var.n}y%{endif}\"", "error: %{if} condition must be a bool, got number 3"),
    ]);
}

#[test]
fn heredocs() {
    check_all(&[
        ("<<EOT\nhello ${var.name}\nEOT", "\"hello web\\n\""),
        (
            "<<-EOT\n    indented\n      more\n    EOT",
            "\"indented\\n  more\\n\"",
        ),
        (
            "<<EOT\n%{for x in var.list~}\n${x}\n%{endfor~}\nEOT",
            "\"a\\nb\\nc\\n\"",
        ),
        ("<<EOT\n${var.unknown}\nEOT", "(known after apply)"),
    ]);
}

#[test]
fn operators() {
    check_all(&[
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("7 / 2", "3.5"),
        ("7 % 3", "1"),
        ("-5 % 3", "-2"),
        ("-var.n", "-3"),
        ("\"5\" + 1", "6"),
        (
            "1 / 0",
            "error: division by zero; check the divisor before dividing",
        ),
        ("1 % 0", "error: modulo by zero; check the divisor first"),
        (
            "\"a\" + 1",
            "error: operator + needs number operands, got string \"a\"",
        ),
        ("1 < 2", "true"),
        ("2 <= 2", "true"),
        ("3 > 4", "false"),
        ("3 >= 4", "false"),
        ("\"10\" > 9", "true"),
        ("1 == 1", "true"),
        ("1 == \"1\"", "false"),
        ("\"a\" != \"b\"", "true"),
        ("null == null", "true"),
        ("var.nothing == null", "true"),
        ("var.list == [\"a\", \"b\", \"c\"]", "true"),
        ("var.m == { a = 1, b = 2 }", "true"),
        ("var.m == { a = 1 }", "false"),
        ("[1] == [1, 2]", "false"),
        ("true && false", "false"),
        ("true || false", "true"),
        ("!true", "false"),
        ("!1", "error: logical not (!) needs a bool, got number 1"),
        (
            "1 && true",
            "error: operator && needs bool operands, got number 1",
        ),
        ("false && var.nothing.x", "false"),
        ("true || var.nothing.x", "true"),
    ]);
}

#[test]
fn unknown_propagation() {
    check_all(&[
        ("var.unknown + 1", "(known after apply)"),
        ("-var.unknown", "(known after apply)"),
        ("!var.unknown", "(known after apply)"),
        ("var.unknown == 1", "(known after apply)"),
        ("var.unknown != null", "(known after apply)"),
        ("var.partial == [1, 2]", "(known after apply)"),
        ("var.partial == [2, 2]", "false"),
        ("var.partial == [1]", "false"),
        ("var.unknown && true", "(known after apply)"),
        ("var.unknown && false", "false"),
        ("var.unknown || true", "true"),
        ("var.unknown ? 1 : 2", "(known after apply)"),
        (
            "var.unknown != null ? var.nothing.x : \"\"",
            "(known after apply)",
        ),
        ("var.flag ? var.unknown : 2", "(known after apply)"),
        ("!var.flag ? var.unknown : 2", "2"),
        ("var.unknown.id", "(known after apply)"),
        ("var.unknown[0]", "(known after apply)"),
        ("var.list[var.unknown]", "(known after apply)"),
        ("aws_subnet.pending.id", "(known after apply)"),
        ("aws_subnet.pending.cidr_block", "\"10.0.1.0/24\""),
        ("[for x in var.unknown : x]", "(known after apply)"),
        ("{for x in var.unknown : x => x}", "(known after apply)"),
        (
            "[for x in var.list : x if var.unknown]",
            "(known after apply)",
        ),
        (
            "[for x in var.list : var.unknown]",
            "[(known after apply), (known after apply), (known after apply)]",
        ),
        ("length(var.partial)", "2"),
        ("length(var.unknown)", "(known after apply)"),
        ("upper(var.unknown)", "(known after apply)"),
        ("join(\",\", var.partial)", "(known after apply)"),
        ("concat(var.partial, [3])", "[1, (known after apply), 3]"),
        ("cidrsubnet(var.unknown, 8, 1)", "(known after apply)"),
        ("max(var.partial...)", "(known after apply)"),
        ("concat(var.unknown...)", "(known after apply)"),
        ("[var.unknown, 1]", "[(known after apply), 1]"),
        ("{ a = var.unknown }", "{a = (known after apply)}"),
    ]);
}

#[test]
fn conditionals() {
    check_all(&[
        ("var.flag ? \"y\" : \"n\"", "\"y\""),
        ("var.n > 5 ? \"big\" : \"small\"", "\"small\""),
        ("\"true\" ? 1 : 2", "1"),
        (
            "var.n ? 1 : 2",
            "error: condition must be a bool, got number 3",
        ),
        (
            "var.nothing ? 1 : 2",
            "error: condition must be a bool, got null",
        ),
        ("var.flag ? 1 : var.nothing.x", "1"),
    ]);
}

#[test]
fn for_expressions() {
    check_all(&[
        ("[for x in var.list : upper(x)]", "[\"A\", \"B\", \"C\"]"),
        ("[for i, x in var.list : \"${i}${x}\"]", "[\"0a\", \"1b\", \"2c\"]"),
        ("[for x in var.nums : x * 2 if x > 1]", "[6, 4]"),
        ("{for x in var.list : x => upper(x)}", "{a = \"A\", b = \"B\", c = \"C\"}"),
        ("{for k, v in var.m : v => k}", "{1 = \"a\", 2 = \"b\"}"),
        ("[for k, v in var.m : \"${k}=${v}\"]", "[\"a=1\", \"b=2\"]"),
        ("{for x in [\"a\", \"b\", \"a\"] : x => 1...}", "{a = [1, 1], b = [1]}"),
        ("{for x in [\"a\", \"b\", \"a\"] : x => 1}", "error: duplicate key \"a\" in for expression (add an ellipsis (...) after the value expression to group values by key)"),
        ("[for x in var.n : x]", "error: a for expression needs a list, set or map, got number 3 (iterate over a collection, e.g. [for x in var.list : x])"),
        ("[for x in var.list : x if x]", "error: the if condition of a for expression must be a bool, got string \"a\""),
        ("{for x in var.list : [x] => x}", "error: a for expression key must be a string, got list"),
        ("[for x in [[1, 2], [3]] : [for y in x : y * 10]]", "[[10, 20], [30]]"),
        ("[for s in aws_subnet.public : s.id]", "[\"p0\", \"p1\"]"),
        ("{for k, s in aws_subnet.private : k => s.id}", "{a = \"subnet-a\", b = \"subnet-b\"}"),
        ("[for var in [1, 2] : var]", "[1, 2]"),
        ("[for x in var.list : x][1]", "\"b\""),
    ]);
}

#[test]
fn function_calls() {
    check_all(&[
        ("length(var.list)", "3"),
        ("max(var.nums...)", "3"),
        ("concat([1], 3...)", "error: the final argument to \"concat\" must be a list to expand it with \"...\", got number 3"),
        ("min([1, 2]...)", "1"),
        ("lenght(var.list)", "error: unknown function \"lenght\" (did you mean \"length\"?)"),
        ("frobnicate(1)", "error: unknown function \"frobnicate\" (supported functions are listed in docs/compatibility.md)"),
        ("provider::aws::arn_parse(\"x\")", "error: provider-defined function \"arn_parse\" is not supported (use a built-in function instead)"),
        ("length(1, 2)", "error: length takes 1 argument, got 2"),
        ("cidrsubnet(\"10.0.0.0/16\")", "error: cidrsubnet takes 3 arguments, got 1"),
    ]);
}

#[test]
fn try_and_can() {
    check_all(&[
        ("try(var.nothing.x, \"fallback\")", "\"fallback\""),
        ("try(var.obj.id, \"fallback\")", "\"o-1\""),
        ("try(var.m.zzz, var.m.a)", "1"),
        ("try(var.unknown.x, \"fallback\")", "(known after apply)"),
        ("try(var.nothing.x)", "error: no argument to try could be evaluated without an error (cannot get attribute \"x\" of a null value)"),
        ("can(var.nothing.x)", "false"),
        ("can(var.obj.id)", "true"),
        ("can(var.unknown)", "(known after apply)"),
        ("can(tonumber(\"x\"))", "false"),
        ("can(1, 2)", "error: can takes exactly one argument, got 2"),
        ("try(tonumber(\"abc\"), 0)", "0"),
    ]);
}

#[test]
fn diagnostics_carry_spans() {
    let (expr, f) = expr_of("var.list[7]");
    let err = eval(&expr, &scope(), &f).unwrap_err();
    let span = err.span.expect("span");
    assert_eq!(span.to_string(), "main.tf:1:13");

    let src = "a = 1\nb = [\n  1,\n  lenght(var.list),\n]\n";
    let f = super::file(src);
    let body = parse(&f).0.unwrap();
    let expr = &body.get_attribute("b").unwrap().value;
    let err = eval(expr, &scope(), &f).unwrap_err();
    assert_eq!(err.span.clone().unwrap().to_string(), "main.tf:4:3");
    assert_eq!(
        render(Err(err)),
        "error: unknown function \"lenght\" (did you mean \"length\"?)"
    );
}

#[test]
fn eval_depth_guard_on_hand_built_trees() {
    use hcl_edit::expr::{Expression, Parenthesis};
    let mut e = Expression::from(1);
    for _ in 0..1000 {
        e = Expression::Parenthesis(Box::new(Parenthesis::new(e)));
    }
    let f = super::file("");
    let err = eval(&e, &scope(), &f).unwrap_err();
    assert!(err.summary.contains("nested too deeply"), "{}", err.summary);
    assert!(crate::references(&e, &f).is_empty());
}

#[test]
fn deepest_parseable_inputs_evaluate_without_overflow() {
    let cases = [
        format!("{}1{}", "try(".repeat(60), ")".repeat(60)),
        format!("{}1{}", "[".repeat(60), "]".repeat(60)),
        format!("{}1{}", "{a = ".repeat(60), "}".repeat(60)),
        format!("{}var.n{}", "\"${".repeat(60), "}\"".repeat(60)),
        format!("{}1{}", "[for x in [1] : ".repeat(30), "]".repeat(30)),
        format!("1{}", " + 1".repeat(127)),
        format!("{}1{}", "(1 + ".repeat(60), ")".repeat(60)),
        format!("{}true{}", "!".repeat(120), ""),
        format!("{}1{}", "-".repeat(120), ""),
    ];
    for src in &cases {
        let f = super::file(&format!("x = {src}\n"));
        let (body, diags) = parse(&f);
        if let Some(body) = body {
            let expr = &body.get_attribute("x").unwrap().value;
            let _ = eval(expr, &scope(), &f);
            let _ = crate::references(expr, &f);
        } else {
            assert!(!diags.is_empty());
        }
    }
    assert_eq!(super::run(&format!("1{}", " + 1".repeat(100))), "101");
    assert_eq!(
        super::run(&format!("{}1{}", "[".repeat(50), "]".repeat(50))),
        format!("{}1{}", "[".repeat(50), "]".repeat(50))
    );
}

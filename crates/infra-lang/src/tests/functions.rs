use infra_model::Value;

use super::check_all;
use crate::{call_function, FUNCTIONS};

#[test]
fn collections() {
    check_all(&[
        ("length([1, 2, 3])", "3"),
        ("length({ a = 1 })", "1"),
        ("length(\"héllo\")", "5"),
        ("length(5)", "error: length: invalid value for \"value\": expected list, map or string, got number 5"),
        ("element([\"a\", \"b\", \"c\"], 1)", "\"b\""),
        ("element([\"a\", \"b\", \"c\"], 4)", "\"b\""),
        ("element([], 0)", "error: element: invalid value for \"list\": cannot use element with an empty list"),
        ("index([\"a\", \"b\"], \"b\")", "1"),
        ("index([\"a\", \"b\"], \"z\")", "error: index: invalid value for \"value\": item \"z\" not found in the list"),
        ("concat([1], [], [2, 3])", "[1, 2, 3]"),
        ("concat()", "[]"),
        ("concat([1], 2)", "error: concat: invalid value for \"seqs\": expected list, got number 2"),
        ("merge({ a = 1, b = 2 }, { b = 3 }, null, { c = 4 })", "{a = 1, b = 3, c = 4}"),
        ("merge({ a = 1 }, [1])", "error: merge: invalid value for \"maps\": argument 2: expected map or object, got list"),
        ("lookup({ a = 1 }, \"a\")", "1"),
        ("lookup({ a = 1 }, \"b\", 9)", "9"),
        ("lookup({ a = 1 }, \"b\")", "error: lookup: invalid value for \"key\": the map has no key \"b\"; add a default as the third argument"),
        ("keys({ b = 1, a = 2 })", "[\"a\", \"b\"]"),
        ("values({ b = 1, a = 2 })", "[2, 1]"),
        ("keys({ a = var.unknown })", "[\"a\"]"),
        ("tomap({ a = 1, b = \"x\" })", "{a = \"1\", b = \"x\"}"),
        ("tomap([1])", "error: tomap: invalid value for \"v\": cannot convert list to a map"),
        ("toset([\"b\", \"a\", \"b\"])", "[\"a\", \"b\"]"),
        ("toset([3, 1, 3])", "[1, 3]"),
        ("tolist([1, \"a\"])", "[\"1\", \"a\"]"),
        ("tolist([1, [2]])", "error: tolist: invalid value for \"v\": all elements must have the same type, got a mix of number and list"),
        ("range(3)", "[0, 1, 2]"),
        ("range(1, 4)", "[1, 2, 3]"),
        ("range(4, 1)", "[4, 3, 2]"),
        ("range(0, 1, 0.25)", "[0, 0.25, 0.5, 0.75]"),
        ("range(0, 10, 0)", "error: range: invalid value for \"step\": must not be zero"),
        ("range(0, 5, -1)", "error: range: invalid value for \"step\": -1 goes the wrong way from 0 to 5"),
        ("range(100000)", "error: range: more than 1024 elements is not allowed; use a smaller range"),
        ("slice([\"a\", \"b\", \"c\", \"d\"], 1, 3)", "[\"b\", \"c\"]"),
        ("slice([\"a\"], 0, 2)", "error: slice: invalid value for \"end_index\": 2 must be between start_index (0) and the list length (1)"),
        ("sort([\"b\", \"c\", \"a\"])", "[\"a\", \"b\", \"c\"]"),
        ("sort([10, 9])", "[\"10\", \"9\"]"),
        ("distinct([1, 2, 1, 3, 2])", "[1, 2, 3]"),
        ("flatten([[1, [2]], [], 3])", "[1, 2, 3]"),
        ("flatten([[1], var.unknown])", "(known after apply)"),
        ("zipmap([\"a\", \"b\"], [1, 2])", "{a = 1, b = 2}"),
        ("zipmap([\"a\"], [1, 2])", "error: zipmap: invalid value for \"values\": has 2 elements but keys has 1; they must have the same length"),
        ("contains([\"a\", \"b\"], \"b\")", "true"),
        ("contains([1, 2], \"1\")", "false"),
        ("coalesce(null, \"\", \"x\", \"y\")", "\"x\""),
        ("coalesce(null, 2)", "2"),
        ("coalesce(null, \"\")", "error: coalesce: no non-null, non-empty-string arguments; add a fallback value as the last argument"),
        ("coalescelist([], [1], [2])", "[1]"),
        ("coalescelist([], [])", "error: coalescelist: no non-empty list arguments; add a fallback list as the last argument"),
        ("compact([\"a\", \"\", null, \"b\"])", "[\"a\", \"b\"]"),
        ("reverse([1, 2, 3])", "[3, 2, 1]"),
        ("one([])", "null"),
        ("one([\"x\"])", "\"x\""),
        ("one([1, 2])", "error: one: invalid value for \"list\": must have no more than one element, got 2"),
        ("alltrue([true, \"true\"])", "true"),
        ("alltrue([])", "true"),
        ("anytrue([false, true])", "true"),
        ("anytrue([])", "false"),
        ("alltrue([1])", "error: alltrue: invalid value for \"list\": element 0: expected bool, got number 1"),
        ("chunklist([1, 2, 3], 2)", "[[1, 2], [3]]"),
        ("setunion([\"a\"], [\"b\", \"a\"])", "[\"a\", \"b\"]"),
        ("setintersection([\"a\", \"b\"], [\"b\", \"c\"])", "[\"b\"]"),
        ("setsubtract([\"a\", \"b\"], [\"b\"])", "[\"a\"]"),
    ]);
}

#[test]
fn strings() {
    check_all(&[
        ("format(\"%s-%03d\", \"web\", 7)", "\"web-007\""),
        ("format(\"%d%%\", 50)", "\"50%\""),
        ("format(\"%.2f\", 3.14159)", "\"3.14\""),
        ("format(\"%5s|%-5s|\", \"a\", \"b\")", "\"    a|b    |\""),
        ("format(\"%q\", \"hi\")", "\"\\\"hi\\\"\""),
        ("format(\"%v %v\", true, [1])", "\"true [1]\""),
        ("format(\"%#v\", { a = \"b\" })", "\"{\\\"a\\\":\\\"b\\\"}\""),
        ("format(\"%t\", true)", "\"true\""),
        ("format(\"%x %X %o %b\", 255, 255, 8, 5)", "\"ff FF 10 101\""),
        ("format(\"%e\", 1234.5)", "\"1.234500e+03\""),
        ("format(\"%[2]s %[1]s\", \"a\", \"b\")", "\"b a\""),
        ("format(\"%+d\", 5)", "\"+5\""),
        ("format(\"%d\", 1.5)", "error: format: invalid value for \"format\": unsupported value for \"%d\" at offset 0: expected a whole number, got 1.5"),
        ("format(\"%s %s\", \"a\")", "error: format: invalid value for \"format\": not enough arguments for \"%s\" at offset 3: need argument 2 but have 1"),
        ("format(\"%s\", \"a\", \"b\")", "error: format: invalid value for \"format\": too many arguments; the format string uses 1 but 2 were given"),
        ("format(\"%s\", null)", "error: format: invalid value for \"format\": unsupported value for \"%s\" at offset 0: null value cannot be formatted"),
        ("format(\"%s\", var.unknown)", "(known after apply)"),
        ("formatlist(\"%s-%s\", [\"a\", \"b\"], \"x\")", "[\"a-x\", \"b-x\"]"),
        ("formatlist(\"%s=%s\", [\"a\", \"b\"], [1, 2])", "[\"a=1\", \"b=2\"]"),
        ("formatlist(\"%s\", [\"a\"], [1, 2])", "error: formatlist: invalid value for \"args\": argument 3 has 2 elements but an earlier list has 1; all lists must have the same length"),
        ("join(\", \", [\"a\", \"b\"])", "\"a, b\""),
        ("join(\"-\", [\"a\"], [\"b\", 1])", "\"a-b-1\""),
        ("join(\",\", [[1]])", "error: join: invalid value for \"lists\": element 0: expected string, got list"),
        ("split(\",\", \"a,b,,c\")", "[\"a\", \"b\", \"\", \"c\"]"),
        ("split(\",\", \"\")", "[\"\"]"),
        ("lower(\"AbC\")", "\"abc\""),
        ("upper(\"AbC\")", "\"ABC\""),
        ("title(\"hello world\")", "\"Hello World\""),
        ("strrev(\"abc\")", "\"cba\""),
        ("replace(\"a-b-c\", \"-\", \"_\")", "\"a_b_c\""),
        ("replace(\"hello world\", \"/o(\\\\w)?/\", \"0$1\")", "\"hell0 w0rld\""),
        ("replace(\"abc\", \"/[/\", \"x\")", "error: replace: invalid value for \"substr\": invalid regular expression: found unclosed character class"),
        ("regex(\"[a-z]+\", \"123abc456\")", "\"abc\""),
        ("regex(\"(\\\\d+)-(\\\\d+)\", \"10-20\")", "[\"10\", \"20\"]"),
        ("regex(\"(?P<a>\\\\d+)\", \"x42\")", "{a = \"42\"}"),
        ("regexall(\"\\\\d\", \"a1b2\")", "[\"1\", \"2\"]"),
        ("trimprefix(\"helloworld\", \"hello\")", "\"world\""),
        ("trimprefix(\"helloworld\", \"x\")", "\"helloworld\""),
        ("trimsuffix(\"helloworld\", \"world\")", "\"hello\""),
        ("trimspace(\"  hi \\n\")", "\"hi\""),
        ("trim(\"?!hello?!\", \"!?\")", "\"hello\""),
        ("substr(\"hello world\", 1, 4)", "\"ello\""),
        ("substr(\"hello world\", -5, -1)", "\"world\""),
        ("substr(\"hello\", 0, 99)", "\"hello\""),
        ("substr(\"hello\", 9, 1)", "error: substr: invalid value for \"offset\": 9 is out of range for a string of 5 characters"),
        ("startswith(\"hello\", \"he\")", "true"),
        ("endswith(\"hello\", \"he\")", "false"),
        ("indent(2, \"a\\nb\")", "\"a\\n  b\""),
        ("upper(null)", "error: upper: invalid value for \"str\": must not be null"),
        ("upper([1])", "error: upper: invalid value for \"str\": expected string, got list"),
        ("upper(5)", "\"5\""),
    ]);
}

#[test]
fn numbers_and_conversions() {
    check_all(&[
        ("min(3, 1, 2)", "1"),
        ("max(3, 1, 2)", "3"),
        ("max(\"4\", 2)", "4"),
        ("max()", "error: max takes at least 1 argument, got 0"),
        ("abs(-2.5)", "2.5"),
        ("ceil(1.2)", "2"),
        ("floor(-1.2)", "-2"),
        ("sum([1, 2, 3.5])", "6.5"),
        ("sum([])", "error: sum: invalid value for \"list\": cannot sum an empty list"),
        ("pow(2, 10)", "1024"),
        ("signum(-3)", "-1"),
        ("log(8, 2)", "3"),
        ("parseint(\"ff\", 16)", "255"),
        ("parseint(\"-101\", 2)", "-5"),
        ("parseint(\"12\", 2)", "error: parseint: invalid value for \"number\": cannot parse \"12\" as a base 2 integer"),
        ("tostring(5)", "\"5\""),
        ("tostring(true)", "\"true\""),
        ("tostring(null)", "null"),
        ("tostring([1])", "error: tostring: invalid value for \"v\": cannot convert list to string"),
        ("tonumber(\"1.5\")", "1.5"),
        ("tonumber(\"abc\")", "error: tonumber: invalid value for \"v\": cannot convert string \"abc\" to number"),
        ("tobool(\"true\")", "true"),
        ("tobool(1)", "error: tobool: invalid value for \"v\": cannot convert number 1 to bool"),
    ]);
}

#[test]
fn encoding() {
    check_all(&[
        ("jsonencode({ b = [1, true, null], a = \"x<y\" })", "\"{\\\"a\\\":\\\"x\\\\u003cy\\\",\\\"b\\\":[1,true,null]}\""),
        ("jsonencode(1.5)", "\"1.5\""),
        ("yamlencode({ b = \"baz\", a = [1, { d = \"x\", c = true }, []], e = {} })", "\"\\\"a\\\":\\n- 1\\n- \\\"c\\\": true\\n  \\\"d\\\": \\\"x\\\"\\n- []\\n\\\"b\\\": \\\"baz\\\"\\n\\\"e\\\": {}\\n\""),
        ("basename(\"foo/bar/baz.txt\")", "\"baz.txt\""),
        ("basename(\".\")", "\".\""),
        ("basename(\"/a/b/\")", "\"b\""),
        ("dirname(\"foo/bar/baz.txt\")", "\"foo/bar\""),
        ("dirname(\"baz.txt\")", "\".\""),
        ("dirname(\"/baz\")", "\"/\""),
        ("yamlencode(\"x\")", "\"\\\"x\\\"\\n\""),
        ("jsonencode({ a = var.unknown })", "(known after apply)"),
        ("jsondecode(\"{\\\"a\\\": [1, 2.5, \\\"x\\\"]}\")", "{a = [1, 2.5, \"x\"]}"),
        ("jsondecode(\"{\")", "error: jsondecode: invalid value for \"str\": invalid JSON: EOF while parsing an object at line 1 column 1"),
        ("base64encode(\"hello\")", "\"aGVsbG8=\""),
        ("base64encode(\"\")", "\"\""),
        ("base64encode(\"ab\")", "\"YWI=\""),
        ("base64encode(\"abc\")", "\"YWJj\""),
        ("base64decode(\"aGVsbG8=\")", "\"hello\""),
        ("base64decode(\"YWI=\")", "\"ab\""),
        ("base64decode(\"!!\")", "error: base64decode: invalid value for \"str\": invalid base64 data"),
        ("sha256(\"hello\")", "\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\""),
        ("sensitive(\"x\")", "(sensitive value)"),
        ("nonsensitive(sensitive(\"x\"))", "\"x\""),
        ("nonsensitive(\"x\")", "\"x\""),
    ]);
}

#[test]
fn call_function_directly() {
    assert_eq!(
        call_function(
            "length",
            vec![Value::List(vec![Value::Unknown, Value::Unknown])]
        ),
        Ok(Value::Number(2.0))
    );
    assert_eq!(
        call_function("upper", vec![Value::Unknown]),
        Ok(Value::Unknown)
    );
    assert_eq!(
        call_function("lenght", vec![]),
        Err("unknown function \"lenght\"; did you mean \"length\"?".to_string())
    );
    assert_eq!(
        call_function("try", vec![Value::from(1i64)]),
        Err("try must be called directly in an expression".to_string())
    );
    assert_eq!(
        call_function("cidrhost", vec![Value::from("10.0.0.0/8")]),
        Err("cidrhost takes 2 arguments, got 1".to_string())
    );
}

#[test]
fn function_list_is_sorted_complete_and_callable() {
    let mut sorted = FUNCTIONS.to_vec();
    sorted.sort();
    assert_eq!(sorted, FUNCTIONS, "FUNCTIONS must stay sorted");
    let table: Vec<&str> = crate::functions::TABLE.iter().map(|t| t.0).collect();
    assert_eq!(
        table, FUNCTIONS,
        "the arity table and FUNCTIONS must list the same names"
    );
    let required = [
        "cidrsubnet",
        "cidrsubnets",
        "cidrhost",
        "cidrnetmask",
        "length",
        "element",
        "index",
        "concat",
        "merge",
        "lookup",
        "keys",
        "values",
        "tomap",
        "toset",
        "tolist",
        "tostring",
        "tonumber",
        "tobool",
        "format",
        "formatlist",
        "join",
        "split",
        "range",
        "slice",
        "sort",
        "distinct",
        "flatten",
        "zipmap",
        "contains",
        "coalesce",
        "coalescelist",
        "compact",
        "min",
        "max",
        "abs",
        "ceil",
        "floor",
        "jsonencode",
        "jsondecode",
        "lower",
        "upper",
        "replace",
        "trimprefix",
        "trimsuffix",
        "trimspace",
        "substr",
        "startswith",
        "endswith",
        "reverse",
        "one",
        "alltrue",
        "anytrue",
        "sum",
        "base64encode",
        "base64decode",
        "sha256",
        "try",
        "can",
    ];
    for name in required {
        assert!(FUNCTIONS.contains(&name), "missing {name}");
    }
    // Every listed function is dispatched (none falls through to "not implemented").
    for name in FUNCTIONS {
        for n in 0..4 {
            let args = vec![Value::from("1"); n];
            if let Err(e) = call_function(name, args) {
                assert!(!e.contains("not implemented"), "{name}: {e}");
            }
        }
    }
}

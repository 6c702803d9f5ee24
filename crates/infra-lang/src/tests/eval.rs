use super::check_all;

#[test]
fn literals() {
    check_all(&[
        ("null", "null"),
        ("true", "true"),
        ("42", "42"),
        ("1.5", "1.5"),
        ("\"hi\"", "\"hi\""),
        ("[1, \"a\", true]", "[1, \"a\", true]"),
        ("{ a = 1, \"b\" = 2 }", "{a = 1, b = 2}"),
        ("{ (var.name) = 1 }", "{web = 1}"),
        ("{ a: 1 }", "{a = 1}"),
    ]);
}

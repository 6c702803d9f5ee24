use super::file;
use crate::parse;

/// Parse `src`; render `ok` or the first diagnostic as `line:col: summary`.
fn parse_result(src: &str) -> String {
    let (body, diags) = parse(&file(src));
    match (body, diags.first()) {
        (Some(_), None) => "ok".to_string(),
        (_, Some(d)) => {
            let span = d
                .span
                .as_ref()
                .map(|s| format!("{}:{}", s.line, s.col))
                .unwrap_or_default();
            format!("{span}: {}", d.summary)
        }
        (None, None) => "no body and no diagnostic".to_string(),
    }
}

fn check(cases: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (src, expected) in cases {
        let got = parse_result(src);
        if got != *expected {
            failures.push(format!(
                "  {src:?}\n    expected: {expected}\n    got:      {got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn valid_files() {
    check(&[
        ("", "ok"),
        ("a = 1\n", "ok"),
        ("resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n  tags = { Name = \"x\" }\n}\n", "ok"),
        ("locals {\n  # comment with ((( [[[ {{{\n  a = \"((((\" // more\n  /* ))) */\n}\n", "ok"),
        ("x = <<EOT\nit's \"unbalanced ((( \nEOT\n", "ok"),
        ("x = \"$${not} %%{directive}\"\n", "ok"),
    ]);
}

#[test]
fn syntax_errors_have_positions() {
    check(&[
        ("a = \n", "1:5: syntax error: expected an expression"),
        ("a = 1\nb = [1, 2\n", "2:10: syntax error: expected `]`"),
        (
            "resource \"x\" {\n  a = 1\n",
            "2:8: syntax error: invalid block body; expected `}`, newline or identifier",
        ),
        (
            "a = \"unterminated\n",
            "1:5: syntax error: unterminated string",
        ),
        (
            "a = 1\nb = \"x\nc = 2\n",
            "2:5: syntax error: unterminated string",
        ),
        ("a = 1 +\n", "1:8: syntax error: expected an expression"),
        ("a = 1\na = 2\n", "2:1: syntax error: duplicate attribute"),
    ]);
}

#[test]
fn deep_nesting_is_rejected_without_overflow() {
    let deep = format!("a = {}1{}\n", "[".repeat(200), "]".repeat(200));
    assert_eq!(
        parse_result(&deep),
        "1:133: nesting is too deep: more than 128 levels of brackets, braces or parentheses"
    );
    let deep_parens = format!("a = {}\n", "(".repeat(100_000));
    assert!(parse_result(&deep_parens).contains("nesting is too deep"));
    let deep_templates = format!("a = {}\n", "\"${".repeat(200));
    assert!(parse_result(&deep_templates).contains("nesting is too deep"));
    // Between hcl-edit's own limit (64) and ours: still a clean error, no overflow.
    let medium = format!("a = {}1{}\n", "[".repeat(100), "]".repeat(100));
    assert!(
        parse_result(&medium).starts_with("1:"),
        "{}",
        parse_result(&medium)
    );
    // Many brackets inside a string literal are not nesting.
    let in_string = format!("a = \"{}\"\n", "(".repeat(500));
    assert_eq!(parse_result(&in_string), "ok");
}

#[test]
fn huge_inputs_parse_quickly() {
    let start = std::time::Instant::now();
    let big = format!("a = \"{}\"\nb = 1\n", "x".repeat(10 * 1024 * 1024));
    assert_eq!(parse_result(&big), "ok");
    let many = "a = 1\n".to_string()
        + &(0..50_000)
            .map(|i| format!("k{i} = [\"v{i}\", {i}]\n"))
            .collect::<String>();
    assert_eq!(parse_result(&many), "ok");
    let unterminated = format!("a = \"{}", "y".repeat(10 * 1024 * 1024));
    assert!(parse_result(&unterminated).contains("syntax error"));
    assert!(
        start.elapsed().as_secs() < 60,
        "parsing took {:?}",
        start.elapsed()
    );
}

#[test]
fn parse_error_message_is_lowercase_with_detail() {
    let (_, diags) = parse(&file("a = ]\n"));
    let d = &diags[0];
    assert!(d.summary.chars().next().is_some_and(|c| c.is_lowercase()));
    assert!(!d.summary.ends_with('.'));
    assert_eq!(
        d.span.as_ref().map(|s| s.to_string()),
        Some("main.tf:1:5".to_string())
    );
    assert_eq!(
        d.detail.as_deref(),
        Some("check the syntax near line 1, column 5")
    );
}

#[test]
fn spans_in_large_files_match_from_offsets() {
    let text: String = (0..3000)
        .map(|i| format!("k{i} = \"é${{var.x}}\" # ü\n"))
        .collect();
    let f = super::file(&text);
    for offset in [
        0,
        1,
        7,
        100,
        4095,
        4096,
        5000,
        31_337,
        text.len() - 1,
        text.len(),
        text.len() + 10,
    ] {
        let offset = (0..=offset.min(text.len()))
            .rev()
            .find(|o| text.is_char_boundary(*o))
            .unwrap_or(0);
        let fast = crate::span_of(&f, Some(offset..offset + 1)).unwrap();
        let slow = infra_model::Span::from_offsets(f.path.clone(), &f.text, offset, offset + 1);
        assert_eq!(fast, slow, "offset {offset}");
    }
    // A different file with the same path must not reuse the cached lines.
    let other = super::file(&format!("\n\n{text}"));
    let s = crate::span_of(&other, Some(2..3)).unwrap();
    assert_eq!((s.line, s.col), (3, 1));
}

#[test]
fn many_references_in_a_large_file_are_fast() {
    let text: String = (0..20_000)
        .map(|i| format!("k{i} = aws_subnet.s{i}.id\n"))
        .collect();
    let f = super::file(&text);
    let start = std::time::Instant::now();
    let (body, diags) = parse(&f);
    assert!(diags.is_empty());
    let body = body.unwrap();
    let mut count = 0;
    let mut last_line = 0;
    for attr in body.attributes() {
        for r in crate::references(&attr.value, &f) {
            let line = r.span.unwrap().line;
            assert!(line > last_line);
            last_line = line;
            count += 1;
        }
    }
    assert_eq!(count, 20_000);
    assert_eq!(last_line, 20_000);
    assert!(start.elapsed().as_secs() < 30, "took {:?}", start.elapsed());
}

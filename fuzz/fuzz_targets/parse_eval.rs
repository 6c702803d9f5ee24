//! Parse arbitrary bytes as a .tf file and evaluate every top-level attribute.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = infra_lang::SourceFile {
        path: "main.tf".into(),
        text: String::from_utf8_lossy(data).into_owned(),
    };
    let (body, diags) = infra_lang::parse(&file);
    for d in &diags {
        if let Some(s) = &d.span {
            assert!(s.start <= s.end && s.end <= file.text.len(), "span outside the input");
        }
    }
    if let Some(body) = body {
        for attr in body.attributes() {
            let _ = infra_lang::eval(&attr.value, &BTreeMap::new(), &file);
            let _ = infra_lang::references(&attr.value, &file);
        }
    }
});

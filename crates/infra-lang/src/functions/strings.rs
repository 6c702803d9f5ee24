//! String functions.

use infra_model::Value;

use super::{Args, FnResult};

/// Longest string a function may build (guards `indent` and `replace` on hostile input).
const MAX_LEN: usize = 64 * 1024 * 1024;

pub(super) fn call(a: Args) -> FnResult {
    let s = |v: String| Ok(Value::String(v));
    match a.f {
        "join" => {
            let sep = a.string(0, "separator")?;
            let mut parts = Vec::new();
            for i in 1..a.args.len() {
                for (j, v) in a.list(i, "lists")?.iter().enumerate() {
                    match super::string_of(v) {
                        Some(p) => parts.push(p),
                        None => {
                            return Err(a.bad(
                                "lists",
                                format!(
                                    "element {j}: expected string, got {}",
                                    crate::eval::describe(v)
                                ),
                            ))
                        }
                    }
                }
            }
            s(parts.join(&sep))
        }
        "split" => {
            let sep = a.string(0, "separator")?;
            let text = a.string(1, "str")?;
            if sep.is_empty() {
                return Ok(Value::List(
                    text.chars().map(|c| Value::String(c.to_string())).collect(),
                ));
            }
            Ok(Value::List(
                text.split(sep.as_str()).map(Value::from).collect(),
            ))
        }
        "lower" => s(a.string(0, "str")?.to_lowercase()),
        "upper" => s(a.string(0, "str")?.to_uppercase()),
        "title" => {
            let mut out = String::new();
            let mut prev_letter = false;
            for c in a.string(0, "str")?.chars() {
                if !prev_letter && c.is_alphabetic() {
                    out.extend(c.to_uppercase());
                } else {
                    out.push(c);
                }
                prev_letter = c.is_alphanumeric();
            }
            s(out)
        }
        "strrev" => s(a.string(0, "str")?.chars().rev().collect()),
        // Go's filepath.Base / filepath.Dir, as Terraform uses them (on Unix)
        "basename" => {
            let p = a.string(0, "path")?;
            let t = p.trim_end_matches('/');
            s(match (p.is_empty(), t.is_empty()) {
                (true, _) => ".".into(),
                (false, true) => "/".into(),
                _ => t.rsplit('/').next().unwrap_or(t).to_string(),
            })
        }
        "dirname" => {
            let p = a.string(0, "path")?;
            let dir = match p.rfind('/') {
                None => ".".to_string(),
                Some(0) => "/".to_string(),
                Some(i) => p[..i].trim_end_matches('/').to_string(),
            };
            s(if dir.is_empty() { "/".into() } else { dir })
        }
        "trimspace" => s(a.string(0, "str")?.trim().to_string()),
        "trimprefix" => {
            let text = a.string(0, "str")?;
            let prefix = a.string(1, "prefix")?;
            s(text
                .strip_prefix(prefix.as_str())
                .unwrap_or(&text)
                .to_string())
        }
        "trimsuffix" => {
            let text = a.string(0, "str")?;
            let suffix = a.string(1, "suffix")?;
            s(text
                .strip_suffix(suffix.as_str())
                .unwrap_or(&text)
                .to_string())
        }
        "trim" => {
            let text = a.string(0, "str")?;
            let cutset: Vec<char> = a.string(1, "cutset")?.chars().collect();
            s(text.trim_matches(|c| cutset.contains(&c)).to_string())
        }
        "startswith" => Ok(Value::Bool(
            a.string(0, "str")?
                .starts_with(a.string(1, "prefix")?.as_str()),
        )),
        "endswith" => Ok(Value::Bool(
            a.string(0, "str")?
                .ends_with(a.string(1, "suffix")?.as_str()),
        )),
        "substr" => {
            let text = a.string(0, "str")?;
            let offset = a.int(1, "offset")?;
            let length = a.int(2, "length")?;
            let chars: Vec<char> = text.chars().collect();
            let n = chars.len() as i64;
            let start = if offset < 0 { n + offset } else { offset };
            if start < 0 || start > n {
                return Err(a.bad(
                    "offset",
                    format!("{offset} is out of range for a string of {n} characters"),
                ));
            }
            if length < -1 {
                return Err(a.bad("length", "must be -1 (to the end) or more"));
            }
            let end = if length == -1 {
                n
            } else {
                (start + length).min(n)
            };
            s(chars[start as usize..end as usize].iter().collect())
        }
        "indent" => {
            let spaces = a.int(0, "spaces")?;
            if !(0..=1024).contains(&spaces) {
                return Err(a.bad("spaces", "must be between 0 and 1024"));
            }
            let text = a.string(1, "str")?;
            let pad = " ".repeat(spaces as usize);
            let out = text.replace('\n', &format!("\n{pad}"));
            check_len(&a, out)
        }
        "replace" => {
            let text = a.string(0, "str")?;
            let search = a.string(1, "substr")?;
            let replacement = a.string(2, "replace")?;
            if search.len() > 1 && search.starts_with('/') && search.ends_with('/') {
                let re = regex(&a, "substr", &search[1..search.len() - 1])?;
                return check_len(&a, re.replace_all(&text, replacement.as_str()).into_owned());
            }
            if search.is_empty() {
                return s(text);
            }
            if replacement.len() > search.len()
                && text.len() / search.len().max(1) * replacement.len() > MAX_LEN
            {
                return Err(format!("{}: the result would be too large", a.f));
            }
            s(text.replace(search.as_str(), &replacement))
        }
        "regex" => {
            let re = regex(&a, "pattern", &a.string(0, "pattern")?)?;
            let text = a.string(1, "string")?;
            match re.captures(&text) {
                Some(caps) => Ok(captures_value(&re, &caps)),
                None => Err(a.bad("string", "the pattern did not match; use regexall or can(regex(...)) to test for a match")),
            }
        }
        "regexall" => {
            let re = regex(&a, "pattern", &a.string(0, "pattern")?)?;
            let text = a.string(1, "string")?;
            Ok(Value::List(
                re.captures_iter(&text)
                    .map(|caps| captures_value(&re, &caps))
                    .collect(),
            ))
        }
        other => Err(format!("{other}: not implemented")),
    }
}

fn check_len(a: &Args, out: String) -> FnResult {
    if out.len() > MAX_LEN {
        return Err(format!("{}: the result would be too large", a.f));
    }
    Ok(Value::String(out))
}

fn regex(a: &Args, param: &str, pattern: &str) -> Result<regex_lite::Regex, String> {
    regex_lite::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .nest_limit(64)
        .build()
        .map_err(|e| {
            a.bad(
                param,
                format!(
                    "invalid regular expression: {}",
                    e.to_string().lines().last().unwrap_or("").trim()
                ),
            )
        })
}

/// Terraform's `regex` result: the whole match when there are no groups, a list for
/// unnamed groups, a map for named ones.
fn captures_value(re: &regex_lite::Regex, caps: &regex_lite::Captures) -> Value {
    let group = |m: Option<regex_lite::Match>| {
        m.map(|m| Value::String(m.as_str().to_string()))
            .unwrap_or(Value::Null)
    };
    if re.captures_len() == 1 {
        return group(caps.get(0));
    }
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.iter().any(Option::is_some) {
        return Value::Map(
            names
                .iter()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (n.to_string(), group(caps.get(i + 1)))))
                .collect(),
        );
    }
    Value::List((1..re.captures_len()).map(|i| group(caps.get(i))).collect())
}

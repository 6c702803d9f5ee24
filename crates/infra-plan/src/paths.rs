//! Attribute paths as users write them in `ignore_changes`: `tags`, `tags["Name"]`,
//! `scaling_config[0].desired_size`.

use infra_model::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Attr(String),
    Index(usize),
    Key(String),
}

/// Parse a path; `None` when it is not a valid path.
pub fn parse(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut rest = path.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = r[..end].trim();
            if inner.starts_with('"') {
                steps.push(Step::Key(serde_json::from_str(inner).ok()?));
            } else {
                steps.push(Step::Index(inner.parse().ok()?));
            }
            rest = &r[end + 1..];
        } else {
            let r = if steps.is_empty() {
                rest
            } else {
                rest.strip_prefix('.')?
            };
            let len = r.find(['.', '[']).unwrap_or(r.len());
            if len == 0 {
                return None;
            }
            steps.push(Step::Attr(r[..len].to_string()));
            rest = &r[len..];
        }
    }
    (!steps.is_empty()).then_some(steps)
}

/// Render steps back to `a[0].b["k"]`.
pub fn render(steps: &[Step]) -> String {
    let mut s = String::new();
    for st in steps {
        match st {
            Step::Attr(a) if s.is_empty() => s.push_str(a),
            Step::Attr(a) => {
                s.push('.');
                s.push_str(a)
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
            Step::Key(k) => s.push_str(&format!(
                "[{}]",
                serde_json::to_string(k).unwrap_or_default()
            )),
        }
    }
    s
}

pub fn get<'a>(v: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    let Some((first, rest)) = steps.split_first() else {
        return Some(v);
    };
    let next = match (first, v) {
        (Step::Attr(k) | Step::Key(k), Value::Map(m)) => m.get(k)?,
        (Step::Index(i), Value::List(l)) => l.get(*i)?,
        _ => return None,
    };
    get(next, rest)
}

/// Set the value at `steps`, or remove it when `new` is `None`. Returns false when the
/// path does not exist in `v` (and cannot be created).
pub fn set(v: &mut Value, steps: &[Step], new: Option<Value>) -> bool {
    let Some((first, rest)) = steps.split_first() else {
        *v = new.unwrap_or(Value::Null);
        return true;
    };
    if rest.is_empty() {
        return match (first, v) {
            (Step::Attr(k) | Step::Key(k), Value::Map(m)) => {
                match new {
                    Some(n) => m.insert(k.clone(), n),
                    None => m.remove(k),
                };
                true
            }
            (Step::Attr(k) | Step::Key(k), slot @ Value::Null) => {
                if let Some(n) = new {
                    *slot = Value::map([(k.clone(), n)]);
                }
                true
            }
            (Step::Index(i), Value::List(l)) if *i < l.len() => {
                l[*i] = new.unwrap_or(Value::Null);
                true
            }
            _ => false,
        };
    }
    let next = match (first, v) {
        (Step::Attr(k) | Step::Key(k), Value::Map(m)) => m.get_mut(k),
        (Step::Index(i), Value::List(l)) => l.get_mut(*i),
        _ => None,
    };
    next.is_some_and(|n| set(n, rest, new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders() {
        for (input, want) in [
            ("tags", Some(vec![Step::Attr("tags".into())])),
            (
                "tags[\"Name\"]",
                Some(vec![Step::Attr("tags".into()), Step::Key("Name".into())]),
            ),
            (
                "scaling_config[0].desired_size",
                Some(vec![
                    Step::Attr("scaling_config".into()),
                    Step::Index(0),
                    Step::Attr("desired_size".into()),
                ]),
            ),
            ("", None),
            ("a..b", None),
            ("a[x]", None),
        ] {
            let got = parse(input);
            assert_eq!(got, want, "{input}");
            if let Some(steps) = got {
                assert_eq!(render(&steps), input);
            }
        }
    }

    #[test]
    fn get_and_set() {
        let mut v = Value::map([
            ("tags", Value::map([("Name", Value::from("a"))])),
            (
                "l",
                Value::List(vec![Value::map([("n", Value::from(1i64))])]),
            ),
        ]);
        let p = parse("l[0].n").unwrap();
        assert_eq!(get(&v, &p), Some(&Value::from(1i64)));
        assert!(set(&mut v, &p, Some(Value::from(2i64))));
        assert_eq!(get(&v, &p), Some(&Value::from(2i64)));
        assert!(set(&mut v, &parse("tags[\"Name\"]").unwrap(), None));
        assert_eq!(v.get("tags"), &Value::map::<&str>([]));
        assert!(!set(&mut v, &parse("l[5].n").unwrap(), None));
    }
}

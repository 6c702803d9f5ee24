//! `timeouts { create = "30m"  update = "1h30m"  delete = "20m" }`, accepted on every
//! resource (and `read` on data sources, which do not wait). The block's shape is checked
//! at load; its values are evaluated with each instance (they may come from variables) into
//! [`infra_model::Timeouts`], which the plan carries to apply, where the provider's waits
//! (NAT gateways, EKS clusters, node groups, add-ons, deletes that wait for dependencies)
//! use them instead of their default. `dynamic "timeouts" { for_each = ... content { ... } }`
//! is read the same way, once per generated block (Terraform accepts it too).

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};
use infra_lang::{Scope, SourceFile};
use infra_model::{Diagnostic, Timeouts, Value};

use crate::decl::{attr_span, header_span, span};
use crate::scope::Bind;

const KEYS: &[&str] = &["create", "update", "delete", "read"];

pub(crate) fn check_block(file: &SourceFile, b: &Block, diags: &mut Vec<Diagnostic>) {
    for a in b.body.attributes() {
        let k = a.key.as_str();
        if !KEYS.contains(&k) {
            let d = Diagnostic::error(format!("unknown argument `{k}` in a timeouts block"))
                .with_span(attr_span(file, a));
            diags.push(
                match infra_model::schema::did_you_mean(k, KEYS.iter().copied()) {
                    Some(s) => d.with_detail(format!("did you mean `{s}`?")),
                    None => {
                        d.with_detail("a timeouts block takes create, update, delete (and read)")
                    }
                },
            );
        }
    }
    for x in b.body.blocks() {
        diags.push(
            Diagnostic::error(format!(
                "unexpected block `{}` in a timeouts block",
                x.ident.as_str()
            ))
            .with_detail("write durations as `create = \"30m\"`")
            .with_span(header_span(file, x)),
        );
    }
}

/// A Go duration as Terraform takes it: `"90s"`, `"10m"`, `"1h30m"`, `"2h"` (units h, m,
/// s; whole numbers), in seconds.
pub(crate) fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    if !num.is_empty() {
        return None;
    }
    Some(total)
}

/// The instance's timeouts, from every `timeouts` block of `body` and every block a
/// `dynamic "timeouts"` generates, evaluated in `scope`. Unknown values keep the default;
/// a bad duration is an error at the argument.
pub(crate) fn evaluate(
    body: &Body,
    scope: &dyn Scope,
    file: &SourceFile,
    diags: &mut Vec<Diagnostic>,
) -> Timeouts {
    let mut t = Timeouts::default();
    for b in body.get_blocks("timeouts") {
        read(&b.body, scope, file, &mut t, diags);
    }
    let dynamic = body
        .get_blocks("dynamic")
        .filter(|d| d.labels.first().map(|l| l.as_str()) == Some("timeouts"));
    for d in dynamic {
        let iterator = match d.body.get_attribute("iterator").map(|a| &a.value) {
            Some(Expression::Variable(v)) => v.as_str().to_string(),
            _ => "timeouts".to_string(),
        };
        let Some(f) = d.body.get_attribute("for_each") else {
            continue; // said at load
        };
        let items: Vec<(Value, Value)> = match infra_lang::eval(&f.value, scope, file) {
            Ok(v) => match v.unmark_deep() {
                Value::Null | Value::Unknown => Vec::new(),
                Value::List(l) => l
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (Value::from(i as i64), v))
                    .collect(),
                Value::Map(m) => m.into_iter().map(|(k, v)| (Value::from(k), v)).collect(),
                other => {
                    diags.push(
                        Diagnostic::error(format!(
                            "a dynamic block's `for_each` must be a list, set or map, found {}",
                            other.type_name()
                        ))
                        .with_detail("give it a collection to generate one block per element")
                        .with_span(span(file, &f.value)),
                    );
                    continue;
                }
            },
            Err(e) => {
                diags.push(e);
                continue;
            }
        };
        for (key, value) in items {
            let bind = Bind {
                parent: scope,
                name: &iterator,
                value: Value::map([("key", key), ("value", value)]),
            };
            for c in d.body.get_blocks("content") {
                read(&c.body, &bind, file, &mut t, diags);
            }
        }
    }
    t
}

/// The durations one `timeouts` block (or generated `content`) sets.
fn read(
    body: &Body,
    scope: &dyn Scope,
    file: &SourceFile,
    t: &mut Timeouts,
    diags: &mut Vec<Diagnostic>,
) {
    for a in body.attributes() {
        let slot = match a.key.as_str() {
            "create" => &mut t.create,
            "update" => &mut t.update,
            "delete" => &mut t.delete,
            _ => continue,
        };
        let v = match infra_lang::eval(&a.value, scope, file) {
            Ok(v) => v.unmark_deep(),
            Err(e) => {
                diags.push(e);
                continue;
            }
        };
        match v {
            Value::Null | Value::Unknown => {}
            Value::String(s) => match parse_duration(&s) {
                Some(secs) if secs > 0 => *slot = Some(secs),
                _ => diags.push(
                    Diagnostic::error(format!(
                        "invalid duration \"{s}\" for `timeouts.{}`",
                        a.key.as_str()
                    ))
                    .with_detail("write a duration such as \"30s\", \"10m\" or \"1h30m\"")
                    .with_span(span(file, &a.value)),
                ),
            },
            other => diags.push(
                Diagnostic::error(format!(
                    "`timeouts.{}` must be a duration string, found {}",
                    a.key.as_str(),
                    other.type_name()
                ))
                .with_detail("write a duration such as \"30s\", \"10m\" or \"1h30m\"")
                .with_span(span(file, &a.value)),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        for (s, want) in [
            ("10m", Some(600)),
            ("1h30m", Some(5400)),
            ("90s", Some(90)),
            ("2h", Some(7200)),
            ("1h0m5s", Some(3605)),
            ("", None),
            ("10", None),
            ("10 m", None),
            ("1.5h", None),
            ("5d", None),
            ("m", None),
        ] {
            assert_eq!(parse_duration(s), want, "{s:?}");
        }
    }
}

//! Numeric functions and the primitive conversions (tostring, tonumber, tobool).

use infra_model::value::format_number;
use infra_model::Value;

use super::{Args, FnResult};
use crate::eval::describe;

pub(super) fn call(a: Args) -> FnResult {
    let num = |n: f64| {
        if n.is_finite() {
            Ok(Value::Number(n))
        } else {
            Err(format!("{}: the result is out of range", a.f))
        }
    };
    match a.f {
        "abs" => num(a.number(0, "num")?.abs()),
        "ceil" => num(a.number(0, "num")?.ceil()),
        "floor" => num(a.number(0, "num")?.floor()),
        "signum" => {
            let n = a.number(0, "num")?;
            num(if n > 0.0 {
                1.0
            } else if n < 0.0 {
                -1.0
            } else {
                0.0
            })
        }
        "pow" => num(a.number(0, "num")?.powf(a.number(1, "power")?)),
        "log" => {
            let n = a.number(0, "num")?;
            let base = a.number(1, "base")?;
            if n <= 0.0 || base <= 0.0 || base == 1.0 {
                return Err(a.bad(
                    "num",
                    "log needs a positive number and a positive base other than 1",
                ));
            }
            num(n.ln() / base.ln())
        }
        "min" | "max" => {
            let mut best: Option<f64> = None;
            for i in 0..a.args.len() {
                let n = a.number(i, "numbers")?;
                best = Some(match best {
                    None => n,
                    Some(b) if a.f == "min" => b.min(n),
                    Some(b) => b.max(n),
                });
            }
            match best {
                Some(b) => num(b),
                None => Err(format!("{} needs at least one number", a.f)),
            }
        }
        "sum" => {
            let list = a.list(0, "list")?;
            if list.is_empty() {
                return Err(a.bad("list", "cannot sum an empty list"));
            }
            let mut total = 0.0;
            for (i, v) in list.iter().enumerate() {
                match crate::eval::to_number(v) {
                    Some(n) => total += n,
                    None => {
                        return Err(a.bad(
                            "list",
                            format!("element {i}: expected number, got {}", describe(v)),
                        ))
                    }
                }
            }
            num(total)
        }
        "parseint" => {
            let text = a.string(0, "number")?;
            let base = a.int(1, "base")?;
            if !(2..=62).contains(&base) {
                return Err(a.bad("base", format!("must be between 2 and 62, got {base}")));
            }
            let (neg, digits) = match text.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, text.strip_prefix('+').unwrap_or(&text)),
            };
            if digits.is_empty() {
                return Err(a.bad(
                    "number",
                    format!("cannot parse {text:?} as a base {base} integer"),
                ));
            }
            let mut n: f64 = 0.0;
            for c in digits.chars() {
                let d = match c {
                    '0'..='9' => c as i64 - '0' as i64,
                    'a'..='z' => c as i64 - 'a' as i64 + 10,
                    'A'..='Z' if base <= 36 => c as i64 - 'A' as i64 + 10,
                    'A'..='Z' => c as i64 - 'A' as i64 + 36,
                    _ => base,
                };
                if d >= base {
                    return Err(a.bad(
                        "number",
                        format!("cannot parse {text:?} as a base {base} integer"),
                    ));
                }
                n = n * base as f64 + d as f64;
            }
            num(if neg { -n } else { n })
        }
        "tostring" => match &a.args[0] {
            Value::Null => Ok(Value::Null),
            Value::String(_) => Ok(a.args[0].clone()),
            Value::Number(n) => Ok(Value::String(format_number(*n))),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            other => Err(a.bad("v", format!("cannot convert {} to string", describe(other)))),
        },
        "tonumber" => match &a.args[0] {
            Value::Null => Ok(Value::Null),
            Value::Number(_) => Ok(a.args[0].clone()),
            Value::String(s) => match crate::eval::parse_number(s) {
                Some(n) => Ok(Value::Number(n)),
                None => Err(a.bad(
                    "v",
                    format!("cannot convert {} to number", describe(&a.args[0])),
                )),
            },
            other => Err(a.bad("v", format!("cannot convert {} to number", describe(other)))),
        },
        "tobool" => match &a.args[0] {
            Value::Null => Ok(Value::Null),
            v => match crate::eval::to_bool(v) {
                Some(b) => Ok(Value::Bool(b)),
                None => Err(a.bad("v", format!("cannot convert {} to bool", describe(v)))),
            },
        },
        other => Err(format!("{other}: not implemented")),
    }
}

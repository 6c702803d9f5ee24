//! `format` and `formatlist`: Go's fmt verbs as Terraform supports them.

use infra_model::value::format_number;
use infra_model::Value;

use super::{string_of, Args, FnResult};
use crate::eval::{describe, to_bool, to_number};

pub(super) fn call(a: Args) -> FnResult {
    let spec = a.string(0, "format")?;
    let rest = &a.args[1..];
    if a.f == "format" {
        return format(&spec, rest)
            .map(Value::String)
            .map_err(|e| a.bad("format", e));
    }
    // formatlist: list arguments are iterated in step, others repeat.
    let mut len: Option<usize> = None;
    for (i, v) in rest.iter().enumerate() {
        if let Value::List(items) = v {
            match len {
                Some(n) if n != items.len() => {
                    return Err(a.bad("args", format!("argument {} has {} elements but an earlier list has {n}; all lists must have the same length", i + 2, items.len())))
                }
                _ => len = Some(items.len()),
            }
        }
    }
    let mut out = Vec::new();
    for row in 0..len.unwrap_or(1) {
        let args: Vec<Value> = rest
            .iter()
            .map(|v| match v {
                Value::List(items) => items[row].clone(),
                other => other.clone(),
            })
            .collect();
        out.push(Value::String(
            format(&spec, &args).map_err(|e| a.bad("format", e))?,
        ));
    }
    Ok(Value::List(out))
}

#[derive(Default)]
struct Flags {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
}

pub(crate) fn format(spec: &str, args: &[Value]) -> Result<String, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut next_arg = 0usize;
    let mut max_used = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut flags = Flags::default();
        while let Some(f) = chars.get(i) {
            match f {
                '-' => flags.minus = true,
                '+' => flags.plus = true,
                '0' => flags.zero = true,
                ' ' => flags.space = true,
                '#' => flags.sharp = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'[') {
            let close = chars[i..]
                .iter()
                .position(|c| *c == ']')
                .ok_or_else(|| format!("unterminated argument index at offset {start}"))?;
            let idx: String = chars[i + 1..i + close].iter().collect();
            let n: usize = idx
                .parse()
                .map_err(|_| format!("invalid argument index [{idx}] at offset {start}"))?;
            if n == 0 {
                return Err(format!(
                    "argument index [0] at offset {start} is invalid; indexes start at 1"
                ));
            }
            next_arg = n - 1;
            i += close + 1;
        }
        let width = read_num(&chars, &mut i);
        let precision = if chars.get(i) == Some(&'.') {
            i += 1;
            Some(read_num(&chars, &mut i).unwrap_or(0))
        } else {
            None
        };
        let verb = *chars.get(i).ok_or_else(|| {
            format!("missing verb at the end of the format string (offset {start})")
        })?;
        i += 1;
        let arg = args.get(next_arg).ok_or_else(|| format!("not enough arguments for \"%{verb}\" at offset {start}: need argument {} but have {}", next_arg + 1, args.len()))?;
        next_arg += 1;
        max_used = max_used.max(next_arg);
        let body = verb_text(verb, &flags, precision, arg)
            .map_err(|e| format!("unsupported value for \"%{verb}\" at offset {start}: {e}"))?;
        pad(
            &mut out,
            body,
            width,
            &flags,
            matches!(
                verb,
                'd' | 'b' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'g' | 'G'
            ),
        );
    }
    if max_used < args.len() {
        return Err(format!(
            "too many arguments; the format string uses {max_used} but {} were given",
            args.len()
        ));
    }
    Ok(out)
}

fn read_num(chars: &[char], i: &mut usize) -> Option<usize> {
    let start = *i;
    while chars.get(*i).is_some_and(|c| c.is_ascii_digit()) {
        *i += 1;
    }
    if *i == start {
        return None;
    }
    chars[start..*i]
        .iter()
        .collect::<String>()
        .parse()
        .ok()
        .map(|n: usize| n.min(1024))
}

fn pad(out: &mut String, body: String, width: Option<usize>, flags: &Flags, numeric: bool) {
    let len = body.chars().count();
    let width = width.unwrap_or(0);
    if len >= width {
        out.push_str(&body);
    } else if flags.minus {
        out.push_str(&body);
        out.extend(std::iter::repeat_n(' ', width - len));
    } else if flags.zero && numeric {
        let (sign, digits) = match body.strip_prefix(['-', '+', ' ']) {
            Some(d) => (&body[..1], d),
            None => ("", body.as_str()),
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', width - len));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', width - len));
        out.push_str(&body);
    }
}

fn verb_text(
    verb: char,
    flags: &Flags,
    precision: Option<usize>,
    arg: &Value,
) -> Result<String, String> {
    if arg.is_null() {
        return Err("null value cannot be formatted".to_string());
    }
    let number = || to_number(arg).ok_or_else(|| format!("expected number, got {}", describe(arg)));
    let sign = |n: f64, s: String| {
        if n >= 0.0 && flags.plus {
            format!("+{s}")
        } else if n >= 0.0 && flags.space {
            format!(" {s}")
        } else {
            s
        }
    };
    let integer = || -> Result<i128, String> {
        let n = number()?;
        if n.fract() != 0.0 {
            return Err(format!("expected a whole number, got {}", format_number(n)));
        }
        Ok(n as i128)
    };
    Ok(match verb {
        'v' if flags.sharp => json(arg)?,
        'v' => match arg {
            Value::List(_) | Value::Map(_) => json(arg)?,
            other => string_of(other).unwrap_or_default(),
        },
        's' => {
            let s =
                string_of(arg).ok_or_else(|| format!("expected string, got {}", describe(arg)))?;
            match precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            }
        }
        'q' => {
            let s =
                string_of(arg).ok_or_else(|| format!("expected string, got {}", describe(arg)))?;
            serde_json::to_string(&s).map_err(|e| e.to_string())?
        }
        't' => to_bool(arg)
            .ok_or_else(|| format!("expected bool, got {}", describe(arg)))?
            .to_string(),
        'd' => {
            let n = integer()?;
            sign(n as f64, n.to_string())
        }
        'b' | 'o' | 'x' | 'X' => {
            let n = integer()?;
            let mag = n.unsigned_abs();
            let digits = match verb {
                'b' => format!("{mag:b}"),
                'o' => format!("{mag:o}"),
                'x' => format!("{mag:x}"),
                _ => format!("{mag:X}"),
            };
            let digits = if n < 0 { format!("-{digits}") } else { digits };
            sign(n as f64, digits)
        }
        'f' | 'F' => {
            let n = number()?;
            sign(n, format!("{:.*}", precision.unwrap_or(6), n))
        }
        'e' | 'E' => {
            let n = number()?;
            let s = go_exp(n, precision.unwrap_or(6));
            sign(n, if verb == 'E' { s.to_uppercase() } else { s })
        }
        'g' | 'G' => {
            let n = number()?;
            sign(n, format_number(n))
        }
        other => return Err(format!("unsupported verb %{other}")),
    })
}

/// `1.234560e+03`, as Go prints `%e`.
fn go_exp(n: f64, precision: usize) -> String {
    let s = format!("{:.*e}", precision, n);
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

fn json(v: &Value) -> Result<String, String> {
    serde_json::to_string(&v.to_json()).map_err(|e| e.to_string())
}

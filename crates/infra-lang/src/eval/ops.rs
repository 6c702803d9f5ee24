//! Unary and binary operators with Terraform's semantics.

use hcl_edit::expr::{BinaryOperator, UnaryOperator};
use infra_model::Value;

use super::describe;

/// A bool, or a string "true"/"false" (Terraform converts those).
pub(crate) fn to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// A number, or a string holding one (Terraform converts those).
pub(crate) fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::String(s) => parse_number(s),
        _ => None,
    }
}

/// Parse a number the way Terraform's string-to-number conversion does.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.starts_with('+') || t.contains(['_', 'x', 'X', 'i', 'I', 'n', 'N']) {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

pub(crate) fn unary(op: UnaryOperator, v: Value) -> Result<Value, String> {
    if v.is_unknown() {
        return Ok(Value::Unknown);
    }
    match op {
        UnaryOperator::Neg => match to_number(&v) {
            Some(n) => Ok(Value::Number(-n)),
            None => Err(format!("unary minus needs a number, got {}", describe(&v))),
        },
        UnaryOperator::Not => match to_bool(&v) {
            Some(b) => Ok(Value::Bool(!b)),
            None => Err(format!(
                "logical not (!) needs a bool, got {}",
                describe(&v)
            )),
        },
    }
}

pub(crate) fn binary(op: BinaryOperator, l: Value, r: Value) -> Result<Value, String> {
    use BinaryOperator as B;
    match op {
        B::Eq | B::NotEq => {
            let eq = equal(&l, &r);
            Ok(match eq {
                Some(e) => Value::Bool(if op == B::Eq { e } else { !e }),
                None => Value::Unknown,
            })
        }
        B::And | B::Or => {
            let symbol = if op == B::And { "&&" } else { "||" };
            let lb = bool_operand(&l, symbol)?;
            let rb = bool_operand(&r, symbol)?;
            match (lb, rb) {
                (Some(a), Some(b)) => Ok(Value::Bool(if op == B::And { a && b } else { a || b })),
                // An unknown operand can still be decided by the other one.
                (Some(false), None) | (None, Some(false)) if op == B::And => Ok(Value::Bool(false)),
                (Some(true), None) | (None, Some(true)) if op == B::Or => Ok(Value::Bool(true)),
                _ => Ok(Value::Unknown),
            }
        }
        _ => {
            let symbol = symbol(op);
            let a = number_operand(&l, symbol)?;
            let b = number_operand(&r, symbol)?;
            let (a, b) = match (a, b) {
                (Some(a), Some(b)) => (a, b),
                _ => return Ok(Value::Unknown),
            };
            let n = match op {
                B::Plus => a + b,
                B::Minus => a - b,
                B::Mul => a * b,
                B::Div => {
                    if b == 0.0 {
                        return Err(
                            "division by zero; check the divisor before dividing".to_string()
                        );
                    }
                    a / b
                }
                B::Mod => {
                    if b == 0.0 {
                        return Err("modulo by zero; check the divisor first".to_string());
                    }
                    a % b
                }
                B::Less => return Ok(Value::Bool(a < b)),
                B::LessEq => return Ok(Value::Bool(a <= b)),
                B::Greater => return Ok(Value::Bool(a > b)),
                B::GreaterEq => return Ok(Value::Bool(a >= b)),
                _ => unreachable_number_op(),
            };
            if n.is_finite() {
                Ok(Value::Number(n))
            } else {
                Err(format!("result of {a} {symbol} {b} is out of range"))
            }
        }
    }
}

fn unreachable_number_op() -> f64 {
    f64::NAN
}

fn symbol(op: BinaryOperator) -> &'static str {
    use BinaryOperator as B;
    match op {
        B::Eq => "==",
        B::NotEq => "!=",
        B::LessEq => "<=",
        B::GreaterEq => ">=",
        B::Less => "<",
        B::Greater => ">",
        B::Plus => "+",
        B::Minus => "-",
        B::Mul => "*",
        B::Div => "/",
        B::Mod => "%",
        B::And => "&&",
        B::Or => "||",
    }
}

fn bool_operand(v: &Value, symbol: &str) -> Result<Option<bool>, String> {
    if v.is_unknown() {
        return Ok(None);
    }
    to_bool(v)
        .map(Some)
        .ok_or_else(|| format!("operator {symbol} needs bool operands, got {}", describe(v)))
}

fn number_operand(v: &Value, symbol: &str) -> Result<Option<f64>, String> {
    if v.is_unknown() {
        return Ok(None);
    }
    to_number(v).map(Some).ok_or_else(|| {
        format!(
            "operator {symbol} needs number operands, got {}",
            describe(v)
        )
    })
}

/// Terraform equality: values of different types are never equal. `None` when unknowns
/// make the answer unknown.
pub(crate) fn equal(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Unknown, _) | (_, Value::Unknown) => None,
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut result = Some(true);
            for (p, q) in x.iter().zip(y) {
                match equal(p, q) {
                    Some(false) => return Some(false),
                    None => result = None,
                    Some(true) => {}
                }
            }
            result
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.len() != y.len() || x.keys().ne(y.keys()) {
                return Some(false);
            }
            let mut result = Some(true);
            for (p, q) in x.values().zip(y.values()) {
                match equal(p, q) {
                    Some(false) => return Some(false),
                    None => result = None,
                    Some(true) => {}
                }
            }
            result
        }
        _ => Some(a == b),
    }
}

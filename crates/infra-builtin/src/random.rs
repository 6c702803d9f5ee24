//! `random_id`, `random_string`, `random_password` (terraform-provider-random): values
//! drawn once at create from the operating system's CSPRNG (through `rand`'s thread RNG)
//! and kept in the state; `keepers` (and every argument) force a replacement (schema).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use infra_model::Value;
use infra_provider::ProviderError;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};

use crate::{attrs, rejected};

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMERIC: &str = "0123456789";
/// The random provider's default special characters.
pub const SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

fn count(config: &Value, name: &str, default: i64) -> Result<usize, ProviderError> {
    let v = config.get(name);
    if v.is_null() {
        return Ok(default.max(0) as usize);
    }
    match v.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 1_048_576.0 => Ok(n as usize),
        _ => Err(rejected(format!(
            "{name} must be a whole number from 0 to 1048576, got {}",
            v.to_json()
        ))),
    }
}

fn flag(config: &Value, name: &str) -> bool {
    config.get(name).as_bool().unwrap_or(true)
}

/// The decimal digits of a big-endian unsigned integer (any length), as Go's
/// `big.Int.String()`.
pub fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0]; // little-endian base 10
    for &b in bytes {
        let mut carry = b as u32;
        for d in digits.iter_mut() {
            let v = *d as u32 * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

/// The attributes of a `random_id` from its bytes: `id` (URL-safe base64 without padding,
/// no prefix), and `b64_url`, `b64_std`, `hex`, `dec`, each with `prefix` in front.
fn random_id_from(bytes: &[u8], config: &Value) -> Value {
    let prefix = config
        .get("prefix")
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut out = attrs(config);
    let url = URL_SAFE_NO_PAD.encode(bytes);
    out.insert("id".into(), Value::string(&url));
    out.insert("b64_url".into(), Value::string(format!("{prefix}{url}")));
    out.insert(
        "b64_std".into(),
        Value::string(format!("{prefix}{}", STANDARD.encode(bytes))),
    );
    out.insert(
        "hex".into(),
        Value::string(format!("{prefix}{}", hex::encode(bytes))),
    );
    out.insert(
        "dec".into(),
        Value::string(format!("{prefix}{}", decimal(bytes))),
    );
    Value::Map(out)
}

pub(crate) fn random_id(config: &Value) -> Result<Value, ProviderError> {
    let n = count(config, "byte_length", 0)?;
    if n == 0 {
        return Err(rejected("byte_length must be at least 1"));
    }
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    Ok(random_id_from(&bytes, config))
}

/// `terraform import random_id.x <b64_url>` or `<prefix>,<b64_url>`.
pub(crate) fn import_random_id(import_id: &str, config: &Value) -> Result<Value, ProviderError> {
    let (prefix, b64) = match import_id.split_once(',') {
        Some((p, b)) => (Some(p), b),
        None => (None, import_id),
    };
    let bytes = URL_SAFE_NO_PAD.decode(b64).map_err(|e| {
        rejected(format!(
            "random_id import id \"{import_id}\" is not URL-safe base64 without padding ({e}); write it as <b64_url> or <prefix>,<b64_url>"
        ))
    })?;
    let mut config = attrs(config);
    config.insert("byte_length".into(), Value::Number(bytes.len() as f64));
    if let Some(p) = prefix {
        config.insert("prefix".into(), Value::string(p));
    }
    Ok(random_id_from(&bytes, &Value::Map(config)))
}

/// The character sets a `random_string`/`random_password` draws from, with each one's
/// minimum count.
fn sets(config: &Value) -> Result<Vec<(Vec<char>, usize)>, ProviderError> {
    let special = config
        .get("override_special")
        .as_str()
        .unwrap_or(SPECIAL)
        .to_string();
    let mut out = Vec::new();
    for (on, chars, min) in [
        (flag(config, "lower"), LOWER.to_string(), "min_lower"),
        (flag(config, "upper"), UPPER.to_string(), "min_upper"),
        (
            flag(config, "numeric") && flag(config, "number"),
            NUMERIC.to_string(),
            "min_numeric",
        ),
        (flag(config, "special"), special, "min_special"),
    ] {
        let min = count(config, min, 0)?;
        if on && !chars.is_empty() {
            out.push((chars.chars().collect(), min));
        }
    }
    Ok(out)
}

/// Draw `length` characters: first each set's minimum, then the rest from all enabled
/// sets together, shuffled, as the random provider does.
pub fn generate(config: &Value) -> Result<String, ProviderError> {
    let length = count(config, "length", 0)?;
    if length == 0 {
        return Err(rejected("length must be at least 1"));
    }
    let sets = sets(config)?;
    if sets.is_empty() {
        return Err(rejected(
            "every character set is disabled (lower, upper, numeric and special are all false); enable at least one",
        ));
    }
    let mins: usize = sets.iter().map(|(_, m)| m).sum();
    if mins > length {
        return Err(rejected(format!(
            "length ({length}) is less than the sum of the min_* arguments ({mins})"
        )));
    }
    let mut rng = rand::thread_rng();
    let mut out: Vec<char> = Vec::with_capacity(length);
    for (chars, min) in &sets {
        for _ in 0..*min {
            out.push(chars[rng.gen_range(0..chars.len())]);
        }
    }
    let all: Vec<char> = sets.iter().flat_map(|(c, _)| c.iter().copied()).collect();
    while out.len() < length {
        out.push(all[rng.gen_range(0..all.len())]);
    }
    out.shuffle(&mut rng);
    Ok(out.into_iter().collect())
}

pub(crate) fn random_string(config: &Value, password: bool) -> Result<Value, ProviderError> {
    let result = generate(config)?;
    Ok(string_attrs(&result, config, password))
}

fn string_attrs(result: &str, config: &Value, password: bool) -> Value {
    let mut out = attrs(config);
    out.insert("result".into(), Value::string(result));
    // the random provider's ids: the value itself for a string, "none" for a password
    let id = if password { "none" } else { result };
    out.insert("id".into(), Value::string(id));
    Value::Map(out)
}

/// `terraform import random_string.x <value>`: the value becomes the result; `length`
/// is its length (the other arguments are the configuration's).
pub(crate) fn import_random_string(import_id: &str, config: &Value, password: bool) -> Value {
    let mut config = attrs(config);
    config.insert(
        "length".into(),
        Value::Number(import_id.chars().count() as f64),
    );
    string_attrs(import_id, &Value::Map(config), password)
}

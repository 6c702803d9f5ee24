//! `random_uuid`, `random_integer`, `random_shuffle`, `random_pet` (terraform-provider-
//! random): drawn once at create and kept in the state, like the other random types;
//! `keepers` and every argument force a replacement (schema).
//!
//! `seed` (integer, shuffle) makes the draw repeatable: the same seed gives the same
//! result on every create, from a ChaCha generator keyed by the seed's SHA-256. The
//! provider's sequence for a seed (Go's math/rand) is not reproduced: a seeded value
//! taken over from Terraform's state is kept (import), never drawn again.

use infra_model::Value;
use infra_provider::ProviderError;
use petname::Generator;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use sha2::{Digest, Sha256};

use crate::{attrs, rejected, string_arg};

/// The seeded generator for `seed`, or the thread's CSPRNG.
fn rng(config: &Value) -> Box<dyn RngCore> {
    match string_arg(config, "seed") {
        Some(seed) => Box::new(StdRng::from_seed(Sha256::digest(seed.as_bytes()).into())),
        None => Box::new(rand::thread_rng()),
    }
}

fn whole(config: &Value, name: &str) -> Result<Option<i64>, ProviderError> {
    let v = config.get(name);
    if v.is_null() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 => Ok(Some(n as i64)),
        _ => Err(rejected(format!(
            "{name} must be a whole number, got {}",
            v.to_json()
        ))),
    }
}

fn uuid_attrs(result: &str, config: &Value) -> Value {
    let mut out = attrs(config);
    out.insert("result".into(), Value::string(result));
    out.insert("id".into(), Value::string(result));
    Value::Map(out)
}

pub(crate) fn random_uuid(config: &Value) -> Value {
    uuid_attrs(&uuid::Uuid::new_v4().to_string(), config)
}

/// `terraform import random_uuid.x <uuid>`.
pub(crate) fn import_random_uuid(import_id: &str, config: &Value) -> Result<Value, ProviderError> {
    let u = uuid::Uuid::parse_str(import_id).map_err(|e| {
        rejected(format!(
            "random_uuid import id \"{import_id}\" is not a UUID ({e})"
        ))
    })?;
    Ok(uuid_attrs(&u.hyphenated().to_string(), config))
}

fn integer_attrs(result: i64, config: &Value) -> Value {
    let mut out = attrs(config);
    out.insert("result".into(), Value::Number(result as f64));
    out.insert("id".into(), Value::string(result.to_string()));
    Value::Map(out)
}

pub(crate) fn random_integer(config: &Value) -> Result<Value, ProviderError> {
    let (Some(min), Some(max)) = (whole(config, "min")?, whole(config, "max")?) else {
        return Err(rejected("random_integer needs `min` and `max`"));
    };
    if max < min {
        return Err(rejected(format!(
            "min ({min}) is greater than max ({max}); swap them"
        )));
    }
    let result = rng(config).gen_range(min..=max);
    Ok(integer_attrs(result, config))
}

/// `terraform import random_integer.x <result>,<min>,<max>[,<seed>]`.
pub(crate) fn import_random_integer(
    import_id: &str,
    config: &Value,
) -> Result<Value, ProviderError> {
    let parts: Vec<&str> = import_id.split(',').collect();
    let bad = || {
        rejected(format!(
            "random_integer import id \"{import_id}\" is not <result>,<min>,<max> or <result>,<min>,<max>,<seed>"
        ))
    };
    if !(3..=4).contains(&parts.len()) {
        return Err(bad());
    }
    let n = |s: &str| s.trim().parse::<i64>().map_err(|_| bad());
    let (result, min, max) = (n(parts[0])?, n(parts[1])?, n(parts[2])?);
    if result < min || result > max {
        return Err(rejected(format!(
            "random_integer import id \"{import_id}\": the result {result} is not between min {min} and max {max}"
        )));
    }
    let mut c = attrs(config);
    c.insert("min".into(), Value::Number(min as f64));
    c.insert("max".into(), Value::Number(max as f64));
    if let Some(seed) = parts.get(3) {
        c.insert("seed".into(), Value::string(*seed));
    }
    Ok(integer_attrs(result, &Value::Map(c)))
}

pub(crate) fn random_shuffle(config: &Value) -> Result<Value, ProviderError> {
    let input: Vec<Value> = match config.get("input").unmarked() {
        Value::List(items) => items.clone(),
        Value::Null => Vec::new(),
        other => {
            return Err(rejected(format!(
                "input must be a list of strings, got {}",
                other.to_json()
            )))
        }
    };
    let count = match whole(config, "result_count")? {
        None => input.len(),
        Some(n) if n >= 0 => n as usize,
        Some(n) => {
            return Err(rejected(format!(
                "result_count must not be negative, got {n}"
            )))
        }
    };
    let mut shuffled = input;
    let mut r = rng(config);
    shuffled.shuffle(&mut r);
    // as the provider: more results than inputs repeat the shuffled list
    let result: Vec<Value> = if shuffled.is_empty() {
        Vec::new()
    } else {
        shuffled.iter().cycle().take(count).cloned().collect()
    };
    let mut out = attrs(config);
    out.insert("result".into(), Value::List(result));
    out.insert("id".into(), Value::string("-"));
    Ok(Value::Map(out))
}

pub(crate) fn random_pet(config: &Value) -> Result<Value, ProviderError> {
    let length = whole(config, "length")?.unwrap_or(2);
    if !(1..=64).contains(&length) {
        return Err(rejected(format!(
            "length must be from 1 to 64 words, got {length}"
        )));
    }
    let separator = config.get("separator").as_str().unwrap_or("-");
    let name = petname::Petnames::medium()
        .generate(&mut rand::thread_rng(), length as u8, separator)
        .ok_or_else(|| rejected("no pet name could be drawn"))?;
    let id = match string_arg(config, "prefix") {
        Some(p) => format!("{p}{separator}{name}"),
        None => name,
    };
    let mut out = attrs(config);
    out.insert("id".into(), Value::string(id));
    Ok(Value::Map(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(j: serde_json::Value) -> Value {
        Value::from_json(&j)
    }

    #[test]
    fn uuid_is_a_v4_and_imports_back() {
        let u = random_uuid(&v(json!({})));
        let s = u.get("result").as_str().unwrap_or_default().to_string();
        let parsed = uuid::Uuid::parse_str(&s).expect("uuid");
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(u.get("id").as_str(), Some(s.as_str()));
        let back = import_random_uuid(&s.to_uppercase(), &v(json!({}))).expect("import");
        assert_eq!(back.get("result").as_str(), Some(s.as_str()));
        assert!(import_random_uuid("nope", &v(json!({}))).is_err());
    }

    #[test]
    fn integers_stay_in_range_and_a_seed_repeats() {
        let c = v(json!({"min": 1, "max": 3}));
        for _ in 0..200 {
            let n = random_integer(&c)
                .expect("int")
                .get("result")
                .as_f64()
                .unwrap_or(0.0);
            assert!((1.0..=3.0).contains(&n), "{n}");
        }
        let seeded = v(json!({"min": 0, "max": 1000000, "seed": "prod"}));
        let a = random_integer(&seeded).expect("a");
        let b = random_integer(&seeded).expect("b");
        assert_eq!(a.get("result"), b.get("result"));
        assert_eq!(
            a.get("id").as_str().map(str::to_string),
            a.get("result").as_f64().map(|n| (n as i64).to_string())
        );
        let err = random_integer(&v(json!({"min": 5, "max": 1}))).unwrap_err();
        assert!(
            err.message.contains("min (5) is greater than max (1)"),
            "{}",
            err.message
        );
        let imp = import_random_integer("15,1,50,s", &v(json!({}))).expect("import");
        assert_eq!(imp.get("result").as_f64(), Some(15.0));
        assert_eq!(imp.get("seed").as_str(), Some("s"));
        assert!(import_random_integer("99,1,50", &v(json!({}))).is_err());
        assert!(import_random_integer("1,2", &v(json!({}))).is_err());
    }

    #[test]
    fn shuffle_permutes_picks_and_repeats_with_a_seed() {
        let c = v(json!({"input": ["a", "b", "c", "d"], "result_count": 2}));
        let r = random_shuffle(&c).expect("shuffle");
        let items = match r.get("result") {
            Value::List(l) => l.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(items.len(), 2);
        assert_ne!(items[0], items[1]);
        let all = random_shuffle(&v(json!({"input": ["a", "b", "c"]}))).expect("all");
        let mut got: Vec<String> = match all.get("result") {
            Value::List(l) => l
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        got.sort();
        assert_eq!(got, ["a", "b", "c"]);
        let seeded = v(json!({"input": ["a", "b", "c", "d", "e", "f"], "seed": "x"}));
        assert_eq!(
            random_shuffle(&seeded).expect("1").get("result"),
            random_shuffle(&seeded).expect("2").get("result")
        );
        let more =
            random_shuffle(&v(json!({"input": ["a", "b"], "result_count": 5}))).expect("more");
        assert!(matches!(more.get("result"), Value::List(l) if l.len() == 5));
        assert_eq!(all.get("id").as_str(), Some("-"));
    }

    #[test]
    fn pet_names_have_the_words_prefix_and_separator_asked_for() {
        let p = random_pet(&v(json!({}))).expect("pet");
        let id = p.get("id").as_str().unwrap_or_default().to_string();
        assert_eq!(id.split('-').count(), 2, "{id}");
        let p =
            random_pet(&v(json!({"length": 3, "prefix": "eks", "separator": "_"}))).expect("pet");
        let id = p.get("id").as_str().unwrap_or_default().to_string();
        let words: Vec<&str> = id.split('_').collect();
        assert_eq!(words.len(), 4, "{id}");
        assert_eq!(words[0], "eks");
        assert!(
            words
                .iter()
                .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase())),
            "{id}"
        );
        assert!(random_pet(&v(json!({"length": 0}))).is_err());
    }
}

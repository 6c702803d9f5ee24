//! The function library. [`call`] checks arity, handles unknown arguments, then dispatches.
//! `try` and `can` are listed here but evaluated lazily by the evaluator.

mod collections;
pub(crate) mod context;
mod crypto;
mod digest;
pub(crate) mod encoding;
pub(crate) mod files;
mod format;
mod impure;
mod lists;
mod numeric;
mod paths;
mod strings;
mod text;
mod time;
mod yaml;

use std::collections::BTreeMap;

use infra_model::value::format_number;
use infra_model::Value;

use crate::eval::describe;

/// (name, minimum arguments, maximum arguments or `None` for variadic, passthrough).
/// Passthrough functions accept arguments that merely *contain* unknowns (`length` of a
/// list holding unknowns is known); the others return unknown for them.
pub(crate) const TABLE: &[(&str, usize, Option<usize>, bool)] = &[
    ("abs", 1, Some(1), false),
    ("abspath", 1, Some(1), false),
    ("alltrue", 1, Some(1), false),
    ("anytrue", 1, Some(1), false),
    ("base64decode", 1, Some(1), false),
    ("base64encode", 1, Some(1), false),
    ("base64gzip", 1, Some(1), false),
    ("base64sha256", 1, Some(1), false),
    ("base64sha512", 1, Some(1), false),
    ("basename", 1, Some(1), false),
    ("bcrypt", 1, Some(2), false),
    ("can", 1, Some(1), false),
    ("ceil", 1, Some(1), false),
    ("chomp", 1, Some(1), false),
    ("chunklist", 2, Some(2), true),
    ("cidrhost", 2, Some(2), false),
    ("cidrnetmask", 1, Some(1), false),
    ("cidrsubnet", 3, Some(3), false),
    ("cidrsubnets", 1, None, false),
    ("coalesce", 1, None, true),
    ("coalescelist", 1, None, true),
    ("compact", 1, Some(1), false),
    ("concat", 0, None, true),
    ("contains", 2, Some(2), false),
    ("csvdecode", 1, Some(1), false),
    ("dirname", 1, Some(1), false),
    ("distinct", 1, Some(1), false),
    ("element", 2, Some(2), true),
    ("endswith", 2, Some(2), false),
    ("ephemeralasnull", 1, Some(1), true),
    ("file", 1, Some(1), false),
    ("filebase64", 1, Some(1), false),
    ("filebase64sha256", 1, Some(1), false),
    ("filebase64sha512", 1, Some(1), false),
    ("fileexists", 1, Some(1), false),
    ("filemd5", 1, Some(1), false),
    ("fileset", 2, Some(2), false),
    ("filesha1", 1, Some(1), false),
    ("filesha256", 1, Some(1), false),
    ("filesha512", 1, Some(1), false),
    ("flatten", 1, Some(1), true),
    ("floor", 1, Some(1), false),
    ("format", 1, None, false),
    ("formatdate", 2, Some(2), false),
    ("formatlist", 1, None, false),
    ("indent", 2, Some(2), false),
    ("index", 2, Some(2), false),
    ("issensitive", 1, Some(1), true),
    ("join", 2, None, false),
    ("jsondecode", 1, Some(1), false),
    ("jsonencode", 1, Some(1), false),
    ("keys", 1, Some(1), true),
    ("length", 1, Some(1), true),
    ("log", 2, Some(2), false),
    ("lookup", 2, Some(3), true),
    ("lower", 1, Some(1), false),
    ("matchkeys", 3, Some(3), false),
    ("max", 1, None, false),
    ("md5", 1, Some(1), false),
    ("merge", 0, None, true),
    ("min", 1, None, false),
    ("nonsensitive", 1, Some(1), true),
    ("one", 1, Some(1), true),
    ("parseint", 2, Some(2), false),
    ("pathexpand", 1, Some(1), false),
    ("plantimestamp", 0, Some(0), false),
    ("pow", 2, Some(2), false),
    ("range", 1, Some(3), false),
    ("regex", 2, Some(2), false),
    ("regexall", 2, Some(2), false),
    ("replace", 3, Some(3), false),
    ("reverse", 1, Some(1), true),
    ("rsadecrypt", 2, Some(2), false),
    ("sensitive", 1, Some(1), true),
    ("setintersection", 1, None, false),
    ("setproduct", 1, None, false),
    ("setsubtract", 2, Some(2), false),
    ("setunion", 1, None, false),
    ("sha1", 1, Some(1), false),
    ("sha256", 1, Some(1), false),
    ("sha512", 1, Some(1), false),
    ("signum", 1, Some(1), false),
    ("slice", 3, Some(3), true),
    ("sort", 1, Some(1), false),
    ("split", 2, Some(2), false),
    ("startswith", 2, Some(2), false),
    ("strcontains", 2, Some(2), false),
    ("strrev", 1, Some(1), false),
    ("substr", 3, Some(3), false),
    ("sum", 1, Some(1), false),
    ("templatefile", 2, Some(2), false),
    ("templatestring", 2, Some(2), false),
    ("textdecodebase64", 2, Some(2), false),
    ("textencodebase64", 2, Some(2), false),
    ("timeadd", 2, Some(2), false),
    ("timecmp", 2, Some(2), false),
    ("timestamp", 0, Some(0), false),
    ("title", 1, Some(1), false),
    ("tobool", 1, Some(1), false),
    ("tolist", 1, Some(1), true),
    ("tomap", 1, Some(1), true),
    ("tonumber", 1, Some(1), false),
    ("toset", 1, Some(1), false),
    ("tostring", 1, Some(1), false),
    ("transpose", 1, Some(1), false),
    ("trim", 2, Some(2), false),
    ("trimprefix", 2, Some(2), false),
    ("trimspace", 1, Some(1), false),
    ("trimsuffix", 2, Some(2), false),
    ("try", 1, None, true),
    ("upper", 1, Some(1), false),
    ("urlencode", 1, Some(1), false),
    ("uuid", 0, Some(0), false),
    ("uuidv5", 2, Some(2), false),
    ("values", 1, Some(1), true),
    ("yamldecode", 1, Some(1), false),
    ("yamlencode", 1, Some(1), false),
    ("zipmap", 2, Some(2), true),
];

/// Every supported function name, sorted.
pub(crate) const NAMES: &[&str] = &[
    "abs",
    "abspath",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "base64gzip",
    "base64sha256",
    "base64sha512",
    "basename",
    "bcrypt",
    "can",
    "ceil",
    "chomp",
    "chunklist",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "csvdecode",
    "dirname",
    "distinct",
    "element",
    "endswith",
    "ephemeralasnull",
    "file",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "fileexists",
    "filemd5",
    "fileset",
    "filesha1",
    "filesha256",
    "filesha512",
    "flatten",
    "floor",
    "format",
    "formatdate",
    "formatlist",
    "indent",
    "index",
    "issensitive",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "log",
    "lookup",
    "lower",
    "matchkeys",
    "max",
    "md5",
    "merge",
    "min",
    "nonsensitive",
    "one",
    "parseint",
    "pathexpand",
    "plantimestamp",
    "pow",
    "range",
    "regex",
    "regexall",
    "replace",
    "reverse",
    "rsadecrypt",
    "sensitive",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "sha1",
    "sha256",
    "sha512",
    "signum",
    "slice",
    "sort",
    "split",
    "startswith",
    "strcontains",
    "strrev",
    "substr",
    "sum",
    "templatefile",
    "templatestring",
    "textdecodebase64",
    "textencodebase64",
    "timeadd",
    "timecmp",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "transpose",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "try",
    "upper",
    "urlencode",
    "uuid",
    "uuidv5",
    "values",
    "yamldecode",
    "yamlencode",
    "zipmap",
];

pub(crate) type FnResult = Result<Value, String>;

/// Call a function. Marked (sensitive) arguments are unmarked for the call and the
/// result is marked; an error message never repeats a marked argument's text.
/// `sensitive` marks its argument, `nonsensitive` removes every mark.
pub(crate) fn call(name: &str, args: Vec<Value>) -> FnResult {
    match (name, args.as_slice()) {
        // the marks are what it asks about; an unknown value's marks are known already
        ("issensitive", [v]) => return Ok(Value::Bool(v.has_marks())),
        // no value is ephemeral here (no ephemeral resources or variables)
        ("ephemeralasnull", [v]) => return Ok(v.clone()),
        _ => {}
    }
    let secrets: Vec<String> = args.iter().flat_map(Value::secret_strings).collect();
    let marked = args.iter().any(Value::has_marks);
    let args: Vec<Value> = args.into_iter().map(Value::unmark_deep).collect();
    let result =
        call_unmarked(name, args).map_err(|e| infra_model::sensitive::scrub(&e, &secrets))?;
    Ok(match name {
        "sensitive" => result.mark(),
        "nonsensitive" => result,
        _ => result.mark_if(marked),
    })
}

fn call_unmarked(name: &str, args: Vec<Value>) -> FnResult {
    let Some(&(fname, min, max, passthrough)) = TABLE.iter().find(|(n, ..)| *n == name) else {
        let hint = match crate::eval::suggest(name, NAMES.iter().copied()) {
            Some(s) => format!("; did you mean \"{s}\"?"),
            None => String::new(),
        };
        return Err(format!("unknown function \"{name}\"{hint}"));
    };
    if args.len() < min || max.is_some_and(|m| args.len() > m) {
        let expected = match max {
            Some(m) if m == min => format!("{min}"),
            Some(m) => format!("{min} to {m}"),
            None => format!("at least {min}"),
        };
        let plural = if expected.ends_with(" 1") || expected == "1" {
            ""
        } else {
            "s"
        };
        return Err(format!(
            "{name} takes {expected} argument{plural}, got {}",
            args.len()
        ));
    }
    // One subnet per newbits argument whatever the prefix is: a list of that many unknown
    // strings, so that `length(cidrsubnets(<known after apply>, 2, 2, 2))` is 3 at plan time
    // (Terraform leaves the whole list unknown and refuses a `count` built on it).
    if name == "cidrsubnets" && args[0].is_unknown() && args[1..].iter().all(Value::is_wholly_known)
    {
        return Ok(Value::List(vec![Value::Unknown; args.len() - 1]));
    }
    if args.iter().any(Value::is_unknown) {
        return Ok(Value::Unknown);
    }
    if !passthrough && !args.iter().all(Value::is_wholly_known) {
        return Ok(Value::Unknown);
    }
    let a = Args { f: fname, args };
    match name {
        "cidrhost" | "cidrnetmask" | "cidrsubnet" | "cidrsubnets" => crate::cidr::call(a),
        "format" | "formatlist" => format::call(a),
        "abs" | "ceil" | "floor" | "log" | "max" | "min" | "parseint" | "pow" | "signum"
        | "sum" | "tobool" | "tonumber" | "tostring" => numeric::call(a),
        "base64decode" | "base64encode" | "base64gzip" | "jsondecode" | "jsonencode"
        | "nonsensitive" | "sensitive" | "sha256" | "yamldecode" | "yamlencode" => {
            encoding::call(a)
        }
        "basename" | "dirname" | "endswith" | "indent" | "join" | "lower" | "regex"
        | "regexall" | "replace" | "split" | "startswith" | "strrev" | "substr" | "title"
        | "trim" | "trimprefix" | "trimspace" | "trimsuffix" | "upper" => strings::call(a),
        "file" | "fileexists" | "filebase64" | "filemd5" | "filesha1" | "filesha256"
        | "filesha512" | "filebase64sha256" | "filebase64sha512" | "fileset" => files::call(a),
        "md5" | "sha1" | "sha512" | "base64sha256" | "base64sha512" | "uuidv5" => digest::call(a),
        "chomp" | "strcontains" | "urlencode" | "textencodebase64" | "textdecodebase64"
        | "csvdecode" => text::call(a),
        "formatdate" | "timeadd" | "timecmp" => time::call(a),
        "timestamp" | "plantimestamp" | "uuid" | "bcrypt" => impure::call(a),
        "abspath" | "pathexpand" => paths::call(a),
        "rsadecrypt" => crypto::call(a),
        "matchkeys" | "setproduct" | "transpose" => lists::call(a),
        "try" | "can" | "templatefile" | "templatestring" => {
            Err(format!("{name} must be called directly in an expression"))
        }
        _ => collections::call(a),
    }
}

/// A function's name and arguments, with typed accessors whose errors name both.
pub(crate) struct Args {
    pub f: &'static str,
    pub args: Vec<Value>,
}

impl Args {
    pub fn bad(&self, param: &str, msg: impl std::fmt::Display) -> String {
        format!("{}: invalid value for \"{param}\": {msg}", self.f)
    }

    fn get(&self, i: usize, param: &str) -> Result<&Value, String> {
        match self.args.get(i) {
            Some(Value::Null) => Err(self.bad(param, "must not be null")),
            Some(v) => Ok(v),
            None => Err(format!("{}: missing argument \"{param}\"", self.f)),
        }
    }

    pub fn string(&self, i: usize, param: &str) -> Result<String, String> {
        string_of(self.get(i, param)?).ok_or_else(|| {
            self.bad(
                param,
                format!("expected string, got {}", describe(&self.args[i])),
            )
        })
    }

    pub fn number(&self, i: usize, param: &str) -> Result<f64, String> {
        crate::eval::to_number(self.get(i, param)?).ok_or_else(|| {
            self.bad(
                param,
                format!("expected number, got {}", describe(&self.args[i])),
            )
        })
    }

    pub fn int(&self, i: usize, param: &str) -> Result<i64, String> {
        let n = self.number(i, param)?;
        if n.fract() != 0.0 || n.abs() > 9.007_199_254_740_992e15 {
            return Err(self.bad(
                param,
                format!("expected a whole number, got {}", format_number(n)),
            ));
        }
        Ok(n as i64)
    }

    pub fn list(&self, i: usize, param: &str) -> Result<&[Value], String> {
        match self.get(i, param)? {
            Value::List(items) => Ok(items),
            other => Err(self.bad(param, format!("expected list, got {}", describe(other)))),
        }
    }

    pub fn map(&self, i: usize, param: &str) -> Result<&BTreeMap<String, Value>, String> {
        match self.get(i, param)? {
            Value::Map(m) => Ok(m),
            other => Err(self.bad(param, format!("expected map, got {}", describe(other)))),
        }
    }

    pub fn strings(&self, i: usize, param: &str) -> Result<Vec<String>, String> {
        self.list(i, param)?
            .iter()
            .enumerate()
            .map(|(j, v)| {
                string_of(v).ok_or_else(|| {
                    self.bad(
                        param,
                        format!("element {j}: expected string, got {}", describe(v)),
                    )
                })
            })
            .collect()
    }
}

/// A string, or a number or bool converted to one.
pub(crate) fn string_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(format_number(*n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

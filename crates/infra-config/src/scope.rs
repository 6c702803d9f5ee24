//! Scopes for expression evaluation. The base scope of a module instance holds `var`,
//! `local`, `data`, `path`, `terraform` and one entry per resource type; instance and
//! `dynamic` bindings (`count`, `each`, iterators) are layered on top with [`Bind`].
//! Each module instance gets its own base scope built the same way, with `module`
//! holding the outputs of the modules it calls.

use std::collections::BTreeMap;

use infra_lang::Scope;
use infra_model::{Address, Mode, Value};

/// One name bound over a parent scope.
pub(crate) struct Bind<'a> {
    pub parent: &'a dyn Scope,
    pub name: &'a str,
    pub value: Value,
}

impl Scope for Bind<'_> {
    fn lookup(&self, name: &str) -> Option<&Value> {
        if name == self.name {
            Some(&self.value)
        } else {
            self.parent.lookup(name)
        }
    }

    fn lookup_parts(&self, name: &str) -> Option<infra_lang::Part<'_>> {
        if name == self.name {
            Some(infra_lang::Part::Value(&self.value))
        } else {
            self.parent.lookup_parts(name)
        }
    }
}

/// The base scope of a module instance (`dir` is the module's directory relative to
/// the root stack directory, `.` for the root; `cwd` is `path.cwd`, see `Stack::cwd`).
pub(crate) fn root(
    vars: &BTreeMap<String, Value>,
    dir: &str,
    cwd: &str,
) -> BTreeMap<String, Value> {
    let mut s = BTreeMap::new();
    s.insert("var".to_string(), Value::Map(vars.clone()));
    s.insert("local".to_string(), Value::Map(BTreeMap::new()));
    s.insert("data".to_string(), Value::Map(BTreeMap::new()));
    s.insert("module".to_string(), Value::Map(BTreeMap::new()));
    s.insert(
        "path".to_string(),
        Value::map([
            ("module", Value::from(dir)),
            ("root", Value::from(".")),
            ("cwd", Value::from(cwd)),
        ]),
    );
    s.insert(
        "terraform".to_string(),
        Value::map([("workspace", Value::from("default"))]),
    );
    s
}

/// Run `f` on the map at `key`, creating it (or replacing a non-map) first.
fn with_map(
    m: &mut BTreeMap<String, Value>,
    key: &str,
    f: impl FnOnce(&mut BTreeMap<String, Value>),
) {
    let mut inner = match m.remove(key) {
        Some(Value::Map(x)) => x,
        _ => BTreeMap::new(),
    };
    f(&mut inner);
    m.insert(key.to_string(), Value::Map(inner));
}

pub(crate) fn set_var(s: &mut BTreeMap<String, Value>, name: &str, v: Value) {
    with_map(s, "var", |m| {
        m.insert(name.to_string(), v);
    });
}

/// What `module.<name>` refers to: an object of outputs, a list for `count`, a map for
/// `for_each`.
pub(crate) fn set_module(s: &mut BTreeMap<String, Value>, name: &str, v: Value) {
    with_map(s, "module", |m| {
        m.insert(name.to_string(), v);
    });
}

pub(crate) fn set_local(s: &mut BTreeMap<String, Value>, name: &str, v: Value) {
    with_map(s, "local", |m| {
        m.insert(name.to_string(), v);
    });
}

/// What `aws_subnet.private` (or `data.x.y`) refers to: the instance value, a list for
/// `count`, a map for `for_each`.
pub(crate) fn set_resource(s: &mut BTreeMap<String, Value>, a: &Address, v: Value) {
    let put = |types: &mut BTreeMap<String, Value>| {
        with_map(types, &a.type_name, |names| {
            names.insert(a.name.clone(), v);
        })
    };
    match a.mode {
        Mode::Managed => put(s),
        Mode::Data => with_map(s, "data", put),
    }
}

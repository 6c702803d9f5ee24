//! The base scope of a module instance ([`ModScope`]): its values, plus, when one instance
//! is re-evaluated at apply time (`Stack::evaluate_instance`), the blocks whose instances
//! are read from the map of known values instead of being copied into the scope.
//!
//! Re-evaluating association 7 of a stack with 1,000 subnets used to copy all 1,000
//! subnets' values (and build 1,000 addresses) to assemble `aws_subnet.s`, for every step
//! of the apply: O(N) per step, O(N²) per apply. A [`Stored`] block is handed to the
//! evaluator in parts ([`infra_lang::Parts`]): `aws_subnet.s[7].id` looks up one instance
//! in the known values and copies one string. Anything that needs the whole block
//! (`length(aws_subnet.s)`, `aws_subnet.s[*].id`, a `for` over it) assembles it exactly
//! as the walk would have.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use infra_lang::{Key, Part, Parts, Scope};
use infra_model::{Address, InstanceKey, Mode, Value};

use crate::decl::Expansion;
use crate::eval::aggregate;

static UNKNOWN: Value = Value::Unknown;

/// A block whose instances' values are in `known` (missing ones are unknown), as the walk
/// would see them from a visitor that returns the known values.
pub(crate) struct Stored<'k> {
    pub known: &'k BTreeMap<Address, Value>,
    /// The block's address in its module instance, without an instance key.
    pub block: Address,
    pub expansion: Expansion,
    pub keys: Vec<Option<InstanceKey>>,
}

impl<'k> Stored<'k> {
    fn value(&self, key: &Option<InstanceKey>) -> &'k Value {
        self.known
            .get(&self.block.clone().with_key(key.clone()))
            .unwrap_or(&UNKNOWN)
    }

    fn part(&self) -> Part<'_> {
        match self.expansion {
            Expansion::Single => Part::Value(self.value(&None)),
            Expansion::Count | Expansion::ForEach => Part::Parts(Box::new(Block(self))),
        }
    }

    fn assemble(&self) -> Value {
        let values = self
            .keys
            .iter()
            .map(|k| (k.clone(), self.value(k).clone()))
            .collect();
        aggregate(self.expansion, values)
    }
}

/// A counted (a list) or `for_each` (a map) block of stored instances.
struct Block<'a, 'k>(&'a Stored<'k>);

impl<'a> Parts<'a> for Block<'a, '_> {
    fn get(&self, key: Key<'_>) -> Option<Part<'a>> {
        let s = self.0;
        let found = match (s.expansion, key) {
            (Expansion::Count, Key::Index(i)) => s.keys.get(i),
            // the names `aggregate` gives the keys
            (Expansion::ForEach, Key::Name(n)) => s.keys.iter().find(|k| match k {
                Some(InstanceKey::Str(x)) => x == n,
                Some(InstanceKey::Int(i)) => i.to_string() == n,
                None => n.is_empty(),
            }),
            _ => None,
        }?;
        Some(Part::Value(s.value(found)))
    }

    fn assemble(&self) -> Value {
        self.0.assemble()
    }
}

/// Names kept apart under one name of the scope: `aws_subnet` → `s` → a stored block;
/// `data` → `aws_ami` → `this` → a stored block.
#[derive(Default)]
struct Tree<'k> {
    kids: BTreeMap<String, Kid<'k>>,
    /// The assembled value, for [`Scope::lookup`] (the evaluator itself uses
    /// [`Scope::lookup_parts`]); cleared when the scope changes.
    whole: OnceLock<Value>,
}

enum Kid<'k> {
    Tree(Tree<'k>),
    Block(Stored<'k>),
}

/// A tree of stored blocks over the scope's own value at the same name (blocks that were
/// evaluated, e.g. an expansion that failed, sit there).
struct Merged<'a, 'k> {
    tree: &'a Tree<'k>,
    value: Option<&'a Value>,
}

impl<'a> Parts<'a> for Merged<'a, '_> {
    fn get(&self, key: Key<'_>) -> Option<Part<'a>> {
        let Key::Name(n) = key else { return None };
        let value = match self.value {
            Some(Value::Map(m)) => m.get(n),
            _ => None,
        };
        match self.tree.kids.get(n) {
            None => value.map(Part::Value),
            Some(Kid::Tree(tree)) => Some(Part::Parts(Box::new(Merged { tree, value }))),
            Some(Kid::Block(b)) => Some(b.part()),
        }
    }

    fn assemble(&self) -> Value {
        let mut m = match self.value {
            Some(Value::Map(m)) => m.clone(),
            _ => BTreeMap::new(),
        };
        for (k, kid) in &self.tree.kids {
            let v = match kid {
                Kid::Tree(tree) => {
                    let value = m.get(k);
                    Merged { tree, value }.assemble()
                }
                Kid::Block(b) => b.assemble(),
            };
            m.insert(k.clone(), v);
        }
        Value::Map(m)
    }
}

/// The base scope of a module instance (see the module's documentation).
#[derive(Default)]
pub(crate) struct ModScope<'k> {
    values: BTreeMap<String, Value>,
    apart: BTreeMap<String, Tree<'k>>,
}

impl<'k> ModScope<'k> {
    pub(crate) fn new(values: BTreeMap<String, Value>) -> Self {
        ModScope {
            values,
            apart: BTreeMap::new(),
        }
    }

    pub(crate) fn values(&self) -> &BTreeMap<String, Value> {
        &self.values
    }

    pub(crate) fn values_mut(&mut self) -> &mut BTreeMap<String, Value> {
        self.forget_assembled();
        &mut self.values
    }

    /// The scope's values with every stored block assembled into them.
    pub(crate) fn into_values(self) -> BTreeMap<String, Value> {
        let mut values = self.values;
        for (name, tree) in &self.apart {
            let v = Merged {
                tree,
                value: values.get(name),
            }
            .assemble();
            values.insert(name.clone(), v);
        }
        values
    }

    /// What `aws_subnet.s` (or `data.x.y`) refers to: `stored`'s instances.
    pub(crate) fn set_stored(&mut self, a: &Address, stored: Stored<'k>) {
        self.forget_assembled();
        let mut path: Vec<&str> = Vec::with_capacity(3);
        if a.mode == Mode::Data {
            path.push("data");
        }
        path.push(&a.type_name);
        let Some((root, rest)) = path.split_first() else {
            return;
        };
        let mut tree = self.apart.entry(root.to_string()).or_default();
        for name in rest {
            let kid = tree
                .kids
                .entry(name.to_string())
                .or_insert_with(|| Kid::Tree(Tree::default()));
            if !matches!(kid, Kid::Tree(_)) {
                *kid = Kid::Tree(Tree::default());
            }
            let Kid::Tree(t) = kid else { return };
            tree = t;
        }
        tree.kids.insert(a.name.clone(), Kid::Block(stored));
    }

    fn forget_assembled(&mut self) {
        for t in self.apart.values_mut() {
            t.whole = OnceLock::new();
        }
    }
}

impl Scope for ModScope<'_> {
    fn lookup(&self, name: &str) -> Option<&Value> {
        match self.apart.get(name) {
            None => self.values.get(name),
            Some(tree) => Some(tree.whole.get_or_init(|| {
                Merged {
                    tree,
                    value: self.values.get(name),
                }
                .assemble()
            })),
        }
    }

    fn lookup_parts(&self, name: &str) -> Option<Part<'_>> {
        match self.apart.get(name) {
            None => self.values.get(name).map(Part::Value),
            Some(tree) => Some(Part::Parts(Box::new(Merged {
                tree,
                value: self.values.get(name),
            }))),
        }
    }
}

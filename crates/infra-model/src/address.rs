//! Resource addresses in Terraform's syntax: `module.net.aws_subnet.private["us-east-1a"]`.

use std::fmt;

/// The key of one instance of a resource or module that uses `count` or `for_each`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(untagged)]
pub enum InstanceKey {
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", serde_json::to_string(s).unwrap_or_default()),
        }
    }
}

/// `resource` blocks are managed; `data` blocks are read-only.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Managed,
    Data,
}

/// One step of a module path: `module.net` or `module.env["prod"]`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ModuleStep {
    pub name: String,
    pub key: Option<InstanceKey>,
}

/// The address of a resource (or one instance of it).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Address {
    pub module: Vec<ModuleStep>,
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
    pub key: Option<InstanceKey>,
}

impl Address {
    pub fn managed(type_name: impl Into<String>, name: impl Into<String>) -> Self {
        Address {
            module: Vec::new(),
            mode: Mode::Managed,
            type_name: type_name.into(),
            name: name.into(),
            key: None,
        }
    }

    pub fn data(type_name: impl Into<String>, name: impl Into<String>) -> Self {
        Address {
            mode: Mode::Data,
            ..Address::managed(type_name, name)
        }
    }

    pub fn with_key(mut self, key: Option<InstanceKey>) -> Self {
        self.key = key;
        self
    }

    /// The address without its instance key: `aws_subnet.private`.
    pub fn config_address(&self) -> Address {
        Address {
            key: None,
            ..self.clone()
        }
    }

    /// Whether `self`, used as a `--target`, selects `other`. A target without a key
    /// selects every instance; a module target selects everything inside the module.
    pub fn selects(&self, other: &Address) -> bool {
        if self.type_name.is_empty() {
            // a module address: module.net or module.net["a"]
            return module_prefix_matches(&self.module, &other.module);
        }
        if self.module.len() != other.module.len()
            || !module_prefix_matches(&self.module, &other.module)
        {
            return false;
        }
        self.mode == other.mode
            && self.type_name == other.type_name
            && self.name == other.name
            && (self.key.is_none() || self.key == other.key)
    }

    /// Parse an address as a user writes it on the command line.
    pub fn parse(s: &str) -> Result<Address, AddressParseError> {
        let err = |why: &str| AddressParseError {
            input: s.to_string(),
            why: why.to_string(),
        };
        let mut p = Parser { s, pos: 0 };
        let mut module = Vec::new();
        loop {
            let save = p.pos;
            let word = p
                .ident()
                .ok_or_else(|| err("expected a resource type or `module`"))?;
            if word == "module" {
                p.expect('.')
                    .map_err(|_| err("expected `.` after `module`"))?;
                let name = p.ident().ok_or_else(|| err("expected a module name"))?;
                let key = p.key().map_err(|w| err(&w))?;
                module.push(ModuleStep { name, key });
                if p.at_end() {
                    return Ok(Address {
                        module,
                        mode: Mode::Managed,
                        type_name: String::new(),
                        name: String::new(),
                        key: None,
                    });
                }
                p.expect('.')
                    .map_err(|_| err("expected `.` after the module"))?;
                continue;
            }
            p.pos = save;
            break;
        }
        let mut mode = Mode::Managed;
        let mut type_name = p.ident().ok_or_else(|| err("expected a resource type"))?;
        if type_name == "data" {
            mode = Mode::Data;
            p.expect('.')
                .map_err(|_| err("expected `.` after `data`"))?;
            type_name = p
                .ident()
                .ok_or_else(|| err("expected a data source type"))?;
        }
        p.expect('.')
            .map_err(|_| err("expected `.` and a resource name after the type"))?;
        let name = p.ident().ok_or_else(|| err("expected a resource name"))?;
        let key = p.key().map_err(|w| err(&w))?;
        if !p.at_end() {
            return Err(err("unexpected text after the address"));
        }
        Ok(Address {
            module,
            mode,
            type_name,
            name,
            key,
        })
    }

    /// The module path alone, as `module.a.module.b` (empty for the root module).
    pub fn module_path(&self) -> String {
        self.module
            .iter()
            .map(|m| {
                format!(
                    "module.{}{}",
                    m.name,
                    m.key.as_ref().map(|k| k.to_string()).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(".")
    }
}

fn module_prefix_matches(prefix: &[ModuleStep], path: &[ModuleStep]) -> bool {
    prefix.len() <= path.len()
        && prefix
            .iter()
            .zip(path)
            .all(|(a, b)| a.name == b.name && (a.key.is_none() || a.key == b.key))
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for m in &self.module {
            if !first {
                f.write_str(".")?;
            }
            first = false;
            write!(f, "module.{}", m.name)?;
            if let Some(k) = &m.key {
                write!(f, "{k}")?;
            }
        }
        if self.type_name.is_empty() {
            return Ok(());
        }
        if !first {
            f.write_str(".")?;
        }
        if self.mode == Mode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)?;
        if let Some(k) = &self.key {
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Address {
    type Err = AddressParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Address::parse(s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid address `{input}`: {why}; write it as `aws_subnet.private[\"a\"]` or `module.net.aws_vpc.main`")]
pub struct AddressParseError {
    pub input: String,
    pub why: String,
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    fn ident(&mut self) -> Option<String> {
        let rest = self.rest();
        let len = rest
            .char_indices()
            .take_while(|(i, c)| c.is_ascii_alphanumeric() || *c == '_' || (*i > 0 && *c == '-'))
            .map(|(i, c)| i + c.len_utf8())
            .last()?;
        if rest.as_bytes()[0].is_ascii_digit() {
            return None;
        }
        let word = rest[..len].to_string();
        self.pos += len;
        Some(word)
    }
    fn expect(&mut self, c: char) -> Result<(), ()> {
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            Err(())
        }
    }
    fn key(&mut self) -> Result<Option<InstanceKey>, String> {
        if self.expect('[').is_err() {
            return Ok(None);
        }
        let rest = self.rest();
        if rest.starts_with('"') {
            // a JSON string literal up to the closing quote
            let mut end = None;
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    end = Some(i);
                    break;
                }
            }
            let end = end.ok_or("unterminated string key")?;
            let key: String = serde_json::from_str(&rest[..=end])
                .map_err(|_| "invalid string key".to_string())?;
            let end = end;
            self.pos += end + 1;
            self.expect(']').map_err(|_| "expected `]`".to_string())?;
            Ok(Some(InstanceKey::Str(key)))
        } else {
            let len = rest.find(']').ok_or("expected `]`")?;
            let n: i64 = rest[..len]
                .trim()
                .parse()
                .map_err(|_| "an index is a number or a quoted string".to_string())?;
            let len = len;
            self.pos += len + 1;
            Ok(Some(InstanceKey::Int(n)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in [
            "aws_vpc.main",
            "aws_subnet.private[\"us-east-1a\"]",
            "aws_subnet.public[2]",
            "data.aws_region.current",
            "module.net.aws_subnet.private[\"a\"]",
            "module.env[\"prod\"].module.net.aws_vpc.this",
            "module.net",
        ] {
            assert_eq!(Address::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "aws_vpc",
            "aws_vpc.",
            "aws_vpc.main[",
            "aws_vpc.main[x]",
            "aws_vpc.main junk",
            "1abc.x",
        ] {
            assert!(Address::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn targets_select() {
        let t = Address::parse("aws_subnet.private").unwrap();
        assert!(t.selects(&Address::parse("aws_subnet.private[\"a\"]").unwrap()));
        assert!(!t.selects(&Address::parse("aws_subnet.public[\"a\"]").unwrap()));
        let m = Address::parse("module.eks").unwrap();
        assert!(m.selects(&Address::parse("module.eks.aws_eks_cluster.this").unwrap()));
        assert!(!m.selects(&Address::parse("aws_eks_cluster.this").unwrap()));
    }
}

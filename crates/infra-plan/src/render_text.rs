//! The human plan, in Terraform's visual language.

use std::fmt::Write;

use infra_model::schema::lookup;
use infra_model::value::format_number;
use infra_model::{BlockSchema, Mode, Nesting, Value};

use crate::diff::value_equal;
use crate::planner::reasons;
use crate::{Action, OutputChange, Plan, ResourceChange};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";

struct Out {
    s: String,
    color: bool,
}

impl Out {
    fn sym(&self, sym: &str) -> String {
        if !self.color {
            return sym.to_string();
        }
        sym.chars()
            .map(|c| match c {
                '+' => format!("\x1b[32m+{RESET}"),
                '-' => format!("\x1b[31m-{RESET}"),
                '~' => format!("\x1b[33m~{RESET}"),
                '<' | '=' => format!("\x1b[36m{c}{RESET}"),
                c => c.to_string(),
            })
            .collect()
    }
    fn bold(&self, s: &str) -> String {
        if self.color {
            format!("{BOLD}{s}{RESET}")
        } else {
            s.to_string()
        }
    }
    fn line(&mut self, indent: usize, sym: &str, text: &str) {
        let sym = if sym == " " {
            " ".to_string()
        } else {
            self.sym(sym)
        };
        let _ = writeln!(self.s, "{}{} {}", " ".repeat(indent), sym, text);
    }
    fn raw(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.s, "{}{}", " ".repeat(indent), text);
    }
}

/// Render `plan` as Terraform does; ANSI colours only when `color` is true.
pub fn render_text(plan: &Plan, color: bool) -> String {
    let mut o = Out {
        s: String::new(),
        color,
    };
    let shown: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.previous_address.is_some())
        .collect();
    if !shown.is_empty() {
        o.raw(0, "infra will perform the following actions:");
        o.raw(0, "");
        for c in &shown {
            render_change(&mut o, c);
            o.raw(0, "");
        }
        let (add, change, destroy) = plan.summary();
        let forget = match plan.forgets().len() {
            0 => String::new(),
            n => format!(", {n} to forget"),
        };
        let summary = o.bold(&format!(
            "Plan: {add} to add, {change} to change, {destroy} to destroy{forget}."
        ));
        o.raw(0, &summary);
    }
    let outputs: Vec<&OutputChange> = plan
        .outputs
        .values()
        .filter(|oc| output_changed(oc))
        .collect();
    if !outputs.is_empty() {
        if !shown.is_empty() {
            o.raw(0, "");
        }
        o.raw(0, "Changes to Outputs:");
        let width = outputs.iter().map(|oc| oc.name.len()).max().unwrap_or(0);
        for oc in &outputs {
            let show = |v: &Value| {
                if oc.sensitive {
                    "(sensitive value)".to_string()
                } else {
                    inline(v)
                }
            };
            let (sym, text) = match &oc.before {
                None => ("+", show(&oc.after)),
                Some(b) if oc.after.is_null() => ("-", format!("{} -> null", show(b))),
                Some(b) => ("~", format!("{} -> {}", show(b), show(&oc.after))),
            };
            o.line(2, sym, &format!("{:width$} = {text}", oc.name));
        }
        if shown.is_empty() {
            o.raw(0, "");
            o.raw(0, "You can apply this plan to save these new output values, without changing any real infrastructure.");
        }
    }
    if shown.is_empty() && outputs.is_empty() {
        let l = o.bold("No changes. Your infrastructure matches the configuration.");
        o.raw(0, &l);
        o.raw(0, "");
        o.raw(0, "infra has compared your real infrastructure against your configuration and found no differences, so no changes are needed.");
    }
    o.s
}

fn output_changed(oc: &OutputChange) -> bool {
    match &oc.before {
        None => true,
        Some(b) => !value_equal(b, &oc.after),
    }
}

fn render_change(o: &mut Out, c: &ResourceChange) {
    let addr = match &c.deposed {
        Some(d) => format!("{} (deposed object {d})", c.address),
        None => c.address.to_string(),
    };
    let requested = c.reason.as_deref() == Some(reasons::REPLACE_REQUESTED);
    let what = match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::DeleteThenCreate | Action::CreateThenDelete if requested => {
            "will be replaced, as requested"
        }
        Action::DeleteThenCreate | Action::CreateThenDelete => "must be replaced",
        Action::Delete => "will be destroyed",
        Action::Read => "will be read during apply",
        Action::NoOp => "has no changes",
        Action::Forget => "will no longer be managed by infra",
    };
    let header = match (&c.previous_address, c.action) {
        (Some(p), Action::NoOp) => o.bold(&format!("# {p} has moved to {addr}")),
        _ => o.bold(&format!("# {addr} {what}")),
    };
    o.raw(2, &header);
    if let (Some(p), false) = (&c.previous_address, c.action == Action::NoOp) {
        o.raw(2, &format!("# (moved from {p})"));
    }
    let because = match c.reason.as_deref() {
        None | Some(reasons::CANNOT_UPDATE) | Some(reasons::REPLACE_REQUESTED) => None,
        Some(reasons::NOT_IN_CONFIG) => {
            Some(format!("because {} is not in configuration", c.address))
        }
        Some(reasons::DELETED_OUTSIDE) => Some("because it was deleted outside infra".to_string()),
        Some(reasons::REMOVED_FORGET) => Some(
            "because of a removed block with destroy = false: it stays in AWS, only the state forgets it".to_string(),
        ),
        Some(r) => Some(format!("because {r}")),
    };
    if let Some(b) = because {
        o.raw(2, &format!("# ({b})"));
    }
    let sym = match c.action {
        Action::Create => "+",
        Action::Update => "~",
        Action::DeleteThenCreate => "-/+",
        Action::CreateThenDelete => "+/-",
        Action::Delete => "-",
        Action::Read => "<=",
        Action::NoOp => " ",
        Action::Forget => ".",
    };
    let kw = if c.address.mode == Mode::Data {
        "data"
    } else {
        "resource"
    };
    let sym_s = o.sym(sym);
    let pad = " ".repeat(3usize.saturating_sub(sym.len()));
    let _ = writeln!(
        o.s,
        "{pad}{sym_s} {kw} \"{}\" \"{}\" {{",
        c.address.type_name, c.address.name
    );
    if c.action == Action::Forget {
        // nothing changes in AWS: name the object, not every attribute as a delete would
        let id = c
            .before
            .as_ref()
            .map(|b| b.get("id"))
            .unwrap_or(&Value::Null);
        o.raw(8, &format!("id = {}", inline(id)));
        o.raw(4, "}");
        return;
    }
    let blocks: &[BlockSchema] = lookup(c.address.mode, &c.address.type_name)
        .map(|s| s.blocks.as_slice())
        .unwrap_or(&[]);
    let ctx = Ctx {
        replace_paths: &c.replace_paths,
        show_id: true,
    };
    render_body(o, &ctx, c.before.as_ref(), c.after.as_ref(), blocks, 1, "");
    o.raw(4, "}");
}

struct Ctx<'a> {
    replace_paths: &'a [String],
    show_id: bool,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn keys<'a>(a: Option<&'a Value>, b: Option<&'a Value>) -> Vec<&'a String> {
    let mut ks: Vec<&String> = a
        .and_then(Value::as_map)
        .into_iter()
        .chain(b.and_then(Value::as_map))
        .flat_map(|m| m.keys())
        .collect();
    ks.sort();
    ks.dedup();
    ks
}

fn plural(n: usize, word: &str) -> String {
    format!(
        "# ({n} unchanged {word}{} hidden)",
        if n == 1 { "" } else { "s" }
    )
}

/// Render one object body at nesting `level` (1 = the resource body). `before`/`after` of
/// `None` mean the whole object is created / destroyed.
fn render_body(
    o: &mut Out,
    ctx: &Ctx,
    before: Option<&Value>,
    after: Option<&Value>,
    blocks: &[BlockSchema],
    level: usize,
    prefix: &str,
) {
    let indent = 4 * level;
    let block_schema = |k: &str| blocks.iter().find(|b| b.name == k);
    let all = keys(before, after);
    let attrs: Vec<&String> = all
        .iter()
        .copied()
        .filter(|k| block_schema(k).is_none() && !is_block_list(before, after, k, blocks))
        .collect();
    // an attribute of a marked object is marked
    let get = |v: Option<&Value>, k: &str| v.map(|v| v.get(k).clone().mark_if(v.is_marked()));
    // which attribute lines show
    let mut lines: Vec<(&str, String, String)> = Vec::new(); // (sym, name, rest)
    let mut hidden = 0;
    for k in &attrs {
        let (old, new) = (get(before, k), get(after, k));
        let path = join(prefix, k);
        let forces = if ctx.replace_paths.iter().any(|p| p == &path) {
            " # forces replacement"
        } else {
            ""
        };
        match (&old, &new) {
            (None, Some(n)) if !n.is_null() => lines.push((
                "+",
                k.to_string(),
                format!("{}{forces}", multiline(n, "+", indent)),
            )),
            (Some(p), None) if !p.is_null() => lines.push((
                "-",
                k.to_string(),
                format!("{} -> null", multiline(p, "-", indent)),
            )),
            (Some(p), Some(n)) => {
                if value_equal(p, n) {
                    if ctx.show_id && level == 1 && k.as_str() == "id" && !p.is_null() {
                        lines.push((" ", k.to_string(), inline(p)));
                    } else if !p.is_null() || !n.is_null() {
                        hidden += 1;
                    }
                } else if p.is_null() || is_empty(p) {
                    lines.push((
                        "+",
                        k.to_string(),
                        format!("{}{forces}", multiline(n, "+", indent)),
                    ));
                } else if n.is_null() {
                    lines.push(("-", k.to_string(), format!("{} -> null{forces}", inline(p))));
                } else if let (Value::Map(pm), Value::Map(nm)) = (p, n) {
                    lines.push(("~", k.to_string(), map_diff(pm, nm, indent, forces)));
                } else {
                    lines.push((
                        "~",
                        k.to_string(),
                        format!("{} -> {}{forces}", inline(p), inline(n)),
                    ));
                }
            }
            _ => {}
        }
    }
    let width = lines.iter().map(|l| l.1.len()).max().unwrap_or(0);
    for (sym, name, rest) in &lines {
        o.line(indent + 2, sym, &format!("{name:width$} = {rest}"));
    }
    // nested blocks
    let mut hidden_blocks = 0;
    for k in all.iter().copied().filter(|k| !attrs.contains(k)) {
        let schema = block_schema(k);
        let nested: &[BlockSchema] = schema.map(|b| b.blocks.as_slice()).unwrap_or(&[]);
        let path = join(prefix, k);
        let forces = ctx.replace_paths.iter().any(|p| p == &path);
        let items = |v: Option<&Value>| -> Option<Vec<Value>> {
            v.map(|v| {
                let blocks = v.get(k);
                let marked = v.is_marked() || blocks.is_marked();
                blocks
                    .as_list()
                    .map(|l| l.iter().map(|b| b.clone().mark_if(marked)).collect())
                    .unwrap_or_default()
            })
        };
        let (olds, news) = (items(before), items(after));
        let emit = |o: &mut Out, sym: &str, ob: Option<&Value>, nb: Option<&Value>, p: &str| {
            let tail = if forces { " # forces replacement" } else { "" };
            o.line(indent + 2, sym, &format!("{k} {{{tail}"));
            render_body(
                o,
                &Ctx {
                    replace_paths: ctx.replace_paths,
                    show_id: false,
                },
                ob,
                nb,
                nested,
                level + 1,
                p,
            );
            o.raw(indent + 4, "}");
        };
        match (olds, news) {
            (None, Some(ns)) => ns.iter().for_each(|n| emit(o, "+", None, Some(n), &path)),
            (Some(os), None) => os.iter().for_each(|p| emit(o, "-", Some(p), None, &path)),
            (Some(os), Some(ns)) if schema.is_some_and(|b| b.nesting == Nesting::List) => {
                for i in 0..os.len().max(ns.len()) {
                    let p = format!("{path}[{i}]");
                    match (os.get(i), ns.get(i)) {
                        (Some(a), Some(b)) if value_equal(a, b) => hidden_blocks += 1,
                        (Some(a), Some(b)) => emit(o, "~", Some(a), Some(b), &p),
                        (Some(a), None) => emit(o, "-", Some(a), None, &p),
                        (None, Some(b)) => emit(o, "+", None, Some(b), &p),
                        (None, None) => {}
                    }
                }
            }
            (Some(os), Some(ns)) => {
                let mut unmatched: Vec<&Value> = ns.iter().collect();
                for a in &os {
                    match unmatched.iter().position(|b| value_equal(a, b)) {
                        Some(i) => {
                            unmatched.remove(i);
                            hidden_blocks += 1;
                        }
                        None => emit(o, "-", Some(a), None, &path),
                    }
                }
                for b in unmatched {
                    emit(o, "+", None, Some(b), &path);
                }
            }
            (None, None) => {}
        }
    }
    if hidden > 0 {
        o.raw(indent + 4, &plural(hidden, "attribute"));
    }
    if hidden_blocks > 0 {
        o.raw(indent + 4, &plural(hidden_blocks, "block"));
    }
}

fn is_empty(v: &Value) -> bool {
    matches!(v, Value::List(l) if l.is_empty()) || matches!(v, Value::Map(m) if m.is_empty())
}

/// Without a schema (an unknown type), a list of objects renders as blocks.
fn is_block_list(
    before: Option<&Value>,
    after: Option<&Value>,
    k: &str,
    blocks: &[BlockSchema],
) -> bool {
    if !blocks.is_empty() {
        return false;
    }
    [before, after].iter().flatten().any(|v| matches!(v.get(k), Value::List(l) if !l.is_empty() && l.iter().all(|i| matches!(i, Value::Map(_)))))
}

/// A value on one line: strings quoted, unknown as `(known after apply)`.
fn inline(v: &Value) -> String {
    match v {
        Value::Number(n) => format_number(*n),
        other => other.to_string(),
    }
}

/// A map on several lines (as Terraform shows `tags`), anything else inline.
fn multiline(v: &Value, sym: &str, indent: usize) -> String {
    match v {
        Value::Map(m) if !m.is_empty() => {
            let width = m.keys().map(|k| quoted(k).len()).max().unwrap_or(0);
            let mut s = String::from("{\n");
            for (k, val) in m {
                let rest = if sym == "-" {
                    format!("{} -> null", inline(val))
                } else {
                    inline(val)
                };
                let _ = writeln!(
                    s,
                    "{}{sym} {:width$} = {rest}",
                    " ".repeat(indent + 6),
                    quoted(k)
                );
            }
            s.push_str(&format!("{}}}", " ".repeat(indent + 4)));
            s
        }
        other => inline(other),
    }
}

fn map_diff(
    pm: &std::collections::BTreeMap<String, Value>,
    nm: &std::collections::BTreeMap<String, Value>,
    indent: usize,
    forces: &str,
) -> String {
    let mut ks: Vec<&String> = pm.keys().chain(nm.keys()).collect();
    ks.sort();
    ks.dedup();
    let width = ks.iter().map(|k| quoted(k).len()).max().unwrap_or(0);
    let mut s = format!("{{{forces}\n");
    let mut same = 0;
    for k in ks {
        let pad = " ".repeat(indent + 6);
        match (pm.get(k), nm.get(k)) {
            (Some(a), Some(b)) if value_equal(a, b) => same += 1,
            (Some(a), Some(b)) => {
                let _ = writeln!(
                    s,
                    "{pad}~ {:width$} = {} -> {}",
                    quoted(k),
                    inline(a),
                    inline(b)
                );
            }
            (Some(a), None) => {
                let _ = writeln!(s, "{pad}- {:width$} = {} -> null", quoted(k), inline(a));
            }
            (None, Some(b)) => {
                let _ = writeln!(s, "{pad}+ {:width$} = {}", quoted(k), inline(b));
            }
            (None, None) => {}
        }
    }
    if same > 0 {
        let _ = writeln!(s, "{}{}", " ".repeat(indent + 8), plural(same, "element"));
    }
    s.push_str(&format!("{}}}", " ".repeat(indent + 4)));
    s
}

fn quoted(k: &str) -> String {
    serde_json::to_string(k).unwrap_or_default()
}

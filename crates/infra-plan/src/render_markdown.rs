//! The plan as Markdown, for a pull-request comment: a summary line, replacements and
//! deletions called out first with the attribute that forces each replacement, every
//! change grouped by action, the full text plan in a collapsed block. Sensitive values
//! read `(sensitive value)`, as in the text plan.

use std::fmt::Write;

use infra_model::Value;

use crate::diff::value_equal;
use crate::planner::reasons;
use crate::{paths, render_text, Action, Plan, ResourceChange};

/// A section of the comment: its title and which actions it lists.
type Group = (&'static str, fn(Action) -> bool);

/// Render `plan` for a reader of a pull request. `title` names the stack; `footer` (the
/// API-call count) ends the comment.
pub fn render_markdown(plan: &Plan, title: &str, footer: &str) -> String {
    let mut s = String::new();
    let (add, change, destroy) = plan.summary();
    let shown: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    let replaced = shown.iter().filter(|c| c.action.is_replace()).count();
    let _ = write!(s, "### `{}`: ", escape(title));
    if !plan.has_changes() {
        s.push_str("no changes\n\nThe infrastructure matches the configuration.\n");
    } else {
        let _ = writeln!(
            s,
            "{add} to add, {change} to change, {destroy} to destroy{}{}\n",
            if replaced > 0 {
                format!(" ({replaced} replaced)")
            } else {
                String::new()
            },
            match plan.forgets().len() {
                0 => String::new(),
                n => format!(", {n} to forget (left in AWS)"),
            }
        );
    }
    let risky: Vec<&&ResourceChange> = shown
        .iter()
        .filter(|c| c.action.is_replace() || c.action == Action::Delete)
        .collect();
    if !risky.is_empty() {
        s.push_str("> [!WARNING]\n> **Replacements and deletions**\n>\n");
        for c in &risky {
            let _ = writeln!(s, "> - {}", callout(c));
        }
        s.push('\n');
    }
    let groups: [Group; 6] = [
        ("Replace", Action::is_replace),
        ("Destroy", |a| a == Action::Delete),
        ("Create", |a| a == Action::Create),
        ("Update in place", |a| a == Action::Update),
        ("Read during apply", |a| a == Action::Read),
        ("Forget (stays in AWS, leaves the state)", |a| {
            a == Action::Forget
        }),
    ];
    for (name, pick) in groups {
        let items: Vec<&&ResourceChange> = shown.iter().filter(|c| pick(c.action)).collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(s, "**{name}** ({})\n", items.len());
        for c in items {
            let _ = writeln!(s, "- `{}`{}", escape(&label(c)), changed_attrs(c));
        }
        s.push('\n');
    }
    let outputs: Vec<&str> = plan
        .outputs
        .values()
        .filter(|o| o.before.as_ref() != Some(&o.after))
        .map(|o| o.name.as_str())
        .collect();
    if !outputs.is_empty() {
        let list: Vec<String> = outputs.iter().map(|o| format!("`{o}`")).collect();
        let _ = writeln!(s, "**Outputs changed**: {}\n", list.join(", "));
    }
    if plan.has_changes() {
        s.push_str("<details><summary>Full plan</summary>\n\n```diff\n");
        s.push_str(render_text(plan, false).replace("```", "'''").trim_end());
        s.push_str("\n```\n\n</details>\n\n");
    }
    if !footer.is_empty() {
        let _ = writeln!(s, "<sub>{}</sub>", escape(footer));
    }
    s
}

fn label(c: &ResourceChange) -> String {
    match &c.deposed {
        Some(d) => format!("{} (deposed {d})", c.address),
        None => c.address.to_string(),
    }
}

/// `` `aws_subnet.a` is **replaced**: `cidr_block` forces it (`"10.0.1.0/24"` → `"10.0.2.0/24"`) ``
fn callout(c: &ResourceChange) -> String {
    let addr = format!("`{}`", escape(&label(c)));
    if c.action == Action::Delete {
        let why = match c.reason.as_deref() {
            Some(reasons::NOT_IN_CONFIG) | None => "removed from the configuration".to_string(),
            Some(r) => r.to_string(),
        };
        return format!("{addr} is **destroyed**: {why}");
    }
    let order = if c.action == Action::CreateThenDelete {
        "created before the old one is destroyed"
    } else {
        "destroyed, then created"
    };
    let why = match c.reason.as_deref() {
        Some(reasons::REPLACE_REQUESTED) => "replacement requested (`--replace`)".to_string(),
        Some(reasons::DELETED_OUTSIDE) => "deleted outside infra".to_string(),
        _ if !c.replace_paths.is_empty() => {
            let forced: Vec<String> = c
                .replace_paths
                .iter()
                .map(|p| format!("`{}` ({})", escape(p), before_after(c, p)))
                .collect();
            format!("{} forces replacement", forced.join(", "))
        }
        Some(r) => r.to_string(),
        None => "a change forces replacement".to_string(),
    };
    format!("{addr} is **replaced** ({order}): {why}")
}

fn before_after(c: &ResourceChange, path: &str) -> String {
    let at = |v: &Option<Value>| -> String {
        let Some(v) = v else { return "null".into() };
        match paths::parse(path).and_then(|steps| paths::get(v, &steps).cloned()) {
            Some(x) => show(&x),
            None => "null".into(),
        }
    };
    format!("{} → {}", at(&c.before), at(&c.after))
}

/// A value for a one-line callout: sensitive and unknown values are never shown.
fn show(v: &Value) -> String {
    if v.has_marks() {
        return "(sensitive value)".into();
    }
    if !v.is_wholly_known() {
        return "(known after apply)".into();
    }
    let text = v.to_string();
    let text = if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    };
    format!("`{}`", text.replace('`', "'"))
}

/// `: cidr_block, tags` for an update: the top-level attributes that change.
fn changed_attrs(c: &ResourceChange) -> String {
    if c.action != Action::Update {
        return String::new();
    }
    let (Some(Value::Map(b)), Some(Value::Map(a))) = (&c.before, &c.after) else {
        return String::new();
    };
    let names: Vec<String> = a
        .iter()
        .filter(|(_, v)| v.is_wholly_known() && !v.is_null())
        .filter(|(k, v)| {
            b.get(*k)
                .is_none_or(|x| !value_equal(x.unmarked(), v.unmarked()))
        })
        .map(|(k, _)| format!("`{k}`"))
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(": {}", names.join(", "))
    }
}

/// Markdown-significant characters of a name or path.
fn escape(s: &str) -> String {
    s.replace('`', "'")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

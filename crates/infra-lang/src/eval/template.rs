//! String templates and heredocs: interpolations, `%{if}` / `%{for}` directives and `~`
//! strip markers.

use std::borrow::Cow;

use hcl_edit::template::{Directive, Element, StringTemplate, Template};
use infra_model::value::format_number;
use infra_model::{Diagnostic, Value};

use super::{describe, EvalResult, Evaluator};

impl Evaluator<'_> {
    /// `templatefile(path, vars)`: the file (see `functions::files`) parsed as a template
    /// and rendered with only `vars` in scope (and the functions), as Terraform does.
    /// Errors inside the template point into the template file.
    pub(crate) fn call_templatefile(
        &mut self,
        call: &hcl_edit::expr::FuncCall,
        whole: &hcl_edit::expr::Expression,
    ) -> EvalResult {
        let Some((path, vars, marked)) = self.template_args("templatefile", "path", call, whole)?
        else {
            return Ok(Value::Unknown);
        };
        let text = crate::functions::files::text("templatefile", &path)
            .map_err(|m| self.error(whole, m))?;
        let file = crate::SourceFile {
            path: std::sync::Arc::from(crate::functions::files::normalize(&path).as_str()),
            text,
        };
        self.render_with("templatefile", file, vars, marked, whole)
    }

    /// `templatestring(template, vars)`: a string (a variable, a local, a file's text)
    /// rendered as a template with only `vars` in scope, as `templatefile` renders a file.
    pub(crate) fn call_templatestring(
        &mut self,
        call: &hcl_edit::expr::FuncCall,
        whole: &hcl_edit::expr::Expression,
    ) -> EvalResult {
        // a template written in the call would render in the caller's scope first, as
        // Terraform refuses it
        if let Some(
            first @ (hcl_edit::expr::Expression::StringTemplate(_)
            | hcl_edit::expr::Expression::HeredocTemplate(_)),
        ) = call.args.iter().next()
        {
            return Err(self
                .error(
                    first,
                    "templatestring: invalid value for \"template\": a template written in the call",
                )
                .with_detail("pass a reference to a string that holds the template (a variable, a local, a data source's attribute): a template in the call would render in this scope first; write `$${` and `%%{` to keep them literal"));
        }
        let Some((text, vars, marked)) =
            self.template_args("templatestring", "template", call, whole)?
        else {
            return Ok(Value::Unknown);
        };
        let file = crate::SourceFile {
            path: std::sync::Arc::from("<templatestring>"),
            text,
        };
        self.render_with("templatestring", file, vars, marked, whole)
    }

    /// The two arguments of `templatefile` / `templatestring`: the string, the variables,
    /// and whether either was sensitive; `None` when either is unknown.
    #[allow(clippy::type_complexity)]
    fn template_args(
        &mut self,
        f: &str,
        param: &str,
        call: &hcl_edit::expr::FuncCall,
        whole: &hcl_edit::expr::Expression,
    ) -> Result<Option<(String, std::collections::BTreeMap<String, Value>, bool)>, Diagnostic> {
        if call.args.len() != 2 || call.args.expand_final() {
            return Err(self.error(
                whole,
                format!("{f} takes 2 arguments, got {}", call.args.len()),
            ));
        }
        let mut args = Vec::new();
        for a in call.args.iter() {
            args.push(self.expr(a)?);
        }
        let vars = args.pop().unwrap_or(Value::Null);
        let (first, first_marked) = self.unmark(args.pop().unwrap_or(Value::Null));
        if first.is_unknown() || vars.is_unknown() {
            return Ok(None);
        }
        let Value::String(first) = first else {
            return Err(self.error(
                whole,
                format!(
                    "{f}: invalid value for \"{param}\": a string is required, got {}",
                    describe(&first)
                ),
            ));
        };
        let vars = match vars.unmark() {
            (Value::Map(m), marked) => (m, marked),
            (Value::Null, marked) => (std::collections::BTreeMap::new(), marked),
            (other, _) => {
                return Err(self.error(
                    whole,
                    format!(
                        "{f}: invalid value for \"vars\": an object is required, got {}",
                        describe(&other)
                    ),
                ))
            }
        };
        Ok(Some((first, vars.0, first_marked || vars.1)))
    }

    /// Render `file` as a template with `vars` in scope.
    fn render_with(
        &mut self,
        f: &str,
        file: crate::SourceFile,
        scope: std::collections::BTreeMap<String, Value>,
        marked: bool,
        whole: &hcl_edit::expr::Expression,
    ) -> EvalResult {
        let template = hcl_edit::parser::parse_template(&file.text).map_err(|e| {
            self.error(
                whole,
                format!(
                    "{f}: {} is not a valid template: {}",
                    file.path,
                    e.message()
                ),
            )
        })?;
        let mut inner = Evaluator {
            scope: &scope,
            file: &file,
            locals: Vec::new(),
            depth: self.depth,
            secrets: Vec::new(),
            tainted: false,
        };
        let out = inner.template_value(&template);
        self.secrets.extend(inner.secrets);
        let v = out.map_err(|e| {
            let mut d = self.error(whole, format!("{f}: in {}: {}", file.path, e.summary));
            if let Some(s) = e.span {
                d = d.with_related(s, "in the template");
            }
            d
        })?;
        Ok(v.mark_if(marked))
    }

    pub(crate) fn string_template(&mut self, t: &StringTemplate) -> EvalResult {
        // A template that is a single interpolation returns the value itself, unconverted.
        if t.len() == 1 {
            if let Some(Element::Interpolation(interp)) = t.get(0) {
                return self.expr(&interp.expr);
            }
        }
        self.template_value(t)
    }

    /// Render a template; the result is marked when any interpolation, condition or
    /// collection it used was.
    pub(crate) fn template_value(&mut self, t: &Template) -> EvalResult {
        let outer = std::mem::replace(&mut self.tainted, false);
        let mut out = String::new();
        let known = self.render(t, false, false, &mut out);
        let tainted = std::mem::replace(&mut self.tainted, outer);
        Ok(if known? {
            Value::String(out)
        } else {
            Value::Unknown
        }
        .mark_if(tainted))
    }

    /// Render `t` into `out`. Returns false when some part is unknown.
    fn render(
        &mut self,
        t: &Template,
        strip_lead: bool,
        strip_trail: bool,
        out: &mut String,
    ) -> Result<bool, Diagnostic> {
        // no list of the elements: every interpolated attribute of every instance renders
        let last = t.len().saturating_sub(1);
        let mut known = true;
        for (i, element) in t.iter().enumerate() {
            match element {
                Element::Literal(lit) => {
                    let mut s: &str = lit.value();
                    let lead = if i == 0 {
                        strip_lead
                    } else {
                        t.get(i - 1).is_some_and(strips_end)
                    };
                    let trail = if i == last {
                        strip_trail
                    } else {
                        t.get(i + 1).is_some_and(strips_start)
                    };
                    if lead {
                        s = s.trim_start();
                    }
                    if trail {
                        s = s.trim_end();
                    }
                    out.push_str(s);
                }
                Element::Interpolation(interp) => {
                    let (v, marked) = {
                        let v = self.expr(&interp.expr)?;
                        self.unmark_all(v)
                    };
                    self.tainted |= marked;
                    match template_string(&v) {
                        Ok(Some(s)) if out.len() + s.len() > super::MAX_STRING => {
                            return Err(self.error(&interp.expr, super::too_long()))
                        }
                        Ok(Some(s)) => out.push_str(&s),
                        Ok(None) => known = false,
                        Err(m) => return Err(self.error(&interp.expr, m)),
                    }
                }
                Element::Directive(d) => known &= self.directive(d, out)?,
            }
        }
        Ok(known)
    }

    fn directive(&mut self, d: &Directive, out: &mut String) -> Result<bool, Diagnostic> {
        match d {
            Directive::If(d) => {
                let (cond, marked) = {
                    let v = self.expr(&d.if_expr.cond_expr)?;
                    self.unmark_all(v)
                };
                self.tainted |= marked;
                if cond.is_unknown() {
                    return Ok(false);
                }
                let trail_if = match &d.else_expr {
                    Some(e) => e.strip.strip_start(),
                    None => d.endif_expr.strip.strip_start(),
                };
                match super::ops::to_bool(&cond) {
                    Some(true) => self.render(
                        &d.if_expr.template,
                        d.if_expr.strip.strip_end(),
                        trail_if,
                        out,
                    ),
                    Some(false) => match &d.else_expr {
                        Some(e) => self.render(
                            &e.template,
                            e.strip.strip_end(),
                            d.endif_expr.strip.strip_start(),
                            out,
                        ),
                        None => Ok(true),
                    },
                    None => Err(self.error(
                        &d.if_expr.cond_expr,
                        format!(
                            "%{{if}} condition must be a bool, got {}",
                            super::describe(&cond)
                        ),
                    )),
                }
            }
            Directive::For(d) => {
                let f = &d.for_expr;
                let (collection, marked) = {
                    let v = self.expr(&f.collection_expr)?;
                    self.unmark(v)
                };
                self.tainted |= marked;
                let pairs: Vec<(Value, Value)> = match collection {
                    Value::Unknown => return Ok(false),
                    Value::List(items) => items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (Value::Number(i as f64), v))
                        .collect(),
                    Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
                    other => {
                        return Err(self.error(
                            &f.collection_expr,
                            format!(
                                "%{{for}} needs a list or map, got {}",
                                super::describe(&other)
                            ),
                        ))
                    }
                };
                let lead = f.strip.strip_end();
                let trail = d.endfor_expr.strip.strip_start();
                let mut known = true;
                for (k, v) in pairs {
                    let mut bindings = Vec::with_capacity(2);
                    if let Some(key_var) = &f.key_var {
                        bindings.push((key_var.as_str().to_string(), k));
                    }
                    bindings.push((f.value_var.as_str().to_string(), v));
                    known &=
                        self.with_locals(bindings, |ev| ev.render(&f.template, lead, trail, out))?;
                }
                Ok(known)
            }
        }
    }
}

fn strips_start(e: &Element) -> bool {
    match e {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip.strip_start(),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => d.if_expr.strip.strip_start(),
            Directive::For(d) => d.for_expr.strip.strip_start(),
        },
    }
}

fn strips_end(e: &Element) -> bool {
    match e {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip.strip_end(),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => d.endif_expr.strip.strip_end(),
            Directive::For(d) => d.endfor_expr.strip.strip_end(),
        },
    }
}

/// The text of an interpolated value (borrowed when it is a string); `None` when unknown.
pub(crate) fn template_string(v: &Value) -> Result<Option<Cow<'_, str>>, String> {
    match v {
        Value::String(s) => Ok(Some(Cow::Borrowed(s))),
        Value::Number(n) => Ok(Some(Cow::Owned(format_number(*n)))),
        Value::Bool(b) => Ok(Some(Cow::Borrowed(if *b { "true" } else { "false" }))),
        Value::Unknown => Ok(None),
        Value::Sensitive(v) => template_string(v),
        Value::Null => Err(
            "cannot include a null value in a string template; use coalesce(...) or a conditional"
                .to_string(),
        ),
        Value::List(_) => Err(
            "cannot include a list in a string template; use join(...) or jsonencode(...)"
                .to_string(),
        ),
        Value::Map(_) => {
            Err("cannot include a map in a string template; use jsonencode(...)".to_string())
        }
    }
}

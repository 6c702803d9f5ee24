//! Input variables: values from every source in precedence order, type conversion,
//! nullability and validation rules.
//!
//! Precedence, lowest first: `default`, `TF_VAR_name`, `terraform.tfvars`,
//! `*.auto.tfvars`, `--var-file` (in order), `--var` (in order). Raw strings (`--var`,
//! `TF_VAR_`) are taken literally for primitive and `any` types and parsed as HCL
//! expressions for collection and object types, as Terraform does.

use std::collections::BTreeMap;
use std::sync::Arc;

use infra_lang::{SourceFile, TypeConstraint};
use infra_model::{schema, Diagnostic, Span, Value};

use crate::decl::{attr_span, span, Declarations, VariableDecl};
use crate::meta::literal;
use crate::StackInput;

struct Given {
    value: Value,
    /// `default`, `terraform.tfvars`, `--var`, `TF_VAR_x`...
    source: String,
    span: Option<Span>,
}

fn raw_value(
    name: &str,
    raw: &str,
    ty: &TypeConstraint,
    source: &str,
) -> Result<Value, Diagnostic> {
    if matches!(
        ty,
        TypeConstraint::Any
            | TypeConstraint::String
            | TypeConstraint::Number
            | TypeConstraint::Bool
    ) {
        return Ok(Value::String(raw.to_string()));
    }
    let file = SourceFile {
        path: Arc::from(source),
        text: format!("v = {raw}\n"),
    };
    let fail = |why: String| {
        Diagnostic::error(format!("invalid value for variable \"{name}\" from {source}: {why}"))
            .with_detail(format!("variable \"{name}\" has a complex type; write the value as an HCL expression, e.g. '[\"a\", \"b\"]' or '{{ key = \"value\" }}'"))
    };
    let (body, ds) = infra_lang::parse(&file);
    let Some(body) = body else {
        return Err(fail(
            ds.first()
                .map(|d| d.summary.clone())
                .unwrap_or_else(|| "not a valid expression".into()),
        ));
    };
    let Some(attr) = body.get_attribute("v") else {
        return Err(fail("not a valid expression".into()));
    };
    if body.len() != 1 {
        return Err(fail("not a single expression".into()));
    }
    literal(&attr.value, &file).map_err(|d| fail(d.summary))
}

fn how_to_set(name: &str) -> String {
    format!("set it with `--var {name}=...`, in a .tfvars file (`{name} = ...`), or with the TF_VAR_{name} environment variable; or give the variable a default")
}

pub(crate) fn resolve(
    decls: &Declarations,
    files: &[SourceFile],
    input: &StackInput,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Value> {
    let mut given: BTreeMap<String, Given> = BTreeMap::new();
    for (name, v) in &decls.variables {
        if let Some(d) = &v.default {
            match literal(d, &files[v.file]) {
                Ok(value) => {
                    given.insert(
                        name.clone(),
                        Given {
                            value,
                            source: "its default".into(),
                            span: span(&files[v.file], d),
                        },
                    );
                }
                Err(e) => diags.push(e.with_detail(
                    "a variable's default must be a literal value; it cannot refer to anything",
                )),
            }
        }
    }
    let names: Vec<String> = decls.variables.keys().cloned().collect();
    let suggest = |d: Diagnostic, name: &str, how: &str| match schema::did_you_mean(
        name,
        names.iter().map(String::as_str),
    ) {
        Some(s) => d.with_detail(format!("did you mean `{s}`? otherwise {how}")),
        None => d.with_detail(how.to_string()),
    };
    for (name, raw) in &input.env_vars {
        let source = format!("TF_VAR_{name}");
        let Some(v) = decls.variables.get(name) else {
            diags.push(suggest(
                Diagnostic::warning(format!(
                    "TF_VAR_{name} is set but the stack declares no variable \"{name}\""
                )),
                name,
                "it is ignored",
            ));
            continue;
        };
        match raw_value(name, raw, &v.ty, &source) {
            Ok(value) => {
                given.insert(
                    name.clone(),
                    Given {
                        value,
                        source,
                        span: None,
                    },
                );
            }
            Err(d) => diags.push(d),
        }
    }
    for file in &input.tfvars {
        let (body, ds) = infra_lang::parse(file);
        diags.extend(ds);
        let Some(body) = body else { continue };
        for b in body.blocks() {
            diags.push(
                Diagnostic::error(format!(
                    "unexpected block `{}` in a variables file",
                    b.ident.as_str()
                ))
                .with_detail("a .tfvars file holds only `name = value` lines")
                .with_span(crate::decl::header_span(file, b)),
            );
        }
        for a in body.attributes() {
            let name = a.key.as_str();
            let s = attr_span(file, a);
            if !decls.variables.contains_key(name) {
                diags.push(suggest(
                    Diagnostic::error(format!("value for undeclared variable \"{name}\""))
                        .with_span(s),
                    name,
                    &format!("declare it with `variable \"{name}\" {{}}` or remove the line"),
                ));
                continue;
            }
            match literal(&a.value, file) {
                Ok(value) => {
                    given.insert(
                        name.to_string(),
                        Given {
                            value,
                            source: file.path.to_string(),
                            span: s,
                        },
                    );
                }
                Err(e) => diags.push(e.with_detail(
                    "a value in a .tfvars file must be a literal; it cannot refer to anything",
                )),
            }
        }
    }
    for (name, raw) in &input.cli_vars {
        let source = format!("--var {name}");
        let Some(v) = decls.variables.get(name) else {
            diags.push(suggest(
                Diagnostic::error(format!("--var sets undeclared variable \"{name}\"")),
                name,
                &format!("declare it with `variable \"{name}\" {{}}` or remove the flag"),
            ));
            continue;
        };
        match raw_value(name, raw, &v.ty, &source) {
            Ok(value) => {
                given.insert(
                    name.clone(),
                    Given {
                        value,
                        source,
                        span: None,
                    },
                );
            }
            Err(d) => diags.push(d),
        }
    }

    let mut out = BTreeMap::new();
    let mut sources = BTreeMap::new();
    for (name, v) in &decls.variables {
        let Some(g) = given.remove(name) else {
            if input.unset_variables_unknown {
                // validate: an unknown value of the declared type; its validation rules
                // cannot be decided, so they are not run
                out.insert(name.clone(), unknown_of(&v.ty).mark_if(v.sensitive));
                continue;
            }
            diags.push(
                Diagnostic::error(format!("variable \"{name}\" has no value"))
                    .with_detail(how_to_set(name))
                    .with_span(v.span.clone()),
            );
            continue;
        };
        let default = v
            .default
            .as_ref()
            .and_then(|d| literal(d, &files[v.file]).ok());
        if let Some(value) = check_value(
            name,
            v,
            g.value.clone(),
            default,
            &g.source,
            g.span.clone().or(v.span.clone()),
            diags,
        ) {
            out.insert(name.clone(), value);
            sources.insert(name.clone(), g);
        }
    }
    validate(decls, files, &out, &sources, diags);
    out
}

/// An unknown value of type `ty`: an object's attributes are known to exist (so that
/// `var.x.name` resolves and `var.x.nmae` is an error), their values are unknown.
fn unknown_of(ty: &TypeConstraint) -> Value {
    match ty {
        TypeConstraint::Object(attrs) => Value::Map(
            attrs
                .iter()
                .map(|(k, (t, _))| (k.clone(), unknown_of(t)))
                .collect(),
        ),
        _ => Value::Unknown,
    }
}

/// `default` is the variable's default value, if it has one: a null given for a variable
/// declared `nullable = false` takes it, as in Terraform (modules pass `null` to mean "the
/// default", e.g. terraform-aws-eks's node group sub-modules).
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_value(
    name: &str,
    v: &VariableDecl,
    value: Value,
    default: Option<Value>,
    source: &str,
    at: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    if value.is_null() {
        if let Some(d) = default.filter(|d| !v.nullable && !d.is_null()) {
            return check_value(name, v, d, None, source, at, diags);
        }
        if !v.nullable {
            diags.push(
                Diagnostic::error(format!("variable \"{name}\" must not be null"))
                    .with_detail(format!(
                        "it is declared `nullable = false` without a default, but {source} sets null; {}",
                        how_to_set(name)
                    ))
                    .with_span(at),
            );
            return None;
        }
        return Some(Value::Null);
    }
    // a sensitive variable's value is marked from here on; conversion errors hide it
    match infra_lang::convert_with_defaults(value.mark_if(v.sensitive), &v.ty, &v.type_defaults) {
        Ok(value) => Some(value),
        Err(why) => {
            diags.push(
                Diagnostic::error(format!(
                    "invalid value for variable \"{name}\" from {source}: {why}"
                ))
                .with_detail("give a value of the variable's declared type")
                .with_span(at),
            );
            None
        }
    }
}

fn validate(
    decls: &Declarations,
    files: &[SourceFile],
    values: &BTreeMap<String, Value>,
    sources: &BTreeMap<String, Given>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut scope: BTreeMap<String, Value> = BTreeMap::new();
    scope.insert("var".into(), Value::Map(values.clone()));
    for (name, v) in &decls.variables {
        let Some(g) = sources.get(name) else {
            continue;
        };
        check_rules(name, v, files, &scope, &g.source, g.span.clone(), diags);
    }
}

/// Run a variable's validation rules in `scope` (which holds `var`).
pub(crate) fn check_rules(
    name: &str,
    v: &VariableDecl,
    files: &[SourceFile],
    scope: &BTreeMap<String, Value>,
    source: &str,
    at: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) {
    for rule in &v.validations {
        let file = &files[rule.file];
        match infra_lang::eval(&rule.condition, scope, file).map(|c| c.unmark().0) {
            Ok(Value::Bool(true)) | Ok(Value::Unknown) => {}
            Ok(Value::Bool(false)) => {
                let message = match rule
                    .error_message
                    .as_ref()
                    .map(|m| infra_lang::eval(m, scope, file))
                {
                    Some(Ok(Value::String(s))) => s,
                    Some(Ok(Value::Sensitive(_))) => {
                        "the error message refers to a sensitive value, so it is not shown".into()
                    }
                    _ => "the value does not pass the validation rule".into(),
                };
                let mut d = Diagnostic::error(format!(
                    "invalid value for variable \"{name}\" from {source}"
                ))
                .with_detail(message)
                .with_span(at.clone().or_else(|| span(file, &rule.condition)));
                if let Some(s) = span(file, &rule.condition) {
                    d = d.with_related(s, "checked by this validation rule");
                }
                diags.push(d);
            }
            Ok(other) => diags.push(
                Diagnostic::error(format!(
                    "a validation condition must be true or false, found {}",
                    other.type_name()
                ))
                .with_detail("write a bool expression such as `length(var.x) > 0`")
                .with_span(span(file, &rule.condition)),
            ),
            Err(e) => diags.push(e),
        }
    }
}

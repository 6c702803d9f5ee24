//! Static checks of resource and data blocks against their schemas: unknown resource
//! types, unknown arguments and blocks (with suggestions), computed-only arguments,
//! missing required arguments, and the shape of `dynamic` blocks.

use hcl_edit::structure::{Block, Body};
use infra_lang::SourceFile;
use infra_model::{schema, AttrSchema, BlockSchema, Diagnostic, Mode, Span, Value};

use crate::decl::{attr_span, header_span, Declarations, Expansion, ResourceConfig};
use crate::meta::{META_ATTRS, META_BLOCKS};

/// `deferred` gets the errors of single blocks of unsupported types: the walk reports
/// them (with those inside modules and behind `count`), so they are shown only when
/// loading fails before the walk.
pub(crate) fn check(
    decls: &Declarations,
    files: &[SourceFile],
    diags: &mut Vec<Diagnostic>,
    deferred: &mut Vec<Diagnostic>,
) {
    for r in decls.resources.values() {
        let file = &files[r.file];
        let what = if r.address.mode == Mode::Managed {
            "resource type"
        } else {
            "data source"
        };
        let Some(s) = r.schema() else {
            let names = schema::type_names(r.address.mode);
            let typo = misspelling(&r.address.type_name, names.iter().copied());
            let d = Diagnostic::error(format!("unknown {what} `{}`", r.address.type_name))
                .with_span(r.span.clone())
                .with_address(&r.address);
            match typo {
                Some(n) => diags.push(d.with_detail(format!("did you mean `{n}`?"))),
                // a real type we do not support: whether that is an error depends on the
                // number of instances, which the walk decides (`crate::unsupported`, which
                // reports a single block too); listed here only if the walk does not run
                None if r.expansion == Expansion::Single => {
                    deferred.push(d.with_detail(crate::unsupported::SINGLE_HELP))
                }
                // behind count/for_each the walk counts the instances; when it does not
                // run, say what is known: a literal expansion's size, else nothing
                None => deferred.push(expanded_unsupported(r, file, what)),
            }
            continue;
        };
        let view = View {
            attrs: &s.attributes,
            blocks: &s.blocks,
            what: format!("{}", r.address),
            top: true,
        };
        check_body(
            &r.body,
            &view,
            file,
            r.span.clone(),
            &r.address.to_string(),
            diags,
        );
    }
    for p in decls.providers.values() {
        check_provider(&p.body, &files[p.file], diags);
    }
}

/// An unsupported type behind `count` / `for_each`, listed when loading fails before the
/// walk could count its instances: an error when the expansion is a literal with
/// instances, else a warning that says when it is one.
fn expanded_unsupported(r: &ResourceConfig, file: &SourceFile, what: &str) -> Diagnostic {
    let (meta, e) = match (&r.count, &r.for_each) {
        (Some(c), _) => ("count", Some(c)),
        (None, f) => ("for_each", f.as_ref()),
    };
    let instances = match e.map(|e| crate::meta::literal(e, file)) {
        Some(Ok(Value::Number(n))) => Some(n > 0.0),
        Some(Ok(Value::Map(m))) => Some(!m.is_empty()),
        Some(Ok(Value::List(l))) => Some(!l.is_empty()),
        _ => None,
    };
    let name = &r.address.type_name;
    match instances {
        Some(false) => Diagnostic::warning(format!(
            "unsupported {what} `{name}` ignored: `{}` has no instances",
            r.address
        )),
        Some(true) => Diagnostic::error(format!("unsupported {what} `{name}`: `{}` has instances", r.address))
            .with_detail(crate::unsupported::SINGLE_HELP),
        None => Diagnostic::warning(format!("unsupported {what} `{name}` behind `{meta}`"))
            .with_detail(format!("an error unless `{meta}` yields no instances, which is checked once the other errors are fixed; {}", crate::unsupported::SINGLE_HELP)),
    }
    .with_span(r.span.clone())
    .with_address(&r.address)
}

/// A supported type name `name` is a likely misspelling of: at most two edits away
/// (`aws_subnett`). Stricter than [`schema::did_you_mean`], which finds a "closest" type
/// for almost any `aws_` name, and would turn every unsupported type into a typo.
pub(crate) fn misspelling<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d > 0 && *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

struct View<'a> {
    attrs: &'a [AttrSchema],
    blocks: &'a [BlockSchema],
    what: String,
    top: bool,
}

impl View<'_> {
    fn settable(&self) -> Vec<&'static str> {
        self.attrs
            .iter()
            .filter(|a| a.required || a.optional)
            .map(|a| a.name)
            .chain(self.blocks.iter().map(|b| b.name))
            .collect()
    }
}

fn suggest(d: Diagnostic, name: &str, candidates: Vec<&'static str>) -> Diagnostic {
    match schema::did_you_mean(name, candidates.iter().copied()) {
        Some(s) => d.with_detail(format!("did you mean `{s}`?")),
        None if candidates.is_empty() => d.with_detail("remove it"),
        None => d.with_detail(format!("expected one of: {}", candidates.join(", "))),
    }
}

fn check_body(
    body: &Body,
    view: &View,
    file: &SourceFile,
    header: Option<Span>,
    address: &str,
    diags: &mut Vec<Diagnostic>,
) {
    for a in body.attributes() {
        let k = a.key.as_str();
        if view.top && META_ATTRS.contains(&k) {
            continue;
        }
        match view.attrs.iter().find(|s| s.name == k) {
            // `null` leaves a computed argument unset, as in Terraform; an expression that
            // may be null is checked with its value (`body`)
            Some(s) if !(s.required || s.optional) && is_constant(&a.value) => diags.push(
                Diagnostic::error(format!(
                    "`{k}` is computed by AWS and cannot be set in {}",
                    view.what
                ))
                .with_detail(format!("remove it; read it as `{}.{k}` instead", view.what))
                .with_span(attr_span(file, a))
                .with_address(address),
            ),
            Some(_) => {}
            None if view.blocks.iter().any(|b| b.name == k) => {}
            None => diags.push(suggest(
                Diagnostic::error(format!("unknown argument `{k}` in {}", view.what))
                    .with_span(attr_span(file, a))
                    .with_address(address),
                k,
                view.settable(),
            )),
        }
    }
    let mut counts: Vec<(&str, usize, bool)> = Vec::new();
    for b in body.blocks() {
        let k = b.ident.as_str();
        if view.top && (META_BLOCKS.contains(&k) || k == "provisioner" || k == "connection") {
            continue;
        }
        if k == "dynamic" {
            check_dynamic(b, view, file, address, diags, &mut counts);
            continue;
        }
        match view.blocks.iter().find(|s| s.name == k) {
            Some(s) => {
                bump(&mut counts, s.name, false);
                let inner = View {
                    attrs: &s.attributes,
                    blocks: &s.blocks,
                    what: format!("a `{k}` block"),
                    top: false,
                };
                check_body(&b.body, &inner, file, header_span(file, b), address, diags);
            }
            None if view.attrs.iter().any(|s| s.name == k) => diags.push(
                Diagnostic::error(format!("`{k}` is an argument, not a block"))
                    .with_detail(format!("write it as `{k} = ...`"))
                    .with_span(header_span(file, b))
                    .with_address(address),
            ),
            None => diags.push(suggest(
                Diagnostic::error(format!("unknown block `{k}` in {}", view.what))
                    .with_span(header_span(file, b))
                    .with_address(address),
                k,
                view.settable(),
            )),
        }
    }
    for s in view.attrs.iter().filter(|s| s.required) {
        if !body.has_attribute(s.name) {
            diags.push(
                Diagnostic::error(format!(
                    "missing required argument `{}` in {}",
                    s.name, view.what
                ))
                .with_detail(format!("add `{} = <{}>`", s.name, s.ty.describe()))
                .with_span(header.clone())
                .with_address(address),
            );
        }
    }
    for s in view.blocks {
        let (n, dynamic) = counts
            .iter()
            .find(|c| c.0 == s.name)
            .map(|c| (c.1, c.2))
            .unwrap_or((0, false));
        if let Some(max) = s.max_items {
            if n > max {
                diags.push(
                    Diagnostic::error(format!(
                        "too many `{}` blocks in {}: at most {max} allowed, found {n}",
                        s.name, view.what
                    ))
                    .with_detail("remove the extra blocks")
                    .with_span(header.clone())
                    .with_address(address),
                );
            }
        }
        if !dynamic && n < s.min_items && !body.has_attribute(s.name) {
            diags.push(
                Diagnostic::error(format!(
                    "missing required block `{}` in {}",
                    s.name, view.what
                ))
                .with_detail(format!("add a `{} {{ ... }}` block", s.name))
                .with_span(header.clone())
                .with_address(address),
            );
        }
    }
}

/// A constant other than `null`: what a computed-only argument can never be set to. Other
/// expressions (`var.x`, `try(...)`) may be null, and are checked once evaluated.
pub(crate) fn is_constant(e: &hcl_edit::expr::Expression) -> bool {
    use hcl_edit::expr::Expression as E;
    matches!(
        e,
        E::Bool(_) | E::Number(_) | E::String(_) | E::Array(_) | E::Object(_)
    ) || matches!(e, E::StringTemplate(t) if t.iter().all(|el| el.is_literal()))
}

fn bump<'a>(counts: &mut Vec<(&'a str, usize, bool)>, name: &'a str, dynamic: bool) {
    match counts.iter_mut().find(|c| c.0 == name) {
        Some(c) => {
            c.1 += usize::from(!dynamic);
            c.2 |= dynamic;
        }
        None => counts.push((name, usize::from(!dynamic), dynamic)),
    }
}

fn check_dynamic<'a>(
    b: &Block,
    view: &View<'a>,
    file: &SourceFile,
    address: &str,
    diags: &mut Vec<Diagnostic>,
    counts: &mut Vec<(&'a str, usize, bool)>,
) {
    let hs = header_span(file, b);
    if b.labels.len() != 1 {
        diags.push(
            Diagnostic::error(
                "a `dynamic` block takes one label: the name of the block it generates",
            )
            .with_detail("write it as `dynamic \"ingress\" { for_each = ... content { ... } }`")
            .with_span(hs),
        );
        return;
    }
    let name = b.labels[0].as_str();
    // `dynamic "timeouts"` generates the meta block, as Terraform allows
    let timeouts = view.top && name == "timeouts";
    let s = view.blocks.iter().find(|s| s.name == name);
    match s {
        Some(s) => bump(counts, s.name, true),
        None if timeouts => {}
        None => {
            diags.push(suggest(
                Diagnostic::error(format!("unknown block `{name}` in {}", view.what))
                    .with_span(hs)
                    .with_address(address),
                name,
                view.blocks.iter().map(|b| b.name).collect(),
            ));
            return;
        }
    }
    for a in b.body.attributes() {
        let k = a.key.as_str();
        if !["for_each", "iterator", "labels"].contains(&k) {
            diags.push(suggest(
                Diagnostic::error(format!("unknown argument `{k}` in a dynamic block"))
                    .with_span(attr_span(file, a))
                    .with_address(address),
                k,
                vec!["for_each", "iterator", "labels"],
            ));
        }
    }
    if !b.body.has_attribute("for_each") {
        diags.push(
            Diagnostic::error("missing `for_each` in a dynamic block")
                .with_detail("add `for_each = <list or map>`")
                .with_span(hs.clone())
                .with_address(address),
        );
    }
    if let Some(it) = b.body.get_attribute("iterator") {
        if !matches!(it.value, hcl_edit::expr::Expression::Variable(_)) {
            diags.push(
                Diagnostic::error("`iterator` must be a bare name")
                    .with_detail("write it as `iterator = rule`")
                    .with_span(attr_span(file, it))
                    .with_address(address),
            );
        }
    }
    let mut contents = 0;
    for c in b.body.blocks() {
        if c.ident.as_str() != "content" {
            diags.push(
                Diagnostic::error(format!(
                    "unexpected block `{}` in a dynamic block",
                    c.ident.as_str()
                ))
                .with_detail("a dynamic block holds one `content { ... }` block")
                .with_span(header_span(file, c))
                .with_address(address),
            );
            continue;
        }
        contents += 1;
        let Some(s) = s else {
            crate::timeouts::check_block(file, c, diags);
            continue;
        };
        let inner = View {
            attrs: &s.attributes,
            blocks: &s.blocks,
            what: format!("a `{name}` block"),
            top: false,
        };
        check_body(&c.body, &inner, file, header_span(file, c), address, diags);
    }
    if contents != 1 {
        diags.push(
            Diagnostic::error(format!(
                "a dynamic block needs exactly one `content` block, found {contents}"
            ))
            .with_detail("put the generated block's arguments in `content { ... }`")
            .with_span(hs)
            .with_address(address),
        );
    }
}

const PROVIDER_IGNORED: &[&str] = &[
    "profile",
    "access_key",
    "secret_key",
    "token",
    "shared_config_files",
    "shared_credentials_files",
    "skip_credentials_validation",
    "skip_metadata_api_check",
    "skip_requesting_account_id",
    "skip_region_validation",
    "s3_use_path_style",
    "max_retries",
];

fn check_provider(body: &Body, file: &SourceFile, diags: &mut Vec<Diagnostic>) {
    for a in body.attributes() {
        let k = a.key.as_str();
        if k == "region" || k == "alias" {
            continue;
        }
        if PROVIDER_IGNORED.contains(&k) {
            diags.push(
                Diagnostic::warning(format!("provider setting `{k}` is ignored"))
                    .with_detail("infra uses the standard AWS credential chain and AWS_ENDPOINT_URL; remove the setting")
                    .with_span(attr_span(file, a)),
            );
        } else {
            diags.push(suggest(
                Diagnostic::error(format!("unknown argument `{k}` in the aws provider"))
                    .with_span(attr_span(file, a)),
                k,
                vec!["region", "alias", "default_tags"],
            ));
        }
    }
    for b in body.blocks() {
        match b.ident.as_str() {
            "default_tags" => {
                for a in b.body.attributes().filter(|a| a.key.as_str() != "tags") {
                    diags.push(suggest(Diagnostic::error(format!("unknown argument `{}` in default_tags", a.key.as_str())).with_span(attr_span(file, a)), a.key.as_str(), vec!["tags"]));
                }
            }
            "endpoints" | "assume_role" => diags.push(
                Diagnostic::warning(format!("provider block `{}` is ignored", b.ident.as_str()))
                    .with_detail("infra uses the standard AWS credential chain and AWS_ENDPOINT_URL; remove the block")
                    .with_span(header_span(file, b)),
            ),
            k => diags.push(suggest(Diagnostic::error(format!("unknown block `{k}` in the aws provider")).with_span(header_span(file, b)), k, vec!["default_tags"])),
        }
    }
}

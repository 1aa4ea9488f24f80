//! Parameters (path, query, header, cookie): presence, required-ness,
//! serialization and schema, always in the request direction.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::generic::{describe, Keys};
use crate::operation::{compare_content, MediaRules, Operation};
use crate::resolve::{object, same_bare_ref, Doc};
use crate::rules::{Direction, Rule};
use crate::schema::SchemaCmp;
use crate::sink::{Loc, Sink};

/// Keys that decide how a value is written into the URL or header.
const SERIALIZATION: &[&str] = &["style", "explode", "allowReserved", "allowEmptyValue"];

type Key = (String, String);

pub(crate) fn compare(
    old_doc: &Doc,
    new_doc: &Doc,
    old: &Operation<'_>,
    new: &Operation<'_>,
    renames: &[(&str, &str)],
    sink: &mut Sink,
) {
    let old_params = parameters(old_doc, old, renames);
    let new_params = parameters(new_doc, new, &[]);
    let keys: BTreeSet<&Key> = old_params.keys().chain(new_params.keys()).collect();
    let dir = Some(Direction::Request);
    for key in keys {
        let (location, name) = key;
        let loc = Loc::default()
            .join("parameters")
            .join(location.as_str())
            .join(name.as_str());
        match (old_params.get(key), new_params.get(key)) {
            (Some((raw_o, o)), Some((raw_n, n))) => {
                let loc = match same_bare_ref(raw_o, raw_n) {
                    Some(shared) => loc.entering(shared),
                    None => loc,
                };
                compare_parameter(old_doc, new_doc, o, n, &loc, sink)
            }
            (Some((_, o)), None) => {
                let (rule, why) = sink
                    .policy()
                    .removal(old_doc, o, Rule::RequestParameterRemoved);
                let message = format!("{location} parameter `{name}` removed{why}");
                sink.emit(rule, dir, &loc, message)
            }
            (None, Some((_, n))) => {
                let (rule, kind) = if is_required(n) {
                    (Rule::RequestParameterAddedRequired, "required")
                } else {
                    (Rule::RequestParameterAddedOptional, "optional")
                };
                sink.emit(
                    rule,
                    dir,
                    &loc,
                    format!("{kind} {location} parameter `{name}` added"),
                );
            }
            (None, None) => {}
        }
    }
}

/// The parameters an operation takes, path-item ones overridden by its own,
/// keyed by (in, name), each as written and resolved; old path parameter
/// names are mapped to their new names.
fn parameters<'a>(
    doc: &'a Doc,
    op: &Operation<'a>,
    renames: &[(&str, &str)],
) -> BTreeMap<Key, (&'a Value, &'a Map<String, Value>)> {
    let listed = [op.item.get("parameters"), op.op.get("parameters")];
    let mut found = BTreeMap::new();
    for parameter in listed
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
    {
        let written = parameter;
        let parameter = object(doc.resolve(parameter).value);
        let text = |key: &str| {
            parameter
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let (location, mut name) = (text("in"), text("name"));
        if location == "path" {
            if let Some((_, after)) = renames.iter().find(|(before, _)| *before == name) {
                name = after;
            }
        }
        found.insert((location.to_owned(), name.to_owned()), (written, parameter));
    }
    found
}

fn is_required(parameter: &Map<String, Value>) -> bool {
    parameter
        .get("required")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// A serialization keyword with its default applied: `style` is `form` for
/// query and cookie parameters and `simple` for path and header ones;
/// `explode` is true for the `form` style only; the rest default to false.
fn serialization(parameter: &Map<String, Value>, key: &str) -> Value {
    let style = || match parameter.get("style") {
        Some(style) => style.clone(),
        None => match parameter.get("in").and_then(Value::as_str) {
            Some("query" | "cookie") => Value::from("form"),
            _ => Value::from("simple"),
        },
    };
    match (key, parameter.get(key)) {
        (_, Some(value)) => value.clone(),
        ("style", None) => style(),
        ("explode", None) => Value::Bool(style() == "form"),
        _ => Value::Bool(false),
    }
}

fn compare_parameter(
    old_doc: &Doc,
    new_doc: &Doc,
    whole_old: &Map<String, Value>,
    whole_new: &Map<String, Value>,
    loc: &Loc,
    sink: &mut Sink,
) {
    let dir = Some(Direction::Request);
    let keys = Keys::new(whole_old, whole_new);
    // `name` and `in` are what paired the two.
    keys.take("name");
    keys.take("in");
    let (o, n) = keys.take_only(&["required", "deprecated"]);
    let (o, n) = (&o, &n);
    match (is_required(o), is_required(n)) {
        (false, true) => sink.emit(
            Rule::RequestParameterBecameRequired,
            dir,
            &loc.join("required"),
            "parameter became required",
        ),
        (true, false) => sink.emit(
            Rule::RequestParameterBecameOptional,
            dir,
            &loc.join("required"),
            "parameter became optional",
        ),
        _ => {}
    }
    let deprecated = |m: &Map<String, Value>| {
        m.get("deprecated")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    if deprecated(o) != deprecated(n) {
        let (rule, message) = match sink.policy().too_soon(new_doc, whole_new) {
            Some(why) => (Rule::SunsetTooSoon, format!("parameter {why}")),
            None if deprecated(n) => (
                Rule::DeprecatedAdded,
                describe("deprecated", o.get("deprecated"), n.get("deprecated")),
            ),
            None => (
                Rule::DeprecatedRemoved,
                describe("deprecated", o.get("deprecated"), n.get("deprecated")),
            ),
        };
        sink.emit(rule, dir, &loc.join("deprecated"), message);
    }
    for &key in SERIALIZATION {
        let (before, after) = keys.take(key);
        // The defaults depend on `in` and `style`, read whole.
        if serialization(whole_old, key) != serialization(whole_new, key) {
            sink.emit(
                Rule::RequestParameterStyleChanged,
                dir,
                &loc.join(key),
                describe(key, before, after),
            );
        }
    }
    let mut cmp = SchemaCmp::for_parameter(old_doc, new_doc);
    match keys.take("schema") {
        (Some(a), Some(b)) => cmp.compare(a, b, &loc.join("schema"), sink),
        (None, None) => {}
        (a, b) => sink.emit(
            Rule::TypeChanged,
            dir,
            &loc.join("schema"),
            describe("schema", a, b),
        ),
    }
    // A parameter may carry `content` (one media type) instead of `schema`:
    // its value is then that media type's encoding, JSON included, so it
    // may be null. A different media type is a different serialization.
    let (old_content, new_content) = keys.take_objects("content");
    if !old_content.is_empty() || !new_content.is_empty() {
        let mut cmp = SchemaCmp::new(old_doc, new_doc, Direction::Request);
        let media = MediaRules {
            added: Rule::RequestParameterStyleChanged,
            removed: Rule::RequestParameterStyleChanged,
        };
        compare_content(&mut cmp, old_content, new_content, &media, loc, sink);
    }
    keys.rest(dir, loc, sink);
}

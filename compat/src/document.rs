//! What lies outside operations: info, servers, tags, path items,
//! components (additions, removals, renames, unused ones), security schemes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::generic::Keys;
use crate::lifecycle::Policy;
use crate::operation::{operations, path_shape, METHODS};
use crate::report::Change;
use crate::resolve::{object, strip_docs, union_keys, Doc};
use crate::rules::Rule;
use crate::security;
use crate::sink::{Loc, Sink};

/// Every document-level change.
pub(crate) fn compare_document(old: &Doc, new: &Doc, policy: Policy) -> Vec<Change> {
    let mut sink = Sink::new(None, policy);
    let root = Loc::default();
    let keys = Keys::new(object(old.root()), object(new.root()));
    // The format version (`openapi`, `jsonSchemaDialect`) is not a change
    // to the API: what a new version changes in meaning is compared below.
    keys.cover(|k| k == "openapi" || k == "jsonSchemaDialect");
    let (old_info, new_info) = keys.take_objects("info");
    let info = Keys::new(old_info, new_info);
    // info.version is the release's name, not a change to it.
    info.cover(|k| k == "version");
    info.rest(None, &root.join("info"), &mut sink);
    // Operations are compared in operation.rs; here what path items hold besides.
    for key in ["paths", "webhooks"] {
        let (before, after) = keys.take_objects(key);
        compare_path_items(key, before, after, &mut sink);
    }
    let (old_components, new_components) = keys.take_objects("components");
    compare_components(old, new, (old_components, new_components), &mut sink);
    keys.take("security");
    compare_global_security(old, new, &mut sink);
    keys.rest(None, &root, &mut sink);
    sink.into_changes()
}

/// Path-item keys (of `paths` or `webhooks`) other than operations and
/// parameters (which operations inherit and report): summary, description,
/// servers, extensions.
fn compare_path_items(
    key: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    sink: &mut Sink,
) {
    let by_shape = |paths: &Map<String, Value>| -> BTreeMap<String, (String, Value)> {
        paths
            .iter()
            .map(|(path, item)| (path_shape(path), (path.clone(), item.clone())))
            .collect()
    };
    let (before, after) = (by_shape(old), by_shape(new));
    for (shape, (_, item)) in &before {
        if let Some((path, new_item)) = after.get(shape) {
            let loc = Loc::default().join(key).join(path.as_str());
            let keys = Keys::new(object(item), object(new_item));
            keys.cover(|k| METHODS.contains(&k) || k == "parameters");
            keys.rest(None, &loc, sink);
        }
    }
}

fn compare_components(
    old: &Doc,
    new: &Doc,
    (oc, nc): (&Map<String, Value>, &Map<String, Value>),
    sink: &mut Sink,
) {
    let mut reachable = old.reachable_refs();
    reachable.extend(new.reachable_refs());
    let loc = Loc::default().join("components");
    let keys = Keys::new(oc, nc);
    let kinds: Vec<&str> = union_keys(oc, nc)
        .into_iter()
        .filter(|k| !k.starts_with("x-"))
        .collect();
    for &kind in &kinds {
        let (before, after) = keys.take_objects(kind);
        if kind == "securitySchemes" {
            security::compare_schemes(before, after, &loc.join(kind), sink);
        } else {
            compare_kind(kind, before, after, &reachable, &loc.join(kind), sink);
        }
    }
    keys.rest(None, &loc, sink);
}

/// One kind of component (`schemas`, `responses`, ...). Components that an
/// operation reaches are compared there, in context; here only their
/// appearance, disappearance and renaming, and changes to unused ones.
fn compare_kind(
    kind: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    reachable: &BTreeSet<String>,
    loc: &Loc,
    sink: &mut Sink,
) {
    let mut removed: Vec<&str> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .map(String::as_str)
        .collect();
    let mut added: Vec<&str> = new
        .keys()
        .filter(|k| !old.contains_key(*k))
        .map(String::as_str)
        .collect();
    if kind == "schemas" {
        // A schema that vanished while an identical one appeared was renamed.
        removed.retain(|&before| {
            let shape = strip_docs(&old[before]);
            let Some(pos) = added
                .iter()
                .position(|after| strip_docs(&new[*after]) == shape)
            else {
                return true;
            };
            let after = added.remove(pos);
            let message = format!("schema `{before}` renamed to `{after}`");
            sink.emit(Rule::SchemaRenamed, None, &loc.join(after), message);
            false
        });
    }
    for name in removed {
        sink.emit(
            Rule::ComponentRemoved,
            None,
            &loc.join(name),
            format!("{kind} component `{name}` removed"),
        );
    }
    for name in added {
        sink.emit(
            Rule::ComponentAdded,
            None,
            &loc.join(name),
            format!("{kind} component `{name}` added"),
        );
    }
    for (name, before) in old {
        let Some(after) = new.get(name).filter(|after| *after != before) else {
            continue;
        };
        if reachable.contains(&format!("#/components/{kind}/{name}")) {
            continue;
        }
        let (rule, what) = if strip_docs(before) == strip_docs(after) {
            (Rule::DocumentationChanged, "documentation changed")
        } else {
            (Rule::ComponentChanged, "changed")
        };
        let message = format!("{kind} component `{name}` (used by no operation): {what}");
        sink.emit(rule, None, &loc.join(name.as_str()), message);
    }
}

/// The global `security` is compared per operation, as each one's effective
/// requirement; it only needs reporting here when no operation inherits it.
fn compare_global_security(old: &Doc, new: &Doc, sink: &mut Sink) {
    let (before, after) = (old.root().get("security"), new.root().get("security"));
    if before == after {
        return;
    }
    let inherits = |doc: &Doc| {
        operations(doc)
            .values()
            .any(|op| !op.op.contains_key("security"))
    };
    if !inherits(old) && !inherits(new) {
        let message = "global security changed, but every operation overrides it";
        sink.emit(
            Rule::UnclassifiedChange,
            None,
            &Loc::default().join("security"),
            message,
        );
    }
}

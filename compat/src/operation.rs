//! Operations: matching them across documents by path shape and method, and
//! comparing what is not a parameter or response (identity, request body,
//! security).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::generic::{describe, Keys};
use crate::lifecycle::{deprecated, Policy};
use crate::parameter;
use crate::report::{Change, OperationRef};
use crate::resolve::{object, same_bare_ref, union_keys, Doc};
use crate::response;
use crate::rules::{Direction, Rule};
use crate::schema::SchemaCmp;
use crate::security;
use crate::sink::{Loc, Sink};

/// The HTTP methods a path item may hold, in OpenAPI's order.
pub(crate) const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of a document, with what it inherits from its path item.
pub(crate) struct Operation<'a> {
    /// The path template, or `webhooks/NAME` for a webhook.
    pub(crate) path: String,
    /// A webhook (3.1): the API sends its request and the consumer its
    /// responses, so their schemas are judged in the opposite directions.
    pub(crate) webhook: bool,
    pub(crate) method: &'a str,
    pub(crate) item: &'a Map<String, Value>,
    pub(crate) op: &'a Map<String, Value>,
}

impl Operation<'_> {
    fn reference(&self) -> OperationRef {
        OperationRef {
            method: self.method.to_uppercase(),
            path: self.path.clone(),
            operation_id: self
                .op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}

/// A path with its parameter names erased: `/users/{id}` and
/// `/users/{user_id}` are the same URL.
pub(crate) fn path_shape(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The parameter names of a path template, in order.
pub(crate) fn path_parameter_names(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// The operations of a document, keyed by (path shape, method).
pub(crate) fn operations(doc: &Doc) -> BTreeMap<(String, &str), Operation<'_>> {
    all_operations(doc).0
}

/// The operations keyed by (path shape, method), and those that share a
/// shape and method with an earlier path (`/a/{x}` and `/a/{y}`), which an
/// OpenAPI document should not have: they cannot be matched up.
#[allow(clippy::type_complexity)]
fn all_operations(doc: &Doc) -> (BTreeMap<(String, &str), Operation<'_>>, Vec<Operation<'_>>) {
    let mut found = BTreeMap::new();
    let mut shadowed = Vec::new();
    let items = |key| object(doc.root().get(key).unwrap_or(&Value::Null)).iter();
    let paths = items("paths").map(|(path, item)| (path.clone(), path_shape(path), item, false));
    // Webhooks are keyed by name: no path, no parameters in it.
    let webhooks = items("webhooks").map(|(name, item)| {
        let path = format!("webhooks/{name}");
        (path.clone(), path, item, true)
    });
    for (path, shape, item, webhook) in paths.chain(webhooks) {
        let item = object(doc.resolve(item).value);
        for &method in METHODS {
            if let Some(Value::Object(op)) = item.get(method) {
                let operation = Operation {
                    path: path.clone(),
                    webhook,
                    method,
                    item,
                    op,
                };
                match found.entry((shape.clone(), method)) {
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        slot.insert(operation);
                    }
                    std::collections::btree_map::Entry::Occupied(_) => shadowed.push(operation),
                }
            }
        }
    }
    (found, shadowed)
}

/// Operations another path of the same shape hides: they are not compared,
/// so each one that differs between the documents (or exists in one only)
/// is reported rather than dropped.
fn compare_shadowed(old: &Doc, new: &Doc, changes: &mut Vec<Change>) {
    let (old_hidden, new_hidden) = (all_operations(old).1, all_operations(new).1);
    let content = |op: &Operation<'_>| (op.item.get("parameters").cloned(), op.op.clone());
    let sides = [(&old_hidden, &new_hidden), (&new_hidden, &old_hidden)];
    for (index, (these, others)) in sides.into_iter().enumerate() {
        for op in these.iter() {
            let mine = Some(content(op));
            let theirs = others
                .iter()
                .find(|o| o.path == op.path && o.method == op.method)
                .map(content);
            // Report a pair once, from the old side; a one-sided one from its side.
            if mine == theirs || (index == 1 && theirs.is_some()) {
                continue;
            }
            let mut sink = Sink::new(Some(op.reference()), Policy::strict());
            let message = format!(
                "path `{}` has the same shape as another path: this operation is not compared",
                op.path
            );
            sink.emit(Rule::UnclassifiedChange, None, &Loc::default(), message);
            changes.extend(sink.into_changes());
        }
    }
}

/// Every operation-level change.
pub(crate) fn compare_operations(old: &Doc, new: &Doc, policy: Policy) -> Vec<Change> {
    let (old_ops, new_ops) = (operations(old), operations(new));
    let keys: BTreeSet<_> = old_ops.keys().chain(new_ops.keys()).collect();
    let mut changes = Vec::new();
    compare_shadowed(old, new, &mut changes);
    for key in keys {
        let (rule, op) = match (old_ops.get(key), new_ops.get(key)) {
            (Some(o), Some(n)) => {
                changes.extend(compare_operation(old, new, o, n, policy));
                continue;
            }
            (Some(o), None) => (Rule::OperationRemoved, o),
            (None, Some(n)) => (Rule::OperationAdded, n),
            (None, None) => continue,
        };
        let (rule, message) = if rule == Rule::OperationAdded {
            (rule, "operation added".to_owned())
        } else {
            let (rule, why) = policy.removal(old, op.op, rule);
            (rule, format!("operation removed{why}"))
        };
        let mut sink = Sink::new(Some(op.reference()), policy);
        sink.emit(rule, None, &Loc::default(), message);
        changes.extend(sink.into_changes());
    }
    changes
}

fn compare_operation(
    old_doc: &Doc,
    new_doc: &Doc,
    old: &Operation<'_>,
    new: &Operation<'_>,
    policy: Policy,
) -> Vec<Change> {
    let mut sink = Sink::new(Some(new.reference()), policy);
    let root = Loc::default();
    let keys = Keys::new(old.op, new.op);
    let (before, after) = keys.take("operationId");
    if before != after {
        let message = format!(
            "operationId changed from {} to {}",
            before.unwrap_or(&Value::Null),
            after.unwrap_or(&Value::Null)
        );
        sink.emit(
            Rule::OperationIdChanged,
            None,
            &root.join("operationId"),
            message,
        );
    }
    let (o, n) = keys.take_only(&["deprecated"]);
    if deprecated(&o) != deprecated(&n) {
        // The sunset date is read from the whole operation.
        let (rule, message) = match policy.too_soon(new_doc, keys.whole().1) {
            Some(why) => (Rule::SunsetTooSoon, format!("operation {why}")),
            None if deprecated(&n) => (Rule::DeprecatedAdded, "operation deprecated".to_owned()),
            None => (
                Rule::DeprecatedRemoved,
                "operation no longer deprecated".to_owned(),
            ),
        };
        sink.emit(rule, None, &root.join("deprecated"), message);
    }
    let renames = path_renames(&old.path, &new.path);
    for (before, after) in &renames {
        let loc = root.join("parameters").join("path").join(*after);
        sink.emit(
            Rule::PathParameterRenamed,
            None,
            &loc,
            format!("path parameter `{before}` renamed to `{after}`"),
        );
    }
    keys.take("parameters");
    parameter::compare(old_doc, new_doc, old, new, &renames, &mut sink);
    // A webhook's request is read by the consumer, its responses written by it.
    let (request, response) = if new.webhook {
        (Direction::Response, Direction::Request)
    } else {
        (Direction::Request, Direction::Response)
    };
    compare_exchange(
        old_doc,
        new_doc,
        &keys,
        (request, response),
        &root,
        &mut sink,
    );
    let (old_callbacks, new_callbacks) = keys.take_objects("callbacks");
    compare_callbacks(
        (old_doc, old_callbacks),
        (new_doc, new_callbacks),
        &root.join("callbacks"),
        &mut sink,
    );
    keys.take("security");
    security::compare_requirements(
        effective_security(old_doc, old.op),
        effective_security(new_doc, new.op),
        &root.join("security"),
        &mut sink,
    );
    keys.rest(None, &root, &mut sink);
    sink.into_changes()
}

/// Path parameters whose name changed at the same position.
fn path_renames<'a>(old: &'a str, new: &'a str) -> Vec<(&'a str, &'a str)> {
    path_parameter_names(old)
        .into_iter()
        .zip(path_parameter_names(new))
        .filter(|(a, b)| a != b)
        .collect()
}

/// An operation's own `security`, else the document's.
pub(crate) fn effective_security<'a>(
    doc: &'a Doc,
    op: &'a Map<String, Value>,
) -> Option<&'a Value> {
    op.get("security").or_else(|| doc.root().get("security"))
}

/// An operation's request body and responses (taken from `keys`), their
/// schemas judged in the given (request, response) directions.
fn compare_exchange(
    old_doc: &Doc,
    new_doc: &Doc,
    keys: &Keys<'_>,
    (request, response): (Direction, Direction),
    base: &Loc,
    sink: &mut Sink,
) {
    let (old_body, new_body) = keys.take("requestBody");
    let cmp = SchemaCmp::new(old_doc, new_doc, request);
    compare_body(cmp, old_body, new_body, base, sink);
    let (old_responses, new_responses) = keys.take_objects("responses");
    let cmp = SchemaCmp::new(old_doc, new_doc, response);
    response::compare(cmp, old_responses, new_responses, base, sink);
}

/// Callbacks: requests the API makes to the consumer, compared like
/// webhooks (their request read by the consumer, their responses written
/// by it) under the operation that registers them.
fn compare_callbacks(
    (old_doc, old): (&Doc, &Map<String, Value>),
    (new_doc, new): (&Doc, &Map<String, Value>),
    loc: &Loc,
    sink: &mut Sink,
) {
    let resolved = |doc: &Doc, map: &Map<String, Value>, key: &str| {
        map.get(key).map(|v| object(doc.resolve(v).value).clone())
    };
    for name in union_keys(old, new) {
        let cloc = loc.join(name);
        let (o, n) = match (resolved(old_doc, old, name), resolved(new_doc, new, name)) {
            (Some(o), Some(n)) => (o, n),
            (Some(_), None) => {
                sink.emit(
                    Rule::OperationRemoved,
                    None,
                    &cloc,
                    format!("callback {name} removed"),
                );
                continue;
            }
            (None, Some(_)) => {
                sink.emit(
                    Rule::OperationAdded,
                    None,
                    &cloc,
                    format!("callback {name} added"),
                );
                continue;
            }
            (None, None) => continue,
        };
        for expression in union_keys(&o, &n) {
            let eloc = cloc.join(expression);
            let item = |doc: &Doc, map: &Map<String, Value>| {
                map.get(expression)
                    .map(|v| object(doc.resolve(v).value).clone())
            };
            let (old_item, new_item) = (
                item(old_doc, &o).unwrap_or_default(),
                item(new_doc, &n).unwrap_or_default(),
            );
            let items = Keys::new(&old_item, &new_item);
            for &method in METHODS {
                let mloc = eloc.join(method);
                match items.take(method) {
                    (Some(a), Some(b)) => {
                        let keys = Keys::new(object(a), object(b));
                        let directions = (Direction::Response, Direction::Request);
                        compare_exchange(old_doc, new_doc, &keys, directions, &mloc, sink);
                        keys.rest(None, &mloc, sink);
                    }
                    (Some(_), None) => sink.emit(
                        Rule::OperationRemoved,
                        None,
                        &mloc,
                        format!("callback {name} {} removed", method.to_uppercase()),
                    ),
                    (None, Some(_)) => sink.emit(
                        Rule::OperationAdded,
                        None,
                        &mloc,
                        format!("callback {name} {} added", method.to_uppercase()),
                    ),
                    (None, None) => {}
                }
            }
            items.rest(None, &eloc, sink);
        }
    }
}

fn compare_body(
    mut cmp: SchemaCmp<'_>,
    old: Option<&Value>,
    new: Option<&Value>,
    base: &Loc,
    sink: &mut Sink,
) {
    let (old_doc, new_doc) = cmp.docs();
    let mut loc = base.join("requestBody");
    if let Some(shared) = old.zip(new).and_then(|(o, n)| same_bare_ref(o, n)) {
        loc = loc.entering(shared);
    }
    let is_required = |body: &Map<String, Value>| {
        body.get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let dir = Some(Direction::Request);
    let (o, n) = match (old, new) {
        (None, None) => return,
        (Some(_), None) => {
            return sink.emit(Rule::RequestBodyRemoved, dir, &loc, "request body removed")
        }
        (None, Some(body)) => {
            let rule = if is_required(object(new_doc.resolve(body).value)) {
                Rule::RequestBodyAddedRequired
            } else {
                Rule::RequestBodyAddedOptional
            };
            return sink.emit(rule, dir, &loc, "request body added");
        }
        (Some(o), Some(n)) => (
            object(old_doc.resolve(o).value),
            object(new_doc.resolve(n).value),
        ),
    };
    let keys = Keys::new(o, n);
    let (o_required, n_required) = keys.take_only(&["required"]);
    match (is_required(&o_required), is_required(&n_required)) {
        (false, true) => sink.emit(
            Rule::RequestBodyBecameRequired,
            dir,
            &loc.join("required"),
            "request body became required",
        ),
        (true, false) => sink.emit(
            Rule::RequestBodyBecameOptional,
            dir,
            &loc.join("required"),
            "request body became optional",
        ),
        _ => {}
    }
    let media = MediaRules {
        added: Rule::RequestMediaTypeAdded,
        removed: Rule::RequestMediaTypeRemoved,
    };
    let (old_content, new_content) = keys.take_objects("content");
    compare_content(&mut cmp, old_content, new_content, &media, &loc, sink);
    keys.rest(dir, &loc, sink);
}

/// The rules for media types appearing and disappearing in one direction.
pub(crate) struct MediaRules {
    pub(crate) added: Rule,
    pub(crate) removed: Rule,
}

/// Compares `content` maps: media types by name, then their schemas.
pub(crate) fn compare_content(
    cmp: &mut SchemaCmp<'_>,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    rules: &MediaRules,
    loc: &Loc,
    sink: &mut Sink,
) {
    let loc = loc.join("content");
    for media_type in union_keys(old, new) {
        let mloc = loc.join(media_type);
        let (o, n) = match (old.get(media_type), new.get(media_type)) {
            (Some(o), Some(n)) => (object(o), object(n)),
            (Some(_), None) => {
                cmp.emit(
                    sink,
                    rules.removed,
                    &mloc,
                    format!("media type {media_type} removed"),
                );
                continue;
            }
            (None, Some(_)) => {
                cmp.emit(
                    sink,
                    rules.added,
                    &mloc,
                    format!("media type {media_type} added"),
                );
                continue;
            }
            (None, None) => continue,
        };
        let keys = Keys::new(o, n);
        match keys.take("schema") {
            (Some(a), Some(b)) => cmp.compare(a, b, &mloc.join("schema"), sink),
            (None, None) => {}
            // A schema appearing or vanishing is a type change from or to "anything".
            (a, b) => cmp.emit(
                sink,
                Rule::TypeChanged,
                &mloc.join("schema"),
                describe("schema", a, b),
            ),
        }
        keys.rest(Some(cmp.direction()), &mloc, sink);
    }
}

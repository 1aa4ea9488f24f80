//! Schemas as the comparison sees them: `$ref`s followed, and `allOf`s that
//! only wrap or combine plain objects flattened, so that a refactoring into
//! components is not mistaken for a change.

use serde_json::{Map, Value};

use crate::resolve::{is_doc_key, object, Doc};

/// Guards `allOf` flattening against schemas that contain themselves.
const MAX_VIEW_DEPTH: usize = 16;

/// A schema as compared: `$ref`s followed and simple `allOf`s flattened.
pub(crate) struct View {
    pub(crate) map: Map<String, Value>,
    pub(crate) reference: Option<String>,
}

/// Keys that may sit beside a lone `allOf` member without changing what it
/// means: generators wrap a `$ref` this way to attach docs or `nullable`.
fn is_wrapper_key(key: &str) -> bool {
    is_doc_key(key)
        || key.starts_with("x-")
        || matches!(
            key,
            "allOf" | "nullable" | "default" | "readOnly" | "writeOnly" | "deprecated"
        )
}

/// The view of a schema: its `$ref`s followed and simple `allOf`s flattened.
pub(crate) fn view(doc: &Doc, value: &Value, depth: usize) -> View {
    let resolved = doc.resolve(value);
    let mut map = object(resolved.value).clone();
    let mut reference = resolved.reference.map(str::to_owned);
    let Some(members) = map.get("allOf").and_then(Value::as_array).cloned() else {
        return View { map, reference };
    };
    if depth >= MAX_VIEW_DEPTH {
        return View { map, reference };
    }
    let base = if members.len() == 1 && map.keys().all(|k| is_wrapper_key(k)) {
        let inner = view(doc, &members[0], depth + 1);
        reference = reference.or(inner.reference);
        let mut inner = inner.map;
        // Keys the wrapper shadows still differ in the document: keep them
        // under their real location so the catch-all reports them.
        let shadowed: Vec<String> = inner
            .keys()
            .filter(|k| map.contains_key(*k) && *k != "allOf")
            .cloned()
            .collect();
        for key in shadowed {
            if let Some(value) = inner.remove(&key) {
                inner.insert(format!("allOf/0/{key}"), value);
            }
        }
        Some(inner)
    } else {
        merge_all_of(doc, &members, depth)
    };
    if let Some(mut merged) = base {
        map.remove("allOf");
        // The wrapper's own keys (docs, nullable) win over the member's.
        merged.extend(map);
        map = merged;
    }
    View { map, reference }
}

/// Flattens an `allOf` of plain object schemas into one object; `None` when
/// the members are not that simple (they are then compared by position).
fn merge_all_of(doc: &Doc, members: &[Value], depth: usize) -> Option<Map<String, Value>> {
    let mut merged = Map::new();
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for member in members {
        let member = view(doc, member, depth + 1).map;
        let composite = ["allOf", "oneOf", "anyOf", "not"]
            .iter()
            .any(|k| member.contains_key(*k));
        let object_like = member.get("type").is_none_or(|t| t == "object");
        if composite || !object_like {
            return None;
        }
        for (key, value) in member {
            match key.as_str() {
                "properties" => {
                    for (name, schema) in object(&value) {
                        // A property several members define must satisfy
                        // each definition: merging would keep only one, so
                        // the members are compared one by one instead.
                        if properties.insert(name.clone(), schema.clone()).is_some() {
                            return None;
                        }
                    }
                }
                "required" => {
                    for name in value.as_array().into_iter().flatten() {
                        if !required.contains(name) {
                            required.push(name.clone());
                        }
                    }
                }
                _ if is_doc_key(&key) => {
                    merged.entry(key).or_insert(value);
                }
                _ => match merged.get(&key) {
                    Some(existing) if *existing != value => return None,
                    _ => {
                        merged.insert(key, value);
                    }
                },
            }
        }
    }
    merged.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        merged.insert("required".into(), Value::Array(required));
    }
    Some(merged)
}

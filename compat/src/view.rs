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

/// The view of a schema: its `$ref`s followed, simple `allOf`s flattened,
/// and JSON Schema 2020-12 spellings (OpenAPI 3.1) read as their 3.0 ones.
pub(crate) fn view(doc: &Doc, value: &Value, depth: usize) -> View {
    // A `$ref` with siblings (3.1) means both: the target and the siblings,
    // as a wrapper around the target would say it.
    if let Some(with_siblings) = value
        .as_object()
        .filter(|m| m.len() > 1 && m.contains_key("$ref") && depth < MAX_VIEW_DEPTH)
    {
        let mut wrapper: Map<String, Value> = with_siblings
            .iter()
            .filter(|(k, _)| *k != "$ref")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let target = serde_json::json!({"$ref": with_siblings["$ref"]});
        match wrapper.get_mut("allOf") {
            Some(Value::Array(members)) => members.insert(0, target),
            _ => {
                wrapper.insert("allOf".into(), Value::Array(vec![target]));
            }
        }
        return view(doc, &Value::Object(wrapper), depth + 1);
    }
    let resolved = doc.resolve(value);
    let mut map = object(resolved.value).clone();
    normalize(&mut map);
    if depth < MAX_VIEW_DEPTH {
        enum_of_alternatives(doc, &mut map, depth);
    }
    let mut reference = resolved.reference.map(str::to_owned);
    let Some(members) = map.get("allOf").and_then(Value::as_array).cloned() else {
        return View { map, reference };
    };
    if depth >= MAX_VIEW_DEPTH {
        return View { map, reference };
    }
    let base = if members.len() == 1 {
        let inner = view(doc, &members[0], depth + 1);
        // A key both the wrapper and the member constrain (not docs or
        // flags) holds twice: compared member by member instead.
        let conflict = map
            .iter()
            .any(|(k, v)| !is_wrapper_key(k) && inner.map.get(k).is_some_and(|inner| inner != v));
        if conflict {
            None
        } else {
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
        }
    } else {
        merge_all_of(doc, &members, depth)
    };
    if let Some(mut merged) = base {
        map.remove("allOf");
        // The wrapper's own keys (docs, nullable, constraints) win over the member's.
        merged.extend(map);
        map = merged;
    }
    View { map, reference }
}

/// A `oneOf` or `anyOf` whose members each allow one value (`const`, or a
/// one-value `enum`, with at most a type and docs beside) is that `enum`:
/// the two spellings are equal. The members' docs (a title per value) are
/// not compared.
fn enum_of_alternatives(doc: &Doc, map: &mut Map<String, Value>, depth: usize) {
    if map.contains_key("enum") {
        return;
    }
    for key in ["oneOf", "anyOf"] {
        let Some(members) = map.get(key).and_then(Value::as_array) else {
            continue;
        };
        let mut values = Vec::new();
        let mut types = Vec::new();
        for member in members {
            let member = view(doc, member, depth + 1).map;
            let plain = member.keys().all(|k| {
                matches!(k.as_str(), "enum" | "type") || is_doc_key(k) || k.starts_with("x-")
            });
            match member.get("enum").and_then(Value::as_array) {
                Some(one) if plain && one.len() == 1 => values.push(one[0].clone()),
                _ => return,
            }
            types.push(member.get("type").cloned());
        }
        if values.is_empty() {
            return;
        }
        map.remove(key);
        map.insert("enum".into(), Value::Array(values));
        if let Some(Some(ty)) = types.first().filter(|t| types.iter().all(|u| u == *t)) {
            map.entry("type").or_insert(ty.clone());
        }
        return;
    }
}

/// Reads JSON Schema 2020-12 keywords (OpenAPI 3.1) as their OpenAPI 3.0
/// equivalents, so that a 3.0 document compares with its 3.1 successor:
/// `type: [T, "null"]` is `type: T, nullable: true`, `const: v` is
/// `enum: [v]`, a numeric `exclusiveMinimum: n` is `minimum: n` with
/// `exclusiveMinimum: true` (likewise for maximum).
fn normalize(map: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = map.get("type") {
        let mut types: Vec<Value> = types.clone();
        if types.iter().any(|t| t == "null") {
            types.retain(|t| t != "null");
            map.insert("nullable".into(), Value::Bool(true));
        }
        types.sort_by_key(Value::to_string);
        types.dedup();
        match types.len() {
            // Only null: a nullable schema that allows nothing else.
            0 => map.insert("type".into(), Value::Array(types)),
            1 => map.insert("type".into(), types.remove(0)),
            _ => map.insert("type".into(), Value::Array(types)),
        };
    }
    if let Some(value) = map.remove("const") {
        map.entry("enum").or_insert(Value::Array(vec![value]));
    }
    for (exclusive, bound, tighter) in [
        ("exclusiveMinimum", "minimum", std::cmp::Ordering::Greater),
        ("exclusiveMaximum", "maximum", std::cmp::Ordering::Less),
    ] {
        let Some(limit) = map.get(exclusive).and_then(Value::as_f64) else {
            continue;
        };
        let inclusive = map.get(bound).and_then(Value::as_f64);
        // With both, the tighter one holds (an equal one makes it exclusive).
        let exclusive_wins = inclusive.is_none_or(|b| {
            limit
                .partial_cmp(&b)
                .is_some_and(|o| o == tighter || o.is_eq())
        });
        if exclusive_wins {
            map.insert(bound.into(), map[exclusive].clone());
            map.insert(exclusive.into(), Value::Bool(true));
        } else {
            map.remove(exclusive);
        }
    }
}

/// Flattens an `allOf` of plain schemas into one; `None` when the members
/// are not that simple (they are then compared by position).
fn merge_all_of(doc: &Doc, members: &[Value], depth: usize) -> Option<Map<String, Value>> {
    let mut merged = Map::new();
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for member in members {
        let member = view(doc, member, depth + 1).map;
        let composite = ["allOf", "oneOf", "anyOf", "not"]
            .iter()
            .any(|k| member.contains_key(*k));
        // Objects merge property by property; other members are compared one by one.
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

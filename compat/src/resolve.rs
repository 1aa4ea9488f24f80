//! The documents as JSON, with `$ref` resolution and reachability.
//!
//! Comparing JSON rather than a typed model lets every comparison see every
//! key, so nothing a typed model folds away (or a key no rule knows) can be
//! silently skipped.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::load::Document;

/// Follows at most this many `$ref`s in a row; a longer chain is a loop of
/// pure references, which has no meaning to resolve.
const MAX_REF_HOPS: usize = 32;

/// One document, as the comparison reads it.
pub(crate) type Doc = Document;

/// A value after following `$ref`s.
pub(crate) struct Resolved<'a> {
    /// The target, or the last `$ref` object when it could not be resolved.
    pub(crate) value: &'a Value,
    /// The last `$ref` followed (e.g. `#/components/schemas/User`).
    pub(crate) reference: Option<&'a str>,
}

impl Document {
    pub(crate) fn root(&self) -> &Value {
        &self.root
    }

    /// The target of a reference: local (`#/components/...`) or, as the
    /// loader rewrites them, external (`schemas/pet.yaml#/Pet`).
    pub(crate) fn target(&self, reference: &str) -> Option<&Value> {
        let (file, fragment) = reference.split_once('#')?;
        let base = if file.is_empty() {
            &self.root
        } else {
            self.externals.get(file)?
        };
        if fragment.contains('%') {
            base.pointer(&percent_decode(fragment))
        } else {
            base.pointer(fragment)
        }
    }

    pub(crate) fn resolve<'a>(&'a self, mut value: &'a Value) -> Resolved<'a> {
        let mut reference = None;
        for _ in 0..MAX_REF_HOPS {
            let Some(r) = ref_of(value) else { break };
            match self.target(r) {
                Some(target) => {
                    reference = Some(r);
                    value = target;
                }
                None => break,
            }
        }
        Resolved { value, reference }
    }

    /// Every `$ref` reachable from the operations, transitively.
    pub(crate) fn reachable_refs(&self) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut pending: Vec<&Value> = ["paths", "webhooks"]
            .iter()
            .filter_map(|key| self.root.get(*key))
            .collect();
        while let Some(value) = pending.pop() {
            let mut refs = Vec::new();
            collect_refs(value, &mut refs);
            for r in refs {
                if seen.insert(r.to_owned()) {
                    pending.extend(self.target(r));
                }
            }
        }
        seen
    }
}

/// Every `$ref` in a value, outside examples (which are data).
pub(crate) fn collect_refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r);
            }
            for (key, child) in map {
                if key != "example" && key != "examples" {
                    collect_refs(child, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The reference when both values are nothing but the same `$ref`: what
/// differs below lies in that shared component.
pub(crate) fn same_bare_ref<'v>(old: &'v Value, new: &Value) -> Option<&'v str> {
    let bare = |v: &Value| v.as_object().is_some_and(|m| m.len() == 1);
    let reference = ref_of(old)?;
    (bare(old) && bare(new) && ref_of(new) == Some(reference)).then_some(reference)
}

/// The `$ref` of a reference object.
pub(crate) fn ref_of(value: &Value) -> Option<&str> {
    value.get("$ref").and_then(Value::as_str)
}

/// What a reference names: the last segment of its pointer
/// (`#/components/schemas/User` → `User`), or its file for a whole-file one
/// (`schemas/pet.yaml#` → `schemas/pet.yaml`).
pub(crate) fn ref_name(reference: &str) -> &str {
    match reference.split_once('#') {
        Some((file, "" | "/")) => file,
        _ => reference.rsplit('/').next().unwrap_or(reference),
    }
}

/// A URI fragment with its `%XX` escapes decoded (`#/paths/~1pets%7Bid%7D`).
fn percent_decode(fragment: &str) -> String {
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Keys that only document: changing them never changes the wire.
pub(crate) fn is_doc_key(key: &str) -> bool {
    matches!(
        key,
        "description"
            | "summary"
            | "title"
            | "example"
            | "examples"
            | "externalDocs"
            | "tags"
            | "servers"
            | "contact"
            | "license"
            | "termsOfService"
    )
}

/// The value with documentation removed, for "same structure" checks.
/// Property names are data, so a property called `description` stays.
pub(crate) fn strip_docs(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| !is_doc_key(key))
                .map(|(key, v)| {
                    let v = if key == "properties" {
                        match v {
                            Value::Object(props) => Value::Object(
                                props
                                    .iter()
                                    .map(|(name, s)| (name.clone(), strip_docs(s)))
                                    .collect(),
                            ),
                            other => other.clone(),
                        }
                    } else {
                        strip_docs(v)
                    };
                    (key.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_docs).collect()),
        other => other.clone(),
    }
}

/// An empty object, for absent maps.
pub(crate) fn empty_object() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

/// The object behind a value, or an empty one.
pub(crate) fn object(value: &Value) -> &Map<String, Value> {
    match value.as_object() {
        Some(map) => map,
        None => empty_object(),
    }
}

/// The object under `key` of a map, or an empty one.
pub(crate) fn object_at<'m>(map: &'m Map<String, Value>, key: &str) -> &'m Map<String, Value> {
    map.get(key).map_or(empty_object(), object)
}

/// A short rendering of a value for messages.
pub(crate) fn brief(value: &Value) -> String {
    const MAX: usize = 60;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        text
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// The keys of two objects, each once, sorted.
pub(crate) fn union_keys<'a>(
    old: &'a Map<String, Value>,
    new: &'a Map<String, Value>,
) -> BTreeSet<&'a str> {
    old.keys().chain(new.keys()).map(String::as_str).collect()
}

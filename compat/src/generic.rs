//! The catch-all: keys a structured comparison does not handle are still
//! compared, so no difference is ever dropped.
//!
//! Comparisons read an object's keys through [`Keys`], which records every
//! key taken; a finding that covers keys it did not read marks them. What
//! nobody took goes to the fallback, so no key is dropped or reported twice
//! by construction.

use std::cell::RefCell;

use serde_json::{Map, Value};

use crate::resolve::{brief, is_doc_key, union_keys};
use crate::rules::{Direction, Rule};
use crate::sink::{Loc, Sink};

/// The keys of an old and a new object, each taken by the comparison that
/// judges it.
pub(crate) struct Keys<'m> {
    old: &'m Map<String, Value>,
    new: &'m Map<String, Value>,
    /// The keys taken or covered, borrowed from the objects (a key neither
    /// has cannot differ).
    taken: RefCell<Vec<&'m str>>,
}

impl<'m> Keys<'m> {
    pub(crate) fn new(old: &'m Map<String, Value>, new: &'m Map<String, Value>) -> Self {
        Keys {
            old,
            new,
            taken: RefCell::new(Vec::new()),
        }
    }

    /// Takes `key`: its old and new values.
    pub(crate) fn take(&self, key: &str) -> (Option<&'m Value>, Option<&'m Value>) {
        self.mark(key);
        (self.old.get(key), self.new.get(key))
    }

    fn mark(&self, key: &str) {
        let held = self
            .old
            .get_key_value(key)
            .or_else(|| self.new.get_key_value(key));
        if let Some((name, _)) = held {
            self.taken.borrow_mut().push(name);
        }
    }

    /// Takes `key` as an object on each side (empty when absent).
    pub(crate) fn take_objects(
        &self,
        key: &str,
    ) -> (&'m Map<String, Value>, &'m Map<String, Value>) {
        let (a, b) = self.take(key);
        (
            a.map_or(crate::resolve::empty_object(), crate::resolve::object),
            b.map_or(crate::resolve::empty_object(), crate::resolve::object),
        )
    }

    /// Takes `names` and gives the two objects with those keys only: a
    /// comparison handed them can read nothing else.
    pub(crate) fn take_only(&self, names: &[&str]) -> (Map<String, Value>, Map<String, Value>) {
        let pick = |map: &Map<String, Value>| -> Map<String, Value> {
            names
                .iter()
                .filter_map(|k| map.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                .collect()
        };
        for name in names {
            self.mark(name);
        }
        (pick(self.old), pick(self.new))
    }

    /// Marks the keys a finding covers without reading them (a type change
    /// covers the type's keywords).
    pub(crate) fn cover(&self, covered: impl Fn(&str) -> bool) {
        let keys = self.old.keys().chain(self.new.keys());
        let mut taken = self.taken.borrow_mut();
        taken.extend(keys.map(String::as_str).filter(|k| covered(k)));
    }

    /// Both objects whole, for a proof about the schema as a whole (it
    /// takes no key: each is still judged, or reported, on its own).
    pub(crate) fn whole(&self) -> (&'m Map<String, Value>, &'m Map<String, Value>) {
        (self.old, self.new)
    }

    /// Reports every key nobody took whose value differs, as
    /// [`compare_rest`] does.
    pub(crate) fn rest(self, direction: Option<Direction>, loc: &Loc, sink: &mut Sink) {
        let taken = self.taken.into_inner();
        compare_rest(self.old, self.new, &taken, direction, loc, sink);
    }
}

/// Reports every key outside `handled` whose value differs: documentation as
/// `documentation-changed`, `x-` keys as `extension-changed`, anything else
/// as `unclassified-change`.
fn compare_rest(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    handled: &[&str],
    direction: Option<Direction>,
    loc: &Loc,
    sink: &mut Sink,
) {
    for key in union_keys(old, new) {
        if handled.contains(&key) {
            continue;
        }
        let (before, after) = (old.get(key), new.get(key));
        if before == after {
            continue;
        }
        // A key may be a path (`allOf/0/description`): its last segment says what it is.
        let name = key.rsplit('/').next().unwrap_or(key);
        let rule = if is_doc_key(name) {
            Rule::DocumentationChanged
        } else if name.starts_with("x-") {
            Rule::ExtensionChanged
        } else {
            Rule::UnclassifiedChange
        };
        sink.emit(
            rule,
            direction,
            &loc.join(key),
            describe(key, before, after),
        );
    }
}

/// `description changed`, `x-foo added: 1`, `links removed`.
pub(crate) fn describe(key: &str, before: Option<&Value>, after: Option<&Value>) -> String {
    match (before, after) {
        (None, Some(v)) => format!("{key} added: {}", brief(v)),
        (Some(v), None) => format!("{key} removed (was {})", brief(v)),
        (Some(a), Some(b)) => format!("{key} changed from {} to {}", brief(a), brief(b)),
        (None, None) => format!("{key} unchanged"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_nobody_took_or_covered_goes_to_the_fallback_once() {
        let old = json!({"type": "string", "maxLength": 1, "description": "a", "x-k": 1, "odd": 1});
        let new =
            json!({"type": "integer", "maxLength": 2, "description": "b", "x-k": 2, "odd": 2});
        let (old, new) = (old.as_object().unwrap(), new.as_object().unwrap());
        let keys = Keys::new(old, new);
        assert_eq!(
            keys.take("type"),
            (Some(&json!("string")), Some(&json!("integer")))
        );
        keys.cover(|k| k == "maxLength");
        let mut sink = Sink::new(None, crate::lifecycle::Policy::strict());
        keys.rest(None, &Loc::default(), &mut sink);
        let found: Vec<(Rule, String)> = sink
            .into_changes()
            .into_iter()
            .map(|c| (c.rule, c.location))
            .collect();
        assert_eq!(
            found,
            [
                (Rule::DocumentationChanged, "description".to_owned()),
                (Rule::UnclassifiedChange, "odd".to_owned()),
                (Rule::ExtensionChanged, "x-k".to_owned()),
            ]
        );
    }
}

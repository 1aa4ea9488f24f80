//! The catch-all: keys a structured comparison does not handle are still
//! compared, so no difference is ever dropped.

use serde_json::{Map, Value};

use crate::resolve::{brief, is_doc_key, union_keys};
use crate::rules::{Direction, Rule};
use crate::sink::{Loc, Sink};

/// Reports every key outside `handled` whose value differs: documentation as
/// `documentation-changed`, `x-` keys as `extension-changed`, anything else
/// as `unclassified-change`.
pub(crate) fn compare_rest(
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

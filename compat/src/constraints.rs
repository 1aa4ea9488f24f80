//! Validation keywords (bounds, lengths, pattern, uniqueness, multipleOf):
//! each change is a tightening or a loosening, judged by direction.

use serde_json::{Map, Value};

use crate::generic::describe;
use crate::rules::{Direction, Rule};
use crate::schema::SchemaCmp;
use crate::sink::{Loc, Sink};

/// Every keyword [`compare`] judges.
pub(crate) const KEYS: &[&str] = &[
    "maxLength",
    "maximum",
    "maxItems",
    "maxProperties",
    "minLength",
    "minimum",
    "minItems",
    "minProperties",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "uniqueItems",
    "multipleOf",
    "pattern",
    "contains",
    "minContains",
    "maxContains",
    "patternProperties",
    "propertyNames",
    "dependentSchemas",
    "unevaluatedItems",
    "unevaluatedProperties",
];

/// JSON Schema keywords (3.1) that constrain values but are not reasoned
/// about: added, one tightens; removed, it loosens; changed, it fails
/// closed (breaking in its direction).
const OPAQUE: &[&str] = &[
    "contains",
    "minContains",
    "maxContains",
    "patternProperties",
    "propertyNames",
    "dependentSchemas",
    "unevaluatedItems",
    "unevaluatedProperties",
];
/// Keywords whose larger value allows more.
const UPPER_BOUNDS: &[&str] = &["maxLength", "maximum", "maxItems", "maxProperties"];
/// Keywords whose larger value allows less.
const LOWER_BOUNDS: &[&str] = &["minLength", "minimum", "minItems", "minProperties"];
/// Boolean keywords that restrict when true.
const FLAGS: &[&str] = &["exclusiveMinimum", "exclusiveMaximum", "uniqueItems"];

/// The constraint rule for a tightening (`true`) or loosening in this direction.
pub(crate) fn rule(cmp: &SchemaCmp<'_>, tightened: bool) -> Rule {
    match (cmp.direction(), tightened) {
        (Direction::Request, true) => Rule::RequestConstraintTightened,
        (Direction::Request, false) => Rule::RequestConstraintLoosened,
        (Direction::Response, true) => Rule::ResponseConstraintTightened,
        (Direction::Response, false) => Rule::ResponseConstraintLoosened,
    }
}

/// The breaking one of the two constraint rules, for changes that are
/// neither provably tighter nor looser (so they may be both).
fn unprovable(cmp: &SchemaCmp<'_>) -> Rule {
    rule(cmp, cmp.direction() == Direction::Request)
}

pub(crate) fn compare(
    cmp: &SchemaCmp<'_>,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    loc: &Loc,
    sink: &mut Sink,
) {
    let number = |map: &Map<String, Value>, key: &str| map.get(key).and_then(Value::as_f64);
    let mut report = |key: &str, rule: Rule| {
        cmp.emit(
            sink,
            rule,
            &loc.join(key),
            describe(key, old.get(key), new.get(key)),
        );
    };
    for (keys, larger_is_tighter) in [(UPPER_BOUNDS, false), (LOWER_BOUNDS, true)] {
        for &key in keys {
            let tightened = match (number(old, key), number(new, key)) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(a), Some(b)) if a != b => (b > a) == larger_is_tighter,
                _ => continue,
            };
            report(key, rule(cmp, tightened));
        }
    }
    for &key in FLAGS {
        let flag =
            |map: &Map<String, Value>| map.get(key).and_then(Value::as_bool).unwrap_or(false);
        if flag(old) != flag(new) {
            report(key, rule(cmp, flag(new)));
        }
    }
    let (before, after) = (number(old, "multipleOf"), number(new, "multipleOf"));
    if before != after {
        // Multiples of b are all multiples of a exactly when a divides b.
        let found = match (before, after) {
            (None, _) => rule(cmp, true),
            (_, None) => rule(cmp, false),
            (Some(a), Some(b)) if b % a == 0.0 => rule(cmp, true),
            (Some(a), Some(b)) if a % b == 0.0 => rule(cmp, false),
            _ => unprovable(cmp),
        };
        report("multipleOf", found);
    }
    for &key in OPAQUE {
        match (opaque(old, key), opaque(new, key)) {
            (None, Some(_)) => report(key, rule(cmp, true)),
            (Some(_), None) => report(key, rule(cmp, false)),
            (Some(a), Some(b)) if a != b => report(key, unprovable(cmp)),
            (None, None) if old.get(key) != new.get(key) => report(key, Rule::UnclassifiedChange),
            _ => {}
        }
    }
    // A pattern that matches everything is no pattern: relaxing one to
    // `.*` loosens, like dropping it.
    let (before, after) = (pattern(old), pattern(new));
    match (before, after) {
        (None, Some(_)) => report("pattern", rule(cmp, true)),
        (Some(_), None) => report("pattern", rule(cmp, false)),
        (Some(a), Some(b)) if a != b => report("pattern", Rule::PatternChanged),
        // Two spellings of "anything": no value changes, but it differs.
        (None, None) if old.get("pattern") != new.get("pattern") => {
            report("pattern", Rule::UnclassifiedChange)
        }
        _ => {}
    }
}

/// An opaque keyword's value, unless it allows everything (`true`, `{}`):
/// then it is the same as none.
fn opaque<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    map.get(key)
        .filter(|v| **v != Value::Bool(true) && v.as_object().is_none_or(|m| !m.is_empty()))
}

/// A schema's pattern, unless it matches every string.
fn pattern(map: &Map<String, Value>) -> Option<&Value> {
    map.get("pattern")
        .filter(|p| !p.as_str().is_some_and(matches_all))
}

/// Whether a pattern matches every string (JSON Schema patterns are
/// unanchored; `^.*$` is taken to, newlines aside).
fn matches_all(pattern: &str) -> bool {
    matches!(
        pattern,
        "" | ".*" | "^.*" | ".*$" | "^.*$" | "(.*)" | "^(.*)$" | "[\\s\\S]*" | "^[\\s\\S]*$"
    )
}

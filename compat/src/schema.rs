//! Schema comparison in a direction: the same difference is judged by who
//! produces the value. A client must keep producing values the new schema
//! accepts (requests); a client must keep accepting values the new server
//! produces (responses).

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value};

use crate::constraints;
use crate::generic::{compare_rest, describe};
use crate::resolve::{brief, empty_object, object, ref_name, union_keys, Doc};
use crate::rules::{Direction, Rule};
use crate::sink::{Loc, Sink};
use crate::view::{view, View};

/// Keys this module (with [`constraints`]) compares; the rest go to
/// [`compare_rest`].
const HANDLED: &[&str] = &[
    "type",
    "format",
    "nullable",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "discriminator",
    "default",
    "readOnly",
    "writeOnly",
    "deprecated",
    "pattern",
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
];

/// Compares schemas reached from one place (a parameter, a body, a header)
/// in one direction.
pub(crate) struct SchemaCmp<'a> {
    old: &'a Doc,
    new: &'a Doc,
    direction: Direction,
    /// `(old ref, new ref)` pairs being compared further up the recursion;
    /// meeting one again means a cycle, already being compared.
    active: HashSet<(String, String)>,
    /// Whether the values are parameters (path, query, header, cookie), which
    /// carry no JSON and so can never be null.
    null_free: bool,
}

impl<'a> SchemaCmp<'a> {
    pub(crate) fn new(old: &'a Doc, new: &'a Doc, direction: Direction) -> Self {
        SchemaCmp {
            old,
            new,
            direction,
            active: HashSet::new(),
            null_free: false,
        }
    }

    /// A comparison of a parameter's schema: requests, and no null on the wire.
    pub(crate) fn for_parameter(old: &'a Doc, new: &'a Doc) -> Self {
        SchemaCmp {
            null_free: true,
            ..Self::new(old, new, Direction::Request)
        }
    }

    /// The old and the new document.
    pub(crate) fn docs(&self) -> (&'a Doc, &'a Doc) {
        (self.old, self.new)
    }

    pub(crate) fn direction(&self) -> Direction {
        self.direction
    }

    /// Picks the rule for this direction.
    pub(crate) fn pick(&self, request: Rule, response: Rule) -> Rule {
        match self.direction {
            Direction::Request => request,
            Direction::Response => response,
        }
    }

    pub(crate) fn emit(&self, sink: &mut Sink, rule: Rule, loc: &Loc, message: impl Into<String>) {
        sink.emit(rule, Some(self.direction), loc, message);
    }

    pub(crate) fn compare(&mut self, old: &Value, new: &Value, loc: &Loc, sink: &mut Sink) {
        let old = view(self.old, old, 0);
        let new = view(self.new, new, 0);
        let Some(pair) = old.reference.clone().zip(new.reference.clone()) else {
            return self.compare_views(&old, &new, loc, sink);
        };
        if self.active.insert(pair.clone()) {
            self.compare_views(&old, &new, loc, sink);
            self.active.remove(&pair);
        }
    }

    fn compare_views(&mut self, old: &View, new: &View, loc: &Loc, sink: &mut Sink) {
        let (o, n) = (&old.map, &new.map);
        if !self.compare_composition(o, n, loc, sink) {
            // One side is composed where the other is not: their keywords
            // live at different levels and cannot be compared one by one.
            return;
        }
        self.compare_reference(old, new, loc, sink);
        if o.get("type") != n.get("type") {
            // Everything type-specific is subsumed by the type change.
            return self.type_changed(o, n, loc, sink);
        }
        if o.get("format") != n.get("format") {
            let message = describe("format", o.get("format"), n.get("format"));
            self.emit(sink, Rule::FormatChanged, &loc.join("format"), message);
        }
        self.compare_flag(o, n, "nullable", loc, sink);
        self.compare_flag(o, n, "deprecated", loc, sink);
        self.compare_enum(o, n, loc, sink);
        constraints::compare(self, o, n, loc, sink);
        for (key, rule) in [
            ("default", Rule::DefaultChanged),
            ("readOnly", Rule::AccessModeChanged),
            ("writeOnly", Rule::AccessModeChanged),
            ("discriminator", Rule::DiscriminatorChanged),
        ] {
            if o.get(key) != n.get(key) {
                self.emit(
                    sink,
                    rule,
                    &loc.join(key),
                    describe(key, o.get(key), n.get(key)),
                );
            }
        }
        self.compare_properties(o, n, loc, sink);
        self.compare_additional(o, n, loc, sink);
        match (o.get("items"), n.get("items")) {
            (Some(a), Some(b)) => self.compare(a, b, &loc.join("items"), sink),
            (None, None) => {}
            (a, b) => {
                let rule = constraints::rule(self, a.is_none());
                self.emit(sink, rule, &loc.join("items"), describe("items", a, b));
            }
        }
        compare_rest(o, n, HANDLED, Some(self.direction), loc, sink);
    }

    fn compare_reference(&self, old: &View, new: &View, loc: &Loc, sink: &mut Sink) {
        let message = match (&old.reference, &new.reference) {
            (Some(a), Some(b)) if a != b => {
                format!("schema `{}` is now `{}`", ref_name(a), ref_name(b))
            }
            (Some(a), None) => format!("schema `{}` is now inline", ref_name(a)),
            (None, Some(b)) => format!("inline schema is now `{}`", ref_name(b)),
            _ => return,
        };
        self.emit(sink, Rule::SchemaRenamed, loc, message);
    }

    fn type_changed(
        &self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let (before, after) = (o.get("type"), n.get("type"));
        let widened = self.direction == Direction::Request
            && (after.is_none()
                || (before == Some(&Value::from("integer"))
                    && after == Some(&Value::from("number"))));
        let rule = if widened {
            Rule::RequestTypeWidened
        } else {
            Rule::TypeChanged
        };
        self.emit(
            sink,
            rule,
            &loc.join("type"),
            describe("type", before, after),
        );
    }

    fn compare_flag(
        &self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        key: &str,
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let flag = |m: &Map<String, Value>| m.get(key).and_then(Value::as_bool).unwrap_or(false);
        let (before, after) = (flag(o), flag(n));
        if before == after {
            return;
        }
        let rule = match (key, after) {
            ("nullable", _) if self.null_free => Rule::ParameterNullableChanged,
            ("nullable", true) => {
                self.pick(Rule::RequestNullableAdded, Rule::ResponseNullableAdded)
            }
            ("nullable", false) => {
                self.pick(Rule::RequestNullableRemoved, Rule::ResponseNullableRemoved)
            }
            (_, true) => Rule::DeprecatedAdded,
            (_, false) => Rule::DeprecatedRemoved,
        };
        let message = if after {
            format!("{key} added")
        } else {
            format!("{key} removed")
        };
        self.emit(sink, rule, &loc.join(key), message);
    }

    fn compare_enum(
        &self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let loc = loc.join("enum");
        match (
            o.get("enum").and_then(Value::as_array),
            n.get("enum").and_then(Value::as_array),
        ) {
            (Some(before), Some(after)) => {
                for value in after.iter().filter(|v| !before.contains(v)) {
                    let rule = self.pick(Rule::RequestEnumValueAdded, Rule::ResponseEnumValueAdded);
                    self.emit(
                        sink,
                        rule,
                        &loc,
                        format!("enum value {} added", brief(value)),
                    );
                }
                for value in before.iter().filter(|v| !after.contains(v)) {
                    let rule = self.pick(
                        Rule::RequestEnumValueRemoved,
                        Rule::ResponseEnumValueRemoved,
                    );
                    self.emit(
                        sink,
                        rule,
                        &loc,
                        format!("enum value {} removed", brief(value)),
                    );
                }
            }
            (None, None) => {}
            (before, _) => {
                // A new enum restricts the values; a dropped one frees them.
                let rule = constraints::rule(self, before.is_none());
                self.emit(
                    sink,
                    rule,
                    &loc,
                    describe("enum", o.get("enum"), n.get("enum")),
                );
            }
        }
    }

    fn compare_properties(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let (old_props, new_props) = (object_at(o, "properties"), object_at(n, "properties"));
        let (old_required, new_required) = (required(o), required(n));
        let old_closed = o.get("additionalProperties") == Some(&Value::Bool(false));
        let new_closed = n.get("additionalProperties") == Some(&Value::Bool(false));
        for name in union_keys(old_props, new_props) {
            let ploc = loc.join("properties").join(name);
            let rule = match (old_props.get(name), new_props.get(name)) {
                (Some(a), Some(b)) => {
                    self.compare(a, b, &ploc, sink);
                    continue;
                }
                (None, Some(_)) => match self.direction {
                    Direction::Request if new_required.contains(name) => {
                        Rule::RequestPropertyAddedRequired
                    }
                    Direction::Request => Rule::RequestPropertyAddedOptional,
                    Direction::Response if old_closed => Rule::ResponseClosedObjectPropertyAdded,
                    Direction::Response => Rule::ResponsePropertyAdded,
                },
                (Some(_), None) => match self.direction {
                    Direction::Request if new_closed => Rule::RequestClosedPropertyRemoved,
                    Direction::Request => Rule::RequestPropertyRemoved,
                    Direction::Response if old_required.contains(name) => {
                        Rule::ResponsePropertyRemoved
                    }
                    Direction::Response => Rule::ResponseOptionalPropertyRemoved,
                },
                (None, None) => continue,
            };
            let verb = if old_props.contains_key(name) {
                "removed"
            } else {
                "added"
            };
            self.emit(sink, rule, &ploc, format!("property `{name}` {verb}"));
        }
        // Required-ness of properties that exist on both sides (or neither:
        // `required` may name properties defined elsewhere).
        let names: BTreeSet<&str> = old_required.union(&new_required).copied().collect();
        for name in names {
            if old_props.contains_key(name) != new_props.contains_key(name) {
                continue;
            }
            let (before, after) = (old_required.contains(name), new_required.contains(name));
            let (rule, message) = match (before, after) {
                (true, false) => (
                    self.pick(
                        Rule::RequestPropertyBecameOptional,
                        Rule::ResponsePropertyBecameOptional,
                    ),
                    format!("property `{name}` became optional"),
                ),
                (false, true) => (
                    self.pick(
                        Rule::RequestPropertyBecameRequired,
                        Rule::ResponsePropertyBecameRequired,
                    ),
                    format!("property `{name}` became required"),
                ),
                _ => continue,
            };
            self.emit(sink, rule, &loc.join("properties").join(name), message);
        }
    }

    fn compare_additional(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let key = "additionalProperties";
        let loc = loc.join(key);
        let (before, after) = (Extra::of(o), Extra::of(n));
        let rule = match (before, after) {
            (Extra::Schema(a), Extra::Schema(b)) => return self.compare(a, b, &loc, sink),
            (a, b) if a == b => return,
            (_, Extra::Closed) => self.pick(Rule::RequestObjectClosed, Rule::ResponseObjectClosed),
            (Extra::Closed, _) => self.pick(Rule::RequestObjectOpened, Rule::ResponseObjectOpened),
            (Extra::Open, _) => constraints::rule(self, true),
            (_, Extra::Open) => constraints::rule(self, false),
        };
        self.emit(sink, rule, &loc, describe(key, o.get(key), n.get(key)));
    }

    /// Compares allOf/oneOf/anyOf/not; false when one side uses a
    /// composition keyword the other lacks.
    fn compare_composition(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) -> bool {
        let mut comparable = true;
        for key in ["allOf", "oneOf", "anyOf"] {
            let loc = loc.join(key);
            match (
                o.get(key).and_then(Value::as_array),
                n.get(key).and_then(Value::as_array),
            ) {
                (Some(before), Some(after)) => {
                    self.compare_alternatives(key, before, after, &loc, sink)
                }
                (None, None) => {}
                _ => {
                    comparable = false;
                    let message = describe(key, o.get(key), n.get(key));
                    self.emit(sink, Rule::SchemaCompositionChanged, &loc, message);
                }
            }
        }
        if o.get("not") != n.get("not") {
            let message = describe("not", o.get("not"), n.get("not"));
            self.emit(
                sink,
                Rule::SchemaCompositionChanged,
                &loc.join("not"),
                message,
            );
        }
        comparable
    }

    /// Pairs members with the same `$ref` first, then the rest by position;
    /// unpaired members were added or removed.
    fn compare_alternatives(
        &mut self,
        key: &str,
        before: &[Value],
        after: &[Value],
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let mut unmatched_new: Vec<usize> = (0..after.len()).collect();
        let mut unmatched_old = Vec::new();
        let mut pairs = Vec::new();
        for (i, member) in before.iter().enumerate() {
            let same_ref = member.get("$ref").and_then(|r| {
                let pos = unmatched_new
                    .iter()
                    .position(|&j| after[j].get("$ref") == Some(r))?;
                Some(unmatched_new.remove(pos))
            });
            match same_ref {
                Some(j) => pairs.push((i, j)),
                None => unmatched_old.push(i),
            }
        }
        let positional = unmatched_old.len().min(unmatched_new.len());
        pairs.extend(
            unmatched_old
                .drain(..positional)
                .zip(unmatched_new.drain(..positional)),
        );
        for (i, j) in pairs {
            self.compare(&before[i], &after[j], &loc.join(j.to_string()), sink);
        }
        let added = unmatched_new.into_iter().map(|j| (j, true));
        let removed = unmatched_old.into_iter().map(|i| (i, false));
        for (index, is_added) in added.chain(removed) {
            let verb = if is_added { "added" } else { "removed" };
            let rule = self.alternative_rule(key, is_added);
            self.emit(
                sink,
                rule,
                &loc.join(index.to_string()),
                format!("{key} member {index} {verb}"),
            );
        }
    }

    fn alternative_rule(&self, key: &str, added: bool) -> Rule {
        match (key, added) {
            // allOf members constrain rather than offer: no alternative semantics.
            ("allOf", _) => Rule::SchemaCompositionChanged,
            (_, true) => self.pick(
                Rule::RequestAlternativeAdded,
                Rule::ResponseAlternativeAdded,
            ),
            (_, false) => self.pick(
                Rule::RequestAlternativeRemoved,
                Rule::ResponseAlternativeRemoved,
            ),
        }
    }
}

/// What an object allows beyond its listed properties.
#[derive(PartialEq)]
enum Extra<'v> {
    Open,
    Closed,
    Schema(&'v Value),
}

impl<'v> Extra<'v> {
    fn of(map: &'v Map<String, Value>) -> Self {
        match map.get("additionalProperties") {
            None | Some(Value::Bool(true)) => Extra::Open,
            Some(Value::Bool(false)) => Extra::Closed,
            Some(Value::Object(schema)) if schema.is_empty() => Extra::Open,
            Some(schema) => Extra::Schema(schema),
        }
    }
}

fn object_at<'m>(map: &'m Map<String, Value>, key: &str) -> &'m Map<String, Value> {
    map.get(key).map_or(empty_object(), object)
}

fn required(map: &Map<String, Value>) -> BTreeSet<&str> {
    map.get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

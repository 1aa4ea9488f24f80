//! Schema comparison in a direction: the same difference is judged by who
//! produces the value. A client must keep producing values the new schema
//! accepts (requests); a client must keep accepting values the new server
//! produces (responses).
//!
//! Compositions (`allOf`, `oneOf`, `anyOf`, `not`) are compared in [`composition`].

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value};

use crate::constraints;
use crate::generic::{describe, Keys};
use crate::report::Change;
use crate::resolve::{brief, is_doc_key, object_at, ref_name, same_bare_ref, union_keys, Doc};
use crate::rules::{Direction, Rule, Severity};
use crate::sink::{Loc, Sink};
use crate::view::{view, View};

mod composition;

/// Schemas nested deeper than this are not compared further. A last resort:
/// cycles are cut long before, by [`SchemaCmp::active`].
const MAX_DEPTH: usize = 64;
/// At most this many schema pairs are compared from one place (a parameter,
/// a body, an operation's responses), against blow-ups in shared subschemas.
const MAX_STEPS: usize = 100_000;

/// The keywords that say which values a schema allows, beside the
/// constraints ([`constraints::KEYS`]): a finding about the schema as a
/// whole (a type change, a composition proven or not) covers them all.
const KEYWORDS: &[&str] = &[
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
    "prefixItems",
    "dependentRequired",
    "if",
    "then",
    "else",
    "x-extensible-enum",
];

/// Whether a finding about the schema as a whole covers the keyword `k`.
fn allows_values(k: &str) -> bool {
    KEYWORDS.contains(&k) || constraints::KEYS.contains(&k)
}

/// Compares schemas reached from one place (a parameter, a body, a header)
/// in one direction.
pub(crate) struct SchemaCmp<'a> {
    old: &'a Doc,
    new: &'a Doc,
    direction: Direction,
    /// `(direction, old schema, new schema)` being compared further up the
    /// recursion, each schema by its [`identity`]. Meeting one again means a
    /// cycle, already being compared.
    active: HashSet<(Direction, String, String)>,
    /// Whether the values are parameters (path, query, header, cookie), which
    /// carry no JSON and so can never be null.
    null_free: bool,
    /// How deep the recursion is, and how many pairs were compared.
    depth: usize,
    steps: usize,
    /// How many times a limit stopped the comparison: a trial comparison that
    /// met one proves nothing.
    limited: usize,
}

impl<'a> SchemaCmp<'a> {
    pub(crate) fn new(old: &'a Doc, new: &'a Doc, direction: Direction) -> Self {
        SchemaCmp {
            old,
            new,
            direction,
            active: HashSet::new(),
            null_free: false,
            depth: 0,
            steps: 0,
            limited: 0,
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
        // Nothing can differ below two equal values that reference nothing.
        if old == new && !has_ref(old) {
            return;
        }
        if self.depth >= MAX_DEPTH || self.steps >= MAX_STEPS {
            return self.limit_reached(loc, sink);
        }
        let old_view = view(self.old, old, 0);
        let new_view = view(self.new, new, 0);
        let key = (self.direction, identity(&old_view), identity(&new_view));
        if !self.active.insert(key.clone()) {
            // A cycle: this very pair is being compared further up.
            return;
        }
        self.depth += 1;
        self.steps += 1;
        // A bare `$ref` to the same component on both sides: what differs
        // below lies in that component, shared by whoever uses it.
        let entered;
        let loc = match same_bare_ref(old, new) {
            Some(reference) => {
                entered = loc.entering(reference);
                &entered
            }
            None => loc,
        };
        self.compare_views(&old_view, &new_view, loc, sink);
        self.depth -= 1;
        self.active.remove(&key);
    }

    fn limit_reached(&mut self, loc: &Loc, sink: &mut Sink) {
        self.limited += 1;
        let message = if self.depth >= MAX_DEPTH {
            format!("schemas nested deeper than {MAX_DEPTH} levels: not compared further")
        } else {
            format!("more than {MAX_STEPS} schema pairs compared: not compared further")
        };
        self.emit(sink, Rule::UnclassifiedChange, loc, message);
    }

    /// Compares two schemas key by key: each comparison takes the keys it
    /// judges from [`Keys`], and whatever nobody took goes to the fallback.
    fn compare_views(&mut self, old: &View, new: &View, loc: &Loc, sink: &mut Sink) {
        let keys = Keys::new(&old.map, &new.map);
        if self.compare_composition(&keys, loc, sink) {
            // Compared as wholes: the composition finding covers every
            // keyword, and the members a flattened wrapper shadowed.
            keys.cover(|k| allows_values(k) || k.contains('/'));
            return keys.rest(Some(self.direction), loc, sink);
        }
        self.compare_reference(old, new, loc, sink);
        let (before, after) = keys.take("type");
        if before != after && !self.type_changed(before, after, loc, sink) {
            // Everything type-specific is subsumed by the type change; what
            // no rule covers (documentation, extensions) is still reported.
            keys.cover(allows_values);
            return keys.rest(Some(self.direction), loc, sink);
        }
        let (before, after) = keys.take("format");
        if before != after {
            let message = describe("format", before, after);
            self.emit(sink, Rule::FormatChanged, &loc.join("format"), message);
        }
        for flag in ["nullable", "deprecated"] {
            let (o, n) = keys.take_only(&[flag]);
            self.compare_flag(&o, &n, flag, keys.whole().1, loc, sink);
        }
        let (o, n) = keys.take_only(&["enum"]);
        self.compare_enum(&o, &n, loc, sink);
        let (o, n) = keys.take_only(&["x-extensible-enum"]);
        self.compare_extensible_enum(&o, &n, loc, sink);
        let (o, n) = keys.take_only(constraints::KEYS);
        constraints::compare(self, &o, &n, loc, sink);
        for (key, rule) in [
            ("default", Rule::DefaultChanged),
            ("readOnly", Rule::AccessModeChanged),
            ("writeOnly", Rule::AccessModeChanged),
            ("discriminator", Rule::DiscriminatorChanged),
        ] {
            let (before, after) = keys.take(key);
            if before != after {
                let message = describe(key, before, after);
                self.emit(sink, rule, &loc.join(key), message);
            }
        }
        let properties = keys.take_objects("properties");
        let (o, n) = keys.take_only(&["required", "additionalProperties"]);
        self.compare_properties(properties, (&o, &n), loc, sink);
        self.compare_additional(&o, &n, loc, sink);
        match keys.take("items") {
            (Some(a), Some(b)) => self.compare(a, b, &loc.join("items"), sink),
            (None, None) => {}
            (a, b) => {
                let rule = constraints::rule(self, a.is_none());
                self.emit(sink, rule, &loc.join("items"), describe("items", a, b));
            }
        }
        let (o, n) = keys.take_only(&["prefixItems"]);
        self.compare_prefix_items(&o, &n, loc, sink);
        let (o, n) = keys.take_only(&["dependentRequired"]);
        self.compare_dependent_required(&o, &n, loc, sink);
        let (o, n) = keys.take_only(&["if", "then", "else"]);
        self.compare_conditional(&o, &n, loc, sink);
        keys.rest(Some(self.direction), loc, sink);
    }

    /// `prefixItems` (3.1): positions compared pairwise; a constrained
    /// position added tightens, one dropped loosens.
    fn compare_prefix_items(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let (before, after) = (
            members(o, "prefixItems").unwrap_or_default(),
            members(n, "prefixItems").unwrap_or_default(),
        );
        let loc = loc.join("prefixItems");
        for (i, (a, b)) in before.iter().zip(after).enumerate() {
            self.compare(a, b, &loc.join(i.to_string()), sink);
        }
        let added = after.len() > before.len();
        for i in before.len().min(after.len())..before.len().max(after.len()) {
            let verb = if added { "added" } else { "removed" };
            let rule = constraints::rule(self, added);
            self.emit(
                sink,
                rule,
                &loc.join(i.to_string()),
                format!("prefixItems position {i} {verb}"),
            );
        }
    }

    /// `dependentRequired` (3.1): a property that now needs more others
    /// tightens, one that needs fewer loosens.
    fn compare_dependent_required(
        &self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let key = "dependentRequired";
        let (before, after) = (object_at(o, key), object_at(n, key));
        for name in union_keys(before, after) {
            let needs = |m: &Map<String, Value>| -> BTreeSet<String> {
                m.get(name)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            };
            let (was, is) = (needs(before), needs(after));
            let dloc = loc.join(key).join(name);
            for (names, tightened) in [(is.difference(&was), true), (was.difference(&is), false)] {
                let names: Vec<&String> = names.collect();
                if names.is_empty() {
                    continue;
                }
                let verb = if tightened {
                    "now needs"
                } else {
                    "no longer needs"
                };
                let message = format!("property `{name}` {verb} {names:?}");
                self.emit(sink, constraints::rule(self, tightened), &dloc, message);
            }
        }
    }

    /// `if`/`then`/`else` (3.1) are not reasoned about: any change fails
    /// closed, as a composition change that cannot be proven compatible.
    fn compare_conditional(
        &self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) {
        for key in ["if", "then", "else"] {
            if o.get(key) != n.get(key) {
                let rule = self.pick(
                    Rule::RequestCompositionChanged,
                    Rule::ResponseCompositionChanged,
                );
                let message = format!(
                    "{} (conditionals are not compared: fails closed)",
                    describe(key, o.get(key), n.get(key))
                );
                self.emit(sink, rule, &loc.join(key), message);
            }
        }
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

    /// Reports a type change; true when it was a widening in a request or a
    /// narrowing in a response, after which the other keywords still apply
    /// and are compared.
    fn type_changed(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) -> bool {
        let (old_types, new_types) = (types(before), types(after));
        let rule = match self.direction {
            Direction::Request if within(&old_types, &new_types) => Rule::RequestTypeWidened,
            Direction::Response if within(&new_types, &old_types) => Rule::ResponseTypeNarrowed,
            _ => Rule::TypeChanged,
        };
        self.emit(
            sink,
            rule,
            &loc.join("type"),
            describe("type", before, after),
        );
        rule != Rule::TypeChanged
    }

    /// `whole_new` is the new schema, for its sunset date.
    fn compare_flag(
        &self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        key: &str,
        whole_new: &Map<String, Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let flag = |m: &Map<String, Value>| m.get(key).and_then(Value::as_bool).unwrap_or(false);
        let (before, after) = (flag(o), flag(n));
        if before == after {
            return;
        }
        let too_soon = (key == "deprecated")
            .then(|| sink.policy().too_soon(self.new, whole_new))
            .flatten();
        if let Some(why) = too_soon {
            return self.emit(
                sink,
                Rule::SunsetTooSoon,
                &loc.join(key),
                format!("schema {why}"),
            );
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

    /// Zalando's `x-extensible-enum`: the values known today, with consumers
    /// bound to accept others. A new value is compatible either way; one
    /// removed from a request is refused.
    fn compare_extensible_enum(
        &self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let key = "x-extensible-enum";
        let values = |m: &Map<String, Value>| m.get(key).and_then(Value::as_array).cloned();
        let (before, after) = (values(o), values(n));
        if before == after {
            return;
        }
        let loc = loc.join(key);
        let (before, after) = (before.unwrap_or_default(), after.unwrap_or_default());
        for value in after.iter().filter(|v| !before.contains(v)) {
            let rule = self.pick(Rule::RequestEnumValueAdded, Rule::ExtensibleEnumValueAdded);
            let message = format!("extensible enum value {} added", brief(value));
            self.emit(sink, rule, &loc, message);
        }
        for value in before.iter().filter(|v| !after.contains(v)) {
            let rule = self.pick(
                Rule::RequestEnumValueRemoved,
                Rule::ResponseEnumValueRemoved,
            );
            let message = format!("extensible enum value {} removed", brief(value));
            self.emit(sink, rule, &loc, message);
        }
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

    /// Compares `properties`, with `required` and `additionalProperties`
    /// (in `o` and `n`), which decide what an added or removed one means.
    fn compare_properties(
        &mut self,
        (old_all, new_all): (&Map<String, Value>, &Map<String, Value>),
        (o, n): (&Map<String, Value>, &Map<String, Value>),
        loc: &Loc,
        sink: &mut Sink,
    ) {
        // A readOnly property is not part of a request, a writeOnly one not
        // of a response: neither it nor its required-ness counts there.
        let (old_hidden, new_hidden) = (
            self.hidden(self.old, old_all),
            self.hidden(self.new, new_all),
        );
        let visible = |m: &Map<String, Value>, hidden: &BTreeSet<String>| -> Map<String, Value> {
            m.iter()
                .filter(|(name, _)| !hidden.contains(*name))
                .map(|(name, schema)| (name.clone(), schema.clone()))
                .collect()
        };
        let (old_props, new_props) = (
            &visible(old_all, &old_hidden),
            &visible(new_all, &new_hidden),
        );
        let (mut old_required, mut new_required) = (required(o), required(n));
        old_required.retain(|name| !old_hidden.contains(*name));
        new_required.retain(|name| !new_hidden.contains(*name));
        let (old_extra, new_extra) = (Extra::of(o), Extra::of(n));
        for name in union_keys(old_props, new_props) {
            let ploc = loc.join("properties").join(name);
            let rule = match (old_props.get(name), new_props.get(name)) {
                (Some(a), Some(b)) => {
                    self.compare(a, b, &ploc, sink);
                    continue;
                }
                (None, Some(added)) => match (self.direction, &old_extra) {
                    (Direction::Request, _) if new_required.contains(name) => {
                        Rule::RequestPropertyAddedRequired
                    }
                    (Direction::Request, _) => Rule::RequestPropertyAddedOptional,
                    (Direction::Response, Extra::Closed) => Rule::ResponseClosedObjectPropertyAdded,
                    // Old clients check the new property against their
                    // additionalProperties schema.
                    (Direction::Response, Extra::Schema(extra))
                        if !self.fits(extra, added, Direction::Response) =>
                    {
                        Rule::ResponseClosedObjectPropertyAdded
                    }
                    (Direction::Response, _) => Rule::ResponsePropertyAdded,
                },
                (Some(removed), None) => match (self.direction, &new_extra) {
                    (Direction::Request, Extra::Closed) => Rule::RequestClosedPropertyRemoved,
                    // The server now checks what old clients send under this
                    // name against its additionalProperties schema.
                    (Direction::Request, Extra::Schema(extra))
                        if !self.fits(removed, extra, Direction::Request) =>
                    {
                        Rule::RequestClosedPropertyRemoved
                    }
                    (Direction::Request, _) => Rule::RequestPropertyRemoved,
                    (Direction::Response, _) if old_required.contains(name) => {
                        Rule::ResponsePropertyRemoved
                    }
                    (Direction::Response, _) => Rule::ResponseOptionalPropertyRemoved,
                },
                (None, None) => continue,
            };
            let mode = match self.direction {
                Direction::Request => "readOnly",
                Direction::Response => "writeOnly",
            };
            // A property that only became (or stopped being) readOnly or
            // writeOnly: an access-mode change, unless that breaks (a
            // required request property clients must now send, a required
            // response property no longer sent, a new one in a closed
            // response). A property that became readOnly in a closed request
            // object is not refused: the server is told to ignore it.
            let toggled = old_hidden.contains(name) || new_hidden.contains(name);
            let (rule, ploc, message) = match (toggled, old_props.contains_key(name)) {
                (false, true) => {
                    let removed = view(self.old, &old_props[name], 0).map;
                    let (rule, why) = sink.policy().removal(self.old, &removed, rule);
                    (rule, ploc, format!("property `{name}` removed{why}"))
                }
                (false, false) => (rule, ploc, format!("property `{name}` added")),
                (true, was) => {
                    let verb = if was { "is now" } else { "is no longer" };
                    let message = format!("property `{name}` {verb} {mode}");
                    if rule.severity() == Severity::Breaking
                        && rule != Rule::RequestClosedPropertyRemoved
                    {
                        (rule, ploc, message)
                    } else {
                        (Rule::AccessModeChanged, ploc.join(mode), message)
                    }
                }
            };
            self.emit(sink, rule, &ploc, message);
        }
        // Required-ness, unless the property's addition or removal above
        // already said it (`required` may name properties defined elsewhere,
        // as in an allOf member).
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

    /// The properties that do not exist in this direction: readOnly ones in
    /// requests, writeOnly ones in responses.
    fn hidden(&self, doc: &Doc, properties: &Map<String, Value>) -> BTreeSet<String> {
        let key = match self.direction {
            Direction::Request => "readOnly",
            Direction::Response => "writeOnly",
        };
        properties
            .iter()
            .filter(|(_, schema)| view(doc, schema, 0).map.get(key) == Some(&Value::Bool(true)))
            .map(|(name, _)| name.clone())
            .collect()
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
            (Extra::Schema(a), Extra::Schema(b)) => return self.compare(&a, &b, &loc, sink),
            (a, b) if a == b => return,
            (_, Extra::Closed) => self.pick(Rule::RequestObjectClosed, Rule::ResponseObjectClosed),
            (Extra::Closed, _) => self.pick(Rule::RequestObjectOpened, Rule::ResponseObjectOpened),
            (Extra::Open, _) => constraints::rule(self, true),
            (_, Extra::Open) => constraints::rule(self, false),
        };
        self.emit(sink, rule, &loc, describe(key, o.get(key), n.get(key)));
    }
}

/// What an object allows beyond its listed properties.
#[derive(PartialEq)]
enum Extra {
    Open,
    Closed,
    Schema(Value),
}

impl Extra {
    fn of(map: &Map<String, Value>) -> Self {
        match map.get("additionalProperties") {
            None | Some(Value::Bool(true)) => Extra::Open,
            Some(Value::Bool(false)) => Extra::Closed,
            Some(Value::Object(schema)) if schema.is_empty() => Extra::Open,
            Some(schema) => Extra::Schema(schema.clone()),
        }
    }
}

/// The members of a composition keyword, if the schema has it.
fn members<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m [Value]> {
    map.get(key).and_then(Value::as_array).map(Vec::as_slice)
}

/// What a comparison of a view depends on: the JSON it compares (whose
/// nested `$ref`s are still unresolved) and the reference it came from.
/// Unlike a bare `$ref`, this survives `allOf` flattening, and two views
/// with equal identities compare alike, so meeting a pair again on the way
/// down is a cycle that can be cut without losing a difference. A document
/// holds finitely many of them, so every cycle is cut.
fn identity(view: &View) -> String {
    let map = Value::Object(view.map.clone());
    format!("{}|{map}", view.reference.as_deref().unwrap_or_default())
}

/// Whether a value contains a `$ref`.
fn has_ref(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.contains_key("$ref") || map.values().any(has_ref),
        Value::Array(items) => items.iter().any(has_ref),
        _ => false,
    }
}

/// The types a `type` keyword allows; `None` for any (no `type`).
fn types(keyword: Option<&Value>) -> Option<BTreeSet<&str>> {
    match keyword? {
        Value::String(t) => Some(BTreeSet::from([t.as_str()])),
        Value::Array(list) => Some(list.iter().filter_map(Value::as_str).collect()),
        // Not a type name: nothing provable.
        _ => Some(BTreeSet::new()),
    }
}

/// Whether every value of the types `sub` is one of the types `sup`
/// (every integer is a number).
fn within(sub: &Option<BTreeSet<&str>>, sup: &Option<BTreeSet<&str>>) -> bool {
    match (sub, sup) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(sub), Some(sup)) => sub
            .iter()
            .all(|t| sup.contains(t) || (*t == "integer" && sup.contains("number"))),
    }
}

fn required(map: &Map<String, Value>) -> BTreeSet<&str> {
    map.get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

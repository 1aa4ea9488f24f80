//! Compositions (`allOf`, `oneOf`, `anyOf`, `not`), compared by proof: trial comparisons that
//! ask whether every value one side allows the other allows too.

use super::*;
use crate::lifecycle::Policy;
use crate::resolve::strip_docs;

/// One side of a composition proof: a schema, or the members of an
/// `anyOf`/`oneOf` (a value of any member) or of an `allOf` (of every member).
pub(super) enum Side {
    Plain(Value),
    Any(Vec<Value>),
    All(Vec<Value>),
}

impl<'a> SchemaCmp<'a> {
    /// Compares `old` → `new` in `direction` into a scratch sink: the changes
    /// found, and whether a limit cut the comparison short.
    pub(super) fn trial(
        &mut self,
        old: &Value,
        new: &Value,
        direction: Direction,
        loc: &Loc,
    ) -> (Vec<Change>, bool) {
        let saved = std::mem::replace(&mut self.direction, direction);
        let limited = self.limited;
        // A proof must not lean on a sunset having passed.
        let mut scratch = Sink::new(None, Policy::strict());
        self.compare(old, new, loc, &mut scratch);
        self.direction = saved;
        (scratch.into_changes(), self.limited != limited)
    }

    /// Whether `old` → `new` is provably compatible in `direction`: in
    /// requests `new` accepts every value `old` accepted; in responses `old`
    /// accepts every value `new` allows.
    pub(super) fn fits(&mut self, old: &Value, new: &Value, direction: Direction) -> bool {
        let (changes, limited) = self.trial(old, new, direction, &Loc::default());
        !limited && changes.iter().all(|c| c.severity != Severity::Breaking)
    }

    /// Whether every value of `sub` is provably a value of `sup`;
    /// `sub_is_old` says which document each side comes from. Members of a
    /// union are not checked for overlap (a `oneOf` is read as an `anyOf`),
    /// as for `request-alternative-added`.
    pub(super) fn within(&mut self, sub: &Side, sup: &Side, sub_is_old: bool) -> bool {
        match (sub, sup) {
            (Side::Any(members), _) => members
                .iter()
                .all(|m| self.within(&Side::Plain(m.clone()), sup, sub_is_old)),
            (_, Side::All(members)) => members
                .iter()
                .all(|m| self.within(sub, &Side::Plain(m.clone()), sub_is_old)),
            (Side::All(members), _) => members
                .iter()
                .any(|m| self.within(&Side::Plain(m.clone()), sup, sub_is_old)),
            (_, Side::Any(members)) => members
                .iter()
                .any(|m| self.within(sub, &Side::Plain(m.clone()), sub_is_old)),
            (Side::Plain(sub), Side::Plain(sup)) if sub_is_old => {
                self.fits(sub, sup, Direction::Request)
            }
            (Side::Plain(sub), Side::Plain(sup)) => self.fits(sup, sub, Direction::Response),
        }
    }

    /// Whether `old` → `new` is provably compatible in this direction.
    pub(super) fn compatible(&mut self, old: &Side, new: &Side) -> bool {
        match self.direction {
            Direction::Request => self.within(old, new, true),
            Direction::Response => self.within(new, old, false),
        }
    }

    /// Compares allOf/oneOf/anyOf/not, which it takes. True when one side
    /// is nothing but a composition the other lacks: the two were then
    /// compared as wholes and their keywords, living at different levels,
    /// are not compared one by one.
    pub(super) fn compare_composition(
        &mut self,
        keys: &Keys<'_>,
        loc: &Loc,
        sink: &mut Sink,
    ) -> bool {
        for key in ["allOf", "oneOf", "anyOf", "not"] {
            keys.take(key);
        }
        // The proofs read the schemas whole.
        let (o, n) = keys.whole();
        self.compare_not(o, n, loc, sink);
        let union = |m: &Map<String, Value>| {
            ["oneOf", "anyOf"]
                .into_iter()
                .find(|k| members(m, k).is_some())
        };
        let swapped = match (union(o), union(n)) {
            (Some(a), Some(b)) if a != b && members(o, b).is_none() && members(n, a).is_none() => {
                Some((a, b))
            }
            _ => None,
        };
        if let Some((before, after)) = swapped {
            self.union_swapped(o, n, before, after, loc, sink);
        }
        let mut whole = false;
        for key in ["allOf", "oneOf", "anyOf"] {
            match (members(o, key), members(n, key)) {
                (Some(before), Some(after)) => {
                    self.compare_alternatives(key, (o, before), (n, after), &loc.join(key), sink)
                }
                (None, None) => {}
                _ if swapped.is_some() && key != "allOf" => {}
                _ => whole |= self.composition_one_sided(key, o, n, loc, sink),
            }
        }
        whole
    }

    /// A oneOf that became an anyOf or back: the members are compared as
    /// alternatives. An anyOf accepts a value several members match, a oneOf
    /// refuses it: which way that matters depends on the direction.
    pub(super) fn union_swapped(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        before: &str,
        after: &str,
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let (old_members, new_members) = (
            members(o, before).unwrap_or_default(),
            members(n, after).unwrap_or_default(),
        );
        // `after` is "oneOf" or "anyOf": the one that accepts less is oneOf.
        let narrower = after == "oneOf";
        let trivial = old_members.len() <= 1 && new_members.len() <= 1;
        let breaks = !trivial && narrower == (self.direction == Direction::Request);
        let rule = if breaks {
            self.pick(
                Rule::RequestCompositionChanged,
                Rule::ResponseCompositionChanged,
            )
        } else {
            Rule::SchemaCompositionChanged
        };
        self.emit(
            sink,
            rule,
            &loc.join(after),
            format!("{before} replaced by {after}"),
        );
        self.compare_alternatives(
            after,
            (o, old_members),
            (n, new_members),
            &loc.join(after),
            sink,
        );
    }

    /// A composition keyword on one side only. Returns true when the
    /// composed side is nothing but the composition (and documentation):
    /// the two sides are then proven compatible as wholes. Otherwise the
    /// composition is one more condition beside the other keywords (which
    /// are compared as usual): added, it can only tighten; removed, it can
    /// only loosen.
    pub(super) fn composition_one_sided(
        &mut self,
        key: &str,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) -> bool {
        let added = members(o, key).is_none();
        let composed = if added { n } else { o };
        let list = members(composed, key).unwrap_or_default().to_vec();
        let condition = if key == "allOf" {
            Side::All(list)
        } else {
            Side::Any(list)
        };
        let pure = composed
            .keys()
            .all(|k| k == key || is_doc_key(k) || k.starts_with("x-"));
        let whole = |m: &Map<String, Value>| Side::Plain(Value::Object(m.clone()));
        let compatible = match (pure, added, self.direction) {
            (true, true, _) => self.compatible(&whole(o), &condition),
            (true, false, _) => self.compatible(&condition, &whole(n)),
            (false, true, Direction::Response) | (false, false, Direction::Request) => true,
            (false, true, Direction::Request) => self.within(&whole(o), &condition, true),
            (false, false, Direction::Response) => self.within(&whole(n), &condition, false),
        };
        let (rule, verdict) = if compatible {
            (Rule::SchemaCompositionChanged, "provably compatible")
        } else {
            let rule = self.pick(
                Rule::RequestCompositionChanged,
                Rule::ResponseCompositionChanged,
            );
            (rule, "not provably compatible")
        };
        let message = format!("{} ({verdict})", describe(key, o.get(key), n.get(key)));
        self.emit(sink, rule, &loc.join(key), message);
        pure
    }

    /// `not`: a new one excludes values (a tightening), a dropped one frees
    /// them. A changed one is compared in the opposite direction, since the
    /// values it describes are the ones refused.
    pub(super) fn compare_not(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let loc = loc.join("not");
        let (a, b) = match (o.get("not"), n.get("not")) {
            (None, None) => return,
            (Some(a), Some(b)) => (a, b),
            (before, after) => {
                let rule = constraints::rule(self, before.is_none());
                return self.emit(sink, rule, &loc, describe("not", before, after));
            }
        };
        let flipped = match self.direction {
            Direction::Request => Direction::Response,
            Direction::Response => Direction::Request,
        };
        let (changes, limited) = self.trial(a, b, flipped, &loc);
        if let Some(found) = changes
            .iter()
            .find(|c| c.severity == Severity::Breaking)
            .or(changes.first().filter(|_| limited))
        {
            let rule = self.pick(
                Rule::RequestCompositionChanged,
                Rule::ResponseCompositionChanged,
            );
            let message = format!("the schema `not` excludes changed: {}", found.message);
            return self.emit(sink, rule, &loc, message);
        }
        let mut narrowed = None;
        for mut change in changes {
            if change.severity == Severity::Warning
                || matches!(
                    change.rule,
                    Rule::DocumentationChanged | Rule::ExtensionChanged
                )
            {
                change.direction = Some(self.direction);
                sink.push(change);
            } else {
                narrowed.get_or_insert(change.message);
            }
        }
        if let Some(message) = narrowed {
            // It excludes fewer values in requests, more in responses.
            let rule = constraints::rule(self, self.direction == Direction::Response);
            let message = format!("the schema `not` excludes changed: {message}");
            self.emit(sink, rule, &loc, message);
        }
    }

    /// Pairs members, never by position: the same `$ref` first, then equal
    /// schemas, then the same tag (a property with one allowed value), then
    /// the most alike in structure. Unpaired members were added or removed.
    /// Each side comes with the schema holding the members, for `allOf`
    /// proofs and for a `oneOf`'s exclusivity: a value matching two members
    /// of a `oneOf` is refused, so a member added to a request `oneOf` (or
    /// removed from a response one) must be provably disjoint from the others.
    pub(super) fn compare_alternatives(
        &mut self,
        key: &str,
        (o, before): (&Map<String, Value>, &[Value]),
        (n, after): (&Map<String, Value>, &[Value]),
        loc: &Loc,
        sink: &mut Sink,
    ) {
        let old_views: Vec<Map<String, Value>> =
            before.iter().map(|m| view(self.old, m, 0).map).collect();
        let new_views: Vec<Map<String, Value>> =
            after.iter().map(|m| view(self.new, m, 0).map).collect();
        let pairs = pair_members(before, after, &old_views, &new_views);
        let (mut unmatched_old, mut unmatched_new): (Vec<usize>, Vec<usize>) =
            ((0..before.len()).collect(), (0..after.len()).collect());
        for &(i, j) in &pairs {
            unmatched_old.retain(|&x| x != i);
            unmatched_new.retain(|&x| x != j);
            self.compare(&before[i], &after[j], &loc.join(j.to_string()), sink);
        }
        let added = unmatched_new.into_iter().map(|j| (j, &after[j], true));
        let removed = unmatched_old.into_iter().map(|i| (i, &before[i], false));
        for (index, member, is_added) in added.chain(removed) {
            let verb = if is_added { "added" } else { "removed" };
            let mut message = format!("{key} member {index} {verb}");
            let rule = if key == "allOf" {
                self.all_of_member_rule(o, n, member, is_added)
            } else if key == "oneOf"
                && is_added == (self.direction == Direction::Request)
                && !self.exclusive(index, is_added, (o, &old_views), (n, &new_views))
            {
                message.push_str(
                    ": it may overlap another member, and a value matching two members of a \
                     oneOf is refused",
                );
                self.pick(
                    Rule::RequestCompositionChanged,
                    Rule::ResponseCompositionChanged,
                )
            } else if is_added {
                self.pick(
                    Rule::RequestAlternativeAdded,
                    Rule::ResponseAlternativeAdded,
                )
            } else {
                self.pick(
                    Rule::RequestAlternativeRemoved,
                    Rule::ResponseAlternativeRemoved,
                )
            };
            self.emit(sink, rule, &loc.join(index.to_string()), message);
        }
    }

    /// Whether a member added to (or removed from) a `oneOf` is provably
    /// disjoint from every member of the other side, so no value that
    /// matched one member now matches two.
    fn exclusive(
        &self,
        index: usize,
        is_added: bool,
        (o, old): (&Map<String, Value>, &[Map<String, Value>]),
        (n, new): (&Map<String, Value>, &[Map<String, Value>]),
    ) -> bool {
        let (member, others, member_doc, others_doc) = if is_added {
            (&new[index], old, self.new, self.old)
        } else {
            (&old[index], new, self.old, self.new)
        };
        // A discriminator's property is required in every member.
        let tag = |m: &Map<String, Value>| {
            m.get("discriminator")
                .and_then(|d| d.get("propertyName"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let tag = tag(o).filter(|t| tag(n).as_ref() == Some(t));
        let with_tag = |m: &Map<String, Value>| {
            let mut m = m.clone();
            if let Some(tag) = &tag {
                let mut names = m.get("required").cloned().unwrap_or(Value::Array(vec![]));
                if let Value::Array(list) = &mut names {
                    list.push(Value::from(tag.as_str()));
                }
                m.insert("required".into(), names);
            }
            m
        };
        let member = with_tag(member);
        others
            .iter()
            .all(|other| disjoint(member_doc, &member, others_doc, &with_tag(other), 0))
    }

    /// An `allOf` member is one more condition: an added one tightens, a
    /// removed one loosens, unless it provably changes nothing (the whole
    /// other schema already satisfies it).
    pub(super) fn all_of_member_rule(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        member: &Value,
        added: bool,
    ) -> Rule {
        let member = Side::Plain(member.clone());
        let no_op = match (self.direction, added) {
            (Direction::Request, true) => {
                self.within(&Side::Plain(Value::Object(o.clone())), &member, true)
            }
            (Direction::Response, false) => {
                self.within(&Side::Plain(Value::Object(n.clone())), &member, false)
            }
            // Compatible whatever the member says.
            _ => false,
        };
        if no_op {
            Rule::SchemaCompositionChanged
        } else {
            constraints::rule(self, added)
        }
    }
}

/// Pairs the members of two lists of alternatives (indices into `before`
/// and `after`): the same `$ref`, then equal schemas, then the same tag,
/// then the most alike in structure (same type, most property names in
/// common). Position never decides.
fn pair_members(
    before: &[Value],
    after: &[Value],
    old_views: &[Map<String, Value>],
    new_views: &[Map<String, Value>],
) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let stripped = |m: &Map<String, Value>| strip_docs(&Value::Object(m.clone()));
    let (old_shapes, new_shapes): (Vec<Value>, Vec<Value>) = (
        old_views.iter().map(stripped).collect(),
        new_views.iter().map(stripped).collect(),
    );
    // Each pass pairs what it can among the members still unpaired.
    let passes: [&dyn Fn(usize, usize) -> Option<usize>; 4] = [
        &|i, j| {
            (before[i].get("$ref").is_some() && before[i].get("$ref") == after[j].get("$ref"))
                .then_some(usize::MAX)
        },
        &|i, j| (old_shapes[i] == new_shapes[j]).then_some(usize::MAX),
        &|i, j| {
            let (a, b) = (tags(&old_views[i]), tags(&new_views[j]));
            (!a.is_empty() && a.iter().any(|t| b.contains(t))).then_some(usize::MAX)
        },
        &|i, j| likeness(&old_views[i], &new_views[j]),
    ];
    for pass in passes {
        let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
        for i in (0..before.len()).filter(|i| pairs.iter().all(|p| p.0 != *i)) {
            for j in (0..after.len()).filter(|j| pairs.iter().all(|p| p.1 != *j)) {
                if let Some(score) = pass(i, j) {
                    candidates.push((score, i, j));
                }
            }
        }
        // Best first; equal scores in document order.
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
        for (_, i, j) in candidates {
            if pairs.iter().all(|p| p.0 != i && p.1 != j) {
                pairs.push((i, j));
            }
        }
    }
    pairs.sort_unstable();
    pairs
}

/// A member's tags: `property=value` for each property allowing one value.
fn tags(member: &Map<String, Value>) -> Vec<String> {
    object_at(member, "properties")
        .iter()
        .filter_map(|(name, schema)| {
            let values = schema.get("enum").and_then(Value::as_array);
            let value = schema
                .get("const")
                .or(values.filter(|v| v.len() == 1).map(|v| &v[0]))?;
            Some(format!("{name}={value}"))
        })
        .collect()
}

/// How alike two members are, out of 100: `None` for different types; for
/// objects, the share of property names in common (at least half).
fn likeness(a: &Map<String, Value>, b: &Map<String, Value>) -> Option<usize> {
    if a.get("type") != b.get("type") {
        return None;
    }
    let (pa, pb) = (object_at(a, "properties"), object_at(b, "properties"));
    let all = union_keys(pa, pb).len();
    if all == 0 {
        return Some(50);
    }
    let common = pa.keys().filter(|k| pb.contains_key(*k)).count();
    (common * 2 >= all).then_some(100 * common / all)
}

/// Whether no value matches both schemas, provably: types that do not
/// meet, enums with no value in common, or a property both require whose
/// schemas are disjoint (a tag). Anything else may overlap.
fn disjoint(
    a_doc: &Doc,
    a: &Map<String, Value>,
    b_doc: &Doc,
    b: &Map<String, Value>,
    depth: usize,
) -> bool {
    let (ta, tb) = (types(a.get("type")), types(b.get("type")));
    if let (Some(ta), Some(tb)) = (&ta, &tb) {
        let meets = |x: &&str, y: &BTreeSet<&str>| {
            y.contains(x)
                || (*x == "integer" && y.contains("number"))
                || (*x == "number" && y.contains("integer"))
        };
        let nullable = |m: &Map<String, Value>| m.get("nullable") == Some(&Value::Bool(true));
        // Both nullable: null matches both.
        let overlap = ta.iter().any(|x| meets(x, tb)) || (nullable(a) && nullable(b));
        if !overlap {
            return true;
        }
    }
    if let (Some(Value::Array(ea)), Some(Value::Array(eb))) = (a.get("enum"), b.get("enum")) {
        if !ea.iter().any(|v| eb.contains(v)) {
            return true;
        }
    }
    if depth >= 2 {
        return false;
    }
    let (ra, rb) = (required(a), required(b));
    let (pa, pb) = (object_at(a, "properties"), object_at(b, "properties"));
    ra.intersection(&rb)
        .any(|name| match (pa.get(*name), pb.get(*name)) {
            (Some(x), Some(y)) => disjoint(
                a_doc,
                &view(a_doc, x, 0).map,
                b_doc,
                &view(b_doc, y, 0).map,
                depth + 1,
            ),
            _ => false,
        })
}

//! Compositions (`allOf`, `oneOf`, `anyOf`, `not`), compared by proof: trial comparisons that
//! ask whether every value one side allows the other allows too.

use super::*;

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
        let mut scratch = Sink::new(None);
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

    /// Compares allOf/oneOf/anyOf/not. True when one side is nothing but a
    /// composition the other lacks: the two were then compared as wholes
    /// and their keywords, living at different levels, are not compared one
    /// by one.
    pub(super) fn compare_composition(
        &mut self,
        old: &View,
        new: &View,
        loc: &Loc,
        sink: &mut Sink,
    ) -> bool {
        let (o, n) = (&old.map, &new.map);
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

    /// Pairs members with the same `$ref` first, then the rest by position;
    /// unpaired members were added or removed. Each side comes with the
    /// schema holding the members, for `allOf` proofs.
    pub(super) fn compare_alternatives(
        &mut self,
        key: &str,
        (o, before): (&Map<String, Value>, &[Value]),
        (n, after): (&Map<String, Value>, &[Value]),
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
        let added = unmatched_new.into_iter().map(|j| (j, &after[j], true));
        let removed = unmatched_old.into_iter().map(|i| (i, &before[i], false));
        for (index, member, is_added) in added.chain(removed) {
            let verb = if is_added { "added" } else { "removed" };
            let rule = if key == "allOf" {
                self.all_of_member_rule(o, n, member, is_added)
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
            self.emit(
                sink,
                rule,
                &loc.join(index.to_string()),
                format!("{key} member {index} {verb}"),
            );
        }
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

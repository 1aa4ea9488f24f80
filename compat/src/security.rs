//! Security: the requirements an operation makes (alternatives of schemes)
//! and the scheme definitions themselves.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::generic::{describe, Keys};
use crate::resolve::{object, union_keys};
use crate::rules::Rule;
use crate::sink::{Loc, Sink};

/// Keys that decide what a client must send: changing one refuses clients.
const WIRE_KEYS: &[&str] = &[
    "type",
    "in",
    "name",
    "scheme",
    "bearerFormat",
    "flows",
    "openIdConnectUrl",
];

/// One way to authenticate: every listed scheme, with its scopes.
type Alternative = BTreeMap<String, BTreeSet<String>>;

fn alternatives(requirement: Option<&Value>) -> Vec<Alternative> {
    let parsed: Vec<Alternative> = requirement
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|alternative| {
            object(alternative)
                .iter()
                .map(|(scheme, scopes)| {
                    let scopes = scopes.as_array().into_iter().flatten();
                    (
                        scheme.clone(),
                        scopes
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect(),
                    )
                })
                .collect()
        })
        .collect();
    // No requirement at all means anyone may call: the empty alternative.
    if parsed.is_empty() {
        vec![Alternative::new()]
    } else {
        parsed
    }
}

/// Whether satisfying `big` always satisfies `small`.
fn covers(big: &Alternative, small: &Alternative) -> bool {
    small
        .iter()
        .all(|(scheme, scopes)| big.get(scheme).is_some_and(|have| have.is_superset(scopes)))
}

fn show(alternative: &Alternative) -> String {
    if alternative.is_empty() {
        return "{anonymous}".to_owned();
    }
    let parts: Vec<String> = alternative
        .iter()
        .map(|(scheme, scopes)| match scopes.len() {
            0 => scheme.clone(),
            _ => format!(
                "{scheme}[{}]",
                scopes.iter().cloned().collect::<Vec<_>>().join(" ")
            ),
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// Compares two effective requirements. An old alternative that some new
/// one asks no more than (a subset of its schemes and scopes) still admits
/// its clients: at most a loosening. Otherwise one a new alternative extends
/// was tightened, and any other was removed. New alternatives no old one
/// maps to were added.
pub(crate) fn compare_requirements(
    old: Option<&Value>,
    new: Option<&Value>,
    loc: &Loc,
    sink: &mut Sink,
) {
    let (before, after) = (alternatives(old), alternatives(new));
    let fresh: Vec<&Alternative> = after.iter().filter(|a| !before.contains(a)).collect();
    // Several old alternatives may narrow or widen into the same new one.
    let mut matched = vec![false; fresh.len()];
    let mut mark = |alt: &Alternative| {
        if let Some(i) = fresh.iter().position(|f| *f == alt) {
            matched[i] = true;
        }
    };
    for old_alt in before.iter().filter(|a| !after.contains(a)) {
        // Prefer a new alternative that is itself new, to pair them up.
        let find = |wanted: &dyn Fn(&Alternative) -> bool| {
            fresh
                .iter()
                .copied()
                .find(|a| wanted(a))
                .or_else(|| after.iter().find(|a| wanted(a)))
        };
        let satisfied = find(&|new_alt| covers(old_alt, new_alt));
        let extended = || find(&|new_alt| covers(new_alt, old_alt));
        let (rule, message) = match (satisfied, satisfied.or_else(extended)) {
            (Some(new_alt), _) => {
                mark(new_alt);
                let message = format!("{} now needs only {}", show(old_alt), show(new_alt));
                (Rule::SecurityRequirementLoosened, message)
            }
            (None, Some(new_alt)) => {
                mark(new_alt);
                let message = format!("{} now needs {}", show(old_alt), show(new_alt));
                (Rule::SecurityRequirementTightened, message)
            }
            (None, None) => {
                let message = format!("security alternative {} removed", show(old_alt));
                (Rule::SecurityAlternativeRemoved, message)
            }
        };
        sink.emit(rule, None, loc, message);
    }
    for (new_alt, _) in fresh.iter().zip(matched).filter(|(_, matched)| !matched) {
        let message = format!("security alternative {} added", show(new_alt));
        sink.emit(Rule::SecurityAlternativeAdded, None, loc, message);
    }
}

/// Compares `components/securitySchemes`.
pub(crate) fn compare_schemes(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    loc: &Loc,
    sink: &mut Sink,
) {
    for name in union_keys(old, new) {
        let sloc = loc.join(name);
        let (o, n) = match (old.get(name), new.get(name)) {
            (Some(o), Some(n)) => (object(o), object(n)),
            (Some(_), None) => {
                sink.emit(
                    Rule::SecuritySchemeRemoved,
                    None,
                    &sloc,
                    format!("security scheme `{name}` removed"),
                );
                continue;
            }
            (None, Some(_)) => {
                sink.emit(
                    Rule::SecuritySchemeAdded,
                    None,
                    &sloc,
                    format!("security scheme `{name}` added"),
                );
                continue;
            }
            (None, None) => continue,
        };
        let keys = Keys::new(o, n);
        for &key in WIRE_KEYS {
            let (before, after) = keys.take(key);
            if before != after {
                let message = format!("security scheme `{name}`: {}", describe(key, before, after));
                sink.emit(Rule::SecuritySchemeChanged, None, &sloc.join(key), message);
            }
        }
        keys.rest(None, &sloc, sink);
    }
}

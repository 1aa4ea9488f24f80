//! The table-driven corpus: each case in `corpus/cases.json` patches the
//! frozen `corpus/base.json` into an old and a new document and states the
//! exact findings the comparison must report, as a multiset of
//! `[rule, location]` (a change reported twice, or dropped, fails), and the
//! verdict.

use std::collections::{BTreeMap, BTreeSet};

use openapi_compat::{compare, compare_with, Document, Policy, Rule};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    old: json_patch::Patch,
    new: json_patch::Patch,
    /// The day to judge sunsets by and the grace period; by default the
    /// system date and none (cases then use dates far from today).
    #[serde(default)]
    policy: Option<CasePolicy>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CasePolicy {
    today: String,
    deprecation_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    breaking: bool,
    /// `[rule id, location]`, once per expected change.
    findings: Vec<(String, String)>,
}

/// How many times each `(rule, location)` occurs.
fn multiset<'a>(
    findings: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<(&'a str, &'a str), usize> {
    let mut counts = BTreeMap::new();
    for finding in findings {
        *counts.entry(finding).or_insert(0) += 1;
    }
    counts
}

/// What `a` has more of than `b`, with the surplus count.
fn surplus<'a>(
    a: &BTreeMap<(&'a str, &'a str), usize>,
    b: &BTreeMap<(&'a str, &'a str), usize>,
) -> Vec<String> {
    a.iter()
        .filter_map(|(finding, &n)| {
            let extra = n.saturating_sub(b.get(finding).copied().unwrap_or(0));
            (extra > 0).then(|| format!("{extra} × {} at {:?}", finding.0, finding.1))
        })
        .collect()
}

fn load_cases() -> Vec<Case> {
    serde_json::from_str(include_str!("corpus/cases.json")).expect("cases.json parses")
}

fn document(
    base: &Value,
    patch: &json_patch::Patch,
    case: &str,
    side: &str,
) -> Result<Document, String> {
    let mut doc = base.clone();
    json_patch::patch(&mut doc, patch).map_err(|e| format!("{case}: {side} patch fails: {e}"))?;
    Document::from_value(doc).map_err(|e| format!("{case}: {side} is not OpenAPI: {e}"))
}

fn run(case: &Case, base: &Value) -> Result<(), String> {
    let old = document(base, &case.old, &case.name, "old")?;
    let new = document(base, &case.new, &case.name, "new")?;
    let report = match &case.policy {
        None => compare(&old, &new),
        Some(given) => {
            let policy = Policy {
                deprecation_days: given.deprecation_days,
                ..Policy::on(&given.today).ok_or_else(|| format!("{}: bad today", case.name))?
            };
            compare_with(&old, &new, &policy)
        }
    };
    let found = multiset(
        report
            .changes
            .iter()
            .map(|c| (c.rule.id(), c.location.as_str())),
    );
    let expected = multiset(
        case.expect
            .findings
            .iter()
            .map(|(rule, location)| (rule.as_str(), location.as_str())),
    );
    let mut problems = Vec::new();
    let missing = surplus(&expected, &found);
    let extra = surplus(&found, &expected);
    if !missing.is_empty() {
        problems.push(format!("missing {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        problems.push(format!("unexpected {}", extra.join(", ")));
    }
    if report.is_breaking() != case.expect.breaking {
        problems.push(format!(
            "breaking is {}, expected {}",
            report.is_breaking(),
            case.expect.breaking
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}\n{}",
            case.name,
            problems.join("; "),
            indent(&report.render_text())
        ))
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    | {line}\n")).collect()
}

#[test]
fn corpus() {
    let base: Value =
        serde_json::from_str(include_str!("corpus/base.json")).expect("base.json parses");
    let cases = load_cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| run(case, &base).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_names_are_unique_and_rules_exist() {
    let mut names = BTreeSet::new();
    for case in load_cases() {
        assert!(
            names.insert(case.name.clone()),
            "duplicate case name {:?}",
            case.name
        );
        for (id, _) in &case.expect.findings {
            assert!(
                Rule::from_id(id).is_some(),
                "{}: unknown rule {id}",
                case.name
            );
        }
    }
}

#[test]
fn corpus_covers_every_rule() {
    let covered: BTreeSet<String> = load_cases()
        .into_iter()
        .flat_map(|case| case.expect.findings.into_iter().map(|(rule, _)| rule))
        .collect();
    let uncovered: Vec<&str> = Rule::ALL
        .iter()
        .map(|rule| rule.id())
        .filter(|id| !covered.contains(*id))
        .collect();
    assert!(uncovered.is_empty(), "no corpus case expects {uncovered:?}");
}

//! The table-driven corpus: each case in `corpus/cases.json` patches the
//! frozen `corpus/base.json` into an old and a new document and states the
//! exact set of rule ids the comparison must report, and the verdict.

use std::collections::BTreeSet;

use openapi_compat::{compare, Document, Rule};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    old: json_patch::Patch,
    new: json_patch::Patch,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    breaking: bool,
    rules: BTreeSet<String>,
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
    let report = compare(&old, &new);
    let found: BTreeSet<String> = report
        .changes
        .iter()
        .map(|c| c.rule.id().to_owned())
        .collect();
    let mut problems = Vec::new();
    let missing: Vec<_> = case.expect.rules.difference(&found).collect();
    let extra: Vec<_> = found.difference(&case.expect.rules).collect();
    if !missing.is_empty() {
        problems.push(format!("missing {missing:?}"));
    }
    if !extra.is_empty() {
        problems.push(format!("unexpected {extra:?}"));
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
        for id in &case.expect.rules {
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
        .flat_map(|case| case.expect.rules)
        .collect();
    let uncovered: Vec<&str> = Rule::ALL
        .iter()
        .map(|rule| rule.id())
        .filter(|id| !covered.contains(*id))
        .collect();
    assert!(uncovered.is_empty(), "no corpus case expects {uncovered:?}");
}

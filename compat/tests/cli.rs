//! The `openapi-compat` binary as another team's CI runs it: exit codes,
//! formats, accepted changes.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn base() -> Value {
    serde_json::from_str(include_str!("corpus/base.json")).unwrap()
}

/// The base without `ContactChannel.is_primary`, a required response property.
fn without_is_primary() -> Value {
    let mut spec = base();
    let channel = &mut spec["components"]["schemas"]["ContactChannel"];
    channel["properties"]
        .as_object_mut()
        .unwrap()
        .remove("is_primary");
    channel["required"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r != "is_primary");
    spec
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compat-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn run(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_openapi-compat"))
        .args(args)
        .output()
        .unwrap()
}

fn out(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn err(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// The base as JSON and the changed spec as YAML, in one folder.
fn pair(name: &str) -> (PathBuf, String, String) {
    let dir = scratch(name);
    let old = write(&dir, "old.json", &base().to_string());
    let yaml = serde_norway::to_string(&without_is_primary()).unwrap();
    let new = write(&dir, "new.yaml", &yaml);
    (dir, old, new)
}

#[test]
fn a_breaking_change_exits_one_and_none_exits_zero() {
    let (_, old, new) = pair("exit");
    let output = run(&["diff", &old, &new]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    // The shared ContactChannel: once, with the operations it reaches.
    assert_eq!(
        out(&output),
        "document\n  breaking  response-property-removed  components/schemas/ContactChannel/properties/is_primary: property `is_primary` removed\n      reached by: GET /api/v1/contact-channels (list_contact_channels); POST /api/v1/contact-channels (create_contact_channel); GET /api/v1/contact-channels/{user_id}/{contact_channel_id} (get_contact_channel); PATCH /api/v1/contact-channels/{user_id}/{contact_channel_id} (update_contact_channel)\n1 change: 1 breaking, 0 warnings, 0 info\n"
    );
    let expanded = run(&["diff", &old, &new, "--expand"]);
    assert_eq!(expanded.status.code(), Some(1), "{expanded:?}");
    let text = out(&expanded);
    assert!(
        text.contains("  breaking  response-property-removed  responses/200/content/application/json/schema/properties/is_primary: "),
        "{text}"
    );
    assert!(
        text.ends_with("4 changes: 4 breaking, 0 warnings, 0 info\n"),
        "{text}"
    );
    let same = run(&["diff", &old, &old]);
    assert_eq!(same.status.code(), Some(0), "{same:?}");
    assert_eq!(out(&same), "no changes\n");
}

#[test]
fn fail_on_lowers_the_bar() {
    let dir = scratch("fail-on");
    let old = write(&dir, "old.json", &base().to_string());
    let mut doc = base();
    doc["info"]["description"] = "Contact channels.".into();
    let new = write(&dir, "new.json", &doc.to_string());
    assert_eq!(run(&["diff", &old, &new]).status.code(), Some(0));
    let strict = ["diff", &old, &new, "--fail-on", "info"];
    assert_eq!(run(&strict).status.code(), Some(1));
    let warning = ["diff", &old, &new, "--fail-on", "warning"];
    assert_eq!(run(&warning).status.code(), Some(0));
}

#[test]
fn github_format_annotates_the_new_file() {
    let (_, old, new) = pair("github");
    let output = run(&["diff", &old, &new, "--format", "github", "--expand"]);
    assert_eq!(output.status.code(), Some(1));
    let text = out(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    let first = format!(
        "::error file={},title=breaking response-property-removed::GET /api/v1/contact-channels (list_contact_channels): responses/200/content/application/json/schema/properties/items/items/properties/is_primary: property `is_primary` removed",
        new.replace(':', "%3A")
    );
    assert_eq!(lines[0], first);
    assert_eq!(
        lines[4],
        "::notice title=openapi-compat::4 changes: 4 breaking, 0 warnings, 0 info"
    );
}

#[test]
fn accepted_changes_need_a_reason_and_are_listed_not_counted() {
    let (dir, old, new) = pair("ignore");
    let accept = write(
        &dir,
        "accepted.yaml",
        "- rule: response-property-removed\n  location: components/schemas/ContactChannel\n  operation: list_contact_channels\n  reason: the list never showed it\n- rule: response-property-removed\n  location: responses/200/content/application/json/schema\n  reason: no client reads it (checked with the SDK team)\n- rule: response-property-removed\n  operation: POST /api/v1/contact-channels\n  reason: new in this release\n- rule: operation-removed\n  reason: stale entry\n",
    );
    let output = run(&["diff", &old, &new, "--ignore", &accept]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(out(&output), "no changes\n");
    let log = err(&output);
    assert_eq!(
        log.matches("accepted: response-property-removed").count(),
        4,
        "{log}"
    );
    assert!(log.contains("(get_contact_channel) responses/200/content/application/json/schema/properties/is_primary: no client reads it (checked with the SDK team)"), "{log}");
    assert!(log.contains("(create_contact_channel) responses/201/content/application/json/schema/properties/is_primary: new in this release"), "{log}");
    assert!(log.contains("(list_contact_channels) responses/200/content/application/json/schema/properties/items/items/properties/is_primary: the list never showed it"), "{log}");
    assert!(
        log.contains("warning: accepted change `operation-removed` matched nothing"),
        "{log}"
    );

    let reasonless = write(
        &dir,
        "bad.yaml",
        "- rule: operation-removed\n  reason: ' '\n",
    );
    let output = run(&["diff", &old, &new, "--ignore", &reasonless]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        err(&output).contains("accepted without a reason"),
        "{output:?}"
    );
}

#[test]
fn unreadable_documents_exit_two_and_loose_ones_warn() {
    let (dir, old, _) = pair("unreadable");
    let output = run(&["diff", &old, "/nonexistent.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        err(&output).contains("/nonexistent.yaml: no such file"),
        "{output:?}"
    );

    let mut loose = base();
    let get = &mut loose["paths"]["/api/v1/users/{user_id}"]["get"];
    get["responses"]["200"]
        .as_object_mut()
        .unwrap()
        .remove("description");
    let loose = write(&dir, "loose.json", &loose.to_string());
    let output = run(&["diff", &old, &loose]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        err(&output).contains("GET /api/v1/users/{user_id}: response 200 has no `description`"),
        "{output:?}"
    );
}

#[test]
fn rules_lists_the_table() {
    let output = run(&["rules"]);
    assert_eq!(output.status.code(), Some(0));
    let text = out(&output);
    assert_eq!(text.lines().count(), openapi_compat::Rule::ALL.len());
    assert!(text.contains("operation-removed\tbreaking\tmajor\tAn operation was removed"));
}

#[test]
fn deprecation_days_enforce_a_grace_period() {
    let dir = scratch("deprecation-days");
    let old = write(&dir, "old.json", &base().to_string());
    let mut doc = base();
    doc["paths"]["/api/v1/users/{user_id}"]["delete"]["deprecated"] = true.into();
    let new = write(&dir, "new.json", &doc.to_string());
    assert_eq!(run(&["diff", &old, &new]).status.code(), Some(0));
    let strict = run(&["diff", &old, &new, "--deprecation-days", "30"]);
    assert_eq!(strict.status.code(), Some(1), "{strict:?}");
    assert!(out(&strict).contains("breaking  sunset-too-soon  deprecated: operation deprecated without a sunset date (at least 30 days ahead is required)"), "{strict:?}");
}

#[test]
fn a_grouped_change_names_its_operations_in_every_format() {
    let (_, old, new) = pair("grouped");
    let json: Value =
        serde_json::from_str(&out(&run(&["diff", &old, &new, "--format", "json"]))).unwrap();
    let change = &json["changes"][0];
    assert_eq!(change["operation"], Value::Null);
    assert_eq!(
        change["location"],
        "components/schemas/ContactChannel/properties/is_primary"
    );
    let ids: Vec<&str> = change["reached_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["operation_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "list_contact_channels",
            "create_contact_channel",
            "get_contact_channel",
            "update_contact_channel"
        ]
    );
    let markdown = out(&run(&["diff", &old, &new, "--format", "markdown"]));
    assert!(
        markdown.contains("| breaking | `response-property-removed` | 4 operations: GET /api/v1/contact-channels (list_contact_channels); POST"),
        "{markdown}"
    );
    let github = out(&run(&["diff", &old, &new, "--format", "github"]));
    assert!(
        github.contains("::4 operations: components/schemas/ContactChannel/properties/is_primary: property `is_primary` removed\n"),
        "{github}"
    );
}

#[test]
fn version_policy_judges_the_new_version_instead() {
    let dir = scratch("version-policy");
    let mut old = base();
    old["info"]["version"] = "2.0.0".into();
    let old = write(&dir, "old.json", &old.to_string());
    let run_with = |version: &str| {
        let mut new = without_is_primary();
        new["info"]["version"] = version.into();
        let new = write(&dir, &format!("new-{version}.json"), &new.to_string());
        run(&["diff", &old, &new, "--version-policy"])
    };
    let low = run_with("2.1.0");
    assert_eq!(low.status.code(), Some(1), "{low:?}");
    assert!(
        err(&low).contains(
            "error: info.version 2.1.0 is too low: the changes since 2.0.0 call for at least 3.0.0"
        ),
        "{low:?}"
    );
    assert!(out(&low).contains("response-property-removed"), "{low:?}");
    let major = run_with("3.0.0");
    assert_eq!(major.status.code(), Some(0), "{major:?}");
    assert!(
        err(&major)
            .contains("ok: info.version 3.0.0 fits the changes since 2.0.0 (at least 3.0.0)"),
        "{major:?}"
    );
    assert_eq!(run_with("1.9.0").status.code(), Some(1));
    assert_eq!(run_with("next").status.code(), Some(2));
}

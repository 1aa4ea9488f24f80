//! `cargo xtask breaking` as a CI pipeline runs it: exit codes, formats, and where the specs come
//! from. The classification itself is `openapi-compat`'s corpus (compat/tests/corpus).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

const SPEC: &str = "openapi/contact-channels.json";
const PATCH_PATH: &str = "/api/v1/contact-channels/{user_id}/{contact_channel_id}";

fn root() -> PathBuf {
    xtask::workspace_root()
}

fn committed() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(SPEC)).unwrap()).unwrap()
}

/// A scratch folder for this test's spec files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-breaking-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, spec: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(spec).unwrap()).unwrap();
    path.display().to_string()
}

fn breaking(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("breaking")
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The committed spec without `ContactChannel.is_primary`, a required response property.
fn without_is_primary() -> Value {
    let mut spec = committed();
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

#[test]
fn a_removed_response_property_fails_and_names_rule_operation_and_field() {
    let dir = scratch("removed");
    let new = write(&dir, "new.json", &without_is_primary());
    // ContactChannel is shared: reported once, with every operation it reaches.
    let output = breaking(&[SPEC, &new]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = stdout(&output);
    assert!(
        text.contains("  breaking  response-property-removed  components/schemas/ContactChannel/properties/is_primary: property `is_primary` removed\n      reached by: "),
        "{text}"
    );
    assert!(
        text.contains(&format!("PATCH {PATCH_PATH} (update_contact_channel)")),
        "{text}"
    );
    // --expand lists it under each operation.
    let output = breaking(&[SPEC, &new, "--expand"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = stdout(&output);
    let line = text
        .lines()
        .skip_while(|l| !l.contains(&format!("PATCH {PATCH_PATH} (update_contact_channel)")))
        .find(|l| l.contains("response-property-removed"))
        .unwrap_or_else(|| panic!("no removal reported under the PATCH operation:\n{text}"));
    assert!(line.contains("breaking"), "{line}");
    assert!(line.contains("is_primary"), "{line}");
    assert!(text.lines().last().unwrap().contains("breaking"), "{text}");
}

#[test]
fn every_format_carries_the_verdict() {
    let dir = scratch("formats");
    let new = write(&dir, "new.json", &without_is_primary());

    let json: Value = serde_json::from_str(&stdout(&breaking(&[
        SPEC, &new, "--format", "json", "--expand",
    ])))
    .unwrap();
    assert_eq!(json["breaking"], true);
    let removed = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["rule"] == "response-property-removed"
                && c["operation"]["operation_id"] == "update_contact_channel"
        })
        .expect("the removal, for the PATCH");
    assert_eq!(removed["severity"], "breaking");
    assert_eq!(removed["direction"], "response");
    assert_eq!(removed["operation"]["method"], "PATCH");
    assert!(removed["location"]
        .as_str()
        .unwrap()
        .ends_with("is_primary"));

    let markdown = stdout(&breaking(&[SPEC, &new, "--format", "markdown"]));
    assert!(markdown.contains("| Severity | Rule |"), "{markdown}");
    assert!(
        markdown.contains("`response-property-removed`"),
        "{markdown}"
    );

    let junit = stdout(&breaking(&[SPEC, &new, "--format", "junit", "--expand"]));
    assert!(junit.starts_with("<?xml"), "{junit}");
    assert!(junit.contains("<failure"), "{junit}");
    assert!(junit.contains("update_contact_channel"), "{junit}");
}

#[test]
fn no_breaking_change_exits_zero_unless_fail_on_asks_for_less() {
    let dir = scratch("docs");
    let same = write(&dir, "same.json", &committed());
    let output = breaking(&[SPEC, &same]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(stdout(&output).contains("no changes"));

    let mut documented = committed();
    documented["paths"][PATCH_PATH]["patch"]["summary"] = "Change a contact channel".into();
    let documented = write(&dir, "documented.json", &documented);
    let output = breaking(&[SPEC, &documented]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(stdout(&output).contains("documentation-changed"));
    let strict = breaking(&[SPEC, &documented, "--fail-on", "info"]);
    assert_eq!(strict.status.code(), Some(1), "{strict:?}");
}

#[test]
fn specs_come_from_git_too_and_unreadable_ones_exit_two_naming_which() {
    // Released files never change, so HEAD's copy equals the working tree's.
    let released = "openapi/released/contact-channels-1.0.0.json";
    let output = breaking(&[&format!("HEAD:{released}"), released]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");

    let dir = scratch("unreadable");
    std::fs::write(dir.join("broken.json"), "{ not json").unwrap();
    let broken = dir.join("broken.json").display().to_string();
    for (args, named) in [
        (vec!["missing.json".to_owned()], "missing.json"),
        (
            vec!["HEAD:no/such/spec.json".to_owned()],
            "HEAD:no/such/spec.json",
        ),
        (vec![SPEC.to_owned(), broken.clone()], broken.as_str()),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = breaking(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}

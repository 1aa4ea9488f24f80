//! Reading documents: YAML and JSON, 3.0 and 3.1, external `$ref`s from
//! files and from git, and lenient loading with warnings.

use std::path::{Path, PathBuf};
use std::process::Command;

use openapi_compat::{compare, Document, Rule};

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compat-load-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const SPEC_YAML: &str = "\
openapi: 3.0.3
info: {title: pets, version: 1.0.0}
paths:
  /pets:
    get:
      operationId: list_pets
      responses:
        200:
          description: ok
          content:
            application/json:
              schema:
                $ref: ./schemas/pet.yaml
";

fn pet(extra: &str) -> String {
    format!(
        "type: object\nrequired: [name]\nproperties:\n  name: {{type: string{extra}}}\n  tag:\n    $ref: '../common.yaml#/Tag'\n"
    )
}

const COMMON: &str = "Tag:\n  type: string\n  enum: [a, b]\n";

#[test]
fn yaml_with_integer_status_keys_reads_like_json() {
    let yaml = Document::parse(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        200: {description: ok}\n",
    )
    .unwrap();
    let json = Document::parse(
        r#"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}}}}}"#,
    )
    .unwrap();
    assert_eq!(yaml.warnings(), &[] as &[String]);
    assert!(compare(&yaml, &json).changes.is_empty());
}

#[test]
fn a_change_behind_relative_refs_is_found_in_files() {
    let (old, new) = (scratch("old"), scratch("new"));
    for (dir, extra, tags) in [
        (&old, "", COMMON.to_owned()),
        (
            &new,
            ", maxLength: 10",
            COMMON.replace("[a, b]", "[a, b, c]"),
        ),
    ] {
        write(dir, "api/spec.yaml", SPEC_YAML);
        write(dir, "api/schemas/pet.yaml", &pet(extra));
        write(dir, "api/common.yaml", &tags);
    }
    let old = Document::load(old.join("api/spec.yaml")).unwrap();
    let new = Document::load(new.join("api/spec.yaml")).unwrap();
    assert_eq!(old.warnings(), &[] as &[String]);
    let report = compare(&old, &new);
    let found: Vec<(Rule, &str)> = report
        .changes
        .iter()
        .map(|c| (c.rule, c.location.as_str()))
        .collect();
    let body = "responses/200/content/application/json/schema/properties";
    assert_eq!(
        found,
        [
            (
                Rule::ResponseConstraintTightened,
                format!("{body}/name/maxLength").as_str()
            ),
            (
                Rule::ResponseEnumValueAdded,
                format!("{body}/tag/enum").as_str()
            ),
        ]
    );
}

#[test]
fn a_missing_referenced_file_is_a_warning_not_an_error() {
    let dir = scratch("missing");
    write(&dir, "spec.yaml", SPEC_YAML);
    let doc = Document::load(dir.join("spec.yaml")).unwrap();
    assert_eq!(doc.warnings().len(), 1, "{:?}", doc.warnings());
    assert!(
        doc.warnings()[0].contains("schemas/pet.yaml not followed"),
        "{:?}",
        doc.warnings()
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(status.status.success(), "git {args:?}: {status:?}");
}

#[test]
fn relative_refs_are_followed_at_the_same_git_revision() {
    let repo = scratch("git");
    git(&repo, &["init", "-q"]);
    write(&repo, "api/spec.yaml", SPEC_YAML);
    write(&repo, "api/schemas/pet.yaml", &pet(""));
    write(&repo, "api/common.yaml", COMMON);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "one"]);
    write(&repo, "api/schemas/pet.yaml", &pet(", maxLength: 10"));
    git(&repo, &["commit", "-q", "-am", "two"]);
    let old = Document::load_git(&repo, "HEAD~1", "api/spec.yaml").unwrap();
    let new = Document::load_git(&repo, "HEAD", "api/spec.yaml").unwrap();
    assert_eq!(old.warnings(), &[] as &[String]);
    let rules: Vec<Rule> = compare(&old, &new).changes.iter().map(|c| c.rule).collect();
    assert_eq!(rules, [Rule::ResponseConstraintTightened]);
}

#[test]
fn letter_of_the_spec_problems_are_warnings() {
    let doc = Document::parse(
        r##"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
            "/a/{id}": {"get": {"parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}],
                                "responses": {"200": {"content": {}}}},
                        "post": {"requestBody": {"$ref": "#/components/requestBodies/Gone"}}}}}"##,
    )
    .unwrap();
    assert_eq!(
        doc.warnings(),
        [
            "GET /a/{id}: response 200 has no `description`",
            "GET /a/{id}: path parameter `id` is not marked required (it is, always)",
            "POST /a/{id}: no `responses`",
            "`$ref` #/components/requestBodies/Gone leads nowhere: compared as written",
        ]
    );
}

#[test]
fn what_is_not_openapi_3_cannot_be_read() {
    for (text, why) in [
        ("{\"swagger\": \"2.0\"}", "Swagger 2.0"),
        ("{\"info\": {}}", "no `openapi` version field"),
        ("openapi: 2.5.0\n", "only 3.0 and 3.1"),
        ("{\"openapi\": ", "not JSON"),
        ("a: [b\n", "neither JSON nor YAML"),
    ] {
        let error = Document::parse(text).unwrap_err().to_string();
        assert!(error.contains(why), "{text}: {error}");
    }
    let error = Document::load("/nonexistent/spec.yaml")
        .unwrap_err()
        .to_string();
    assert!(error.contains("cannot be read"), "{error}");
}

//! The public API and the renderings, on hand-picked changes.

use std::sync::mpsc;
use std::time::Duration;

use openapi_compat::{compare, Bump, Direction, Document, Report, Rule, Severity};
use quick_junit::TestCaseStatus;
use serde_json::{json, Value};

fn base() -> Value {
    serde_json::from_str(include_str!("corpus/base.json")).unwrap()
}

fn spec(value: Value) -> Document {
    let doc = Document::from_value(value).unwrap();
    assert_eq!(doc.warnings(), &[] as &[String], "a valid test document");
    doc
}

/// Compares the base with a copy changed by `edit`.
fn diff(edit: impl FnOnce(&mut Value)) -> Report {
    let mut new = base();
    edit(&mut new);
    compare(&spec(base()), &spec(new))
}

fn without_is_primary() -> Report {
    diff(|doc| {
        let schema = &mut doc["components"]["schemas"]["ContactChannel"];
        schema["properties"]
            .as_object_mut()
            .unwrap()
            .remove("is_primary");
        schema["required"]
            .as_array_mut()
            .unwrap()
            .retain(|name| name != "is_primary");
    })
}

#[test]
fn identical_documents_have_no_changes() {
    let report = compare(&spec(base()), &spec(base()));
    assert!(report.changes.is_empty());
    assert!(!report.is_breaking());
    assert_eq!(report.required_bump(), None);
    assert_eq!(report.render_text(), "no changes\n");
}

#[test]
fn documentation_only_change_is_a_patch() {
    let report = diff(|doc| doc["info"]["description"] = json!("Contact channels."));
    assert_eq!(report.changes.len(), 1);
    assert_eq!(report.changes[0].rule, Rule::DocumentationChanged);
    assert_eq!(report.changes[0].severity, Severity::Info);
    assert_eq!(report.required_bump(), Some(Bump::Patch));
}

#[test]
fn additions_are_minor_and_removals_major() {
    let added = diff(|doc| {
        doc["components"]["schemas"]["User"]["properties"]["nickname"] = json!({"type": "string"});
    });
    assert_eq!(added.required_bump(), Some(Bump::Minor));
    assert_eq!(without_is_primary().required_bump(), Some(Bump::Major));
}

#[test]
fn removed_response_property_is_reported_in_text() {
    let report = without_is_primary();
    assert!(report.is_breaking());
    let change = report
        .changes
        .iter()
        .find(|c| {
            c.operation
                .as_ref()
                .and_then(|op| op.operation_id.as_deref())
                == Some("get_contact_channel")
        })
        .expect("reported under get_contact_channel");
    assert_eq!(change.rule, Rule::ResponsePropertyRemoved);
    assert_eq!(change.direction, Some(Direction::Response));
    assert_eq!(
        change.location,
        "responses/200/content/application/json/schema/properties/is_primary"
    );

    let text = report.render_text();
    assert!(
        text.contains(
            "GET /api/v1/contact-channels/{user_id}/{contact_channel_id} (get_contact_channel)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  breaking  response-property-removed  responses/200/content/application/json/schema/properties/is_primary: "),
        "{text}"
    );
    // list, create, get and update each return a ContactChannel.
    assert!(
        text.ends_with("4 changes: 4 breaking, 0 warnings, 0 info\n"),
        "{text}"
    );
}

#[test]
fn json_rendering_parses_back() {
    let report = without_is_primary();
    let json: Value = serde_json::from_str(&report.render_json()).unwrap();
    assert_eq!(json["breaking"], json!(true));
    assert_eq!(json["bump"], json!("major"));
    assert_eq!(json["summary"]["breaking"], json!(4));
    let changes = json["changes"].as_array().unwrap();
    assert_eq!(changes.len(), report.changes.len());
    let first = &changes[0];
    assert_eq!(first["rule"], json!("response-property-removed"));
    assert_eq!(first["severity"], json!("breaking"));
    assert_eq!(first["direction"], json!("response"));
    assert_eq!(first["bump"], json!("major"));
    assert_eq!(first["operation"]["method"], json!("GET"));
    assert_eq!(
        first["operation"]["path"],
        json!("/api/v1/contact-channels")
    );
    assert_eq!(
        first["operation"]["operation_id"],
        json!("list_contact_channels")
    );

    let document_level = diff(|doc| doc["info"]["title"] = json!("Channels"));
    let json: Value = serde_json::from_str(&document_level.render_json()).unwrap();
    assert_eq!(json["changes"][0]["operation"], Value::Null);
    assert_eq!(json["changes"][0]["direction"], Value::Null);
}

#[test]
fn junit_rendering_fails_the_breaking_operation() {
    let report = diff(|doc| {
        let schema = &mut doc["components"]["schemas"]["User"];
        schema["required"]
            .as_array_mut()
            .unwrap()
            .retain(|name| name != "id");
        doc["info"]["title"] = json!("Channels");
    });
    let xml = report.render_junit();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    assert_eq!(parsed.test_suites.len(), 1);
    let suite = &parsed.test_suites[0];
    assert_eq!(suite.name.as_str(), "openapi-compat");
    let status = |name: &str| {
        &suite
            .test_cases
            .iter()
            .find(|case| case.name.as_str() == name)
            .unwrap_or_else(|| panic!("no test case {name} in {xml}"))
            .status
    };
    let TestCaseStatus::NonSuccess {
        message,
        description,
        ..
    } = status("GET /api/v1/users/{user_id} (get_user)")
    else {
        panic!("get_user should fail: {xml}");
    };
    assert_eq!(
        message.as_ref().map(|m| m.as_str()),
        Some("1 breaking change(s)")
    );
    assert!(description
        .as_ref()
        .unwrap()
        .as_str()
        .contains("response-property-became-optional"));
    assert!(matches!(status("document"), TestCaseStatus::Success { .. }));
    assert_eq!(suite.test_cases.len(), 3, "create_user, get_user, document");
}

#[test]
fn junit_rendering_without_changes_has_one_passing_case() {
    let xml = compare(&spec(base()), &spec(base())).render_junit();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let cases = &parsed.test_suites[0].test_cases;
    assert_eq!(cases.len(), 1);
    assert!(matches!(cases[0].status, TestCaseStatus::Success { .. }));
}

#[test]
fn markdown_rendering_has_a_verdict_and_a_table() {
    let markdown = without_is_primary().render_markdown();
    assert!(
        markdown.starts_with("### ❌ Breaking API changes\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("requires a **major** version bump"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| Severity | Rule | Operation | Location | Change |"),
        "{markdown}"
    );
    assert!(markdown.contains("| breaking | `response-property-removed` | `GET /api/v1/contact-channels (list_contact_channels)` |"), "{markdown}");
    let calm = compare(&spec(base()), &spec(base())).render_markdown();
    assert_eq!(calm, "### ✅ No API changes\n\nno changes.\n");
}

#[test]
fn changes_are_sorted_by_operation_then_location() {
    let report = diff(|doc| {
        doc["components"]["schemas"]["ContactChannelType"]["enum"] = json!(["email", "phone"]);
        doc["info"]["title"] = json!("Channels");
    });
    let keys: Vec<_> = report
        .changes
        .iter()
        .map(|c| {
            (
                c.operation
                    .as_ref()
                    .map(|op| (op.path.clone(), op.method.clone())),
                c.location.clone(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp(y).then(a.1.cmp(&b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    assert_eq!(keys, sorted);
    assert!(report.changes.last().unwrap().operation.is_none());
}

#[test]
fn cyclic_refs_terminate() {
    let doc = |extra: Value| {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/nodes": {"post": {
                "operationId": "post_node",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}
            }}},
            "components": {"schemas": {
                "Node": {"type": "object", "properties": {
                    "next": {"$ref": "#/components/schemas/Node"},
                    "pair": {"$ref": "#/components/schemas/Pair"},
                    "label": extra
                }},
                "Pair": {"type": "object", "properties": {"back": {"allOf": [{"$ref": "#/components/schemas/Node"}]}}},
                "Loop": {"$ref": "#/components/schemas/Loop"}
            }}
        })
    };
    let old = spec(doc(json!({"type": "string"})));
    let new = spec(doc(json!({"type": "string", "maxLength": 5})));
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || sender.send(compare(&old, &new)).unwrap());
    let report = receiver
        .recv_timeout(Duration::from_secs(10))
        .expect("compare terminates on cyclic refs");
    let rules: Vec<Rule> = report.changes.iter().map(|c| c.rule).collect();
    assert_eq!(
        rules,
        [
            Rule::RequestConstraintTightened,
            Rule::ResponseConstraintTightened
        ]
    );
}

/// Runs `compare` on a thread, failing if it does not finish in time.
fn compare_in_time(old: Value, new: Value) -> Report {
    let (old, new) = (spec(old), spec(new));
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || sender.send(compare(&old, &new)).unwrap());
    receiver
        .recv_timeout(Duration::from_secs(10))
        .expect("compare terminates on recursive schemas")
}

fn node_doc(schemas: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/nodes": {"post": {
            "operationId": "post_node",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}
        }}},
        "components": {"schemas": schemas}
    })
}

#[test]
fn recursion_through_a_flattened_all_of_terminates() {
    // The allOf has two members, so flattening merges it and its `$ref` is
    // gone: the cycle must still be recognised.
    let doc = |weight: Value| {
        node_doc(json!({"Node": {"type": "object", "properties": {
            "children": {"type": "array", "items": {"allOf": [
                {"$ref": "#/components/schemas/Node"},
                {"type": "object", "properties": {"weight": weight}}
            ]}}
        }}}))
    };
    let same = compare_in_time(
        doc(json!({"type": "string"})),
        doc(json!({"type": "string"})),
    );
    assert!(same.changes.is_empty(), "{}", same.render_text());
    let report = compare_in_time(
        doc(json!({"type": "string"})),
        doc(json!({"type": "string", "maxLength": 5})),
    );
    let rules: Vec<Rule> = report.changes.iter().map(|c| c.rule).collect();
    assert_eq!(
        rules,
        [
            Rule::RequestConstraintTightened,
            Rule::ResponseConstraintTightened
        ]
    );
}

#[test]
fn recursion_whose_references_never_line_up_terminates() {
    // The same infinite shape, branching twice per level, but the old
    // document passes through a `$ref` at even depths and the new one at
    // odd depths: no pair of references is ever compared, so only cutting
    // on what is compared (not on `$ref` pairs) stops the recursion.
    let level =
        |next: Value| json!({"type": "object", "properties": {"x": next.clone(), "z": next}});
    let with_root = |mut doc: Value, root: Value| {
        doc["paths"]["/nodes"]["post"]["requestBody"]["content"]["application/json"]["schema"] =
            root.clone();
        doc["paths"]["/nodes"]["post"]["responses"]["200"]["content"]["application/json"]
            ["schema"] = root;
        doc
    };
    let a = json!({"$ref": "#/components/schemas/A"});
    let b = json!({"$ref": "#/components/schemas/B"});
    let old = with_root(node_doc(json!({"A": level(level(a.clone()))})), a);
    let new = with_root(node_doc(json!({"B": level(level(b.clone()))})), level(b));
    let report = compare_in_time(old, new);
    // Cut as cycles, not by the depth limit: only the renames are left, one
    // per place where a reference meets an inline schema.
    let found: Vec<(Rule, &str)> = report
        .changes
        .iter()
        .map(|c| (c.rule, c.location.as_str()))
        .collect();
    let mut expected = Vec::new();
    for body in [
        "requestBody/content/application/json/schema",
        "responses/200/content/application/json/schema",
    ] {
        for place in ["", "/properties/x", "/properties/z"] {
            expected.push((Rule::SchemaRenamed, format!("{body}{place}")));
        }
    }
    expected.push((Rule::ComponentRemoved, "components/schemas/A".to_owned()));
    expected.push((Rule::ComponentAdded, "components/schemas/B".to_owned()));
    let expected: Vec<(Rule, &str)> = expected.iter().map(|(r, l)| (*r, l.as_str())).collect();
    assert_eq!(found, expected, "{}", report.render_text());
}

#[test]
fn a_change_in_a_shared_component_is_grouped_once_and_a_lone_one_stays() {
    let report = without_is_primary().group_shared();
    assert_eq!(report.changes.len(), 1, "{}", report.render_text());
    let change = &report.changes[0];
    assert_eq!(change.operation, None);
    assert_eq!(
        change.location,
        "components/schemas/ContactChannel/properties/is_primary"
    );
    let ids: Vec<_> = change
        .reached_by
        .iter()
        .filter_map(|op| op.operation_id.as_deref())
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

    // ContactChannelCreate is used by one operation: its change stays there.
    let lone = diff(|doc| {
        doc["components"]["schemas"]["ContactChannelCreate"]["properties"]["value"]["maxLength"] =
            json!(100);
    })
    .group_shared();
    assert_eq!(lone.changes.len(), 1, "{}", lone.render_text());
    let change = &lone.changes[0];
    assert_eq!(
        change
            .operation
            .as_ref()
            .and_then(|op| op.operation_id.as_deref()),
        Some("create_contact_channel")
    );
    assert_eq!(
        change.location,
        "requestBody/content/application/json/schema/properties/value/maxLength"
    );
    assert_eq!(
        change.shared.as_deref(),
        Some("components/schemas/ContactChannelCreate/properties/value/maxLength")
    );
    assert!(change.reached_by.is_empty());
}

#[test]
fn shared_parameters_responses_and_bodies_are_grouped_too() {
    let doc = |maximum: u32, description: &str, body_max: u32| {
        let op = |id: &str| {
            json!({
                "operationId": id,
                "parameters": [{"$ref": "#/components/parameters/Limit"}],
                "requestBody": {"$ref": "#/components/requestBodies/Note"},
                "responses": {"400": {"$ref": "#/components/responses/Bad"}}
            })
        };
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"post": op("a")}, "/b": {"post": op("b")}},
            "components": {
                "parameters": {"Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": maximum}}},
                "requestBodies": {"Note": {"content": {"text/plain": {"schema": {"type": "string", "maxLength": body_max}}}}},
                "responses": {"Bad": {"description": description}}
            }
        })
    };
    let report = compare(&spec(doc(10, "bad", 5)), &spec(doc(5, "Bad", 4))).group_shared();
    let found: Vec<(Rule, &str, usize)> = report
        .changes
        .iter()
        .map(|c| (c.rule, c.location.as_str(), c.reached_by.len()))
        .collect();
    assert_eq!(
        found,
        [
            (
                Rule::RequestConstraintTightened,
                "components/parameters/Limit/schema/maximum",
                2
            ),
            (
                Rule::RequestConstraintTightened,
                "components/requestBodies/Note/content/text/plain/schema/maxLength",
                2
            ),
            (
                Rule::DocumentationChanged,
                "components/responses/Bad/description",
                2
            ),
        ],
        "{}",
        report.render_text()
    );
}

//! The contract: the committed spec, what the server emits, the generated client and the seed
//! page agree, and what is derived from the spec is pinned by snapshots.

use serde_json::{json, Value};

fn committed() -> Value {
    serde_json::from_str(&xtask::committed_spec_text().unwrap()).unwrap()
}

#[test]
fn the_server_emits_exactly_the_committed_spec() {
    let drift = xtask::spec_drift().unwrap();
    assert!(
        drift.is_empty(),
        "the server's spec differs from {}:\n  - {}\nRun `cargo xtask check` for the fix.",
        xtask::SPEC_PATH,
        drift.join("\n  - ")
    );
}

#[test]
fn the_checked_in_client_is_fresh() {
    if let Some(diff) = xtask::client_drift().unwrap() {
        panic!(
            "{} is stale; run `cargo xtask generate`:\n{diff}",
            xtask::CLIENT_PATH
        );
    }
}

#[test]
fn drift_is_reported_by_operation_and_field() {
    let spec = committed();
    let mut changed = spec.clone();
    let patch =
        &mut changed["paths"]["/api/v1/contact-channels/{user_id}/{contact_channel_id}"]["patch"];
    patch["parameters"][0]["required"] = json!(false);
    changed["components"]["schemas"]["ContactChannel"]["required"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f != "is_primary");
    let drift = xtask::diff_specs(&spec, &changed);
    assert_eq!(drift.len(), 2, "{drift:#?}");
    assert!(
        drift[0].starts_with("schema ContactChannel: components/schemas/ContactChannel/required"),
        "{drift:#?}"
    );
    assert!(
        drift[1].starts_with(
            "operation update_contact_channel (PATCH /api/v1/contact-channels/{user_id}/{contact_channel_id}): \
             paths/~"
        ),
        "{drift:#?}"
    );
    assert!(drift[1].contains("parameters/0/required"), "{drift:#?}");
}

/// A field as the seed page documents it: name, type, whether required, description, example.
struct SeedField {
    name: &'static str,
    ty: &'static str,
    required: bool,
    description: &'static str,
    example: Value,
}

const VALUE: &str =
    "The value of the contact channel. For email, this should be a valid email address.";
const TYPE: &str = "The type of the contact channel. Currently only \"email\" is supported.";
const USED_FOR_AUTH: &str = "Whether the contact channel is used for authentication. If this is set to true, the user will be able to sign in with the contact channel with password or OTP.";
const IS_PRIMARY: &str = "Whether the contact channel is the primary contact channel. If this is set to true, it will be used for authentication and notifications by default.";
const IS_VERIFIED: &str = "Whether the contact channel has been verified. If this is set to true, the contact channel has been verified to belong to the user.";

/// The seed page (`../shared/seed/`), transcribed: `PATCH /contact-channels/{user_id}/{contact_channel_id}`.
fn seed_path_params() -> Vec<SeedField> {
    vec![
        SeedField {
            name: "user_id",
            ty: "string",
            required: true,
            description: "the user that the contact channel belongs to",
            example: json!("me"),
        },
        SeedField {
            name: "contact_channel_id",
            ty: "string",
            required: true,
            description: "the target contact channel",
            example: json!("b3d396b8-c574-4c80-97b3-50031675ceb2"),
        },
    ]
}

fn seed_body() -> Vec<SeedField> {
    vec![
        SeedField {
            name: "value",
            ty: "string",
            required: false,
            description: VALUE,
            example: json!("johndoe@example.com"),
        },
        SeedField {
            name: "type",
            ty: "string",
            required: false,
            description: TYPE,
            example: json!("email"),
        },
        SeedField {
            name: "used_for_auth",
            ty: "boolean",
            required: false,
            description: USED_FOR_AUTH,
            example: json!(true),
        },
        SeedField {
            name: "is_primary",
            ty: "boolean",
            required: false,
            description: IS_PRIMARY,
            example: json!(true),
        },
    ]
}

fn seed_response() -> Vec<SeedField> {
    vec![
        SeedField {
            name: "user_id",
            ty: "string",
            required: true,
            description: "The unique identifier of the user",
            example: json!("3241a285-8329-4d69-8f3d-316e08cf140c"),
        },
        SeedField {
            name: "id",
            ty: "string",
            required: true,
            description: "The unique identifier of the contact channel",
            example: json!("b3d396b8-c574-4c80-97b3-50031675ceb2"),
        },
        SeedField {
            name: "value",
            ty: "string",
            required: true,
            description: VALUE,
            example: json!("johndoe@example.com"),
        },
        SeedField {
            name: "type",
            ty: "string",
            required: true,
            description: TYPE,
            example: json!("email"),
        },
        SeedField {
            name: "used_for_auth",
            ty: "boolean",
            required: true,
            description: USED_FOR_AUTH,
            example: json!(true),
        },
        SeedField {
            name: "is_verified",
            ty: "boolean",
            required: true,
            description: IS_VERIFIED,
            example: json!(true),
        },
        SeedField {
            name: "is_primary",
            ty: "boolean",
            required: true,
            description: IS_PRIMARY,
            example: json!(true),
        },
    ]
}

/// Follows `$ref` and a single-element `allOf` to the schema that carries the type.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return resolve(spec, &spec["components"]["schemas"][name]);
    }
    match schema["allOf"].as_array() {
        Some(all) if all.len() == 1 => resolve(spec, &all[0]),
        _ => schema,
    }
}

fn check_object(spec: &Value, schema: &Value, fields: &[SeedField], what: &str) {
    let schema = resolve(spec, schema);
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map_or(vec![], |r| r.iter().filter_map(Value::as_str).collect());
    for field in fields {
        let property = &schema["properties"][field.name];
        assert!(
            property.is_object(),
            "{what}: the seed documents `{}`, the spec does not",
            field.name
        );
        assert_eq!(
            resolve(spec, property)["type"],
            field.ty,
            "{what}.{}: type",
            field.name
        );
        assert_eq!(
            required.contains(&field.name),
            field.required,
            "{what}.{}: required",
            field.name
        );
        assert_eq!(
            property["description"], field.description,
            "{what}.{}: description",
            field.name
        );
        assert_eq!(
            property["example"], field.example,
            "{what}.{}: example",
            field.name
        );
    }
}

#[test]
fn the_patch_operation_matches_the_seed_page() {
    let spec = committed();
    let op = &spec["paths"]["/api/v1/contact-channels/{user_id}/{contact_channel_id}"]["patch"];
    assert_eq!(op["summary"], "Update a contact channel");
    for field in seed_path_params() {
        let param = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == field.name && p["in"] == "path")
            .unwrap_or_else(|| panic!("path parameter {} missing", field.name));
        assert_eq!(param["required"], field.required, "{}", field.name);
        assert_eq!(param["description"], field.description, "{}", field.name);
        // Ids are named schemas (`UserIdOrMe`, `ContactChannelId`) that carry the example.
        let schema = resolve(&spec, &param["schema"]);
        assert_eq!(schema["type"], field.ty, "{}", field.name);
        assert_eq!(schema["example"], field.example, "{}", field.name);
    }
    let body = &op["requestBody"]["content"]["application/json"]["schema"];
    check_object(&spec, body, &seed_body(), "request body");
    // Besides the seed's fields, only the server-only `is_verified`.
    let mut extra: Vec<String> = resolve(&spec, body)["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    extra.retain(|k| !seed_body().iter().any(|f| f.name == k));
    assert_eq!(extra, ["is_verified"]);
    let ok = &op["responses"]["200"]["content"]["application/json"]["schema"];
    check_object(&spec, ok, &seed_response(), "200 response");
    assert_eq!(
        resolve(&spec, ok)["properties"].as_object().unwrap().len(),
        7
    );
}

/// The transcription above is checked against the seed page itself when it sits beside the
/// checkout (it does in CI).
#[test]
fn the_transcription_matches_the_seed_file() {
    let dir = xtask::workspace_root().join("../shared/seed");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        contact_channels_server::report_skipped_test(&format!(
            "no seed folder at {}",
            dir.display()
        ));
        return;
    };
    let text: String = entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("PATCH") && text.contains("Update a contact channel"));
    for field in seed_path_params()
        .iter()
        .chain(&seed_body())
        .chain(&seed_response())
    {
        assert!(
            text.contains(&format!("\n{}\n{}\n", field.name, field.ty)),
            "{} {}",
            field.name,
            field.ty
        );
        assert!(text.contains(field.description), "{}", field.description);
        assert!(
            text.contains(&format!("Example:\n\n{}", field.example)),
            "{} {}",
            field.name,
            field.example
        );
    }
}

#[test]
fn operations_snapshot() {
    let spec = committed();
    let mut lines = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let statuses: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
            lines.push(format!(
                "{:<6} {path} {} [{}] {:?}",
                method.to_uppercase(),
                op["operationId"].as_str().unwrap(),
                op["summary"].as_str().unwrap_or_default(),
                statuses
            ));
        }
    }
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn error_codes_snapshot() {
    let lines: Vec<String> = contact_channels_api::ErrorCode::ALL
        .iter()
        .map(|code| {
            format!(
                "{} {} known-error-header={}",
                code.status().as_u16(),
                code.as_str(),
                code.is_known_to_sdk()
            )
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn client_surface_snapshot() {
    let source = std::fs::read_to_string(xtask::workspace_root().join(xtask::CLIENT_PATH)).unwrap();
    let mut surface: Vec<String> = source
        .lines()
        .map(str::trim)
        .filter(|l| {
            (l.starts_with("pub fn ")
                && l.contains("(&self)")
                && !l.contains("baseurl")
                && !l.contains("client"))
                || (l.starts_with("pub struct ") || l.starts_with("pub enum "))
        })
        .map(|l| l.trim_end_matches(['{', ' ']).to_owned())
        .collect();
    surface.sort();
    surface.dedup();
    insta::assert_snapshot!(surface.join("\n"));
}

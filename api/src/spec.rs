//! The spec as the server implements it: dropshot's rendering of [`crate::ContactChannelsApi`],
//! plus what dropshot cannot express: the auth headers as security schemes, each operation's
//! error statuses, links between operations, the verification routes' literal paths, servers,
//! license and tag descriptions.

use crate::operations::{self, ErrorBody, Operation, Security};
use crate::{contact_channels_api_mod, ErrorCode, TITLE, VERSION};
use serde_json::{json, Map, Value};

const DESCRIPTION: &str = "\
Stack Auth's contact-channel API (a user's email addresses), wire-compatible with Stack Auth.

Every request names its project and access type in headers: `x-stack-project-id`, \
`x-stack-access-type` (`client`, `server` or `admin`) and the matching key \
(`x-stack-publishable-client-key`, `x-stack-secret-server-key` or \
`x-stack-super-secret-admin-key`). A user's access token goes in `x-stack-access-token`; \
`x-stack-branch-id` is optional (default `main`). Every header is also accepted with the \
`x-hexclave-` prefix.

Errors have the body `{code, error, details}`. Codes that Stack Auth's SDK knows also come with \
the `x-stack-known-error` and `x-hexclave-known-error` response headers. A request with \
`x-stack-override-error-status: true` (as the SDK sends, for hosts that replace non-2xx \
responses) gets its errors with status 200, the same body and headers, and the real status in \
`x-stack-actual-status` and `x-hexclave-actual-status`; without that header, statuses are as \
documented here.

Browser apps may call the API from any origin (CORS), unless the operator restricts origins \
(`serve --cors-origins`): authentication is by header, never by cookie, and no response allows \
credentials.";

/// The description of an error status: the codes answered with it, each with its summary.
fn status_description(operation: &Operation, codes: &[ErrorCode]) -> String {
    let described: Vec<String> = codes
        .iter()
        .map(|code| match operation.error_body {
            // In OAuth's body the API's own codes travel in `code`, beside OAuth's `error`.
            ErrorBody::OAuth if !code.is_oauth() => {
                format!("`{}` (in `code`): {}", code.as_str(), code.summary())
            }
            _ => format!("`{}`: {}", code.as_str(), code.summary()),
        })
        .collect();
    described.join("; ")
}

/// The security requirements of an operation: the key schemes, with the user's token for
/// client access or a refresh token, or none at all.
fn security(kind: Security) -> Value {
    let token = match kind {
        Security::InBody => return json!([]),
        Security::Keys => "access_token",
        Security::RefreshToken => "refresh_token",
    };
    // An access token is for client access only; a refresh token goes with any key.
    let with_token = |key: &str, needs: bool| {
        let mut requirement = json!({ "project_id": [], "access_type": [], key: [] });
        if needs {
            requirement[token] = json!([]);
        }
        requirement
    };
    let refresh = kind == Security::RefreshToken;
    json!([
        with_token("publishable_client_key", true),
        with_token("secret_server_key", refresh),
        with_token("super_secret_admin_key", refresh),
    ])
}

/// The spec as the server implements it: dropshot's rendering of the trait, plus what dropshot
/// cannot express (the auth headers as security schemes, and each operation's error statuses).
pub fn openapi_document() -> Value {
    let description =
        contact_channels_api_mod::stub_api_description().expect("the API description is valid");
    let mut definition = description.openapi(TITLE, VERSION);
    definition.description(DESCRIPTION);
    let mut doc = definition.json().expect("the spec serializes");

    // The spec names each header under the first prefix.
    let header_scheme = |name: &str, what: &str| json!({ "type": "apiKey", "in": "header", "name": crate::prefixed_header(name)[0].as_str(), "description": what });
    doc["components"]["securitySchemes"] = json!({
        "project_id": header_scheme("project-id", "The project's id."),
        "access_type": header_scheme("access-type", "`client`, `server` or `admin`."),
        "publishable_client_key": header_scheme("publishable-client-key", "Key for `client` access."),
        "secret_server_key": header_scheme("secret-server-key", "Key for `server` access."),
        "super_secret_admin_key": header_scheme("super-secret-admin-key", "Key for `admin` access."),
        "access_token": header_scheme("access-token", "A user's access token (an ES256 JWT), with any access type."),
        "refresh_token": header_scheme("refresh-token", "A session's refresh token, for `refresh_session`."),
    });
    // Operations state theirs only where it differs from the keys.
    doc["security"] = security(Security::Keys);
    doc["servers"] = json!([{
        "url": "http://127.0.0.1:8102",
        "description": "A local server, as `contact-channels serve` starts it",
    }]);
    // An SPDX expression; OpenAPI 3.0 has no `identifier`, so the url names the SPDX list.
    doc["info"]["license"] =
        json!({ "name": "MIT OR Apache-2.0", "url": "https://spdx.org/licenses/" });
    doc["tags"] = json!([
        { "name": "contact-channels", "description": "A user's email addresses: create, read, update, delete, and verify them by email." },
        { "name": "sessions", "description": "Signing a user in, refreshing the access token (also by OAuth 2.0's refresh-token grant), and signing out." },
        { "name": "users", "description": "The users that own contact channels." },
    ]);

    // Only the token endpoint's errors use it, in a description dropshot does not see.
    let mut generator = schemars::gen::SchemaSettings::openapi3().into_generator();
    let oauth_error = generator
        .root_schema_for::<crate::types::OAuthError>()
        .schema;
    doc["components"]["schemas"]["OAuthError"] =
        serde_json::to_value(oauth_error).expect("a schema serializes");
    render_literal_segments(&mut doc);
    add_links(&mut doc);
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for operation in item.values_mut() {
                let id = operation["operationId"].as_str().unwrap_or_default();
                let row = operations::operation(id).unwrap_or_else(|| {
                    panic!(
                        "operation {id} has no row in api/src/operations.rs: add one to \
                         OPERATIONS with the error codes it answers and its security"
                    )
                });
                if row.security != Security::Keys {
                    operation["security"] = security(row.security);
                }
                let schema = match row.error_body {
                    ErrorBody::Api => "#/components/schemas/Error",
                    ErrorBody::OAuth => "#/components/schemas/OAuthError",
                };
                let responses = &mut operation["responses"];
                for (status, codes) in row.error_statuses() {
                    // One error type per operation, as generated clients expect.
                    responses[status.to_string()] = json!({
                        "description": status_description(row, &codes),
                        "content": { "application/json": { "schema": { "$ref": schema } } }
                    });
                }
                if row.error_body == ErrorBody::OAuth {
                    // The API's own error body fits the OAuth error's shape too.
                    for range in ["4XX", "5XX"] {
                        responses[range] = json!({
                            "description": "Error",
                            "content": { "application/json": { "schema": { "$ref": schema } } }
                        });
                    }
                }
            }
        }
    }
    canonical(doc)
}

/// An OpenAPI link from a created resource to an operation on it, so that a reader, and
/// schemathesis' stateful phase, can chain real resources.
struct Link {
    /// The operation whose response the link starts from.
    from: &'static str,
    status: &'static str,
    name: &'static str,
    /// The operation it leads to.
    to: &'static str,
    /// Its parameters, as runtime expressions on the response.
    parameters: &'static [(&'static str, &'static str)],
    /// The body field that takes the created user's id.
    body_user_id: Option<&'static str>,
}

const CHANNEL: &[(&str, &str)] = &[
    ("user_id", "$response.body#/user_id"),
    ("contact_channel_id", "$response.body#/id"),
];
const USER: &[(&str, &str)] = &[("user_id", "$response.body#/id")];

const fn link(
    from: &'static str,
    name: &'static str,
    to: &'static str,
    parameters: &'static [(&'static str, &'static str)],
) -> Link {
    Link {
        from,
        status: "201",
        name,
        to,
        parameters,
        body_user_id: None,
    }
}

const LINKS: &[Link] = &[
    link(
        "create_contact_channel",
        "GetContactChannel",
        "get_contact_channel",
        CHANNEL,
    ),
    link(
        "create_contact_channel",
        "UpdateContactChannel",
        "update_contact_channel",
        CHANNEL,
    ),
    link(
        "create_contact_channel",
        "DeleteContactChannel",
        "delete_contact_channel",
        CHANNEL,
    ),
    link(
        "create_contact_channel",
        "SendVerificationCode",
        "send_contact_channel_verification_code",
        CHANNEL,
    ),
    link(
        "create_contact_channel",
        "ListUserContactChannels",
        "list_contact_channels",
        &[("user_id", "$response.body#/user_id")],
    ),
    link("create_user", "GetUser", "get_user", USER),
    link("create_user", "DeleteUser", "delete_user", USER),
    link(
        "create_user",
        "ListContactChannels",
        "list_contact_channels",
        USER,
    ),
    Link {
        body_user_id: Some("user_id"),
        ..link(
            "create_user",
            "CreateContactChannel",
            "create_contact_channel",
            &[],
        )
    },
    Link {
        body_user_id: Some("user_id"),
        ..link("create_user", "CreateSession", "create_session", &[])
    },
];

fn add_links(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    let operations = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for operation in operations {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for link in LINKS.iter().filter(|l| l.from == id) {
            let mut value = json!({ "operationId": link.to });
            if !link.parameters.is_empty() {
                let parameters: Map<String, Value> = link
                    .parameters
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), json!(v)))
                    .collect();
                value["parameters"] = Value::Object(parameters);
            }
            if let Some(field) = link.body_user_id {
                value["requestBody"] = json!({ field: "$response.body#/id" });
            }
            operation["responses"][link.status]["links"][link.name] = value;
        }
    }
}

/// Renders path parameters whose schema is a single-value string enum as literal segments (see
/// [`types::VerifySegment`]), moving their operations to the literal path.
fn render_literal_segments(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].clone();
    let mut literal_schemas = Vec::new();
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    let mut moved: Vec<(String, String, Value)> = Vec::new();
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let methods: Vec<String> = item.keys().cloned().collect();
        for method in methods {
            let operation = &item[&method];
            let mut literal_path = path.clone();
            let mut kept = Vec::new();
            for param in operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                let name = param["name"].as_str().unwrap_or_default();
                let reference = param["schema"]["$ref"].as_str().unwrap_or_default();
                let schema_name = reference.trim_start_matches("#/components/schemas/");
                let literal = literal_of(&schemas[schema_name]);
                match (param["in"].as_str(), literal) {
                    (Some("path"), Some(literal)) => {
                        literal_path = literal_path.replace(&format!("{{{name}}}"), &literal);
                        literal_schemas.push(schema_name.to_owned());
                    }
                    _ => kept.push(param),
                }
            }
            if literal_path != *path {
                let mut operation = item.remove(&method).expect("the method exists");
                if kept.is_empty() {
                    operation
                        .as_object_mut()
                        .expect("an operation")
                        .remove("parameters");
                } else {
                    operation["parameters"] = Value::Array(kept);
                }
                moved.push((literal_path, method, operation));
            }
        }
    }
    paths.retain(|_, item| item.as_object().is_some_and(|i| !i.is_empty()));
    for (path, method, operation) in moved {
        paths.entry(path).or_insert_with(|| json!({}))[method] = operation;
    }
    // The segments' schemas describe no value a client sends.
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        for name in literal_schemas {
            schemas.remove(&name);
        }
    }
}

/// The one value of a single-value string enum schema.
fn literal_of(schema: &Value) -> Option<String> {
    match schema["enum"].as_array() {
        Some(values) if values.len() == 1 => values[0].as_str().map(str::to_owned),
        _ => None,
    }
}

/// The spec as committed: pretty JSON with sorted keys and a final newline.
pub fn openapi_text() -> String {
    let mut text = serde_json::to_string_pretty(&openapi_document()).expect("JSON serializes");
    text.push('\n');
    text
}

/// Sorts object keys, so the text does not depend on serde_json's `preserve_order` feature.
fn canonical(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

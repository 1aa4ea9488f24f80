//! The spec as the server implements it: dropshot's rendering of [`crate::ContactChannelsApi`],
//! plus what dropshot cannot express: the auth headers as security schemes, each operation's
//! error statuses, links between operations, the verification routes' literal paths, servers,
//! license and tag descriptions.

use crate::{contact_channels_api_mod, TITLE, VERSION};
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

/// The error statuses each operation documents, with the codes each can carry.
fn error_statuses(operation_id: &str) -> Vec<(u16, &'static str)> {
    const BAD_REQUEST: &str = "Invalid input (SCHEMA_ERROR, BODY_PARSING_ERROR), missing or \
        invalid request headers (ACCESS_TYPE_REQUIRED, INVALID_ACCESS_TYPE, \
        PROJECT_KEY_WITHOUT_ACCESS_TYPE, ACCESS_TYPE_WITHOUT_PROJECT_ID, \
        CURRENT_PROJECT_NOT_FOUND), CANNOT_GET_OWN_USER_WITHOUT_USER or USER_ID_DOES_NOT_EXIST";
    const UNAUTHORIZED: &str = "Missing or wrong key, or a bad access token \
        (UNPARSABLE_ACCESS_TOKEN, ACCESS_TOKEN_EXPIRED, INVALID_PROJECT_FOR_ACCESS_TOKEN, \
        *_REQUIRED and INVALID_* key codes, INSUFFICIENT_ACCESS_TYPE)";
    const FORBIDDEN: &str = "A client acting on another user (CLIENT_CANNOT_ACCESS_OTHER_USER)";
    const CHANNEL_NOT_FOUND: &str = "No such contact channel (CONTACT_CHANNEL_NOT_FOUND)";
    const CONFLICT: &str = "The user already has this value (CONTACT_CHANNEL_ALREADY_EXISTS), or \
        another channel already uses it for auth \
        (CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE)";
    const TOO_LARGE: &str = "The body is larger than the server accepts (REQUEST_BODY_TOO_LARGE)";
    const CODE_BAD_REQUEST: &str = "Invalid input (SCHEMA_ERROR, BODY_PARSING_ERROR), missing or \
        invalid request headers, VERIFICATION_CODE_EXPIRED or \
        VERIFICATION_CODE_MAX_ATTEMPTS_REACHED";
    const CODE_NOT_FOUND: &str = "No such code (VERIFICATION_CODE_NOT_FOUND), or its channel was \
        deleted (CONTACT_CHANNEL_NOT_FOUND)";
    const CODE_CONFLICT: &str =
        "The code was used (VERIFICATION_CODE_ALREADY_USED), the channel is \
        verified already (EMAIL_ALREADY_VERIFIED), or its value changed since the code was sent \
        (VERIFICATION_CODE_OUTDATED)";
    let mut statuses = vec![(400, BAD_REQUEST), (401, UNAUTHORIZED)];
    match operation_id {
        "list_contact_channels" => statuses.push((403, FORBIDDEN)),
        "get_contact_channel" | "delete_contact_channel" => {
            statuses.extend([(403, FORBIDDEN), (404, CHANNEL_NOT_FOUND)])
        }
        "create_contact_channel" => {
            statuses.extend([(403, FORBIDDEN), (409, CONFLICT), (413, TOO_LARGE)])
        }
        "update_contact_channel" => statuses.extend([
            (403, FORBIDDEN),
            (404, CHANNEL_NOT_FOUND),
            (409, CONFLICT),
            (413, TOO_LARGE),
        ]),
        "get_user" => statuses.extend([(403, FORBIDDEN), (404, "No such user (USER_NOT_FOUND)")]),
        "delete_user" => statuses.push((404, "No such user (USER_NOT_FOUND)")),
        "create_user" | "create_session" => statuses.push((413, TOO_LARGE)),
        "create_oauth_token" => {
            statuses = vec![
                (
                    400,
                    "OAuth's invalid_request (a missing or malformed parameter) or \
                    unsupported_grant_type (a grant other than refresh_token)",
                ),
                (
                    401,
                    "OAuth's invalid_client (an unknown project or a wrong publishable client \
                    key), or REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED (the session has ended)",
                ),
                (413, TOO_LARGE),
            ];
        }
        "refresh_session" | "delete_current_session" => {
            // Neither reads a body or names a user.
            statuses = vec![
                (
                    400,
                    "Missing or invalid request headers (ACCESS_TYPE_REQUIRED, \
                    INVALID_ACCESS_TYPE, PROJECT_KEY_WITHOUT_ACCESS_TYPE, \
                    ACCESS_TYPE_WITHOUT_PROJECT_ID, CURRENT_PROJECT_NOT_FOUND)",
                ),
                (
                    401,
                    "Missing or wrong key, a bad access token (UNPARSABLE_ACCESS_TOKEN, \
                    ACCESS_TOKEN_EXPIRED, INVALID_PROJECT_FOR_ACCESS_TOKEN), or no valid \
                    refresh token (REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED)",
                ),
            ];
        }
        "send_contact_channel_verification_code" => statuses.extend([
            (403, FORBIDDEN),
            (404, CHANNEL_NOT_FOUND),
            (
                409,
                "The channel is verified already (EMAIL_ALREADY_VERIFIED)",
            ),
            (413, TOO_LARGE),
            (
                502,
                "The email could not be delivered (EMAIL_DELIVERY_FAILED); no code was kept",
            ),
        ]),
        "verify_contact_channel" | "check_contact_channel_verification_code" => {
            statuses[0] = (400, CODE_BAD_REQUEST);
            statuses.extend([
                (404, CODE_NOT_FOUND),
                (409, CODE_CONFLICT),
                (413, TOO_LARGE),
            ]);
        }
        _ => {}
    }
    statuses
}

/// The spec as the server implements it: dropshot's rendering of the trait, plus what dropshot
/// cannot express (the auth headers as security schemes, and each operation's error statuses).
pub fn openapi_document() -> Value {
    let description =
        contact_channels_api_mod::stub_api_description().expect("the API description is valid");
    let mut definition = description.openapi(TITLE, VERSION);
    definition.description(DESCRIPTION);
    let mut doc = definition.json().expect("the spec serializes");

    let header_scheme = |name: &str, what: &str| json!({ "type": "apiKey", "in": "header", "name": format!("x-stack-{name}"), "description": what });
    doc["components"]["securitySchemes"] = json!({
        "project_id": header_scheme("project-id", "The project's id."),
        "access_type": header_scheme("access-type", "`client`, `server` or `admin`."),
        "publishable_client_key": header_scheme("publishable-client-key", "Key for `client` access."),
        "secret_server_key": header_scheme("secret-server-key", "Key for `server` access."),
        "super_secret_admin_key": header_scheme("super-secret-admin-key", "Key for `admin` access."),
        "access_token": header_scheme("access-token", "A user's access token (an ES256 JWT), with any access type."),
        "refresh_token": header_scheme("refresh-token", "A session's refresh token, for `refresh_session`."),
    });
    doc["security"] = json!([
        { "project_id": [], "access_type": [], "publishable_client_key": [], "access_token": [] },
        { "project_id": [], "access_type": [], "secret_server_key": [] },
        { "project_id": [], "access_type": [], "super_secret_admin_key": [] },
    ]);
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
                let id = operation["operationId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                if id == "create_oauth_token" {
                    // The client authenticates in the body.
                    operation["security"] = json!([]);
                }
                if id == "refresh_session" || id == "delete_current_session" {
                    // A refresh token instead of an access token, with any key.
                    operation["security"] = json!([
                        { "project_id": [], "access_type": [], "publishable_client_key": [], "refresh_token": [] },
                        { "project_id": [], "access_type": [], "secret_server_key": [], "refresh_token": [] },
                        { "project_id": [], "access_type": [], "super_secret_admin_key": [], "refresh_token": [] },
                    ]);
                }
                let responses = &mut operation["responses"];
                for (status, what) in error_statuses(&id) {
                    // One error type per operation, as generated clients expect.
                    let schema = match id.as_str() {
                        "create_oauth_token" => "#/components/schemas/OAuthError",
                        _ => "#/components/schemas/Error",
                    };
                    responses[status.to_string()] = json!({
                        "description": what,
                        "content": { "application/json": { "schema": { "$ref": schema } } }
                    });
                }
                if id == "create_oauth_token" {
                    // The API's own error body fits the OAuth error's shape too.
                    for range in ["4XX", "5XX"] {
                        responses[range] = json!({
                            "description": "Error",
                            "content": { "application/json": { "schema": {
                                "$ref": "#/components/schemas/OAuthError"
                            } } }
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

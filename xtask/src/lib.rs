//! The workspace's own tooling, callable from `cargo xtask` and from tests.
//!
//! - the committed spec (`openapi/contact-channels.json`) against the spec the server's API trait
//!   renders ([`spec_drift`]);
//! - the checked-in client (`client/src/generated.rs`) against a fresh progenitor run on the
//!   committed spec ([`client_drift`]);
//! - the TypeScript client's types (`client-typescript/src/schema.d.ts`) against a fresh
//!   openapi-typescript run on the committed spec ([`typescript::schema_drift`]).
//!
//! Nothing here writes the committed spec: it is edited by hand, like code.

pub mod release;
pub mod spec;
pub mod typescript;

use anyhow::{Context, Result};
use serde_json::Value;
use std::path::PathBuf;

/// Path of the committed spec, relative to the workspace root.
pub const SPEC_PATH: &str = "openapi/contact-channels.json";
/// Path of the generated client, relative to the workspace root.
pub const CLIENT_PATH: &str = "client/src/generated.rs";
/// Path of the generated httpmock helpers (the client's `mock` feature).
pub const MOCK_PATH: &str = "client/src/mock.rs";

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace root")
        .to_path_buf()
}

/// `path` relative to the workspace root, for messages.
pub fn relative(path: &std::path::Path) -> std::path::Display<'_> {
    path.strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
}

/// The committed spec, as text.
pub fn committed_spec_text() -> Result<String> {
    let path = workspace_root().join(SPEC_PATH);
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

/// The spec the server's API trait renders.
pub fn emitted_spec_text() -> String {
    contact_channels_api::openapi_text()
}

/// Differences between the committed spec and the emitted one, one line each, naming the
/// operation and the JSON path; empty when they agree.
pub fn spec_drift() -> Result<Vec<String>> {
    let committed: Value =
        serde_json::from_str(&committed_spec_text()?).context("the committed spec is not JSON")?;
    let emitted: Value = serde_json::from_str(&emitted_spec_text())?;
    let mut out = diff_specs(&committed, &emitted);
    if out.is_empty() && committed_spec_text()? != emitted_spec_text() {
        out.push(
            "formatting differs (the spec is pretty JSON with sorted keys and a final newline)"
                .into(),
        );
    }
    Ok(out)
}

/// Differences between two specs, one line each, naming the operation (or schema) and the JSON
/// path of each.
pub fn diff_specs(committed: &Value, emitted: &Value) -> Vec<String> {
    let mut out = Vec::new();
    json_diff(committed, emitted, &mut Vec::new(), committed, &mut out);
    out
}

/// Walks both documents and records where they differ.
fn json_diff(
    committed: &Value,
    emitted: &Value,
    path: &mut Vec<String>,
    root: &Value,
    out: &mut Vec<String>,
) {
    match (committed, emitted) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, va) in a {
                path.push(key.clone());
                match b.get(key) {
                    Some(vb) => json_diff(va, vb, path, root, out),
                    None => out.push(format!(
                        "{}: in the committed spec only: {}",
                        describe(path, root),
                        short(va)
                    )),
                }
                path.pop();
            }
            for (key, vb) in b {
                if !a.contains_key(key) {
                    path.push(key.clone());
                    out.push(format!(
                        "{}: emitted by the server only: {}",
                        describe(path, root),
                        short(vb)
                    ));
                    path.pop();
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                path.push(i.to_string());
                json_diff(va, vb, path, root, out);
                path.pop();
            }
        }
        (a, b) if a != b => out.push(format!(
            "{}: committed {} but the server emits {}",
            describe(path, root),
            short(a),
            short(b)
        )),
        _ => {}
    }
}

/// A JSON path, prefixed with the operation it lies in (`update_contact_channel: paths/...`) or
/// the schema it belongs to.
fn describe(path: &[String], root: &Value) -> String {
    // A JSON pointer (RFC 6901): `~` and `/` inside a key are escaped, so a path's key stays
    // one segment.
    let pointer = path
        .iter()
        .map(|key| key.replace('~', "~0").replace('/', "~1"))
        .collect::<Vec<_>>()
        .join("/");
    if path.len() >= 3 && path[0] == "paths" {
        let op = &root["paths"][&path[1]][&path[2]]["operationId"];
        if let Some(op) = op.as_str() {
            return format!(
                "operation {op} ({} {}): {pointer}",
                path[2].to_uppercase(),
                path[1]
            );
        }
    }
    if path.len() >= 3 && path[0] == "components" && path[1] == "schemas" {
        return format!("schema {}: {pointer}", path[2]);
    }
    pointer
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(117).collect::<String>())
    } else {
        text
    }
}

/// The spec's named string schemas, generated as `String` in the client.
const STRING_SCHEMAS: [&str; 8] = [
    "UserId",
    "UserIdOrMe",
    "ContactChannelId",
    "EmailAddress",
    "VerificationCodeText",
    "CallbackUrl",
    "Cursor",
    "DisplayName",
];

/// The client source progenitor generates from the committed spec, formatted and marked.
pub fn generated_client_source() -> Result<String> {
    generate(|generator, spec| generator.generate_tokens(spec), "")
}

/// The httpmock helpers progenitor generates for the client, formatted and marked.
pub fn generated_mock_source() -> Result<String> {
    generate(
        |generator, spec| generator.httpmock(spec, "crate"),
        "//! Typed httpmock helpers: `MockServerExt` adds one method per operation to\n\
         //! `httpmock::MockServer`, taking that operation's `When` and `Then` wrappers.\n\n",
    )
}

/// Runs progenitor on the committed spec with the client's settings and formats the output.
fn generate(
    tokens: impl FnOnce(
        &mut progenitor::Generator,
        &openapiv3::OpenAPI,
    ) -> Result<proc_macro2::TokenStream, progenitor::Error>,
    docs: &str,
) -> Result<String> {
    let spec: openapiv3::OpenAPI = serde_json::from_str(&committed_spec_text()?)
        .context("the committed spec is not OpenAPI 3.0")?;
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_derive("PartialEq");
    // The spec names its constrained strings (ids, addresses, codes, URLs, cursors) so that it
    // states each rule once; the client takes and returns them as plain `String`s, which the
    // server validates, rather than one newtype each that `&String` and `&id` do not convert to.
    for name in STRING_SCHEMAS {
        settings.with_replacement(
            name,
            "::std::string::String",
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );
    }
    let tokens = tokens(&mut progenitor::Generator::new(&settings), &spec)
        .map_err(|e| anyhow::anyhow!("progenitor could not generate the client: {e}"))?;
    let file: syn::File = syn::parse2(tokens).context("progenitor output does not parse")?;
    let body = prettyplease::unparse(&file);
    Ok(format!(
        "// Generated by `cargo xtask generate` from {SPEC_PATH} with progenitor. Do not edit.\n\
         {docs}#![cfg_attr(rustfmt, rustfmt::skip)]\n\
         #![allow(clippy::all, missing_docs, unused_imports, unreachable_patterns)]\n\n{body}"
    ))
}

/// Whether a checked-in generated file differs from a fresh generation; `Some(diff)` when it
/// does.
fn drift(path: &str, fresh: String) -> Result<Option<String>> {
    let current = std::fs::read_to_string(workspace_root().join(path)).unwrap_or_default();
    if current == fresh {
        return Ok(None);
    }
    let diff = similar::TextDiff::from_lines(&current, &fresh)
        .unified_diff()
        .context_radius(2)
        .header(path, "fresh generation")
        .to_string();
    Ok(Some(diff))
}

/// Whether the checked-in mock helpers differ from a fresh generation; `Some(diff)` when they do.
pub fn mock_drift() -> Result<Option<String>> {
    drift(MOCK_PATH, generated_mock_source()?)
}

/// Whether the checked-in client differs from a fresh generation; `Some(diff)` when it does.
pub fn client_drift() -> Result<Option<String>> {
    drift(CLIENT_PATH, generated_client_source()?)
}

/// Writes a fresh client and its mock helpers.
pub fn write_client() -> Result<()> {
    for (path, source) in [
        (CLIENT_PATH, generated_client_source()?),
        (MOCK_PATH, generated_mock_source()?),
    ] {
        let path = workspace_root().join(path);
        std::fs::write(&path, source).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

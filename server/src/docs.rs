//! The contract as the server publishes it: the committed spec (`GET /openapi.json`) and a
//! reference page rendered from it on the server (`GET /docs`).
//!
//! The page is plain HTML with inline CSS, built once from the spec: no script, nothing fetched
//! from anywhere, so it works with no network and costs the binary only this code and the spec.

use contact_channels_api::ErrorCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::sync::LazyLock;

/// The committed spec, exactly as in the repository.
pub const SPEC: &str = include_str!("../../openapi/contact-channels.json");

/// A strong ETag for the spec: its SHA-256, quoted.
pub static SPEC_ETAG: LazyLock<String> = LazyLock::new(|| etag(SPEC.as_bytes()));

/// The reference page.
pub static PAGE: LazyLock<String> = LazyLock::new(|| {
    let spec: Value = serde_json::from_str(SPEC).expect("the committed spec is JSON");
    render(&spec)
});

/// A strong ETag for the reference page.
pub static PAGE_ETAG: LazyLock<String> = LazyLock::new(|| etag(PAGE.as_bytes()));

fn etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Escapes text for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Spec prose: escaped, with `code` spans kept as code.
fn prose(text: &str) -> String {
    esc(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

/// The component a schema names, through a `$ref` or a one-member `allOf`.
fn ref_name(schema: &Value) -> Option<&str> {
    if let Some(r) = schema["$ref"].as_str() {
        return r.rsplit('/').next();
    }
    match schema["allOf"].as_array() {
        Some(all) if all.len() == 1 => ref_name(&all[0]),
        _ => None,
    }
}

struct Page<'a> {
    spec: &'a Value,
    out: String,
}

impl<'a> Page<'a> {
    fn schema(&self, name: &str) -> &'a Value {
        &self.spec["components"]["schemas"][name]
    }

    /// The schema behind references.
    fn resolve(&self, schema: &'a Value) -> &'a Value {
        match ref_name(schema) {
            Some(name) => self.resolve(self.schema(name)),
            None => schema,
        }
    }

    /// A one-line type: a link to a named schema, or the type with its rules.
    fn type_of(&self, schema: &Value) -> String {
        let name = ref_name(schema);
        let resolved = name.map_or(schema, |n| self.resolve(self.schema(n)));
        let mut text = match (name, resolved["type"].as_str()) {
            (Some(n), Some("object")) | (Some(n), None) => {
                return format!("<a href=\"#schema-{n}\">{n}</a>");
            }
            (_, Some("array")) => format!("array of {}", self.type_of(&resolved["items"])),
            (_, Some(t)) => t.to_owned(),
            (None, None) => "any".to_owned(),
        };
        if let Some(n) = name {
            text = format!("<a href=\"#schema-{n}\">{n}</a> ({text})");
        }
        let mut rules = Vec::new();
        if let Some(f) = resolved["format"].as_str() {
            rules.push(format!("format {}", esc(f)));
        }
        if let Some(values) = resolved["enum"].as_array() {
            let values: Vec<String> = values.iter().map(|v| esc(&v.to_string())).collect();
            rules.push(format!("one of {}", values.join(", ")));
        }
        for (key, label) in [
            ("minimum", "≥"),
            ("maximum", "≤"),
            ("minLength", "length ≥"),
            ("maxLength", "length ≤"),
        ] {
            if let Some(n) = resolved[key].as_u64() {
                rules.push(format!("{label} {n}"));
            }
        }
        if let Some(p) = resolved["pattern"].as_str() {
            rules.push(format!("pattern <code>{}</code>", esc(p)));
        }
        if resolved["nullable"] == true {
            rules.push("or null".into());
        }
        if rules.is_empty() {
            text
        } else {
            format!("{text}; {}", rules.join("; "))
        }
    }

    /// An example value for a schema, from the examples the spec gives.
    fn example(&self, schema: &Value, depth: usize) -> Value {
        if !schema["example"].is_null() {
            return schema["example"].clone();
        }
        let resolved = self.resolve(schema);
        if !resolved["example"].is_null() || depth > 4 {
            return resolved["example"].clone();
        }
        match resolved["type"].as_str() {
            Some("object") => Value::Object(
                resolved["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), self.example(v, depth + 1)))
                    .filter(|(_, v)| !v.is_null())
                    .collect(),
            ),
            Some("array") => Value::Array(vec![self.example(&resolved["items"], depth + 1)]),
            _ => Value::Null,
        }
    }

    /// The properties of an object schema, as a table, and an example.
    fn object(&mut self, schema: &'a Value) {
        let resolved = self.resolve(schema);
        if let Some(name) = ref_name(schema) {
            let _ = write!(
                self.out,
                "<p>Schema <a href=\"#schema-{name}\">{name}</a></p>"
            );
        }
        let Some(properties) = resolved["properties"].as_object() else {
            return;
        };
        let required: Vec<&str> = resolved["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        self.out.push_str(
            "<table><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr>",
        );
        for (name, property) in properties {
            let description = property["description"]
                .as_str()
                .or(self.resolve(property)["description"].as_str())
                .unwrap_or("");
            let _ = write!(
                self.out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(name),
                self.type_of(property),
                if required.contains(&name.as_str()) {
                    "yes"
                } else {
                    "no"
                },
                prose(description)
            );
        }
        self.out.push_str("</table>");
        let example = self.example(schema, 0);
        let example = serde_json::to_string_pretty(&example).unwrap_or_default();
        let _ = write!(self.out, "<p>Example</p><pre>{}</pre>", esc(&example));
    }

    fn operation(&mut self, path: &str, method: &str, op: &'a Value) {
        let id = op["operationId"].as_str().unwrap_or_default();
        let _ = write!(
            self.out,
            "<article id=\"{id}\"><h3><span class=\"method\">{}</span> <code>{}</code></h3>\
             <p class=\"summary\">{}</p>",
            method.to_uppercase(),
            esc(path),
            prose(op["summary"].as_str().unwrap_or(id))
        );
        if let Some(d) = op["description"].as_str() {
            let _ = write!(self.out, "<p>{}</p>", prose(d));
        }
        if let Some(parameters) = op["parameters"].as_array() {
            self.out.push_str(
                "<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Type</th>\
                 <th>Required</th><th>Description</th><th>Example</th></tr>",
            );
            for p in parameters {
                let example = self.example(&p["schema"], 0);
                let _ = write!(
                    self.out,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                     <td>{}</td></tr>",
                    esc(p["name"].as_str().unwrap_or_default()),
                    esc(p["in"].as_str().unwrap_or_default()),
                    self.type_of(&p["schema"]),
                    if p["required"] == true { "yes" } else { "no" },
                    prose(p["description"].as_str().unwrap_or_default()),
                    if example.is_null() {
                        String::new()
                    } else {
                        format!("<code>{}</code>", esc(&example.to_string()))
                    }
                );
            }
            self.out.push_str("</table>");
        }
        let body = &op["requestBody"]["content"]["application/json"]["schema"];
        if !body.is_null() {
            self.out.push_str("<h4>Request body</h4>");
            self.object(body);
        }
        self.out.push_str("<h4>Responses</h4>");
        for (status, response) in op["responses"].as_object().into_iter().flatten() {
            let schema = &response["content"]["application/json"]["schema"];
            let _ = write!(
                self.out,
                "<div class=\"response\"><p><strong>{}</strong> {}</p>",
                esc(status),
                prose(response["description"].as_str().unwrap_or_default())
            );
            if status.starts_with('2') && !schema.is_null() {
                self.object(schema);
            } else if let Some(name) = ref_name(schema) {
                let _ = write!(
                    self.out,
                    "<p>Body: <a href=\"#schema-{name}\">{name}</a></p>"
                );
            }
            self.out.push_str("</div>");
        }
        self.out.push_str("</article>");
    }
}

fn render(spec: &Value) -> String {
    let info = &spec["info"];
    let title = esc(info["title"].as_str().unwrap_or("API"));
    let version = esc(info["version"].as_str().unwrap_or_default());
    let mut page = Page {
        spec,
        out: String::new(),
    };
    let _ = write!(
        page.out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} {version}: API reference</title><style>{STYLE}</style></head><body>\
         <header><h1>{title} <small>{version}</small></h1>"
    );
    for paragraph in info["description"]
        .as_str()
        .unwrap_or_default()
        .split("\n\n")
    {
        let _ = write!(page.out, "<p>{}</p>", prose(paragraph));
    }
    page.out.push_str(
        "<p>The spec itself: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.0).</p>\
         </header><nav><ul>",
    );
    let mut operations: Vec<(&str, &str, &Value)> = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            operations.push((path, method, op));
        }
    }
    for tag in spec["tags"].as_array().into_iter().flatten() {
        let name = tag["name"].as_str().unwrap_or_default();
        let _ = write!(page.out, "<li>{}<ul>", esc(name));
        for (path, method, op) in operations.iter().filter(|o| o.2["tags"][0] == name) {
            let _ = write!(
                page.out,
                "<li><a href=\"#{}\">{} {}</a></li>",
                op["operationId"].as_str().unwrap_or_default(),
                method.to_uppercase(),
                esc(path)
            );
        }
        page.out.push_str("</ul></li>");
    }
    page.out.push_str(
        "<li><a href=\"#errors\">Error codes</a></li><li><a href=\"#schemas\">Schemas</a></li>\
         </ul></nav><main>",
    );
    for tag in spec["tags"].as_array().into_iter().flatten() {
        let name = tag["name"].as_str().unwrap_or_default();
        let _ = write!(
            page.out,
            "<section><h2>{}</h2><p>{}</p>",
            esc(name),
            prose(tag["description"].as_str().unwrap_or_default())
        );
        for (path, method, op) in operations.iter().filter(|o| o.2["tags"][0] == name) {
            page.operation(path, method, op);
        }
        page.out.push_str("</section>");
    }
    page.out.push_str(
        "<section id=\"errors\"><h2>Error codes</h2><p>Every error has the body \
         <code>{code, error, details?}</code>. Codes Stack Auth's SDK knows also come with the \
         <code>x-stack-known-error</code> header.</p><table><tr><th>Code</th><th>Status</th>\
         <th>Known to the SDK</th></tr>",
    );
    for code in ErrorCode::ALL {
        let _ = write!(
            page.out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            code.as_str(),
            code.status().as_u16(),
            if code.is_known_to_sdk() { "yes" } else { "no" }
        );
    }
    page.out
        .push_str("</table></section><section id=\"schemas\"><h2>Schemas</h2>");
    for (name, schema) in spec["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let _ = write!(
            page.out,
            "<article id=\"schema-{name}\"><h3>{name}</h3><p>{}</p>",
            prose(schema["description"].as_str().unwrap_or_default())
        );
        if schema["type"] == "object" {
            page.object(schema);
        } else {
            let _ = write!(page.out, "<p>{}</p>", page.type_of(schema));
        }
        page.out.push_str("</article>");
    }
    page.out.push_str("</section></main></body></html>\n");
    page.out
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;display:grid;\
grid-template-columns:18rem 1fr;color:#1d2330}header{grid-column:1/3;padding:1rem 2rem;\
background:#f3f5f9;border-bottom:1px solid #d8dde6}nav{padding:1rem;font-size:13px;\
border-right:1px solid #d8dde6}nav ul{list-style:none;padding-left:.8rem}main{padding:1rem 2rem;\
min-width:0}article{border-top:1px solid #e3e7ee;padding:.5rem 0 1rem}table{border-collapse:\
collapse;margin:.5rem 0;font-size:13px}td,th{border:1px solid #d8dde6;padding:.25rem .5rem;\
text-align:left;vertical-align:top}code,pre{font-family:ui-monospace,monospace;font-size:12px}\
pre{background:#f6f8fa;padding:.5rem;overflow:auto}.method{background:#2b59c3;color:#fff;\
border-radius:3px;padding:0 .4rem;font-size:13px}small{color:#69707d}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_shows_the_patch_operation_and_the_error_codes() {
        let page = PAGE.as_str();
        assert!(page.contains("<span class=\"method\">PATCH</span>"));
        assert!(page.contains("id=\"update_contact_channel\""));
        for field in [
            "value",
            "type",
            "used_for_auth",
            "is_primary",
            "is_verified",
        ] {
            assert!(page.contains(&format!("<code>{field}</code>")), "{field}");
        }
        for code in ErrorCode::ALL {
            assert!(page.contains(code.as_str()), "{}", code.as_str());
        }
        // Nothing the page loads: no scripts, stylesheets or images.
        for tag in ["<script", "<link", "<img", "<iframe"] {
            assert!(!page.contains(tag), "{tag}");
        }
    }

    #[test]
    fn text_from_the_spec_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(prose("use `<me>`"), "use <code>&lt;me&gt;</code>");
    }
}

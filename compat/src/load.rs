//! Reading documents: JSON or YAML, OpenAPI 3.0 or 3.1, from a file or from
//! git (`REV:PATH`), with the files their relative `$ref`s reach.
//!
//! Loading is lenient: a document that parses as OpenAPI 3.x but breaks the
//! letter of the specification (a response without `description`, an
//! operation without `responses`, a `$ref` that leads nowhere) is compared
//! all the same, with one warning per problem. Only what cannot be read at
//! all is a [`LoadError`].

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use crate::operation::METHODS;
use crate::resolve::collect_refs;

/// A document that cannot be read or is not OpenAPI 3.x.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError(String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// An OpenAPI 3.0 or 3.1 document, ready to compare: its JSON, the external
/// files its relative `$ref`s reach, and the problems found reading it.
#[derive(Clone, Debug)]
pub struct Document {
    pub(crate) root: Value,
    /// External files by path relative to the root document's folder
    /// (`schemas/pet.yaml`); their `$ref`s are rewritten to `PATH#POINTER`,
    /// the same in any copy of the same layout, so the old and the new
    /// document line up.
    pub(crate) externals: BTreeMap<String, Value>,
    warnings: Vec<String>,
}

/// Where a document's files come from.
enum Source<'a> {
    /// The folder holding the root document.
    Files(&'a Path),
    /// A git revision, its repository, and the root document's folder in it.
    Git {
        repo: &'a Path,
        rev: &'a str,
        dir: &'a str,
    },
    /// No files: the document was given as a value.
    None,
}

impl Source<'_> {
    /// Reads a file named relative to the root document's folder.
    fn read(&self, relative: &str) -> Result<String, String> {
        match self {
            Source::Files(dir) => {
                let path = dir.join(relative);
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
            }
            Source::Git { repo, rev, dir } => git_show(repo, rev, &join(dir, relative)),
            Source::None => Err("the document was not read from a file".to_owned()),
        }
    }
}

impl Document {
    /// Reads `arg` the way the command line names documents: a file if one
    /// exists at that path, else git's `REV:PATH` (the path relative to the
    /// repository root, as `git show` takes it) from the repository of the
    /// current directory.
    pub fn open(arg: &str) -> Result<Document, LoadError> {
        if Path::new(arg).exists() {
            return Document::load(arg);
        }
        match arg.split_once(':') {
            Some((rev, path)) if !rev.is_empty() => Document::load_git(Path::new("."), rev, path),
            _ => Err(LoadError(format!(
                "{arg}: no such file (and not a git REV:PATH)"
            ))),
        }
    }

    /// Reads a file, JSON or YAML, and the files its relative `$ref`s reach.
    pub fn load(path: impl AsRef<Path>) -> Result<Document, LoadError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| LoadError(format!("{}: cannot be read: {e}", path.display())))?;
        let dir = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
        let name = file_name(&path.to_string_lossy());
        Document::build(
            &path.display().to_string(),
            &text,
            &name,
            &Source::Files(&dir),
        )
    }

    /// Reads `PATH` at revision `REV` of the git repository at `repo`, and
    /// the files its relative `$ref`s reach at the same revision.
    pub fn load_git(repo: &Path, rev: &str, path: &str) -> Result<Document, LoadError> {
        let shown = format!("{rev}:{path}");
        let text = git_show(repo, rev, path)
            .map_err(|e| LoadError(format!("{shown}: cannot be read from git: {e}")))?;
        let (dir, name) = match path.rsplit_once('/') {
            Some((dir, name)) => (dir, name),
            None => ("", path),
        };
        let source = Source::Git { repo, rev, dir };
        Document::build(&shown, &text, name, &source)
    }

    /// Parses a document given as text (JSON or YAML). A relative `$ref` to
    /// another file cannot be followed and is a warning.
    pub fn parse(text: &str) -> Result<Document, LoadError> {
        Document::build("document", text, "", &Source::None)
    }

    /// A document given as JSON. A relative `$ref` to another file cannot be
    /// followed and is a warning.
    pub fn from_value(value: Value) -> Result<Document, LoadError> {
        Document::assemble("document", value, "", &Source::None)
    }

    /// The `openapi` field: `3.0.3`, `3.1.0`...
    pub fn openapi_version(&self) -> &str {
        self.root
            .get("openapi")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `info.version`, if the document has one.
    pub fn info_version(&self) -> Option<&str> {
        self.root.pointer("/info/version").and_then(Value::as_str)
    }

    /// The problems found reading the document, one line each; it was
    /// compared as written all the same.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn build(shown: &str, text: &str, name: &str, source: &Source<'_>) -> Result<Self, LoadError> {
        let value = parse_text(text).map_err(|e| LoadError(format!("{shown}: {e}")))?;
        Document::assemble(shown, value, name, source)
    }

    fn assemble(
        shown: &str,
        mut root: Value,
        name: &str,
        source: &Source<'_>,
    ) -> Result<Self, LoadError> {
        let version = match root.get("openapi") {
            Some(Value::String(v)) => v.clone(),
            Some(other) => other.to_string(),
            None if root.get("swagger").is_some() => {
                return Err(LoadError(format!(
                    "{shown}: Swagger 2.0; only OpenAPI 3.0 and 3.1 documents are compared"
                )))
            }
            None => {
                return Err(LoadError(format!(
                    "{shown}: not an OpenAPI document (no `openapi` version field)"
                )))
            }
        };
        let mut warnings = Vec::new();
        if !(version.starts_with("3.0") || version.starts_with("3.1")) {
            if version.starts_with('3') {
                warnings.push(format!("OpenAPI {version}: compared as 3.1"));
            } else {
                return Err(LoadError(format!(
                    "{shown}: OpenAPI {version}; only 3.0 and 3.1 documents are compared"
                )));
            }
        }
        let mut externals = BTreeMap::new();
        let mut pending = VecDeque::new();
        rewrite_refs(&mut root, name, name, &mut pending, &mut warnings);
        while let Some(file) = pending.pop_front() {
            if externals.contains_key(&file) {
                continue;
            }
            let mut value = match source.read(&file).and_then(|text| parse_text(&text)) {
                Ok(value) => value,
                Err(e) => {
                    warnings.push(format!(
                        "`$ref` to {file} not followed ({e}): compared as written"
                    ));
                    Value::Null
                }
            };
            rewrite_refs(&mut value, &file, name, &mut pending, &mut warnings);
            externals.insert(file, value);
        }
        let mut doc = Document {
            root,
            externals,
            warnings,
        };
        doc.warnings.extend(check(&doc));
        Ok(doc)
    }
}

/// Parses JSON, or else YAML (of which JSON is a subset, but JSON's own
/// parser is faster and keeps numbers exact).
fn parse_text(text: &str) -> Result<Value, String> {
    let json_error = match serde_json::from_str(text) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let mut yaml: serde_norway::Value = match serde_norway::from_str(text) {
        Ok(yaml) => yaml,
        Err(_) if text.trim_start().starts_with('{') => {
            return Err(format!("not JSON: {json_error}"));
        }
        Err(e) => return Err(format!("neither JSON nor YAML: {e}")),
    };
    yaml.apply_merge()
        .map_err(|e| format!("YAML merge keys: {e}"))?;
    Ok(yaml_to_json(yaml))
}

/// YAML to JSON. Mapping keys become strings (`200:` is the status `"200"`);
/// tags are dropped, keeping the tagged value.
fn yaml_to_json(yaml: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                // NaN and infinities have no JSON form: null.
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(mapping) => Value::Object(
            mapping
                .into_iter()
                .map(|(key, value)| (yaml_key(key), yaml_to_json(value)))
                .collect(),
        ),
        Y::Tagged(tagged) => yaml_to_json(tagged.value),
    }
}

fn yaml_key(key: serde_norway::Value) -> String {
    match yaml_to_json(key) {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Rewrites every `$ref` in a value read from `file` (relative to the root
/// document's folder; `root` names the root document itself): local ones
/// of an external file get its path, relative ones become `PATH#POINTER`
/// and their files are queued. Remote ones are left, with a warning.
fn rewrite_refs(
    value: &mut Value,
    file: &str,
    root: &str,
    pending: &mut VecDeque<String>,
    warnings: &mut Vec<String>,
) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                if let Some(rewritten) = rewrite(reference, file, root, pending, warnings) {
                    *reference = rewritten;
                }
            }
            for (key, child) in map.iter_mut() {
                // Examples are data: a `$ref` key inside one is not a reference.
                if key != "example" && key != "examples" {
                    rewrite_refs(child, file, root, pending, warnings);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite_refs(item, file, root, pending, warnings);
            }
        }
        _ => {}
    }
}

fn rewrite(
    reference: &str,
    file: &str,
    root: &str,
    pending: &mut VecDeque<String>,
    warnings: &mut Vec<String>,
) -> Option<String> {
    if reference.contains("://") {
        warnings.push(format!(
            "remote `$ref` {reference} not followed: compared as written"
        ));
        return None;
    }
    let (path, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    let target = if path.is_empty() {
        file.to_owned()
    } else {
        join(dir_of(file), path)
    };
    if target == root {
        return Some(format!("#{fragment}"));
    }
    if !pending.contains(&target) {
        pending.push_back(target.clone());
    }
    Some(format!("{target}#{fragment}"))
}

/// The folder part of a relative path (`schemas/pet.yaml` → `schemas`).
fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
}

/// `dir/relative`, with `.` and `..` folded lexically (a leading `..` that
/// leaves `dir` is kept).
fn join(dir: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let joined = if dir.is_empty() {
        relative.to_owned()
    } else {
        format!("{dir}/{relative}")
    };
    for part in joined.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

fn git_show(repo: &Path, rev: &str, path: &str) -> Result<String, String> {
    let output = Command::new("git")
        .arg("show")
        .arg(format!("{rev}:{path}"))
        .current_dir(repo)
        .output()
        .map_err(|e| format!("running git: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }
    String::from_utf8(output.stdout).map_err(|_| "the file is not UTF-8".to_owned())
}

/// The problems with a document that does not stop its comparison.
fn check(doc: &Document) -> Vec<String> {
    let mut problems = Vec::new();
    let root = &doc.root;
    let v31 = !doc.openapi_version().starts_with("3.0");
    if root.get("info").is_none() {
        problems.push("no `info`".to_owned());
    }
    match root.get("paths") {
        Some(Value::Object(paths)) => {
            for (path, item) in paths {
                check_path_item(doc, path, item, &mut problems);
            }
        }
        Some(_) => problems.push("`paths` is not an object: no operation compared".to_owned()),
        None if v31 => {}
        None => problems.push("no `paths`".to_owned()),
    }
    let mut refs = Vec::new();
    collect_refs(root, &mut refs);
    for value in doc.externals.values() {
        collect_refs(value, &mut refs);
    }
    refs.sort_unstable();
    refs.dedup();
    for reference in refs {
        // Remote and unreadable files are already warned about.
        let file = reference.split_once('#').map_or("", |(file, _)| file);
        let unreadable = doc.externals.get(file).is_some_and(Value::is_null);
        if !reference.contains("://") && !unreadable && doc.target(reference).is_none() {
            problems.push(format!(
                "`$ref` {reference} leads nowhere: compared as written"
            ));
        }
    }
    problems
}

fn check_path_item(doc: &Document, path: &str, item: &Value, problems: &mut Vec<String>) {
    let item = object(doc.resolve(item).value);
    for &method in METHODS {
        let Some(Value::Object(op)) = item.get(method) else {
            continue;
        };
        let title = format!("{} {path}", method.to_uppercase());
        match op.get("responses").map(|r| doc.resolve(r).value) {
            Some(Value::Object(responses)) => {
                for (status, response) in responses {
                    let response = object(doc.resolve(response).value);
                    if !response.contains_key("description") && !status.starts_with("x-") {
                        problems.push(format!("{title}: response {status} has no `description`"));
                    }
                }
            }
            _ => problems.push(format!("{title}: no `responses`")),
        }
        let parameters = [item.get("parameters"), op.get("parameters")];
        for parameter in parameters
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
        {
            let parameter = object(doc.resolve(parameter).value);
            let text = |key| parameter.get(key).and_then(Value::as_str);
            match (text("name"), text("in")) {
                (Some(name), Some("path")) if parameter.get("required") != Some(&true.into()) => {
                    problems.push(format!(
                        "{title}: path parameter `{name}` is not marked required (it is, always)"
                    ))
                }
                (Some(_), Some(_)) => {}
                _ => problems.push(format!("{title}: a parameter lacks `name` or `in`")),
            }
        }
    }
}

fn object(value: &Value) -> &Map<String, Value> {
    crate::resolve::object(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_folds_dots() {
        assert_eq!(join("", "./a.yaml"), "a.yaml");
        assert_eq!(join("schemas", "../common/b.yaml"), "common/b.yaml");
        assert_eq!(join("", "../up.yaml"), "../up.yaml");
        assert_eq!(join("a/b", "./c/../d.json"), "a/b/d.json");
    }

    #[test]
    fn yaml_keys_become_strings_and_merges_apply() {
        let value = parse_text("a: &x {k: 1}\nb:\n  <<: *x\n  200: ok\n").unwrap();
        assert_eq!(
            value,
            serde_json::json!({"a": {"k": 1}, "b": {"k": 1, "200": "ok"}})
        );
    }
}

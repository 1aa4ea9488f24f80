//! Reading a spec for comparison: from a file, or from git as `REV:PATH`.

use anyhow::{bail, Context, Result};
use semver::Version;
use std::path::Path;
use std::process::Command;

/// An OpenAPI 3.0 document, with its text and where it came from.
pub struct Spec {
    /// Where it was read from, for messages.
    pub source: String,
    /// The document as read.
    pub text: String,
    /// The parsed document.
    pub doc: openapiv3::OpenAPI,
}

impl Spec {
    /// Reads `arg`: a file if one exists at that path, else `REV:PATH` from git (paths relative
    /// to the repository root, as `git show` takes them).
    pub fn load(arg: &str) -> Result<Spec> {
        let text = if Path::new(arg).exists() {
            std::fs::read_to_string(arg).with_context(|| format!("{arg}: cannot be read"))?
        } else if let Some((rev, path)) = arg.split_once(':') {
            git_show(rev, path).with_context(|| format!("{arg}: cannot be read from git"))?
        } else {
            bail!("{arg}: no such file (and not a git REV:PATH)");
        };
        Spec::parse(arg, text)
    }

    /// Parses `text` as an OpenAPI 3.0 document.
    pub fn parse(source: &str, text: String) -> Result<Spec> {
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{source}: not JSON (specs are compared as JSON)"))?;
        match value["openapi"].as_str() {
            Some(v) if v.starts_with("3.0.") => {}
            Some(v) => bail!("{source}: OpenAPI {v}; only 3.0.x documents are compared"),
            None => bail!("{source}: not an OpenAPI document (no `openapi` version field)"),
        }
        let doc = serde_json::from_value(value)
            .with_context(|| format!("{source}: not a valid OpenAPI 3.0 document"))?;
        Ok(Spec {
            source: source.to_owned(),
            text,
            doc,
        })
    }

    /// `info.version`, which must be semver.
    pub fn version(&self) -> Result<Version> {
        Version::parse(&self.doc.info.version).with_context(|| {
            format!(
                "{}: info.version {:?} is not a semantic version",
                self.source, self.doc.info.version
            )
        })
    }
}

fn git_show(rev: &str, path: &str) -> Result<String> {
    let output = Command::new("git")
        .arg("show")
        .arg(format!("{rev}:{path}"))
        .current_dir(crate::workspace_root())
        .output()
        .context("running git")?;
    if !output.status.success() {
        bail!("{}", String::from_utf8_lossy(&output.stderr).trim());
    }
    String::from_utf8(output.stdout).context("the file is not UTF-8")
}

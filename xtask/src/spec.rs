//! Reading a spec for comparison: from a file, or from git as `REV:PATH`.

use anyhow::{bail, Context, Result};
use openapi_compat::Document;
use semver::Version;
use std::path::Path;
use std::process::Command;

/// An OpenAPI document, with its text and where it came from.
pub struct Spec {
    /// Where it was read from, for messages.
    pub source: String,
    /// The document as read.
    pub text: String,
    /// The parsed document, with the files its `$ref`s reach.
    pub doc: Document,
}

impl Spec {
    /// Reads `arg`: a file if one exists at that path, else `REV:PATH` from git (paths relative
    /// to the repository root, as `git show` takes them).
    pub fn load(arg: &str) -> Result<Spec> {
        let (text, doc) = if Path::new(arg).exists() {
            let text =
                std::fs::read_to_string(arg).with_context(|| format!("{arg}: cannot be read"))?;
            (text, Document::load(arg)?)
        } else if let Some((rev, path)) = arg.split_once(':') {
            let text =
                git_show(rev, path).with_context(|| format!("{arg}: cannot be read from git"))?;
            (
                text,
                Document::load_git(&crate::workspace_root(), rev, path)?,
            )
        } else {
            bail!("{arg}: no such file (and not a git REV:PATH)");
        };
        Ok(Spec {
            source: arg.to_owned(),
            text,
            doc,
        })
    }

    /// Parses `text` as an OpenAPI document.
    pub fn parse(source: &str, text: String) -> Result<Spec> {
        let doc = Document::parse(&text).with_context(|| format!("{source}: cannot be read"))?;
        Ok(Spec {
            source: source.to_owned(),
            text,
            doc,
        })
    }

    /// `info.version`, which must be semver.
    pub fn version(&self) -> Result<Version> {
        let version = self.doc.info_version().unwrap_or_default();
        Version::parse(version).with_context(|| {
            format!(
                "{}: info.version {version:?} is not a semantic version",
                self.source
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

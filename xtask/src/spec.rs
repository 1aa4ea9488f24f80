//! Reading a spec for the release checks: the committed one and the released ones.

use anyhow::{Context, Result};
use openapi_compat::Document;
use semver::Version;
use std::path::Path;

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
    /// Reads the file at `path`.
    pub fn load(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot be read", path.display()))?;
        Ok(Spec {
            source: path.display().to_string(),
            text,
            doc: Document::load(path)?,
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

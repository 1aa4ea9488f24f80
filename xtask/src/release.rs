//! Released versions of the contract and the version policy.
//!
//! Every released version is kept as `openapi/released/contact-channels-<version>.json`, never
//! edited, with its SHA-256 in `openapi/released/SHA256SUMS` (the format `sha256sum -c` reads).
//! The checksums make the check work without git history, in a shallow clone too. The working
//! spec is judged against the newest release by [`openapi_compat`]: a breaking change needs a
//! higher major `info.version`, any other wire change a higher minor, a documentation change a
//! higher patch.

use crate::spec::Spec;
use anyhow::{bail, Context, Result};
use openapi_compat::{Bump, Report};
use semver::Version;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The folder of released specs, relative to the workspace root.
pub const RELEASED_DIR: &str = "openapi/released";
/// The checksum file in it.
pub const CHECKSUMS: &str = "SHA256SUMS";
const PREFIX: &str = "contact-channels-";

/// The released specs of a folder, by version.
pub struct Releases {
    dir: PathBuf,
    files: BTreeMap<Version, PathBuf>,
}

impl Releases {
    /// Lists `dir`'s released specs. A file whose name does not fit the pattern is an error,
    /// not something to skip: the folder holds releases only.
    pub fn open(dir: &Path) -> Result<Releases> {
        let mut files = BTreeMap::new();
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("reading {}", crate::relative(dir)))?;
        for entry in entries {
            let path = entry?.path();
            let name = file_name(&path);
            if name == CHECKSUMS {
                continue;
            }
            let version = name
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.strip_suffix(".json"))
                .and_then(|v| Version::parse(v).ok())
                .with_context(|| {
                    format!(
                        "{}: not a released spec ({PREFIX}<semver>.json)",
                        crate::relative(&path)
                    )
                })?;
            files.insert(version, path);
        }
        Ok(Releases {
            dir: dir.to_path_buf(),
            files,
        })
    }

    /// The newest release, if any.
    pub fn newest(&self) -> Option<(&Version, &Path)> {
        self.files.iter().next_back().map(|(v, p)| (v, p.as_path()))
    }

    /// Problems with the released files: each must match the checksum recorded at its release,
    /// and every file and every checksum must have the other. Empty when all is well.
    pub fn verify(&self) -> Result<Vec<String>> {
        let recorded = self.recorded()?;
        let mut problems = Vec::new();
        for path in self.files.values() {
            let name = file_name(path);
            let actual = sha256_hex(&std::fs::read(path)?);
            match recorded.get(&name) {
                None => problems.push(format!(
                    "{}: not in {CHECKSUMS}; release specs with `cargo xtask release`",
                    crate::relative(path)
                )),
                Some(expected) if *expected != actual => problems.push(format!(
                    "{}: differs from the released version (SHA-256 {actual}, released as \
                     {expected}); released specs are never edited: restore it, and change \
                     the API in {} instead",
                    crate::relative(path),
                    crate::SPEC_PATH
                )),
                Some(_) => {}
            }
        }
        for name in recorded.keys() {
            if !self.dir.join(name).exists() {
                problems.push(format!(
                    "{}: listed in {CHECKSUMS} but missing",
                    crate::relative(&self.dir.join(name))
                ));
            }
        }
        Ok(problems)
    }

    /// The checksums file, by file name.
    fn recorded(&self) -> Result<BTreeMap<String, String>> {
        let path = self.dir.join(CHECKSUMS);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", crate::relative(&path))),
        };
        // `sha256sum`'s format: `<hex>  <name>`, or `<hex> *<name>` in binary mode.
        text.lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let (hash, name) = line
                    .split_once(' ')
                    .with_context(|| format!("{}: bad line {line:?}", crate::relative(&path)))?;
                let name = name.strip_prefix([' ', '*']).unwrap_or(name);
                Ok((name.to_owned(), hash.to_owned()))
            })
            .collect()
    }

    /// Records `spec` as the release of its `info.version`: writes the file and its checksum.
    pub fn record(&self, spec: &Spec) -> Result<PathBuf> {
        let version = spec.version()?;
        let path = self.dir.join(format!("{PREFIX}{version}.json"));
        if path.exists() {
            bail!(
                "{} exists: version {version} is released already; raise info.version in {} \
                 (and `VERSION` in api/src/lib.rs) first",
                crate::relative(&path),
                crate::SPEC_PATH
            );
        }
        let mut recorded = self.recorded()?;
        std::fs::write(&path, &spec.text)
            .with_context(|| format!("writing {}", crate::relative(&path)))?;
        recorded.insert(file_name(&path), sha256_hex(spec.text.as_bytes()));
        let lines: String = recorded
            .iter()
            .map(|(name, hash)| format!("{hash}  {name}\n"))
            .collect();
        std::fs::write(self.dir.join(CHECKSUMS), lines)?;
        Ok(path)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the version policy says of a working spec against the newest release.
pub enum Verdict {
    /// Nothing changed and the version is the released one.
    Unchanged,
    /// The changes fit the version bump.
    Ok {
        /// The bump the changes call for, if any change.
        required: Option<Bump>,
    },
    /// The version is not high enough for the changes; the message says what they demand.
    NeedsBump(String),
}

/// Judges the version of `working` against `released` for the changes between them.
pub fn judge(released: &Version, working: &Version, report: &Report) -> Verdict {
    let required = report.required_bump();
    if working < released {
        return Verdict::NeedsBump(format!(
            "info.version {working} is older than the newest release, {released}"
        ));
    }
    let Some(bump) = required else {
        return if working == released {
            Verdict::Unchanged
        } else {
            Verdict::Ok { required: None }
        };
    };
    let least = report
        .least_version(released)
        .expect("a change was found, so some version is required");
    if *working >= least {
        return Verdict::Ok {
            required: Some(bump),
        };
    }
    let demanding: Vec<String> = report
        .changes
        .iter()
        .filter(|c| c.bump() == bump)
        .map(|c| {
            let operation = c.operation.as_ref().map(|o| o.title());
            format!(
                "  {:<8}  {}  {}{}: {}",
                c.severity.as_str(),
                c.rule.id(),
                operation.map(|o| format!("{o} ")).unwrap_or_default(),
                c.location,
                c.message
            )
        })
        .collect();
    Verdict::NeedsBump(format!(
        "{} since release {released} call{} for a {} version: info.version must be at least \
         {least}, it is {working}:\n{}",
        plural(demanding.len(), "change"),
        if demanding.len() == 1 { "s" } else { "" },
        bump.as_str(),
        demanding.join("\n")
    ))
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(old: &str, new: &str) -> Report {
        let parse = |t: &str| openapi_compat::Document::parse(t).unwrap();
        openapi_compat::compare(&parse(old), &parse(new))
    }

    const V1: &str = r#"{"openapi":"3.0.3","info":{"title":"t","version":"1.0.0"},"paths":{
        "/a":{"get":{"operationId":"a","responses":{"200":{"description":"ok"}}}}}}"#;
    const GONE: &str = r#"{"openapi":"3.0.3","info":{"title":"t","version":"1.0.0"},"paths":{}}"#;
    const MORE: &str = r#"{"openapi":"3.0.3","info":{"title":"t","version":"1.0.0"},"paths":{
        "/a":{"get":{"operationId":"a","responses":{"200":{"description":"ok"}}}},
        "/b":{"get":{"operationId":"b","responses":{"200":{"description":"ok"}}}}}}"#;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn a_breaking_change_needs_a_major_version() {
        let changes = report(V1, GONE);
        let Verdict::NeedsBump(message) = judge(&v("1.0.0"), &v("1.9.0"), &changes) else {
            panic!("a minor bump passed a breaking change");
        };
        assert!(message.contains("operation-removed"), "{message}");
        assert!(message.contains("at least 2.0.0"), "{message}");
        assert!(matches!(
            judge(&v("1.0.0"), &v("2.0.0"), &changes),
            Verdict::Ok {
                required: Some(Bump::Major)
            }
        ));
    }

    #[test]
    fn an_addition_needs_a_minor_version() {
        let changes = report(V1, MORE);
        assert!(matches!(
            judge(&v("1.0.0"), &v("1.0.1"), &changes),
            Verdict::NeedsBump(_)
        ));
        assert!(matches!(
            judge(&v("1.0.0"), &v("1.1.0"), &changes),
            Verdict::Ok {
                required: Some(Bump::Minor)
            }
        ));
    }

    #[test]
    fn an_unchanged_spec_keeps_its_version_and_never_goes_back() {
        let none = report(V1, V1);
        assert!(matches!(
            judge(&v("1.0.0"), &v("1.0.0"), &none),
            Verdict::Unchanged
        ));
        assert!(matches!(
            judge(&v("1.2.0"), &v("1.1.0"), &none),
            Verdict::NeedsBump(_)
        ));
    }

    #[test]
    fn an_edited_release_fails_verification_and_a_recorded_one_passes() {
        let dir = std::env::temp_dir().join(format!("xtask-releases-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let releases = Releases::open(&dir).unwrap();
        let spec = Spec::parse("test", V1.to_owned()).unwrap();
        let path = releases.record(&spec).unwrap();
        let releases = Releases::open(&dir).unwrap();
        assert_eq!(releases.verify().unwrap(), Vec::<String>::new());
        assert!(
            releases.record(&spec).is_err(),
            "a version is released once"
        );

        // sha256sum's binary marker and CRLF line ends read the same.
        let sums = std::fs::read_to_string(dir.join(CHECKSUMS)).unwrap();
        std::fs::write(
            dir.join(CHECKSUMS),
            sums.replace("  ", " *").replace('\n', "\r\n"),
        )
        .unwrap();
        assert_eq!(releases.verify().unwrap(), Vec::<String>::new());

        std::fs::write(&path, V1.replace("\"a\"", "\"renamed\"")).unwrap();
        let problems = releases.verify().unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("differs from the released version"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

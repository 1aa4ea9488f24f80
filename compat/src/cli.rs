//! The `openapi-compat diff` command, as a library function so that other
//! tools (this workspace's `cargo xtask breaking`) run exactly what the
//! binary runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Deserialize;

use crate::report::{Change, Report};
use crate::rules::{Rule, Severity};
use crate::{compare_with, Document, Policy};

/// Report formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Grouped by operation, for a CI log.
    Text,
    /// For tools: `{"breaking", "bump", "summary", "changes"}`.
    Json,
    /// For a pull-request comment.
    Markdown,
    /// JUnit XML: one test case per operation.
    Junit,
    /// GitHub Actions workflow commands: one annotation per change.
    Github,
}

/// The least severity that fails the run.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailOn {
    /// Fail on breaking changes only.
    Breaking,
    /// Fail on breaking changes and warnings.
    Warning,
    /// Fail on any change.
    Info,
}

/// The options of `diff`, beside the two documents.
#[derive(Clone, Debug, Args)]
pub struct Options {
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The least severity that fails the run (exit 1).
    #[arg(long, value_enum, default_value_t = FailOn::Breaking)]
    pub fail_on: FailOn,
    /// Judge NEW's info.version rather than the changes: exit 1 only when it
    /// is not raised enough for them (a major version for a breaking change,
    /// a minor for another change, a patch for documentation).
    #[arg(long, conflicts_with = "fail_on")]
    pub version_policy: bool,
    /// Enforce a grace period: deprecating something needs an `x-sunset`
    /// date at least N days ahead (else `sunset-too-soon`, breaking).
    #[arg(long, value_name = "N")]
    pub deprecation_days: Option<u32>,
    /// Report a change to a shared component under every operation that
    /// uses it, rather than once with the operations it reaches.
    #[arg(long)]
    pub expand: bool,
    /// A YAML file of accepted changes, each with its reason: they are
    /// listed on stderr and neither reported nor counted.
    #[arg(long, value_name = "FILE")]
    pub ignore: Option<PathBuf>,
}

/// Changes accepted with a reason: the YAML list an `--ignore` file holds.
#[derive(Debug)]
pub struct Accepted(Vec<Entry>);

/// One accepted change: what it is, and why it is accepted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// The rule id.
    rule: String,
    /// `METHOD /path` or the operationId; absent: any (or none).
    operation: Option<String>,
    /// The change's location, or a location it lies under, in the operation
    /// or in its shared component; absent: any.
    location: Option<String>,
    /// Why the change is accepted: required, never empty.
    reason: String,
}

impl Entry {
    fn matches(&self, change: &Change) -> bool {
        let operation = match (&self.operation, &change.operation) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(wanted), Some(op)) => {
                *wanted == format!("{} {}", op.method, op.path)
                    || op.operation_id.as_deref() == Some(wanted.as_str())
            }
        };
        // Either where the operation has it, or where its shared component does.
        let under = |wanted: &str, location: &str| {
            location == wanted
                || location
                    .strip_prefix(wanted)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        let location = self.location.as_deref().is_none_or(|wanted| {
            under(wanted, &change.location)
                || change.shared.as_deref().is_some_and(|s| under(wanted, s))
        });
        change.rule.id() == self.rule && operation && location
    }
}

impl Accepted {
    /// Reads an `--ignore` file; every entry needs a known rule and a reason.
    pub fn read(path: &Path) -> Result<Accepted, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        let entries: Vec<Entry> =
            serde_norway::from_str(&text).map_err(|e| format!("{shown}: {e}"))?;
        for entry in &entries {
            if Rule::from_id(&entry.rule).is_none() {
                return Err(format!("{shown}: unknown rule `{}`", entry.rule));
            }
            if entry.reason.trim().is_empty() {
                return Err(format!(
                    "{shown}: `{}` is accepted without a reason",
                    entry.rule
                ));
            }
        }
        Ok(Accepted(entries))
    }

    /// Takes the accepted changes out of `changes`: one line each (`RULE
    /// OPERATION LOCATION: REASON`), and one warning per entry that matched
    /// nothing.
    pub fn apply(&self, changes: &mut Vec<Change>) -> (Vec<String>, Vec<String>) {
        let mut used = vec![false; self.0.len()];
        let mut lines = Vec::new();
        changes.retain(|change| {
            let Some(i) = self.0.iter().position(|a| a.matches(change)) else {
                return true;
            };
            used[i] = true;
            let operation = change.operation.as_ref();
            lines.push(format!(
                "{} {} {}: {}",
                change.rule.id(),
                operation.map_or_else(|| "document".to_owned(), |o| o.title()),
                change.location,
                self.0[i].reason
            ));
            false
        });
        let stale = self
            .0
            .iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(entry, _)| {
                format!(
                    "accepted change `{}` matched nothing: remove it from the ignore file",
                    entry.rule
                )
            })
            .collect();
        (lines, stale)
    }
}

/// Compares the documents `old` and `new` (files, or git `REV:PATH`),
/// prints the report on stdout and problems on stderr, and returns the exit
/// code: 0 when no change reaches `--fail-on`, 1 when one does, 2 when a
/// document or the ignore file cannot be read.
pub fn diff(old: &str, new: &str, options: &Options) -> ExitCode {
    let accepted = match options.ignore.as_deref().map(Accepted::read).transpose() {
        Ok(accepted) => accepted.unwrap_or(Accepted(Vec::new())),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Two cores read two large documents in half the time.
    let (old_doc, new_doc) = std::thread::scope(|scope| {
        let reading = scope.spawn(|| Document::open(old));
        let new_doc = Document::open(new);
        let old_doc = reading.join().expect("reading a document does not panic");
        (old_doc, new_doc)
    });
    let (old_doc, new_doc) = match (old_doc, new_doc) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let github = matches!(options.format, Format::Github);
    for (source, doc) in [(old, &old_doc), (new, &new_doc)] {
        for warning in doc.warnings() {
            if github {
                println!("::warning file={}::{}", property(source), data(warning));
            } else {
                eprintln!("warning: {source}: {warning}");
            }
        }
    }
    let policy = Policy {
        deprecation_days: options.deprecation_days,
        ..Policy::now()
    };
    let mut changes = compare_with(&old_doc, &new_doc, &policy).changes;
    let (lines, stale) = accepted.apply(&mut changes);
    for line in lines {
        eprintln!("accepted: {line}");
    }
    for warning in stale {
        eprintln!("warning: {warning}");
    }
    let report = Report::new(changes);
    let report = if options.expand {
        report
    } else {
        report.group_shared()
    };
    let text = match options.format {
        Format::Text => report.render_text(),
        Format::Json => report.render_json(),
        Format::Markdown => report.render_markdown(),
        Format::Junit => report.render_junit(),
        Format::Github => report.render_github(new),
    };
    // A closed pipe (`| head`) is not an error.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if options.version_policy {
        return match version_verdict(&old_doc, &new_doc, &report) {
            Ok(verdict) => {
                eprintln!("ok: {verdict}");
                ExitCode::SUCCESS
            }
            Err((code, problem)) => {
                eprintln!("error: {problem}");
                ExitCode::from(code)
            }
        };
    }
    let fails = |s: Severity| match options.fail_on {
        FailOn::Breaking => s == Severity::Breaking,
        FailOn::Warning => s != Severity::Info,
        FailOn::Info => true,
    };
    if report.changes.iter().any(|c| fails(c.severity)) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Whether NEW's info.version is raised enough over OLD's for the changes:
/// what it fits, or the exit code and the problem (2: not a version).
fn version_verdict(
    old: &Document,
    new: &Document,
    report: &Report,
) -> Result<String, (u8, String)> {
    let version = |doc: &Document, which: &str| {
        let text = doc.info_version().unwrap_or_default();
        semver::Version::parse(text).map_err(|e| {
            (
                2,
                format!("{which} info.version {text:?} is not a semantic version: {e}"),
            )
        })
    };
    let (released, working) = (version(old, "OLD")?, version(new, "NEW")?);
    if working < released {
        return Err((
            1,
            format!("info.version {working} is older than {released}"),
        ));
    }
    match report.least_version(&released) {
        None => Ok(format!("no changes, info.version {working}")),
        Some(least) if working >= least => Ok(format!(
            "info.version {working} fits the changes since {released} (at least {least})"
        )),
        Some(least) => Err((
            1,
            format!(
                "info.version {working} is too low: the changes since {released} call for at least {least}"
            ),
        )),
    }
}

/// Escapes a workflow command's message.
pub(crate) fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
pub(crate) fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

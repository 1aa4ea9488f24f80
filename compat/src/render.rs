//! Renderings of a report: plain text for CI logs, JSON for tools, Markdown
//! for pull-request comments, JUnit XML for test dashboards, GitHub Actions
//! annotations.

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use serde_json::json;

use crate::cli::{data, property};
use crate::report::{Change, OperationRef, Report};
use crate::rules::Severity;

/// The name of the JUnit test suite and report.
const SUITE: &str = "openapi-compat";
/// The group (and JUnit test case) of changes outside any operation.
const DOCUMENT: &str = "document";

fn group_title(operation: Option<&OperationRef>) -> String {
    operation.map_or_else(|| DOCUMENT.to_owned(), OperationRef::title)
}

/// The operations a grouped change reaches, `; `-separated.
fn reached(change: &Change) -> String {
    let titles: Vec<String> = change.reached_by.iter().map(OperationRef::title).collect();
    titles.join("; ")
}

/// Where a change is, for one-line renderings: its operation, the
/// operations its shared component reaches, or the document.
fn place(change: &Change) -> String {
    match change.reached_by.len() {
        0 => group_title(change.operation.as_ref()),
        n => format!("{n} operations"),
    }
}

/// `breaking  response-property-removed  responses/200/...: message`.
fn line(change: &Change) -> String {
    let place = if change.location.is_empty() {
        String::new()
    } else {
        format!("{}: ", change.location)
    };
    format!(
        "{:<8}  {}  {place}{}",
        change.severity.as_str(),
        change.rule.id(),
        change.message
    )
}

/// `3 changes: 1 breaking, 1 warning, 1 info`.
fn summary_line(report: &Report) -> String {
    let summary = report.summary();
    match summary.total() {
        0 => "no changes".to_owned(),
        total => format!(
            "{total} change{}: {} breaking, {} warning{}, {} info",
            if total == 1 { "" } else { "s" },
            summary.breaking,
            summary.warning,
            if summary.warning == 1 { "" } else { "s" },
            summary.info
        ),
    }
}

impl Report {
    /// Plain text, grouped by operation then the `document` group, one line
    /// per change, ending with a summary line. No colors.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for (operation, changes) in self.by_operation() {
            out.push_str(&group_title(operation));
            out.push('\n');
            for change in changes {
                out.push_str("  ");
                out.push_str(&line(change));
                out.push('\n');
                if !change.reached_by.is_empty() {
                    out.push_str(&format!("      reached by: {}\n", reached(change)));
                }
            }
        }
        out.push_str(&summary_line(self));
        out.push('\n');
        out
    }

    /// Pretty JSON: `{"breaking", "bump", "summary", "changes": [...]}`.
    pub fn render_json(&self) -> String {
        let summary = self.summary();
        let changes: Vec<_> = self
            .changes
            .iter()
            .map(|change| {
                json!({
                    "rule": change.rule.id(),
                    "severity": change.severity,
                    "direction": change.direction,
                    "operation": change.operation.as_ref().map(|op| json!({
                        "method": op.method,
                        "path": op.path,
                        "operation_id": op.operation_id,
                    })),
                    "location": change.location,
                    "message": change.message,
                    "bump": change.bump(),
                    "reached_by": change.reached_by.iter().map(|op| json!({
                        "method": op.method,
                        "path": op.path,
                        "operation_id": op.operation_id,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let document = json!({
            "breaking": self.is_breaking(),
            "bump": self.required_bump(),
            "summary": {
                "total": summary.total(),
                "breaking": summary.breaking,
                "warning": summary.warning,
                "info": summary.info,
            },
            "changes": changes,
        });
        serde_json::to_string_pretty(&document).expect("JSON values always serialize")
    }

    /// Markdown for a pull-request comment: a verdict headline, the summary
    /// and the required bump, then one table of every change.
    pub fn render_markdown(&self) -> String {
        let headline = if self.is_breaking() {
            "❌ Breaking API changes"
        } else if self.changes.is_empty() {
            "✅ No API changes"
        } else {
            "✅ No breaking API changes"
        };
        let mut out = format!("### {headline}\n\n{}", summary_line(self));
        if let Some(bump) = self.required_bump() {
            out.push_str(&format!(" — requires a **{}** version bump", bump.as_str()));
        }
        out.push_str(".\n");
        if self.changes.is_empty() {
            return out;
        }
        out.push_str(
            "\n| Severity | Rule | Operation | Location | Change |\n|---|---|---|---|---|\n",
        );
        for change in &self.changes {
            let operation = match (&change.operation, change.reached_by.len()) {
                (Some(op), _) => format!("`{}`", op.title()),
                (None, 0) => "—".to_owned(),
                (None, n) => format!("{n} operations: {}", reached(change)),
            };
            let location = if change.location.is_empty() {
                "—".to_owned()
            } else {
                format!("`{}`", change.location)
            };
            out.push_str(&format!(
                "| {} | `{}` | {} | {} | {} |\n",
                change.severity.as_str(),
                change.rule.id(),
                cell(&operation),
                cell(&location),
                cell(&change.message)
            ));
        }
        out
    }

    /// JUnit XML: one suite, one test case per operation (and one for
    /// document-level changes) that fails when it holds a breaking change;
    /// other changes go to the case's system-out. No changes: one passing case.
    pub fn render_junit(&self) -> String {
        let mut suite = TestSuite::new(SUITE);
        let groups = self.by_operation();
        if groups.is_empty() {
            suite.add_test_case(TestCase::new("no changes", TestCaseStatus::success()));
        }
        for (operation, changes) in groups {
            let (breaking, other): (Vec<&Change>, Vec<&Change>) = changes
                .into_iter()
                .partition(|c| c.severity == Severity::Breaking);
            let status = if breaking.is_empty() {
                TestCaseStatus::success()
            } else {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let lines: Vec<String> = breaking.iter().map(|c| line(c)).collect();
                status
                    .set_message(format!("{} breaking change(s)", breaking.len()))
                    .set_type("breaking")
                    .set_description(lines.join("\n"));
                status
            };
            let mut case = TestCase::new(group_title(operation), status);
            case.set_classname(SUITE);
            if !other.is_empty() {
                let lines: Vec<String> = other.iter().map(|c| line(c)).collect();
                case.set_system_out(lines.join("\n"));
            }
            suite.add_test_case(case);
        }
        let mut report = quick_junit::Report::new(SUITE);
        report.add_test_suite(suite);
        report
            .to_string()
            .expect("writing XML to a string cannot fail")
    }
}

impl Report {
    /// GitHub Actions workflow commands: one annotation per change on
    /// `file` (the new document), `::error` for breaking changes,
    /// `::warning` for warnings and `::notice` for the rest, then the
    /// summary line as a notice.
    pub fn render_github(&self, file: &str) -> String {
        let mut out = String::new();
        for change in &self.changes {
            let level = match change.severity {
                Severity::Breaking => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let title = format!("{} {}", change.severity.as_str(), change.rule.id());
            let place = place(change);
            let message = if change.location.is_empty() {
                format!("{place}: {}", change.message)
            } else {
                format!("{place}: {}: {}", change.location, change.message)
            };
            out.push_str(&format!(
                "::{level} file={},title={}::{}\n",
                property(file),
                property(&title),
                data(&message)
            ));
        }
        out.push_str(&format!(
            "::notice title=openapi-compat::{}\n",
            data(&summary_line(self))
        ));
        out
    }
}

/// Escapes a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

//! The result of a comparison: the changes found, and the verdict over them.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::rules::{Bump, Direction, Rule, Severity};

/// The operation a change was found in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OperationRef {
    /// The HTTP method, upper-case (`POST`).
    pub method: String,
    /// The path template (`/api/v1/users/{user_id}`); the new document's for
    /// operations present in both.
    pub path: String,
    /// The operationId, the new document's for operations present in both.
    pub operation_id: Option<String>,
}

impl OperationRef {
    /// `POST /api/v1/users (create_user)`.
    pub fn title(&self) -> String {
        match &self.operation_id {
            Some(id) => format!("{} {} ({id})", self.method, self.path),
            None => format!("{} {}", self.method, self.path),
        }
    }

    /// Orders by path, then method, the way people scan an API listing.
    fn sort_key(&self) -> (&str, &str) {
        (&self.path, &self.method)
    }
}

/// One difference between the two documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// What kind of change this is.
    pub rule: Rule,
    /// The rule's severity, copied here for convenience.
    pub severity: Severity,
    /// Whether the changed part is sent by the client or by the server; `None`
    /// when direction does not apply (operations, documentation, components).
    pub direction: Option<Direction>,
    /// The operation the change was found in; `None` for document-level changes.
    pub operation: Option<OperationRef>,
    /// Where: `/`-separated segments relative to the operation (e.g.
    /// `responses/200/content/application/json/schema/properties/is_primary`),
    /// or to the document root for document-level changes. Segments are not
    /// escaped, so media types read naturally. Empty for a whole operation.
    pub location: String,
    /// One line for people.
    pub message: String,
    /// Where the change lies when it lies in a component that several
    /// places may use, relative to the document root
    /// (`components/schemas/Error/properties/code`); `None` otherwise.
    pub shared: Option<String>,
    /// The operations a change reported once for its shared component
    /// reaches (see [`Report::group_shared`]); empty otherwise.
    pub reached_by: Vec<OperationRef>,
}

impl Change {
    /// The version bump this change calls for.
    pub fn bump(&self) -> Bump {
        self.rule.bump()
    }

    fn cmp_key(&self, other: &Self) -> Ordering {
        // Document-level changes sort after every operation.
        let op = match (&self.operation, &other.operation) {
            (Some(a), Some(b)) => a.sort_key().cmp(&b.sort_key()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        op.then_with(|| self.location.cmp(&other.location))
            .then_with(|| self.rule.id().cmp(other.rule.id()))
            .then_with(|| self.direction.cmp(&other.direction))
            .then_with(|| self.message.cmp(&other.message))
    }
}

/// Counts of changes by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Breaking changes.
    pub breaking: usize,
    /// Warnings.
    pub warning: usize,
    /// Informational changes.
    pub info: usize,
}

impl Summary {
    /// All changes.
    pub fn total(&self) -> usize {
        self.breaking + self.warning + self.info
    }
}

/// Every change between two documents, sorted by operation (path, then
/// method; document-level changes last), then location, then rule id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The changes, in order.
    pub changes: Vec<Change>,
}

impl Report {
    /// Sorts and de-duplicates `changes` into a report.
    pub fn new(mut changes: Vec<Change>) -> Self {
        changes.sort_by(Change::cmp_key);
        changes.dedup();
        Report { changes }
    }

    /// Reports a change found identically (same rule, direction, message)
    /// in several places through one shared component once, at the
    /// component's location, with the operations it reaches in
    /// [`Change::reached_by`]. A change found in one place stays where it is.
    pub fn group_shared(self) -> Report {
        type Key = (Rule, Option<Direction>, String, String);
        let mut groups: Vec<(String, Vec<Change>)> = Vec::new();
        let mut index: HashMap<Key, usize> = HashMap::new();
        let mut single = Vec::new();
        for change in self.changes {
            let Some(shared) = change.shared.clone() else {
                single.push(change);
                continue;
            };
            let key = (
                change.rule,
                change.direction,
                shared.clone(),
                change.message.clone(),
            );
            match index.get(&key) {
                Some(&i) => groups[i].1.push(change),
                None => {
                    index.insert(key, groups.len());
                    groups.push((shared, vec![change]));
                }
            }
        }
        for (shared, mut members) in groups {
            if members.len() == 1 {
                single.extend(members);
                continue;
            }
            let mut reached: Vec<OperationRef> =
                members.iter().filter_map(|c| c.operation.clone()).collect();
            reached.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            reached.dedup();
            let mut change = members.swap_remove(0);
            change.operation = None;
            change.location = shared;
            change.reached_by = reached;
            single.push(change);
        }
        Report::new(single)
    }

    /// Whether any change is breaking.
    pub fn is_breaking(&self) -> bool {
        self.changes
            .iter()
            .any(|change| change.severity == Severity::Breaking)
    }

    /// The largest bump any change calls for; `None` when nothing differs.
    pub fn required_bump(&self) -> Option<Bump> {
        self.changes.iter().map(Change::bump).max()
    }

    /// The least version that may follow `released` with these changes: the
    /// next major for a breaking change, the next minor for another change
    /// on the wire or in generated code, the next patch for documentation;
    /// `None` when nothing changed.
    pub fn least_version(&self, released: &semver::Version) -> Option<semver::Version> {
        use semver::Version;
        Some(match self.required_bump()? {
            Bump::Major => Version::new(released.major + 1, 0, 0),
            Bump::Minor => Version::new(released.major, released.minor + 1, 0),
            Bump::Patch => Version::new(released.major, released.minor, released.patch + 1),
        })
    }

    /// Counts by severity.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match change.severity {
                Severity::Breaking => summary.breaking += 1,
                Severity::Warning => summary.warning += 1,
                Severity::Info => summary.info += 1,
            }
        }
        summary
    }

    /// The changes grouped by operation, in report order; the `None` group
    /// (document-level changes) comes last.
    pub fn by_operation(&self) -> Vec<(Option<&OperationRef>, Vec<&Change>)> {
        let mut groups: Vec<(Option<&OperationRef>, Vec<&Change>)> = Vec::new();
        for change in &self.changes {
            match groups.last_mut() {
                Some((op, list)) if *op == change.operation.as_ref() => list.push(change),
                _ => groups.push((change.operation.as_ref(), vec![change])),
            }
        }
        groups
    }
}

//! Where comparisons put what they find: a location builder and a collector
//! that stamps each change with its rule's severity and the current operation.

use crate::lifecycle::Policy;
use crate::report::{Change, OperationRef};
use crate::rules::{Direction, Rule};

/// A location inside the document, built one segment at a time.
#[derive(Clone, Debug, Default)]
pub(crate) struct Loc(Vec<String>);

impl Loc {
    /// A location one segment deeper.
    pub(crate) fn join(&self, segment: impl Into<String>) -> Loc {
        let mut segments = self.0.clone();
        segments.push(segment.into());
        Loc(segments)
    }

    fn render(&self) -> String {
        self.0.join("/")
    }
}

/// Collects changes for one scope: an operation, or the document.
pub(crate) struct Sink {
    operation: Option<OperationRef>,
    policy: Policy,
    changes: Vec<Change>,
}

impl Sink {
    pub(crate) fn new(operation: Option<OperationRef>, policy: Policy) -> Self {
        Sink {
            operation,
            policy,
            changes: Vec::new(),
        }
    }

    /// The deprecation policy the changes are judged by.
    pub(crate) fn policy(&self) -> Policy {
        self.policy
    }

    pub(crate) fn emit(
        &mut self,
        rule: Rule,
        direction: Option<Direction>,
        loc: &Loc,
        message: impl Into<String>,
    ) {
        self.changes.push(Change {
            rule,
            severity: rule.severity(),
            direction,
            operation: self.operation.clone(),
            location: loc.render(),
            message: message.into(),
        });
    }

    /// Takes a change found on a scratch sink into this one's scope.
    pub(crate) fn push(&mut self, mut change: Change) {
        change.operation = self.operation.clone();
        self.changes.push(change);
    }

    pub(crate) fn into_changes(self) -> Vec<Change> {
        self.changes
    }
}

//! Where comparisons put what they find: a location builder and a collector
//! that stamps each change with its rule's severity and the current operation.

use crate::lifecycle::Policy;
use crate::report::{Change, OperationRef};
use crate::rules::{Direction, Rule};

/// A location inside the document, built one segment at a time; also
/// where it lies in a shared component, once the walk has entered one.
#[derive(Clone, Debug, Default)]
pub(crate) struct Loc {
    segments: Vec<String>,
    /// The component entered last (`components/schemas/Error`) and how many
    /// segments led to it.
    component: Option<(String, usize)>,
}

impl Loc {
    /// A location one segment deeper.
    pub(crate) fn join(&self, segment: impl Into<String>) -> Loc {
        let mut deeper = self.clone();
        deeper.segments.push(segment.into());
        deeper
    }

    /// The same location, now also inside the component `reference`
    /// (`#/components/schemas/Error`, or `schemas/pet.yaml#/Pet`).
    pub(crate) fn entering(&self, reference: &str) -> Loc {
        let name = reference.strip_prefix("#/").unwrap_or(reference);
        Loc {
            segments: self.segments.clone(),
            component: Some((name.to_owned(), self.segments.len())),
        }
    }

    fn render(&self) -> String {
        self.segments.join("/")
    }

    /// The location relative to the document root, through the component.
    fn shared(&self) -> Option<String> {
        let (component, depth) = self.component.as_ref()?;
        let mut parts = vec![component.clone()];
        parts.extend(self.segments[*depth..].iter().cloned());
        Some(parts.join("/"))
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
            shared: loc.shared(),
            reached_by: Vec::new(),
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

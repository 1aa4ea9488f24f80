//! The rule table: every kind of change the comparison can report, with its
//! fixed severity and version bump.

use serde::Serialize;

/// How a change affects existing consumers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A request the old document allowed may now be refused or mean something
    /// else, or a response the new server sends may be invalid under the old
    /// document.
    Breaking,
    /// Not wire-breaking, but consumers may notice: generated code changes, or
    /// something they relied on without a guarantee went away.
    Warning,
    /// Compatible: an addition, a loosening, or documentation.
    Info,
}

impl Severity {
    /// The lower-case name used in every rendering (`breaking`, `warning`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Which way the data in a changed schema flows, relative to the consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Sent by the client: parameters and request bodies.
    Request,
    /// Sent by the server: response bodies and headers.
    Response,
}

impl Direction {
    /// The lower-case name used in every rendering (`request`, `response`).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

/// The semantic-version bump a change calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// Documentation only.
    Patch,
    /// Compatible, but visible on the wire or in generated code.
    Minor,
    /// Breaking.
    Major,
}

impl Bump {
    /// The lower-case name used in every rendering (`patch`, `minor`, `major`).
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// Declares [`Rule`] from one table so that id, severity, bump and meaning
/// cannot drift apart.
macro_rules! rules {
    ($($variant:ident => $id:literal, $severity:ident, $bump:ident, $doc:literal;)*) => {
        /// A kind of change. Each rule has a stable kebab-case [`id`](Rule::id),
        /// a fixed [`Severity`] and a fixed [`Bump`]; the crate documentation
        /// lists them all.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $(#[doc = $doc] $variant,)*
        }

        impl Rule {
            /// Every rule, in table order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The stable kebab-case id, e.g. `response-property-removed`.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)* }
            }

            /// The severity every change of this rule has.
            pub fn severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity,)* }
            }

            /// The version bump every change of this rule calls for.
            pub fn bump(self) -> Bump {
                match self { $(Rule::$variant => Bump::$bump,)* }
            }

            /// One sentence saying what the rule means.
            pub fn description(self) -> &'static str {
                match self { $(Rule::$variant => $doc,)* }
            }

            /// The rule with this id, if any.
            pub fn from_id(id: &str) -> Option<Rule> {
                Rule::ALL.iter().copied().find(|rule| rule.id() == id)
            }
        }
    };
}

rules! {
    // Operations and paths.
    OperationAdded => "operation-added", Info, Minor, "An operation was added.";
    OperationRemoved => "operation-removed", Breaking, Major, "An operation was removed: clients calling it get 404/405.";
    OperationIdChanged => "operation-id-changed", Warning, Minor, "The operationId changed: the wire is the same, generated method names change.";
    PathParameterRenamed => "path-parameter-renamed", Warning, Minor, "A path parameter was renamed at the same position: the URL is the same, generated argument names change.";
    DeprecatedAdded => "deprecated-added", Info, Minor, "An operation, parameter or schema became deprecated.";
    DeprecatedRemoved => "deprecated-removed", Info, Minor, "An operation, parameter or schema is no longer deprecated.";
    SunsetRemoval => "sunset-removal", Warning, Minor, "Something deprecated was removed after its announced sunset date (x-sunset, or a documented Sunset header): consumers were told.";
    SunsetTooSoon => "sunset-too-soon", Breaking, Major, "With a grace period (--deprecation-days N): something was deprecated without a sunset date at least N days ahead.";
    // Parameters.
    RequestParameterAddedRequired => "request-parameter-added-required", Breaking, Major, "A required parameter was added: old requests lack it.";
    RequestParameterAddedOptional => "request-parameter-added-optional", Info, Minor, "An optional parameter was added.";
    RequestParameterRemoved => "request-parameter-removed", Breaking, Major, "A parameter was removed: old clients still send it and the server now refuses or ignores it.";
    RequestParameterBecameRequired => "request-parameter-became-required", Breaking, Major, "An optional parameter became required.";
    RequestParameterBecameOptional => "request-parameter-became-optional", Info, Minor, "A required parameter became optional.";
    RequestParameterStyleChanged => "request-parameter-style-changed", Breaking, Major, "A parameter's serialization (style, explode, allowReserved, allowEmptyValue) changed.";
    // Request bodies.
    RequestBodyAddedRequired => "request-body-added-required", Breaking, Major, "A required request body was added: old requests have none.";
    RequestBodyAddedOptional => "request-body-added-optional", Info, Minor, "An optional request body was added.";
    RequestBodyRemoved => "request-body-removed", Breaking, Major, "The request body was removed: old clients still send one.";
    RequestBodyBecameRequired => "request-body-became-required", Breaking, Major, "An optional request body became required.";
    RequestBodyBecameOptional => "request-body-became-optional", Info, Minor, "A required request body became optional.";
    RequestMediaTypeAdded => "request-media-type-added", Info, Minor, "The request body accepts a new media type.";
    RequestMediaTypeRemoved => "request-media-type-removed", Breaking, Major, "The request body no longer accepts a media type.";
    // Responses.
    ResponseSuccessStatusAdded => "response-success-status-added", Breaking, Major, "A new 2xx status: generated clients treat an undocumented success as an error.";
    ResponseSuccessStatusRemoved => "response-success-status-removed", Breaking, Major, "A 2xx status was removed: clients expecting it get something else.";
    ResponseErrorStatusAdded => "response-error-status-added", Info, Minor, "A new non-2xx status was documented.";
    ResponseErrorStatusRemoved => "response-error-status-removed", Info, Minor, "A non-2xx status is no longer documented.";
    ResponseMediaTypeAdded => "response-media-type-added", Warning, Minor, "A response may come in a new media type (clients negotiate with Accept, so old ones still get theirs).";
    ResponseMediaTypeRemoved => "response-media-type-removed", Breaking, Major, "A response media type was removed.";
    ResponseHeaderAdded => "response-header-added", Info, Minor, "A response header was added.";
    ResponseRequiredHeaderRemoved => "response-required-header-removed", Breaking, Major, "A required response header was removed.";
    ResponseOptionalHeaderRemoved => "response-optional-header-removed", Warning, Minor, "An optional response header was removed.";
    ResponseHeaderBecameOptional => "response-header-became-optional", Breaking, Major, "A required response header became optional.";
    LinksChanged => "links-changed", Info, Patch, "A response's links to other operations changed: they guide tools (stateful testing, docs); no request or response changes.";
    ResponseHeaderBecameRequired => "response-header-became-required", Info, Minor, "An optional response header became required.";
    // Schemas in requests (parameters and bodies).
    RequestPropertyAddedRequired => "request-property-added-required", Breaking, Major, "A required property was added to a request schema.";
    RequestPropertyAddedOptional => "request-property-added-optional", Info, Minor, "An optional property was added to a request schema.";
    RequestClosedPropertyRemoved => "request-closed-property-removed", Breaking, Major, "A property was removed from a request object that is closed (additionalProperties: false) or whose additionalProperties schema the old property's values do not provably fit: old clients sending it are refused.";
    RequestPropertyRemoved => "request-property-removed", Warning, Minor, "A property was removed from an open request object: the server now ignores it.";
    RequestPropertyBecameRequired => "request-property-became-required", Breaking, Major, "A request property became required.";
    RequestPropertyBecameOptional => "request-property-became-optional", Info, Minor, "A request property became optional.";
    RequestEnumValueAdded => "request-enum-value-added", Info, Minor, "A request enum accepts a new value.";
    RequestEnumValueRemoved => "request-enum-value-removed", Breaking, Major, "A request enum no longer accepts a value.";
    RequestNullableAdded => "request-nullable-added", Info, Minor, "A request value may now be null.";
    RequestNullableRemoved => "request-nullable-removed", Breaking, Major, "A request value may no longer be null.";
    ParameterNullableChanged => "parameter-nullable-changed", Info, Minor, "A path, query, header or cookie parameter's nullable changed: such a value cannot be null on the wire, so no request changes.";
    RequestConstraintTightened => "request-constraint-tightened", Breaking, Major, "A request constraint (length, bound, pattern, enum, items, uniqueness...) was added or tightened.";
    RequestConstraintLoosened => "request-constraint-loosened", Info, Minor, "A request constraint was removed or loosened.";
    RequestObjectClosed => "request-object-closed", Breaking, Major, "A request object no longer accepts additional properties.";
    RequestObjectOpened => "request-object-opened", Info, Minor, "A request object now accepts additional properties.";
    RequestTypeWidened => "request-type-widened", Info, Minor, "A request type was widened (integer to number, more types, or any type accepted).";
    RequestAlternativeAdded => "request-alternative-added", Info, Minor, "A request oneOf/anyOf accepts a new alternative.";
    RequestAlternativeRemoved => "request-alternative-removed", Breaking, Major, "A request oneOf/anyOf alternative was removed.";
    // Schemas in responses (bodies and headers).
    ResponsePropertyAdded => "response-property-added", Info, Minor, "A property was added to an open response object.";
    ResponseClosedObjectPropertyAdded => "response-closed-object-property-added", Breaking, Major, "A property was added to a response object that was closed (additionalProperties: false) or whose old additionalProperties schema the new property's values do not provably fit: old validation rejects it.";
    ResponsePropertyRemoved => "response-property-removed", Breaking, Major, "A required response property was removed.";
    ResponseOptionalPropertyRemoved => "response-optional-property-removed", Warning, Minor, "An optional response property was removed: it was documented, consumers may rely on it.";
    ResponsePropertyBecameOptional => "response-property-became-optional", Breaking, Major, "A required response property became optional.";
    ResponsePropertyBecameRequired => "response-property-became-required", Info, Minor, "An optional response property became required.";
    ResponseEnumValueAdded => "response-enum-value-added", Breaking, Major, "A response enum has a new value: closed generated enums fail to decode it.";
    ResponseEnumValueRemoved => "response-enum-value-removed", Info, Minor, "A response enum lost a value.";
    ExtensibleEnumValueAdded => "extensible-enum-value-added", Info, Minor, "A response x-extensible-enum has a new value: consumers are bound to accept values they do not know.";
    ResponseNullableAdded => "response-nullable-added", Breaking, Major, "A response value may now be null.";
    ResponseNullableRemoved => "response-nullable-removed", Info, Minor, "A response value may no longer be null.";
    ResponseConstraintLoosened => "response-constraint-loosened", Breaking, Major, "A response constraint was removed or loosened: the server may send values old clients reject.";
    ResponseConstraintTightened => "response-constraint-tightened", Info, Minor, "A response constraint was added or tightened.";
    ResponseObjectOpened => "response-object-opened", Breaking, Major, "A closed response object now allows additional properties.";
    ResponseObjectClosed => "response-object-closed", Info, Minor, "A response object no longer has additional properties.";
    ResponseAlternativeAdded => "response-alternative-added", Breaking, Major, "A response oneOf/anyOf has a new alternative.";
    ResponseAlternativeRemoved => "response-alternative-removed", Info, Minor, "A response oneOf/anyOf alternative was removed.";
    ResponseTypeNarrowed => "response-type-narrowed", Info, Minor, "A response type was narrowed (number to integer, fewer types, or a type where any was allowed): every new value is an old one.";
    // Schemas, either direction.
    TypeChanged => "type-changed", Breaking, Major, "A schema's type changed.";
    FormatChanged => "format-changed", Breaking, Major, "A schema's format changed (it also changes generated types).";
    PatternChanged => "pattern-changed", Breaking, Major, "A pattern was replaced by a different one (neither provably looser nor tighter).";
    DefaultChanged => "default-changed", Warning, Minor, "A default value was added, removed or changed: omitting the field now means something else.";
    AccessModeChanged => "access-mode-changed", Warning, Minor, "readOnly or writeOnly changed.";
    DiscriminatorChanged => "discriminator-changed", Breaking, Major, "A discriminator changed: tagged values decode differently.";
    SchemaCompositionChanged => "schema-composition-changed", Warning, Minor, "allOf/oneOf/anyOf/not changed in a way proven compatible in its direction: the wire still works, generated types change.";
    RequestCompositionChanged => "request-composition-changed", Breaking, Major, "A request schema's allOf/oneOf/anyOf/not changed and the new schema cannot be proven to accept every value the old one did (fails closed).";
    ResponseCompositionChanged => "response-composition-changed", Breaking, Major, "A response schema's allOf/oneOf/anyOf/not changed and the old schema cannot be proven to accept every value the new one allows (fails closed).";
    SchemaRenamed => "schema-renamed", Warning, Minor, "A schema is referenced under a different name: the wire is the same, generated type names change.";
    // Security.
    SecurityAlternativeAdded => "security-alternative-added", Info, Minor, "A new way to authenticate was added.";
    SecurityAlternativeRemoved => "security-alternative-removed", Breaking, Major, "A way to authenticate was removed: clients using it are refused.";
    SecurityRequirementTightened => "security-requirement-tightened", Breaking, Major, "A scheme or scope was added to an existing way to authenticate.";
    SecurityRequirementLoosened => "security-requirement-loosened", Info, Minor, "A scheme or scope was dropped from an existing way to authenticate.";
    SecuritySchemeAdded => "security-scheme-added", Info, Minor, "A security scheme was defined.";
    SecuritySchemeRemoved => "security-scheme-removed", Warning, Minor, "A security scheme definition was removed (its use by operations is reported there).";
    SecuritySchemeChanged => "security-scheme-changed", Breaking, Major, "A security scheme's type, location, name or flows changed.";
    // Components and the document.
    ComponentAdded => "component-added", Info, Minor, "A component was added.";
    ComponentRemoved => "component-removed", Warning, Minor, "A component was removed (generated types for it go away).";
    ComponentChanged => "component-changed", Info, Minor, "A component that no operation uses changed (generated types change, the wire does not).";
    DocumentationChanged => "documentation-changed", Info, Patch, "Documentation changed: description, summary, title, example(s), tags, info, externalDocs, servers.";
    ExtensionChanged => "extension-changed", Info, Patch, "A specification extension (x-...) changed.";
    UnclassifiedChange => "unclassified-change", Warning, Minor, "Something else differs: the comparison has no specific rule for it.";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_kebab_case_and_round_trip() {
        let mut seen = HashSet::new();
        for &rule in Rule::ALL {
            let id = rule.id();
            assert!(seen.insert(id), "duplicate id {id}");
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id}"
            );
            assert_eq!(Rule::from_id(id), Some(rule));
        }
    }

    #[test]
    fn bump_follows_severity() {
        for &rule in Rule::ALL {
            match rule.severity() {
                Severity::Breaking => assert_eq!(rule.bump(), Bump::Major, "{}", rule.id()),
                Severity::Warning => assert_eq!(rule.bump(), Bump::Minor, "{}", rule.id()),
                Severity::Info => assert_ne!(rule.bump(), Bump::Major, "{}", rule.id()),
            }
        }
    }

    /// The rule tables in the crate docs and the README, row for row: every
    /// rule once, in table order, with its id, severity, bump and meaning,
    /// and nothing else.
    #[test]
    fn documented_tables_are_the_rule_table() {
        let expected: Vec<String> = Rule::ALL
            .iter()
            .map(|rule| {
                format!(
                    "| `{}` | {} | {} | {} |",
                    rule.id(),
                    rule.severity().as_str(),
                    rule.bump().as_str(),
                    rule.description()
                )
            })
            .collect();
        for (name, text, prefix) in [
            ("src/lib.rs", include_str!("lib.rs"), "//! "),
            ("README.md", include_str!("../README.md"), ""),
        ] {
            let table: Vec<&str> = text
                .lines()
                .filter_map(|line| line.strip_prefix(prefix))
                .skip_while(|line| *line != "| Rule | Severity | Bump | Meaning |")
                .skip(2)
                .take_while(|line| line.starts_with('|'))
                .map(str::trim_end)
                .collect();
            for (row, want) in table.iter().zip(&expected) {
                assert_eq!(*row, want, "{name}: a row differs from the rule table");
            }
            assert_eq!(
                table.len(),
                expected.len(),
                "{name} has {} rule rows, the rule table {}",
                table.len(),
                expected.len()
            );
        }
    }
}

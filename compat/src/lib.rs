//! Classifies every difference between two OpenAPI 3.0 or 3.1 documents
//! (old → new) by what it does to existing consumers.
//!
//! # Inputs
//!
//! A [`Document`] is read from JSON or YAML, from a file or a git revision,
//! with the files its relative `$ref`s reach (resolved from the referring
//! file). Loading is lenient: what breaks the letter of the specification
//! but can be read is compared, with a [warning](Document::warnings) per
//! problem. OpenAPI 3.1's JSON Schema spellings (`type` lists with `null`,
//! `const`, numeric `exclusiveMinimum`/`exclusiveMaximum`, `$ref` with
//! siblings) are read as their 3.0 equivalents, so a 3.0 document compares
//! with its 3.1 successor; `prefixItems` and `dependentRequired` are
//! compared, a changed `if`/`then`/`else` fails closed, and other 2020-12
//! constraints (`contains`, `patternProperties`, `unevaluatedProperties`...)
//! tighten when added, loosen when removed and fail closed when changed. Webhooks are
//! compared like operations (`POST webhooks/NAME`), and callbacks under the
//! operation that registers them, their request judged as a response (the
//! consumer reads it) and their responses as requests.
//!
//! # Model
//!
//! *Breaking* means wire-breaking for a consumer built against the old
//! document: a request the old document allowed is now refused or means
//! something else, or a response the new server may send is invalid under
//! the old document.
//!
//! Every schema is judged in a **direction**. Parameters and request bodies
//! are [`Direction::Request`]: the client produces them, so tightening
//! (a new required property, a lower `maxLength`, a removed enum value) is
//! breaking and loosening is not. Response bodies and headers are
//! [`Direction::Response`]: the client consumes them, so loosening (a higher
//! `maxLength`, `nullable` added, a new enum value) is breaking and
//! tightening is not. `$ref`s are resolved (cycles are cut by tracking the
//! pairs of schemas being compared, each identified by what is compared
//! rather than by a `$ref`, so flattened `allOf`s and references that never
//! line up are cut too; a depth and a step limit are the last resort, and
//! reaching one is reported as `unclassified-change`), and a component used
//! by several operations is reported under each operation that reaches it,
//! in each direction it is reached; [`Report::group_shared`] then reports a
//! change found alike in several places once, at the component, with the
//! operations it reaches (the binary does so unless `--expand`).
//!
//! The comparison fails closed: what it cannot prove compatible is breaking
//! in its direction. A composition (`allOf`/`oneOf`/`anyOf`) on one side
//! only is proven compatible, or not, by comparing the other side with its
//! members (`request-composition-changed` / `response-composition-changed`
//! when that fails, `schema-composition-changed` when it succeeds); an
//! added `allOf` member or `not` is a tightening and a removed one a
//! loosening; a changed `not` is compared in the opposite direction.
//! Members are paired by `$ref`, equality, tag or structure, never by
//! position. A `oneOf` is exclusive: a member added to a request `oneOf`
//! (or removed from a response one) that is not provably disjoint from the
//! others is a composition change, since a value matching two is refused.
//! A `oneOf` of one-value members is the `enum` of those values.
//!
//! A readOnly property is not part of a request and a writeOnly one not of
//! a response. A pattern that matches everything counts as none.
//!
//! Consumers use progenitor, which generates **closed** Rust enums: a new
//! value in a response enum fails to decode, so it is breaking; in a request
//! enum it is an addition. Likewise a new 2xx status is breaking, because a
//! generated client treats an undocumented success as an error.
//!
//! Removing something deprecated stays breaking until its sunset date
//! (`x-sunset`, or a documented `Sunset` header) has passed, then it is
//! `sunset-removal`, a warning; a [`Policy`] gives the date to judge by and
//! may require deprecations to announce a sunset far enough ahead.
//!
//! Changes that leave the wire alone but change generated code (an
//! operationId, a schema's component name, a path parameter's name) are
//! warnings. Documentation (descriptions, summaries, examples, titles, tags,
//! `info` apart from `info.version`, `externalDocs`, `servers`) is info and
//! only calls for a patch release.
//!
//! Nothing is dropped and nothing reported twice: every comparison reads a
//! key only by taking it (a finding that subsumes keys marks them covered),
//! and any key nobody took that differs is reported as
//! `documentation-changed`, `extension-changed` or `unclassified-change`.
//!
//! Each rule has a fixed severity and [`Bump`]: breaking ⇒ major; other
//! wire-visible changes and warnings ⇒ minor; documentation ⇒ patch. Rules
//! whose severity depends on direction come in `request-`/`response-` pairs;
//! rules without a prefix have the same severity either way (the change
//! still records its direction).
//!
//! Locations are `/`-separated, unescaped segments relative to the operation
//! (`requestBody/content/application/json/schema/properties/value`), or to
//! the document root for changes outside operations
//! (`components/securitySchemes/access_token/name`).
//!
//! # Rules
//!
//! | Rule | Severity | Bump | Meaning |
//! |---|---|---|---|
//! | `operation-added` | info | minor | An operation was added. |
//! | `operation-removed` | breaking | major | An operation was removed: clients calling it get 404/405. |
//! | `operation-id-changed` | warning | minor | The operationId changed: the wire is the same, generated method names change. |
//! | `path-parameter-renamed` | warning | minor | A path parameter was renamed at the same position: the URL is the same, generated argument names change. |
//! | `deprecated-added` | info | minor | An operation, parameter or schema became deprecated. |
//! | `deprecated-removed` | info | minor | An operation, parameter or schema is no longer deprecated. |
//! | `sunset-removal` | warning | minor | Something deprecated was removed after its announced sunset date (x-sunset, or a documented Sunset header): consumers were told. |
//! | `sunset-too-soon` | breaking | major | With a grace period (--deprecation-days N): something was deprecated without a sunset date at least N days ahead. |
//! | `request-parameter-added-required` | breaking | major | A required parameter was added: old requests lack it. |
//! | `request-parameter-added-optional` | info | minor | An optional parameter was added. |
//! | `request-parameter-removed` | breaking | major | A parameter was removed: old clients still send it and the server now refuses or ignores it. |
//! | `request-parameter-became-required` | breaking | major | An optional parameter became required. |
//! | `request-parameter-became-optional` | info | minor | A required parameter became optional. |
//! | `request-parameter-style-changed` | breaking | major | A parameter's serialization (style, explode, allowReserved, allowEmptyValue) changed. |
//! | `request-body-added-required` | breaking | major | A required request body was added: old requests have none. |
//! | `request-body-added-optional` | info | minor | An optional request body was added. |
//! | `request-body-removed` | breaking | major | The request body was removed: old clients still send one. |
//! | `request-body-became-required` | breaking | major | An optional request body became required. |
//! | `request-body-became-optional` | info | minor | A required request body became optional. |
//! | `request-media-type-added` | info | minor | The request body accepts a new media type. |
//! | `request-media-type-removed` | breaking | major | The request body no longer accepts a media type. |
//! | `response-success-status-added` | breaking | major | A new 2xx status: generated clients treat an undocumented success as an error. |
//! | `response-success-status-removed` | breaking | major | A 2xx status was removed: clients expecting it get something else. |
//! | `response-error-status-added` | info | minor | A new non-2xx status was documented. |
//! | `response-error-status-removed` | info | minor | A non-2xx status is no longer documented. |
//! | `response-media-type-added` | warning | minor | A response may come in a new media type (clients negotiate with Accept, so old ones still get theirs). |
//! | `response-media-type-removed` | breaking | major | A response media type was removed. |
//! | `response-header-added` | info | minor | A response header was added. |
//! | `response-required-header-removed` | breaking | major | A required response header was removed. |
//! | `response-optional-header-removed` | warning | minor | An optional response header was removed. |
//! | `response-header-became-optional` | breaking | major | A required response header became optional. |
//! | `links-changed` | info | patch | A response's links to other operations changed: they guide tools (stateful testing, docs); no request or response changes. |
//! | `response-header-became-required` | info | minor | An optional response header became required. |
//! | `request-property-added-required` | breaking | major | A required property was added to a request schema. |
//! | `request-property-added-optional` | info | minor | An optional property was added to a request schema. |
//! | `request-closed-property-removed` | breaking | major | A property was removed from a request object that is closed (additionalProperties: false) or whose additionalProperties schema the old property's values do not provably fit: old clients sending it are refused. |
//! | `request-property-removed` | warning | minor | A property was removed from an open request object: the server now ignores it. |
//! | `request-property-became-required` | breaking | major | A request property became required. |
//! | `request-property-became-optional` | info | minor | A request property became optional. |
//! | `request-enum-value-added` | info | minor | A request enum accepts a new value. |
//! | `request-enum-value-removed` | breaking | major | A request enum no longer accepts a value. |
//! | `request-nullable-added` | info | minor | A request value may now be null. |
//! | `request-nullable-removed` | breaking | major | A request value may no longer be null. |
//! | `parameter-nullable-changed` | info | minor | A path, query, header or cookie parameter's nullable changed: such a value cannot be null on the wire, so no request changes. |
//! | `request-constraint-tightened` | breaking | major | A request constraint (length, bound, pattern, enum, items, uniqueness...) was added or tightened. |
//! | `request-constraint-loosened` | info | minor | A request constraint was removed or loosened. |
//! | `request-object-closed` | breaking | major | A request object no longer accepts additional properties. |
//! | `request-object-opened` | info | minor | A request object now accepts additional properties. |
//! | `request-type-widened` | info | minor | A request type was widened (integer to number, more types, or any type accepted). |
//! | `request-alternative-added` | info | minor | A request oneOf/anyOf accepts a new alternative. |
//! | `request-alternative-removed` | breaking | major | A request oneOf/anyOf alternative was removed. |
//! | `response-property-added` | info | minor | A property was added to an open response object. |
//! | `response-closed-object-property-added` | breaking | major | A property was added to a response object that was closed (additionalProperties: false) or whose old additionalProperties schema the new property's values do not provably fit: old validation rejects it. |
//! | `response-property-removed` | breaking | major | A required response property was removed. |
//! | `response-optional-property-removed` | warning | minor | An optional response property was removed: it was documented, consumers may rely on it. |
//! | `response-property-became-optional` | breaking | major | A required response property became optional. |
//! | `response-property-became-required` | info | minor | An optional response property became required. |
//! | `response-enum-value-added` | breaking | major | A response enum has a new value: closed generated enums fail to decode it. |
//! | `response-enum-value-removed` | info | minor | A response enum lost a value. |
//! | `extensible-enum-value-added` | info | minor | A response x-extensible-enum has a new value: consumers are bound to accept values they do not know. |
//! | `response-nullable-added` | breaking | major | A response value may now be null. |
//! | `response-nullable-removed` | info | minor | A response value may no longer be null. |
//! | `response-constraint-loosened` | breaking | major | A response constraint was removed or loosened: the server may send values old clients reject. |
//! | `response-constraint-tightened` | info | minor | A response constraint was added or tightened. |
//! | `response-object-opened` | breaking | major | A closed response object now allows additional properties. |
//! | `response-object-closed` | info | minor | A response object no longer has additional properties. |
//! | `response-alternative-added` | breaking | major | A response oneOf/anyOf has a new alternative. |
//! | `response-alternative-removed` | info | minor | A response oneOf/anyOf alternative was removed. |
//! | `response-type-narrowed` | info | minor | A response type was narrowed (number to integer, fewer types, or a type where any was allowed): every new value is an old one. |
//! | `type-changed` | breaking | major | A schema's type changed. |
//! | `format-changed` | breaking | major | A schema's format changed (it also changes generated types). |
//! | `pattern-changed` | breaking | major | A pattern was replaced by a different one (neither provably looser nor tighter). |
//! | `default-changed` | warning | minor | A default value was added, removed or changed: omitting the field now means something else. |
//! | `access-mode-changed` | warning | minor | readOnly or writeOnly changed. |
//! | `discriminator-changed` | breaking | major | A discriminator changed: tagged values decode differently. |
//! | `schema-composition-changed` | warning | minor | allOf/oneOf/anyOf/not changed in a way proven compatible in its direction: the wire still works, generated types change. |
//! | `request-composition-changed` | breaking | major | A request schema's allOf/oneOf/anyOf/not changed and the new schema cannot be proven to accept every value the old one did (fails closed). |
//! | `response-composition-changed` | breaking | major | A response schema's allOf/oneOf/anyOf/not changed and the old schema cannot be proven to accept every value the new one allows (fails closed). |
//! | `schema-renamed` | warning | minor | A schema is referenced under a different name: the wire is the same, generated type names change. |
//! | `security-alternative-added` | info | minor | A new way to authenticate was added. |
//! | `security-alternative-removed` | breaking | major | A way to authenticate was removed: clients using it are refused. |
//! | `security-requirement-tightened` | breaking | major | A scheme or scope was added to an existing way to authenticate. |
//! | `security-requirement-loosened` | info | minor | A scheme or scope was dropped from an existing way to authenticate. |
//! | `security-scheme-added` | info | minor | A security scheme was defined. |
//! | `security-scheme-removed` | warning | minor | A security scheme definition was removed (its use by operations is reported there). |
//! | `security-scheme-changed` | breaking | major | A security scheme's type, location, name or flows changed. |
//! | `component-added` | info | minor | A component was added. |
//! | `component-removed` | warning | minor | A component was removed (generated types for it go away). |
//! | `component-changed` | info | minor | A component that no operation uses changed (generated types change, the wire does not). |
//! | `documentation-changed` | info | patch | Documentation changed: description, summary, title, example(s), tags, info, externalDocs, servers. |
//! | `extension-changed` | info | patch | A specification extension (x-...) changed. |
//! | `unclassified-change` | warning | minor | Something else differs: the comparison has no specific rule for it. |
//!
//! # Example
//!
//! ```
//! let spec = openapi_compat::Document::parse(r#"{
//!     "openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}
//! }"#).unwrap();
//! let report = openapi_compat::compare(&spec, &spec);
//! assert!(report.changes.is_empty());
//! assert_eq!(report.required_bump(), None);
//! ```

pub mod cli;
mod constraints;
mod document;
mod generic;
mod lifecycle;
mod load;
mod operation;
mod parameter;
mod render;
mod report;
mod resolve;
mod response;
mod rules;
mod schema;
mod security;
mod sink;
mod view;

pub use lifecycle::Policy;
pub use load::{Document, LoadError};
pub use report::{Change, OperationRef, Report, Summary};
pub use rules::{Bump, Direction, Rule, Severity};

/// Compares two documents and reports every difference, classified, with
/// sunset dates judged against today's date.
pub fn compare(old: &Document, new: &Document) -> Report {
    compare_with(old, new, &Policy::now())
}

/// Compares two documents under a [`Policy`] (the date sunsets are judged
/// against, a deprecation grace period).
pub fn compare_with(old: &Document, new: &Document, policy: &Policy) -> Report {
    let mut changes = operation::compare_operations(old, new, *policy);
    changes.extend(document::compare_document(old, new, *policy));
    Report::new(changes)
}
